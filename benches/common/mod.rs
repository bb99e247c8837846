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
    Target::new(
        name,
        RuntimeClient::new(endpoint, ClientOptions::default()),
        true,
    )
}

/// An MCP client connected over an in-memory duplex to a server with `targets` (the first is
/// the default). Call inside a Tokio runtime.
pub async fn mcp_client(targets: Vec<Target>) -> RunningService<RoleClient, ()> {
    ().serve(serve_in_memory(targets))
        .await
        .expect("MCP handshake")
}

/// Starts a server with `targets` (the first is the default) on a spawned task and returns the
/// client end of the in-memory duplex it serves. Call inside a Tokio runtime.
fn serve_in_memory(targets: Vec<Target>) -> tokio::io::DuplexStream {
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
    client_io
}

/// Whether this run is `cargo bench` (criterion passes `--bench`) rather than `cargo test`,
/// which runs every bench target once as a smoke test.
pub fn is_bench_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Criterion measurement of the CPU time the benchmark thread itself used (Linux
/// `CLOCK_THREAD_CPUTIME_ID`), in nanoseconds: "on one core" figures that the other work on a
/// small shared machine does not inflate the way it inflates wall-clock time.
pub struct ThreadCpuTime;

mod cpu_clock {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }

    /// Linux's `CLOCK_THREAD_CPUTIME_ID`.
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

    /// CPU time of the calling thread, in nanoseconds.
    pub fn now() -> u64 {
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec (64-bit Linux layout); the call writes it
        // and nothing else.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

static WALL: criterion::measurement::WallTime = criterion::measurement::WallTime;

impl criterion::measurement::Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        cpu_clock::now()
    }
    fn end(&self, start: u64) -> u64 {
        cpu_clock::now().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        // Values are nanoseconds, as with wall-clock time.
        WALL.formatter()
    }
}

/// A byte-level MCP client: JSON-RPC lines over an in-memory duplex to the same server as
/// [`mcp_client`], with no client library. It writes each request as prepared bytes and reads
/// the reply line without decoding it, so a timed call is the server's work (decode the request,
/// run the tool, encode the result) plus the transport, and not the rmcp client's own decoding
/// of the result (which a remote client pays on its own machine).
pub struct WireClient {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    reader: tokio::io::BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>,
    line: Vec<u8>,
    next_id: u64,
}

impl WireClient {
    /// Connects to a new server with `targets` and completes the MCP handshake.
    pub async fn connect(targets: Vec<Target>) -> Self {
        let (reader, writer) = tokio::io::split(serve_in_memory(targets));
        let mut client = Self {
            writer,
            reader: tokio::io::BufReader::new(reader),
            line: Vec::new(),
            next_id: 1,
        };
        let init = serde_json::json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "bench-wire", "version": "1"}}
        });
        client.send(&init.to_string()).await;
        let reply = client.reply().await;
        assert!(reply.contains("\"protocolVersion\""), "initialize: {reply}");
        client
            .send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        client
    }

    async fn send(&mut self, message: &str) {
        use tokio::io::AsyncWriteExt;
        self.writer
            .write_all(message.as_bytes())
            .await
            .expect("write");
        self.writer.write_all(b"\n").await.expect("write");
    }

    /// Reads the next reply line into `self.line` and returns its length.
    async fn read_line(&mut self) -> usize {
        use tokio::io::AsyncBufReadExt;
        self.line.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.line)
            .await
            .expect("read");
        assert!(n > 0, "the server closed the stream");
        n
    }

    async fn reply(&mut self) -> String {
        self.read_line().await;
        String::from_utf8_lossy(&self.line).into_owned()
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Calls `tool` with `arguments` (a JSON object as text) and returns the size of the reply
    /// line; panics on a JSON-RPC error or a tool error.
    pub async fn call(&mut self, tool: &str, arguments: &str) -> usize {
        let id = self.next_id();
        let request = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
        );
        self.send(&request).await;
        // The reply is not decoded (that is the point of this client): only its framing is
        // checked; the tests check the content.
        let n = self.read_line().await;
        let head = &self.line[..self.line.len().min(64)];
        let tail = &self.line[self.line.len().saturating_sub(64)..];
        let id_field = format!("\"id\":{id}");
        assert!(
            contains(head, id_field.as_bytes()) || contains(tail, id_field.as_bytes()),
            "unexpected reply: {}",
            String::from_utf8_lossy(&self.line)
        );
        assert!(
            !contains(tail, b"\"isError\":true") && !contains(head, b"\"error\""),
            "{tool} failed: {}",
            String::from_utf8_lossy(&self.line)
        );
        n
    }

    /// Calls a tool that does not exist and checks for the JSON-RPC error (the round trip through
    /// the server with no tool run).
    pub async fn call_expecting_error(&mut self, tool: &str) -> usize {
        let id = self.next_id();
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}"}}}}"#
        ))
        .await;
        let reply = self.reply().await;
        assert!(reply.contains("\"error\""), "expected an error: {reply}");
        reply.len()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
