//! haproxy-emulator: serves HAProxy Runtime API replies recorded from real HAProxy
//! (`serve`), and records new ones (`capture`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use haproxy_emulator::capture::{self, CaptureOptions, Endpoint};
use haproxy_emulator::{Emulator, Engine, Fault, Level, Options, ServerHandle, server};

/// Serves recorded HAProxy Runtime API replies, and records new ones.
#[derive(Debug, Parser)]
#[command(
    name = "haproxy-emulator",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Without a subcommand the flags of `serve` are accepted directly.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve a fixtures folder on TCP and/or Unix sockets.
    Serve(ServeArgs),
    /// Run a scenario against a real HAProxy and write one fixture per exchange.
    Capture(CaptureArgs),
    /// Load a fixtures folder and report what it holds (exit 1 when it is malformed).
    Check {
        /// The fixtures folder.
        #[arg(long)]
        fixtures: PathBuf,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The fixtures folder (e.g. fixtures/3.2).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Admin-level TCP listener (repeatable), e.g. 127.0.0.1:9999.
    #[arg(long)]
    tcp: Vec<SocketAddr>,
    /// Admin-level Unix socket path (repeatable).
    #[arg(long)]
    unix: Vec<PathBuf>,
    /// User-level Unix socket path (repeatable).
    #[arg(long)]
    user_unix: Vec<PathBuf>,
    /// User-level TCP listener (repeatable).
    #[arg(long)]
    user_tcp: Vec<SocketAddr>,
    /// Master CLI on TCP (repeatable), as `haproxy -W -S 127.0.0.1:9998` serves it: `show
    /// proc`, `reload`, and `@1 <command>` for the worker the other listeners answer for.
    #[arg(long)]
    master_tcp: Vec<SocketAddr>,
    /// Master CLI on a Unix socket path (repeatable).
    #[arg(long)]
    master_unix: Vec<PathBuf>,
    /// Fault to inject: none, delay=<ms>, stall, close, truncate=<n>, garbage, refuse.
    #[arg(long, default_value = "none")]
    fault: Fault,
    /// Close connections idle for this many milliseconds (HAProxy's `stats timeout`).
    #[arg(long, default_value_t = 30_000)]
    idle_timeout_ms: u64,
    /// Run the model of HAProxy seeded from the fixtures (commands take effect) instead of
    /// replaying the recordings in order.
    #[arg(long)]
    model: bool,
    /// With --model: the HAProxy configuration the fixtures were recorded with (e.g.
    /// fixtures/haproxy.cfg), for what the recordings do not show: stick tables' data types,
    /// the named `defaults` sections `add backend … from` needs.
    #[arg(long, requires = "model")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CaptureArgs {
    /// The scenario file.
    #[arg(long, default_value = "fixtures/scenario.txt")]
    scenario: PathBuf,
    /// Admin-level stats socket: unix:/path or tcp:host:port.
    #[arg(long)]
    admin: Endpoint,
    /// User-level stats socket: unix:/path or tcp:host:port.
    #[arg(long)]
    user: Option<Endpoint>,
    /// First line of `haproxy -v` of the HAProxy being recorded.
    #[arg(long)]
    haproxy_version: String,
    /// The configuration HAProxy runs (recorded with its SHA-256).
    #[arg(long, default_value = "fixtures/haproxy.cfg")]
    config: PathBuf,
    /// Output folder (its NNNN-*.txt files are replaced).
    #[arg(long)]
    out: PathBuf,
    /// Per-exchange timeout in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// NAME=VALUE for {{var:NAME}} placeholders (repeatable).
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not NAME=VALUE"))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| {
            tracing_subscriber::EnvFilter::try_new(
                std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into()),
            )
        })
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Some(Cmd::Serve(args)) => serve(args).await,
        Some(Cmd::Capture(args)) => run_capture(args).await,
        Some(Cmd::Check { fixtures }) => check(fixtures),
        None => serve(cli.serve).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let dir = args
        .fixtures
        .ok_or("--fixtures <DIR> is required (see --help)")?;
    if args.tcp.is_empty()
        && args.unix.is_empty()
        && args.user_unix.is_empty()
        && args.user_tcp.is_empty()
        && args.master_tcp.is_empty()
        && args.master_unix.is_empty()
    {
        return Err(
            "nothing to listen on: give --tcp, --unix, --master-tcp or --master-unix".into(),
        );
    }
    let options = Options {
        idle_timeout: Duration::from_millis(args.idle_timeout_ms),
        ..Options::default()
    };
    let engine = if args.model {
        Engine::Model
    } else {
        Engine::Replay
    };
    let mut emulator = Emulator::load_engine(&dir, options, engine).map_err(|e| e.to_string())?;
    if let Some(path) = &args.config {
        let config = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
        emulator.apply_config(&config)?;
    }
    emulator.set_fault(args.fault);
    tracing::info!(
        fixtures = emulator.fixture_count(),
        version = %emulator.version(),
        fault = %args.fault,
        engine = ?emulator.engine(),
        "loaded {}",
        dir.display()
    );
    let mut handles: Vec<ServerHandle> = Vec::new();
    let tcp = args.tcp.iter().map(|a| (a, Level::Admin));
    for (addr, level) in tcp.chain(args.user_tcp.iter().map(|a| (a, Level::User))) {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let handle = emulator.serve_tcp_at(listener, level);
        tracing::info!(%level, "listening on {}", handle.local_addr());
        handles.push(handle);
    }
    let unix = args.unix.iter().map(|p| (p, Level::Admin));
    for (path, level) in unix.chain(args.user_unix.iter().map(|p| (p, Level::User))) {
        server::remove_stale_socket(path);
        let listener = tokio::net::UnixListener::bind(path)
            .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
        let handle = emulator.serve_unix_at(listener, level);
        tracing::info!(%level, "listening on {}", handle.local_addr());
        handles.push(handle);
    }
    for addr in &args.master_tcp {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let handle = emulator.serve_master_tcp(listener);
        tracing::info!("master CLI listening on {}", handle.local_addr());
        handles.push(handle);
    }
    for path in &args.master_unix {
        server::remove_stale_socket(path);
        let listener = tokio::net::UnixListener::bind(path)
            .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
        let handle = emulator.serve_master_unix(listener);
        tracing::info!("master CLI listening on {}", handle.local_addr());
        handles.push(handle);
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    for handle in handles {
        handle.shutdown().await;
    }
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn run_capture(args: CaptureArgs) -> Result<(), String> {
    let options = CaptureOptions {
        scenario: args.scenario,
        admin: args.admin,
        user: args.user,
        haproxy_version: args.haproxy_version,
        config: args.config,
        out: args.out.clone(),
        timeout: Duration::from_millis(args.timeout_ms),
        vars: args.vars.into_iter().collect::<HashMap<_, _>>(),
    };
    let written = capture::run(&options).await.map_err(|e| e.to_string())?;
    tracing::info!("wrote {written} fixtures to {}", args.out.display());
    Ok(())
}

fn check(dir: PathBuf) -> Result<(), String> {
    let emulator = Emulator::load(&dir).map_err(|e| e.to_string())?;
    println!(
        "{}: {} fixtures, HAProxy {} ({})",
        dir.display(),
        emulator.fixture_count(),
        emulator.version(),
        emulator.haproxy()
    );
    Ok(())
}
