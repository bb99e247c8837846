//! OAuth 2.1 resource-server mode: this server accepts JWT access tokens issued by one
//! authorization server (the issuer) *for this server* (the `aud` claim must be this server's
//! resource URL, RFC 8707), checks `iss`, `exp` and `nbf`, verifies the signature with the
//! issuer's published keys (JWKS), and reads the granted scopes. It publishes RFC 9728
//! Protected Resource Metadata so clients can find the issuer.
//!
//! Keys: the JWKS URL is configured or discovered from the issuer's metadata (RFC 8414
//! `/.well-known/oauth-authorization-server`, then OpenID Connect discovery). The key set is
//! cached; it is fetched again when it is older than [`OAuthSettings::jwks_max_age`], and when a
//! token names a key id (`kid`) the cache does not know (the issuer rotated its keys), but at
//! most once per [`OAuthSettings::jwks_refetch_interval`], so tokens with made-up key ids cannot
//! make this server hammer the issuer. A failed fetch keeps the keys already known.
//!
//! Fetches are single-flight: one at a time, and requests that need keys while one is under
//! way wait for it and share its result instead of starting their own. A token whose key is
//! cached never waits for a fetch: the cache is read under a lock that is never held across
//! one, and an aged-out key set still serves while it is fetched again in the background.
//!
//! Tokens are never passed on to anything (no token passthrough): HAProxy is reached with the
//! server's own socket access.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

use super::jwt_crypto;

/// Deadline of one fetch from the authorization server.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata or JWKS document accepted.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// OAuth settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// The authorization server's issuer identifier (`iss` must equal it).
    pub issuer: String,
    /// This server's canonical resource URL, e.g. `https://mcp.example.com/mcp` (`aud` must
    /// contain it).
    pub resource: String,
    /// The JWKS URL; discovered from the issuer's metadata when `None`.
    pub jwks_url: Option<String>,
    /// Scope that allows the read tools.
    pub read_scope: String,
    /// Scope that allows the tools that change HAProxy.
    pub write_scope: String,
    /// Least time between two fetches of the key set.
    pub jwks_refetch_interval: Duration,
    /// Age after which the key set is fetched again even if every `kid` is known.
    pub jwks_max_age: Duration,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

impl OAuthSettings {
    /// Settings for `issuer` and `resource`, with the default scopes (`haproxy:read`,
    /// `haproxy:write`), a 10 s refetch interval, a 1 h key-set lifetime and 30 s leeway.
    pub fn new(issuer: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            resource: resource.into(),
            jwks_url: None,
            read_scope: "haproxy:read".to_owned(),
            write_scope: "haproxy:write".to_owned(),
            jwks_refetch_interval: Duration::from_secs(10),
            jwks_max_age: Duration::from_secs(3600),
            leeway_secs: 30,
        }
    }

    /// The paths the Protected Resource Metadata is served at: the RFC 9728 path for this
    /// resource (`/.well-known/oauth-protected-resource/<resource path>`) and the root one.
    pub fn metadata_paths(&self) -> Vec<String> {
        let mut paths = vec!["/.well-known/oauth-protected-resource".to_owned()];
        let path = self
            .resource
            .parse::<Uri>()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        if !path.is_empty() {
            paths.push(format!("/.well-known/oauth-protected-resource{path}"));
        }
        paths
    }

    /// The absolute URL of the metadata (advertised in `WWW-Authenticate`).
    pub fn metadata_url(&self) -> String {
        let path = self.metadata_paths().pop().unwrap_or_default();
        match self.resource.parse::<Uri>() {
            Ok(u) if u.scheme().is_some() && u.authority().is_some() => format!(
                "{}://{}{path}",
                u.scheme_str().unwrap_or("https"),
                u.authority().map(|a| a.as_str()).unwrap_or_default()
            ),
            _ => path,
        }
    }

    /// The RFC 9728 metadata document.
    pub fn metadata(&self) -> Value {
        json!({
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": [self.read_scope, self.write_scope],
            "bearer_methods_supported": ["header"],
            "resource_signing_alg_values_supported": jwt_crypto::ALGORITHMS
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>(),
            "resource_name": crate::mcp::server::SERVER_NAME,
        })
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `sub` claim.
    pub subject: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    /// Some issuers (Okta, Entra ID) put scopes in `scp`, as a list or a string.
    #[serde(default)]
    scp: Option<Value>,
}

impl Claims {
    fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = self
            .scope
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect();
        match &self.scp {
            Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
        scopes
    }
}

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// The token verifier, with its key cache.
pub struct OAuth {
    settings: OAuthSettings,
    client: HttpClient,
    cache: std::sync::RwLock<KeyCache>,
    /// Held by the one fetch under way.
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct KeyCache {
    jwks_uri: Option<String>,
    keys: Vec<CachedKey>,
    fetched: Option<Instant>,
    last_attempt: Option<Instant>,
    /// Fetches finished so far (successful or not): a request that waited for the fetch lock
    /// knows from it whether a fetch ran meanwhile.
    completed: u64,
}

struct CachedKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl KeyCache {
    fn may_fetch(&self, interval: Duration) -> bool {
        self.last_attempt.is_none_or(|t| t.elapsed() >= interval)
    }

