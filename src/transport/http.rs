//! Streamable HTTP on `/mcp` (rmcp's service, mounted in axum), plus `/healthz`, `/metrics` and,
//! in OAuth mode, the RFC 9728 metadata at `/.well-known/oauth-protected-resource[/<path>]`.
//!
//! Every route sits behind the security layer of [`super::gate`]: Host and Origin checks and a
//! body limit on all of them; authentication (static tokens and/or OAuth), a per-caller rate
//! limit and scope checks on `/mcp` and `/metrics`; a per-IP rate limit on the public routes.
//! rmcp checks Host and Origin on `/mcp` again and enforces the body limit while streaming.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::accept;
use super::auth::Authenticator;
use super::conn_limit::ConnectionLimits;
use super::gate::{self, Gate};
use super::guard::Guard;
use super::healthz::{self, HealthCache};
use super::rate_limit::{RateLimit, RateLimiter};
use super::session_bind::{self, SessionOwners};
use crate::mcp::HaproxyMcp;

/// Default largest request body: 4 MiB (rmcp's default too).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Accepted Host header values (empty: loopback names).
    pub allowed_hosts: Vec<String>,
    /// Accepted Origin header values (empty: requests with an Origin are refused).
    pub allowed_origins: Vec<String>,
    /// Authentication (off by default).
    pub auth: Authenticator,
    /// Largest request body, in bytes.
    pub max_request_bytes: usize,
    /// Per-client rate limit (`None`: unlimited). Off in [`HttpOptions::default`] (embedders and
    /// tests choose); the binary turns it on by default (`MCP_RATE_LIMIT`, 10/s, burst 50).
    pub rate_limit: Option<RateLimit>,
    /// Connection caps and the request-head deadline.
    pub connections: ConnectionLimits,
    /// How long `/healthz` reuses its last probe of the targets.
    pub healthz_cache: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            auth: Authenticator::default(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            rate_limit: None,
            connections: ConnectionLimits::default(),
            healthz_cache: healthz::DEFAULT_CACHE,
        }
    }
}

/// The axum application: `/mcp`, `/healthz`, `/metrics` and (OAuth) the resource metadata.
pub fn app(server: HaproxyMcp, options: &HttpOptions, shutdown: CancellationToken) -> Router {
    let guard = Guard::new(&options.allowed_hosts, &options.allowed_origins);
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown.child_token())
        .with_allowed_hosts(guard.host_entries())
        .with_max_request_body_bytes(options.max_request_bytes)
        .enforce_origin_validation();
    if !options.allowed_origins.is_empty() {
        config = config.with_allowed_origins(options.allowed_origins.iter().cloned());
    }
    let factory = server.clone();
    let sessions = Arc::new(LocalSessionManager::default());
    let mcp = StreamableHttpService::new(move || Ok(factory.clone()), sessions.clone(), config);
    let gate = Gate {
        guard: Arc::new(guard),
        auth: options.auth.clone(),
        limiter: options.rate_limit.map(|l| Arc::new(RateLimiter::new(l))),
        max_body: options.max_request_bytes,
        body_timeout: options.connections.header_read_timeout,
        server,
        sessions: Arc::new(SessionOwners::new(sessions)),
        health: Arc::new(HealthCache::new(options.healthz_cache)),
    };
    let protected = Router::new()
        .nest_service("/mcp", mcp)
        .route("/metrics", get(metrics))
        .layer(from_fn_with_state(
            gate.clone(),
            session_bind::bind_sessions,
        ))
        .layer(from_fn_with_state(gate.clone(), gate::authenticate));
    let mut public = Router::new().route("/healthz", get(healthz::healthz));
    if let Some(oauth) = options.auth.oauth() {
        for path in oauth.settings().metadata_paths() {
            public = public.route(&path, get(resource_metadata));
        }
    }
    let public = public.layer(from_fn_with_state(gate.clone(), gate::limit_by_ip));
    protected
        .merge(public)
        .layer(from_fn_with_state(gate.clone(), gate::screen))
        .with_state(gate)
}

/// Binds `addr` and serves until `shutdown` is cancelled. Returns the bound address through
/// `on_bound` (useful with port 0).
pub async fn serve(
    server: HaproxyMcp,
    addr: SocketAddr,
    options: &HttpOptions,
    shutdown: CancellationToken,
    on_bound: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    on_bound(bound);
    let metrics = server.metrics().clone();
    let app = app(server, options, shutdown.clone());
    accept::serve(listener, app, options.connections, metrics, shutdown).await
}

/// Prometheus metrics; targets are probed on each scrape.
async fn metrics(State(gate): State<Gate>) -> impl IntoResponse {
    let up: Vec<(String, bool)> = healthz::probe(&gate.server)
        .await
        .into_iter()
        .map(|t| (t.name, t.reachable))
        .collect();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        gate.server.metrics().render(&up),
    )
}

/// RFC 9728 Protected Resource Metadata.
async fn resource_metadata(State(gate): State<Gate>) -> impl IntoResponse {
    let doc = gate
        .auth
        .oauth()
        .map(|o| o.settings().metadata())
        .unwrap_or_default();
    ([(header::CACHE_CONTROL, "max-age=3600")], Json(doc))
}
