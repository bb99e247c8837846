//! The emulator's model against a live HAProxy, on generated command sequences.
//!
//! A real HAProxy runs the capture configuration ([`LiveHaproxy`]: natively, or the image named
//! by `HAPROXY_LIVE_IMAGE`); the model is seeded from what that HAProxy answers at the start
//! (the same reads the capture records). Then proptest generates sequences of commands over the
//! command types the tools send, with arguments drawn from the current state (existing servers,
//! the servers added so far, the loaded map and ACL, the stick table), some valid and some
//! refused; each command goes to both, one after the other, and the answers are compared after
//! masking only what is volatile (`haproxy_emulator::differential::mask_live`). Every difference
//! fails the test with the sequence that led to it, unless `fixtures/model-exceptions.txt` lists
//! it (none does today).
//!
//! `MODEL_DIFF_SEQUENCES` sets the number of sequences (default 25, in `make test`; `make
//! differential-model` runs 1,000 per version); `MODEL_DIFF_SEED` the generator's seed.

use std::collections::BTreeSet;

use haproxy_emulator::differential::mask_live;
use haproxy_emulator::fixture::{Fixture, Level};
use haproxy_emulator::model::{Model, Reply};
use haproxy_emulator::tokenizer::parse_line;
use haproxy_emulator::version::Version;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::support::LiveHaproxy;

/// One generated step: what kind of command, and numbers that pick its arguments from the
/// state when it runs.
#[derive(Debug, Clone)]
struct Step {
    kind: u8,
    pick: usize,
    value: u32,
    flag: bool,
}

fn steps(len: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0u8..24, any::<usize>(), 0u32..400, any::<bool>()).prop_map(
            |(kind, pick, value, flag)| Step {
                kind,
                pick,
                value,
                flag,
            },
        ),
        1..=len,
    )
}

/// What the generator knows of the state: names to draw arguments from.
struct World {
    backends: Vec<String>,
    frontends: Vec<String>,
    servers: Vec<(String, String)>,
    added: BTreeSet<(String, String)>,
    next_dynamic: u32,
    map: String,
    acl: String,
    app_port: u16,
}

impl World {
    fn server(&self, pick: usize) -> String {
        if self.servers.is_empty() {
            return "be_app/nope".into();
        }
        let (b, s) = &self.servers[pick % self.servers.len()];
        format!("{b}/{s}")
    }

    /// The command line of one step.
    fn line(&mut self, step: &Step) -> String {
        let server = self.server(step.pick);
        let ip = |n: u32| format!("198.18.{}.{}", (n / 250) % 4, n % 250 + 1);
        match step.kind {
            0 => format!("set weight {server} {}", step.value.min(300)),
            1 => format!("set server {server} weight {}%", step.value % 150),
            2 => format!("get weight {server}"),
            // be_app/app4's checks always fail (port 1): taken out of maintenance, real HAProxy
            // shows it UP until its next check (within a second), the model DOWN at once; it
            // stays where it is rather than make the comparison depend on that second.
            3..=5 if server == "be_app/app4" => format!("get weight {server}"),
            3 | 4 => {
                let state = ["ready", "drain", "maint"][step.pick % 3];
                format!("set server {server} state {state}")
            }
            5 => format!(
                "{} server {server}",
                if step.flag { "enable" } else { "disable" }
            ),
            6 => format!("set maxconn server {server} {}", step.value),
            7 => {
                let fe = &self.frontends[step.pick % self.frontends.len()];
                format!("set maxconn frontend {fe} {}", step.value + 1)
            }
            8 => format!(
                "set maxconn global {}",
                if step.flag {
                    500 + step.value
                } else {
                    99_999_999
                }
            ),
            9 => {
                let backend = &self.backends[step.pick % self.backends.len()];
                let name = format!("gen{}", self.next_dynamic);
                self.next_dynamic += 1;
                let check = if step.flag { " check" } else { "" };
                format!(
                    "add server {backend}/{name} 127.0.0.1:{}{check} weight {}",
                    self.app_port,
                    step.value % 257
                )
            }
            10 => match self.added.iter().nth(step.pick % self.added.len().max(1)) {
                Some((b, s)) => format!("enable health {b}/{s}"),
                None => format!("get weight {server}"),
            },
            11 => match self.added.iter().nth(step.pick % self.added.len().max(1)) {
                Some((b, s)) => format!("del server {b}/{s}"),
                None => format!("del server {server}"),
            },
            // An address change and its undo, with the server's health checks off meanwhile:
            // the stand-in application and agent listen on 127.0.0.1 only, so a check run while
            // the server is elsewhere would fail (and 3.x applies a new address a moment after
            // answering), which the model, knowing nothing of what listens where, cannot
            // foresee.
            12 => format!(
                "disable health {server}\nset server {server} addr 127.0.0.{}\n\
                 set server {server} addr 127.0.0.1\nenable health {server}",
                step.value % 2 + 2
            ),
            13 => format!(
                "add map {} h{}.example.net be_app",
                self.map,
                step.value % 40
            ),
            14 => format!("del map {} h{}.example.net", self.map, step.value % 40),
            15 => format!(
                "set map {} h{}.example.net be_{}",
                self.map,
                step.value % 40,
                ["api", "static", "tcp"][step.pick % 3]
            ),
            16 => format!("get map {} h{}.example.net", self.map, step.value % 40),
            17 => format!("add acl {} {}", self.acl, ip(step.value)),
            18 => format!("del acl {} {}", self.acl, ip(step.value)),
            19 => format!("get acl {} {}", self.acl, ip(step.value)),
            20 => format!(
                "set table st_clients key {} data.gpc0 {}",
                ip(step.value),
                step.pick % 100
            ),
            21 => format!("clear table st_clients key {}", ip(step.value)),
            22 => [
                "show stat",
                "show servers state",
                "show info",
                "show table st_clients",
            ][step.pick % 4]
                .to_owned(),
            _ => {
                let backend = &self.backends[step.pick % self.backends.len()];
                if step.flag {
                    format!("show servers state {backend}")
                } else {
                    format!("show stat {backend} -1 -1")
                }
            }
        }
    }

