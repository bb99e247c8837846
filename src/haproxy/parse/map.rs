//! Maps and ACLs: `show map`/`show acl` (lists and contents) and `get map`/`get acl`.
//!
//! HAProxy prints keys, values and patterns raw (no escaping, even inside the quotes of
//! `get map`), so some lines are ambiguous; the rules used to resolve them are documented on
//! each function.

use serde::Serialize;

use super::{ParseError, is_pointer, numbered_lines};

/// One map or ACL reference from `show map` / `show acl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapInfo {
    /// The unique id, usable as `#<id>`.
    pub id: i64,
    /// The file name; `None` for inline ACLs (printed as `()`).
    pub file: Option<String>,
    /// HAProxy's description, e.g. `pattern loaded from file '…' used by map at file '…' line 45`.
    pub description: String,
    /// `curr_ver`: the version in use.
    pub curr_ver: Option<u64>,
    /// `next_ver`: the last prepared version.
    pub next_ver: Option<u64>,
    /// `entry_cnt`: number of entries.
    pub entry_cnt: Option<u64>,
}

/// One map entry from `show map <map>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapEntry {
    /// Entry pointer (`0x…`), usable as `#<ptr>` in `set map` / `del map`.
    pub ptr: String,
    /// The key: the first word after the pointer.
    pub key: String,
    /// The value: the rest of the line after the key and one space.
    pub value: String,
}

/// One ACL entry from `show acl <acl>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclEntry {
    /// Entry pointer (`0x…`).
    pub ptr: String,
    /// The pattern: the rest of the line after the pointer and one space.
    pub pattern: String,
}

/// The result of `get map <map> <value>` for one lookup expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapLookup {
    /// `type=`: the match method, e.g. `str`, `beg`, `ip`, `reg`.
    pub match_type: String,
    /// `case=sensitive` (true) or `insensitive` (false).
    pub case_sensitive: bool,
    /// `found=yes`.
    pub found: bool,
    /// `idx=`: `tree` or `list`.
    pub idx: Option<String>,
    /// `key="…"`: the matching key (`None` if not found or `key=unknown`).
    pub key: Option<String>,
    /// `value="…"`: the associated value (`None` if not found or `value=none`).
    pub value: Option<String>,
    /// The second `type="…"`: the sample type of the value.
    pub sample_type: Option<String>,
}

/// The result of `get acl <acl> <value>` for one lookup expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclLookup {
    /// `type=`: the match method.
    pub match_type: String,
    /// `case=sensitive` (true) or `insensitive` (false).
    pub case_sensitive: bool,
    /// `match=yes`.
    pub matched: bool,
    /// `idx=`: `tree` or `list`.
    pub idx: Option<String>,
    /// `pattern="…"`: the matching pattern (`None` if no match or `pattern=unknown`).
    pub pattern: Option<String>,
}

/// Parses `show map` / `show acl` without argument.
///
/// Line format: `<id> (<file>) <description>. curr_ver=<u> next_ver=<u> entry_cnt=<u>`.
/// The file ends at the first `") "`; the description ends at the last `". curr_ver="`.
pub fn parse_list(text: &str) -> Result<Vec<MapInfo>, ParseError> {
    let mut out = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| ParseError::new(no, format!("map list: {what}"));
        let (id, rest) = line
            .split_once(' ')
            .ok_or_else(|| bad("missing `(file)`"))?;
        let id = id
            .parse::<i64>()
            .map_err(|_| bad(&format!("invalid id {id:?}")))?;
        let rest = rest
            .strip_prefix('(')
            .ok_or_else(|| bad("expected `(` before the file name"))?;
        let (file, rest) = match rest.split_once(") ") {
            Some(pair) => pair,
            // A line ending right after the file, e.g. `3 (f)`.
            None => (
                rest.strip_suffix(')')
                    .ok_or_else(|| bad("unterminated `(file)`"))?,
                "",
            ),
        };
        let (description, counters) = match rest.rsplit_once(". curr_ver=") {
            Some((d, c)) => (d, Some(c)),
            None => (rest.strip_suffix('.').unwrap_or(rest), None),
        };
        let mut info = MapInfo {
            id,
            file: Some(file.to_owned()).filter(|f| !f.is_empty()),
            description: description.to_owned(),
            curr_ver: None,
            next_ver: None,
            entry_cnt: None,
        };
        if let Some(c) = counters {
            // `c` starts right after `curr_ver=`; the other counters are `name=value` words.
            let mut words = c.split_ascii_whitespace();
            info.curr_ver = words.next().and_then(|v| v.parse().ok());
            for w in words {
                match w.split_once('=') {
                    Some(("next_ver", v)) => info.next_ver = v.parse().ok(),
                    Some(("entry_cnt", v)) => info.entry_cnt = v.parse().ok(),
                    _ => {}
                }
            }
        }
        out.push(info);
    }
    Ok(out)
}

