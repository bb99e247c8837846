//! Dynamic pool management: add_server, del_server, enable_server, disable_server,
//! set_server_state, set_weight, set_maxconn_server/_frontend/_global, set_server_addr,
//! drain_server.
//!
//! Safety rules (the rails themselves are in [`crate::mcp::rails`]):
//! - taking the last UP server of a backend out of rotation (drain, maint, weight 0) is refused
//!   unless the caller says `force: true`; servers are named, not given by `#<id>`;
//! - a frontend's maxconn 0 (it stops accepting) needs `force: true`;
//! - a multi-step change reports each step, and when a later step fails, says exactly what state
//!   the server is left in and how to finish or undo; a step HAProxy refused is never reported
//!   as done.

use std::time::{Duration, Instant};

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{ServerArgs, out};
use crate::haproxy::command::args::{self, Fqdn, ServerAddress, ServerRef, Weight};
use crate::haproxy::command::{AddServerOptions, ServerAdminState};
use crate::haproxy::{RefusalKind, RuntimeError};
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked as explained};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::{
    every_server_stat, frontend_to_change, guard_rotation, last_up, server_to_change,
};
use crate::mcp::targets::Target;
use crate::mcp::views::{ServerCondition, ServerOut, backend_stat, opt, stat_server};

/// Default wait for drain_server and del_server's drain.
const DEFAULT_TIMEOUT_SECS: u32 = 60;
/// Longest wait accepted.
const MAX_TIMEOUT_SECS: u32 = 3600;
/// After a server reaches maintenance, how long `del server` is retried while HAProxy still has
/// idle connections to it (they are purged after `pool-purge-delay`, 5 s by default).
const DELETE_GRACE: Duration = Duration::from_secs(10);

fn yes() -> bool {
    true
}

// ---- arguments ----------------------------------------------------------------------------------

/// Arguments of disable_server.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DisableArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// Allow on the last UP server.
    #[serde(default)]
    pub force: bool,
}

/// An administrative state to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AdminStateArg {
    /// Takes traffic (leaves drain and maintenance).
    Ready,
    /// Takes no new sessions except persistent ones; existing sessions finish.
    Drain,
    /// Takes no traffic; health checks stop.
    Maint,
}

impl AdminStateArg {
    fn command(self) -> ServerAdminState {
        match self {
            Self::Ready => ServerAdminState::Ready,
            Self::Drain => ServerAdminState::Drain,
            Self::Maint => ServerAdminState::Maint,
        }
    }
}

/// Arguments of set_server_state.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SetStateArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// ready, drain or maint.
    pub state: AdminStateArg,
    /// Allow on the last UP server.
    #[serde(default)]
    pub force: bool,
}

/// Arguments of add_server.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddServerArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend (its algorithm must be dynamic).
    pub backend: String,
    /// New server name, unique in the backend.
    pub server: String,
    /// IPv4 or IPv6 address (not a host name).
    pub address: String,
    /// Port (default: the client's destination port).
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// Health-check it.
    #[serde(default = "yes")]
    pub check: bool,
    /// Health-check port, if not the server's.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub check_port: Option<u32>,
    /// Check interval (default 2000).
    #[serde(default)]
    #[schemars(range(min = 100, max = 3600000))]
    pub check_interval_ms: Option<u32>,
    /// Initial weight (HAProxy's default 1).
    #[serde(default)]
    #[schemars(range(min = 0, max = 256))]
    pub weight: Option<u32>,
    /// Most concurrent sessions (default: no limit).
    #[serde(default)]
    pub maxconn: Option<u32>,
    /// A backup (used when no active server is up).
    #[serde(default)]
    pub backup: bool,
    /// TLS to the server, unverified.
    #[serde(default)]
    pub ssl: bool,
    /// Put it into service.
    #[serde(default = "yes")]
    pub enable: bool,
}

/// Arguments of del_server.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DelServerArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server to delete.
    pub server: String,
    /// Drain, wait, set maint, then delete.
    #[serde(default)]
    pub drain_first: bool,
    /// With drain_first: seconds to wait (default 60).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_secs: Option<u32>,
    /// With drain_first: allow draining the backend's last UP server.
    #[serde(default)]
    pub force: bool,
}

/// A weight: a number 0–256, or a percentage of the configured weight as a string ("50%").
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum WeightArg {
    /// An absolute weight, 0–256.
    Absolute(#[schemars(range(min = 0, max = 256))] i64),
    /// "N" (absolute, 0–256) or "N%" (percent of the configured weight, 0–1000%).
    Text(String),
}

/// Arguments of set_weight.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SetWeightArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// 0–256, or a percentage of the configured weight such as "50%".
    pub weight: WeightArg,
    /// Allow weight 0 on the backend's last UP server.
    #[serde(default)]
    pub force: bool,
}

/// Arguments of set_maxconn_server.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MaxconnServerArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// 0 removes the limit.
    pub maxconn: u32,
}

/// Arguments of set_maxconn_frontend.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MaxconnFrontendArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The frontend's name (see list_frontends).
    pub frontend: String,
    /// 0 needs force.
    pub maxconn: u32,
    /// Allow 0: it stops accepting connections.
    #[serde(default)]
    pub force: bool,
}

/// Arguments of set_maxconn_global.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MaxconnGlobalArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// 0 restores Hard_maxconn.
    pub maxconn: u32,
}

