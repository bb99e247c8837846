//! The HTTP layer under attack (issue 12): half-open connections (slowloris) and connection
//! floods, audit floods, log injection, a slow key endpoint, session hijacking, and rate-limit
//! buckets. Each test names the finding it covers.

mod http_support;
mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use haproxy_mcp_server::mcp::Settings;
use haproxy_mcp_server::mcp::audit::AuditLog;
use haproxy_mcp_server::transport::auth::{Authenticator, StaticToken};
use haproxy_mcp_server::transport::conn_limit::ConnectionLimits;
use haproxy_mcp_server::transport::http::HttpOptions;
use haproxy_mcp_server::transport::oauth::{OAuth, OAuthSettings};
use haproxy_mcp_server::transport::rate_limit::RateLimit;
use http_support::idp::{RESOURCE, SigningKey, claims_for, idp, jwks_fetches, publish_metadata};
use http_support::{ALICE, BOB, TestServer, audit_lines, call, initialize, tokens_env, tools_call};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");

fn static_auth() -> Authenticator {
    Authenticator::new(StaticToken::parse_list(&tokens_env()).unwrap(), None)
}

/// The value of the sample `line_start` (`name{labels}`) in a metrics page.
fn sample(page: &str, line_start: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

/// A connection from `from` (any 127.0.0.0/8 address) that sends an incomplete request head.
async fn half_open(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut tcp = socket.connect(to).await.unwrap();
    // Writing may fail on a connection the server already closed (over a cap): that is fine.
    let _ = tcp
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await;
    tcp
}

/// Whether the server closed `tcp` (EOF, reset, or a refusal followed by EOF) within `within`.
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    tokio::time::timeout(within, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

// ---- 1. slowloris and connection caps -------------------------------------------------------

/// Issue 12 item 1: 400 half-open connections from one address (over the per-IP cap of 256)
/// neither starve /healthz nor an authenticated MCP client on another address; the ones over
/// the cap are closed at once and counted.
#[tokio::test]
async fn half_open_connections_are_capped_per_ip_and_others_are_served() {
    let options = HttpOptions {
        auth: static_auth(),
        connections: ConnectionLimits {
            header_read_timeout: Duration::from_secs(60),
            ..ConnectionLimits::default()
        },
        ..HttpOptions::default()
    };
    let per_ip = options.connections.max_connections_per_ip;
    let s = TestServer::start(Settings::default(), options).await;
    let mut attackers = Vec::new();
    for _ in 0..400 {
        attackers.push(half_open("127.0.0.2", s.addr).await);
    }
    // The connections past the per-IP cap were closed by the server, each promptly.
    let mut closed = 0;
    for tcp in attackers.iter_mut().skip(per_ip) {
        if closed_within(tcp, Duration::from_secs(5)).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        400 - per_ip,
        "every connection over the cap is closed"
    );
    // Those under the cap are still open (the head deadline is 60 s here).
    assert!(!closed_within(&mut attackers[0], Duration::from_millis(200)).await);

    // Another client is served, promptly, while the attacker holds its 256 connections.
    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        let r = s.get("/healthz", None).await;
        assert_eq!(r.status(), 200);
        let alice = s.client(Some(ALICE)).await.unwrap();
        let r = call(&alice, "show_info", json!({})).await.unwrap();
        assert_ne!(r.is_error, Some(true));
        alice.cancel().await.unwrap();
    })
    .await;
    assert!(answered.is_ok(), "/healthz and MCP answer during the flood");
    let page = s.get("/metrics", Some(ALICE)).await.text().await.unwrap();
    let refused = sample(
        &page,
        "haproxy_mcp_http_rejections_total{reason=\"too_many_connections_per_ip\"}",
    );
    assert_eq!(refused, Some((400 - per_ip) as f64), "{page}");
}

