//! OCSP stapling as HAProxy holds it (`ssl_ocsp.c`): the tree of responses by certificate ID,
//! which certificate store staples which, and HAProxy's messages for `show ssl ocsp-response`,
//! `set ssl ocsp-response` and `update ssl ocsp-response` (2.8+).
//!
//! The model keeps each response as the seed recorded it (its `show ssl ocsp-response <id>`
//! text): it does not decode OCSP. A `set ssl ocsp-response` that HAProxy would take (a
//! response for a stapled certificate) is therefore not executed (an `emulator:` answer); the
//! refusals are. `update ssl ocsp-response` is accepted as HAProxy accepts it (an empty reply)
//! and changes nothing, which is what HAProxy does when the responder fails.

use base64::Engine;

use super::Reply;
use crate::version::Version;

/// One response in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stapled {
    /// The certificate ID key, lowercase hex (`Certificate ID key : …`).
    pub key: String,
    /// The store it was loaded for (`Certificate path : …`, 2.8+).
    pub path: String,
    /// The lines after the path in `show ssl ocsp-response` (` Certificate ID:` and the
    /// hashes and serial).
    pub id_lines: Vec<String>,
    /// `show ssl ocsp-response <key>`'s reply, as recorded.
    pub text: Vec<u8>,
}

impl Stapled {
    /// The name hash, key hash and serial TLVs of its certificate ID: what a response for the
    /// same certificate carries whatever its hash algorithm's encoding.
    fn id_body(&self) -> Option<Vec<u8>> {
        let der: Vec<u8> = (0..self.key.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(self.key.get(i..i + 2)?, 16).ok())
            .collect();
        let (outer, _) = tlv(&der, 0)?;
        let (alg_header, alg_len) = tlv(&der, outer)?;
        der.get(outer + alg_header + alg_len..).map(<[u8]>::to_vec)
    }
}

