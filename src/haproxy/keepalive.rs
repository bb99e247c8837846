//! Kept CLI connections in `prompt` mode, reused by the reads tools send most.
//!
//! A one-shot exchange pays for a connection each time: `connect`, HAProxy's accept and session
//! set-up, the close on both sides; on a Unix socket that is most of a small command's round trip
//! (measured on 2.6: `show info` 113 µs one-shot, 39 µs on a kept connection). So a client keeps
//! up to two connections per target open in `prompt` mode (every version 2.6 … 3.4 enters it
//! with a plain `prompt`, and ends each reply with `"\n> "`) and sends a few reads over them, each
//! for at most `keep_alive` after it was opened, after which it is closed: it holds one of
//! HAProxy's shared CLI slots (`stats maxconn`, 10 by default), and after a reload done
//! elsewhere the old, stopping worker keeps answering the connections it had. (`show info` says
//! `Stopping: 1` there, and is asked again on a new connection; the other reads cannot tell, so
//! their window is `keep_alive`, 1 s by default.) They count in the client's connection budget,
//! and an idle one is closed rather than make a call wait.
//!
//! Only reads whose replies are framed beyond doubt go this way ([`eligible`]): dumps that end
//! with HAProxy's empty line, in which no line can start with `"> "` except inside a quoted CSV
//! cell (checked by quote parity), or one-line messages. Everything else — changes, payloads, the
//! master CLI, dumps of caller data such as map entries or captured traffic — keeps the one-shot
//! exchange, which reads to EOF. The reply handed back is byte for byte what a one-shot exchange
//! gets (the prompt's `"> "` removed), so parsers cannot tell the difference.
//!
//! A kept connection that HAProxy closed meanwhile (its `stats timeout`, a reload) or that holds
//! unexpected bytes is dropped before use and the command goes over a new one; nothing is sent
//! twice. A HAProxy (or proxy in front of it) that does not answer `prompt` as HAProxy does turns
//! keeping off for that client.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;

use super::command::{Command, Route};
use super::endpoint::{Endpoint, ExchangeError, Limits, Stream, read_more};

/// The prompt HAProxy writes after each reply in prompt mode.
const PROMPT: &[u8] = b"\n> ";

/// Whether `command`'s reply is framed beyond doubt in prompt mode (see the module doc).
pub(crate) fn eligible(command: &Command) -> bool {
    if command.is_mutation() || command.route() != Route::Worker || command.payload().is_some() {
        return false;
    }
    let words: Vec<&str> = command.words().iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["show", "info"]
            | ["show", "version"]
            | ["show", "stat", ..]
            | ["show", "servers", "state", ..]
            // What health_summary reads besides `show stat`: the list of tables (not their
            // entries, which hold caller keys), resolvers and peers, and the TLS store's lists
            // and details. Each is a dump of HAProxy's own labelled lines (a line starts with a
            // label, a `#`, a pointer or indentation) without an empty line inside on any
            // version (a CA file's details separate certificates with a line of one space), so
            // `"\n\n> "` can only be its end.
            | ["show", "table"]
            | ["show", "resolvers", ..]
            | ["show", "peers", ..]
            | ["show", "ssl", "cert" | "ca-file" | "crl-file" | "crt-list" | "sni", ..]
    )
}

/// One client's kept connection, if any, and whether HAProxy allows one.
#[derive(Debug)]
pub(crate) struct KeepAlive {
    lifetime: Duration,
    pool: Mutex<Pool>,
    unsupported: AtomicBool,
    reaper_running: AtomicBool,
}

/// Most kept connections per client: two, because the tools that read servers (`list_servers`,
/// `get_server`, `get_backend`, `health_summary`) send `show stat` and `show servers state` at
/// the same time.
const MAX_KEPT: usize = 2;

/// The kept connections: idle ones (the most recently used last) and how many carry a read or
/// are being opened. Never more than [`MAX_KEPT`] in all.
#[derive(Debug, Default)]
struct Pool {
    idle: Vec<Kept>,
    in_use: usize,
}

/// An idle connection in prompt mode, with the connection-budget permit it holds (so the
/// client's `max_connections` counts it, idle or not).
struct Kept {
    stream: Stream,
    permit: OwnedSemaphorePermit,
    opened: Instant,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("opened", &self.opened)
            .finish_non_exhaustive()
    }
}

