//! The HTTP security layer, end to end: the HTTP app served in-process in front of an emulated
//! HAProxy, driven with raw HTTP (status codes and headers) and with rmcp's Streamable HTTP
//! client (real MCP sessions). Static tokens (read-write and read-only), OAuth access tokens
//! checked against a fake authorization server (wiremock: metadata and JWKS, key rotation),
//! Host/Origin checks on every route, the body limit and the rate limit. Then the binary, as a
//! new user meets it.

mod http_support;
mod support;

use std::process::Stdio;
use std::time::Duration;

use haproxy_mcp_server::mcp::Settings;
use haproxy_mcp_server::mcp::audit::AuditLog;
use haproxy_mcp_server::transport::auth::{Authenticator, StaticToken};
use haproxy_mcp_server::transport::http::HttpOptions;
use haproxy_mcp_server::transport::oauth::{OAuth, OAuthSettings};
use haproxy_mcp_server::transport::rate_limit::RateLimit;
use http_support::idp::{
    RESOURCE, SigningKey, claims_for, idp, jwks_fetches, now, publish, publish_metadata,
};
use http_support::{ALICE, BOB, TestServer, call, challenge, initialize, tokens_env, tools_call};

/// Claims of a good token from `issuer` with `scope` (for carol).
fn claims(issuer: &str, scope: &str) -> Value {
    claims_for(issuer, "carol@example.test", scope)
}
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use wiremock::MockServer;

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");
const METADATA_URL: &str = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp";

/// The token with one character of its signature changed.
fn tamper(token: &str) -> String {
    let (head, signature) = token.rsplit_once('.').unwrap();
    let mut sig: Vec<char> = signature.chars().collect();
    sig[10] = if sig[10] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", sig.into_iter().collect::<String>())
}

fn static_auth() -> Authenticator {
    Authenticator::new(StaticToken::parse_list(&tokens_env()).unwrap(), None)
}

fn with_auth(auth: Authenticator) -> HttpOptions {
    HttpOptions {
        auth,
        ..HttpOptions::default()
    }
}

// ---- static tokens ---------------------------------------------------------------------------

#[tokio::test]
async fn static_tokens_are_required_on_mcp_and_metrics() {
    let s = TestServer::start(Settings::default(), with_auth(static_auth())).await;
    let init = initialize();

    let r = s.post_mcp(&init, None).await;
    assert_eq!(r.status(), 401);
    let c = challenge(&r);
    assert!(c.starts_with("Bearer realm="), "{c}");
    assert!(!c.contains("error="), "no error code without a token: {c}");

    let r = s.post_mcp(&init, Some("not-a-known-token-at-all")).await;
    assert_eq!(r.status(), 401);
    assert!(challenge(&r).contains("error=\"invalid_token\""));

    assert_eq!(s.get("/metrics", None).await.status(), 401);
    assert_eq!(s.get("/metrics", Some(ALICE)).await.status(), 200);
    // The token travels only in the Authorization header, never in the URL.
    let r = s.get(&format!("/metrics?access_token={ALICE}"), None).await;
    assert_eq!(r.status(), 401);

    assert!(s.client(None).await.is_err(), "no token, no session");
    assert!(s.client(Some("wrong-token-0123456789")).await.is_err());

    let alice = s.client(Some(ALICE)).await.unwrap();
    let tools = alice.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "set_weight"));
    let r = call(&alice, "health_summary", json!({})).await.unwrap();
    assert_ne!(r.is_error, Some(true));
    let r = call(
        &alice,
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 50}),
    )
    .await
    .unwrap();
    let text = support::mcp::text(&r);
    assert!(!text.contains("Refused"), "alice may write: {text}");
    alice.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_tokens_see_and_call_only_read_tools() {
    let s = TestServer::start(Settings::default(), with_auth(static_auth())).await;
    let bob = s.client(Some(BOB)).await.unwrap();
    let tools = bob.list_all_tools().await.unwrap();
    assert!(tools.len() > 20, "{} tools", tools.len());
    assert!(
        tools
            .iter()
            .all(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)),
        "bob sees only read tools"
    );
    assert!(!tools.iter().any(|t| t.name == "set_weight"));
    let r = call(
        &bob,
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 50}),
    )
    .await
    .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(
        support::mcp::text(&r).contains("only allow reading"),
        "{}",
        support::mcp::text(&r)
    );
    let r = call(&bob, "show_info", json!({})).await.unwrap();
    assert_ne!(r.is_error, Some(true));
    bob.cancel().await.unwrap();
}

