//! TLS certificates: list_certificates (inventory, expiry, where each is used) and
//! rotate_certificate (replace one without a reload, all or nothing); add_certificate and
//! remove_certificate ([`store`]); refresh_ocsp_response ([`ocsp`]); renew_acme_certificate
//! ([`acme`]). The certificates toolset.
//!
//! Rotation reads the new PEM from a file in the operator's `--certificates-dir`, so a private
//! key never passes through the assistant, and never appears in an answer, a log line, an audit
//! record or an error: the answer and the audit carry the SHA-256 of what was sent.

use std::path::{Path, PathBuf};

mod acme;
mod ca_file;
mod crl_file;
mod ocsp;
mod store;
mod trust_file;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{default_limit, limit_or, out};
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::command::{MAX_LINE_BYTES, Payload};
use crate::haproxy::parse::ssl::{CertDetails, TransactionStart};
use crate::mcp::answer::{Answer, ToolError, ToolResult, Truncation, truncate};
use crate::mcp::cert_inventory::{self, CertEntry, days_left, expiry_problems, now_epoch};
use crate::mcp::explain::{Subject, checked, list_or_none};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::secret_file;
use crate::mcp::targets::Target;
use trust_file::TrustFile;

/// Largest certificate file read (a leaf, three intermediates and a 4096-bit key are ~10 KB).
const MAX_PEM_FILE_BYTES: u64 = 64 * 1024;

/// Arguments of list_certificates.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListCertificatesArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only those expiring within N days (expired included).
    #[serde(default)]
    #[schemars(range(max = 36500))]
    pub expiring_within_days: Option<u32>,
    /// Only this one.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Most certificates listed (default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// list_certificates' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListCertificatesOut {
    /// The target read.
    pub target: String,
    /// Certificates, soonest expiry first.
    pub certificates: Vec<CertEntry>,
    /// How many were shown, of how many matched.
    #[serde(flatten)]
    pub truncation: Truncation,
    /// The certificate an uncommitted change is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_transaction: Option<String>,
    /// CA files (`name: count`).
    pub ca_files: Vec<String>,
    /// CRL files.
    pub crl_files: Vec<String>,
    /// Whether `frontends` is filled (HAProxy 3.2+).
    pub frontends_known: bool,
    /// What could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
}

/// Arguments of rotate_certificate.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RotateArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The certificate, CA or CRL file (list_certificates).
    pub certificate: String,
    /// PEM (cert, chain, key) in the certificates folder.
    pub file: String,
    /// Accept earlier expiry, chain gap, dropped names, not yet valid.
    #[serde(default)]
    pub force: bool,
    /// New CA/CRL file (kind from the PEM).
    #[serde(default)]
    pub create: bool,
}

/// A certificate before or after the change (all empty: no certificate).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct CertBrief {
    /// Subject.
    pub subject: Option<String>,
    /// Subject alternative names.
    pub sans: Vec<String>,
    /// Serial.
    pub serial: Option<String>,
    /// notAfter.
    pub not_after: Option<String>,
    /// Days until notAfter.
    pub days_left: Option<i64>,
    /// SHA-1 fingerprint.
    pub sha1: Option<String>,
}

/// rotate_certificate's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RotateOut {
    /// The target changed.
    pub target: String,
    /// The certificate replaced.
    pub certificate: String,
    /// SHA-256 of the PEM sent (the key is never shown).
    pub sent_sha256: String,
    /// What HAProxy served before (a CA file: its first certificate to expire; a CRL file: the
    /// list that goes stale first, its issuer and next update).
    pub before: CertBrief,
    /// What it serves now, read back (as `before`).
    pub after: CertBrief,
    /// Checks that failed but were accepted with force.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<String>,
}

fn brief(d: &CertDetails, now: i64) -> CertBrief {
    CertBrief {
        subject: d.subject.clone(),
        sans: d.sans.clone(),
        serial: d.serial.clone(),
        not_after: d.not_after.clone(),
        days_left: d.not_after_epoch.map(|n| days_left(n, now)),
        sha1: d.sha1.clone(),
    }
}

/// Whether `pattern` (a SAN, possibly `*.domain`) covers `name`.
fn covers(pattern: &str, name: &str) -> bool {
    if pattern.eq_ignore_ascii_case(name) {
        return true;
    }
    match (pattern.strip_prefix("*."), name.split_once('.')) {
        (Some(domain), Some((label, rest))) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(domain)
        }
        _ => false,
    }
}

