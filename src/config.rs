//! Configuration: every setting is a flag and an environment variable (clap with `env`), and an
//! optional TOML file can name several HAProxy targets. [`Config::load`] validates everything up
//! front, so a bad setting stops the server at start with a message naming the setting and the fix.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};
use serde::Deserialize;

use crate::haproxy::{ClientOptions, Endpoint, Limits};
use crate::mcp::tools::Toolset;
use crate::transport::auth::StaticToken;
use crate::transport::conn_limit::ConnectionLimits;
use crate::transport::oauth::OAuthSettings;
use crate::transport::rate_limit::RateLimit;

mod groups;
mod http_settings;
mod sources;
mod targets;

pub use groups::{GroupConfig, GroupSource, parse_group_file};
pub use sources::Sources;
pub use targets::parse_master_target;

/// How the Runtime API is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeMode {
    /// TCP (`stats socket ipv4@…`).
    Tcp4,
    /// A Unix stats socket.
    Unix,
    /// The master CLI (`haproxy -W -S …`), over a Unix socket path or `host:port`.
    Master,
}

/// The MCP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// JSON-RPC over stdin/stdout (for clients that start the server).
    Stdio,
    /// Streamable HTTP on `/mcp`.
    Http,
}

/// Log output format on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The command line; every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "haproxy-mcp-server",
    version,
    about = "An MCP server for HAProxy's Runtime API"
)]
pub struct Cli {
    /// HAProxy Runtime API host (tcp4 mode).
    #[arg(long, env = "HAPROXY_HOST", default_value = "127.0.0.1")]
    pub haproxy_host: String,
    /// HAProxy Runtime API port (tcp4 mode).
    #[arg(long, env = "HAPROXY_PORT", default_value_t = 9999)]
    pub haproxy_port: u16,
    /// How to reach the Runtime API [default: unix when a socket path is set, else tcp4].
    #[arg(long, env = "HAPROXY_RUNTIME_MODE", value_enum)]
    pub runtime_mode: Option<RuntimeMode>,
    /// Unix socket path of the stats socket (or of the master CLI in master mode)
    /// [default: /var/run/haproxy.sock].
    #[arg(long, env = "HAPROXY_RUNTIME_SOCKET")]
    pub runtime_socket: Option<PathBuf>,
    /// Master mode: which process runs worker commands: `1` (first worker), `!<pid>`, or `master`.
    #[arg(long, env = "HAPROXY_MASTER_TARGET", default_value = "1")]
    pub master_target: String,
    /// TOML file naming several targets and settings (see docs/configuration.md).
    #[arg(long, env = "HAPROXY_MCP_CONFIG")]
    pub config: Option<PathBuf>,

