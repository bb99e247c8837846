//! The master CLI of a master-worker HAProxy (`haproxy -W -S <addr>`): its process list
//! (`show proc`), `reload`, its own `help`, `show version`, `show cli level`,
//! `show startup-logs` (3.0+), `echo` (3.2+), and the `@` prefixes that send one command to a
//! process — `@1` or `@!<pid>` to the current worker, whose answer comes from the same model
//! or recordings as the stats socket's, and `@master`, `@0` or a lone `@` to the master.
//!
//! What it answers was read from live HAProxy 2.6.12, 3.0.11, 3.2.26 and 3.4.7 (the master's
//! `help` of each is in `emulator/data/master-help/`) and is compared with them by
//! `tests/differential/master_cli.rs`. A reload starts a new worker from the seed — every
//! runtime change is gone, as HAProxy loses what is not in its configuration files — and the
//! old worker, which holds no connection here, leaves at once.

use std::time::{Duration, Instant};

use crate::fixture::Level;
use crate::session::strip_terminator;
use crate::tokenizer::Command;
use crate::usage::Usage;
use crate::version::Version;

/// The master's `help` at admin level, per version (the newest at or below a version wins).
const MASTER_HELP: &[((u32, u32), &str)] = &[
    ((2, 6), include_str!("../data/master-help/2.6.txt")),
    ((3, 0), include_str!("../data/master-help/3.0.txt")),
    ((3, 2), include_str!("../data/master-help/3.2.txt")),
    ((3, 4), include_str!("../data/master-help/3.4.txt")),
];

/// Where HAProxy's packages put the binary the master re-executes (it prints it after a
/// reload); the path the recorded containers print.
const EXECUTABLE: &str = "/usr/local/sbin/haproxy";

/// One process of the list.
#[derive(Debug, Clone)]
struct Process {
    pid: u32,
    started: Instant,
}

/// The master and its current worker.
#[derive(Debug, Clone)]
pub(crate) struct Processes {
    master: Process,
    worker: Process,
    /// How many reloads the master did.
    reloads: u32,
    /// The worker the last reload replaced and how it ended (named by the reload's report):
    /// `0 (Exit)` after a soft reload, `143 (Terminated)` after a hard one.
    former: Option<(u32, &'static str)>,
    /// The first line of `haproxy -v`'s version (`3.2.26-1`).
    haproxy_version: String,
    /// The worker's uptime when the emulator started (the seed's), so that the first worker
    /// and the master are as old as the recorded process.
    seeded_uptime: Duration,
}

/// Where an `@` prefix sends a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The master itself.
    Master,
    /// The current worker.
    Worker,
}

impl Processes {
    /// A master whose worker is `worker_pid` (the recorded `show info` `Pid`), both up for
    /// `uptime` at `started`; `haproxy` is the first line of `haproxy -v`.
    pub(crate) fn new(worker_pid: u32, uptime: Duration, started: Instant, haproxy: &str) -> Self {
        let haproxy_version = haproxy
            .split_once("version ")
            .map_or(haproxy, |(_, rest)| rest)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned();
        Processes {
            // In a container (where the recordings were made) the master is process 1;
            // elsewhere it forked the worker, so a lower pid.
            master: Process {
                pid: if worker_pid < 100 { 1 } else { worker_pid - 3 },
                started,
            },
            worker: Process {
                pid: worker_pid,
                started,
            },
            reloads: 0,
            former: None,
            haproxy_version,
            seeded_uptime: uptime,
        }
    }

    /// Resolves an `@` prefix (HAProxy's `pcli_prefix_to_pid`): `None` when it names no
    /// process (`Can't find the target PID matching the prefix '…'`).
    pub(crate) fn route(&self, prefix: &[u8]) -> Option<Route> {
        let rest = prefix.strip_prefix(b"@")?;
        match rest {
            b"" | b"master" | b"0" => Some(Route::Master),
            b"1" => Some(Route::Worker),
            _ => {
                let pid = rest.strip_prefix(b"!")?;
                let pid: u32 = std::str::from_utf8(pid).ok()?.parse().ok()?;
                (pid == self.worker.pid).then_some(Route::Worker)
            }
        }
    }

