//! `show errors`: the last invalid request/response captured per proxy.
//!
//! ```text
//! Total events captured on [25/Nov/2026:07:51:06.121] : 1
//!  
//! [25/Nov/2026:07:51:05.923] frontend fe_main (#2): invalid request
//!   backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:35734
//!   buffer starts at 0 (including 0 out), 16337 free,
//!   len 47, wraps at 16336, error at position 8
//!   …
//!   
//!   00000  GET /in valid HTTP/1.1\r\n
//! ```
//! HAProxy prints a line holding a single space before each block and a line of two spaces
//! inside it, so that the dump never contains an empty line. A block starts at a line that
//! begins with `[`; every other line belongs to the current block.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// Which side of the traffic the capture is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorDirection {
    /// `invalid request`, captured on a frontend.
    Request,
    /// `invalid response`, captured on a backend.
    Response,
    /// Anything else.
    Unknown,
}

/// One captured protocol error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapturedError {
    /// The capture date between brackets, e.g. `25/Nov/2026:07:51:05.923`.
    pub date: String,
    /// `invalid request` or `invalid response`, as printed.
    pub kind: String,
    /// Decoded from `kind`.
    pub direction: ErrorDirection,
    /// The frontend involved (`None` for `<NONE>`).
    pub frontend: Option<String>,
    /// The frontend's numeric id.
    pub frontend_id: Option<i64>,
    /// The backend involved (`None` for `<NONE>`).
    pub backend: Option<String>,
    /// The backend's numeric id (-1 when none).
    pub backend_id: Option<i64>,
    /// The server involved (`None` for `<NONE>`).
    pub server: Option<String>,
    /// The server's numeric id (-1 when none).
    pub server_id: Option<i64>,
    /// `event #N`: the global event number.
    pub event_no: Option<u64>,
    /// `src`: the client address `ip:port`.
    pub source: Option<String>,
    /// `error at position N` in the captured buffer.
    pub error_position: Option<u64>,
    /// The whole block, hexdump included.
    pub raw: String,
}

/// The parsed `show errors` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorsReport {
    /// The date in `Total events captured on [<date>]`.
    pub captured_on: Option<String>,
    /// The number of events captured since start (not only those still shown).
    pub total: u64,
    /// The captures still held, in printed order.
    pub events: Vec<CapturedError>,
}

/// `<NONE>` means "unset" in this dump.
fn none_if_unset(v: &str) -> Option<String> {
    if v.eq_ignore_ascii_case("<none>") {
        None
    } else {
        Some(v.to_owned())
    }
}

/// Parses `NAME (#ID)` into its parts.
fn name_and_id(s: &str) -> (Option<String>, Option<i64>) {
    match s.rsplit_once(" (#") {
        Some((name, id)) => (
            none_if_unset(name.trim()),
            id.trim_end_matches([')', ':']).parse().ok(),
        ),
        None => (none_if_unset(s.trim()), None),
    }
}

/// Decodes the first line of a block; `None` if it is not `[date] <role> <name> (#id): <kind>`.
fn parse_block_header(line: &str) -> Option<CapturedError> {
    let (date, rest) = line.strip_prefix('[')?.split_once(']')?;
    let rest = rest.trim_start();
    let (who, kind) = rest.split_once("): ")?;
    let (role, proxy) = who.split_once(' ')?;
    let (name, id) = name_and_id(&format!("{proxy})"));
    let direction = match kind.trim() {
        "invalid request" => ErrorDirection::Request,
        "invalid response" => ErrorDirection::Response,
        _ => ErrorDirection::Unknown,
    };
    let mut ev = CapturedError {
        date: date.to_owned(),
        kind: kind.trim().to_owned(),
        direction,
        frontend: None,
        frontend_id: None,
        backend: None,
        backend_id: None,
        server: None,
        server_id: None,
        event_no: None,
        source: None,
        error_position: None,
        raw: String::new(),
    };
    match role {
        "frontend" => (ev.frontend, ev.frontend_id) = (name, id),
        "backend" => (ev.backend, ev.backend_id) = (name, id),
        _ => return None,
    }
    Some(ev)
}

