//! The TLS store's dumps: `show ssl cert`, `show ssl cert <name>`, `show ssl crt-list [-n]
//! <list>`, `show ssl ca-file`, `show ssl crl-file`, `show ssl sni` (3.2+), and the replies of
//! the certificate transaction (`set` / `commit` / `abort ssl cert`).
//!
//! ```text
//! # transaction                      <- show ssl cert: only while a transaction is open
//! */etc/haproxy/site.pem
//! # filename
//! /etc/haproxy/api.pem
//!
//! Filename: /etc/haproxy/site.pem    <- show ssl cert <name>
//! Crt filename: /etc/haproxy/site.pem     (3.2+)
//! Option: ocsp-update off                 (3.4)
//! Status: Used
//! Serial: 1000
//! notBefore: Dec  6 11:04:44 2026 GMT
//! notAfter: Dec 31 12:04:45 2026 GMT
//! Subject Alternative Name: DNS:www.example.test, DNS:example.test
//! Algorithm: RSA2048
//! SHA1 FingerPrint: 954F78C99EE13ECFA016F708BB965AEED9CC2699
//! Subject: /CN=www.example.test
//! Issuer: /CN=Test Intermediate CA
//! Chain Subject: /CN=Test Intermediate CA          (one pair per chain certificate)
//! Chain Issuer: /O=tests/CN=Test Root CA
//! OCSP Response Key:
//! ```
//!
//! The same field names from 2.6 to 3.4; fields are read by name and unknown ones ignored.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// `show ssl cert` (or `show ssl crl-file`): the files in the store, and the open transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreList {
    /// The file an uncommitted transaction is about (HAProxy allows one at a time), if any.
    pub transaction: Option<String>,
    /// Every file, as HAProxy names it (the path it was loaded from).
    pub names: Vec<String>,
}

/// Parses `show ssl cert` / `show ssl crl-file`.
pub fn parse_store_list(text: &str) -> Result<StoreList, ParseError> {
    let mut list = StoreList::default();
    let mut in_transaction = false;
    let mut header_seen = false;
    for (n, line) in numbered_lines(text) {
        let line = line.trim_end();
        match line {
            "" => continue,
            "# transaction" => (in_transaction, header_seen) = (true, true),
            "# filename" => (in_transaction, header_seen) = (false, true),
            _ if line.starts_with('#') => {
                return Err(ParseError::new(n, format!("unexpected header {line:?}")));
            }
            // A message such as "Can't allocate memory!" (below operator level).
            _ if !header_seen => {
                return Err(ParseError::new(
                    n,
                    format!("expected `# filename`, got {line:?}"),
                ));
            }
            _ if in_transaction => {
                list.transaction = Some(line.strip_prefix('*').unwrap_or(line).to_owned());
            }
            _ => list.names.push(line.to_owned()),
        }
    }
    Ok(list)
}

/// One CA file of `show ssl ca-file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaFile {
    /// The file's name (`@system-ca` is the operating system's bundle).
    pub name: String,
    /// How many certificates it holds.
    pub certificates: u32,
}

/// `show ssl ca-file`: the CA files, and the open CA-file transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaFileList {
    /// The CA file an uncommitted transaction is about, if any.
    pub transaction: Option<String>,
    /// Every CA file.
    pub files: Vec<CaFile>,
}

/// Parses `show ssl ca-file` (`<name> - <n> certificate(s)` per line).
pub fn parse_ca_file_list(text: &str) -> Result<CaFileList, ParseError> {
    let list = parse_store_list(text)?;
    let split = |n: usize, line: &str| -> Result<(String, u32), ParseError> {
        let (name, count) = line
            .rsplit_once(" - ")
            .ok_or_else(|| ParseError::new(n, format!("no certificate count in {line:?}")))?;
        let count = count
            .split_whitespace()
            .next()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ParseError::new(n, format!("bad certificate count in {line:?}")))?;
        Ok((name.to_owned(), count))
    };
    let mut files = Vec::with_capacity(list.names.len());
    for (i, line) in list.names.iter().enumerate() {
        let (name, certificates) = split(i + 1, line)?;
        files.push(CaFile { name, certificates });
    }
    let transaction = list
        .transaction
        .map(|t| split(0, &t).map(|(n, _)| n).unwrap_or(t));
    Ok(CaFileList { transaction, files })
}

