//! The TLS inventory of one HAProxy, shared by list_certificates and health_summary: every
//! certificate it holds (and every certificate of its CA files), when each expires, and where
//! each is used — crt-list lines with their SNI filters, and on 3.2+ the frontends that serve
//! it (`show ssl sni`; older versions do not say which bind uses which certificate), and the
//! OCSP response stapled for it (`show ssl ocsp-response <id>`): revoked, stale or due.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::haproxy::command::args::{OcspKey, TlsFileName};
use crate::haproxy::parse::ocsp::{CertStatus, OcspResponse};
use crate::haproxy::parse::ssl::{CertDetails, CrtListEntry};
use crate::haproxy::{RefusalKind, RuntimeError};
use crate::mcp::targets::Target;

/// The OS's CA bundle as HAProxy names it: hundreds of roots nobody rotates through HAProxy.
const SYSTEM_CA: &str = "@system-ca";

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Whether a certificate is served to clients or trusted to verify them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    /// A certificate HAProxy presents (`crt`, crt-list).
    Server,
    /// A certificate of a CA file (`ca-file`: verifies clients or servers).
    Ca,
}

/// One crt-list line that uses a certificate.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CrtListUse {
    /// The crt-list file.
    pub crt_list: String,
    /// The line number in it.
    pub line: Option<u32>,
    /// The server names it serves (none: every name not matched elsewhere).
    pub snis: Vec<String>,
    /// Names it must not serve (`!name`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded_snis: Vec<String>,
    /// The line's SSL options (`alpn h2,http/1.1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
}

/// One certificate, as HAProxy holds it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CertEntry {
    /// The name HAProxy knows it by (the file it was loaded from); for a CA certificate,
    /// `<ca-file>:<n>`.
    pub name: String,
    /// Served or trusted.
    pub kind: CertKind,
    /// `Used` or `Unused` (loaded but on no bind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Subject (`/CN=…`).
    pub subject: Option<String>,
    /// Subject alternative names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
    /// Issuer.
    pub issuer: Option<String>,
    /// Serial, hex.
    pub serial: Option<String>,
    /// notBefore, as HAProxy prints it.
    pub not_before: Option<String>,
    /// notAfter, as HAProxy prints it.
    pub not_after: Option<String>,
    /// Whole days until notAfter (negative: expired that many days ago).
    pub days_left: Option<i64>,
    /// notAfter has passed.
    pub expired: bool,
    /// Key type and size (`RSA2048`, `EC256`).
    pub key: Option<String>,
    /// SHA-1 fingerprint.
    pub sha1: Option<String>,
    /// The chain sent after it (subjects, in order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// The crt-list lines that use it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crt_lists: Vec<CrtListUse>,
    /// The frontends serving it (3.2+ only: empty on older versions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frontends: Vec<String>,
    /// The OCSP response HAProxy staples with it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp: Option<OcspBrief>,
    /// How HAProxy renews it through ACME (3.2+, `acme status`), if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeBrief>,
}

/// A certificate's ACME renewal, as `acme status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AcmeBrief {
    /// The `acme` section.
    pub section: String,
    /// `Scheduled`, `Stopped` (scheduler off) or `Running`.
    pub state: String,
    /// When HAProxy renews it (UTC; none while a renewal runs).
    pub renewal: Option<String>,
}

/// An OCSP response HAProxy staples, in brief.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OcspBrief {
    /// Its certificate ID key (`show ssl ocsp-response <key>`).
    pub key: String,
    /// `good`, `revoked` or `unknown` (absent: the response could not be read).
    pub cert_status: Option<CertStatus>,
    /// Why it was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// When the responder produced it.
    pub produced_at: Option<String>,
    /// Its next update, as printed: after it, clients that check may refuse it.
    pub next_update: Option<String>,
    /// Whole days until the next update (negative: passed).
    pub days_left: Option<i64>,
    /// The next update has passed.
    pub stale: bool,
}

impl OcspBrief {
    /// The brief of `resp`, stapled under `key`, as of `now`.
    pub fn new(key: &OcspKey, resp: &OcspResponse, now: i64) -> Self {
        OcspBrief {
            key: key.to_string(),
            cert_status: resp.cert_status,
            revocation_reason: resp.revocation_reason.clone(),
            produced_at: resp.produced_at.clone(),
            next_update: resp.next_update.clone(),
            days_left: resp.next_update_epoch.map(|n| days_left(n, now)),
            stale: resp.next_update_epoch.is_some_and(|n| n <= now),
        }
    }

