//! Session (stream) control: show_sessions, show_session, shutdown_session,
//! shutdown_server_sessions.
//!
//! `show sess` is asked for in its plainest form, which every version has, and filtered here:
//! the server-side filters (`backend`, `frontend`, `server`, `older`) only exist from 3.0/3.1.

use std::collections::BTreeMap;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{default_limit, limit_or, out};
use crate::haproxy::command::StreamScope;
use crate::haproxy::command::args::{ProxyName, ServerName, ServerRef, SessionId};
use crate::haproxy::parse::sess::{SessionDetail, SessionSummary};
use crate::mcp::answer::{Answer, ToolResult, Truncation, truncate};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::server_to_change;

/// Arguments of show_sessions.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ShowSessionsArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this frontend's.
    #[serde(default)]
    pub frontend: Option<String>,
    /// Only this backend's.
    #[serde(default)]
    pub backend: Option<String>,
    /// Only this server's (with `backend`).
    #[serde(default)]
    pub server: Option<String>,
    /// Only sessions this old or older.
    #[serde(default)]
    #[schemars(range(min = 0, max = 31536000))]
    pub min_age_secs: Option<u64>,
    /// Also list Runtime API sessions.
    #[serde(default)]
    pub include_cli: bool,
    /// Most sessions (default 15).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

/// One session (stream) from `show sess`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionOut {
    /// The session id (`0x…`) that show_session and shutdown_session take.
    pub id: String,
    /// Protocol, e.g. `tcpv4`, `tcpv6`, `unix_stream`.
    pub proto: Option<String>,
    /// Client address `ip:port` (`unix:<listener>` for Unix sockets).
    pub src: Option<String>,
    /// Frontend that accepted it (`GLOBAL` for Runtime API sessions).
    pub frontend: Option<String>,
    /// Backend it is routed to, if any yet.
    pub backend: Option<String>,
    /// Server it is connected to, if any yet.
    pub server: Option<String>,
    /// Age as HAProxy prints it (`5s`, `2m3s`, `1h02m`).
    pub age: Option<String>,
    /// Age in seconds.
    pub age_secs: Option<u64>,
    /// Task wake-ups so far.
    pub calls: Option<u64>,
    /// Time until the session's next timeout, as HAProxy prints it.
    pub expires_in: Option<String>,
    /// Whether this is a Runtime API (CLI) session.
    pub is_cli: bool,
}

impl From<&SessionSummary> for SessionOut {
    fn from(s: &SessionSummary) -> Self {
        Self {
            id: s.id.clone(),
            proto: s.proto.clone(),
            src: s.src.clone(),
            frontend: s.frontend.clone(),
            backend: s.backend.clone(),
            server: s.server.clone(),
            age: s.age.clone(),
            age_secs: s.age_secs(),
            calls: s.calls,
            expires_in: s.exp.clone(),
            is_cli: s.is_cli,
        }
    }
}

/// show_sessions' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionsOut {
    /// Streams HAProxy listed before this tool filtered them (CLI sessions included): all of
    /// them, or on 3.2+ those of the frontend, backend or server asked for.
    pub streams_total: usize,
    /// Matching sessions per backend, the 10 busiest (`<none>`: not routed yet).
    pub by_backend: BTreeMap<String, usize>,
    /// The matching sessions, in HAProxy's order.
    pub sessions: Vec<SessionOut>,
    /// How many sessions matched and whether some were left out.
    pub truncation: Truncation,
}

/// Arguments of tools that name one session.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SessionArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// From show_sessions (`0x…`).
    pub id: String,
}

/// One session in detail (`show sess <id>`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionDetailOut {
    /// The session id (`0x…`).
    pub id: String,
    /// When it was accepted, as HAProxy prints it.
    pub accepted: Option<String>,
    /// HAProxy's unique stream number (`id=`).
    pub uniq_id: Option<u64>,
    /// Protocol.
    pub proto: Option<String>,
    /// Client address.
    pub source: Option<String>,
    /// Frontend.
    pub frontend: Option<String>,
    /// Backend, if any yet.
    pub backend: Option<String>,
    /// Server, if any yet.
    pub server: Option<String>,
    /// HAProxy's whole dump of the session (an internal, version-specific format: flags, timers,
    /// buffers, connections).
    pub raw: String,
}

impl From<SessionDetail> for SessionDetailOut {
    fn from(d: SessionDetail) -> Self {
        Self {
            id: d.id,
            accepted: d.date,
            uniq_id: d.uniq_id,
            proto: d.proto,
            source: d.source,
            frontend: d.frontend,
            backend: d.backend,
            server: d.server,
            raw: d.raw,
        }
    }
}

