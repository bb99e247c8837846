//! The HTTP layer under attack (issue 12): half-open connections (slowloris) and connection
//! floods, audit floods, log injection, a slow key endpoint, session hijacking, and rate-limit
//! buckets. Each test names the finding it covers.

mod http_support;
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use haproxy_mcp_server::mcp::Settings;
use haproxy_mcp_server::transport::auth::{Authenticator, StaticToken};
use haproxy_mcp_server::transport::conn_limit::ConnectionLimits;
use haproxy_mcp_server::transport::http::HttpOptions;
use http_support::{ALICE, TestServer, call, tokens_env};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

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

/// Issue 12 item 1: the global cap holds whatever the number of addresses.
#[tokio::test]
async fn the_global_connection_cap_closes_new_connections() {
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
        held.push(half_open(&format!("127.0.1.{}", i % 3 + 1), s.addr).await);
    }
    // 8 + 8 + 4 connections fill the cap (the third address only gets 4 in).
    let mut late = half_open("127.0.2.1", s.addr).await;
    assert!(closed_within(&mut late, Duration::from_secs(5)).await);
    // Freeing places lets new clients in again.
    drop(held);
    let answered = tokio::time::timeout(Duration::from_secs(10), s.get("/healthz", None)).await;
    assert_eq!(answered.expect("served after the flood").status(), 200);
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