/// One certificate of a chain, as `show ssl cert` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    /// The chain certificate's subject (`/O=…/CN=…`).
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
}

/// `show ssl cert <name>` (or one `Certificate #n:` block of `show ssl ca-file <name>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertDetails {
    /// `Filename:` (a transaction's starts with `*`).
    pub filename: String,
    /// `Status:` (`Used`, `Unused`, `Empty`).
    pub status: Option<String>,
    /// `Serial:` in hex.
    pub serial: Option<String>,
    /// `notBefore:` as printed.
    pub not_before: Option<String>,
    /// `notAfter:` as printed.
    pub not_after: Option<String>,
    /// `notBefore` in seconds since the Unix epoch.
    pub not_before_epoch: Option<i64>,
    /// `notAfter` in seconds since the Unix epoch.
    pub not_after_epoch: Option<i64>,
    /// The DNS (and other) names of `Subject Alternative Name:`, without their `DNS:` prefix.
    pub sans: Vec<String>,
    /// `Algorithm:` (`RSA2048`, `EC256`, …).
    pub algorithm: Option<String>,
    /// `SHA1 FingerPrint:`.
    pub sha1: Option<String>,
    /// `Subject:`.
    pub subject: Option<String>,
    /// `Issuer:`.
    pub issuer: Option<String>,
    /// The chain HAProxy sends after the certificate, in order.
    pub chain: Vec<ChainLink>,
    /// `OCSP Response Key:` when an OCSP response is attached.
    pub ocsp_key: Option<String>,
    /// `Crt filename:`: the certificate's file, for one a `crt-store` loads under an alias
    /// (`@store/alias`, 3.0+).
    pub crt_file: Option<String>,
    /// `Key filename:`: its key's file, when the store loads it separately.
    pub key_file: Option<String>,
}

impl CertDetails {
    /// The names the certificate serves: its SANs, or when it has none the subject's CN (as
    /// HAProxy and TLS clients fall back to it).
    pub fn names(&self) -> Vec<String> {
        if !self.sans.is_empty() {
            return self.sans.clone();
        }
        self.subject
            .as_deref()
            .and_then(|s| s.split('/').find_map(|rdn| rdn.strip_prefix("CN=")))
            .map(|cn| vec![cn.trim().to_owned()])
            .unwrap_or_default()
    }

    /// Whether the certificate issued itself (a root, or a self-signed leaf).
    pub fn is_self_signed(&self) -> bool {
        self.subject.is_some() && self.subject == self.issuer
    }

    /// The issuers no certificate of the payload provides: the leaf's issuer must be the first
    /// chain certificate (unless self-signed), each chain certificate's issuer the next one; the
    /// last one may be issued by a root the clients trust.
    pub fn chain_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        let mut issuer = self.issuer.clone();
        let mut subject = self.subject.clone();
        for link in &self.chain {
            if issuer.as_deref() != Some(link.subject.as_str()) && subject != issuer {
                gaps.push(issuer.clone().unwrap_or_default());
            }
            issuer = Some(link.issuer.clone());
            subject = Some(link.subject.clone());
        }
        gaps
    }
}

/// Parses `show ssl cert <name>`.
pub fn parse_cert_details(text: &str) -> Result<CertDetails, ParseError> {
    let mut blocks = parse_blocks(text)?;
    match blocks.len() {
        1 => Ok(blocks.remove(0)),
        0 => Err(ParseError::new(1, "no certificate details")),
        _ => Ok(blocks.remove(0)),
    }
}

/// Parses `show ssl ca-file <name>`: one [`CertDetails`] per `Certificate #n:` block, each with
/// the file's name.
pub fn parse_ca_file_details(text: &str) -> Result<Vec<CertDetails>, ParseError> {
    // A CA file made by `new ssl ca-file` and not filled yet: HAProxy prints nothing at all
    // (its `Filename:` and `Status: Empty` lines go out with the first certificate, and there
    // is none; seen on 2.6.12 and 3.2.26).
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    parse_blocks(text)
}

