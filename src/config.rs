//! Configuration: every setting is a flag and an environment variable (clap with `env`), and an
//! optional TOML file can name several HAProxy targets. [`Config::load`] validates everything up
//! front, so a bad setting stops the server at start with a message naming the setting and the fix.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde::Deserialize;

use crate::haproxy::{Address, ClientOptions, Endpoint, Limits, WorkerTarget};
use crate::mcp::tools::Toolset;

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
    /// HTTP bind address. Anything but loopback needs --allow-unauthenticated (no auth yet).
    #[arg(long, env = "MCP_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Host header values accepted over HTTP (comma-separated); loopback names by default.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Origin header values accepted over HTTP (comma-separated); none by default (browser
    /// requests with an Origin are refused).
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Serve HTTP on a non-loopback address without authentication (dangerous).
    #[arg(long, env = "MCP_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,

    /// Remove every tool that changes HAProxy, and refuse mutating commands.
    #[arg(long, env = "HAPROXY_MCP_READ_ONLY")]
    pub read_only: bool,
    /// Toolsets to expose (comma-separated) [default: all].
    #[arg(long, env = "HAPROXY_MCP_TOOLSETS", value_enum, value_delimiter = ',')]
    pub toolsets: Vec<Toolset>,
    /// Serve an in-process HAProxy emulator instead of a real HAProxy: a bundled version
    /// (2.6, 3.0, 3.2; newest when no value is given) or a fixtures folder.
    #[arg(long, env = "HAPROXY_MCP_EMULATOR", num_args = 0..=1, default_missing_value = "latest")]
    pub emulator: Option<String>,

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

    /// Log level: trace, debug, info, warn or error (logs go to stderr).
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
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
}

/// Everything the server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The parsed command line.
    pub transport: Transport,
    /// HTTP bind address and port.
    pub bind: (IpAddr, u16),
    /// Accepted Host headers (empty: rmcp's loopback defaults).
    pub allowed_hosts: Vec<String>,
    /// Accepted Origin headers.
    pub allowed_origins: Vec<String>,
    /// Targets (empty in emulator mode, where the emulator provides one).
    pub targets: Vec<TargetConfig>,
    /// Default target name.
    pub default_target: Option<String>,
    /// Read-only mode.
    pub read_only: bool,
    /// Toolsets.
    pub toolsets: Vec<Toolset>,
    /// Emulator spec (bundled version or folder), when in demo mode.
    pub emulator: Option<String>,
    /// Client options for targets that do not override them.
    pub client: ClientOptions,
    /// Log level filter.
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
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

/// Parses `1`, `@1`, `!123`, `@!123`, `master`, `@master`.
pub fn parse_master_target(s: &str) -> Option<WorkerTarget> {
    let s = s.strip_prefix('@').unwrap_or(s);
    if s == "master" {
        return Some(WorkerTarget::Master);
    }
    if let Some(pid) = s.strip_prefix('!') {
        return pid.parse().ok().map(WorkerTarget::Pid);
    }
    s.parse()
        .ok()
        .filter(|n| *n > 0)
        .map(WorkerTarget::Relative)
}

/// Splits `host:port` for a master CLI over TCP.
fn tcp_address(host: &str, port: u16) -> Address {
    Address::Tcp {
        host: host.to_owned(),
        port,
    }
}