/// Arguments of set_server_addr.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SetAddrArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// New IPv4 or IPv6 address.
    #[serde(default)]
    pub address: Option<String>,
    /// New port (unchanged when omitted).
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// Or a DNS name for its resolvers.
    #[serde(default)]
    pub fqdn: Option<String>,
}

/// Arguments of drain_server.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DrainArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server to drain.
    pub server: String,
    /// Seconds to wait (default 60).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_secs: Option<u32>,
    /// Then put it in maintenance.
    #[serde(default)]
    pub set_maint: bool,
    /// Allow on the last UP server.
    #[serde(default)]
    pub force: bool,
}

// ---- outputs ------------------------------------------------------------------------------------

/// A server as it was just before a change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Before {
    /// Its state in one word.
    pub state: ServerCondition,
    /// Its status as `show stat` printed it.
    pub status: Option<String>,
    /// Its sessions.
    pub sessions: Option<u64>,
    /// Its weight.
    pub weight: Option<u64>,
}

/// A change to one server.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerChangeOut {
    /// The target changed.
    pub target: String,
    /// `backend/server`.
    pub server: String,
    /// What was done, as a sentence.
    pub done: String,
    /// The server just before the change, when it could be read.
    pub before: Option<Before>,
    /// Something to be aware of (e.g. only backup servers remain up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// add_server's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddServerOut {
    /// The target changed.
    pub target: String,
    /// `backend/server`.
    pub server: String,
    /// `address[:port]` as sent.
    pub address: String,
    /// Each command sent and its outcome, in order.
    pub steps: Vec<String>,
    /// Whether the server was put into service (state ready).
    pub enabled: bool,
    /// Whether its health checks were enabled.
    pub checks_enabled: bool,
}

/// del_server's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DelServerOut {
    /// The target changed.
    pub target: String,
    /// `backend/server` (deleted).
    pub server: String,
    /// Each command sent and its outcome, in order.
    pub steps: Vec<String>,
    /// Seconds spent waiting for sessions to end (drain_first only).
    pub waited_secs: f64,
}

/// A weight as `get weight` reports it.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct WeightPair {
    /// The weight in effect.
    pub current: u32,
    /// The weight from the configuration.
    pub initial: u32,
}

/// set_weight's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WeightOut {
    /// The target changed.
    pub target: String,
    /// `backend/server`.
    pub server: String,
    /// The weight asked for (`10` or `50%`).
    pub requested: String,
    /// Before the change.
    pub before: WeightPair,
    /// After the change (absent if it could not be read back).
    pub after: Option<WeightPair>,
    /// Set when weight 0 was forced on the backend's last UP server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A connection limit that was set.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MaxconnOut {
    /// The target changed.
    pub target: String,
    /// What the limit applies to: `server be/s`, `frontend fe` or `global`.
    pub scope: String,
    /// The new limit.
    pub maxconn: u32,
}

/// set_server_addr's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddrOut {
    /// The target changed.
    pub target: String,
    /// `backend/server`.
    pub server: String,
    /// What HAProxy said it changed.
    pub haproxy_says: String,
}

/// drain_server's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DrainOut {
    /// The target changed.
    pub target: String,
    /// `backend/server`.
    pub server: String,
    /// Whether the server reached zero sessions (and an empty queue) before the timeout.
    pub drained: bool,
    /// Sessions when the drain started.
    pub sessions_at_start: Option<u64>,
    /// Sessions plus queued requests left at the end.
    pub sessions_left: u64,
    /// Seconds waited.
    pub waited_secs: f64,
    /// The server's administrative state now: `drain` or `maint`.
    pub state_now: String,
    /// Each command sent and its outcome, in order.
    pub steps: Vec<String>,
    /// Something to be aware of (e.g. the backend's last UP server was drained with force).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

// ---- tools --------------------------------------------------------------------------------------

