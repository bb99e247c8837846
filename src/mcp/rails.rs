//! Safety rails every mutating tool goes through, whichever toolset it is in:
//!
//! - changes name backends, frontends and servers by name, never by `#<id>`: a numeric id
//!   would slip past the name-based checks below (and is easy to get wrong);
//! - HAProxy's internal proxies (the CLI's own `GLOBAL` proxy, the master's, `<HTTPCLIENT>` …)
//!   are never changed; a frontend must be one `show stat` lists;
//! - the last-UP rule: taking the last server of a backend that serves traffic out of rotation
//!   (drain, maintenance, weight 0, health or agent forced down) is refused unless
//!   `force: true`, since the backend would then answer 503s; servers that track it (`track`,
//!   directly or down a chain) go with it, in its backend and in any other; an UP server of
//!   weight 0 takes no new traffic, so it does not count;
//! - a frontend's maxconn 0 stops it accepting connections and is refused without `force`;
//! - pausing or stopping the last frontend that accepts connections is refused without
//!   `force`.

use crate::haproxy::command::args::{ProxyName, ServerRef};
use crate::haproxy::command::{StatFilter, StatObjects};
use crate::haproxy::parse::{FrontendCondition, StatKind, StatReport, StatRow};
use crate::mcp::answer::ToolError;
use crate::mcp::explain::{Subject, checked, frontend_rows, list_or_none};
use crate::mcp::targets::Target;
use crate::mcp::views::{ServerCondition, ServerOut, stat_servers};

/// Proxies HAProxy creates for itself. The CLI's proxy is `GLOBAL`: limiting it locks every
/// stats socket out until HAProxy restarts.
const INTERNAL_PROXIES: [&str; 2] = ["GLOBAL", "MASTER"];

/// Refuses a `#<id>` or an internal proxy where a change names a backend or frontend.
pub(crate) fn changeable_proxy(argument: &str, proxy: &ProxyName) -> Result<(), ToolError> {
    let name = proxy.as_str();
    if let Some(id) = name.strip_prefix('#') {
        return Err(ToolError::new(format!(
            "{argument} `{name}`: changes take the {argument}'s name, not a numeric id (id {id}), so that every safety check sees which object it is. list_backends / list_frontends show the names. Nothing was sent to HAProxy."
        )));
    }
    if INTERNAL_PROXIES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
    {
        return Err(ToolError::new(format!(
            "{argument} `{name}` is one of HAProxy's internal proxies (`GLOBAL` serves the Runtime API itself); changing it could lock every client, this one included, out of HAProxy. Nothing was sent to HAProxy."
        )));
    }
    Ok(())
}

/// A server named for a change: validated, and refused when given by `#<id>`.
pub(crate) fn server_to_change(backend: &str, server: &str) -> Result<ServerRef, ToolError> {
    let srv = ServerRef::new(backend, server)?;
    changeable_proxy("backend", &srv.backend)?;
    if let Some(id) = server.strip_prefix('#') {
        return Err(ToolError::new(format!(
            "server `{server}`: changes take the server's name, not a numeric id (id {id}), so that the last-UP check sees which server it is. list_servers backend={backend} shows the names. Nothing was sent to HAProxy."
        )));
    }
    Ok(srv)
}

/// A frontend named for a change: by name, and one that `show stat` lists as a frontend (the
/// internal proxies never are).
pub(crate) async fn frontend_to_change(t: &Target, frontend: &str) -> Result<ProxyName, ToolError> {
    frontend_with_rows(t, frontend).await.map(|(fe, _)| fe)
}