// ---- Host, Origin, body size, rate --------------------------------------------------------------

#[tokio::test]
async fn host_and_origin_are_checked_on_every_route() {
    let oauth = OAuth::new(OAuthSettings::new("https://idp.example.test", RESOURCE));
    let auth = Authenticator::new(StaticToken::parse_list(&tokens_env()).unwrap(), Some(oauth));
    let options = HttpOptions {
        allowed_origins: vec!["http://localhost:*".into()],
        ..with_auth(auth)
    };
    let s = TestServer::start(Settings::default(), options).await;
    let routes = [
        "/mcp",
        "/healthz",
        "/metrics",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ];
    let client = reqwest::Client::new();
    let send = |path: &str, host: Option<&str>, origin: Option<&str>| {
        let mut r = if path == "/mcp" {
            client
                .post(s.url(path))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(initialize().to_string())
        } else {
            client.get(s.url(path))
        };
        r = r.bearer_auth(ALICE);
        if let Some(h) = host {
            r = r.header("Host", h);
        }
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        r.send()
    };
    for route in routes {
        let ok = send(route, None, Some("http://localhost:3000"))
            .await
            .unwrap();
        assert_ne!(ok.status(), 403, "{route} with an allowed Origin");
        for origin in [
            "http://evil.example",
            "null",
            "http://localhost.evil.example:80",
        ] {
            let r = send(route, None, Some(origin)).await.unwrap();
            assert_eq!(r.status(), 403, "{route} with Origin {origin}");
        }
        for host in ["evil.example", "evil.example:8080", "127.0.0.2"] {
            let r = send(route, Some(host), None).await.unwrap();
            assert_eq!(r.status(), 403, "{route} with Host {host}");
        }
    }
    // The refusals were counted, and nothing behind them ran: no tool call was made.
    let metrics = s.get("/metrics", Some(ALICE)).await.text().await.unwrap();
    assert!(
        metrics.contains("haproxy_mcp_http_rejections_total{reason=\"origin\"} 15"),
        "{metrics}"
    );
    assert!(metrics.contains("haproxy_mcp_http_rejections_total{reason=\"host\"} 15"));
    assert!(!metrics.contains("haproxy_mcp_tool_calls_total{"));
}

#[tokio::test]
async fn oversized_bodies_get_413_on_every_route() {
    let options = HttpOptions {
        max_request_bytes: 8192,
        ..with_auth(static_auth())
    };
    let s = TestServer::start(Settings::default(), options).await;
    let big =
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(10_000)}});
    let r = s.post_mcp(&big, Some(ALICE)).await;
    assert_eq!(r.status(), 413);
    let client = reqwest::Client::new();
    for path in ["/healthz", "/metrics"] {
        let r = client
            .get(s.url(path))
            .bearer_auth(ALICE)
            .body("x".repeat(10_000))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
    }
    // Within the limit, the same request goes through.
    let small = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_ne!(s.post_mcp(&small, Some(ALICE)).await.status(), 413);
}

