//! The audit log: one JSON line per tool call that changes (or tried to change) HAProxy, written
//! to a file or to stderr. It records who (the caller's name, never a credential), where (the
//! target), what (tool and arguments), and how it ended (HAProxy's reply or the error text, and
//! the outcome), including calls that were refused before anything was sent: read-only mode, a
//! read-only caller, a missing scope, a missing or bad token, invalid arguments. Reads are left
//! out unless [`AuditLog::with_reads`] asks for them.
//!
//! A record is bounded whatever the request ([`super::audit_bound`]): arguments are
//! summarised past a few KB, caller, tool and target names are escaped and shortened, the reply
//! is cut, and a line never exceeds [`MAX_RECORD_BYTES`]. Caller-provided text is escaped
//! ([`crate::log_safe`]), so a record is always exactly one line.
//!
//! Each record is written with a single `write` of one line under a lock and flushed at once, so
//! lines never interleave and survive a crash right after the call.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::audit_bound::{self, cut};
use super::caller::{Caller, CallerKind};

/// Longest reply or error text kept.
const MAX_REPLY_CHARS: usize = 2048;
/// Longest caller name kept (a JWT `sub` is the issuer's to choose).
const MAX_NAME_CHARS: usize = 256;
/// Longest tool or target name kept (an unknown tool's name is the caller's to choose).
const MAX_TOOL_CHARS: usize = 128;
/// Largest audit line, in bytes; a record that would be larger loses its arguments and most
/// of its reply.
pub const MAX_RECORD_BYTES: usize = 16 * 1024;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The tool ran and succeeded.
    Ok,
    /// The tool ran and failed (HAProxy refused, could not be reached, an argument was bad…).
    Error,
    /// The call was refused before the tool ran (permissions, mode, authentication).
    Refused,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// When the call ended, RFC 3339 in UTC.
    pub time: String,
    /// The caller's name: token name, JWT subject, `stdio` or `anonymous`.
    pub caller: String,
    /// How the caller was identified.
    pub caller_kind: CallerKind,
    /// The HAProxy target the call named (or the default one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The tool.
    pub tool: String,
    /// Whether the tool changes HAProxy (its `readOnlyHint` is not true).
    pub mutating: bool,
    /// The arguments, bounded ([`super::audit_bound`]); `null` for calls refused before
    /// authentication (their arguments are not recorded).
    pub arguments: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it was refused (`read_only_mode`, `read_only_caller`, `insufficient_scope`,
    /// `unauthenticated`, `invalid_token`, `unknown_tool`, `invalid_request`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// HAProxy's reply (the tool's summary) or the error text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// How long the call took, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl AuditRecord {
    /// A record stamped now, for `caller` calling `tool` with `arguments`.
    pub fn new(caller: &Caller, tool: &str, mutating: bool, arguments: Option<&Value>) -> Self {
        Self {
            time: rfc3339(SystemTime::now()),
            caller: cut(&caller.name, MAX_NAME_CHARS),
            caller_kind: caller.kind,
            target: None,
            tool: cut(tool, MAX_TOOL_CHARS),
            mutating,
            arguments: arguments.map(audit_bound::arguments).unwrap_or(Value::Null),
            outcome: Outcome::Ok,
            reason: None,
            reply: None,
            duration_ms: None,
        }
    }

    /// Sets the target.
    pub fn target(mut self, target: Option<&str>) -> Self {
        self.target = target.map(|t| cut(t, MAX_TOOL_CHARS));
        self
    }

    /// Sets the outcome and the reply or error text.
    pub fn outcome(mut self, outcome: Outcome, reply: Option<&str>) -> Self {
        self.outcome = outcome;
        self.reply = reply.map(|r| cut_reply(r, MAX_REPLY_CHARS));
        self
    }

    /// Marks the call refused, with a reason code and the text the caller got.
    pub fn refused(self, reason: &str, message: &str) -> Self {
        let mut r = self.outcome(Outcome::Refused, Some(message));
        r.reason = Some(reason.to_owned());
        r
    }

    /// Sets the duration.
    pub fn took(mut self, elapsed: Duration) -> Self {
        self.duration_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        self
    }
}

