//! One registry of the Runtime API's output formats: which command line produces which format,
//! and the parser that reads it.
//!
//! The client's typed methods call the parsers directly; everything that must cover *every*
//! format iterates this list instead of keeping its own: the per-version fixture snapshots, the
//! fixture parse checks, the never-panic property tests and the fuzz target. A recorded command
//! that no entry claims and that is not an acknowledgement fails a test (see
//! `tests/parse_fixtures.rs`), and so does an entry that no fixture of a version exercises, so a
//! forgotten pairing shows up instead of silently dropping coverage.

use serde::Serialize;
use serde_json::Value;

use super::{
    ParseError, acme, activity, backend, cli_level, errors, help, info, map, ocsp, peers,
    proc_list, resolvers, servers_conn, servers_state, sess, ssl, startup_logs, stat, table,
    version, weight,
};

/// How many words may follow a format's leading words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Nothing: the command is exactly the leading words.
    None,
    /// At least one more word (`show sess <id>`, `show table <name>`).
    Some,
    /// Anything, or nothing.
    Any,
}

/// One output format.
#[derive(Debug)]
pub struct Format {
    /// A short name, used for snapshot files and messages.
    pub name: &'static str,
    /// The leading words of the commands whose replies have this format.
    pub command: &'static [&'static str],
    /// What may follow them.
    pub rest: Rest,
    /// The parser, with its result as JSON.
    pub parse: fn(&str) -> Result<Value, ParseError>,
    /// Whether a recording of this format is expected in every version's fixtures (false for
    /// master-CLI formats, which the worker capture does not record).
    pub recorded: bool,
}

impl Format {
    /// Whether `command_line` produces this format.
    pub fn matches(&self, command_line: &str) -> bool {
        let words: Vec<&str> = command_line.split_whitespace().collect();
        let n = self.command.len();
        if words.len() < n || words[..n] != *self.command {
            return false;
        }
        match self.rest {
            Rest::None => words.len() == n,
            Rest::Some => words.len() > n,
            Rest::Any => true,
        }
    }
}

fn json<T: Serialize>(r: Result<T, ParseError>) -> Result<Value, ParseError> {
    r.map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
}

macro_rules! entry {
    ($name:literal, [$($w:literal),+], $rest:ident, $parse:expr) => {
        entry!($name, [$($w),+], $rest, $parse, true)
    };
    ($name:literal, [$($w:literal),+], $rest:ident, $parse:expr, $recorded:expr) => {
        Format {
            name: $name,
            command: &[$($w),+],
            rest: Rest::$rest,
            parse: |t| json($parse(t)),
            recorded: $recorded,
        }
    };
}

/// Every format, most specific first (the first match wins).
pub static FORMATS: &[Format] = &[
    entry!(
        "info_json",
        ["show", "info", "json"],
        None,
        info::parse_json
    ),
    entry!("info", ["show", "info"], None, info::parse),
    entry!("stat", ["show", "stat"], Any, stat::parse),
    entry!(
        "servers_state",
        ["show", "servers", "state"],
        Any,
        servers_state::parse
    ),
    entry!(
        "servers_conn",
        ["show", "servers", "conn"],
        Any,
        servers_conn::parse
    ),
    entry!("backend", ["show", "backend"], None, backend::parse),
    entry!("sess_list", ["show", "sess"], None, sess::parse_list),
    entry!(
        "sess_list_frontend",
        ["show", "sess", "frontend"],
        Some,
        sess::parse_list
    ),
    entry!(
        "sess_list_backend",
        ["show", "sess", "backend"],
        Some,
        sess::parse_list
    ),
    entry!(
        "sess_list_server",
        ["show", "sess", "server"],
        Some,
        sess::parse_list
    ),
    entry!("sess_detail", ["show", "sess"], Some, sess::parse_detail),
    entry!("table_list", ["show", "table"], None, table::parse_list),
    entry!(
        "table_entries",
        ["show", "table"],
        Some,
        table::parse_entries
    ),
    entry!("map_list", ["show", "map"], None, map::parse_list),
    entry!("acl_list", ["show", "acl"], None, map::parse_list),
    entry!("map_entries", ["show", "map"], Some, map::parse_map_entries),
    entry!("acl_entries", ["show", "acl"], Some, map::parse_acl_entries),
    entry!("get_map", ["get", "map"], Some, map::parse_get_map),
    entry!("get_acl", ["get", "acl"], Some, map::parse_get_acl),
    entry!("weight", ["get", "weight"], Some, weight::parse),
    entry!("errors", ["show", "errors"], Any, errors::parse),
    entry!("activity", ["show", "activity"], Any, activity::parse),
    entry!("help", ["help"], Any, help::parse),
    entry!(
        "cli_level",
        ["show", "cli", "level"],
        None,
        cli_level::parse
    ),
    entry!("version", ["show", "version"], None, version::parse),
    entry!("proc", ["show", "proc"], Any, proc_list::parse, false),
    entry!("resolvers", ["show", "resolvers"], Any, resolvers::parse),
    entry!(
        "startup_logs",
        ["show", "startup-logs"],
        None,
        startup_logs::parse
    ),
    entry!("peers", ["show", "peers"], Any, peers::parse),
    entry!(
        "ssl_certs",
        ["show", "ssl", "cert"],
        None,
        ssl::parse_store_list
    ),
    entry!(
        "ssl_cert",
        ["show", "ssl", "cert"],
        Some,
        ssl::parse_cert_details
    ),
    entry!(
        "crt_lists",
        ["show", "ssl", "crt-list"],
        None,
        ssl::parse_crt_list_names
    ),
    entry!(
        "crt_list",
        ["show", "ssl", "crt-list"],
        Some,
        ssl::parse_crt_list
    ),
    entry!(
        "ca_files",
        ["show", "ssl", "ca-file"],
        None,
        ssl::parse_ca_file_list
    ),
    entry!(
        "ca_file",
        ["show", "ssl", "ca-file"],
        Some,
        ssl::parse_ca_file_details
    ),
    entry!(
        "crl_files",
        ["show", "ssl", "crl-file"],
        None,
        ssl::parse_store_list
    ),
    entry!(
        "crl_file",
        ["show", "ssl", "crl-file"],
        Some,
        ssl::parse_crl_details
    ),
    entry!(
        "ocsp_responses",
        ["show", "ssl", "ocsp-response"],
        None,
        ocsp::parse_ocsp_ids
    ),
    entry!(
        "ocsp_response",
        ["show", "ssl", "ocsp-response"],
        Some,
        ocsp::parse_ocsp_response
    ),
    // 3.2+ only, so not expected in every version's recordings.
    entry!(
        "acme_status",
        ["acme", "status"],
        None,
        acme::parse_acme_status,
        false
    ),
    // 3.2+ only, so not expected in every version's recordings.
    entry!(
        "ssl_sni",
        ["show", "ssl", "sni"],
        Any,
        ssl::parse_sni,
        false
    ),
];

