//! The security middleware in front of the HTTP routes, in the order it runs:
//!
//! 1. [`screen`] (every route): Host and Origin checks ([`super::guard`]), then the declared body
//!    size. A refused request gets 403 / 413 and nothing else runs.
//! 2. [`limit_by_ip`] (public routes, a per-IP bucket of their own) or [`authenticate`] (`/mcp`,
//!    `/metrics`): the caller is identified (bearer token or JWT; `anonymous` when authentication
//!    is off), rate-limited per caller name (failed attempts in a per-IP bucket of their own),
//!    and refused with 401 (no or bad token), 403 `insufficient_scope` (a JWT without the read
//!    scope, or without the write scope for a `tools/call` of a mutating tool) or 429. Refused
//!    mutating calls are audited (without their arguments when authentication failed).
//! 3. [`super::session_bind::bind_sessions`] (`/mcp`, `/metrics`): a request naming a
//!    Streamable HTTP session must come from the identity that created it, else `404`.
//!
//! The caller is attached to the request, where the MCP handler finds it (see
//! [`crate::mcp::caller`]) to filter the tool list and refuse mutations for read-only callers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::auth::{AuthError, Authenticator};
use super::guard::{Guard, Refusal};
use super::healthz::HealthCache;
use super::rate_limit::RateLimiter;
use super::reject;
use super::session_bind::SessionOwners;
use crate::log_safe::Safe;
use crate::mcp::HaproxyMcp;
use crate::mcp::audit::AuditRecord;
use crate::mcp::caller::{Caller, CallerKind};

/// A request body within the gate's size limit and [`Gate::body_timeout`]; else the refusal to
/// send.
async fn read_body(gate: &Gate, body: Body) -> Result<Bytes, (&'static str, Response)> {
    let read = axum::body::to_bytes(body, gate.max_body);
    match tokio::time::timeout(gate.body_timeout, read).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(("body_too_large", reject::too_large(gate.max_body))),
        Err(_) => Err(("body_timeout", reject::request_timeout(gate.body_timeout))),
    }
}

/// What the middleware needs; shared by every request.
#[derive(Clone)]
pub struct Gate {
    /// Host and Origin rules.
    pub guard: Arc<Guard>,
    /// Authentication (may be off).
    pub auth: Authenticator,
    /// Per-client rate limit (none: unlimited).
    pub limiter: Option<Arc<RateLimiter>>,
    /// Largest request body.
    pub max_body: usize,
    /// How long the gate waits for a body it reads itself (a refused call's, to audit it): a
    /// client trickling its body is not waited for longer. The request-head deadline.
    pub body_timeout: Duration,
    /// The MCP server (metrics, audit, tool catalogue).
    pub server: HaproxyMcp,
    /// Who created each Streamable HTTP session.
    pub sessions: Arc<SessionOwners>,
    /// `/healthz`'s recent probe of the targets.
    pub health: Arc<HealthCache>,
}