/// Splits `<ptr> <rest>`, checking that the pointer looks like one.
fn split_ptr(no: usize, line: &str) -> Result<(&str, &str), ParseError> {
    let (ptr, rest) = line.split_once(' ').unwrap_or((line, ""));
    if !is_pointer(ptr) {
        return Err(ParseError::new(no, "expected `<ptr> <entry>`"));
    }
    Ok((ptr, rest))
}

/// Parses `show map <map>`: `<ptr> <key> <value>` lines.
///
/// HAProxy prints keys and values raw, so a key containing spaces cannot be told apart
/// from the value: the first word after the pointer is taken as the key and the rest of the
/// line (after exactly one space, so leading spaces of the value survive) as the value.
pub fn parse_map_entries(text: &str) -> Result<Vec<MapEntry>, ParseError> {
    let mut out = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.is_empty() {
            continue;
        }
        let (ptr, rest) = split_ptr(no, line)?;
        let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
        out.push(MapEntry {
            ptr: ptr.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

/// Parses `show acl <acl>`: `<ptr> <pattern>` lines (the pattern is the rest of the line).
pub fn parse_acl_entries(text: &str) -> Result<Vec<AclEntry>, ParseError> {
    let mut out = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.is_empty() {
            continue;
        }
        let (ptr, pattern) = split_ptr(no, line)?;
        out.push(AclEntry {
            ptr: ptr.to_owned(),
            pattern: pattern.to_owned(),
        });
    }
    Ok(out)
}

/// The leading `type=…, case=…, found|match=…, idx=…` part of a lookup line, and the tail
/// starting at `key=` / `pattern=` (or empty).
struct LookupHead<'a> {
    match_type: &'a str,
    case_sensitive: bool,
    hit: bool,
    idx: Option<&'a str>,
    tail: &'a str,
}

fn parse_head<'a>(
    no: usize,
    line: &'a str,
    hit_key: &str,
    tail_key: &str,
) -> Result<LookupHead<'a>, ParseError> {
    let bad = |what: &str| ParseError::new(no, format!("lookup: {what}"));
    let mut rest = line
        .strip_prefix("type=")
        .ok_or_else(|| bad("expected `type=`"))?;
    let mut head = LookupHead {
        match_type: "",
        case_sensitive: true,
        hit: false,
        idx: None,
        tail: "",
    };
    let mut seen_case = false;
    let mut seen_hit = false;
    let mut first = true;
    loop {
        if !first && rest.starts_with(tail_key) {
            head.tail = rest;
            break;
        }
        let (item, next) = match rest.split_once(", ") {
            Some(pair) => pair,
            None => (rest, ""),
        };
        if first {
            head.match_type = item;
            first = false;
        } else {
            match item.split_once('=') {
                Some(("case", v)) => {
                    head.case_sensitive = v != "insensitive";
                    seen_case = true;
                }
                Some((k, v)) if k == hit_key => {
                    head.hit = v == "yes";
                    seen_hit = true;
                }
                Some(("idx", v)) => head.idx = Some(v),
                // Unknown items from later versions are ignored.
                _ => {}
            }
        }
        if next.is_empty() {
            break;
        }
        rest = next;
    }
    if !seen_case || !seen_hit {
        return Err(bad(&format!("expected `case=` and `{hit_key}=`")));
    }
    Ok(head)
}

