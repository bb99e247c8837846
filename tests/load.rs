//! Bounded load against a live HAProxy, through every transport a client uses: several rmcp
//! clients over Streamable HTTP (the in-process `transport::http::serve` on 127.0.0.1:0) and a few
//! child processes of the built binary over stdio, all at once.
//!
//! What must hold:
//! * every reply matches its request (each server and map lookup answers with what HAProxy holds
//!   for exactly the key asked, which is distinct per call): nothing crossed or garbled;
//! * each client keeps to its `max_connections` (a counting proxy sits between each MCP server
//!   and HAProxy), so HAProxy's CLI connection limit (`stats maxconn`, 10, shared by every CLI
//!   socket) is never exhausted: a watcher keeps running raw `show info` on the admin socket
//!   during the load and it always answers promptly;
//! * every mutation lands exactly once (N distinct add_map_entry calls give exactly N entries,
//!   set_weight on distinct servers gives each its own weight).
//!
//! Bounded: a fixed number of calls, and the whole test must finish within 60 s.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, RuntimeClient};
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Target, Targets};
use haproxy_mcp_server::transport::http::{HttpOptions, serve};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RunningService, ServiceExt};
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{Peer, RoleClient};
use serde_json::{Value, json};
use support::{LiveHaproxy, raw_exchange};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");

/// HTTP clients, and the calls each makes.
const HTTP_CLIENTS: usize = 4;
/// Child processes over stdio.
const STDIO_CHILDREN: usize = 3;
/// Map entries each client adds (distinct keys).
const ADDS_PER_CLIENT: usize = 15;
/// Lookups of original map entries each client makes during the adds.
const READS_PER_CLIENT: usize = 15;
/// Connection limits: the in-process HTTP server's client, and each child's.
const HTTP_MAX_CONNECTIONS: usize = 3;
const STDIO_MAX_CONNECTIONS: usize = 2;
/// HAProxy's default `stats maxconn`, shared by every CLI socket.
const HAPROXY_CLI_MAXCONN: usize = 10;

// ---- a counting proxy -----------------------------------------------------------------------------

/// Connection counts seen by one proxy, plus a count shared by all of them.
#[derive(Default)]
struct Counts {
    current: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

/// A Unix-socket proxy in front of HAProxy's admin socket that counts open connections. A
/// connection stops counting before the client can see its end (EOF), so the count never lags
/// behind the client's own bookkeeping.
async fn counting_proxy(
    listen: PathBuf,
    upstream: PathBuf,
    mine: Arc<Counts>,
    all: Arc<Counts>,
) -> PathBuf {
    let listener = UnixListener::bind(&listen).unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, mine, all) = (upstream.clone(), mine.clone(), all.clone());
            for c in [&mine, &all] {
                let now = c.current.fetch_add(1, Ordering::SeqCst) + 1;
                c.peak.fetch_max(now, Ordering::SeqCst);
                c.total.fetch_add(1, Ordering::SeqCst);
            }
            tokio::spawn(async move {
                let release = || {
                    for c in [&mine, &all] {
                        c.current.fetch_sub(1, Ordering::SeqCst);
                    }
                };
                let Ok(up) = UnixStream::connect(&upstream).await else {
                    release();
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut ur, mut uw) = up.into_split();
                let to_haproxy = async {
                    let _ = tokio::io::copy(&mut cr, &mut uw).await;
                    let _ = uw.shutdown().await;
                };
                let to_client = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        match ur.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if cw.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    release();
                    let _ = cw.shutdown().await;
                };
                tokio::join!(to_haproxy, to_client);
            });
        }
    });
    listen
}

// ---- the clients ------------------------------------------------------------------------------------

/// One MCP client: a peer to call tools on, and what keeps its transport alive.
struct Client {
    name: String,
    peer: Peer<RoleClient>,
    service: RunningService<RoleClient, ()>,
}

