//! The health summary: per backend, what state its servers are in (HAProxy's own verdict, from
//! its `status` column) and what looks wrong; per frontend, whether it accepts traffic and how
//! much of it is denied or malformed. Pure functions over parsed `show stat`, so they are
//! tested alone.
//!
//! Counters in `show stat` run since HAProxy started (or since `clear counters all`). An
//! operator asks about now, so the summary prefers a window: the difference of two samples
//! ([`over_window`]). Either way errors are reported as shares of the traffic in the same
//! period ("16.7 % of responses were 5xx"), with absolute counts and the period named
//! ([`Period`]).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::haproxy::parse::{
    FrontendCondition, ServerCondition, ServerVerdict, StatKind, StatReport, StatRow,
};

/// How many servers of a backend are in each state.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ServerCounts {
    /// All servers.
    pub total: usize,
    /// Up and taking traffic (`UP`, `UP n/m`, `no check`).
    pub up: usize,
    /// Down (failing checks, or the agent says down).
    pub down: usize,
    /// Draining (no new sessions).
    pub drain: usize,
    /// In maintenance.
    pub maint: usize,
    /// Anything else (NOLB, a status not known to this version).
    pub other: usize,
}

impl ServerCounts {
    fn add(&mut self, condition: ServerCondition) {
        self.total += 1;
        *match condition {
            ServerCondition::Up => &mut self.up,
            ServerCondition::Down => &mut self.down,
            ServerCondition::Drain => &mut self.drain,
            ServerCondition::Maint => &mut self.maint,
            ServerCondition::Nolb | ServerCondition::Unknown => &mut self.other,
        } += 1;
    }
}

/// One server that is not serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ServerIssue {
    /// Server name.
    pub server: String,
    /// HAProxy's verdict in one word.
    pub state: ServerCondition,
    /// Its status as `show stat` prints it.
    pub status: String,
    /// The last check's description, or the server it tracks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

/// The health of one backend.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BackendHealth {
    /// Backend name.
    pub name: String,
    /// The backend's own status (`UP`, `DOWN`).
    pub status: Option<String>,
    /// Server states.
    pub servers: ServerCounts,
    /// Servers that are down, draining or in maintenance.
    pub not_serving: Vec<ServerIssue>,
    /// Current sessions.
    pub sessions: Option<u64>,
    /// Requests waiting in the queue.
    pub queued: Option<u64>,
    /// Connection errors (econ) since the counters were last cleared.
    pub connection_errors: Option<u64>,
    /// Response errors (eresp).
    pub response_errors: Option<u64>,
    /// HTTP 5xx responses.
    pub http_5xx: Option<u64>,
    /// 5xx responses as a percentage of all HTTP responses in the same period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_5xx_pct: Option<f64>,
    /// Connection errors as a percentage of sessions in the same period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_error_pct: Option<f64>,
    /// Plain-language problems; empty when all is well.
    pub problems: Vec<String>,
}

/// The health of one frontend.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FrontendHealth {
    /// Frontend name.
    pub name: String,
    /// HAProxy's status (`OPEN`, `FULL`, `STOP`, …).
    pub status: Option<String>,
    /// Current sessions.
    pub sessions: Option<u64>,
    /// Session limit.
    pub session_limit: Option<u64>,
    /// Requests denied by rules (dreq) since the counters were last cleared.
    pub denied_requests: Option<u64>,
    /// Malformed or refused requests (ereq).
    pub request_errors: Option<u64>,
    /// Denied requests as a percentage of requests (sessions in TCP mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_pct: Option<f64>,
    /// Request errors as a percentage of requests (sessions in TCP mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_error_pct: Option<f64>,
    /// Plain-language problems; empty when all is well.
    pub problems: Vec<String>,
}

/// The period the counters of a summary cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Since HAProxy started or the counters were last cleared.
    SinceCleared,
    /// The last `secs` seconds: the difference of two samples.
    Window {
        /// The samples' distance, in whole seconds (at least 1).
        secs: u64,
    },
}

impl Period {
    /// "since counters were last cleared", "in the last 10 s".
    pub fn phrase(self) -> String {
        match self {
            Self::SinceCleared => "since counters were last cleared".to_owned(),
            Self::Window { secs } => format!("in the last {secs} s"),
        }
    }
}

