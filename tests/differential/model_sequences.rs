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

use crate::support::{ConfiguredHaproxy, LiveHaproxy, free_port};

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
        (0u8..33, any::<usize>(), 0u32..400, any::<bool>()).prop_map(
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
    /// The map and ACL the steps change (`#<id>`), if the configuration loads one.
    map: Option<String>,
    acl: Option<String>,
    /// The stick table the steps change, if there is one.
    table: Option<String>,
    /// Where the servers added by the steps point (something that accepts connections).
    app_port: u16,
    /// HAProxy 3.4+: backends can be added, published and deleted at runtime.
    runtime_backends: bool,
    /// HAProxy 3.0+: `wait … srv-removable`.
    wait: bool,
    /// The configuration's first named `defaults` section (what `add backend` starts from).
    defaults: Option<String>,
    /// The backends added at runtime so far (also in `backends`).
    added_backends: Vec<String>,
    next_backend: u32,
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
            13..=16 if self.map.is_none() => format!("get weight {server}"),
            17..=19 if self.acl.is_none() => format!("get weight {server}"),
            20 | 21 if self.table.is_none() => format!("get weight {server}"),
            13 => format!(
                "add map {} h{}.example.net be_app",
                self.map(),
                step.value % 40
            ),
            14 => format!("del map {} h{}.example.net", self.map(), step.value % 40),
            15 => format!(
                "set map {} h{}.example.net be_{}",
                self.map(),
                step.value % 40,
                ["api", "static", "tcp"][step.pick % 3]
            ),
            16 => format!("get map {} h{}.example.net", self.map(), step.value % 40),
            17 => format!("add acl {} {}", self.acl(), ip(step.value)),
            18 => format!("del acl {} {}", self.acl(), ip(step.value)),
            19 => format!("get acl {} {}", self.acl(), ip(step.value)),
            20 => format!(
                "set table {} key {} data.gpc0 {}",
                self.table(),
                ip(step.value),
                step.pick % 100
            ),
            21 => format!("clear table {} key {}", self.table(), ip(step.value)),
            24..=26 if !self.runtime_backends || self.defaults.is_none() => {
                format!("get weight {server}")
            }
            24 => match step.pick % 5 {
                3 => format!("add backend rt{} from nosuch", self.next_backend),
                4 => format!("add backend {} from {}", self.backends[0], self.defaults()),
                _ => {
                    let name = format!("rt{}", self.next_backend);
                    self.next_backend += 1;
                    let mode = if step.flag { " mode tcp" } else { "" };
                    format!("add backend {name} from {}{mode}", self.defaults())
                }
            },
            25 => {
                let backend = self.added_backend(step.pick);
                let verb = if step.flag { "publish" } else { "unpublish" };
                format!("{verb} backend {backend}")
            }
            // Mostly backends added here; now and then one of the configuration's (refused,
            // or deleted when nothing names it and it is empty).
            26 => {
                let backend = if step.pick.is_multiple_of(4) {
                    self.backends[step.pick % self.backends.len()].clone()
                } else {
                    self.added_backend(step.pick)
                };
                format!("del backend {backend}")
            }
            // A command on a session lowered to `user` or `operator` (one line: `user; …`):
            // refusals and what a lower level is not shown.
            27 => {
                let inner = Step {
                    kind: match (step.value % 26) as u8 {
                        12 => 2,
                        24 => 28,
                        25 => 29,
                        23 => 32,
                        k => k,
                    },
                    ..step.clone()
                };
                let level = if step.flag { "user" } else { "operator" };
                format!("{level}; {}", self.line(&inner))
            }
            // Frontends: pause and resume often, shut down now and then (for good: later steps
            // then meet a stopped frontend). Only frontends with no backend side (a stopped
            // listen section refuses its servers' commands, which the model knows but the
            // steps would then mostly test) and no stand-in the servers' checks need.
            28 => {
                let eligible: Vec<&String> =
                    self.frontends.iter().filter(|f| self.may_stop(f)).collect();
                match eligible.get(step.pick % (eligible.len() + 1)) {
                    Some(fe) => {
                        let verb = match step.value % 9 {
                            0 => "shutdown",
                            v if v % 2 == 0 => "disable",
                            _ => "enable",
                        };
                        format!("{verb} frontend {fe}")
                    }
                    None => format!("disable frontend {}", ["nope", ""][step.pick % 2]),
                }
            }
            29 => {
                let kind = [
                    "connections",
                    "sessions",
                    "ssl-sessions",
                    "http-compression",
                    "bogus",
                ][step.pick % 5];
                let value = match step.value % 10 {
                    0 => "-1".to_owned(),
                    1 => "x".to_owned(),
                    2 => String::new(),
                    _ => step.value.to_string(),
                };
                format!("set rate-limit {kind} global {value}")
                    .trim_end()
                    .to_owned()
            }
            // Where checks and agents connect, to where they connect already (the model knows
            // nothing of what listens elsewhere), and refused values.
            30 => match step.pick % 5 {
                0 => format!("set server {server} check-addr 127.0.0.1"),
                1 => format!("set server {server} check-addr not-an-address"),
                2 => format!("set server {server} agent-addr 127.0.0.1"),
                3 => format!("set server {server} agent-port x"),
                _ => format!("set server {server} check-addr 127.0.0.1 port 70000"),
            },
            // FQDNs (the steps' servers have no resolvers: refused) and wait srv-removable
            // (3.0+; answered at once, or after its 100 ms while sessions are attached).
            31 if step.flag => {
                format!("set server {server} fqdn app{}.example.net", step.value % 3)
            }
            31 if self.wait => format!("wait 100 srv-removable {server}"),
            31 => format!("set server {server} fqdn not..valid"),
            // Dynamic cookies: a key, the flag on and off (what `show stat` then shows in the
            // servers' `cookie` column), and refusals.
            32 => {
                let backend = &self.backends[step.pick % self.backends.len()];
                match step.value % 7 {
                    0 | 1 => format!(
                        "set dynamic-cookie-key backend {backend} key{}",
                        step.pick % 3
                    ),
                    2 | 3 => format!("enable dynamic-cookie backend {backend}"),
                    4 => format!("disable dynamic-cookie backend {backend}"),
                    5 => format!("set dynamic-cookie-key backend {backend}"),
                    _ => format!(
                        "{} dynamic-cookie backend {}",
                        if step.flag { "enable" } else { "disable" },
                        ["be_nope", ""][step.pick % 2]
                    ),
                }
            }
            22 if step.pick % 5 == 4 && self.table.is_some() => {
                format!("show table {}", self.table())
            }
            22 => [
                "show stat",
                "show servers state",
                "show info",
                "show servers conn",
            ][step.pick % 4]
                .to_owned(),
            _ => {
                let backend = &self.backends[step.pick % self.backends.len()];
                match (step.flag, step.value % 3) {
                    (true, 0) => format!("show servers conn {backend}"),
                    (true, _) => format!("show servers state {backend}"),
                    (false, _) => format!("show stat {backend} -1 -1"),
                }
            }
        }
    }

    /// Whether the steps may pause or stop frontend `fe`: not a listen section's, and not a
    /// stand-in that the servers' checks or agents reach (`fe_app`, `fe_agent`).
    fn may_stop(&self, fe: &str) -> bool {
        !self.backends.iter().any(|b| b == fe) && !["fe_app", "fe_agent"].contains(&fe)
    }

    fn map(&self) -> &str {
        self.map.as_deref().unwrap_or_default()
    }

    fn acl(&self) -> &str {
        self.acl.as_deref().unwrap_or_default()
    }

    fn defaults(&self) -> &str {
        self.defaults.as_deref().unwrap_or_default()
    }

    fn table(&self) -> &str {
        self.table.as_deref().unwrap_or_default()
    }

    /// One of the backends added at runtime, or a name no backend has when none is.
    fn added_backend(&self, pick: usize) -> String {
        match self.added_backends.len() {
            0 => "rt_none".to_owned(),
            n => self.added_backends[pick % n].clone(),
        }
    }

    /// Learns from an answer both sides gave (servers or backends added or deleted).
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
            ["add", "backend", name, ..] if answer.contains("New backend registered.") => {
                self.backends.push((*name).to_owned());
                self.added_backends.push((*name).to_owned());
            }
            ["del", "backend", name] if answer.contains("Backend deleted.") => {
                self.backends.retain(|b| b != name);
                self.added_backends.retain(|b| b != name);
            }
            _ => {}
        }
    }
}

