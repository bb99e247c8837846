//! OCSP stapling: `show ssl ocsp-response` (the responses HAProxy holds) and `show ssl
//! ocsp-response <id>` (one response, as `openssl ocsp -respin … -text` prints it), and the
//! reply of `set ssl ocsp-response`.
//!
//! ```text
//! # Certificate IDs                                  <- show ssl ocsp-response
//! Certificate ID key : 303b3009…02021001
//! Certificate path : /tls/site.pem                   (2.8+)
//!  Certificate ID:
//!    Issuer Name Hash: D08CE9DA…
//!    Issuer Key Hash: 4DD4104C…
//!    Serial Number: 1001
//!
//! OCSP Response Data:                                <- show ssl ocsp-response <id>
//!     OCSP Response Status: successful (0x0)
//!     Response Type: Basic OCSP Response
//!     Version: 1 (0x0)
//!     Responder Id: CN = TestCA
//!     Produced At: Dec  7 19:57:19 2026 GMT
//!     Responses:
//!     Certificate ID:
//!       …
//!     Cert Status: revoked                           (good, revoked, unknown)
//!     Revocation Time: Dec  7 18:57:43 2026 GMT      (revoked only)
//!     Revocation Reason: keyCompromise (0x1)
//!     This Update: Dec  7 19:57:43 2026 GMT
//!     Next Update: Dec 10 19:57:43 2026 GMT          (optional in OCSP)
//!     … extensions, signature, the signer's certificate
//! ```
//!
//! The same layout from 2.6 to 3.4 (checked live); 2.6 has no `Certificate path` line. With no
//! response HAProxy prints nothing, not even the header (it flushes only after an entry). From 3.0 a response stays
//! listed after its certificate was replaced by one without (`commit ssl cert`); 2.6 drops it.

use serde::Serialize;

use super::ssl::parse_asn1_time;
use super::{ParseError, numbered_lines};

/// One OCSP response HAProxy holds, as `show ssl ocsp-response` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OcspId {
    /// The certificate ID key (hex DER of the OCSP CertID): what `show ssl ocsp-response <id>`
    /// and `show ssl cert`'s `OCSP Response Key` name.
    pub key: String,
    /// The certificate it is for (2.8+; 2.6 does not say).
    pub path: Option<String>,
    /// Hash of the issuer's name, hex.
    pub issuer_name_hash: Option<String>,
    /// Hash of the issuer's public key, hex.
    pub issuer_key_hash: Option<String>,
    /// The certificate's serial, hex.
    pub serial: Option<String>,
}

/// Parses `show ssl ocsp-response` (no argument).
pub fn parse_ocsp_ids(text: &str) -> Result<Vec<OcspId>, ParseError> {
    let mut ids: Vec<OcspId> = Vec::new();
    let mut header_seen = false;
    for (n, line) in numbered_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "# Certificate IDs" {
            header_seen = true;
            continue;
        }
        if !header_seen {
            return Err(ParseError::new(
                n,
                format!("expected `# Certificate IDs`, got {line:?}"),
            ));
        }
        if let Some(key) = field(line, "Certificate ID key") {
            ids.push(OcspId {
                key: key.to_owned(),
                ..OcspId::default()
            });
            continue;
        }
        let Some(id) = ids.last_mut() else {
            return Err(ParseError::new(
                n,
                format!("{line:?} before any `Certificate ID key`"),
            ));
        };
        let owned = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        if let Some(v) = field(line, "Certificate path") {
            id.path = owned(v);
        } else if let Some(v) = field(line, "Issuer Name Hash") {
            id.issuer_name_hash = owned(v);
        } else if let Some(v) = field(line, "Issuer Key Hash") {
            id.issuer_key_hash = owned(v);
        } else if let Some(v) = field(line, "Serial Number") {
            id.serial = owned(v);
        }
    }
    // With no response HAProxy prints nothing at all, not even the header.
    if !header_seen && !text.trim().is_empty() {
        return Err(ParseError::new(1, "no `# Certificate IDs` header"));
    }
    Ok(ids)
}

/// What a certificate's OCSP responder said about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// Not revoked.
    Good,
    /// Revoked: clients that check stapled responses refuse the certificate.
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// One OCSP response, from `show ssl ocsp-response <id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OcspResponse {
    /// `successful (0x0)`, or the responder's error status.
    pub response_status: String,
    /// Who signed it (`CN = TestCA`).
    pub responder: Option<String>,
    /// When the responder produced it, as HAProxy prints it.
    pub produced_at: Option<String>,
    /// The certificate's status.
    pub cert_status: Option<CertStatus>,
    /// When it was revoked (revoked only).
    pub revocation_time: Option<String>,
    /// Why (`keyCompromise (0x1)`).
    pub revocation_reason: Option<String>,
    /// The start of the response's validity, as printed.
    pub this_update: Option<String>,
    /// The end of its validity, as printed; a response without one is never stale by date.
    pub next_update: Option<String>,
    /// `next_update` in seconds since the epoch.
    pub next_update_epoch: Option<i64>,
}