#[tool_router(router = servers_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Add a dynamic server and (by default) put it into service.
    #[tool(
        description = "Add a server at run time (dynamic algorithms only): in maint, then checks on and ready unless enable=false; on failure, what is left and how to undo. Lost on reload.",
        annotations(title = "Add server", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<AddServerOut>()
    )]
    async fn add_server(
        &self,
        Parameters(args): Parameters<AddServerArgs>,
    ) -> ToolResult<AddServerOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let addr = ServerAddress::new(&args.address)?;
        let opts = add_options(&args)?;
        let address = addr.with_port(opts.port);
        if let Err(e) = t.client.add_server(&srv, &addr, &opts).await {
            return Err(crate::mcp::explain::refused(t, Subject::Server(&srv), e).await);
        }
        // HAProxy lists it like a configured server from now on: remember that a reload drops it.
        t.journal.server_added(&srv.to_string());
        let mut steps = vec![format!(
            "add server {srv} {address}: New server registered (in maintenance, health checks off)"
        )];
        if args.enable {
            enable_new(t, &srv, args.check, &mut steps).await?;
        }
        let summary = if args.enable {
            format!(
                "[{}] Added {srv} ({address}) and put it into service{}. It takes traffic once \
                 it is UP; get_server shows its check status.",
                t.name,
                if args.check {
                    " with health checks on"
                } else {
                    " (no health checks)"
                }
            )
        } else {
            format!(
                "[{}] Added {srv} ({address}); as asked, it stays in maintenance with health \
                 checks off and takes no traffic. To put it into service: enable_health (if it \
                 has checks), then set_server_state state=ready.",
                t.name
            )
        };
        Ok(Answer::new(
            summary,
            AddServerOut {
                target: t.name.clone(),
                server: srv.to_string(),
                address,
                steps,
                enabled: args.enable,
                checks_enabled: args.enable && args.check,
            },
        ))
    }

    /// Delete a server (only in maintenance with no sessions; optionally drain it first).
    #[tool(
        description = "Delete a server (in maint, no sessions, unused by the configuration); drain_first=true drains, waits, sets maint first.",
        annotations(title = "Delete server", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<DelServerOut>()
    )]
    async fn del_server(
        &self,
        Parameters(args): Parameters<DelServerArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult<DelServerOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        if !args.drain_first {
            if let Err(e) = t.client.del_server(&srv).await {
                return Err(del_refused(t, &srv, e).await);
            }
            return Ok(deleted(
                t,
                &srv,
                vec![format!("del server {srv}: Server deleted")],
                0.0,
            ));
        }
        let timeout = timeout_of(args.timeout_secs)?;
        self.drain_and_delete(t, &srv, timeout, args.force, &ctx)
            .await
    }

    /// Put a server back into service.
    #[tool(
        description = "Put a server back into service (set_server_state ready): traffic once its checks pass.",
        annotations(title = "Enable server", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ServerChangeOut>()
    )]
    async fn enable_server(
        &self,
        Parameters(args): Parameters<ServerArgs>,
    ) -> ToolResult<ServerChangeOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let before = read_before(t, &srv).await?;
        checked(t, &srv, t.client.enable_server(&srv).await).await?;
        Ok(changed(t, &srv, AdminStateArg::Ready, before, None))
    }

    /// Put a server in maintenance.
    #[tool(
        description = "Put a server in maintenance (set_server_state maint): no new traffic, checks stop, sessions kept.",
        annotations(title = "Disable server", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ServerChangeOut>()
    )]
    async fn disable_server(
        &self,
        Parameters(args): Parameters<DisableArgs>,
    ) -> ToolResult<ServerChangeOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let (before, warning) = guarded(t, &srv, AdminStateArg::Maint, args.force).await?;
        checked(t, &srv, t.client.disable_server(&srv).await).await?;
        Ok(changed(t, &srv, AdminStateArg::Maint, before, warning))
    }

    /// Set a server's administrative state.
    #[tool(
        description = "Set a server's admin state: ready, drain (only persistent sessions; drain_server also waits) or maint (no traffic, checks stop, sessions kept).",
        annotations(title = "Set server state", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ServerChangeOut>()
    )]
    async fn set_server_state(
        &self,
        Parameters(args): Parameters<SetStateArgs>,
    ) -> ToolResult<ServerChangeOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let (before, warning) = guarded(t, &srv, args.state, args.force).await?;
        let result = t.client.set_server_state(&srv, args.state.command()).await;
        checked(t, &srv, result).await?;
        Ok(changed(t, &srv, args.state, before, warning))
    }

    /// Change a server's weight.
    #[tool(
        description = "Set a server's weight; 0 stops new load-balanced traffic. Reports before and after. Static algorithms: only 0 or 100%.",
        annotations(title = "Set server weight", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<WeightOut>()
    )]
    async fn set_weight(
        &self,
        Parameters(args): Parameters<SetWeightArgs>,
    ) -> ToolResult<WeightOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let weight = match &args.weight {
            WeightArg::Absolute(w) => absolute_weight(*w)?,
            WeightArg::Text(s) => Weight::parse(s.trim())?,
        };
        let before = pair(checked(t, &srv, t.client.get_weight(&srv).await).await?);
        let warning = if takes_out_of_rotation(weight, before.initial) {
            guard_rotation(t, &srv, "weight 0", args.force).await?.1
        } else {
            None
        };
        checked(t, &srv, t.client.set_weight(&srv, weight).await).await?;
        let after = t.client.get_weight(&srv).await.ok().map(pair);
        let mut summary = format!(
            "[{}] {srv} weight {} -> {} (configured {}; asked {weight}).",
            t.name,
            before.current,
            after.map_or("?".to_owned(), |a| a.current.to_string()),
            before.initial
        );
        if after.is_some_and(|a| a.current == 0) {
            summary.push_str(" At weight 0 it gets no new load-balanced traffic.");
        }
        if let Some(w) = &warning {
            summary.push_str(&format!(" Warning: {w}"));
        }
        Ok(Answer::new(
            summary,
            WeightOut {
                target: t.name.clone(),
                server: srv.to_string(),
                requested: weight.to_string(),
                before,
                after,
                warning,
            },
        ))
    }

    /// Change a server's connection limit.
    #[tool(
        description = "Set a server's maxconn: most concurrent sessions sent to it, the rest queue; 0 removes the limit.",
        annotations(title = "Set server maxconn", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<MaxconnOut>()
    )]
    async fn set_maxconn_server(
        &self,
        Parameters(args): Parameters<MaxconnServerArgs>,
    ) -> ToolResult<MaxconnOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let result = t.client.set_maxconn_server(&srv, args.maxconn).await;
        checked(t, &srv, result).await?;
        let meaning = if args.maxconn == 0 {
            "no longer has a session limit".to_owned()
        } else {
            format!(
                "now takes at most {} concurrent sessions; more wait in the queue",
                args.maxconn
            )
        };
        Ok(maxconn_done(
            t,
            format!("server {srv}"),
            args.maxconn,
            meaning,
        ))
    }

    /// Change a frontend's connection limit.
    #[tool(
        description = "Set a frontend's maxconn: most concurrent connections it accepts; the rest wait in the kernel's backlog.",
        annotations(title = "Set frontend maxconn", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<MaxconnOut>()
    )]
    async fn set_maxconn_frontend(
        &self,
        Parameters(args): Parameters<MaxconnFrontendArgs>,
    ) -> ToolResult<MaxconnOut> {
        let t = &self.target(args.target.as_deref())?;
        let fe = frontend_to_change(t, &args.frontend).await?;
        let mut warning = None;
        if args.maxconn == 0 {
            let version = t.client.show_version().await.unwrap_or_default();
            let crash = crate::haproxy::parse::version::parse_release(&version) == Some((2, 6));
            if !args.force {
                let bug = if crash {
                    " On this HAProxy (2.6) raising the limit again while connections wait aborts the worker (an HAProxy bug), so only a reload recovers it."
                } else {
                    ""
                };
                return Err(ToolError::new(format!(
                    "[{}] Refused: maxconn 0 makes frontend {fe} accept no connection at all.{bug} Nothing was changed. To stop a frontend on purpose call again with force=true; to limit it, give a positive number.",
                    t.name
                )));
            }
            if crash {
                warning = Some(format!(
                    "{fe} accepts nothing now. HAProxy 2.6 aborts the worker if this limit is raised while connections are queued (an HAProxy bug): prefer a reload to reopen it."
                ));
            }
        }
        let result = t.client.set_maxconn_frontend(&fe, args.maxconn).await;
        explained(t, Subject::Nothing, result).await?;
        let mut meaning = if args.maxconn == 0 {
            "now accepts no connection (maxconn 0)".to_owned()
        } else {
            format!(
                "now accepts at most {} concurrent connections",
                args.maxconn
            )
        };
        if let Some(w) = warning {
            meaning.push_str(&format!(". Warning: {w}"));
        }
        Ok(maxconn_done(
            t,
            format!("frontend {fe}"),
            args.maxconn,
            meaning,
        ))
    }

    /// Change the process-wide connection limit.
    #[tool(
        description = "Set the process-wide maxconn, up to Hard_maxconn (show_info); 0 restores that limit.",
        annotations(title = "Set global maxconn", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<MaxconnOut>()
    )]
    async fn set_maxconn_global(
        &self,
        Parameters(args): Parameters<MaxconnGlobalArgs>,
    ) -> ToolResult<MaxconnOut> {
        let t = &self.target(args.target.as_deref())?;
        if let Err(e) = t.client.set_maxconn_global(args.maxconn).await {
            let mut err = ToolError::runtime(&t.name, &e);
            if e.refusal() == Some(RefusalKind::InvalidArgument)
                && let Ok(info) = t.client.show_info().await
                && let Some(hard) = info.hard_maxconn()
            {
                err = err.with_note(format!(
                    "This process started with Hard_maxconn {hard}; the global limit can be set from 1 to {hard} (0 restores {hard})."
                ));
            }
            return Err(err);
        }
        let meaning = if args.maxconn == 0 {
            "was restored to the limit the process started with".to_owned()
        } else {
            format!("is now {} concurrent connections", args.maxconn)
        };
        Ok(maxconn_done(t, "global".to_owned(), args.maxconn, meaning))
    }

    /// Change a server's address and port.
    #[tool(
        description = "Change a server's address (and port), or the name its resolvers look up (`fqdn`): new connections go there, existing ones stay. On 3.0+ a read right after may lag.",
        annotations(title = "Set server address", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<AddrOut>()
    )]
    async fn set_server_addr(
        &self,
        Parameters(args): Parameters<SetAddrArgs>,
    ) -> ToolResult<AddrOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let port = args.port.map(|p| args::port("port", p)).transpose()?;
        let said = match (&args.address, &args.fqdn, port) {
            (Some(address), None, _) => {
                let addr = ServerAddress::new(address)?;
                refuse_without_address(t, &srv).await?;
                checked(t, &srv, t.client.set_server_addr(&srv, &addr, port).await).await?
            }
            (None, Some(name), None) => {
                let fqdn = Fqdn::new(name)?;
                checked(t, &srv, t.client.set_server_fqdn(&srv, &fqdn).await).await?
            }
            _ => {
                return Err(ToolError::new(
                    "Give either `address` (with an optional `port`) or `fqdn` (a server with resolvers then looks the name up). Nothing was sent.",
                ));
            }
        };
        let summary = format!("[{}] {srv}: HAProxy says \"{said}\".", t.name);
        Ok(Answer::new(
            summary,
            AddrOut {
                target: t.name.clone(),
                server: srv.to_string(),
                haproxy_says: said,
            },
        ))
    }

    /// Drain a server and wait for its sessions to end.
    #[tool(
        description = "Drain a server and wait (with progress) until its sessions and queue are gone; set_maint=true then sets maint. On timeout it stays draining.",
        annotations(title = "Drain server", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<DrainOut>()
    )]
    async fn drain_server(
        &self,
        Parameters(args): Parameters<DrainArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult<DrainOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = server_to_change(&args.backend, &args.server)?;
        let timeout = timeout_of(args.timeout_secs)?;
        let (stat, warning) = guard_rotation(t, &srv, "drain", args.force).await?;
        let start_sessions = current(&stat, &srv).and_then(|s| s.sessions);
        let result = t
            .client
            .set_server_state(&srv, ServerAdminState::Drain)
            .await;
        checked(t, &srv, result).await?;
        let mut steps = vec![format!("set server {srv} state drain: done")];
        let waited = self.wait_sessions(t, &srv, timeout, &ctx, "DRAIN").await?;
        let mut state_now = "drain";
        if waited.drained && args.set_maint {
            let result = t
                .client
                .set_server_state(&srv, ServerAdminState::Maint)
                .await;
            if let Err(e) = result {
                return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                    "{srv} drained (no sessions left) but stays in DRAIN: HAProxy refused maintenance. Call set_server_state state=maint to retry."
                )));
            }
            steps.push(format!("set server {srv} state maint: done"));
            state_now = "maint";
        }
        let summary = drain_summary(
            &t.name,
            &srv,
            &waited,
            start_sessions,
            state_now,
            args.set_maint,
        );
        Ok(Answer::new(
            summary,
            DrainOut {
                target: t.name.clone(),
                server: srv.to_string(),
                drained: waited.drained,
                sessions_at_start: start_sessions,
                sessions_left: waited.left,
                waited_secs: waited.secs,
                state_now: state_now.to_owned(),
                steps,
                warning,
            },
        ))
    }
}