/// The full version a live HAProxy answers to `show version` (`3.2.26-1`): the model's
/// per-version behaviour needs the patch number too.
pub(crate) fn live_version(show_version: &str) -> Version {
    Version::parse(show_version.trim()).expect("live version")
}

/// A live HAProxy's admin-level reply to `command`, as a recording the emulator reads.
pub(crate) fn live_fixture(seq: u32, version: Version, command: String, reply: &str) -> Fixture {
    Fixture {
        seq,
        haproxy: format!("HAProxy version {version}"),
        config: String::new(),
        captured: String::new(),
        socket: Level::Admin,
        command,
        payload: vec![],
        reply: reply.as_bytes().to_vec(),
    }
}

/// The model seeded from what the live HAProxy (`ask`) answers to the reads a capture starts
/// with, and the names of its stick tables.
pub(crate) fn seed_model(ask: &dyn Fn(&str) -> String, version: Version) -> (Model, Vec<String>) {
    let mut fixtures = Vec::new();
    let mut record = |command: String| -> String {
        let reply = ask(&command);
        fixtures.push(live_fixture(
            fixtures.len() as u32 + 1,
            version,
            command,
            &reply,
        ));
        reply
    };
    for c in [
        "help",
        "show info",
        "show stat",
        "show servers state",
        "show servers conn",
        "show sess",
    ] {
        record(c.to_owned());
    }
    for kind in ["map", "acl"] {
        for line in record(format!("show {kind}")).lines() {
            if let Some(id) = line.split(' ').next().filter(|w| w.parse::<u32>().is_ok()) {
                record(format!("show {kind} #{id}"));
            }
        }
    }
    let mut tables = Vec::new();
    for line in record("show table".to_owned()).lines() {
        if let Some(name) = line
            .strip_prefix("# table: ")
            .and_then(|l| l.split(',').next())
        {
            tables.push(name.to_owned());
            record(format!("show table {name}"));
        }
    }
    // Certificates and crt-lists (`show ssl sni` names the binds from 3.2 on).
    for name in record("show ssl cert".to_owned()).lines() {
        if !name.starts_with(['#', '*']) && !name.is_empty() {
            record(format!("show ssl cert {name}"));
        }
    }
    for list in record("show ssl crt-list".to_owned()).lines() {
        if !list.is_empty() {
            record(format!("show ssl crt-list -n {list}"));
        }
    }
    record("show ssl sni".to_owned());
    for noun in ["ca-file", "crl-file"] {
        for line in record(format!("show ssl {noun}")).lines() {
            if !line.starts_with(['#', '*']) && !line.is_empty() {
                let path = line.split(" - ").next().unwrap_or(line);
                record(format!("show ssl {noun} {path}"));
            }
        }
    }
    let model = Model::seed(version, &fixtures).expect("the model seeds from live HAProxy");
    (model, tables)
}

