//! Connection admission for the HTTP server: a cap on open connections, globally and per client
//! IP address, and the deadline a client has to send a complete request head (slowloris).
//!
//! - Over the per-IP cap, a new connection is closed at once, before any of its bytes are read.
//! - When the process runs out of file descriptors, the oldest such connection is closed too.
//! - At the global cap, the oldest connection that has not yet sent a complete request head is
//!   closed to make room (a half-open connection is what a slowloris holds; a real client sends
//!   its request at once, so it is never the oldest such connection for long). Only when every
//!   open connection has sent a request is the new connection closed instead (a kept-alive
//!   connection that goes quiet is closed by the request-head deadline).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Default cap on open HTTP connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default cap on open HTTP connections from one IP address.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;
/// Default time a client has to send a complete request head.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connection settings of the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once (at least 1).
    pub max_connections: usize,
    /// Most connections open at once from one client IP address (at least 1); IPv6 addresses
    /// count by their /64 prefix.
    pub max_connections_per_ip: usize,
    /// Time a client has to send a complete request head, on a new connection and between two
    /// requests of a kept-alive one; past it the connection is closed.
    pub header_read_timeout: Duration,
}

/// File descriptors kept free for everything but client connections (HAProxy sockets, the
/// audit log, key fetches, the runtime).
pub const RESERVED_DESCRIPTORS: usize = 64;

impl ConnectionLimits {
    /// These limits with the global cap lowered, if needed, to fit the process's
    /// file-descriptor limit (`open_files`) less [`RESERVED_DESCRIPTORS`], so that client
    /// connections cannot starve the rest of the server of descriptors. At least 1.
    pub fn within_descriptors(self, open_files: Option<usize>) -> Self {
        let Some(limit) = open_files else {
            return self;
        };
        Self {
            max_connections: self
                .max_connections
                .min(limit.saturating_sub(RESERVED_DESCRIPTORS))
                .max(1),
            ..self
        }
    }
}

/// The process's soft limit on open files, when the platform says (Linux: /proc/self/limits).
pub fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverCap {
    /// The server holds [`ConnectionLimits::max_connections`] connections, all busy.
    Global,
    /// This IP address holds [`ConnectionLimits::max_connections_per_ip`] connections already.
    PerIp,
}

impl OverCap {
    /// The metrics reason code.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Global => "too_many_connections",
            Self::PerIp => "too_many_connections_per_ip",
        }
    }
}

/// Counts the open connections, in total and per IP address, and knows which have not sent a
/// request yet.
#[derive(Debug)]
pub struct ConnectionTracker {
    limits: ConnectionLimits,
    open: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    /// Connections without a request yet, oldest first.
    waiting: BTreeMap<u64, Waiting>,
    next_id: u64,
    evicted: u64,
}

#[derive(Debug)]
struct Waiting {
    ip: IpAddr,
    close: CancellationToken,
    released: Arc<AtomicBool>,
    closed: Arc<Notify>,
}

/// A connection closed to make room; [`Evicted::closed`] completes once its socket is closed
/// (its file descriptor free again).
#[derive(Debug)]
pub struct Evicted(Arc<Notify>);

impl Evicted {
    /// Waits until the evicted connection's socket is closed.
    pub async fn closed(self) {
        self.0.notified().await;
    }
}

/// An admitted connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Admission {
    tracker: Arc<ConnectionTracker>,
    ip: IpAddr,
    id: u64,
    close: CancellationToken,
    /// Set once the place is given back (by eviction or drop).
    released: Arc<AtomicBool>,
    /// Set once the connection has started a request.
    busy: AtomicBool,
    /// Notified when this admission is dropped (the connection is closed by then).
    closed: Arc<Notify>,
    /// The connection closed to make room for this one.
    made_room: Option<Evicted>,
}

impl Counts {
    /// Closes the oldest connection without a request yet, if any.
    fn evict_oldest_waiting(&mut self) -> Option<Evicted> {
        let (_, oldest) = self.waiting.pop_first()?;
        oldest.released.store(true, Ordering::SeqCst);
        oldest.close.cancel();
        self.release(oldest.ip);
        self.evicted += 1;
        Some(Evicted(oldest.closed))
    }

