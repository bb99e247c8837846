//! Server views shared by the toolsets, resources and summaries: one server merged from
//! `show servers state` and `show stat`, classified by HAProxy's own verdict
//! ([`ServerVerdict`]), and the reads that produce them.

use serde::Serialize;

use crate::haproxy::command::StatFilter;
use crate::haproxy::command::args::ProxyName;
use crate::haproxy::parse::{
    AdminState, ServerState, ServerVerdict, ServersState, StatKind, StatReport, StatRow,
    VerdictCause,
};
use crate::mcp::answer::ToolError;
use crate::mcp::explain::{Subject, checked};
use crate::mcp::targets::Target;

pub use crate::haproxy::parse::ServerCondition;

/// One server, merged from `show servers state` and `show stat`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ServerOut {
    /// Backend name.
    pub backend: String,
    /// Server name.
    pub name: String,
    /// IP address (or host name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// HAProxy's verdict in one word (from its `status` column; from the state flags when
    /// `show stat` has no row for it).
    pub state: ServerCondition,
    /// Why it is in that state, where HAProxy says (admin, config_disabled, tracked, resolution,
    /// agent, check, no_check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<VerdictCause>,
    /// The tracked server it inherits its state from, when HAProxy names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Status exactly as `show stat` prints it (`UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`,
    /// `UP 1/3` while going down, `DOWN 1/2` while coming up, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Administrative flags: forced_maint (CLI or `disabled`), config_maint (`disabled` in the
    /// configuration), inherited_maint (tracked server), resolution_maint (DNS failed),
    /// forced_drain, inherited_drain, fqdn_set. Empty when none.
    pub admin_flags: Vec<String>,
    /// Current weight (what set_weight changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u64>,
    /// Weight from the configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_weight: Option<u64>,
    /// A backup server: used only when no active server is up.
    pub backup: bool,
    /// Whether health checks are enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_enabled: Option<bool>,
    /// Result of the last health check (`L7OK`, `L4CON`, …; `* ` prefix while one runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_status: Option<String>,
    /// The last health check in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_desc: Option<String>,
    /// Current sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u64>,
    /// Session limit (maxconn); absent when unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_limit: Option<u64>,
    /// Requests waiting in this server's queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<u64>,
    /// Seconds since the last state change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change_secs: Option<u64>,
}

/// How many servers are in each state.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ServerTally {
    /// All servers.
    pub total: usize,
    /// Up.
    pub up: usize,
    /// Down.
    pub down: usize,
    /// Draining.
    pub drain: usize,
    /// In maintenance.
    pub maint: usize,
    /// Anything else (NOLB, unknown).
    pub other: usize,
}

impl ServerTally {
    /// Counts servers by state.
    pub fn of<'a>(servers: impl IntoIterator<Item = &'a ServerOut>) -> Self {
        let mut t = Self::default();
        for s in servers {
            t.total += 1;
            *match s.state {
                ServerCondition::Up => &mut t.up,
                ServerCondition::Down => &mut t.down,
                ServerCondition::Drain => &mut t.drain,
                ServerCondition::Maint => &mut t.maint,
                ServerCondition::Nolb | ServerCondition::Unknown => &mut t.other,
            } += 1;
        }
        t
    }
}

/// `show stat <backend> -1 -1` (or everything).
pub(crate) fn proxy_stat(proxy: Option<ProxyName>) -> StatFilter {
    StatFilter {
        proxy,
        objects: None,
    }
}

/// Reads `show servers state` and `show stat` for one backend (or all), explaining errors.
pub(crate) async fn read_servers(
    t: &Target,
    backend: Option<&ProxyName>,
) -> Result<(ServersState, StatReport), ToolError> {
    let filter = proxy_stat(backend.cloned());
    let (state, stat) = tokio::join!(
        t.client.show_servers_state(backend),
        t.client.show_stat(&filter)
    );
    let state = checked(t, Subject::Nothing, state).await?;
    let stat = checked(t, Subject::Nothing, stat).await?;
    Ok((state, stat))
}

/// Reads `show stat <backend> -1 -1`, explaining errors.
pub(crate) async fn backend_stat(t: &Target, backend: &ProxyName) -> Result<StatReport, ToolError> {
    let result = t.client.show_stat(&proxy_stat(Some(backend.clone()))).await;
    checked(t, Subject::Nothing, result).await
}

/// The server rows of `backend` in a stat report, as [`ServerOut`] (without state flags).
pub(crate) fn stat_servers(stat: &StatReport, backend: &str) -> Vec<ServerOut> {
    stat.of_kind(StatKind::Server)
        .filter(|r| r.proxy == backend)
        .map(|r| server_out(None, Some(r), &r.proxy, &r.name))
        .collect()
}

/// One server of a stat report, if listed.
pub(crate) fn stat_server(stat: &StatReport, backend: &str, server: &str) -> Option<ServerOut> {
    stat.find(backend, server)
        .filter(|r| r.kind == StatKind::Server)
        .map(|r| server_out(None, Some(r), backend, server))
}