/// The reads the model is seeded from, asked of the live HAProxy (`ask`), then `config` (the
/// configuration that HAProxy runs) applied to the model as `--config` does.
fn seed(
    ask: &dyn Fn(&str) -> String,
    version: Version,
    config: &str,
    app_port: u16,
) -> (Model, World) {
    let (mut model, tables) = seed_model(ask, version);
    model.set_clients_leave(false);
    // An empty stick table's data types, the named defaults sections, the backends the
    // configuration names: what the reads cannot tell.
    model.apply_config(config);
    let stat = ask("show stat");
    let rows: Vec<Vec<&str>> = stat
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // Every backend but a stick table's own (`backend st_clients` holds only a table).
    let backends: Vec<String> = rows
        .iter()
        .filter(|r| r.get(1) == Some(&"BACKEND") && !tables.iter().any(|t| t == r[0]))
        .map(|r| r[0].to_owned())
        .collect();
    let frontends = rows
        .iter()
        .filter(|r| r.get(1) == Some(&"FRONTEND"))
        .map(|r| r[0].to_owned())
        .collect();
    // Servers whose address DNS resolves (a `srv_fqdn` in `show servers state`) change on their
    // own, whenever their resolvers answer: the model does not simulate name resolution, so the
    // steps leave them alone.
    let state = ask("show servers state");
    let resolved: Vec<(String, String)> = state
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f.len() > 17 && f[17] != "-")
        .map(|f| (f[1].to_owned(), f[3].to_owned()))
        .collect();
    let servers = rows
        .iter()
        .filter(|r| r.len() > 1 && !["FRONTEND", "BACKEND"].contains(&r[1]) && !r[0].is_empty())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .filter(|s| !resolved.contains(s))
        .collect();
    let list_id = |kind: &str, ext: &str| {
        ask(&format!("show {kind}"))
            .lines()
            .find(|l| l.contains(ext))
            .and_then(|l| l.split(' ').next())
            .map(|id| format!("#{id}"))
    };
    let world = World {
        backends,
        frontends,
        servers,
        added: BTreeSet::new(),
        next_dynamic: 1,
        // The first map loaded from a `.map` file, the first ACL from a `.acl` file.
        map: list_id("map", ".map)"),
        acl: list_id("acl", ".acl)"),
        table: tables.first().cloned(),
        app_port,
        runtime_backends: version >= Version::new(3, 4, 0),
        wait: version >= Version::new(3, 0, 0),
        defaults: config.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("defaults") && !l.starts_with([' ', '\t']))
                .then(|| words.next().map(str::to_owned))
                .flatten()
        }),
        added_backends: Vec::new(),
        next_backend: 1,
    };
    (model, world)
}

