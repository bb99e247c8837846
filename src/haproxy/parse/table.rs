//! `show table` (list of stick tables) and `show table <name>` (entries).
//!
//! Header: `# table: <name>, type: <type>, size:<n>, used:<n>`. Entry:
//! `<ptr>: key=<key> use=<n> exp=<ms> [shard=<n>] <name>=<v> <name>(<period>)=<v> …`
//! (`shard=` appears from 2.8). String keys are printed through HAProxy's `dump_text()`,
//! which backslash-escapes spaces, `=`, `\` and control characters, so entries are split on
//! unescaped spaces only.

use serde::Serialize;

use super::{ParseError, is_pointer, numbered_lines};

/// One stick table, as listed by `show table`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableInfo {
    /// Table name (the section that declares it).
    pub name: String,
    /// Key type: `ip`, `ipv6`, `integer`, `string` or `binary`.
    pub key_type: String,
    /// Maximum number of entries.
    pub size: u64,
    /// Entries currently in use.
    pub used: u64,
}

/// One stored data value of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableData {
    /// Data type name, e.g. `gpc0`, `conn_cur`, `http_req_rate`.
    pub name: String,
    /// The period in ms for rate counters (`http_req_rate(10000)=…`).
    pub period_ms: Option<u64>,
    /// The value as printed (a number, or a dictionary string such as a server name).
    pub value: String,
}

/// One entry of a stick table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableEntry {
    /// Entry pointer (`0x…`); 3.1+ accepts it in `show/clear/set table … ptr`.
    pub ptr: String,
    /// The key as printed (string keys keep HAProxy's backslash escapes).
    pub key: String,
    /// `use`: references held by sessions.
    pub use_count: i64,
    /// `exp`: milliseconds until the entry expires.
    pub expire_ms: u64,
    /// `shard` (2.8+).
    pub shard: Option<u32>,
    /// The stored data, in printed order.
    pub data: Vec<TableData>,
}

impl TableEntry {
    /// The data value called `name`, if stored.
    pub fn get(&self, name: &str) -> Option<&TableData> {
        self.data.iter().find(|d| d.name == name)
    }