/// Issue 12 item 1: when half-open connections from many addresses fill the global cap, a new
/// client still gets in: the oldest connection that never sent a request is closed to make
/// room, and the cap holds.
#[tokio::test]
async fn at_the_global_cap_half_open_connections_make_room() {
    let options = HttpOptions {
        connections: ConnectionLimits {
            max_connections: 20,
            max_connections_per_ip: 8,
            header_read_timeout: Duration::from_secs(60),
        },
        ..HttpOptions::default()
    };
    let s = TestServer::start(Settings::default(), options).await;
    let mut held = Vec::new();
    for i in 0..20 {
        held.push(half_open(&format!("127.0.1.{}", i % 4 + 1), s.addr).await);
    }
    // The cap is full of half-open connections; a real client is served all the same.
    for _ in 0..3 {
        let answered = tokio::time::timeout(Duration::from_secs(10), s.get("/healthz", None)).await;
        assert_eq!(answered.expect("served at the cap").status(), 200);
    }
    // Each new connection closed the oldest half-open one.
    assert!(closed_within(&mut held[0], Duration::from_secs(5)).await);
    assert!(!closed_within(&mut held[19], Duration::from_millis(200)).await);
    let page = s.server.metrics().render(&[]);
    let evicted = sample(
        &page,
        "haproxy_mcp_http_rejections_total{reason=\"idle_connection_evicted\"}",
    )
    .unwrap_or(0.0);
    assert!(evicted >= 1.0, "{page}");
}

/// Issue 12 item 1: a connection that never finishes its request head is closed after the
/// head deadline (it used to stay open for ever).
#[tokio::test]
async fn a_half_open_connection_is_closed_after_the_header_timeout() {
    let options = HttpOptions {
        connections: ConnectionLimits {
            header_read_timeout: Duration::from_millis(500),
            ..ConnectionLimits::default()
        },
        ..HttpOptions::default()
    };
    let s = TestServer::start(Settings::default(), options).await;
    let mut slow = half_open("127.0.0.1", s.addr).await;
    assert!(
        closed_within(&mut slow, Duration::from_secs(10)).await,
        "the server closes a connection that does not finish its request head"
    );
    // A silent connection (not a byte sent) too.
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await);
    // Normal requests are unaffected.
    assert_eq!(s.get("/healthz", None).await.status(), 200);
}

// ---- 2. audit floods ------------------------------------------------------------------------

/// A server with the static tokens, writing its audit log to `log`.
async fn audited_server(log: &Path) -> TestServer {
    let settings = Settings {
        audit: AuditLog::file(log).unwrap(),
        ..Settings::default()
    };
    let options = HttpOptions {
        auth: static_auth(),
        ..HttpOptions::default()
    };
    TestServer::start(settings, options).await
}

/// `set_weight` arguments with `keys` extra keys: about 4 MB for 120,000.
fn huge_arguments(keys: usize) -> Value {
    let mut args = serde_json::Map::new();
    args.insert("backend".into(), json!("be_app"));
    args.insert("server".into(), json!("app1"));
    args.insert("weight".into(), json!(1));
    for i in 0..keys {
        args.insert(format!("k{i:06}"), json!("v".repeat(20)));
    }
    Value::Object(args)
}

