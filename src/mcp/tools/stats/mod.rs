//! Statistics and process information: show_info, show_stat, show_activity, health_summary,
//! clear_counters.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};

mod fleet;
use serde::{Deserialize, Serialize};

use super::{TargetOnly, default_limit, limit_or, out};
use crate::haproxy::command::args::ProxyName;
use crate::haproxy::command::{StatFilter, StatObjects};
use crate::haproxy::parse::StatRow;
use crate::mcp::answer::{
    Answer, Scalar, ToolError, ToolResult, Truncation, first_and_more, truncate,
};
use crate::mcp::cert_inventory::{self, expiry_problems};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::health::{
    BackendHealth, FrontendHealth, Period, over_window, summarize, summarize_frontends,
};
use crate::mcp::link_health::{peer_problems, resolver_problems};
use crate::mcp::targets::{Selector, Target};

/// Process information from `show info`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InfoOut {
    /// HAProxy version string.
    pub version: Option<String>,
    /// Seconds since the process started.
    pub uptime_sec: Option<u64>,
    /// Worker process id.
    pub pid: Option<u64>,
    /// Threads.
    pub nbthread: Option<u64>,
    /// Current connections.
    pub curr_conns: Option<u64>,
    /// Configured process connection limit.
    pub maxconn: Option<u64>,
    /// Connections accepted since start.
    pub cum_conns: Option<u64>,
    /// HTTP requests since start.
    pub cum_req: Option<u64>,
    /// Idle CPU percentage.
    pub idle_pct: Option<u64>,
    /// Every `Name: value` field (integers as numbers).
    pub fields: BTreeMap<String, Scalar>,
}

/// What kind of objects to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    /// Frontends.
    Frontend,
    /// Backends (their aggregate row).
    Backend,
    /// Servers.
    Server,
}

/// Arguments of show_stat.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ShowStatArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this frontend or backend.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Only these kinds of objects (all when omitted).
    #[serde(default)]
    pub types: Option<Vec<ObjectType>>,
    /// CSV columns, e.g. ["scur","hrsp_5xx"]; ["all"] for every one.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Most rows to return (default 15).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
}

/// `show stat` rows, each a map of column -> value.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StatOut {
    /// The rows, in HAProxy's order: column -> value (integers as numbers).
    pub rows: Vec<BTreeMap<String, Scalar>>,
    /// How many rows matched and whether some were left out.
    pub truncation: Truncation,
}

/// Columns shown when `fields` is omitted: what an operator looks at first.
const DEFAULT_FIELDS: &[&str] = &[
    "status",
    "weight",
    "scur",
    "smax",
    "slim",
    "stot",
    "qcur",
    "rate",
    "req_rate",
    "ereq",
    "econ",
    "eresp",
    "hrsp_4xx",
    "hrsp_5xx",
    "check_status",
    "check_desc",
    "lastchg",
];

/// `show activity` counters.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ActivityOut {
    /// Counter name -> total (per-thread values are in `per_thread`; integers as numbers).
    pub totals: BTreeMap<String, Scalar>,
    /// Counter name -> per-thread values, where HAProxy prints them.
    pub per_thread: BTreeMap<String, Vec<Scalar>>,
}

/// health_summary's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HealthOut {
    /// Backends with something wrong.
    pub backends_with_problems: usize,
    /// Backends, problems first, up to `limit`.
    pub backends: Vec<BackendHealth>,
    /// How many backends there are and whether some were left out.
    pub backends_shown: Truncation,
    /// Frontends with something wrong (stopped, full, denied or malformed requests).
    pub frontends_with_problems: usize,
    /// Frontends, problems first, up to `limit`; none when one backend was asked for.
    pub frontends: Vec<FrontendHealth>,
    /// How many frontends there are and whether some were left out.
    pub frontends_shown: Truncation,
    /// Nameservers that fail and remote peers not connected (none when one backend was asked
    /// for).
    pub dns_and_peers: Vec<String>,
    /// Certificates (and CA certificates) expired or expiring within 30 days, soonest first
    /// (none when one backend was asked for, or when this socket may not read certificates).
    pub certificates: Vec<String>,
    /// The period the counters cover: `in the last N s`, or `since counters were last cleared`.
    pub period: String,
    /// With several targets: each one's verdict (counts above are sums).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<fleet::FleetHealth>,
}