/// [`frontend_to_change`], also returning the FRONTEND rows it read (None when `show stat`
/// could not be read: HAProxy then answers for the name itself).
pub(crate) async fn frontend_with_rows(
    t: &Target,
    frontend: &str,
) -> Result<(ProxyName, Option<Vec<StatRow>>), ToolError> {
    let fe = ProxyName::new(frontend)?;
    changeable_proxy("frontend", &fe)?;
    let rows = frontend_rows(t).await;
    if let Some(rows) = &rows
        && !rows.iter().any(|r| r.proxy == fe.as_str())
    {
        let names: Vec<String> = rows.iter().map(|r| r.proxy.clone()).collect();
        return Err(ToolError::new(format!(
            "[{}] No such frontend: HAProxy's statistics list no frontend named {fe}. Frontends on {}: {}. (A frontend `disabled` in the configuration has no statistics and cannot be opened at run time: HAProxy answers `Frontend was previously shut down, cannot enable.`) Nothing was sent to HAProxy.",
            t.name,
            t.name,
            list_or_none(&names)
        )));
    }
    Ok((fe, rows))
}

/// The last-open-frontend rule: refuses to pause or stop `fe` (`action` says which) while it
/// accepts connections and no other frontend does, unless `force` — the whole HAProxy would
/// then take no new connection. A frontend whose status cannot be read counts as accepting.
pub(crate) fn last_open_frontend(
    target: &str,
    rows: &[StatRow],
    fe: &ProxyName,
    action: &str,
    force: bool,
) -> Result<Option<String>, ToolError> {
    let accepting = |r: &StatRow| {
        !matches!(
            r.status.as_deref().map(FrontendCondition::from_status),
            Some(FrontendCondition::Paused | FrontendCondition::Stop)
        )
    };
    let Some(me) = rows.iter().find(|r| r.proxy == fe.as_str()) else {
        return Ok(None);
    };
    if !accepting(me) || rows.iter().any(|r| r.proxy != me.proxy && accepting(r)) {
        return Ok(None);
    }
    if force {
        return Ok(Some(format!(
            "{fe} was the last frontend accepting connections; with force it is {action}, so this HAProxy takes no new connection at all until a frontend is reopened."
        )));
    }
    let others: Vec<String> = rows
        .iter()
        .filter(|r| r.proxy != me.proxy)
        .map(|r| format!("{} {}", r.proxy, r.status.as_deref().unwrap_or("?")))
        .collect();
    Err(ToolError::new(format!(
        "[{target}] Refused: {fe} is the last frontend accepting connections (others: {}); with it {action}, this HAProxy would take no new connection at all. Nothing was changed. Reopen another frontend first, or call again with force=true if this is intended.",
        list_or_none(&others)
    )))
}

/// Reads every server (a server of another backend may track `srv`) and applies [`last_up`];
/// returns the report read and any warning.
pub(crate) async fn guard_rotation(
    t: &Target,
    srv: &ServerRef,
    action: &str,
    force: bool,
) -> Result<(StatReport, Option<String>), ToolError> {
    let stat = every_server_stat(t).await?;
    let warning = last_up(&t.name, &stat, srv, action, force)?;
    Ok((stat, warning))
}

/// `show stat` of every server (`-1 4 -1`): what the last-UP rule reads.
pub(crate) async fn every_server_stat(t: &Target) -> Result<StatReport, ToolError> {
    let filter = StatFilter {
        proxy: None,
        objects: Some(StatObjects {
            frontends: false,
            backends: false,
            servers: true,
        }),
    };
    checked(t, Subject::Nothing, t.client.show_stat(&filter).await).await
}

/// The servers that follow `srv` (`track` it, directly or down a chain), as `(backend,
/// server)`: HAProxy gives them `srv`'s state, so taking `srv` out takes them out too.
fn followers(stat: &StatReport, srv: &ServerRef) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut leaders = vec![format!("{}/{}", srv.backend, srv.server)];
    while let Some(leader) = leaders.pop() {
        for row in stat.of_kind(StatKind::Server) {
            let follows = row.tracked.as_deref() == Some(leader.as_str());
            let known = found.iter().any(|(b, n)| *b == row.proxy && *n == row.name);
            if follows && !known {
                found.push((row.proxy.clone(), row.name.clone()));
                leaders.push(format!("{}/{}", row.proxy, row.name));
            }
        }
    }
    found
}

