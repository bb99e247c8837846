//! Test support: a real HAProxy running the capture configuration (`fixtures/haproxy.cfg`), with
//! its admin and user Unix sockets in a temporary directory, its admin TCP socket and a master
//! CLI. Two backends, chosen per run:
//!
//! * natively: a `haproxy` child process (Debian's 2.6 here), the default;
//! * in a container, when `HAPROXY_LIVE_IMAGE` names an image (`haproxy-local:3.2` built by
//!   `make images`, or `haproxy:3.2` from Docker Hub on GitHub Actions): started with
//!   testcontainers, the configuration copied in, the socket folder bind-mounted, ports published
//!   on 127.0.0.1 only, and removed when the test ends, also when it fails.
//!
//! Skipping rule: without a `haproxy` binary (or Docker, for the container backend) the live tests
//! print one loud line and pass vacuously on a laptop; with `CI=true` they fail instead, because
//! CI must run them.

#![allow(dead_code)]

pub mod mcp;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use haproxy_mcp_server::haproxy::{Address, ClientOptions, Endpoint, RuntimeClient, WorkerTarget};
use testcontainers::core::{IntoContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

/// How the HAProxy runs.
enum Backend {
    Native(Child),
    Container(Box<ContainerAsync<GenericImage>>),
}

/// A running HAProxy, stopped and removed on drop.
pub struct LiveHaproxy {
    backend: Backend,
    dir: tempfile::TempDir,
    /// TCP port of the admin stats socket.
    pub cli_port: u16,
    /// fe_main (HTTP), as reachable from the test.
    pub http_port: u16,
    /// fe_tcp (TCP, forwarded to the stand-in application), as reachable from the test.
    pub tcp_port: u16,
    /// fe_app, the stand-in application, as HAProxy itself reaches it (for server addresses
    /// given to HAProxy: `127.0.0.1:<app_port>`).
    pub app_port: u16,
    /// Natively: the binary and every port, to start the same HAProxy again after [`Self::stop`].
    native: Option<(PathBuf, NativePorts)>,
}

/// The ports a native HAProxy listens on.
#[derive(Debug, Clone, Copy)]
struct NativePorts {
    cli: u16,
    http: u16,
    tcp: u16,
    app: u16,
    agent: u16,
}

/// Starts a native `haproxy` (master-worker, master CLI in `dir`) logging to `dir/haproxy.log`.
fn spawn_native(bin: &Path, dir: &Path, ports: &NativePorts) -> Child {
    let conf_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("haproxy.log"))
        .expect("log file");
    Command::new(bin)
        .args(["-W", "-db", "-S"])
        .arg(dir.join("master.sock"))
        .arg("-f")
        .arg(conf_dir.join("haproxy.cfg"))
        .env("HAPROXY_CONF_DIR", &conf_dir)
        .env("HAPROXY_RUN_DIR", dir)
        .env("HAPROXY_BIND_ADDR", "127.0.0.1")
        .env("HAPROXY_CLI_PORT", ports.cli.to_string())
        .env("HAPROXY_HTTP_PORT", ports.http.to_string())
        .env("HAPROXY_TCP_PORT", ports.tcp.to_string())
        .env("HAPROXY_APP_PORT", ports.app.to_string())
        .env("HAPROXY_AGENT_PORT", ports.agent.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start haproxy")
}

/// Sends a signal to a process with kill(1) (no libc binding needed).
fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid} failed");
}

