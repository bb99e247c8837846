//! The HAProxy Runtime API client.
//!
//! Data flows one way: a typed [`command::Command`] is encoded (the only way text reaches the
//! socket), sent over an [`endpoint::Endpoint`], framed and classified by [`response`], and parsed
//! by one of the [`parse`] modules into a typed result. [`client::RuntimeClient`] ties it together.

pub mod parse;
