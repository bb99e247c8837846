//! Whole-process figures of the built binary (`cargo bench --bench system`, part of `make bench`):
//!
//! * HTTP load: 32 concurrent MCP clients (each its own session and keep-alive connection) call
//!   `show_info` over Streamable HTTP against `--emulator <big fixtures> --transport http`,
//!   bounded in count and time, on 127.0.0.1 only: calls/s, p50, p99, errors;
//! * memory: idle RSS after the MCP handshake (stdio and HTTP), and peak RSS (VmHWM) while
//!   serving `show_stat` with `limit: 100` on the 10,000-server reply, the server reaching an
//!   emulator of the big fixtures that runs in this bench process over a Unix socket (so the
//!   figure is the server's own);
//! * start-up: from spawning the stdio server to its answer to `initialize`;
//! * the MCP layer's own cost over stdio: `show_info`, `show_stat` and `list_servers` through the
//!   server beside a raw round trip of the same command on the same socket, on the emulator and on
//!   a live HAProxy (`stdio_overhead.rs`);
//! * a fleet in one call: `health_summary` over 50, 200 and 500 emulated targets with 5 ms of
//!   latency each, against one single-target call, and the server's peak RSS (`fleet.rs`).
//!
//! Each figure is printed beside its goal and written to `target/bench-results/system.tsv` for
//! scripts/bench-report.sh. Under `cargo test` (no `--bench`), a short smoke run checks that
//! every step works and no figure is judged.

mod common;
#[path = "system/fleet.rs"]
mod fleet;
#[path = "system/stdio_overhead.rs"]
mod stdio_overhead;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");
/// The protocol version the hand-written clients speak (no per-request metadata needed).
const PROTOCOL: &str = "2025-06-18";

/// How big a run is: the real one, or the smoke run under `cargo test`.
struct Plan {
    clients: usize,
    calls_per_client: usize,
    load_time_limit: Duration,
    warmup_calls_per_client: usize,
    startups: usize,
    stat_calls: usize,
    stdio_warmup: usize,
    stdio_calls: usize,
    fleet_sizes: Vec<usize>,
    fleet_calls: usize,
}

impl Plan {
    fn new(bench: bool) -> Self {
        if bench {
            Plan {
                clients: 32,
                calls_per_client: 500,
                load_time_limit: Duration::from_secs(20),
                warmup_calls_per_client: 20,
                startups: 20,
                stat_calls: 20,
                stdio_warmup: 100,
                stdio_calls: 1000,
                fleet_sizes: env_list("SYSTEM_BENCH_FLEET_SIZES").unwrap_or(vec![50, 200, 500]),
                fleet_calls: env_list("SYSTEM_BENCH_FLEET_CALLS")
                    .and_then(|v| v.first().copied())
                    .unwrap_or(5),
            }
        } else {
            Plan {
                clients: 4,
                calls_per_client: 5,
                load_time_limit: Duration::from_secs(20),
                warmup_calls_per_client: 1,
                startups: 1,
                stat_calls: 2,
                stdio_warmup: 2,
                stdio_calls: 5,
                fleet_sizes: vec![5],
                fleet_calls: 1,
            }
        }
    }
}

/// A comma-separated list of numbers from the environment (how a profiling run picks its fleet
/// sizes and number of calls); unset or unreadable: `None`.
fn env_list(name: &str) -> Option<Vec<usize>> {
    let text = std::env::var(name).ok()?;
    text.split(',').map(|n| n.trim().parse().ok()).collect()
}

/// One measured figure, its goal, and whether it meets it.
struct Figure {
    name: &'static str,
    value: f64,
    unit: &'static str,
    goal: &'static str,
    met: bool,
}

