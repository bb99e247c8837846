//! The cryptography behind JWT verification: a `jsonwebtoken` [`CryptoProvider`] backed by
//! `ring` (already in the dependency tree through rustls), so neither aws-lc nor the `rsa` crate
//! is needed. Only asymmetric algorithms exist here: RS256/384/512, PS256/384/512, ES256/384 and
//! EdDSA (Ed25519). HMAC (`HS*`) is refused outright, so a token can never be verified with a
//! shared secret, whatever its header says (no algorithm confusion).
//!
//! [`install`] makes it jsonwebtoken's process-wide provider; it is idempotent and is called by
//! the OAuth verifier before its first use (tests that sign tokens call it too).

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, Result};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature as sig;

/// The ring-backed provider.
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::UnsupportedAlgorithm.into()),
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::UnsupportedAlgorithm.into()),
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::UnsupportedAlgorithm.into()),
        compute_digest,
    },
};

/// Makes [`RING_PROVIDER`] jsonwebtoken's provider for this process. Returns false when another
/// provider was installed first (then that one is used).
pub fn install() -> bool {
    match RING_PROVIDER.install_default() {
        Ok(()) => true,
        Err(current) => std::ptr::eq(current, &RING_PROVIDER),
    }
}

/// The algorithms this provider verifies (and so the only ones a token may use).
pub const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}

fn family_error() -> Error {
    ErrorKind::InvalidKeyFormat.into()
}

/// Verifies one algorithm with one public key.
struct RingVerifier {
    algorithm: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let result = match (self.algorithm.family(), self.key.kind()) {
            (AlgorithmFamily::Rsa, DecodingKeyKind::RsaModulusExponent { n, e }) => {
                sig::RsaPublicKeyComponents { n, e }.verify(
                    rsa_params(self.algorithm),
                    msg,
                    signature,
                )
            }
            (AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
                sig::UnparsedPublicKey::new(rsa_params(self.algorithm), der).verify(msg, signature)
            }
            (AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(point)) => {
                let alg = if self.algorithm == Algorithm::ES384 {
                    &sig::ECDSA_P384_SHA384_FIXED
                } else {
                    &sig::ECDSA_P256_SHA256_FIXED
                };
                sig::UnparsedPublicKey::new(alg, point).verify(msg, signature)
            }
            (AlgorithmFamily::Ed, DecodingKeyKind::SecretOrDer(x)) => {
                sig::UnparsedPublicKey::new(&sig::ED25519, x).verify(msg, signature)
            }
            _ => return Err(signature::Error::new()),
        };
        result.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn rsa_params(algorithm: Algorithm) -> &'static sig::RsaParameters {
    match algorithm {
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        _ => &sig::RSA_PKCS1_2048_8192_SHA256,
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if !ALGORITHMS.contains(algorithm) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if key.family() != algorithm.family() {
        return Err(family_error());
    }
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        key: key.clone(),
    }))
}

/// Signs with one private key (used by tests and tools that mint tokens; the server only
/// verifies).
enum RingSigner {
    Rsa(Algorithm, sig::RsaKeyPair),
    Ec(Algorithm, sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(alg, pair) => {
                let padding: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                    _ => &sig::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, msg, &mut out)
                    .map_err(|_| signature::Error::new())?;
                Ok(out)
            }
            Self::Ec(_, pair) => pair
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            Self::Ed(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Rsa(a, _) | Self::Ec(a, _) => *a,
            Self::Ed(_) => Algorithm::EdDSA,
        }
    }
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if !ALGORITHMS.contains(algorithm) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if key.family() != algorithm.family() {
        return Err(family_error());
    }
    let bytes = key.as_bytes();
    let signer = match algorithm.family() {
        AlgorithmFamily::Rsa => {
            let pair = sig::RsaKeyPair::from_pkcs8(bytes)
                .or_else(|_| sig::RsaKeyPair::from_der(bytes))
                .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?;
            RingSigner::Rsa(*algorithm, pair)
        }
        AlgorithmFamily::Ec => {
            let alg = if *algorithm == Algorithm::ES384 {
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING
            } else {
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING
            };
            let pair = sig::EcdsaKeyPair::from_pkcs8(alg, bytes, &SystemRandom::new())
                .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
            RingSigner::Ec(*algorithm, pair)
        }
        AlgorithmFamily::Ed => RingSigner::Ed(
            sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                .map_err(|_| ErrorKind::InvalidEddsaKey)?,
        ),
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(Box::new(signer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use ring::signature::KeyPair;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Claims {
        sub: String,
        exp: u64,
    }

    fn claims() -> Claims {
        Claims {
            sub: "alice".into(),
            exp: jsonwebtoken::get_current_timestamp() + 60,
        }
    }

    #[test]
    fn es256_round_trip_and_tamper() {
        assert!(install());
        let rng = SystemRandom::new();
        let pkcs8 =
            sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = sig::EcdsaKeyPair::from_pkcs8(
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .unwrap();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims(),
            &EncodingKey::from_ec_der(pkcs8.as_ref()),
        )
        .unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let key = DecodingKey::from_ec_der(&point);
        let v = Validation::new(Algorithm::ES256);
        assert_eq!(
            decode::<Claims>(&token, &key, &v).unwrap().claims.sub,
            "alice"
        );
        let mut bad = token.clone();
        bad.pop();
        bad.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(decode::<Claims>(&bad, &key, &v).is_err());
    }

    #[test]
    fn hmac_is_never_accepted() {
        install();
        let key = DecodingKey::from_secret(b"secret");
        let v = Validation::new(Algorithm::HS256);
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2ln";
        assert!(decode::<Claims>(token, &key, &v).is_err());
        assert!(
            encode(
                &Header::new(Algorithm::HS256),
                &claims(),
                &EncodingKey::from_secret(b"k")
            )
            .is_err()
        );
    }
}
