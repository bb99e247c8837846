//! `show info` (`Name: value` lines) and `show info json`.
//!
//! HAProxy omits fields whose value is empty, renames fields between versions (2.6's
//! `TotalSplicdedBytesOut` typo became `TotalSplicedBytesOut` in 2.8) and adds new ones, so
//! the fields are kept as an ordered list of name/value pairs and the typed accessors look
//! them up by name.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// One `Name: value` field of `show info`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfoField {
    /// Field name, e.g. `Uptime_sec` or `Unstoppable Jobs` (names may contain spaces).
    pub name: String,
    /// Field value as printed.
    pub value: String,
}

/// The process information reported by `show info`, in HAProxy's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessInfo {
    /// Every field, in the order HAProxy printed them.
    pub fields: Vec<InfoField>,
}

/// Parses the plain `show info` output.
///
/// Each line is split at the first `": "`; a line ending with `:` gives an empty value.
/// Empty lines are skipped. Options such as `desc` append `:"<description>"` to the value,
/// which is kept as part of the value.
pub fn parse(text: &str) -> Result<ProcessInfo, ParseError> {
    let mut fields = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = match line.split_once(": ") {
            Some(pair) => pair,
            None => match line.strip_suffix(':') {
                Some(name) => (name, ""),
                None => {
                    return Err(ParseError::new(no, "expected `Name: value`"));
                }
            },
        };
        if name.is_empty() {
            return Err(ParseError::new(no, "empty field name"));
        }
        fields.push(InfoField {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(ProcessInfo { fields })
}

/// Parses `show info json`: one JSON array of
/// `{"field":{"pos":N,"name":"…"},…,"value":{"type":"…","value":…}}` objects.
///
/// Numbers are rendered back to their decimal text so both formats give the same values.
pub fn parse_json(text: &str) -> Result<ProcessInfo, ParseError> {
    // The JSON sits on one line; report problems on the first non-blank line.
    let first_line = numbered_lines(text)
        .find(|(_, l)| !l.trim().is_empty())
        .map_or(1, |(n, _)| n);
    let doc: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| ParseError::new(first_line + e.line().saturating_sub(1), e.to_string()))?;
    let items = doc
        .as_array()
        .ok_or_else(|| ParseError::new(first_line, "expected a JSON array"))?;
    let mut fields = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = item
            .get("field")
            .and_then(|f| f.get("name"))
            .and_then(|n| n.as_str())
            .ok_or_else(|| {
                ParseError::new(first_line, format!("element {i}: missing field.name"))
            })?;
        let value = match item.get("value").and_then(|v| v.get("value")) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        fields.push(InfoField {
            name: name.to_owned(),
            value,
        });
    }
    Ok(ProcessInfo { fields })
}

/// Parses an unsigned integer that may have been printed as a float (`show info float`).
fn parse_u64_lenient(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<u64>() {
        return Some(v);
    }
    let f = s.parse::<f64>().ok()?;
    // Truncation is intended: `Uptime_sec: 227.285401` means 227 whole seconds.
    if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 {
        Some(f as u64)
    } else {
        None
    }
}

