//! Topology discovery: list_frontends, list_backends, get_backend, list_servers, get_server,
//! show_servers_state, show_servers_conn, list_maps, list_acls, list_tables.
//!
//! Server views merge two reports: `show servers state` (administrative flags, configured
//! weight, address) and `show stat` (status as HAProxy shows it, sessions, checks); the merging
//! and the verdict live in [`crate::mcp::views`], shared with the other toolsets.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{ServerArgs, default_limit, limit_or, out};
use crate::haproxy::command::args::{ProxyName, ServerRef};
use crate::haproxy::command::{ListKind, StatFilter, StatObjects};
use crate::haproxy::parse::{
    MapInfo, OpState, ServerConn, ServerState, StatKind, StatRow, TableInfo,
};
use crate::mcp::answer::{Answer, ToolError, ToolResult, Truncation, truncate};
use crate::mcp::explain::{Subject, backends_note, checked, list_or_none};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::views::{
    ServerCondition, ServerOut, ServerTally, admin_flags, check_passed, mark_if_proxy_disabled,
    merge_servers, opt, proxy_disabled, proxy_stat, read_servers, server_out, server_phrase,
    stat_servers,
};

// ---- arguments ----------------------------------------------------------------------------------

/// Arguments of tools that list something and take nothing else.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Most items (default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

/// Arguments of get_backend.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct BackendArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend's name (see list_backends).
    pub backend: String,
    /// Most servers (default 10, problems first).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

/// Arguments of tools that list per-server rows, for one backend or all.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ServerRowsArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this backend.
    #[serde(default)]
    pub backend: Option<String>,
    /// Most rows (default 8).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

/// Which servers list_servers keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateFilter {
    /// Up and taking traffic.
    Up,
    /// Down (failing health checks).
    Down,
    /// Draining: no new sessions.
    Drain,
    /// In maintenance.
    Maint,
    /// Soft-stopping (NOLB).
    Nolb,
    /// Anything that is not up.
    NotUp,
}

impl StateFilter {
    /// Whether a server in `state` passes the filter.
    fn admits(self, state: ServerCondition) -> bool {
        match self {
            Self::Up => state == ServerCondition::Up,
            Self::Down => state == ServerCondition::Down,
            Self::Drain => state == ServerCondition::Drain,
            Self::Maint => state == ServerCondition::Maint,
            Self::Nolb => state == ServerCondition::Nolb,
            Self::NotUp => state != ServerCondition::Up,
        }
    }
}

/// Arguments of list_servers.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListServersArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this backend's servers.
    #[serde(default)]
    pub backend: Option<String>,
    /// Only servers in this state.
    #[serde(default)]
    pub state: Option<StateFilter>,
    /// Most servers (default 10, problems first).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

// ---- outputs ------------------------------------------------------------------------------------

/// A frontend from `show stat`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FrontendOut {
    /// Frontend name.
    pub name: String,
    /// `OPEN`, `FULL` (at its session limit), `PAUSED` (`disable frontend`) or `STOP` (shut
    /// down).
    pub status: Option<String>,
    /// `http` or `tcp`.
    pub mode: Option<String>,
    /// Current sessions.
    pub sessions: Option<u64>,
    /// Session limit (maxconn).
    pub session_limit: Option<u64>,
    /// Highest number of concurrent sessions seen.
    pub sessions_max: Option<u64>,
    /// Sessions since the counters were last cleared.
    pub sessions_total: Option<u64>,
    /// New sessions per second (last second).
    pub session_rate: Option<u64>,
    /// HTTP requests per second (last second).
    pub request_rate: Option<u64>,
    /// Request errors.
    pub request_errors: Option<u64>,
    /// Denied requests.
    pub denied_requests: Option<u64>,
}

/// list_frontends' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FrontendsOut {
    /// The frontends, in HAProxy's order.
    pub frontends: Vec<FrontendOut>,
    /// How many there are and whether some were left out.
    pub truncation: Truncation,
}

/// A backend from `show stat` (its aggregate row and its servers).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BackendOut {
    /// Backend name.
    pub name: String,
    /// `UP` while at least one server is usable (or it has no servers at all), else `DOWN`;
    /// `STOP` when `disabled` (no statistics).
    pub status: Option<String>,
    /// `http` or `tcp`.
    pub mode: Option<String>,
    /// Load-balancing algorithm (`roundrobin`, `leastconn`, `static-rr`, …).
    pub algo: Option<String>,
    /// Server states.
    pub servers: ServerTally,
    /// Current sessions.
    pub sessions: Option<u64>,
    /// Session limit.
    pub session_limit: Option<u64>,
    /// Requests waiting in the queue.
    pub queued: Option<u64>,
    /// Total weight of the usable servers.
    pub weight: Option<u64>,
    /// Sessions since the counters were last cleared.
    pub sessions_total: Option<u64>,
    /// Connection errors to servers.
    pub connection_errors: Option<u64>,
    /// HTTP 5xx responses.
    pub http_5xx: Option<u64>,
    /// Average response time (first byte), over HAProxy's last 1024 requests.
    pub avg_response_ms: Option<u64>,
    /// Average total time of a session, over the last 1024.
    pub avg_total_ms: Option<u64>,
}

