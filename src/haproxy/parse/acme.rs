//! `acme status` (3.2+): the certificates HAProxy renews through ACME, one tab-separated line
//! each under a header line.
//!
//! ```text
//! # certificate\tsection\tstate\texpiration date (UTC)\texpires in\tscheduled date (UTC)\tscheduled in
//! /tls/site.pem\tle\tScheduled\t2027-01-01T19:12:24Z\t24d 22h16m20s\t2026-12-30T17:12:24Z\t22d 20h16m20s
//! ```
//!
//! `state` is `Scheduled` (renewed when due), `Stopped` (the scheduler is off: `acme.scheduler
//! off`) or `Running` (a renewal in progress, no scheduled date: `-`). HAProxy prints nothing at
//! all, not even the header, when its certificate store is locked (the dump gives up on its
//! try-lock), so an empty reply is an error here, not "no certificates". Checked live on 3.2.26
//! and 3.4.7 (`acme.c`, `cli_acme_status_io_handler`).

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// The header line, without its `# `.
const HEADER: &str = "certificate\tsection\tstate\texpiration date (UTC)\texpires in\tscheduled date (UTC)\tscheduled in";

/// One certificate HAProxy renews through ACME.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcmeRow {
    /// The certificate store's name (its path).
    pub certificate: String,
    /// The `acme` section it is renewed with.
    pub section: String,
    /// `Scheduled`, `Stopped` or `Running`.
    pub state: String,
    /// The certificate's notAfter (`2027-01-01T19:12:24Z`).
    pub expires: String,
    /// When HAProxy will renew it (`None` while a renewal runs).
    pub scheduled: Option<String>,
}

/// Parses `acme status`.
pub fn parse_acme_status(text: &str) -> Result<Vec<AcmeRow>, ParseError> {
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (n, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(h) = line.strip_prefix("# ") {
            if h.trim_end() != HEADER {
                return Err(ParseError::new(n, format!("unexpected header {line:?}")));
            }
            header_seen = true;
            continue;
        }
        if !header_seen {
            return Err(ParseError::new(
                n,
                format!("expected the header, got {line:?}"),
            ));
        }
        let cells: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let [
            certificate,
            section,
            state,
            expires,
            _expires_in,
            scheduled,
            _scheduled_in,
        ] = cells.as_slice()
        else {
            return Err(ParseError::new(
                n,
                format!("expected 7 tab-separated cells, got {}", cells.len()),
            ));
        };
        rows.push(AcmeRow {
            certificate: (*certificate).to_owned(),
            section: (*section).to_owned(),
            state: (*state).to_owned(),
            expires: (*expires).to_owned(),
            scheduled: (*scheduled != "-").then(|| (*scheduled).to_owned()),
        });
    }
    if !header_seen {
        return Err(ParseError::new(
            1,
            "no header: HAProxy prints nothing while its certificate store is locked",
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scheduled_and_running_rows() {
        let text = format!(
            "# {HEADER}\n/tls/site.pem\tle\tScheduled\t2027-01-01T19:12:24Z\t24d 22h16m20s\t2026-12-30T17:12:24Z\t22d 20h16m20s\n/tls/api.pem\tle\tRunning\t2026-12-17T19:00:00Z\t9d 0h00m00s\t-\t-\n\n"
        );
        let rows = parse_acme_status(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].section, "le");
        assert_eq!(rows[0].scheduled.as_deref(), Some("2026-12-30T17:12:24Z"));
        assert_eq!(rows[1].state, "Running");
        assert_eq!(rows[1].scheduled, None);
        assert!(
            parse_acme_status(&format!("# {HEADER}\n"))
                .unwrap()
                .is_empty()
        );
        assert!(parse_acme_status("").is_err());
        assert!(parse_acme_status("Permission denied\n").is_err());
        assert!(parse_acme_status(&format!("# {HEADER}\na\tb\n")).is_err());
    }
}