impl Kept {
    /// Closes the connection the way HAProxy expects (end of input, then its close), and only
    /// then gives the permit back: until HAProxy has let go of the connection, it still holds
    /// one of its CLI slots.
    async fn close(mut self) {
        let _ = self.stream.shutdown().await;
        let mut sink = [0u8; 256];
        let _ = timeout(Duration::from_secs(1), async {
            while matches!(self.stream.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
        drop(self.permit);
    }
}

/// Gives a read's place in the pool (`in_use`) back however the read ends: returned to the idle
/// list, dropped after a failure, or cancelled half-way (its caller dropped), when the connection
/// is dropped with it since its reply may still be arriving.
struct InUseGuard<'a> {
    keep: &'a KeepAlive,
}

impl Drop for InUseGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.keep.pool.lock() {
            pool.in_use -= 1;
        }
    }
}

impl KeepAlive {
    /// Connections are used for `lifetime` after they were opened, then closed; `Duration::ZERO`
    /// turns keeping off.
    pub(crate) fn new(lifetime: Duration) -> Arc<Self> {
        Arc::new(Self {
            lifetime,
            pool: Mutex::new(Pool::default()),
            unsupported: AtomicBool::new(lifetime.is_zero()),
            reaper_running: AtomicBool::new(false),
        })
    }

    /// A permit of the connection budget. When every permit is taken and one of them is only
    /// holding an idle kept connection, that connection (the least recently used) is closed to
    /// free it: an idle connection never makes a call wait.
    pub(crate) async fn permit(&self, permits: &Arc<Semaphore>) -> OwnedSemaphorePermit {
        if let Ok(p) = Arc::clone(permits).try_acquire_owned() {
            return p;
        }
        let idle = self
            .pool
            .lock()
            .ok()
            .and_then(|mut pool| (!pool.idle.is_empty()).then(|| pool.idle.remove(0)));
        if let Some(kept) = idle {
            kept.close().await;
        }
        Arc::clone(permits)
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed")
    }

    /// Sends `line` over a kept connection (opening one if there is room) and returns the reply,
    /// or `None` when the command must go one-shot instead (not eligible, keeping off or
    /// refused, every kept connection busy, the one taken gone stale): nothing of `line` has
    /// reached HAProxy then.
    pub(crate) async fn exchange(
        self: &Arc<Self>,
        endpoint: &Endpoint,
        permits: &Arc<Semaphore>,
        command: &Command,
        line: &[u8],
        limits: &Limits,
    ) -> Option<Result<Vec<u8>, ExchangeError>> {
        if self.unsupported.load(Ordering::Relaxed)
            || endpoint.master_target().is_some()
            || !eligible(command)
        {
            return None;
        }
        let taken = {
            let mut pool = self.pool.lock().ok()?;
            let taken = pool.idle.pop();
            if taken.is_none() && pool.in_use >= MAX_KEPT {
                return None;
            }
            pool.in_use += 1;
            taken
        };
        let guard = InUseGuard { keep: self };
        let usable = match taken {
            Some(kept) => self.usable(kept).await,
            None => None,
        };
        let (mut stream, permit, opened, reused) = match usable {
            Some((stream, permit, opened)) => (stream, permit, opened, true),
            None => {
                let permit = self.permit(permits).await;
                match self.open(endpoint, limits).await {
                    // Nothing was sent: the caller's retry rules apply as to a one-shot
                    // exchange (trying one-shot now would double the connect deadline).
                    Err(e) => return Some(Err(e)),
                    Ok(None) => return None,
                    Ok(Some(stream)) => (stream, permit, Instant::now(), false),
                }
            }
        };
        let csv = command.words().get(1).is_some_and(|w| w == "stat");
        let work = async {
            if let Err(e) = stream.write_all(line).await {
                return if reused {
                    None
                } else {
                    Some(Err(ExchangeError::Io(e)))
                };
            }
            match read_reply(&mut stream, limits.max_reply_bytes, csv).await {
                // Closed before a byte of reply: an idle connection HAProxy has just dropped.
                // A read is safe to send again, one-shot.
                Ok(Read::Closed(reply)) if reply.is_empty() && reused => None,
                Ok(Read::Closed(reply)) => Some(Ok((reply, false))),
                Ok(Read::Complete(reply)) => Some(Ok((reply, true))),
                Err(e) => Some(Err(e)),
            }
        };
        let result = match timeout(limits.command_timeout, work).await {
            Err(_) => Some(Err(ExchangeError::ReplyTimeout)),
            Ok(None) => None,
            Ok(Some(Err(e))) => Some(Err(e)),
            // A worker that is stopping after a reload still answers the connections it had, with
            // its own, outgoing state: not this one. Asked again on a new connection, which the
            // new worker accepts.
            Ok(Some(Ok((reply, _)))) if reused && from_stopping_worker(&reply) => None,
            Ok(Some(Ok((reply, in_step)))) => {
                if in_step {
                    self.put_back(stream, permit, opened);
                }
                Some(Ok(reply))
            }
        };
        drop(guard);
        result
    }

