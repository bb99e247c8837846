//! Host and Origin checks (DNS-rebinding and cross-site protection), applied to every HTTP
//! route before anything else runs. The rules are rmcp's (which still checks `/mcp` again):
//!
//! - `Host` (or HTTP/2's `:authority`) must be one of the allowed hosts; an entry without a port
//!   matches any port. Default: `localhost`, `127.0.0.1`, `::1`.
//! - A request that carries `Origin` must name an allowed origin: `scheme://host[:port]`, `:*`
//!   for any port, `null` for the literal `null`. Default: none, so every browser request from a
//!   page is refused. Requests without `Origin` (non-browser clients) pass.
//!
//! The server's settings ([`crate::config`]) check each configured entry with
//! [`check_allowed_host`] and [`check_allowed_origin`] (a bad one stops the server), hand rmcp
//! origins with explicit ports only (rmcp reads a port-less entry as "any port", this guard as
//! "the scheme's default port"), always add the loopback names to the hosts, and on a loopback
//! bind add [`LOOPBACK_ORIGINS`] to the origins.

use axum::http::{HeaderMap, Uri, header};

/// Loopback names accepted as `Host` when none are configured.
pub const DEFAULT_ALLOWED_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Origins accepted on a loopback bind in addition to the configured ones: a page served from
/// the same machine (the MCP Inspector, a local web client) on any port, over http or https.
pub const LOOPBACK_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

/// Checks one allowed-host entry (`name`, `name:port`, an IP address, `[v6]:port`) and returns
/// it as the guard and rmcp read it, or says what is wrong with it.
pub fn check_allowed_host(entry: &str) -> Result<String, String> {
    let entry = entry.trim();
    let valid_name = |h: &str| {
        !h.is_empty()
            && h.len() <= 253
            && h.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            })
    };
    if let Ok(ip) = entry.parse::<std::net::IpAddr>() {
        return Ok(match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            std::net::IpAddr::V4(v4) => v4.to_string(),
        });
    }
    let parsed = entry.parse::<axum::http::uri::Authority>().ok();
    let Some(a) = parsed.filter(|a| !a.as_str().contains('@')) else {
        return Err(format!(
            "{entry:?} is not a host name, an IP address, or either with :port"
        ));
    };
    let host = a.host();
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => host.parse::<std::net::Ipv4Addr>().is_ok() || valid_name(host),
    };
    if !host_ok {
        return Err(format!(
            "{host:?} in {entry:?} is not a host name or an IP address"
        ));
    }
    match port_of(&a) {
        None => Ok(host.to_ascii_lowercase()),
        Some(Ok(p)) => Ok(format!("{}:{p}", host.to_ascii_lowercase())),
        Some(Err(e)) => Err(format!("{e} in {entry:?}")),
    }
}

/// The port of an authority, if it has one: 1-65535, or what is wrong with it (`http` reads
/// an unparsable port as no port at all).
fn port_of(a: &axum::http::uri::Authority) -> Option<Result<u16, String>> {
    let text = a.as_str().strip_prefix(a.host())?.strip_prefix(':')?;
    Some(
        text.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("the port {text:?} is not 1-65535")),
    )
}

/// Checks one allowed-origin entry (`http[s]://host[:port]`, `…:*`, `null`) and returns it with
/// an explicit port (`http://a` becomes `http://a:80`), so that this guard and rmcp read it
/// the same way; or says what is wrong with it.
pub fn check_allowed_origin(entry: &str) -> Result<String, String> {
    let entry = entry.trim();
    if entry.eq_ignore_ascii_case("null") {
        return Ok("null".to_owned());
    }
    let (base, any_port) = match entry.strip_suffix(":*") {
        Some(b) => (b, true),
        None => (entry, false),
    };
    let shape =
        "an origin is scheme://host[:port] (http or https, no path), host:* for any port, or null";
    let uri: Uri = base
        .parse()
        .map_err(|_| format!("{entry:?} is not an origin: {shape}"))?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| format!("{entry:?} has no scheme: {shape}"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!("{entry:?}: the scheme must be http or https"));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{entry:?} has no host: {shape}"))?;
    if authority.as_str().contains('@')
        || uri.query().is_some()
        || !matches!(uri.path(), "" | "/")
        || base.ends_with('/')
    {
        return Err(format!(
            "{entry:?} has more than scheme, host and port: {shape}"
        ));
    }
    let host = check_allowed_host(authority.host())?;
    let port = match port_of(authority) {
        None => None,
        Some(Ok(p)) if !any_port => Some(p),
        Some(Ok(_)) => return Err(format!("{entry:?} has both a port and :*")),
        Some(Err(e)) => return Err(format!("{e} in {entry:?}")),
    };
    if any_port {
        return Ok(format!("{scheme}://{host}:*"));
    }
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    Ok(format!("{scheme}://{host}:{port}"))
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The Host is missing or not allowed.
    Host(String),
    /// The Origin is malformed or not allowed.
    Origin(String),
}