/// Reads `Field: value` lines; a new `Serial:` after one was seen starts the next certificate of
/// a CA file.
fn parse_blocks(text: &str) -> Result<Vec<CertDetails>, ParseError> {
    let mut out: Vec<CertDetails> = Vec::new();
    let mut filename = String::new();
    let mut status = None;
    let (mut crt_file, mut key_file) = (None, None);
    let mut current: Option<CertDetails> = None;
    for (n, line) in numbered_lines(text) {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with("Certificate #") {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                n,
                format!("expected `Field: value`, got {line:?}"),
            ));
        };
        let value = value.trim();
        let owned = || (!value.is_empty()).then(|| value.to_owned());
        match key {
            "Filename" => filename = value.to_owned(),
            "Status" => status = owned(),
            // A crt-store's (3.0+): where an alias's files are.
            "Crt filename" => crt_file = owned(),
            "Key filename" => key_file = owned(),
            "Option" | "OCSP filename" | "Issuer filename" | "SCTL filename" => {}
            _ => {
                let cert = current.get_or_insert_with(CertDetails::default);
                match key {
                    "Serial" if cert.serial.is_some() => {
                        out.extend(current.take());
                        let next = current.insert(CertDetails::default());
                        next.serial = owned();
                    }
                    "Serial" => cert.serial = owned(),
                    "notBefore" => {
                        cert.not_before_epoch = Some(parse_asn1_time(n, value)?);
                        cert.not_before = owned();
                    }
                    "notAfter" => {
                        cert.not_after_epoch = Some(parse_asn1_time(n, value)?);
                        cert.not_after = owned();
                    }
                    "Subject Alternative Name" => {
                        cert.sans = value
                            .split(", ")
                            .map(|s| s.trim())
                            .filter(|s| !s.is_empty())
                            .map(|s| s.strip_prefix("DNS:").unwrap_or(s).to_owned())
                            .collect();
                    }
                    "Algorithm" => cert.algorithm = owned(),
                    "SHA1 FingerPrint" => cert.sha1 = owned(),
                    "Subject" => cert.subject = owned(),
                    "Issuer" => cert.issuer = owned(),
                    "Chain Subject" => cert.chain.push(ChainLink {
                        subject: value.to_owned(),
                        issuer: String::new(),
                    }),
                    "Chain Issuer" => match cert.chain.last_mut() {
                        Some(link) if link.issuer.is_empty() => link.issuer = value.to_owned(),
                        _ => {
                            return Err(ParseError::new(n, "Chain Issuer without Chain Subject"));
                        }
                    },
                    "OCSP Response Key" => cert.ocsp_key = owned(),
                    _ => {}
                }
            }
        }
    }
    if filename.is_empty() {
        // e.g. "Can't display the certificate: Not found or the certificate is a bundle!"
        return Err(ParseError::new(
            1,
            "no `Filename:` line: not a certificate dump",
        ));
    }
    out.extend(current);
    for cert in &mut out {
        cert.filename.clone_from(&filename);
        cert.status.clone_from(&status);
        cert.crt_file.clone_from(&crt_file);
        cert.key_file.clone_from(&key_file);
    }
    if out.is_empty() && !filename.is_empty() {
        // A file with nothing loaded yet (`new ssl cert`): Status: Empty.
        out.push(CertDetails {
            filename,
            status,
            ..CertDetails::default()
        });
    }
    Ok(out)
}