/// Where audit records go. Cheap to clone; clones share the destination.
#[derive(Clone, Default)]
pub struct AuditLog {
    sink: Option<Arc<Sink>>,
    reads: bool,
}

struct Sink {
    destination: String,
    out: Mutex<Box<dyn Write + Send>>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field(
                "destination",
                &self.sink.as_ref().map(|s| s.destination.as_str()),
            )
            .field("reads", &self.reads)
            .finish()
    }
}

impl AuditLog {
    /// No audit log.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Records to stderr.
    pub fn stderr() -> Self {
        Self::to_writer("stderr", Box::new(std::io::stderr()))
    }

    /// Records appended to the file at `path` (created if missing, mode 0600 on Unix).
    pub fn file(path: &Path) -> std::io::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        Ok(Self::to_writer(&path.display().to_string(), Box::new(file)))
    }

    /// Records to any writer (`destination` names it in debug output).
    pub fn to_writer(destination: &str, out: Box<dyn Write + Send>) -> Self {
        Self {
            sink: Some(Arc::new(Sink {
                destination: destination.to_owned(),
                out: Mutex::new(out),
            })),
            reads: false,
        }
    }

    /// Also records read-only calls.
    pub fn with_reads(mut self, reads: bool) -> Self {
        self.reads = reads;
        self
    }

    /// Whether a call to a tool that is (`mutating`) or is not mutating is recorded.
    pub fn wants(&self, mutating: bool) -> bool {
        self.sink.is_some() && (mutating || self.reads)
    }

    /// Writes one record (when the log is on). A write failure is logged, never fatal.
    pub fn record(&self, record: &AuditRecord) {
        let Some(sink) = &self.sink else { return };
        let mut line = match serialize(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot serialize an audit record: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut out = sink.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::error!(destination = %sink.destination, "cannot write the audit log: {e}");
        }
    }
}

/// One JSON line of at most [`MAX_RECORD_BYTES`] (without its newline).
fn serialize(record: &AuditRecord) -> serde_json::Result<Vec<u8>> {
    let line = serde_json::to_vec(record)?;
    if line.len() <= MAX_RECORD_BYTES {
        return Ok(line);
    }
    let mut smaller = record.clone();
    smaller.arguments = audit_bound::summary(&record.arguments);
    smaller.reply = record.reply.as_deref().map(|r| cut_reply(r, 256));
    serde_json::to_vec(&smaller)
}

/// A reply cut to `max` characters (HAProxy's words are kept as they are, newlines included:
/// the JSON encoding escapes them).
fn cut_reply(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((at, _)) => format!("{}…[{} more bytes]", &s[..at], s.len() - at),
    }
}

/// `2024-05-01T12:34:56.789Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_123);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799);
        assert_eq!(rfc3339(t), "2099-12-31T23:59:59.000Z");
    }

    #[test]
    fn one_line_per_record_and_reads_only_when_asked() {
        let buf = Buf::default();
        let log = AuditLog::to_writer("buf", Box::new(buf.clone()));
        assert!(log.wants(true) && !log.wants(false));
        assert!(log.clone().with_reads(true).wants(false));
        assert!(!AuditLog::disabled().wants(true));
        let long = "x".repeat(2000);
        let rec = AuditRecord::new(
            &Caller::stdio(),
            "set_weight",
            true,
            Some(&serde_json::json!({"backend": "be", "value": long})),
        )
        .target(Some("eu"))
        .refused("read_only_mode", "no");
        log.record(&rec);
        log.record(&rec);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["caller"], "stdio");
        assert_eq!(v["outcome"], "refused");
        assert_eq!(v["reason"], "read_only_mode");
        assert_eq!(v["target"], "eu");
        assert!(v["arguments"]["value"].as_str().unwrap().len() < 600);
    }
}