    /// What is wrong with it, if anything: revoked, stale, or due within a day.
    pub fn problem(&self) -> Option<String> {
        match self.cert_status {
            Some(CertStatus::Revoked) => {
                let why = self
                    .revocation_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                return Some(format!(
                    "its OCSP response says revoked{why}: clients that check OCSP refuse it"
                ));
            }
            Some(CertStatus::Unknown) => {
                return Some("its OCSP responder does not know it (status unknown)".to_owned());
            }
            _ => {}
        }
        if self.stale {
            let ago = self.days_left.map_or(0, |d| -d).max(0);
            return Some(format!(
                "its OCSP response expired {ago} days ago (next update passed)"
            ));
        }
        (self.days_left == Some(0))
            .then(|| "its OCSP response expires within a day (next update)".to_owned())
    }
}

/// A HAProxy's TLS store, read in one go.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Every certificate, soonest expiry first.
    pub certificates: Vec<CertEntry>,
    /// The certificate an uncommitted transaction is about.
    pub transaction: Option<String>,
    /// CA files and how many certificates each holds.
    pub ca_files: Vec<(String, u32)>,
    /// CRL files.
    pub crl_files: Vec<String>,
    /// Whether `frontends` could be filled (`show ssl sni`, 3.2+).
    pub frontends_known: bool,
    /// What could not be read (a file HAProxy listed but then could not show, …).
    pub gaps: Vec<String>,
}

/// Seconds since the Unix epoch, now.
pub fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whole days from `now` to `not_after` (rounded down; negative once expired).
pub fn days_left(not_after: i64, now: i64) -> i64 {
    (not_after - now).div_euclid(DAY)
}

/// How much of the store [`read`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each certificate's and CA certificate's details (dates, names, fingerprint): what
    /// fingerprint checks need.
    Details,
    /// Also the OCSP response stapled with each certificate: what expiry checks need
    /// (`health_summary`).
    Expiry,
    /// Also where each certificate is used (crt-lists, `show ssl sni`, ACME) and the CRL files.
    WhereUsed,
}

/// Reads the store of `t`. `only` limits the details read to one certificate (with
/// [`Scope::WhereUsed`] the lists are still read, to say where it is used). Fails only when
/// `show ssl cert` itself fails (a HAProxy without TLS support answers it with an unknown
/// command).
pub async fn read(
    t: &Target,
    only: Option<&TlsFileName>,
    scope: Scope,
) -> Result<Inventory, RuntimeError> {
    let now = now_epoch();
    let store = t.client.show_ssl_certs().await?;
    let mut inv = Inventory {
        transaction: store.transaction,
        ..Inventory::default()
    };
    let names: Vec<String> = match only {
        Some(n) if store.names.iter().any(|s| s == n.as_str()) => vec![n.to_string()],
        Some(n) => {
            return Err(RuntimeError::Refused {
                kind: RefusalKind::NoSuchTlsFile,
                command: format!("show ssl cert {n}"),
                message: "Can't display the certificate: Not found or the certificate is a bundle!"
                    .to_owned(),
            });
        }
        None => store.names,
    };
    let (uses, frontends) = match scope {
        Scope::Details | Scope::Expiry => (BTreeMap::new(), BTreeMap::new()),
        Scope::WhereUsed => (
            crt_list_uses(t, &mut inv.gaps).await,
            frontends_by_certificate(t, &mut inv).await,
        ),
    };
    // One at a time: HAProxy serves these under a try-lock of its certificate store, and
    // answers `Can't show!` to a second one that arrives while the first is being dumped.
    let mut details = Vec::with_capacity(names.len());
    for name in &names {
        details.push(match TlsFileName::new(name.clone()) {
            Ok(n) => t
                .client
                .show_ssl_cert(&n, false)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        });
    }
    for (name, detail) in names.iter().zip(details) {
        match detail {
            Ok(d) => {
                let mut entry = entry(name.clone(), CertKind::Server, &d, now);
                if scope != Scope::Details {
                    entry.ocsp = stapled(t, name, &d, now, &mut inv.gaps).await;
                }
                entry.crt_lists = uses.get(name).cloned().unwrap_or_default();
                entry.frontends = frontends.get(name).cloned().unwrap_or_default();
                inv.certificates.push(entry);
            }
            Err(e) => inv.gaps.push(format!("{name}: {e}")),
        }
    }
    if scope == Scope::WhereUsed {
        attach_acme(t, &mut inv).await;
    }
    if only.is_none() {
        read_ca_files(t, now, &mut inv).await;
        if scope == Scope::WhereUsed {
            match t.client.show_crl_files().await {
                Ok(list) => inv.crl_files = list.names,
                Err(e) => inv.gaps.push(format!("CRL files: {e}")),
            }
        }
    }
    inv.certificates
        .sort_by_key(|c| (c.days_left.unwrap_or(i64::MAX), c.name.clone()));
    Ok(inv)
}

