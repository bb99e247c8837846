//! The emulator's master CLI against a live master-worker HAProxy (natively, or the image named
//! by `HAPROXY_LIVE_IMAGE`): the emulator is seeded from what that HAProxy's worker answers,
//! then both masters get the same commands, one per connection as the client sends them — the
//! process list, the master's `help` and unknown-command answer, `@` prefixes to the master,
//! to the worker (by rank and by pid) and to processes that do not exist, the startup logs, a
//! weight changed through the master, a reload, the list after it and the weight the new
//! worker has — and every answer must be the same once pids and uptimes are replaced by what
//! they stand for.

use std::time::{Duration, Instant};

use haproxy_emulator::{Emulator, Engine, Options, Version};

use crate::model_sequences::{live_fixture, live_version};
use crate::support::{ConfiguredHaproxy, free_port, master_exchange as exchange};

const CONFIG: &str = "defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{PORT}
    default_backend be

backend be
    server s1 127.0.0.1:1 disabled
";

/// The master's and the workers' pids in a `show proc` answer (master first).
fn pids(show_proc: &str) -> Vec<u32> {
    show_proc
        .lines()
        .filter(|l| l.contains(" master ") || l.contains(" worker "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// `text` with each known pid replaced by its role (in the process list's fixed-width first
/// column, and as `(pid)` in log lines), the process list's uptimes masked, and the line 3.4
/// adds when it sizes `maxconn` from the machine's descriptor limit dropped.
fn masked(text: &str, roles: &[(u32, &str)]) -> String {
    let role = |pid: &str| {
        roles
            .iter()
            .find(|(p, _)| p.to_string() == pid)
            .map(|(_, r)| *r)
    };
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.contains("Automatically setting global.maxconn") {
            continue;
        }
        let mut line = line.to_owned();
        let first = line.split_whitespace().next().unwrap_or("").to_owned();
        if line.len() > 64
            && (line.contains(" master ") || line.contains(" worker "))
            && let Some(r) = role(&first)
        {
            line = format!(
                "{r:<15} {}{:<15} {}",
                &line[16..48],
                "<uptime>",
                &line[64..]
            );
        }
        for (pid, r) in roles {
            line = line.replace(&format!("({pid})"), &format!("({r})"));
        }
        out.push_str(&line);
    }
    out
}

/// True when a live reload report is the emulator's cut short at a line boundary. HAProxy
/// 3.1+ sends the report once the new worker is ready; the master's lines that follow it
/// (`haproxy version is`, `path to executable is`, `Former worker … exited`) are in it or not
/// depending on how fast the old worker leaves, so the live report may stop after `Loading
/// success.` (seen on 3.2.26) where the emulator's, whose old worker leaves at once, goes on.
fn report_is_cut_short(live: &str, emulated: &str) -> bool {
    let live: Vec<&str> = live.lines().filter(|l| !l.is_empty()).collect();
    let emulated: Vec<&str> = emulated.lines().filter(|l| !l.is_empty()).collect();
    live.len() >= 4
        && live.last().is_some_and(|l| l.ends_with("Loading success."))
        && emulated.starts_with(&live)
}

/// Waits until the live master has counted `reloads` reloads and its old worker has left.
fn settled_after_reload(port: u16, reloads: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = exchange(port, "show proc");
        let counted = list
            .lines()
            .any(|l| l.contains(" master ") && l.contains(&format!(" {reloads} [failed: 0]")));
        if counted && !list.contains("# old workers") {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "the live master did not settle after the reload:\n{list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulated_master_cli_answers_like_live_haproxy() {
    const TEST: &str = "the_emulated_master_cli_answers_like_live_haproxy";
    let body = CONFIG.replace("{PORT}", &free_port().to_string());
    let Some(live) = ConfiguredHaproxy::start(TEST, &body).await else {
        return;
    };
    let show_version = live.raw("show version");
    let version = live_version(&show_version);
    // The emulator seeded from this HAProxy's worker, as a capture records it.
    let reads = [
        "show version",
        "help",
        "show info",
        "show stat",
        "show servers state",
        "show map",
        "show acl",
        "show table",
        "show sess",
    ];
    let fixtures: Vec<_> = reads
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut f = live_fixture(i as u32 + 1, version, (*c).to_owned(), &live.raw(c));
            f.haproxy = format!("HAProxy version {}", show_version.trim());
            f
        })
        .collect();
    let emulator = Emulator::from_fixtures_engine(&fixtures, Options::default(), Engine::Model)
        .expect("seed the emulator from the live worker");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let handle = emulator.serve_master_tcp(listener);
    let emulated = handle.tcp_addr().expect("tcp").port();

    let mut differences = Vec::new();
    let mut compared = 0;
    // Both sides run the script; each keeps its own pids for `@!<pid>` and the masks.
    let run = |port: u16, live: bool| -> Vec<(String, String)> {
        let before = exchange(port, "show proc");
        let first = pids(&before);
        let worker = first.get(1).copied().expect("a worker in show proc");
        let mut answers = vec![("show proc".to_owned(), before)];
        let ask = |answers: &mut Vec<(String, String)>, line: String| {
            let answer = exchange(port, &line);
            answers.push((line, answer));
        };
        for line in [
            "help",
            "foobar",
            "help show",
            "show version",
            "show cli level",
            "operator; show cli level",
            "@master show version",
            "@0 show version",
            "@ show cli level",
            "@1 show version",
            "@2 show version",
            "@!999999 show version",
            "@1 foobar",
            "@1 show cli level",
            "show startup-logs",
            "echo hello master",
            "@1 set weight be/s1 7",
            "@1 get weight be/s1",
        ] {
            ask(&mut answers, line.to_owned());
        }
        ask(&mut answers, format!("@!{worker} show version"));
        ask(&mut answers, "reload".to_owned());
        let after = if live {
            settled_after_reload(port, 1)
        } else {
            exchange(port, "show proc")
        };
        answers.push(("show proc".to_owned(), after.clone()));
        ask(&mut answers, format!("@!{worker} show version"));
        ask(&mut answers, "@1 show version".to_owned());
        // The weight set at runtime is gone: the new worker runs the configuration.
        ask(&mut answers, "@1 get weight be/s1".to_owned());
        ask(&mut answers, "show startup-logs".to_owned());
        // 3.0+ also reload hard (the old worker is terminated, not left to finish); 2.6 does
        // not know the command.
        ask(&mut answers, "hard-reload".to_owned());
        let hard = version >= Version::new(3, 0, 0);
        let last = if live {
            settled_after_reload(port, if hard { 2 } else { 1 })
        } else {
            exchange(port, "show proc")
        };
        answers.push(("show proc".to_owned(), last.clone()));
        let second = pids(&after);
        let third = pids(&last);
        let roles = [
            (first[0], "<master>"),
            (worker, "<worker-1>"),
            (
                *second.get(1).expect("a worker after the reload"),
                "<worker-2>",
            ),
            (*third.get(1).expect("a worker at the end"), "<worker-3>"),
        ];
        answers
            .into_iter()
            .map(|(line, answer)| {
                let line = line.replace(&format!("@!{worker}"), "@!<worker-1>");
                (line, masked(&answer, &roles))
            })
            .collect()
    };
    let live_answers = run(live.master_port, true);
    let emulated_answers = run(emulated, false);
    // The script did what it is meant to: the weight took, and the reload took it away.
    let weights: Vec<&str> = live_answers
        .iter()
        .filter(|(line, _)| line == "@1 get weight be/s1")
        .map(|(_, answer)| answer.as_str())
        .collect();
    assert_eq!(
        weights,
        ["7 (initial 1)\n\n", "1 (initial 1)\n\n"],
        "live HAProxy"
    );
    for ((line, want), (_, got)) in live_answers.iter().zip(&emulated_answers) {
        compared += 1;
        let reload = line == "reload" || line == "hard-reload";
        if want != got && !(reload && report_is_cut_short(want, got)) {
            differences.push(format!(
                "`{line}`:\n--- live HAProxy {version}\n{want}--- emulator\n{got}"
            ));
        }
    }
    handle.shutdown().await;
    println!(
        "master CLI, HAProxy {version}: {compared} answers compared, {} differences",
        differences.len()
    );
    assert_eq!(compared, live_answers.len());
    assert!(compared >= 20, "the script ran short: {compared}");
    assert!(
        differences.is_empty(),
        "{} of {compared} master CLI answers differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
