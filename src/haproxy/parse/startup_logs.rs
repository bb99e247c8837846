//! `show startup-logs`: the messages HAProxy printed while starting (or, on the master CLI of
//! 3.0+, while last reloading), one per line:
//!
//! ```text
//! [NOTICE]   (1) : New worker (8) forked
//! [WARNING]  (8) : config : parsing [/etc/haproxy/haproxy.cfg:12] : …
//! [ALERT]    (1) : …
//! ```
//!
//! A line that does not start with a `[SEVERITY]` tag continues the previous message.

use serde::Serialize;

use super::ParseError;
use super::numbered_lines;

/// One startup message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartupMessage {
    /// `NOTICE`, `WARNING`, `ALERT`, `DIAG`…
    pub severity: String,
    /// The process that logged it.
    pub pid: Option<u32>,
    /// The message (continuation lines joined with `\n`).
    pub message: String,
}

impl StartupMessage {
    /// A warning or worse: something the configuration should fix.
    pub fn is_problem(&self) -> bool {
        matches!(
            self.severity.as_str(),
            "WARNING" | "ALERT" | "EMERG" | "ERR"
        )
    }
}

/// Parses `show startup-logs`. A first line without a `[SEVERITY]` tag is not startup output
/// (a refusal such as `Permission denied`): an error.
pub fn parse(text: &str) -> Result<Vec<StartupMessage>, ParseError> {
    let mut out: Vec<StartupMessage> = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        match tagged(line) {
            Some(m) => out.push(m),
            None => match out.last_mut() {
                Some(last) => {
                    last.message.push('\n');
                    last.message.push_str(line.trim_end());
                }
                None => {
                    return Err(ParseError::new(
                        no,
                        format!("expected `[SEVERITY] (pid) : message`, got {line:?}"),
                    ));
                }
            },
        }
    }
    Ok(out)
}

/// `[WARNING]  (8) : message`.
fn tagged(line: &str) -> Option<StartupMessage> {
    let rest = line.strip_prefix('[')?;
    let (severity, rest) = rest.split_once(']')?;
    if severity.is_empty() || !severity.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let rest = rest.trim_start();
    let (pid, message) = match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((pid, message)) => (pid.trim().parse().ok(), message),
        None => (None, rest),
    };
    let message = message.trim_start();
    let message = message.strip_prefix(": ").unwrap_or(message);
    Some(StartupMessage {
        severity: severity.to_owned(),
        pid,
        message: message.trim_end().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_severity_and_pid() {
        let m = parse(
            "[NOTICE]   (1) : Initializing new worker (8)\n[WARNING]  (8) : config : parsing [h.cfg:12] : something\n  more detail\n[ALERT]    (1) : bad\n",
        )
        .unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].severity.as_str(), m[0].pid), ("NOTICE", Some(1)));
        assert_eq!(m[0].message, "Initializing new worker (8)");
        assert!(!m[0].is_problem());
        assert_eq!(
            m[1].message,
            "config : parsing [h.cfg:12] : something\n  more detail"
        );
        assert!(m[1].is_problem() && m[2].is_problem());
        assert_eq!(parse("").unwrap(), vec![]);
        assert!(parse("Permission denied\n").is_err());
    }
}