/// Commands whose reply is an acknowledgement or a refusal, read only by the refusal
/// classifier (and a few one-line readers such as [`map::new_version`]).
pub static ACKNOWLEDGED: &[&[&str]] = &[
    &["add", "server"],
    &["del", "server"],
    &["enable", "server"],
    &["disable", "server"],
    &["enable", "health"],
    &["disable", "health"],
    &["enable", "agent"],
    &["disable", "agent"],
    &["set", "server"],
    &["set", "weight"],
    &["set", "maxconn"],
    &["set", "rate-limit"],
    &["enable", "frontend"],
    &["disable", "frontend"],
    &["shutdown", "frontend"],
    &["enable", "dynamic-cookie"],
    &["disable", "dynamic-cookie"],
    &["set", "dynamic-cookie-key"],
    &["add", "map"],
    &["set", "map"],
    &["del", "map"],
    &["clear", "map"],
    &["prepare", "map"],
    &["commit", "map"],
    &["add", "acl"],
    &["del", "acl"],
    &["clear", "acl"],
    &["prepare", "acl"],
    &["commit", "acl"],
    &["set", "table"],
    &["clear", "table"],
    &["shutdown", "session"],
    &["shutdown", "sessions"],
    &["clear", "counters"],
    &["echo"],
    &["reload"],
    &["set", "ssl", "cert"],
    &["commit", "ssl", "cert"],
    &["abort", "ssl", "cert"],
    &["set", "ssl", "ca-file"],
    &["commit", "ssl", "ca-file"],
    &["abort", "ssl", "ca-file"],
    &["set", "ssl", "crl-file"],
    &["commit", "ssl", "crl-file"],
    &["abort", "ssl", "crl-file"],
    &["new", "ssl", "cert"],
    &["del", "ssl", "cert"],
    &["new", "ssl", "ca-file"],
    &["del", "ssl", "ca-file"],
    &["new", "ssl", "crl-file"],
    &["del", "ssl", "crl-file"],
    &["add", "ssl", "crt-list"],
    &["del", "ssl", "crt-list"],
    &["set", "ssl", "ocsp-response"],
    &["update", "ssl", "ocsp-response"],
    &["acme", "renew"],
    &["wait"],
];

/// The format `command_line`'s reply has, if it is a dump.
pub fn format_of(command_line: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.matches(command_line))
}

/// Whether `command_line`'s reply is an acknowledgement rather than a dump.
pub fn is_acknowledged(command_line: &str) -> bool {
    let words: Vec<&str> = command_line.split_whitespace().collect();
    ACKNOWLEDGED
        .iter()
        .any(|lead| words.len() >= lead.len() && words[..lead.len()] == **lead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_format_wins() {
        assert_eq!(format_of("show info json").unwrap().name, "info_json");
        assert_eq!(format_of("show info").unwrap().name, "info");
        assert_eq!(format_of("show sess").unwrap().name, "sess_list");
        assert_eq!(format_of("show sess 0x1").unwrap().name, "sess_detail");
        assert_eq!(
            format_of("show sess server be/s1").unwrap().name,
            "sess_list_server"
        );
        assert_eq!(format_of("show table").unwrap().name, "table_list");
        assert_eq!(format_of("show table st").unwrap().name, "table_entries");
        assert_eq!(format_of("show stat -1 2 -1").unwrap().name, "stat");
        assert!(format_of("set server be/s state ready").is_none());
        assert!(is_acknowledged("set server be/s state ready"));
        assert!(!is_acknowledged("show stat"));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
    }
}