/// Reads OpenSSL's `ASN1_TIME_print` form, `Dec 31 12:04:45 2026 GMT`, into Unix seconds.
pub fn parse_asn1_time(line: usize, text: &str) -> Result<i64, ParseError> {
    let bad = || ParseError::new(line, format!("unreadable date {text:?}"));
    let mut words = text.split_whitespace();
    let (Some(mon), Some(day), Some(time), Some(year)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad());
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == mon).ok_or_else(bad)? as i64 + 1;
    let day: i64 = day.parse().map_err(|_| bad())?;
    let year: i64 = year.parse().map_err(|_| bad())?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [h, m, s] = hms[..] else {
        return Err(bad());
    };
    Ok(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One `Certificate Revocation List #n:` block of `show ssl crl-file <name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Crl {
    /// `Issuer:`, the CA that signed it.
    pub issuer: Option<String>,
    /// `Last Update:` as printed.
    pub last_update: Option<String>,
    /// `Next Update:` as printed: when clients consider the list stale.
    pub next_update: Option<String>,
    /// `Next Update` in seconds since the Unix epoch.
    pub next_update_epoch: Option<i64>,
    /// How many certificates it revokes (`Serial Number:` lines).
    pub revoked: usize,
}

/// `show ssl crl-file <name>` (or `*<name>`, the open transaction's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CrlFile {
    /// `Filename:` (a transaction's starts with `*`).
    pub filename: String,
    /// `Status:`.
    pub status: Option<String>,
    /// The revocation lists it holds, in order; none when HAProxy read no CRL from the file
    /// (2.6 to 3.4 accept a certificate as a CRL file's payload and show just this).
    pub lists: Vec<Crl>,
}

/// Parses `show ssl crl-file <name>`.
pub fn parse_crl_details(text: &str) -> Result<CrlFile, ParseError> {
    let mut file = CrlFile::default();
    for (n, line) in numbered_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("Certificate Revocation List #") {
            file.lists.push(Crl::default());
            continue;
        }
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        let owned = || (!value.is_empty()).then(|| value.to_owned());
        match (key, file.lists.last_mut()) {
            ("Filename", _) => file.filename = value.to_owned(),
            ("Status", _) => file.status = owned(),
            ("Issuer", Some(crl)) => crl.issuer = owned(),
            ("Last Update", Some(crl)) => crl.last_update = owned(),
            ("Next Update", Some(crl)) => {
                crl.next_update_epoch = Some(parse_asn1_time(n, value)?);
                crl.next_update = owned();
            }
            ("Serial Number", Some(crl)) => crl.revoked += 1,
            _ => {}
        }
    }
    if file.filename.is_empty() {
        return Err(ParseError::new(
            1,
            "no `Filename:` line: not a CRL file dump",
        ));
    }
    Ok(file)
}

/// One line of a crt-list (`show ssl crt-list -n <list>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrtListEntry {
    /// The certificate file.
    pub certificate: String,
    /// Its line number in the list (with `-n`).
    pub line: Option<u32>,
    /// The bracketed SSL options (`alpn h2,http/1.1`), if any.
    pub options: Option<String>,
    /// The SNI filters it serves.
    pub snis: Vec<String>,
    /// The negative filters (`!*.internal`), without the `!`.
    pub excluded_snis: Vec<String>,
}

/// `show ssl crt-list <list>`: the list's name and its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CrtList {
    /// The crt-list file.
    pub name: String,
    /// Its lines, in order.
    pub entries: Vec<CrtListEntry>,
}

/// Parses `show ssl crt-list` without an argument: one crt-list name per line.
pub fn parse_crt_list_names(text: &str) -> Result<Vec<String>, ParseError> {
    Ok(numbered_lines(text)
        .map(|(_, l)| l.trim_end())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// Parses `show ssl crt-list [-n] <list>`. HAProxy 2.6 … 3.4 print a NUL byte at the end of an
/// `alpn` option; it is dropped.
pub fn parse_crt_list(text: &str) -> Result<CrtList, ParseError> {
    let mut list = CrtList::default();
    for (n, line) in numbered_lines(text) {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("# ") {
            list.name = name.to_owned();
            continue;
        }
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (certificate, number) = match head.rsplit_once(':') {
            Some((c, num)) if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => {
                (c.to_owned(), num.parse().ok())
            }
            _ => (head.to_owned(), None),
        };
        if certificate.is_empty() {
            return Err(ParseError::new(n, "crt-list line without a certificate"));
        }
        let mut rest = rest.trim_start();
        let mut options = None;
        if let Some(open) = rest.strip_prefix('[') {
            let (inside, after) = open
                .split_once(']')
                .ok_or_else(|| ParseError::new(n, "unterminated `[` in crt-list line"))?;
            options = Some(inside.replace('\0', "").trim().to_owned());
            rest = after.trim_start();
        }
        let (mut snis, mut excluded_snis) = (Vec::new(), Vec::new());
        for filter in rest.split_whitespace() {
            match filter.strip_prefix('!') {
                Some(neg) => excluded_snis.push(neg.to_owned()),
                None => snis.push(filter.to_owned()),
            }
        }
        list.entries.push(CrtListEntry {
            certificate,
            line: number,
            options,
            snis,
            excluded_snis,
        });
    }
    Ok(list)
}

/// One row of `show ssl sni` (3.2+): which certificate a bind serves for one server name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SniRow {
    /// The frontend.
    pub frontend: String,
    /// The bind line (`file:line` unless named).
    pub bind: String,
    /// The server name (`*` for the default certificate).
    pub sni: String,
    /// A negative filter, when the line has one.
    pub negative_filter: Option<String>,
    /// `rsa`, `ecdsa`, `dsa`.
    pub key_type: String,
    /// The certificate file.
    pub certificate: String,
    /// `NotAfter` as printed.
    pub not_after: String,
}

/// Parses `show ssl sni` (tab-separated, header `# Frontend/Bind\tSNI\t…`).
pub fn parse_sni(text: &str) -> Result<Vec<SniRow>, ParseError> {
    let mut rows = Vec::new();
    for (n, line) in numbered_lines(text) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            return Err(ParseError::new(
                n,
                format!("expected 7 columns, got {}", cols.len()),
            ));
        }
        // Proxy names cannot hold '/', so the frontend ends at the first one.
        let (frontend, bind) = cols[0].split_once('/').unwrap_or((cols[0], ""));
        rows.push(SniRow {
            frontend: frontend.to_owned(),
            bind: bind.to_owned(),
            sni: cols[1].to_owned(),
            negative_filter: (cols[2] != "-").then(|| cols[2].to_owned()),
            key_type: cols[3].to_owned(),
            certificate: cols[4].to_owned(),
            not_after: cols.get(5).copied().unwrap_or("").to_owned(),
        });
    }
    Ok(rows)
}