/// What happened between two `show stat` samples: `now` with every cumulative counter (sessions,
/// requests, responses by class, denials, errors) replaced by its growth since `earlier`. Gauges
/// (current sessions, queue, status) stay as `now` has them. A row `earlier` lacks (a server added
/// since) keeps `now`'s counts, and so does a counter that went down (cleared, or a new process
/// after a reload): both are counts since that moment, which lies inside the window.
pub fn over_window(earlier: &StatReport, now: &StatReport) -> StatReport {
    let before: HashMap<(StatKind, &str, &str), &StatRow> = earlier
        .rows
        .iter()
        .map(|r| ((r.kind, r.proxy.as_str(), r.name.as_str()), r))
        .collect();
    let mut out = now.clone();
    for row in &mut out.rows {
        let Some(prev) = before.get(&(row.kind, row.proxy.as_str(), row.name.as_str())) else {
            continue;
        };
        let grow = |now: &mut Option<u64>, then: Option<u64>| {
            if let (Some(n), Some(t)) = (*now, then)
                && n >= t
            {
                *now = Some(n - t);
            }
        };
        grow(&mut row.stot, prev.stot);
        grow(&mut row.req_tot, prev.req_tot);
        grow(&mut row.dreq, prev.dreq);
        grow(&mut row.ereq, prev.ereq);
        grow(&mut row.econ, prev.econ);
        grow(&mut row.eresp, prev.eresp);
        grow(&mut row.hrsp_1xx, prev.hrsp_1xx);
        grow(&mut row.hrsp_2xx, prev.hrsp_2xx);
        grow(&mut row.hrsp_3xx, prev.hrsp_3xx);
        grow(&mut row.hrsp_4xx, prev.hrsp_4xx);
        grow(&mut row.hrsp_5xx, prev.hrsp_5xx);
        grow(&mut row.hrsp_other, prev.hrsp_other);
    }
    out
}

/// Builds one [`BackendHealth`] per backend found in `stat`, its counters covering `period`. A
/// backend with no servers that only declares a stick table (named in `tables`) is a table, not a
/// backend, and is left out.
pub fn summarize(
    stat: &StatReport,
    tables: &HashSet<String>,
    period: Period,
) -> Vec<BackendHealth> {
    // Indexed once: with 10,000 servers, scanning the report per backend took half a second.
    let mut servers_of: HashMap<&str, Vec<&StatRow>> = HashMap::new();
    for sv in stat.rows.iter().filter(|r| r.kind == StatKind::Server) {
        servers_of.entry(sv.proxy.as_str()).or_default().push(sv);
    }
    // `listen` sections: a proxy with both sides. One without servers may answer by itself
    // (`http-request return`, redirects, stats), so having none is not a problem there.
    let frontends: HashSet<&str> = stat
        .of_kind(StatKind::Frontend)
        .map(|r| r.proxy.as_str())
        .collect();
    let mut out = Vec::new();
    for be in stat.rows.iter().filter(|r| r.kind == StatKind::Backend) {
        let servers = servers_of
            .get(be.proxy.as_str())
            .map_or(&[][..], Vec::as_slice);
        if servers.is_empty() && tables.contains(&be.proxy) {
            continue;
        }
        let mut h = BackendHealth {
            name: be.proxy.clone(),
            status: be.status.clone(),
            servers: ServerCounts::default(),
            not_serving: Vec::new(),
            sessions: be.scur,
            queued: be.qcur,
            connection_errors: be.econ,
            response_errors: be.eresp,
            http_5xx: be.hrsp_5xx,
            http_5xx_pct: share(be.hrsp_5xx, responses(be)),
            connection_error_pct: share(be.econ, be.stot),
            problems: Vec::new(),
        };
        for sv in servers {
            let verdict = sv
                .verdict()
                .unwrap_or_else(|| ServerVerdict::best(None, None));
            h.servers.add(verdict.condition);
            if verdict.condition != ServerCondition::Up {
                h.not_serving.push(ServerIssue {
                    server: sv.name.clone(),
                    state: verdict.condition,
                    status: sv.status.clone().unwrap_or_default(),
                    check: sv
                        .check_desc
                        .clone()
                        .or_else(|| sv.tracked.as_ref().map(|t| format!("tracks {t}"))),
                });
            }
        }
        h.problems = backend_problems(&h, period, frontends.contains(be.proxy.as_str()));
        out.push(h);
    }
    out
}

/// Builds one [`FrontendHealth`] per frontend found in `stat`, its counters covering `period`.
pub fn summarize_frontends(stat: &StatReport, period: Period) -> Vec<FrontendHealth> {
    stat.of_kind(StatKind::Frontend)
        .map(|fe| {
            // HTTP frontends count requests; TCP ones only sessions.
            let traffic = fe.req_tot.filter(|n| *n > 0).or(fe.stot);
            let mut h = FrontendHealth {
                name: fe.proxy.clone(),
                status: fe.status.clone(),
                sessions: fe.scur,
                session_limit: fe.slim,
                denied_requests: fe.dreq,
                request_errors: fe.ereq,
                denied_pct: share(fe.dreq, traffic),
                request_error_pct: share(fe.ereq, traffic),
                problems: Vec::new(),
            };
            h.problems = frontend_problems(&h, traffic, period);
            h
        })
        .collect()
}