fn client_ip(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Host/Origin checks and the declared body size, on every route.
pub async fn screen(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    if let Err(refusal) = gate.guard.check(request.uri(), request.headers()) {
        let (reason, message) = match &refusal {
            Refusal::Host(m) => ("host", m),
            Refusal::Origin(m) => ("origin", m),
        };
        tracing::warn!(
            client = %client_ip(&request),
            path = %Safe(request.uri().path()),
            "refused: {message} (possible DNS rebinding or cross-site request)"
        );
        gate.server.metrics().http_rejection(reason);
        return reject::forbidden(message);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > gate.max_body as u64) {
        gate.server.metrics().http_rejection("body_too_large");
        return reject::too_large(gate.max_body);
    }
    next.run(request).await
}

/// Rate limit by client IP (public routes).
pub async fn limit_by_ip(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    if let Some(limiter) = &gate.limiter
        && let Err(wait) = limiter.check(&format!("public:{}", client_ip(&request)))
    {
        gate.server.metrics().http_rejection("rate_limited");
        return reject::too_many_requests(wait);
    }
    next.run(request).await
}

/// Authentication, per-caller rate limit and the scope check of mutating calls.
pub async fn authenticate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let outcome = if gate.auth.is_enabled() {
        gate.auth.authenticate(request.headers()).await
    } else {
        Ok(Caller::anonymous())
    };
    if let Some(limiter) = &gate.limiter {
        // Separate buckets: a caller's own; anonymous calls (authentication off) per IP; failed
        // authentication per IP, apart from the public routes' bucket so that neither a
        // token-guessing client nor a /healthz flood locks the other out.
        let key = match &outcome {
            Ok(caller) if caller.is_authenticated() => format!("caller:{}", caller.name),
            Ok(_) => format!("ip:{}", client_ip(&request)),
            Err(_) => format!("auth-failure:{}", client_ip(&request)),
        };
        if let Err(wait) = limiter.check(&key) {
            tracing::info!(client = %Safe(&key), "rate limited");
            gate.server.metrics().http_rejection("rate_limited");
            return reject::too_many_requests(wait);
        }
    }
    let (mut request, caller) = match outcome {
        Ok(caller) => (request, caller),
        Err(error) => return refuse_unauthenticated(&gate, request, &error, started).await,
    };
    if !caller.can_write && caller.kind == CallerKind::Jwt && request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let bytes = match read_body(&gate, body).await {
            Ok(b) => b,
            Err((reason, response)) => {
                gate.server.metrics().http_rejection(reason);
                return response;
            }
        };
        if let Some((tool, args)) = mutating_call(&gate.server, &bytes) {
            let needed = gate.auth.write_scopes().unwrap_or_default();
            let error = AuthError::InsufficientScope(needed.clone());
            let message = format!(
                "{tool} changes HAProxy and needs the scopes \"{needed}\"; this token lacks the write scope"
            );
            gate.server.metrics().http_rejection(error.reason());
            audit_refusal(
                &gate,
                &caller,
                &tool,
                args.as_ref(),
                &error,
                &message,
                started,
            );
            return reject::insufficient_scope(&gate.auth.challenge(&error), &message);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

async fn refuse_unauthenticated(
    gate: &Gate,
    request: Request,
    error: &AuthError,
    started: Instant,
) -> Response {
    let challenge = gate.auth.challenge(error);
    let message = match error {
        AuthError::Missing => "a bearer token is required".to_owned(),
        AuthError::Invalid(why) => format!("invalid token: {why}"),
        AuthError::InsufficientScope(needed) => format!("the token lacks the scope \"{needed}\""),
    };
    tracing::warn!(
        client = %client_ip(&request),
        path = %request.uri().path(),
        reason = error.reason(),
        "refused: {message}"
    );
    // A refused attempt to change HAProxy is worth an audit line, even from nobody; but not
    // its arguments (anybody can send megabytes of them), nor their target.
    if request.method() == Method::POST
        && let Ok(bytes) = read_body(gate, request.into_body()).await
        && let Some(tool) = mutating_tool(&gate.server, &bytes)
    {
        let nobody = Caller {
            name: "anonymous".to_owned(),
            kind: CallerKind::Anonymous,
            can_write: false,
        };
        audit_refusal(gate, &nobody, &tool, None, error, &message, started);
    }
    gate.server.metrics().http_rejection(error.reason());
    match error {
        AuthError::InsufficientScope(_) => reject::insufficient_scope(&challenge, &message),
        _ => reject::unauthorized(&challenge, &message),
    }
}

fn audit_refusal(
    gate: &Gate,
    caller: &Caller,
    tool: &str,
    args: Option<&Value>,
    error: &AuthError,
    message: &str,
    started: Instant,
) {
    tracing::warn!(caller = %Safe(&caller.name), tool = %Safe(tool), reason = error.reason(), "mutating call refused");
    let server = &gate.server;
    server
        .metrics()
        .tool_call(tool, "refused", started.elapsed());
    if server.audit().wants(true) {
        let record = AuditRecord::new(caller, tool, true, args)
            .target(server.target_of(args).as_deref())
            .refused(error.reason(), message)
            .took(started.elapsed());
        server.audit().record(&record);
    }
}

/// The name of the first mutating tool a JSON-RPC body (one message or a batch) calls, read
/// without building its arguments (they are skipped by the parser, not kept).
fn mutating_tool(server: &HaproxyMcp, body: &Bytes) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Message {
        method: Option<String>,
        params: Option<Params>,
    }
    #[derive(serde::Deserialize)]
    struct Params {
        name: Option<String>,
    }
    // Not an untagged enum: serde would buffer the whole document to try each variant.
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let messages: Vec<Message> = if batch {
        serde_json::from_slice(body).ok()?
    } else {
        vec![serde_json::from_slice(body).ok()?]
    };
    messages.into_iter().find_map(|m| {
        let name = m.params?.name?;
        (m.method.as_deref() == Some("tools/call") && server.is_mutating(&name) == Some(true))
            .then_some(name)
    })
}

/// The first `tools/call` of a mutating tool in a JSON-RPC body (one message or a batch), with
/// its arguments.
fn mutating_call(server: &HaproxyMcp, body: &Bytes) -> Option<(String, Option<Value>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let messages = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    messages.into_iter().find_map(|m| {
        if m.get("method").and_then(Value::as_str) != Some("tools/call") {
            return None;
        }
        let params = m.get("params")?;
        let name = params.get("name")?.as_str()?;
        (server.is_mutating(name) == Some(true))
            .then(|| (name.to_owned(), params.get("arguments").cloned()))
    })
}
