//! The HAProxy instances a tool call can name with its `target` argument: the static ones of the
//! settings, and the members of target groups discovered at run time (`crate::discovery`), which
//! come and go. A call works on a clone of its target, so one that disappears while a call is
//! under way does not disturb it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

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
    /// The discovered group it belongs to (None: configured statically).
    pub group: Option<String>,
    /// Its labels, which `key=value` selections match.
    pub labels: BTreeMap<String, String>,
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
            group: None,
            labels: BTreeMap::new(),
            journal: RuntimeJournal::default(),
            stat_sample: StatSample::default(),
        }
    }

    /// The same target with labels.
    pub fn with_labels(mut self, labels: BTreeMap<String, String>) -> Self {
        self.labels = labels;
        self
    }

    /// Whether `other` reaches the same HAProxy the same way (a re-read group keeps such a
    /// member as it was: its connections, journal and stat sample).
    fn same_as(&self, other: &Target) -> bool {
        self.name == other.name
            && self.client.endpoint() == other.client.endpoint()
            && self.client.is_read_only() == other.client.is_read_only()
            && self.labels == other.labels
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

/// What a `target` argument names: one target, or a selection of several for a fleet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One target by name.
    Name(String),
    /// `*`: every target.
    All,
    /// `group:<name>`: the members of a discovered group.
    Group(String),
    /// `key=value[,key=value…]`: the targets carrying every one of these labels.
    Labels(Vec<(String, String)>),
}

impl Selector {
    /// Reads a `target` argument. Target names never contain `*`, `:`, `=` or `,`, so a name is
    /// never mistaken for a selection.
    pub fn parse(s: &str) -> Result<Self, ToolError> {
        // The characters of target, group and label names (and `*`, `:`, `=`, `,` between them).
        let word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        };
        if s == "*" {
            return Ok(Self::All);
        }
        if let Some(group) = s.strip_prefix("group:") {
            if !word(group) {
                return Err(ToolError::new(format!(
                    "`target` {s:?} names no group: write group:<name>, a name of letters, digits, '-', '_' or '.' (list_targets shows the groups)."
                )));
            }
            return Ok(Self::Group(group.to_owned()));
        }
        if s.contains('=') {
            let mut pairs = Vec::new();
            for part in s.split(',') {
                match part.trim_start_matches(' ').split_once('=') {
                    Some((k, v)) if word(k) && (v.is_empty() || word(v)) => {
                        pairs.push((k.to_owned(), v.to_owned()));
                    }
                    _ => {
                        return Err(ToolError::new(format!(
                            "`target` {s:?} is not a label selection: write key=value, several joined by commas (e.g. site=par,tier=edge)."
                        )));
                    }
                }
            }
            return Ok(Self::Labels(pairs));
        }
        Ok(Self::Name(s.to_owned()))
    }

    /// Whether this names one target.
    pub fn is_single(&self) -> bool {
        matches!(self, Self::Name(_))
    }

    fn matches(&self, t: &Target) -> bool {
        match self {
            Self::Name(n) => &t.name == n,
            Self::All => true,
            Self::Group(g) => t.group.as_deref() == Some(g.as_str()),
            Self::Labels(pairs) => pairs
                .iter()
                .all(|(k, v)| t.labels.get(k).is_some_and(|have| have == v)),
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Name(n) => write!(f, "{n}"),
            Self::All => write!(f, "every target"),
            Self::Group(g) => write!(f, "group {g}"),
            Self::Labels(pairs) => {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "targets labelled {}", pairs.join(","))
            }
        }
    }
}

/// A discovered group's state: where its members come from and how the last reading went.
#[derive(Debug, Clone)]
pub struct GroupStatus {
    /// The group's name.
    pub name: String,
    /// Where its members are listed (`file <path>`).
    pub source: String,
    /// When its members were last read successfully (None: never).
    pub refreshed: Option<SystemTime>,
    /// Why the last reading failed; the members of the last good one are kept meanwhile.
    pub error: Option<String>,
    /// How many members it has now (those of the last good reading).
    pub members: usize,
}

/// Every target at one moment: the static ones first, then each group's members.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    targets: Vec<Target>,
    default: Option<String>,
    groups: Vec<GroupStatus>,
}

