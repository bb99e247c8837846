//! rotate_certificate on a CA file (the `ca-file` binds verify client certificates with): the
//! same all-or-nothing transaction as a certificate's, with `set` / `commit` / `abort ssl
//! ca-file`, checked before the commit and read back after.

use super::{RotateOut, brief};
use crate::haproxy::command::Payload;
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::parse::ssl::{CaFileList, CertDetails, TransactionStart};
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::targets::Target;

/// What the caller already read and sent for a CA-file rotation.
pub(super) struct CaRotation<'a> {
    /// The CA file, as `show ssl ca-file` names it.
    pub name: &'a TlsFileName,
    /// The PEM lines to send.
    pub pem: Payload,
    /// Their SHA-256.
    pub sent_sha256: String,
    /// The file in the certificates folder they came from.
    pub file: &'a str,
    /// Accept soft problems.
    pub force: bool,
    /// The current `show ssl ca-file` list.
    pub list: CaFileList,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// The certificate that expires first (what a CA file's brief shows).
fn soonest(certs: &[CertDetails]) -> Option<&CertDetails> {
    certs
        .iter()
        .min_by_key(|c| c.not_after_epoch.unwrap_or(i64::MAX))
}

/// The checks a new CA file must pass before it is committed: (soft problems that `force`
/// accepts, hard problems it does not).
fn ca_problems(
    current: &[CertDetails],
    new: &[CertDetails],
    now: i64,
) -> (Vec<String>, Vec<String>) {
    let (mut soft, mut hard) = (Vec::new(), Vec::new());
    if new.is_empty() {
        hard.push("HAProxy read no certificate from the file".to_owned());
    }
    let expired: Vec<String> = new
        .iter()
        .filter(|c| c.not_after_epoch.is_some_and(|n| n <= now))
        .map(|c| c.subject.clone().unwrap_or_default())
        .collect();
    if !expired.is_empty() {
        soft.push(format!(
            "it holds expired CA certificates: {}",
            expired.join(", ")
        ));
    }
    let dropped: Vec<String> = current
        .iter()
        .filter(|old| !new.iter().any(|n| n.subject == old.subject))
        .map(|c| c.subject.clone().unwrap_or_default())
        .collect();
    if !dropped.is_empty() {
        soft.push(format!(
            "it drops CA certificates the current file has (clients they issued would no longer verify): {}",
            dropped.join(", ")
        ));
    }
    (soft, hard)
}

/// Drops the open CA-file transaction on `name` after a failed step; says whether that worked.
async fn abort(t: &Target, name: &TlsFileName) -> String {
    match t.client.abort_ssl_ca_file(name).await {
        Ok(()) => "The transaction was aborted: nothing changed.".to_owned(),
        Err(e) => format!(
            "Aborting the transaction failed too ({e}); run `abort ssl ca-file {name}` on the Runtime API."
        ),
    }
}

