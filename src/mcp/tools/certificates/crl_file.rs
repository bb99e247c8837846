//! A CRL file (the `crl-file` binds check client certificates against) as a [`TrustFile`]:
//! `set` / `commit` / `abort ssl crl-file`. HAProxy takes any PEM as a CRL file's payload (a
//! certificate too), so the check that the pending file holds a revocation list is what keeps a
//! wrong file out.

use super::CertBrief;
use super::trust_file::TrustFile;
use crate::haproxy::RuntimeError;
use crate::haproxy::command::Payload;
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::parse::ssl::{Crl, CrlFile, TransactionStart};
use crate::mcp::cert_inventory::days_left;
use crate::mcp::targets::Target;

/// The CRL-file kind.
pub(super) struct CrlKind;

/// A CRL file in brief: the list that goes stale first (issuer, next update).
fn brief(file: &CrlFile, now: i64) -> CertBrief {
    let first = file
        .lists
        .iter()
        .min_by_key(|l| l.next_update_epoch.unwrap_or(i64::MAX));
    CertBrief {
        subject: first.and_then(|l| l.issuer.clone()),
        sans: Vec::new(),
        serial: None,
        not_after: first.and_then(|l| l.next_update.clone()),
        days_left: first
            .and_then(|l| l.next_update_epoch)
            .map(|n| days_left(n, now)),
        sha1: None,
    }
}

/// The checks a new CRL file must pass before it is committed: (soft problems that `force`
/// accepts, hard problems it does not).
fn crl_problems(current: &CrlFile, new: &CrlFile, now: i64) -> (Vec<String>, Vec<String>) {
    let (mut soft, mut hard) = (Vec::new(), Vec::new());
    if new.lists.is_empty() {
        hard.push(
            "HAProxy read no revocation list from the file (a certificate is not a CRL)".to_owned(),
        );
    }
    let stale: Vec<&Crl> = new
        .lists
        .iter()
        .filter(|l| l.next_update_epoch.is_some_and(|n| n <= now))
        .collect();
    if !stale.is_empty() {
        soft.push(format!(
            "it holds revocation lists past their next update (clients verified against them may be refused): {}",
            stale
                .iter()
                .map(|l| l.issuer.clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let dropped: Vec<String> = current
        .lists
        .iter()
        .filter(|old| !new.lists.iter().any(|n| n.issuer == old.issuer))
        .map(|l| l.issuer.clone().unwrap_or_default())
        .collect();
    if !dropped.is_empty() {
        soft.push(format!(
            "it drops the revocation lists of issuers the current file has: {}",
            dropped.join(", ")
        ));
    }
    (soft, hard)
}

impl TrustFile for CrlKind {
    type Dump = CrlFile;
    const WHAT: &'static str = "CRL file";
    const KEYWORD: &'static str = "crl-file";

    async fn show(
        t: &Target,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<Self::Dump, RuntimeError> {
        t.client.show_crl_file(name, pending).await
    }

    async fn set(
        t: &Target,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(TransactionStart, String), RuntimeError> {
        t.client.set_ssl_crl_file(name, pem).await
    }

    async fn commit(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.commit_ssl_crl_file(name).await
    }

    async fn abort(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.abort_ssl_crl_file(name).await
    }

    async fn delete(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError> {
        t.client.del_ssl_trust_file(name, true).await
    }

    async fn names(t: &Target) -> Result<Vec<String>, RuntimeError> {
        Ok(t.client.show_crl_files().await?.names)
    }

    async fn open_transaction(t: &Target) -> Option<String> {
        t.client.show_crl_files().await.ok()?.transaction
    }

    fn problems(current: &Self::Dump, new: &Self::Dump, now: i64) -> (Vec<String>, Vec<String>) {
        crl_problems(current, new, now)
    }

    fn brief(dump: &Self::Dump, now: i64) -> CertBrief {
        brief(dump, now)
    }

    fn contents(dump: &Self::Dump) -> String {
        let revoked: usize = dump.lists.iter().map(|l| l.revoked).sum();
        format!(
            "{} revocation list(s), {revoked} certificate(s) revoked",
            dump.lists.len()
        )
    }

    fn same(after: &Self::Dump, pending: &Self::Dump) -> bool {
        after.lists == pending.lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(issuer: &str, next: i64) -> Crl {
        Crl {
            issuer: Some(issuer.to_owned()),
            next_update_epoch: Some(next),
            ..Crl::default()
        }
    }

    fn file(lists: Vec<Crl>) -> CrlFile {
        CrlFile {
            lists,
            ..CrlFile::default()
        }
    }

    #[test]
    fn a_crl_file_must_hold_a_current_list() {
        let now = 1_000;
        let current = file(vec![list("/CN=Root", 5_000)]);
        let (soft, hard) = crl_problems(&current, &file(vec![list("/CN=Root", 9_000)]), now);
        assert!(soft.is_empty() && hard.is_empty());
        assert_eq!(crl_problems(&current, &file(vec![]), now).1.len(), 1);
        let (soft, _) = crl_problems(&current, &file(vec![list("/CN=Root", 500)]), now);
        assert!(soft[0].contains("past their next update"), "{soft:?}");
        let (soft, _) = crl_problems(&current, &file(vec![list("/CN=Other", 9_000)]), now);
        assert!(
            soft[0].contains("drops") && soft[0].contains("/CN=Root"),
            "{soft:?}"
        );
    }
}
