//! haproxy-mcp-server: an MCP server for HAProxy's Runtime API.
//!
//! The [`haproxy`] module is a self-contained Runtime API client (endpoints, framing, the
//! injection-proof command encoder, typed errors and parsers) that can be used on its own.

pub mod haproxy;