    /// MCP transport.
    #[arg(long, env = "MCP_TRANSPORT", value_enum, default_value = "stdio")]
    pub transport: Transport,
    /// HTTP port.
    #[arg(long, env = "MCP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// HTTP bind address: an IP address (`localhost` means 127.0.0.1). Anything but loopback
    /// needs authentication (static tokens or OAuth) or --allow-unauthenticated.
    #[arg(long, env = "MCP_HOST", default_value = "127.0.0.1", value_parser = parse_bind_host)]
    pub host: IpAddr,
    /// Host header values accepted over HTTP (comma-separated), in addition to the loopback
    /// names (always accepted).
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Origin header values accepted over HTTP (comma-separated), in addition to loopback
    /// origins (any port) on a loopback bind; other browser requests are refused.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Serve HTTP on a non-loopback address without authentication (dangerous; warns at
    /// every start).
    #[arg(long, env = "MCP_ALLOW_UNAUTHENTICATED", value_parser = BoolishValueParser::new())]
    pub allow_unauthenticated: bool,
    /// File of static bearer tokens, one `name:token[:ro]` per line (`ro`: read tools only).
    #[arg(long, env = "MCP_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,
    /// Static bearer tokens from the MCP_AUTH_TOKENS environment variable (`name:token[:ro]`,
    /// comma-separated). Deliberately not a flag: the command line is visible to every user.
    #[arg(skip)]
    pub auth_tokens: Option<String>,
    /// OAuth: the authorization server's issuer URL (turns OAuth resource-server mode on;
    /// needs --oauth-resource).
    #[arg(long, env = "MCP_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,
    /// OAuth: this server's canonical resource URL, e.g. https://mcp.example.com/mcp (tokens
    /// must carry it in `aud`).
    #[arg(long, env = "MCP_OAUTH_RESOURCE")]
    pub oauth_resource: Option<String>,
    /// OAuth: the issuer's JWKS URL [default: discovered from the issuer's metadata].
    #[arg(long, env = "MCP_OAUTH_JWKS_URL")]
    pub oauth_jwks_url: Option<String>,
    /// OAuth: scope that allows the read tools.
    #[arg(long, env = "MCP_OAUTH_READ_SCOPE", default_value = "haproxy:read")]
    pub oauth_read_scope: String,
    /// OAuth: scope that allows the tools that change HAProxy.
    #[arg(long, env = "MCP_OAUTH_WRITE_SCOPE", default_value = "haproxy:write")]
    pub oauth_write_scope: String,
    /// Largest HTTP request body, in bytes.
    #[arg(long, env = "MCP_MAX_REQUEST_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_request_bytes: usize,
    /// HTTP requests per second allowed per client (token name, else IP address); 0 turns the
    /// limit off.
    #[arg(long, env = "MCP_RATE_LIMIT", default_value_t = 10.0)]
    pub rate_limit: f64,
    /// HTTP requests a client may make in a burst above the rate.
    #[arg(long, env = "MCP_RATE_LIMIT_BURST", default_value_t = 50)]
    pub rate_limit_burst: u32,
    /// Most HTTP connections open at once (lowered to fit the process's file-descriptor limit);
    /// over it the oldest connection that never sent a request is closed.
    #[arg(long, env = "MCP_MAX_CONNECTIONS", default_value_t = 1024)]
    pub http_max_connections: usize,
    /// Most HTTP connections open at once from one client IP address (IPv6: per /64).
    #[arg(long, env = "MCP_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub http_max_connections_per_ip: usize,
    /// Seconds a client has to send a complete HTTP request head (also the idle time allowed
    /// between two requests on a kept-alive connection).
    #[arg(long, env = "MCP_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Audit log of mutating tool calls: a file path, `stderr`, or `off`.
    #[arg(long, env = "HAPROXY_MCP_AUDIT_LOG", default_value = "stderr")]
    pub audit_log: String,
    /// Audit read-only tool calls too.
    #[arg(long, env = "HAPROXY_MCP_AUDIT_READS", value_parser = BoolishValueParser::new())]
    pub audit_reads: bool,

    /// Folder rotate_certificate reads new certificates (PEM: certificate, chain, private key)
    /// from; the caller names a file in it, so keys never pass through the assistant. Unset:
    /// certificates cannot be rotated.
    #[arg(long, env = "HAPROXY_MCP_CERTIFICATES_DIR")]
    pub certificates_dir: Option<PathBuf>,

    /// Fleet reads (`target` = `*`, `group:…`, `k=v`): most targets read at once.
    #[arg(long, env = "HAPROXY_MCP_FLEET_CONCURRENCY", default_value_t = 500)]
    pub fleet_concurrency: usize,
    /// Fleet reads: how long one target may take, in milliseconds (a slower one is reported as
    /// failed; the others' answers stand).
    #[arg(
        long,
        env = "HAPROXY_MCP_FLEET_TARGET_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub fleet_target_timeout_ms: u64,

    /// Remove every tool that changes HAProxy, and refuse mutating commands.
    #[arg(long, env = "HAPROXY_MCP_READ_ONLY", value_parser = BoolishValueParser::new())]
    pub read_only: bool,
    /// Toolsets to expose (comma-separated) [default: all].
    #[arg(long, env = "HAPROXY_MCP_TOOLSETS", value_enum, value_delimiter = ',')]
    pub toolsets: Vec<Toolset>,
    /// Serve an in-process HAProxy emulator instead of a real HAProxy: a bundled version
    /// (2.6, 3.0, 3.2, 3.4), or a fixtures folder; the newest bundled version when no value, an
    /// empty value, `true` or `newest` is given (`false` turns it off).
    #[arg(long, env = "HAPROXY_MCP_EMULATOR", num_args = 0..=1, default_missing_value = "newest")]
    pub emulator: Option<String>,
    /// With `--emulator`: replay the recorded replies in recorded order instead of running the
    /// emulator's model of HAProxy (mutations then answer only what was recorded).
    #[arg(long, env = "HAPROXY_MCP_EMULATOR_REPLAY", value_parser = BoolishValueParser::new())]
    pub emulator_replay: bool,

