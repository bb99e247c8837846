//! Validation of the HTTP security settings: static tokens, OAuth, body and rate limits, and
//! the Host and Origin allow-lists.

use axum::http::Uri;

use super::{Cli, ConfigError, Transport, bad};
use crate::transport::auth::StaticToken;
use crate::transport::conn_limit::ConnectionLimits;
use crate::transport::guard::{
    DEFAULT_ALLOWED_HOSTS, LOOPBACK_ORIGINS, check_allowed_host, check_allowed_origin,
};
use crate::transport::oauth::OAuthSettings;
use crate::transport::rate_limit::RateLimit;

/// The static tokens of MCP_AUTH_TOKENS and MCP_AUTH_TOKENS_FILE, together.
pub(super) fn tokens(
    cli: &Cli,
    warnings: &mut Vec<String>,
) -> Result<Vec<StaticToken>, ConfigError> {
    let fix = "write one name:token[:ro] entry per line or comma; tokens are at least 16 characters (e.g. `openssl rand -hex 32`)";
    let mut tokens = match &cli.auth_tokens {
        Some(text) => {
            StaticToken::parse_list(text).map_err(|problem| bad("MCP_AUTH_TOKENS", problem, fix))?
        }
        None => Vec::new(),
    };
    if let Some(path) = &cli.auth_tokens_file {
        let setting = &cli.setting("auth_tokens_file");
        let text = std::fs::read_to_string(path).map_err(|e| {
            bad(
                setting,
                format!("cannot read {}: {e}", path.display()),
                "point it at a readable file",
            )
        })?;
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                warnings.push(format!(
                    "{} (MCP_AUTH_TOKENS_FILE) can be read by other users; chmod 600 it",
                    path.display()
                ));
            }
        }
        let from_file = StaticToken::parse_list(&text)
            .map_err(|problem| bad(setting, format!("{}: {problem}", path.display()), fix))?;
        for t in from_file {
            if tokens.iter().any(|o| o.name == t.name) {
                return Err(bad(
                    setting,
                    format!("the name {:?} is also in MCP_AUTH_TOKENS", t.name),
                    "give every token its own name",
                ));
            }
            tokens.push(t);
        }
    }
    #[cfg(not(unix))]
    let _ = warnings;
    Ok(tokens)
}

/// The OAuth settings, when MCP_OAUTH_ISSUER (with MCP_OAUTH_RESOURCE) is set.
pub(super) fn oauth(cli: &Cli) -> Result<Option<OAuthSettings>, ConfigError> {
    let (issuer, resource) = match (&cli.oauth_issuer, &cli.oauth_resource) {
        (None, None) if cli.oauth_jwks_url.is_none() => return Ok(None),
        (Some(i), Some(r)) => (i.trim(), r.trim()),
        (issuer, _) => {
            let (given, missing) = if issuer.is_some() {
                ("oauth_issuer", "MCP_OAUTH_RESOURCE")
            } else if cli.oauth_resource.is_some() {
                ("oauth_resource", "MCP_OAUTH_ISSUER")
            } else {
                ("oauth_jwks_url", "MCP_OAUTH_ISSUER and MCP_OAUTH_RESOURCE")
            };
            return Err(bad(
                &cli.setting(given),
                format!(
                    "OAuth needs both the issuer and this server's resource URL; {missing} is not set"
                ),
                "set MCP_OAUTH_ISSUER (the authorization server) and MCP_OAUTH_RESOURCE (e.g. https://mcp.example.com/mcp)",
            ));
        }
    };
    check_url(&cli.setting("oauth_issuer"), issuer)?;
    check_url(&cli.setting("oauth_resource"), resource)?;
    if let Some(jwks) = &cli.oauth_jwks_url {
        check_url(&cli.setting("oauth_jwks_url"), jwks.trim())?;
    }
    let scope_ok = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains('"');
    if !scope_ok(&cli.oauth_read_scope)
        || !scope_ok(&cli.oauth_write_scope)
        || cli.oauth_read_scope == cli.oauth_write_scope
    {
        return Err(bad(
            "MCP_OAUTH_READ_SCOPE / MCP_OAUTH_WRITE_SCOPE",
            "scopes must be single words without spaces or quotes, and different",
            "use e.g. haproxy:read and haproxy:write (the defaults)",
        ));
    }
    let mut settings = OAuthSettings::new(issuer, resource);
    settings.jwks_url = cli.oauth_jwks_url.as_ref().map(|u| u.trim().to_owned());
    settings.read_scope = cli.oauth_read_scope.clone();
    settings.write_scope = cli.oauth_write_scope.clone();
    Ok(Some(settings))
}