/// The last-UP rule: refuses to take `srv` out of rotation (`action` says how, e.g.
/// "drain", "maintenance", "weight 0") when no other server of its backend is UP, unless
/// `force`. Returns a warning when only backup servers would remain.
pub(crate) fn last_up(
    target: &str,
    stat: &StatReport,
    srv: &ServerRef,
    action: &str,
    force: bool,
) -> Result<Option<String>, ToolError> {
    let servers = stat_servers(stat, srv.backend.as_str());
    let Some(me) = servers.iter().find(|s| s.name == srv.server.as_str()) else {
        // HAProxy will say "No such server"; the explainer then lists the servers.
        return Ok(None);
    };
    // A server whose state cannot be read is treated as possibly serving: the rule must be
    // shown to hold, not assumed.
    if !matches!(me.state, ServerCondition::Up | ServerCondition::Unknown) {
        return Ok(None);
    }
    let followers = followers(stat, srv);
    let follows = |s: &ServerOut| {
        followers
            .iter()
            .any(|(b, n)| *b == s.backend && *n == s.name)
    };
    let others_up: Vec<&ServerOut> = servers
        .iter()
        .filter(|s| s.name != me.name && takes_new_traffic(s) && !follows(s))
        .collect();
    let be = &srv.backend;
    // Another backend emptied by the followers refuses (or, forced, warns) first.
    let elsewhere = emptied_elsewhere(target, stat, srv, &followers, action, force)?;
    let warn = |own: Option<String>| -> Option<String> {
        match (elsewhere.clone(), own) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => a.or(b),
        }
    };
    if others_up.is_empty() {
        if force {
            return Ok(warn(Some(format!(
                "{srv} was the last UP server of {be}; with force it is out of rotation ({action}), so {be} cannot serve new traffic until a server is up again."
            ))));
        }
        let others: Vec<String> = servers
            .iter()
            .filter(|s| s.name != me.name)
            .map(|s| {
                let tracking = if follows(s) {
                    format!(", tracks {srv}: it goes too")
                } else {
                    String::new()
                };
                let idle = if s.state == ServerCondition::Up && !takes_new_traffic(s) {
                    " with weight 0, so it takes no new traffic"
                } else {
                    ""
                };
                format!("{} {}{idle}{tracking}", s.name, s.state.word())
            })
            .collect();
        let what = if me.state == ServerCondition::Up {
            format!("{srv} is the last UP server of backend {be}")
        } else {
            format!(
                "the state of {srv} could not be determined and no other server of backend {be} is known to be UP"
            )
        };
        return Err(ToolError::new(format!(
            "[{target}] Refused: {what} (other servers: {}). Taking it out of rotation ({action}) could leave {be} with no server for new traffic: clients would get 503 errors (HTTP) or failed connections (TCP). Nothing was changed. Bring another server up first, or call again with force=true if this is intended.",
            list_or_none(&others)
        )));
    }
    if !me.backup && others_up.iter().all(|s| s.backup) {
        let names: Vec<String> = others_up.iter().map(|s| s.name.clone()).collect();
        return Ok(warn(Some(format!(
            "Only backup servers remain UP in {be} ({}); they now take all its traffic.",
            names.join(", ")
        ))));
    }
    Ok(warn(None))
}

/// True for a server load balancing sends new traffic to: UP, with a weight above 0 (a server
/// of weight 0 still serves persistent sessions, nothing new).
fn takes_new_traffic(s: &ServerOut) -> bool {
    s.state == ServerCondition::Up && s.weight != Some(0)
}