/// The DER TLV header length and content length at `at` (the server's refresh_ocsp_response
/// reads the same; this crate does not depend on the server).
fn tlv(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
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

/// The OCSP state of one process.
#[derive(Debug, Clone, Default)]
pub struct Ocsp {
    /// The tree, in key order (how HAProxy walks it).
    pub tree: Vec<Stapled>,
    /// Which store staples which response now (`show ssl cert`'s `OCSP Response Key`).
    pub stapled_by: Vec<(String, String)>,
}

impl Ocsp {
    /// The key `store` staples, if any.
    pub fn key_of(&self, store: &str) -> Option<&str> {
        self.stapled_by
            .iter()
            .find(|(path, _)| path == store)
            .map(|(_, key)| key.as_str())
    }

    /// A store's certificate was replaced or deleted: it staples nothing any more. From 3.0
    /// the response stays in the tree (listed, with the store's path); 2.6 drops it (both
    /// recorded live, 2.6.12 and 3.0.11 to 3.4.7).
    pub fn store_replaced(&mut self, version: Version, store: &str) {
        let Some(pos) = self.stapled_by.iter().position(|(path, _)| path == store) else {
            return;
        };
        let (_, key) = self.stapled_by.remove(pos);
        if version < Version::new(3, 0, 0) && !self.stapled_by.iter().any(|(_, k)| *k == key) {
            self.tree.retain(|s| s.key != key);
        }
    }

    /// `show ssl ocsp-response [[text|base64] <id|path>]`.
    pub fn show(&self, version: Version, args: &[&str]) -> Reply {
        let modern = version >= Version::new(2, 8, 0);
        let Some(&first) = args.first() else {
            return Reply::Body(self.listing(modern).into_bytes());
        };
        let (format, id) = match first {
            "text" | "base64" if modern => (first, args.get(1).copied()),
            _ => ("text", Some(first)),
        };
        let Some(id) = id.filter(|i| !i.is_empty()) else {
            return Reply::line("'show ssl ocsp-response [text|base64]' expects a valid certid.");
        };
        if format == "base64" {
            // The seed keeps the text form only.
            return Reply::NotModelled;
        }
        let hex = id.len() <= 256 && id.len() % 2 == 0 && id.bytes().all(|b| b.is_ascii_hexdigit());
        let key = if hex {
            Some(id.to_ascii_lowercase())
        } else if modern {
            match self.key_of(id) {
                Some(k) => Some(k.to_owned()),
                None => {
                    return Reply::line(
                        "'show ssl ocsp-response' expects a valid certid or certificate path.",
                    );
                }
            }
        } else {
            None
        };
        match key.and_then(|k| self.tree.iter().find(|s| s.key == k)) {
            Some(s) => Reply::Body(s.text.clone()),
            None if modern => Reply::line("Certificate ID or path does not match any certificate."),
            None => Reply::line("Certificate ID does not match any certificate."),
        }
    }

    /// `show ssl ocsp-response`'s list. An empty tree prints nothing, not even the header
    /// (HAProxy flushes its output only after each entry).
    fn listing(&self, with_paths: bool) -> String {
        if self.tree.is_empty() {
            return String::new();
        }
        let mut out = String::from("# Certificate IDs\n");
        for s in &self.tree {
            out.push_str(&format!("Certificate ID key : {}\n", s.key));
            if with_paths {
                out.push_str(&format!("Certificate path : {}\n", s.path));
            }
            for line in &s.id_lines {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// `set ssl ocsp-response <base64>` or with the base64 as payload.
    pub fn set(&self, args: &[&str], payload: Option<&[u8]>) -> Reply {
        let text: Vec<u8> = match payload {
            Some(p) => p.to_vec(),
            None => args
                .first()
                .map(|a| a.as_bytes().to_vec())
                .unwrap_or_default(),
        };
        let text: Vec<u8> = text
            .into_iter()
            .filter(|b| *b != b'\r' && *b != b'\n')
            .collect();
        if text.is_empty() {
            return Reply::line("'set ssl ocsp-response' expects response in base64 encoding.");
        }
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&text) else {
            return Reply::line(
                "'set ssl ocsp-response' received invalid base64 encoded response.",
            );
        };
        let whole =
            tlv(&der, 0).is_some_and(|(h, l)| der.first() == Some(&0x30) && h + l == der.len());
        if !whole {
            return Reply::line("Unable to parse OCSP response.");
        }
        let known = self.tree.iter().any(|s| {
            s.id_body()
                .is_some_and(|body| der.windows(body.len()).any(|w| w == body.as_slice()))
        });
        if !known {
            return Reply::line(
                "OCSP single response: Certificate ID does not match any certificate or issuer.",
            );
        }
        // HAProxy would staple it; the model cannot decode the response to show it.
        Reply::NotModelled
    }

    /// `update ssl ocsp-response <certfile>` (2.8+); `known` says whether a store of that name
    /// exists.
    pub fn update(&self, args: &[&str], known: impl Fn(&str) -> bool) -> Reply {
        let Some(&name) = args.first().filter(|n| !n.is_empty()) else {
            return Reply::line("'update ssl ocsp-response' expects a filename");
        };
        let cant = |why: &str| {
            Reply::Body(format!("{why}\nCan't send ocsp request for {name}!\n").into_bytes())
        };
        if !known(name) {
            return cant(
                "Unknown certificate! 'update ssl ocsp-response' expects an already known certificate file name.",
            );
        }
        if self.key_of(name).is_none() {
            return cant(
                "'update ssl ocsp-response' only works on certificates that already have a known OCSP response.",
            );
        }
        Reply::ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "303b300906052b0e03021a05000414d08ce9dae861987de0483e887955106165f6f7d404144dd4104c6445efba615834e34195cfca5f96fe8b02021001";

    fn ocsp() -> Ocsp {
        Ocsp {
            tree: vec![Stapled {
                key: KEY.into(),
                path: "/tls/site.pem".into(),
                id_lines: vec![" Certificate ID:".into(), "   Serial Number: 1001".into()],
                text: b"OCSP Response Data:\n".to_vec(),
            }],
            stapled_by: vec![("/tls/site.pem".into(), KEY.into())],
        }
    }

    fn body(r: Reply) -> String {
        match r {
            Reply::Body(b) => String::from_utf8(b).unwrap(),
            Reply::NotModelled => "<not modelled>".into(),
        }
    }

    #[test]
    fn lists_and_shows_as_each_version_does() {
        let (v26, v30) = (Version::new(2, 6, 12), Version::new(3, 0, 11));
        let o = ocsp();
        assert!(!body(o.show(v26, &[])).contains("Certificate path"));
        assert!(body(o.show(v30, &[])).contains("Certificate path : /tls/site.pem\n"));
        assert_eq!(body(o.show(v30, &[KEY])), "OCSP Response Data:\n");
        assert_eq!(
            body(o.show(v30, &["/tls/site.pem"])),
            "OCSP Response Data:\n"
        );
        assert!(body(o.show(v26, &["/tls/site.pem"])).starts_with("Certificate ID does not"));
        assert!(body(o.show(v30, &["abc"])).contains("expects a valid certid or certificate path"));
        assert!(body(o.show(v30, &["00"])).starts_with("Certificate ID or path"));
        let mut empty = o.clone();
        empty.store_replaced(v26, "/tls/site.pem");
        assert_eq!(body(empty.show(v26, &[])), "");
        let mut kept = o.clone();
        kept.store_replaced(v30, "/tls/site.pem");
        assert!(body(kept.show(v30, &[])).contains(KEY));
        assert_eq!(kept.key_of("/tls/site.pem"), None);
    }

    #[test]
    fn set_refuses_what_haproxy_refuses() {
        let o = ocsp();
        assert!(body(o.set(&[], None)).contains("expects response in base64"));
        assert!(body(o.set(&["not-base64!"], None)).contains("invalid base64"));
        assert!(body(o.set(&["QUJD"], None)).starts_with("Unable to parse"));
        // A whole DER SEQUENCE without the certificate's ID.
        let other =
            base64::engine::general_purpose::STANDARD.encode([0x30, 0x03, 0x0a, 0x01, 0x00]);
        assert!(body(o.set(&[], Some(other.as_bytes()))).starts_with("OCSP single response"));
        let mut der = vec![0x30, 0x30];
        der.extend(o.tree[0].id_body().unwrap());
        let mine = base64::engine::general_purpose::STANDARD.encode(&der);
        assert_eq!(body(o.set(&[], Some(mine.as_bytes()))), "<not modelled>");
    }

    #[test]
    fn update_takes_only_stapled_certificates() {
        let o = ocsp();
        let known = |n: &str| n == "/tls/site.pem" || n == "/tls/api.pem";
        assert_eq!(body(o.update(&["/tls/site.pem"], known)), "");
        assert!(body(o.update(&["/tls/api.pem"], known)).contains("only works on certificates"));
        assert!(body(o.update(&["/nope.pem"], known)).starts_with("Unknown certificate!"));
        assert!(body(o.update(&[], known)).contains("expects a filename"));
    }
}