/// Called for every target that joins the set (the metrics observer is attached this way).
type JoinHook = Arc<dyn Fn(&Target) + Send + Sync>;

/// The targets, shared by every session of the server; discovered groups update them in place.
#[derive(Clone)]
pub struct Targets {
    current: Arc<RwLock<Arc<TargetSet>>>,
    on_join: Arc<Mutex<Option<JoinHook>>>,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Targets").field(&self.snapshot()).finish()
    }
}

impl Targets {
    /// Builds the set of static targets. `default` names the target used when a call gives
    /// none; with a single target that one is the default anyway.
    pub fn new(targets: Vec<Target>, default: Option<&str>) -> Result<Self, String> {
        Self::with_groups(targets, default, Vec::new())
    }

    /// Builds the set with discovered groups (named with their source; members arrive with
    /// [`Targets::update_group`]). There may be no static target when there are groups.
    pub fn with_groups(
        targets: Vec<Target>,
        default: Option<&str>,
        groups: Vec<(String, String)>,
    ) -> Result<Self, String> {
        if targets.is_empty() && groups.is_empty() {
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
            Some(name) if targets.iter().any(|t| t.name == name) => Some(name.to_owned()),
            Some(name) => {
                return Err(format!(
                    "default target {name:?} is not one of the configured targets ({})",
                    names(&targets)
                ));
            }
            None if targets.len() == 1 && groups.is_empty() => Some(targets[0].name.clone()),
            None => None,
        };
        let groups = groups
            .into_iter()
            .map(|(name, source)| GroupStatus {
                name,
                source,
                refreshed: None,
                error: None,
                members: 0,
            })
            .collect();
        Ok(Self {
            current: Arc::new(RwLock::new(Arc::new(TargetSet {
                targets,
                default,
                groups,
            }))),
            on_join: Arc::new(Mutex::new(None)),
        })
    }

    /// The set as it is now.
    pub fn snapshot(&self) -> Arc<TargetSet> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Calls `hook` for every target now in the set and every one that joins later.
    pub fn on_join(&self, hook: impl Fn(&Target) + Send + Sync + 'static) {
        let hook: JoinHook = Arc::new(hook);
        for t in &self.snapshot().targets {
            hook(t);
        }
        *self.on_join.lock().unwrap_or_else(|e| e.into_inner()) = Some(hook);
    }

    /// The target named `name`, or the default one when `name` is `None`. A selection of
    /// several (`*`, `group:…`, `key=value`) is refused with a message saying where it works.
    pub fn resolve(&self, name: Option<&str>) -> Result<Target, ToolError> {
        let set = self.snapshot();
        match name.filter(|n| !n.is_empty()) {
            Some(n) => {
                let selector = Selector::parse(n)?;
                if !selector.is_single() {
                    return Err(ToolError::new(format!(
                        "`target` {n:?} selects several targets ({selector}); this tool works on one. Fleet reads: health_summary and list_targets. Name one target (list_targets shows them)."
                    )));
                }
                set.targets.iter().find(|t| t.name == n).cloned().ok_or_else(|| {
                    ToolError::new(format!(
                        "There is no target named {n:?}. Configured targets: {}. Call list_targets for details.",
                        names(&set.targets)
                    ))
                })
            }
            None => set
                .default
                .as_deref()
                .and_then(|d| set.targets.iter().find(|t| t.name == d))
                .cloned()
                .ok_or_else(|| {
                    ToolError::new(format!(
                        "No default target is configured; say which one with the `target` argument (targets: {}; list_targets shows them).",
                        names(&set.targets)
                    ))
                }),
        }
    }

    /// The targets a selection names, in set order. A group that does not exist, or a
    /// selection matching nothing, is an error naming what exists.
    pub fn select(&self, selector: &Selector) -> Result<Vec<Target>, ToolError> {
        if let Selector::Name(n) = selector {
            return self.resolve(Some(n)).map(|t| vec![t]);
        }
        let set = self.snapshot();
        if let Selector::Group(g) = selector
            && !set.groups.iter().any(|s| &s.name == g)
        {
            let groups: Vec<&str> = set.groups.iter().map(|s| s.name.as_str()).collect();
            return Err(ToolError::new(format!(
                "There is no target group named {g:?}. Groups: {}.",
                if groups.is_empty() {
                    "none are configured".to_owned()
                } else {
                    groups.join(", ")
                }
            )));
        }
        Ok(set
            .targets
            .iter()
            .filter(|t| selector.matches(t))
            .cloned()
            .collect())
    }