/// Arguments of shutdown_server_sessions.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ServerSessionsArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
}

/// Confirmation of a session shutdown.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShutdownOut {
    /// The target changed.
    pub target: String,
    /// What was done, as a sentence.
    pub done: String,
}

/// The validated filters of show_sessions.
struct SessionFilter {
    frontend: Option<ProxyName>,
    backend: Option<ProxyName>,
    server: Option<ServerName>,
    min_age_secs: Option<u64>,
    include_cli: bool,
}

impl SessionFilter {
    /// Validates the arguments' names (nothing is sent, but a bad name is still a mistake).
    fn new(args: &ShowSessionsArgs) -> Result<Self, crate::mcp::answer::ToolError> {
        Ok(Self {
            frontend: args.frontend.as_deref().map(ProxyName::new).transpose()?,
            backend: args.backend.as_deref().map(ProxyName::new).transpose()?,
            server: args.server.as_deref().map(ServerName::new).transpose()?,
            min_age_secs: args.min_age_secs,
            include_cli: args.include_cli,
        })
    }

    /// The one filter HAProxy can apply itself: the server (with its backend), else the
    /// backend, else the frontend.
    fn scope(&self) -> Option<StreamScope> {
        match (&self.backend, &self.server, &self.frontend) {
            (Some(b), Some(s), _) => Some(StreamScope::Server(ServerRef::from_parts(
                b.clone(),
                s.clone(),
            ))),
            (Some(b), None, _) => Some(StreamScope::Backend(b.clone())),
            (None, _, Some(f)) => Some(StreamScope::Frontend(f.clone())),
            _ => None,
        }
    }

    fn matches(&self, s: &SessionSummary) -> bool {
        let is = |want: Option<&str>, got: &Option<String>| {
            want.is_none_or(|w| got.as_deref() == Some(w))
        };
        (self.include_cli || !s.is_cli)
            && is(self.frontend.as_ref().map(|n| n.as_str()), &s.frontend)
            && is(self.backend.as_ref().map(|n| n.as_str()), &s.backend)
            && is(self.server.as_ref().map(|n| n.as_str()), &s.server)
            && self
                .min_age_secs
                .is_none_or(|min| s.age_secs().is_some_and(|a| a >= min))
    }

