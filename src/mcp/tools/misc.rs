//! The misc toolset.

use rmcp::tool_router;

use crate::mcp::server::HaproxyMcp;

#[tool_router(router = misc_router, vis = "pub(crate)", allow_empty)]
impl HaproxyMcp {}