/// Issue 12 item 2: a 4 MB unauthenticated mutating call with 120,000 argument keys costs the
/// audit log one short line without the arguments (it used to write them all, 77 MB in 2.5 s
/// for a handful of such requests), and is counted by reason.
#[tokio::test]
async fn a_huge_unauthenticated_call_is_audited_without_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let s = audited_server(&log).await;
    let body = tools_call("set_weight", huge_arguments(120_000));
    let size = body.to_string().len();
    assert!(size > 3_900_000 && size < 4 << 20, "{size} bytes");
    for token in [None, Some("not-a-token-0123456789")] {
        assert_eq!(s.post_mcp(&body, token).await.status(), 401);
    }
    let bytes = std::fs::metadata(&log).unwrap().len();
    let raw = std::fs::read_to_string(&log).unwrap();
    let per_line: Vec<usize> = raw.lines().map(|l| l.len() + 1).collect();
    eprintln!("audit bytes for two {size}-byte unauthenticated requests: {bytes} ({per_line:?})");
    assert!(bytes < 1024, "{bytes} audit bytes");
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 2);
    for (line, reason) in lines.iter().zip(["unauthenticated", "invalid_token"]) {
        assert_eq!(line["tool"], "set_weight");
        assert_eq!(line["outcome"], "refused");
        assert_eq!(line["reason"], reason);
        assert_eq!(line["arguments"], Value::Null, "no arguments from nobody");
        assert_eq!(
            line["target"], "haproxy",
            "the default target, not the caller's"
        );
    }
    let page = s.get("/metrics", Some(ALICE)).await.text().await.unwrap();
    for reason in ["unauthenticated", "invalid_token"] {
        let key = format!("haproxy_mcp_http_rejections_total{{reason=\"{reason}\"}}");
        assert_eq!(sample(&page, &key), Some(1.0), "{page}");
    }
}

/// Issue 12 item 2: an authenticated caller's huge arguments are summarised: the record stays
/// within a few KB, and says how many keys there were.
#[tokio::test]
async fn huge_arguments_of_an_authenticated_call_are_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let s = audited_server(&log).await;
    let bob = s.client(Some(BOB)).await.unwrap();
    let mut args = huge_arguments(100_000);
    args["backend"] = json!("x".repeat(100_000));
    let r = call(&bob, "set_weight", args).await.unwrap();
    assert_eq!(r.is_error, Some(true), "bob is read-only");
    bob.cancel().await.unwrap();
    let raw = std::fs::read_to_string(&log).unwrap();
    assert!(raw.len() < 16 * 1024, "{} bytes", raw.len());
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 1);
    let args = &lines[0]["arguments"];
    assert_eq!(lines[0]["caller"], "bob");
    assert_eq!(lines[0]["reason"], "read_only_caller");
    assert_eq!(args["…"], "99971 more keys (100003 in all)", "{args}");
    assert!(args["backend"].as_str().unwrap().len() < 400);
}

// ---- 3 and 9. log injection and colours --------------------------------------------------------

async fn wait_for(port: u16) {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the HTTP server did not come up on {port}");
}

const EVIL_SUB: &str = "mallory\nINFO forged: admin logged in\r\u{1b}[31mred\u{1b}[0m";
const EVIL_ARG: &str = "be_app\n{\"caller\":\"alice\",\"outcome\":\"ok\"}\u{1b}[2J";

