//! The master's process view: show_processes. Part of the misc toolset, beside reload.
//!
//! What an operator asks after a reload, or when HAProxy seems to hold on to old
//! configuration: which workers run, whether old ones still finish their connections (and
//! since when), how many reloads failed, and what HAProxy warned about when it started.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::Serialize;

use super::misc::MASTER_HOWTO;
use super::{TargetOnly, out};
use crate::haproxy::RuntimeError;
use crate::haproxy::parse::reload::reload_counters;
use crate::haproxy::parse::{ProcEntry, ProcKind};
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::handler::HaproxyMcp;

/// At most this many startup messages are returned (warnings and alerts first).
const STARTUP_MESSAGES: usize = 12;

/// One process.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProcessOut {
    /// Process id.
    pub pid: u32,
    /// How long it has run (`0d00h05m10s`).
    pub uptime: String,
    /// HAProxy version it runs.
    pub version: String,
}

/// The master process.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MasterOut {
    /// Process id.
    pub pid: u32,
    /// Reloads since it started.
    pub reloads: Option<u64>,
    /// Failed reloads since the last good one.
    pub failed_reloads: Option<u64>,
    /// How long it has run.
    pub uptime: String,
    /// HAProxy version.
    pub version: String,
}

/// A startup message.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StartupOut {
    /// `NOTICE`, `WARNING`, `ALERT`…
    pub severity: String,
    /// The message.
    pub message: String,
}

/// show_processes' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProcessesOut {
    /// The target.
    pub target: String,
    /// The master (absent without a master CLI target).
    pub master: Option<MasterOut>,
    /// Current workers.
    pub workers: Vec<ProcessOut>,
    /// Workers of an earlier configuration still finishing their connections.
    pub old_workers: Vec<ProcessOut>,
    /// Warnings and alerts first, then notices (at most 12).
    pub startup_messages: Vec<StartupOut>,
    /// Warnings and alerts HAProxy printed while starting.
    pub startup_warnings: usize,
    /// What is wrong: failed reloads, old workers, startup warnings.
    pub problems: Vec<String>,
    /// Why part of the view is missing (e.g. no master CLI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn process(p: &ProcEntry) -> ProcessOut {
    ProcessOut {
        pid: p.pid,
        uptime: p.uptime.clone(),
        version: p.version.clone(),
    }
}

#[tool_router(router = processes_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// The master's process view and the startup messages.
    #[tool(
        description = "Master CLI `show proc`: reloads, failed reloads, workers, old workers still draining and since when; startup warnings.",
        annotations(title = "Show processes", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ProcessesOut>()
    )]
    async fn show_processes(
        &self,
        Parameters(args): Parameters<TargetOnly>,
    ) -> ToolResult<ProcessesOut> {
        let t = &self.target(args.target.as_deref())?;
        let (procs, logs) = tokio::join!(t.client.show_proc(), t.client.show_startup_logs());
        let mut problems = Vec::new();
        let mut note = None;
        let (master, workers, old_workers) = match procs {
            Ok(list) => {
                let master = list.master().map(|m| {
                    let (reloads, failed) = reload_counters(&m.reloads).unzip();
                    MasterOut {
                        pid: m.pid,
                        reloads,
                        failed_reloads: failed.flatten(),
                        uptime: m.uptime.clone(),
                        version: m.version.clone(),
                    }
                });
                let old: Vec<ProcessOut> = list
                    .processes
                    .iter()
                    .filter(|p| p.kind == ProcKind::Worker && p.old)
                    .map(process)
                    .collect();
                (master, list.workers().map(process).collect::<Vec<_>>(), old)
            }
            Err(RuntimeError::NeedsMaster { .. }) => {
                note = Some(format!(
                    "The process list needs a master CLI target; this target is a worker's stats socket. {MASTER_HOWTO}"
                ));
                (None, Vec::new(), Vec::new())
            }
            Err(e) => return Err(ToolError::runtime(&t.name, &e)),
        };
        if let Some(n) = master
            .as_ref()
            .and_then(|m| m.failed_reloads)
            .filter(|n| *n > 0)
        {
            problems.push(format!(
                "{n} reload(s) failed since the last good one: the workers still run the configuration of before (reload again once `haproxy -c` passes)"
            ));
        }
        for w in &old_workers {
            problems.push(format!(
                "old worker {} (up {}, {}) is still finishing its connections",
                w.pid, w.uptime, w.version
            ));
        }
        let mut messages = match logs {
            Ok(m) => m,
            Err(e) => {
                let why = format!("The startup messages could not be read: {e}.");
                note = Some(note.map_or(why.clone(), |n| format!("{n} {why}")));
                Vec::new()
            }
        };
        let startup_warnings = messages.iter().filter(|m| m.is_problem()).count();
        if startup_warnings > 0 {
            problems.push(format!(
                "HAProxy printed {startup_warnings} warning(s) or alert(s) while starting (startup_messages)"
            ));
        }
        // Warnings and alerts first, in their order; then notices.
        messages.sort_by_key(|m| !m.is_problem());
        messages.truncate(STARTUP_MESSAGES);
        let mut summary = match &master {
            Some(m) => format!(
                "[{}] Master {} (up {}, {} reload(s)), {} worker(s): {}; {} old worker(s).",
                t.name,
                m.pid,
                m.uptime,
                m.reloads.map_or("?".to_owned(), |r| r.to_string()),
                workers.len(),
                workers
                    .iter()
                    .map(|w| format!("{} up {}", w.pid, w.uptime))
                    .collect::<Vec<_>>()
                    .join(", "),
                old_workers.len()
            ),
            None => format!("[{}] No process list (not a master CLI target).", t.name),
        };
        if problems.is_empty() {
            summary.push_str(" No problem.");
        } else {
            summary.push_str(&format!(" Problems: {}.", problems.join("; ")));
        }
        Ok(Answer::new(
            summary,
            ProcessesOut {
                target: t.name.clone(),
                master,
                workers,
                old_workers,
                startup_messages: messages
                    .into_iter()
                    .map(|m| StartupOut {
                        severity: m.severity,
                        message: m.message,
                    })
                    .collect(),
                startup_warnings,
                problems,
                note,
            },
        ))
    }
}
