//! Frontends and process-wide rate limits: set_frontend_state (open, paused, stopped) and
//! set_rate_limit. Part of the servers toolset (traffic control).
//!
//! Both read the state back after the change and answer with the value before, so the
//! assistant can restore it; both changes are runtime only (a reload restores the
//! configuration's frontends and limits).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::RefusalKind;
use crate::haproxy::command::RateLimitKind;
use crate::haproxy::command::args::ProxyName;
use crate::haproxy::parse::StatRow;
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked, frontend_rows, refused};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::{frontend_with_rows, last_open_frontend};

/// The state asked of a frontend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FrontendStateArg {
    /// Accepting connections (`enable frontend`).
    Open,
    /// Not accepting, reversibly (`disable frontend`).
    Paused,
    /// Shut down until the next reload (`shutdown frontend`).
    Stopped,
}

/// Arguments of set_frontend_state.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FrontendStateArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The frontend's name (see list_frontends).
    pub frontend: String,
    /// paused: new connections wait in the kernel's backlog; stopped: closed until a reload.
    pub state: FrontendStateArg,
    /// Needed for stopped, and to pause or stop the last open frontend.
    #[serde(default)]
    pub force: bool,
}

/// set_frontend_state's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FrontendStateOut {
    /// The target changed.
    pub target: String,
    /// The frontend.
    pub frontend: String,
    /// The command sent.
    pub command: String,
    /// Whether HAProxy changed anything (false: it already was in that state).
    pub changed: bool,
    /// `show stat`'s status before (`OPEN`, `FULL`, `PAUSED`, `STOP`).
    pub status_before: Option<String>,
    /// The status read back after the change.
    pub status_after: Option<String>,
    /// Set when the change leaves no frontend accepting connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A process-wide rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitArg {
    /// New connections per second.
    Connections,
    /// New sessions per second.
    Sessions,
    /// New TLS sessions per second.
    SslSessions,
    /// HTTP compression input, kB/s.
    HttpCompression,
}

impl RateLimitArg {
    fn kind(self) -> RateLimitKind {
        match self {
            Self::Connections => RateLimitKind::Connections,
            Self::Sessions => RateLimitKind::Sessions,
            Self::SslSessions => RateLimitKind::SslSessions,
            Self::HttpCompression => RateLimitKind::HttpCompression,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Self::HttpCompression => "kB/s",
            _ => "per second",
        }
    }
}

/// Arguments of set_rate_limit.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RateLimitArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Which limit.
    pub limit: RateLimitArg,
    /// Per second (kB/s for http_compression); 0 removes the limit.
    #[schemars(range(max = 2147483647))]
    pub value: u32,
}

/// set_rate_limit's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RateLimitOut {
    /// The target changed.
    pub target: String,
    /// Which limit.
    pub limit: RateLimitArg,
    /// `per second`, or `kB/s` for http_compression.
    pub unit: String,
    /// The limit before (0 = none): give it back to restore.
    pub before: Option<u64>,
    /// The limit `show info` reports after the change.
    pub after: u64,
}

/// The status column of `fe`'s FRONTEND row.
fn status_in(rows: &[StatRow], fe: &ProxyName) -> Option<String> {
    rows.iter()
        .find(|r| r.proxy == fe.as_str())
        .and_then(|r| r.status.clone())
}