/// The allowed hosts and origins.
#[derive(Debug, Clone)]
pub struct Guard {
    hosts: Vec<(String, Option<u16>)>,
    origins: Vec<AllowedOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowedOrigin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        /// `None`: any port.
        port: Option<u16>,
    },
}

impl Guard {
    /// A guard for these lists (`hosts` empty: the loopback defaults). Entries that cannot be
    /// parsed are ignored (and so match nothing).
    pub fn new(hosts: &[String], origins: &[String]) -> Self {
        let hosts: Vec<String> = if hosts.iter().all(|h| h.trim().is_empty()) {
            DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|h| (*h).to_owned())
                .collect()
        } else {
            hosts.to_vec()
        };
        Self {
            hosts: hosts.iter().filter_map(|h| parse_authority(h)).collect(),
            origins: origins
                .iter()
                .filter_map(|o| parse_allowed_origin(o))
                .collect(),
        }
    }

    /// The Host entries, as given to rmcp.
    pub fn host_entries(&self) -> Vec<String> {
        self.hosts
            .iter()
            .map(|(h, p)| {
                let h = if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.clone()
                };
                match p {
                    Some(p) => format!("{h}:{p}"),
                    None => h,
                }
            })
            .collect()
    }

    /// Checks a request's Host and Origin.
    pub fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = match headers.get(header::HOST) {
            Some(v) => v.to_str().ok().and_then(parse_authority),
            None => uri.authority().map(|a| (normalize(a.host()), a.port_u16())),
        };
        let Some((host, port)) = host else {
            return Err(Refusal::Host("missing or malformed Host header".into()));
        };
        let host_ok = self
            .hosts
            .iter()
            .any(|(h, p)| *h == host && (p.is_none() || *p == port));
        if !host_ok {
            return Err(Refusal::Host(format!("Host {host:?} is not allowed")));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin
            .to_str()
            .ok()
            .and_then(parse_origin)
            .ok_or_else(|| Refusal::Origin("malformed Origin header".into()))?;
        if self.origins.iter().any(|a| origin_matches(a, &origin)) {
            Ok(())
        } else {
            Err(Refusal::Origin("Origin is not allowed".into()))
        }
    }
}

fn normalize(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn parse_authority(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<axum::http::uri::Authority>() {
        Ok(a) => Some((normalize(a.host()), a.port_u16())),
        // A bare IPv6 address (`::1`) is no authority.
        Err(_) => value
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| (ip.to_string(), None)),
    }
}

/// A request's Origin: `None` inside for `null`, else (scheme, host, port).
type Origin = Option<(String, String, Option<u16>)>;

fn parse_origin(value: &str) -> Option<Origin> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("null") {
        return Some(None);
    }
    let uri: Uri = value.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    Some(Some((
        scheme,
        normalize(authority.host()),
        authority.port_u16(),
    )))
}

