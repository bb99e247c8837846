//! The MCP layer's own cost over stdio (issue 15, item 4): for `show_info`, `show_stat` and
//! `list_servers`, the median time of a tool call through the built server over stdio, from a
//! byte-level client (prepared request bytes written to its stdin, the reply line read from its
//! stdout without decoding), beside a raw round trip of the same Runtime API command on the same
//! socket (connect, write, half-close, read to EOF), in one run, calls interleaved so both sides
//! meet the same load; on the emulator (serving `fixtures/3.2` from a process of its own: this
//! bench's executable started again) and on a live HAProxy (the native `haproxy` on PATH, started
//! here with a small configuration of its own).
//!
//! Beside them, the MCP round trip alone (`ping`: no tool, no HAProxy).
//!
//! A tool that needs two exchanges (`list_servers`: `show servers state` and `show stat`, sent
//! concurrently) is divided by the raw round trip of its larger one (`show stat`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use haproxy_mcp_server::haproxy::command::{Command, StatFilter};
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, Limits};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use super::{Figure, Plan, Server};

/// One measured tool: its arguments, the raw command it is compared with, and the ratio goal.
struct Case {
    tool: &'static str,
    arguments: &'static str,
    raw: Command,
    goal: f64,
    figure: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            tool: "show_info",
            arguments: "{}",
            raw: Command::show_info(),
            goal: 1.5,
            figure: "show_info",
        },
        Case {
            tool: "show_stat",
            arguments: "{}",
            raw: Command::show_stat(&StatFilter::default()),
            goal: 1.5,
            figure: "show_stat",
        },
        Case {
            tool: "list_servers",
            arguments: "{}",
            raw: Command::show_stat(&StatFilter::default()),
            goal: 2.0,
            figure: "list_servers",
        },
    ]
}

/// Where the calls go: a label and the Runtime API socket.
struct Backend {
    label: &'static str,
    socket: PathBuf,
}

/// Set in the environment of this bench's own executable, started again to serve the emulator
/// in a process of its own (as HAProxy is): the socket path to serve `fixtures/3.2` on.
const EMULATOR_SOCKET_ENV: &str = "SYSTEM_BENCH_EMULATOR_SOCKET";

/// In the re-started bench executable: serves the emulator until killed, and returns true.
pub(super) fn serve_emulator_if_asked() -> bool {
    let Some(socket) = std::env::var_os(EMULATOR_SOCKET_ENV) else {
        return false;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let emulator = haproxy_emulator::Emulator::load(super::common::small_fixtures("3.2"))
            .expect("fixtures/3.2");
        let listener = tokio::net::UnixListener::bind(&socket).expect("bind emulator socket");
        let _serving = emulator.serve_unix(listener);
        std::future::pending::<()>().await;
    });
    true
}

/// Side-by-side figures on the emulator and, when a `haproxy` binary is found, a live HAProxy.
pub(super) async fn stdio_overhead(plan: &Plan, dir: &Path) -> Vec<Figure> {
    // The emulator runs in a process of its own, like HAProxy: in this process, the raw round
    // trip would never leave it while the MCP call crosses two processes.
    let socket = dir.join("small.sock");
    let emulator = ChildProcess::spawn(
        std::process::Command::new(std::env::current_exe().expect("this bench's path"))
            .env(EMULATOR_SOCKET_ENV, &socket),
        &socket,
    )
    .await
    .expect("the emulator process");
    let mut figures = measure(
        plan,
        &Backend {
            label: "emulator",
            socket: socket.clone(),
        },
    )
    .await;
    drop(emulator);
    match LiveHaproxy::start(dir).await {
        Ok(live) => {
            figures.extend(
                measure(
                    plan,
                    &Backend {
                        label: "live",
                        socket: live.socket.clone(),
                    },
                )
                .await,
            );
        }
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("stdio overhead on a live HAProxy: {why} (CI must have haproxy installed)")
        }
        Err(why) => eprintln!("SKIPPED: stdio overhead on a live HAProxy: {why}"),
    }
    figures
}

