//! `/healthz`: per-target reachability, public for load balancers and container health checks.
//! The targets are probed (`show version`) at most once per cache period (1 s by default)
//! whatever the number of callers: concurrent requests wait for the one probe under way and
//! share it, so a flood of `/healthz` cannot turn into a flood of HAProxy commands.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use super::gate::Gate;
use crate::mcp::HaproxyMcp;
use crate::mcp::fleet;

/// Default time a probe is reused.
pub const DEFAULT_CACHE: Duration = Duration::from_secs(1);
/// How long a probe waits for each target.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz`'s body.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` when every target answers, else `degraded` (the server itself is up either way).
    pub status: &'static str,
    /// Each target's reachability.
    pub targets: Vec<TargetHealth>,
    /// Discovered target groups and whether their last reading worked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupHealth>,
}

/// One discovered group's state.
#[derive(Debug, Clone, Serialize)]
pub struct GroupHealth {
    /// The group's name.
    pub name: String,
    /// How many targets it has now.
    pub members: usize,
    /// Whether its last reading worked (when not, the last good members are kept).
    pub current: bool,
    /// Why its last reading failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The groups' state now (not cached: it costs no HAProxy command).
fn groups(server: &HaproxyMcp) -> Vec<GroupHealth> {
    server
        .targets()
        .groups()
        .into_iter()
        .map(|g| GroupHealth {
            members: g.members,
            current: g.error.is_none(),
            name: g.name,
            error: g.error,
        })
        .collect()
}

/// One target's reachability.
#[derive(Debug, Clone, Serialize)]
pub struct TargetHealth {
    /// The target's name.
    pub name: String,
    /// Whether it answered.
    pub reachable: bool,
    /// HAProxy's version, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Asks every target for its version, each within [`PROBE_TIMEOUT`], as many at once as a
/// fleet read may (`HAPROXY_MCP_FLEET_CONCURRENCY`).
pub async fn probe(server: &HaproxyMcp) -> Vec<TargetHealth> {
    let all = server.targets().all();
    let concurrency = server.settings().fleet.concurrency;
    let answers = fleet::probe_versions(&all, concurrency, PROBE_TIMEOUT).await;
    all.iter()
        .zip(answers)
        .map(|(t, answer)| {
            let (version, error) = match answer {
                Ok((v, _)) => (Some(v), None),
                Err(e) => (None, Some(e)),
            };
            TargetHealth {
                name: t.name.clone(),
                reachable: version.is_some(),
                version,
                error,
            }
        })
        .collect()
}

/// The last probe, reused for a while.
#[derive(Debug)]
pub struct HealthCache {
    ttl: Duration,
    last: tokio::sync::Mutex<Option<(Instant, Vec<TargetHealth>)>>,
}

impl HealthCache {
    /// A cache keeping each probe for `ttl` (zero: every call probes).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// The last probe if it is recent enough, else a new one (one at a time: callers that
    /// arrive during a probe wait for it).
    pub async fn get(&self, server: &HaproxyMcp) -> Vec<TargetHealth> {
        let mut last = self.last.lock().await;
        if let Some((at, targets)) = last.as_ref()
            && at.elapsed() < self.ttl
        {
            return targets.clone();
        }
        let targets = probe(server).await;
        *last = Some((Instant::now(), targets.clone()));
        targets
    }
}

/// Per-target reachability. When authentication is on, versions and error details are only
/// shown to authenticated callers.
pub async fn healthz(State(gate): State<Gate>, headers: HeaderMap) -> Json<Health> {
    let mut targets = gate.health.get(&gate.server).await;
    let mut groups = groups(&gate.server);
    let detailed = !gate.auth.is_enabled() || gate.auth.authenticate(&headers).await.is_ok();
    if !detailed {
        for t in &mut targets {
            t.version = None;
            t.error = None;
        }
        for g in &mut groups {
            g.error = None;
        }
    }
    let status = if targets.iter().all(|t| t.reachable) && groups.iter().all(|g| g.current) {
        "ok"
    } else {
        "degraded"
    };
    Json(Health {
        status,
        targets,
        groups,
    })
}
