//! Keeps the discovered target groups up to date. Each group is read at start, then again — a
//! file every `refresh_secs`, DNS SRV records when their TTL ends — and at once on SIGHUP; a
//! changed reading replaces the group's members (`Targets::update_group`). A reading that fails
//! keeps the last good members and says why in list_targets and `/healthz`, and is retried every
//! `refresh_secs`.
//!
//! The file is polled rather than watched with inotify on purpose: a Kubernetes ConfigMap or an
//! atomic `mv` replaces the file (or a symlink above it), which an inotify watch on the old inode
//! misses, and polling a small file every few seconds costs nothing.

use std::path::Path;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{GroupConfig, GroupSource, TargetConfig, parse_group_file};
use crate::haproxy::{ClientOptions, RuntimeClient};
use crate::mcp::targets::{Target, Targets};

mod srv;

use srv::SrvReader;

/// How long the start waits for each group's first reading.
const FIRST_READING: Duration = Duration::from_secs(3);

/// The running discovery: one task per group (and the SIGHUP listener). Dropping it stops them.
#[derive(Debug, Default)]
pub struct Discovery {
    tasks: Vec<JoinHandle<()>>,
    reread: Option<watch::Sender<u64>>,
}

impl Discovery {
    /// Reads every group once (so the first tool call sees the members), then keeps each up to
    /// date in the background. `client` gives the members' timeouts and limits.
    pub async fn start(groups: Vec<GroupConfig>, targets: Targets, client: ClientOptions) -> Self {
        if groups.is_empty() {
            return Self::default();
        }
        let (reread, _) = watch::channel(0u64);
        let mut tasks = Vec::new();
        for group in groups {
            let source = match &group.source {
                GroupSource::File(_) => Source::File { last_good: None },
                GroupSource::Srv { name, server } => match SrvReader::new(name, *server) {
                    Ok(reader) => Source::Srv(Box::new(reader)),
                    Err(e) => {
                        // Nothing can be read: say so for good (a restart with a fixed
                        // configuration is needed).
                        targets.update_group(&group.name, Err(e.clone()));
                        tracing::warn!(group = %group.name, "target group cannot be read: {e}");
                        continue;
                    }
                },
            };
            let mut watcher = GroupWatcher {
                group,
                targets: targets.clone(),
                client: client.clone(),
                source,
                last_error: None,
            };
            // The first reading before the first call is served, within a bound: a DNS server
            // that does not answer must not hold the server's start (the group then fills in
            // as soon as the background reading succeeds).
            let mut next = match tokio::time::timeout(FIRST_READING, watcher.read_now()).await {
                Ok(next) => next,
                Err(_) => {
                    tracing::warn!(group = %watcher.group.name, "target group not read within {FIRST_READING:?} of start; still trying");
                    Duration::ZERO
                }
            };
            let mut hup = reread.subscribe();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(next) => {}
                        changed = hup.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            // SIGHUP: read again even what looks unchanged.
                            watcher.forget();
                        }
                    }
                    next = watcher.read_now().await;
                }
            }));
        }
        #[cfg(unix)]
        tasks.push(sighup_listener(reread.clone()));
        Self {
            tasks,
            reread: Some(reread),
        }
    }

    /// Re-reads every group now, as SIGHUP does.
    pub fn reread(&self) {
        if let Some(tx) = &self.reread {
            tx.send_modify(|n| *n += 1);
        }
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Forwards SIGHUP to every group's watcher.
#[cfg(unix)]
fn sighup_listener(reread: watch::Sender<u64>) -> JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(
                    "cannot listen for SIGHUP; target groups are re-read on their refresh period only: {e}"
                );
                return;
            }
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: re-reading the target groups");
            reread.send_modify(|n| *n += 1);
        }
    })
}

/// Where one group's members are read from, and what is kept between readings.
enum Source {
    /// A file; the bytes of the last one applied (an unchanged file changes nothing).
    File { last_good: Option<Vec<u8>> },
    /// DNS SRV records.
    Srv(Box<SrvReader>),
}