async fn measure(plan: &Plan, backend: &Backend) -> Vec<Figure> {
    let socket = backend.socket.to_str().expect("UTF-8 socket path");
    let mut server = Server::spawn(&["--runtime-socket", socket]);
    let mut rpc = server.stdio();
    rpc.initialize().await;
    let endpoint = Endpoint::unix(backend.socket.clone());
    let limits = ClientOptions::default().limits;
    let mut figures = Vec::new();
    for case in cases() {
        let raw_line = case.raw.encode().expect("encodable");
        // One decoded call first: the tool must succeed here, or the timing would be of an error.
        let first = rpc
            .request(
                "tools/call",
                serde_json::json!({"name": case.tool, "arguments": serde_json::from_str::<serde_json::Value>(case.arguments).unwrap()}),
            )
            .await;
        assert_eq!(
            first["result"]["isError"],
            serde_json::json!(false),
            "{}: {first}",
            case.tool
        );
        let mut call = WireCall::new(case.tool, case.arguments);
        for _ in 0..plan.stdio_warmup {
            raw_round_trip(&endpoint, &raw_line, &limits).await;
            call.time(&mut rpc).await;
        }
        let mut raw = Vec::with_capacity(plan.stdio_calls);
        let mut mcp = Vec::with_capacity(plan.stdio_calls);
        let cpu_before = cpu_time_ns(server.pid());
        for i in 0..plan.stdio_calls {
            // Alternate which goes first, so neither always follows the other's wake-ups.
            if i % 2 == 0 {
                raw.push(raw_round_trip(&endpoint, &raw_line, &limits).await);
                mcp.push(call.time(&mut rpc).await);
            } else {
                mcp.push(call.time(&mut rpc).await);
                raw.push(raw_round_trip(&endpoint, &raw_line, &limits).await);
            }
        }
        let cpu_us =
            (cpu_time_ns(server.pid()) - cpu_before) as f64 / 1e3 / plan.stdio_calls as f64;
        let (raw_us, mcp_us) = (median_us(&mut raw), median_us(&mut mcp));
        let ratio = mcp_us / raw_us;
        println!(
            "stdio {} {}: MCP {mcp_us:.1} us, raw `{}` {raw_us:.1} us: {ratio:.2}x (goal <= {}x; {} calls each); server CPU {cpu_us:.1} us per call",
            backend.label, case.tool, case.raw, case.goal, plan.stdio_calls
        );
        figures.push(Figure {
            name: leak(format!("stdio_{}_{}_ratio", backend.label, case.figure)),
            value: ratio,
            unit: "x",
            goal: if case.goal == 1.5 { "<= 1.5" } else { "<= 2" },
            met: ratio <= case.goal,
        });
        figures.push(Figure {
            name: leak(format!("stdio_{}_{}_mcp", backend.label, case.figure)),
            value: mcp_us,
            unit: "us",
            goal: "(reported)",
            met: true,
        });
        figures.push(Figure {
            name: leak(format!("stdio_{}_{}_raw", backend.label, case.figure)),
            value: raw_us,
            unit: "us",
            goal: "(reported)",
            met: true,
        });
    }
    // The MCP round trip alone: `ping`, which touches no tool and no HAProxy.
    let mut ping = WireCall::ping();
    for _ in 0..plan.stdio_warmup {
        ping.time(&mut rpc).await;
    }
    let mut pings: Vec<Duration> = Vec::with_capacity(plan.stdio_calls);
    for _ in 0..plan.stdio_calls {
        pings.push(ping.time(&mut rpc).await);
    }
    let ping_us = median_us(&mut pings);
    println!("stdio {} ping: {ping_us:.1} us", backend.label);
    figures.push(Figure {
        name: leak(format!("stdio_{}_ping", backend.label)),
        value: ping_us,
        unit: "us",
        goal: "(reported)",
        met: true,
    });
    drop(rpc);
    let _ = server.child.kill().await;
    figures
}