    fn find(&self, header: &Header) -> Option<(DecodingKey, Option<Algorithm>)> {
        let fits = |k: &&CachedKey| {
            k.key.family() == header.alg.family() && k.alg.is_none_or(|a| a == header.alg)
        };
        let mut candidates = self.keys.iter().filter(fits);
        let found = match &header.kid {
            Some(kid) => candidates.find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let first = candidates.next();
                // Without a kid, only an unambiguous key will do.
                if candidates.next().is_some() {
                    None
                } else {
                    first
                }
            }
        };
        found.map(|k| (k.key.clone(), k.alg))
    }
}

impl OAuth {
    /// A verifier for these settings (nothing is fetched yet).
    pub fn new(settings: OAuthSettings) -> Arc<Self> {
        jwt_crypto::install();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(Arc::clone(&provider))
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(
                    "no system CA certificates ({e}); HTTPS fetches from the authorization server will fail"
                );
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default TLS versions")
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        Arc::new(Self {
            settings,
            client: Client::builder(TokioExecutor::new()).build(connector),
            cache: std::sync::RwLock::new(KeyCache::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// Fetches the key set now (at start, so a misconfiguration shows at once).
    pub async fn warm_up(&self) -> Result<usize, String> {
        let _fetching = self.fetching.lock().await;
        self.refresh().await?;
        Ok(self.read(|c| c.keys.len()))
    }

    fn read<T>(&self, f: impl FnOnce(&KeyCache) -> T) -> T {
        f(&self.cache.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn write<T>(&self, f: impl FnOnce(&mut KeyCache) -> T) -> T {
        f(&mut self.cache.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Verifies a bearer token. The error says why, without echoing the token.
    pub async fn verify(self: &Arc<Self>, token: &str) -> Result<Verified, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "the token is not a JWT".to_owned())?;
        if !jwt_crypto::ALGORITHMS.contains(&header.alg) {
            return Err(format!("the {:?} algorithm is not accepted", header.alg));
        }
        let (key, _) = self.key_for(&header).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.resource]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.settings.leeway_secs;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                ErrorKind::InvalidAudience => "the token was not issued for this server (aud)",
                ErrorKind::InvalidIssuer => "the token comes from another issuer (iss)",
                ErrorKind::InvalidSignature => "the token's signature is not valid",
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                ErrorKind::Json(_) => "the token's claims are malformed",
                _ => "the token is not valid",
            }
            .to_owned()
        })?;
        let scopes = data.claims.scopes();
        match data.claims.sub {
            Some(subject) if !subject.is_empty() => Ok(Verified { subject, scopes }),
            _ => Err("the token lacks a required claim (sub)".to_owned()),
        }
    }

    async fn key_for(
        self: &Arc<Self>,
        header: &Header,
    ) -> Result<(DecodingKey, Option<Algorithm>), String> {
        let interval = self.settings.jwks_refetch_interval;
        let max_age = self.settings.jwks_max_age;
        let (found, stale, may_fetch, completed) = self.read(|c| {
            (
                c.find(header),
                c.fetched.is_none_or(|t| t.elapsed() >= max_age),
                c.may_fetch(interval),
                c.completed,
            )
        });
        if let Some(found) = found {
            if stale && may_fetch {
                self.refresh_in_background();
            }
            return Ok(found);
        }
        // A fetch under way (the start-up warm-up, or another request's) may bring the key:
        // wait for it rather than refusing a good token that arrived a moment early. Tokens whose
        // key is cached never get here.
        // That fetch is this request's fetch too (single-flight): without the key afterwards,
        // the token is refused rather than fetched for again.
        if self.fetching.try_lock().is_err() {
            drop(self.fetching.lock().await);
            return self
                .read(|c| c.find(header))
                .ok_or_else(|| "no signing key of the issuer matches the token".to_owned());
        }
        if !may_fetch || !(stale || header.kid.is_some()) {
            return Err("no signing key of the issuer matches the token".to_owned());
        }
        if !stale {
            tracing::info!(kid = ?header.kid, "unknown signing key id; fetching the issuer's keys again");
        }
        self.refresh_shared(completed).await;
        self.read(|c| c.find(header))
            .ok_or_else(|| "no signing key of the issuer matches the token".to_owned())
    }

    /// Fetches the keys, unless a fetch finished while this request waited for its turn (then
    /// that one's keys are used). `completed` is the fetch count the request saw.
    async fn refresh_shared(&self, completed: u64) {
        let _fetching = self.fetching.lock().await;
        let (now_completed, may_fetch) = self.read(|c| {
            (
                c.completed,
                c.may_fetch(self.settings.jwks_refetch_interval),
            )
        });
        if now_completed != completed || !may_fetch {
            return;
        }
        if let Err(e) = self.refresh().await {
            tracing::warn!("cannot fetch the issuer's keys: {e}");
        }
    }

    /// Fetches the keys in a task of its own, unless a fetch is under way.
    fn refresh_in_background(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let Ok(_fetching) = this.fetching.try_lock() else {
                return;
            };
            if this.read(|c| c.may_fetch(this.settings.jwks_refetch_interval))
                && let Err(e) = this.refresh().await
            {
                tracing::warn!("cannot fetch the issuer's keys: {e}");
            }
        });
    }