/// Parses `show ssl ocsp-response <id>` (the text format). Only the first single response is
/// read: HAProxy staples one response per certificate.
pub fn parse_ocsp_response(text: &str) -> Result<OcspResponse, ParseError> {
    let mut resp = OcspResponse {
        response_status: String::new(),
        responder: None,
        produced_at: None,
        cert_status: None,
        revocation_time: None,
        revocation_reason: None,
        this_update: None,
        next_update: None,
        next_update_epoch: None,
    };
    let mut header_seen = false;
    for (n, line) in numbered_lines(text) {
        let line = line.trim();
        if line == "OCSP Response Data:" {
            header_seen = true;
            continue;
        }
        if !header_seen {
            if line.is_empty() {
                continue;
            }
            return Err(ParseError::new(
                n,
                format!("expected `OCSP Response Data:`, got {line:?}"),
            ));
        }
        // The signer's certificate follows the response; its fields are not the response's.
        if line == "Certificate:" {
            break;
        }
        let owned = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        if let Some(v) = field(line, "OCSP Response Status") {
            resp.response_status = v.to_owned();
        } else if let Some(v) = field(line, "Responder Id") {
            resp.responder = owned(v);
        } else if let Some(v) = field(line, "Produced At") {
            resp.produced_at = owned(v);
        } else if let Some(v) = field(line, "Cert Status") {
            if resp.cert_status.is_some() {
                // A second single response: HAProxy only uses the first.
                break;
            }
            resp.cert_status = Some(match v {
                "good" => CertStatus::Good,
                "revoked" => CertStatus::Revoked,
                "unknown" => CertStatus::Unknown,
                other => {
                    return Err(ParseError::new(
                        n,
                        format!("unknown certificate status {other:?}"),
                    ));
                }
            });
        } else if let Some(v) = field(line, "Revocation Time") {
            resp.revocation_time = owned(v);
        } else if let Some(v) = field(line, "Revocation Reason") {
            resp.revocation_reason = owned(v);
        } else if let Some(v) = field(line, "This Update") {
            resp.this_update = owned(v);
        } else if let Some(v) = field(line, "Next Update") {
            resp.next_update_epoch = Some(parse_asn1_time(n, v)?);
            resp.next_update = owned(v);
        }
    }
    if !header_seen {
        return Err(ParseError::new(1, "no `OCSP Response Data:` header"));
    }
    if resp.response_status.is_empty() {
        return Err(ParseError::new(1, "no `OCSP Response Status`"));
    }
    Ok(resp)
}

/// Whether a `set ssl ocsp-response` reply says the response was taken.
pub fn ocsp_response_updated(text: &str) -> bool {
    text.trim_start().starts_with("OCSP Response updated!")
}

/// The value of `<name> : <value>` or `<name>: <value>` (trimmed), if `line` is that field.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(name)?.trim_start();
    rest.strip_prefix(':').map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_30: &str = "# Certificate IDs\nCertificate ID key : 303b3009\nCertificate path : /tls/site.pem\n Certificate ID:\n   Issuer Name Hash: D08C\n   Issuer Key Hash: 4DD4\n   Serial Number: 1001\n\n";
    const DETAILS: &str = "OCSP Response Data:\n    OCSP Response Status: successful (0x0)\n    Response Type: Basic OCSP Response\n    Version: 1 (0x0)\n    Responder Id: CN = TestCA\n    Produced At: Dec  7 19:57:43 2026 GMT\n    Responses:\n    Certificate ID:\n      Hash Algorithm: sha1\n      Serial Number: 1001\n    Cert Status: revoked\n    Revocation Time: Dec  7 18:57:43 2026 GMT\n    Revocation Reason: keyCompromise (0x1)\n    This Update: Dec  7 19:57:43 2026 GMT\n    Next Update: Dec 10 19:57:43 2026 GMT\n \n    Signature Algorithm: sha256WithRSAEncryption\nCertificate:\n    Data:\n        Not After : Jan  6 19:57:19 2027 GMT\n";

    #[test]
    fn lists_ids_with_and_without_paths() {
        let ids = parse_ocsp_ids(LIST_30).unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].key, "303b3009");
        assert_eq!(ids[0].path.as_deref(), Some("/tls/site.pem"));
        assert_eq!(ids[0].serial.as_deref(), Some("1001"));
        assert_eq!(ids[0].issuer_key_hash.as_deref(), Some("4DD4"));
        let list_26 = LIST_30.replace("Certificate path : /tls/site.pem\n", "");
        assert_eq!(parse_ocsp_ids(&list_26).unwrap()[0].path, None);
        assert!(parse_ocsp_ids("# Certificate IDs\n").unwrap().is_empty());
        assert!(parse_ocsp_ids("\n").unwrap().is_empty());
        assert!(parse_ocsp_ids("Unknown command\n").is_err());
    }

    #[test]
    fn reads_the_response_not_the_signer_certificate() {
        let r = parse_ocsp_response(DETAILS).unwrap();
        assert_eq!(r.response_status, "successful (0x0)");
        assert_eq!(r.responder.as_deref(), Some("CN = TestCA"));
        assert_eq!(r.cert_status, Some(CertStatus::Revoked));
        assert_eq!(r.revocation_reason.as_deref(), Some("keyCompromise (0x1)"));
        assert_eq!(r.next_update.as_deref(), Some("Dec 10 19:57:43 2026 GMT"));
        // 2026-12-10T19:57:43Z
        assert_eq!(r.next_update_epoch, Some(1_796_932_663));
        let good = DETAILS
            .replace("Cert Status: revoked", "Cert Status: good")
            .replace("    Revocation Time: Dec  7 18:57:43 2026 GMT\n", "")
            .replace("    Revocation Reason: keyCompromise (0x1)\n", "");
        let g = parse_ocsp_response(&good).unwrap();
        assert_eq!(g.cert_status, Some(CertStatus::Good));
        assert_eq!(g.revocation_time, None);
        assert!(parse_ocsp_response("Certificate ID does not match any certificate.\n").is_err());
        assert!(
            parse_ocsp_response(&DETAILS.replace("Cert Status: revoked", "Cert Status: odd"))
                .is_err()
        );
    }

    #[test]
    fn set_reply() {
        assert!(ocsp_response_updated("OCSP Response updated!\n"));
        assert!(!ocsp_response_updated("Unable to parse OCSP response.\n"));
    }
}
