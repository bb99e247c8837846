//! The tool catalogue, one module per toolset (the seed's categories). Each module holds an
//! `impl HaproxyMcp` block with its own `#[tool_router]`; [`Toolset::router`] picks them.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;

use super::handler::HaproxyMcp;

mod backends;
mod certificates;
mod cookies;
mod frontends;
mod health;
mod links;
mod maps;
mod misc;
mod processes;
mod rolling;
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
            Self::Stats => HaproxyMcp::stats_router() + HaproxyMcp::links_router(),
            Self::Topology => HaproxyMcp::topology_router(),
            Self::Servers => {
                HaproxyMcp::servers_router()
                    + HaproxyMcp::backends_router()
                    + HaproxyMcp::frontends_router()
                    + HaproxyMcp::cookies_router()
            }
            Self::Sessions => HaproxyMcp::sessions_router(),
            Self::Maps => HaproxyMcp::maps_router(),
            Self::Tables => HaproxyMcp::tables_router(),
            Self::Health => HaproxyMcp::health_router(),
            Self::Misc => {
                HaproxyMcp::misc_router()
                    + HaproxyMcp::processes_router()
                    + HaproxyMcp::rolling_router()
            }
            Self::Certificates => {
                HaproxyMcp::certificates_router()
                    + HaproxyMcp::certificate_store_router()
                    + HaproxyMcp::ocsp_router()
                    + HaproxyMcp::acme_router()
            }
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

/// How many items a list shows when the caller gives no `limit`: chosen per kind of item so
/// every read tool's default answer fits 4 KiB on a HAProxy with 10,000 servers (checked by
/// `tool_surface::read_answers_fit_4_kib_on_ten_thousand_servers`). A caller asks for more with
/// `limit`, up to the schema's maximum; every truncated answer says how many were left out.
pub(crate) mod default_limit {
    /// Servers (list_servers, the servers of get_backend): ~250 bytes each.
    pub(crate) const SERVERS: usize = 10;
    /// Backends, frontends, maps, ACLs, tables (the list_* tools).
    pub(crate) const LISTED: usize = 10;
    /// `show stat` rows with the default columns: ~170 bytes each.
    pub(crate) const STAT_ROWS: usize = 15;
    /// `show servers state` / `show servers conn` rows: up to ~400 bytes each.
    pub(crate) const SERVER_ROWS: usize = 8;
    /// Sessions: ~200 bytes each.
    pub(crate) const SESSIONS: usize = 15;
    /// Stick-table entries: ~130 bytes each.
    pub(crate) const TABLE_ENTRIES: usize = 20;
    /// Map entries and ACL patterns: ~70 bytes each.
    pub(crate) const LIST_ENTRIES: usize = 40;
    /// Runtime API commands in `help`: ~100 bytes each.
    pub(crate) const COMMANDS: usize = 30;
    /// Backends and frontends in health_summary (problems first).
    pub(crate) const HEALTH_ITEMS: usize = 6;
    /// Targets in list_targets (unreachable first): ~250 bytes each.
    pub(crate) const TARGETS: usize = 8;
    /// Targets detailed in a fleet health_summary (those with problems first).
    pub(crate) const FLEET_TARGETS: usize = 5;
}

/// A `limit` argument, or the default for its kind of item.
pub(crate) fn limit_or(limit: Option<u32>, default: usize) -> usize {
    limit.map_or(default, |l| l as usize)
}

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
