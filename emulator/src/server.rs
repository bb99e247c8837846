//! Listeners and connections: accepts on TCP or Unix sockets, cuts the byte stream into lines
//! and payloads as HAProxy does, writes the session's answers with the CLI framing
//! (one command per connection, or prompt mode), applies the fault in force, and shuts down on
//! request.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::fault::{self, Fault};
use crate::fixture::Level;
use crate::session::{Answers, Mode, Role, Session};
use crate::tokenizer::{self, PayloadEnd};
use crate::version::Version;

/// Tunables of the listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Close a connection that sends nothing for this long (HAProxy's `stats timeout`; the
    /// capture configuration says 30 s).
    pub idle_timeout: Duration,
    /// The longest command line (payload included, LF included) accepted; HAProxy 2.6 measured
    /// 15379 bytes with the default `tune.bufsize`.
    pub max_line: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            idle_timeout: Duration::from_secs(30),
            max_line: 15379,
        }
    }
}

/// What every listener of one emulator shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) answers: Answers,
    pub(crate) version: Version,
    pub(crate) fault: watch::Sender<Fault>,
    pub(crate) options: Options,
    pub(crate) started: Instant,
}

/// Where a listener listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path (`None` for an unnamed socket).
    Unix(Option<PathBuf>),
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddr::Tcp(a) => write!(f, "tcp:{a}"),
            ListenAddr::Unix(Some(p)) => write!(f, "unix:{}", p.display()),
            ListenAddr::Unix(None) => f.write_str("unix:(unnamed)"),
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    async fn bind(addr: &ListenAddr) -> io::Result<Listener> {
        match addr {
            ListenAddr::Tcp(a) => Ok(Listener::Tcp(TcpListener::bind(a).await?)),
            ListenAddr::Unix(Some(path)) => {
                remove_stale_socket(path);
                Ok(Listener::Unix(UnixListener::bind(path)?))
            }
            ListenAddr::Unix(None) => Err(io::Error::other("cannot rebind an unnamed socket")),
        }
    }
}

/// Removes `path` if it is a Unix socket (left by an earlier run), never any other file.
pub fn remove_stale_socket(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.file_type().is_socket()
    {
        let _ = std::fs::remove_file(path);
    }
}

/// A running listener. Dropping it (or [`ServerHandle::shutdown`]) stops accepting and closes
/// every connection it accepted.
#[derive(Debug)]
pub struct ServerHandle {
    addr: ListenAddr,
    level: Level,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Where it listens.
    pub fn local_addr(&self) -> &ListenAddr {
        &self.addr
    }

    /// The TCP address, when it is a TCP listener.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        match self.addr {
            ListenAddr::Tcp(a) => Some(a),
            ListenAddr::Unix(_) => None,
        }
    }

    /// The access level its sessions start with.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Stops the listener, closes its connections, removes its Unix socket file, and waits
    /// until all of that is done.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        // The accept task removes the socket file too, but may never run again (e.g. when the
        // runtime is going away after a failed test).
        if let ListenAddr::Unix(Some(path)) = &self.addr {
            remove_stale_socket(path);
        }
    }
}

/// Starts serving `listener` at `level`, as a worker's stats socket or the master CLI (`role`).
/// Must be called inside a Tokio runtime.
pub(crate) fn serve_tcp(
    shared: Arc<Shared>,
    listener: TcpListener,
    level: Level,
    role: Role,
) -> ServerHandle {
    let addr = match listener.local_addr() {
        Ok(a) => ListenAddr::Tcp(a),
        Err(_) => ListenAddr::Tcp(SocketAddr::from(([0, 0, 0, 0], 0))),
    };
    spawn(shared, Listener::Tcp(listener), addr, level, role)
}

/// Starts serving a Unix `listener` at `level`, as a worker's stats socket or the master CLI
/// (`role`). Must be called inside a Tokio runtime.
pub(crate) fn serve_unix(
    shared: Arc<Shared>,
    listener: UnixListener,
    level: Level,
    role: Role,
) -> ServerHandle {
    let path = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_pathname().map(Path::to_path_buf));
    spawn(
        shared,
        Listener::Unix(listener),
        ListenAddr::Unix(path),
        level,
        role,
    )
}