fn main() {
    if stdio_overhead::serve_emulator_if_asked() {
        return;
    }
    let bench = common::is_bench_run();
    let plan = Plan::new(bench);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = common::temp_dir();
    let big = dir.path().join("big");
    std::fs::create_dir(&big).expect("mkdir");
    common::unpack_big(&big);

    let figures = rt.block_on(async {
        let mut figures = Vec::new();
        if wanted("http") {
            figures.extend(http_load(&plan, &big).await);
        }
        if wanted("memory") {
            figures.extend(memory(&plan, dir.path()).await);
        }
        if wanted("startup") {
            figures.extend(startup(&plan, dir.path()).await);
        }
        if wanted("stdio") {
            figures.extend(stdio_overhead::stdio_overhead(&plan, dir.path()).await);
        }
        if wanted("fleet") {
            figures.extend(fleet::fleet(&plan, dir.path()).await);
        }
        figures
    });
    report(&figures, bench);
}

/// Whether `section` runs: all do unless `SYSTEM_BENCH` names some (comma-separated: http,
/// memory, startup, stdio, fleet), for working on one figure.
fn wanted(section: &str) -> bool {
    std::env::var("SYSTEM_BENCH").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

// ---- the server process ---------------------------------------------------------------------

/// A child server, killed on drop.
struct Server {
    child: Child,
}

impl Server {
    fn spawn(args: &[&str]) -> Server {
        // `SYSTEM_BENCH_SERVER_BIN` measures another build (an older commit's, for a
        // before/after in one run of the same bench).
        let bin = std::env::var("SYSTEM_BENCH_SERVER_BIN").unwrap_or_else(|_| BIN.to_owned());
        let child = Command::new(&bin)
            .args(args)
            // The per-client rate limit (10/s by default, per IP) would cap a load test from
            // one address; audit logging of reads stays off (its default).
            .env("MCP_RATE_LIMIT", "0")
            .env("LOG_LEVEL", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin}: {e}"));
        Server { child }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// `VmRSS` and `VmHWM` (peak) from /proc, in MiB.
    fn rss(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/<pid>/status");
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    fn stdio(&mut self) -> Rpc {
        Rpc {
            stdin: self.child.stdin.take().expect("stdin"),
            stdout: BufReader::new(self.child.stdout.take().expect("stdout")),
            next_id: 1,
        }
    }
}

/// JSON-RPC over a child's stdin/stdout.
struct Rpc {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Rpc {
    async fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to the server");
    }

    /// Sends a request and waits for its response.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .await
                .expect("read from the server");
            assert!(n > 0, "the server closed stdout");
            let v: Value = serde_json::from_str(&line).expect("JSON-RPC line");
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v;
            }
        }
    }

    async fn initialize(&mut self) {
        self.request("initialize", init_params()).await;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }
}

fn init_params() -> Value {
    json!({
        "protocolVersion": PROTOCOL,
        "capabilities": {},
        "clientInfo": {"name": "haproxy-mcp-bench", "version": "0"}
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// ---- HTTP load ------------------------------------------------------------------------------

/// One MCP session over Streamable HTTP, with its own keep-alive connection.
struct HttpSession {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    next_id: u64,
}

impl HttpSession {
    async fn open(url: &str) -> Result<HttpSession, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| e.to_string())?;
        let mut s = HttpSession {
            http,
            url: url.to_owned(),
            session: None,
            next_id: 1,
        };
        s.call("initialize", init_params()).await?;
        s.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(s)
    }

    async fn post(&mut self, body: &Value) -> Result<(reqwest::header::HeaderMap, String), String> {
        let mut req = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(s) = &self.session {
            req = req
                .header("Mcp-Session-Id", s)
                .header("MCP-Protocol-Version", PROTOCOL);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {text}"));
        }
        Ok((headers, text))
    }

    /// A JSON-RPC request; its response from the JSON or SSE body.
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let (headers, text) = self
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        if let Some(s) = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.session = Some(s.to_owned());
        }
        let found = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Value>(&text).ok()
        } else {
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .filter_map(|d| serde_json::from_str::<Value>(d.trim_start()).ok())
                .find(|v| v["id"] == json!(id))
        };
        let v = found.ok_or_else(|| format!("no response to {method} in {text:?}"))?;
        if let Some(e) = v.get("error") {
            return Err(format!("{method}: {e}"));
        }
        if v["result"]["isError"] == json!(true) {
            return Err(format!("{method}: tool error {}", v["result"]));
        }
        Ok(v)
    }
}

