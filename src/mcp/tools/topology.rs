//! The topology toolset.

use rmcp::tool_router;

use crate::mcp::server::HaproxyMcp;

#[tool_router(router = topology_router, vis = "pub(crate)", allow_empty)]
impl HaproxyMcp {}
