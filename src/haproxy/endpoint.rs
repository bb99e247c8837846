//! Where HAProxy's CLI listens, and one request/reply exchange with it.
//!
//! Framing follows what HAProxy really does in every version 2.6 … 3.2: one command per
//! connection, in non-interactive mode. The client writes the command line, half-closes its
//! write side (harmless for stats sockets, required by the master CLI, which otherwise stays
//! open), and reads until EOF. Reading to EOF — rather than looking for an empty line — is what
//! copes with 2.x replies that lack their final LF. A few reads also go over a kept `prompt`-mode
//! connection (`super::keepalive`), which hands back the same bytes.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::time::timeout;

/// A socket address of a stats or master CLI listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `host:port` over TCP (the seed's `tcp4` mode; IPv6 and names work too).
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix stream socket.
    Unix(PathBuf),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

/// Which process a master CLI sends worker commands to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerTarget {
    /// `@<n>`: the n-th current worker (1 is the usual choice).
    Relative(u32),
    /// `@!<pid>`: a worker by process id.
    Pid(u32),
    /// `@master`: the master itself.
    Master,
}

impl WorkerTarget {
    /// The routing prefix written before the command.
    fn prefix(self) -> String {
        match self {
            Self::Relative(n) => format!("@{n}"),
            Self::Pid(pid) => format!("@!{pid}"),
            Self::Master => "@master".to_owned(),
        }
    }
}

/// A HAProxy CLI endpoint: an ordinary stats socket, or the master CLI with a worker to route to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    address: Address,
    master: Option<WorkerTarget>,
}

impl Endpoint {
    /// A stats socket over TCP.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self {
            address: Address::Tcp {
                host: host.into(),
                port,
            },
            master: None,
        }
    }

    /// A stats socket over a Unix socket.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self {
            address: Address::Unix(path.into()),
            master: None,
        }
    }

    /// The master CLI (`haproxy -W -S …`), sending worker commands to `worker`.
    pub fn master(address: Address, worker: WorkerTarget) -> Self {
        Self {
            address,
            master: Some(worker),
        }
    }

    /// The socket address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The worker target when this is a master CLI.
    pub fn master_target(&self) -> Option<WorkerTarget> {
        self.master
    }

    /// The bytes to send for an encoded worker command: prefixed with the worker route on a
    /// master CLI. The prefix is built from typed numbers, never from caller text.
    pub fn route_worker_line(&self, encoded: Vec<u8>) -> Vec<u8> {
        match self.master {
            None => encoded,
            Some(target) => {
                let mut line = target.prefix().into_bytes();
                line.push(b' ');
                line.extend_from_slice(&encoded);
                line
            }
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.master {
            None => write!(f, "{}", self.address),
            Some(t) => write!(f, "{} (master CLI, {})", self.address, t.prefix()),
        }
    }
}

/// Deadlines and caps for one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long to wait for the connection to open.
    pub connect_timeout: Duration,
    /// How long the whole command may take once connected (send and full reply).
    pub command_timeout: Duration,
    /// Largest reply accepted, in bytes; a larger one is cut off and dropped.
    pub max_reply_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            command_timeout: Duration::from_secs(15),
            max_reply_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How an exchange failed, and whether anything reached HAProxy (what decides a retry).
#[derive(Debug)]
pub enum ExchangeError {
    /// Connecting failed: nothing was sent.
    Connect(std::io::Error),
    /// Connecting took too long: nothing was sent.
    ConnectTimeout,
    /// I/O failed after connecting; the command may have reached HAProxy.
    Io(std::io::Error),
    /// The reply did not finish in time.
    ReplyTimeout,
    /// The reply grew past the cap.
    TooLarge,
}

