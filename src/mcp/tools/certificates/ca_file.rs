//! A CA file (the `ca-file` binds verify client certificates with) as a [`TrustFile`]:
//! `set` / `commit` / `abort ssl ca-file`; the pending file must hold certificates, and
//! dropping one the current file has, or keeping an expired one, needs `force`.

use super::trust_file::TrustFile;
use super::{CertBrief, brief};
use crate::haproxy::RuntimeError;
use crate::haproxy::command::Payload;
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::parse::ssl::{CertDetails, TransactionStart};
use crate::mcp::targets::Target;

/// The CA-file kind.
pub(super) struct CaFile;

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

impl TrustFile for CaFile {
    type Dump = Vec<CertDetails>;
    const WHAT: &'static str = "CA file";
    const KEYWORD: &'static str = "ca-file";

    async fn show(
        t: &Target,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<Self::Dump, RuntimeError> {
        t.client.show_ca_file(name, pending).await
    }

    async fn set(
        t: &Target,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(TransactionStart, String), RuntimeError> {
        t.client.set_ssl_ca_file(name, pem).await
    }

    async fn commit(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.commit_ssl_ca_file(name).await
    }

    async fn abort(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.abort_ssl_ca_file(name).await
    }

    async fn delete(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.del_ssl_trust_file(name, false).await
    }

    async fn names(t: &Target) -> Result<Vec<String>, RuntimeError> {
        let list = t.client.show_ca_files().await?;
        Ok(list.files.into_iter().map(|f| f.name).collect())
    }

    async fn open_transaction(t: &Target) -> Option<String> {
        t.client.show_ca_files().await.ok()?.transaction
    }

    fn problems(current: &Self::Dump, new: &Self::Dump, now: i64) -> (Vec<String>, Vec<String>) {
        ca_problems(current, new, now)
    }

    fn brief(dump: &Self::Dump, now: i64) -> CertBrief {
        brief(soonest(dump).unwrap_or(&CertDetails::default()), now)
    }

    fn contents(dump: &Self::Dump) -> String {
        format!("{} certificate(s)", dump.len())
    }

    fn same(after: &Self::Dump, pending: &Self::Dump) -> bool {
        let fingerprints = |certs: &[CertDetails]| {
            let mut f: Vec<Option<String>> = certs.iter().map(|c| c.sha1.clone()).collect();
            f.sort();
            f
        };
        fingerprints(after) == fingerprints(pending)
    }
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
