//! The MCP transports: stdio and Streamable HTTP, and the HTTP security layer (Host/Origin
//! guard, authentication with static tokens or OAuth, rate limit).

pub mod accept;
pub mod auth;
pub mod conn_limit;
pub mod gate;
pub mod guard;
pub mod healthz;
pub mod http;
pub mod jwt_crypto;
pub mod oauth;
pub mod rate_limit;
pub mod reject;
pub mod session_bind;
pub mod stdio;