/// Runs the binary (OAuth against `issuer`, audit on stderr, stderr piped, `log_format`), makes
/// a reader whose `sub` holds a newline, a carriage return and ANSI escapes try a mutating call
/// whose argument holds more of them, and returns everything written to stderr.
async fn stderr_of_an_injection_attempt(
    issuer: &str,
    key: &SigningKey,
    log_format: &str,
) -> String {
    let port = support::free_port();
    let child = tokio::process::Command::new(BIN)
        .args(["--emulator", "--transport", "http"])
        .args(["--port", &port.to_string()])
        .env("MCP_OAUTH_ISSUER", issuer)
        .env("MCP_OAUTH_RESOURCE", RESOURCE)
        .env("MCP_ALLOWED_HOSTS", "127.0.0.1")
        .env("HAPROXY_MCP_AUDIT_LOG", "stderr")
        .env("LOG_FORMAT", log_format)
        .env("LOG_LEVEL", "info")
        .env_remove("MCP_AUTH_TOKENS")
        .env_remove("NO_COLOR")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for(port).await;
    let token = key.mint(&claims_for(issuer, EVIL_SUB, "haproxy:read"));
    let body = tools_call(
        "set_weight",
        json!({"backend": EVIL_ARG, "server": "app1", "weight": 1}),
    );
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status != 403 {
        let out = support::stop_and_collect(child).await;
        panic!(
            "a reader may not change HAProxy: {status}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = support::stop_and_collect(child).await;
    String::from_utf8(out.stderr).unwrap()
}

/// Issue 12 items 3 and 9: caller-provided text (a JWT `sub`, tool arguments) cannot forge log
/// or audit lines, in text and JSON logs; and logs carry no colour codes when stderr is not a
/// terminal.
#[tokio::test]
async fn caller_text_cannot_forge_log_lines_and_piped_logs_have_no_colours() {
    let key = SigningKey::es256("k1");
    let mock = idp(&[&key], Duration::ZERO).await;
    for format in ["text", "json"] {
        let err = stderr_of_an_injection_attempt(&mock.uri(), &key, format).await;
        assert!(
            !err.contains('\u{1b}'),
            "{format}: an ESC reached stderr:\n{err}"
        );
        assert!(!err.contains('\r'), "{format}: a CR reached stderr:\n{err}");
        assert!(
            !err.lines()
                .any(|l| l.starts_with("INFO forged") || l.starts_with("{\"caller\":\"alice\"")),
            "{format}: a forged line:\n{err}"
        );
        let refusal = err
            .lines()
            .find(|l| l.contains("mutating call refused"))
            .unwrap_or_else(|| panic!("{format}: no refusal logged:\n{err}"));
        let caller = match format {
            "json" => serde_json::from_str::<Value>(refusal).unwrap()["fields"]["caller"]
                .as_str()
                .unwrap()
                .to_owned(),
            _ => refusal.to_owned(),
        };
        assert!(
            caller.contains(r"mallory\nINFO forged: admin logged in\r\u{1b}[31mred"),
            "{format}: {refusal}"
        );
        // The audit record, one JSON line, names the caller escaped and keeps the argument
        // escaped too.
        let audit: Value = err
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v.get("outcome").is_some())
            .unwrap_or_else(|| panic!("{format}: no audit record:\n{err}"));
        assert_eq!(
            audit["caller"],
            r"mallory\nINFO forged: admin logged in\r\u{1b}[31mred\u{1b}[0m"
        );
        assert_eq!(
            audit["arguments"]["backend"],
            r#"be_app\n{"caller":"alice","outcome":"ok"}\u{1b}[2J"#
        );
        assert_eq!(audit["reason"], "insufficient_scope");
    }
}

// ---- 4. JWKS fetches are single-flight and never hold up cached keys ----------------------------

async fn oauth_server(issuer: &str, tweak: impl FnOnce(&mut OAuthSettings)) -> TestServer {
    let mut settings = OAuthSettings::new(issuer, RESOURCE);
    tweak(&mut settings);
    let auth = Authenticator::new(Vec::new(), Some(OAuth::new(settings)));
    TestServer::start(
        Settings::default(),
        HttpOptions {
            auth,
            ..HttpOptions::default()
        },
    )
    .await
}

/// Issue 12 item 4: while tokens with unknown key ids wait for a slow key endpoint, a token
/// whose key is cached is answered (it used to wait 4.25 s behind the fetch's lock), and the
/// five unknown-kid requests share one fetch instead of queueing five.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_key_fetch_holds_up_neither_cached_keys_nor_more_fetches() {
    let key = SigningKey::es256("k1");
    let mock = MockServer::start().await;
    publish_metadata(&mock, "/.well-known/oauth-authorization-server").await;
    let jwks = json!({"keys": [key.jwk.clone()]});
    // The first fetch is quick; every later one takes 3 s.
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks.clone()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(jwks)
                .set_delay(Duration::from_secs(3)),
        )
        .with_priority(5)
        .mount(&mock)
        .await;
    let iss = mock.uri();
    let s = Arc::new(
        oauth_server(&iss, |o| {
            o.jwks_refetch_interval = Duration::ZERO;
        })
        .await,
    );
    let good = key.mint(&claims_for(&iss, "carol", "haproxy:read"));
    assert_eq!(s.post_mcp(&initialize(), Some(&good)).await.status(), 200);
    assert_eq!(jwks_fetches(&mock).await, 1);

    let unknown: Vec<_> = (0..5)
        .map(|i| {
            let token = SigningKey::es256(&format!("rotated-{i}")).mint(&claims_for(
                &iss,
                "eve",
                "haproxy:read",
            ));
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.post_mcp(&initialize(), Some(&token)).await.status() })
        })
        .collect();
    let mut in_flight = false;
    for _ in 0..100 {
        if jwks_fetches(&mock).await >= 2 {
            in_flight = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        in_flight,
        "an unknown kid makes the server fetch the keys again"
    );
    assert_eq!(s.post_mcp(&initialize(), Some(&good)).await.status(), 200);
    assert!(
        unknown.iter().all(|t| !t.is_finished()),
        "the cached-kid token was answered while the slow fetch was still pending"
    );
    for t in unknown {
        assert_eq!(t.await.unwrap(), 401);
    }
    assert_eq!(
        jwks_fetches(&mock).await,
        2,
        "five unknown kids at once share a single fetch"
    );
}

