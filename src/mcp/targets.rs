//! The configured HAProxy instances a tool call can name with its `target` argument.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::haproxy::RuntimeClient;
use crate::haproxy::parse::StatReport;

use super::answer::ToolError;

/// One HAProxy instance: a name, a client, and how it is reached (for list_targets).
#[derive(Debug, Clone)]
pub struct Target {
    /// The name tools use in `target`.
    pub name: String,
    /// The Runtime API client for it.
    pub client: RuntimeClient,
    /// Whether this target is an in-process emulator rather than a real HAProxy.
    pub emulated: bool,
    /// Runtime changes this server made that HAProxy cannot report afterwards.
    pub journal: RuntimeJournal,
    /// The last whole-process `show stat` health_summary read, for rates over the interval
    /// since.
    pub stat_sample: StatSample,
}

impl Target {
    /// A target with an empty journal.
    pub fn new(name: impl Into<String>, client: RuntimeClient, emulated: bool) -> Self {
        Self {
            name: name.into(),
            client,
            emulated,
            journal: RuntimeJournal::default(),
            stat_sample: StatSample::default(),
        }
    }
}

/// What this server changed at run time on one target that the Runtime API cannot tell apart
/// from the configuration afterwards: servers added with `add server` (HAProxy lists them like
/// configured ones). Shared by the clones of a target; cleared by a reload through this server.
#[derive(Debug, Clone, Default)]
pub struct RuntimeJournal {
    added_servers: Arc<Mutex<BTreeSet<String>>>,
}

impl RuntimeJournal {
    /// Records `backend/server` as added at run time.
    pub fn server_added(&self, server: &str) {
        self.lock().insert(server.to_owned());
    }

    /// Forgets `backend/server` (deleted).
    pub fn server_deleted(&self, server: &str) {
        self.lock().remove(server);
    }

    /// The servers added at run time (`backend/server`), in order.
    pub fn added_servers(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    /// After a reload: the new workers hold no runtime change.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A panic while holding the lock cannot leave the set half-changed.
        self.added_servers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The latest `show stat` sample of one target and when it was read. Shared by the clones of a
/// target (every MCP session of this server sees the same one).
#[derive(Debug, Clone, Default)]
pub struct StatSample {
    last: Arc<Mutex<Option<TimedReport>>>,
}

/// A `show stat` report and when it was read.
type TimedReport = (Instant, Arc<StatReport>);

impl StatSample {
    /// Keeps `report`, read just now, as the latest sample.
    pub fn store(&self, report: Arc<StatReport>) {
        *self.lock() = Some((Instant::now(), report));
    }

    /// The latest sample and its age, if it is at least `min` and at most `max` old.
    pub fn between(&self, min: Duration, max: Duration) -> Option<(Duration, Arc<StatReport>)> {
        let guard = self.lock();
        let (at, report) = guard.as_ref()?;
        let age = at.elapsed();
        (age >= min && age <= max).then(|| (age, Arc::clone(report)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<TimedReport>> {
        // Replacing the sample is one assignment: a panic cannot leave it half-written.
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every configured target, and which one a call without `target` uses.
#[derive(Debug, Clone)]
pub struct Targets {
    targets: Vec<Target>,
    default: Option<usize>,
}

impl Targets {
    /// Builds the set. `default` names the target used when a call gives none; with a single
    /// target that one is the default anyway.
    pub fn new(targets: Vec<Target>, default: Option<&str>) -> Result<Self, String> {
        if targets.is_empty() {
            return Err("no HAProxy target is configured".to_owned());
        }
        for (i, t) in targets.iter().enumerate() {
            if targets[..i].iter().any(|o| o.name == t.name) {
                return Err(format!(
                    "target name {:?} is used twice; names must be unique",
                    t.name
                ));
            }
        }
        let default = match default {
            Some(name) => Some(targets.iter().position(|t| t.name == name).ok_or_else(|| {
                format!(
                    "default target {name:?} is not one of the configured targets ({})",
                    names(&targets)
                )
            })?),
            None if targets.len() == 1 => Some(0),
            None => None,
        };
        Ok(Self { targets, default })
    }

    /// The target named `name`, or the default one when `name` is `None`.
    pub fn resolve(&self, name: Option<&str>) -> Result<&Target, ToolError> {
        match name.filter(|n| !n.is_empty()) {
            Some(n) => self.targets.iter().find(|t| t.name == n).ok_or_else(|| {
                ToolError::new(format!(
                    "There is no target named {n:?}. Configured targets: {}. Call list_targets for details.",
                    names(&self.targets)
                ))
            }),
            None => self.default.map(|i| &self.targets[i]).ok_or_else(|| {
                ToolError::new(format!(
                    "Several HAProxy targets are configured ({}); say which one with the `target` argument.",
                    names(&self.targets)
                ))
            }),
        }
    }

    /// Every target, in configuration order.
    pub fn all(&self) -> &[Target] {
        &self.targets
    }

    /// The default target's name, if there is one.
    pub fn default_name(&self) -> Option<&str> {
        self.default.map(|i| self.targets[i].name.as_str())
    }
}

fn names(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