/// How many of the slowest backends list_backends names in its sentence.
const SLOWEST_NAMED: usize = 3;

/// list_backends' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BackendsOut {
    /// The backends, in HAProxy's order.
    pub backends: Vec<BackendOut>,
    /// How many there are and whether some were left out.
    pub truncation: Truncation,
}

/// get_backend's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BackendDetailOut {
    /// The backend (its server counts cover every server, shown or not).
    pub backend: BackendOut,
    /// Its servers, those not up first.
    pub servers: Vec<ServerOut>,
    /// How many servers it has and whether some were left out.
    pub truncation: Truncation,
}

/// list_servers' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServersOut {
    /// State counts of every server looked at (before the state filter).
    pub tally: ServerTally,
    /// The servers that match.
    pub servers: Vec<ServerOut>,
    /// How many matched and whether some were left out.
    pub truncation: Truncation,
}

/// Everything known about one server beyond [`ServerOut`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ServerDetails {
    /// Server id within its backend (usable as `#<id>`).
    pub id: Option<u32>,
    /// The backend's id.
    pub backend_id: Option<u32>,
    /// Operational state: stopped, starting, running, stopping.
    pub op_state: Option<String>,
    /// The raw administrative bitmask from `show servers state`.
    pub admin_state_raw: Option<u32>,
    /// Last check result: unknown, neutral, failed, passed, condpass.
    pub check_result: Option<String>,
    /// Check health counter (rise/fall progress).
    pub check_health: Option<i64>,
    /// Whether agent checks are enabled.
    pub agent_enabled: Option<bool>,
    /// Last agent check status.
    pub agent_status: Option<String>,
    /// Last agent check in words.
    pub agent_desc: Option<String>,
    /// Configured FQDN.
    pub fqdn: Option<String>,
    /// TLS towards the server.
    pub use_ssl: Option<bool>,
    /// Port health checks use (0: the server's).
    pub check_port: Option<u16>,
    /// Address health checks use.
    pub check_addr: Option<String>,
    /// Agent address.
    pub agent_addr: Option<String>,
    /// Agent port.
    pub agent_port: Option<u16>,
    /// The server this one tracks (`backend/server`).
    pub tracked: Option<String>,
    /// Persistence cookie value.
    pub cookie: Option<String>,
    /// Most concurrent sessions seen.
    pub sessions_max: Option<u64>,
    /// Sessions since the counters were last cleared.
    pub sessions_total: Option<u64>,
    /// Times the load balancer picked it.
    pub selected_total: Option<u64>,
    /// Seconds since its last session (-1: never).
    pub last_session_secs: Option<i64>,
    /// Seconds spent down in all.
    pub downtime_secs: Option<u64>,
    /// Failed health checks.
    pub failed_checks: Option<u64>,
    /// UP to DOWN transitions.
    pub down_transitions: Option<u64>,
    /// Connection errors.
    pub connection_errors: Option<u64>,
    /// Response errors.
    pub response_errors: Option<u64>,
    /// Connection retries.
    pub retries: Option<u64>,
    /// Redispatches to another server.
    pub redispatches: Option<u64>,
    /// HTTP 4xx responses.
    pub http_4xx: Option<u64>,
    /// HTTP 5xx responses.
    pub http_5xx: Option<u64>,
    /// Average queue time in ms (last 1024 requests).
    pub avg_queue_ms: Option<u64>,
    /// Average connect time in ms.
    pub avg_connect_ms: Option<u64>,
    /// Average response time in ms.
    pub avg_response_ms: Option<u64>,
    /// Average total session time in ms.
    pub avg_total_ms: Option<u64>,
    /// Bytes received from clients.
    pub bytes_in: Option<u64>,
    /// Bytes sent to clients.
    pub bytes_out: Option<u64>,
}

/// get_server's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerDetailOut {
    /// The server's summary, as list_servers shows it.
    pub server: ServerOut,
    /// Everything else.
    pub details: ServerDetails,
}

/// One row of `show servers state`, typed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerStateRow {
    /// Backend id.
    pub backend_id: u32,
    /// Backend name.
    pub backend: String,
    /// Server id.
    pub id: u32,
    /// Server name.
    pub name: String,
    /// The state in one word, derived from the two state columns.
    pub state: ServerCondition,
    /// Address.
    pub addr: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// srv_op_state: stopped, starting, running, stopping.
    pub op_state: String,
    /// srv_admin_state bitmask.
    pub admin_state: u32,
    /// The bitmask's flags by name (see list_servers' admin_flags).
    pub admin_flags: Vec<String>,
    /// User-set weight.
    pub weight: Option<u32>,
    /// Configured weight.
    pub initial_weight: Option<u32>,
    /// Seconds since the last change.
    pub secs_since_change: Option<i64>,
    /// srv_check_status (HCHK_STATUS number: 15 L7OK, 6 L4OK, 8 L4CON, 1 no check, …).
    pub check_status_code: Option<u32>,
    /// srv_check_result by name.
    pub check_result: Option<String>,
    /// srv_check_health.
    pub check_health: Option<i64>,
    /// Health checks enabled.
    pub checks_enabled: bool,
    /// Agent checks enabled.
    pub agent_enabled: bool,
    /// FQDN.
    pub fqdn: Option<String>,
    /// TLS towards the server.
    pub use_ssl: Option<bool>,
    /// Health check port.
    pub check_port: Option<u16>,
    /// Health check address.
    pub check_addr: Option<String>,
    /// Agent address.
    pub agent_addr: Option<String>,
    /// Agent port.
    pub agent_port: Option<u16>,
}