// ---- multi-step flows ---------------------------------------------------------------------------

/// What waiting for a server's sessions came to.
struct Waited {
    /// Zero sessions and an empty queue were seen.
    drained: bool,
    /// Sessions plus queued requests at the last look.
    left: u64,
    /// Seconds waited.
    secs: f64,
}

impl HaproxyMcp {
    /// Polls the server's sessions (`show stat <backend> -1 -1`) every `drain_poll` until they
    /// and its queue are zero or `timeout` passes, reporting progress and honouring
    /// cancellation. `state` names the state the server is left in, for messages.
    async fn wait_sessions(
        &self,
        t: &Target,
        srv: &ServerRef,
        timeout: Duration,
        ctx: &RequestContext<RoleServer>,
        state: &str,
    ) -> Result<Waited, ToolError> {
        let start = Instant::now();
        let token = ctx.meta.get_progress_token();
        let poll = self.settings().drain_poll.max(Duration::from_millis(10));
        loop {
            let stat = backend_stat(t, &srv.backend).await?;
            let Some(me) = current(&stat, srv) else {
                return Err(ToolError::new(format!(
                    "[{}] {srv} disappeared from {}'s statistics while waiting for its sessions to end (deleted by someone else?).",
                    t.name, srv.backend
                )));
            };
            let left = me.sessions.unwrap_or(0) + me.queued.unwrap_or(0);
            let elapsed = start.elapsed();
            let done = left == 0;
            if let Some(token) = &token {
                progress(ctx, token, elapsed, timeout, done, srv, left).await;
            }
            if done || elapsed >= timeout {
                return Ok(Waited {
                    drained: done,
                    left,
                    secs: round_secs(elapsed),
                });
            }
            tokio::select! {
                _ = ctx.ct.cancelled() => {
                    return Err(ToolError::new(format!(
                        "[{}] Cancelled while waiting: {srv} is left in {state} with {left} session(s). To finish, call drain_server again; to undo, call set_server_state state=ready.",
                        t.name
                    )));
                }
                _ = tokio::time::sleep(poll.min(timeout - elapsed)) => {}
            }
        }
    }