/// Attaches `acme status` (3.2+) to the certificates it names. Older versions do not know the
/// command; a socket below admin level cannot read it (recorded in `gaps`).
async fn attach_acme(t: &Target, inv: &mut Inventory) {
    let rows = match t.client.acme_status().await {
        Ok(rows) => rows,
        Err(e) => {
            match e.refusal() {
                Some(RefusalKind::UnknownCommand) => {}
                _ => inv.gaps.push(format!("ACME: {e}")),
            }
            return;
        }
    };
    for row in rows {
        if let Some(c) = inv
            .certificates
            .iter_mut()
            .find(|c| c.name == row.certificate)
        {
            c.acme = Some(AcmeBrief {
                section: row.section,
                state: row.state,
                renewal: row.scheduled,
            });
        }
    }
}

/// The OCSP response stapled with a certificate whose details name one (`OCSP Response Key`);
/// a response that cannot be read is recorded in `gaps` and kept with its key only.
async fn stapled(
    t: &Target,
    name: &str,
    d: &CertDetails,
    now: i64,
    gaps: &mut Vec<String>,
) -> Option<OcspBrief> {
    let key = OcspKey::new(d.ocsp_key.clone()?).ok()?;
    match t.client.show_ocsp_response(&key).await {
        Ok(resp) => Some(OcspBrief::new(&key, &resp, now)),
        Err(e) => {
            gaps.push(format!("{name}: OCSP response: {e}"));
            Some(OcspBrief {
                key: key.to_string(),
                ..OcspBrief::default()
            })
        }
    }
}

/// The frontends serving each certificate (`show ssl sni`, 3.2+); records in `inv` whether
/// that could be read.
async fn frontends_by_certificate(
    t: &Target,
    inv: &mut Inventory,
) -> BTreeMap<String, Vec<String>> {
    let mut by_cert: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Ok(rows) = t.client.show_ssl_sni().await {
        inv.frontends_known = true;
        for row in rows {
            let fes = by_cert.entry(row.certificate).or_default();
            if !fes.contains(&row.frontend) {
                fes.push(row.frontend);
            }
        }
    }
    by_cert
}

/// The crt-list lines, by certificate.
async fn crt_list_uses(t: &Target, gaps: &mut Vec<String>) -> BTreeMap<String, Vec<CrtListUse>> {
    let mut uses: BTreeMap<String, Vec<CrtListUse>> = BTreeMap::new();
    let lists = match t.client.show_crt_lists().await {
        Ok(l) => l,
        Err(e) => {
            gaps.push(format!("crt-lists: {e}"));
            return uses;
        }
    };
    for list in lists {
        let Ok(name) = TlsFileName::new(list.clone()) else {
            continue;
        };
        match t.client.show_crt_list(&name).await {
            Ok(l) => {
                for CrtListEntry {
                    certificate,
                    line,
                    options,
                    snis,
                    excluded_snis,
                } in l.entries
                {
                    uses.entry(certificate).or_default().push(CrtListUse {
                        crt_list: list.clone(),
                        line,
                        snis,
                        excluded_snis,
                        options: options.filter(|o| !o.is_empty()),
                    });
                }
            }
            Err(e) => gaps.push(format!("crt-list {list}: {e}")),
        }
    }
    uses
}

/// The CA files and their certificates (the OS bundle is counted, not detailed).
async fn read_ca_files(t: &Target, now: i64, inv: &mut Inventory) {
    let files = match t.client.show_ca_files().await {
        Ok(f) => f.files,
        Err(e) => {
            inv.gaps.push(format!("CA files: {e}"));
            return;
        }
    };
    for file in files {
        inv.ca_files.push((file.name.clone(), file.certificates));
        if file.name == SYSTEM_CA {
            continue;
        }
        let Ok(name) = TlsFileName::new(file.name.clone()) else {
            continue;
        };
        match t.client.show_ca_file(&name, false).await {
            Ok(certs) => {
                for (i, d) in certs.iter().enumerate() {
                    let mut e = entry(format!("{}:{}", file.name, i + 1), CertKind::Ca, d, now);
                    e.status = None;
                    inv.certificates.push(e);
                }
            }
            Err(e) => inv.gaps.push(format!("CA file {}: {e}", file.name)),
        }
    }
}