/// The session level a generated line runs at, and the command itself (`user; show stat` runs
/// `show stat` at user level).
fn split_level(line: &str) -> (Level, &str) {
    if let Some(command) = line.strip_prefix("user; ") {
        (Level::User, command)
    } else if let Some(command) = line.strip_prefix("operator; ") {
        (Level::Operator, command)
    } else {
        (Level::Admin, line)
    }
}

fn model_answer(model: &mut Model, version: Version, line: &str) -> Option<String> {
    let (level, line) = split_level(line);
    let parsed = parse_line(line.as_bytes(), version);
    // The live HAProxy's socket is admin-level; `user` / `operator` lower the session only.
    match model.execute_on(Level::Admin, level, &parsed.commands[0], None) {
        Reply::Body(body) => Some(String::from_utf8_lossy(&body).into_owned()),
        Reply::NotModelled => None,
    }
}

/// How many sequences (`MODEL_DIFF_SEQUENCES`, default 25) and the generator's seed
/// (`MODEL_DIFF_SEED`, default 1).
fn sequences_and_seed() -> (u32, [u8; 32]) {
    let sequences: u32 = std::env::var("MODEL_DIFF_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let seed: u64 = std::env::var("MODEL_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    (sequences, bytes)
}

/// Runs the generated sequences against HAProxy (`ask`) and the model, comparing every answer;
/// panics at the first difference with the sequence that led to it.
fn compare_sequences(
    ask: &dyn Fn(&str) -> String,
    version: Version,
    (mut model, mut world): (Model, World),
    what: &str,
) {
    let (sequences, seed_bytes) = sequences_and_seed();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = steps(12);
    let (mut commands, mut refused, mut not_modelled) = (0usize, 0usize, Vec::new());
    // Every command so far, with its answer, for a failure's "earlier on the same object".
    let mut earlier: Vec<(u32, String, String)> = Vec::new();
    for n in 0..sequences {
        let sequence = strategy
            .new_tree(&mut runner)
            .expect("a sequence")
            .current();
        let mut history = Vec::new();
        // A step may stand for several commands (an address change and its undo).
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
            let live_answer = ask(&line);
            let mut live_body = live_answer.strip_suffix('\n').unwrap_or(&live_answer);
            if split_level(&line).0 != Level::Admin {
                // `user` / `operator` answers an empty line before the command's answer.
                live_body = live_body.strip_prefix('\n').unwrap_or(live_body);
            }
            let live_body = live_body.to_owned();
            let Some(ours) = model_answer(&mut model, version, &line) else {
                not_modelled.push(line);
                continue;
            };
            commands += 1;
            history.push(line.clone());
            let command = split_level(&line).1;
            let (theirs_masked, ours_masked) = (
                mask_live(command, live_body.as_bytes()),
                mask_live(command, ours.as_bytes()),
            );
            if theirs_masked != ours_masked {
                // State carries over from sequence to sequence: what earlier sequences did to
                // the object this command names (its last word: a key, a server).
                let object = command.split_whitespace().last().unwrap_or("");
                let related: Vec<String> = earlier
                    .iter()
                    .filter(|(_, l, _)| l.split_whitespace().any(|w| w == object))
                    .map(|(seq, l, a)| format!("#{seq} {l} -> {:?}", a.trim_end()))
                    .collect();
                panic!(
                    "HAProxy {version} ({what}), sequence {n} (MODEL_DIFF_SEED to replay), after:\n  {}\n--- HAProxy\n{theirs_masked}--- model\n{ours_masked}--- earlier commands naming `{object}`:\n  {}",
                    history.join("\n  "),
                    related.join("\n  ")
                );
            }
            earlier.push((n, line.clone(), live_body.clone()));
            if !live_body.is_empty() && !line.starts_with("show") && !line.starts_with("get") {
                refused += 1;
            }
            world.learn(&line, &live_body);
        }
    }
    eprintln!(
        "model differential, HAProxy {version} ({what}): {sequences} sequences, {commands} commands \
         compared, {refused} of them answered with a message, 0 differences; not modelled: {not_modelled:?}"
    );
    assert!(
        not_modelled.is_empty(),
        "commands the model does not execute: {not_modelled:?}"
    );
}