/// Merges both reports into one list (state order first, then stat-only servers), optionally
/// keeping only `backend`.
pub(crate) fn merge_servers(
    state: &ServersState,
    stat: &StatReport,
    backend: Option<&str>,
) -> Vec<ServerOut> {
    let wanted = |b: &str| backend.is_none_or(|w| w == b);
    let mut out: Vec<ServerOut> = state
        .servers
        .iter()
        .filter(|s| wanted(&s.backend))
        .map(|s| {
            let mut server =
                server_out(Some(s), stat.find(&s.backend, &s.name), &s.backend, &s.name);
            mark_if_proxy_disabled(&mut server, stat);
            server
        })
        .collect();
    for r in stat.of_kind(StatKind::Server).filter(|r| wanted(&r.proxy)) {
        if !out.iter().any(|s| s.backend == r.proxy && s.name == r.name) {
            out.push(server_out(None, Some(r), &r.proxy, &r.name));
        }
    }
    out
}

/// True when `show stat` (read for this backend or for everything) has no row at all for a
/// backend that `show servers state` or `show backend` names: HAProxy skips `disabled` proxies
/// in its statistics.
pub(crate) fn proxy_disabled(stat: &StatReport, backend: &str) -> bool {
    !stat.rows.iter().any(|r| r.proxy == backend)
}

/// A server of a `disabled` backend keeps a running state in `show servers state`, yet HAProxy
/// sends it nothing: it is out of service, and says why.
pub(crate) fn mark_if_proxy_disabled(server: &mut ServerOut, stat: &StatReport) {
    if proxy_disabled(stat, &server.backend) {
        server.state = ServerCondition::Maint;
        server.cause = Some(VerdictCause::ProxyDisabled);
    }
}

/// One server from whichever rows are known. Its state is HAProxy's `status` when `show stat`
/// has a row, else derived from the state flags with HAProxy's rules.
pub(crate) fn server_out(
    st: Option<&ServerState>,
    row: Option<&StatRow>,
    backend: &str,
    name: &str,
) -> ServerOut {
    let (stat_addr, stat_port) = row.map_or((None, None), StatRow::address);
    let mut verdict = ServerVerdict::best(row.and_then(|r| r.status.as_deref()), st);
    // `MAINT` alone does not say who put it there; the flags do when it was the configuration.
    if verdict.cause == Some(VerdictCause::Admin)
        && verdict.condition == ServerCondition::Maint
        && st.is_some_and(|s| s.admin_state.maint_config)
    {
        verdict.cause = Some(VerdictCause::ConfigDisabled);
    }
    ServerOut {
        backend: backend.to_owned(),
        name: name.to_owned(),
        address: st.and_then(|s| s.addr.clone()).or(stat_addr),
        port: st.and_then(|s| s.port).or(stat_port),
        state: verdict.condition,
        cause: verdict.cause,
        // A tracking server always follows the one it tracks (`tracked` column), named or not in
        // its status.
        via: verdict.via.or_else(|| row.and_then(|r| r.tracked.clone())),
        status: row.and_then(|r| r.status.clone()),
        admin_flags: st.map(|s| admin_flags(&s.admin_state)).unwrap_or_default(),
        weight: st
            .and_then(|s| s.uweight.map(u64::from))
            .or(row.and_then(|r| r.weight)),
        initial_weight: st.and_then(|s| s.iweight.map(u64::from)),
        backup: row.and_then(|r| r.bck).is_some_and(|b| b > 0),
        checks_enabled: st.map(ServerState::check_enabled),
        check_status: row
            .and_then(|r| r.check_status.clone())
            .filter(|c| !c.is_empty()),
        check_desc: row
            .and_then(|r| r.check_desc.clone())
            .filter(|c| !c.is_empty()),
        sessions: row.and_then(|r| r.scur),
        session_limit: row.and_then(|r| r.slim),
        queued: row.and_then(|r| r.qcur),
        last_change_secs: row.and_then(|r| r.lastchg),
    }
}

/// "be/app4 is DOWN (Layer4 connection problem)." for summaries.
pub(crate) fn server_phrase(s: &ServerOut) -> String {
    let mut p = format!("{}/{} is {}", s.backend, s.name, s.state.word());
    // The last check's words explain a DOWN server only when that check failed: a server its
    // agent took down still shows a passing check ("Layer7 check passed").
    if s.state == ServerCondition::Down && s.cause == Some(VerdictCause::Agent) {
        p.push_str(" (its agent reports it down)");
    } else if s.state == ServerCondition::Down
        && !s.check_status.as_deref().is_some_and(check_passed)
        && let Some(d) = s.check_desc.as_deref().or(s.check_status.as_deref())
    {
        p.push_str(&format!(" ({d})"));
    } else if let Some(via) = &s.via {
        p.push_str(&format!(" (via {via})"));
    } else if s.state != ServerCondition::Up
        && let Some(c) = s.cause
    {
        p.push_str(&format!(" ({})", c.phrase()));
    }
    p.push('.');
    p
}

/// Whether a health or agent check result means success (`L4OK`, `L6OK`, `L7OK`, `L7OKC`; a
/// leading `* ` marks a check under way).
pub(crate) fn check_passed(status: &str) -> bool {
    status.trim_start_matches("* ").contains("OK")
}

/// Renders an optional number for a summary.
pub(crate) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

/// The administrative bitmask's flags by name.
pub(crate) fn admin_flags(a: &AdminState) -> Vec<String> {
    [
        (a.maint_forced, "forced_maint"),
        (a.maint_inherited, "inherited_maint"),
        (a.maint_config, "config_maint"),
        (a.drain_forced, "forced_drain"),
        (a.drain_inherited, "inherited_drain"),
        (a.maint_resolution, "resolution_maint"),
        (a.maint_fqdn, "fqdn_set"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_owned())
    .collect()
}
