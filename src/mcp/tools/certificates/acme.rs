//! renew_acme_certificate: renew a certificate through ACME now (`acme renew`, 3.2+) and
//! wait for HAProxy to install the new one.
//!
//! `acme renew` only starts a task: HAProxy answers at once and talks to the ACME server in
//! the background (account, order, challenge, finalize), retrying with backoff on errors,
//! and replaces the certificate in memory when one is issued. `acme status` shows `Running`
//! while the task lives, so the tool polls it, then reads the certificate back and reports
//! a renewal only when HAProxy serves a different certificate.

use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::parse::acme::AcmeRow;
use crate::haproxy::parse::ssl::CertDetails;
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::cert_inventory::{days_left, now_epoch};
use crate::mcp::explain::{Subject, checked, needs_release};
use crate::mcp::handler::HaproxyMcp;

/// The first release with `acme renew`.
const ACME_SINCE: (u32, u32) = (3, 2);
/// The state `acme status` shows while a renewal task runs.
const RUNNING: &str = "Running";
/// How often `acme status` is read while the renewal runs.
const POLL: Duration = Duration::from_secs(1);
/// The default and largest wait for the new certificate. An ACME server usually issues
/// within seconds; HAProxy's own retries (backoff 3, 9, 27… s) take minutes.
const DEFAULT_WAIT_SECONDS: u32 = 60;

/// Arguments of renew_acme_certificate.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RenewAcmeArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// As list_certificates names it.
    pub certificate: String,
    /// Seconds to wait (default 60).
    #[serde(default)]
    #[schemars(range(min = 5, max = 600))]
    pub wait_seconds: Option<u32>,
}

/// renew_acme_certificate's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RenewAcmeOut {
    /// The target changed.
    pub target: String,
    /// The certificate.
    pub certificate: String,
    /// Its `acme` section.
    pub section: String,
    /// The serial HAProxy served before.
    pub serial_before: Option<String>,
    /// The new certificate's serial, read back.
    pub serial: Option<String>,
    /// Its issuer.
    pub issuer: Option<String>,
    /// Its notAfter.
    pub not_after: Option<String>,
    /// Days until then.
    pub days_left: Option<i64>,
    /// HAProxy's next scheduled renewal.
    pub next_renewal: Option<String>,
}

/// The certificate's row among `acme status`'s.
fn row_of(rows: Vec<AcmeRow>, name: &TlsFileName) -> Option<AcmeRow> {
    rows.into_iter().find(|r| r.certificate == name.as_str())
}

/// Whether HAProxy now serves another certificate than `before`.
fn replaced(before: &CertDetails, after: &CertDetails) -> bool {
    (&before.sha1, &before.serial) != (&after.sha1, &after.serial)
}

#[tool_router(router = acme_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Renews a certificate through ACME now and waits for the new one.
    #[tool(
        description = "Renew an ACME certificate now (3.2+); waits until HAProxy serves the new one. In memory only.",
        annotations(title = "Renew ACME certificate", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<RenewAcmeOut>()
    )]
    async fn renew_acme_certificate(
        &self,
        Parameters(args): Parameters<RenewAcmeArgs>,
    ) -> ToolResult<RenewAcmeOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let name = TlsFileName::new(args.certificate)?;
        let wait = Duration::from_secs(u64::from(
            args.wait_seconds
                .unwrap_or(DEFAULT_WAIT_SECONDS)
                .clamp(5, 600),
        ));
        needs_release(
            t,
            ACME_SINCE,
            "ACME (acme renew)",
            "Renew the certificate with your ACME client and rotate it (rotate_certificate).",
        )
        .await?;
        let before = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await
        .map_err(|e| e.with_note("Nothing was sent."))?;
        let rows = checked(t, Subject::Nothing, t.client.acme_status().await).await?;
        let Some(row) = row_of(rows, &name) else {
            return Err(fail(format!(
                "{name} is not renewed through ACME: acme status does not list it (HAProxy renews only certificates a crt-store loads with `acme <section>`). Nothing was sent. Rotate it with rotate_certificate."
            )));
        };
        if row.state == RUNNING {
            return Err(fail(format!(
                "a renewal of {name} is already running (acme status: Running). Nothing was sent; list_certificates shows its ACME state, and the new certificate once it is issued."
            )));
        }
        checked(t, Subject::Nothing, t.client.acme_renew(&name).await).await?;

        let deadline = tokio::time::Instant::now() + wait;
        let finished = loop {
            tokio::time::sleep(POLL).await;
            // A failed reading (the store briefly locked by the commit) is read again.
            if let Ok(rows) = t.client.acme_status().await
                && let Some(now) = row_of(rows, &name)
                && now.state != RUNNING
            {
                break now;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(fail(format!(
                    "HAProxy started renewing {name} through ACME section {} but it was still running after {}s: the ACME server is slow or failing, and HAProxy retries with backoff (its log's `acme:` lines say why). HAProxy still serves the previous certificate (serial {}); list_certificates shows the ACME state until the renewal ends. Do not ask again while it runs.",
                    row.section,
                    wait.as_secs(),
                    before.serial.as_deref().unwrap_or("unknown")
                )));
            }
        };
        let after = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await?;
        if !replaced(&before, &after) {
            return Err(fail(format!(
                "HAProxy's ACME client gave up renewing {name} (section {}) without a new certificate: the ACME server refused or could not be reached (HAProxy's log has the `acme:` lines saying why). Nothing changed: it still serves serial {} until {}.",
                row.section,
                before.serial.as_deref().unwrap_or("unknown"),
                before.not_after.as_deref().unwrap_or("an unknown date"),
            )));
        }
        let days_left = after.not_after_epoch.map(|n| days_left(n, now_epoch()));
        let summary = format!(
            "[{}] {name} renewed through ACME section {}: HAProxy now serves serial {} from {}, valid until {} ({} days), was serial {} until {}. In memory only: HAProxy does not write it to {name}, so a reload or restart loads the old file again; save it on the HAProxy host (`dump ssl cert {name}` on an admin socket prints it with its private key).",
            t.name,
            row.section,
            after.serial.as_deref().unwrap_or("?"),
            after.issuer.as_deref().unwrap_or("an unknown issuer"),
            after.not_after.as_deref().unwrap_or("?"),
            days_left.map_or("?".to_owned(), |d| d.to_string()),
            before.serial.as_deref().unwrap_or("?"),
            before.not_after.as_deref().unwrap_or("?"),
        );
        Ok(Answer::new(
            summary,
            RenewAcmeOut {
                target: t.name.clone(),
                certificate: name.to_string(),
                section: row.section,
                serial_before: before.serial,
                serial: after.serial,
                issuer: after.issuer,
                not_after: after.not_after,
                days_left,
                next_renewal: finished.scheduled,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(serial: &str, sha1: &str) -> CertDetails {
        CertDetails {
            serial: Some(serial.to_owned()),
            sha1: Some(sha1.to_owned()),
            ..CertDetails::default()
        }
    }

    #[test]
    fn a_renewal_is_a_different_certificate() {
        assert!(!replaced(&cert("01", "AA"), &cert("01", "AA")));
        assert!(replaced(&cert("01", "AA"), &cert("02", "BB")));
        // The same serial from another issuer is another certificate.
        assert!(replaced(&cert("01", "AA"), &cert("01", "BB")));
    }
}