/// Decodes the detail lines of a block (all lenient: unknown shapes are left in `raw`).
fn parse_block_details(ev: &mut CapturedError, line: &str) {
    for part in line.trim().split(", ") {
        if let Some(rest) = part.strip_prefix("backend ") {
            (ev.backend, ev.backend_id) = name_and_id(rest);
        } else if let Some(rest) = part.strip_prefix("frontend ") {
            (ev.frontend, ev.frontend_id) = name_and_id(rest);
        } else if let Some(rest) = part.strip_prefix("server ") {
            (ev.server, ev.server_id) = name_and_id(rest);
        } else if let Some(rest) = part.strip_prefix("event #") {
            ev.event_no = rest.trim().parse().ok();
        } else if let Some(rest) = part.strip_prefix("src ") {
            ev.source = Some(rest.trim().to_owned());
        } else if let Some(rest) = part.strip_prefix("error at position ") {
            ev.error_position = rest.trim().parse().ok();
        }
    }
}

/// Parses `show errors` output.
pub fn parse(text: &str) -> Result<ErrorsReport, ParseError> {
    let mut report = ErrorsReport {
        captured_on: None,
        total: 0,
        events: Vec::new(),
    };
    let mut seen_total = false;
    // The block being collected: the event, its raw lines, and whether the (blank-line
    // separated) hexdump has started, after which lines are captured data, not details.
    let mut current: Option<(CapturedError, Vec<&str>, bool)> = None;
    let finish = |cur: Option<(CapturedError, Vec<&str>, bool)>, out: &mut Vec<CapturedError>| {
        if let Some((mut ev, mut lines, _)) = cur {
            // The separator line (a single space) before the next block is not part of it.
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            ev.raw = lines.join("\n");
            out.push(ev);
        }
    };
    for (no, line) in numbered_lines(text) {
        if let Some(rest) = line.strip_prefix("Total events captured on ") {
            let (date, total) = rest
                .rsplit_once(" : ")
                .ok_or_else(|| ParseError::new(no, "expected `… on [date] : N`"))?;
            let total = total
                .trim()
                .parse()
                .map_err(|_| ParseError::new(no, format!("invalid event count {total:?}")))?;
            report.total = total;
            report.captured_on = Some(
                date.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
            );
            seen_total = true;
            continue;
        }
        if line.starts_with('[') {
            let ev = parse_block_header(line)
                .ok_or_else(|| ParseError::new(no, "unrecognised event header"))?;
            finish(current.take(), &mut report.events);
            current = Some((ev, vec![line], false));
            continue;
        }
        match current.as_mut() {
            Some((ev, lines, in_dump)) => {
                if line.trim().is_empty() {
                    *in_dump = true;
                } else if !*in_dump {
                    parse_block_details(ev, line);
                }
                lines.push(line);
            }
            None if line.trim().is_empty() => {}
            None => {
                return Err(ParseError::new(
                    no,
                    "expected `Total events captured on …` or an event",
                ));
            }
        }
    }
    finish(current.take(), &mut report.events);
    if !seen_total {
        return Err(ParseError::new(
            1,
            "missing `Total events captured on …` line",
        ));
    }
    Ok(report)
}