#[tokio::test]
async fn each_client_is_rate_limited_with_retry_after() {
    let options = HttpOptions {
        rate_limit: Some(RateLimit {
            per_second: 0.2,
            burst: 3,
        }),
        ..with_auth(static_auth())
    };
    let s = TestServer::start(Settings::default(), options).await;
    for _ in 0..3 {
        assert_eq!(s.get("/metrics", Some(ALICE)).await.status(), 200);
    }
    let r = s.get("/metrics", Some(ALICE)).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    // Another caller has its own bucket.
    assert_eq!(s.get("/metrics", Some(BOB)).await.status(), 200);
    // Public routes are limited per IP; unauthenticated attempts too.
    for _ in 0..3 {
        assert_eq!(s.get("/healthz", None).await.status(), 200);
    }
    assert_eq!(s.get("/healthz", None).await.status(), 429);
    for _ in 0..3 {
        let _ = s.get("/metrics", Some("guessing-0123456789abcdef")).await;
    }
    assert_eq!(
        s.get("/metrics", Some("guessing-0123456789abcdef"))
            .await
            .status(),
        429,
        "token guessing is slowed down"
    );
}

// ---- OAuth ------------------------------------------------------------------------------------

async fn oauth_server(issuer: &str, tweak: impl FnOnce(&mut OAuthSettings)) -> TestServer {
    oauth_server_with(issuer, tweak, Settings::default()).await
}

async fn oauth_server_with(
    issuer: &str,
    tweak: impl FnOnce(&mut OAuthSettings),
    mcp: Settings,
) -> TestServer {
    let mut settings = OAuthSettings::new(issuer, RESOURCE);
    tweak(&mut settings);
    let auth = Authenticator::new(Vec::new(), Some(OAuth::new(settings)));
    TestServer::start(mcp, with_auth(auth)).await
}

#[tokio::test]
async fn jwt_access_tokens_are_validated() {
    let key = SigningKey::es256("k1");
    let mock = idp(&[&key], Duration::ZERO).await;
    let iss = mock.uri();
    let s = oauth_server(&iss, |_| {}).await;
    let ping = initialize();

    let r = s.post_mcp(&ping, None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        challenge(&r),
        format!("Bearer scope=\"haproxy:read\", resource_metadata=\"{METADATA_URL}\"")
    );

    let good = key.mint(&claims(&iss, "haproxy:read haproxy:write"));
    let client = s.client(Some(&good)).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "set_weight"));
    let r = call(&client, "health_summary", json!({})).await.unwrap();
    assert_ne!(r.is_error, Some(true));
    client.cancel().await.unwrap();

    let mut expired = claims(&iss, "haproxy:read");
    expired["exp"] = json!(now() - 120);
    let mut wrong_aud = claims(&iss, "haproxy:read");
    wrong_aud["aud"] = json!("https://other.example.test/mcp");
    let mut wrong_iss = claims(&iss, "haproxy:read");
    wrong_iss["iss"] = json!("https://evil.example.test");
    let mut not_yet = claims(&iss, "haproxy:read");
    not_yet["nbf"] = json!(now() + 600);
    let mut no_sub = claims(&iss, "haproxy:read");
    no_sub.as_object_mut().unwrap().remove("sub");
    // Signed by another key that claims the known kid.
    let forged = SigningKey::es256("k1").mint(&claims(&iss, "haproxy:read haproxy:write"));
    let cases = [
        ("expired", key.mint(&expired), "expired"),
        ("wrong aud", key.mint(&wrong_aud), "aud"),
        ("wrong iss", key.mint(&wrong_iss), "iss"),
        ("nbf in the future", key.mint(&not_yet), "nbf"),
        ("no sub", key.mint(&no_sub), "claim"),
        ("forged", forged, "signature"),
        (
            "tampered",
            tamper(&key.mint(&claims(&iss, "haproxy:read"))),
            "signature",
        ),
        ("not a JWT", "abc.def".to_owned(), "not a JWT"),
    ];
    for (what, token, why) in cases {
        let r = s.post_mcp(&ping, Some(&token)).await;
        assert_eq!(r.status(), 401, "{what}");
        let c = challenge(&r);
        assert!(c.contains("error=\"invalid_token\""), "{what}: {c}");
        assert!(c.contains(why), "{what}: {c}");
        assert!(c.contains(&format!("resource_metadata=\"{METADATA_URL}\"")));
    }
}

