//! The tool catalogue, one module per toolset (the seed's categories). Each module holds an
//! `impl HaproxyMcp` block with its own `#[tool_router]`; [`Toolset::router`] picks them.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;

use super::handler::HaproxyMcp;

mod backends;
mod health;
mod maps;
mod misc;
mod servers;
mod sessions;
mod stats;
mod tables;
mod topology;

pub use super::toolset::Toolset;

impl Toolset {
    /// The toolset's tools as served: schemas compacted for the model's context
    /// ([`crate::mcp::schema_budget`]).
    pub fn router(self) -> ToolRouter<HaproxyMcp> {
        let mut router = self.uncompacted_router();
        for route in router.map.values_mut() {
            crate::mcp::schema_budget::compact_tool(&mut route.attr);
        }
        router
    }

    /// The toolset's tools with the schemas schemars derives, every field described (what
    /// docs/tools.md documents answers from).
    pub fn uncompacted_router(self) -> ToolRouter<HaproxyMcp> {
        match self {
            Self::Stats => HaproxyMcp::stats_router(),
            Self::Topology => HaproxyMcp::topology_router(),
            Self::Servers => HaproxyMcp::servers_router() + HaproxyMcp::backends_router(),
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
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The server's backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
}

/// Arguments of tools that take nothing but the target.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TargetOnly {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
}
