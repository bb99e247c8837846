//! Frontends and process-wide rate limits: pausing, resuming and stopping a frontend's
//! listeners, and `set rate-limit … global`.

use super::Command;
use super::args::{ArgError, ProxyName};

/// A process-wide rate limit `set rate-limit <kind> global <value>` changes, with the `show info`
/// field that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// New connections per second (`maxconnrate`; `ConnRateLimit`).
    Connections,
    /// New sessions per second (`maxsessrate`; `SessRateLimit`).
    Sessions,
    /// New TLS sessions per second (`maxsslrate`; `SslRateLimit`).
    SslSessions,
    /// HTTP compression input, in kB/s (`maxcomprate`; `CompressBpsRateLim`, in bytes/s).
    HttpCompression,
}

impl RateLimitKind {
    /// Every kind, in HAProxy's order.
    pub const ALL: [RateLimitKind; 4] = [
        Self::Connections,
        Self::Sessions,
        Self::SslSessions,
        Self::HttpCompression,
    ];

    /// The word HAProxy expects after `set rate-limit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connections => "connections",
            Self::Sessions => "sessions",
            Self::SslSessions => "ssl-sessions",
            Self::HttpCompression => "http-compression",
        }
    }

    /// The `show info` field holding the limit in force (0 = none).
    pub fn info_field(self) -> &'static str {
        match self {
            Self::Connections => "ConnRateLimit",
            Self::Sessions => "SessRateLimit",
            Self::SslSessions => "SslRateLimit",
            Self::HttpCompression => "CompressBpsRateLim",
        }
    }

    /// What `show info` reports per unit of the value given to `set rate-limit`: HAProxy takes
    /// the compression limit in kB/s and shows it in bytes/s.
    pub fn info_scale(self) -> u64 {
        match self {
            Self::HttpCompression => 1024,
            _ => 1,
        }
    }

    /// The largest value HAProxy stores without overflow: it keeps the limit in a C `int`,
    /// multiplied by [`Self::info_scale`] (and reads it with `atoi`, so more is not refused but
    /// wraps).
    pub fn max_value(self) -> u32 {
        (i32::MAX as u32) / (self.info_scale() as u32)
    }
}

impl Command {
    /// `enable frontend <fe>`: resume a paused frontend's listeners.
    pub fn enable_frontend(frontend: &ProxyName) -> Self {
        Self::change(["enable", "frontend", frontend.as_str()])
    }

    /// `disable frontend <fe>`: pause its listeners (connections wait in the kernel's backlog
    /// until `enable frontend`).
    pub fn disable_frontend(frontend: &ProxyName) -> Self {
        Self::change(["disable", "frontend", frontend.as_str()])
    }

    /// `shutdown frontend <fe>`: stop it for good (only a reload or restart reopens it).
    pub fn shutdown_frontend(frontend: &ProxyName) -> Self {
        Self::change(["shutdown", "frontend", frontend.as_str()])
    }

    /// `set rate-limit <kind> global <value>` (0 removes the limit). Values above
    /// [`RateLimitKind::max_value`] are refused here: HAProxy would store them wrapped.
    pub fn set_rate_limit(kind: RateLimitKind, value: u32) -> Result<Self, ArgError> {
        if value > kind.max_value() {
            return Err(ArgError::new(
                "rate limit",
                &value.to_string(),
                format!(
                    "HAProxy keeps the {} limit in a signed 32-bit integer: at most {}",
                    kind.as_str(),
                    kind.max_value()
                ),
            ));
        }
        Ok(Self::change([
            "set".to_owned(),
            "rate-limit".to_owned(),
            kind.as_str().to_owned(),
            "global".to_owned(),
            value.to_string(),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontend_lines() {
        let fe = ProxyName::new("fe_main").unwrap();
        assert_eq!(
            Command::disable_frontend(&fe).to_string(),
            "disable frontend fe_main"
        );
        assert_eq!(
            Command::enable_frontend(&fe).to_string(),
            "enable frontend fe_main"
        );
        assert_eq!(
            Command::shutdown_frontend(&fe).to_string(),
            "shutdown frontend fe_main"
        );
        assert!(Command::shutdown_frontend(&fe).is_mutation());
    }

    #[test]
    fn rate_limit_lines_and_bounds() {
        let c = Command::set_rate_limit(RateLimitKind::SslSessions, 50).unwrap();
        assert_eq!(c.to_string(), "set rate-limit ssl-sessions global 50");
        assert!(c.is_mutation());
        assert!(Command::set_rate_limit(RateLimitKind::Connections, i32::MAX as u32).is_ok());
        assert!(Command::set_rate_limit(RateLimitKind::Connections, i32::MAX as u32 + 1).is_err());
        let max_kb = RateLimitKind::HttpCompression.max_value();
        assert_eq!(max_kb, 2_097_151);
        assert!(Command::set_rate_limit(RateLimitKind::HttpCompression, max_kb).is_ok());
        assert!(Command::set_rate_limit(RateLimitKind::HttpCompression, max_kb + 1).is_err());
    }
}