async fn call(peer: &Peer<RoleClient>, tool: &str, args: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    peer.call_tool(params)
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: transport error: {e}"))
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The structured content of a call that must succeed.
fn ok(what: &str, r: &CallToolResult) -> Value {
    assert_ne!(r.is_error, Some(true), "{what}: {}", text(r));
    r.structured_content.clone().unwrap_or(Value::Null)
}

/// Servers and the distinct weight each one gets (be_static's static-rr takes only 0/100%).
const WEIGHTS: &[(&str, &str, u64)] = &[
    ("be_app", "app1", 11),
    ("be_app", "app2", 22),
    ("be_app", "app3", 33),
    ("be_app", "app4", 44),
    ("be_app", "app_backup", 55),
    ("be_api", "api1", 66),
    ("be_api", "api2", 77),
    ("be_tcp", "tcp1", 88),
];

/// The map's original entries.
const ORIGINAL: &[(&str, &str)] = &[
    ("app.example.com", "be_app"),
    ("api.example.com", "be_api"),
    ("static.example.com", "be_static"),
];

fn added(client: usize, i: usize) -> (String, String) {
    (
        format!("load-{client}-{i}.example.com"),
        format!("be_load_{client}_{i}"),
    )
}

/// Checks a get_map answer: HAProxy's own key and value for the lookup are the expected ones.
fn check_lookup(who: &str, out: &Value, key: &str, value: &str) {
    assert_eq!(out["found"], true, "{who}: {key} not found: {out}");
    assert_eq!(out["lookup"], key, "{who}: {out}");
    assert_eq!(
        out["key"], key,
        "{who}: asked {key}, HAProxy's answer names {out}"
    );
    assert_eq!(out["value"], value, "{who}: {key} -> {out}");
}

/// Phase one for client `c`: its share of the mutations (distinct map keys, and the weights of
/// the servers whose index is `c` modulo the number of clients) interleaved with lookups of the
/// original entries.
async fn phase_one(c: usize, clients: usize, peer: Peer<RoleClient>, map: String) {
    let mut calls = Vec::new();
    for i in 0..ADDS_PER_CLIENT.max(READS_PER_CLIENT) {
        if i < ADDS_PER_CLIENT {
            let (peer, map) = (peer.clone(), map.clone());
            calls.push(tokio::spawn(async move {
                let (k, v) = added(c, i);
                let r = call(
                    &peer,
                    "add_map_entry",
                    json!({"map": map, "key": k, "value": v}),
                )
                .await;
                ok(&format!("client {c} add {k}"), &r);
            }));
        }
        if i < READS_PER_CLIENT {
            let (peer, map) = (peer.clone(), map.clone());
            calls.push(tokio::spawn(async move {
                let (k, v) = ORIGINAL[(c + i) % ORIGINAL.len()];
                let r = call(&peer, "get_map", json!({"map": map, "value": k})).await;
                check_lookup(&format!("client {c} read {i}"), &ok("get_map", &r), k, v);
            }));
        }
    }
    for (n, (b, s, w)) in WEIGHTS.iter().enumerate() {
        if n % clients == c {
            let peer = peer.clone();
            calls.push(tokio::spawn(async move {
                let r = call(
                    &peer,
                    "set_weight",
                    json!({"backend": b, "server": s, "weight": w}),
                )
                .await;
                ok(&format!("client {c} set_weight {b}/{s}"), &r);
            }));
        }
    }
    for t in calls {
        t.await.unwrap();
    }
}

/// Phase two for client `c`: every entry any client added, and every weighted server, read back
/// concurrently, each answer naming exactly what was asked.
async fn phase_two(c: usize, clients: usize, peer: Peer<RoleClient>, map: String) {
    let mut calls = Vec::new();
    for other in 0..clients {
        for i in (c % 3..ADDS_PER_CLIENT).step_by(3) {
            let (peer, map) = (peer.clone(), map.clone());
            calls.push(tokio::spawn(async move {
                let (k, v) = added(other, i);
                let r = call(&peer, "get_map", json!({"map": map, "value": k})).await;
                check_lookup(&format!("client {c}"), &ok("get_map", &r), &k, &v);
            }));
        }
    }
    for (b, s, w) in WEIGHTS {
        let peer = peer.clone();
        calls.push(tokio::spawn(async move {
            let r = call(&peer, "get_server", json!({"backend": b, "server": s})).await;
            let out = ok(&format!("client {c} get_server {b}/{s}"), &r);
            let srv = &out["server"];
            assert_eq!(srv["backend"], *b, "asked {b}/{s}: {out}");
            assert_eq!(srv["name"], *s, "asked {b}/{s}: {out}");
            assert_eq!(srv["weight"], *w, "asked {b}/{s}: {out}");
        }));
    }
    for t in calls {
        t.await.unwrap();
    }
}

/// Watches HAProxy's own admin socket during the load: raw `show info` must always answer (an
/// operator is never locked out of the CLI). Returns (answers, slowest); how fast it answers is
/// a figure for `make bench` (benches/system.rs), not a pass/fail here.
fn watcher(sock: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(usize, Duration)> {
    std::thread::spawn(move || {
        let (mut answers, mut slowest) = (0usize, Duration::ZERO);
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            let reply = raw_exchange(&sock, "show info\n")
                .unwrap_or_else(|e| panic!("HAProxy's admin socket did not answer: {e}"));
            let took = started.elapsed();
            assert!(
                reply.starts_with("Name: HAProxy"),
                "show info during the load: {reply:?}"
            );
            answers += 1;
            slowest = slowest.max(took);
            std::thread::sleep(Duration::from_millis(20));
        }
        (answers, slowest)
    })
}

/// The in-process HTTP server on 127.0.0.1:0, its MCP server's client going through `endpoint`.
async fn http_server(endpoint: Endpoint, shutdown: CancellationToken) -> std::net::SocketAddr {
    let options = ClientOptions {
        max_connections: HTTP_MAX_CONNECTIONS,
        ..ClientOptions::default()
    };
    let target = Target::new("haproxy", RuntimeClient::new(endpoint, options), false);
    let server = HaproxyMcp::new(
        Targets::new(vec![target], None).unwrap(),
        Settings::default(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        serve(
            server,
            "127.0.0.1:0".parse().unwrap(),
            &HttpOptions::default(),
            shutdown,
            move |a| {
                let _ = tx.send(a);
            },
        )
        .await
        .expect("HTTP server");
    });
    rx.await.expect("bound address")
}

async fn stdio_child(socket: &Path, n: usize) -> Client {
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        for var in [
            "HAPROXY_MCP_CONFIG",
            "HAPROXY_MCP_EMULATOR",
            "HAPROXY_RUNTIME_MODE",
        ] {
            c.env_remove(var);
        }
        c.env("HAPROXY_RUNTIME_SOCKET", socket)
            .env("HAPROXY_MAX_CONNECTIONS", STDIO_MAX_CONNECTIONS.to_string())
            .env("LOG_LEVEL", "warn")
            .stderr(Stdio::null());
    });
    let service = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    Client {
        name: format!("stdio #{n}"),
        peer: service.peer().clone(),
        service,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_over_http_and_stdio_against_live_haproxy() {
    let Some(live) =
        LiveHaproxy::start("concurrent_clients_over_http_and_stdio_against_live_haproxy").await
    else {
        return;
    };
    let started = Instant::now();
    let map = live.conf_file("hosts.map");
    let admin = live.dir().join("admin.sock");
    let all = Arc::new(Counts::default());
    let proxy_dir = tempfile::Builder::new()
        .prefix("hl")
        .tempdir_in("/tmp")
        .unwrap();

    // HTTP: one in-process server, several rmcp clients.
    let http_counts = Arc::new(Counts::default());
    let http_sock = counting_proxy(
        proxy_dir.path().join("http.sock"),
        admin.clone(),
        http_counts.clone(),
        all.clone(),
    )
    .await;
    let shutdown = CancellationToken::new();
    let addr = http_server(Endpoint::unix(&http_sock), shutdown.clone()).await;
    let mut clients = Vec::new();
    for n in 0..HTTP_CLIENTS {
        let transport = StreamableHttpClientTransport::from_uri(format!("http://{addr}/mcp"));
        let service = ().serve(transport).await.expect("HTTP MCP client");
        clients.push(Client {
            name: format!("http #{n}"),
            peer: service.peer().clone(),
            service,
        });
    }
    // stdio: child processes of the built binary, each behind its own counting proxy.
    let mut stdio_counts = Vec::new();
    for n in 0..STDIO_CHILDREN {
        let counts = Arc::new(Counts::default());
        let sock = counting_proxy(
            proxy_dir.path().join(format!("stdio{n}.sock")),
            admin.clone(),
            counts.clone(),
            all.clone(),
        )
        .await;
        stdio_counts.push(counts);
        clients.push(stdio_child(&sock, n).await);
    }
    let before_map = live.raw(&format!("show map {map}"));
    assert_eq!(before_map.lines().filter(|l| !l.is_empty()).count(), 3);

    let stop = Arc::new(AtomicBool::new(false));
    let watch = watcher(admin.clone(), stop.clone());
    let n = clients.len();
    let load = async {
        let one: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(c, cl)| tokio::spawn(phase_one(c, n, cl.peer.clone(), map.clone())))
            .collect();
        for t in one {
            t.await.unwrap();
        }
        let two: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(c, cl)| tokio::spawn(phase_two(c, n, cl.peer.clone(), map.clone())))
            .collect();
        for t in two {
            t.await.unwrap();
        }
    };
    let load_started = Instant::now();
    // A hang guard, not a speed goal: the load takes a few seconds; ten minutes means stuck.
    tokio::time::timeout(Duration::from_secs(600), load)
        .await
        .expect("the load was stuck for 10 minutes");
    let load_took = load_started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let (answers, slowest) = watch.join().expect("the watcher failed");

    // Connection limits: each client kept to its own, so together they stayed below HAProxy's.
    let peak = |c: &Counts| c.peak.load(Ordering::SeqCst);
    assert!(
        peak(&http_counts) <= HTTP_MAX_CONNECTIONS,
        "the HTTP server's client opened {} connections at once (max_connections {HTTP_MAX_CONNECTIONS})",
        peak(&http_counts)
    );
    for (i, c) in stdio_counts.iter().enumerate() {
        assert!(
            peak(c) <= STDIO_MAX_CONNECTIONS,
            "stdio child {i} opened {} connections at once (HAPROXY_MAX_CONNECTIONS {STDIO_MAX_CONNECTIONS})",
            peak(c)
        );
        assert!(
            c.total.load(Ordering::SeqCst) > 0,
            "stdio child {i} sent nothing"
        );
    }
    assert!(
        peak(&all) < HAPROXY_CLI_MAXCONN,
        "{} CLI connections at once: HAProxy's limit of {HAPROXY_CLI_MAXCONN} leaves no room for an operator",
        peak(&all)
    );
    assert!(answers > 0, "the watcher never ran");

    // Mutations: every added key exactly once, with its value; nothing else changed.
    let after_map = live.raw(&format!("show map {map}"));
    let entries: Vec<(String, String)> = after_map
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut w = l.splitn(3, ' ');
            let _ptr = w.next();
            (
                w.next().unwrap_or("").to_owned(),
                w.next().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries.len(),
        ORIGINAL.len() + n * ADDS_PER_CLIENT,
        "{after_map}"
    );
    for c in 0..n {
        for i in 0..ADDS_PER_CLIENT {
            let (k, v) = added(c, i);
            let hits: Vec<_> = entries.iter().filter(|(key, _)| *key == k).collect();
            assert_eq!(hits.len(), 1, "{k} is in the map {} times", hits.len());
            assert_eq!(hits[0].1, v, "{k}");
        }
    }
    for (k, v) in ORIGINAL {
        assert!(entries.contains(&(k.to_string(), v.to_string())), "{k}");
    }
    let state = live.raw("show servers state");
    for (b, s, w) in WEIGHTS {
        let row: Vec<&str> = state
            .lines()
            .map(|l| l.split(' ').collect::<Vec<_>>())
            .find(|c| c.len() > 7 && c[1] == *b && c[3] == *s)
            .unwrap_or_else(|| panic!("{b}/{s} in {state}"));
        assert_eq!(row[7], w.to_string(), "weight of {b}/{s}");
    }

    let calls = n * (ADDS_PER_CLIENT + READS_PER_CLIENT + n * ADDS_PER_CLIENT.div_ceil(3))
        + WEIGHTS.len() * (n + 1);
    eprintln!(
        "load: {} clients ({} HTTP, {} stdio), about {calls} tool calls in {load_took:?}; \
         peak CLI connections: HTTP {} / stdio {:?} / all {}; watcher: {answers} answers, \
         slowest {slowest:?}",
        n,
        HTTP_CLIENTS,
        STDIO_CHILDREN,
        peak(&http_counts),
        stdio_counts.iter().map(|c| peak(c)).collect::<Vec<_>>(),
        peak(&all),
    );
    for c in clients {
        c.service
            .cancel()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    }
    shutdown.cancel();
    eprintln!("load: whole test {:?}", started.elapsed());
}