#[tokio::test]
async fn the_model_answers_generated_sequences_like_live_haproxy() {
    let Some(live) = LiveHaproxy::start("model_sequences").await else {
        return;
    };
    let version = live_version(&live.raw("show version"));
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/haproxy.cfg"),
    )
    .expect("fixtures/haproxy.cfg");
    let ask = |line: &str| live.raw(line);
    let seeded = seed(&ask, version, &config, live.app_port);
    compare_sequences(&ask, version, seeded, "the capture configuration");
}

/// A configuration unlike the capture's: server-template slots (in maintenance from the
/// start), a chain of tracked servers across backends, an agent, backups, `balance first`, a
/// consistent hash with dynamic cookies (one server with a cookie of its own), explicit ids, a
/// weight of 0, a listen section, a frontend's own stick
/// table, a prefix-matched map, a map of regular expressions and an ACL read by other rules, a backend named by `nbsrv()`, a
/// named tcp `defaults` section.
const OTHER_CONFIG: &str = r#"
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s

# The table holds every key the steps use (at most 400): full, HAProxy evicts its oldest
# entries (a batch from random buckets on 3.x), which the model does not.
frontend web
    bind 127.0.0.1:{HTTP}
    stick-table type ip size 1k expire 30m store http_req_rate(10s),gpc0,conn_cnt
    http-request track-sc0 src
    acl denied src -f {CONF}/deny.acl
    http-request deny if denied
    http-request deny if { nbsrv(edge) lt 1 }
    http-request set-var(txn.route) path,map_beg({CONF}/routes.map,none)
    http-request set-var(txn.site) req.hdr(host),map_reg({CONF}/hosts.re,none)
    use_backend pool if { path_beg /pool }
    default_backend slots

listen tcp_edge
    bind 127.0.0.1:{TCP}
    mode tcp
    server e1 127.0.0.1:{APP} check id 10
    server e2 127.0.0.1:{APP} check backup

backend slots
    balance roundrobin
    server-template slot 1-4 127.0.0.1:{APP} check disabled
    server fixed 127.0.0.1:{APP} check weight 0

backend pool
    balance first
    server p1 127.0.0.1:{APP} check maxconn 10 id 7
    server p2 127.0.0.1:{APP} track pool/p1
    server p4 127.0.0.1:{APP} check inter 3s backup
    server p3 127.0.0.1:{APP} check agent-check agent-port {AGENT} agent-inter 1s

backend edge
    balance uri
    hash-type consistent
    cookie SRV insert dynamic
    dynamic-cookie-key s3cr3t
    server u1 127.0.0.1:{APP} check
    server u2 127.0.0.1:{APP} check inter 500 rise 3 fall 2 cookie own2