/// The checks a new certificate must pass before it is committed: (soft problems that `force`
/// accepts, hard problems it does not).
fn rotation_problems(
    current: &CertDetails,
    new: &CertDetails,
    now: i64,
) -> (Vec<String>, Vec<String>) {
    let (mut soft, mut hard) = (Vec::new(), Vec::new());
    match (new.not_after_epoch, current.not_after_epoch) {
        (Some(n), _) if n <= now => hard.push(format!(
            "the new certificate has already expired ({})",
            new.not_after.as_deref().unwrap_or("?")
        )),
        (Some(n), Some(c)) if n <= c => soft.push(format!(
            "the new certificate expires no later than the current one ({} vs {})",
            new.not_after.as_deref().unwrap_or("?"),
            current.not_after.as_deref().unwrap_or("?")
        )),
        (None, _) => hard.push("HAProxy shows no notAfter for the new certificate".to_owned()),
        _ => {}
    }
    if new.not_before_epoch.is_some_and(|b| b > now) {
        soft.push(format!(
            "the new certificate is not valid yet (notBefore {})",
            new.not_before.as_deref().unwrap_or("?")
        ));
    }
    let mut gaps = new.chain_gaps();
    // No chain at all: fine for a self-signed certificate, or one issued straight by a root
    // clients trust — but not when the current one needed a chain from the same issuer.
    if new.chain.is_empty()
        && !new.is_self_signed()
        && !current.chain.is_empty()
        && current.issuer == new.issuer
    {
        gaps.push(new.issuer.clone().unwrap_or_default());
    }
    if !gaps.is_empty() {
        soft.push(format!(
            "the chain is incomplete: no certificate in the file for issuer {}",
            gaps.join(", ")
        ));
    }
    let dropped: Vec<&str> = current
        .sans
        .iter()
        .filter(|old| !new.sans.iter().any(|n| covers(n, old)))
        .map(String::as_str)
        .collect();
    if !dropped.is_empty() {
        soft.push(format!(
            "the new certificate does not cover {} (the current one does)",
            dropped.join(", ")
        ));
    }
    (soft, hard)
}