/// Either kind of connected stream.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Reads what is already there without waiting (`WouldBlock` when nothing is).
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Unix(s) => s.try_read(buf),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Endpoint {
    /// Opens a connection, sends `line` (already encoded and routed), and reads the reply to EOF.
    pub async fn exchange(&self, line: &[u8], limits: &Limits) -> Result<Vec<u8>, ExchangeError> {
        let stream = self.open(limits).await?;
        let work = send_and_read(stream, line, limits.max_reply_bytes);
        match timeout(limits.command_timeout, work).await {
            Err(_) => Err(ExchangeError::ReplyTimeout),
            Ok(result) => result,
        }
    }

    /// Connects within the connect deadline.
    pub(crate) async fn open(&self, limits: &Limits) -> Result<Stream, ExchangeError> {
        match timeout(limits.connect_timeout, self.connect()).await {
            Err(_) => Err(ExchangeError::ConnectTimeout),
            Ok(Err(e)) => Err(ExchangeError::Connect(e)),
            Ok(Ok(s)) => Ok(s),
        }
    }

    async fn connect(&self) -> std::io::Result<Stream> {
        Ok(match &self.address {
            Address::Tcp { host, port } => {
                let s = TcpStream::connect((host.as_str(), *port)).await?;
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
            Address::Unix(path) => Stream::Unix(UnixStream::connect(path).await?),
        })
    }
}

/// Writes the line, half-closes, and reads to EOF within `cap` bytes.
async fn send_and_read<S>(mut stream: S, line: &[u8], cap: usize) -> Result<Vec<u8>, ExchangeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match stream.write_all(line).await.and(stream.flush().await) {
        Ok(()) => {}
        // The peer closed before taking the command: report "no reply" rather than an I/O error.
        Err(e) if is_reset(&e) => return Ok(Vec::new()),
        Err(e) => return Err(ExchangeError::Io(e)),
    }
    // Half-close: tells HAProxy (and the master CLI, which would otherwise wait) that no more
    // commands follow, so it closes as soon as the reply is written. A peer that already closed
    // makes this fail harmlessly.
    let _ = stream.shutdown().await;
    let mut reply = Vec::new();
    loop {
        let n = match read_more(&mut stream, &mut reply, cap).await {
            Ok(n) => n,
            // A reset before any byte is a close without reply (the caller reports it as such);
            // a reset in the middle of a reply means the reply is cut short: an error.
            Err(e) if is_reset(&e) && reply.is_empty() => 0,
            Err(e) => return Err(ExchangeError::Io(e)),
        };
        if n == 0 {
            return Ok(reply);
        }
        if reply.len() > cap {
            return Err(ExchangeError::TooLarge);
        }
    }
}

/// Reads what has arrived onto the end of `reply`, straight into it (no bounce buffer: large
/// replies are megabytes), never more than one byte past `cap` in all, growing it a chunk at a
/// time. Returns the bytes read (0 at EOF). Shared by the one-shot and the kept exchanges.
pub(crate) async fn read_more<S>(
    stream: &mut S,
    reply: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize>
where
    S: AsyncRead + Unpin,
{
    if reply.capacity() - reply.len() < MIN_READ {
        reply.reserve(READ_CHUNK);
    }
    let allowed = (cap.saturating_sub(reply.len()) as u64).saturating_add(1);
    stream.take(allowed).read_buf(reply).await
}

/// Room made in the reply buffer when it runs low: most replies fit in the first one.
const READ_CHUNK: usize = 16 * 1024;
/// Less room than this left in the reply buffer makes more.
const MIN_READ: usize = 4 * 1024;

/// Whether an I/O error means the peer closed the connection abruptly.
fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_routing_prefixes_worker_commands() {
        let m = Endpoint::master(
            Address::Unix("/run/m.sock".into()),
            WorkerTarget::Relative(1),
        );
        assert_eq!(
            m.route_worker_line(b"show info\n".to_vec()),
            b"@1 show info\n"
        );
        let p = Endpoint::master(Address::Unix("/run/m.sock".into()), WorkerTarget::Pid(42));
        assert_eq!(
            p.route_worker_line(b"show info\n".to_vec()),
            b"@!42 show info\n"
        );
        let s = Endpoint::unix("/run/h.sock");
        assert_eq!(s.route_worker_line(b"show info\n".to_vec()), b"show info\n");
        assert_eq!(
            Endpoint::tcp("127.0.0.1", 9999).to_string(),
            "tcp://127.0.0.1:9999"
        );
        assert_eq!(Endpoint::tcp("::1", 9999).to_string(), "tcp://[::1]:9999");
    }
}
