//! Who is calling: the identity the HTTP layer authenticated (a static token's name or a JWT's
//! subject), `stdio` for the local client that started the server, or `anonymous` for an HTTP
//! server without authentication. It travels with each HTTP request (as an `http` request
//! extension, which rmcp hands to the handler in [`rmcp::service::RequestContext::extensions`])
//! and decides what the caller may see and do. Secrets never go in here: only names.

use axum::http::request::Parts;
use rmcp::model::Extensions;

/// How the caller was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    /// The process that started the server and talks over stdin/stdout.
    Stdio,
    /// An HTTP client on a server without authentication.
    Anonymous,
    /// A static bearer token (by its configured name).
    Token,
    /// An OAuth access token (by its `sub`).
    Jwt,
}

/// An authenticated (or knowingly anonymous) caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The name in logs and the audit log: the token's name, the JWT subject, `stdio` or
    /// `anonymous`. Never a secret.
    pub name: String,
    /// How it was identified.
    pub kind: CallerKind,
    /// Whether the caller may use tools that change HAProxy (a read-only token or a token
    /// without the write scope may not). The server-wide read-only mode applies on top.
    pub can_write: bool,
}

impl Caller {
    /// The stdio client.
    pub fn stdio() -> Self {
        Self {
            name: "stdio".to_owned(),
            kind: CallerKind::Stdio,
            can_write: true,
        }
    }

    /// An unauthenticated HTTP client (auth is off).
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".to_owned(),
            kind: CallerKind::Anonymous,
            can_write: true,
        }
    }

    /// The caller of a request: the one the HTTP layer attached, `anonymous` for an HTTP request
    /// without one, `stdio` when the request did not come over HTTP.
    pub fn of(extensions: &Extensions) -> Self {
        match extensions.get::<Parts>() {
            Some(parts) => parts
                .extensions
                .get::<Caller>()
                .cloned()
                .unwrap_or_else(Self::anonymous),
            None => Self::stdio(),
        }
    }

    /// Whether this caller was authenticated (its tool list may then differ from others').
    pub fn is_authenticated(&self) -> bool {
        matches!(self.kind, CallerKind::Token | CallerKind::Jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_comes_from_the_http_parts() {
        assert_eq!(Caller::of(&Extensions::default()), Caller::stdio());
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        let mut ext = Extensions::default();
        ext.insert(parts.clone());
        assert_eq!(Caller::of(&ext), Caller::anonymous());
        let alice = Caller {
            name: "alice".into(),
            kind: CallerKind::Token,
            can_write: false,
        };
        parts.extensions.insert(alice.clone());
        let mut ext = Extensions::default();
        ext.insert(parts);
        assert_eq!(Caller::of(&ext), alice);
        assert!(alice.is_authenticated());
    }
}