    /// Connect timeout to HAProxy, in milliseconds.
    #[arg(long, env = "HAPROXY_CONNECT_TIMEOUT_MS", default_value_t = 3000)]
    pub connect_timeout_ms: u64,
    /// Deadline for one command's full reply, in milliseconds.
    #[arg(long, env = "HAPROXY_COMMAND_TIMEOUT_MS", default_value_t = 15000)]
    pub command_timeout_ms: u64,
    /// Largest reply accepted from HAProxy, in bytes.
    #[arg(long, env = "HAPROXY_MAX_REPLY_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_reply_bytes: usize,
    /// Most CLI connections open at once per target (HAProxy's `stats maxconn` is 10, shared).
    #[arg(long, env = "HAPROXY_MAX_CONNECTIONS", default_value_t = 4)]
    pub max_connections: usize,
    /// How long a kept CLI connection for the frequent reads is used after it was opened, in
    /// milliseconds (0: one connection per command).
    #[arg(long, env = "HAPROXY_KEEP_ALIVE_MS", default_value_t = 1000)]
    pub keep_alive_ms: u64,

    /// Log level: trace, debug, info, warn or error (logs go to stderr).
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Where each value came from (filled by [`Cli::from_env`]; empty otherwise).
    #[arg(skip)]
    pub sources: Sources,
}

impl Cli {
    /// Parses these arguments and the environment; `--help` and `--version` print and exit.
    pub fn from_args(args: Vec<std::ffi::OsString>) -> Result<Self, ConfigError> {
        sources::parse(args)
    }

    /// Parses the process's arguments and environment (MCP_AUTH_TOKENS included).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut cli = Self::from_args(std::env::args_os().collect())?;
        cli.auth_tokens = std::env::var("MCP_AUTH_TOKENS").ok();
        Ok(cli)
    }

    /// How to name a setting (by clap id, e.g. `haproxy_port`) in a message: the environment
    /// variable or the flag the user gave, or both when it is the default.
    pub fn setting(&self, id: &str) -> String {
        self.sources.name(id)
    }
}

/// `--host`: an IP address, or `localhost` (127.0.0.1). Names are not resolved: what a name
/// resolves to can change, and the loopback check must hold for the address actually bound.
fn parse_bind_host(value: &str) -> Result<IpAddr, String> {
    if value.trim().eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    value
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| "not an IP address".to_owned())
}

/// A target as written in the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// Name used in tool calls.
    pub name: String,
    /// tcp4, unix or master.
    pub mode: RuntimeMode,
    /// Host (tcp4, or master over TCP).
    pub host: Option<String>,
    /// Port (tcp4, or master over TCP).
    pub port: Option<u16>,
    /// Socket path (unix, or master over a Unix socket).
    pub socket: Option<PathBuf>,
    /// Master mode: `1`, `!<pid>` or `master`.
    pub master_target: Option<String>,
    /// Refuse mutations on this target even when the server is not read-only.
    #[serde(default)]
    pub read_only: bool,
    /// Labels a fleet read selects targets by (`key=value` in `target`).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Targets; when present they replace the single target of the HAPROXY_* settings.
    #[serde(default)]
    pub targets: Vec<TargetFile>,
    /// Target used by calls that name none (required with several targets, unless every
    /// call names one).
    pub default_target: Option<String>,
    /// Same as --read-only (either one switches it on).
    #[serde(default)]
    pub read_only: bool,
    /// Same as --toolsets (the flag wins when given).
    pub toolsets: Option<Vec<Toolset>>,
    /// Groups of targets discovered at run time (a watched file each).
    #[serde(default)]
    pub target_groups: Vec<groups::TargetGroupFile>,
}