    /// The idle connection's parts, if it is young enough and holds nothing unexpected.
    async fn usable(&self, kept: Kept) -> Option<(Stream, OwnedSemaphorePermit, Instant)> {
        if kept.opened.elapsed() >= self.lifetime {
            kept.close().await;
            return None;
        }
        let mut probe = [0u8; 1];
        match kept.stream.try_read(&mut probe) {
            // Nothing waiting: in step.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Some((kept.stream, kept.permit, kept.opened))
            }
            // EOF (HAProxy closed it) or an error: stale.
            Ok(0) | Err(_) => None,
            Ok(_) => {
                tracing::warn!(
                    "bytes arrived on an idle CLI connection after its reply; closed it"
                );
                None
            }
        }
    }

    /// Returns a connection to the idle list (its place in `in_use` is given back by the
    /// caller's guard).
    fn put_back(self: &Arc<Self>, stream: Stream, permit: OwnedSemaphorePermit, opened: Instant) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.idle.push(Kept {
                stream,
                permit,
                opened,
            });
        }
        if !self.reaper_running.swap(true, Ordering::AcqRel) {
            tokio::spawn(reap(Arc::downgrade(self)));
        }
    }

    /// Opens a connection and enters prompt mode; turns keeping off (`Ok(None)`) if the other
    /// end answers otherwise.
    async fn open(
        &self,
        endpoint: &Endpoint,
        limits: &Limits,
    ) -> Result<Option<Stream>, ExchangeError> {
        let mut stream = endpoint.open(limits).await?;
        let handshake = async {
            stream.write_all(b"prompt\n").await.ok()?;
            let mut got = Vec::with_capacity(PROMPT.len());
            while got.len() < PROMPT.len() {
                let mut chunk = [0u8; 16];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
            }
            Some(got)
        };
        match timeout(limits.command_timeout, handshake).await {
            Ok(Some(got)) if got == PROMPT => Ok(Some(stream)),
            // A stuck HAProxy: what a one-shot exchange would meet too.
            Err(_) => Err(ExchangeError::ReplyTimeout),
            // Any other answer, or none (closed, broken): not HAProxy's prompt.
            Ok(got) => {
                tracing::info!(
                    %endpoint,
                    answer = %String::from_utf8_lossy(got.as_deref().unwrap_or_default()),
                    "this CLI does not answer `prompt` as HAProxy does; one connection per command from now on"
                );
                self.unsupported.store(true, Ordering::Relaxed);
                Ok(None)
            }
        }
    }
}

/// Closes kept connections once they have lived their lifetime, so they hold neither one of
/// HAProxy's CLI slots nor a permit; ends when there is nothing left to watch.
async fn reap(keep: Weak<KeepAlive>) {
    loop {
        let Some(k) = keep.upgrade() else { return };
        let (expired, wait) = {
            let Ok(mut pool) = k.pool.lock() else { return };
            let (expired, fresh): (Vec<Kept>, Vec<Kept>) = std::mem::take(&mut pool.idle)
                .into_iter()
                .partition(|kept| kept.opened.elapsed() >= k.lifetime);
            pool.idle = fresh;
            let wait = match pool.idle.iter().map(|kept| kept.opened.elapsed()).max() {
                Some(age) => Some(k.lifetime.saturating_sub(age)),
                // In use: look again after a full lifetime.
                None if pool.in_use > 0 => Some(k.lifetime),
                None => {
                    k.reaper_running.store(false, Ordering::Release);
                    None
                }
            };
            (expired, wait)
        };
        for kept in expired {
            kept.close().await;
        }
        let Some(wait) = wait else { return };
        drop(k);
        tokio::time::sleep(wait).await;
    }
}