/// A local TCP port for one HAProxy listener, never handed out twice in this test process.
///
/// Why not simply `bind(":0")`: the port is released before HAProxy binds it, and HAProxy binds
/// with `SO_REUSEPORT`. Two tests running in parallel could then be given the same port, both
/// HAProxys would bind it, and the kernel would spread one test's connections over both (or over
/// one that is shutting down, which closes them unanswered). Ports also come from below the
/// kernel's ephemeral range when there is room, so no outgoing connection (ours, or HAProxy's
/// health checks) can take one as its source port between the pick and HAProxy's bind.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Mutex, OnceLock};

    static WINDOW: OnceLock<Option<(u16, u16)>> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());

    let window = *WINDOW.get_or_init(|| {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
        let low: u16 = range.split_whitespace().next()?.parse().ok()?;
        // 12 000 ports just below the ephemeral range, when that leaves the privileged ports alone.
        (low >= 13_024).then(|| (low - 12_000, low))
    });
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let probe = |port: u16| {
        TcpListener::bind(("127.0.0.1", port))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()
    };
    if let Some((start, end)) = window {
        let span = u32::from(end - start);
        // Each test process starts at its own offset, so consecutive test binaries rarely probe
        // the ports the previous one's HAProxys were just using.
        let offset = std::process::id().wrapping_mul(7919) % span;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = start + ((offset + n) % span) as u16;
            if !given.contains(&port) && probe(port).is_some() {
                given.push(port);
                return port;
            }
        }
    }
    // No room below the ephemeral range: let the kernel choose, still never twice.
    loop {
        let port = probe(0).expect("a free local port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
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

/// The `haproxy` binary; without one, `None` after one loud SKIPPED line (a panic under CI).
fn haproxy_binary_or_skip(test: &str) -> Option<PathBuf> {
    let bin = haproxy_binary();
    if bin.is_none() {
        if in_ci() {
            panic!(
                "CI=true but no haproxy binary was found (install the haproxy package or set HAPROXY_BIN)"
            );
        }
        eprintln!(
            "SKIPPED {test}: no haproxy binary found (apt-get install haproxy, or set HAPROXY_BIN)"
        );
    }
    bin
}

impl LiveHaproxy {
    /// Starts HAProxy (natively, or in the container named by `HAPROXY_LIVE_IMAGE`) and waits
    /// until its health checks have settled. Returns `None` (after printing why) when HAProxy or
    /// Docker is not available and this is not CI.
    pub async fn start(test: &str) -> Option<Self> {
        match std::env::var("HAPROXY_LIVE_IMAGE") {
            Ok(image) if !image.is_empty() => Self::start_container(test, &image).await,
            _ => Self::start_native(test),
        }
    }

    /// A short temp dir (Unix socket paths are limited to 108 bytes), writable by the
    /// container's `haproxy` user (uid 99).
    fn run_dir() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("hx")
            .tempdir_in("/tmp")
            .expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        dir
    }

    fn start_native(test: &str) -> Option<Self> {
        let bin = haproxy_binary_or_skip(test)?;
        let dir = Self::run_dir();
        let ports = NativePorts {
            cli: free_port(),
            http: free_port(),
            tcp: free_port(),
            app: free_port(),
            agent: free_port(),
        };
        let child = spawn_native(&bin, dir.path(), &ports);
        let live = Self {
            backend: Backend::Native(child),
            dir,
            cli_port: ports.cli,
            http_port: ports.http,
            tcp_port: ports.tcp,
            app_port: ports.app,
            native: Some((bin, ports)),
        };
        live.wait_ready();
        Some(live)
    }

    async fn start_container(test: &str, image: &str) -> Option<Self> {
        const CONF: &str = "/usr/local/etc/haproxy";
        const RUN: &str = "/var/run/hx";
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let dir = Self::run_dir();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut request = GenericImage::new(name, tag)
            .with_exposed_port(9999.tcp())
            .with_exposed_port(8080.tcp())
            .with_exposed_port(8081.tcp())
            .with_wait_for(WaitFor::message_on_stderr("Loading success"))
            .with_copy_to(format!("{CONF}/haproxy.cfg"), fixtures.join("haproxy.cfg"))
            .with_copy_to(format!("{CONF}/hosts.map"), fixtures.join("hosts.map"))
            .with_copy_to(format!("{CONF}/blocked.acl"), fixtures.join("blocked.acl"))
            .with_mount(Mount::bind_mount(dir.path().display().to_string(), RUN))
            .with_env_var("HAPROXY_CONF_DIR", CONF)
            .with_env_var("HAPROXY_RUN_DIR", RUN)
            .with_env_var("HAPROXY_BIND_ADDR", "0.0.0.0")
            .with_env_var("HAPROXY_CLI_PORT", "9999")
            .with_env_var("HAPROXY_HTTP_PORT", "8080")
            .with_env_var("HAPROXY_TCP_PORT", "8081")
            .with_env_var("HAPROXY_APP_PORT", "8082")
            .with_env_var("HAPROXY_AGENT_PORT", "8083")
            .with_cmd([
                "haproxy",
                "-W",
                "-db",
                "-S",
                &format!("{RUN}/master.sock,mode,666"),
                "-f",
                &format!("{CONF}/haproxy.cfg"),
            ])
            // Publish on 127.0.0.1 only, on random host ports.
            .with_host_config_modifier(|hc| {
                use testcontainers::bollard::models::PortBinding;
                let local = || {
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }])
                };
                hc.publish_all_ports = Some(false);
                hc.port_bindings = Some(
                    ["9999/tcp", "8080/tcp", "8081/tcp"]
                        .iter()
                        .map(|p| (p.to_string(), local()))
                        .collect(),
                );
            })
            .with_startup_timeout(std::time::Duration::from_secs(60));
        // fe_main's TLS listener: certificates, crt-list, CA and CRL files.
        let mut tls: Vec<_> = std::fs::read_dir(fixtures.join("tls"))
            .expect("fixtures/tls")
            .map(|e| e.expect("fixtures/tls entry").path())
            .collect();
        tls.sort();
        for file in tls {
            let name = file
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            request = request.with_copy_to(format!("{CONF}/tls/{name}"), file);
        }
        let container = match request.start().await {
            Ok(c) => c,
            Err(e) if in_ci() => {
                panic!("CI=true but HAProxy container {image} could not start: {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED {test}: cannot start HAProxy container {image}: {e}");
                return None;
            }
        };
        let port = |p: u16| {
            let c = &container;
            async move { c.get_host_port_ipv4(p.tcp()).await.expect("published port") }
        };
        let (cli_port, http_port, tcp_port) =
            (port(9999).await, port(8080).await, port(8081).await);
        let live = Self {
            backend: Backend::Container(Box::new(container)),
            dir,
            cli_port,
            http_port,
            tcp_port,
            app_port: 8082,
            native: None,
        };
        live.wait_ready();
        Some(live)
    }

    /// The path of a configuration file (`hosts.map`, `blocked.acl`) as HAProxy knows it, which
    /// is how maps and ACLs are named.
    pub fn conf_file(&self, name: &str) -> String {
        match self.backend {
            Backend::Native(_) => format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR")),
            Backend::Container(_) => format!("/usr/local/etc/haproxy/{name}"),
        }
    }

    /// The HAProxy version this run talks to (`2.6`, `3.2`, …).
    pub fn version(&self) -> String {
        let v = self.raw("show version");
        let mut parts = v.trim().split('.');
        format!(
            "{}.{}",
            parts.next().unwrap_or("?"),
            parts.next().unwrap_or("?")
        )
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

    /// Freezes HAProxy (SIGSTOP to its worker natively, `docker pause` in a container): its
    /// sockets still accept connections (the kernel queues them) but nothing is answered.
    pub async fn pause(&self) {
        match &self.backend {
            Backend::Native(child) => {
                // Until the worker is seen stopped: on a loaded machine the signal can take a
                // moment, and a test that goes on meanwhile gets an answer from a "frozen" HAProxy.
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    let workers = children_of(child.id());
                    for pid in &workers {
                        signal(*pid, "STOP");
                    }
                    if !workers.is_empty()
                        && workers.iter().all(|pid| process_state(*pid) == Some('T'))
                    {
                        break;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "HAProxy's worker did not stop: {workers:?}"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Backend::Container(c) => c.pause().await.expect("docker pause"),
        }
    }

    /// Undoes [`Self::pause`].
    pub async fn resume(&self) {
        match &self.backend {
            Backend::Native(child) => {
                for pid in children_of(child.id()) {
                    signal(pid, "CONT");
                }
            }
            Backend::Container(c) => c.unpause().await.expect("docker unpause"),
        }
    }

    /// Stops HAProxy abruptly (SIGKILL to master and worker natively, `docker stop` in a
    /// container) and waits until its admin socket refuses connections. The run directory and
    /// the ports are kept, so [`Self::start_again`] brings the same HAProxy back.
    pub async fn stop(&mut self) {
        match &mut self.backend {
            Backend::Native(child) => {
                let master = child.id();
                let workers = children_of(master);
                let _ = child.kill();
                let _ = child.wait();
                for pid in workers {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .stderr(Stdio::null())
                        .status();
                }
            }
            Backend::Container(c) => c.stop_with_timeout(Some(0)).await.expect("docker stop"),
        }
        let sock = self.dir.path().join("admin.sock");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(&sock).is_ok() {
            assert!(
                Instant::now() < deadline,
                "HAProxy did not stop within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts HAProxy again after [`Self::stop`], on the same socket paths (and, natively, the
    /// same ports; a container's published ports are read again), and waits until it is ready.
    pub async fn start_again(&mut self) {
        match &mut self.backend {
            Backend::Native(child) => {
                let (bin, ports) = self.native.as_ref().expect("native settings");
                *child = spawn_native(bin, self.dir.path(), ports);
            }
            Backend::Container(c) => {
                c.start().await.expect("docker start");
                let port = |p: u16| {
                    let c = &*c;
                    async move { c.get_host_port_ipv4(p.tcp()).await.expect("published port") }
                };
                self.cli_port = port(9999).await;
                self.http_port = port(8080).await;
                self.tcp_port = port(8081).await;
            }
        }
        self.wait_ready();
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
        // A container is removed by its own Drop (testcontainers).
        if let Backend::Native(child) = &mut self.backend {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A process's state letter (`R`, `S`, `T` for stopped, …) from /proc.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// The pids of `parent`'s children (from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid …: comm may hold blanks, so split after the last ')'.
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
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

/// Where a [`ConfiguredHaproxy`] container finds its configuration folder (mounted).
const CONTAINER_CONF_DIR: &str = "/var/run/hxconf";

/// A real HAProxy started on a configuration the test writes itself (the oracle tests), as
/// opposed to [`LiveHaproxy`]'s fixed capture configuration.
///
/// The helper owns the `global` section's admin socket: `stats socket
/// ipv4@127.0.0.1:<cli_port> level admin`, prepended to the caller's text (which may add its own
/// `global` section; HAProxy merges them). Everything the configuration listens on or connects
/// to must be on 127.0.0.1, with ports from [`free_port`]:
///
/// * natively: a `haproxy -db` child process;
/// * in a container (`HAPROXY_LIVE_IMAGE`): the image's `haproxy` with host networking, so the
///   test's own listeners on 127.0.0.1 (check targets, agents, a DNS server) are HAProxy's
///   127.0.0.1 too; the configuration is copied in.
///
/// Stopped (and the container removed) on drop. Same skip rules as [`LiveHaproxy`]: skipped
/// loudly without HAProxy or Docker, a failure under `CI=true`. A configuration HAProxy refuses
/// is always a failure, with HAProxy's log in the panic message.
pub struct ConfiguredHaproxy {
    backend: Backend,
    dir: tempfile::TempDir,
    /// TCP port of the admin stats socket, on 127.0.0.1.
    pub cli_port: u16,
    /// TCP port of the master CLI, on 127.0.0.1 (HAProxy runs master-worker).
    pub master_port: u16,
}

impl ConfiguredHaproxy {
    /// Starts HAProxy on `body` (everything after the helper's `global` section) and waits
    /// until its admin socket answers. `None` (after one loud line) when it cannot run here.
    pub async fn start(test: &str, body: &str) -> Option<Self> {
        Self::start_with_files::<&str>(test, body, &[]).await
    }

    /// As [`Self::start`], with extra files (maps, ACLs, certificates, DER OCSP responses)
    /// written beside the configuration first; `{CONF}` in `body` is the folder that holds
    /// them, as HAProxy sees it.
    pub async fn start_with_files<T: AsRef<[u8]>>(
        test: &str,
        body: &str,
        files: &[(&str, T)],
    ) -> Option<Self> {
        let cli_port = free_port();
        let master_port = free_port();
        let dir = LiveHaproxy::run_dir();
        let in_container = std::env::var("HAPROXY_LIVE_IMAGE").is_ok_and(|i| !i.is_empty());
        let conf = if in_container {
            CONTAINER_CONF_DIR.to_owned()
        } else {
            dir.path().display().to_string()
        };
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("make a folder beside the configuration");
            }
            std::fs::write(path, text).expect("write a file beside the configuration");
        }
        let body = body.replace("{CONF}", &conf);
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, Self::full_config(cli_port, &body)).expect("write configuration");
        let master = format!("ipv4@127.0.0.1:{master_port}");
        let backend = match std::env::var("HAPROXY_LIVE_IMAGE") {
            Ok(image) if !image.is_empty() => Backend::Container(Box::new(
                Self::container(test, &image, dir.path(), &master).await?,
            )),
            _ => Backend::Native(Self::native(test, dir.path(), &path, &master)?),
        };
        let mut live = Self {
            backend,
            dir,
            cli_port,
            master_port,
        };
        live.wait_answering().await;
        Some(live)
    }

    /// The helper's `global` section (admin socket on `cli_port`) followed by `body`.
    fn full_config(cli_port: u16, body: &str) -> String {
        format!(
            "global\n    stats socket ipv4@127.0.0.1:{cli_port} level admin\n    stats timeout 1m\n\n{body}"
        )
    }

    /// Replaces the configuration on disk (the running HAProxy reads it at its next reload).
    pub fn rewrite_config(&self, body: &str) {
        let path = self.dir.path().join("haproxy.cfg");
        std::fs::write(path, Self::full_config(self.cli_port, body)).expect("write configuration");
    }

    /// A raw command on the master CLI, bypassing the client.
    pub fn raw_master(&self, line: &str) -> String {
        master_exchange(self.master_port, line)
    }

    /// The folder holding the configuration and the files given to
    /// [`Self::start_with_files`], as HAProxy sees it (for map names).
    pub fn conf_dir(&self) -> String {
        match self.backend {
            Backend::Container(_) => CONTAINER_CONF_DIR.to_owned(),
            Backend::Native(_) => self.dir.path().display().to_string(),
        }
    }

    /// The configuration as HAProxy loaded it: its path as HAProxy names it (in a container,
    /// the mounted folder's) and its text.
    pub fn config_file(&self) -> (String, String) {
        let text = std::fs::read_to_string(self.dir.path().join("haproxy.cfg"))
            .expect("read the configuration back");
        (format!("{}/haproxy.cfg", self.conf_dir()), text)
    }

    /// The master CLI (commands for a worker go to worker 1).
    pub fn master(&self) -> Endpoint {
        Endpoint::master(
            Address::Tcp {
                host: "127.0.0.1".to_owned(),
                port: self.master_port,
            },
            WorkerTarget::Relative(1),
        )
    }

    fn native(test: &str, dir: &Path, config: &Path, master: &str) -> Option<Child> {
        let bin = haproxy_binary_or_skip(test)?;
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("log file");
        Some(
            Command::new(bin)
                .args(["-W", "-db", "-S", master])
                .arg("-f")
                .arg(config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("start haproxy"),
        )
    }

    async fn container(
        test: &str,
        image: &str,
        dir: &Path,
        master: &str,
    ) -> Option<ContainerAsync<GenericImage>> {
        // The run directory is mounted (not copied) so that a test can rewrite the
        // configuration and reload.
        const RUN: &str = CONTAINER_CONF_DIR;
        let conf = format!("{RUN}/haproxy.cfg");
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let request = GenericImage::new(name, tag)
            .with_mount(Mount::bind_mount(dir.display().to_string(), RUN))
            .with_network("host")
            .with_cmd(["haproxy", "-W", "-db", "-S", master, "-f", conf.as_str()])
            .with_startup_timeout(Duration::from_secs(60));
        match request.start().await {
            Ok(c) => Some(c),
            Err(e) if in_ci() => {
                panic!("CI=true but HAProxy container {image} could not start: {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED {test}: cannot start HAProxy container {image}: {e}");
                None
            }
        }
    }

    /// Polls `show info` until HAProxy answers; panics with its log after 20 s or if it exited.
    async fn wait_answering(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self
                .try_raw("show info")
                .is_ok_and(|r| r.contains("Version:"))
            {
                return;
            }
            let exited = match &mut self.backend {
                Backend::Native(child) => child.try_wait().ok().flatten().is_some(),
                Backend::Container(_) => false,
            };
            if exited || Instant::now() > deadline {
                panic!(
                    "HAProxy did not answer on its admin socket (exited: {exited}); its log:\n{}",
                    self.log().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// HAProxy's own output so far (the native log file, or the container's stdout and stderr).
    pub async fn log(&self) -> String {
        match &self.backend {
            Backend::Native(_) => {
                std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default()
            }
            Backend::Container(c) => {
                let out = c.stdout_to_vec().await.unwrap_or_default();
                let err = c.stderr_to_vec().await.unwrap_or_default();
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&err)
                )
            }
        }
    }

    /// The folder holding the configuration and its files on this machine (mounted into the
    /// container, when there is one).
    pub fn host_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The configuration HAProxy was started with (helper's `global` section included).
    pub fn config(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("haproxy.cfg")).unwrap_or_default()
    }

    /// The admin socket, for the code under test.
    pub fn admin_tcp(&self) -> Endpoint {
        Endpoint::tcp("127.0.0.1", self.cli_port)
    }

    /// The HAProxy version this run talks to (`2.6`, `3.2`, …).
    pub fn version(&self) -> String {
        let v = self.raw("show version");
        let mut parts = v.trim().split('.');
        format!(
            "{}.{}",
            parts.next().unwrap_or("?"),
            parts.next().unwrap_or("?")
        )
    }

    /// A raw command on the admin socket, bypassing the client: for reading state in a way that
    /// does not depend on the code under test.
    pub fn raw(&self, line: &str) -> String {
        self.try_raw(line).expect("raw exchange")
    }

    fn try_raw(&self, line: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.cli_port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.write_all(format!("{line}\n").as_bytes())?;
        s.shutdown(std::net::Shutdown::Write)?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }
}

impl Drop for ConfiguredHaproxy {
    fn drop(&mut self) {
        // A container is removed by its own Drop (testcontainers).
        if let Backend::Native(child) = &mut self.backend {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends SIGTERM to process `pid`, as an operator stops the server: it then cleans up after
/// itself (the demo's socket folder), which a kill cannot let it do.
pub fn terminate(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// Stops a server binary with SIGTERM; SIGKILL after 10 s. The exit status when SIGTERM stopped
/// it, `None` when it had to be killed.
pub async fn stop_gracefully(
    child: &mut tokio::process::Child,
) -> Option<std::process::ExitStatus> {
    if let Some(pid) = child.id() {
        terminate(pid);
        if let Ok(status) =
            tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await
        {
            return status.ok();
        }
    }
    let _ = child.kill().await;
    None
}

/// Stops a server binary with SIGTERM and returns what it wrote (its piped output). A server
/// that does not stop within 10 s fails the test (and is killed on drop).
pub async fn stop_and_collect(child: tokio::process::Child) -> std::process::Output {
    if let Some(pid) = child.id() {
        terminate(pid);
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("the server stops on SIGTERM")
        .unwrap()
}

/// A real DNS server for the tests: dnsmasq on 127.0.0.1:`port` (UDP and TCP), answering A
/// records from a hosts file the test gives and nothing else (no upstream, no system hosts).
/// Stopped on drop. Without dnsmasq, `None` after one loud SKIPPED line (a panic under CI:
/// `.ci/run` installs it).
pub struct DnsServer {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    /// The UDP/TCP port it answers on, on 127.0.0.1.
    pub port: u16,
}

impl DnsServer {
    /// Starts dnsmasq answering `hosts` (lines of `/etc/hosts` format) and waits until it
    /// answers.
    pub fn start(test: &str, hosts: &str) -> Option<Self> {
        Self::start_with(test, hosts, &[], None)
    }

    /// Starts dnsmasq with more options (`--srv-host=…`), on `port` when given (to restart one
    /// with other records where a client already asks).
    pub fn start_with(
        test: &str,
        hosts: &str,
        extra: &[String],
        port: Option<u16>,
    ) -> Option<Self> {
        let bin = [
            "/usr/sbin/dnsmasq",
            "/usr/bin/dnsmasq",
            "/usr/local/sbin/dnsmasq",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
        let Some(bin) = bin else {
            if in_ci() {
                panic!("CI=true but dnsmasq is not installed (apt-get install dnsmasq)");
            }
            eprintln!("SKIPPED {test}: no dnsmasq binary (apt-get install dnsmasq)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a folder for dnsmasq");
        let hosts_file = dir.path().join("hosts");
        std::fs::write(&hosts_file, hosts).expect("write the hosts file");
        let port = port.unwrap_or_else(free_port);
        let child = std::process::Command::new(bin)
            .args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                "--user=root",
                "--pid-file=",
                "--log-facility=-",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--addn-hosts={}", hosts_file.display()))
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start dnsmasq");
        let server = Self {
            child,
            _dir: dir,
            port,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dnsmasq did not listen on 127.0.0.1:{port} within 10 s");
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Generates the TLS test material (scripts/make-test-certs.sh) into a fresh folder; `None`
/// (loudly) without openssl, a failure under CI.
pub fn test_certificates(test: &str) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/make-test-certs.sh");
    match std::process::Command::new("bash")
        .arg(script)
        .arg(dir.path())
        .output()
    {
        Ok(out) if out.status.success() => Some(dir),
        result => {
            let why = format!("{result:?}");
            if in_ci() {
                panic!("CI=true but the test certificates could not be made: {why}");
            }
            eprintln!("SKIPPED {test}: cannot make test certificates (openssl?): {why}");
            None
        }
    }
}

/// The files of [`test_certificates`] a TLS configuration serves (certificates, CA, CRL and the
/// crt-list), as `(name, contents)` for `ConfiguredHaproxy::start_with_files`.
pub fn served_tls_files(certs: &Path) -> Vec<(&'static str, String)> {
    [
        "site.pem",
        "api.pem",
        "old.pem",
        "ca.pem",
        "crl.pem",
        "crt-list.txt",
    ]
    .into_iter()
    .map(|name| {
        let text = std::fs::read_to_string(certs.join(name))
            .unwrap_or_else(|e| panic!("read the test certificate file {name}: {e}"));
        (name, text)
    })
    .collect()
}

/// One exchange on a master CLI on 127.0.0.1:`port`: the line, a half-close (the master answers
/// and closes once it sees the end of the input), everything until EOF. Connecting is tried
/// again for a few seconds, since a master that re-executes itself on a reload (every version
/// before 3.1) closes its listener meanwhile.
pub fn master_exchange(port: u16, line: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut s = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("connect to the master CLI on port {port}: {e}"),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    s.write_all(format!("{line}\n").as_bytes()).expect("send");
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A real ACME server for the tests: Pebble (Let's Encrypt's test server, the Debian `pebble`
/// package) on a free port, issuing without validating challenges (`PEBBLE_VA_ALWAYS_VALID`),
/// behind `tests/python/acme_proxy.py`, which gives HAProxy 3.2's chunked POSTs the
/// Content-Length Pebble insists on. Both serve HTTPS with a self-signed certificate, so the
/// HAProxy using it sets `httpclient.ssl.verify none`. Stopped on drop. Without pebble or
/// python3, `None` after one loud SKIPPED line (a panic under CI: `.ci/run` installs pebble).
pub struct AcmeServer {
    children: Vec<std::process::Child>,
    _dir: tempfile::TempDir,
    /// The directory URL an `acme` section names.
    pub directory: String,
}

impl AcmeServer {
    /// Starts Pebble and its front and waits until the directory answers through the front.
    pub fn start(test: &str) -> Option<Self> {
        let found = |name: &str| {
            ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
                .iter()
                .map(|d| Path::new(d).join(name))
                .find(|p| p.exists())
        };
        let (Some(pebble), Some(python)) = (found("pebble"), found("python3")) else {
            if in_ci() {
                panic!("CI=true but pebble or python3 is missing (apt-get install pebble)");
            }
            eprintln!("SKIPPED {test}: no pebble or python3 (apt-get install pebble)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a folder for pebble");
        let pem = dir.path().join("tls.pem");
        let made = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&pem)
            .arg("-out")
            .arg(dir.path().join("cert.pem"))
            .output()
            .expect("run openssl");
        assert!(made.status.success(), "openssl: {made:?}");
        let mut both = std::fs::read(dir.path().join("cert.pem")).unwrap();
        both.extend(std::fs::read(&pem).unwrap());
        std::fs::write(&pem, both).unwrap();
        let (acme, management, front) = (free_port(), free_port(), free_port());
        let config = dir.path().join("pebble.json");
        std::fs::write(
            &config,
            serde_json::json!({"pebble": {
                "listenAddress": format!("127.0.0.1:{acme}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": pem, "privateKey": pem,
                "httpPort": free_port(), "tlsPort": free_port(),
                "ocspResponderURL": "", "externalAccountBindingRequired": false,
            }})
            .to_string(),
        )
        .unwrap();
        let quiet = || std::process::Stdio::null();
        let pebble = std::process::Command::new(pebble)
            .arg("-config")
            .arg(&config)
            .env("PEBBLE_VA_ALWAYS_VALID", "1")
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("start pebble");
        let proxy = std::process::Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/acme_proxy.py"
            ))
            .args([front.to_string(), acme.to_string()])
            .arg(&pem)
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("start the ACME front");
        let server = Self {
            children: vec![pebble, proxy],
            _dir: dir,
            directory: format!("https://127.0.0.1:{front}/dir"),
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            let answered = std::process::Command::new("curl")
                .args(["-skf", "-o", "/dev/null", &server.directory])
                .status()
                .is_ok_and(|s| s.success());
            if answered {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("pebble did not answer at {} within 15 s", server.directory);
    }
}

impl Drop for AcmeServer {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
