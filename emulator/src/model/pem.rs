//! What HAProxy reads from a `set ssl cert` payload: the certificate, its chain and the private
//! key, as OpenSSL loads them (`ssl_sock_load_pem_into_ckch`), and the fields `show ssl cert
//! <name>` prints of them (`show_cert_detail`). Only the key's public half is kept, to check it
//! against the certificate at commit time as `X509_check_private_key` does.

use sha1::{Digest, Sha1};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

/// A certificate as `show ssl cert <name>` and `show ssl sni` print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The lines from `Serial:` to the last `Chain Issuer:`, as HAProxy prints them.
    pub details: Vec<String>,
    /// `notBefore` as OpenSSL prints it (`Dec  6 21:32:51 2026 GMT`).
    pub not_before: String,
    /// `notAfter`, same format.
    pub not_after: String,
    /// `show ssl sni`'s type column: `rsa`, `ecdsa` or `dsa`.
    pub kind: String,
}

impl CertInfo {
    /// Reads what HAProxy printed of a certificate (the lines after `Status:`, without `OCSP
    /// Response Key:`), as the seed does.
    pub fn from_details(details: Vec<String>) -> CertInfo {
        let field = |name: &str| {
            details
                .iter()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or("")
                .to_string()
        };
        let algorithm = field("Algorithm: ");
        CertInfo {
            not_before: field("notBefore: "),
            not_after: field("notAfter: "),
            kind: kind_of(&algorithm).to_string(),
            details,
        }
    }
}

/// `show ssl sni`'s name for a key algorithm (`RSA2048` → `rsa`).
fn kind_of(algorithm: &str) -> &'static str {
    if algorithm.starts_with("RSA") {
        "rsa"
    } else if algorithm.starts_with("EC") {
        "ecdsa"
    } else {
        "dsa"
    }
}

/// The public half of a key, to compare a private key with a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicHalf {
    /// An RSA modulus and exponent, without leading zero bytes.
    Rsa(Vec<u8>, Vec<u8>),
    /// An EC point as the certificate's SubjectPublicKeyInfo holds it.
    Ec(Vec<u8>),
    /// A key whose public half the emulator cannot derive (an EC key saved without its public
    /// point, another algorithm): taken as matching, since it cannot be checked.
    Unknown,
}

/// What one `set ssl cert` payload loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The leaf certificate and its chain.
    pub info: CertInfo,
    /// The leaf certificate's public key.
    pub cert_key: PublicHalf,
    /// The payload's private key, when it holds one OpenSSL can read without a passphrase.
    pub private_key: Option<PublicHalf>,
}

impl Loaded {
    /// Whether the private key belongs to the certificate (`X509_check_private_key`); a
    /// payload without a key passes, as HAProxy checks only a key it loaded.
    pub fn key_matches(&self) -> bool {
        match &self.private_key {
            None | Some(PublicHalf::Unknown) => true,
            Some(key) => *key == self.cert_key || self.cert_key == PublicHalf::Unknown,
        }
    }
}

/// Loads a PEM payload as HAProxy does: the first certificate is the leaf, the following ones
/// its chain, a private key anywhere. `Err` carries OpenSSL's reason (`no start line` when
/// there is no certificate at all).
pub fn load(payload: &[u8]) -> Result<Loaded, String> {
    let mut certs = Vec::new();
    let mut private_key = None;
    for block in Pem::iter_from_buffer(payload) {
        let block = block.map_err(|_| "bad base64 decode".to_string())?;
        match block.label.as_str() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                certs.push(block.contents)
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" if private_key.is_none() => {
                private_key = Some(private_half(&block.label, &block.contents));
            }
            _ => {}
        }
    }
    let Some((leaf_der, chain)) = certs.split_first() else {
        return Err("no start line".into());
    };
    let (mut details, cert_key) = cert_details(&parse(leaf_der)?, leaf_der);
    for der in chain {
        let ca = parse(der)?;
        details.push(format!("Chain Subject: {}", dn_oneline(ca.subject())));
        details.push(format!("Chain Issuer: {}", dn_oneline(ca.issuer())));
    }
    Ok(Loaded {
        info: CertInfo::from_details(details),
        cert_key,
        private_key,
    })
}

/// A DER certificate, or OpenSSL's reason for refusing it.
fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(der)
        .map(|(_, cert)| cert)
        .map_err(|_| "wrong tag".to_string())
}