/// One resolved target.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub endpoint: Endpoint,
    /// Client options (read-only included).
    pub options: ClientOptions,
    /// Its labels (`key=value` selectors of fleet reads match them).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Everything the server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The parsed command line.
    pub transport: Transport,
    /// HTTP bind address and port.
    pub bind: (IpAddr, u16),
    /// Accepted Host headers, checked and normalised (the loopback names always included).
    pub allowed_hosts: Vec<String>,
    /// Accepted Origin headers, checked, with explicit ports (loopback origins included on a
    /// loopback bind).
    pub allowed_origins: Vec<String>,
    /// `--allow-unauthenticated` was given.
    pub allow_unauthenticated: bool,
    /// Static bearer tokens (names and digests).
    pub auth_tokens: Vec<StaticToken>,
    /// OAuth resource-server settings, when on.
    pub oauth: Option<OAuthSettings>,
    /// Largest HTTP request body.
    pub max_request_bytes: usize,
    /// Per-client HTTP rate limit.
    pub rate_limit: Option<RateLimit>,
    /// HTTP connection caps and the request-head deadline.
    pub connection_limits: ConnectionLimits,
    /// Where the audit log goes.
    pub audit_log: AuditDestination,
    /// Audit reads too.
    pub audit_reads: bool,
    /// Things to warn about at start (logged once logging is up).
    pub warnings: Vec<String>,
    /// Targets (empty in emulator mode, where the emulator provides one).
    pub targets: Vec<TargetConfig>,
    /// Default target name.
    pub default_target: Option<String>,
    /// Target groups discovered at run time (empty in emulator mode).
    pub target_groups: Vec<GroupConfig>,
    /// Read-only mode.
    pub read_only: bool,
    /// Where rotate_certificate reads new certificates from (canonical path), if anywhere.
    pub certificates_dir: Option<PathBuf>,
    /// How fleet reads reach their targets.
    pub fleet: crate::mcp::fleet::FleetLimits,
    /// Toolsets.
    pub toolsets: Vec<Toolset>,
    /// Emulator spec (bundled version or folder), when in demo mode.
    pub emulator: Option<String>,
    /// How the demo's emulator answers: its model of HAProxy (the default) or the replay.
    pub emulator_engine: haproxy_emulator::Engine,
    /// Client options for targets that do not override them.
    pub client: ClientOptions,
    /// Log level filter.
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
}

/// Where the audit log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditDestination {
    /// Nowhere.
    Off,
    /// Standard error.
    Stderr,
    /// Appended to a file.
    File(PathBuf),
}

impl Config {
    /// Whether HTTP requests must authenticate.
    pub fn auth_configured(&self) -> bool {
        !self.auth_tokens.is_empty() || self.oauth.is_some()
    }
}

/// A setting that cannot work, with the fix.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {setting}: {problem}\n  fix: {fix}")]
pub struct ConfigError {
    /// Which setting (flag / env var / file key).
    pub setting: String,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub fix: String,
}

