//! Validation of the HTTP security settings: static tokens, OAuth, body and rate limits.

use axum::http::Uri;

use super::{Cli, ConfigError, bad};
use crate::transport::auth::StaticToken;
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
        let setting = "MCP_AUTH_TOKENS_FILE (--auth-tokens-file)";
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
        _ => {
            return Err(bad(
                "MCP_OAUTH_ISSUER / MCP_OAUTH_RESOURCE",
                "OAuth needs both the issuer and this server's resource URL",
                "set MCP_OAUTH_ISSUER (the authorization server) and MCP_OAUTH_RESOURCE (e.g. https://mcp.example.com/mcp)",
            ));
        }
    };
    check_url("MCP_OAUTH_ISSUER (--oauth-issuer)", issuer)?;
    check_url("MCP_OAUTH_RESOURCE (--oauth-resource)", resource)?;
    if let Some(jwks) = &cli.oauth_jwks_url {
        check_url("MCP_OAUTH_JWKS_URL (--oauth-jwks-url)", jwks.trim())?;
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
            "MCP_MAX_REQUEST_BYTES (--max-request-bytes)",
            format!("{} is outside 4096–268435456", cli.max_request_bytes),
            "use a size in bytes such as 4194304 (4 MiB, the default)",
        ));
    }
    if !cli.rate_limit.is_finite() || cli.rate_limit < 0.0 || cli.rate_limit_burst == 0 {
        return Err(bad(
            "MCP_RATE_LIMIT / MCP_RATE_LIMIT_BURST",
            format!(
                "{} requests/s with a burst of {} cannot work",
                cli.rate_limit, cli.rate_limit_burst
            ),
            "give a rate ≥ 0 (0 turns the limit off) and a burst ≥ 1 (defaults: 10 and 50)",
        ));
    }
    let limit = (cli.rate_limit > 0.0).then_some(RateLimit {
        per_second: cli.rate_limit,
        burst: cli.rate_limit_burst,
    });
    Ok((cli.max_request_bytes, limit))
}
