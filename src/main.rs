//! haproxy-mcp-server: configuration -> logging -> targets -> MCP handler -> transport.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use haproxy_mcp_server::config::{AuditDestination, Config, LogFormat, Transport};
use haproxy_mcp_server::discovery::Discovery;
use haproxy_mcp_server::haproxy::{Address, ClientOptions, Endpoint, RuntimeClient, WorkerTarget};
use haproxy_mcp_server::mcp::audit::AuditLog;
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Target, Targets};
use haproxy_mcp_server::transport::auth::Authenticator;
use haproxy_mcp_server::transport::oauth::OAuth;
use haproxy_mcp_server::transport::{http, stdio};
use tokio_util::sync::CancellationToken;

/// mimalloc rather than glibc's allocator, with the options `allocator::tune` sets
/// (`src/allocator.rs` says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    haproxy_mcp_server::allocator::tune();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("haproxy-mcp-server: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("haproxy-mcp-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(config));
    // A read of stdin blocked in the runtime's thread pool must not keep the process alive
    // after a signal (a plain drop would wait for it).
    runtime.shutdown_timeout(Duration::from_millis(500));
    // Printed once, on stderr (where the logs go too).
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haproxy-mcp-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C): the server stops and cleans up (the emulator's socket folder).
/// Both are registered when this is made, so a signal that comes early is not missed.
struct StopSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves at the first SIGTERM or SIGINT.
    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            let name = tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            };
            tracing::info!("{name}: stopping");
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C: stopping");
        }
    }
}

/// Logs go to stderr: stdout is the stdio transport. Colours only when stderr is a terminal
/// and `NO_COLOR` is not set.
fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // One line per event whatever a message holds: rmcp logs a caller's JSON-RPC id raw, and a
    // newline in it must not forge a log line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(haproxy_mcp_server::log_writer::OneLineStderr { ansi });
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(config: Config) -> Result<(), BoxError> {
    let stop = StopSignal::register()?;
    // Keeps the emulator's listeners alive for the life of the server; their folder is removed
    // when this is dropped, on every way out of this function.
    let mut _emulator = None;
    let targets = if let Some(spec) = &config.emulator {
        let emu = haproxy_mcp_server::demo::load(spec, config.emulator_engine)?;
        // A fresh folder of random name, private to this user (0700), for the socket (short
        // path: sun_path is 108 bytes).
        let mut folder = tempfile::Builder::new();
        folder.prefix("haproxy-mcp-");
        #[cfg(unix)]
        folder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = folder.tempdir()?;
        // The target is the emulated master CLI, as an operator's `haproxy -W -S` would be:
        // worker commands go to `@1`, and `reload` and `show proc` work.
        let path = dir.path().join("master.sock");
        let listener = tokio::net::UnixListener::bind(&path)?;
        let how = match emu.engine() {
            haproxy_emulator::Engine::Model => {
                "a model of HAProxy seeded from the state recorded from"
            }
            _ => "replaying replies recorded from",
        };
        tracing::warn!(
            "HAProxy is EMULATED: {how} {} ({}); nothing real is changed",
            emu.haproxy(),
            spec
        );
        _emulator = Some((emu.serve_master_unix(listener), dir));
        let client = RuntimeClient::new(
            Endpoint::master(Address::Unix(path), WorkerTarget::Relative(1)),
            ClientOptions {
                read_only: config.read_only,
                ..config.client.clone()
            },
        );
        vec![Target::new("emulated", client, true)]
    } else {
        config
            .targets
            .iter()
            .map(|t| {
                let client = RuntimeClient::new(t.endpoint.clone(), t.options.clone());
                Target::new(t.name.clone(), client, false).with_labels(t.labels.clone())
            })
            .collect()
    };
    let groups = config
        .target_groups
        .iter()
        .map(|g| (g.name.clone(), g.source.to_string()))
        .collect();
    let targets = Targets::with_groups(targets, config.default_target.as_deref(), groups)
        // The settings checked the names already (exit code 2); this is a last guard.
        .map_err(|e| format!("the targets cannot be served: {e}"))?;
    for t in targets.all() {
        tracing::info!(target_name = %t.name, endpoint = %t.client.endpoint(), read_only = t.client.is_read_only(), "HAProxy target");
    }
    // Members of discovered groups join the targets before the first call can be served.
    let _discovery = Discovery::start(
        config.target_groups.clone(),
        targets.clone(),
        config.client.clone(),
    )
    .await;
    let result = serve(targets, &config, stop).await;
    if let Some((handle, dir)) = _emulator.take() {
        if tokio::time::timeout(Duration::from_secs(2), handle.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("the emulator did not stop within 2 s");
        }
        if let Err(e) = dir.close() {
            tracing::warn!("cannot remove the emulator's socket folder: {e}");
        }
    }
    result
}