/// Whether a `show info` reply comes from a worker that is stopping (`Stopping: 1`): an old
/// worker after a reload, which keeps answering the connections it had.
fn from_stopping_worker(reply: &[u8]) -> bool {
    reply.starts_with(b"Name: ")
        && reply
            .split(|&b| b == b'\n')
            .any(|line| line == b"Stopping: 1")
}

/// How a prompt-mode read ended.
enum Read {
    /// The reply, prompt removed: the same bytes a one-shot exchange gets.
    Complete(Vec<u8>),
    /// The connection closed first; what arrived, as is.
    Closed(Vec<u8>),
}

/// Reads one reply up to its prompt.
async fn read_reply(stream: &mut Stream, cap: usize, csv: bool) -> Result<Read, ExchangeError> {
    let mut reply = Vec::new();
    loop {
        // The cap is on the reply; its prompt comes on top.
        let n = read_more(stream, &mut reply, cap + PROMPT.len())
            .await
            .map_err(ExchangeError::Io)?;
        if n == 0 {
            return Ok(Read::Closed(reply));
        }
        if is_complete(&reply, csv) {
            reply.truncate(reply.len() - 2);
            return Ok(Read::Complete(reply));
        }
        if reply.len() > cap + PROMPT.len() {
            return Err(ExchangeError::TooLarge);
        }
    }
}

/// Whether `buf` is a whole reply followed by the prompt: a dump ends with its empty line then
/// `"> "` (no dump has an empty line inside, HAProxy's own rule); a 2.x message that lacks its
/// LF is a single line then `"> "`. In a CSV reply the prompt must also be outside quotes (a
/// quoted cell may hold line breaks).
fn is_complete(buf: &[u8], csv: bool) -> bool {
    let Some(body) = buf.strip_suffix(PROMPT) else {
        return false;
    };
    let framed = body.ends_with(b"\n") || !body.contains(&b'\n');
    framed && (!csv || buf.iter().filter(|&&b| b == b'"').count() % 2 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::command::args::{MapName, ProxyName, TableName};
    use crate::haproxy::command::{ListKind, StatFilter, TableFilter};

    #[test]
    fn only_framed_reads_are_eligible() {
        assert!(eligible(&Command::show_info()));
        assert!(eligible(&Command::show_version()));
        assert!(eligible(&Command::show_stat(&StatFilter::default())));
        assert!(eligible(&Command::show_servers_state(Some(
            &ProxyName::new("be_app").unwrap()
        ))));
        // What health_summary reads besides: tables listed, resolvers, peers, the TLS store.
        assert!(eligible(&Command::show_tables()));
        assert!(eligible(&Command::show_resolvers(None)));
        assert!(eligible(&Command::show_peers(None)));
        assert!(eligible(&Command::show_ssl_certs()));
        assert!(eligible(&Command::show_ca_files()));
        // Caller data (map keys may start with "> "; so may a table's string keys), and any
        // change, go one-shot.
        let table = TableName::new("st").unwrap();
        assert!(!eligible(&Command::show_table(
            &table,
            &TableFilter::default()
        )));
        let map = MapName::new("#1").unwrap();
        assert!(!eligible(&Command::show_list_entries(ListKind::Map, &map)));
        assert!(!eligible(&Command::show_info_json()));
        assert!(!eligible(&Command::clear_counters(false)));
    }

    #[test]
    fn a_reply_is_complete_only_at_its_prompt() {
        // A dump: its empty line, then the prompt.
        assert!(is_complete(b"Name: HAProxy\nPid: 1\n\n> ", false));
        // Cut just after a line that starts with "> ": not an empty line before it.
        assert!(!is_complete(b"Name: HAProxy\nDescription: a\n> ", false));
        // A 2.6 message without its LF.
        assert!(is_complete(b"No such proxy.\n> ", false));
        // Not yet.
        assert!(!is_complete(b"Name: HAProxy\n", false));
        assert!(!is_complete(b"", false));
        // Inside a quoted CSV cell that holds "\n\n> ".
        assert!(!is_complete(b"# pxname,desc\nbe,\"x\n\n> ", true));
        assert!(is_complete(b"# pxname,desc\nbe,\"x\n\n> y\"\n\n> ", true));
    }
}
