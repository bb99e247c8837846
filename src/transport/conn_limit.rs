//! Connection admission for the HTTP server: a cap on open connections, globally and per client
//! IP address, and the deadline a client has to send a complete request head (slowloris). A
//! connection over a cap is closed at once, before any of its bytes are read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// Most connections open at once from one client IP address (at least 1).
    pub max_connections_per_ip: usize,
    /// Time a client has to send a complete request head, on a new connection and between two
    /// requests of a kept-alive one; past it the connection is closed.
    pub header_read_timeout: Duration,
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
    /// The server holds [`ConnectionLimits::max_connections`] connections already.
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

/// Counts the open connections, in total and per IP address.
#[derive(Debug)]
pub struct ConnectionTracker {
    limits: ConnectionLimits,
    open: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// An admitted connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Admission {
    tracker: Arc<ConnectionTracker>,
    ip: IpAddr,
}

impl ConnectionTracker {
    /// A tracker enforcing `limits`.
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new(Counts::default()),
        })
    }

    /// The limits enforced.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Admits one more connection from `ip`, or says which cap it would exceed.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admission, OverCap> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.limits.max_connections.max(1) {
            return Err(OverCap::Global);
        }
        let from_ip = open.per_ip.entry(ip).or_default();
        if *from_ip >= self.limits.max_connections_per_ip.max(1) {
            return Err(OverCap::PerIp);
        }
        *from_ip += 1;
        open.total += 1;
        Ok(Admission {
            tracker: Arc::clone(self),
            ip,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.tracker.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_global_and_per_ip_and_frees_on_drop() {
        let t = ConnectionTracker::new(ConnectionLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..ConnectionLimits::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = t.admit(a).unwrap();
        let _a2 = t.admit(a).unwrap();
        assert_eq!(t.admit(a).unwrap_err(), OverCap::PerIp);
        let _b1 = t.admit(b).unwrap();
        assert_eq!(t.admit(c).unwrap_err(), OverCap::Global);
        assert_eq!(t.open(), 3);
        drop(a1);
        assert_eq!(t.open(), 2);
        let _c1 = t.admit(c).unwrap();
        assert_eq!(t.admit(a).unwrap_err(), OverCap::Global);
    }
}
