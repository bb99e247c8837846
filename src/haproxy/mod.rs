//! The HAProxy Runtime API client.
//!
//! Data flows one way: a typed [`command::Command`] is encoded (the only way text reaches the
//! socket), sent over an [`endpoint::Endpoint`], framed and classified by [`response`], and parsed
//! by one of the [`parse`] modules into a typed result. [`client::RuntimeClient`] ties it together.

pub mod client;
pub mod command;
pub mod endpoint;
pub mod error;
mod keepalive;
pub mod parse;
pub mod response;

pub use client::{ClientOptions, CommandObserver, RuntimeClient};
pub use command::Command;
pub use endpoint::{Address, Endpoint, Limits, WorkerTarget};
pub use error::{RefusalKind, RuntimeError};
