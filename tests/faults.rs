//! Reliability under faults, through the MCP layer (tool calls, as a model makes them), not only
//! the client: a slow or frozen HAProxy, a stalled socket, a reply cut short, a connection closed
//! without a reply, garbage bytes, refused connections, a missing socket, an endless reply, and
//! HAProxy restarted under a running server. Each fault must give a clear `isError` result in
//! bounded time, and the next call (fault gone) must work without restarting anything.
//!
//! The emulator's fault modes (`Emulator::set_fault`) cover every fault deterministically; a real
//! HAProxy (`LiveHaproxy`: native, or the container named by `HAPROXY_LIVE_IMAGE`) is frozen,
//! restarted and made to answer past the reply cap for real.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use haproxy_emulator::{Emulator, Fault};
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, Limits, RuntimeClient};
use haproxy_mcp_server::mcp::{Settings, Target, Targets};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use support::LiveHaproxy;
use support::mcp::{fixtures, text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Short deadlines so that a fault shows within a second: connect 500 ms, command 300 ms. One
/// connection per command: a connection kept open from before a fault is injected would dodge
/// `refuse`, as it does on a real HAProxy that stops accepting (the kept connection's own
/// failures are in client_faults.rs).
fn short(cap: usize) -> ClientOptions {
    ClientOptions {
        keep_alive: Duration::ZERO,
        limits: Limits {
            connect_timeout: Duration::from_millis(500),
            command_timeout: Duration::from_millis(300),
            max_reply_bytes: cap,
        },
        read_retries: 1,
        retry_backoff: Duration::from_millis(50),
        ..ClientOptions::default()
    }
}

/// An in-process MCP server with one target `haproxy` on `endpoint` (client `options`), and an
/// rmcp client connected to it over an in-memory duplex.
async fn mcp(endpoint: Endpoint, options: ClientOptions) -> RunningService<RoleClient, ()> {
    let target = Target::new("haproxy", RuntimeClient::new(endpoint, options), false);
    let targets = Targets::new(vec![target], None).unwrap();
    ().serve(support::mcp::serve_in_memory(targets, Settings::default()))
        .await
        .expect("MCP handshake")
}

/// Calls a tool; returns the result and how long it took. A JSON-RPC (transport) error fails
/// the test: faults must come back as tool results.
async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Value,
) -> (CallToolResult, Duration) {
    let started = Instant::now();
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    let r = tokio::time::timeout(Duration::from_secs(20), client.call_tool(params))
        .await
        .unwrap_or_else(|_| panic!("{tool} did not return within 20 s"))
        .unwrap_or_else(|e| panic!("{tool}: transport error instead of a tool result: {e}"));
    (r, started.elapsed())
}

/// Asserts an `isError` result whose text holds every one of `expect`; returns the text.
fn assert_tool_error(what: &str, r: &CallToolResult, expect: &[&str]) -> String {
    let t = text(r);
    assert_eq!(
        r.is_error,
        Some(true),
        "{what}: expected an error, got: {t}"
    );
    assert!(t.starts_with("[haproxy] "), "{what}: names the target: {t}");
    for e in expect {
        assert!(t.contains(e), "{what}: the error should say {e:?}: {t}");
    }
    t
}

fn assert_ok(what: &str, r: &CallToolResult) {
    assert_ne!(r.is_error, Some(true), "{what}: {}", text(r));
}

/// An emulator of `version` on a TCP port (TCP, so that `refuse` means ECONNREFUSED).
async fn emulator(version: &str) -> (Emulator, haproxy_emulator::ServerHandle, Endpoint) {
    let emu = Emulator::load(fixtures(version)).expect("fixtures");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = emu.serve_tcp(listener);
    (emu, handle, Endpoint::tcp("127.0.0.1", port))
}

/// One fault case: the fault, the tool called while it is on, and what the error must say.
struct Case {
    fault: Fault,
    tool: &'static str,
    args: Value,
    expect: &'static [&'static str],
}