/// show_servers_state's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServersStateOut {
    /// One row per server.
    pub servers: Vec<ServerStateRow>,
    /// How many rows and whether some were left out.
    pub truncation: Truncation,
}

/// One row of `show servers conn`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerConnRow {
    /// Backend name.
    pub backend: String,
    /// Server name.
    pub server: String,
    /// Address.
    pub addr: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Connections in use now.
    pub used_cur: Option<u64>,
    /// Most connections in use at once.
    pub used_max: Option<u64>,
    /// Estimated connections needed.
    pub need_est: Option<u64>,
    /// Idle connections now.
    pub idle_cur: Option<u64>,
    /// Idle connections safe to reuse.
    pub safe_idle: Option<u64>,
    /// Idle connections not safe to reuse.
    pub unsafe_idle: Option<u64>,
    /// Idle connection limit (-1: none).
    pub idle_limit: Option<i64>,
    /// Delay before idle connections are purged, in ms.
    pub purge_delay_ms: Option<u64>,
    /// Idle connections per thread.
    pub idle_per_thread: Vec<i64>,
}

/// show_servers_conn's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServersConnOut {
    /// One row per server.
    pub servers: Vec<ServerConnRow>,
    /// How many rows and whether some were left out.
    pub truncation: Truncation,
}

/// A map or ACL loaded in HAProxy.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListRefOut {
    /// The reference other tools take: `#<id>`.
    pub reference: String,
    /// The file it was loaded from; absent for ACLs written inline in the configuration.
    pub file: Option<String>,
    /// HAProxy's description (where it is used).
    pub description: String,
    /// Number of entries.
    pub entries: Option<u64>,
    /// Version in use.
    pub version: Option<u64>,
    /// Last prepared version (for atomic replacement).
    pub next_version: Option<u64>,
}

/// list_maps / list_acls' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListRefsOut {
    /// The maps or ACLs.
    pub items: Vec<ListRefOut>,
    /// How many there are and whether some were left out.
    pub truncation: Truncation,
}

/// A stick table.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TableOut {
    /// Table name (the section that declares it).
    pub name: String,
    /// Key type: ip, ipv6, integer, string or binary.
    pub key_type: String,
    /// Capacity in entries.
    pub size: u64,
    /// Entries in use.
    pub used: u64,
}

/// list_tables' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TablesOut {
    /// The stick tables.
    pub tables: Vec<TableOut>,
    /// How many there are and whether some were left out.
    pub truncation: Truncation,
}

// ---- tools --------------------------------------------------------------------------------------

/// Servers that need a look first (down, drain, maintenance…), then the rest, each group in
/// HAProxy's order: a shortened list leads with what the operator asked about.
fn problems_first(servers: &mut [ServerOut]) {
    servers.sort_by_key(|s| s.state == ServerCondition::Up);
}

/// `show stat -1 1 -1`: frontends only.
fn frontends_only() -> StatFilter {
    StatFilter {
        proxy: None,
        objects: Some(StatObjects {
            frontends: true,
            ..Default::default()
        }),
    }
}