/// The last-UP rule for the other backends of `srv`'s followers: taking `srv` out must not
/// leave one of them without an UP server. `Ok(Some(warning))` when `force` lets it happen.
fn emptied_elsewhere(
    target: &str,
    stat: &StatReport,
    srv: &ServerRef,
    followers: &[(String, String)],
    action: &str,
    force: bool,
) -> Result<Option<String>, ToolError> {
    let mut backends: Vec<&str> = followers
        .iter()
        .map(|(b, _)| b.as_str())
        .filter(|b| *b != srv.backend.as_str())
        .collect();
    // Followers are found chain by chain, so one backend's need not be next to each other.
    backends.sort_unstable();
    backends.dedup();
    for be in backends {
        let servers = stat_servers(stat, be);
        let follows = |s: &ServerOut| followers.iter().any(|(b, n)| b == be && *n == s.name);
        let going: Vec<String> = servers
            .iter()
            .filter(|s| follows(s) && s.state == ServerCondition::Up)
            .map(|s| format!("{be}/{}", s.name))
            .collect();
        let staying = servers.iter().any(|s| !follows(s) && takes_new_traffic(s));
        if going.is_empty() || staying {
            continue;
        }
        let what = format!(
            "{} track(s) {srv}, so {action} of {srv} takes {} out too and backend {be} would have no UP server left",
            going.join(", "),
            if going.len() == 1 { "it" } else { "them" },
        );
        if force {
            return Ok(Some(format!(
                "{what}; with force it happened: {be} cannot serve new traffic until a server is up again."
            )));
        }
        return Err(ToolError::new(format!(
            "[{target}] Refused: {what}: clients would get 503 errors (HTTP) or failed connections (TCP). Nothing was changed. Bring another server of {be} up first, or call again with force=true if this is intended."
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::parse::stat;

    fn report(rows: &str) -> StatReport {
        let text = format!("# pxname,svname,status,bck,type,\n{rows}");
        stat::parse(&text).unwrap()
    }

    fn srv(name: &str) -> ServerRef {
        ServerRef::new("be", name).unwrap()
    }

    #[test]
    fn an_up_server_of_weight_zero_does_not_count() {
        let stat = stat::parse(
            "# pxname,svname,status,weight,bck,type,\nbe,a,UP,10,0,2,\nbe,b,UP,0,0,2,\nbe,BACKEND,UP,10,0,1,\n",
        )
        .unwrap();
        let err = last_up("t", &stat, &srv("a"), "drain", false).unwrap_err();
        assert!(
            err.message()
                .contains("b UP with weight 0, so it takes no new traffic"),
            "{}",
            err.message()
        );
        // With weight, the other server would take the traffic.
        let stat = stat::parse(
            "# pxname,svname,status,weight,bck,type,\nbe,a,UP,10,0,2,\nbe,b,UP,1,0,2,\nbe,BACKEND,UP,11,0,1,\n",
        )
        .unwrap();
        assert_eq!(
            last_up("t", &stat, &srv("a"), "drain", false).unwrap(),
            None
        );
    }

    #[test]
    fn the_last_up_server_is_guarded() {
        let stat = report("be,a,UP,0,2,\nbe,b,DOWN,0,2,\nbe,BACKEND,UP,0,1,\n");
        let err = last_up("t", &stat, &srv("a"), "drain", false).unwrap_err();
        assert!(
            err.message().contains("last UP server"),
            "{}",
            err.message()
        );
        assert!(err.message().contains("b DOWN"), "{}", err.message());
        assert!(
            last_up("t", &stat, &srv("a"), "drain", true)
                .unwrap()
                .is_some()
        );
        // Already out of rotation: nothing to guard.
        assert_eq!(
            last_up("t", &stat, &srv("b"), "maintenance", false).unwrap(),
            None
        );
        assert_eq!(
            last_up("t", &stat, &srv("zz"), "drain", false).unwrap(),
            None
        );
    }

    #[test]
    fn an_up_server_enabled_from_disabled_counts_as_up() {
        // HAProxy's own verdict: the status column, whatever CMAINT says elsewhere.
        let stat = report("be,a,UP,0,2,\nbe,b,no check,0,2,\n");
        assert_eq!(
            last_up("t", &stat, &srv("a"), "drain", false).unwrap(),
            None
        );
        let stat = report("be,a,UP,0,2,\nbe,b,DOWN,0,2,\nbe,c,DRAIN,0,2,\n");
        assert!(last_up("t", &stat, &srv("a"), "weight 0", false).is_err());
    }

    /// Rows with HAProxy's `tracked` column.
    fn tracked_report(rows: &str) -> StatReport {
        let text = format!("# pxname,svname,status,bck,type,tracked,\n{rows}");
        stat::parse(&text).unwrap()
    }

    #[test]
    fn servers_tracking_it_go_with_it() {
        // b tracks a, c tracks b: taking a out takes all three out.
        let stat = tracked_report("be,a,UP,0,2,,\nbe,b,UP,0,2,be/a,\nbe,c,UP,0,2,be/b,\n");
        let err = last_up("t", &stat, &srv("a"), "maintenance", false).unwrap_err();
        assert!(
            err.message().contains("last UP server")
                && err.message().contains("b UP, tracks be/a: it goes too")
                && err.message().contains("c UP, tracks be/a: it goes too"),
            "{}",
            err.message()
        );
        // c tracks b only: taking b out leaves a.
        assert_eq!(
            last_up("t", &stat, &srv("b"), "drain", false).unwrap(),
            None
        );
        // A follower in another backend that would be left with no UP server.
        let stat = tracked_report(
            "be,a,UP,0,2,,\nbe,x,UP,0,2,,\nother,m,UP,0,2,be/a,\nother,n,DOWN,0,2,,\n",
        );
        let err = last_up("t", &stat, &srv("a"), "drain", false).unwrap_err();
        assert!(
            err.message()
                .contains("other/m track(s) be/a, so drain of be/a takes it out too and backend other would have no UP server left"),
            "{}",
            err.message()
        );
        let warning = last_up("t", &stat, &srv("a"), "drain", true)
            .unwrap()
            .unwrap();
        assert!(warning.contains("with force it happened"), "{warning}");
        // Another UP server there: nothing to say.
        let stat = tracked_report(
            "be,a,UP,0,2,,\nbe,x,UP,0,2,,\nother,m,UP,0,2,be/a,\nother,n,UP,0,2,,\n",
        );
        assert_eq!(
            last_up("t", &stat, &srv("a"), "drain", false).unwrap(),
            None
        );
    }

    #[test]
    fn backups_left_alone_give_a_warning() {
        let stat = report("be,a,UP,0,2,\nbe,b,UP,1,2,\n");
        let w = last_up("t", &stat, &srv("a"), "drain", false)
            .unwrap()
            .unwrap();
        assert!(w.contains("backup"), "{w}");
    }

    #[test]
    fn unknown_states_are_not_assumed_safe() {
        let stat = report("be,a,,0,2,\nbe,b,,0,2,\n");
        let err = last_up("t", &stat, &srv("a"), "drain", false).unwrap_err();
        assert!(
            err.message().contains("could not be determined"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn ids_and_internal_proxies_are_refused() {
        let e = server_to_change("api_pool", "#1").unwrap_err();
        assert!(e.message().contains("not a numeric id"), "{}", e.message());
        let e = server_to_change("#3", "api1").unwrap_err();
        assert!(e.message().contains("not a numeric id"), "{}", e.message());
        assert!(server_to_change("api_pool", "api1").is_ok());
        let e = changeable_proxy("frontend", &ProxyName::new("#0").unwrap()).unwrap_err();
        assert!(e.message().contains("numeric id"), "{}", e.message());
        let e = changeable_proxy("frontend", &ProxyName::new("GLOBAL").unwrap()).unwrap_err();
        assert!(e.message().contains("internal"), "{}", e.message());
    }
}