    /// The filters in force, for the summary.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.frontend {
            parts.push(format!("frontend {f}"));
        }
        if let Some(b) = &self.backend {
            parts.push(format!("backend {b}"));
        }
        if let Some(s) = &self.server {
            parts.push(format!("server {s}"));
        }
        if let Some(a) = self.min_age_secs {
            parts.push(format!("at least {a}s old"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

/// Backends with the most sessions kept in `by_backend`.
const BUSIEST_BACKENDS: usize = 10;

/// Sessions per backend, the busiest [`BUSIEST_BACKENDS`] only (ties by name).
fn count_by_backend(sessions: &[&SessionSummary]) -> BTreeMap<String, usize> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for s in sessions {
        let key = s.backend.clone().unwrap_or_else(|| "<none>".to_owned());
        *by.entry(key).or_insert(0) += 1;
    }
    let mut counts: Vec<(String, usize)> = by.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.into_iter().take(BUSIEST_BACKENDS).collect()
}

fn sessions_summary(target: &str, filter: &SessionFilter, out: &SessionsOut) -> String {
    let cli = if filter.include_cli {
        ""
    } else {
        "; Runtime API sessions not counted"
    };
    if out.truncation.total == 0 {
        if filter.scope().is_some() {
            return format!("[{target}] No session matches{}.", filter.describe());
        }
        return format!(
            "[{target}] No session matches{}; HAProxy lists {} stream(s) in all{cli}.",
            filter.describe(),
            out.streams_total
        );
    }
    let mut busiest: Vec<(&String, &usize)> = out.by_backend.iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let by: Vec<String> = busiest
        .iter()
        .take(5)
        .map(|(b, n)| format!("{b} {n}"))
        .collect();
    format!(
        "[{target}] {} session(s) match{}: by backend {}{cli}{}.",
        out.truncation.total,
        filter.describe(),
        by.join(", "),
        out.truncation.suffix()
    )
}

fn detail_summary(target: &str, d: &SessionDetailOut) -> String {
    let route = match (&d.backend, &d.server) {
        (Some(b), Some(s)) => format!("{b}/{s}"),
        (Some(b), None) => format!("{b} (no server yet)"),
        _ => "no backend yet".to_owned(),
    };
    format!(
        "[{target}] Session {} ({} from {}): {} -> {route}, accepted {}.",
        d.id,
        d.proto.as_deref().unwrap_or("?"),
        d.source.as_deref().unwrap_or("?"),
        d.frontend.as_deref().unwrap_or("?"),
        d.accepted.as_deref().unwrap_or("at an unknown time"),
    )
}

#[tool_router(router = sessions_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Lists sessions, filtered and limited.
    #[tool(
        description = "Sessions: id, client, frontend, backend, server, age, oldest first. Ids for show_session, shutdown_session.",
        annotations(title = "Show sessions", read_only_hint = true, open_world_hint = false),
        output_schema = out::<SessionsOut>()
    )]
    async fn show_sessions(
        &self,
        Parameters(args): Parameters<ShowSessionsArgs>,
    ) -> ToolResult<SessionsOut> {
        let t = &self.target(args.target.as_deref())?;
        let filter = SessionFilter::new(&args)?;
        // HAProxy 3.2+ narrows the list itself (the reply stays small on a busy process, and a
        // name it does not know is refused); earlier versions list everything and the filter
        // below does the work.
        let listed = match filter.scope() {
            Some(scope) => t.client.show_sessions_of(&scope).await,
            None => t.client.show_sessions().await,
        };
        let all = checked(t, Subject::Nothing, listed).await?;
        let matching: Vec<&SessionSummary> = all.iter().filter(|s| filter.matches(s)).collect();
        let by_backend = count_by_backend(&matching);
        let mut sessions: Vec<SessionOut> = matching.into_iter().map(SessionOut::from).collect();
        // The oldest first: long-lived sessions are what an operator looks for.
        sessions.sort_by_key(|s| std::cmp::Reverse(s.age_secs.unwrap_or(0)));
        let (sessions, truncation) =
            truncate(sessions, limit_or(args.limit, default_limit::SESSIONS));
        let out = SessionsOut {
            streams_total: all.len(),
            by_backend,
            sessions,
            truncation,
        };
        Ok(Answer::new(sessions_summary(&t.name, &filter, &out), out))
    }

    /// One session in detail.
    #[tool(
        description = "One session in detail: accept time, client, frontend, backend, server, HAProxy's dump. Ids from show_sessions.",
        annotations(title = "Show one session", read_only_hint = true, open_world_hint = false),
        output_schema = out::<SessionDetailOut>()
    )]
    async fn show_session(
        &self,
        Parameters(args): Parameters<SessionArgs>,
    ) -> ToolResult<SessionDetailOut> {
        let t = &self.target(args.target.as_deref())?;
        let id = SessionId::new(&args.id)?;
        let detail = checked(t, Subject::Nothing, t.client.show_session(&id).await).await?;
        let out = SessionDetailOut::from(detail);
        Ok(Answer::new(detail_summary(&t.name, &out), out))
    }

    /// Kills one session.
    #[tool(
        description = "Kill one session: its connections close at once, requests in flight are lost. Ids are reused: list again, never retry an old one.",
        annotations(title = "Shut down a session", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<ShutdownOut>()
    )]
    async fn shutdown_session(
        &self,
        Parameters(args): Parameters<SessionArgs>,
    ) -> ToolResult<ShutdownOut> {
        let t = &self.target(args.target.as_deref())?;
        let id = SessionId::new(&args.id)?;
        checked(t, Subject::Nothing, t.client.shutdown_session(&id).await).await?;
        let done = format!(
            "session {} was shut down; its connections are closed",
            id.as_str()
        );
        Ok(Answer::new(
            format!("[{}] Done: {done}.", t.name),
            ShutdownOut {
                target: t.name.clone(),
                done,
            },
        ))
    }

    /// Kills every session on one server.
    #[tool(
        description = "Kill every session of a server: connections close at once, requests in flight are lost. Typically after maint.",
        annotations(title = "Shut down a server's sessions", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<ShutdownOut>()
    )]
    async fn shutdown_server_sessions(
        &self,
        Parameters(args): Parameters<ServerSessionsArgs>,
    ) -> ToolResult<ShutdownOut> {
        let t = &self.target(args.target.as_deref())?;
        let server = server_to_change(&args.backend, &args.server)?;
        let result = t.client.shutdown_server_sessions(&server).await;
        checked(t, Subject::Server(&server), result).await?;
        let done = format!("every session on {server} was shut down");
        Ok(Answer::new(
            format!(
                "[{}] Done: {done}. New sessions can still reach it unless it is in drain or maintenance.",
                t.name
            ),
            ShutdownOut {
                target: t.name.clone(),
                done,
            },
        ))
    }
}