#[tool_router(router = topology_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// The frontends: status, sessions, limit, rates, mode.
    #[tool(
        description = "Frontends: status (OPEN/FULL/PAUSED/STOP), mode, sessions vs limit, session and request rates, request errors.",
        annotations(title = "List frontends", read_only_hint = true, open_world_hint = false),
        output_schema = out::<FrontendsOut>()
    )]
    async fn list_frontends(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> ToolResult<FrontendsOut> {
        let t = &self.target(args.target.as_deref())?;
        let report = checked(
            t,
            Subject::Nothing,
            t.client.show_stat(&frontends_only()).await,
        )
        .await?;
        let all: Vec<FrontendOut> = report
            .of_kind(StatKind::Frontend)
            .map(frontend_out)
            .collect();
        let (frontends, truncation) = truncate(all, limit_or(args.limit, default_limit::LISTED));
        let parts: Vec<String> = frontends
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}/{} sessions",
                    f.name,
                    f.status.as_deref().unwrap_or("?"),
                    f.mode.as_deref().unwrap_or("?"),
                    opt(f.sessions),
                    opt(f.session_limit)
                )
            })
            .collect();
        let summary = format!(
            "[{}] {} frontend(s): {}{}.",
            t.name,
            truncation.total,
            parts.join("; "),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            FrontendsOut {
                frontends,
                truncation,
            },
        ))
    }

    /// The backends: status, algorithm, servers up/total, sessions, queue.
    #[tool(
        description = "Backends with status, mode, algorithm, servers up/down/drain/maint, sessions, queue, errors, 5xx, response times; problems first, then the slowest.",
        annotations(title = "List backends", read_only_hint = true, open_world_hint = false),
        output_schema = out::<BackendsOut>()
    )]
    async fn list_backends(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> ToolResult<BackendsOut> {
        let t = &self.target(args.target.as_deref())?;
        let everything = StatFilter::default();
        let (names, stat) = tokio::join!(t.client.show_backends(), t.client.show_stat(&everything));
        let names = checked(t, Subject::Nothing, names).await?;
        let stat = checked(t, Subject::Nothing, stat).await?;
        // A `disabled` backend has no statistics: its servers are only in `show servers state`,
        // read when there is one.
        let disabled = names.iter().any(|n| proxy_disabled(&stat, n));
        let state = if disabled {
            Some(checked(t, Subject::Nothing, t.client.show_servers_state(None).await).await?)
        } else {
            None
        };
        let mut all: Vec<BackendOut> = names
            .iter()
            .map(|name| match &state {
                Some(state) if proxy_disabled(&stat, name) => {
                    disabled_backend(name, &merge_servers(state, &stat, Some(name)))
                }
                _ => backend_out(name, stat.find(name, "BACKEND"), &stat_servers(&stat, name)),
            })
            .collect();
        // Backends that are not UP or have servers out of service first.
        let healthy =
            |b: &BackendOut| b.status.as_deref() == Some("UP") && b.servers.up == b.servers.total;
        all.sort_by_key(healthy);
        // Over every backend, shown or not: the slowest may be a healthy one left out.
        let slowest = slowest_phrase(&all);
        let (backends, truncation) = truncate(all, limit_or(args.limit, default_limit::LISTED));
        let parts: Vec<String> = backends.iter().map(backend_phrase).collect();
        let summary = format!(
            "[{}] {} backend(s): {}{}.{slowest}",
            t.name,
            truncation.total,
            parts.join("; "),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            BackendsOut {
                backends,
                truncation,
            },
        ))
    }

    /// One backend with its servers.
    #[tool(
        description = "One backend in full: status, mode, algorithm, sessions, queue, errors; each server's address, state, weight, check, sessions.",
        annotations(title = "Get backend", read_only_hint = true, open_world_hint = false),
        output_schema = out::<BackendDetailOut>()
    )]
    async fn get_backend(
        &self,
        Parameters(args): Parameters<BackendArgs>,
    ) -> ToolResult<BackendDetailOut> {
        let t = &self.target(args.target.as_deref())?;
        let be = ProxyName::new(args.backend)?;
        let filter = proxy_stat(Some(be.clone()));
        let (stat, state) = tokio::join!(
            t.client.show_stat(&filter),
            t.client.show_servers_state(Some(&be))
        );
        let stat = checked(t, Subject::Nothing, stat).await?;
        let row = stat.find(be.as_str(), "BACKEND");
        let listed = match row {
            Some(_) => true,
            None => t
                .client
                .show_backends()
                .await
                .is_ok_and(|names| names.iter().any(|n| n == be.as_str())),
        };
        if !listed {
            let note = backends_note(t).await.unwrap_or_default();
            return Err(ToolError::new(format!(
                "[{}] {be} is not a backend (it may be a frontend).\n{note}",
                t.name
            )));
        }
        let state = checked(t, Subject::Nothing, state).await?;
        let mut all = merge_servers(&state, &stat, Some(be.as_str()));
        let backend = match row {
            Some(row) => backend_out(be.as_str(), Some(row), &all),
            None => disabled_backend(be.as_str(), &all),
        };
        problems_first(&mut all);
        let (servers, truncation) = truncate(all, limit_or(args.limit, default_limit::SERVERS));
        let mut summary = format!("[{}] {}.", t.name, backend_phrase(&backend));
        let not_up: Vec<&ServerOut> = servers
            .iter()
            .filter(|s| s.state != ServerCondition::Up)
            .collect();
        for s in not_up.iter().take(5) {
            summary.push_str(&format!(" {}", server_phrase(s)));
        }
        let others = backend.servers.total - backend.servers.up;
        if others > 5 {
            summary.push_str(&format!(" …and {} more not up.", others - 5));
        }
        if truncation.truncated.is_some() {
            summary.push_str(&format!(
                " Showing {} of {} servers{}.",
                truncation.shown,
                truncation.total,
                truncation.suffix()
            ));
        }
        Ok(Answer::new(
            summary,
            BackendDetailOut {
                backend,
                servers,
                truncation,
            },
        ))
    }

    /// Servers with address, state, weight, check and sessions.
    #[tool(
        description = "Servers of one backend or all: address, port, state (HAProxy's verdict), weight, check, sessions, queue. Problems first; `state` filters.",
        annotations(title = "List servers", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ServersOut>()
    )]
    async fn list_servers(
        &self,
        Parameters(args): Parameters<ListServersArgs>,
    ) -> ToolResult<ServersOut> {
        let t = &self.target(args.target.as_deref())?;
        let be = args.backend.map(ProxyName::new).transpose()?;
        let (state, stat) = read_servers(t, be.as_ref()).await?;
        let all = merge_servers(&state, &stat, be.as_ref().map(ProxyName::as_str));
        let tally = ServerTally::of(&all);
        let mut matching: Vec<ServerOut> = all
            .into_iter()
            .filter(|s| args.state.is_none_or(|f| f.admits(s.state)))
            .collect();
        problems_first(&mut matching);
        let (servers, truncation) =
            truncate(matching, limit_or(args.limit, default_limit::SERVERS));
        let scope = be
            .as_ref()
            .map_or("all backends".to_owned(), |b| b.to_string());
        let mut summary = format!(
            "[{}] {scope}: {} server(s), {} up, {} down, {} drain, {} maint.",
            t.name, tally.total, tally.up, tally.down, tally.drain, tally.maint
        );
        for s in servers
            .iter()
            .filter(|s| s.state != ServerCondition::Up)
            .take(5)
        {
            summary.push_str(&format!(" {}", server_phrase(s)));
        }
        summary.push_str(&format!(
            " Showing {} of {} matching{}.",
            truncation.shown,
            truncation.total,
            truncation.suffix()
        ));
        Ok(Answer::new(
            summary,
            ServersOut {
                tally,
                servers,
                truncation,
            },
        ))
    }

    /// One server in full.
    #[tool(
        description = "One server in full: address, state and admin flags, weights, checks, sessions, limits, errors, timings. 'What is wrong with server X?'",
        annotations(title = "Get server", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ServerDetailOut>()
    )]
    async fn get_server(
        &self,
        Parameters(args): Parameters<ServerArgs>,
    ) -> ToolResult<ServerDetailOut> {
        let t = &self.target(args.target.as_deref())?;
        let srv = ServerRef::new(&args.backend, &args.server)?;
        let (state, stat) = read_servers(t, Some(&srv.backend)).await?;
        let st = state.servers.iter().find(|s| s.name == srv.server.as_str());
        let row = stat.find(srv.backend.as_str(), srv.server.as_str());
        if st.is_none() && row.is_none() {
            let names: Vec<String> = merge_servers(&state, &stat, None)
                .into_iter()
                .map(|s| s.name)
                .collect();
            return Err(ToolError::new(format!(
                "[{}] There is no server {} in backend {}. Servers in {}: {}.",
                t.name,
                srv.server,
                srv.backend,
                srv.backend,
                list_or_none(&names)
            )));
        }
        let mut server = server_out(st, row, srv.backend.as_str(), srv.server.as_str());
        mark_if_proxy_disabled(&mut server, &stat);
        let details = details(st, row);
        let mut summary = format!("[{}] {}", t.name, server_phrase(&server));
        summary.push_str(&format!(
            " Weight {} (initial {}), {} session(s).",
            opt(server.weight),
            opt(server.initial_weight),
            opt(server.sessions),
        ));
        summary.push_str(&limit_phrase(&server));
        summary.push_str(&checks_phrase(&server, &details));
        Ok(Answer::new(summary, ServerDetailOut { server, details }))
    }

    /// `show servers state`, typed.
    #[tool(
        description = "Raw `show servers state` rows, decoded (ids, address, states, weights, checks, agent). Prefer list_servers.",
        annotations(title = "Show servers state", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ServersStateOut>()
    )]
    async fn show_servers_state(
        &self,
        Parameters(args): Parameters<ServerRowsArgs>,
    ) -> ToolResult<ServersStateOut> {
        let t = &self.target(args.target.as_deref())?;
        let be = args.backend.map(ProxyName::new).transpose()?;
        let state = checked(
            t,
            Subject::Nothing,
            t.client.show_servers_state(be.as_ref()).await,
        )
        .await?;
        let rows: Vec<ServerStateRow> = state.servers.iter().map(state_row).collect();
        let (servers, truncation) =
            truncate(rows, limit_or(args.limit, default_limit::SERVER_ROWS));
        let summary = format!(
            "[{}] {} server state row(s){}{}.",
            t.name,
            truncation.total,
            be.map_or(String::new(), |b| format!(" in {b}")),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            ServersStateOut {
                servers,
                truncation,
            },
        ))
    }

    /// `show servers conn`, typed.
    #[tool(
        description = "Connection pools per server: in use, idle (safe/unsafe), limits, per thread.",
        annotations(title = "Show servers connections", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ServersConnOut>()
    )]
    async fn show_servers_conn(
        &self,
        Parameters(args): Parameters<ServerRowsArgs>,
    ) -> ToolResult<ServersConnOut> {
        let t = &self.target(args.target.as_deref())?;
        let be = args.backend.map(ProxyName::new).transpose()?;
        let conn = checked(
            t,
            Subject::Nothing,
            t.client.show_servers_conn(be.as_ref()).await,
        )
        .await?;
        let mut rows: Vec<ServerConnRow> = conn.rows.iter().map(conn_row).collect();
        let in_use: u64 = rows.iter().filter_map(|r| r.used_cur).sum();
        let idle: u64 = rows.iter().filter_map(|r| r.idle_cur).sum();
        // The busiest pools first (connections in use, then idle).
        rows.sort_by_key(|r| std::cmp::Reverse((r.used_cur.unwrap_or(0), r.idle_cur.unwrap_or(0))));
        let (servers, truncation) =
            truncate(rows, limit_or(args.limit, default_limit::SERVER_ROWS));
        let summary = format!(
            "[{}] {} server(s){}: {in_use} connection(s) in use, {idle} idle{}.",
            t.name,
            truncation.total,
            be.map_or(String::new(), |b| format!(" in {b}")),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            ServersConnOut {
                servers,
                truncation,
            },
        ))
    }

    /// The loaded maps.
    #[tool(
        description = "Maps HAProxy has loaded: #id, file, entry count, version, where used.",
        annotations(title = "List maps", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ListRefsOut>()
    )]
    async fn list_maps(&self, Parameters(args): Parameters<ListArgs>) -> ToolResult<ListRefsOut> {
        self.list_refs(ListKind::Map, args).await
    }

    /// The loaded ACLs.
    #[tool(
        description = "ACLs HAProxy has loaded: #id, file (none when inline), entry count, version, where used.",
        annotations(title = "List ACLs", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ListRefsOut>()
    )]
    async fn list_acls(&self, Parameters(args): Parameters<ListArgs>) -> ToolResult<ListRefsOut> {
        self.list_refs(ListKind::Acl, args).await
    }

    /// The stick tables.
    #[tool(
        description = "Stick tables: name, key type, capacity and entries in use. show_table lists entries.",
        annotations(title = "List stick tables", read_only_hint = true, open_world_hint = false),
        output_schema = out::<TablesOut>()
    )]
    async fn list_tables(&self, Parameters(args): Parameters<ListArgs>) -> ToolResult<TablesOut> {
        let t = &self.target(args.target.as_deref())?;
        let tables = checked(t, Subject::Nothing, t.client.show_tables().await).await?;
        let all: Vec<TableOut> = tables.into_iter().map(table_out).collect();
        let (tables, truncation) = truncate(all, limit_or(args.limit, default_limit::LISTED));
        let parts: Vec<String> = tables
            .iter()
            .map(|x| format!("{} ({}, {}/{} used)", x.name, x.key_type, x.used, x.size))
            .collect();
        let summary = format!(
            "[{}] {} stick table(s): {}{}.",
            t.name,
            truncation.total,
            list_or_none(&parts),
            truncation.suffix()
        );
        Ok(Answer::new(summary, TablesOut { tables, truncation }))
    }
}