/// An absolute http(s) URL without fragment; plain http only for loopback hosts.
fn check_url(setting: &str, url: &str) -> Result<(), ConfigError> {
    let parsed: Option<Uri> = url.parse().ok();
    let (scheme, host) = match &parsed {
        Some(u) => (u.scheme_str(), u.host()),
        None => (None, None),
    };
    let Some(host) = host.filter(|_| !url.contains('#')) else {
        return Err(bad(
            setting,
            format!("{url:?} is not an absolute URL"),
            "give a full https:// URL without fragment",
        ));
    };
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(bad(
            setting,
            format!("{url:?} is not https"),
            "use https:// (plain http is only accepted for loopback addresses, e.g. in tests)",
        )),
    }
}

/// The body limit and the rate limit.
pub(super) fn http_limits(cli: &Cli) -> Result<(usize, Option<RateLimit>), ConfigError> {
    if !(4096..=(256 << 20)).contains(&cli.max_request_bytes) {
        return Err(bad(
            &cli.setting("max_request_bytes"),
            format!("{} is outside 4096–268435456", cli.max_request_bytes),
            "use a size in bytes such as 4194304 (4 MiB, the default)",
        ));
    }
    if !cli.rate_limit.is_finite() || cli.rate_limit < 0.0 {
        return Err(bad(
            &cli.setting("rate_limit"),
            format!("{} requests/s cannot work", cli.rate_limit),
            "give a rate ≥ 0 requests per second (0 turns the limit off; default 10)",
        ));
    }
    if cli.rate_limit_burst == 0 {
        return Err(bad(
            &cli.setting("rate_limit_burst"),
            "a burst of 0 refuses every request",
            "give a burst ≥ 1 (default 50)",
        ));
    }
    let limit = (cli.rate_limit > 0.0).then_some(RateLimit {
        per_second: cli.rate_limit,
        burst: cli.rate_limit_burst,
    });
    Ok((cli.max_request_bytes, limit))
}

/// The HTTP connection caps and the request-head deadline.
pub(super) fn connection_limits(cli: &Cli) -> Result<ConnectionLimits, ConfigError> {
    if !(1..=1_000_000).contains(&cli.http_max_connections) {
        return Err(bad(
            &cli.setting("http_max_connections"),
            format!("{} connections cannot work", cli.http_max_connections),
            "give a number of connections from 1 to 1000000 (default 1024)",
        ));
    }
    if !(1..=cli.http_max_connections).contains(&cli.http_max_connections_per_ip) {
        return Err(bad(
            &cli.setting("http_max_connections_per_ip"),
            format!(
                "{} is not between 1 and the global cap of {}",
                cli.http_max_connections_per_ip, cli.http_max_connections
            ),
            "give a number from 1 to the global connection cap (default 256)",
        ));
    }
    if !(1..=3600).contains(&cli.header_read_timeout) {
        return Err(bad(
            &cli.setting("header_read_timeout"),
            format!("{} seconds is outside 1–3600", cli.header_read_timeout),
            "give a number of seconds from 1 to 3600 (default 10)",
        ));
    }
    Ok(ConnectionLimits {
        max_connections: cli.http_max_connections,
        max_connections_per_ip: cli.http_max_connections_per_ip,
        header_read_timeout: std::time::Duration::from_secs(cli.header_read_timeout),
    })
}

/// The Host and Origin allow-lists as the HTTP transport gets them: every configured entry
/// checked (a bad one stops the server), origins with explicit ports. The loopback names are
/// always allowed hosts, also beside configured ones, so a local client keeps working (e.g.
/// `curl http://127.0.0.1:8080/healthz` on the server's machine): a DNS-rebinding page cannot
/// make a browser send them, since its Host is the attacker's name. Loopback origins (any port)
/// are added on a loopback bind only, where the browser is on the server's machine.
pub(super) fn allowed_lists(cli: &Cli) -> Result<(Vec<String>, Vec<String>), ConfigError> {
    let loopback = cli.host.is_loopback() && cli.transport == Transport::Http;
    let mut hosts = Vec::new();
    for entry in cli.allowed_hosts.iter().filter(|e| !e.trim().is_empty()) {
        let host = check_allowed_host(entry).map_err(|problem| {
            bad(
                &cli.setting("allowed_hosts"),
                problem,
                "give comma-separated host names or IP addresses, each optionally with :port (e.g. mcp.example.com,mcp.example.com:8443,10.0.0.5)",
            )
        })?;
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    for host in DEFAULT_ALLOWED_HOSTS {
        let host = check_allowed_host(host).unwrap_or_else(|_| host.to_owned());
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    let mut origins = Vec::new();
    for entry in cli.allowed_origins.iter().filter(|e| !e.trim().is_empty()) {
        let origin = check_allowed_origin(entry).map_err(|problem| {
            bad(
                &cli.setting("allowed_origins"),
                problem,
                "give comma-separated origins as a browser sends them, scheme://host[:port] (http or https; :* for any port; null), e.g. https://app.example.com",
            )
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if loopback {
        for origin in LOOPBACK_ORIGINS {
            if !origins.iter().any(|o| o == origin) {
                origins.push(origin.to_owned());
            }
        }
    }
    Ok((hosts, origins))
}