/// The youngest earlier sample health_summary uses for rates: closer samples say little.
const MIN_SAMPLE_AGE: Duration = Duration::from_secs(2);

/// The oldest earlier sample health_summary uses: past an hour, "recent" no longer holds.
const MAX_SAMPLE_AGE: Duration = Duration::from_secs(3600);

/// How far ahead health_summary looks for certificate expiry.
const CERT_WARNING_DAYS: i64 = 30;

/// Most certificate problems named in health_summary's sentence (all are in `certificates`).
const CERT_PROBLEMS_NAMED: usize = 5;

/// Arguments of health_summary.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct HealthArgs {
    /// Which HAProxy, or several: `*`, `group:<name>`, `key=value` labels.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this backend.
    #[serde(default)]
    pub backend: Option<String>,
    /// Most backends and frontends detailed (default 6, problems first).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: Option<u32>,
    /// Seconds to measure rates over now (0: since start).
    #[serde(default)]
    #[schemars(range(max = 60))]
    pub window_secs: Option<u32>,
}

/// Arguments of clear_counters.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ClearCountersArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Every counter, not only the max values.
    #[serde(default)]
    pub all: bool,
}

/// Confirmation of a change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Done {
    /// The target changed.
    pub target: String,
    /// What was done, as a sentence.
    pub done: String,
}

/// Which columns, by position, a row shows (`type` always; then `fields`, every column for
/// `["all"]`, or the defaults): worked out once per reply rather than per cell.
fn shown_columns(columns: &[String], fields: &Option<Vec<String>>) -> Vec<bool> {
    let all = fields
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == "all"));
    columns
        .iter()
        .map(|col| {
            let col = col.as_str();
            if col == "pxname" || col == "svname" || col == "-" {
                return false;
            }
            col == "type"
                || all
                || match fields {
                    Some(f) => f.iter().any(|x| x == col),
                    None => DEFAULT_FIELDS.contains(&col),
                }
        })
        .collect()
}

fn stat_row_map(row: &StatRow, shown: &[bool]) -> BTreeMap<String, Scalar> {
    let mut m = BTreeMap::new();
    // Names stay text even when they look like numbers (a backend may be called `404`).
    m.insert("pxname".to_owned(), Scalar::Text(row.proxy.clone()));
    m.insert("svname".to_owned(), Scalar::Text(row.name.clone()));
    for ((col, val), _) in row
        .values()
        .zip(shown)
        .filter(|((_, val), shown)| **shown && !val.is_empty())
    {
        m.insert(col.to_owned(), Scalar::of(val));
    }
    m
}

