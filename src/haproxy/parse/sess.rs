//! `show sess` (one stream per line) and `show sess <id>` (multi-line detail).
//!
//! The short form is a `0x…:` stream pointer followed by `key=value` tokens. Their set and
//! order change between versions (3.2 drops `rx=`/`wx=` from `rq[…]`, adds `rex=`/`wex=` to
//! `scf=[…]` and may append ` run(nice=N)` and ` uri="…"`), so tokens are read by key,
//! wherever they are. The detailed form is explicitly unstable; only its first line and a
//! few well-known lines are decoded, and the raw text is kept.

use serde::Serialize;

use super::{ParseError, is_pointer, numbered_lines};

/// One line of `show sess`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    /// The stream pointer (`0x…`), which `shutdown session` and `show sess <id>` take.
    pub id: String,
    /// `proto`, e.g. `tcpv4`, `tcpv6`, `unix_stream`.
    pub proto: Option<String>,
    /// `src`: `ip:port`, or `unix:<listener id>` for unix sockets.
    pub src: Option<String>,
    /// `fe`: the frontend (`GLOBAL` for CLI sessions).
    pub frontend: Option<String>,
    /// `be`: the backend, `None` for `<NONE>`.
    pub backend: Option<String>,
    /// `srv`: the server, `None` for `<none>`.
    pub server: Option<String>,
    /// `age` in HAProxy's human form (`1s`, `2m3s`, `1h02m`, `3d4h`).
    pub age: Option<String>,
    /// `calls`: task wake-ups.
    pub calls: Option<u64>,
    /// `rate`: calls per second.
    pub rate: Option<u64>,
    /// `cpu`: CPU time in ns (0 unless profiling is on).
    pub cpu: Option<u64>,
    /// `lat`: scheduling latency in ns (0 unless profiling is on).
    pub lat: Option<u64>,
    /// `exp`: time until the stream's task expires (empty when none).
    pub exp: Option<String>,
    /// `uri` (3.1+ with `show-uri`), without its surrounding quotes.
    pub uri: Option<String>,
    /// Whether this is a CLI session (`fe=GLOBAL`), such as the one asking.
    pub is_cli: bool,
    /// The whole line, for anything not decoded above.
    pub raw: String,
}

impl SessionSummary {
    /// `age` converted to seconds, if it is in HAProxy's `[Nd][Nh][Nm][Ns]` form.
    pub fn age_secs(&self) -> Option<u64> {
        human_time_secs(self.age.as_deref()?)
    }
}

/// Converts HAProxy's `human_time()` text (`3d4h`, `1h02m`, `2m3s`, `5s`) to seconds.
fn human_time_secs(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(u64::from(d))?,
            );
            continue;
        }
        let mult = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(num.take()?.checked_mul(mult)?)?;
    }
    // Trailing digits without a unit are not HAProxy's format.
    if num.is_some() { None } else { Some(total) }
}

/// Splits `0x55eb48350c30: rest` into the pointer and the rest; `None` if not that shape.
fn split_ptr(line: &str) -> Option<(&str, &str)> {
    let (ptr, rest) = line.split_once(':')?;
    is_pointer(ptr).then_some((ptr, rest))
}

/// `<NONE>` / `<none>` mean "unset" in session dumps.
fn unset_none(v: &str) -> Option<String> {
    if v.eq_ignore_ascii_case("<none>") {
        None
    } else {
        Some(v.to_owned())
    }
}

