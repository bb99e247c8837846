//! stdio: JSON-RPC on stdin/stdout. stdout carries only the protocol; logs go to stderr.

use rmcp::ServiceExt;

use crate::mcp::HaproxyMcp;

/// Serves `server` on stdin/stdout until the client closes the stream.
pub async fn serve(server: HaproxyMcp) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing::info!("serving MCP on stdio");
    let running = server.serve(rmcp::transport::stdio()).await?;
    let reason = running.waiting().await?;
    tracing::info!(?reason, "stdio session ended");
    Ok(())
}
