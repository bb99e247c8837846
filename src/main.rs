//! haproxy-mcp-server: configuration -> logging -> targets -> MCP handler -> transport.

use std::net::SocketAddr;
use std::process::ExitCode;

use haproxy_mcp_server::config::{AuditDestination, Config, LogFormat, Transport};
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, RuntimeClient};
use haproxy_mcp_server::mcp::audit::AuditLog;
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Target, Targets};
use haproxy_mcp_server::transport::auth::Authenticator;
use haproxy_mcp_server::transport::oauth::OAuth;
use haproxy_mcp_server::transport::{http, stdio};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
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
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("haproxy-mcp-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr: stdout is the stdio transport. Colours only when stderr is a terminal
/// and `NO_COLOR` is not set.
fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(config: Config) -> Result<(), BoxError> {
    // Keeps the emulator's listener alive for the life of the server.
    let mut _emulator = None;
    let targets = if let Some(spec) = &config.emulator {
        let emu = haproxy_mcp_server::demo::load(spec)?;
        let dir = tempfile_dir()?;
        let path = dir.join("haproxy.sock");
        let listener = tokio::net::UnixListener::bind(&path)?;
        tracing::warn!(
            "HAProxy is EMULATED: replaying replies recorded from {} ({}); nothing real is changed",
            emu.haproxy(),
            spec
        );
        _emulator = Some((emu.serve_unix(listener), dir));
        let client = RuntimeClient::new(
            Endpoint::unix(path),
            ClientOptions {
                read_only: config.read_only,
                ..config.client.clone()
            },
        );
        vec![Target {
            name: "emulated".to_owned(),
            client,
            emulated: true,
        }]
    } else {
        config
            .targets
            .iter()
            .map(|t| Target {
                name: t.name.clone(),
                client: RuntimeClient::new(t.endpoint.clone(), t.options.clone()),
                emulated: false,
            })
            .collect()
    };
    let targets = Targets::new(targets, config.default_target.as_deref())
        .map_err(|e| format!("configuration error in default_target / targets: {e}"))?;
    for t in targets.all() {
        tracing::info!(target_name = %t.name, endpoint = %t.client.endpoint(), read_only = t.client.is_read_only(), "HAProxy target");
    }
    let result = serve(targets, &config).await;
    if let Some((handle, dir)) = _emulator.take() {
        handle.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn serve(targets: Targets, config: &Config) -> Result<(), BoxError> {
    let audit = match &config.audit_log {
        AuditDestination::Off => AuditLog::disabled(),
        AuditDestination::Stderr => AuditLog::stderr(),
        AuditDestination::File(path) => AuditLog::file(path).map_err(|e| {
            format!(
                "configuration error in HAPROXY_MCP_AUDIT_LOG (--audit-log): cannot open {}: {e}",
                path.display()
            )
        })?,
    }
    .with_reads(config.audit_reads);
    tracing::info!(audit = ?audit, "audit log");
    let settings = Settings {
        read_only: config.read_only,
        toolsets: config.toolsets.clone(),
        audit,
        ..Settings::default()
    };
    let server = HaproxyMcp::new(targets, settings);
    match config.transport {
        Transport::Stdio => stdio::serve(server).await,
        Transport::Http => {
            let shutdown = CancellationToken::new();
            let on_signal = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                on_signal.cancel();
            });
            let options = http::HttpOptions {
                allowed_hosts: config.allowed_hosts.clone(),
                allowed_origins: config.allowed_origins.clone(),
                auth: authenticator(config),
                max_request_bytes: config.max_request_bytes,
                rate_limit: config.rate_limit,
                ..http::HttpOptions::default()
            };
            let emulated = config.emulator.is_some();
            http::serve(server, SocketAddr::from(config.bind), &options, shutdown, |bound| {
                tracing::info!("MCP over Streamable HTTP at http://{bound}/mcp (health: /healthz, metrics: /metrics)");
                if emulated {
                    eprintln!("haproxy-mcp-server: listening on http://{bound}/mcp — the HAProxy behind it is EMULATED (recorded replies)");
                }
            })
            .await
            .map_err(Into::into)
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

/// A private directory for the emulator's socket (short path: sun_path is 108 bytes).
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("haproxy-mcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