    fn release(&mut self, ip: IpAddr) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.per_ip.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

/// The address the per-IP cap counts: an IPv4 address (IPv4-mapped IPv6 included) as is, an
/// IPv6 address by its /64 prefix (one subscriber usually holds a whole /64).
fn per_ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl ConnectionTracker {
    /// A tracker enforcing `limits`.
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The limits enforced.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Admits one more connection from `ip` (at the global cap, by closing the oldest connection
    /// that has not sent a request yet), or says which cap it would exceed.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admission, OverCap> {
        let ip = per_ip_key(ip);
        let mut open = self.counts();
        if open.per_ip.get(&ip).copied().unwrap_or(0) >= self.limits.max_connections_per_ip.max(1) {
            return Err(OverCap::PerIp);
        }
        let mut made_room = None;
        if open.total >= self.limits.max_connections.max(1) {
            made_room = Some(open.evict_oldest_waiting().ok_or(OverCap::Global)?);
        }
        *open.per_ip.entry(ip).or_default() += 1;
        open.total += 1;
        let id = open.next_id;
        open.next_id += 1;
        let close = CancellationToken::new();
        let released = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(Notify::new());
        open.waiting.insert(
            id,
            Waiting {
                ip,
                close: close.clone(),
                released: Arc::clone(&released),
                closed: Arc::clone(&closed),
            },
        );
        Ok(Admission {
            tracker: Arc::clone(self),
            ip,
            id,
            close,
            released,
            busy: AtomicBool::new(false),
            closed,
            made_room,
        })
    }

    /// Closes the oldest connection that has not sent a request yet, to free its file
    /// descriptor (the process ran out of them), if there is one.
    pub fn evict_oldest_waiting(&self) -> Option<Evicted> {
        self.counts().evict_oldest_waiting()
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts().total
    }

    /// Connections closed so far to make room at the global cap.
    pub fn evicted(&self) -> u64 {
        self.counts().evicted
    }
}

impl Admission {
    /// Marks the connection busy: it sent a request head, so it is no longer evictable.
    pub fn started_request(&self) {
        if !self.busy.swap(true, Ordering::SeqCst) {
            self.tracker.counts().waiting.remove(&self.id);
        }
    }

    /// Cancelled when the connection is closed to make room for another.
    pub fn evicted(&self) -> &CancellationToken {
        &self.close
    }

    /// The connection closed to make room for this one, if any (taken once).
    pub fn made_room(&mut self) -> Option<Evicted> {
        self.made_room.take()
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.tracker.counts();
        open.waiting.remove(&self.id);
        if !self.released.swap(true, Ordering::SeqCst) {
            open.release(self.ip);
        }
        self.closed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(total: usize, per_ip: usize) -> Arc<ConnectionTracker> {
        ConnectionTracker::new(ConnectionLimits {
            max_connections: total,
            max_connections_per_ip: per_ip,
            ..ConnectionLimits::default()
        })
    }

    #[test]
    fn the_global_cap_fits_the_descriptor_limit() {
        let d = ConnectionLimits::default();
        assert_eq!(d.within_descriptors(None), d);
        assert_eq!(d.within_descriptors(Some(1 << 20)), d);
        assert_eq!(d.within_descriptors(Some(1024)).max_connections, 960);
        assert_eq!(d.within_descriptors(Some(10)).max_connections, 1);
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|n| n > 0));
        }
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        let t = tracker(10, 2);
        let _a = t.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        let _b = t.admit("2001:db8:1:2:ffff::9".parse().unwrap()).unwrap();
        assert_eq!(
            t.admit("2001:db8:1:2:dead::1".parse().unwrap())
                .unwrap_err(),
            OverCap::PerIp
        );
        let _c = t.admit("2001:db8:1:3::1".parse().unwrap()).unwrap();
        let _d = t.admit("::ffff:10.0.0.1".parse().unwrap()).unwrap();
        let _e = t.admit("10.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            t.admit("10.0.0.1".parse().unwrap()).unwrap_err(),
            OverCap::PerIp,
            "an IPv4-mapped address is its IPv4 address"
        );
    }

    #[test]
    fn caps_per_ip_and_frees_on_drop() {
        let t = tracker(10, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let a1 = t.admit(a).unwrap();
        let _a2 = t.admit(a).unwrap();
        assert_eq!(t.admit(a).unwrap_err(), OverCap::PerIp);
        drop(a1);
        assert_eq!(t.open(), 1);
        let _a3 = t.admit(a).unwrap();
    }

    #[test]
    fn at_the_global_cap_the_oldest_idle_connection_makes_room() {
        let t = tracker(3, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let busy = t.admit(a).unwrap();
        busy.started_request();
        let idle1 = t.admit(a).unwrap();
        let idle2 = t.admit(a).unwrap();
        let new = t.admit(b).unwrap();
        assert!(idle1.evicted().is_cancelled(), "the oldest idle one goes");
        assert!(!busy.evicted().is_cancelled() && !idle2.evicted().is_cancelled());
        assert_eq!(t.open(), 3);
        drop(idle1);
        assert_eq!(t.open(), 3, "an evicted place is not given back twice");
        idle2.started_request();
        new.started_request();
        assert_eq!(t.admit(b).unwrap_err(), OverCap::Global, "all busy");
        assert_eq!(t.evicted(), 1);
        drop(busy);
        let _ = t.admit(b).unwrap();
    }
}
