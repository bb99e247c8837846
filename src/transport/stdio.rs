//! stdio: JSON-RPC on stdin/stdout. stdout carries only the protocol; logs go to stderr.
//!
//! Tokio's `stdin()`/`stdout()` do every read and write as a blocking call on the runtime's
//! blocking thread pool: two thread hand-offs per message each way, about half of what the MCP
//! layer added to a `show_info` call (docs/benchmarks.md). When stdin and stdout are pipes or
//! sockets (what every MCP client gives a server it spawns: Python's SDK pipes, Node's libuv
//! socket pairs), they are read and written instead as non-blocking descriptors driven by the
//! runtime's reactor, like a network socket. Anything else (a terminal, a file) keeps Tokio's
//! blocking streams.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::pin::Pin;

use rmcp::ServiceExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::unix::pipe;

use crate::mcp::HaproxyMcp;

/// Serves `server` on stdin/stdout until the client closes the stream.
pub async fn serve(server: HaproxyMcp) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (input, output) = (reader(), writer());
    tracing::info!(
        stdin = input.kind,
        stdout = output.kind,
        "serving MCP on stdio"
    );
    let running = server.serve((input.stream, output.stream)).await?;
    let reason = running.waiting().await?;
    tracing::info!(?reason, "stdio session ended");
    Ok(())
}

/// One end of the stdio transport, and how it is driven (logged at start).
struct End<S> {
    stream: S,
    kind: &'static str,
}

type Reader = Pin<Box<dyn AsyncRead + Send + Sync>>;
type Writer = Pin<Box<dyn AsyncWrite + Send + Sync>>;

/// What a descriptor is, as far as choosing how to drive it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pipe,
    Socket,
    Other,
}

/// Duplicates a standard descriptor and says what it is (a duplicate, so the process's own fd 0
/// and 1 stay as they are for anything else that uses them).
fn duplicate(fd: impl AsFd) -> io::Result<(OwnedFd, Kind, (u64, u64))> {
    let owned = fd.as_fd().try_clone_to_owned()?;
    let meta = File::from(owned.try_clone()?).metadata()?;
    let kind = if meta.file_type().is_fifo() {
        Kind::Pipe
    } else if meta.file_type().is_socket() {
        Kind::Socket
    } else {
        Kind::Other
    };
    Ok((owned, kind, (meta.dev(), meta.ino())))
}

fn reader() -> End<Reader> {
    let driven = duplicate(io::stdin()).and_then(|(fd, kind, _)| match kind {
        Kind::Pipe => Ok(Some(End {
            stream: Box::pin(pipe::Receiver::from_owned_fd(fd)?) as Reader,
            kind: "pipe",
        })),
        Kind::Socket => Ok(Some(End {
            stream: Box::pin(socket(fd)?) as Reader,
            kind: "socket",
        })),
        Kind::Other => Ok(None),
    });
    match driven {
        Ok(Some(end)) => end,
        Ok(None) => blocking_reader(),
        Err(e) => {
            tracing::debug!(error = %e, "stdin cannot be driven by the reactor");
            blocking_reader()
        }
    }
}

fn writer() -> End<Writer> {
    let stderr = duplicate(io::stderr()).ok().map(|(_, _, id)| id);
    let driven = duplicate(io::stdout()).and_then(|(fd, kind, id)| {
        // Non-blocking mode belongs to the open file, which stdout shares with stderr when they
        // are the same pipe; the log writer's blocking writes to stderr must not start failing
        // with EAGAIN.
        if stderr == Some(id) {
            return Ok(None);
        }
        match kind {
            Kind::Pipe => Ok(Some(End {
                stream: Box::pin(pipe::Sender::from_owned_fd(fd)?) as Writer,
                kind: "pipe",
            })),
            Kind::Socket => Ok(Some(End {
                stream: Box::pin(socket(fd)?) as Writer,
                kind: "socket",
            })),
            Kind::Other => Ok(None),
        }
    });
    match driven {
        Ok(Some(end)) => end,
        Ok(None) => blocking_writer(),
        Err(e) => {
            tracing::debug!(error = %e, "stdout cannot be driven by the reactor");
            blocking_writer()
        }
    }
}

/// A stream socket (Node's libuv gives a spawned process one socket pair per descriptor).
fn socket(fd: OwnedFd) -> io::Result<tokio::net::UnixStream> {
    let std = std::os::unix::net::UnixStream::from(fd);
    std.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(std)
}

fn blocking_reader() -> End<Reader> {
    End {
        stream: Box::pin(tokio::io::stdin()),
        kind: "blocking",
    }
}

fn blocking_writer() -> End<Writer> {
    End {
        stream: Box::pin(tokio::io::stdout()),
        kind: "blocking",
    }
}
