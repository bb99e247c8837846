//! Validated argument types: what a caller may name, checked before any command is built.
//!
//! The encoder already makes injection impossible; these types add HAProxy's own rules so that a
//! bad name is refused with a clear message instead of reaching HAProxy (which would answer with
//! something vague, or in the case of `set table … key notip` silently store `0.0.0.0`).

use std::fmt;
use std::net::IpAddr;

/// An argument that failed validation. Names the argument and says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {argument} {value:?}: {reason}")]
pub struct ArgError {
    /// Which argument (e.g. "backend name").
    pub argument: &'static str,
    /// The rejected value, as given (shortened if very long).
    pub value: String,
    /// What is allowed instead.
    pub reason: String,
}

impl ArgError {
    /// Builds an error, shortening very long values so the message stays readable.
    pub fn new(argument: &'static str, value: &str, reason: impl Into<String>) -> Self {
        let value = if value.chars().count() > 80 {
            let mut short: String = value.chars().take(77).collect();
            short.push_str("...");
            short
        } else {
            value.to_owned()
        };
        Self {
            argument,
            value,
            reason: reason.into(),
        }
    }

    /// The same error, naming the tool argument it came from (`from`, `guid`) instead of the
    /// kind of value.
    pub fn for_argument(mut self, argument: &'static str) -> Self {
        self.argument = argument;
        self
    }
}

/// Longest identifier accepted; HAProxy has no hard limit but real names are short, and a cap
/// keeps every command far below the line limit.
const MAX_NAME_LEN: usize = 256;