/// All HTTP responses counted on a row (None in TCP mode, where there are none).
fn responses(r: &StatRow) -> Option<u64> {
    let parts = [
        r.hrsp_1xx,
        r.hrsp_2xx,
        r.hrsp_3xx,
        r.hrsp_4xx,
        r.hrsp_5xx,
        r.hrsp_other,
    ];
    if parts.iter().all(Option::is_none) {
        return None;
    }
    Some(parts.iter().flatten().sum())
}

/// `part` as a percentage of `whole`, one decimal; None when either is unknown or whole is 0.
fn share(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    let (part, whole) = (part?, whole?);
    if whole == 0 {
        return None;
    }
    Some((part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// What is wrong with one backend; `listen` when it is a listen section (a frontend too).
fn backend_problems(h: &BackendHealth, period: Period, listen: bool) -> Vec<String> {
    let when = period.phrase();
    let mut p = Vec::new();
    let s = &h.servers;
    if s.total == 0 {
        if !listen {
            p.push("it has no servers, so it cannot serve traffic".to_owned());
        }
    } else if s.up == 0 {
        p.push(format!(
            "no server is UP ({} total), the backend cannot serve traffic",
            s.total
        ));
    }
    let down: Vec<String> = h
        .not_serving
        .iter()
        .filter(|i| i.state == ServerCondition::Down)
        .map(|i| match &i.check {
            Some(c) => format!("{} ({c})", i.server),
            None => i.server.clone(),
        })
        .collect();
    if !down.is_empty() {
        p.push(format!(
            "{} of {} servers DOWN: {}",
            down.len(),
            s.total,
            down.join(", ")
        ));
    }
    if let Some(q) = h.queued.filter(|q| *q > 0) {
        p.push(format!(
            "{q} requests queued (servers saturated or maxconn reached)"
        ));
    }
    if let Some(e) = h.http_5xx.filter(|e| *e > 0) {
        p.push(match h.http_5xx_pct {
            Some(pct) => format!("{pct}% of HTTP responses were 5xx {when} ({e})"),
            None => format!("{e} HTTP 5xx responses {when}"),
        });
    }
    if let Some(e) = h.connection_errors.filter(|e| *e > 0) {
        p.push(match h.connection_error_pct {
            Some(pct) => {
                format!("{pct}% of sessions met a connection error to a server {when} ({e})")
            }
            None => format!("{e} connection errors to servers {when}"),
        });
    }
    if let Some(e) = h.response_errors.filter(|e| *e > 0) {
        p.push(format!("{e} response errors from servers {when}"));
    }
    p
}

fn frontend_problems(h: &FrontendHealth, traffic: Option<u64>, period: Period) -> Vec<String> {
    let when = period.phrase();
    let mut p = Vec::new();
    match h.status.as_deref().map(FrontendCondition::from_status) {
        Some(FrontendCondition::Stop) => {
            p.push("it is stopped and accepts no connection".to_owned())
        }
        Some(FrontendCondition::Full) => p.push(format!(
            "it is FULL: at its limit of {} sessions, new connections wait",
            h.session_limit.map_or("?".to_owned(), |l| l.to_string())
        )),
        Some(FrontendCondition::Paused) => p.push("it is paused".to_owned()),
        _ => {}
    }
    let of = traffic.map_or(String::new(), |t| format!(" of {t}"));
    if let (Some(d), Some(pct)) = (h.denied_requests.filter(|d| *d > 0), h.denied_pct) {
        p.push(format!(
            "{pct}% of requests were denied by rules {when} ({d}{of})"
        ));
    }
    if let (Some(e), Some(pct)) = (h.request_errors.filter(|e| *e > 0), h.request_error_pct) {
        p.push(format!(
            "{pct}% of requests were malformed or refused {when} ({e}{of})"
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::parse::stat;

    const HEADER: &str = "# pxname,svname,status,type,scur,slim,stot,econ,dreq,ereq,req_tot,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,check_desc,\n";

    fn report(rows: &str) -> StatReport {
        stat::parse(&format!("{HEADER}{rows}")).unwrap()
    }

    #[test]
    fn servers_are_counted_by_haproxys_status() {
        let r = report(
            "be,s1,UP,2,,,,,,,,,,,,,,,\n\
             be,s2,DOWN,2,,,,,,,,,,,,,,Layer4 connection problem,\n\
             be,s3,MAINT (via be/s2),2,,,,,,,,,,,,,,,\n\
             be,s4,no check,2,,,,,,,,,,,,,,,\n\
             be,s5,DRAIN (agent),2,,,,,,,,,,,,,,,\n\
             be,BACKEND,UP,1,,,,,,,,,,,,,,,\n",
        );
        let h = summarize(&r, &HashSet::new(), Period::SinceCleared);
        let c = &h[0].servers;
        assert_eq!((c.total, c.up, c.down, c.maint, c.drain), (5, 2, 1, 1, 1));
        assert!(
            h[0].problems
                .iter()
                .any(|p| p.contains("1 of 5 servers DOWN: s2 (Layer4"))
        );
    }

    #[test]
    fn errors_are_shares_of_the_traffic() {
        let r = report(
            "be,s1,UP,2,,,,,,,,,,,,,,,\n\
             be,BACKEND,UP,1,0,,60,0,,,,0,15,0,0,3,0,,\n",
        );
        let h = summarize(&r, &HashSet::new(), Period::SinceCleared);
        assert_eq!(h[0].http_5xx_pct, Some(16.7));
        assert!(
            h[0].problems
                .iter()
                .any(|p| p.starts_with("16.7% of HTTP responses were 5xx")),
            "{:?}",
            h[0].problems
        );
    }

    #[test]
    fn a_window_reports_what_happened_in_it() {
        // Since start: 3 of 18 responses were 5xx. Ten seconds later: 10 of 40, one new server,
        // and one whose counters went down (cleared).
        let earlier = report(
            "be,s1,UP,2,,,5,,,,,0,15,0,0,3,0,,\n\
             be,BACKEND,UP,1,0,,60,0,,,,0,15,0,0,3,0,,\n",
        );
        let now = report(
            "be,s1,UP,2,,,2,,,,,0,1,0,0,1,0,,\n\
             be,s2,UP,2,,,4,,,,,0,4,0,0,0,0,,\n\
             be,BACKEND,DOWN,1,7,,90,2,,,,0,30,0,0,10,0,,\n",
        );
        let w = over_window(&earlier, &now);
        let be = w.find("be", "BACKEND").unwrap();
        assert_eq!(
            (be.hrsp_2xx, be.hrsp_5xx, be.stot, be.econ),
            (Some(15), Some(7), Some(30), Some(2))
        );
        assert_eq!(
            (be.status.as_deref(), be.scur),
            (Some("DOWN"), Some(7)),
            "gauges as now"
        );
        let s1 = w.find("be", "s1").unwrap();
        assert_eq!(
            (s1.stot, s1.hrsp_5xx),
            (Some(2), Some(1)),
            "reset: counts since then"
        );
        assert_eq!(
            w.find("be", "s2").unwrap().stot,
            Some(4),
            "new: counts since it appeared"
        );
        let h = summarize(&w, &HashSet::new(), Period::Window { secs: 10 });
        assert_eq!(h[0].http_5xx_pct, Some(31.8));
        assert!(
            h[0].problems
                .iter()
                .any(|p| p == "31.8% of HTTP responses were 5xx in the last 10 s (7)"),
            "{:?}",
            h[0].problems
        );
    }

    #[test]
    fn a_listen_section_without_servers_is_not_a_problem() {
        let r = report(
            "app,FRONTEND,OPEN,0,1,,5,,0,0,5,0,5,0,0,0,0,,\n\
             app,BACKEND,UP,1,0,,5,0,,,,0,5,0,0,0,0,,\n\
             be_empty,BACKEND,UP,1,0,,0,0,,,,0,0,0,0,0,0,,\n",
        );
        let h = summarize(&r, &HashSet::new(), Period::SinceCleared);
        assert!(h[0].problems.is_empty(), "{:?}", h[0].problems);
        assert_eq!(
            h[1].problems,
            ["it has no servers, so it cannot serve traffic"]
        );
    }

    #[test]
    fn a_table_only_backend_is_not_a_backend() {
        let r =
            report("st_clients,BACKEND,UP,1,,,,,,,,,,,,,,,\nempty,BACKEND,UP,1,,,,,,,,,,,,,,,\n");
        let tables: HashSet<String> = ["st_clients".to_owned()].into();
        let h = summarize(&r, &tables, Period::SinceCleared);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].name, "empty");
        assert!(h[0].problems[0].contains("no servers"));
    }

    #[test]
    fn frontends_report_denials_and_state() {
        let r = report(
            "fe,FRONTEND,OPEN,0,1,100,50,,10,2,40,,,,,,,,\n\
             fe2,FRONTEND,STOP,0,0,100,0,,0,0,0,,,,,,,,\n",
        );
        let f = summarize_frontends(&r, Period::SinceCleared);
        assert_eq!(f[0].denied_pct, Some(25.0));
        assert!(
            f[0].problems
                .iter()
                .any(|p| p.starts_with("25% of requests were denied")),
            "{:?}",
            f[0].problems
        );
        assert!(f[1].problems[0].contains("stopped"));
    }
}
