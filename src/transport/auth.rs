//! HTTP authentication: static bearer tokens and/or OAuth access tokens (see [`super::oauth`]).
//!
//! Static tokens come from `MCP_AUTH_TOKENS` and/or a file, one `name:token[:ro|:rw]` entry per
//! line or comma. Only the name is ever logged or audited; the token is kept as a SHA-256 digest
//! and compared in constant time (digests of equal length, XOR-folded, every configured token
//! checked), so neither timing nor memory dumps give it away. A token marked `ro` only sees and
//! calls the read tools.

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, header};

use super::oauth::OAuth;
use crate::mcp::caller::{Caller, CallerKind};

/// Shortest static token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// One static bearer token: a name and the digest of its secret.
#[derive(Clone)]
pub struct StaticToken {
    /// The name that appears in logs and the audit log.
    pub name: String,
    /// Whether the token only allows the read tools.
    pub read_only: bool,
    digest: [u8; 32],
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("name", &self.name)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

fn digest(secret: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let mut out = [0; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Compares two digests in time independent of where they differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl StaticToken {
    /// A token named `name` with secret `secret`.
    pub fn new(name: &str, secret: &str, read_only: bool) -> Self {
        Self {
            name: name.to_owned(),
            read_only,
            digest: digest(secret),
        }
    }

    /// Parses `name:token[:ro|:rw]` entries separated by newlines or commas (`#` starts a
    /// comment line). Errors name the entry by position and name, never by its secret.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        let mut tokens: Vec<Self> = Vec::new();
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            let n = i + 1;
            let parts: Vec<&str> = entry.split(':').collect();
            let (name, secret, flag) = match parts.as_slice() {
                [name, secret] => (*name, *secret, "rw"),
                [name, secret, flag] => (*name, *secret, *flag),
                _ => {
                    return Err(format!(
                        "entry {n} is not name:token or name:token:ro (a token may not contain ':' or ',')"
                    ));
                }
            };
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
            if !valid_name {
                return Err(format!(
                    "entry {n}: the name {name:?} must be 1-64 letters, digits, '-', '_', '.' or '@'"
                ));
            }
            if secret.len() < MIN_TOKEN_LEN || secret.chars().any(char::is_whitespace) {
                return Err(format!(
                    "entry {n} ({name}): the token must be at least {MIN_TOKEN_LEN} characters without spaces; generate one with `openssl rand -hex 32`"
                ));
            }
            let read_only = match flag {
                "ro" => true,
                "rw" => false,
                other => {
                    return Err(format!(
                        "entry {n} ({name}): unknown flag {other:?}; use ro (read tools only) or rw"
                    ));
                }
            };
            let token = Self::new(name, secret, read_only);
            if tokens.iter().any(|t| t.name == token.name) {
                return Err(format!("entry {n}: the name {name:?} is used twice"));
            }
            if tokens.iter().any(|t| t.digest == token.digest) {
                return Err(format!(
                    "entry {n} ({name}): this token is already given to another name"
                ));
            }
            tokens.push(token);
        }
        Ok(tokens)
    }
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No bearer token was sent.
    Missing,
    /// The token is unknown or invalid (the text says why, without the token).
    Invalid(String),
    /// The token is valid but lacks the scope needed (space-separated scopes).
    InsufficientScope(String),
}

impl AuthError {
    /// The metrics/audit reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "unauthenticated",
            Self::Invalid(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
        }
    }
}

/// Static tokens and/or OAuth.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    tokens: Vec<StaticToken>,
    oauth: Option<Arc<OAuth>>,
}

impl Authenticator {
    /// An authenticator; with no tokens and no OAuth, authentication is off.
    pub fn new(tokens: Vec<StaticToken>, oauth: Option<Arc<OAuth>>) -> Self {
        Self { tokens, oauth }
    }

    /// Whether requests must authenticate.
    pub fn is_enabled(&self) -> bool {
        !self.tokens.is_empty() || self.oauth.is_some()
    }

    /// The OAuth verifier, if OAuth is on.
    pub fn oauth(&self) -> Option<&Arc<OAuth>> {
        self.oauth.as_ref()
    }

    /// The scopes a mutating call needs, space-separated (OAuth only).
    pub fn write_scopes(&self) -> Option<String> {
        self.oauth.as_ref().map(|o| {
            let s = o.settings();
            format!("{} {}", s.read_scope, s.write_scope)
        })
    }