    /// del_server with drain_first: drain, wait, maint, delete (retrying while HAProxy still
    /// holds idle connections to the server).
    async fn drain_and_delete(
        &self,
        t: &Target,
        srv: &ServerRef,
        timeout: Duration,
        force: bool,
        ctx: &RequestContext<RoleServer>,
    ) -> ToolResult<DelServerOut> {
        let stat = every_server_stat(t).await?;
        let Some(me) = current(&stat, srv) else {
            // Let HAProxy say what is wrong (no such server, …), with the list of servers.
            return match t.client.del_server(srv).await {
                Ok(()) => Ok(deleted(
                    t,
                    srv,
                    vec![format!("del server {srv}: Server deleted")],
                    0.0,
                )),
                Err(e) => Err(crate::mcp::explain::refused(t, Subject::Server(srv), e).await),
            };
        };
        let mut steps = Vec::new();
        let left_in = if me.state == ServerCondition::Maint {
            "MAINT"
        } else {
            last_up(&t.name, &stat, srv, "drain", force)?;
            if me.state != ServerCondition::Drain {
                let result = t
                    .client
                    .set_server_state(srv, ServerAdminState::Drain)
                    .await;
                checked(t, srv, result).await?;
                steps.push(format!("set server {srv} state drain: done"));
            }
            "DRAIN"
        };
        let waited = self.wait_sessions(t, srv, timeout, ctx, left_in).await?;
        if !waited.drained {
            return Err(ToolError::new(format!(
                "[{}] {srv} was not deleted: it still has {} session(s) after {} s, and is left in {left_in}. To finish, call del_server with drain_first again (perhaps with a larger timeout_secs), or shut its sessions down with shutdown_server_sessions and retry. To undo, call set_server_state state=ready.",
                t.name, waited.left, waited.secs
            )));
        }
        if left_in == "DRAIN" {
            if let Err(e) = t
                .client
                .set_server_state(srv, ServerAdminState::Maint)
                .await
            {
                return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                    "{srv} has no sessions left but stays in DRAIN and was not deleted. To finish: set_server_state state=maint, then del_server. To undo: set_server_state state=ready."
                )));
            }
            steps.push(format!("set server {srv} state maint: done"));
        }
        self.delete_retrying(t, srv, &mut steps).await?;
        Ok(deleted(t, srv, steps, waited.secs))
    }

    /// `del server`, once HAProxy says the server can go: on 3.0+ HAProxy waits for that
    /// itself (`wait … srv-removable`); older versions, and anything the wait did not settle,
    /// retry for a while when connections are still attached (idle connections are purged
    /// after a delay).
    async fn delete_retrying(
        &self,
        t: &Target,
        srv: &ServerRef,
        steps: &mut Vec<String>,
    ) -> Result<(), ToolError> {
        let started = Instant::now();
        let release = t
            .client
            .show_version()
            .await
            .ok()
            .and_then(|v| crate::haproxy::parse::version::parse_release(&v));
        if release.is_some_and(|r| r >= (3, 0)) {
            // Whatever the wait answers, `del server` below gives HAProxy's verdict.
            let answer = match t.client.wait_server_removable(srv, DELETE_GRACE).await {
                Ok(()) => "Done.".to_owned(),
                Err(e) => e.to_string(),
            };
            steps.push(format!(
                "wait srv-removable {srv}: {answer} (after {:.1} s)",
                started.elapsed().as_secs_f64()
            ));
        }
        let until = started + DELETE_GRACE;
        loop {
            match t.client.del_server(srv).await {
                Ok(()) => {
                    steps.push(format!("del server {srv}: Server deleted"));
                    return Ok(());
                }
                Err(e)
                    if e.refusal() == Some(RefusalKind::ServerBusy) && Instant::now() < until =>
                {
                    tokio::time::sleep(self.settings().drain_poll).await;
                }
                Err(e) => {
                    return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                        "{srv} is left in MAINT (no traffic) and was not deleted. To finish, retry del_server later; to undo, call set_server_state state=ready."
                    )));
                }
            }
        }
    }
}

