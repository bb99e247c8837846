//! The TLS store: certificates, crt-lists, CA and CRL files (`show ssl …`), and the certificate
//! transaction that replaces one without a reload (`set` / `commit` / `abort ssl cert`), new and
//! deleted certificates (`new` / `del ssl cert`), CA and CRL files (`new` / `del ssl
//! ca-file|crl-file`), crt-list lines (`add` / `del ssl crt-list`) and OCSP stapling (`show` /
//! `set ssl ocsp-response`, `update ssl ocsp-response` on 2.8+).

use super::args::{CrtListLine, OcspKey, TlsFileName};
use super::{Access, Command, Expect, Payload};

/// The Runtime API's noun for a CA file or (`crl`) a CRL file.
fn trust_noun(crl: bool) -> &'static str {
    if crl { "crl-file" } else { "ca-file" }
}

impl Command {
    /// `show ssl cert`: every certificate file, and the open transaction.
    pub fn show_ssl_certs() -> Self {
        Self::read(["show", "ssl", "cert"])
    }

    /// `show ssl cert <name>`, or with `pending` the open transaction's `*<name>`.
    pub fn show_ssl_cert(name: &TlsFileName, pending: bool) -> Self {
        Self::show_tls_file("cert", name, pending)
    }

    /// `show ssl <kind> <name>`, or with `pending` the open transaction's `*<name>` (the one
    /// form HAProxy gives every store kind: certificates, CA files, CRL files).
    fn show_tls_file(kind: &str, name: &TlsFileName, pending: bool) -> Self {
        let name = if pending {
            format!("*{name}")
        } else {
            name.to_string()
        };
        Self::read(["show".to_owned(), "ssl".to_owned(), kind.to_owned(), name])
    }

    /// `show ssl crt-list`: the crt-list files.
    pub fn show_crt_lists() -> Self {
        Self::read(["show", "ssl", "crt-list"])
    }

    /// `show ssl crt-list -n <list>`: a crt-list's lines, numbered.
    pub fn show_crt_list(list: &TlsFileName) -> Self {
        Self::read(["show", "ssl", "crt-list", "-n", list.as_str()])
    }

    /// `show ssl ca-file`: the CA files with their certificate counts.
    pub fn show_ca_files() -> Self {
        Self::read(["show", "ssl", "ca-file"])
    }

    /// `show ssl ca-file <name>`: every certificate of one CA file, or with `pending` those of
    /// the open CA-file transaction (`*<name>`).
    pub fn show_ca_file(name: &TlsFileName, pending: bool) -> Self {
        Self::show_tls_file("ca-file", name, pending)
    }

