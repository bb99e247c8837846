//! Parsers for the Runtime API's output formats, one module per format.
//!
//! Every parser takes the reply text with HAProxy's terminating empty line already stripped
//! (exactly one trailing `"\n"` removed, so the text usually ends with `"\n"` or has no
//! trailing newline at all) and tolerates a leftover trailing `"\n"`. Parsers never panic: a
//! reply they cannot make sense of yields a [`ParseError`] naming the 1-based line at fault.
//!
//! The formats drift between HAProxy versions (2.6 … 3.4): columns and fields get added, so
//! every tabular parser indexes by header name and ignores what it does not know.

pub mod acme;
pub mod activity;
pub mod backend;
pub mod cli_level;
pub mod errors;
pub mod help;
pub mod info;
pub mod list_file;
pub mod map;
pub mod ocsp;
pub mod peers;
pub mod proc_list;
pub mod registry;
pub mod reload;
pub mod resolvers;
pub mod servers_conn;
pub mod servers_state;
pub mod sess;
pub mod ssl;
pub mod startup_logs;
pub mod stat;
pub mod table;
pub mod verdict;
pub mod version;
pub mod weight;

pub use activity::{ActivityEntry, ActivityReport};
pub use cli_level::CliLevel;
pub use errors::{CapturedError, ErrorDirection, ErrorsReport};
pub use help::{HelpEntry, HelpReport};
pub use info::{InfoField, ProcessInfo};
pub use map::{AclEntry, AclLookup, MapEntry, MapInfo, MapLookup};
pub use peers::{Peer, PeerTable, PeersSection};
pub use proc_list::{ProcEntry, ProcKind, ProcList};
pub use resolvers::{Nameserver, ResolversSection};
pub use servers_conn::{ServerConn, ServersConn};
pub use servers_state::{AdminState, OpState, ServerState, ServersState};
pub use sess::{SessionDetail, SessionSummary};
pub use startup_logs::StartupMessage;
pub use stat::{StatKind, StatReport, StatRow};
pub use table::{TableData, TableDump, TableEntry, TableInfo};
pub use verdict::{
    BackendCondition, FrontendCondition, ServerCondition, ServerVerdict, VerdictCause,
};
pub use weight::Weight;

/// A parse failure that says where: 1-based line number in the reply, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number in the reply where the problem was found.
    pub line: usize,
    /// What was wrong with that line.
    pub message: String,
}

impl ParseError {
    /// Builds an error for `line` (1-based).
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// Iterates over the lines of a reply with their 1-based numbers.
///
/// Splits on `'\n'` only (HAProxy never emits CR line ends, and a CR may be part of a map
/// value), and drops the empty piece after a final `'\n'` so that `"a\n"` is one line.
/// Any further empty lines (a leftover terminator) are yielded and left to the caller,
/// which usually skips them.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    // An empty reply has no lines at all, not one empty line.
    let pieces = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    pieces
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// Whether `s` looks like a pointer printed with `%p` (`0x55eb48350c30`; the `0x` is
/// optional so that other libcs' renderings are accepted).
pub(crate) fn is_pointer(s: &str) -> bool {
    let hex = s.strip_prefix("0x").unwrap_or(s);
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The value of a short run of ASCII digits (1 to 19 of them, so it cannot overflow a u64), or
/// `None` for anything else, which callers then hand to `str::parse`. Counters and ids are such
/// runs, and this one pass (fold, and note any non-digit) is several times faster than
/// `str::parse` on them.
#[inline]
pub(crate) fn short_decimal(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut acc = 0u64;
    let mut digits = true;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        digits &= d < 10;
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
    }
    digits.then_some(acc)
}

/// Treats HAProxy's placeholders for "nothing" (`""` and `"-"`) as absent.
pub(crate) fn dash_none(s: &str) -> Option<String> {
    if s.is_empty() || s == "-" {
        None
    } else {
        Some(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_lines_handles_trailing_newlines() {
        let v: Vec<_> = numbered_lines("a\nb\n").collect();
        assert_eq!(v, vec![(1, "a"), (2, "b")]);
        let v: Vec<_> = numbered_lines("a\nb").collect();
        assert_eq!(v, vec![(1, "a"), (2, "b")]);
        let v: Vec<_> = numbered_lines("a\n\n").collect();
        assert_eq!(v, vec![(1, "a"), (2, "")]);
        assert_eq!(numbered_lines("").count(), 0);
        let v: Vec<_> = numbered_lines("\n").collect();
        assert_eq!(v, vec![(1, "")]);
    }

    #[test]
    fn pointers() {
        assert!(is_pointer("0x55eb48350c30"));
        assert!(is_pointer("55eb"));
        assert!(!is_pointer("0x"));
        assert!(!is_pointer(""));
        assert!(!is_pointer("Unknown"));
    }

    #[test]
    fn error_display_names_the_line() {
        assert_eq!(ParseError::new(3, "bad").to_string(), "line 3: bad");
    }
}