/// Parses one `get map` line.
fn parse_map_line(no: usize, line: &str) -> Result<MapLookup, ParseError> {
    let head = parse_head(no, line, "found", "key=")?;
    let mut out = MapLookup {
        match_type: head.match_type.to_owned(),
        case_sensitive: head.case_sensitive,
        found: head.hit,
        idx: head.idx.map(str::to_owned),
        key: None,
        value: None,
        sample_type: None,
    };
    let tail = head.tail;
    if tail.is_empty() {
        return Ok(out);
    }
    // Nothing inside the quotes is escaped. The key ends at the FIRST `", value=` (keys are
    // patterns and rarely hold quotes), the value at the LAST `", type="`.
    let after_value = if let Some(k) = tail.strip_prefix("key=\"") {
        match k.find("\", value=") {
            Some(i) => {
                out.key = k.get(..i).map(str::to_owned);
                k.get(i + 3..).unwrap_or("")
            }
            None => {
                out.key = Some(k.strip_suffix('"').unwrap_or(k).to_owned());
                ""
            }
        }
    } else {
        // `key=unknown[, value=…]`
        tail.split_once(", ").map_or("", |(_, r)| r)
    };
    if let Some(v) = after_value.strip_prefix("value=\"") {
        match v.rfind("\", type=\"") {
            Some(i) => {
                out.value = v.get(..i).map(str::to_owned);
                let t = v.get(i + 9..).unwrap_or("");
                out.sample_type = Some(t.strip_suffix('"').unwrap_or(t).to_owned());
            }
            None => out.value = Some(v.strip_suffix('"').unwrap_or(v).to_owned()),
        }
    }
    Ok(out)
}

/// Parses one `get acl` line.
fn parse_acl_line(no: usize, line: &str) -> Result<AclLookup, ParseError> {
    let head = parse_head(no, line, "match", "pattern=")?;
    let pattern = head.tail.strip_prefix("pattern=\"").map(|p| {
        // The pattern is the rest of the line minus the closing quote.
        p.strip_suffix('"').unwrap_or(p).to_owned()
    });
    Ok(AclLookup {
        match_type: head.match_type.to_owned(),
        case_sensitive: head.case_sensitive,
        matched: head.hit,
        idx: head.idx.map(str::to_owned),
        pattern,
    })
}

/// Parses every line of `get map`: HAProxy prints one line per lookup expression using the
/// map (e.g. a map used by both `map_str` and `map_beg`). An empty reply gives no lookups.
pub fn parse_get_map_all(text: &str) -> Result<Vec<MapLookup>, ParseError> {
    numbered_lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(no, l)| parse_map_line(no, l))
        .collect()
}

/// Parses `get map`: the first line that found a match, else the first line.
pub fn parse_get_map(text: &str) -> Result<MapLookup, ParseError> {
    let all = parse_get_map_all(text)?;
    let pick = all.iter().position(|l| l.found).unwrap_or(0);
    all.into_iter()
        .nth(pick)
        .ok_or_else(|| ParseError::new(1, "empty reply, expected `type=…, case=…, found=…`"))
}

/// Parses every line of `get acl` (one per lookup expression using the ACL).
pub fn parse_get_acl_all(text: &str) -> Result<Vec<AclLookup>, ParseError> {
    numbered_lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(no, l)| parse_acl_line(no, l))
        .collect()
}

/// Parses `get acl`: the first line that matched, else the first line.
pub fn parse_get_acl(text: &str) -> Result<AclLookup, ParseError> {
    let all = parse_get_acl_all(text)?;
    let pick = all.iter().position(|l| l.matched).unwrap_or(0);
    all.into_iter()
        .nth(pick)
        .ok_or_else(|| ParseError::new(1, "empty reply, expected `type=…, case=…, match=…`"))
}

