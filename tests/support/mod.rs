//! Test support: a real HAProxy child process running the capture configuration
//! (`fixtures/haproxy.cfg`) in a temporary directory, with its admin and user Unix sockets, its
//! admin TCP socket and a master CLI.
//!
//! Skipping rule: without a `haproxy` binary the live tests print one loud line and pass
//! vacuously on a laptop; with `CI=true` they fail instead, because CI must run them.

#![allow(dead_code)]

pub mod mcp;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use haproxy_mcp_server::haproxy::{Address, ClientOptions, Endpoint, RuntimeClient, WorkerTarget};

/// A running HAProxy, killed on drop.
pub struct LiveHaproxy {
    child: Child,
    dir: tempfile::TempDir,
    /// TCP port of the admin stats socket.
    pub cli_port: u16,
    /// fe_main (HTTP).
    pub http_port: u16,
    /// fe_tcp (TCP, forwarded to the stand-in application).
    pub tcp_port: u16,
    /// fe_app: the stand-in application.
    pub app_port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Where the `haproxy` binary is, if anywhere.
fn haproxy_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("HAPROXY_BIN")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/sbin/haproxy",
                "/usr/local/sbin/haproxy",
                "/usr/bin/haproxy",
            ]
            .map(PathBuf::from),
        );
    candidates.into_iter().find(|p| p.exists())
}

impl LiveHaproxy {
    /// Starts HAProxy and waits until its health checks have settled. Returns `None` (after
    /// printing why) when HAProxy is not installed and this is not CI.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = haproxy_binary() else {
            if in_ci() {
                panic!(
                    "CI=true but no haproxy binary was found (install the haproxy package or set HAPROXY_BIN)"
                );
            }
            eprintln!(
                "SKIPPED {test}: no haproxy binary found (apt-get install haproxy, or set HAPROXY_BIN)"
            );
            return None;
        };
        // A short path: Unix socket paths are limited to 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("hx")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let conf_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (cli_port, http_port, tcp_port, app_port, agent_port) = (
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
        );
        let log = std::fs::File::create(dir.path().join("haproxy.log")).expect("log file");
        let child = Command::new(bin)
            .args(["-W", "-db", "-S"])
            .arg(dir.path().join("master.sock"))
            .arg("-f")
            .arg(conf_dir.join("haproxy.cfg"))
            .env("HAPROXY_CONF_DIR", &conf_dir)
            .env("HAPROXY_RUN_DIR", dir.path())
            .env("HAPROXY_BIND_ADDR", "127.0.0.1")
            .env("HAPROXY_CLI_PORT", cli_port.to_string())
            .env("HAPROXY_HTTP_PORT", http_port.to_string())
            .env("HAPROXY_TCP_PORT", tcp_port.to_string())
            .env("HAPROXY_APP_PORT", app_port.to_string())
            .env("HAPROXY_AGENT_PORT", agent_port.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start haproxy");
        let live = Self {
            child,
            dir,
            cli_port,
            http_port,
            tcp_port,
            app_port,
        };
        live.wait_ready();
        Some(live)
    }

    /// Waits until the admin socket answers and the failing server has been marked DOWN, so
    /// every test starts from the same settled state.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let sock = self.dir.path().join("admin.sock");
        loop {
            if let Ok(reply) = raw_exchange(&sock, "show stat\n") {
                let settled = reply
                    .lines()
                    .any(|l| l.starts_with("be_app,app4,") && l.contains(",DOWN,"))
                    && reply
                        .lines()
                        .any(|l| l.starts_with("be_app,app1,") && l.contains(",UP,"));
                if settled {
                    return;
                }
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("haproxy.log"))
                    .unwrap_or_default();
                panic!("HAProxy did not become ready within 20 s; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The temporary run directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The admin-level Unix socket.
    pub fn admin_unix(&self) -> Endpoint {
        Endpoint::unix(self.dir.path().join("admin.sock"))
    }

    /// The admin-level TCP socket.
    pub fn admin_tcp(&self) -> Endpoint {
        Endpoint::tcp("127.0.0.1", self.cli_port)
    }

    /// The user-level Unix socket.
    pub fn user_unix(&self) -> Endpoint {
        Endpoint::unix(self.dir.path().join("user.sock"))
    }

    /// The master CLI, routing worker commands to worker 1.
    pub fn master(&self) -> Endpoint {
        Endpoint::master(
            Address::Unix(self.dir.path().join("master.sock")),
            WorkerTarget::Relative(1),
        )
    }

    /// A client with default options on `endpoint`.
    pub fn client(&self, endpoint: Endpoint) -> RuntimeClient {
        RuntimeClient::new(endpoint, ClientOptions::default())
    }

    /// A raw command on the admin socket, bypassing the client: for reading state back in a way
    /// that does not depend on the code under test.
    pub fn raw(&self, line: &str) -> String {
        raw_exchange(&self.dir.path().join("admin.sock"), &format!("{line}\n"))
            .expect("raw exchange")
    }
}

impl Drop for LiveHaproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One blocking exchange over a Unix socket.
pub fn raw_exchange(sock: &Path, line: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(sock)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(line.as_bytes())?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}