impl HaproxyMcp {
    async fn list_refs(&self, kind: ListKind, args: ListArgs) -> ToolResult<ListRefsOut> {
        let t = &self.target(args.target.as_deref())?;
        let lists = checked(t, Subject::Nothing, t.client.show_lists(kind).await).await?;
        let all: Vec<ListRefOut> = lists.into_iter().map(list_ref).collect();
        let (items, truncation) = truncate(all, limit_or(args.limit, default_limit::LISTED));
        let parts: Vec<String> = items
            .iter()
            .map(|i| {
                format!(
                    "{} {} ({} entries)",
                    i.reference,
                    i.file.as_deref().unwrap_or("inline"),
                    opt(i.entries)
                )
            })
            .collect();
        let what = match kind {
            ListKind::Map => "map(s)",
            ListKind::Acl => "ACL(s)",
        };
        let summary = format!(
            "[{}] {} {what}: {}{}.",
            t.name,
            truncation.total,
            list_or_none(&parts),
            truncation.suffix()
        );
        Ok(Answer::new(summary, ListRefsOut { items, truncation }))
    }
}

// ---- private conversions ------------------------------------------------------------------------

fn frontend_out(r: &StatRow) -> FrontendOut {
    FrontendOut {
        name: r.proxy.clone(),
        status: r.status.clone(),
        mode: r.mode.clone(),
        sessions: r.scur,
        session_limit: r.slim,
        sessions_max: r.smax,
        sessions_total: r.stot,
        session_rate: r.rate,
        request_rate: r.req_rate,
        request_errors: r.ereq,
        denied_requests: r.dreq,
    }
}