/// The warnings `add ssl crt-list` printed between `Inserting certificate …` (and its progress
/// dots) and `Success!`, one per line.
pub fn insertion_warnings(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("Inserting certificate ")
                && *l != "Success!"
                && !l.bytes().all(|b| b == b'.')
        })
        .map(str::to_owned)
        .collect()
}

/// What `set ssl cert` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TransactionStart {
    /// `Transaction created for certificate <name>!`: a new transaction.
    Created,
    /// `Transaction updated for certificate <name>!`: one was already open for that name (or,
    /// on 2.6, for another `.pem`: 2.6 does not compare names there).
    Updated,
}

/// Reads `set ssl cert`'s answer (`Transaction created for certificate <name>!`) or `set ssl
/// ca-file`'s (`transaction created for CA <name>!`): which kind, and the file HAProxy says the
/// transaction is about.
pub fn parse_transaction_start(text: &str) -> Option<(TransactionStart, String)> {
    text.lines().find_map(|line| {
        let (kind, rest) = [
            (
                "Transaction created for certificate ",
                TransactionStart::Created,
            ),
            (
                "Transaction updated for certificate ",
                TransactionStart::Updated,
            ),
            ("transaction created for CA ", TransactionStart::Created),
            ("transaction updated for CA ", TransactionStart::Updated),
            ("transaction created for CRL ", TransactionStart::Created),
            ("transaction updated for CRL ", TransactionStart::Updated),
        ]
        .iter()
        .find_map(|(lead, kind)| line.strip_prefix(lead).map(|r| (*kind, r)))?;
        Some((kind, rest.trim_end().trim_end_matches('!').to_owned()))
    })
}