impl CapturedError {
    /// Splits the block into HAProxy's detail lines and the captured bytes (after the first
    /// blank line, the two-space indent removed). The header line is decoded into the fields
    /// and left out.
    pub fn details_and_capture(&self) -> (Vec<String>, String) {
        let mut details = Vec::new();
        let mut capture = Vec::new();
        let mut in_dump = false;
        for line in self.raw.lines().skip(1) {
            if !in_dump && line.trim().is_empty() {
                in_dump = true;
            } else if in_dump {
                capture.push(line.strip_prefix("  ").unwrap_or(line));
            } else {
                details.push(line.trim().to_owned());
            }
        }
        (details, capture.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture.
    const ERRORS_26: &str = "Total events captured on [25/Nov/2026:08:16:59.117] : 1
 
[25/Nov/2026:08:16:57.470] frontend fe_main (#4): invalid request
  backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:38424
  buffer starts at 0 (including 0 out), 16337 free,
  len 47, wraps at 16336, error at position 8
  H1 connection flags 0x00000100, H1 stream flags 0x00000810
  H1 msg state MSG_RQVER(6), H1 msg flags 0x00001400
  H1 chunk len 0 bytes, H1 body len 0 bytes :
  
  00000  GET /in valid HTTP/1.1\\r\\n
  00024  Host: x\\r\\n
  00033  Bad Header\\r\\n
  00045  \\r\\n
";

    #[test]
    fn parses_26_capture() {
        let r = parse(ERRORS_26).unwrap();
        assert_eq!(r.captured_on.as_deref(), Some("25/Nov/2026:08:16:59.117"));
        assert_eq!(r.total, 1);
        assert_eq!(r.events.len(), 1);
        let e = r.events.first().unwrap();
        assert_eq!(e.date, "25/Nov/2026:08:16:57.470");
        assert_eq!(e.kind, "invalid request");
        assert_eq!(e.direction, ErrorDirection::Request);
        assert_eq!(e.frontend.as_deref(), Some("fe_main"));
        assert_eq!(e.frontend_id, Some(4));
        assert_eq!(e.backend, None);
        assert_eq!(e.backend_id, Some(-1));
        assert_eq!(e.server, None);
        assert_eq!(e.event_no, Some(0));
        assert_eq!(e.source.as_deref(), Some("127.0.0.1:38424"));
        assert_eq!(e.error_position, Some(8));
        assert!(e.raw.starts_with("[25/Nov/2026:08:16:57.470]"));
        assert!(e.raw.contains("\n  \n  00000  GET"));
        assert!(e.raw.ends_with("00045  \\r\\n"));
    }

    #[test]
    fn response_blocks_and_several_events() {
        let text = "Total events captured on [01/Jan/2026:00:00:01.000] : 7
 
[01/Jan/2026:00:00:00.500] backend be_app (#6): invalid response
  frontend fe_main (#4), server app1 (#1), event #5, src 10.0.0.1:5555
  len 10, wraps at 16336, error at position 3
  
  00000  HTTP/1.1 x, src evil, event #9
 
[01/Jan/2026:00:00:00.600] frontend fe_main (#4): invalid request
  backend be_app (#6), server <NONE> (#-1), event #6, src 10.0.0.2:6666
";
        let r = parse(text).unwrap();
        assert_eq!(r.total, 7);
        assert_eq!(r.events.len(), 2);
        let a = r.events.first().unwrap();
        assert_eq!(a.direction, ErrorDirection::Response);
        assert_eq!(a.backend.as_deref(), Some("be_app"));
        assert_eq!(a.backend_id, Some(6));
        assert_eq!(a.frontend.as_deref(), Some("fe_main"));
        assert_eq!(a.server.as_deref(), Some("app1"));
        assert_eq!(a.server_id, Some(1));
        assert_eq!(a.event_no, Some(5));
        // Captured bytes after the blank line are data, not details.
        assert_eq!(a.source.as_deref(), Some("10.0.0.1:5555"));
        assert!(a.raw.ends_with("00000  HTTP/1.1 x, src evil, event #9"));
        let b = r.events.get(1).unwrap();
        assert_eq!(b.backend.as_deref(), Some("be_app"));
        assert_eq!(b.server, None);
        assert_eq!(b.error_position, None);
    }

    #[test]
    fn empty_report_and_errors() {
        let r = parse("Total events captured on [25/Nov/2026:08:16:47.954] : 0\n").unwrap();
        assert_eq!(r.total, 0);
        assert!(r.events.is_empty());
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("No such proxy.\n").unwrap_err().line, 1);
        assert_eq!(
            parse("Total events captured on [x] : many\n")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(
            parse("Total events captured on [x] : 1\n[date] garbage\n")
                .unwrap_err()
                .line,
            2
        );
    }
}
