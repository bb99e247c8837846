//! The frontend commands (`enable|disable|shutdown frontend`) and `set rate-limit`, with
//! HAProxy's checks in its order (`cli_parse_*_frontend` in proxy.c, `cli_parse_set_ratelimit`
//! in cli.c; the same from 2.6 to 3.4).

use super::proxies::FrontendState;
use super::{Model, Reply};

/// `set rate-limit`'s refusal for an unknown setting (a HAProxy built with OpenSSL, as every
/// pinned one is).
const RATE_LIMIT_USAGE: &str = "'set rate-limit' only supports :\n   \
    - 'connections global' to set the per-process maximum connection rate\n   \
    - 'sessions global' to set the per-process maximum session rate\n   \
    - 'ssl-sessions global' to set the per-process maximum SSL session rate\n   \
    - 'http-compression global' to set the per-process maximum compression speed in kB/s";

impl Model {
    /// `enable|disable|shutdown frontend <name>` (the caller checked the level).
    pub(super) fn frontend_command(&mut self, verb: &str, args: &[&str]) -> Reply {
        let name = args.first().copied().unwrap_or("");
        if name.is_empty() {
            return Reply::line("A frontend name is expected.");
        }
        let Some(proxy) = self.proxy_mut(name).filter(|p| p.frontend.is_some()) else {
            return Reply::line("No such frontend.");
        };
        let now = proxy.frontend_state.unwrap_or_else(|| {
            FrontendState::from_status(proxy.frontend.as_ref().map_or("", |r| r.get("status")))
        });
        let (next, refusal) = match (verb, now) {
            ("shutdown", FrontendState::Stopped) => (now, "Frontend was already shut down."),
            ("shutdown", _) => (FrontendState::Stopped, ""),
            ("disable", FrontendState::Stopped) => {
                (now, "Frontend was previously shut down, cannot disable.")
            }
            ("disable", FrontendState::Paused) => (now, "All sockets are already disabled."),
            ("disable", FrontendState::Open) => (FrontendState::Paused, ""),
            ("enable", FrontendState::Stopped) => {
                (now, "Frontend was previously shut down, cannot enable.")
            }
            ("enable", FrontendState::Open) => (now, "All sockets are already enabled."),
            ("enable", FrontendState::Paused) => (FrontendState::Open, ""),
            _ => return Reply::NotModelled,
        };
        if !refusal.is_empty() {
            return Reply::line(refusal);
        }
        proxy.frontend_state = Some(next);
        Reply::ok()
    }

    /// `set rate-limit <setting> global <value>` (the caller checked the level). HAProxy reads
    /// the value with `atoi` and keeps it in an `int`.
    pub(super) fn set_rate_limit(&mut self, args: &[&str]) -> Reply {
        let (field, scale) = match args {
            ["connections", "global", ..] => ("ConnRateLimit", 1),
            ["sessions", "global", ..] => ("SessRateLimit", 1),
            ["ssl-sessions", "global", ..] => ("SslRateLimit", 1),
            ["http-compression", "global", ..] => ("CompressBpsRateLim", 1024),
            _ => return Reply::line(RATE_LIMIT_USAGE),
        };
        let value = args.get(2).copied().unwrap_or("");
        if value.is_empty() {
            return Reply::line("Expects an integer value.");
        }
        let v = atoi(value);
        if v < 0 {
            return Reply::line("Value out of range.");
        }
        // `show info` prints the limit as an unsigned int.
        self.set_info(field, (v.wrapping_mul(scale) as u32).to_string());
        Reply::ok()
    }
}

/// C's `atoi`: leading blanks, an optional sign, the digits that follow (0 without any), kept
/// in an `int` (wrapping, as glibc's does in practice).
fn atoi(text: &str) -> i32 {
    let t = text.trim_start();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
    }
    (if negative { v.wrapping_neg() } else { v }) as i32
}

#[cfg(test)]
mod tests {
    use super::atoi;

    #[test]
    fn atoi_reads_like_c() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi("  7x"), 7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(atoi("+9"), 9);
    }
}
