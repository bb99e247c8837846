//! A fake OAuth authorization server for the HTTP tests: signing keys, tokens, and a wiremock
//! server publishing RFC 8414 metadata and a JWKS.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use haproxy_mcp_server::transport::jwt_crypto;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The resource URL the test servers are (tokens' `aud`).
pub const RESOURCE: &str = "https://mcp.example.test/mcp";

/// A signing key of the fake authorization server.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK.
    pub jwk: Value,
}

impl SigningKey {
    /// A fresh P-256 key.
    pub fn es256(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 =
            sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = sig::EcdsaKeyPair::from_pkcs8(
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .unwrap();
        let point = pair.public_key().as_ref();
        Self {
            kid: kid.to_owned(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
        }
    }

    /// The committed test-only RSA key (tests/keys/README.md).
    pub fn rs256(kid: &str) -> Self {
        let pem = include_str!("../keys/test-only-rsa-2048.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(b64).unwrap();
        let pair = sig::RsaKeyPair::from_pkcs8(&der).unwrap();
        let public: sig::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
        Self {
            kid: kid.to_owned(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(&der),
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            }),
        }
    }

    /// A token with these claims, signed with this key (its `kid` in the header).
    pub fn mint(&self, claims: &Value) -> String {
        jwt_crypto::install();
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims of a good token from `issuer` for `sub` with `scope`, valid for 10 minutes.
pub fn claims_for(issuer: &str, sub: &str, scope: &str) -> Value {
    json!({
        "iss": issuer, "aud": RESOURCE, "sub": sub,
        "iat": now(), "nbf": now() - 5, "exp": now() + 600, "scope": scope,
    })
}

/// A fake authorization server publishing RFC 8414 metadata and `keys` as its JWKS, each key
/// fetch answered after `delay`.
pub async fn idp(keys: &[&SigningKey], delay: Duration) -> MockServer {
    let mock = MockServer::start().await;
    publish_metadata(&mock, "/.well-known/oauth-authorization-server").await;
    publish(&mock, keys, 5, delay).await;
    mock
}

/// Serves the issuer's metadata (issuer and `jwks_uri`) at `well_known`: RFC 8414's
/// `/.well-known/oauth-authorization-server` or OpenID's `/.well-known/openid-configuration`.
pub async fn publish_metadata(mock: &MockServer, well_known: &str) {
    Mock::given(method("GET"))
        .and(path(well_known))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": mock.uri(),
            "jwks_uri": format!("{}/jwks", mock.uri()),
        })))
        .mount(mock)
        .await;
}

/// Serves `keys` as the JWKS (a lower `priority` number wins over earlier key sets).
pub async fn publish(mock: &MockServer, keys: &[&SigningKey], priority: u8, delay: Duration) {
    let jwks = json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()});
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(jwks)
                .set_delay(delay),
        )
        .with_priority(priority)
        .mount(mock)
        .await;
}

/// How many times the server fetched the JWKS.
pub async fn jwks_fetches(mock: &MockServer) -> usize {
    mock.received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/jwks")
        .count()
}