const TIMEOUT: &[&str] = &["did not finish its reply within 300ms", "What to do:"];
const NO_REPLY: &[&str] = &["closed the connection without replying", "What to do:"];
const CUT_SHORT: &[&str] = &["cut short"];
const REFUSED: &[&str] = &[
    "cannot connect to HAProxy at tcp://127.0.0.1:",
    "What to do:",
];

fn cases() -> Vec<Case> {
    let read = || ("show_info", json!({}));
    let list = || ("list_servers", json!({"backend": "be_app"}));
    let write = || ("clear_counters", json!({}));
    let weight = || {
        (
            "set_weight",
            json!({"backend": "be_app", "server": "app1", "weight": 1}),
        )
    };
    let mut out = Vec::new();
    let mut add = |fault: Fault, (tool, args): (&'static str, Value), expect| {
        out.push(Case {
            fault,
            tool,
            args,
            expect,
        })
    };
    // A slow HAProxy: each reply comes 5 s late; the 300 ms deadline answers first.
    add(Fault::Delay(Duration::from_secs(5)), read(), TIMEOUT);
    add(Fault::Delay(Duration::from_secs(5)), write(), TIMEOUT);
    // A stalled socket: accepted, read, never answered, never closed.
    add(Fault::Stall, read(), TIMEOUT);
    add(Fault::Stall, list(), TIMEOUT);
    add(Fault::Stall, weight(), TIMEOUT);
    // A connection closed without a reply.
    add(Fault::Close, read(), NO_REPLY);
    add(Fault::Close, write(), NO_REPLY);
    add(Fault::Close, weight(), NO_REPLY);
    // Replies cut short, at a line boundary (the worst case: what arrived parses), inside a
    // line, and after one byte.
    for n in [1, 14, 40, 300] {
        add(Fault::Truncate(n), read(), CUT_SHORT);
        add(Fault::Truncate(n), list(), CUT_SHORT);
    }
    add(Fault::Truncate(3), weight(), &[]);
    // Garbage bytes instead of a reply.
    add(Fault::Garbage, read(), &[]);
    add(Fault::Garbage, list(), &[]);
    add(Fault::Garbage, write(), &["not a known success"]);
    // Refused connections (the listener is closed).
    add(Fault::Refuse, read(), REFUSED);
    add(Fault::Refuse, write(), REFUSED);
    out
}