/// The version `prepare map` / `prepare acl` opened: `New version created: 3` -> 3 (the line
/// may carry a `[pid]: ` prefix through the master CLI).
pub fn new_version(reply: &str) -> Option<u32> {
    reply
        .lines()
        .find_map(|l| l.trim().rsplit_once("New version created:"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_versions() {
        assert_eq!(new_version("New version created: 3"), Some(3));
        assert_eq!(new_version("[6]: New version created: 12\n"), Some(12));
        assert_eq!(new_version("nope"), None);
    }

    #[test]
    fn parses_26_lists() {
        // Live 2.6.12 captures.
        let maps = parse_list("# id (file) description\n4 (/work/main/fixtures/hosts.map) pattern loaded from file '/work/main/fixtures/hosts.map' used by map at file '/work/main/fixtures/haproxy.cfg' line 45. curr_ver=0 next_ver=0 entry_cnt=3\n").unwrap();
        let m = maps.first().unwrap();
        assert_eq!(m.id, 4);
        assert_eq!(m.file.as_deref(), Some("/work/main/fixtures/hosts.map"));
        assert_eq!(
            m.description,
            "pattern loaded from file '/work/main/fixtures/hosts.map' used by map at file '/work/main/fixtures/haproxy.cfg' line 45"
        );
        assert_eq!(
            (m.curr_ver, m.next_ver, m.entry_cnt),
            (Some(0), Some(0), Some(3))
        );

        let acls = parse_list("# id (file) description\n1 () acl 'src' file '/work/main/fixtures/haproxy.cfg' line 42. curr_ver=0 next_ver=0 entry_cnt=0\n2 () acl 'var' file 'httpclient' line 0. curr_ver=0 next_ver=0 entry_cnt=1\n").unwrap();
        assert_eq!(acls.len(), 2);
        let a = acls.first().unwrap();
        assert_eq!(a.file, None);
        assert_eq!(
            a.description,
            "acl 'src' file '/work/main/fixtures/haproxy.cfg' line 42"
        );
        assert_eq!(acls.get(1).unwrap().entry_cnt, Some(1));
    }

    #[test]
    fn list_edge_cases() {
        let l = parse_list("5 (f) desc. with dots. curr_ver=2 next_ver=3 entry_cnt=4 new_field=1\n6 (g) no counters\n7 (h)\n").unwrap();
        let a = l.first().unwrap();
        assert_eq!(a.description, "desc. with dots");
        assert_eq!(
            (a.curr_ver, a.next_ver, a.entry_cnt),
            (Some(2), Some(3), Some(4))
        );
        assert_eq!(l.get(1).unwrap().description, "no counters");
        assert_eq!(l.get(2).unwrap().file.as_deref(), Some("h"));
        assert!(parse_list("").unwrap().is_empty());
        assert_eq!(parse_list("x (f) d\n").unwrap_err().line, 1);
        assert_eq!(parse_list("# id\n1 f d\n").unwrap_err().line, 2);
        assert_eq!(parse_list("1 (f d\n").unwrap_err().line, 1);
    }

    #[test]
    fn parses_entries() {
        let m = parse_map_entries("0x56316e3eefb0 app.example.com be_app\n0x56316e3ef040 api.example.com value with spaces\n0x1  \n").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m.first().unwrap().key, "app.example.com");
        assert_eq!(m.first().unwrap().value, "be_app");
        assert_eq!(m.get(1).unwrap().value, "value with spaces");
        // A payload line holding one space creates an empty key and an empty value.
        let empty = m.get(2).unwrap();
        assert_eq!((empty.key.as_str(), empty.value.as_str()), ("", ""));

        let a = parse_acl_entries(
            "0x56316e3cbc80 192.0.2.1\n0x56316e3cbcd0 198.51.100.0/24\n0x2 a b\n",
        )
        .unwrap();
        assert_eq!(a.get(1).unwrap().pattern, "198.51.100.0/24");
        assert_eq!(a.get(2).unwrap().pattern, "a b");
        assert!(parse_map_entries("").unwrap().is_empty());
        assert_eq!(
            parse_map_entries("Unknown map identifier. Please use #<id> or <file>.\n")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(parse_acl_entries("a:b c\n").unwrap_err().line, 1);
    }

    #[test]
    fn parses_get_map() {
        // Live 2.6.12 captures.
        let l = parse_get_map("type=str, case=sensitive, found=yes, idx=tree, key=\"api.example.com\", value=\"be_api\", type=\"str\"\n").unwrap();
        assert_eq!(l.match_type, "str");
        assert!(l.case_sensitive);
        assert!(l.found);
        assert_eq!(l.idx.as_deref(), Some("tree"));
        assert_eq!(l.key.as_deref(), Some("api.example.com"));
        assert_eq!(l.value.as_deref(), Some("be_api"));
        assert_eq!(l.sample_type.as_deref(), Some("str"));

        let l = parse_get_map("type=str, case=sensitive, found=no\n").unwrap();
        assert!(!l.found);
        assert_eq!((l.key, l.value, l.idx), (None, None, None));
    }

    #[test]
    fn get_map_unescaped_quotes() {
        let l = parse_get_map("type=beg, case=insensitive, found=yes, idx=list, key=\"k\"\", value=\"a\", value=\"b\", type=\"x\"\", type=\"str\"\n").unwrap();
        assert!(!l.case_sensitive);
        assert_eq!(l.key.as_deref(), Some("k\""));
        assert_eq!(l.value.as_deref(), Some("a\", value=\"b\", type=\"x\""));
        assert_eq!(l.sample_type.as_deref(), Some("str"));

        let l =
            parse_get_map("type=str, case=sensitive, found=yes, idx=tree, key=\"k\", value=none\n")
                .unwrap();
        assert_eq!(l.key.as_deref(), Some("k"));
        assert_eq!(l.value, None);
        let l = parse_get_map("type=str, case=sensitive, found=yes, idx=tree, key=unknown, value=\"v\", type=\"str\"\n").unwrap();
        assert_eq!(l.key, None);
        assert_eq!(l.value.as_deref(), Some("v"));
        let l = parse_get_map("type=unknown(0x55d0), case=sensitive, found=no\n").unwrap();
        assert_eq!(l.match_type, "unknown(0x55d0)");
    }

    #[test]
    fn get_map_several_expressions() {
        let text = "type=str, case=sensitive, found=no\ntype=beg, case=sensitive, found=yes, idx=tree, key=\"a\", value=\"b\", type=\"str\"\n";
        assert_eq!(parse_get_map_all(text).unwrap().len(), 2);
        assert_eq!(parse_get_map(text).unwrap().match_type, "beg");
        assert!(parse_get_map_all("").unwrap().is_empty());
        assert_eq!(parse_get_map("").unwrap_err().line, 1);
        assert_eq!(parse_get_map("type=str, found=no\n").unwrap_err().line, 1);
        assert_eq!(
            parse_get_map("Unknown map identifier.\n").unwrap_err().line,
            1
        );
    }

    #[test]
    fn parses_get_acl() {
        let l = parse_get_acl(
            "type=ip, case=sensitive, match=yes, idx=tree, pattern=\"198.51.100.0/24\"\n",
        )
        .unwrap();
        assert!(l.matched);
        assert_eq!(l.pattern.as_deref(), Some("198.51.100.0/24"));
        let l = parse_get_acl("type=ip, case=sensitive, match=no\n").unwrap();
        assert!(!l.matched);
        assert_eq!(l.pattern, None);
        let l =
            parse_get_acl("type=reg, case=insensitive, match=yes, idx=list, pattern=\"a\", b\"\n")
                .unwrap();
        assert_eq!(l.pattern.as_deref(), Some("a\", b"));
        assert!(parse_get_acl("type=ip, case=sensitive, found=no\n").is_err());
        assert!(parse_get_acl_all("").unwrap().is_empty());
    }
}
