//! The HTTP server's accept loop: each accepted connection is admitted against the connection
//! caps of [`super::conn_limit`] (over a cap it gets a canned `503` if the socket takes it at
//! once, and is closed without a byte of it being read; at the global cap the oldest connection
//! still without a request is closed to make room), then served by hyper with a deadline on
//! request heads (slowloris). Accept errors, "Too many open files" among them, pause the
//! loop briefly instead of spinning or stopping it; out of file descriptors, the oldest
//! connection that never sent a request is closed to free one.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::conn_limit::{ConnectionLimits, ConnectionTracker, OverCap, open_files_limit};
use crate::mcp::metrics::Metrics;

/// What a connection over a cap is sent before it is closed.
const OVER_CAP_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
/// Pause after an accept error that a retry cannot fix at once (out of file descriptors…).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Least time between two warnings about the same kind of trouble.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// Longest wait for an evicted connection's socket to be closed before accepting more.
const EVICTION_WAIT: Duration = Duration::from_millis(100);
/// How long open connections get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` is cancelled, within `limits`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let fitted = limits.within_descriptors(open_files_limit());
    if fitted.max_connections < limits.max_connections {
        tracing::warn!(
            "the file-descriptor limit ({}) leaves room for {} HTTP connections; the connection cap is lowered from {} (raise `ulimit -n` to restore it)",
            open_files_limit().unwrap_or_default(),
            fitted.max_connections,
            limits.max_connections
        );
    }
    let limits = fitted;
    let tracker = ConnectionTracker::new(limits);
    let warnings = Warnings::default();
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let (tcp, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                accept_error(&e, &warnings, &tracker).await;
                continue;
            }
        };
        let mut admission = match tracker.admit(remote.ip()) {
            Ok(a) => a,
            Err(over) => {
                refuse(&tcp, over, remote, &warnings, &tracker);
                metrics.http_rejection(over.reason());
                continue;
            }
        };
        // A reply goes out in several small writes (headers, the SSE event, the end of the
        // stream); with Nagle's algorithm on, the later ones waited for the client's delayed
        // ACK, about 40 ms per call (docs/benchmarks.md).
        let _ = tcp.set_nodelay(true);
        // A connection was closed to make room: wait (briefly) for its socket to be closed, so
        // that a flood cannot run the process out of descriptors faster than they are freed.
        let made_room = admission.made_room();
        let admission = Arc::new(admission);
        let started = Arc::clone(&admission);
        let app = app
            .clone()
            .layer(axum::middleware::map_request(move |r: Request| {
                started.started_request();
                std::future::ready(r)
            }))
            .layer(axum::Extension(ConnectInfo(remote)));
        let service = TowerToHyperService::new(app);
        let connection = builder
            .serve_connection(TokioIo::new(tcp), service)
            .into_owned();
        let stop = shutdown.clone();
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                // Closed to make room at the global cap, before sending a request.
                () = admission.evicted().cancelled() => {
                    metrics.http_rejection("idle_connection_evicted");
                    Ok(())
                }
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(client = %remote, "connection ended: {e}");
            }
            drop(admission);
        });
        if let Some(evicted) = made_room {
            let _ = tokio::time::timeout(EVICTION_WAIT, evicted.closed()).await;
        }
    }
    drop(listener);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while tracker.open() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if tracker.open() > 0 {
        tracing::warn!(
            "{} HTTP connection(s) still open {SHUTDOWN_GRACE:?} after shutdown began; leaving them",
            tracker.open()
        );
    }
    Ok(())
}

/// Closes a connection over a cap, with a 503 if the socket takes it without waiting.
fn refuse(
    tcp: &TcpStream,
    over: OverCap,
    remote: SocketAddr,
    warnings: &Warnings,
    tracker: &ConnectionTracker,
) {
    let _ = tcp.try_write(OVER_CAP_RESPONSE);
    let limits = tracker.limits();
    if warnings.due(Trouble::Cap) {
        match over {
            OverCap::Global => tracing::warn!(
                client = %remote,
                "refusing HTTP connections: {} are open (the cap); see haproxy_mcp_http_rejections_total",
                limits.max_connections
            ),
            OverCap::PerIp => tracing::warn!(
                client = %remote.ip(),
                "refusing HTTP connections from this address: it holds {} (the per-IP cap); see haproxy_mcp_http_rejections_total",
                limits.max_connections_per_ip
            ),
        }
    }
}

/// Logs an accept error (at most every [`WARN_EVERY`]) and pauses when a retry cannot help yet.
/// Out of file descriptors, it first closes the oldest connection that never sent a request,
/// so that the next accept (a real client, likely) finds one.
async fn accept_error(error: &io::Error, warnings: &Warnings, tracker: &ConnectionTracker) {
    // The peer gave up between SYN and accept: nothing to do.
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) {
        return;
    }
    // EMFILE (the process's limit) or ENFILE (the system's).
    let out_of_fds = matches!(error.raw_os_error(), Some(24 | 23));
    if out_of_fds && let Some(evicted) = tracker.evict_oldest_waiting() {
        if warnings.due(Trouble::Accept) {
            tracing::warn!(
                "cannot accept HTTP connections: {error}; closing the oldest connection that has not sent a request (raise the file-descriptor limit above the connection caps)"
            );
        }
        let _ = tokio::time::timeout(EVICTION_WAIT, evicted.closed()).await;
        return;
    }
    if warnings.due(Trouble::Accept) {
        tracing::warn!(
            "cannot accept HTTP connections: {error}; retrying every {ACCEPT_BACKOFF:?} (raise the file-descriptor limit or lower the connection caps)"
        );
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

#[derive(Clone, Copy)]
enum Trouble {
    Cap,
    Accept,
}

/// When each kind of trouble was last logged.
#[derive(Default)]
struct Warnings {
    last: Mutex<[Option<Instant>; 2]>,
}

impl Warnings {
    fn due(&self, trouble: Trouble) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut last[trouble as usize];
        if slot.is_some_and(|t| t.elapsed() < WARN_EVERY) {
            return false;
        }
        *slot = Some(Instant::now());
        true
    }
}