/// One entry from HAProxy's details.
fn entry(name: String, kind: CertKind, d: &CertDetails, now: i64) -> CertEntry {
    let days = d.not_after_epoch.map(|n| days_left(n, now));
    CertEntry {
        name,
        kind,
        status: d.status.clone(),
        subject: d.subject.clone(),
        sans: d.sans.clone(),
        issuer: d.issuer.clone(),
        serial: d.serial.clone(),
        not_before: d.not_before.clone(),
        not_after: d.not_after.clone(),
        days_left: days,
        expired: d.not_after_epoch.is_some_and(|n| n <= now),
        key: d.algorithm.clone(),
        sha1: d.sha1.clone(),
        chain: d.chain.iter().map(|c| c.subject.clone()).collect(),
        crt_lists: Vec::new(),
        frontends: Vec::new(),
        ocsp: None,
        acme: None,
    }
}

/// One line per certificate expired or expiring within `days`, soonest first, e.g.
/// `/etc/haproxy/old.pem (legacy.example.test) expired 1070 days ago`; then one per stapled
/// OCSP response that is revoked, stale or due within a day.
pub fn expiry_problems(certs: &[CertEntry], days: i64) -> Vec<String> {
    let ocsp = certs.iter().filter_map(|c| {
        let problem = c.ocsp.as_ref()?.problem()?;
        Some(format!("{}: {problem}", c.name))
    });
    let acme = certs.iter().filter_map(|c| {
        let a = c.acme.as_ref().filter(|a| a.state == "Stopped")?;
        Some(format!(
            "{}: ACME renewal (section {}) is stopped: the scheduler is off, so only `acme renew` renews it",
            c.name, a.section
        ))
    });
    certs
        .iter()
        .filter(|c| c.days_left.is_some_and(|d| d < days) || c.expired)
        .map(|c| {
            let who = c
                .sans
                .first()
                .cloned()
                .or_else(|| c.subject.clone())
                .unwrap_or_default();
            let when = match c.days_left {
                _ if c.expired => {
                    format!("expired {} days ago", c.days_left.map_or(0, |d| -d).max(0))
                }
                Some(0) => "expires within a day".to_owned(),
                Some(d) => format!("expires in {d} days"),
                None => "expiry unknown".to_owned(),
            };
            let ca = if c.kind == CertKind::Ca { "CA " } else { "" };
            format!("{ca}{} ({who}) {when}", c.name)
        })
        .chain(ocsp)
        .chain(acme)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocsp_problems_name_revoked_stale_and_due() {
        let key = OcspKey::new("303b").unwrap();
        let resp = |status, next: Option<i64>| OcspResponse {
            response_status: "successful (0x0)".into(),
            responder: None,
            produced_at: None,
            cert_status: Some(status),
            revocation_time: None,
            revocation_reason: None,
            this_update: None,
            next_update: next.map(|n| n.to_string()),
            next_update_epoch: next,
        };
        let now = 100 * DAY;
        let good = OcspBrief::new(&key, &resp(CertStatus::Good, Some(now + 3 * DAY)), now);
        assert_eq!(
            (good.days_left, good.stale, good.problem()),
            (Some(3), false, None)
        );
        let due = OcspBrief::new(&key, &resp(CertStatus::Good, Some(now + 60)), now);
        assert!(due.problem().unwrap().contains("within a day"));
        let stale = OcspBrief::new(&key, &resp(CertStatus::Good, Some(now - 2 * DAY)), now);
        assert!(stale.stale);
        assert!(stale.problem().unwrap().contains("expired 2 days ago"));
        let revoked = OcspBrief::new(&key, &resp(CertStatus::Revoked, None), now);
        assert!(revoked.problem().unwrap().contains("revoked"));
        // No next update: never stale by date.
        let open = OcspBrief::new(&key, &resp(CertStatus::Good, None), now);
        assert_eq!(open.problem(), None);
    }

    #[test]
    fn days_round_down_and_go_negative() {
        assert_eq!(days_left(10 * DAY + 5, 0), 10);
        assert_eq!(days_left(DAY - 1, 0), 0);
        assert_eq!(days_left(-1, 0), -1);
    }
}