#[tool_router(router = stats_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// HAProxy process information: version, uptime, connections, limits.
    #[tool(
        description = "Process information: version, uptime, connections, limits, threads, idle CPU. 'Which HAProxy is this, how busy?'",
        annotations(title = "Show process info", read_only_hint = true, open_world_hint = false),
        output_schema = out::<InfoOut>()
    )]
    async fn show_info(&self, Parameters(args): Parameters<TargetOnly>) -> ToolResult<InfoOut> {
        let t = &self.target(args.target.as_deref())?;
        let info = checked(t, Subject::Nothing, t.client.show_info().await).await?;
        let out = InfoOut {
            version: info.version().map(str::to_owned),
            uptime_sec: info.uptime_sec(),
            pid: info.pid(),
            nbthread: info.nbthread(),
            curr_conns: info.curr_conns(),
            maxconn: info.maxconn(),
            cum_conns: info.cum_conns(),
            cum_req: info.cum_req(),
            idle_pct: info.idle_pct(),
            fields: info
                .fields
                .iter()
                .map(|f| (f.name.clone(), Scalar::of(f.value.as_str())))
                .collect(),
        };
        let summary = format!(
            "[{}] HAProxy {} up {}s, {} of {} connections in use, {}% idle, {} threads.",
            t.name,
            out.version.as_deref().unwrap_or("?"),
            opt(out.uptime_sec),
            opt(out.curr_conns),
            opt(out.maxconn),
            opt(out.idle_pct),
            opt(out.nbthread),
        );
        Ok(Answer::new(summary, out))
    }

    /// Statistics rows from `show stat`, filtered and limited.
    #[tool(
        description = "Raw `show stat` counters, filtered by proxy and type; `fields` picks columns ([\"all\"]: every one). Prefer health_summary, list_*, get_*.",
        annotations(title = "Show statistics", read_only_hint = true, open_world_hint = false),
        output_schema = out::<StatOut>()
    )]
    async fn show_stat(&self, Parameters(args): Parameters<ShowStatArgs>) -> ToolResult<StatOut> {
        let t = &self.target(args.target.as_deref())?;
        let proxy = args.proxy.as_deref().map(ProxyName::new).transpose()?;
        let objects = args
            .types
            .as_ref()
            .filter(|v| !v.is_empty())
            .map(|types| StatObjects {
                frontends: types.contains(&ObjectType::Frontend),
                backends: types.contains(&ObjectType::Backend),
                servers: types.contains(&ObjectType::Server),
            });
        // Rows typed on demand: only the ones shown are (a 10,000-server reply is 2 MB).
        let table = checked(
            t,
            Subject::Nothing,
            t.client
                .show_stat_table(&StatFilter { proxy, objects })
                .await,
        )
        .await?;
        if let Some(fields) = &args.fields {
            let unknown: Vec<&String> = fields
                .iter()
                .filter(|f| *f != "all" && !table.columns().iter().any(|c| c == *f))
                .collect();
            if !unknown.is_empty() {
                return Err(ToolError::new(format!(
                    "Unknown show stat column(s) {unknown:?}. This HAProxy has: {}.",
                    table.columns().join(", ")
                )));
            }
        }
        let limit = limit_or(args.limit, default_limit::STAT_ROWS);
        // Counted on placeholders (a `Vec<()>` holds no memory), then only the rows shown built.
        let (shown, truncation) = truncate(vec![(); table.len()], limit);
        let columns = shown_columns(table.columns(), &args.fields);
        let rows: Vec<_> = table
            .rows()
            .take(shown.len())
            .map(|r| stat_row_map(&r, &columns))
            .collect();
        let summary = format!(
            "[{}] {} of {} stat rows{}.",
            t.name,
            truncation.shown,
            truncation.total,
            truncation.suffix()
        );
        Ok(Answer::new(summary, StatOut { rows, truncation }))
    }

    /// Scheduler, polling and memory counters from `show activity`.
    #[tool(
        description = "Low-level activity counters (loops, wakeups, tasks, per thread) for CPU or event-loop problems.",
        annotations(title = "Show activity counters", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ActivityOut>()
    )]
    async fn show_activity(
        &self,
        Parameters(args): Parameters<TargetOnly>,
    ) -> ToolResult<ActivityOut> {
        let t = &self.target(args.target.as_deref())?;
        let report = checked(t, Subject::Nothing, t.client.show_activity().await).await?;
        let mut out = ActivityOut {
            totals: BTreeMap::new(),
            per_thread: BTreeMap::new(),
        };
        for e in report.entries {
            if !e.per_thread.is_empty() {
                let values = e.per_thread.into_iter().map(Scalar::of).collect();
                out.per_thread.insert(e.name.clone(), values);
            }
            out.totals.insert(e.name, Scalar::of(e.total));
        }
        let summary = format!("[{}] {} activity counters.", t.name, out.totals.len());
        Ok(Answer::new(summary, out))
    }

    /// What looks wrong, backend by backend.
    #[tool(
        description = "Start here for 'what is wrong?'. Backends: server states, sessions, queue, 5xx %, connection errors %; frontends: stopped, full, denied, malformed %; failing DNS, disconnected peers, certificate problems. Rates since the last call or over window_secs. Fleet: target `*`, group:<name>, k=v.",
        annotations(title = "Health summary", read_only_hint = true, open_world_hint = false),
        output_schema = out::<HealthOut>()
    )]
    async fn health_summary(
        &self,
        Parameters(args): Parameters<HealthArgs>,
    ) -> ToolResult<HealthOut> {
        if let Some(selector) = args.target.as_deref().map(Selector::parse).transpose()?
            && !selector.is_single()
        {
            let targets = self.targets().select(&selector)?;
            return Ok(fleet::health(self, &selector, &targets, &args).await);
        }
        let t = &self.target(args.target.as_deref())?;
        self.health_of(t, &args).await
    }

    /// Reset statistics counters.
    #[tool(
        description = "Reset statistics counters: max values, or every counter with all=true. The old values are lost.",
        annotations(title = "Clear counters", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<Done>()
    )]
    async fn clear_counters(
        &self,
        Parameters(args): Parameters<ClearCountersArgs>,
    ) -> ToolResult<Done> {
        let t = &self.target(args.target.as_deref())?;
        checked(t, Subject::Nothing, t.client.clear_counters(args.all).await).await?;
        let done = if args.all {
            "every statistics counter was reset"
        } else {
            "the max-value counters were reset"
        };
        Ok(Answer::new(
            format!("[{}] Done: {done}.", t.name),
            Done {
                target: t.name.clone(),
                done: done.to_owned(),
            },
        ))
    }
}