#[tokio::test]
async fn every_emulator_fault_is_a_clear_tool_error_and_the_next_call_works() {
    for version in ["2.6", "3.2"] {
        let (emu, _handle, endpoint) = emulator(version).await;
        let client = mcp(endpoint, short(1 << 20)).await;
        for case in cases() {
            let what = format!("{version} {} under {}", case.tool, case.fault);
            emu.set_fault(case.fault);
            let (r, took) = call(&client, case.tool, case.args.clone()).await;
            let t = assert_tool_error(&what, &r, case.expect);
            // Every fault answers within the deadlines (300 ms per exchange, 500 ms to connect,
            // one retry for reads); set_weight makes up to three exchanges.
            assert!(
                took < Duration::from_millis(2500),
                "{what}: took {took:?}: {t}"
            );
            // The fault goes away: the very next call works (a closed listener reopens in the
            // background, which the read retry absorbs).
            emu.set_fault(Fault::None);
            emu.reset();
            let (r, _) = call(&client, case.tool, case.args.clone()).await;
            assert_ok(&format!("{what}, then no fault"), &r);
        }
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_missing_socket_is_named_and_the_next_call_works_once_it_exists() {
    let dir = tempfile::Builder::new()
        .prefix("hf")
        .tempdir_in("/tmp")
        .unwrap();
    let path = dir.path().join("later.sock");
    let client = mcp(Endpoint::unix(&path), short(1 << 20)).await;
    let (r, took) = call(&client, "show_info", json!({})).await;
    let t = assert_tool_error(
        "missing socket",
        &r,
        &[
            "cannot connect to HAProxy at unix://",
            "later.sock",
            "What to do:",
        ],
    );
    assert!(took < Duration::from_secs(2), "{took:?}: {t}");
    let (r, _) = call(&client, "clear_counters", json!({})).await;
    assert_tool_error("missing socket, mutation", &r, &["later.sock"]);

    // HAProxy (here the emulator) comes up on that path: the same server, unchanged, now works.
    let emu = Emulator::load(fixtures("3.2")).unwrap();
    let _handle = emu.serve_unix(tokio::net::UnixListener::bind(&path).unwrap());
    let (r, _) = call(&client, "show_info", json!({})).await;
    assert_ok("socket now present", &r);
    client.cancel().await.unwrap();
}

/// A fake CLI that, while `endless` is set, answers every connection with an endless stream of
/// bytes (counting what it managed to write), and otherwise a well-formed `show version` reply.
async fn endless_listener(endless: Arc<AtomicBool>, written: Arc<AtomicU64>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let endless = endless.load(Ordering::SeqCst);
            let written = written.clone();
            tokio::spawn(async move {
                let mut line = [0u8; 256];
                let _ = s.read(&mut line).await;
                if !endless {
                    let _ = s.write_all(b"Name: HAProxy\nVersion: 9.9.9\n\n").await;
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                // Stops only when the client goes away.
                while s.write_all(&chunk).await.is_ok() {
                    written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn an_endless_reply_is_cut_off_at_the_cap_naming_it() {
    const CAP: usize = 1 << 20;
    let endless = Arc::new(AtomicBool::new(true));
    let written = Arc::new(AtomicU64::new(0));
    let port = endless_listener(endless.clone(), written.clone()).await;
    let options = ClientOptions {
        limits: Limits {
            // Long enough that only the cap can end the exchange.
            command_timeout: Duration::from_secs(15),
            ..short(CAP).limits
        },
        ..short(CAP)
    };
    let client = mcp(Endpoint::tcp("127.0.0.1", port), options).await;
    let (r, took) = call(&client, "show_info", json!({})).await;
    let t = assert_tool_error(
        "endless reply",
        &r,
        &["exceeded the 1048576-byte cap", "show info"],
    );
    assert!(took < Duration::from_secs(3), "{took:?}: {t}");
    // The client hung up: the writer stops soon after the cap (what sits in socket buffers
    // aside), instead of streaming forever into memory.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_stop = written.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        written.load(Ordering::SeqCst),
        at_stop,
        "the endless writer is still being read"
    );
    assert!(
        at_stop < 16 * CAP as u64,
        "{at_stop} bytes were read for a {CAP}-byte cap"
    );

    endless.store(false, Ordering::SeqCst);
    let (r, _) = call(&client, "show_info", json!({})).await;
    assert_ok("a normal reply after the endless one", &r);
    client.cancel().await.unwrap();
}

// ---- a real HAProxy -----------------------------------------------------------------------------

/// Short deadlines for a real HAProxy: 500 ms per command.
fn live_short() -> ClientOptions {
    ClientOptions {
        limits: Limits {
            command_timeout: Duration::from_millis(500),
            ..short(64 << 20).limits
        },
        ..short(64 << 20)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_haproxy_hits_the_deadline_then_recovers() {
    let Some(live) = LiveHaproxy::start("a_frozen_haproxy_hits_the_deadline_then_recovers").await
    else {
        return;
    };
    let client = mcp(live.admin_unix(), live_short()).await;
    let (r, _) = call(&client, "show_info", json!({})).await;
    assert_ok("before", &r);

    live.pause().await;
    let (r, took) = call(&client, "show_info", json!({})).await;
    let t = assert_tool_error(
        "frozen HAProxy",
        &r,
        &["did not finish its reply within 500ms", "What to do:"],
    );
    assert!(took < Duration::from_secs(2), "{took:?}: {t}");
    // A mutation that times out may still be applied once HAProxy wakes up (the command sits
    // in its socket buffer): the error must not invite a blind retry.
    let hosts = live.conf_file("hosts.map");
    let (r, _) = call(
        &client,
        "add_map_entry",
        json!({"map": hosts, "key": "frozen.example.com", "value": "be_app"}),
    )
    .await;
    let t = assert_tool_error("frozen HAProxy, mutation", &r, &["within 500ms"]);
    assert!(
        t.contains("may have been applied") || t.contains("may still have been applied"),
        "a timed-out mutation must say its outcome is unknown: {t}"
    );
    live.resume().await;

    let (r, _) = call(&client, "show_info", json!({})).await;
    assert_ok("after resume", &r);
    // Whether or not the queued command ran, the state is readable and consistent.
    let entries = live.raw(&format!("show map {hosts}"));
    assert!(
        entries.matches("frozen.example.com").count() <= 1,
        "{entries}"
    );
    client.cancel().await.unwrap();
}

/// What a call made while HAProxy is down may answer: a connect failure, or (caught in the
/// middle of going down) a closed or reset connection. Never a success, never a hang.
const DOWN_ERRORS: &[&str] = &[
    "cannot connect to HAProxy at unix://",
    "closed the connection without replying",
    "I/O error talking to HAProxy",
    "did not finish its reply",
    "cut short",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_restarted_mid_run_fails_cleanly_then_works_without_restarting_us() {
    let Some(mut live) = LiveHaproxy::start(
        "haproxy_restarted_mid_run_fails_cleanly_then_works_without_restarting_us",
    )
    .await
    else {
        return;
    };
    let client = Arc::new(mcp(live.admin_unix(), live_short()).await);

    // A caller keeps asking while HAProxy goes away and comes back.
    let running = Arc::new(AtomicBool::new(true));
    let poller = {
        let (client, running) = (client.clone(), running.clone());
        tokio::spawn(async move {
            let mut log = Vec::new();
            while running.load(Ordering::SeqCst) {
                let (r, took) = call(&client, "show_info", json!({})).await;
                log.push((r.is_error == Some(true), text(&r), took));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            log
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    live.stop().await;
    // While it is down, every call fails cleanly (the poller keeps going meanwhile).
    let (r, took) = call(
        &client,
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 5}),
    )
    .await;
    let t = assert_tool_error("HAProxy down, mutation", &r, &["cannot connect to HAProxy"]);
    assert!(took < Duration::from_secs(2), "{took:?}: {t}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    live.start_again().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.store(false, Ordering::SeqCst);
    let log = poller.await.unwrap();

    let failures: Vec<&(bool, String, Duration)> = log.iter().filter(|(e, _, _)| *e).collect();
    assert!(!failures.is_empty(), "no call saw HAProxy down: {log:?}");
    for (_, t, took) in &failures {
        assert!(
            DOWN_ERRORS.iter().any(|e| t.contains(e)),
            "an unclear error while HAProxy was down: {t}"
        );
        assert!(*took < Duration::from_secs(3), "{took:?}: {t}");
    }
    let first_failure = log.iter().position(|(e, _, _)| *e).unwrap();
    assert!(first_failure > 0, "calls worked before the stop: {log:?}");
    let (last_ok, last_text, _) = log.last().unwrap();
    assert!(
        !last_ok,
        "the last call, after the restart, must work: {last_text}"
    );

    // The same MCP session, never restarted, changes the new HAProxy.
    let (r, _) = call(
        &client,
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 7}),
    )
    .await;
    assert_ok("mutation after the restart", &r);
    let state = live.raw("show servers state be_app");
    let row: Vec<&str> = state
        .lines()
        .find(|l| l.split(' ').nth(3) == Some("app1"))
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(row[7], "7", "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_reply_over_the_cap_is_refused_naming_the_cap() {
    let Some(live) =
        LiveHaproxy::start("a_real_reply_over_the_cap_is_refused_naming_the_cap").await
    else {
        return;
    };
    let options = ClientOptions {
        limits: Limits {
            max_reply_bytes: 1024,
            ..live_short().limits
        },
        ..live_short()
    };
    let client = mcp(live.admin_unix(), options).await;
    // `show stat` is several kilobytes.
    let (r, _) = call(&client, "show_stat", json!({})).await;
    assert_tool_error(
        "show stat over a 1 KB cap",
        &r,
        &["exceeded the 1024-byte cap", "What to do:"],
    );
    // A small reply still fits: the client is not left in a broken state.
    let (r, _) = call(
        &client,
        "get_map",
        json!({"map": live.conf_file("hosts.map"), "value": "api.example.com"}),
    )
    .await;
    assert_ok("small reply under the cap", &r);
    client.cancel().await.unwrap();
}
