//! add_certificate and remove_certificate: a certificate served on new names, or no longer
//! served, without a reload. Both are all or nothing: every step is read back, and a step
//! HAProxy refuses undoes the ones before it (and says whether that worked).
//!
//! Adding is `new ssl cert` → `set ssl cert` (the PEM from the certificates folder) → checks on
//! the uncommitted certificate → `commit ssl cert` → `add ssl crt-list`; a refusal anywhere
//! deletes the new certificate again. Removing deletes the certificate's crt-list lines (a line
//! that is a bind's default certificate first, since HAProxy refuses that one) and then the
//! certificate; a refusal re-adds the deleted lines.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::ca_file::CaFile;
use super::crl_file::CrlKind;
use super::trust_file::TrustFile;
use super::{CertBrief, TrustEntry, brief, covers, out, trust_entry};
use crate::haproxy::command::args::{CrtListLine, TlsFileName};
use crate::haproxy::error::RefusalKind;
use crate::haproxy::parse::ssl::{CertDetails, CrtListEntry};
use crate::mcp::answer::{Answer, ToolError, ToolResult, truncate};
use crate::mcp::cert_inventory::now_epoch;
use crate::mcp::explain::{Subject, checked, list_or_none};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::targets::Target;

/// Arguments of add_certificate.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddCertArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Name for HAProxy: its path on disk.
    pub certificate: String,
    /// PEM (cert, chain, key) in the certificates folder.
    pub file: String,
    /// The crt-list (list_certificates).
    pub crt_list: String,
    /// SNI filters (`!name` excludes); default: its names.
    #[serde(default)]
    pub sni: Vec<String>,
    /// Line options, e.g. `alpn h2`.
    #[serde(default)]
    pub options: Option<String>,
    /// Accept a chain gap, uncovered SNIs, not yet valid.
    #[serde(default)]
    pub force: bool,
}

/// add_certificate's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddCertOut {
    /// The target changed.
    pub target: String,
    /// The new certificate.
    pub certificate: String,
    /// SHA-256 of the PEM sent (the key is never shown).
    pub sent_sha256: String,
    /// What it serves (read back).
    pub served: CertBrief,
    /// The crt-list line added, as HAProxy shows it (`<cert>:<line> [options] filters`).
    pub crt_list_line: String,
    /// Checks that failed but were accepted with force.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<String>,
    /// What HAProxy warned about while adding the line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Arguments of remove_certificate.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RemoveCertArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// As list_certificates names it.
    pub certificate: String,
}

/// remove_certificate's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RemoveCertOut {
    /// The target changed.
    pub target: String,
    /// The certificate removed.
    pub certificate: String,
    /// The crt-list lines deleted (`<list>: <line as HAProxy showed it>`).
    pub removed_lines: Vec<String>,
    /// What it served until then.
    pub served: CertBrief,
}

/// remove_certificate on a CA or CRL file: `del ssl ca-file|crl-file`, which HAProxy refuses
/// while a bind or crt-list line uses the file or a change to it is open.
async fn remove_trust_file<K: TrustFile>(
    t: &Target,
    name: &TlsFileName,
) -> ToolResult<RemoveCertOut> {
    let (what, keyword) = (K::WHAT, K::KEYWORD);
    if let Err(e) = checked(t, Subject::Nothing, K::delete(t, name).await).await {
        return Err(e.with_note(format!(
            "Nothing was changed. A {what} that binds verify with cannot go at run time: remove the crt-list lines naming it (`{keyword} {name}` in their options) first, or change the configuration and reload."
        )));
    }
    let names = checked(t, Subject::Nothing, K::names(t).await).await?;
    if names.iter().any(|n| n == name.as_str()) {
        return Err(ToolError::new(format!(
            "[{}] HAProxy answered that {what} {name} was deleted, but still lists it; read it with `show ssl {keyword}`.",
            t.name
        )));
    }
    Ok(Answer::new(
        format!(
            "[{}] {what} {name} deleted (read back: HAProxy no longer lists it). Runtime only: a reload loads it again if the configuration names it.",
            t.name
        ),
        RemoveCertOut {
            target: t.name.clone(),
            certificate: name.to_string(),
            removed_lines: Vec::new(),
            served: CertBrief::default(),
        },
    ))
}