    /// Every target, in set order.
    pub fn all(&self) -> Vec<Target> {
        self.snapshot().targets.clone()
    }

    /// The default target's name, if there is one.
    pub fn default_name(&self) -> Option<String> {
        self.snapshot().default.clone()
    }

    /// Every discovered group's state.
    pub fn groups(&self) -> Vec<GroupStatus> {
        self.snapshot().groups.clone()
    }

    /// Replaces `group`'s members with a new reading, or records why it failed (the last good
    /// members stay). A member whose name another target (static, or of another group) already
    /// uses makes the whole reading fail: half a group would be a silent surprise. Members that
    /// did not change are kept as they were (connections, journal, stat sample).
    pub fn update_group(&self, group: &str, reading: Result<Vec<Target>, String>) {
        let hook = self
            .on_join
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let mut set = TargetSet::clone(&current);
        let Some(status) = set.groups.iter().position(|s| s.name == group) else {
            return;
        };
        let others: Vec<&Target> = set
            .targets
            .iter()
            .filter(|t| t.group.as_deref() != Some(group))
            .collect();
        let reading = reading.and_then(|members| {
            match members
                .iter()
                .find(|m| others.iter().any(|o| o.name == m.name))
            {
                Some(clash) => Err(format!(
                    "the target name {:?} is already used by another target; rename it in the group's file",
                    clash.name
                )),
                None => Ok(members),
            }
        });
        match reading {
            Err(e) => {
                set.groups[status].error = Some(e);
            }
            Ok(members) => {
                let old: Vec<Target> = set
                    .targets
                    .iter()
                    .filter(|t| t.group.as_deref() == Some(group))
                    .cloned()
                    .collect();
                let mut joined = Vec::new();
                let members: Vec<Target> = members
                    .into_iter()
                    .map(|mut m| {
                        m.group = Some(group.to_owned());
                        match old.iter().find(|o| o.same_as(&m)) {
                            Some(kept) => kept.clone(),
                            None => {
                                joined.push(m.clone());
                                m
                            }
                        }
                    })
                    .collect();
                let left = old
                    .iter()
                    .filter(|o| !members.iter().any(|m| m.name == o.name));
                for t in left {
                    tracing::info!(group, target_name = %t.name, "target left its group");
                }
                // Keep set order: static targets, then the groups in configuration order.
                let order: Vec<String> = set.groups.iter().map(|g| g.name.clone()).collect();
                set.targets.retain(|t| t.group.as_deref() != Some(group));
                set.groups[status].members = members.len();
                set.targets.extend(members);
                set.targets.sort_by_key(|t| {
                    t.group
                        .as_ref()
                        .and_then(|g| order.iter().position(|o| o == g))
                        .map_or(0, |i| i + 1)
                });
                set.groups[status].error = None;
                set.groups[status].refreshed = Some(SystemTime::now());
                for t in &joined {
                    tracing::info!(group, target_name = %t.name, endpoint = %t.client.endpoint(), "target joined its group");
                    if let Some(hook) = &hook {
                        hook(t);
                    }
                }
            }
        }
        *current = Arc::new(set);
    }
}