/// How long open HTTP connections (an SSE stream, say) may keep the server up after a signal.
const HTTP_DRAIN: Duration = Duration::from_secs(5);

async fn serve(targets: Targets, config: &Config, mut stop: StopSignal) -> Result<(), BoxError> {
    let audit = match &config.audit_log {
        AuditDestination::Off => AuditLog::disabled(),
        AuditDestination::Stderr => AuditLog::stderr(),
        AuditDestination::File(path) => AuditLog::file(path)
            .map_err(|e| format!("cannot open the audit log {}: {e}", path.display()))?,
    }
    .with_reads(config.audit_reads);
    tracing::info!(audit = ?audit, "audit log");
    let settings = Settings {
        read_only: config.read_only,
        toolsets: config.toolsets.clone(),
        audit,
        certificates_dir: config.certificates_dir.clone(),
        fleet: config.fleet,
        ..Settings::default()
    };
    let server = HaproxyMcp::new(targets, settings);
    match config.transport {
        // Ends at stdin's end, or at a signal.
        Transport::Stdio => tokio::select! {
            r = stdio::serve(server) => r,
            () = stop.wait() => Ok(()),
        },
        Transport::Http => {
            let shutdown = CancellationToken::new();
            let options = http::HttpOptions {
                allowed_hosts: config.allowed_hosts.clone(),
                allowed_origins: config.allowed_origins.clone(),
                auth: authenticator(config),
                max_request_bytes: config.max_request_bytes,
                rate_limit: config.rate_limit,
                connections: config.connection_limits,
                ..http::HttpOptions::default()
            };
            let emulated = config.emulator.is_some();
            let serving = http::serve(
                server,
                SocketAddr::from(config.bind),
                &options,
                shutdown.clone(),
                |bound| {
                    tracing::info!(
                        "MCP over Streamable HTTP at http://{bound}/mcp (health: /healthz, metrics: /metrics)"
                    );
                    if emulated {
                        eprintln!(
                            "haproxy-mcp-server: listening on http://{bound}/mcp — the HAProxy behind it is EMULATED (recorded replies)"
                        );
                    }
                },
            );
            tokio::pin!(serving);
            tokio::select! {
                r = &mut serving => r.map_err(Into::into),
                () = stop.wait() => {
                    shutdown.cancel();
                    match tokio::time::timeout(HTTP_DRAIN, serving).await {
                        Ok(r) => r.map_err(Into::into),
                        Err(_) => {
                            tracing::warn!("connections still open {} s after the signal; stopping anyway", HTTP_DRAIN.as_secs());
                            Ok(())
                        }
                    }
                }
            }
        }
    }
}

/// Static tokens and/or OAuth, from the configuration; logs what is on (names only) and fetches
/// the issuer's keys in the background so a misconfiguration shows at start.
fn authenticator(config: &Config) -> Authenticator {
    if !config.auth_tokens.is_empty() {
        let names: Vec<String> = config
            .auth_tokens
            .iter()
            .map(|t| {
                if t.read_only {
                    format!("{} (read-only)", t.name)
                } else {
                    t.name.clone()
                }
            })
            .collect();
        tracing::info!(
            "HTTP authentication: static bearer tokens {}",
            names.join(", ")
        );
    }
    let oauth = config.oauth.clone().map(OAuth::new);
    if let Some(oauth) = &oauth {
        let s = oauth.settings();
        tracing::info!(
            issuer = %s.issuer,
            resource = %s.resource,
            read_scope = %s.read_scope,
            write_scope = %s.write_scope,
            "HTTP authentication: OAuth access tokens"
        );
        let warm = oauth.clone();
        tokio::spawn(async move {
            match warm.warm_up().await {
                Ok(n) => tracing::info!("fetched {n} signing keys from the authorization server"),
                Err(e) => tracing::warn!(
                    "cannot fetch the authorization server's keys yet ({e}); tokens will be refused until it answers"
                ),
            }
        });
    }
    if !config.auth_configured() {
        tracing::info!(
            "HTTP authentication is off (loopback only, or --allow-unauthenticated); see docs/security.md"
        );
    }
    Authenticator::new(config.auth_tokens.clone(), oauth)
}