fn backend_out(name: &str, row: Option<&StatRow>, servers: &[ServerOut]) -> BackendOut {
    BackendOut {
        name: name.to_owned(),
        status: row.and_then(|r| r.status.clone()),
        mode: row.and_then(|r| r.mode.clone()),
        algo: row.and_then(StatRow::algorithm),
        servers: ServerTally::of(servers),
        sessions: row.and_then(|r| r.scur),
        session_limit: row.and_then(|r| r.slim),
        queued: row.and_then(|r| r.qcur),
        weight: row.and_then(|r| r.weight),
        sessions_total: row.and_then(|r| r.stot),
        connection_errors: row.and_then(|r| r.econ),
        http_5xx: row.and_then(|r| r.hrsp_5xx),
        avg_response_ms: row.and_then(|r| r.rtime),
        avg_total_ms: row.and_then(|r| r.ttime),
    }
}

/// "Slowest: be_a 120 ms total (80 ms to respond), …" over the backends that served traffic,
/// slowest first; empty when none has timings.
fn slowest_phrase(backends: &[BackendOut]) -> String {
    let mut timed: Vec<&BackendOut> = backends
        .iter()
        .filter(|b| b.avg_total_ms.is_some_and(|t| t > 0))
        .collect();
    if timed.is_empty() {
        return String::new();
    }
    timed.sort_by_key(|b| std::cmp::Reverse(b.avg_total_ms));
    let named: Vec<String> = timed
        .iter()
        .take(SLOWEST_NAMED)
        .map(|b| {
            format!(
                "{} {} ms total ({} ms to respond)",
                b.name,
                opt(b.avg_total_ms),
                opt(b.avg_response_ms)
            )
        })
        .collect();
    format!(
        " Slowest (averages of the last 1024 requests): {}.",
        named.join(", ")
    )
}

