//! Test support for the MCP layer: an in-process MCP server whose targets are in-process
//! emulators (or live HAProxy endpoints), driven by rmcp's own client over an in-memory duplex.

use std::path::{Path, PathBuf};

use haproxy_emulator::{Emulator, Engine, Options, ServerHandle};
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, RuntimeClient};
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Target, Targets};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

/// The fixtures folder of a HAProxy version (`"2.6"`, `"3.0"`, `"3.2"`, `"3.4"`).
pub fn fixtures(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(version)
}

/// Every recorded version, oldest first: one per `fixtures/X.Y/` folder (the list build.rs
/// bundles for `--emulator`), so that recording a new version's fixtures puts it under every
/// test that iterates over the versions, without a list to edit.
pub fn versions() -> Vec<&'static str> {
    haproxy_mcp_server::demo::bundled_versions()
}

/// Whether the recorded version `version` (`"3.4"`) is `min` (`"3.1"`) or newer.
pub fn at_least(version: &str, min: &str) -> bool {
    use haproxy_emulator::version::Version;
    let parse = |v: &str| Version::parse(v).unwrap_or_else(|| panic!("not a version: {v:?}"));
    parse(version) >= parse(min)
}

/// An MCP client connected to a server built from `targets`.
pub struct McpHarness {
    /// The rmcp client.
    pub client: RunningService<RoleClient, ()>,
    _emulators: Vec<ServerHandle>,
    _dir: tempfile::TempDir,
}

/// An emulator of `version` running its model of HAProxy, listening on a Unix socket in `dir`,
/// admin level: tools are tested on the state they create.
pub async fn emulator_endpoint(version: &str, dir: &Path, name: &str) -> (Endpoint, ServerHandle) {
    emulator_endpoint_with(version, dir, name, Engine::Model).await
}

/// An emulator of `version` answering with `engine` (the replay pins recorded bytes, for the
/// answer snapshots).
pub async fn emulator_endpoint_with(
    version: &str,
    dir: &Path,
    name: &str,
    engine: Engine,
) -> (Endpoint, ServerHandle) {
    let emu = Emulator::load_engine(fixtures(version), Options::default(), engine)
        .expect("fixtures load");
    let path = dir.join(format!("{name}.sock"));
    let listener = tokio::net::UnixListener::bind(&path).expect("bind emulator socket");
    let handle = emu.serve_unix(listener);
    (Endpoint::unix(path), handle)
}

impl McpHarness {
    /// One target named `haproxy` served by the emulator of `version` (its model).
    pub async fn emulated(version: &str, settings: Settings) -> Self {
        Self::emulated_targets(&[("haproxy", version)], None, settings).await
    }