fn bad(setting: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// A plain level (`info`), or a `tracing` filter with directives (`info,rmcp=warn`).
fn valid_log_level(value: &str) -> bool {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    if value.contains(['=', ',']) {
        tracing_subscriber::EnvFilter::try_new(value).is_ok()
    } else {
        LEVELS.contains(&value.to_ascii_lowercase().as_str())
    }
}

impl Config {
    /// Parses flags and environment, reads the TOML file if any, and validates.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_cli(Cli::from_env()?)
    }

    /// Validates an already-parsed command line.
    pub fn from_cli(cli: Cli) -> Result<Self, ConfigError> {
        let (file, file_name) = targets::read_file(&cli)?;
        let client = client_options(&cli, file.read_only)?;
        let mut warnings = Vec::new();
        let auth_tokens = http_settings::tokens(&cli, &mut warnings)?;
        let oauth = http_settings::oauth(&cli)?;
        let auth_configured = !auth_tokens.is_empty() || oauth.is_some();
        if !cli.host.is_loopback()
            && cli.transport == Transport::Http
            && !auth_configured
            && !cli.allow_unauthenticated
        {
            return Err(bad(
                &cli.setting("host"),
                format!(
                    "{} is not a loopback address, and no HTTP authentication is configured",
                    cli.host
                ),
                "configure tokens (MCP_AUTH_TOKENS or MCP_AUTH_TOKENS_FILE) or OAuth (MCP_OAUTH_ISSUER and MCP_OAUTH_RESOURCE), see docs/security.md; or bind 127.0.0.1; or pass --allow-unauthenticated (MCP_ALLOW_UNAUTHENTICATED=true) if the network is trusted",
            ));
        }
        if cli.allow_unauthenticated && cli.transport == Transport::Http {
            warnings.push(if auth_configured {
                "--allow-unauthenticated (MCP_ALLOW_UNAUTHENTICATED) is set but has no effect: authentication is configured, and every HTTP request must authenticate".to_owned()
            } else {
                format!(
                    "--allow-unauthenticated (MCP_ALLOW_UNAUTHENTICATED): HTTP on {} has NO authentication; anyone who can reach this port can use every tool, including the ones that change HAProxy. Configure MCP_AUTH_TOKENS or OAuth (docs/security.md)",
                    cli.host
                )
            });
        }
        let (allowed_hosts, allowed_origins) = http_settings::allowed_lists(&cli)?;
        let (max_request_bytes, rate_limit) = http_settings::http_limits(&cli)?;
        let connection_limits = http_settings::connection_limits(&cli)?;
        let audit_log = audit_destination(&cli)?;
        if !valid_log_level(&cli.log_level) {
            return Err(bad(
                &cli.setting("log_level"),
                format!("{:?} is not a log level", cli.log_level),
                "use trace, debug, info, warn or error (or a tracing filter such as info,rmcp=warn)",
            ));
        }
        let emulator = emulator_spec(&cli)?;
        let (targets, default_target) = targets::resolve(
            &cli,
            &file,
            &file_name,
            &client,
            emulator.is_some(),
            &mut warnings,
        )?;
        let target_groups = groups::resolve(&file, &file_name, emulator.is_some(), &mut warnings)?;
        let toolsets = if !cli.toolsets.is_empty() {
            cli.toolsets.clone()
        } else {
            file.toolsets
                .clone()
                .unwrap_or_else(|| Toolset::ALL.to_vec())
        };
        Ok(Self {
            transport: cli.transport,
            bind: (cli.host, cli.port),
            allowed_hosts,
            allowed_origins,
            allow_unauthenticated: cli.allow_unauthenticated,
            auth_tokens,
            oauth,
            max_request_bytes,
            rate_limit,
            connection_limits,
            audit_log,
            audit_reads: cli.audit_reads,
            warnings,
            targets,
            default_target,
            target_groups,
            read_only: client.read_only,
            certificates_dir: certificates_dir(&cli)?,
            fleet: fleet_limits(&cli)?,
            toolsets,
            emulator,
            emulator_engine: if cli.emulator_replay {
                haproxy_emulator::Engine::Replay
            } else {
                haproxy_emulator::Engine::Model
            },
            client,
            log_level: cli.log_level.clone(),
            log_format: cli.log_format,
        })
    }
}

/// Timeouts, limits and read-only mode shared by every target.
fn client_options(cli: &Cli, file_read_only: bool) -> Result<ClientOptions, ConfigError> {
    for (id, value) in [
        ("connect_timeout_ms", cli.connect_timeout_ms),
        ("command_timeout_ms", cli.command_timeout_ms),
    ] {
        if value == 0 {
            return Err(bad(
                &cli.setting(id),
                "a timeout of 0 ms can never succeed",
                "give a positive number of milliseconds (defaults: 3000 to connect, 15000 per command)",
            ));
        }
    }
    if cli.haproxy_port == 0 {
        return Err(bad(
            &cli.setting("haproxy_port"),
            "port 0 cannot be connected to",
            "give the TCP port of HAProxy's stats socket, 1-65535 (default 9999)",
        ));
    }
    if cli.max_connections == 0 || cli.max_connections > 10 {
        return Err(bad(
            &cli.setting("max_connections"),
            format!("{} is outside 1–10", cli.max_connections),
            "HAProxy's `stats maxconn` (default 10) is shared by every CLI user; keep this well below it, e.g. 4",
        ));
    }
    if cli.keep_alive_ms > 60_000 {
        return Err(bad(
            &cli.setting("keep_alive_ms"),
            format!("{} ms would hold a CLI slot that long", cli.keep_alive_ms),
            "use 0 to 60000 ms, below HAProxy's `stats timeout` (10 s by default); 0 turns keeping off (default 1000)",
        ));
    }
    if cli.max_reply_bytes < 4096 {
        return Err(bad(
            &cli.setting("max_reply_bytes"),
            format!("{} bytes cannot hold even `show info`", cli.max_reply_bytes),
            "use at least 4096 (default 64 MiB)",
        ));
    }
    Ok(ClientOptions {
        limits: Limits {
            connect_timeout: Duration::from_millis(cli.connect_timeout_ms),
            command_timeout: Duration::from_millis(cli.command_timeout_ms),
            max_reply_bytes: cli.max_reply_bytes,
        },
        max_connections: cli.max_connections,
        read_only: cli.read_only || file_read_only,
        keep_alive: Duration::from_millis(cli.keep_alive_ms),
        ..ClientOptions::default()
    })
}

