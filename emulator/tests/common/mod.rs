//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use haproxy_emulator::capture::{self, Endpoint};
use haproxy_emulator::fixture::{self, Fixture};
use haproxy_emulator::{Emulator, Level, ServerHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};

/// The repository's fixtures folder.
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Every `fixtures/<version>/` folder, sorted. A folder that does not load fails the test
/// that asked (it used to be dropped silently, so a broken recording went untested).
pub fn version_dirs() -> Vec<PathBuf> {
    let root = fixtures_root();
    let entries =
        std::fs::read_dir(&root).unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()));
    let mut dirs: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
                .path()
        })
        // Version folders only: fixtures/tls holds the capture configuration's certificates.
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(haproxy_emulator::version::Version::parse)
                    .is_some()
        })
        .collect();
    for dir in &dirs {
        if let Err(e) = fixture::load_dir(dir) {
            panic!("{} does not load: {e}", dir.display());
        }
    }
    assert!(
        !dirs.is_empty(),
        "no fixtures/<version>/ folder under {}",
        root.display()
    );
    dirs.sort();
    dirs
}

/// The fixtures of a folder, in recorded order.
pub fn load(dir: &Path) -> Vec<Fixture> {
    fixture::load_dir(dir).unwrap_or_else(|e| panic!("{e}"))
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A short, unique Unix socket path (sun_path is 108 bytes).
pub fn socket_path(tag: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    PathBuf::from(format!("/tmp/hxe-{}-{n}-{tag}.sock", std::process::id()))
}

/// An emulator serving one folder on admin TCP, admin Unix and user Unix sockets.
pub struct Running {
    pub emulator: Emulator,
    pub tcp: ServerHandle,
    pub unix: ServerHandle,
    pub user: ServerHandle,
    pub tcp_ep: Endpoint,
    pub unix_ep: Endpoint,
    pub user_ep: Endpoint,
}

impl Running {
    pub async fn start(emulator: Emulator) -> Running {
        let tcp_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp_addr = tcp_listener.local_addr().unwrap();
        let unix_path = socket_path("a");
        let user_path = socket_path("u");
        let tcp = emulator.serve_tcp(tcp_listener);
        let unix = emulator.serve_unix(UnixListener::bind(&unix_path).unwrap());
        let user = emulator.serve_unix_at(UnixListener::bind(&user_path).unwrap(), Level::User);
        Running {
            emulator,
            tcp,
            unix,
            user,
            tcp_ep: Endpoint::Tcp(tcp_addr.to_string()),
            unix_ep: Endpoint::Unix(unix_path),
            user_ep: Endpoint::Unix(user_path),
        }
    }

    pub async fn stop(self) {
        self.tcp.shutdown().await;
        self.unix.shutdown().await;
        self.user.shutdown().await;
    }
}

/// One exchange: write, half-close, read to EOF (5 s timeout).
pub async fn send(ep: &Endpoint, request: &[u8]) -> Vec<u8> {
    capture::exchange(ep, request, Duration::from_secs(5))
        .await
        .unwrap_or_else(|e| panic!("exchange with {ep} failed: {e}"))
}

/// Like [`send`] for a text command line (LF added).
pub async fn cmd(ep: &Endpoint, line: &str) -> Vec<u8> {
    send(ep, format!("{line}\n").as_bytes()).await
}

/// A persistent connection for prompt-mode tests.
pub struct Conn {
    stream: tokio::net::TcpStream,
}

impl Conn {
    pub async fn open(ep: &Endpoint) -> Conn {
        let Endpoint::Tcp(addr) = ep else {
            panic!("Conn needs a TCP endpoint")
        };
        Conn {
            stream: tokio::net::TcpStream::connect(addr).await.unwrap(),
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads until the received bytes end with `suffix` (or 5 s pass: panic).
    pub async fn read_until(&mut self, suffix: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !out.ends_with(suffix) {
            let mut buf = [0u8; 8192];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting for {:?}; got {:?}",
                        String::from_utf8_lossy(suffix),
                        String::from_utf8_lossy(&out)
                    )
                })
                .unwrap();
            assert!(
                n > 0,
                "EOF before {:?}; got {:?}",
                String::from_utf8_lossy(suffix),
                String::from_utf8_lossy(&out)
            );
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    /// Reads to EOF (5 s timeout).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), self.stream.read_to_end(&mut out))
            .await
            .expect("no EOF within 5 s")
            .unwrap();
        out
    }
}

/// The recorded replies of `command` at `level`, in order.
pub fn recorded(fixtures: &[Fixture], level: Level, command: &str) -> Vec<Vec<u8>> {
    fixtures
        .iter()
        .filter(|f| f.socket == level && f.command == command && f.payload.is_empty())
        .map(|f| f.reply.clone())
        .collect()
}

/// The first recorded reply of `command` at admin level.
pub fn first(fixtures: &[Fixture], command: &str) -> Vec<u8> {
    recorded(fixtures, Level::Admin, command)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("`{command}` not recorded"))
}

/// Shows bytes readably in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 400 {
        format!("{:?}… ({} bytes)", &text[..400], bytes.len())
    } else {
        format!("{text:?}")
    }
}