/// CPU time used so far by every thread of process `pid` (the scheduler's own account, in ns).
pub(super) fn cpu_time_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Figure names are built per backend; a bench run makes a few dozen, so leaking is harmless.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn median_us(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

/// One raw exchange, timed; it must get a reply.
async fn raw_round_trip(endpoint: &Endpoint, line: &[u8], limits: &Limits) -> Duration {
    let t = Instant::now();
    let reply = endpoint.exchange(line, limits).await.expect("raw exchange");
    let elapsed = t.elapsed();
    assert!(!reply.is_empty(), "empty raw reply");
    elapsed
}

/// A request prepared as bytes, sent again and again with a fresh id, and what its success
/// reply holds.
struct WireCall {
    head: String,
    tail: String,
    success: &'static str,
    next_id: u64,
    line: String,
    bytes: Vec<u8>,
}

impl WireCall {
    /// A `tools/call`.
    fn new(tool: &str, arguments: &str) -> Self {
        WireCall {
            head: r#"{"jsonrpc":"2.0","id":"#.to_owned(),
            tail: format!(
                r#","method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
            ),
            success: r#""isError":false"#,
            next_id: 1_000_000,
            line: String::new(),
            bytes: Vec::new(),
        }
    }

    /// A `ping`.
    fn ping() -> Self {
        WireCall {
            tail: r#","method":"ping"}"#.to_owned(),
            success: r#""result":{}"#,
            ..WireCall::new("", "{}")
        }
    }

    /// Writes the request, reads the reply line, checks it is this call's success.
    async fn time(&mut self, rpc: &mut super::Rpc) -> Duration {
        self.next_id += 1;
        self.bytes.clear();
        self.bytes.extend_from_slice(self.head.as_bytes());
        self.bytes
            .extend_from_slice(self.next_id.to_string().as_bytes());
        self.bytes.extend_from_slice(self.tail.as_bytes());
        self.bytes.push(b'\n');
        self.line.clear();
        let t = Instant::now();
        rpc.stdin.write_all(&self.bytes).await.expect("write");
        let n = rpc.stdout.read_line(&mut self.line).await.expect("read");
        let elapsed = t.elapsed();
        assert!(n > 0, "the server closed stdout");
        let id = format!(r#""id":{}"#, self.next_id);
        assert!(
            self.line.contains(&id) && self.line.contains(self.success),
            "not this call's success: {}",
            &self.line[..self.line.len().min(400)]
        );
        elapsed
    }
}

/// A CLI server in a child process (the emulator, or HAProxy), stopped on drop.
struct ChildProcess {
    child: std::process::Child,
}

impl ChildProcess {
    /// Starts `command` and waits until `socket` answers `show info`.
    async fn spawn(command: &mut std::process::Command, socket: &Path) -> Result<Self, String> {
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start `{program}`: {e}"))?;
        let started = ChildProcess { child };
        let endpoint = Endpoint::unix(socket.to_path_buf());
        let limits = ClientOptions::default().limits;
        let line = Command::show_info().encode().expect("encodable");
        for _ in 0..100 {
            if endpoint.exchange(&line, &limits).await.is_ok() {
                return Ok(started);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("`{program}` did not open {}", socket.display()))
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A native HAProxy started for the bench, with its socket.
struct LiveHaproxy {
    _process: ChildProcess,
    socket: PathBuf,
}

impl LiveHaproxy {
    async fn start(dir: &Path) -> Result<LiveHaproxy, String> {
        let bin = std::env::var("HAPROXY_BIN").unwrap_or_else(|_| "haproxy".to_owned());
        let socket = dir.join("live.sock");
        let config = dir.join("live.cfg");
        std::fs::write(&config, live_config(&socket, super::free_port()))
            .map_err(|e| e.to_string())?;
        let process = ChildProcess::spawn(
            std::process::Command::new(&bin)
                .args(["-db", "-f"])
                .arg(&config),
            &socket,
        )
        .await?;
        Ok(LiveHaproxy {
            _process: process,
            socket,
        })
    }
}

/// A small site: two HTTP frontends, three backends, nine servers (no health checks, so the
/// figures do not depend on probes), an admin socket.
fn live_config(socket: &Path, port: u16) -> String {
    let mut cfg = format!(
        "global\n    stats socket {} mode 600 level admin\n    stats timeout 30s\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe_main\n    bind 127.0.0.1:{port}\n    default_backend be_app\n\n\
         frontend fe_admin\n    bind 127.0.0.1:{}\n    default_backend be_api\n",
        socket.display(),
        super::free_port()
    );
    for backend in ["be_app", "be_api", "be_static"] {
        cfg.push_str(&format!("\nbackend {backend}\n    balance roundrobin\n"));
        for i in 1..=3 {
            cfg.push_str(&format!(
                "    server s{i} 127.0.0.1:{} weight 10\n",
                9000 + i
            ));
        }
    }
    cfg
}