impl HaproxyMcp {
    /// health_summary on one target.
    pub(super) async fn health_of(&self, t: &Target, args: &HealthArgs) -> ToolResult<HealthOut> {
        let backend = args.backend.as_deref().map(ProxyName::new).transpose()?;
        // Everything (or one proxy): the two plainest forms of the command.
        let filter = StatFilter {
            proxy: backend.clone(),
            objects: None,
        };
        let whole_process = backend.is_none();
        // The TLS store only for the whole process; a HAProxy without TLS, or a socket below
        // operator level (which may not read certificates), simply has nothing to report.
        let tls = async {
            if whole_process {
                cert_inventory::read(t, None, cert_inventory::Scope::Expiry)
                    .await
                    .ok()
            } else {
                None
            }
        };
        // Two chains side by side, each one read after another: the TLS store's (its details
        // must come one at a time anyway) and the rest. Each chain then holds one of the
        // client's kept connections (no new connection per read, and no more than two of
        // HAProxy's shared CLI slots), at the latency of the longer chain.
        let reads = async {
            let stat = t.client.show_stat(&filter).await;
            let tables = t.client.show_tables().await;
            let (resolvers, peers) = if whole_process {
                (
                    t.client.show_resolvers(None).await.ok(),
                    t.client.show_peers(None).await.ok(),
                )
            } else {
                (None, None)
            };
            (stat, tables, resolvers, peers)
        };
        let ((stat, tables, resolvers, peers), tls) = tokio::join!(reads, tls);
        let first = Arc::new(checked(t, Subject::Nothing, stat).await?);
        // Rates: over a window measured now, or since the previous whole-process sample.
        let (windowed, latest, period) = match args.window_secs {
            Some(0) => (None, Arc::clone(&first), Period::SinceCleared),
            Some(secs) => {
                let started = Instant::now();
                tokio::time::sleep(Duration::from_secs(u64::from(secs))).await;
                let later = checked(t, Subject::Nothing, t.client.show_stat(&filter).await).await?;
                let secs = started.elapsed().as_secs().max(1);
                let windowed = over_window(&first, &later);
                (Some(windowed), Arc::new(later), Period::Window { secs })
            }
            None => match t.stat_sample.between(MIN_SAMPLE_AGE, MAX_SAMPLE_AGE) {
                Some((age, earlier)) => (
                    Some(over_window(&earlier, &first)),
                    Arc::clone(&first),
                    Period::Window {
                        secs: age.as_secs().max(1),
                    },
                ),
                None => (None, Arc::clone(&first), Period::SinceCleared),
            },
        };
        if whole_process {
            t.stat_sample.store(latest);
        }
        let stat = windowed.as_ref().unwrap_or(&first);
        // Sections that only declare a stick table show up as backends without servers. A
        // socket that may not list tables just means none is left out.
        let tables: HashSet<String> = tables
            .map(|ts| ts.into_iter().map(|t| t.name).collect())
            .unwrap_or_default();
        let mut backends = summarize(stat, &tables, period);
        backends.sort_by_key(|b| b.problems.is_empty());
        let mut frontends = if backend.is_some() {
            Vec::new()
        } else {
            summarize_frontends(stat, period)
        };
        frontends.sort_by_key(|f| f.problems.is_empty());
        let with_problems = backends.iter().filter(|b| !b.problems.is_empty()).count();
        let fe_problems = frontends.iter().filter(|f| !f.problems.is_empty()).count();
        let shown = limit_or(args.limit, default_limit::HEALTH_ITEMS);
        let (backends, backends_shown) = truncate(backends, shown);
        let (frontends, frontends_shown) = truncate(frontends, shown);
        let mut summary = format!(
            "[{}] {} backend(s), {} with problems",
            t.name, backends_shown.total, with_problems
        );
        if backend.is_none() {
            summary.push_str(&format!(
                "; {} frontend(s), {} with problems",
                frontends_shown.total, fe_problems
            ));
        }
        summary.push_str(&match period {
            Period::Window { secs } => format!("; counters of the last {secs} s."),
            Period::SinceCleared if args.window_secs == Some(0) => {
                "; counters since they were last cleared.".to_owned()
            }
            Period::SinceCleared => "; counters since they were last cleared (call again, or pass window_secs, for rates now).".to_owned(),
        });
        for b in backends.iter().filter(|b| !b.problems.is_empty()) {
            summary.push_str(&format!(" {}: {}.", b.name, b.problems.join("; ")));
        }
        for f in frontends.iter().filter(|f| !f.problems.is_empty()) {
            summary.push_str(&format!(" Frontend {}: {}.", f.name, f.problems.join("; ")));
        }
        // Resolvers and peers: whatever this HAProxy lets us read (a version or socket that
        // refuses either simply reports nothing there).
        let mut dns_and_peers = Vec::new();
        dns_and_peers.extend(resolvers.map(|r| resolver_problems(&r)).unwrap_or_default());
        dns_and_peers.extend(peers.map(|p| peer_problems(&p)).unwrap_or_default());
        if !dns_and_peers.is_empty() {
            summary.push_str(&format!(
                " DNS and peers: {} (show_resolvers, show_peers).",
                dns_and_peers.join("; ")
            ));
        }
        let certificates = tls
            .map(|inv| expiry_problems(&inv.certificates, CERT_WARNING_DAYS))
            .unwrap_or_default();
        if !certificates.is_empty() {
            summary.push_str(&format!(
                " Certificates expired or expiring within {CERT_WARNING_DAYS} days: {} (list_certificates).",
                first_and_more(&certificates, CERT_PROBLEMS_NAMED, "; ")
            ));
        }
        let unshown = (with_problems + fe_problems).saturating_sub(
            backends.iter().filter(|b| !b.problems.is_empty()).count()
                + frontends.iter().filter(|f| !f.problems.is_empty()).count(),
        );
        if unshown > 0 {
            summary.push_str(&format!(
                " {unshown} more with problems not detailed: raise `limit`, or list_servers with state=not_up."
            ));
        }
        Ok(Answer::new(
            summary,
            HealthOut {
                backends_with_problems: with_problems,
                backends,
                backends_shown,
                frontends_with_problems: fe_problems,
                frontends,
                frontends_shown,
                dns_and_peers,
                certificates,
                period: period.phrase(),
                fleet: None,
            },
        ))
    }
}

/// Renders an optional number for a summary.
pub(crate) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}
