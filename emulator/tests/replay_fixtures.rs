//! Every fixture of every version present replays byte for byte, over TCP and over the Unix
//! socket, in recorded order.

mod common;

use common::*;
use haproxy_emulator::{Emulator, Level};

async fn replay_all(dir: &std::path::Path, over_unix: bool) {
    let fixtures = load(dir);
    let run = Running::start(Emulator::load(dir).unwrap()).await;
    let admin = if over_unix { &run.unix_ep } else { &run.tcp_ep };
    for f in &fixtures {
        let ep = match f.socket {
            Level::User => &run.user_ep,
            _ => admin,
        };
        let got = send(ep, &f.request_bytes()).await;
        assert!(
            got == f.reply,
            "{}: fixture {:04} `{}` ({}) over {}:\n got      {}\n expected {}",
            dir.display(),
            f.seq,
            f.command,
            f.socket,
            if over_unix { "unix" } else { "tcp" },
            show(&got),
            show(&f.reply)
        );
    }
    run.stop().await;
}

#[tokio::test]
async fn every_fixture_replays_byte_for_byte_over_tcp_and_unix() {
    let dirs = version_dirs();
    assert!(
        !dirs.is_empty(),
        "no fixtures/<version>/ folders: record them with `make fixtures`"
    );
    for dir in &dirs {
        replay_all(dir, false).await;
        replay_all(dir, true).await;
        eprintln!("replayed {} ({} fixtures)", dir.display(), load(dir).len());
    }
}

#[tokio::test]
async fn fixture_folders_are_well_formed() {
    for dir in version_dirs() {
        let fixtures = load(&dir);
        let emulator = Emulator::load(&dir).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let v = emulator.version();
        assert_eq!(
            format!("{}.{}", v.major, v.minor),
            name,
            "{} holds fixtures of HAProxy {}",
            dir.display(),
            emulator.haproxy()
        );
        for (i, f) in fixtures.iter().enumerate() {
            assert_eq!(f.seq as usize, i + 1, "{}: sequence gap", dir.display());
            assert!(
                f.config.contains("sha256:"),
                "{}: no config hash",
                dir.display()
            );
        }
    }
}