/// A backend HAProxy lists (`show backend`) but gives no statistics: `disabled` in the
/// configuration. It serves nothing; its servers come from `show servers state`.
fn disabled_backend(name: &str, servers: &[ServerOut]) -> BackendOut {
    BackendOut {
        status: Some(STOPPED.to_owned()),
        ..backend_out(name, None, servers)
    }
}

/// The status of a backend that HAProxy lists without statistics (HAProxy's word for a stopped
/// proxy).
const STOPPED: &str = "STOP";

fn backend_phrase(b: &BackendOut) -> String {
    if b.status.as_deref() == Some(STOPPED) && b.mode.is_none() {
        return format!(
            "{} STOP (disabled in the configuration: no traffic, no statistics; {} server(s))",
            b.name, b.servers.total
        );
    }
    let servers = if b.servers.total == 0 {
        "no servers".to_owned()
    } else {
        format!("{}/{} servers up", b.servers.up, b.servers.total)
    };
    format!(
        "{} {} ({}, {}, {servers}, {} session(s), {} queued)",
        b.name,
        b.status.as_deref().unwrap_or("?"),
        b.mode.as_deref().unwrap_or("?"),
        b.algo.as_deref().unwrap_or("?"),
        opt(b.sessions),
        opt(b.queued)
    )
}

/// What get_server's summary says when a server is at its `maxconn` or has requests waiting:
/// new requests then wait in its queue (or the backend's) instead of reaching it.
fn limit_phrase(s: &ServerOut) -> String {
    let mut p = String::new();
    if let (Some(sessions), Some(limit)) = (s.sessions, s.session_limit)
        && limit > 0
        && sessions >= limit
    {
        p.push_str(&format!(
            " At its session limit ({sessions} of maxconn {limit}): new requests wait in a queue."
        ));
    }
    if let Some(q) = s.queued.filter(|q| *q > 0) {
        p.push_str(&format!(" {q} request(s) queued for it."));
    }
    p
}

/// What get_server's summary says of a server's checks, for a reader of the text alone: the
/// server it tracks (whose checks decide its state), its last health check, its agent check
/// when that fails (an agent's failure leaves the server UP, so nothing else would say it), and
/// whether it is a backup.
fn checks_phrase(s: &ServerOut, d: &ServerDetails) -> String {
    let mut p = String::new();
    if let Some(tracked) = &d.tracked {
        p.push_str(&format!(
            " It tracks {tracked}: no checks of its own, its state follows that server's."
        ));
    } else {
        match s.check_status.as_deref() {
            Some(status) => {
                p.push_str(&format!(" Last check {status}"));
                // A DOWN server's phrase already gives the reason.
                if s.state != ServerCondition::Down
                    && !check_passed(status)
                    && let Some(desc) = &s.check_desc
                {
                    p.push_str(&format!(" ({desc})"));
                }
                p.push('.');
            }
            // Configured checks that have no result (a server in maintenance is not checked).
            None if s.checks_enabled == Some(true) => {
                p.push_str(" Health checks are on; none has a result yet.");
            }
            None => p.push_str(" No health check."),
        }
    }
    if let Some(agent) = d.agent_status.as_deref().filter(|a| !check_passed(a)) {
        p.push_str(&format!(
            " Agent check failing: {agent}{}{}.",
            d.agent_desc
                .as_deref()
                .map_or(String::new(), |desc| format!(" ({desc})")),
            d.agent_port
                .map_or(String::new(), |port| format!(", agent port {port}")),
        ));
    }
    if s.backup {
        p.push_str(" A backup server: used only when no active server is up.");
    }
    p
}