#[tokio::test]
async fn rotated_keys_are_fetched_again_but_not_too_often() {
    let old = SigningKey::es256("2025-old");
    let mock = idp(&[&old], Duration::ZERO).await;
    let iss = mock.uri();
    let s = oauth_server(&iss, |o| {
        o.jwks_refetch_interval = Duration::from_secs(1);
    })
    .await;
    let ping = initialize();
    let token = old.mint(&claims(&iss, "haproxy:read"));
    assert_eq!(s.post_mcp(&ping, Some(&token)).await.status(), 200);
    assert_eq!(jwks_fetches(&mock).await, 1);
    assert_eq!(
        s.post_mcp(&ping, Some(&token)).await.status(),
        200,
        "cached"
    );
    assert_eq!(jwks_fetches(&mock).await, 1, "the key set is cached");

    // The issuer rotates: a new key with a new kid, the old one gone.
    let new = SigningKey::es256("2026-new");
    publish(&mock, &[&new], 1, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = new.mint(&claims(&iss, "haproxy:read"));
    assert_eq!(
        s.post_mcp(&ping, Some(&token)).await.status(),
        200,
        "the unknown kid made the server fetch the keys again"
    );
    assert_eq!(jwks_fetches(&mock).await, 2);

    // Made-up kids do not make the server hammer the issuer.
    for i in 0..5 {
        let liar = SigningKey::es256(&format!("bogus-{i}"));
        let token = liar.mint(&claims(&iss, "haproxy:read"));
        assert_eq!(s.post_mcp(&ping, Some(&token)).await.status(), 401);
    }
    assert!(
        jwks_fetches(&mock).await <= 3,
        "{} fetches",
        jwks_fetches(&mock).await
    );
    // A token of the retired key is refused now.
    let stale = old.mint(&claims(&iss, "haproxy:read"));
    assert_eq!(s.post_mcp(&ping, Some(&stale)).await.status(), 401);
}

#[tokio::test]
async fn scopes_decide_what_a_token_may_do() {
    let key = SigningKey::es256("k1");
    let mock = idp(&[&key], Duration::ZERO).await;
    let iss = mock.uri();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let audited = Settings {
        audit: AuditLog::file(&log).unwrap(),
        ..Settings::default()
    };
    let s = oauth_server_with(&iss, |_| {}, audited).await;
    let ping = initialize();

    let nothing = key.mint(&claims(&iss, "openid profile"));
    let r = s.post_mcp(&ping, Some(&nothing)).await;
    assert_eq!(r.status(), 403);
    let c = challenge(&r);
    assert!(
        c.contains("error=\"insufficient_scope\"") && c.contains("scope=\"haproxy:read\""),
        "{c}"
    );

    let reader = key.mint(&claims(&iss, "haproxy:read"));
    let set_weight = tools_call(
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 50}),
    );
    let r = s.post_mcp(&set_weight, Some(&reader)).await;
    assert_eq!(r.status(), 403, "a read-only token cannot change HAProxy");
    let c = challenge(&r);
    assert!(
        c.contains("error=\"insufficient_scope\"")
            && c.contains("scope=\"haproxy:read haproxy:write\"")
            && c.contains(&format!("resource_metadata=\"{METADATA_URL}\"")),
        "{c}"
    );
    let client = s.client(Some(&reader)).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(!tools.iter().any(|t| t.name == "set_weight"));
    assert!(tools.iter().any(|t| t.name == "show_info"));
    let refused = call(
        &client,
        "set_weight",
        json!({"backend": "be_app", "server": "app1", "weight": 50}),
    )
    .await;
    assert!(
        refused.is_err() || refused.unwrap().is_error == Some(true),
        "refused through MCP too"
    );
    client.cancel().await.unwrap();

    let writer = key.mint(&claims(&iss, "haproxy:read haproxy:write"));
    let r = s.post_mcp(&set_weight, Some(&writer)).await;
    assert_ne!(r.status(), 403, "the write scope allows it");

    // Both refusals are in the audit log, under the token's subject.
    let audit: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(audit.len() >= 2, "{audit:?}");
    for line in &audit[..2] {
        assert_eq!(line["caller"], "carol@example.test");
        assert_eq!(line["caller_kind"], "jwt");
        assert_eq!(line["tool"], "set_weight");
        assert_eq!(line["outcome"], "refused");
        assert_eq!(line["reason"], "insufficient_scope");
    }
}

