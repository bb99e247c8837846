//! The emulator's protocol behaviour, per version, against the recorded fixtures: ordered
//! replay of change-then-read sequences, unknown commands, `;` pipelining, prompt mode,
//! payloads, levels, line limits, shutdown, and hostile input.

mod common;

use std::time::Duration;

use common::*;
use haproxy_emulator::{Emulator, Level, Version};

fn strip(reply: &[u8]) -> &[u8] {
    reply.strip_suffix(b"\n").unwrap_or(reply)
}

async fn each_version<F, Fut>(test: F)
where
    F: Fn(std::path::PathBuf, Vec<haproxy_emulator::Fixture>, Running) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dirs = version_dirs();
    assert!(!dirs.is_empty(), "no fixtures/<version>/ folders");
    for dir in dirs {
        let fixtures = load(&dir);
        let run = Running::start(Emulator::load(&dir).unwrap()).await;
        test(dir, fixtures, run).await;
    }
}

#[tokio::test]
async fn change_then_read_plays_back_in_order_then_repeats_the_last() {
    each_version(|dir, fixtures, run| async move {
        let expected = recorded(&fixtures, Level::Admin, "show servers state be_app");
        assert!(expected.len() > 3, "{}", dir.display());
        for (i, reply) in expected.iter().enumerate() {
            let got = cmd(&run.tcp_ep, "show servers state be_app").await;
            assert_eq!(got, *reply, "{} reply #{i}", dir.display());
        }
        // used up: the last one again
        let again = cmd(&run.unix_ep, "show  servers   state be_app").await;
        assert_eq!(&again, expected.last().unwrap());
        // the dynamic server appears after `add server` in the recording
        let text: Vec<String> = expected
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        assert!(!text[0].contains(" dyn1 "));
        assert!(text.iter().any(|t| t.contains(" dyn1 ")));
        // reset rewinds
        run.emulator.reset();
        assert_eq!(
            cmd(&run.tcp_ep, "show servers state be_app").await,
            expected[0]
        );
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_commands_get_the_versions_reply() {
    each_version(|dir, fixtures, run| async move {
        let version = run.emulator.version();
        let got = cmd(&run.tcp_ep, "frobnicate the server").await;
        let header = if version >= Version::new(2, 7, 0) {
            "Unknown command: 'frobnicate', but maybe one of the following ones is a better match:\n"
        } else {
            "Unknown command, but maybe one of the following ones is a better match:\n"
        };
        assert!(got.starts_with(header.as_bytes()), "{}: {}", dir.display(), show(&got));
        assert!(got.ends_with(b"  quit                                    : disconnect\n\n"), "{}", show(&got));
        // the recorded `foobar` replays verbatim (HAProxy's fuzzy suggestions included)
        assert_eq!(cmd(&run.tcp_ep, "foobar").await, first(&fixtures, "foobar"));
        // a command recorded only at admin level is unknown at user level
        let user = cmd(&run.user_ep, "show servers conn be_app").await;
        assert!(user.starts_with(b"Unknown command"), "{}", show(&user));
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn semicolon_pipelining_answers_each_command_in_turn() {
    each_version(|dir, fixtures, run| async move {
        let got = cmd(
            &run.tcp_ep,
            "show version;show cli level;get weight be_app/app2",
        )
        .await;
        let mut expected = first(&fixtures, "show version");
        expected.extend(first(&fixtures, "show cli level"));
        expected.extend(first(&fixtures, "get weight be_app/app2"));
        assert!(got == expected, "{}: {}", dir.display(), show(&got));
        // an escaped `;` is not a separator: one (unrecorded) command
        let got = cmd(&run.tcp_ep, r"show version\;show cli level").await;
        assert!(got.starts_with(b"Unknown command"), "{}", show(&got));
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn lf_pipelining_depends_on_the_version() {
    each_version(|dir, fixtures, run| async move {
        let version = first(&fixtures, "show version");
        let got = send(&run.tcp_ep, b"show version\nshow version\n").await;
        let mut both = version.clone();
        both.extend_from_slice(&version);
        if run.emulator.version().major >= 3 {
            assert_eq!(
                got,
                version,
                "{}: 3.x runs only the first line",
                dir.display()
            );
        } else {
            assert_eq!(got, both, "{}: 2.x runs the buffered lines", dir.display());
        }
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn prompt_mode() {
    each_version(|dir, fixtures, run| async move {
        let v = run.emulator.version();
        let version = first(&fixtures, "show version");
        let level = first(&fixtures, "show cli level");
        let mut c = Conn::open(&run.tcp_ep).await;
        c.write(b"prompt\n").await;
        assert_eq!(c.read_until(b"> ").await, b"\n> ");
        c.write(b"show version\n").await;
        let mut expected = strip(&version).to_vec();
        expected.extend_from_slice(b"\n> ");
        assert_eq!(c.read_until(b"\n> ").await, expected, "{}", dir.display());
        // two commands on one line
        c.write(b"show version;show cli level\n").await;
        let mut expected = strip(&version).to_vec();
        if v >= Version::new(3, 2, 0) {
            expected.extend_from_slice(b"\n");
        } else {
            expected.extend_from_slice(b"\n> ");
        }
        expected.extend_from_slice(strip(&level));
        expected.extend_from_slice(b"\n> ");
        let got = c.read_until(&expected[expected.len() - 8..]).await;
        assert!(got == expected, "{}: {}", dir.display(), show(&got));
        // lowering the level changes which recordings answer
        c.write(b"user\n").await;
        assert_eq!(c.read_until(b"\n> ").await, b"\n> ");
        c.write(b"show cli level\n").await;
        assert_eq!(c.read_until(b"\n> ").await, b"user\n\n> ");
        c.write(b"operator\n").await;
        assert_eq!(c.read_until(b"\n> ").await, b"Permission denied\n\n> ");
        // an empty line
        c.write(b"\n").await;
        let got = c.read_until(b"\n> ").await;
        if v >= Version::new(2, 8, 0) {
            assert_eq!(got, b"\n> ");
        } else {
            assert!(got.starts_with(b"Unknown command. Please enter"));
        }
        c.write(b"quit\n").await;
        assert_eq!(c.read_to_end().await, b"");
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn prompt_toggles_back_to_non_interactive() {
    each_version(|dir, fixtures, run| async move {
        let version = first(&fixtures, "show version");
        let mut c = Conn::open(&run.tcp_ep).await;
        c.write(b"prompt\n").await;
        c.read_until(b"\n> ").await;
        c.write(b"prompt\n").await;
        assert_eq!(c.read_until(b"\n").await, b"\n", "{}", dir.display());
        c.write(b"show version\n").await;
        // that was the session's last line in non-interactive mode: already closed
        let rest = c.read_to_end().await;
        assert!(rest.is_empty() || rest == version, "{}", show(&rest));
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn payload_in_prompt_mode_gets_plus_prompts() {
    each_version(|dir, fixtures, run| async move {
        let add = fixtures
            .iter()
            .find(|f| !f.payload.is_empty() && f.command.starts_with("add map"))
            .expect("a payload fixture");
        let mut c = Conn::open(&run.tcp_ep).await;
        c.write(b"prompt\n").await;
        c.read_until(b"\n> ").await;
        c.write(format!("{}\n", add.command).as_bytes()).await;
        assert_eq!(c.read_until(b"+ ").await, b"+ ");
        for line in &add.payload {
            c.write(format!("{line}\n").as_bytes()).await;
            assert_eq!(c.read_until(b"+ ").await, b"+ ");
        }
        c.write(b"\n").await;
        let mut expected = strip(&add.reply).to_vec();
        expected.extend_from_slice(b"\n> ");
        assert_eq!(c.read_until(b"\n> ").await, expected, "{}", dir.display());
        // the payload is part of the key: a different payload was never recorded
        let other = format!("{}\nother.example.com be_app\n\n", add.command);
        let got = send(&run.tcp_ep, other.as_bytes()).await;
        assert!(got.starts_with(b"Unknown command"), "{}", show(&got));
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn levels_are_per_socket() {
    each_version(|dir, fixtures, run| async move {
        assert_eq!(cmd(&run.user_ep, "show cli level").await, b"user\n\n");
        assert_eq!(cmd(&run.tcp_ep, "show cli level").await, b"admin\n\n");
        let denied = recorded(&fixtures, Level::User, "set weight be_app/app1 10");
        assert_eq!(
            cmd(&run.user_ep, "set weight be_app/app1 10").await,
            denied[0],
            "{}",
            dir.display()
        );
        assert_eq!(denied[0], b"Permission denied\n\n");
        let hidden = cmd(&run.user_ep, "show table st_clients").await;
        assert!(
            String::from_utf8_lossy(&hidden).contains("insufficient privileges"),
            "{}",
            show(&hidden)
        );
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn over_long_lines() {
    each_version(|dir, _fixtures, run| async move {
        let mut line = vec![b'x'; 20_000];
        line.push(b'\n');
        let got =
            haproxy_emulator::capture::exchange(&run.tcp_ep, &line, Duration::from_millis(700))
                .await;
        match run.emulator.version().too_big_message() {
            Some(message) => assert_eq!(got.unwrap(), message.as_bytes(), "{}", dir.display()),
            None => assert_eq!(
                got.unwrap_err().kind(),
                std::io::ErrorKind::TimedOut,
                "{}: 2.x hangs",
                dir.display()
            ),
        }
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn hostile_input_never_breaks_the_emulator() {
    each_version(|_dir, fixtures, run| async move {
        let inputs: Vec<Vec<u8>> = vec![
            b"\xff\xfe\x00\x01\n".to_vec(),
            b"\\\\\\\n".to_vec(),
            b";;;;\n".to_vec(),
            b"<<\n\n".to_vec(),
            b"add map #4 <<EOF\nx\nEOF\n".to_vec(),
            b"show\tversion\r\n".to_vec(),
            vec![b' '; 300],
            (0..=255u8).collect(),
            format!("{}\n", vec!["w"; 100].join(" ")).into_bytes(),
        ];
        for input in inputs {
            let _ = haproxy_emulator::capture::exchange(
                &run.tcp_ep,
                &input,
                Duration::from_millis(500),
            )
            .await;
        }
        assert_eq!(
            cmd(&run.tcp_ep, "show version").await,
            first(&fixtures, "show version")
        );
        run.stop().await;
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_listeners_and_removes_the_socket() {
    let dir = version_dirs().pop().expect("fixtures");
    let run = Running::start(Emulator::load(&dir).unwrap()).await;
    let haproxy_emulator::capture::Endpoint::Unix(path) = run.unix_ep.clone() else {
        unreachable!()
    };
    assert!(path.exists());
    let tcp_ep = run.tcp_ep.clone();
    run.stop().await;
    assert!(!path.exists(), "socket file left behind");
    let err =
        haproxy_emulator::capture::exchange(&tcp_ep, b"show version\n", Duration::from_secs(2))
            .await
            .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn a_configuration_the_recordings_did_not_run_is_refused() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut emulator = Emulator::load_engine(
        root.join("3.2"),
        haproxy_emulator::Options::default(),
        haproxy_emulator::Engine::Model,
    )
    .unwrap();
    let other = "defaults web\n    mode tcp\nbackend be_app\n    server a 127.0.0.1:1\nbackend be_elsewhere\n    server b 127.0.0.1:2\n";
    let err = emulator.apply_config(other).unwrap_err();
    assert!(err.contains("(be_elsewhere)"), "{err}");
    assert!(
        err.contains("not built from a configuration alone"),
        "{err}"
    );
    // The capture's own configuration completes the seed.
    let capture = std::fs::read_to_string(root.join("haproxy.cfg")).unwrap();
    emulator.apply_config(&capture).unwrap();
}

#[tokio::test]
async fn an_unknown_command_gets_haproxys_suggestions_as_recorded() {
    // Each capture sent `foobar` to real HAProxy: the emulator's own answer, built from the
    // version's `help` by HAProxy's fuzzy match, must be the recorded one byte for byte.
    for dir in version_dirs() {
        let fixtures = load(&dir);
        let recorded = fixtures
            .iter()
            .find(|f| f.command == "foobar")
            .unwrap_or_else(|| panic!("{}: no recorded foobar", dir.display()));
        let emulator = Emulator::load(&dir).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&emulator.unknown_command_reply("foobar")),
            String::from_utf8_lossy(&recorded.reply),
            "{}",
            dir.display()
        );
    }
}