/// `show_cert_detail`'s lines for one certificate (`Serial:` to `Issuer:`), its DER being
/// `der` (the fingerprint's input), and its public key.
fn cert_details(cert: &X509Certificate, der: &[u8]) -> (Vec<String>, PublicHalf) {
    let validity = cert.validity();
    let (algorithm, key) = public_key(cert);
    let details = vec![
        format!("Serial: {}", hex(cert.tbs_certificate.raw_serial())),
        format!(
            "notBefore: {}",
            openssl_time(validity.not_before.timestamp())
        ),
        format!("notAfter: {}", openssl_time(validity.not_after.timestamp())),
        format!("Subject Alternative Name: {}", san_oneline(cert)),
        format!("Algorithm: {algorithm}"),
        format!("SHA1 FingerPrint: {}", hex(&Sha1::digest(der))),
        format!("Subject: {}", dn_oneline(cert.subject())),
        format!("Issuer: {}", dn_oneline(cert.issuer())),
    ];
    (details, key)
}

/// What a CA or CRL file's store holds: certificates and revocation lists, each as `show ssl
/// ca-file` or `show ssl crl-file` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustObject {
    /// A certificate (`Serial:` to `Issuer:`).
    Cert(Vec<String>),
    /// A revocation list (`Version` to its revoked certificates).
    Crl(Vec<String>),
}

/// Loads a CA or CRL file payload as HAProxy does (`ssl_store_load_ca_from_buf`: OpenSSL's
/// `PEM_X509_INFO_read_bio`, each object added to a store), in the order the store keeps its
/// objects. OpenSSL 3.5 keeps them in the order added; OpenSSL 3.0 sorts the store before each
/// addition, when it looks for a duplicate (`x509_object_cmp`: certificates before revocation
/// lists, then `X509_NAME_cmp` on the subject's or issuer's canonical encoding, shorter
/// first), so all but the last end up sorted (`sorted_before_each`; seen with HAProxy 2.6 on
/// Debian 12's OpenSSL 3.0). `None` when the payload holds no PEM object OpenSSL reads, which
/// HAProxy calls an invalid payload.
pub fn load_trust(payload: &[u8], sorted_before_each: bool) -> Option<Vec<TrustObject>> {
    use x509_parser::revocation_list::CertificateRevocationList;
    let mut objects: Vec<(u8, Vec<u8>, TrustObject)> = Vec::new();
    let mut read = 0;
    for block in Pem::iter_from_buffer(payload) {
        let block = block.ok()?;
        match block.label.as_str() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                let cert = parse(&block.contents).ok()?;
                let key = canonical_name(cert.subject());
                let details = cert_details(&cert, &block.contents).0;
                objects.push((1, key, TrustObject::Cert(details)));
            }
            "X509 CRL" => {
                let (_, crl) = CertificateRevocationList::from_der(&block.contents).ok()?;
                objects.push((
                    2,
                    canonical_name(crl.issuer()),
                    TrustObject::Crl(crl_details(&crl)),
                ));
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {}
            _ => continue,
        }
        read += 1;
    }
    if read == 0 {
        return None;
    }
    let mut store: Vec<(u8, Vec<u8>, TrustObject)> = Vec::new();
    for object in objects {
        if sorted_before_each {
            store.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(a.1.len().cmp(&b.1.len()))
                    .then(a.1.cmp(&b.1))
            });
        }
        store.push(object);
    }
    Some(store.into_iter().map(|(_, _, o)| o).collect())
}

/// `show_crl_detail`'s lines for one revocation list.
fn crl_details(crl: &x509_parser::revocation_list::CertificateRevocationList) -> Vec<String> {
    let version = crl.version().map_or(1, |v| v.0 + 1);
    let algorithm = &crl.signature_algorithm.algorithm;
    let algorithm = x509_parser::objects::oid2sn(algorithm, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| algorithm.to_id_string());
    let mut lines = vec![
        format!("Version {version}"),
        format!("Signature Algorithm: {algorithm}"),
        format!("Issuer: {}", dn_oneline(crl.issuer())),
        format!(
            "Last Update: {}",
            openssl_time(crl.last_update().timestamp())
        ),
        format!(
            "Next Update: {}",
            crl.next_update()
                .map_or(String::new(), |t| openssl_time(t.timestamp()))
        ),
    ];
    let revoked: Vec<_> = crl.iter_revoked_certificates().collect();
    lines.push(if revoked.is_empty() {
        "No Revoked Certificates.".into()
    } else {
        "Revoked Certificates:".into()
    });
    for r in revoked {
        lines.push(format!("    Serial Number: {}", hex(r.raw_serial())));
        lines.push(format!(
            "        Revocation Date: {}",
            openssl_time(r.revocation_date.timestamp())
        ));
    }
    lines
}