async fn http_load(plan: &Plan, big: &Path) -> Vec<Figure> {
    let port = free_port();
    let port_s = port.to_string();
    let mut server = Server::spawn(&[
        "--emulator",
        big.to_str().expect("UTF-8 path"),
        "--transport",
        "http",
        "--port",
        &port_s,
    ]);
    let url = format!("http://127.0.0.1:{port}/mcp");
    // Ready when the first session opens.
    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        match HttpSession::open(&url).await {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => panic!("the HTTP server never answered: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let (idle_http_rss, _) = server.rss();
    let mut sessions = vec![first];
    for _ in 1..plan.clients {
        sessions.push(HttpSession::open(&url).await.expect("open session"));
    }
    let info = json!({"name": "show_info", "arguments": {}});
    // Warm-up: connections, allocator, the emulator's replay book.
    for s in &mut sessions {
        for _ in 0..plan.warmup_calls_per_client {
            s.call("tools/call", info.clone())
                .await
                .expect("warm-up call");
        }
    }

    let errors = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + plan.load_time_limit;
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut s| {
            let (info, errors, stop) = (info.clone(), errors.clone(), stop.clone());
            let calls = plan.calls_per_client;
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(calls);
                for _ in 0..calls {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let t = Instant::now();
                    match s.call("tools/call", info.clone()).await {
                        Ok(_) => latencies.push(t.elapsed()),
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("load: call failed: {e}");
                            }
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let (_, peak_http) = server.rss();
    let _ = server.child.kill().await;
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1));
        latencies
            .get(i - 1)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    let errors = errors.load(Ordering::Relaxed);
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "http load: {} clients, {} calls in {:.2} s, {errors} errors; server RSS idle {idle_http_rss:.1} MiB, peak {peak_http:.1} MiB",
        plan.clients,
        latencies.len(),
        elapsed.as_secs_f64()
    );
    // The smoke run checks the load itself works: every call answered, none failed. (Speed goals
    // are judged only in the real run, by the report.)
    if !common::is_bench_run() {
        let planned = plan.clients * plan.calls_per_client;
        assert_eq!(errors, 0, "smoke run: {errors} load calls failed");
        assert_eq!(
            latencies.len(),
            planned,
            "smoke run: {} of {planned} load calls answered",
            latencies.len()
        );
    }
    let (p50, p99) = (pct(0.50), pct(0.99));
    vec![
        Figure {
            name: "http_show_info_calls_per_s",
            value: rate,
            unit: "calls/s",
            goal: ">= 3000",
            met: rate >= 3000.0,
        },
        Figure {
            name: "http_show_info_p50",
            value: p50,
            unit: "ms",
            goal: "(reported)",
            met: true,
        },
        Figure {
            name: "http_show_info_p99",
            value: p99,
            unit: "ms",
            goal: "<= 20",
            met: p99 <= 20.0,
        },
        Figure {
            name: "http_show_info_errors",
            value: errors as f64,
            unit: "errors",
            goal: "== 0",
            met: errors == 0,
        },
        Figure {
            name: "idle_rss_http",
            value: idle_http_rss,
            unit: "MiB",
            goal: "<= 20",
            met: idle_http_rss <= 20.0,
        },
    ]
}

// ---- memory ---------------------------------------------------------------------------------

/// Serves the big fixtures from this process on `dir/big.sock`.
fn big_socket(dir: &Path) -> (PathBuf, haproxy_emulator::ServerHandle) {
    let emulator = common::big_emulator();
    let (endpoint, handle) = common::serve(&emulator, dir, "big");
    match endpoint.address() {
        haproxy_mcp_server::haproxy::Address::Unix(p) => (p.clone(), handle),
        other => panic!("not a Unix socket: {other}"),
    }
}

async fn memory(plan: &Plan, dir: &Path) -> Vec<Figure> {
    let (sock, _emulator) = big_socket(dir);
    let mut server = Server::spawn(&["--runtime-socket", sock.to_str().expect("UTF-8 path")]);
    let mut rpc = server.stdio();
    rpc.initialize().await;
    // Let the runtime settle after the handshake.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle, _) = server.rss();
    let args = json!({"name": "show_stat", "arguments": {"limit": 100}});
    for _ in 0..plan.stat_calls {
        let r = rpc.request("tools/call", args.clone()).await;
        let t = &r["result"]["structuredContent"]["truncation"];
        assert_eq!(t["shown"], json!(100), "{r}");
        assert!(t["total"].as_u64().unwrap_or(0) > 10_000, "{t}");
    }
    let (_, peak) = server.rss();
    println!(
        "memory: idle RSS {idle:.1} MiB; peak RSS over {} show_stat calls (limit 100, 10k servers): {peak:.1} MiB",
        plan.stat_calls
    );
    drop(rpc);
    let _ = server.child.kill().await;
    vec![
        Figure {
            name: "idle_rss_stdio",
            value: idle,
            unit: "MiB",
            goal: "<= 20",
            met: idle <= 20.0,
        },
        Figure {
            name: "peak_rss_show_stat_10k_limit100",
            value: peak,
            unit: "MiB",
            goal: "<= 64",
            met: peak <= 64.0,
        },
    ]
}

// ---- start-up -------------------------------------------------------------------------------

async fn startup(plan: &Plan, dir: &Path) -> Vec<Figure> {
    // A configured target that is never contacted: start-up must not wait on HAProxy.
    let sock = dir.join("nobody.sock");
    let mut times = Vec::new();
    for _ in 0..plan.startups {
        let t = Instant::now();
        let mut server = Server::spawn(&["--runtime-socket", sock.to_str().expect("UTF-8 path")]);
        let mut rpc = server.stdio();
        rpc.request("initialize", init_params()).await;
        times.push(t.elapsed());
        drop(rpc);
        let _ = server.child.kill().await;
        let _ = server.child.wait().await;
    }
    times.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    let median = times.get(times.len() / 2).map_or(f64::NAN, ms);
    let max = times.last().map_or(f64::NAN, ms);
    println!(
        "start-up (stdio, spawn to initialize answered): median {median:.1} ms, max {max:.1} ms over {} runs",
        times.len()
    );
    vec![
        Figure {
            name: "stdio_start_to_ready_median",
            value: median,
            unit: "ms",
            goal: "<= 50",
            met: median <= 50.0,
        },
        Figure {
            name: "stdio_start_to_ready_max",
            value: max,
            unit: "ms",
            goal: "(reported)",
            met: true,
        },
    ]
}

// ---- report ---------------------------------------------------------------------------------

fn report(figures: &[Figure], bench: bool) {
    // A figure that could not be measured (no samples: NaN) fails the smoke run too.
    if !bench {
        let unmeasured: Vec<&str> = figures
            .iter()
            .filter(|f| !f.value.is_finite())
            .map(|f| f.name)
            .collect();
        assert!(
            unmeasured.is_empty(),
            "smoke run: not measured: {unmeasured:?}"
        );
    }
    println!(
        "\n{:<36} {:>12} {:<8} {:<12} verdict",
        "figure", "value", "unit", "goal"
    );
    for f in figures {
        let verdict = if !bench {
            "smoke run"
        } else if f.met {
            "ok"
        } else {
            "MISSED"
        };
        println!(
            "{:<36} {:>12.2} {:<8} {:<12} {verdict}",
            f.name, f.value, f.unit, f.goal
        );
    }
    if bench {
        let out = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(
                || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
                PathBuf::from,
            )
            .join("bench-results");
        let _ = std::fs::create_dir_all(&out);
        let tsv: String = figures
            .iter()
            .map(|f| {
                format!(
                    "{}\t{:.3}\t{}\t{}\t{}\n",
                    f.name,
                    f.value,
                    f.unit,
                    f.goal,
                    if f.met { "ok" } else { "MISSED" }
                )
            })
            .collect();
        if let Err(e) = std::fs::write(out.join("system.tsv"), tsv) {
            eprintln!("cannot write target/bench-results/system.tsv: {e}");
        }
    }
}