    /// The caller behind a request's `Authorization: Bearer` header.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let token = bearer(headers)?;
        let presented = digest(token);
        let mut found: Option<&StaticToken> = None;
        for t in &self.tokens {
            if constant_time_eq(&t.digest, &presented) && found.is_none() {
                found = Some(t);
            }
        }
        if let Some(t) = found {
            return Ok(Caller {
                name: t.name.clone(),
                kind: CallerKind::Token,
                can_write: !t.read_only,
            });
        }
        let Some(oauth) = &self.oauth else {
            return Err(AuthError::Invalid("unknown token".to_owned()));
        };
        let verified = oauth.verify(token).await.map_err(AuthError::Invalid)?;
        let settings = oauth.settings();
        let has = |s: &str| verified.scopes.iter().any(|g| g == s);
        let can_write = has(&settings.write_scope);
        if !has(&settings.read_scope) && !can_write {
            return Err(AuthError::InsufficientScope(settings.read_scope.clone()));
        }
        Ok(Caller {
            name: verified.subject,
            kind: CallerKind::Jwt,
            can_write,
        })
    }

    /// The `WWW-Authenticate` value for a refusal (RFC 6750 §3, RFC 9728 §5.1).
    pub fn challenge(&self, error: &AuthError) -> String {
        let mut params = Vec::new();
        match error {
            AuthError::Missing => {}
            AuthError::Invalid(why) => {
                params.push("error=\"invalid_token\"".to_owned());
                params.push(format!("error_description=\"{}\"", quote_safe(why)));
            }
            AuthError::InsufficientScope(_) => {
                params.push("error=\"insufficient_scope\"".to_owned());
            }
        }
        match &self.oauth {
            Some(oauth) => {
                let s = oauth.settings();
                let scope = match error {
                    AuthError::InsufficientScope(needed) => needed.clone(),
                    _ => s.read_scope.clone(),
                };
                params.push(format!("scope=\"{}\"", quote_safe(&scope)));
                params.push(format!(
                    "resource_metadata=\"{}\"",
                    quote_safe(&s.metadata_url())
                ));
            }
            None => params.insert(0, "realm=\"haproxy-mcp-server\"".to_owned()),
        }
        format!("Bearer {}", params.join(", "))
    }
}

fn quote_safe(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The token of `Authorization: Bearer <token>` (the only place a token is read from; never
/// the query string).
fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(AuthError::Missing);
    };
    if values.next().is_some() {
        return Err(AuthError::Invalid(
            "several Authorization headers".to_owned(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::Invalid("malformed Authorization header".to_owned()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(AuthError::Invalid(
            "the Authorization header must be `Bearer <token>`".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, a.parse().unwrap());
        }
        h
    }

    #[test]
    fn token_lists() {
        let t = StaticToken::parse_list(
            "# ops\nalice:0123456789abcdef0123:rw\n bob:fedcba9876543210fedc:ro , ci:aaaaaaaaaaaaaaaaaaaa\n",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert!(!t[0].read_only && t[1].read_only && !t[2].read_only);
        assert_eq!(t[2].name, "ci");
        let debug = format!("{t:?}");
        assert!(!debug.contains("0123456789") && debug.contains("alice"));
        for bad in [
            "alice",
            "alice:short",
            "alice:0123456789abcdef0123:admin",
            "a b:0123456789abcdef0123",
            "a:0123456789abcdef0123,a:1123456789abcdef0123",
            "a:0123456789abcdef0123,b:0123456789abcdef0123",
        ] {
            let e = StaticToken::parse_list(bad).unwrap_err();
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
    }

    #[tokio::test]
    async fn bearer_tokens() {
        let auth = Authenticator::new(
            StaticToken::parse_list("alice:0123456789abcdef0123,bob:fedcba9876543210fedc:ro")
                .unwrap(),
            None,
        );
        assert!(auth.is_enabled());
        assert!(!Authenticator::default().is_enabled());
        let alice = auth
            .authenticate(&headers(Some("Bearer 0123456789abcdef0123")))
            .await
            .unwrap();
        assert_eq!((alice.name.as_str(), alice.can_write), ("alice", true));
        let bob = auth
            .authenticate(&headers(Some("bearer fedcba9876543210fedc")))
            .await
            .unwrap();
        assert_eq!((bob.name.as_str(), bob.can_write), ("bob", false));
        assert_eq!(
            auth.authenticate(&headers(None)).await,
            Err(AuthError::Missing)
        );
        for bad in [
            "Bearer 0123456789abcdef012",
            "Basic YWxpY2U6eA==",
            "Bearer ",
        ] {
            assert!(matches!(
                auth.authenticate(&headers(Some(bad))).await,
                Err(AuthError::Invalid(_))
            ));
        }
        let c = auth.challenge(&AuthError::Invalid("unknown token".into()));
        assert_eq!(
            c,
            "Bearer realm=\"haproxy-mcp-server\", error=\"invalid_token\", error_description=\"unknown token\""
        );
    }
}