/// Reads `file` from `dir` (relative, no `..`, must stay inside once links are resolved) and
/// turns it into payload lines: CRs and blank lines dropped (a blank line would end HAProxy's
/// payload). Errors never quote the file's content.
fn read_pem(dir: &Path, file: &str) -> Result<(PathBuf, Vec<String>), String> {
    let (path, bytes) = secret_file::read_in_folder(dir, file, MAX_PEM_FILE_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{file:?} is not a PEM file (it is not text)"))?;
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !lines
        .iter()
        .any(|l| l == "-----BEGIN CERTIFICATE-----" || l == "-----BEGIN X509 CRL-----")
    {
        return Err(format!(
            "{file:?} holds no `-----BEGIN CERTIFICATE-----` (or, for a CRL file, `-----BEGIN X509 CRL-----`) block; give the PEM with the certificate, its chain and its private key"
        ));
    }
    Ok((path, lines))
}

/// The `set ssl cert <name>` payload of `file` in `dir` and its SHA-256 (what answers and the
/// audit show instead of the key), or why it cannot be sent. The file is read off the async
/// workers.
async fn pem_payload(
    dir: &Path,
    file: &str,
    name: &TlsFileName,
) -> Result<(String, Payload), String> {
    let (dir, file_owned, name) = (dir.to_owned(), file.to_owned(), name.clone());
    tokio::task::spawn_blocking(move || pem_payload_now(&dir, &file_owned, &name))
        .await
        .unwrap_or_else(|e| Err(format!("reading {file} failed ({e})")))
}

/// [`pem_payload`], on the calling thread.
fn pem_payload_now(
    dir: &Path,
    file: &str,
    name: &TlsFileName,
) -> Result<(String, Payload), String> {
    let (_, lines) = read_pem(dir, file)?;
    let sha256 = payload_sha256(&lines);
    let pem = Payload::new(lines).map_err(|e| e.to_string())?;
    let size = pem.encoded_len() + name.as_str().len() + 20;
    if size > MAX_LINE_BYTES {
        return Err(format!(
            "{file} is {size} bytes once framed; HAProxy 2.6 to 3.2 take at most 16,383 bytes in one CLI command with the default tune.bufsize (2.6 can crash past it), so this client sends at most {MAX_LINE_BYTES}. Drop what HAProxy does not need (the root CA, comments)"
        ));
    }
    Ok((sha256, pem))
}

/// Hex SHA-256 of the payload as sent: each line and its LF.
fn payload_sha256(lines: &[String]) -> String {
    let sent: String = lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect();
    secret_file::sha256_hex(sent.as_bytes())
}

/// What a name that is not a certificate is in HAProxy's TLS store.
enum TrustEntry {
    /// A CA file.
    Ca,
    /// A CRL file.
    Crl,
    /// Nothing: every name the store holds (certificates, then CA and CRL files), for the error.
    Absent(Vec<String>),
}

/// Looks `name` up among the CA files, then the CRL files; `certificates` are the certificate
/// store's names, already read, which [`TrustEntry::Absent`] lists first.
async fn trust_entry(
    t: &Target,
    name: &TlsFileName,
    certificates: Vec<String>,
) -> Result<TrustEntry, ToolError> {
    let cas = checked(t, Subject::Nothing, ca_file::CaFile::names(t).await).await?;
    if cas.iter().any(|n| n == name.as_str()) {
        return Ok(TrustEntry::Ca);
    }
    let crls = checked(t, Subject::Nothing, crl_file::CrlKind::names(t).await).await?;
    if crls.iter().any(|n| n == name.as_str()) {
        return Ok(TrustEntry::Crl);
    }
    let mut known = certificates;
    known.extend(cas);
    known.extend(crls);
    Ok(TrustEntry::Absent(known))
}

/// rotate_certificate with `create`: a new CA file, or a CRL file when the PEM holds a
/// revocation list, made and filled all or nothing. Refused before anything is sent when the
/// name is taken (`certificates`: the certificate store's names) or the PEM holds a private key.
async fn create_trust_file(
    t: &Target,
    name: &TlsFileName,
    pem: Payload,
    sent_sha256: String,
    args: &RotateArgs,
    certificates: Vec<String>,
) -> ToolResult<RotateOut> {
    let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
    let taken = certificates.iter().any(|n| n == name.as_str())
        || !matches!(
            trust_entry(t, name, Vec::new()).await?,
            TrustEntry::Absent(_)
        );
    if taken {
        return Err(fail(format!(
            "{name} already exists in HAProxy's TLS store; call without create to replace it. Nothing was sent."
        )));
    }
    if pem.lines().iter().any(|l| l.ends_with("PRIVATE KEY-----")) {
        return Err(fail(format!(
            "{} holds a private key, which a CA or CRL file never needs; give a PEM with only the CA certificates (or the revocation list). Nothing was sent.",
            args.file
        )));
    }
    let crl = pem.lines().iter().any(|l| l == "-----BEGIN X509 CRL-----");
    let rotation = trust_file::Rotation {
        name,
        pem,
        sent_sha256,
        file: &args.file,
        force: args.force,
        created: true,
        now: now_epoch(),
    };
    let made = t.client.new_ssl_trust_file(name, crl).await;
    if crl {
        trust_file::create::<crl_file::CrlKind>(t, rotation, made).await
    } else {
        trust_file::create::<ca_file::CaFile>(t, rotation, made).await
    }
}

/// `set ssl cert <name>` with `pem`, then the uncommitted certificate read back (`show ssl cert
/// *<name>`). On failure: the error, and whether our transaction is left open (the caller undoes
/// it, and whatever else it did). A change another caller opened at the same moment, which 2.6
/// merges a `.pem` into whatever its name, is aborted rather than committed as a mix.
async fn stage(
    t: &Target,
    name: &TlsFileName,
    pem: Payload,
) -> Result<CertDetails, (ToolError, bool)> {
    let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
    match t.client.set_ssl_cert(name, pem).await {
        Ok((TransactionStart::Created, about)) if about == name.as_str() => {}
        Ok((_, about)) => {
            let note = match TlsFileName::new(about.clone()) {
                Ok(other) => abort(t, &other).await,
                Err(_) => String::new(),
            };
            return Err((
                fail(format!(
                    "Another certificate change (for {about}) was opened at the same moment and HAProxy merged ours into it; nothing was committed. {note}"
                )),
                false,
            ));
        }
        Err(e) => {
            let err = checked::<()>(t, Subject::Nothing, Err(e))
                .await
                .unwrap_err();
            return Err((
                err.with_note("The file was not taken: no transaction was opened."),
                false,
            ));
        }
    }
    t.client.show_ssl_cert(name, true).await.map_err(|e| {
        (
            fail(format!("Could not read the new certificate back ({e}).")),
            true,
        )
    })
}

/// Whether HAProxy's open certificate transaction is the one on `name` (after a failed commit,
/// HAProxy may have closed it itself).
async fn transaction_open_on(t: &Target, name: &TlsFileName) -> bool {
    t.client
        .show_ssl_certs()
        .await
        .is_ok_and(|s| s.transaction.as_deref() == Some(name.as_str()))
}

/// Drops the open transaction on `name` after a failed step; says whether that worked.
async fn abort(t: &Target, name: &TlsFileName) -> String {
    match t.client.abort_ssl_cert(name).await {
        Ok(()) => "The transaction was aborted: nothing changed.".to_owned(),
        Err(e) => format!(
            "Aborting the transaction failed too ({e}); check list_certificates for an open transaction."
        ),
    }
}

#[tool_router(router = certificates_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// The TLS inventory.
    #[tool(
        description = "TLS certificates, soonest expiry first: subject, SANs, issuer, days left, chain, OCSP, ACME (3.2+); crt-list lines, SNIs and (3.2+) frontends using each; CA and CRL files.",
        annotations(title = "List certificates", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ListCertificatesOut>()
    )]
    async fn list_certificates(
        &self,
        Parameters(args): Parameters<ListCertificatesArgs>,
    ) -> ToolResult<ListCertificatesOut> {
        let t = &self.target(args.target.as_deref())?;
        let only = args
            .certificate
            .as_deref()
            .map(TlsFileName::new)
            .transpose()
            .map_err(|e| ToolError::new(format!("[{}] {e}", t.name)))?;
        let inv = checked(
            t,
            Subject::Nothing,
            cert_inventory::read(t, only.as_ref(), cert_inventory::Scope::WhereUsed).await,
        )
        .await?;
        let all = inv.certificates.len();
        let matching: Vec<CertEntry> = match args.expiring_within_days {
            Some(days) => inv
                .certificates
                .into_iter()
                .filter(|c| c.expired || c.days_left.is_some_and(|d| d < i64::from(days)))
                .collect(),
            None => inv.certificates,
        };
        let problems = expiry_problems(
            &matching,
            i64::from(args.expiring_within_days.unwrap_or(30)),
        );
        let (certificates, truncation) =
            truncate(matching, limit_or(args.limit, default_limit::LISTED));
        let mut summary = match args.expiring_within_days {
            Some(d) => format!(
                "[{}] {} of {all} certificates expire within {d} days or have expired",
                t.name, truncation.total
            ),
            None if all == 1 => format!("[{}] 1 certificate", t.name),
            None => format!("[{}] {all} certificates", t.name),
        };
        if problems.is_empty() {
            summary.push_str(if args.expiring_within_days.is_none() {
                "; none expired or expiring within 30 days."
            } else {
                "."
            });
        } else {
            summary.push_str(&format!(": {}.", problems.join("; ")));
        }
        summary.push_str(&truncation.suffix());
        if let Some(open) = &inv.transaction {
            summary.push_str(&format!(
                " An uncommitted certificate change is open for {open}."
            ));
        }
        if !inv.frontends_known {
            summary.push_str(
                " This HAProxy (before 3.2) does not say which frontends serve a certificate; crt-list lines are listed.",
            );
        }
        Ok(Answer::new(
            summary,
            ListCertificatesOut {
                target: t.name.clone(),
                certificates,
                truncation,
                open_transaction: inv.transaction,
                ca_files: inv
                    .ca_files
                    .iter()
                    .map(|(n, c)| format!("{n}: {c}"))
                    .collect(),
                crl_files: inv.crl_files,
                frontends_known: inv.frontends_known,
                gaps: inv.gaps,
            },
        ))
    }

    /// Hot certificate rotation.
    #[tool(
        description = "Replace a certificate, CA or CRL file without a reload, all or nothing: PEM from the certificates folder, checked (key, expiry, chain, names), committed, read back. Runtime only.",
        annotations(title = "Rotate certificate", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<RotateOut>()
    )]
    async fn rotate_certificate(
        &self,
        Parameters(args): Parameters<RotateArgs>,
    ) -> ToolResult<RotateOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let Some(dir) = self.settings().certificates_dir.as_deref() else {
            return Err(fail(
                "Certificate rotation is off: this server was started without a certificates folder. Start it with --certificates-dir <folder> (or HAPROXY_MCP_CERTIFICATES_DIR), put the new PEM there, and name it in `file`. Nothing was sent.".to_owned(),
            ));
        };
        let name = TlsFileName::new(args.certificate.as_str()).map_err(|e| fail(e.to_string()))?;
        let (sent_sha256, pem) = pem_payload(dir, &args.file, &name)
            .await
            .map_err(|m| fail(format!("{m}. Nothing was sent.")))?;
        let store = checked(t, Subject::Nothing, t.client.show_ssl_certs().await).await?;
        if args.create {
            return create_trust_file(t, &name, pem, sent_sha256, &args, store.names).await;
        }
        if !store.names.iter().any(|n| n == name.as_str()) {
            // CA and CRL files go through transactions of their own (`set ssl ca-file|crl-file`).
            let rotation = trust_file::Rotation {
                name: &name,
                pem,
                sent_sha256,
                file: &args.file,
                force: args.force,
                created: false,
                now: now_epoch(),
            };
            let known = match trust_entry(t, &name, store.names).await? {
                TrustEntry::Ca => return trust_file::rotate::<ca_file::CaFile>(t, rotation).await,
                TrustEntry::Crl => {
                    return trust_file::rotate::<crl_file::CrlKind>(t, rotation).await;
                }
                TrustEntry::Absent(known) => known,
            };
            let (known, _) = truncate(known, 20);
            return Err(fail(format!(
                "HAProxy holds no certificate, CA or CRL file named {name}; it holds: {}. Name one as list_certificates shows it (the path it was loaded from). Nothing was sent.",
                list_or_none(&known)
            )));
        }
        if let Some(open) = &store.transaction {
            return Err(fail(format!(
                "A certificate change is already open for {open} (another operator's, or an interrupted one); HAProxy allows one at a time. Nothing was sent. Wait for it, or if it is abandoned run `abort ssl cert {open}` on the Runtime API."
            )));
        }
        let now = now_epoch();
        let current = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await?;
        let pending = match stage(t, &name, pem).await {
            Ok(p) => p,
            Err((err, open)) => {
                let undo = if open {
                    abort(t, &name).await
                } else {
                    "Nothing changed.".to_owned()
                };
                return Err(err.with_note(undo));
            }
        };
        let (soft, hard) = rotation_problems(&current, &pending, now);
        if !hard.is_empty() || (!soft.is_empty() && !args.force) {
            let note = abort(t, &name).await;
            let all: Vec<String> = hard.iter().chain(&soft).cloned().collect();
            let hint = if hard.is_empty() {
                " If this is intended, call again with force=true."
            } else {
                ""
            };
            return Err(fail(format!(
                "Not committed: {}. {note}{hint}",
                all.join("; ")
            )));
        }
        if let Err(e) = t.client.commit_ssl_cert(&name).await {
            let note = if transaction_open_on(t, &name).await {
                abort(t, &name).await
            } else {
                "HAProxy closed the transaction itself.".to_owned()
            };
            let served = t.client.show_ssl_cert(&name, false).await.ok();
            let unchanged = served.as_ref().and_then(|s| s.sha1.as_ref()) == current.sha1.as_ref();
            let verdict = if unchanged {
                "It still serves the previous certificate (fingerprint read back)."
            } else {
                "Read the certificate back with list_certificates: the fingerprint could not be confirmed unchanged."
            };
            return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                "HAProxy refused to commit the new certificate. {note} {verdict}"
            )));
        }
        let after = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await?;
        if after.sha1 != pending.sha1 {
            return Err(fail(format!(
                "HAProxy answered Success! but {name} now has fingerprint {} instead of the new {}; check list_certificates.",
                after.sha1.as_deref().unwrap_or("?"),
                pending.sha1.as_deref().unwrap_or("?")
            )));
        }
        let before = brief(&current, now);
        let after = brief(&after, now);
        let forced = soft;
        let mut summary = format!(
            "[{}] {name} replaced without a reload: notAfter {} → {} ({} days left), fingerprint {} → {} (read back). Sent {} (SHA-256 {sent_sha256}).",
            t.name,
            before.not_after.as_deref().unwrap_or("?"),
            after.not_after.as_deref().unwrap_or("?"),
            after.days_left.unwrap_or(0),
            before.sha1.as_deref().unwrap_or("?"),
            after.sha1.as_deref().unwrap_or("?"),
            args.file,
        );
        if !forced.is_empty() {
            summary.push_str(&format!(" Accepted with force: {}.", forced.join("; ")));
        }
        // A crt-store alias (`@store/alias`) is no file: the store names the files it loaded.
        let crt_file = current.crt_file.as_ref().filter(|f| *f != name.as_str());
        let key_file = current.key_file.as_ref().filter(|k| Some(*k) != crt_file);
        let on_disk = match (crt_file, key_file) {
            (Some(crt), Some(key)) => format!(
                "the crt-store's files {crt} and {key} are unchanged, so put the new certificate (with its chain) in {crt} and its key in {key}"
            ),
            (Some(crt), None) => {
                format!("the crt-store's file {crt} is unchanged, so copy the new file there")
            }
            // 3.0 names an alias's files nowhere on the Runtime API.
            _ if name.as_str().starts_with('@') => format!(
                "{name} is a crt-store alias, so put the new certificate and key in the files its crt-store section loads (this HAProxy does not name them)"
            ),
            _ => format!("{name} on disk is unchanged, so copy the new file there"),
        };
        summary.push_str(&format!(
            " Runtime only: HAProxy serves it from memory; {on_disk} before the next reload or the old certificate comes back."
        ));
        Ok(Answer::new(
            summary,
            RotateOut {
                target: t.name.clone(),
                certificate: name.to_string(),
                sent_sha256,
                before,
                after,
                forced,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(not_after: i64, sans: &[&str], issuer: &str, chain: &[&str]) -> CertDetails {
        CertDetails {
            not_after_epoch: Some(not_after),
            not_after: Some(not_after.to_string()),
            sans: sans.iter().map(|s| s.to_string()).collect(),
            subject: Some("/CN=leaf".to_owned()),
            issuer: Some(issuer.to_owned()),
            chain: chain
                .iter()
                .map(|s| crate::haproxy::parse::ssl::ChainLink {
                    subject: s.to_string(),
                    issuer: "/CN=Root".to_owned(),
                })
                .collect(),
            ..CertDetails::default()
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.test", "www.example.test"));
        assert!(!covers("*.example.test", "a.b.example.test"));
        assert!(!covers("*.example.test", "example.test"));
        assert!(covers("Example.test", "example.TEST"));
    }

    #[test]
    fn rotation_checks() {
        let now = 1_000;
        let cur = cert(5_000, &["a.test", "b.test"], "/CN=Inter", &["/CN=Inter"]);
        let good = cert(9_000, &["a.test", "b.test"], "/CN=Inter", &["/CN=Inter"]);
        assert_eq!(rotation_problems(&cur, &good, now), (vec![], vec![]));
        let (soft, hard) =
            rotation_problems(&cur, &cert(4_000, &["*.test"], "/CN=Inter", &[]), now);
        assert!(hard.is_empty());
        assert_eq!(soft.len(), 2, "{soft:?}"); // earlier expiry, chain gap; *.test covers both
        let (_, hard) = rotation_problems(
            &cur,
            &cert(900, &["a.test"], "/CN=Inter", &["/CN=Inter"]),
            now,
        );
        assert_eq!(hard.len(), 1);
        let (soft, _) = rotation_problems(
            &cur,
            &cert(9_000, &["a.test"], "/CN=Inter", &["/CN=Inter"]),
            now,
        );
        assert!(soft[0].contains("b.test"), "{soft:?}");
    }

    #[test]
    fn pem_files_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(
            root.join("ok.pem"),
            "-----BEGIN CERTIFICATE-----\r\nQUJD\r\n\r\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let (_, lines) = read_pem(&root, "ok.pem").unwrap();
        assert_eq!(
            lines,
            [
                "-----BEGIN CERTIFICATE-----",
                "QUJD",
                "-----END CERTIFICATE-----"
            ]
        );
        assert!(read_pem(&root, "../ok.pem").is_err());
        assert!(read_pem(&root, "/etc/passwd").is_err());
        std::fs::write(
            root.join("key.pem"),
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n",
        )
        .unwrap();
        let err = read_pem(&root, "key.pem").unwrap_err();
        assert!(!err.contains("c2VjcmV0"), "{err}");
    }
}