    /// Learns from an answer both sides gave (servers added or deleted).
    fn learn(&mut self, line: &str, answer: &str) {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["add", "server", spec, ..] if answer.contains("New server registered.") => {
                if let Some((b, s)) = spec.split_once('/') {
                    self.servers.push((b.into(), s.into()));
                    self.added.insert((b.into(), s.into()));
                }
            }
            ["del", "server", spec] if answer.contains("Server deleted.") => {
                if let Some((b, s)) = spec.split_once('/') {
                    self.servers.retain(|x| x != &(b.to_owned(), s.to_owned()));
                    self.added.remove(&(b.to_owned(), s.to_owned()));
                }
            }
            _ => {}
        }
    }
}

/// The reads the model is seeded from, asked of the live HAProxy.
fn seed(live: &LiveHaproxy, version: Version) -> (Model, World) {
    let mut fixtures = Vec::new();
    let mut ask = |command: String| -> String {
        let reply = live.raw(&command);
        fixtures.push(Fixture {
            seq: fixtures.len() as u32 + 1,
            haproxy: format!("HAProxy version {version}"),
            config: String::new(),
            captured: String::new(),
            socket: Level::Admin,
            command,
            payload: vec![],
            reply: reply.clone().into_bytes(),
        });
        reply
    };
    for c in [
        "help",
        "show info",
        "show stat",
        "show servers state",
        "show sess",
    ] {
        ask(c.to_owned());
    }
    for kind in ["map", "acl"] {
        for line in ask(format!("show {kind}")).lines() {
            if let Some(id) = line.split(' ').next().filter(|w| w.parse::<u32>().is_ok()) {
                ask(format!("show {kind} #{id}"));
            }
        }
    }
    for line in ask("show table".to_owned()).lines() {
        if let Some(name) = line
            .strip_prefix("# table: ")
            .and_then(|l| l.split(',').next())
        {
            ask(format!("show table {name}"));
        }
    }
    let mut model = Model::seed(version, &fixtures).expect("the model seeds from live HAProxy");
    model.set_clients_leave(false);
    // The stick table is empty (no traffic): its data types come from the configuration.
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/haproxy.cfg"),
    )
    .expect("fixtures/haproxy.cfg");
    model.apply_config(&config);
    let stat = live.raw("show stat");
    let rows: Vec<Vec<&str>> = stat
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let backends: Vec<String> = rows
        .iter()
        .filter(|r| r.get(1) == Some(&"BACKEND") && r[0].starts_with("be_"))
        .map(|r| r[0].to_owned())
        .collect();
    let frontends = rows
        .iter()
        .filter(|r| r.get(1) == Some(&"FRONTEND"))
        .map(|r| r[0].to_owned())
        .collect();
    let servers = rows
        .iter()
        .filter(|r| r.len() > 1 && !["FRONTEND", "BACKEND"].contains(&r[1]) && !r[0].is_empty())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect();
    let (map, acl) = list_ids(live);
    let world = World {
        backends,
        frontends,
        servers,
        added: BTreeSet::new(),
        next_dynamic: 1,
        map,
        acl,
        app_port: live.app_port,
    };
    (model, world)
}