/// Replaces a CA file, all or nothing.
pub(super) async fn rotate(t: &Target, r: CaRotation<'_>) -> ToolResult<RotateOut> {
    let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
    let name = r.name;
    if let Some(open) = &r.list.transaction {
        return Err(fail(format!(
            "A CA-file change is already open for {open}; HAProxy allows one at a time. Nothing was sent. Wait for it, or if it is abandoned run `abort ssl ca-file {open}` on the Runtime API."
        )));
    }
    let current = checked(t, Subject::Nothing, t.client.show_ca_file(name).await).await?;
    match t.client.set_ssl_ca_file(name, r.pem).await {
        Ok((TransactionStart::Created, about)) if about == name.as_str() => {}
        Ok((_, about)) => {
            let note = abort(t, name).await;
            return Err(fail(format!(
                "Another CA-file change (for {about}) was opened at the same moment; nothing was committed. {note}"
            )));
        }
        Err(e) => {
            let err = checked::<()>(t, Subject::Nothing, Err(e))
                .await
                .unwrap_err();
            return Err(err.with_note(
                "The file was not taken: no transaction was opened and nothing changed.",
            ));
        }
    }
    let pending = match t.client.show_pending_ca_file(name).await {
        Ok(p) => p,
        Err(e) => {
            let note = abort(t, name).await;
            return Err(fail(format!(
                "Could not read the new CA file back ({e}). {note}"
            )));
        }
    };
    let (soft, hard) = ca_problems(&current, &pending, r.now);
    if !hard.is_empty() || (!soft.is_empty() && !r.force) {
        let note = abort(t, name).await;
        let hint = if hard.is_empty() {
            " If this is intended, call again with force=true."
        } else {
            ""
        };
        let all: Vec<String> = hard.iter().chain(&soft).cloned().collect();
        return Err(fail(format!(
            "Not committed: {}. {note}{hint}",
            all.join("; ")
        )));
    }
    if let Err(e) = t.client.commit_ssl_ca_file(name).await {
        let still_open = t
            .client
            .show_ca_files()
            .await
            .is_ok_and(|l| l.transaction.as_deref() == Some(name.as_str()));
        let note = if still_open {
            abort(t, name).await
        } else {
            "HAProxy closed the transaction itself.".to_owned()
        };
        return Err(ToolError::runtime(&t.name, &e)
            .with_note(format!("HAProxy refused to commit the new CA file. {note}")));
    }
    let after = checked(t, Subject::Nothing, t.client.show_ca_file(name).await).await?;
    let fingerprints = |certs: &[CertDetails]| {
        let mut f: Vec<Option<String>> = certs.iter().map(|c| c.sha1.clone()).collect();
        f.sort();
        f
    };
    if fingerprints(&after) != fingerprints(&pending) {
        return Err(fail(format!(
            "HAProxy answered Success! but {name} does not hold the certificates sent; check list_certificates."
        )));
    }
    let none = CertDetails::default();
    let before = brief(soonest(&current).unwrap_or(&none), r.now);
    let after_brief = brief(soonest(&after).unwrap_or(&none), r.now);
    let mut summary = format!(
        "[{}] CA file {name} replaced without a reload: {} → {} certificate(s) (read back); the first to expire now {} ({} days left). Sent {} (SHA-256 {}).",
        t.name,
        current.len(),
        after.len(),
        after_brief.not_after.as_deref().unwrap_or("?"),
        after_brief.days_left.unwrap_or(0),
        r.file,
        r.sent_sha256,
    );
    if !soft.is_empty() {
        summary.push_str(&format!(" Accepted with force: {}.", soft.join("; ")));
    }
    summary.push_str(&format!(
        " Runtime only: {name} on disk is unchanged, so copy the new file there before the next reload or the old one comes back."
    ));
    Ok(Answer::new(
        summary,
        RotateOut {
            target: t.name.clone(),
            certificate: name.to_string(),
            sent_sha256: r.sent_sha256,
            before,
            after: after_brief,
            forced: soft,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca(subject: &str, not_after: i64) -> CertDetails {
        CertDetails {
            subject: Some(subject.to_owned()),
            not_after_epoch: Some(not_after),
            ..CertDetails::default()
        }
    }

    #[test]
    fn ca_files_keep_their_authorities() {
        let now = 1_000;
        let current = [ca("/CN=Root", 5_000)];
        let (soft, hard) = ca_problems(
            &current,
            &[ca("/CN=Root", 5_000), ca("/CN=Inter", 9_000)],
            now,
        );
        assert!(soft.is_empty() && hard.is_empty());
        let (soft, _) = ca_problems(&current, &[ca("/CN=Other", 9_000)], now);
        assert!(
            soft[0].contains("drops CA certificates") && soft[0].contains("/CN=Root"),
            "{soft:?}"
        );
        let (soft, _) = ca_problems(&current, &[ca("/CN=Root", 500)], now);
        assert!(soft[0].contains("expired"), "{soft:?}");
        assert_eq!(ca_problems(&current, &[], now).1.len(), 1);
    }
}
