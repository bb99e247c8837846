//! Keeps the discovered target groups up to date. Each group's file is read at start, then looked
//! at every `refresh_secs` and at once on SIGHUP; a changed file replaces the group's members
//! (`Targets::update_group`). A file that cannot be read or parsed keeps the last good members
//! and says why in list_targets and `/healthz`.
//!
//! The file is polled rather than watched with inotify on purpose: a Kubernetes ConfigMap or an
//! atomic `mv` replaces the file (or a symlink above it), which an inotify watch on the old inode
//! misses, and polling a small file every few seconds costs nothing.

use std::path::Path;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{GroupConfig, GroupSource, parse_group_file};
use crate::haproxy::{ClientOptions, RuntimeClient};
use crate::mcp::targets::{Target, Targets};

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
            let mut watcher = GroupWatcher {
                group,
                targets: targets.clone(),
                client: client.clone(),
                last_good: None,
                last_error: None,
            };
            watcher.read_now().await;
            let mut hup = reread.subscribe();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(watcher.group.refresh) => {}
                        changed = hup.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            // SIGHUP: read even an unchanged file (its targets may have moved).
                            watcher.last_good = None;
                        }
                    }
                    watcher.read_now().await;
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

/// One group's reader: what it last read, so an unchanged file changes nothing.
struct GroupWatcher {
    group: GroupConfig,
    targets: Targets,
    client: ClientOptions,
    /// The bytes of the last file that was applied.
    last_good: Option<Vec<u8>>,
    /// The last failure, logged once rather than at every refresh.
    last_error: Option<String>,
}

impl GroupWatcher {
    async fn read_now(&mut self) {
        let GroupSource::File(path) = &self.group.source;
        let reading = match tokio::fs::read(path).await {
            Ok(bytes) if self.last_good.as_ref() == Some(&bytes) => return,
            Ok(bytes) => match members(&bytes, path, &self.group, &self.client) {
                Ok(members) => Ok((bytes, members)),
                Err(e) => Err(e),
            },
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        };
        match reading {
            Ok((bytes, members)) => {
                tracing::info!(group = %self.group.name, members = members.len(), "target group read");
                self.targets.update_group(&self.group.name, Ok(members));
                // A name clash with another target is refused by update_group: keep trying.
                let refused = self
                    .targets
                    .groups()
                    .into_iter()
                    .find(|g| g.name == self.group.name)
                    .and_then(|g| g.error);
                self.note_error(refused.clone());
                self.last_good = refused.is_none().then_some(bytes);
            }
            Err(e) => {
                self.targets.update_group(&self.group.name, Err(e.clone()));
                self.note_error(Some(e));
                self.last_good = None;
            }
        }
    }

    fn note_error(&mut self, error: Option<String>) {
        if error != self.last_error
            && let Some(e) = &error
        {
            tracing::warn!(group = %self.group.name, "target group not updated, keeping its last good members: {e}");
        }
        self.last_error = error;
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
    Ok(configs
        .into_iter()
        .map(|c| {
            let client = RuntimeClient::new(c.endpoint, c.options);
            Target::new(c.name, client, false).with_labels(c.labels)
        })
        .collect())
}