/// Whether `commit ssl cert`'s answer ends in `Success!` (it prints `Committing <name>`, a dot
/// per instance rebuilt, then `Success!` or `Failed!` with the reason).
pub fn commit_succeeded(text: &str) -> bool {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim() == "Success!")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETAILS: &str = "Filename: /tls/site.pem\nCrt filename: /tls/site.pem\nStatus: Used\nSerial: 1000\nnotBefore: Dec  6 11:04:44 2026 GMT\nnotAfter: Dec 31 12:04:45 2026 GMT\nSubject Alternative Name: DNS:www.example.test, DNS:example.test\nAlgorithm: RSA2048\nSHA1 FingerPrint: 954F\nSubject: /CN=www.example.test\nIssuer: /CN=Inter\nChain Subject: /CN=Inter\nChain Issuer: /CN=Root\nOCSP Response Key: \n";

    #[test]
    fn details() {
        let d = parse_cert_details(DETAILS).unwrap();
        assert_eq!(d.filename, "/tls/site.pem");
        assert_eq!(d.status.as_deref(), Some("Used"));
        assert_eq!(d.sans, ["www.example.test", "example.test"]);
        assert_eq!(d.not_after_epoch, Some(1_798_718_685));
        assert_eq!(d.chain.len(), 1);
        assert!(d.chain_gaps().is_empty());
        assert_eq!(d.ocsp_key, None);
        assert_eq!(d.crt_file.as_deref(), Some("/tls/site.pem"));
        assert_eq!(d.key_file, None);
        let aliased = parse_cert_details(&DETAILS.replace(
            "Filename: /tls/site.pem\nCrt filename: /tls/site.pem\n",
            "Filename: @web/shop\nCrt filename: site.crt\nKey filename: site.key\n",
        ))
        .unwrap();
        assert_eq!(
            (
                aliased.filename.as_str(),
                aliased.crt_file.as_deref(),
                aliased.key_file.as_deref()
            ),
            ("@web/shop", Some("site.crt"), Some("site.key"))
        );
        let no_chain = parse_cert_details(
            &DETAILS.replace("Chain Subject: /CN=Inter\nChain Issuer: /CN=Root\n", ""),
        )
        .unwrap();
        assert!(
            no_chain.chain_gaps().is_empty(),
            "a leaf without chain has no gap to check"
        );
    }

    #[test]
    fn a_new_empty_ca_file_is_an_empty_reply() {
        assert_eq!(parse_ca_file_details("").unwrap(), Vec::new());
        assert_eq!(parse_ca_file_details("\n").unwrap(), Vec::new());
        assert!(parse_ca_file_details("garbage\n").is_err());
    }

    #[test]
    fn crl_files() {
        let f = parse_crl_details(
            "Filename: /tls/crl.pem\nStatus: Used\n \nCertificate Revocation List #1:\nVersion 2\nSignature Algorithm: sha256WithRSAEncryption\nIssuer: /CN=Root\nLast Update: Dec  6 22:29:45 2026 GMT\nNext Update: Jan  1 00:00:00 2024 GMT\nRevoked Certificates:\n    Serial Number: 1001\n        Revocation Date: Dec  6 22:29:45 2026 GMT\n",
        )
        .unwrap();
        assert_eq!(f.lists.len(), 1);
        assert_eq!(f.lists[0].issuer.as_deref(), Some("/CN=Root"));
        assert_eq!(f.lists[0].next_update_epoch, Some(1_704_067_200));
        assert_eq!(f.lists[0].revoked, 1);
        let empty = parse_crl_details("Filename: */tls/crl.pem\nStatus: Unused\n").unwrap();
        assert!(empty.lists.is_empty());
        assert!(parse_crl_details("Can't display the CRL file : Not found!\n").is_err());
    }

    #[test]
    fn chain_gap_found() {
        let d = parse_cert_details(
            &DETAILS.replace("Chain Subject: /CN=Inter", "Chain Subject: /CN=Other"),
        )
        .unwrap();
        assert_eq!(d.chain_gaps(), ["/CN=Inter"]);
    }

    #[test]
    fn epoch() {
        assert_eq!(parse_asn1_time(1, "Jan  1 00:00:00 1970 GMT").unwrap(), 0);
        assert_eq!(
            parse_asn1_time(1, "Jan  1 00:00:00 2024 GMT").unwrap(),
            1_704_067_200
        );
        assert!(parse_asn1_time(1, "soon").is_err());
    }

    #[test]
    fn lists() {
        let l = parse_store_list("# transaction\n*/a.pem\n# filename\n/a.pem\n/b.pem\n").unwrap();
        assert_eq!(l.transaction.as_deref(), Some("/a.pem"));
        assert_eq!(l.names, ["/a.pem", "/b.pem"]);
        let ca = parse_ca_file_list(
            "# filename\n/ca.pem - 1 certificate(s)\n@system-ca - 145 certificate(s)\n",
        )
        .unwrap();
        assert_eq!(ca.files[1].certificates, 145);
        let c = parse_crt_list("# /l.txt\n/s.pem:1 [alpn h2,http/1.1\0] www.x example.x\n/o.pem:3 !*.internal legacy.x\n/p.pem\n").unwrap();
        assert_eq!(c.name, "/l.txt");
        assert_eq!(c.entries[0].options.as_deref(), Some("alpn h2,http/1.1"));
        assert_eq!(c.entries[0].line, Some(1));
        assert_eq!(c.entries[1].excluded_snis, ["*.internal"]);
        assert_eq!(c.entries[2].certificate, "/p.pem");
    }

    #[test]
    fn transaction_replies() {
        assert_eq!(
            parse_transaction_start("Transaction created for certificate /a.pem!\n"),
            Some((TransactionStart::Created, "/a.pem".to_owned()))
        );
        assert!(commit_succeeded("Committing /a.pem.\nSuccess!\n"));
        assert!(!commit_succeeded("Committing /a.pem\nerror\nFailed!\n"));
    }
}