/// A crt-list line as HAProxy shows it (`<cert>:<n> [options] filters`).
fn shown(e: &CrtListEntry) -> String {
    let mut s = match e.line {
        Some(n) => format!("{}:{n}", e.certificate),
        None => e.certificate.clone(),
    };
    if let Some(o) = &e.options {
        s.push_str(&format!(" [{o}]"));
    }
    for f in &e.snis {
        s.push_str(&format!(" {f}"));
    }
    for f in &e.excluded_snis {
        s.push_str(&format!(" !{f}"));
    }
    s
}

/// Where a crt-list's line lives in the configuration: the crt-list file, or for HAProxy's
/// implicit list of a frontend's `ssl-f-use` lines (3.2+, named `@<frontend>`) those lines.
fn configured_as(list: &str) -> String {
    match list.strip_prefix('@') {
        Some(frontend) => format!("the ssl-f-use lines of frontend {frontend}"),
        None => list.to_owned(),
    }
}

/// The checks a certificate must pass before it is committed as a new one: (soft problems that
/// `force` accepts, hard problems it does not).
fn new_cert_problems(new: &CertDetails, sni: &[String], now: i64) -> (Vec<String>, Vec<String>) {
    let (mut soft, mut hard) = (Vec::new(), Vec::new());
    match new.not_after_epoch {
        Some(n) if n <= now => hard.push(format!(
            "the certificate has already expired ({})",
            new.not_after.as_deref().unwrap_or("?")
        )),
        None => hard.push("HAProxy shows no notAfter for the certificate".to_owned()),
        _ => {}
    }
    if new.not_before_epoch.is_some_and(|b| b > now) {
        soft.push(format!(
            "the certificate is not valid yet (notBefore {})",
            new.not_before.as_deref().unwrap_or("?")
        ));
    }
    let gaps = new.chain_gaps();
    if !gaps.is_empty() {
        soft.push(format!(
            "the chain is incomplete: no certificate in the file for issuer {}",
            gaps.join(", ")
        ));
    }
    let names = new.names();
    let uncovered: Vec<&str> = sni
        .iter()
        .filter(|f| !f.starts_with('!'))
        .filter(|f| !names.iter().any(|n| covers(n, f) || n == *f))
        .map(String::as_str)
        .collect();
    if !uncovered.is_empty() {
        soft.push(format!(
            "the certificate does not cover {} (its names: {})",
            uncovered.join(", "),
            list_or_none(&names)
        ));
    }
    (soft, hard)
}

/// Undoes a half-made new certificate: aborts its transaction if one is open, deletes it, and
/// checks it is gone. Says what happened.
async fn delete_new(t: &Target, name: &TlsFileName, transaction_open: bool) -> String {
    if transaction_open && let Err(e) = t.client.abort_ssl_cert(name).await {
        return format!(
            "Undoing failed: aborting its open transaction was refused ({e}); {name} stays as an empty certificate nothing serves. Run `abort ssl cert {name}` then `del ssl cert {name}`."
        );
    }
    match t.client.del_ssl_cert(name).await {
        Ok(()) => match t.client.show_ssl_certs().await {
            Ok(s) if !s.names.iter().any(|n| n == name.as_str()) => {
                "The new certificate was deleted again: nothing changed (read back).".to_owned()
            }
            _ => format!(
                "HAProxy said {name} was deleted, but it could not be confirmed; check list_certificates."
            ),
        },
        Err(e) => format!(
            "Undoing failed: deleting {name} again was refused ({e}); nothing serves it, but HAProxy still holds it. Run `del ssl cert {name}`."
        ),
    }
}

