//! Host and Origin checks (DNS-rebinding and cross-site protection), applied to every HTTP
//! route before anything else runs. The rules are rmcp's (which still checks `/mcp` again):
//!
//! - `Host` (or HTTP/2's `:authority`) must be one of the allowed hosts; an entry without a port
//!   matches any port. Default: `localhost`, `127.0.0.1`, `::1`.
//! - A request that carries `Origin` must name an allowed origin: `scheme://host[:port]`, `:*`
//!   for any port, `null` for the literal `null`. Default: none, so every browser request from a
//!   page is refused. Requests without `Origin` (non-browser clients) pass.

use axum::http::{HeaderMap, Uri, header};

/// Loopback names accepted as `Host` when none are configured.
pub const DEFAULT_ALLOWED_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

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
}