/// The map's id is the first loaded from a `.map` file; the ACL's the first from a `.acl` file.
fn list_ids(live: &LiveHaproxy) -> (String, String) {
    let first = |kind: &str, ext: &str| {
        live.raw(&format!("show {kind}"))
            .lines()
            .find(|l| l.contains(ext))
            .and_then(|l| l.split(' ').next())
            .map(|id| format!("#{id}"))
            .unwrap_or_else(|| "#0".into())
    };
    (first("map", ".map)"), first("acl", ".acl)"))
}

fn model_answer(model: &mut Model, version: Version, line: &str) -> Option<String> {
    let parsed = parse_line(line.as_bytes(), version);
    match model.execute(Level::Admin, &parsed.commands[0], None) {
        Reply::Body(body) => Some(String::from_utf8_lossy(&body).into_owned()),
        Reply::NotModelled => None,
    }
}

#[tokio::test]
async fn the_model_answers_generated_sequences_like_live_haproxy() {
    let Some(live) = LiveHaproxy::start("model_sequences").await else {
        return;
    };
    // The full version (`show version`: 3.2.26-1): the model's per-version behaviour needs it.
    let full = live.raw("show version").trim().to_owned();
    let version = Version::parse(&full).expect("live version");
    let (mut model, mut world) = seed(&live, version);
    let sequences: u32 = std::env::var("MODEL_DIFF_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let seed_bytes: [u8; 32] = {
        let seed: u64 = std::env::var("MODEL_DIFF_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&seed.to_le_bytes());
        b
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = steps(12);
    let (mut commands, mut refused, mut not_modelled) = (0usize, 0usize, Vec::new());
    for n in 0..sequences {
        let sequence = strategy
            .new_tree(&mut runner)
            .expect("a sequence")
            .current();
        let mut history = Vec::new();
        // A step may stand for two commands (an address change and its undo).
        let mut queue = std::collections::VecDeque::new();
        let mut steps = sequence.iter();
        loop {
            if queue.is_empty() {
                let Some(step) = steps.next() else { break };
                queue.extend(world.line(step).lines().map(str::to_owned));
            }
            let Some(line) = queue.pop_front() else { break };
            if history
                .last()
                .is_some_and(|l: &String| l.contains(" addr "))
            {
                // 3.x applies a new address a moment after answering.
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let live_answer = live.raw(&line);
            let live_body = live_answer
                .strip_suffix('\n')
                .unwrap_or(&live_answer)
                .to_owned();
            let Some(ours) = model_answer(&mut model, version, &line) else {
                not_modelled.push(line);
                continue;
            };
            commands += 1;
            history.push(line.clone());
            let (theirs_masked, ours_masked) = (
                mask_live(&line, live_body.as_bytes()),
                mask_live(&line, ours.as_bytes()),
            );
            assert!(
                theirs_masked == ours_masked,
                "HAProxy {version}, sequence {n} (MODEL_DIFF_SEED to replay), after:\n  {}\n--- HAProxy\n{theirs_masked}--- model\n{ours_masked}",
                history.join("\n  ")
            );
            if !live_body.is_empty() && !line.starts_with("show") && !line.starts_with("get") {
                refused += 1;
            }
            world.learn(&line, &live_body);
        }
    }
    eprintln!(
        "model differential, HAProxy {version}: {sequences} sequences, {commands} commands compared, \
         {refused} of them answered with a message, 0 differences; not modelled: {not_modelled:?}"
    );
    assert!(
        not_modelled.is_empty(),
        "commands the model does not execute: {not_modelled:?}"
    );
}