/// Re-adds crt-list lines deleted before a later step was refused. Says what happened.
async fn restore_lines(t: &Target, removed: &[(TlsFileName, CrtListEntry)]) -> String {
    if removed.is_empty() {
        return "Nothing was changed.".to_owned();
    }
    let mut restored = Vec::new();
    for (list, entry) in removed {
        let filters: Vec<String> = entry
            .snis
            .iter()
            .cloned()
            .chain(entry.excluded_snis.iter().map(|f| format!("!{f}")))
            .collect();
        let line = TlsFileName::new(entry.certificate.clone())
            .and_then(|c| CrtListLine::new(c, entry.options.as_deref(), &filters));
        let outcome = match line {
            Ok(line) => t.client.add_crt_list_line(list, &line).await.map(drop),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = outcome {
            return format!(
                "Restoring the deleted lines failed at `{}` of {list} ({e}); restored before it: {}. Add the missing lines back with add_certificate or the Runtime API.",
                shown(entry),
                list_or_none(&restored)
            );
        }
        restored.push(format!("{list}: {}", shown(entry)));
    }
    format!(
        "The deleted crt-list lines were added back ({}), at the end of their lists (HAProxy appends), so their line numbers changed.",
        restored.join("; ")
    )
}

#[tool_router(router = certificate_store_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// A new certificate, served on a crt-list.
    #[tool(
        description = "Serve a new certificate without a reload: PEM from the certificates folder, checked, committed, added as a crt-list line; undone on any refusal. Runtime only.",
        annotations(title = "Add certificate", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<AddCertOut>()
    )]
    async fn add_certificate(
        &self,
        Parameters(args): Parameters<AddCertArgs>,
    ) -> ToolResult<AddCertOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let name = TlsFileName::new(args.certificate.as_str()).map_err(|e| fail(e.to_string()))?;
        let list = TlsFileName::new(args.crt_list.as_str())
            .map_err(|e| fail(e.for_argument("crt_list").to_string()))?;
        let line = CrtListLine::new(name.clone(), args.options.as_deref(), &args.sni)
            .map_err(|e| fail(format!("{e}. Nothing was sent.")))?;
        let Some(dir) = self.settings().certificates_dir.as_deref() else {
            return Err(fail(
                "Adding certificates is off: this server was started without a certificates folder. Start it with --certificates-dir <folder> (or HAPROXY_MCP_CERTIFICATES_DIR), put the PEM there, and name it in `file` (`crt_list`, `sni` and `options` are checked against HAProxy once it is on). Nothing was sent.".to_owned(),
            ));
        };
        let (sent_sha256, pem) = super::pem_payload(dir, &args.file, &name)
            .await
            .map_err(|m| fail(format!("{m}. Nothing was sent.")))?;
        let store = checked(t, Subject::Nothing, t.client.show_ssl_certs().await).await?;
        if store.names.iter().any(|n| n == name.as_str()) {
            return Err(fail(format!(
                "HAProxy already holds a certificate named {name}; replace it with rotate_certificate, or choose another name. Nothing was sent."
            )));
        }
        if let Some(open) = &store.transaction {
            return Err(fail(format!(
                "A certificate change is open for {open} (another operator's, or an interrupted one); HAProxy allows one at a time. Nothing was sent. Wait for it, or if it is abandoned run `abort ssl cert {open}` on the Runtime API."
            )));
        }
        let lists = checked(t, Subject::Nothing, t.client.show_crt_lists().await).await?;
        if !lists.iter().any(|l| l == list.as_str()) {
            return Err(fail(format!(
                "HAProxy has no crt-list named {list}; it has: {}. Nothing was sent.",
                list_or_none(&lists)
            )));
        }
        let now = now_epoch();
        checked(t, Subject::Nothing, t.client.new_ssl_cert(&name).await).await?;
        let pending = match super::stage(t, &name, pem).await {
            Ok(p) => p,
            Err((err, open)) => return Err(err.with_note(delete_new(t, &name, open).await)),
        };
        let (soft, hard) = new_cert_problems(&pending, &args.sni, now);
        if !hard.is_empty() || (!soft.is_empty() && !args.force) {
            let undo = delete_new(t, &name, true).await;
            let all: Vec<String> = hard.iter().chain(&soft).cloned().collect();
            let hint = if hard.is_empty() {
                " If this is intended, call again with force=true."
            } else {
                ""
            };
            return Err(fail(format!("Not added: {}. {undo}{hint}", all.join("; "))));
        }
        if let Err(e) = t.client.commit_ssl_cert(&name).await {
            let undo = delete_new(t, &name, super::transaction_open_on(t, &name).await).await;
            return Err(ToolError::runtime(&t.name, &e)
                .with_note(format!("HAProxy refused to commit the certificate. {undo}")));
        }
        let warnings = match t.client.add_crt_list_line(&list, &line).await {
            Ok(w) => w,
            Err(e) => {
                let undo = delete_new(t, &name, false).await;
                return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                    "HAProxy refused the crt-list line `{}`. {undo}",
                    line.render()
                )));
            }
        };
        let entries = checked(t, Subject::Nothing, t.client.show_crt_list(&list).await).await?;
        let Some(added) = entries
            .entries
            .iter()
            .rev()
            .find(|e| e.certificate == name.as_str())
        else {
            return Err(fail(format!(
                "HAProxy answered Success! but {list} shows no line for {name}; check list_certificates."
            )));
        };
        let served = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await?;
        let served = brief(&served, now);
        let crt_list_line = shown(added);
        let mut summary = format!(
            "[{}] {name} is served without a reload: `{crt_list_line}` added to {list} (read back); notAfter {} ({} days left), names {}. Sent {} (SHA-256 {sent_sha256}).",
            t.name,
            served.not_after.as_deref().unwrap_or("?"),
            served.days_left.unwrap_or(0),
            list_or_none(&served.sans),
            args.file,
        );
        if !soft.is_empty() {
            summary.push_str(&format!(" Accepted with force: {}.", soft.join("; ")));
        }
        if !warnings.is_empty() {
            summary.push_str(&format!(" HAProxy warned: {}.", warnings.join("; ")));
        }
        summary.push_str(&format!(
            " Runtime only: copy the PEM to {name} and add the line to {} before the next reload, or it is gone.",
            configured_as(list.as_str())
        ));
        Ok(Answer::new(
            summary,
            AddCertOut {
                target: t.name.clone(),
                certificate: name.to_string(),
                sent_sha256,
                served,
                crt_list_line,
                forced: soft,
                warnings,
            },
        ))
    }

    /// A certificate no longer served.
    #[tool(
        description = "Stop serving a certificate without a reload (its crt-list lines, then it); restored if refused. Also deletes an unused CA/CRL file. Runtime only.",
        annotations(title = "Remove certificate", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<RemoveCertOut>()
    )]
    async fn remove_certificate(
        &self,
        Parameters(args): Parameters<RemoveCertArgs>,
    ) -> ToolResult<RemoveCertOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let name = TlsFileName::new(args.certificate.as_str()).map_err(|e| fail(e.to_string()))?;
        let store = checked(t, Subject::Nothing, t.client.show_ssl_certs().await).await?;
        if !store.names.iter().any(|n| n == name.as_str()) {
            let known = match trust_entry(t, &name, store.names).await? {
                TrustEntry::Ca => return remove_trust_file::<CaFile>(t, &name).await,
                TrustEntry::Crl => return remove_trust_file::<CrlKind>(t, &name).await,
                TrustEntry::Absent(known) => known,
            };
            let (known, _) = truncate(known, 20);
            return Err(fail(format!(
                "HAProxy holds no certificate, CA or CRL file named {name}; it holds: {}. Nothing was changed.",
                list_or_none(&known)
            )));
        }
        if store.transaction.as_deref() == Some(name.as_str()) {
            return Err(fail(format!(
                "A change to {name} is open (uncommitted); wait for it, or abort it, first. Nothing was changed."
            )));
        }
        let served = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await?;
        // Every line serving it, a list's first line (a bind's default certificate, which
        // HAProxy refuses to delete) first, so such a refusal comes before any change.
        let mut lines: Vec<(bool, TlsFileName, CrtListEntry)> = Vec::new();
        for list_name in checked(t, Subject::Nothing, t.client.show_crt_lists().await).await? {
            let list = TlsFileName::new(list_name.clone()).map_err(|e| fail(e.to_string()))?;
            let shown_list =
                checked(t, Subject::Nothing, t.client.show_crt_list(&list).await).await?;
            let first = shown_list.entries.first().and_then(|e| e.line);
            for e in shown_list.entries {
                if e.certificate == name.as_str() {
                    lines.push((e.line == first, list.clone(), e));
                }
            }
        }
        lines.sort_by_key(|(first, _, _)| !first);
        let mut removed: Vec<(TlsFileName, CrtListEntry)> = Vec::new();
        for (_, list, entry) in lines {
            let Some(n) = entry.line else {
                let undo = restore_lines(t, &removed).await;
                return Err(fail(format!(
                    "{list} shows a line for {name} without a line number; cannot delete it safely. {undo}"
                )));
            };
            if let Err(e) = t.client.del_crt_list_line(&list, &name, n).await {
                let undo = restore_lines(t, &removed).await;
                return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                    "HAProxy refused to delete `{}` from {list}. {undo}",
                    shown(&entry)
                )));
            }
            removed.push((list, entry));
        }
        if let Err(e) = t.client.del_ssl_cert(&name).await {
            let why = if e.refusal() == Some(RefusalKind::InUse) {
                " A bind uses it directly (`crt` in the configuration), which only a configuration change and reload can end."
            } else {
                ""
            };
            let undo = restore_lines(t, &removed).await;
            return Err(ToolError::runtime(&t.name, &e)
                .with_note(format!("HAProxy kept the certificate.{why} {undo}")));
        }
        let after = checked(t, Subject::Nothing, t.client.show_ssl_certs().await).await?;
        if after.names.iter().any(|n| n == name.as_str()) {
            return Err(fail(format!(
                "HAProxy answered that {name} was deleted, but still lists it; check list_certificates."
            )));
        }
        let removed_lines: Vec<String> = removed
            .iter()
            .map(|(list, e)| format!("{list}: {}", shown(e)))
            .collect();
        let mut in_config: Vec<String> = Vec::new();
        for (list, _) in &removed {
            let place = configured_as(list.as_str());
            if !in_config.contains(&place) {
                in_config.push(place);
            }
        }
        let summary = format!(
            "[{}] {name} is no longer served: {} crt-list line(s) deleted ({}) and the certificate deleted (read back). Runtime only: before the next reload remove it from {} and its file, or it comes back.",
            t.name,
            removed_lines.len(),
            list_or_none(&removed_lines),
            list_or_none(&in_config),
        );
        Ok(Answer::new(
            summary,
            RemoveCertOut {
                target: t.name.clone(),
                certificate: name.to_string(),
                removed_lines,
                served: brief(&served, now_epoch()),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_certificates_must_cover_their_snis() {
        let now = 1_000_000;
        let cert = CertDetails {
            not_after_epoch: Some(now + 86_400 * 60),
            sans: vec!["new.example.test".into(), "*.shop.test".into()],
            ..CertDetails::default()
        };
        let sni = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (soft, hard) = new_cert_problems(
            &cert,
            &sni(&["new.example.test", "a.shop.test", "!x.shop.test"]),
            now,
        );
        assert!(soft.is_empty() && hard.is_empty(), "{soft:?} {hard:?}");
        let (soft, _) = new_cert_problems(&cert, &sni(&["other.test"]), now);
        assert!(soft[0].contains("does not cover other.test"), "{soft:?}");
        let cn_only = CertDetails {
            sans: vec![],
            subject: Some("/O=Shop/CN=cn.example.test".into()),
            ..cert.clone()
        };
        assert!(
            new_cert_problems(&cn_only, &sni(&["cn.example.test"]), now)
                .0
                .is_empty()
        );
        let expired = CertDetails {
            not_after_epoch: Some(now - 1),
            ..cert.clone()
        };
        assert_eq!(new_cert_problems(&expired, &[], now).1.len(), 1);
    }

    #[test]
    fn implicit_lists_are_named_by_their_frontend() {
        assert_eq!(
            configured_as("/etc/haproxy/list.txt"),
            "/etc/haproxy/list.txt"
        );
        assert_eq!(
            configured_as("@fe_web"),
            "the ssl-f-use lines of frontend fe_web"
        );
    }

    #[test]
    fn lines_read_as_haproxy_shows_them() {
        let e = CrtListEntry {
            certificate: "/c/new.pem".into(),
            line: Some(4),
            options: Some("alpn h2".into()),
            snis: vec!["new.example.test".into()],
            excluded_snis: vec!["bad.example.test".into()],
        };
        assert_eq!(
            shown(&e),
            "/c/new.pem:4 [alpn h2] new.example.test !bad.example.test"
        );
    }
}
