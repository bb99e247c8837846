//! The MCP handler's state, in a leaf module: [`HaproxyMcp`] (what every tool, resource and
//! prompt is a method of) and its [`Settings`]. It imports no toolset, so `server.rs` (which
//! composes the toolsets), `resources.rs`, `prompts.rs` and `tools/` all depend on it and not on
//! each other.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use serde_json::Value;

use super::answer::ToolError;
use super::audit::AuditLog;
use super::metrics::Metrics;
use super::targets::{Target, Targets};
use super::toolset::Toolset;

/// Behaviour settings of the MCP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Remove every mutating tool and refuse mutating commands.
    pub read_only: bool,
    /// The toolsets exposed.
    pub toolsets: Vec<Toolset>,
    /// How often drain_server polls the server's sessions.
    pub drain_poll: Duration,
    /// Where mutating (and optionally all) tool calls are recorded; off by default in the
    /// library, stderr by default in the binary.
    pub audit: AuditLog,
    /// The folder rotate_certificate reads new certificate files from (None: rotation off).
    pub certificates_dir: Option<std::path::PathBuf>,
    /// How fleet reads reach their targets.
    pub fleet: super::fleet::FleetLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_only: false,
            toolsets: Toolset::ALL.to_vec(),
            drain_poll: Duration::from_millis(500),
            audit: AuditLog::disabled(),
            certificates_dir: None,
            fleet: super::fleet::FleetLimits::default(),
        }
    }
}

/// The MCP handler. Cheap to clone: every HTTP session shares one instance's state, including
/// the tool router, which is built once.
#[derive(Clone)]
pub struct HaproxyMcp {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) targets: Targets,
    pub(crate) settings: Settings,
    pub(crate) tools: ToolRouter<HaproxyMcp>,
    pub(crate) prompts: PromptRouter<HaproxyMcp>,
    pub(crate) instructions: String,
    /// Every tool of every toolset (enabled or not): name -> read-only.
    pub(crate) catalogue: HashMap<String, bool>,
    pub(crate) metrics: Arc<Metrics>,
}

impl HaproxyMcp {
    /// The metrics registry (rendered by the HTTP transport's `/metrics`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.shared.settings.audit
    }

    /// Whether `tool` is a tool of this server's catalogue that changes HAProxy (`None` for a
    /// name that is no tool at all). Counts tools hidden by read-only mode or toolsets too.
    pub fn is_mutating(&self, tool: &str) -> Option<bool> {
        self.shared.catalogue.get(tool).map(|read_only| !read_only)
    }

    /// The target a call's arguments name, or the default target.
    pub fn target_of(&self, arguments: Option<&Value>) -> Option<String> {
        arguments
            .and_then(|a| a.get("target"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| self.shared.targets.default_name())
    }

    /// The configured targets.
    pub fn targets(&self) -> &Targets {
        &self.shared.targets
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The composed tool router (for listing tools without a transport).
    pub fn tool_router(&self) -> &ToolRouter<HaproxyMcp> {
        &self.shared.tools
    }

    /// Resolves a tool's `target` argument.
    pub(crate) fn target(&self, name: Option<&str>) -> Result<Target, ToolError> {
        self.shared.targets.resolve(name)
    }
}