/// Checks HAProxy's identifier rule (`invalid_char()`: letters, digits, `-`, `_`, `.`, `:`), or a
/// numeric reference `#<id>`.
fn check_ident(argument: &'static str, value: &str) -> Result<(), ArgError> {
    if value.is_empty() {
        return Err(ArgError::new(argument, value, "it must not be empty"));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(ArgError::new(
            argument,
            value,
            format!("it is longer than {MAX_NAME_LEN} bytes"),
        ));
    }
    if let Some(id) = value.strip_prefix('#') {
        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        return Err(ArgError::new(
            argument,
            value,
            "a numeric reference is '#' followed by digits, e.g. #3",
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(ArgError::new(
            argument,
            value,
            format!(
                "{bad:?} is not allowed; HAProxy names use only letters, digits, '-', '_', '.' \
                 and ':' (or '#<id>')"
            ),
        ));
    }
    Ok(())
}

macro_rules! ident_type {
    ($(#[$doc:meta])* $name:ident, $argument:literal) => {
        ident_type!($(#[$doc])* $name, $argument, check_ident);
    };
    ($(#[$doc:meta])* $name:ident, $argument:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates a name (or `#<id>`) against HAProxy's identifier rules.
            pub fn new(value: impl Into<String>) -> Result<Self, ArgError> {
                let value = value.into();
                $check($argument, &value)?;
                Ok(Self(value))
            }

            /// The name as HAProxy knows it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

ident_type!(
    /// A backend, frontend or proxy name, or `#<id>`.
    ProxyName,
    "proxy name"
);
ident_type!(
    /// A server name inside a backend, or `#<id>`.
    ServerName,
    "server name"
);
ident_type!(
    /// A `resolvers` or `peers` section's name.
    SectionName,
    "section name"
);

ident_type!(
    /// A stick-table name: the section that declares it, or `<peers>/<table>` for a table
    /// declared in a `peers` section (as HAProxy names those), or `#<id>`.
    TableName,
    "table name",
    check_table_name
);

/// A table name is one identifier, or two joined by one `/` (`<peers>/<table>`, no `#<id>`).
fn check_table_name(argument: &'static str, value: &str) -> Result<(), ArgError> {
    let Some((peers, table)) = value.split_once('/') else {
        return check_ident(argument, value);
    };
    for part in [peers, table] {
        if part.starts_with('#') {
            return Err(ArgError::new(
                argument,
                value,
                "a peers table is named `<peers>/<table>`, without '#'",
            ));
        }
        check_ident(argument, part).map_err(|e| ArgError::new(argument, value, e.reason))?;
    }
    Ok(())
}

/// `backend/server`, the way every server command names its server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerRef {
    /// The backend.
    pub backend: ProxyName,
    /// The server inside it.
    pub server: ServerName,
}

impl ServerRef {
    /// From names already validated.
    pub fn from_parts(backend: ProxyName, server: ServerName) -> Self {
        Self { backend, server }
    }

    /// Validates both names.
    pub fn new(backend: &str, server: &str) -> Result<Self, ArgError> {
        Ok(Self {
            backend: ProxyName::new(backend)?,
            server: ServerName::new(server)?,
        })
    }

    /// Parses `backend/server`.
    pub fn parse(value: &str) -> Result<Self, ArgError> {
        match value.split_once('/') {
            Some((b, s)) => Self::new(b, s),
            None => Err(ArgError::new(
                "server reference",
                value,
                "expected '<backend>/<server>'",
            )),
        }
    }
}

impl fmt::Display for ServerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.backend, self.server)
    }
}

/// A map or ACL: `#<id>` from `show map`/`show acl`, or the file name it was loaded from.
///
/// A name is only looked up among what HAProxy already loaded; nothing is ever opened from disk,
/// so path-like names are harmless, but control characters and blanks are refused because no
/// loaded file can have them in a usable way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapName(String);

impl MapName {
    /// Validates a map or ACL reference.
    pub fn new(value: impl Into<String>) -> Result<Self, ArgError> {
        let value = value.into();
        if let Some(id) = value.strip_prefix('#') {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ArgError::new(
                    "map or ACL reference",
                    &value,
                    "a numeric reference is '#' followed by digits, e.g. #4",
                ));
            }
            return Ok(Self(value));
        }
        if value.is_empty() || value.len() > 4096 {
            return Err(ArgError::new(
                "map or ACL name",
                &value,
                "give the file name shown by show_map/show_acl, or '#<id>'",
            ));
        }
        if value.starts_with('@') {
            return Err(ArgError::new(
                "map or ACL name",
                &value,
                "a name cannot start with '@' (that is how versions are written)",
            ));
        }
        if let Some(bad) = value.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(ArgError::new(
                "map or ACL name",
                &value,
                format!("{bad:?} is not allowed in a map or ACL name"),
            ));
        }
        Ok(Self(value))
    }

    /// The reference as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file of HAProxy's TLS store: a certificate, crt-list, CA file or CRL file, named as `show ssl
/// cert` (…`crt-list`, `ca-file`, `crl-file`) lists it — the path it was loaded from.
///
/// Only names HAProxy already holds are ever looked up; `*` (how a transaction is shown) and
/// control characters or blanks are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFileName(String);

impl TlsFileName {
    /// Validates a TLS store file name.
    pub fn new(value: impl Into<String>) -> Result<Self, ArgError> {
        let value = value.into();
        if value.is_empty() || value.len() > 4096 {
            return Err(ArgError::new(
                "certificate name",
                &value,
                "give the name list_certificates shows (the path HAProxy loaded it from)",
            ));
        }
        if value.starts_with('*') {
            return Err(ArgError::new(
                "certificate name",
                &value,
                "'*' marks an uncommitted transaction; give the certificate's own name",
            ));
        }
        if let Some(bad) = value.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(ArgError::new(
                "certificate name",
                &value,
                format!("{bad:?} is not allowed in a certificate name"),
            ));
        }
        Ok(Self(value))
    }

    /// The name as HAProxy knows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TlsFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An OCSP certificate ID key as HAProxy prints it (`show ssl cert`'s `OCSP Response Key`,
/// `show ssl ocsp-response`'s `Certificate ID key`): the hex DER of the OCSP CertID. Only hex
/// digits, at most [`MAX_OCSP_KEY_HEX`] of them (HAProxy's OCSP_MAX_CERTID_ASN1_LENGTH is 128
/// bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OcspKey(String);

/// Longest OCSP certificate ID key, in hex digits.
const MAX_OCSP_KEY_HEX: usize = 256;

impl OcspKey {
    /// Validates an OCSP certificate ID key.
    pub fn new(value: impl Into<String>) -> Result<Self, ArgError> {
        let value = value.into();
        let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
        if value.is_empty() || value.len() > MAX_OCSP_KEY_HEX || value.len() % 2 != 0 || !hex {
            return Err(ArgError::new(
                "OCSP key",
                &value,
                "give the OCSP Response Key list_certificates shows (hex digits)",
            ));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    /// The key as HAProxy takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The DER bytes of the certificate ID it stands for.
    pub fn der(&self) -> Vec<u8> {
        (0..self.0.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&self.0[i..i + 2], 16).ok())
            .collect()
    }
}

impl fmt::Display for OcspKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest SSL option text of one crt-list line, and most SNI filters on it: far above real
/// lines, far below HAProxy's line limit.
const MAX_CRT_LIST_OPTIONS: usize = 1024;
const MAX_SNI_FILTERS: usize = 64;

/// One crt-list line to add (`add ssl crt-list <list> <<` + the line): a certificate HAProxy
/// holds, the SSL options applied to it on that line (the text between `[` and `]`, e.g.
/// `alpn h2,http/1.1 ssl-min-ver TLSv1.2`) and its SNI filters (`!name` excludes).
///
/// Only the line's syntax is checked here (characters a crt-list line cannot hold, filter
/// shapes); whether HAProxy knows each option is HAProxy's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrtListLine {
    certificate: TlsFileName,
    options: Option<String>,
    filters: Vec<String>,
}

impl CrtListLine {
    /// Validates the options and filters of a line serving `certificate`.
    pub fn new(
        certificate: TlsFileName,
        options: Option<&str>,
        filters: &[String],
    ) -> Result<Self, ArgError> {
        let options = match options.map(str::trim) {
            None | Some("") => None,
            Some(o) => {
                if o.len() > MAX_CRT_LIST_OPTIONS {
                    return Err(ArgError::new(
                        "crt-list options",
                        o,
                        format!("at most {MAX_CRT_LIST_OPTIONS} bytes"),
                    ));
                }
                if let Some(bad) = o
                    .chars()
                    .find(|c| !(c.is_ascii_graphic() || *c == ' ') || "[]#\\\"'".contains(*c))
                {
                    return Err(ArgError::new(
                        "crt-list options",
                        o,
                        format!(
                            "{bad:?} cannot appear in a crt-list line's options; give keywords and values separated by blanks, e.g. `alpn h2,http/1.1 ssl-min-ver TLSv1.2`"
                        ),
                    ));
                }
                Some(o.split_whitespace().collect::<Vec<_>>().join(" "))
            }
        };
        if filters.len() > MAX_SNI_FILTERS {
            return Err(ArgError::new(
                "SNI filters",
                &filters.join(" "),
                format!("at most {MAX_SNI_FILTERS} on one line"),
            ));
        }
        for f in filters {
            let name = f.strip_prefix('!').unwrap_or(f);
            let name_ok = !name.is_empty()
                && name.len() <= 253
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._*".contains(c));
            if !name_ok {
                return Err(ArgError::new(
                    "SNI filter",
                    f,
                    "give a host name, a wildcard such as `*.example.com`, or `!name` to exclude one",
                ));
            }
        }
        Ok(Self {
            certificate,
            options,
            filters: filters.to_vec(),
        })
    }

    /// The certificate the line serves.
    pub fn certificate(&self) -> &TlsFileName {
        &self.certificate
    }

    /// The line as a crt-list file holds it: `<cert> [<options>] <filters>…`.
    pub fn render(&self) -> String {
        let mut line = self.certificate.as_str().to_owned();
        if let Some(o) = &self.options {
            line.push_str(&format!(" [{o}]"));
        }
        for f in &self.filters {
            line.push(' ');
            line.push_str(f);
        }
        line
    }
}

/// Free text sent as one word (a map key or value, an ACL pattern, an agent-send string):
/// non-empty, at most `max` bytes, no control characters (line breaks, CR, NUL, …), no `;` and
/// no trailing backslash. Blanks and other backslashes are fine: the encoder escapes them.
pub fn text(argument: &'static str, value: &str, max: usize) -> Result<String, ArgError> {
    if value.is_empty() {
        return Err(ArgError::new(argument, value, "it must not be empty"));
    }
    if value.len() > max {
        return Err(ArgError::new(
            argument,
            value,
            format!(
                "it is {} bytes long; at most {max} are accepted",
                value.len()
            ),
        ));
    }
    if let Some(bad) = value.chars().find(|c| c.is_control()) {
        return Err(ArgError::new(
            argument,
            value,
            format!(
                "{bad:?} cannot be sent to HAProxy's CLI; remove line breaks, control characters and NUL bytes"
            ),
        ));
    }
    // The encoder could escape these, but they are exactly what command injection looks like,
    // so they are refused outright: a caller never wants them, and a clear error is safer than
    // storing them verbatim.
    if value.contains(';') {
        return Err(ArgError::new(
            argument,
            value,
            "';' is refused: HAProxy's CLI uses it to separate commands",
        ));
    }
    if value.ends_with('\\') {
        return Err(ArgError::new(
            argument,
            value,
            "a trailing backslash is refused: HAProxy's CLI would read it as an escape",
        ));
    }
    Ok(value.to_owned())
}

/// A secret sent as one word (a dynamic-cookie key): [`text`]'s rules, but an error never
/// shows the value, and neither does `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretWord(String);

impl SecretWord {
    /// Validates a secret of at most `max` bytes.
    pub fn new(argument: &'static str, value: &str, max: usize) -> Result<Self, ArgError> {
        text(argument, value, max).map(Self).map_err(|e| {
            // The control-character message quotes the character; say it without.
            let reason = if e.reason.contains("cannot be sent") {
                "control characters (line breaks, NUL bytes, …) cannot be sent to HAProxy's CLI"
                    .to_owned()
            } else {
                e.reason
            };
            ArgError::new(argument, "<secret>", reason)
        })
    }

    /// The secret, to send.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretWord(<secret>)")
    }
}

/// Whether `value` is a DNS host name: labels of letters, digits and `-` (not at either end),
/// at most 63 bytes each and 253 in all.
fn is_dns_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A DNS name for `set server … fqdn`: labels of letters, digits and `-` (not at either end),
/// at most 63 bytes each and 253 in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fqdn(String);

impl Fqdn {
    /// Validates a DNS name (an IP address is not one).
    pub fn new(value: &str) -> Result<Self, ArgError> {
        if is_dns_name(value) && value.parse::<IpAddr>().is_err() {
            Ok(Self(value.to_owned()))
        } else {
            Err(ArgError::new(
                "FQDN",
                value,
                "expected a DNS name such as app.example.com (letters, digits, '-' and dots; \
                 no empty label, no address, no port)",
            ))
        }
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A server address for `add server` / `set server … addr`: an IPv4 or IPv6 address, or a host
/// name (dynamic servers do not resolve it, but HAProxy accepts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress(String);

impl ServerAddress {
    /// Validates an IP address or DNS host name.
    pub fn new(value: &str) -> Result<Self, ArgError> {
        if value.parse::<IpAddr>().is_ok() {
            return Ok(Self(value.to_owned()));
        }
        if is_dns_name(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ArgError::new(
                "server address",
                value,
                "expected an IPv4 address, an IPv6 address or a DNS host name (no port here: \
                 give the port separately)",
            ))
        }
    }

    /// Whether this is an IPv6 literal (which needs brackets before a port).
    pub fn is_ipv6(&self) -> bool {
        matches!(self.0.parse::<IpAddr>(), Ok(IpAddr::V6(_)))
    }

    /// `addr:port` as HAProxy's `add server` expects it (`[v6]:port` for IPv6).
    pub fn with_port(&self, port: Option<u16>) -> String {
        match (port, self.is_ipv6()) {
            (None, _) => self.0.clone(),
            (Some(p), true) => format!("[{}]:{p}", self.0),
            (Some(p), false) => format!("{}:{p}", self.0),
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A TCP port, 1–65535.
pub fn port(argument: &'static str, value: u32) -> Result<u16, ArgError> {
    match u16::try_from(value) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ArgError::new(
            argument,
            &value.to_string(),
            "a port is between 1 and 65535",
        )),
    }
}

/// A new server weight: absolute (0–256) or relative to the configured weight (`N%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// An absolute weight, 0–256.
    Absolute(u16),
    /// A percentage of the initial weight, 0–1000 (HAProxy caps the result at 256).
    Percent(u16),
}

impl Weight {
    /// Validates an absolute weight.
    pub fn absolute(value: u32) -> Result<Self, ArgError> {
        match u16::try_from(value) {
            Ok(w) if w <= 256 => Ok(Self::Absolute(w)),
            _ => Err(ArgError::new(
                "weight",
                &value.to_string(),
                "an absolute weight is between 0 and 256",
            )),
        }
    }

    /// Validates a percentage of the initial weight.
    pub fn percent(value: u32) -> Result<Self, ArgError> {
        match u16::try_from(value) {
            Ok(p) if p <= 1000 => Ok(Self::Percent(p)),
            _ => Err(ArgError::new(
                "weight percentage",
                &value.to_string(),
                "a relative weight is between 0% and 1000% of the initial weight",
            )),
        }
    }

    /// Parses `12` or `50%`.
    pub fn parse(value: &str) -> Result<Self, ArgError> {
        let (digits, percent) = match value.strip_suffix('%') {
            Some(d) => (d, true),
            None => (value, false),
        };
        let n: u32 = digits.parse().map_err(|_| {
            ArgError::new(
                "weight",
                value,
                "expected a number 0–256, or a percentage such as 50%",
            )
        })?;
        if percent {
            Self::percent(n)
        } else {
            Self::absolute(n)
        }
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absolute(w) => write!(f, "{w}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// A stream id as printed by `show sess` (`0x55eb48350c30`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// Validates `0x` followed by hexadecimal digits (a trailing `:` from `show sess` is allowed).
    pub fn new(value: &str) -> Result<Self, ArgError> {
        let v = value.strip_suffix(':').unwrap_or(value);
        match v.strip_prefix("0x") {
            Some(hex)
                if !hex.is_empty()
                    && hex.len() <= 16
                    && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Ok(Self(v.to_owned()))
            }
            _ => Err(ArgError::new(
                "session id",
                value,
                "expected the 0x… id shown by show_sessions, e.g. 0x55eb48350c30",
            )),
        }
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stick-table data type name: `gpc0`, `http_req_rate`, or one element of an array type
/// (`gpc[1]`, `gpt[0]`, `gpc_rate[2]`: tables that store `gpc(N)` and the like, 2.5+).
pub fn data_type(value: &str) -> Result<String, ArgError> {
    let name_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let (name, index) = match value.strip_suffix(']').and_then(|v| v.split_once('[')) {
        Some((name, index)) => (name, Some(index)),
        None => (value, None),
    };
    if !name.is_empty()
        && value.len() <= 64
        && name.bytes().all(name_char)
        && index
            .is_none_or(|i| !i.is_empty() && i.len() <= 3 && i.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(value.to_owned())
    } else {
        Err(ArgError::new(
            "stick-table data type",
            value,
            "expected a data type name such as gpc0, conn_cur, http_req_rate or gpc[1]",
        ))
    }
}

/// Checks a value for `set table … data.<type> <value>` against what the type holds. HAProxy
/// reads the value as a 64-bit integer and stores it in the type's width without a word: -1 in
/// a 32-bit counter reads back as 4294967295, 99999999999 as 1215752191 (seen on 2.6 to 3.4).
/// `server_id` is a signed 32-bit integer, the byte counts 64-bit, every other type (counters,
/// `gpt0`, rates) an unsigned 32-bit integer.
pub fn data_value(data_type: &str, value: i64) -> Result<i64, ArgError> {
    let (min, max, holds) = match data_type {
        "server_id" => (
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            "a signed 32-bit integer",
        ),
        "bytes_in_cnt" | "bytes_out_cnt" => (0, i64::MAX, "a count of bytes, from 0"),
        _ => (0, i64::from(u32::MAX), "0 to 4294967295"),
    };
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ArgError::new(
            "stick-table value",
            &value.to_string(),
            format!("{data_type} holds {holds}; HAProxy would silently store another number"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values_fit_their_type() {
        assert!(data_value("gpc0", 4_294_967_295).is_ok());
        assert!(data_value("gpc0", -1).is_err());
        assert!(data_value("http_req_rate", 99_999_999_999).is_err());
        assert!(data_value("server_id", -3).is_ok());
        assert!(data_value("bytes_in_cnt", 99_999_999_999).is_ok());
    }

    #[test]
    fn ocsp_keys_are_hex() {
        let k = OcspKey::new("303B0a").unwrap();
        assert_eq!(k.as_str(), "303b0a");
        assert_eq!(k.der(), vec![0x30, 0x3b, 0x0a]);
        for bad in [
            "",
            "abc",
            "30 3b",
            "303g",
            "/tls/site.pem",
            &"00".repeat(129),
        ] {
            assert!(OcspKey::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fqdns_are_dns_names() {
        assert_eq!(Fqdn::new("app.svc.test").unwrap().as_str(), "app.svc.test");
        for bad in [
            "",
            "not..valid",
            "-a.b",
            "a b",
            "127.0.0.1",
            "a.b:80",
            "x;y",
        ] {
            let e = Fqdn::new(bad).unwrap_err();
            assert!(!e.reason.contains("  "), "{bad}: {e}");
        }
    }

    #[test]
    fn table_names_take_a_peers_section_prefix() {
        assert_eq!(
            TableName::new("mesh/st_clients").unwrap().as_str(),
            "mesh/st_clients"
        );
        assert!(TableName::new("st_clients").is_ok());
        assert!(TableName::new("#3").is_ok());
        for bad in ["mesh/", "/t", "a/b/c", "mesh/#3", "me sh/t", "a;b/t"] {
            let e = TableName::new(bad).unwrap_err();
            assert_eq!(e.value, bad, "{bad}: {e}");
        }
    }

    #[test]
    fn identifiers_follow_haproxy_rules() {
        assert!(ProxyName::new("be_app-1.x:y").is_ok());
        assert!(ProxyName::new("#12").is_ok());
        for bad in ["", "be app", "be;x", "be/x", "#", "#x1", "be\nx", "é"] {
            assert!(ProxyName::new(bad).is_err(), "{bad:?} must be refused");
        }
        let err = ServerName::new("a;b").unwrap_err();
        assert_eq!(err.argument, "server name");
        assert!(err.to_string().contains("';' is not allowed"));
    }

    #[test]
    fn server_refs_need_a_slash() {
        let r = ServerRef::parse("be_app/app1").unwrap();
        assert_eq!(r.to_string(), "be_app/app1");
        assert!(ServerRef::parse("be_app").is_err());
        assert!(ServerRef::parse("be_app/app1/x").is_err());
    }

    #[test]
    fn addresses_and_ports() {
        assert_eq!(
            ServerAddress::new("10.0.0.1").unwrap().with_port(Some(80)),
            "10.0.0.1:80"
        );
        assert_eq!(
            ServerAddress::new("::1").unwrap().with_port(Some(80)),
            "[::1]:80"
        );
        assert!(ServerAddress::new("app-1.example.com").is_ok());
        for bad in ["", "10.0.0.1:80", "a b", "-x.com", "x;y"] {
            assert!(ServerAddress::new(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(port("port", 80).unwrap(), 80);
        assert!(port("port", 0).is_err());
        assert!(port("port", 70000).is_err());
    }

    #[test]
    fn weights() {
        assert_eq!(Weight::parse("10").unwrap(), Weight::Absolute(10));
        assert_eq!(Weight::parse("50%").unwrap().to_string(), "50%");
        assert!(Weight::parse("257").is_err());
        assert!(Weight::parse("abc").is_err());
        assert!(Weight::parse("-1").is_err());
    }

    #[test]
    fn map_names_and_session_ids() {
        assert!(MapName::new("/etc/haproxy/hosts.map").is_ok());
        assert!(MapName::new("#4").is_ok());
        assert!(MapName::new("@1").is_err());
        assert!(MapName::new("a b").is_err());
        assert_eq!(
            SessionId::new("0x55eb48350c30:").unwrap().as_str(),
            "0x55eb48350c30"
        );
        assert!(SessionId::new("all").is_err());
        assert!(text("key", "a\nb", 100).is_err());
        assert!(text("key", "a b\\c<<", 100).is_ok());
        assert!(text("key", "a;b", 100).is_err());
        assert!(text("key", "ab\\", 100).is_err());
        assert!(text("key", "a\tb", 100).is_err());
    }
}