fn op_state_name(op: OpState) -> String {
    match op {
        OpState::Stopped => "stopped".to_owned(),
        OpState::Starting => "starting".to_owned(),
        OpState::Running => "running".to_owned(),
        OpState::Stopping => "stopping".to_owned(),
        OpState::Unknown(n) => format!("unknown ({n})"),
    }
}

fn details(st: Option<&ServerState>, row: Option<&StatRow>) -> ServerDetails {
    let r = |f: fn(&StatRow) -> Option<u64>| row.and_then(f);
    ServerDetails {
        id: st.map(|s| s.id),
        backend_id: st.map(|s| s.backend_id),
        op_state: st.map(|s| op_state_name(s.op_state)),
        admin_state_raw: st.map(|s| s.admin_state.raw),
        check_result: st
            .and_then(ServerState::check_result_name)
            .map(str::to_owned),
        check_health: st.and_then(|s| s.check_health),
        agent_enabled: st.map(ServerState::agent_enabled),
        agent_status: row
            .and_then(|x| x.agent_status.clone())
            .filter(|s| !s.is_empty()),
        agent_desc: row
            .and_then(|x| x.agent_desc.clone())
            .filter(|s| !s.is_empty()),
        fqdn: st.and_then(|s| s.fqdn.clone()),
        use_ssl: st.and_then(|s| s.use_ssl),
        check_port: st.and_then(|s| s.check_port),
        check_addr: st.and_then(|s| s.check_addr.clone()),
        agent_addr: st.and_then(|s| s.agent_addr.clone()),
        agent_port: st.and_then(|s| s.agent_port),
        tracked: row
            .and_then(|x| x.tracked.clone())
            .filter(|s| !s.is_empty()),
        cookie: row.and_then(|x| x.cookie.clone()).filter(|s| !s.is_empty()),
        sessions_max: r(|x| x.smax),
        sessions_total: r(|x| x.stot),
        selected_total: r(|x| x.lbtot),
        last_session_secs: row.and_then(|x| x.lastsess),
        downtime_secs: r(|x| x.downtime),
        failed_checks: r(|x| x.chkfail),
        down_transitions: r(|x| x.chkdown),
        connection_errors: r(|x| x.econ),
        response_errors: r(|x| x.eresp),
        retries: r(|x| x.wretr),
        redispatches: r(|x| x.wredis),
        http_4xx: r(|x| x.hrsp_4xx),
        http_5xx: r(|x| x.hrsp_5xx),
        avg_queue_ms: r(|x| x.qtime),
        avg_connect_ms: r(|x| x.ctime),
        avg_response_ms: r(|x| x.rtime),
        avg_total_ms: r(|x| x.ttime),
        bytes_in: r(|x| x.bin),
        bytes_out: r(|x| x.bout),
    }
}

fn state_row(s: &ServerState) -> ServerStateRow {
    ServerStateRow {
        backend_id: s.backend_id,
        backend: s.backend.clone(),
        id: s.id,
        name: s.name.clone(),
        state: s.verdict().condition,
        addr: s.addr.clone(),
        port: s.port,
        op_state: op_state_name(s.op_state),
        admin_state: s.admin_state.raw,
        admin_flags: admin_flags(&s.admin_state),
        weight: s.uweight,
        initial_weight: s.iweight,
        secs_since_change: s.time_since_last_change,
        check_status_code: s.check_status,
        check_result: s.check_result_name().map(str::to_owned),
        check_health: s.check_health,
        checks_enabled: s.check_enabled(),
        agent_enabled: s.agent_enabled(),
        fqdn: s.fqdn.clone(),
        use_ssl: s.use_ssl,
        check_port: s.check_port,
        check_addr: s.check_addr.clone(),
        agent_addr: s.agent_addr.clone(),
        agent_port: s.agent_port,
    }
}

fn conn_row(c: &ServerConn) -> ServerConnRow {
    ServerConnRow {
        backend: c.backend.clone(),
        server: c.server.clone(),
        addr: c.addr.clone(),
        port: c.port,
        used_cur: c.used_cur,
        used_max: c.used_max,
        need_est: c.need_est,
        idle_cur: c.idle_cur,
        safe_idle: c.safe_nb,
        unsafe_idle: c.unsafe_nb,
        idle_limit: c.idle_lim,
        purge_delay_ms: c.purge_delay,
        idle_per_thread: c.idle_per_thread.clone(),
    }
}

fn list_ref(m: MapInfo) -> ListRefOut {
    ListRefOut {
        reference: format!("#{}", m.id),
        file: m.file,
        description: m.description,
        entries: m.entry_cnt,
        version: m.curr_ver,
        next_version: m.next_ver,
    }
}

fn table_out(t: TableInfo) -> TableOut {
    TableOut {
        name: t.name,
        key_type: t.key_type,
        size: t.size,
        used: t.used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filters() {
        assert!(StateFilter::NotUp.admits(ServerCondition::Down));
        assert!(!StateFilter::NotUp.admits(ServerCondition::Up));
        assert!(StateFilter::Maint.admits(ServerCondition::Maint));
        assert!(!StateFilter::Up.admits(ServerCondition::Drain));
    }
}