/// After `add server`: `enable health` (when wanted) and `set server … state ready`, each
/// recorded in `steps`; a refusal says what state the server is left in.
async fn enable_new(
    t: &Target,
    srv: &ServerRef,
    check: bool,
    steps: &mut Vec<String>,
) -> Result<(), ToolError> {
    if check {
        if let Err(e) = t.client.enable_health(srv).await {
            return Err(ToolError::runtime(&t.name, &e).with_note(format!(
                "Step 1 was done: {srv} exists, but it is left in MAINT with health checks OFF and takes no traffic.\nTo finish: call enable_health, then set_server_state state=ready. To undo: del_server (it is in maintenance, so it can be deleted)."
            )));
        }
        steps.push(format!("enable health {srv}: done"));
    }
    if let Err(e) = t
        .client
        .set_server_state(srv, ServerAdminState::Ready)
        .await
    {
        let checks = if check { "ON" } else { "OFF" };
        return Err(ToolError::runtime(&t.name, &e).with_note(format!(
            "Steps done: {}. {srv} exists but is left in MAINT with health checks {checks} and takes no traffic.\nTo finish: call set_server_state state=ready. To undo: del_server (it is in maintenance, so it can be deleted).",
            steps.join("; ")
        )));
    }
    steps.push(format!("set server {srv} state ready: done"));
    Ok(())
}

/// The keywords of `add server`, validated.
fn add_options(args: &AddServerArgs) -> Result<AddServerOptions, ToolError> {
    let weight = match args.weight {
        Some(w) => match Weight::absolute(w)? {
            Weight::Absolute(w) => Some(w),
            Weight::Percent(_) => None,
        },
        None => None,
    };
    if let Some(ms) = args.check_interval_ms
        && !(100..=3_600_000).contains(&ms)
    {
        return Err(ToolError::new(format!(
            "check_interval_ms {ms} is out of range: give 100 to 3600000 (ms). Nothing was sent to HAProxy."
        )));
    }
    Ok(AddServerOptions {
        port: args.port.map(|p| args::port("port", p)).transpose()?,
        check: args.check,
        check_port: args
            .check_port
            .map(|p| args::port("check_port", p))
            .transpose()?,
        weight,
        maxconn: args.maxconn,
        backup: args.backup,
        inter_ms: args.check_interval_ms,
        ssl: args.ssl,
    })
}