    /// Starts a new worker in place of the current one, which leaves at once (it holds no
    /// connection; `hard`: it is terminated, as `hard-reload` does); returns the new worker's
    /// pid.
    pub(crate) fn reload(&mut self, hard: bool) -> u32 {
        let old = self.worker.pid;
        // HAProxy's new worker is forked a few pids on (checks, the old worker's threads).
        self.worker = Process {
            pid: old + 3,
            started: Instant::now(),
        };
        self.former = Some((old, if hard { "143 (Terminated)" } else { "0 (Exit)" }));
        self.reloads += 1;
        self.worker.pid
    }

    fn uptime(&self, process: &Process) -> String {
        let mut secs = process.started.elapsed().as_secs();
        if self.reloads == 0 || process.pid == self.master.pid {
            secs += self.seeded_uptime.as_secs();
        }
        format!(
            "{}d{:02}h{:02}m{:02}s",
            secs / 86400,
            (secs % 86400) / 3600,
            (secs % 3600) / 60,
            secs % 60
        )
    }

    /// `show proc` (`cli_io_handler_show_proc`), without its terminating `"\n"`.
    fn show_proc(&self, version: Version) -> String {
        let mut out = format!(
            "#{:<14} {:<15} {:<15} {:<15} {:<15}\n",
            "<PID>", "<type>", "<reloads>", "<uptime>", "<version>"
        );
        let reloads = format!("{} [failed: 0]", self.reloads);
        out.push_str(&format!(
            "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
            self.master.pid,
            "master",
            reloads,
            self.uptime(&self.master),
            self.haproxy_version
        ));
        out.push_str("# workers\n");
        out.push_str(&format!(
            "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
            self.worker.pid,
            "worker",
            0,
            self.uptime(&self.worker),
            self.haproxy_version
        ));
        // Before 3.1 the programs' header is printed even when there is none.
        if version < Version::new(3, 1, 0) {
            out.push_str("# programs\n");
        }
        out
    }

    /// What the master logged while starting the current worker (`show startup-logs` on the
    /// master, 3.0+), and after a reload the lines the new master process adds.
    fn startup_logs(&self, version: Version) -> String {
        let master = self.master.pid;
        let worker = self.worker.pid;
        let mut out = if version < Version::new(3, 1, 0) {
            format!("[NOTICE]   ({master}) : New worker ({worker}) forked\n")
        } else {
            format!("[NOTICE]   ({master}) : Initializing new worker ({worker})\n")
        };
        out.push_str(&format!("[NOTICE]   ({master}) : Loading success.\n"));
        if let Some((former, exit)) = self.former {
            out.push_str(&format!(
                "[NOTICE]   ({master}) : haproxy version is {}\n\
                 [NOTICE]   ({master}) : path to executable is {EXECUTABLE}\n\
                 [WARNING]  ({master}) : Former worker ({former}) exited with code {exit}\n",
                self.haproxy_version
            ));
        }
        out
    }
}

/// The master's own commands, at one session's level.
pub(crate) struct MasterCli<'a> {
    /// The process list.
    pub(crate) processes: &'a mut Processes,
    /// The HAProxy version.
    pub(crate) version: Version,
    /// The session's level now.
    pub(crate) level: Level,
}

/// What the master answers to one of its own commands.
pub(crate) enum MasterReply {
    /// A body (the session adds the terminator).
    Body(Vec<u8>),
    /// A reload: the worker must start over from the seed as process `pid`. `report` is what
    /// the master writes (nothing on 2.6) before it closes the connection.
    Reload {
        /// The new worker's pid.
        pid: u32,
        /// The reply, terminator included.
        report: Vec<u8>,
    },
}

