//! rotate_certificate on a file binds verify clients with — a CA file or a CRL file — through
//! the transaction HAProxy keeps for each kind (`set` / `commit` / `abort ssl ca-file|crl-file`):
//! the pending file is checked before the commit and the file read back after; any failure
//! aborts. One flow for both kinds; [`TrustFile`] says what differs. A new file is made empty
//! (`new ssl ca-file|crl-file`) and filled by the same flow ([`create`]); any failure deletes
//! it again.

use super::{CertBrief, RotateOut};
use crate::haproxy::RuntimeError;
use crate::haproxy::command::Payload;
use crate::haproxy::command::args::TlsFileName;
use crate::haproxy::parse::ssl::TransactionStart;
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::targets::Target;

/// A kind of file HAProxy replaces through a transaction of its own.
pub(super) trait TrustFile {
    /// What `show ssl <keyword> [*]<name>` reads.
    type Dump;
    /// "CA file", "CRL file".
    const WHAT: &'static str;
    /// The Runtime API's word: `ca-file`, `crl-file`.
    const KEYWORD: &'static str;
    /// `show ssl <keyword> <name>`, or with `pending` the transaction's `*<name>`.
    async fn show(
        t: &Target,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<Self::Dump, RuntimeError>;
    /// `set ssl <keyword> <name> <<` + `pem`.
    async fn set(
        t: &Target,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(TransactionStart, String), RuntimeError>;
    /// `commit ssl <keyword> <name>`.
    async fn commit(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError>;
    /// `abort ssl <keyword> <name>`.
    async fn abort(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError>;
    /// `del ssl <keyword> <name>`.
    async fn delete(t: &Target, name: &TlsFileName) -> Result<(), RuntimeError>;
    /// The names of every file of this kind (`show ssl <keyword>`).
    async fn names(t: &Target) -> Result<Vec<String>, RuntimeError>;
    /// The file the open transaction of this kind is about, if any.
    async fn open_transaction(t: &Target) -> Option<String>;
    /// The checks before the commit: (soft problems `force` accepts, hard problems).
    fn problems(current: &Self::Dump, new: &Self::Dump, now: i64) -> (Vec<String>, Vec<String>);
    /// What the answer's `before` / `after` show of a file.
    fn brief(dump: &Self::Dump, now: i64) -> CertBrief;
    /// Its contents in a few words ("2 certificate(s)").
    fn contents(dump: &Self::Dump) -> String;
    /// Whether the file read back holds what was sent.
    fn same(after: &Self::Dump, pending: &Self::Dump) -> bool;
}

/// What the caller already read and sent for a rotation.
pub(super) struct Rotation<'a> {
    /// The file, as HAProxy names it.
    pub name: &'a TlsFileName,
    /// The PEM lines to send.
    pub pem: Payload,
    /// Their SHA-256.
    pub sent_sha256: String,
    /// The file in the certificates folder they came from.
    pub file: &'a str,
    /// Accept soft problems.
    pub force: bool,
    /// The file was just made empty (`new ssl ca-file|crl-file`) to be filled by this change.
    pub created: bool,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// Drops the open transaction on `name` after a failed step; says whether that worked.
async fn abort<K: TrustFile>(t: &Target, name: &TlsFileName) -> String {
    match K::abort(t, name).await {
        Ok(()) => "The transaction was aborted: nothing changed.".to_owned(),
        Err(e) => format!(
            "Aborting the transaction failed too ({e}); run `abort ssl {} {name}` on the Runtime API.",
            K::KEYWORD
        ),
    }
}

/// Replaces a CA or CRL file, all or nothing.
pub(super) async fn rotate<K: TrustFile>(t: &Target, r: Rotation<'_>) -> ToolResult<RotateOut> {
    let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
    let (name, what, keyword) = (r.name, K::WHAT, K::KEYWORD);
    if let Some(open) = K::open_transaction(t).await {
        return Err(fail(format!(
            "A {what} change is already open for {open}; HAProxy allows one at a time. Nothing was sent. Wait for it, or if it is abandoned run `abort ssl {keyword} {open}` on the Runtime API."
        )));
    }
    let current = checked(t, Subject::Nothing, K::show(t, name, false).await).await?;
    match K::set(t, name, r.pem).await {
        Ok((TransactionStart::Created, about)) if about == name.as_str() => {}
        Ok((_, about)) => {
            let note = abort::<K>(t, name).await;
            return Err(fail(format!(
                "Another {what} change (for {about}) was opened at the same moment; nothing was committed. {note}"
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
    let pending = match K::show(t, name, true).await {
        Ok(p) => p,
        Err(e) => {
            let note = abort::<K>(t, name).await;
            return Err(fail(format!(
                "Could not read the new {what} back ({e}). {note}"
            )));
        }
    };
    let (soft, hard) = K::problems(&current, &pending, r.now);
    if !hard.is_empty() || (!soft.is_empty() && !r.force) {
        let note = abort::<K>(t, name).await;
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
    if let Err(e) = K::commit(t, name).await {
        let note = if K::open_transaction(t).await.as_deref() == Some(name.as_str()) {
            abort::<K>(t, name).await
        } else {
            "HAProxy closed the transaction itself.".to_owned()
        };
        return Err(ToolError::runtime(&t.name, &e)
            .with_note(format!("HAProxy refused to commit the new {what}. {note}")));
    }
    let after = checked(t, Subject::Nothing, K::show(t, name, false).await).await?;
    if !K::same(&after, &pending) {
        return Err(fail(format!(
            "HAProxy answered Success! but {name} does not hold what was sent; read it with `show ssl {keyword} {name}`."
        )));
    }
    let after_brief = K::brief(&after, r.now);
    let change = if r.created {
        format!("created without a reload, holding {}", K::contents(&after))
    } else {
        format!(
            "replaced without a reload: {} → {}",
            K::contents(&current),
            K::contents(&after)
        )
    };
    let mut summary = format!(
        "[{}] {what} {name} {change} (read back); the first to expire now {} ({} days left). Sent {} (SHA-256 {}).",
        t.name,
        after_brief.not_after.as_deref().unwrap_or("?"),
        after_brief.days_left.unwrap_or(0),
        r.file,
        r.sent_sha256,
    );
    if !soft.is_empty() {
        summary.push_str(&format!(" Accepted with force: {}.", soft.join("; ")));
    }
    summary.push_str(&if r.created {
        format!(
            " Runtime only: no bind uses it until a crt-list line names it (add_certificate options `ca-file {name} verify required`), and a reload forgets it unless the configuration names a file at that path."
        )
    } else {
        format!(
            " Runtime only: {name} on disk is unchanged, so copy the new file there before the next reload or the old one comes back."
        )
    });
    Ok(Answer::new(
        summary,
        RotateOut {
            target: t.name.clone(),
            certificate: name.to_string(),
            sent_sha256: r.sent_sha256,
            before: K::brief(&current, r.now),
            after: after_brief,
            forced: soft,
        },
    ))
}

/// Makes a new CA or CRL file named `r.name` and fills it through [`rotate`], all or nothing:
/// any failure after `new ssl …` deletes the file again (and says whether that worked).
pub(super) async fn create<K: TrustFile>(
    t: &Target,
    r: Rotation<'_>,
    made: Result<(), RuntimeError>,
) -> ToolResult<RotateOut> {
    let name = r.name.clone();
    checked(t, Subject::Nothing, made).await?;
    match rotate::<K>(t, r).await {
        Ok(answer) => Ok(answer),
        Err(e) => {
            let undo = match K::delete(t, &name).await {
                Ok(()) => format!(
                    "The new {} {name} was deleted again: nothing changed.",
                    K::WHAT
                ),
                Err(d) => format!(
                    "Deleting the new {} {name} failed too ({d}); run `del ssl {} {name}` on the Runtime API.",
                    K::WHAT,
                    K::KEYWORD
                ),
            };
            Err(e.with_note(undo))
        }
    }
}
