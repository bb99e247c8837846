//! Runtime backends (HAProxy 3.4 and later): add_backend, publish_backend, unpublish_backend,
//! del_backend. Part of the servers toolset.
//!
//! The sequence an operator follows to bring a new pool into service: add_backend (it starts
//! unpublished: `show stat` says `UP (UNPUB)`), add_server for each server, get_backend to see
//! them UP, publish_backend, then route to it (add_map_entry on a map that a frontend's
//! `use_backend %[…map(…)]` reads). And back: remove the route, unpublish_backend, del_server
//! each server (drain_first), del_backend. A runtime backend does not survive a reload.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::command::BackendMode;
use crate::haproxy::command::args::ProxyName;
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked, needs_release};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::changeable_proxy;
use crate::mcp::targets::Target;
use crate::mcp::views::{backend_stat, opt};

/// The first release with runtime backends.
const SINCE: (u32, u32) = (3, 4);

/// A mode for a new backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModeArg {
    /// HTTP.
    Http,
    /// TCP.
    Tcp,
}

/// Arguments of add_backend.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddBackendArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// New backend name, unique among all proxies.
    pub backend: String,
    /// The named `defaults` section to copy.
    pub from: String,
    /// Overrides the mode of the defaults section.
    #[serde(default)]
    pub mode: Option<ModeArg>,
    /// A global unique id for the backend.
    #[serde(default)]
    pub guid: Option<String>,
}

/// Arguments of publish_backend, unpublish_backend and del_backend.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct BackendChangeArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// Allow with sessions.
    #[serde(default)]
    pub force: bool,
}

/// The answer of a backend change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BackendChangeOut {
    /// The target changed.
    pub target: String,
    /// The backend.
    pub backend: String,
    /// What was done, step by step, with HAProxy's words.
    pub steps: Vec<String>,
    /// HAProxy's status of the backend afterwards (`UP (UNPUB)` while unpublished), read back;
    /// absent once deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_after: Option<String>,
}

/// Refuses on a HAProxy older than 3.4, naming the version it runs.
async fn needs_runtime_backends(t: &Target, tool: &str) -> Result<(), ToolError> {
    needs_release(
        t,
        SINCE,
        &format!("{tool} (runtime backends)"),
        "On older versions, add the backend to the configuration and reload.",
    )
    .await
}

/// HAProxy's status of `backend`, read back (`None` when it is gone).
async fn status_of(t: &Target, backend: &ProxyName) -> Option<String> {
    let stat = backend_stat(t, backend).await.ok()?;
    stat.find(backend.as_str(), "BACKEND")?.status.clone()
}

/// Refuses to take a backend out of service while it has sessions, unless `force`.
async fn guard_traffic(
    t: &Target,
    backend: &ProxyName,
    action: &str,
    force: bool,
) -> Result<(), ToolError> {
    let stat = backend_stat(t, backend).await?;
    let Some(row) = stat.find(backend.as_str(), "BACKEND") else {
        return Ok(());
    };
    let sessions = row.scur.unwrap_or(0);
    let rate = row.rate.unwrap_or(0);
    if force || (sessions == 0 && rate == 0) {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "[{}] Refused: backend {backend} is taking traffic ({} session(s) now, {} new per second); {action} it would cut that traffic off (clients get 503s or a failed connection). Nothing was changed. Move its traffic away first (change the map or rule that routes to it), or call again with force=true.",
        t.name,
        opt(row.scur),
        opt(row.rate)
    )))
}

fn done(
    t: &Target,
    backend: &ProxyName,
    steps: Vec<String>,
    status_after: Option<String>,
) -> Answer<BackendChangeOut> {
    let mut summary = format!("[{}] {}", t.name, steps.join("; "));
    if let Some(s) = &status_after {
        summary.push_str(&format!(". HAProxy now shows {backend} as {s}"));
    }
    summary.push('.');
    Answer::new(
        summary,
        BackendChangeOut {
            target: t.name.clone(),
            backend: backend.to_string(),
            steps,
            status_after,
        },
    )
}

