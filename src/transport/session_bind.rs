//! Streamable HTTP sessions belong to the identity that created them. rmcp hands a session id
//! (`Mcp-Session-Id`) to whoever sent `initialize`, and accepts it from anyone afterwards; this
//! layer records who created each session and answers `404 Not Found` (as for an unknown
//! session, so its existence is not confirmed) when another identity uses or deletes it.
//! Nothing reaches rmcp then: no message is delivered, no stream is opened, nothing is closed.
//!
//! The record is authoritative: a session id this layer never saw created is unknown. Entries
//! of sessions rmcp has dropped (deleted, or idle past its keep-alive) are pruned as the table
//! grows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::common::http_header::HEADER_SESSION_ID;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;

use super::gate::Gate;
use super::reject;
use crate::mcp::caller::{Caller, CallerKind};

/// Table size from which dead entries are pruned (it then doubles with the live ones).
const PRUNE_FROM: usize = 1024;

/// Who created each session.
#[derive(Debug)]
pub struct SessionOwners {
    manager: Arc<LocalSessionManager>,
    table: Mutex<Table>,
}

#[derive(Debug)]
struct Table {
    owners: HashMap<String, String>,
    prune_at: usize,
}

/// The identity a session is bound to: how the caller was identified and its name.
fn identity(caller: &Caller) -> String {
    let kind = match caller.kind {
        CallerKind::Stdio => "stdio",
        CallerKind::Anonymous => "anonymous",
        CallerKind::Token => "token",
        CallerKind::Jwt => "jwt",
    };
    format!("{kind}:{}", caller.name)
}

impl SessionOwners {
    /// Owners of the sessions of `manager`.
    pub fn new(manager: Arc<LocalSessionManager>) -> Self {
        Self {
            manager,
            table: Mutex::new(Table {
                owners: HashMap::new(),
                prune_at: PRUNE_FROM,
            }),
        }
    }

    fn owner(&self, session: &str) -> Option<String> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.owners.get(session).cloned()
    }

    async fn bind(&self, session: String, owner: String) {
        let prune = {
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            table.owners.insert(session, owner);
            table.owners.len() >= table.prune_at
        };
        if prune {
            let live = self.manager.sessions.read().await;
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            table.owners.retain(|id, _| live.contains_key(id.as_str()));
            table.prune_at = (table.owners.len() * 2).max(PRUNE_FROM);
        }
    }

    fn forget(&self, session: &str) {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.owners.remove(session);
    }
}

/// Checks that a request naming a session comes from the session's owner, and records the
/// owner of each new session. Runs after [`super::gate::authenticate`].
pub async fn bind_sessions(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::anonymous);
    let me = identity(&caller);
    let named = request
        .headers()
        .get(HEADER_SESSION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(session) = named else {
        let response = next.run(request).await;
        if let Some(created) = response
            .headers()
            .get(HEADER_SESSION_ID)
            .and_then(|v: &HeaderValue| v.to_str().ok())
        {
            gate.sessions.bind(created.to_owned(), me).await;
        }
        return response;
    };
    match gate.sessions.owner(&session) {
        Some(owner) if owner == me => {}
        Some(_) => {
            tracing::warn!(
                caller = %crate::log_safe::Safe(&caller.name),
                "refused: a request named another caller's session"
            );
            gate.server.metrics().http_rejection("foreign_session");
            return reject::session_not_found();
        }
        None => {
            gate.server.metrics().http_rejection("unknown_session");
            return reject::session_not_found();
        }
    }
    let deleting = request.method() == Method::DELETE;
    let mut response = next.run(request).await;
    if deleting && response.status().is_success() {
        gate.sessions.forget(&session);
        // rmcp answers a session's DELETE with 202 Accepted; clients expect the session to be
        // gone (the official Python SDK logs "Session termination failed: 202" on every close,
        // accepting only 200 or 204). It is gone once rmcp has answered, so say 204.
        if response.status() == StatusCode::ACCEPTED {
            *response.status_mut() = StatusCode::NO_CONTENT;
            *response.body_mut() = axum::body::Body::empty();
        }
    }
    response
}
