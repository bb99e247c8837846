//! Each fault mode is observable by a client.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::*;
use haproxy_emulator::capture::{Endpoint, exchange};
use haproxy_emulator::{Emulator, Fault};

async fn setup() -> (Running, Vec<u8>) {
    let dir = version_dirs()
        .pop()
        .expect("no fixtures/<version>/ folders");
    let fixtures = load(&dir);
    let run = Running::start(Emulator::load(&dir).unwrap()).await;
    let version = first(&fixtures, "show version");
    (run, version)
}

async fn try_cmd(ep: &Endpoint, timeout_ms: u64) -> std::io::Result<Vec<u8>> {
    exchange(ep, b"show version\n", Duration::from_millis(timeout_ms)).await
}

#[tokio::test]
async fn delay() {
    let (run, version) = setup().await;
    run.emulator.set_fault("delay=400".parse().unwrap());
    for ep in [&run.tcp_ep, &run.unix_ep] {
        let start = Instant::now();
        assert_eq!(try_cmd(ep, 3000).await.unwrap(), version);
        assert!(start.elapsed() >= Duration::from_millis(400));
    }
    run.emulator.set_fault(Fault::None);
    let start = Instant::now();
    assert_eq!(try_cmd(&run.tcp_ep, 3000).await.unwrap(), version);
    assert!(start.elapsed() < Duration::from_millis(400));
    run.stop().await;
}

#[tokio::test]
async fn stall() {
    let (run, _) = setup().await;
    run.emulator.set_fault(Fault::Stall);
    for ep in [&run.tcp_ep, &run.unix_ep] {
        let err = try_cmd(ep, 600).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
    }
    run.stop().await;
}

#[tokio::test]
async fn close() {
    let (run, _) = setup().await;
    run.emulator.set_fault(Fault::Close);
    for ep in [&run.tcp_ep, &run.unix_ep] {
        assert_eq!(try_cmd(ep, 2000).await.unwrap(), b"");
    }
    run.stop().await;
}

#[tokio::test]
async fn truncate() {
    let (run, version) = setup().await;
    run.emulator.set_fault(Fault::Truncate(3));
    for ep in [&run.tcp_ep, &run.unix_ep] {
        assert_eq!(try_cmd(ep, 2000).await.unwrap(), &version[..3]);
    }
    run.stop().await;
}

#[tokio::test]
async fn garbage() {
    let (run, version) = setup().await;
    run.emulator.set_fault(Fault::Garbage);
    for ep in [&run.tcp_ep, &run.unix_ep] {
        let got = try_cmd(ep, 2000).await.unwrap();
        assert_ne!(got, version);
        assert!(
            std::str::from_utf8(&got).is_err(),
            "garbage should not be UTF-8"
        );
    }
    run.stop().await;
}

#[tokio::test]
async fn refuse_then_recover() {
    let (run, version) = setup().await;
    run.emulator.set_fault(Fault::Refuse);
    tokio::time::sleep(Duration::from_millis(100)).await;
    for ep in [&run.tcp_ep, &run.unix_ep] {
        let err = try_cmd(ep, 2000).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{ep}");
    }
    run.emulator.set_fault(Fault::None);
    tokio::time::sleep(Duration::from_millis(100)).await;
    for ep in [&run.tcp_ep, &run.unix_ep] {
        assert_eq!(try_cmd(ep, 2000).await.unwrap(), version, "{ep}");
    }
    run.stop().await;
}