#[tokio::test]
async fn rs256_keys_found_through_openid_discovery() {
    let key = SigningKey::rs256("rsa-1");
    let mock = MockServer::start().await;
    // No RFC 8414 document: the server falls back to OpenID Connect discovery.
    publish_metadata(&mock, "/.well-known/openid-configuration").await;
    publish(&mock, &[&key], 5, Duration::ZERO).await;
    let iss = mock.uri();
    let s = oauth_server(&iss, |_| {}).await;
    let ping = initialize();
    let token = key.mint(&claims(&iss, "haproxy:read"));
    assert_eq!(s.post_mcp(&ping, Some(&token)).await.status(), 200);
    assert_eq!(s.post_mcp(&ping, Some(&tamper(&token))).await.status(), 401);
}

#[tokio::test]
async fn protected_resource_metadata_is_public() {
    let s = oauth_server("https://idp.example.test", |_| {}).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let r = s.get(path, None).await;
        assert_eq!(r.status(), 200, "{path}");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["resource"], RESOURCE);
        assert_eq!(
            doc["authorization_servers"],
            json!(["https://idp.example.test"])
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(["haproxy:read", "haproxy:write"])
        );
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
    // Without OAuth there is no metadata.
    let plain = TestServer::start(Settings::default(), with_auth(static_auth())).await;
    let r = plain
        .get("/.well-known/oauth-protected-resource", None)
        .await;
    assert_eq!(r.status(), 404);
}

// ---- the binary ---------------------------------------------------------------------------------

async fn wait_for(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the HTTP server did not come up on {port}");
}

#[test]
fn binary_refuses_a_public_bind_without_auth_and_says_why() {
    let out = std::process::Command::new(BIN)
        .args(["--emulator", "--transport", "http", "--host", "0.0.0.0"])
        .env_remove("MCP_AUTH_TOKENS")
        .env_remove("MCP_AUTH_TOKENS_FILE")
        .env_remove("MCP_OAUTH_ISSUER")
        .env_remove("MCP_ALLOW_UNAUTHENTICATED")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "MCP_HOST",
        "no HTTP authentication",
        "MCP_AUTH_TOKENS",
        "MCP_OAUTH_ISSUER",
        "--allow-unauthenticated",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[tokio::test]
async fn binary_with_tokens_serves_a_public_bind_and_guards_it() {
    let port = support::free_port();
    let mut child = tokio::process::Command::new(BIN)
        .args(["--emulator", "--transport", "http", "--host", "0.0.0.0"])
        .args(["--port", &port.to_string()])
        .env("MCP_AUTH_TOKENS", tokens_env())
        .env("HAPROXY_MCP_AUDIT_LOG", "off")
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let ping = initialize().to_string();
    let r = client
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .body(ping.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(challenge(&r).starts_with("Bearer"));
    let r = client
        .post(format!("{base}/mcp"))
        .bearer_auth(ALICE)
        .header("Origin", "http://evil.example")
        .header("content-type", "application/json")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .get(format!("{base}/metrics"))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["targets"][0]["reachable"], true);
    assert!(
        body["targets"][0].get("version").is_none(),
        "no version for anonymous callers when auth is on"
    );
    support::stop_gracefully(&mut child).await;
}

#[tokio::test]
async fn binary_warns_at_every_start_without_authentication() {
    let port = support::free_port();
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "--emulator",
            "--transport",
            "http",
            "--allow-unauthenticated",
        ])
        .args(["--port", &port.to_string()])
        .env_remove("MCP_AUTH_TOKENS")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("--allow-unauthenticated") && line.contains("NO authentication") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(found, "no warning about --allow-unauthenticated on stderr");
    support::stop_gracefully(&mut child).await;
}