fn names(targets: &[Target]) -> String {
    if targets.is_empty() {
        return "none yet".to_owned();
    }
    const NAMED: usize = 20;
    let mut out = targets
        .iter()
        .take(NAMED)
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if targets.len() > NAMED {
        out.push_str(&format!(" and {} more", targets.len() - NAMED));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::{ClientOptions, Endpoint, RuntimeClient};

    fn target(name: &str, socket: &str) -> Target {
        let client = RuntimeClient::new(Endpoint::unix(socket), ClientOptions::default());
        Target::new(name, client, false)
    }

    fn labelled(name: &str, labels: &[(&str, &str)]) -> Target {
        target(name, &format!("/run/{name}.sock")).with_labels(
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn names(ts: &[Target]) -> Vec<&str> {
        ts.iter().map(|t| t.name.as_str()).collect()
    }

    fn fleet() -> Targets {
        let t = Targets::with_groups(
            vec![target("static", "/run/s.sock")],
            Some("static"),
            vec![
                ("edge".into(), "file e".into()),
                ("core".into(), "file c".into()),
            ],
        )
        .unwrap();
        t.update_group(
            "core",
            Ok(vec![labelled("c1", &[("site", "par"), ("tier", "core")])]),
        );
        t.update_group(
            "edge",
            Ok(vec![
                labelled("e1", &[("site", "par"), ("tier", "edge")]),
                labelled("e2", &[("site", "ams"), ("tier", "edge")]),
            ]),
        );
        t
    }

    #[test]
    fn selections_pick_groups_labels_or_everything_in_set_order() {
        let t = fleet();
        assert_eq!(names(&t.all()), ["static", "e1", "e2", "c1"]);
        let pick = |s: &str| names(&t.select(&Selector::parse(s).unwrap()).unwrap()).join(",");
        assert_eq!(pick("*"), "static,e1,e2,c1");
        assert_eq!(pick("group:edge"), "e1,e2");
        assert_eq!(pick("site=par"), "e1,c1");
        assert_eq!(pick("site=par, tier=edge"), "e1");
        assert_eq!(pick("site=nowhere"), "");
        assert_eq!(pick("e2"), "e2");
        let err = t
            .select(&Selector::parse("group:nope").unwrap())
            .unwrap_err();
        assert!(err.message().contains("edge, core"), "{}", err.message());
        assert!(Selector::parse("group:").is_err());
        assert!(Selector::parse("=x").is_err());
        assert!(Selector::parse("site=par\n").is_err());
        assert!(Selector::parse("group:e dge").is_err());
    }

    #[test]
    fn one_target_tools_refuse_a_selection_and_say_where_it_works() {
        let t = fleet();
        let err = t.resolve(Some("group:edge")).unwrap_err();
        assert!(
            err.message().contains("health_summary"),
            "{}",
            err.message()
        );
        assert_eq!(t.resolve(None).unwrap().name, "static");
        assert_eq!(
            t.resolve(Some("c1")).unwrap().group.as_deref(),
            Some("core")
        );
    }

    #[test]
    fn a_reread_group_keeps_unchanged_members_and_drops_gone_ones() {
        let t = fleet();
        let before = t.resolve(Some("e1")).unwrap();
        before.journal.server_added("be/x");
        t.update_group(
            "edge",
            Ok(vec![
                labelled("e1", &[("site", "par"), ("tier", "edge")]),
                labelled("e3", &[]),
            ]),
        );
        assert_eq!(names(&t.all()), ["static", "e1", "e3", "c1"]);
        let after = t.resolve(Some("e1")).unwrap();
        assert_eq!(
            after.journal.added_servers(),
            ["be/x"],
            "the same member, kept"
        );
        assert!(t.resolve(Some("e2")).is_err());
        // A call holding a member that left still has it.
        assert_eq!(before.name, "e1");
    }

    #[test]
    fn a_failed_or_clashing_reading_keeps_the_last_good_members() {
        let t = fleet();
        t.update_group("edge", Err("cannot read e: gone".into()));
        assert_eq!(names(&t.all()), ["static", "e1", "e2", "c1"]);
        let edge = |t: &Targets| t.groups().into_iter().find(|g| g.name == "edge").unwrap();
        assert_eq!(edge(&t).error.as_deref(), Some("cannot read e: gone"));
        t.update_group("edge", Ok(vec![labelled("c1", &[])]));
        assert!(edge(&t).error.unwrap().contains("\"c1\" is already used"));
        assert_eq!(names(&t.all()), ["static", "e1", "e2", "c1"]);
        t.update_group("edge", Ok(vec![]));
        assert_eq!(edge(&t).error, None);
        assert_eq!(names(&t.all()), ["static", "c1"]);
    }

    #[test]
    fn joining_targets_are_announced_once() {
        let t = fleet();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        t.on_join(move |t| record.lock().unwrap().push(t.name.clone()));
        t.update_group(
            "edge",
            Ok(vec![
                labelled("e1", &[("site", "par"), ("tier", "edge")]),
                labelled("e9", &[]),
            ]),
        );
        assert_eq!(
            *seen.lock().unwrap(),
            ["static", "e1", "e2", "c1", "e9"],
            "the existing targets, then only the new member"
        );
    }
}
