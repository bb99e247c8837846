//! rolling_change: one change applied across several targets (`*`, `group:<name>`, `key=value`),
//! `batch` targets at a time, in the selection's order. Each step is the change tool's own call,
//! dispatched as a client's call would be (`dispatch.rs`): the same argument checks, the same
//! last-UP guard, the same read-back, refused on a read-only target, audited per target. The
//! first failure stops the rollout: the answer says which targets changed (and how), which one
//! failed and why, and which were not touched.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::out;
use crate::mcp::answer::{Answer, ToolError, ToolResult, first_and_more};
use crate::mcp::fleet;
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::targets::{Selector, Target};

/// Targets named in a summary sentence before "and N more".
const NAMED: usize = 10;

/// The changes a rollout can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollingTool {
    /// set_weight.
    SetWeight,
    /// set_server_state.
    SetServerState,
    /// enable_server.
    EnableServer,
    /// disable_server.
    DisableServer,
    /// drain_server.
    DrainServer,
    /// set_map_entry.
    SetMapEntry,
    /// add_map_entry.
    AddMapEntry,
    /// del_map_entry.
    DelMapEntry,
}

impl RollingTool {
    /// The tool's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SetWeight => "set_weight",
            Self::SetServerState => "set_server_state",
            Self::EnableServer => "enable_server",
            Self::DisableServer => "disable_server",
            Self::DrainServer => "drain_server",
            Self::SetMapEntry => "set_map_entry",
            Self::AddMapEntry => "add_map_entry",
            Self::DelMapEntry => "del_map_entry",
        }
    }
}

/// rolling_change's arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RollingArgs {
    /// `*`, `group:<name>` or `key=value` labels.
    pub target: String,
    /// The change tool.
    pub tool: RollingTool,
    /// Its arguments, without target.
    pub arguments: Map<String, Value>,
    /// Targets at once (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub batch: Option<u32>,
}

/// One target's change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StepOut {
    /// The target.
    pub target: String,
    /// What the change tool answered (its summary).
    pub done: String,
}

/// rolling_change's answer (a rollout that stopped is an error that says the same).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RollingOut {
    /// The change tool.
    pub tool: String,
    /// The targets selected.
    pub selection: String,
    /// Every selected target, changed, in order.
    pub changed: Vec<StepOut>,
}

#[tool_router(router = rolling_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// One change across a fleet, target by target.
    #[tool(
        description = "Run a change tool on many targets (`*`, group:<name>, k=v), batch at a time, each verified; stops at the first failure, saying what changed.",
        annotations(title = "Rolling change", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<RollingOut>()
    )]
    async fn rolling_change(
        &self,
        Parameters(args): Parameters<RollingArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult<RollingOut> {
        let selector = Selector::parse(&args.target)?;
        let targets = self.targets().select(&selector)?;
        let tool = args.tool.name();
        if targets.is_empty() {
            return Err(ToolError::new(format!(
                "`target` {:?} selects no target ({selector}); nothing was changed. list_targets shows the targets, groups and labels.",
                args.target
            )));
        }
        if self.tool_router().get(tool).is_none() {
            return Err(ToolError::new(format!(
                "`tool` {tool} is not enabled on this server (its toolset is off); nothing was changed."
            )));
        }
        if args.arguments.contains_key("target") {
            return Err(ToolError::new(
                "`arguments` must not name a target: `target` selects the targets. Nothing was changed.",
            ));
        }
        let batch = args.batch.map_or(1, |b| b.max(1) as usize);
        let mut changed: Vec<StepOut> = Vec::new();
        for (wave, chunk) in targets.chunks(batch).enumerate() {
            let steps = chunk
                .iter()
                .map(|t| self.step(tool, &args.arguments, t, &ctx));
            let outcomes = futures::future::join_all(steps).await;
            let mut failed = Vec::new();
            for (t, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Ok(done) => changed.push(StepOut {
                        target: t.name.clone(),
                        done,
                    }),
                    Err(e) => failed.push((t.name.clone(), e)),
                }
            }
            if !failed.is_empty() {
                let untouched: Vec<String> = targets[(wave + 1) * batch..]
                    .iter()
                    .map(|t| t.name.clone())
                    .collect();
                return Err(ToolError::new(stopped(
                    tool, &selector, &changed, &failed, &untouched,
                )));
            }
        }
        let names: Vec<String> = changed.iter().map(|s| s.target.clone()).collect();
        let summary = format!(
            "[{selector}] {tool} applied on all {} target(s), {batch} at a time: {}.",
            changed.len(),
            first_and_more(&names, NAMED, ", ")
        );
        Ok(Answer::new(
            summary,
            RollingOut {
                tool: tool.to_owned(),
                selection: selector.to_string(),
                changed,
            },
        ))
    }
}

impl HaproxyMcp {
    /// The change on one target, as a call of its own: its summary, or why it failed.
    async fn step(
        &self,
        tool: &str,
        arguments: &Map<String, Value>,
        t: &Target,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<String, String> {
        let mut arguments = arguments.clone();
        arguments.insert("target".to_owned(), Value::String(t.name.clone()));
        let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        match self.call_tool_audited(request, ctx.clone()).await {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => Err(text(&r)),
            Ok(CallToolResponse::Complete(r)) => Ok(text(&r)),
            Ok(_) => Err(format!("{tool} gave no result")),
            Err(e) => Err(e.message.to_string()),
        }
    }
}

/// A result's first text block, the tool's summary sentence.
fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default()
}

/// What a stopped rollout says: what changed, what failed, what was not touched.
fn stopped(
    tool: &str,
    selector: &Selector,
    changed: &[StepOut],
    failed: &[(String, String)],
    untouched: &[String],
) -> String {
    // Each line is named with its target already: without the tool's own `[target] ` prefix.
    let first_line = |target: &str, text: &str| {
        fleet::without_target_prefix(target, text.lines().next().unwrap_or("")).to_owned()
    };
    let failures: Vec<String> = failed
        .iter()
        .map(|(t, e)| format!("{t}: {}", first_line(t, e)))
        .collect();
    let mut s = format!(
        "[{selector}] {tool} STOPPED at the first failure. Failed on {}.",
        failures.join("; ")
    );
    if changed.is_empty() {
        s.push_str(" No target was changed.");
    } else {
        let done: Vec<String> = changed
            .iter()
            .map(|c| format!("{} ({})", c.target, first_line(&c.target, &c.done)))
            .collect();
        s.push_str(&format!(
            " CHANGED ({}): {}.",
            changed.len(),
            first_and_more(&done, NAMED, "; ")
        ));
    }
    if untouched.is_empty() {
        s.push_str(" No target was left untouched.");
    } else {
        s.push_str(&format!(
            " NOT TOUCHED ({}): {}.",
            untouched.len(),
            first_and_more(untouched, NAMED, ", ")
        ));
    }
    s.push_str(" Fix the failure, then roll out again on the targets not changed (or undo the changed ones).");
    s
}
