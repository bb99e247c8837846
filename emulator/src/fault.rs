//! Fault injection for tests: how the emulator misbehaves, chosen per run (`--fault`) or
//! switched at run time ([`crate::Emulator::set_fault`]).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Behave (the default).
    #[default]
    None,
    /// `delay=<ms>`: wait this long before each reply.
    Delay(Duration),
    /// `stall`: accept and read, never answer (the connection stays open until the client
    /// closes it or the emulator shuts down).
    Stall,
    /// `close`: read the command, then close without replying.
    Close,
    /// `truncate=<n>`: send only the first n bytes of the reply, then close.
    Truncate(usize),
    /// `garbage`: answer random bytes that are not valid UTF-8, then close.
    Garbage,
    /// `refuse`: close the listener, so connections are refused.
    Refuse,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let number = |what: &str| -> Result<u64, String> {
            arg.ok_or_else(|| format!("`{name}` needs a value: {name}=<{what}>"))?
                .parse::<u64>()
                .map_err(|_| format!("`{name}` needs a number of {what}"))
        };
        match (name, arg) {
            ("none", None) => Ok(Fault::None),
            ("delay", _) => Ok(Fault::Delay(Duration::from_millis(number("ms")?))),
            ("stall", None) => Ok(Fault::Stall),
            ("close", None) => Ok(Fault::Close),
            ("truncate", _) => Ok(Fault::Truncate(
                usize::try_from(number("bytes")?).map_err(|e| e.to_string())?,
            )),
            ("garbage", None) => Ok(Fault::Garbage),
            ("refuse", None) => Ok(Fault::Refuse),
            _ => Err(format!(
                "unknown fault `{s}`: use none, delay=<ms>, stall, close, truncate=<n>, garbage or refuse"
            )),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::None => f.write_str("none"),
            Fault::Delay(d) => write!(f, "delay={}", d.as_millis()),
            Fault::Stall => f.write_str("stall"),
            Fault::Close => f.write_str("close"),
            Fault::Truncate(n) => write!(f, "truncate={n}"),
            Fault::Garbage => f.write_str("garbage"),
            Fault::Refuse => f.write_str("refuse"),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Between 64 and 575 pseudo-random bytes that are never valid UTF-8 (they start with `0xff`).
pub fn garbage() -> Vec<u8> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut state = nanos ^ COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let len = 64 + (next() % 512) as usize;
    let mut out = Vec::with_capacity(len);
    out.push(0xff);
    while out.len() < len {
        out.extend_from_slice(&next().to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for text in [
            "none",
            "delay=250",
            "stall",
            "close",
            "truncate=5",
            "garbage",
            "refuse",
        ] {
            let fault: Fault = text.parse().unwrap();
            assert_eq!(fault.to_string(), text);
        }
        assert!("delay".parse::<Fault>().is_err());
        assert!("delay=abc".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
        assert!("stall=1".parse::<Fault>().is_err());
    }

    #[test]
    fn garbage_is_not_utf8() {
        for _ in 0..20 {
            let g = garbage();
            assert!(g.len() >= 64);
            assert!(std::str::from_utf8(&g).is_err());
        }
    }
}