/// Explains a refused `del server`: what state the server is in and how to get it deleted.
async fn del_refused(t: &Target, srv: &ServerRef, e: RuntimeError) -> ToolError {
    let how = match e.refusal() {
        Some(RefusalKind::NotInMaintenance) => {
            "Nothing was changed. HAProxy deletes only a server that is in maintenance and has no sessions left. To delete it safely, call del_server again with drain_first=true: it drains the server, waits (timeout_secs, default 60) for its sessions to end, puts it in maintenance, then deletes it. Or do it in steps: drain_server with set_maint=true, then del_server."
        }
        Some(RefusalKind::ServerBusy) => {
            "Nothing was changed. The server is in maintenance but HAProxy still has sessions, queued requests or idle connections on it. Wait for them to end (idle connections are closed after a few seconds) or shut its sessions down with shutdown_server_sessions, then retry; del_server with drain_first=true waits for you."
        }
        _ => return crate::mcp::explain::refused(t, Subject::Server(srv), e).await,
    };
    let now = match backend_stat(t, &srv.backend).await {
        Ok(stat) => current(&stat, srv).map(|s| {
            format!(
                "{srv} is {} ({}) with {} session(s).",
                s.state.word(),
                s.status.as_deref().unwrap_or("?"),
                opt(s.sessions)
            )
        }),
        Err(_) => None,
    };
    let mut err = ToolError::runtime(&t.name, &e);
    if let Some(now) = now {
        err = err.with_note(now);
    }
    err.with_note(how)
}

// ---- small helpers ------------------------------------------------------------------------------

/// The explainer for a result about `srv` (lists the backend's servers on "No such server").
async fn checked<T>(
    t: &Target,
    srv: &ServerRef,
    result: Result<T, RuntimeError>,
) -> Result<T, ToolError> {
    explained(t, Subject::Server(srv), result).await
}

/// The server's row in a `show stat` report.
fn current(stat: &crate::haproxy::parse::StatReport, srv: &ServerRef) -> Option<ServerOut> {
    stat_server(stat, srv.backend.as_str(), srv.server.as_str())
}

/// Whether setting `weight` leaves the server with weight 0 (given its configured weight).
fn takes_out_of_rotation(weight: Weight, initial: u32) -> bool {
    match weight {
        Weight::Absolute(w) => w == 0,
        Weight::Percent(p) => p == 0 || initial == 0,
    }
}

fn before_of(s: &ServerOut) -> Before {
    Before {
        state: s.state,
        status: s.status.clone(),
        sessions: s.sessions,
        weight: s.weight,
    }
}

/// Reads the server's current state (for `before`).
async fn read_before(t: &Target, srv: &ServerRef) -> Result<Option<Before>, ToolError> {
    let stat = backend_stat(t, &srv.backend).await?;
    Ok(current(&stat, srv).map(|s| before_of(&s)))
}

/// Reads the server's state and, for drain or maint, applies the last-UP-server rule.
async fn guarded(
    t: &Target,
    srv: &ServerRef,
    state: AdminStateArg,
    force: bool,
) -> Result<(Option<Before>, Option<String>), ToolError> {
    let action = match state {
        AdminStateArg::Ready => {
            let stat = backend_stat(t, &srv.backend).await?;
            return Ok((current(&stat, srv).map(|s| before_of(&s)), None));
        }
        AdminStateArg::Drain => "drain",
        AdminStateArg::Maint => "maintenance",
    };
    let (stat, warning) = guard_rotation(t, srv, action, force).await?;
    Ok((current(&stat, srv).map(|s| before_of(&s)), warning))
}

/// Refuses, before anything is sent, an address for a server that has none yet (`init-addr
/// none`, a server-template slot waiting for DNS): every version refuses it, and 2.6 takes the
/// server out of its resolution maintenance on the way (seen: `UP 1/2`, then `DOWN` SOCKERR, then
/// `MAINT (resolution)` again at the next resolution), so the refusal is not free there.
async fn refuse_without_address(t: &Target, srv: &ServerRef) -> Result<(), ToolError> {
    let state = checked(
        t,
        srv,
        t.client.show_servers_state(Some(&srv.backend)).await,
    )
    .await?;
    let Some(me) = state.servers.iter().find(|s| s.name == srv.server.as_str()) else {
        // HAProxy names what is missing (no such backend or server).
        return Ok(());
    };
    if me.addr.is_some() {
        return Ok(());
    }
    // `show servers state` has no address for a Unix-socket server either (`server s
    // unix@/path`): `show stat` names its family instead of an address and port.
    let stat = backend_stat(t, &srv.backend).await?;
    if let Some(family) = stat
        .find(srv.backend.as_str(), srv.server.as_str())
        .and_then(|r| r.addr.clone())
        .filter(|a| !a.contains(':'))
    {
        return Err(ToolError::new(format!(
            "[{}] Refused: {srv} connects to a `{family}` socket, not to an IP address and port (`show stat` lists its address as `{family}`); HAProxy changes such an address only in the configuration (it answers `Update for the current server address family is only supported through configuration file.`). Nothing was sent. Change it in the configuration and reload.",
            t.name
        )));
    }
    Err(ToolError::new(format!(
        "[{}] Refused: {srv} has no address yet (`init-addr none`, or a server-template slot waiting for DNS{}); HAProxy sets the address of such a server only from its resolvers or from the configuration, never from `set server … addr`. Nothing was sent. Give it a name its resolvers can find with `fqdn` instead, or fix the DNS records.",
        t.name,
        me.fqdn
            .as_deref()
            .map_or(String::new(), |f| format!(": it resolves {f}")),
    )))
}

