//! The MCP layer: tools, resources and prompts over the Runtime API client.

pub mod answer;
mod arg_errors;
pub mod audit;
pub mod audit_bound;
pub mod caller;
pub mod catalog;
pub mod cert_inventory;
mod dispatch;
pub(crate) mod explain;
pub mod fleet;
pub mod handler;
pub mod health;
pub mod link_health;
pub mod metrics;
pub mod prompts;
pub(crate) mod rails;
pub mod reload_drops;
pub mod resources;
mod schema_budget;
mod secret_file;
pub mod server;
pub mod targets;
pub mod tools;
pub mod toolset;
pub mod views;

pub use handler::{HaproxyMcp, Settings};
pub use targets::{Target, Targets};