backend spare
    server s1 127.0.0.1:{APP}
    server s2 127.0.0.1:{APP} backup
    server s3 127.0.0.1:{APP} track pool/p2

# Last, so that the sections above take the unnamed one; `add backend … from tcpd` uses it.
defaults tcpd
    mode tcp
    balance leastconn
    timeout client 5s
    timeout server 5s
    timeout connect 1s
"#;

/// Accepts connections on a free port of 127.0.0.1 and answers each with `reply` (a TCP check
/// target when empty, an agent when `up`), until the test ends.
async fn listener(reply: &'static [u8]) -> u16 {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a listener");
    let port = socket.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = socket.accept().await {
            tokio::spawn(async move {
                let _ = stream.write_all(reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_answers_generated_sequences_on_another_configuration() {
    let app = listener(b"").await;
    let agent = listener(b"up\n").await;
    let config = OTHER_CONFIG
        .replace("{HTTP}", &free_port().to_string())
        .replace("{TCP}", &free_port().to_string())
        .replace("{APP}", &app.to_string())
        .replace("{AGENT}", &agent.to_string());
    let files = [
        ("routes.map", "/api be_api\n/static be_static\n"),
        ("deny.acl", "192.0.2.1\n198.51.100.0/24\n"),
        // Not a `.map` file: the generated steps keep to routes.map.
        (
            "hosts.re",
            "^api\\. be_api\n\\.example\\.com$ be_www\n[0-9]+$ be_num\n",
        ),
    ];
    let Some(live) =
        ConfiguredHaproxy::start_with_files("model_sequences_other", &config, &files).await
    else {
        return;
    };
    let version = live_version(&live.raw("show version"));
    // Let the checks settle (rise 2-3 at the default 2 s interval), as LiveHaproxy does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while live.raw("show stat").contains(" 1/") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let config = config.replace("{CONF}", &live.conf_dir());
    let ask = |line: &str| live.raw(line);
    let (mut model, world) = seed(&ask, version, &config, app);
    // `reg` lookups: the model runs the map's regular expressions as HAProxy does (unanchored,
    // first match in file order), before and after an entry is added. Dynamic cookies the
    // configuration enables: recomputed on a new address and a new key, dropped when disabled,
    // a server's own cookie kept.
    let maps = ask("show map");
    let id = maps
        .lines()
        .find(|l| l.contains("hosts.re)"))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("no hosts.re in {maps}"));
    let edge = "show stat edge 4 -1";
    for line in [
        format!("get map #{id} api.example.com"),
        format!("get map #{id} www.example.com"),
        format!("get map #{id} www.example.com.evil"),
        format!("get map #{id} 8080"),
        format!("get map #{id} nothing.test"),
        format!("add map #{id} ^n[a-z]+.test$ be_n"),
        format!("get map #{id} nothing.test"),
        format!("get map #{id} API.example.org"),
        edge.to_owned(),
        "disable health edge/u1".to_owned(),
        "set server edge/u1 addr 127.0.0.2".to_owned(),
        edge.to_owned(),
        "set server edge/u1 addr 127.0.0.1".to_owned(),
        "enable health edge/u1".to_owned(),
        "set dynamic-cookie-key backend edge n3wk3y".to_owned(),
        edge.to_owned(),
        "disable dynamic-cookie backend edge".to_owned(),
        edge.to_owned(),
        "enable dynamic-cookie backend edge".to_owned(),
        edge.to_owned(),
    ] {
        if line.starts_with("show") {
            // 3.x applies a new address a moment after answering.
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let live_answer = ask(&line);
        let theirs = live_answer.strip_suffix('\n').unwrap_or(&live_answer);
        let ours = model_answer(&mut model, version, &line)
            .unwrap_or_else(|| panic!("HAProxy {version}: the model does not execute `{line}`"));
        assert_eq!(
            mask_live(&line, ours.as_bytes()),
            mask_live(&line, theirs.as_bytes()),
            "HAProxy {version}: `{line}`"
        );
    }
    compare_sequences(&ask, version, (model, world), "another configuration");
}
