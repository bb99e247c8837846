//! refresh_ocsp_response: replace the OCSP response HAProxy staples with a certificate, from a
//! file in the certificates folder (`set ssl ocsp-response`, every version) or from the
//! certificate's OCSP responder (`update ssl ocsp-response`, 2.8+), and read it back.
//!
//! HAProxy takes a response for whichever stapled certificate its ID names, so a file is
//! checked to be for the named certificate before anything is sent. `update` only asks:
//! HAProxy fetches in the background and keeps the old response if the responder fails, so the
//! tool polls the stapled response and says whether it changed.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::command::args::{OcspKey, TlsFileName};
use crate::haproxy::command::{MAX_LINE_BYTES, Payload};
use crate::haproxy::parse::ocsp::{CertStatus, OcspResponse};
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::cert_inventory::{OcspBrief, now_epoch};
use crate::mcp::explain::{Subject, checked, needs_release};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::secret_file;

/// Largest OCSP response file read (responses with a signer chain are a few KB).
const MAX_OCSP_FILE_BYTES: u64 = 32 * 1024;
/// The first release with `update ssl ocsp-response`.
const UPDATE_SINCE: (u32, u32) = (2, 8);
/// How often the stapled response is read while waiting for the responder.
const POLL: Duration = Duration::from_millis(500);
/// How long the responder is waited for: HAProxy's own OCSP HTTP client gives up sooner.
const RESPONDER_WAIT: Duration = Duration::from_secs(10);

/// Arguments of refresh_ocsp_response.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RefreshOcspArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// As list_certificates names it.
    pub certificate: String,
    /// Response (DER/base64) in the certificates folder; none: ask the responder.
    #[serde(default)]
    pub file: Option<String>,
}

/// refresh_ocsp_response's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RefreshOcspOut {
    /// The target changed.
    pub target: String,
    /// The certificate.
    pub certificate: String,
    /// `file <name>` or `responder`.
    pub source: String,
    /// SHA-256 of the response sent (file only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_sha256: Option<String>,
    /// What HAProxy stapled before.
    pub before: OcspBrief,
    /// What it staples now, read back.
    pub after: OcspBrief,
    /// What the new response means for clients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A response file, decoded: its DER bytes.
fn read_response(dir: &Path, file: &str) -> Result<Vec<u8>, String> {
    let (_, bytes) = secret_file::read_in_folder(dir, file, MAX_OCSP_FILE_BYTES)?;
    // DER starts with a SEQUENCE tag; anything else is taken as base64 text.
    if bytes.first() == Some(&0x30) {
        return Ok(bytes);
    }
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| format!("{file:?} is neither a DER OCSP response nor base64 text of one"))?;
    if der.first() != Some(&0x30) {
        return Err(format!("{file:?} does not hold an OCSP response (DER)"));
    }
    Ok(der)
}