/// Parses one `show sess` line.
fn parse_line(no: usize, line: &str) -> Result<SessionSummary, ParseError> {
    let (ptr, rest) =
        split_ptr(line).ok_or_else(|| ParseError::new(no, "expected a `0x…:` stream pointer"))?;
    // `uri="…"` comes last and its value may hold spaces: cut it off before tokenizing.
    let (rest, uri) = match rest.find(" uri=\"") {
        Some(i) => {
            let (head, tail) = rest.split_at(i);
            let v = tail.get(6..).unwrap_or("");
            (head, Some(v.strip_suffix('"').unwrap_or(v).to_owned()))
        }
        None => (rest, None),
    };
    let mut s = SessionSummary {
        id: ptr.to_owned(),
        proto: None,
        src: None,
        frontend: None,
        backend: None,
        server: None,
        age: None,
        calls: None,
        rate: None,
        cpu: None,
        lat: None,
        exp: None,
        uri,
        is_cli: false,
        raw: line.to_owned(),
    };
    for tok in rest.split_ascii_whitespace() {
        let Some((key, value)) = tok.split_once('=') else {
            continue;
        };
        // Bracketed groups such as `rq[f=…,i=…]` or `run(nice=0)` are not `key=value` tokens.
        if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        match key {
            "proto" => s.proto = Some(value.to_owned()),
            "src" => s.src = Some(value.to_owned()),
            "fe" => s.frontend = Some(value.to_owned()),
            "be" => s.backend = unset_none(value),
            "srv" => s.server = unset_none(value),
            "age" => s.age = Some(value.to_owned()),
            "calls" => s.calls = value.parse().ok(),
            "rate" => s.rate = value.parse().ok(),
            "cpu" => s.cpu = value.parse().ok(),
            "lat" => s.lat = value.parse().ok(),
            "exp" => s.exp = Some(value.to_owned()).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    s.is_cli = s.frontend.as_deref() == Some("GLOBAL");
    Ok(s)
}

/// Parses `show sess` output. Blank lines are skipped; any other line must start with a
/// stream pointer. The CLI's own session is included (see [`SessionSummary::is_cli`]).
pub fn parse_list(text: &str) -> Result<Vec<SessionSummary>, ParseError> {
    numbered_lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(no, l)| parse_line(no, l))
        .collect()
}

/// The detailed dump of one stream (`show sess <id>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    /// The stream pointer (`0x…`), as in [`SessionSummary::id`].
    pub id: String,
    /// The accept date between brackets, e.g. `25/Nov/2026:08:16:57.467280`.
    pub date: Option<String>,
    /// `id=N`: the stream's unique id.
    pub uniq_id: Option<u64>,
    /// `proto`.
    pub proto: Option<String>,
    /// `source`: `ip:port` or `unix:<listener id>`.
    pub source: Option<String>,
    /// `frontend=` from the detail lines.
    pub frontend: Option<String>,
    /// `backend=` from the detail lines, `None` for `<NONE>`.
    pub backend: Option<String>,
    /// `server=` from the detail lines, `None` for `<NONE>`.
    pub server: Option<String>,
    /// The whole block as printed.
    pub raw: String,
}

/// Decodes one block: `lines` are the block's lines, starting with the pointer line.
fn parse_block(lines: &[(usize, &str)]) -> Result<SessionDetail, ParseError> {
    let Some(&(no, first)) = lines.first() else {
        return Err(ParseError::new(1, "empty session block"));
    };
    let (ptr, rest) =
        split_ptr(first).ok_or_else(|| ParseError::new(no, "expected a `0x…:` stream pointer"))?;
    let rest = rest.trim_start();
    let (date, rest) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((d, r)) => (Some(d.to_owned()), r),
        None => (None, rest),
    };
    let mut d = SessionDetail {
        id: ptr.to_owned(),
        date,
        uniq_id: None,
        proto: None,
        source: None,
        frontend: None,
        backend: None,
        server: None,
        raw: lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
    };
    for tok in rest.split_ascii_whitespace() {
        match tok.split_once('=') {
            Some(("id", v)) => d.uniq_id = v.parse().ok(),
            Some(("proto", v)) => d.proto = Some(v.to_owned()),
            Some(("source", v)) => d.source = Some(v.to_owned()),
            _ => {}
        }
    }
    // `  frontend=NAME (id=…`, `  backend=NAME (…`, `  server=NAME (…` lines.
    for (_, l) in lines.iter().skip(1) {
        let l = l.trim_start();
        let first_word = l.split_ascii_whitespace().next().unwrap_or("");
        let first_word = first_word.trim_end_matches(',');
        match first_word.split_once('=') {
            Some(("frontend", v)) if d.frontend.is_none() => d.frontend = unset_none(v),
            Some(("backend", v)) if d.backend.is_none() => d.backend = unset_none(v),
            Some(("server", v)) if d.server.is_none() => d.server = unset_none(v),
            _ => {}
        }
    }
    Ok(d)
}