/// One group's reader.
struct GroupWatcher {
    group: GroupConfig,
    targets: Targets,
    client: ClientOptions,
    source: Source,
    /// The last failure, logged once rather than at every refresh.
    last_error: Option<String>,
}

impl GroupWatcher {
    /// Reads the group and applies what it found; returns how long to wait before the next
    /// reading.
    async fn read_now(&mut self) -> Duration {
        let retry = self.group.refresh;
        let (reading, next) = match (&mut self.source, &self.group.source) {
            (Source::File { last_good }, GroupSource::File(path)) => {
                match tokio::fs::read(path).await {
                    Ok(bytes) if last_good.as_ref() == Some(&bytes) => return retry,
                    Ok(bytes) => match members(&bytes, path, &self.group, &self.client) {
                        Ok(members) => {
                            *last_good = Some(bytes);
                            (Ok(members), retry)
                        }
                        Err(e) => (Err(e), retry),
                    },
                    Err(e) => (Err(format!("cannot read {}: {e}", path.display())), retry),
                }
            }
            (Source::Srv(reader), _) => match reader.read().await {
                Ok((found, holds)) => {
                    let members = found
                        .into_iter()
                        .map(|m| {
                            let mut member = TargetConfig {
                                name: m.name,
                                endpoint: m.endpoint,
                                options: self.client.clone(),
                                labels: Default::default(),
                            };
                            self.group.adopt(&mut member);
                            target_of(member)
                        })
                        .collect();
                    (Ok(members), holds)
                }
                Err(e) => (Err(e), retry),
            },
            (Source::File { .. }, GroupSource::Srv { .. }) => {
                unreachable!("a file source is made for a file group")
            }
        };
        let reading = match reading {
            Ok(members) => {
                let count = members.len();
                self.targets.update_group(&self.group.name, Ok(members));
                // A name clash with another target is refused by update_group.
                match self
                    .targets
                    .groups()
                    .into_iter()
                    .find(|g| g.name == self.group.name)
                    .and_then(|g| g.error)
                {
                    Some(refused) => Err(refused),
                    None => Ok(count),
                }
            }
            Err(e) => {
                self.targets.update_group(&self.group.name, Err(e.clone()));
                Err(e)
            }
        };
        match reading {
            Ok(count) => {
                if self.last_error.take().is_some() {
                    tracing::info!(group = %self.group.name, members = count, "target group read again");
                }
                tracing::debug!(group = %self.group.name, members = count, "target group read");
                next
            }
            Err(e) => {
                // Read the file again next time even if its bytes do not change: the clash may
                // be with another group that changes.
                if let Source::File { last_good } = &mut self.source {
                    *last_good = None;
                }
                if self.last_error.as_ref() != Some(&e) {
                    tracing::warn!(group = %self.group.name, "target group not updated, keeping its last good members: {e}");
                }
                self.last_error = Some(e);
                retry
            }
        }
    }

    /// Drops what makes an unchanged reading a no-op (SIGHUP).
    fn forget(&mut self) {
        match &mut self.source {
            Source::File { last_good } => *last_good = None,
            Source::Srv(reader) => reader.forget(),
        }
    }
}

/// The targets a group's file lists.
fn members(
    bytes: &[u8],
    path: &Path,
    group: &GroupConfig,
    client: &ClientOptions,
) -> Result<Vec<Target>, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    let configs = parse_group_file(text, group, client)
        .map_err(|e| e.to_string().replace("\n  fix: ", "; fix: "))?;
    Ok(configs.into_iter().map(target_of).collect())
}

/// The target a member's configuration describes.
fn target_of(c: TargetConfig) -> Target {
    let client = RuntimeClient::new(c.endpoint, c.options);
    Target::new(c.name, client, false).with_labels(c.labels)
}
