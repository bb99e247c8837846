//! The tables toolset.

use rmcp::tool_router;

use crate::mcp::server::HaproxyMcp;

#[tool_router(router = tables_router, vis = "pub(crate)", allow_empty)]
impl HaproxyMcp {}