fn spawn(
    shared: Arc<Shared>,
    listener: Listener,
    addr: ListenAddr,
    level: Level,
    role: Role,
) -> ServerHandle {
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(
        shared,
        Some(listener),
        addr.clone(),
        (level, role),
        stop_rx,
    ));
    ServerHandle {
        addr,
        level,
        stop,
        task: Some(task),
    }
}

async fn accept_loop(
    shared: Arc<Shared>,
    mut listener: Option<Listener>,
    addr: ListenAddr,
    (level, role): (Level, Role),
    mut stop: watch::Receiver<bool>,
) {
    let mut faults = shared.fault.subscribe();
    let mut conns = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let refusing = *faults.borrow_and_update() == Fault::Refuse;
        if refusing && listener.take().is_some() {
            tracing::info!(%addr, "fault refuse: listener closed");
        }
        if !refusing && listener.is_none() {
            match Listener::bind(&addr).await {
                Ok(l) => {
                    tracing::info!(%addr, "listener reopened");
                    listener = Some(l);
                }
                Err(e) => tracing::error!(%addr, error = %e, "cannot reopen the listener"),
            }
        }
        let Some(active) = listener.as_ref() else {
            tokio::select! {
                _ = stop.changed() => break,
                changed = faults.changed() => if changed.is_err() { break },
            }
            continue;
        };
        tokio::select! {
            _ = stop.changed() => break,
            changed = faults.changed() => if changed.is_err() { break },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = accept(active) => match accepted {
                Ok(Accepted::Tcp(s, peer)) => {
                    tracing::debug!(%peer, %level, "connection");
                    let _ = s.set_nodelay(true);
                    conns.spawn(handle_connection(s, level, role, shared.clone()));
                }
                Ok(Accepted::Unix(s)) => {
                    tracing::debug!(%level, "unix connection");
                    conns.spawn(handle_connection(s, level, role, shared.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    conns.shutdown().await;
    drop(listener);
    if let ListenAddr::Unix(Some(path)) = &addr {
        remove_stale_socket(path);
    }
}

enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    Unix(tokio::net::UnixStream),
}

async fn accept(listener: &Listener) -> io::Result<Accepted> {
    match listener {
        Listener::Tcp(l) => l.accept().await.map(|(s, a)| Accepted::Tcp(s, a)),
        Listener::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
    }
}

/// The reading side of a connection: a buffer and the rules to cut it.
struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
    idle: Option<Duration>,
    eof: bool,
}

enum Got {
    Line(Vec<u8>),
    /// The peer closed (or idled out, or failed) before a complete line.
    Closed,
    /// More than the allowed bytes without a complete line.
    TooBig,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    /// Reads more bytes; false on EOF, error or idle timeout.
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut chunk = [0u8; 4096];
        let read = match self.idle {
            Some(idle) => match tokio::time::timeout(idle, self.inner.read(&mut chunk)).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::debug!("idle timeout");
                    return false;
                }
            },
            None => self.inner.read(&mut chunk).await,
        };
        match read {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next line (without LF); `escaped` says whether `\` escapes the LF (command lines)
    /// or not (payload lines). `budget` is how many bytes the line may still take.
    async fn line(&mut self, escaped: bool, budget: usize) -> Got {
        loop {
            let end = if escaped {
                tokenizer::find_line_end(&self.buf)
            } else {
                tokenizer::find_raw_line_end(&self.buf)
            };
            if let Some(end) = end {
                if end + 1 > budget {
                    return Got::TooBig;
                }
                let line = self.buf[..end].to_vec();
                self.buf.drain(..=end);
                return Got::Line(line);
            }
            if self.buf.len() >= budget {
                return Got::TooBig;
            }
            if !self.fill().await {
                return Got::Closed;
            }
        }
    }

    /// True when a complete command line is already buffered.
    fn has_line(&self) -> bool {
        tokenizer::find_line_end(&self.buf).is_some()
    }
}

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> bool {
    w.write_all(bytes).await.is_ok() && w.flush().await.is_ok()
}

async fn handle_connection<S>(stream: S, level: Level, role: Role, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (rd, mut wr) = tokio::io::split(stream);
    let mut reader = Reader {
        inner: rd,
        buf: Vec::new(),
        idle: Some(shared.options.idle_timeout),
        eof: false,
    };
    let session = match role {
        Role::Worker => Session::new(level, shared.version, shared.started),
        Role::Master => Session::master(shared.version, shared.started),
    };
    serve_session(&mut reader, &mut wr, session, &shared).await;
    let _ = wr.shutdown().await;
}

async fn serve_session<R, W>(
    reader: &mut Reader<R>,
    wr: &mut W,
    mut session: Session,
    shared: &Shared,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let version = shared.version;
    loop {
        let max = shared.options.max_line;
        let line = match reader.line(true, max).await {
            Got::Line(line) => line,
            Got::Closed => return,
            Got::TooBig => return too_big(wr, version, shared.options.idle_timeout).await,
        };
        let mut used = line.len() + 1;
        let parsed = tokenizer::parse_line(&line, version);
        let mut payload = None;
        if let Some(end) = &parsed.payload_end {
            if session.prompt_on() && !write_all(wr, b"+ ").await {
                return;
            }
            let mut lines: Vec<Vec<u8>> = Vec::new();
            loop {
                let raw = match reader.line(false, max.saturating_sub(used)).await {
                    Got::Line(raw) => raw,
                    Got::Closed => return,
                    Got::TooBig => return too_big(wr, version, shared.options.idle_timeout).await,
                };
                used += raw.len() + 1;
                let raw = if version.keeps_cr_in_payload() {
                    raw
                } else {
                    tokenizer::strip_cr(&raw).to_vec()
                };
                let done = match end {
                    PayloadEnd::EmptyLine => raw.is_empty(),
                    PayloadEnd::Pattern(p) => raw == *p,
                };
                if done {
                    break;
                }
                lines.push(raw);
                if session.prompt_on() && !write_all(wr, b"+ ").await {
                    return;
                }
            }
            payload = Some(lines.join(&b'\n'));
        }
        let outcome = session.execute(&parsed, payload.as_deref(), &shared.answers);
        let fault = *shared.fault.borrow();
        match fault {
            Fault::None | Fault::Refuse => {
                if !write_all(wr, &outcome.output).await {
                    return;
                }
            }
            Fault::Delay(d) => {
                tokio::time::sleep(d).await;
                if !write_all(wr, &outcome.output).await {
                    return;
                }
            }
            Fault::Stall => {
                // Never answer and never close, even after the client's half-close: only the
                // client closing for good (unnoticed here) or the listener's shutdown ends it.
                tracing::debug!("fault stall: not answering");
                std::future::pending::<()>().await;
            }
            Fault::Close => return,
            Fault::Truncate(n) => {
                let n = n.min(outcome.output.len());
                let _ = write_all(wr, &outcome.output[..n]).await;
                return;
            }
            Fault::Garbage => {
                let _ = write_all(wr, &fault::garbage()).await;
                return;
            }
        }
        if outcome.close {
            return;
        }
        if session.mode() == Mode::NonInteractive
            && (version.first_line_only() || !reader.has_line())
        {
            return;
        }
    }
}

/// An over-long line: 3.x answers an error and closes; 2.x never answers and does not close
/// even when the client half-closes (real 2.x keeps the session forever; the emulator gives up
/// after the idle timeout).
async fn too_big<W>(wr: &mut W, version: Version, idle: Duration)
where
    W: AsyncWrite + Unpin,
{
    match version.too_big_message() {
        Some(message) => {
            let _ = write_all(wr, message.as_bytes()).await;
        }
        None => tokio::time::sleep(idle).await,
    }
}