#[tool_router(router = backends_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Creates a backend at run time (3.4+).
    #[tool(
        description = "Create a backend from a `defaults` section (3.4+), UNPUBLISHED until publish_backend. Next: add_server, publish_backend, route to it (add_map_entry). Lost on reload.",
        annotations(title = "Add backend", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<BackendChangeOut>()
    )]
    async fn add_backend(
        &self,
        Parameters(args): Parameters<AddBackendArgs>,
    ) -> ToolResult<BackendChangeOut> {
        let t = &self.target(args.target.as_deref())?;
        let be = ProxyName::new(args.backend)?;
        changeable_proxy("backend", &be)?;
        let defaults = ProxyName::new(args.from).map_err(|e| e.for_argument("from"))?;
        let guid = args
            .guid
            .map(|g| ProxyName::new(g).map_err(|e| e.for_argument("guid")))
            .transpose()?;
        needs_runtime_backends(t, "add_backend").await?;
        let mode = args.mode.map(|m| match m {
            ModeArg::Http => BackendMode::Http,
            ModeArg::Tcp => BackendMode::Tcp,
        });
        let result = t
            .client
            .add_backend(&be, &defaults, mode, guid.as_ref())
            .await;
        checked(t, Subject::Nothing, result).await?;
        let steps = vec![format!(
            "add backend {be} from {defaults}: New backend registered (unpublished: it takes no traffic until publish_backend)"
        )];
        Ok(done(t, &be, steps, status_of(t, &be).await))
    }

    /// Puts a runtime backend into service (3.4+).
    #[tool(
        description = "Publish a backend (3.4+): rules and maps can route to it. Check its servers with get_backend first.",
        annotations(title = "Publish backend", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<BackendChangeOut>()
    )]
    async fn publish_backend(
        &self,
        Parameters(args): Parameters<BackendChangeArgs>,
    ) -> ToolResult<BackendChangeOut> {
        change_backend(self, args, Change::Publish).await
    }

    /// Takes a backend out of service (3.4+).
    #[tool(
        description = "Unpublish a backend (3.4+): no new traffic; requests routed to it fail. Refused with sessions unless force=true.",
        annotations(title = "Unpublish backend", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<BackendChangeOut>()
    )]
    async fn unpublish_backend(
        &self,
        Parameters(args): Parameters<BackendChangeArgs>,
    ) -> ToolResult<BackendChangeOut> {
        change_backend(self, args, Change::Unpublish).await
    }

    /// Deletes a backend (3.4+).
    #[tool(
        description = "Delete an UNPUBLISHED backend with NO servers (3.4+; unpublish_backend, del_server each). Refused with sessions unless force=true.",
        annotations(title = "Delete backend", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<BackendChangeOut>()
    )]
    async fn del_backend(
        &self,
        Parameters(args): Parameters<BackendChangeArgs>,
    ) -> ToolResult<BackendChangeOut> {
        change_backend(self, args, Change::Delete).await
    }
}

/// A change to an existing backend.
#[derive(Debug, Clone, Copy)]
enum Change {
    Publish,
    Unpublish,
    Delete,
}

/// Validates, checks the version and (for unpublish and delete) the traffic, sends the change
/// and reads the backend back.
async fn change_backend(
    mcp: &HaproxyMcp,
    args: BackendChangeArgs,
    change: Change,
) -> ToolResult<BackendChangeOut> {
    let t = &mcp.target(args.target.as_deref())?;
    let be = ProxyName::new(args.backend)?;
    changeable_proxy("backend", &be)?;
    let (tool, taking_out) = match change {
        Change::Publish => ("publish_backend", None),
        Change::Unpublish => ("unpublish_backend", Some("unpublishing")),
        Change::Delete => ("del_backend", Some("deleting")),
    };
    needs_runtime_backends(t, tool).await?;
    if let Some(action) = taking_out {
        guard_traffic(t, &be, action, args.force).await?;
    }
    let (result, said) = match change {
        Change::Publish => (t.client.publish_backend(&be).await, "Backend published"),
        Change::Unpublish => (t.client.unpublish_backend(&be).await, "Backend unpublished"),
        Change::Delete => (t.client.del_backend(&be).await, "Backend deleted"),
    };
    checked(t, Subject::Nothing, result).await?;
    let line = tool.replace("_backend", "");
    let steps = vec![format!("{line} backend {be}: {said}")];
    let after = match change {
        Change::Delete => None,
        _ => status_of(t, &be).await,
    };
    Ok(done(t, &be, steps, after))
}