/// The answer of a state change.
fn changed(
    t: &Target,
    srv: &ServerRef,
    state: AdminStateArg,
    before: Option<Before>,
    warning: Option<String>,
) -> Answer<ServerChangeOut> {
    let done = match state {
        AdminStateArg::Ready => {
            format!("{srv} is now READY: it takes traffic again once its health checks pass")
        }
        AdminStateArg::Drain => format!(
            "{srv} is now in DRAIN: it takes no new sessions except persistent ones, and existing sessions finish (drain_server waits for them)"
        ),
        AdminStateArg::Maint => format!(
            "{srv} is now in MAINT: it takes no traffic and its health checks stop; existing sessions are not cut"
        ),
    };
    let mut summary = format!("[{}] {done}", t.name);
    if let Some(b) = &before {
        summary.push_str(&format!(
            " (before: {}, {} session(s))",
            b.status.as_deref().unwrap_or(b.state.word()),
            opt(b.sessions)
        ));
    }
    summary.push('.');
    if let Some(w) = &warning {
        summary.push_str(&format!(" Warning: {w}"));
    }
    Answer::new(
        summary,
        ServerChangeOut {
            target: t.name.clone(),
            server: srv.to_string(),
            done,
            before,
            warning,
        },
    )
}

fn deleted(
    t: &Target,
    srv: &ServerRef,
    steps: Vec<String>,
    waited_secs: f64,
) -> Answer<DelServerOut> {
    t.journal.server_deleted(&srv.to_string());
    let summary = if waited_secs > 0.0 {
        format!(
            "[{}] Deleted {srv} after draining it ({waited_secs} s). Steps: {}.",
            t.name,
            steps.join("; ")
        )
    } else {
        format!("[{}] Deleted {srv}. Steps: {}.", t.name, steps.join("; "))
    };
    Answer::new(
        summary,
        DelServerOut {
            target: t.name.clone(),
            server: srv.to_string(),
            steps,
            waited_secs,
        },
    )
}

fn maxconn_done(t: &Target, scope: String, maxconn: u32, meaning: String) -> Answer<MaxconnOut> {
    let summary = format!("[{}] {scope} {meaning}.", t.name);
    Answer::new(
        summary,
        MaxconnOut {
            target: t.name.clone(),
            scope,
            maxconn,
        },
    )
}

fn drain_summary(
    target: &str,
    srv: &ServerRef,
    w: &Waited,
    start: Option<u64>,
    state_now: &str,
    set_maint: bool,
) -> String {
    if w.drained {
        let then = if state_now == "maint" {
            "; it is now in MAINT"
        } else {
            "; it stays in DRAIN"
        };
        format!(
            "[{target}] {srv} drained: no sessions left after {} s (started with {}){then}.",
            w.secs,
            opt(start)
        )
    } else {
        let maint = if set_maint {
            " It was not put in maintenance."
        } else {
            ""
        };
        format!(
            "[{target}] {srv} is in DRAIN but still has {} session(s) after the {} s timeout.{maint} Wait longer (drain_server again), or shut its sessions down (shutdown_server_sessions), then set_server_state state=maint.",
            w.left, w.secs
        )
    }
}

/// Sends one progress notification: elapsed seconds out of the timeout.
async fn progress(
    ctx: &RequestContext<RoleServer>,
    token: &ProgressToken,
    elapsed: Duration,
    timeout: Duration,
    done: bool,
    srv: &ServerRef,
    left: u64,
) {
    let total = timeout.as_secs_f64();
    let (value, message) = if done {
        (total, format!("{srv}: drained, no sessions left"))
    } else {
        (
            elapsed.as_secs_f64().min(total),
            format!("{srv}: {left} session(s) left"),
        )
    };
    let param = ProgressNotificationParam::new(token.clone(), value)
        .with_total(total)
        .with_message(message);
    if let Err(e) = ctx.peer.notify_progress(param).await {
        tracing::debug!(error = %e, "progress notification not delivered");
    }
}

fn timeout_of(secs: Option<u32>) -> Result<Duration, ToolError> {
    let secs = secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(ToolError::new(format!(
            "timeout_secs {secs} is out of range: give 1 to {MAX_TIMEOUT_SECS}. Nothing was sent to HAProxy."
        )));
    }
    Ok(Duration::from_secs(u64::from(secs)))
}

/// An absolute weight from JSON (negative numbers are refused with the usual message).
fn absolute_weight(w: i64) -> Result<Weight, ToolError> {
    let w = u32::try_from(w).map_err(|_| {
        args::ArgError::new(
            "weight",
            &w.to_string(),
            "an absolute weight is between 0 and 256",
        )
    })?;
    Ok(Weight::absolute(w)?)
}

fn round_secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

fn pair(w: crate::haproxy::parse::Weight) -> WeightPair {
    WeightPair {
        current: w.current,
        initial: w.initial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_zero_takes_a_server_out() {
        assert!(takes_out_of_rotation(Weight::Absolute(0), 10));
        assert!(takes_out_of_rotation(Weight::Percent(0), 10));
        assert!(takes_out_of_rotation(Weight::Percent(50), 0));
        assert!(!takes_out_of_rotation(Weight::Absolute(1), 0));
        assert!(!takes_out_of_rotation(Weight::Percent(50), 10));
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(timeout_of(None).unwrap(), Duration::from_secs(60));
        assert!(timeout_of(Some(0)).is_err());
        assert!(timeout_of(Some(3601)).is_err());
        assert_eq!(round_secs(Duration::from_millis(1234)), 1.2);
    }
}