/// Splits a detailed dump into blocks, each starting at an unindented `0x…:` line.
fn blocks(text: &str) -> Result<Vec<Vec<(usize, &str)>>, ParseError> {
    let mut out: Vec<Vec<(usize, &str)>> = Vec::new();
    for (no, line) in numbered_lines(text) {
        let starts_block = !line.starts_with([' ', '\t']) && split_ptr(line).is_some();
        if starts_block {
            out.push(vec![(no, line)]);
        } else if let Some(cur) = out.last_mut() {
            cur.push((no, line));
        } else if !line.trim().is_empty() {
            return Err(ParseError::new(no, "expected a `0x…:` stream pointer"));
        }
    }
    // Drop trailing blank lines from each block's raw text.
    for b in &mut out {
        while b.last().is_some_and(|(_, l)| l.trim().is_empty()) {
            b.pop();
        }
    }
    Ok(out)
}

/// Parses `show sess <id>`: the first block of the dump.
pub fn parse_detail(text: &str) -> Result<SessionDetail, ParseError> {
    let all = blocks(text)?;
    let first = all
        .first()
        .ok_or_else(|| ParseError::new(1, "empty reply, expected a session dump"))?;
    parse_block(first)
}

/// Parses `show sess all` (or a 2.6 `show sess <non-hex>`): every block of the dump.
pub fn parse_details(text: &str) -> Result<Vec<SessionDetail>, ParseError> {
    blocks(text)?.iter().map(|b| parse_block(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture.
    const SESS_26: &str = "0x56316e4a13b0: proto=tcpv4 src=127.0.0.1:50916 fe=fe_tcp be=be_tcp srv=tcp1 ts=00 epoch=0x1 age=2s calls=2 rate=0 cpu=0 lat=0 rq[f=808000h,i=0,an=00h,rx=58s,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=58s,wx=,ax=] scf=[8,0h,fd=19] scb=[8,1h,fd=20] exp=0s rc=0 c_exp=
0x56316e5d0bf0: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0x1 age=0s calls=1 rate=1 cpu=0 lat=0 rq[f=c08002h,i=0,an=00h,rx=30s,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=23] scb=[8,1h,fd=-1] exp=30s rc=0 c_exp=
";

    // 3.2 layout, built from src/stream.c at v3.2.0.
    const SESS_32: &str = "0x7f1c2c02a000: proto=tcpv6 src=::1:41234 fe=fe_main be=be_app srv=app1 ts=00 epoch=0x3 age=1m5s calls=7 rate=0 cpu=1200 lat=300 rq[f=48c000h,i=0,an=00h,ax=] rp[f=80048000h,i=0,an=00h,ax=] scf=[8,0h,fd=31,rex=55s,wex=] scb=[8,10h,fd=32,rex=55s,wex=] exp=55s rc=0 c_exp= run(nice=0) uri=\"/search?q=a b\"\n";

    #[test]
    fn parses_26_list() {
        let l = parse_list(SESS_26).unwrap();
        assert_eq!(l.len(), 2);
        let tcp = l.first().unwrap();
        assert_eq!(tcp.id, "0x56316e4a13b0");
        assert_eq!(tcp.proto.as_deref(), Some("tcpv4"));
        assert_eq!(tcp.src.as_deref(), Some("127.0.0.1:50916"));
        assert_eq!(tcp.frontend.as_deref(), Some("fe_tcp"));
        assert_eq!(tcp.backend.as_deref(), Some("be_tcp"));
        assert_eq!(tcp.server.as_deref(), Some("tcp1"));
        assert_eq!(tcp.age.as_deref(), Some("2s"));
        assert_eq!(tcp.age_secs(), Some(2));
        assert_eq!(tcp.calls, Some(2));
        assert_eq!(tcp.exp.as_deref(), Some("0s"));
        assert_eq!(tcp.uri, None);
        assert!(!tcp.is_cli);
        let cli = l.get(1).unwrap();
        assert!(cli.is_cli);
        assert_eq!(cli.backend, None);
        assert_eq!(cli.server, None);
        assert_eq!(cli.src.as_deref(), Some("unix:1"));
    }

    #[test]
    fn parses_32_list() {
        let l = parse_list(SESS_32).unwrap();
        let s = l.first().unwrap();
        assert_eq!(s.proto.as_deref(), Some("tcpv6"));
        assert_eq!(s.src.as_deref(), Some("::1:41234"));
        assert_eq!(s.server.as_deref(), Some("app1"));
        assert_eq!(s.age_secs(), Some(65));
        assert_eq!(s.cpu, Some(1200));
        assert_eq!(s.lat, Some(300));
        assert_eq!(s.exp.as_deref(), Some("55s"));
        assert_eq!(s.uri.as_deref(), Some("/search?q=a b"));
    }

    #[test]
    fn list_without_address_fields() {
        // No src/fe/be/srv when the origin has no address (source only prints them for
        // inet and unix origins).
        let l = parse_list(
            "0x1: proto=? ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 exp= rc=0 c_exp=\n",
        )
        .unwrap();
        let s = l.first().unwrap();
        assert_eq!(s.frontend, None);
        assert_eq!(s.exp, None);
        assert!(!s.is_cli);
    }

    #[test]
    fn list_errors_and_empty() {
        assert!(parse_list("").unwrap().is_empty());
        assert!(parse_list("\n").unwrap().is_empty());
        assert_eq!(
            parse_list(&format!("{SESS_26}Session not found.\n"))
                .unwrap_err()
                .line,
            3
        );
        assert_eq!(parse_list("zz: x\n").unwrap_err().line, 1);
    }

    #[test]
    fn human_time() {
        assert_eq!(human_time_secs("3d4h"), Some(3 * 86_400 + 4 * 3_600));
        assert_eq!(human_time_secs("1h02m"), Some(3_720));
        assert_eq!(human_time_secs("0s"), Some(0));
        assert_eq!(human_time_secs(""), None);
        assert_eq!(human_time_secs("5"), None);
        assert_eq!(human_time_secs("s"), None);
        assert_eq!(human_time_secs("<NEVER>"), None);
        assert_eq!(human_time_secs("99999999999999999999d"), None);
    }

    // Live 2.6.12 capture (abridged).
    const DETAIL_26: &str = "0x56316e4a13b0: [25/Nov/2026:08:16:57.467280] id=99 proto=tcpv4 source=127.0.0.1:50916
  flags=0x4a, conn_retries=0, conn_exp=<NEVER> conn_et=0x000 srv_conn=0x56316e3dd110, pend_pos=(nil) waiting=0 epoch=0x1
  frontend=fe_tcp (id=5 mode=tcp), listener=? (id=1) addr=127.0.0.1:28081
  backend=be_tcp (id=9 mode=tcp) addr=127.0.0.1:44176
  server=tcp1 (id=1) addr=127.0.0.1:28082
  task=0x56316e5cb800 (state=0x00 nice=0 calls=2 rate=0 exp=0s tmask=0x1 age=2s)
";

    #[test]
    fn parses_26_detail() {
        let d = parse_detail(DETAIL_26).unwrap();
        assert_eq!(d.id, "0x56316e4a13b0");
        assert_eq!(d.date.as_deref(), Some("25/Nov/2026:08:16:57.467280"));
        assert_eq!(d.uniq_id, Some(99));
        assert_eq!(d.proto.as_deref(), Some("tcpv4"));
        assert_eq!(d.source.as_deref(), Some("127.0.0.1:50916"));
        assert_eq!(d.frontend.as_deref(), Some("fe_tcp"));
        assert_eq!(d.backend.as_deref(), Some("be_tcp"));
        assert_eq!(d.server.as_deref(), Some("tcp1"));
        assert!(d.raw.starts_with("0x56316e4a13b0:"));
        assert!(d.raw.ends_with("age=2s)"));
    }

    #[test]
    fn detail_without_backend_and_multiple_blocks() {
        let text = "0x1: [01/Jan/2026:00:00:00.000001] id=1 proto=unix_stream source=unix:1\n  backend=<NONE> (id=-1 mode=-)\n  server=<NONE> (id=-1)\n0x2: [1767225600.000001] id=2 proto=tcpv4\n";
        let all = parse_details(text).unwrap();
        assert_eq!(all.len(), 2);
        let a = all.first().unwrap();
        assert_eq!(a.backend, None);
        assert_eq!(a.server, None);
        assert_eq!(a.source.as_deref(), Some("unix:1"));
        let b = all.get(1).unwrap();
        assert_eq!(b.date.as_deref(), Some("1767225600.000001"));
        assert_eq!(b.source, None);
        assert_eq!(parse_detail(text).unwrap().uniq_id, Some(1));
    }

    #[test]
    fn detail_errors() {
        assert_eq!(parse_detail("").unwrap_err().line, 1);
        assert_eq!(parse_detail("Session not found.\n").unwrap_err().line, 1);
    }
}