fn parse_allowed_origin(value: &str) -> Option<AllowedOrigin> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("null") {
        return Some(AllowedOrigin::Null);
    }
    let (base, any_port) = match value.strip_suffix(":*") {
        Some(b) => (b, true),
        None => (value, false),
    };
    let (scheme, host, port) = parse_origin(base)??;
    if any_port && port.is_some() {
        return None;
    }
    Some(AllowedOrigin::Tuple {
        port: if any_port {
            None
        } else {
            port.or_else(|| default_port(&scheme))
        },
        scheme,
        host,
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn origin_matches(allowed: &AllowedOrigin, origin: &Origin) -> bool {
    match (allowed, origin) {
        (AllowedOrigin::Null, None) => true,
        (AllowedOrigin::Tuple { scheme, host, port }, Some((s, h, p))) => {
            scheme == s && host == h && (port.is_none() || *port == p.or_else(|| default_port(s)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(host: Option<&str>, origin: Option<&str>) -> (Uri, HeaderMap) {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(header::HOST, v.parse().unwrap());
        }
        if let Some(v) = origin {
            h.insert(header::ORIGIN, v.parse().unwrap());
        }
        ("/mcp".parse().unwrap(), h)
    }

    #[test]
    fn loopback_hosts_by_default_and_no_origin() {
        let g = Guard::new(&[], &[]);
        for host in ["localhost:8080", "127.0.0.1", "[::1]:9", "LOCALHOST"] {
            let (u, h) = req(Some(host), None);
            assert_eq!(g.check(&u, &h), Ok(()), "{host}");
        }
        let (u, h) = req(Some("evil.example"), None);
        assert!(matches!(g.check(&u, &h), Err(Refusal::Host(_))));
        let (u, h) = req(None, None);
        assert!(matches!(g.check(&u, &h), Err(Refusal::Host(_))));
        let (u, h) = req(Some("localhost"), Some("http://localhost:8080"));
        assert!(matches!(g.check(&u, &h), Err(Refusal::Origin(_))));
        let (u, h) = req(Some("localhost"), Some("null"));
        assert!(matches!(g.check(&u, &h), Err(Refusal::Origin(_))));
    }

    #[test]
    fn configured_lists() {
        let g = Guard::new(
            &["mcp.example.com:443".into(), "10.0.0.1".into()],
            &[
                "https://app.example.com".into(),
                "http://localhost:*".into(),
            ],
        );
        let ok = [
            (Some("mcp.example.com:443"), Some("https://app.example.com")),
            (Some("10.0.0.1:8080"), Some("http://localhost:3000")),
            (Some("10.0.0.1"), Some("https://app.example.com:443")),
            (Some("10.0.0.1"), None),
        ];
        for (host, origin) in ok {
            let (u, h) = req(host, origin);
            assert_eq!(g.check(&u, &h), Ok(()), "{host:?} {origin:?}");
        }
        let bad = [
            (Some("mcp.example.com"), None),
            (Some("localhost"), None),
            (Some("10.0.0.1"), Some("https://app.example.com:8443")),
            (Some("10.0.0.1"), Some("http://app.example.com")),
            (Some("10.0.0.1"), Some("not a url")),
        ];
        for (host, origin) in bad {
            let (u, h) = req(host, origin);
            assert!(g.check(&u, &h).is_err(), "{host:?} {origin:?}");
        }
        assert_eq!(g.host_entries(), ["mcp.example.com:443", "10.0.0.1"]);
        assert_eq!(
            Guard::new(&[], &[]).host_entries(),
            ["localhost", "127.0.0.1", "[::1]"]
        );
    }

    #[test]
    fn configured_entries_are_checked_and_get_explicit_ports() {
        for (entry, want) in [
            ("localhost", "localhost"),
            ("MCP.example.com:8443", "mcp.example.com:8443"),
            ("::1", "[::1]"),
            ("[::1]:8080", "[::1]:8080"),
            ("10.0.0.1", "10.0.0.1"),
        ] {
            assert_eq!(check_allowed_host(entry).as_deref(), Ok(want), "{entry}");
        }
        for entry in [
            "a:b:c",
            "",
            "host:0",
            "host:99999",
            "a b",
            "user@host",
            "-x..y",
        ] {
            assert!(check_allowed_host(entry).is_err(), "{entry}");
        }
        for (entry, want) in [
            ("http://localhost", "http://localhost:80"),
            ("https://App.example.com", "https://app.example.com:443"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://localhost:*", "http://localhost:*"),
            ("http://[::1]:*", "http://[::1]:*"),
            ("null", "null"),
        ] {
            assert_eq!(check_allowed_origin(entry).as_deref(), Ok(want), "{entry}");
        }
        for entry in [
            "foo",
            "ftp://x:99",
            "http://x:99999",
            "http://x:0",
            "https://a.example.com/path",
            "https://a.example.com/",
            "http://u@a.example.com",
            "http://a:1:*",
            "localhost:3000",
        ] {
            assert!(check_allowed_origin(entry).is_err(), "{entry}");
        }
        // What the settings hand over is read the same way by this guard (and rmcp).
        let g = Guard::new(&[], &LOOPBACK_ORIGINS.map(String::from));
        for origin in [
            "http://localhost:6274",
            "http://127.0.0.1:9",
            "https://[::1]:1",
        ] {
            let (u, h) = req(Some("localhost"), Some(origin));
            assert_eq!(g.check(&u, &h), Ok(()), "{origin}");
        }
        let (u, h) = req(Some("localhost"), Some("http://evil.example:6274"));
        assert!(g.check(&u, &h).is_err());
    }
}