    /// One target named `haproxy` replaying the recordings of `version` byte for byte.
    pub async fn replayed(version: &str, settings: Settings) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mh")
            .tempdir_in("/tmp")
            .unwrap();
        let (endpoint, handle) =
            emulator_endpoint_with(version, dir.path(), "haproxy", Engine::Replay).await;
        let targets = vec![target("haproxy", endpoint, &settings, true)];
        Self::start(
            Targets::new(targets, None).unwrap(),
            settings,
            vec![handle],
            dir,
        )
        .await
    }

    /// Several emulated targets: `(name, version)` pairs.
    pub async fn emulated_targets(
        specs: &[(&str, &str)],
        default: Option<&str>,
        settings: Settings,
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mh")
            .tempdir_in("/tmp")
            .unwrap();
        let mut handles = Vec::new();
        let mut targets = Vec::new();
        for (name, version) in specs {
            let (endpoint, handle) = emulator_endpoint(version, dir.path(), name).await;
            handles.push(handle);
            targets.push(target(name, endpoint, &settings, true));
        }
        Self::start(
            Targets::new(targets, default).unwrap(),
            settings,
            handles,
            dir,
        )
        .await
    }

    /// Emulated targets (`(name, version)` pairs), then one target per name in `unreachable`,
    /// pointing at a Unix socket nobody listens on.
    pub async fn emulated_with_unreachable(
        specs: &[(&str, &str)],
        unreachable: &[&str],
        default: Option<&str>,
        settings: Settings,
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mh")
            .tempdir_in("/tmp")
            .unwrap();
        let mut handles = Vec::new();
        let mut targets = Vec::new();
        for (name, version) in specs {
            let (endpoint, handle) = emulator_endpoint(version, dir.path(), name).await;
            handles.push(handle);
            targets.push(target(name, endpoint, &settings, true));
        }
        for name in unreachable {
            let missing = Endpoint::unix(dir.path().join(format!("{name}-missing.sock")));
            targets.push(target(name, missing, &settings, false));
        }
        Self::start(
            Targets::new(targets, default).unwrap(),
            settings,
            handles,
            dir,
        )
        .await
    }

    /// Every tool the server lists.
    pub async fn tools(&self) -> Vec<rmcp::model::Tool> {
        self.client.list_all_tools().await.expect("tools/list")
    }

    /// One target on a live endpoint.
    pub async fn live(endpoint: Endpoint, settings: Settings) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mh")
            .tempdir_in("/tmp")
            .unwrap();
        let t = target("haproxy", endpoint, &settings, false);
        Self::start(
            Targets::new(vec![t], None).unwrap(),
            settings,
            Vec::new(),
            dir,
        )
        .await
    }

    /// A server over `targets` (built by the test), keeping `emulators` and `dir` alive.
    pub async fn start(
        targets: Targets,
        settings: Settings,
        emulators: Vec<ServerHandle>,
        dir: tempfile::TempDir,
    ) -> Self {
        let client = ().serve(serve_in_memory(targets, settings)).await.expect("MCP handshake");
        Self {
            client,
            _emulators: emulators,
            _dir: dir,
        }
    }

    /// Calls a tool with JSON arguments.
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let params = CallToolRequestParams::new(tool.to_owned())
            .with_arguments(args.as_object().cloned().unwrap_or_default());
        self.client
            .call_tool(params)
            .await
            .expect("tools/call transport")
    }

    /// Calls a tool that must succeed; returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args.clone()).await;
        assert_ne!(r.is_error, Some(true), "{tool} {args} failed: {}", text(&r));
        r.structured_content.clone().unwrap_or(Value::Null)
    }

    /// Calls a tool that must fail; returns its error text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let r = self.call(tool, args.clone()).await;
        assert_eq!(
            r.is_error,
            Some(true),
            "{tool} {args} should have failed: {}",
            text(&r)
        );
        text(&r)
    }
}

/// A target with the client options the settings imply.
pub fn target(name: &str, endpoint: Endpoint, settings: &Settings, emulated: bool) -> Target {
    let options = ClientOptions {
        read_only: settings.read_only,
        ..Default::default()
    };
    Target::new(name, RuntimeClient::new(endpoint, options), emulated)
}

/// All text content of a result, joined.
pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts a listed tool's hints: read-only, and for mutating tools destructive and idempotent;
/// open-world is always false.
pub fn assert_hints(
    tools: &[rmcp::model::Tool],
    name: &str,
    read_only: bool,
    destructive: bool,
    idempotent: bool,
) {
    let tool = tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} is not listed"));
    let a = tool
        .annotations
        .as_ref()
        .unwrap_or_else(|| panic!("{name} has no annotations"));
    // readOnlyHint and idempotentHint default to false (MCP spec): absent means false.
    assert_eq!(
        a.read_only_hint.unwrap_or(false),
        read_only,
        "{name}: readOnlyHint"
    );
    assert_eq!(a.open_world_hint, Some(false), "{name}: openWorldHint");
    if !read_only {
        // destructiveHint defaults to true: absent means destructive.
        assert_eq!(
            a.destructive_hint.unwrap_or(true),
            destructive,
            "{name}: destructiveHint"
        );
        assert_eq!(
            a.idempotent_hint.unwrap_or(false),
            idempotent,
            "{name}: idempotentHint"
        );
    }
}

/// Polls `check` every 100 ms for up to `secs` seconds; true once it holds.
pub async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if check() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The first text block of a result: the one-paragraph summary.
pub fn summary(r: &CallToolResult) -> String {
    r.content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default()
}

/// An MCP client with its own handler (e.g. one that records progress notifications),
/// connected to a server with one target named `haproxy` on `endpoint` (typically live).
pub async fn client_with<H: rmcp::ClientHandler>(
    endpoint: Endpoint,
    settings: Settings,
    handler: H,
) -> RunningService<RoleClient, H> {
    let t = target("haproxy", endpoint, &settings, false);
    let targets = Targets::new(vec![t], None).unwrap();
    handler
        .serve(serve_in_memory(targets, settings))
        .await
        .expect("MCP handshake")
}

/// Starts an MCP server for `targets` on a spawned task and returns the client end of the
/// in-memory duplex it serves. Call inside a Tokio runtime.
pub fn serve_in_memory(targets: Targets, settings: Settings) -> tokio::io::DuplexStream {
    let server = HaproxyMcp::new(targets, settings);
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    client_io
}