    /// The key with `dump_text()` escapes undone (`\ ` → space, `\=` → `=`, `\t`, `\n`,
    /// `\r`, `\e`, `\\`, `\xHH`); bytes that are not UTF-8 are replaced.
    pub fn key_unescaped(&self) -> String {
        let mut out: Vec<u8> = Vec::with_capacity(self.key.len());
        let mut it = self.key.bytes();
        while let Some(b) = it.next() {
            if b != b'\\' {
                out.push(b);
                continue;
            }
            match it.next() {
                Some(b't') => out.push(b'\t'),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(b'e') => out.push(0x1b),
                Some(b'x') => {
                    let hi = it.next();
                    let lo = it.next();
                    let digit = |c: Option<u8>| c.and_then(|c| (c as char).to_digit(16));
                    match (digit(hi), digit(lo)) {
                        // Both digits are < 16, so the value fits in a byte.
                        (Some(h), Some(l)) => out.push(((h << 4) | l) as u8),
                        _ => {
                            out.extend_from_slice(b"\\x");
                            out.extend(hi);
                            out.extend(lo);
                        }
                    }
                }
                Some(other) => out.push(other),
                None => out.push(b'\\'),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The result of `show table <name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDump {
    /// The table header; `None` when the reply was empty (e.g. `key` filter with no match).
    pub table: Option<TableInfo>,
    /// The entries shown.
    pub entries: Vec<TableEntry>,
    /// Set when HAProxy hid the entries because the session level is `user`.
    pub contents_hidden: bool,
}

/// Parses a `# table: …` header line; `None` if the line is not one.
fn parse_header(no: usize, line: &str) -> Option<Result<TableInfo, ParseError>> {
    let body = line.strip_prefix("# table:")?.trim_start();
    let bad = |what: &str| ParseError::new(no, format!("table header: {what}"));
    // The name is whatever precedes the last `, type: ` (names never contain it).
    let Some((name, rest)) = body.rsplit_once(", type: ") else {
        return Some(Err(bad("missing `type:`")));
    };
    let mut parts = rest.split(',').map(str::trim);
    let key_type = parts.next().unwrap_or("").to_owned();
    let mut size = None;
    let mut used = None;
    for p in parts {
        // Later versions may add fields: only `size` and `used` are required.
        match p.split_once(':').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("size", v)) => size = v.parse::<u64>().ok(),
            Some(("used", v)) => used = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    Some(match (size, used) {
        (Some(size), Some(used)) => Ok(TableInfo {
            name: name.to_owned(),
            key_type,
            size,
            used,
        }),
        _ => Err(bad("missing or invalid `size:`/`used:`")),
    })
}

/// Parses `show table` (no argument): one header line per table.
pub fn parse_list(text: &str) -> Result<Vec<TableInfo>, ParseError> {
    let mut out = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        match parse_header(no, line) {
            Some(r) => out.push(r?),
            None => return Err(ParseError::new(no, "expected `# table: …`")),
        }
    }
    Ok(out)
}

/// Splits on spaces that are not escaped by a backslash.
fn split_unescaped(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == b' ' {
            if let Some(tok) = s.get(start..i).filter(|t| !t.is_empty()) {
                out.push(tok);
            }
            start = i + 1;
        }
        i += 1;
    }
    if let Some(tok) = s.get(start..).filter(|t| !t.is_empty()) {
        out.push(tok);
    }
    out
}

/// Parses one entry line.
fn parse_entry(no: usize, line: &str) -> Result<TableEntry, ParseError> {
    let (ptr, rest) = line
        .split_once(':')
        .filter(|(p, _)| is_pointer(p))
        .ok_or_else(|| ParseError::new(no, "expected `<ptr>: key=…`"))?;
    let mut key = None;
    let mut use_count = None;
    let mut expire_ms = None;
    let mut shard = None;
    let mut data = Vec::new();
    let bad = |what: &str, v: &str| ParseError::new(no, format!("invalid `{what}` value {v:?}"));
    for tok in split_unescaped(rest) {
        // The key may contain escaped `\=`, but the first `=` of a token is never escaped.
        let Some((name, value)) = tok.split_once('=') else {
            continue;
        };
        match name {
            "key" if key.is_none() => key = Some(value.to_owned()),
            "use" => use_count = Some(value.parse::<i64>().map_err(|_| bad("use", value))?),
            "exp" => expire_ms = Some(value.parse::<u64>().map_err(|_| bad("exp", value))?),
            "shard" => shard = Some(value.parse::<u32>().map_err(|_| bad("shard", value))?),
            _ => {
                let (name, period_ms) = match name.split_once('(') {
                    Some((n, p)) => {
                        let p = p.strip_suffix(')').unwrap_or(p);
                        (n, Some(p.parse::<u64>().map_err(|_| bad(n, p))?))
                    }
                    None => (name, None),
                };
                data.push(TableData {
                    name: name.to_owned(),
                    period_ms,
                    value: value.to_owned(),
                });
            }
        }
    }
    let missing = |what: &str| ParseError::new(no, format!("entry lacks `{what}=`"));
    Ok(TableEntry {
        ptr: ptr.to_owned(),
        key: key.ok_or_else(|| missing("key"))?,
        use_count: use_count.ok_or_else(|| missing("use"))?,
        expire_ms: expire_ms.ok_or_else(|| missing("exp"))?,
        shard,
        data,
    })
}

/// Parses `show table <name> [filters]`.
///
/// An empty reply (a `key` filter that matched nothing) gives no header and no entries.
pub fn parse_entries(text: &str) -> Result<TableDump, ParseError> {
    let mut dump = TableDump {
        table: None,
        entries: Vec::new(),
        contents_hidden: false,
    };
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(header) = parse_header(no, line) {
            let header = header?;
            if dump.table.is_none() {
                dump.table = Some(header);
            }
        } else if line.starts_with("# contents not dumped") {
            dump.contents_hidden = true;
        } else if line.starts_with('#') {
            // Other comment lines carry nothing we need.
        } else {
            dump.entries.push(parse_entry(no, line)?);
        }
    }
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list() {
        let l = parse_list("# table: st_clients, type: ip, size:1024, used:1\n# table: st_table, type: string, size:100, used:0\n\n").unwrap();
        assert_eq!(
            l,
            vec![
                TableInfo {
                    name: "st_clients".into(),
                    key_type: "ip".into(),
                    size: 1024,
                    used: 1
                },
                TableInfo {
                    name: "st_table".into(),
                    key_type: "string".into(),
                    size: 100,
                    used: 0
                }
            ]
        );
        assert!(parse_list("").unwrap().is_empty());
        assert_eq!(parse_list("# table: x, type: ip\n").unwrap_err().line, 1);
        assert_eq!(
            parse_list("# table: x, type: ip, size:1, used:0\nNo such table\n")
                .unwrap_err()
                .line,
            2
        );
    }

    #[test]
    fn parses_26_entries() {
        // Live 2.6.12 capture.
        let d = parse_entries("# table: st_clients, type: ip, size:1024, used:1\n0x56316e5cfe28: key=127.0.0.1 use=0 exp=597914 gpc0=0 conn_cur=0 http_req_cnt=3 http_req_rate(10000)=3\n").unwrap();
        assert_eq!(d.table.as_ref().unwrap().name, "st_clients");
        assert!(!d.contents_hidden);
        let e = d.entries.first().unwrap();
        assert_eq!(e.ptr, "0x56316e5cfe28");
        assert_eq!(e.key, "127.0.0.1");
        assert_eq!(e.use_count, 0);
        assert_eq!(e.expire_ms, 597914);
        assert_eq!(e.shard, None);
        assert_eq!(e.data.len(), 4);
        assert_eq!(e.get("http_req_cnt").unwrap().value, "3");
        let rate = e.get("http_req_rate").unwrap();
        assert_eq!(rate.period_ms, Some(10000));
        assert_eq!(rate.value, "3");
        assert_eq!(e.get("gpc0").unwrap().period_ms, None);
    }

    #[test]
    fn parses_28_shard_and_arrays() {
        let d = parse_entries("# table: t, type: ip, size:10, used:1\n0x7f: key=10.0.0.2 use=0 exp=296398 shard=0 gpc0=0 gpc1=4 gpc0_rate(1000)=2 server_name=srv1\n").unwrap();
        let e = d.entries.first().unwrap();
        assert_eq!(e.shard, Some(0));
        assert_eq!(e.get("gpc1").unwrap().value, "4");
        assert_eq!(e.get("gpc0_rate").unwrap().period_ms, Some(1000));
        assert_eq!(e.get("server_name").unwrap().value, "srv1");
    }

    #[test]
    fn escaped_string_keys() {
        let d = parse_entries("# table: t, type: string, size:10, used:1\n0x1: key=a\\ b\\=c\\\\d\\x01 use=1 exp=5 gpc0=1\n").unwrap();
        let e = d.entries.first().unwrap();
        assert_eq!(e.key, "a\\ b\\=c\\\\d\\x01");
        assert_eq!(e.key_unescaped(), "a b=c\\d\u{1}");
        assert_eq!(e.use_count, 1);
        assert_eq!(e.get("gpc0").unwrap().value, "1");
    }

    #[test]
    fn user_level_and_empty_replies() {
        let d = parse_entries("# table: st_clients, type: ip, size:1024, used:1\n# contents not dumped due to insufficient privileges\n").unwrap();
        assert!(d.contents_hidden);
        assert!(d.entries.is_empty());
        let d = parse_entries("").unwrap();
        assert_eq!(d.table, None);
        assert!(d.entries.is_empty());
    }

    #[test]
    fn entry_errors() {
        let hdr = "# table: t, type: ip, size:10, used:1\n";
        assert_eq!(
            parse_entries(&format!("{hdr}0x1: key=a use=0\n"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_entries(&format!("{hdr}0x1: key=a use=x exp=1\n"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_entries(&format!("{hdr}No such table\n"))
                .unwrap_err()
                .line,
            2
        );
        assert_eq!(
            parse_entries(&format!("{hdr}0x1: key=a use=0 exp=1 r(x)=1\n"))
                .unwrap_err()
                .line,
            2
        );
    }

    #[test]
    fn key_unescape_edge_cases() {
        let e = TableEntry {
            ptr: "0x1".into(),
            key: "\\xZ1\\".into(),
            use_count: 0,
            expire_ms: 0,
            shard: None,
            data: vec![],
        };
        assert_eq!(e.key_unescaped(), "\\xZ1\\");
    }
}