#[tool_router(router = frontends_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Open, pause or stop a frontend.
    #[tool(
        description = "Open, pause or stop a frontend; existing connections continue. Status before and after.",
        annotations(title = "Set frontend state", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<FrontendStateOut>()
    )]
    async fn set_frontend_state(
        &self,
        Parameters(args): Parameters<FrontendStateArgs>,
    ) -> ToolResult<FrontendStateOut> {
        let t = &self.target(args.target.as_deref())?;
        let (fe, rows) = frontend_with_rows(t, &args.frontend).await?;
        let before = rows.as_deref().and_then(|r| status_in(r, &fe));
        let (action, warning) = match args.state {
            FrontendStateArg::Open => ("open", None),
            FrontendStateArg::Paused => (
                "paused",
                last_open_frontend(
                    &t.name,
                    rows.as_deref().unwrap_or(&[]),
                    &fe,
                    "paused",
                    args.force,
                )?,
            ),
            FrontendStateArg::Stopped => {
                if !args.force && before.as_deref() != Some("STOP") {
                    return Err(ToolError::new(format!(
                        "[{}] Refused: stopping frontend {fe} (`shutdown frontend`) cannot be undone at run time; only a reload or restart reopens it. Nothing was changed. To stop new connections reversibly use state=paused; to stop it anyway call again with force=true.",
                        t.name
                    )));
                }
                (
                    "stopped",
                    last_open_frontend(
                        &t.name,
                        rows.as_deref().unwrap_or(&[]),
                        &fe,
                        "stopped",
                        args.force,
                    )?,
                )
            }
        };
        let (result, command) = match args.state {
            FrontendStateArg::Open => (t.client.enable_frontend(&fe).await, "enable"),
            FrontendStateArg::Paused => (t.client.disable_frontend(&fe).await, "disable"),
            FrontendStateArg::Stopped => (t.client.shutdown_frontend(&fe).await, "shutdown"),
        };
        let command = format!("{command} frontend {fe}");
        let changed = match result {
            Ok(()) => true,
            Err(e) if e.refusal() == Some(RefusalKind::AlreadyDone) => false,
            Err(e) => {
                let err = refused(t, Subject::Nothing, e).await;
                let err = if args.state != FrontendStateArg::Stopped
                    && before.as_deref() == Some("STOP")
                {
                    err.with_note(format!(
                        "{fe} was shut down (status STOP): only a reload or restart reopens it."
                    ))
                } else {
                    err
                };
                return Err(err);
            }
        };
        let after = frontend_rows(t).await.and_then(|r| status_in(&r, &fe));
        let mut summary = if changed {
            format!(
                "[{}] Frontend {fe} {action} (`{command}`): status {} → {}.",
                t.name,
                before.as_deref().unwrap_or("?"),
                after.as_deref().unwrap_or("?")
            )
        } else {
            format!(
                "[{}] Frontend {fe} already was {action}; HAProxy changed nothing (status {}).",
                t.name,
                after.as_deref().unwrap_or("?")
            )
        };
        summary.push_str(match args.state {
            FrontendStateArg::Open => " It accepts connections.",
            FrontendStateArg::Paused => {
                " New connections wait in the kernel's backlog (and time out there) until state=open; existing ones continue. Runtime only: a reload reopens it."
            }
            FrontendStateArg::Stopped => {
                " It accepts nothing until the next reload or restart; existing connections continue."
            }
        });
        if let Some(w) = &warning {
            summary.push_str(&format!(" Warning: {w}"));
        }
        Ok(Answer::new(
            summary,
            FrontendStateOut {
                target: t.name.clone(),
                frontend: fe.to_string(),
                command,
                changed,
                status_before: before,
                status_after: after,
                warning,
            },
        ))
    }

    /// Change a process-wide rate limit.
    #[tool(
        description = "Set a process-wide rate limit. Answers the value before (to restore) and after.",
        annotations(title = "Set rate limit", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<RateLimitOut>()
    )]
    async fn set_rate_limit(
        &self,
        Parameters(args): Parameters<RateLimitArgs>,
    ) -> ToolResult<RateLimitOut> {
        let t = &self.target(args.target.as_deref())?;
        let kind = args.limit.kind();
        let scale = kind.info_scale();
        let read = |info: &crate::haproxy::parse::ProcessInfo| {
            info.get_u64(kind.info_field()).map(|v| v / scale)
        };
        let before = t.client.show_info().await.ok().and_then(|i| read(&i));
        let result = t.client.set_rate_limit(kind, args.value).await;
        checked(t, Subject::Nothing, result).await?;
        let info = checked(t, Subject::Nothing, t.client.show_info().await).await?;
        let Some(after) = read(&info) else {
            return Err(ToolError::new(format!(
                "[{}] HAProxy accepted `set rate-limit {} global {}` but its show info has no {} field to confirm it; read show_info before relying on it.",
                t.name,
                kind.as_str(),
                args.value,
                kind.info_field()
            )));
        };
        if after != u64::from(args.value) {
            return Err(ToolError::new(format!(
                "[{}] HAProxy accepted `set rate-limit {} global {}` but show info now reports {} = {} ({}); the limit in force is that one.",
                t.name,
                kind.as_str(),
                args.value,
                kind.info_field(),
                after * scale,
                args.limit.unit()
            )));
        }
        let unit = args.limit.unit();
        let shown = |v: u64| {
            if v == 0 {
                "none".to_owned()
            } else {
                format!("{v} {unit}")
            }
        };
        let restore = match before {
            Some(b) => format!(
                " To restore: set_rate_limit limit={} value={b}.",
                serde_json::to_value(args.limit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            None => String::new(),
        };
        Ok(Answer::new(
            format!(
                "[{}] {} rate limit: {} → {} (read back from show info). Runtime only: a reload restores the configured value.{restore}",
                t.name,
                kind.as_str(),
                before.map_or_else(|| "unknown".to_owned(), shown),
                shown(after)
            ),
            RateLimitOut {
                target: t.name.clone(),
                limit: args.limit,
                unit: unit.to_owned(),
                before,
                after,
            },
        ))
    }
}