impl Config {
    /// Parses flags and environment, reads the TOML file if any, and validates.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_cli(Cli::parse())
    }

    /// Validates an already-parsed command line.
    pub fn from_cli(cli: Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            None => ConfigFile::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    bad(
                        "HAPROXY_MCP_CONFIG (--config)",
                        format!("cannot read {}: {e}", path.display()),
                        "point it at a readable TOML file, or unset it",
                    )
                })?;
                toml::from_str(&text).map_err(|e| {
                    bad(
                        &format!("the configuration file {}", path.display()),
                        e.to_string(),
                        "see docs/configuration.md for the file's keys",
                    )
                })?
            }
        };
        let client = ClientOptions {
            limits: Limits {
                connect_timeout: Duration::from_millis(cli.connect_timeout_ms),
                command_timeout: Duration::from_millis(cli.command_timeout_ms),
                max_reply_bytes: cli.max_reply_bytes,
            },
            max_connections: cli.max_connections,
            read_only: cli.read_only || file.read_only,
            ..ClientOptions::default()
        };
        if cli.connect_timeout_ms == 0 || cli.command_timeout_ms == 0 {
            return Err(bad(
                "HAPROXY_CONNECT_TIMEOUT_MS / HAPROXY_COMMAND_TIMEOUT_MS",
                "a timeout of 0 ms can never succeed",
                "give a positive number of milliseconds (defaults: 3000 and 15000)",
            ));
        }
        if cli.max_connections == 0 || cli.max_connections > 10 {
            return Err(bad(
                "HAPROXY_MAX_CONNECTIONS (--max-connections)",
                format!("{} is outside 1–10", cli.max_connections),
                "HAProxy's `stats maxconn` (default 10) is shared by every CLI user; keep this well below it, e.g. 4",
            ));
        }
        if cli.max_reply_bytes < 4096 {
            return Err(bad(
                "HAPROXY_MAX_REPLY_BYTES (--max-reply-bytes)",
                format!("{} bytes cannot hold even `show info`", cli.max_reply_bytes),
                "use at least 4096 (default 64 MiB)",
            ));
        }
        if !cli.host.is_loopback() && cli.transport == Transport::Http && !cli.allow_unauthenticated
        {
            return Err(bad(
                "MCP_HOST (--host)",
                format!(
                    "{} is not a loopback address, and this server has no HTTP authentication configured",
                    cli.host
                ),
                "bind 127.0.0.1 and put an authenticating proxy in front, or pass --allow-unauthenticated (MCP_ALLOW_UNAUTHENTICATED=true) if the network is trusted",
            ));
        }
        if !valid_log_level(&cli.log_level) {
            return Err(bad(
                "LOG_LEVEL (--log-level)",
                format!("{:?} is not a log level", cli.log_level),
                "use trace, debug, info, warn or error",
            ));
        }
        let emulator = cli.emulator.clone().map(|e| {
            if e == "latest" {
                crate::demo::default_version().to_owned()
            } else {
                e
            }
        });
        let targets = if emulator.is_some() {
            Vec::new()
        } else if file.targets.is_empty() {
            vec![Self::env_target(&cli, &client)?]
        } else {
            file.targets
                .iter()
                .map(|t| Self::file_target(t, &client))
                .collect::<Result<Vec<_>, _>>()?
        };
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
            allowed_hosts: cli.allowed_hosts.clone(),
            allowed_origins: cli.allowed_origins.clone(),
            targets,
            default_target: file.default_target.clone(),
            read_only: client.read_only,
            toolsets,
            emulator,
            client,
            log_level: cli.log_level.clone(),
            log_format: cli.log_format,
        })
    }

    /// The single target described by the seed's HAPROXY_* settings.
    fn env_target(cli: &Cli, client: &ClientOptions) -> Result<TargetConfig, ConfigError> {
        let mode = cli.runtime_mode.unwrap_or(if cli.runtime_socket.is_some() {
            RuntimeMode::Unix
        } else {
            RuntimeMode::Tcp4
        });
        let socket = cli
            .runtime_socket
            .clone()
            .unwrap_or_else(|| PathBuf::from("/var/run/haproxy.sock"));
        let endpoint = match mode {
            RuntimeMode::Tcp4 => Endpoint::tcp(cli.haproxy_host.clone(), cli.haproxy_port),
            RuntimeMode::Unix => Endpoint::unix(socket),
            RuntimeMode::Master => {
                let worker = parse_master_target(&cli.master_target).ok_or_else(|| {
                    bad(
                        "HAPROXY_MASTER_TARGET (--master-target)",
                        format!("{:?} is not a worker target", cli.master_target),
                        "use 1 (first worker), !<pid>, or master",
                    )
                })?;
                let address = if cli.runtime_socket.is_some() {
                    Address::Unix(socket)
                } else {
                    tcp_address(&cli.haproxy_host, cli.haproxy_port)
                };
                Endpoint::master(address, worker)
            }
        };
        Ok(TargetConfig {
            name: "haproxy".to_owned(),
            endpoint,
            options: client.clone(),
        })
    }

    /// A target from the TOML file.
    fn file_target(t: &TargetFile, client: &ClientOptions) -> Result<TargetConfig, ConfigError> {
        let key = |k: &str| format!("targets[{}].{k} in the configuration file", t.name);
        if t.name.is_empty()
            || !t
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad(
                &format!("targets.name {:?} in the configuration file", t.name),
                "a target name must be non-empty and use letters, digits, '-', '_' or '.'",
                "rename the target",
            ));
        }
        let need_tcp = || -> Result<Address, ConfigError> {
            match (&t.host, t.port) {
                (Some(h), Some(p)) => Ok(tcp_address(h, p)),
                _ => Err(bad(
                    &key("host/port"),
                    "missing",
                    "give both host and port for a TCP target",
                )),
            }
        };
        let endpoint = match t.mode {
            RuntimeMode::Tcp4 => match need_tcp()? {
                Address::Tcp { host, port } => Endpoint::tcp(host, port),
                Address::Unix(p) => Endpoint::unix(p),
            },
            RuntimeMode::Unix => Endpoint::unix(
                t.socket
                    .clone()
                    .ok_or_else(|| bad(&key("socket"), "missing", "give the stats socket path"))?,
            ),
            RuntimeMode::Master => {
                let spec = t.master_target.as_deref().unwrap_or("1");
                let worker = parse_master_target(spec).ok_or_else(|| {
                    bad(
                        &key("master_target"),
                        format!("{spec:?} is not a worker target"),
                        "use 1, !<pid> or master",
                    )
                })?;
                let address = match &t.socket {
                    Some(p) => Address::Unix(p.clone()),
                    None => need_tcp()?,
                };
                Endpoint::master(address, worker)
            }
        };
        let mut options = client.clone();
        options.read_only |= t.read_only;
        Ok(TargetConfig {
            name: t.name.clone(),
            endpoint,
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
