//! The MCP transports: stdio and Streamable HTTP.

pub mod http;
pub mod stdio;