    /// One fetch (discovery first if needed); the caller holds `fetching`.
    async fn refresh(&self) -> Result<(), String> {
        let known = self.write(|c| {
            c.last_attempt = Some(Instant::now());
            c.jwks_uri.clone()
        });
        let outcome = match (&self.settings.jwks_url, known) {
            (Some(u), _) => self.fetch_keys(u).await,
            (None, Some(u)) => self.fetch_keys(&u).await,
            (None, None) => match self.discover_jwks_uri().await {
                Ok(u) => {
                    self.write(|c| c.jwks_uri = Some(u.clone()));
                    self.fetch_keys(&u).await
                }
                Err(e) => Err(e),
            },
        };
        self.write(|c| {
            c.completed += 1;
            let keys = outcome?;
            c.keys = keys;
            c.fetched = Some(Instant::now());
            Ok(())
        })
    }

    async fn fetch_keys(&self, jwks_uri: &str) -> Result<Vec<CachedKey>, String> {
        let doc = self.get_json(jwks_uri).await?;
        let keys = parse_jwks(&doc);
        if keys.is_empty() {
            return Err(format!("{jwks_uri} holds no usable signing key"));
        }
        tracing::debug!(count = keys.len(), %jwks_uri, "fetched the issuer's keys");
        Ok(keys)
    }

    /// RFC 8414 metadata, then OpenID Connect discovery; the document's `issuer` must match.
    async fn discover_jwks_uri(&self) -> Result<String, String> {
        let issuer = self.settings.issuer.trim_end_matches('/');
        let uri: Uri = issuer
            .parse()
            .map_err(|_| format!("the issuer {issuer:?} is not a URL"))?;
        let origin = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        let path = uri.path().trim_end_matches('/');
        let candidates = [
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{issuer}/.well-known/openid-configuration"),
        ];
        let mut errors = Vec::new();
        for url in candidates {
            match self.get_json(&url).await {
                Ok(doc) => {
                    if doc.get("issuer").and_then(Value::as_str) != Some(&self.settings.issuer) {
                        errors.push(format!("{url} names another issuer"));
                        continue;
                    }
                    if let Some(jwks) = doc.get("jwks_uri").and_then(Value::as_str) {
                        return Ok(jwks.to_owned());
                    }
                    errors.push(format!("{url} has no jwks_uri"));
                }
                Err(e) => errors.push(e),
            }
        }
        Err(format!(
            "cannot discover the issuer's JWKS URL: {}",
            errors.join("; ")
        ))
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let request = Request::get(url)
            .header(header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("bad URL {url}: {e}"))?;
        let fetch = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("{url} answered {}", response.status()));
            }
            let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map_err(|e| format!("{url}: {e}"))?
                .to_bytes();
            serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"))
        };
        tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| format!("{url} did not answer within {FETCH_TIMEOUT:?}"))?
    }
}

/// The signature keys of a JWKS document; keys this server cannot use are skipped.
fn parse_jwks(doc: &Value) -> Vec<CachedKey> {
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|jwk| {
            !matches!(
                jwk.common.public_key_use,
                Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
            )
        })
        .filter_map(|jwk| {
            let alg = match jwk.common.key_algorithm {
                Some(a) => Some(a.to_string().parse::<Algorithm>().ok()?),
                None => None,
            };
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            (key.family() != AlgorithmFamily::Hmac).then_some(CachedKey {
                kid: jwk.common.key_id.clone(),
                alg,
                key,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_locations() {
        let s = OAuthSettings::new("https://idp.example", "https://mcp.example.com/mcp");
        assert_eq!(
            s.metadata_paths(),
            [
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp"
            ]
        );
        assert_eq!(
            s.metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let doc = s.metadata();
        assert_eq!(doc["resource"], "https://mcp.example.com/mcp");
        assert_eq!(doc["authorization_servers"][0], "https://idp.example");
        assert_eq!(doc["scopes_supported"][1], "haproxy:write");
        let root = OAuthSettings::new("https://idp.example", "https://mcp.example.com");
        assert_eq!(
            root.metadata_paths(),
            ["/.well-known/oauth-protected-resource"]
        );
    }

    #[test]
    fn jwks_keeps_only_signature_keys() {
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "kid": "sig", "alg": "ES256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "weird"}
        ]});
        let keys = parse_jwks(&doc);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("sig"));
        assert_eq!(keys[0].alg, Some(Algorithm::ES256));
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let c: Claims = serde_json::from_value(
            json!({"sub": "a", "scope": "haproxy:read x", "scp": ["haproxy:write"]}),
        )
        .unwrap();
        assert_eq!(c.scopes(), ["haproxy:read", "x", "haproxy:write"]);
    }
}