impl MasterCli<'_> {
    /// Executes one master command (its prefix already removed).
    pub(crate) fn execute(&mut self, command: &Command) -> MasterReply {
        let usage = usage(self.version);
        let words: Vec<&str> = command
            .words
            .iter()
            .map(|w| std::str::from_utf8(w).unwrap_or("\u{fffd}"))
            .collect();
        let body = match words.as_slice() {
            ["help", ..] => strip_terminator(&usage.help(&command.words[1..])).to_vec(),
            ["show", "proc"] => self.processes.show_proc(self.version).into_bytes(),
            ["show", "version", ..] => format!("{}\n", self.processes.haproxy_version).into_bytes(),
            ["show", "cli", "level", ..] => format!("{}\n", self.level).into_bytes(),
            ["show", "startup-logs", ..] if self.version >= Version::new(3, 0, 0) => {
                self.processes.startup_logs(self.version).into_bytes()
            }
            ["echo", rest @ ..] if self.version >= Version::new(3, 2, 0) => {
                format!("{}\n", rest.join(" ")).into_bytes()
            }
            [verb @ ("reload" | "hard-reload")] if usage.knows(&command.words) => {
                let pid = self.processes.reload(*verb == "hard-reload");
                let report = if self.version < Version::new(2, 7, 0) {
                    Vec::new()
                } else {
                    format!(
                        "Success=1\n--\n{}\n",
                        self.processes.startup_logs(self.version)
                    )
                    .into_bytes()
                };
                return MasterReply::Reload { pid, report };
            }
            _ if usage.knows(&command.words) => format!(
                "emulator: `{}` is a HAProxy {} master CLI command the emulator does not execute; nothing was changed (docs/emulator.md lists what it covers).\n",
                words.join(" "),
                self.version
            )
            .into_bytes(),
            _ => strip_terminator(&usage.unknown_command(&command.words)).to_vec(),
        };
        MasterReply::Body(body)
    }
}

/// The master's usage list for `version`.
fn usage(version: Version) -> Usage {
    let text = version.pick(MASTER_HELP).copied().unwrap_or("");
    Usage::new(text.as_bytes(), version, version.names_unknown_word())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processes() -> Processes {
        Processes::new(
            8,
            Duration::from_secs(5),
            Instant::now(),
            "HAProxy version 3.2.26-1 2026/10/14 - https://haproxy.org/",
        )
    }

    #[test]
    fn prefixes_resolve_as_haproxy_does() {
        let p = processes();
        assert_eq!(p.route(b"@1"), Some(Route::Worker));
        assert_eq!(p.route(b"@!8"), Some(Route::Worker));
        assert_eq!(p.route(b"@master"), Some(Route::Master));
        assert_eq!(p.route(b"@0"), Some(Route::Master));
        assert_eq!(p.route(b"@"), Some(Route::Master));
        assert_eq!(p.route(b"@2"), None, "only @1 is a relative worker");
        assert_eq!(p.route(b"@!9"), None);
        assert_eq!(p.route(b"@!"), None);
        assert_eq!(p.route(b"@!8x"), None);
    }

    #[test]
    fn a_reload_replaces_the_worker_and_counts() {
        let mut p = processes();
        let new = p.reload(false);
        assert_ne!(new, 8);
        assert_eq!(p.route(b"@!8"), None, "the old worker left");
        assert_eq!(
            p.route(
                b"@!"
                    .iter()
                    .chain(new.to_string().as_bytes())
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice()
            ),
            Some(Route::Worker)
        );
        let list = p.show_proc(Version::new(3, 2, 26));
        assert!(list.contains("master          1 [failed: 0]"), "{list}");
        assert!(list.starts_with("#<PID>          <type>"), "{list}");
        assert!(!list.contains("# programs"), "{list}");
        assert!(
            p.show_proc(Version::new(3, 0, 11))
                .ends_with("# programs\n")
        );
        let logs = p.startup_logs(Version::new(3, 2, 26));
        assert!(
            logs.contains(&format!("Initializing new worker ({new})")),
            "{logs}"
        );
        assert!(
            logs.contains("Former worker (8) exited with code 0 (Exit)"),
            "{logs}"
        );
        p.reload(true);
        let logs = p.startup_logs(Version::new(3, 2, 26));
        assert!(
            logs.contains(&format!(
                "Former worker ({new}) exited with code 143 (Terminated)"
            )),
            "{logs}"
        );
    }
}