// ---- 5. sessions belong to their creator --------------------------------------------------------

/// Sends `method` to `/mcp` with `token` and `session`, and a JSON-RPC `body` for POST.
async fn in_session(
    s: &TestServer,
    method: reqwest::Method,
    token: &str,
    session: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .request(method, s.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    r.send().await.unwrap()
}

/// Issue 12 item 5: another identity (here a read-only token) can neither use nor delete a
/// session it did not create: 404, and the owner's session goes on working.
#[tokio::test]
async fn sessions_are_bound_to_the_identity_that_created_them() {
    let s = TestServer::start(
        Settings::default(),
        HttpOptions {
            auth: static_auth(),
            ..HttpOptions::default()
        },
    )
    .await;
    let r = s.post_mcp(&initialize(), Some(ALICE)).await;
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    drop(r);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let r = in_session(
        &s,
        reqwest::Method::POST,
        ALICE,
        &session,
        Some(initialized),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());

    // bob, with alice's session id: every method is refused as if the session did not exist.
    let r = in_session(&s, reqwest::Method::POST, BOB, &session, Some(list.clone())).await;
    assert_eq!(r.status(), 404);
    let r = in_session(&s, reqwest::Method::GET, BOB, &session, None).await;
    assert_eq!(r.status(), 404);
    let r = in_session(&s, reqwest::Method::DELETE, BOB, &session, None).await;
    assert_eq!(r.status(), 404);

    // Nothing happened to alice's session.
    let r = in_session(
        &s,
        reqwest::Method::POST,
        ALICE,
        &session,
        Some(list.clone()),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("set_weight"));
    // Unknown ids are unknown for everybody.
    let r = in_session(
        &s,
        reqwest::Method::POST,
        ALICE,
        "not-a-session",
        Some(list.clone()),
    )
    .await;
    assert_eq!(r.status(), 404);
    // The owner may end it; then it is gone.
    let r = in_session(&s, reqwest::Method::DELETE, ALICE, &session, None).await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = in_session(&s, reqwest::Method::POST, ALICE, &session, Some(list)).await;
    assert_eq!(r.status(), 404);
    let page = s.get("/metrics", Some(ALICE)).await.text().await.unwrap();
    assert_eq!(
        sample(
            &page,
            "haproxy_mcp_http_rejections_total{reason=\"foreign_session\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &page,
            "haproxy_mcp_http_rejections_total{reason=\"unknown_session\"}"
        ),
        Some(2.0)
    );
}

// ---- 6 and 7. rate-limit buckets, the burst, and /healthz's probe cache ---------------------------

/// A client whose connections come from `from`.
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Issue 12 item 6: failed logins and /healthz fill separate buckets: a /healthz flood does not
/// lock an address out of logging in, nor a token-guessing burst out of /healthz.
#[tokio::test]
async fn failed_logins_and_healthz_have_separate_buckets() {
    let options = HttpOptions {
        auth: static_auth(),
        rate_limit: Some(RateLimit {
            per_second: 0.1,
            burst: 3,
        }),
        ..HttpOptions::default()
    };
    let s = TestServer::start(Settings::default(), options).await;
    let status = |c: &reqwest::Client, path: &str, token: Option<&str>| {
        let mut r = c.get(s.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let guess = Some("guessing-0123456789abcdef");
    // Address A floods /healthz first: its failed logins still get 401, then their own 429.
    let a = client_from("127.0.0.3");
    for _ in 0..3 {
        assert_eq!(status(&a, "/healthz", None).await, 200);
    }
    assert_eq!(status(&a, "/healthz", None).await, 429);
    for _ in 0..3 {
        assert_eq!(
            status(&a, "/metrics", guess).await,
            401,
            "not locked out by /healthz"
        );
    }
    assert_eq!(
        status(&a, "/metrics", guess).await,
        429,
        "guessing is slowed down"
    );
    // Address B guesses tokens first: /healthz still answers.
    let b = client_from("127.0.0.4");
    for _ in 0..3 {
        assert_eq!(status(&b, "/metrics", guess).await, 401);
    }
    assert_eq!(status(&b, "/metrics", guess).await, 429);
    assert_eq!(
        status(&b, "/healthz", None).await,
        200,
        "not locked out by guessing"
    );
    // A valid token from a locked-out address has its own bucket.
    assert_eq!(status(&b, "/metrics", Some(ALICE)).await, 200);
}

/// Issue 12 item 7: the burst is on top of the rate: 1/s with a burst of 2 lets a caller make 3
/// requests at once (it used to be 2: the burst was the whole bucket).
#[tokio::test]
async fn the_burst_comes_on_top_of_the_rate() {
    let options = HttpOptions {
        auth: static_auth(),
        rate_limit: Some(RateLimit {
            per_second: 1.0,
            burst: 2,
        }),
        ..HttpOptions::default()
    };
    let s = TestServer::start(Settings::default(), options).await;
    for i in 0..3 {
        assert_eq!(
            s.get("/metrics", Some(ALICE)).await.status(),
            200,
            "request {i}"
        );
    }
    assert_eq!(s.get("/metrics", Some(ALICE)).await.status(), 429);
}

/// The `show …` commands sent to the `haproxy` target so far, as counted in the metrics.
fn show_commands(s: &TestServer) -> f64 {
    let page = s.server.metrics().render(&[]);
    sample(
        &page,
        "haproxy_mcp_haproxy_command_duration_seconds_count{target=\"haproxy\",command=\"show\"}",
    )
    .unwrap_or(0.0)
}

/// Issue 12 item 6: a flood of /healthz (sequential and concurrent, anonymous and
/// authenticated) sends HAProxy one probe per cache period, not one per request.
#[tokio::test]
async fn healthz_probes_haproxy_once_per_cache_period() {
    let options = HttpOptions {
        auth: static_auth(),
        healthz_cache: Duration::from_secs(60),
        ..HttpOptions::default()
    };
    let s = Arc::new(TestServer::start(Settings::default(), options).await);
    for _ in 0..30 {
        assert_eq!(s.get("/healthz", None).await.status(), 200);
    }
    let concurrent: Vec<_> = (0..20)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.get("/healthz", Some(ALICE)).await.status().as_u16() })
        })
        .collect();
    for t in concurrent {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(show_commands(&s), 1.0, "50 /healthz, one HAProxy command");
    // Authenticated callers still see the version from the shared probe.
    let body: Value = s.get("/healthz", Some(ALICE)).await.json().await.unwrap();
    assert!(body["targets"][0]["version"].is_string());

    // Past the cache period, the next call probes again.
    let options = HttpOptions {
        healthz_cache: Duration::from_millis(100),
        ..HttpOptions::default()
    };
    let s = TestServer::start(Settings::default(), options).await;
    assert_eq!(s.get("/healthz", None).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(s.get("/healthz", None).await.status(), 200);
    assert_eq!(show_commands(&s), 2.0);
}

// ---- 1, continued: slow bodies and running out of file descriptors --------------------------------

/// Issue 12 item 1: a body the security layer reads itself (an unauthenticated call, to audit
/// it) is not waited for beyond the request-head deadline: the trickling client gets its 401
/// and nothing is audited (the gate used to wait for ever).
#[tokio::test]
async fn a_trickled_body_is_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let options = HttpOptions {
        auth: static_auth(),
        connections: ConnectionLimits {
            header_read_timeout: Duration::from_millis(500),
            ..ConnectionLimits::default()
        },
        ..HttpOptions::default()
    };
    let settings = Settings {
        audit: AuditLog::file(&log).unwrap(),
        ..Settings::default()
    };
    let s = TestServer::start(settings, options).await;
    let mut tcp = TcpStream::connect(s.addr).await.unwrap();
    let start = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"set_weight""#;
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{start}"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server waited for the rest of the body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        audit_lines(&log).is_empty(),
        "an incomplete body is not audited"
    );
}