/// OpenSSL's canonical name encoding (`x509_name_canon`): each relative distinguished name
/// as a DER SET of SEQUENCE { OID, UTF8String }, the value lower-cased with runs of blanks
/// collapsed, the name's outer SEQUENCE left out.
fn canonical_name(name: &X509Name) -> Vec<u8> {
    let mut out = Vec::new();
    for rdn in name.iter() {
        let mut set = Vec::new();
        for attribute in rdn.iter() {
            let value = String::from_utf8_lossy(attribute.attr_value().data).to_lowercase();
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut sequence = der_tlv(0x06, attribute.attr_type().as_bytes());
            sequence.extend(der_tlv(0x0c, value.as_bytes()));
            set.extend(der_tlv(0x30, &sequence));
        }
        out.extend(der_tlv(0x31, &set));
    }
    out
}

/// A DER tag-length-value.
fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// Upper-case hex, as HAProxy's `dump_binary` prints serials and fingerprints.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `ASN1_TIME_print`'s format: `Dec  6 21:32:51 2026 GMT`.
fn openssl_time(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%b %e %H:%M:%S %Y GMT").to_string())
        .unwrap_or_default()
}

/// `ssl_sock_get_san_oneline`: `DNS:a, DNS:b`; a name of another type adds only its `, `.
fn san_oneline(cert: &X509Certificate) -> String {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return String::new();
    };
    san.value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(dns) => format!("DNS:{dns}"),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ssl_sock_get_dn_oneline`: `/O=…/CN=…`, OpenSSL's short names, values as stored.
fn dn_oneline(name: &X509Name) -> String {
    let registry = x509_parser::objects::oid_registry();
    let mut out = String::new();
    for attribute in name.iter_attributes() {
        let oid = attribute.attr_type();
        let short = match x509_parser::objects::oid2sn(oid, registry) {
            Ok("commonName") => "CN".to_string(),
            Ok(sn) => openssl_short_name(sn).to_string(),
            Err(_) => oid.to_id_string(),
        };
        let value = String::from_utf8_lossy(attribute.attr_value().data);
        out.push_str(&format!("/{short}={value}"));
    }
    out
}

/// OpenSSL's short names where the OID registry spells them out.
fn openssl_short_name(registry_name: &str) -> &str {
    match registry_name {
        "countryName" => "C",
        "stateOrProvinceName" => "ST",
        "localityName" => "L",
        "organizationName" => "O",
        "organizationalUnitName" => "OU",
        "emailAddress" => "emailAddress",
        "domainComponent" => "DC",
        "serialNumber" => "serialNumber",
        "userId" => "UID",
        other => other,
    }
}

/// `cert_get_pkey_algo` (`RSA2048`, `EC256`) and the key's public half.
fn public_key(cert: &X509Certificate) -> (String, PublicHalf) {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus = trim(rsa.modulus);
            let bits = bit_length(&modulus);
            (
                format!("RSA{bits}"),
                PublicHalf::Rsa(modulus, trim(rsa.exponent)),
            )
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            let bits = match curve.as_str() {
                "1.2.840.10045.3.1.7" => 256,
                "1.3.132.0.34" => 384,
                "1.3.132.0.35" => 521,
                "1.3.132.0.10" => 256,
                _ => (spki.subject_public_key.data.len().saturating_sub(1) / 2) * 8,
            };
            (
                format!("EC{bits}"),
                PublicHalf::Ec(spki.subject_public_key.data.to_vec()),
            )
        }
        Ok(PublicKey::DSA(y)) => (format!("DSA{}", bit_length(y)), PublicHalf::Unknown),
        _ => ("unknown".into(), PublicHalf::Unknown),
    }
}

fn trim(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn bit_length(unsigned: &[u8]) -> usize {
    let bytes = trim(unsigned);
    match bytes.first() {
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// The public half of a private key block (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or
/// SEC1 `EC PRIVATE KEY`).
fn private_half(label: &str, der: &[u8]) -> PublicHalf {
    let parsed = match label {
        "RSA PRIVATE KEY" => rsa_private(der),
        "EC PRIVATE KEY" => ec_private(der),
        _ => pkcs8(der),
    };
    parsed.unwrap_or(PublicHalf::Unknown)
}

/// PKCS#8 `PrivateKeyInfo`: version, algorithm, the key in an OCTET STRING.
fn pkcs8(der: &[u8]) -> Option<PublicHalf> {
    let mut info = Der::new(Der::new(der).next(0x30)?);
    info.next(0x02)?;
    let mut algorithm = Der::new(info.next(0x30)?);
    let oid = algorithm.next(0x06)?;
    let key = info.next(0x04)?;
    match oid {
        // rsaEncryption
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => rsa_private(key),
        // id-ecPublicKey
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => ec_private(key),
        _ => Some(PublicHalf::Unknown),
    }
}

/// PKCS#1 `RSAPrivateKey`: version, modulus, public exponent, …
fn rsa_private(der: &[u8]) -> Option<PublicHalf> {
    let mut key = Der::new(Der::new(der).next(0x30)?);
    key.next(0x02)?;
    let modulus = key.next(0x02)?;
    let exponent = key.next(0x02)?;
    Some(PublicHalf::Rsa(trim(modulus), trim(exponent)))
}

/// SEC1 `ECPrivateKey`: version, private key, `[0]` parameters, `[1]` public key.
fn ec_private(der: &[u8]) -> Option<PublicHalf> {
    let mut key = Der::new(Der::new(der).next(0x30)?);
    key.next(0x02)?;
    key.next(0x04)?;
    while let Some((tag, value)) = key.any() {
        if tag == 0xa1 {
            let bits = Der::new(value).next(0x03)?;
            // A BIT STRING starts with its count of unused bits.
            return Some(PublicHalf::Ec(bits.get(1..)?.to_vec()));
        }
    }
    Some(PublicHalf::Unknown)
}

/// A cursor over DER TLVs.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Der<'a> {
        Der { rest: bytes }
    }

    /// The next TLV, whatever its tag.
    fn any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            rest = &rest[count..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        self.rest = rest;
        Some((tag, value))
    }

    /// The next TLV's value when its tag is `tag`.
    fn next(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.any()? {
            (t, value) if t == tag => Some(value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(file: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tls/");
        std::fs::read(format!("{dir}{file}")).unwrap()
    }

    /// What HAProxy 3.2 printed for `show ssl cert <file>` in the capture (the first such
    /// fixture), between `Status:` and `OCSP Response Key:`: the fixtures and fixtures/tls are
    /// regenerated together.
    fn recorded_details(file: &str) -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/3.2/");
        let suffix = format!(
            "-show-ssl-cert-usr-local-etc-haproxy-tls-{}.txt",
            file.replace('.', "-")
        );
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(&suffix))
            .collect();
        names.sort();
        let text = std::fs::read_to_string(format!("{dir}{}", names[0])).unwrap();
        text.lines()
            .skip_while(|l| !l.starts_with("Status: "))
            .skip(1)
            .take_while(|l| !l.starts_with("OCSP Response Key:"))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_certificate_reads_as_haproxy_prints_it() {
        let loaded = load(&tls("site.pem")).unwrap();
        let recorded = recorded_details("site.pem");
        assert_eq!(recorded.len(), 10, "{recorded:?}");
        assert_eq!(loaded.info.details, recorded);
        assert!(loaded.key_matches());
        let api = load(&tls("api.pem")).unwrap();
        assert_eq!(api.info.kind, "ecdsa");
        assert!(api.info.details.contains(&"Algorithm: EC256".to_string()));
        assert!(api.key_matches());
    }

    #[test]
    fn a_foreign_key_does_not_match() {
        let loaded = load(&tls("wrong-key.pem")).unwrap();
        assert!(!loaded.key_matches());
        // An EC key under an RSA certificate does not match either.
        let mut mixed = tls("site-nochain.pem");
        let api = String::from_utf8(tls("api.pem")).unwrap();
        let key = &api[api.find("-----BEGIN PRIVATE KEY").unwrap()..];
        let site = String::from_utf8(mixed.clone()).unwrap();
        mixed = format!(
            "{}{key}",
            &site[..site.find("-----BEGIN PRIVATE KEY").unwrap()]
        )
        .into_bytes();
        assert!(!load(&mixed).unwrap().key_matches());
    }

    #[test]
    fn a_ca_store_orders_its_certificates_as_the_builds_openssl_does() {
        let payload = [tls("ca.pem"), tls("site.pem")].concat();
        let subjects = |sorted| -> Vec<String> {
            load_trust(&payload, sorted)
                .unwrap()
                .into_iter()
                .map(|o| match o {
                    TrustObject::Cert(lines) => lines[6].clone(),
                    TrustObject::Crl(_) => unreachable!("no revocation list in the payload"),
                })
                .collect()
        };
        // What live HAProxy 3.x (OpenSSL 3.5) and 2.6 (OpenSSL 3.0) showed for this payload.
        let root = "Subject: /O=haproxy-mcp-server tests/CN=Test Root CA";
        let site = "Subject: /CN=www.example.test";
        let intermediate = "Subject: /CN=Test Intermediate CA";
        assert_eq!(subjects(false), [root, site, intermediate]);
        assert_eq!(subjects(true), [site, root, intermediate]);
        assert_eq!(load_trust(b"not a certificate", false), None);
        let crl = load_trust(&tls("crl.pem"), false).unwrap();
        assert!(matches!(&crl[..], [TrustObject::Crl(lines)] if lines[0] == "Version 2"));
    }

    #[test]
    fn no_certificate_is_openssls_no_start_line() {
        assert_eq!(load(b"hello\n").unwrap_err(), "no start line");
    }
}