/// The length of the DER TLV header at `at` and of its content.
fn der_tlv(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *bytes.get(at + 1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = bytes
        .get(at + 2..at + 2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((2 + n, len))
}

/// The part of a certificate ID that names the certificate whatever the hash algorithm's
/// encoding: the issuer name hash, issuer key hash and serial TLVs (the CertID SEQUENCE
/// without its AlgorithmIdentifier).
fn cert_id_body(key: &OcspKey) -> Option<Vec<u8>> {
    let der = key.der();
    let (outer_header, _) = der_tlv(&der, 0)?;
    let (alg_header, alg_len) = der_tlv(&der, outer_header)?;
    let start = outer_header + alg_header + alg_len;
    (start < der.len()).then(|| der[start..].to_vec())
}

/// Whether the DER response `der` is about the certificate whose ID key is `key`.
fn is_for(der: &[u8], key: &OcspKey) -> bool {
    cert_id_body(key).is_some_and(|body| der.windows(body.len()).any(|w| w == body.as_slice()))
}

/// Whether two readings are the same response (same production and validity).
fn same_response(a: &OcspResponse, b: &OcspResponse) -> bool {
    (
        &a.produced_at,
        &a.this_update,
        &a.next_update,
        a.cert_status,
    ) == (
        &b.produced_at,
        &b.this_update,
        &b.next_update,
        b.cert_status,
    )
}

/// What the stapled response now means for clients.
fn warnings(after: &OcspBrief) -> Vec<String> {
    match (after.cert_status, after.problem()) {
        (Some(CertStatus::Revoked), _) => vec!["HAProxy now staples a revoked status: clients that check OCSP refuse this certificate. Replace it (rotate_certificate).".to_owned()],
        (_, Some(problem)) => vec![format!("The certificate: {problem}.")],
        _ => Vec::new(),
    }
}

#[tool_router(router = ocsp_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Replaces a certificate's stapled OCSP response.
    #[tool(
        description = "Replace a certificate's stapled OCSP response: from a file in the certificates folder, or its responder (2.8+). Read back. Runtime only.",
        annotations(title = "Refresh OCSP response", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<RefreshOcspOut>()
    )]
    async fn refresh_ocsp_response(
        &self,
        Parameters(args): Parameters<RefreshOcspArgs>,
    ) -> ToolResult<RefreshOcspOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let name = TlsFileName::new(args.certificate)?;
        // The file first: a bad one is refused before HAProxy is asked anything.
        let response = match args.file.as_deref() {
            None => None,
            Some(file) => {
                let Some(dir) = self.settings().certificates_dir.clone() else {
                    return Err(fail(
                        "file: an OCSP response is read from a file in the certificates folder, and this server was started without one. Start it with --certificates-dir <folder> (or HAPROXY_MCP_CERTIFICATES_DIR) and name the file. Nothing was sent.".to_owned(),
                    ));
                };
                let owned = file.to_owned();
                let der = tokio::task::spawn_blocking(move || read_response(&dir, &owned))
                    .await
                    .unwrap_or_else(|e| Err(format!("reading {file:?} failed ({e})")))
                    .map_err(|m| fail(format!("file: {m}. Nothing was sent.")))?;
                Some((file, der))
            }
        };
        let details = checked(
            t,
            Subject::Nothing,
            t.client.show_ssl_cert(&name, false).await,
        )
        .await
        .map_err(|e| e.with_note("Nothing was changed."))?;
        let Some(key) = details.ocsp_key.clone().and_then(|k| OcspKey::new(k).ok()) else {
            return Err(fail(format!(
                "{name} has no stapled OCSP response: HAProxy staples (and replaces) a response only for a certificate loaded with one (a .ocsp file beside it, or ocsp-update on). Nothing was sent."
            )));
        };
        let before = checked(t, Subject::Nothing, t.client.show_ocsp_response(&key).await).await?;
        let now = now_epoch();

        let (source, sent_sha256) = match response {
            Some((file, der)) => {
                if !is_for(&der, &key) {
                    return Err(fail(format!(
                        "file: {file:?} is not a response for {name} (its certificate ID, OCSP key {key}, is not in it); HAProxy would staple it on whichever certificate it names. Nothing was sent."
                    )));
                }
                let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
                let lines: Vec<String> = b64
                    .as_bytes()
                    .chunks(64)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                let payload = Payload::new(lines).map_err(|e| fail(format!("file: {e}")))?;
                if payload.encoded_len() + 30 > MAX_LINE_BYTES {
                    return Err(fail(format!(
                        "file: {file:?} is too large to send in one CLI command ({} bytes in base64; at most {MAX_LINE_BYTES}). Nothing was sent.",
                        b64.len()
                    )));
                }
                checked(
                    t,
                    Subject::Nothing,
                    t.client.set_ocsp_response(payload).await,
                )
                .await?;
                (format!("file {file}"), Some(secret_file::sha256_hex(&der)))
            }
            None => {
                needs_release(
                    t,
                    UPDATE_SINCE,
                    "asking the OCSP responder (update ssl ocsp-response)",
                    "Fetch the response yourself (openssl ocsp -respout) and pass it as file.",
                )
                .await?;
                checked(
                    t,
                    Subject::Nothing,
                    t.client.update_ocsp_response(&name).await,
                )
                .await?;
                let deadline = tokio::time::Instant::now() + RESPONDER_WAIT;
                loop {
                    tokio::time::sleep(POLL).await;
                    let now_stapled = t.client.show_ocsp_response(&key).await;
                    if now_stapled.is_ok_and(|r| !same_response(&r, &before)) {
                        break;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(fail(format!(
                            "HAProxy asked {name}'s OCSP responder (the URI in the certificate) but stapled no new response within {}s: the responder is unreachable, answered an error, a response HAProxy refused (its log says which) or the same response again. It still staples the previous one (produced {}). Nothing changed.",
                            RESPONDER_WAIT.as_secs(),
                            before
                                .produced_at
                                .as_deref()
                                .unwrap_or("at an unknown time")
                        )));
                    }
                }
                ("responder".to_owned(), None)
            }
        };

        let after = checked(t, Subject::Nothing, t.client.show_ocsp_response(&key).await).await?;
        let (before, after) = (
            OcspBrief::new(&key, &before, now),
            OcspBrief::new(&key, &after, now_epoch()),
        );
        let status = |b: &OcspBrief| {
            b.cert_status
                .map_or("unreadable".to_owned(), |s| format!("{s:?}").to_lowercase())
        };
        let summary = format!(
            "[{}] {name}'s stapled OCSP response replaced from the {source}: {} (next update {}), was {} (next update {}). Runtime only: a reload staples the .ocsp file again.",
            t.name,
            status(&after),
            after.next_update.as_deref().unwrap_or("none"),
            status(&before),
            before.next_update.as_deref().unwrap_or("none"),
            source = if source == "responder" {
                "responder"
            } else {
                "file"
            },
        );
        let warnings = warnings(&after);
        Ok(Answer::new(
            summary,
            RefreshOcspOut {
                target: t.name.clone(),
                certificate: name.to_string(),
                source,
                sent_sha256,
                before,
                after,
                warnings,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A CertID as HAProxy prints it: SEQUENCE { sha1 AlgorithmIdentifier (NULL params), name
    // hash, key hash, serial 0x1001 }.
    const KEY: &str = "303b300906052b0e03021a05000414d08ce9dae861987de0483e887955106165f6f7d404144dd4104c6445efba615834e34195cfca5f96fe8b02021001";

    #[test]
    fn a_response_is_matched_to_its_certificate_id() {
        let key = OcspKey::new(KEY).unwrap();
        let body = cert_id_body(&key).unwrap();
        assert_eq!(body[0], 0x04);
        assert_eq!(body.len(), 22 + 22 + 4);
        // The same ID with the algorithm's parameters omitted, inside a larger response.
        let mut resp = vec![0x30, 0x82, 0x01, 0x00, 0xa0, 0x03];
        resp.extend_from_slice(&[
            0x30, 0x39, 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a,
        ]);
        resp.extend_from_slice(&body);
        resp.extend_from_slice(&[0x80, 0x00]);
        assert!(is_for(&resp, &key));
        // Another serial: not for it.
        let mut other = resp.clone();
        let at = other.len() - 3;
        other[at] = 0x02;
        assert!(!is_for(&other, &key));
    }

    #[test]
    fn long_form_lengths_are_read() {
        assert_eq!(der_tlv(&[0x30, 0x82, 0x01, 0x00], 0), Some((4, 256)));
        assert_eq!(der_tlv(&[0x30, 0x3b], 0), Some((2, 59)));
        assert_eq!(der_tlv(&[0x30, 0x80], 0), None);
        assert_eq!(der_tlv(&[0x30], 0), None);
    }

    #[test]
    fn files_are_der_or_base64() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("r.der"), [0x30, 0x03, 0x0a, 0x01, 0x00]).unwrap();
        std::fs::write(root.join("r.b64"), "MAMKAQA=\n").unwrap();
        std::fs::write(root.join("bad.txt"), "not base64 at all!").unwrap();
        std::fs::write(root.join("pem.txt"), "QUJD\n").unwrap();
        assert_eq!(
            read_response(&root, "r.der").unwrap(),
            vec![0x30, 0x03, 0x0a, 0x01, 0x00]
        );
        assert_eq!(
            read_response(&root, "r.b64").unwrap(),
            vec![0x30, 0x03, 0x0a, 0x01, 0x00]
        );
        assert!(
            read_response(&root, "bad.txt")
                .unwrap_err()
                .contains("neither")
        );
        assert!(
            read_response(&root, "pem.txt")
                .unwrap_err()
                .contains("does not hold")
        );
        assert!(read_response(&root, "../etc/passwd").is_err());
    }
}