/// Issue 12 item 1: the server does not run out of file descriptors ("Too many open files"
/// used to stop /healthz and /mcp): the connection cap is lowered to fit the process's
/// descriptor limit, and half-open connections make room for real clients, whose requests
/// (HAProxy probes included) still have descriptors to work with.
#[tokio::test]
async fn out_of_file_descriptors_the_server_keeps_serving() {
    let port = support::free_port();
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 96 && exec {BIN} --emulator --transport http --port {port}"
        ))
        .env("MCP_AUTH_TOKENS", tokens_env())
        .env("HAPROXY_MCP_AUDIT_LOG", "off")
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for(port).await;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // 150 half-open connections from three addresses (under the per-IP cap of 256): more than
    // the process has descriptors for.
    let mut held = Vec::new();
    for i in 0..150 {
        held.push(half_open(&format!("127.0.4.{}", i % 3 + 1), addr).await);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..3 {
        let r = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .expect("/healthz answers at the descriptor limit, before the head deadline");
        assert_eq!(r.status(), 200);
        let health: Value = r.json().await.unwrap();
        assert_eq!(health["status"], "ok", "HAProxy is reachable: {health}");
        let r = client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .bearer_auth(ALICE)
            .send()
            .await
            .expect("/metrics answers too");
        assert_eq!(r.status(), 200);
    }
    let out = support::stop_and_collect(child).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the file-descriptor limit (96) leaves room for 32 HTTP connections"),
        "{err}"
    );
    assert!(!err.contains("Too many open files"), "{err}");
}

/// A good token that arrives while the start-up key fetch is still under way waits for it and
/// is accepted (it used to be refused with "no signing key matches": the fetch in flight counted
/// as a recent attempt, so the request neither fetched nor waited). One fetch in all.
#[tokio::test]
async fn a_token_arriving_during_the_first_key_fetch_waits_for_it() {
    let key = SigningKey::es256("k1");
    let mock = idp(&[&key], Duration::from_millis(800)).await;
    let oauth = OAuth::new(OAuthSettings::new(mock.uri(), RESOURCE));
    let warming = {
        let oauth = Arc::clone(&oauth);
        tokio::spawn(async move { oauth.warm_up().await })
    };
    // The warm-up has started its fetch (and holds it) well before the token comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let token = key.mint(&claims_for(&mock.uri(), "carol", "haproxy:read"));
    let verified = oauth.verify(&token).await;
    assert!(verified.is_ok(), "{:?}", verified.err());
    assert_eq!(warming.await.unwrap(), Ok(1));
    assert_eq!(jwks_fetches(&mock).await, 1);
}
