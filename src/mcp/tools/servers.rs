//! The servers toolset.

use rmcp::tool_router;

use crate::mcp::server::HaproxyMcp;

#[tool_router(router = servers_router, vis = "pub(crate)", allow_empty)]
impl HaproxyMcp {}