/// Where the audit log goes; a file is opened (created `0600`) now, so a path that cannot be
/// written stops the server at start.
fn audit_destination(cli: &Cli) -> Result<AuditDestination, ConfigError> {
    Ok(match cli.audit_log.trim() {
        "off" | "none" | "" => AuditDestination::Off,
        "stderr" | "-" => AuditDestination::Stderr,
        path => {
            let path = PathBuf::from(path);
            crate::mcp::audit::AuditLog::file(&path).map_err(|e| {
                bad(
                    &cli.setting("audit_log"),
                    format!("cannot open {} for appending: {e}", path.display()),
                    "give a file in an existing, writable folder, or `stderr`, or `off`",
                )
            })?;
            AuditDestination::File(path)
        }
    })
}

/// The certificates folder, resolved now so a missing one stops the server at start.
/// The fleet reads' concurrency and per-target deadline, checked.
fn fleet_limits(cli: &Cli) -> Result<crate::mcp::fleet::FleetLimits, ConfigError> {
    if !(1..=5000).contains(&cli.fleet_concurrency) {
        return Err(bad(
            &cli.setting("fleet_concurrency"),
            format!("{} is outside 1–5000", cli.fleet_concurrency),
            "give how many targets a fleet read may talk to at once (default 500); each holds up to HAPROXY_MAX_CONNECTIONS file descriptors",
        ));
    }
    if !(100..=600_000).contains(&cli.fleet_target_timeout_ms) {
        return Err(bad(
            &cli.setting("fleet_target_timeout_ms"),
            format!("{} ms is outside 100–600000", cli.fleet_target_timeout_ms),
            "give how long one target of a fleet read may take, in milliseconds (default 10000)",
        ));
    }
    Ok(crate::mcp::fleet::FleetLimits {
        concurrency: cli.fleet_concurrency,
        target_deadline: Duration::from_millis(cli.fleet_target_timeout_ms),
    })
}

fn certificates_dir(cli: &Cli) -> Result<Option<PathBuf>, ConfigError> {
    let Some(dir) = cli.certificates_dir.as_deref() else {
        return Ok(None);
    };
    match dir.canonicalize() {
        Ok(path) if path.is_dir() => Ok(Some(path)),
        Ok(_) => Err(bad(
            &cli.setting("certificates_dir"),
            format!("{} is not a folder", dir.display()),
            "give the folder new certificate files are put in",
        )),
        Err(e) => Err(bad(
            &cli.setting("certificates_dir"),
            format!("cannot open {}: {e}", dir.display()),
            "give an existing folder this server can read",
        )),
    }
}

