//! The one refusal explainer: a client error becomes a tool error that quotes HAProxy, and when
//! HAProxy says something does not exist, a note that lists what does, keyed by
//! [`RefusalKind`]. Every toolset maps its errors through [`refused`] (or [`checked`]), so one
//! refusal always reads the same to the model.

use crate::haproxy::command::args::{ProxyName, ServerRef};
use crate::haproxy::command::{ListKind, StatFilter, StatObjects};
use crate::haproxy::parse::{StatKind, StatRow};
use crate::haproxy::{RefusalKind, RuntimeError, WorkerTarget};
use crate::mcp::answer::ToolError;
use crate::mcp::targets::Target;

/// What the failed call was about, so the note can list its siblings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    /// Nothing in particular (the note then depends on the refusal alone).
    Nothing,
    /// A server: "No such server" lists the servers of its backend.
    Server(&'a ServerRef),
    /// A map or an ACL: "Unknown map identifier" lists those loaded.
    List(ListKind),
}

/// Turns a client error on `t` into a tool error, with a note naming what exists when HAProxy
/// says the object does not.
pub(crate) async fn refused(t: &Target, subject: Subject<'_>, e: RuntimeError) -> ToolError {
    let base = ToolError::runtime(&t.name, &e);
    let note = match (e.refusal(), subject) {
        (Some(RefusalKind::NoSuchServer | RefusalKind::NoSuchBackend), Subject::Server(s)) => {
            Some(servers_note(t, &s.backend).await)
        }
        (Some(RefusalKind::NoSuchBackend | RefusalKind::NoSuchProxy), _) => backends_note(t).await,
        (Some(RefusalKind::NoSuchFrontend), _) => frontends_note(t).await,
        (Some(RefusalKind::NoSuchMap | RefusalKind::NoSuchAcl), Subject::List(kind)) => {
            Some(loaded_note(t, kind).await)
        }
        (Some(RefusalKind::NoSuchMap), _) => Some(loaded_note(t, ListKind::Map).await),
        (Some(RefusalKind::NoSuchAcl), _) => Some(loaded_note(t, ListKind::Acl).await),
        (Some(RefusalKind::NoSuchProcess), _) => pinned_worker_note(t, true),
        // A replaced worker that has not left yet is still routed to, and no longer answers.
        _ if matches!(e, RuntimeError::Timeout { .. }) => pinned_worker_note(t, false),
        _ => None,
    };
    match note {
        Some(n) => base.with_note(n),
        None => base,
    }
}

/// Why a master CLI target pinned to a worker's pid gets `Can't find the target PID` (`gone`),
/// or no answer: a reload replaced that worker (one that has not left yet is still routed to,
/// and no longer answers).
fn pinned_worker_note(t: &Target, gone: bool) -> Option<String> {
    let WorkerTarget::Pid(pid) = t.client.endpoint().master_target()? else {
        return None;
    };
    let state = if gone {
        "is no longer one of HAProxy's workers"
    } else {
        "may have been replaced by a reload (a replaced worker that has not left yet no longer answers)"
    };
    Some(format!(
        "Target {} sends worker commands to process {pid} (`!{pid}` in its configuration), which {state}: a reload replaces the workers. Set its worker to `1` (the current worker) to follow reloads; show_processes lists the workers.",
        t.name
    ))
}

/// [`refused`] for a whole result.
pub(crate) async fn checked<T>(
    t: &Target,
    subject: Subject<'_>,
    result: Result<T, RuntimeError>,
) -> Result<T, ToolError> {
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(refused(t, subject, e).await),
    }
}

/// "Backends on <t>: a, b, c." (None when it cannot be read).
pub(crate) async fn backends_note(t: &Target) -> Option<String> {
    let names = t.client.show_backends().await.ok()?;
    Some(format!("Backends on {}: {}.", t.name, list_or_none(&names)))
}

/// "Servers in be_app: app1, app2." — or which backends exist when this one does not.
pub(crate) async fn servers_note(t: &Target, backend: &ProxyName) -> String {
    match t.client.show_servers_state(Some(backend)).await {
        Ok(state) if state.servers.is_empty() => format!("Backend {backend} has no servers."),
        Ok(state) => {
            let names: Vec<String> = state.servers.iter().map(|s| s.name.clone()).collect();
            format!("Servers in {backend}: {}.", names.join(", "))
        }
        Err(e) if e.refusal() == Some(RefusalKind::NoSuchBackend) => match backends_note(t).await {
            Some(note) => format!("There is no backend {backend}. {note}"),
            None => {
                format!("There is no backend {backend}; list_backends shows which exist.")
            }
        },
        Err(_) => "list_servers shows which servers exist.".to_owned(),
    }
}

/// "Frontends on <t>: a, b." (None when it cannot be read).
pub(crate) async fn frontends_note(t: &Target) -> Option<String> {
    let names = frontend_names(t).await?;
    Some(format!(
        "Frontends on {}: {}.",
        t.name,
        list_or_none(&names)
    ))
}

/// The frontends `show stat` lists (HAProxy's internal proxies, such as the CLI's, are not
/// among them). None when it cannot be read.
pub(crate) async fn frontend_names(t: &Target) -> Option<Vec<String>> {
    Some(
        frontend_rows(t)
            .await?
            .into_iter()
            .map(|r| r.proxy)
            .collect(),
    )
}

/// The FRONTEND rows of `show stat`, in HAProxy's order (None when it cannot be read).
pub(crate) async fn frontend_rows(t: &Target) -> Option<Vec<StatRow>> {
    let filter = StatFilter {
        proxy: None,
        objects: Some(StatObjects {
            frontends: true,
            ..Default::default()
        }),
    };
    let stat = t.client.show_stat(&filter).await.ok()?;
    Some(stat.of_kind(StatKind::Frontend).cloned().collect())
}

/// "Maps loaded: #4 (/etc/haproxy/hosts.map)."
async fn loaded_note(t: &Target, kind: ListKind) -> String {
    let what = match kind {
        ListKind::Map => "Maps",
        ListKind::Acl => "ACLs",
    };
    match t.client.show_lists(kind).await {
        Ok(lists) if lists.is_empty() => format!("No {} is loaded.", what.to_lowercase()),
        Ok(lists) => {
            let names: Vec<String> = lists
                .iter()
                .map(|l| match &l.file {
                    Some(f) if !f.is_empty() => format!("#{} ({f})", l.id),
                    _ => format!("#{} (inline, no file)", l.id),
                })
                .collect();
            format!(
                "{what} loaded (use the #id or the file name): {}.",
                names.join(", ")
            )
        }
        Err(_) => format!("list_{} shows which are loaded.", what.to_lowercase()),
    }
}

/// "a, b, c" or "none".
pub(crate) fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Refuses a target older than `since` (major, minor) before anything is sent: "[t] `feature`
/// needs HAProxy X.Y or later; this target runs …. Nothing was sent. `instead`". A version it
/// cannot read is refused too: sending a command the target may not know would answer with
/// HAProxy's usage list, not a reason.
pub async fn needs_release(
    t: &Target,
    since: (u32, u32),
    feature: &str,
    instead: &str,
) -> Result<(), ToolError> {
    let running = checked(t, Subject::Nothing, t.client.show_version().await).await?;
    match crate::haproxy::parse::version::parse_release(&running) {
        Some(release) if release >= since => Ok(()),
        _ => Err(ToolError::new(format!(
            "[{}] {feature} needs HAProxy {}.{} or later; this target runs {running}. Nothing was sent. {instead}",
            t.name, since.0, since.1
        ))),
    }
}