    /// `set ssl ca-file <name> <<` + the PEM lines: opens (or updates) the CA-file transaction
    /// (`transaction created for CA <name>!`). HAProxy refuses a file no bind uses (`Can't
    /// replace a CA file which is not referenced by the configuration!`) and a payload without a
    /// certificate (`Invalid payload`).
    pub fn set_ssl_ca_file(name: &TlsFileName, pem: Payload) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["transaction created for CA", "transaction updated for CA"]),
            ["set", "ssl", "ca-file", name.as_str()],
        )
        .with_payload(pem)
    }

    /// `commit ssl ca-file <name>`: every bind verifying with the file uses the new one
    /// (`Committing <name>…`, then `Success!`).
    pub fn commit_ssl_ca_file(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Success!"]),
            ["commit", "ssl", "ca-file", name.as_str()],
        )
    }

    /// `abort ssl ca-file <name>`: drop the CA-file transaction.
    pub fn abort_ssl_ca_file(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Transaction aborted"]),
            ["abort", "ssl", "ca-file", name.as_str()],
        )
    }

    /// `show ssl crl-file`: the CRL files.
    pub fn show_crl_files() -> Self {
        Self::read(["show", "ssl", "crl-file"])
    }

    /// `show ssl ocsp-response`: the OCSP responses HAProxy staples, by certificate ID.
    pub fn show_ocsp_responses() -> Self {
        Self::read(["show", "ssl", "ocsp-response"])
    }

    /// `show ssl ocsp-response <key>`: one response, as `openssl ocsp -text` prints it. The
    /// certificate ID key (hex, from `show ssl cert`'s `OCSP Response Key`) is the one form
    /// every version takes; 2.6 has no lookup by path.
    pub fn show_ocsp_response(key: &OcspKey) -> Self {
        Self::read(["show", "ssl", "ocsp-response", key.as_str()])
    }

    /// `set ssl ocsp-response <<` + the response in base64: HAProxy staples it for the
    /// certificate whose ID it carries (`OCSP Response updated!`). It refuses a response for a
    /// certificate it does not staple (`OCSP single response: Certificate ID does not match
    /// any certificate or issuer.`) and one it cannot parse.
    pub fn set_ocsp_response(base64: Payload) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["OCSP Response updated!"]),
            ["set", "ssl", "ocsp-response"],
        )
        .with_payload(base64)
    }

    /// `update ssl ocsp-response <name>` (2.8+): asks the certificate's OCSP responder (the
    /// URI in its Authority Information Access) for a fresh response. HAProxy answers at once
    /// with nothing and fetches in the background; the stapled response changes only if the
    /// responder answers with a valid one, so callers read it back to know.
    pub fn update_ocsp_response(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Nothing,
            ["update", "ssl", "ocsp-response", name.as_str()],
        )
    }

    /// `acme status` (3.2+, admin level): the certificates HAProxy renews through ACME, their
    /// section, state and next renewal.
    pub fn acme_status() -> Self {
        Self::read(["acme", "status"])
    }

    /// `acme renew <name>` (3.2+, admin level): starts renewing a certificate a `crt-store`
    /// loads with `acme <section>`. HAProxy answers at once with nothing and talks to the ACME
    /// server in the background (`acme status` shows `Running`); the certificate is replaced
    /// only when the new one is issued, so callers read it back to know. Refusals: a name it
    /// does not hold (`Can't find the certificate '<name>'.`), one without ACME (`No ACME
    /// configuration defined for file '<name>'.`), one already renewing (3.2.0 `An ACME task
    /// is already running …`, later `Task already exists for '<name>' certificate.`).
    pub fn acme_renew(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Nothing,
            ["acme", "renew", name.as_str()],
        )
    }

    /// `show ssl sni` (3.2+): per frontend and bind, which certificate serves which name.
    pub fn show_ssl_sni() -> Self {
        Self::read(["show", "ssl", "sni"])
    }

    /// `set ssl cert <name> <<` + the PEM lines: opens (or updates) the transaction. Nothing is
    /// served from it until [`Command::commit_ssl_cert`].
    pub fn set_ssl_cert(name: &TlsFileName, pem: Payload) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Transaction created", "Transaction updated"]),
            ["set", "ssl", "cert", name.as_str()],
        )
        .with_payload(pem)
    }

    /// `commit ssl cert <name>`: serve the transaction's certificate (`Committing …`, one dot per
    /// bind rebuilt, then `Success!`).
    pub fn commit_ssl_cert(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Success!"]),
            ["commit", "ssl", "cert", name.as_str()],
        )
    }

    /// `show ssl crl-file <name>`, or with `pending` the open transaction's `*<name>`.
    pub fn show_crl_file(name: &TlsFileName, pending: bool) -> Self {
        Self::show_tls_file("crl-file", name, pending)
    }

    /// `set ssl crl-file <name> <<` + the PEM lines: opens (or updates) the CRL-file transaction
    /// (`transaction created for CRL <name>!`). HAProxy takes a certificate as payload too; only
    /// `show ssl crl-file *<name>` tells whether it read a revocation list.
    pub fn set_ssl_crl_file(name: &TlsFileName, pem: Payload) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["transaction created for CRL", "transaction updated for CRL"]),
            ["set", "ssl", "crl-file", name.as_str()],
        )
        .with_payload(pem)
    }

    /// `commit ssl crl-file <name>` (`Committing <name>…`, then `Success!`).
    pub fn commit_ssl_crl_file(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Success!"]),
            ["commit", "ssl", "crl-file", name.as_str()],
        )
    }

    /// `abort ssl crl-file <name>`: drop the CRL-file transaction.
    pub fn abort_ssl_crl_file(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Transaction aborted"]),
            ["abort", "ssl", "crl-file", name.as_str()],
        )
    }

    /// `new ssl cert <name>`: an empty certificate store under that name, to be filled with
    /// `set ssl cert` and committed before a crt-list line can use it.
    pub fn new_ssl_cert(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["New empty certificate store"]),
            ["new", "ssl", "cert", name.as_str()],
        )
    }

    /// `del ssl cert <name>`: forget a certificate no bind or crt-list line uses
    /// (`Certificate '<name>' deleted!`).
    pub fn del_ssl_cert(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::MessageWith(&["' deleted!"]),
            ["del", "ssl", "cert", name.as_str()],
        )
    }

    /// `new ssl ca-file <name>` (`crl` false) or `new ssl crl-file <name>`: an empty file, to be
    /// filled with `set` and committed before a crt-list line names it (`New CA file created
    /// '<name>'!`).
    pub fn new_ssl_trust_file(name: &TlsFileName, crl: bool) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["New CA file created", "New CRL file created"]),
            ["new", "ssl", trust_noun(crl), name.as_str()],
        )
    }

    /// `del ssl ca-file|crl-file <name>`: forget a file no bind or crt-list line uses (`CA file
    /// '<name>' deleted!`).
    pub fn del_ssl_trust_file(name: &TlsFileName, crl: bool) -> Self {
        Self::new(
            Access::Mutation,
            Expect::MessageWith(&["' deleted!"]),
            ["del", "ssl", trust_noun(crl), name.as_str()],
        )
    }

    /// `add ssl crt-list <list> <<` + one line: serve a committed certificate on every bind
    /// using the list (`Inserting certificate …`, then `Success!` or the reason and `Failed!`).
    pub fn add_crt_list_line(list: &TlsFileName, line: &CrtListLine) -> Self {
        let payload = Payload::new(vec![line.render()])
            .expect("a validated crt-list line is one non-blank line without control characters");
        Self::new(
            Access::Mutation,
            Expect::Message(&["Success!"]),
            ["add", "ssl", "crt-list", list.as_str()],
        )
        .with_payload(payload)
    }

    /// `del ssl crt-list <list> <cert>:<line>`: remove one line of a crt-list (`Entry '<cert>'
    /// deleted in crtlist '<list>'!`). The line number is always given: HAProxy refuses the
    /// bare name when the certificate has several lines.
    pub fn del_crt_list_line(list: &TlsFileName, certificate: &TlsFileName, line: u32) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Entry '"]),
            [
                "del".to_owned(),
                "ssl".to_owned(),
                "crt-list".to_owned(),
                list.as_str().to_owned(),
                format!("{certificate}:{line}"),
            ],
        )
    }

    /// `abort ssl cert <name>`: drop the transaction; nothing served changes.
    pub fn abort_ssl_cert(name: &TlsFileName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(&["Transaction aborted"]),
            ["abort", "ssl", "cert", name.as_str()],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crt_list_lines_are_one_payload_line() {
        let list = TlsFileName::new("/etc/haproxy/crt-list.txt").unwrap();
        let cert = TlsFileName::new("/etc/haproxy/new.pem").unwrap();
        let line = CrtListLine::new(
            cert.clone(),
            Some(" alpn h2  ssl-min-ver TLSv1.2 "),
            &[
                "new.example.test".to_owned(),
                "!old.example.test".to_owned(),
            ],
        )
        .unwrap();
        let add = Command::add_crt_list_line(&list, &line);
        assert!(add.is_mutation());
        assert_eq!(
            String::from_utf8(add.encode().unwrap()).unwrap(),
            "add ssl crt-list /etc/haproxy/crt-list.txt <<\n/etc/haproxy/new.pem [alpn h2 ssl-min-ver TLSv1.2] new.example.test !old.example.test\n\n"
        );
        assert_eq!(
            Command::del_crt_list_line(&list, &cert, 4).to_string(),
            "del ssl crt-list /etc/haproxy/crt-list.txt /etc/haproxy/new.pem:4"
        );
        assert_eq!(
            Command::new_ssl_cert(&cert).to_string(),
            "new ssl cert /etc/haproxy/new.pem"
        );
        assert_eq!(
            Command::del_ssl_cert(&cert).to_string(),
            "del ssl cert /etc/haproxy/new.pem"
        );
        for bad in ["alpn [h2]", "a\nb", "x # y", "ciphers \"A\""] {
            assert!(
                CrtListLine::new(cert.clone(), Some(bad), &[]).is_err(),
                "{bad}"
            );
        }
        for bad in ["", "!", "a b", "a;b", "é.test"] {
            assert!(
                CrtListLine::new(cert.clone(), None, &[bad.to_owned()]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn lines_never_show_the_payload() {
        let name = TlsFileName::new("/etc/haproxy/site.pem").unwrap();
        let pem = Payload::new(vec![
            "-----BEGIN PRIVATE KEY-----".to_owned(),
            "c2VjcmV0".to_owned(),
            "-----END PRIVATE KEY-----".to_owned(),
        ])
        .unwrap();
        let set = Command::set_ssl_cert(&name, pem);
        assert!(set.is_mutation());
        assert_eq!(
            set.to_string(),
            "set ssl cert /etc/haproxy/site.pem << (3 payload lines)"
        );
        assert!(!format!("{set:?}").contains("c2VjcmV0"), "{set:?}");
        let bytes = set.encode().unwrap();
        assert!(bytes.starts_with(b"set ssl cert /etc/haproxy/site.pem <<\n-----BEGIN"));
        assert!(bytes.ends_with(b"-----END PRIVATE KEY-----\n\n"));
        assert_eq!(
            Command::show_ssl_cert(&name, true).to_string(),
            "show ssl cert */etc/haproxy/site.pem"
        );
        assert!(!Command::show_ssl_certs().is_mutation());
        assert_eq!(
            Command::show_ca_file(&name, true).to_string(),
            "show ssl ca-file */etc/haproxy/site.pem"
        );
        assert_eq!(
            Command::show_crl_file(&name, false).to_string(),
            "show ssl crl-file /etc/haproxy/site.pem"
        );
        assert!(TlsFileName::new("*x").is_err());
        assert!(TlsFileName::new("a b").is_err());
    }
}
