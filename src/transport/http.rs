//! Streamable HTTP on `/mcp` (rmcp's service, mounted in axum), plus `/healthz`.
//!
//! Host and Origin headers are checked on `/mcp` by rmcp (DNS-rebinding protection): the Host
//! must be one of the allowed hosts (loopback names by default) and a request that carries an
//! Origin must name an allowed origin (none by default, so browsers are refused).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::mcp::HaproxyMcp;

/// HTTP settings.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Accepted Host header values (empty: loopback names).
    pub allowed_hosts: Vec<String>,
    /// Accepted Origin header values (empty: requests with an Origin are refused).
    pub allowed_origins: Vec<String>,
}

/// The axum application: `/mcp` and `/healthz`.
pub fn app(server: HaproxyMcp, options: &HttpOptions, shutdown: CancellationToken) -> Router {
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown.child_token())
        .enforce_origin_validation();
    if !options.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(options.allowed_hosts.iter().cloned());
    }
    if !options.allowed_origins.is_empty() {
        config = config.with_allowed_origins(options.allowed_origins.iter().cloned());
    }
    let factory = server.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(factory.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service("/mcp", mcp)
        .route("/healthz", get(healthz))
        .with_state(server)
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
    let app = app(server, options, shutdown.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// `/healthz`'s body.
#[derive(Debug, Serialize)]
struct Health {
    /// `ok` when every target answers, else `degraded` (the server itself is up either way).
    status: &'static str,
    targets: Vec<TargetHealth>,
}

#[derive(Debug, Serialize)]
struct TargetHealth {
    name: String,
    reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn healthz(State(server): State<HaproxyMcp>) -> Json<Health> {
    let probes = server.targets().all().iter().map(|t| async move {
        match t.client.show_version().await {
            Ok(v) => TargetHealth {
                name: t.name.clone(),
                reachable: true,
                version: Some(v),
                error: None,
            },
            Err(e) => TargetHealth {
                name: t.name.clone(),
                reachable: false,
                version: None,
                error: Some(e.to_string()),
            },
        }
    });
    let targets = futures::future::join_all(probes).await;
    let status = if targets.iter().all(|t| t.reachable) {
        "ok"
    } else {
        "degraded"
    };
    Json(Health { status, targets })
}