/// The emulator to serve, if any: a bundled version or a fixtures folder.
fn emulator_spec(cli: &Cli) -> Result<Option<String>, ConfigError> {
    let Some(spec) = cli.emulator.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let versions = crate::demo::bundled_versions();
    match spec.to_ascii_lowercase().as_str() {
        "" | "true" | "newest" | "latest" | "yes" | "on" | "1" => {
            return Ok(Some(crate::demo::default_version().to_owned()));
        }
        "false" | "no" | "off" | "0" => return Ok(None),
        _ => {}
    }
    if versions.contains(&spec) {
        return Ok(Some(spec.to_owned()));
    }
    let setting = cli.setting("emulator");
    if std::path::Path::new(spec).is_dir() {
        crate::demo::load(spec, haproxy_emulator::Engine::Replay).map_err(|e| {
            bad(
                &setting,
                format!("the fixtures folder {spec} cannot be loaded: {e}"),
                "point it at a folder recorded by scripts/capture.sh (docs/emulator.md), or use a bundled version",
            )
        })?;
        return Ok(Some(spec.to_owned()));
    }
    Err(bad(
        &setting,
        format!("{spec:?} is neither a bundled HAProxy version nor a fixtures folder"),
        format!(
            "use one of the bundled versions ({}), nothing (the newest), or the path of a fixtures folder",
            versions.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::{Address, WorkerTarget};

    fn cli(args: &[&str]) -> Cli {
        let mut v = vec!["haproxy-mcp-server"];
        v.extend_from_slice(args);
        Cli::try_parse_from(v).unwrap()
    }

    #[test]
    fn defaults_follow_the_seed() {
        let c = Config::from_cli(cli(&[])).unwrap();
        assert_eq!(c.transport, Transport::Stdio);
        assert_eq!(c.targets[0].endpoint, Endpoint::tcp("127.0.0.1", 9999));
        assert_eq!(c.bind.1, 8080);
        assert_eq!(c.toolsets.len(), Toolset::ALL.len());
    }

    #[test]
    fn a_socket_path_implies_unix_mode() {
        let c = Config::from_cli(cli(&["--runtime-socket", "/run/h.sock"])).unwrap();
        assert_eq!(c.targets[0].endpoint, Endpoint::unix("/run/h.sock"));
        let m = Config::from_cli(cli(&[
            "--runtime-mode",
            "master",
            "--runtime-socket",
            "/run/m.sock",
            "--master-target",
            "!42",
        ]))
        .unwrap();
        assert_eq!(
            m.targets[0].endpoint,
            Endpoint::master(Address::Unix("/run/m.sock".into()), WorkerTarget::Pid(42))
        );
    }

    #[test]
    fn bad_settings_name_the_setting_and_the_fix() {
        let e = Config::from_cli(cli(&["--transport", "http", "--host", "0.0.0.0"])).unwrap_err();
        assert!(e.to_string().contains("MCP_HOST"), "{e}");
        assert!(e.to_string().contains("--allow-unauthenticated"), "{e}");
        assert!(
            Config::from_cli(cli(&[
                "--transport",
                "http",
                "--host",
                "0.0.0.0",
                "--allow-unauthenticated"
            ]))
            .is_ok()
        );
        let e = Config::from_cli(cli(&["--max-connections", "50"])).unwrap_err();
        assert!(e.to_string().contains("HAPROXY_MAX_CONNECTIONS"), "{e}");
        let e = Config::from_cli(cli(&["--runtime-mode", "master", "--master-target", "x"]))
            .unwrap_err();
        assert!(e.to_string().contains("HAPROXY_MASTER_TARGET"), "{e}");
        let e = Config::from_cli(cli(&["--log-level", "loud"])).unwrap_err();
        assert!(e.to_string().contains("LOG_LEVEL"), "{e}");
    }

    #[test]
    fn messages_name_the_flag_that_was_given() {
        let args = |v: &[&str]| {
            std::iter::once("haproxy-mcp-server")
                .chain(v.iter().copied())
                .map(Into::into)
                .collect::<Vec<std::ffi::OsString>>()
        };
        let c = Cli::from_args(args(&["--haproxy-port", "0"])).unwrap();
        assert!(c.sources.explicit("haproxy_port"));
        assert!(!c.sources.explicit("haproxy_host"));
        let e = Config::from_cli(c).unwrap_err();
        assert_eq!(e.setting, "--haproxy-port (HAPROXY_PORT)");
        let e = Cli::from_args(args(&["--haproxy-port", "x"])).unwrap_err();
        assert_eq!(e.setting, "--haproxy-port (HAPROXY_PORT)");
        assert!(e.fix.contains("1-65535"), "{e}");
        let e = Cli::from_args(args(&["--read-only=maybe"])).unwrap_err();
        assert_eq!(e.setting, "--read-only (HAPROXY_MCP_READ_ONLY)");
        assert!(e.fix.contains("without a value"), "{e}");
        let c = Cli::from_args(args(&["--host", "localhost", "--read-only"])).unwrap();
        assert_eq!(c.host, IpAddr::from([127, 0, 0, 1]));
        assert!(c.read_only);
        // Without sources (a Cli built otherwise), both names.
        let e = Config::from_cli(cli(&["--haproxy-port", "0"])).unwrap_err();
        assert_eq!(e.setting, "HAPROXY_PORT (--haproxy-port)");
    }

    #[test]
    fn authentication_counts_for_a_public_bind() {
        let public = ["--transport", "http", "--host", "0.0.0.0"];
        let mut with_tokens = cli(&public);
        with_tokens.auth_tokens =
            Some("alice:0123456789abcdef0123,bob:fedcba9876543210fedc:ro".into());
        let c = Config::from_cli(with_tokens).unwrap();
        assert!(c.auth_configured());
        assert_eq!(c.auth_tokens.len(), 2);
        assert!(c.auth_tokens[1].read_only);
        assert!(c.warnings.is_empty());
        let mut weak = cli(&public);
        weak.auth_tokens = Some("alice:short".into());
        let e = Config::from_cli(weak).unwrap_err().to_string();
        assert!(e.contains("MCP_AUTH_TOKENS") && !e.contains("short"), "{e}");

        let mut oauth = public.to_vec();
        oauth.extend([
            "--oauth-issuer",
            "https://idp.example.com",
            "--oauth-resource",
            "https://mcp.example.com/mcp",
        ]);
        let c = Config::from_cli(cli(&oauth)).unwrap();
        let o = c.oauth.unwrap();
        assert_eq!(o.resource, "https://mcp.example.com/mcp");
        assert_eq!(
            (o.read_scope.as_str(), o.write_scope.as_str()),
            ("haproxy:read", "haproxy:write")
        );
        let e = Config::from_cli(cli(&["--oauth-issuer", "https://idp.example.com"])).unwrap_err();
        assert!(e.to_string().contains("MCP_OAUTH_RESOURCE"), "{e}");
        let e = Config::from_cli(cli(&[
            "--oauth-issuer",
            "http://idp.example.com",
            "--oauth-resource",
            "https://mcp.example.com/mcp",
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("not https"), "{e}");
        assert!(
            Config::from_cli(cli(&[
                "--oauth-issuer",
                "http://127.0.0.1:9000",
                "--oauth-resource",
                "http://localhost:8080/mcp",
            ]))
            .is_ok(),
            "plain http is fine on loopback"
        );
    }

    #[test]
    fn allow_unauthenticated_warns_and_limits_parse() {
        let c = Config::from_cli(cli(&[
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--allow-unauthenticated",
        ]))
        .unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].contains("NO authentication"),
            "{:?}",
            c.warnings
        );
        let c = Config::from_cli(cli(&[])).unwrap();
        assert_eq!(
            c.rate_limit,
            Some(RateLimit {
                per_second: 10.0,
                burst: 50
            })
        );
        assert_eq!(c.max_request_bytes, 4 << 20);
        assert_eq!(c.audit_log, AuditDestination::Stderr);
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("a.jsonl");
        let c = Config::from_cli(cli(&[
            "--rate-limit",
            "0",
            "--audit-log",
            audit.to_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.audit_log, AuditDestination::File(audit.clone()));
        assert!(audit.exists(), "opened (created) at start");
        assert_eq!(
            Config::from_cli(cli(&["--audit-log", "off"]))
                .unwrap()
                .audit_log,
            AuditDestination::Off
        );
        assert!(Config::from_cli(cli(&["--max-request-bytes", "10"])).is_err());
        assert!(Config::from_cli(cli(&["--rate-limit-burst", "0"])).is_err());
    }

    #[test]
    fn toml_targets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            r#"
default_target = "eu"
[[targets]]
name = "eu"
mode = "tcp4"
host = "10.0.0.5"
port = 9999
[[targets]]
name = "us"
mode = "unix"
socket = "/run/us.sock"
read_only = true
"#,
        )
        .unwrap();
        let c = Config::from_cli(cli(&["--config", path.to_str().unwrap()])).unwrap();
        assert_eq!(c.targets.len(), 2);
        assert!(c.targets[1].options.read_only);
        assert!(!c.targets[0].options.read_only);
        assert_eq!(c.default_target.as_deref(), Some("eu"));
        std::fs::write(&path, "[[targets]]\nname = \"x\"\nmode = \"unix\"\n").unwrap();
        let e = Config::from_cli(cli(&["--config", path.to_str().unwrap()])).unwrap_err();
        assert!(e.to_string().contains("socket"), "{e}");
        std::fs::write(&path, "bogus = 1\n").unwrap();
        let e = Config::from_cli(cli(&["--config", path.to_str().unwrap()])).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }
}
