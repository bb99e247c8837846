//! The tool catalogue, one module per toolset (the seed's categories). Each module holds an
//! `impl HaproxyMcp` block with its own `#[tool_router]`; [`Toolset::router`] picks them.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;

use super::server::HaproxyMcp;

mod health;
mod maps;
mod misc;
mod servers;
mod sessions;
mod stats;
mod tables;
mod topology;

/// A group of tools that can be switched on or off as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toolset {
    /// Statistics and process information (show_info, show_stat, health_summary, …).
    Stats,
    /// Topology discovery (frontends, backends, servers, maps, ACLs, tables).
    Topology,
    /// Dynamic pool management (add/delete/drain/weight servers).
    Servers,
    /// Session control (list, inspect, shut down).
    Sessions,
    /// Maps and ACLs (entries, lookups, edits, atomic replace).
    Maps,
    /// Stick tables (dump, set, clear).
    Tables,
    /// Health checks and agents.
    Health,
    /// Everything else (errors, echo, help, targets, reload).
    Misc,
}

impl Toolset {
    /// Every toolset, in catalogue order.
    pub const ALL: [Toolset; 8] = [
        Self::Stats,
        Self::Topology,
        Self::Servers,
        Self::Sessions,
        Self::Maps,
        Self::Tables,
        Self::Health,
        Self::Misc,
    ];

    /// The toolset's name, as used in flags and configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stats => "stats",
            Self::Topology => "topology",
            Self::Servers => "servers",
            Self::Sessions => "sessions",
            Self::Maps => "maps",
            Self::Tables => "tables",
            Self::Health => "health",
            Self::Misc => "misc",
        }
    }

    /// The toolset's tools.
    pub fn router(self) -> ToolRouter<HaproxyMcp> {
        match self {
            Self::Stats => HaproxyMcp::stats_router(),
            Self::Topology => HaproxyMcp::topology_router(),
            Self::Servers => HaproxyMcp::servers_router(),
            Self::Sessions => HaproxyMcp::sessions_router(),
            Self::Maps => HaproxyMcp::maps_router(),
            Self::Tables => HaproxyMcp::tables_router(),
            Self::Health => HaproxyMcp::health_router(),
            Self::Misc => HaproxyMcp::misc_router(),
        }
    }
}

/// Whether a tool only reads (its `readOnlyHint` is true). Anything not marked read-only is
/// treated as mutating, so a tool that forgets its annotation is hidden in read-only mode.
pub fn is_read_only(tool: &Tool) -> bool {
    tool.annotations
        .as_ref()
        .and_then(|a| a.read_only_hint)
        .unwrap_or(false)
}

/// Default and maximum for `limit` arguments.
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// The output schema of a tool returning `T` (for `#[tool(output_schema = …)]`).
pub(crate) fn out<T: schemars::JsonSchema + std::any::Any>()
-> std::sync::Arc<rmcp::model::JsonObject> {
    rmcp::handler::server::tool::schema_for_output::<T>()
}

/// Arguments of tools that name one server.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct ServerArgs {
    /// Which configured HAProxy to use (see list_targets). Optional when only one is configured.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend the server belongs to.
    pub backend: String,
    /// The server's name (see list_servers).
    pub server: String,
}

/// Arguments of tools that take nothing but the target.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TargetOnly {
    /// Which configured HAProxy to use (see list_targets). Optional when only one is configured.
    #[serde(default)]
    pub target: Option<String>,
}
