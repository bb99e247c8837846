//! Shared by the benches: the big fixtures (bench-fixtures/10k/, recorded by
//! scripts/bench-capture.sh from a real HAProxy with 10,000 servers), emulators serving them, and
//! MCP servers in front of those emulators.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use haproxy_emulator::{Emulator, Fixture, Options, ServerHandle};
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, RuntimeClient};
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Target, Targets};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

/// The folder of the gzipped big fixtures.
pub fn big_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-fixtures/10k")
}

/// Every big fixture, in recorded order.
pub fn big_fixtures() -> Vec<Fixture> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(big_dir())
        .expect("bench-fixtures/10k (scripts/bench-capture.sh records it)")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".txt.gz"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let seq = name[..4].parse().expect("NNNN- file name");
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open fixture"))
                .read_to_end(&mut bytes)
                .expect("gunzip fixture");
            Fixture::parse(&bytes, seq).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

/// The recorded reply to `command`, framed as the client frames it (what parsers take).
pub fn reply_text(fixtures: &[Fixture], command: &str) -> String {
    let f = fixtures
        .iter()
        .find(|f| f.command == command)
        .unwrap_or_else(|| panic!("no fixture for {command:?}"));
    haproxy_mcp_server::haproxy::response::frame(&f.reply)
}

/// Writes the big fixtures, uncompressed, into `dir` (for `--emulator <dir>` and
/// `haproxy-emulator serve --fixtures <dir>`).
pub fn unpack_big(dir: &Path) {
    for f in big_fixtures() {
        std::fs::write(dir.join(f.file_name()), f.render()).expect("write fixture");
    }
}

/// The regular small fixtures of one recorded version (fixtures/3.2, …).
pub fn small_fixtures(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(version)
}

/// A private temporary folder with a short path (Unix socket paths are limited to 108 bytes).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("hb")
        .tempdir_in("/tmp")
        .expect("temp dir")
}

/// Serves `emulator` on a Unix socket `name.sock` in `dir`. Call inside a Tokio runtime.
pub fn serve(emulator: &Emulator, dir: &Path, name: &str) -> (Endpoint, ServerHandle) {
    let path = dir.join(format!("{name}.sock"));
    let listener = tokio::net::UnixListener::bind(&path).expect("bind emulator socket");
    (Endpoint::unix(path), emulator.serve_unix(listener))
}

/// The emulator of the big fixtures.
pub fn big_emulator() -> Emulator {
    Emulator::from_fixtures(&big_fixtures(), Options::default()).expect("big emulator")
}

/// A target with default client options.
pub fn target(name: &str, endpoint: Endpoint) -> Target {
    Target {
        name: name.to_owned(),
        client: RuntimeClient::new(endpoint, ClientOptions::default()),
        emulated: true,
    }
}

/// An MCP client connected over an in-memory duplex to a server with `targets` (the first is
/// the default). Call inside a Tokio runtime.
pub async fn mcp_client(targets: Vec<Target>) -> RunningService<RoleClient, ()> {
    let default = targets.first().map(|t| t.name.clone());
    let server = HaproxyMcp::new(
        Targets::new(targets, default.as_deref()).expect("targets"),
        Settings::default(),
    );
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    ().serve(client_io).await.expect("MCP handshake")
}

/// Whether this run is `cargo bench` (criterion passes `--bench`) rather than `cargo test`,
/// which runs every bench target once as a smoke test.
pub fn is_bench_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}
