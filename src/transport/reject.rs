//! The HTTP refusals of the security layer. Each body is a JSON-RPC error without an id (what
//! the MCP transport spec allows for a refused request), so MCP clients can show the message.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32000, "message": message},
    });
    (status, Json(body)).into_response()
}

fn with_challenge(mut response: Response, challenge: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// 403: a disallowed Host or Origin (DNS rebinding, cross-site request).
pub fn forbidden(message: &str) -> Response {
    error(StatusCode::FORBIDDEN, &format!("Forbidden: {message}"))
}

/// 401 with the `WWW-Authenticate` challenge.
pub fn unauthorized(challenge: &str, message: &str) -> Response {
    with_challenge(
        error(
            StatusCode::UNAUTHORIZED,
            &format!("Unauthorized: {message}"),
        ),
        challenge,
    )
}

/// 403 `insufficient_scope` with the challenge naming the scopes needed.
pub fn insufficient_scope(challenge: &str, message: &str) -> Response {
    with_challenge(
        error(StatusCode::FORBIDDEN, &format!("Forbidden: {message}")),
        challenge,
    )
}

/// 429 with `Retry-After` (whole seconds, at least 1).
pub fn too_many_requests(retry_after: Duration) -> Response {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too Many Requests: this client's rate limit is reached; retry in {secs} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// 404: the session named by `Mcp-Session-Id` does not exist (or is not the caller's).
pub fn session_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not Found: no such session; send initialize to start one",
    )
}

/// 408: the body did not arrive within `limit`.
pub fn request_timeout(limit: Duration) -> Response {
    error(
        StatusCode::REQUEST_TIMEOUT,
        &format!("Request Timeout: the body did not arrive within {limit:?}"),
    )
}

/// 413: the body is larger than the limit.
pub fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Payload Too Large: request bodies are limited to {limit} bytes"),
    )
}
