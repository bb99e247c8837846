//! Support for the HTTP security tests: the HTTP app served in-process on 127.0.0.1:0 in front
//! of emulated (or unreachable) targets, and rmcp Streamable HTTP clients with a bearer token.

#![allow(dead_code)]

pub mod idp;

use std::net::SocketAddr;
use std::path::Path;

use haproxy_emulator::ServerHandle;
use haproxy_mcp_server::haproxy::Endpoint;
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Targets};
use haproxy_mcp_server::transport::http::{self, HttpOptions};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::mcp::{emulator_endpoint, target};

/// alice: read-write static token.
pub const ALICE: &str = "alice-0123456789abcdef0123456789";
/// bob: read-only static token.
pub const BOB: &str = "bob-fedcba9876543210fedcba98765";
/// The `MCP_AUTH_TOKENS` value naming both.
pub fn tokens_env() -> String {
    format!("alice:{ALICE},bob:{BOB}:ro")
}

/// A running HTTP server; stops when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The MCP handler behind it (metrics, audit).
    pub server: HaproxyMcp,
    shutdown: CancellationToken,
    _emulators: Vec<ServerHandle>,
    _dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestServer {
    /// One emulated HAProxy 3.2 target named `haproxy`.
    pub async fn start(settings: Settings, options: HttpOptions) -> Self {
        Self::with_targets(&[("haproxy", Some("3.2"))], settings, options).await
    }

    /// Targets as `(name, Some(version))` (emulated) or `(name, None)` (nobody listening).
    pub async fn with_targets(
        specs: &[(&str, Option<&str>)],
        settings: Settings,
        options: HttpOptions,
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hs")
            .tempdir_in("/tmp")
            .unwrap();
        let mut emulators = Vec::new();
        let mut targets = Vec::new();
        for (name, version) in specs {
            let endpoint = match version {
                Some(v) => {
                    let (endpoint, handle) = emulator_endpoint(v, dir.path(), name).await;
                    emulators.push(handle);
                    endpoint
                }
                None => Endpoint::unix(dir.path().join(format!("{name}-missing.sock"))),
            };
            targets.push(target(name, endpoint, &settings, version.is_some()));
        }
        let default = specs.first().map(|(n, _)| *n);
        let server = HaproxyMcp::new(Targets::new(targets, default).unwrap(), settings);
        let shutdown = CancellationToken::new();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (srv, stop) = (server.clone(), shutdown.clone());
        tokio::spawn(async move {
            let addr = "127.0.0.1:0".parse().unwrap();
            http::serve(srv, addr, &options, stop, |bound| {
                let _ = tx.send(bound);
            })
            .await
            .unwrap();
        });
        let addr = rx.await.unwrap();
        Self {
            addr,
            server,
            shutdown,
            _emulators: emulators,
            _dir: dir,
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An rmcp client over Streamable HTTP, with `token` as its bearer token.
    pub async fn client(
        &self,
        token: Option<&str>,
    ) -> Result<RunningService<RoleClient, ()>, String> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(self.url("/mcp"));
        if let Some(t) = token {
            config = config.auth_header(t);
        }
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .map_err(|e| e.to_string())
    }

    /// GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = reqwest::Client::new().get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    /// POSTs a JSON-RPC body to `/mcp` with an optional bearer token.
    pub async fn post_mcp(&self, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut r = reqwest::Client::new()
            .post(self.url("/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }
}

/// A `tools/call` JSON-RPC request.
pub fn tools_call(tool: &str, args: Value) -> Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": args}
    })
}

/// Calls a tool through an rmcp client.
pub async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Value,
) -> Result<CallToolResult, String> {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().cloned().unwrap_or_default()),
        )
        .await
        .map_err(|e| e.to_string())
}

/// The `WWW-Authenticate` header of a response.
pub fn challenge(r: &reqwest::Response) -> String {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The audit lines written to `path` so far (each one JSON object).
pub fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// An MCP `initialize` request: answered 200 by rmcp once the security layer lets it through.
pub fn initialize() -> Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "http-test", "version": "0"}
        }
    })
}
