//! haproxy-mcp-server: an MCP server for HAProxy's Runtime API.
//!
//! - [`haproxy`]: a self-contained Runtime API client (endpoints, framing, the injection-proof
//!   command encoder, typed errors and parsers) that can be used on its own.
//! - [`mcp`]: the MCP tools, resources and prompts built on it.

pub mod allocator;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod haproxy;
pub mod log_safe;
pub mod log_writer;
pub mod mcp;
pub mod transport;