impl ProcessInfo {
    /// The raw value of the first field called `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    /// The value of field `name` as an unsigned integer (a float value is truncated).
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(parse_u64_lenient)
    }

    /// `Name` (normally `HAProxy`).
    pub fn name(&self) -> Option<&str> {
        self.get("Name")
    }

    /// `Version`, e.g. `2.6.12-1+deb12u4`.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// `Release_date`, e.g. `2026/10/17`.
    pub fn release_date(&self) -> Option<&str> {
        self.get("Release_date")
    }

    /// `node` (the host name unless configured).
    pub fn node(&self) -> Option<&str> {
        self.get("node")
    }

    /// `description` (omitted by HAProxy when not configured).
    pub fn description(&self) -> Option<&str> {
        self.get("description")
    }

    /// `Pid` of the process answering.
    pub fn pid(&self) -> Option<u64> {
        self.get_u64("Pid")
    }

    /// `Uptime` in HAProxy's human form, e.g. `0d 0h00m07s`.
    pub fn uptime(&self) -> Option<&str> {
        self.get("Uptime")
    }

    /// `Uptime_sec`.
    pub fn uptime_sec(&self) -> Option<u64> {
        self.get_u64("Uptime_sec")
    }

    /// `Start_time_sec` (Unix time of the process start).
    pub fn start_time_sec(&self) -> Option<u64> {
        self.get_u64("Start_time_sec")
    }

    /// `Nbthread`.
    pub fn nbthread(&self) -> Option<u64> {
        self.get_u64("Nbthread")
    }

    /// `CurrConns`: connections currently open.
    pub fn curr_conns(&self) -> Option<u64> {
        self.get_u64("CurrConns")
    }

    /// `CumConns`: connections accepted since start.
    pub fn cum_conns(&self) -> Option<u64> {
        self.get_u64("CumConns")
    }

    /// `CumReq`: requests since start.
    pub fn cum_req(&self) -> Option<u64> {
        self.get_u64("CumReq")
    }

    /// `Maxconn`: the current per-process connection limit.
    pub fn maxconn(&self) -> Option<u64> {
        self.get_u64("Maxconn")
    }

    /// `Hard_maxconn`: the configured connection limit.
    pub fn hard_maxconn(&self) -> Option<u64> {
        self.get_u64("Hard_maxconn")
    }

    /// `ConnRate`: connections per second over the last second.
    pub fn conn_rate(&self) -> Option<u64> {
        self.get_u64("ConnRate")
    }

    /// `SessRate`: sessions per second over the last second.
    pub fn sess_rate(&self) -> Option<u64> {
        self.get_u64("SessRate")
    }

    /// `CurrSslConns`.
    pub fn curr_ssl_conns(&self) -> Option<u64> {
        self.get_u64("CurrSslConns")
    }

    /// `Tasks`.
    pub fn tasks(&self) -> Option<u64> {
        self.get_u64("Tasks")
    }

    /// `Run_queue`.
    pub fn run_queue(&self) -> Option<u64> {
        self.get_u64("Run_queue")
    }

    /// `Idle_pct`: idle time of the process in percent.
    pub fn idle_pct(&self) -> Option<u64> {
        self.get_u64("Idle_pct")
    }

    /// `Stopping`: whether the process is stopping (soft-stop or reload in progress).
    pub fn stopping(&self) -> Option<bool> {
        self.get_u64("Stopping").map(|v| v != 0)
    }

    /// `Jobs`.
    pub fn jobs(&self) -> Option<u64> {
        self.get_u64("Jobs")
    }

    /// `Listeners`.
    pub fn listeners(&self) -> Option<u64> {
        self.get_u64("Listeners")
    }

    /// `TotalBytesOut`.
    pub fn total_bytes_out(&self) -> Option<u64> {
        self.get_u64("TotalBytesOut")
    }

    /// `TotalSplicedBytesOut`, spelled `TotalSplicdedBytesOut` up to 2.7: both are accepted.
    pub fn total_spliced_bytes_out(&self) -> Option<u64> {
        self.get_u64("TotalSplicedBytesOut")
            .or_else(|| self.get_u64("TotalSplicdedBytesOut"))
    }

    /// `BytesOutRate`.
    pub fn bytes_out_rate(&self) -> Option<u64> {
        self.get_u64("BytesOutRate")
    }

    /// `DroppedLogs`.
    pub fn dropped_logs(&self) -> Option<u64> {
        self.get_u64("DroppedLogs")
    }

    /// `FailedResolutions`.
    pub fn failed_resolutions(&self) -> Option<u64> {
        self.get_u64("FailedResolutions")
    }

    /// `Tainted` flags (decimal or `0x…` hexadecimal).
    pub fn tainted(&self) -> Option<u64> {
        let v = self.get("Tainted")?.trim();
        match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        }
    }

    /// `TotalWarnings` (2.8+).
    pub fn total_warnings(&self) -> Option<u64> {
        self.get_u64("TotalWarnings")
    }

    /// `MaxconnReached` (2.8+).
    pub fn maxconn_reached(&self) -> Option<u64> {
        self.get_u64("MaxconnReached")
    }

    /// `CurrStreams` (3.2+).
    pub fn curr_streams(&self) -> Option<u64> {
        self.get_u64("CurrStreams")
    }

    /// `CumStreams` (3.2+).
    pub fn cum_streams(&self) -> Option<u64> {
        self.get_u64("CumStreams")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture (abridged).
    const INFO_26: &str = "Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2026/10/17\n\
Nbthread: 2\nNbproc: 1\nProcess_num: 1\nPid: 3115\nUptime: 0d 0h00m04s\nUptime_sec: 4\n\
Ulimit-n: 19999\nMaxconn: 9971\nHard_maxconn: 9971\nCurrConns: 2\nCumConns: 66\nCumReq: 29\n\
node: vm\nStopping: 0\nJobs: 11\nUnstoppable Jobs: 1\nListeners: 8\nTotalBytesOut: 1990\n\
TotalSplicdedBytesOut: 7\nBytesOutRate: 480\nBuild info: 2.6.12-1+deb12u4\n\
Start_time_sec: 1795594603\nTainted: 0\n";

    #[test]
    fn parses_26_info() {
        let info = parse(INFO_26).unwrap();
        assert_eq!(info.version(), Some("2.6.12-1+deb12u4"));
        assert_eq!(info.pid(), Some(3115));
        assert_eq!(info.uptime(), Some("0d 0h00m04s"));
        assert_eq!(info.uptime_sec(), Some(4));
        assert_eq!(info.nbthread(), Some(2));
        assert_eq!(info.curr_conns(), Some(2));
        assert_eq!(info.maxconn(), Some(9971));
        assert_eq!(info.get("Unstoppable Jobs"), Some("1"));
        assert_eq!(info.get("Ulimit-n"), Some("19999"));
        assert_eq!(info.get("Build info"), Some("2.6.12-1+deb12u4"));
        assert_eq!(info.stopping(), Some(false));
        assert_eq!(info.tainted(), Some(0));
        assert_eq!(info.description(), None);
        assert_eq!(info.fields.first().map(|f| f.name.as_str()), Some("Name"));
    }

    #[test]
    fn spliced_typo_and_fixed_name() {
        let info = parse(INFO_26).unwrap();
        assert_eq!(info.total_spliced_bytes_out(), Some(7));
        let info = parse("TotalSplicedBytesOut: 9\n").unwrap();
        assert_eq!(info.total_spliced_bytes_out(), Some(9));
    }

    #[test]
    fn new_fields_and_float_values() {
        let info = parse("Uptime_sec: 227.285401\nCurrStreams: 3\nCumStreams: 10\nBlockedTrafficWarnings: 0\nTainted: 0x10\nFoo:\n").unwrap();
        assert_eq!(info.uptime_sec(), Some(227));
        assert_eq!(info.curr_streams(), Some(3));
        assert_eq!(info.cum_streams(), Some(10));
        assert_eq!(info.get("BlockedTrafficWarnings"), Some("0"));
        assert_eq!(info.tainted(), Some(16));
        assert_eq!(info.get("Foo"), Some(""));
    }

    #[test]
    fn value_split_at_first_separator() {
        let info = parse("description: a: b\n").unwrap();
        assert_eq!(info.description(), Some("a: b"));
    }

    #[test]
    fn bad_line_reports_its_number() {
        let err = parse("Name: HAProxy\n\ngarbage\n").unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn tolerates_leftover_newline_and_empty() {
        assert_eq!(parse("Pid: 1\n\n").unwrap().pid(), Some(1));
        assert!(parse("").unwrap().fields.is_empty());
    }

    #[test]
    fn parses_json() {
        let text = r#"[{"field":{"pos":0,"name":"Name"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"HAProxy"}},{"field":{"pos":6,"name":"Pid"},"processNum":1,"tags":{"origin":"Status","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":3115}},{"field":{"pos":8,"name":"Uptime_sec"},"processNum":1,"tags":{},"value":{"type":"flt","value":4.5}}]
"#;
        let info = parse_json(text).unwrap();
        assert_eq!(info.name(), Some("HAProxy"));
        assert_eq!(info.pid(), Some(3115));
        assert_eq!(info.get("Uptime_sec"), Some("4.5"));
        assert_eq!(info.uptime_sec(), Some(4));
    }

    #[test]
    fn json_errors() {
        assert!(parse_json("").is_err());
        assert!(parse_json("{}").is_err());
        assert!(parse_json("[{\"value\":1}]").is_err());
        assert_eq!(parse_json("\n\n[oops").unwrap_err().line, 3);
    }
}
