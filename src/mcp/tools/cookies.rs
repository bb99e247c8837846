//! set_dynamic_cookies: a backend's dynamic cookies on or off, and their secret key. Part of
//! the servers toolset.
//!
//! With `cookie <name> insert … dynamic` in a backend, HAProxy gives each server a cookie
//! computed from a secret key, the server's address and its port, so every load balancer that
//! shares the key sends a client to the same server. The key is read from a file in the
//! operator's `--certificates-dir` (like a certificate's private key, it never passes through
//! the assistant); answers and the audit carry its SHA-256 fingerprint. HAProxy never shows a
//! key, so the previous one cannot be read back or restored: the answer says so.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::command::args::{ProxyName, SecretWord};
use crate::haproxy::parse::stat::{StatKind, StatReport};
use crate::mcp::answer::{Answer, ToolError, ToolResult, Truncation, first_and_more, truncate};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::changeable_proxy;
use crate::mcp::secret_file;
use crate::mcp::views::backend_stat;

/// Largest key file read (the key is its first line).
const MAX_KEY_FILE_BYTES: u64 = 4096;
/// Longest key sent.
const MAX_KEY_BYTES: usize = 256;
/// Most servers an answer lists (a backend may have thousands); the counts cover them all.
const SHOWN_SERVERS: usize = 20;

/// Arguments of set_dynamic_cookies.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DynamicCookiesArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// On or off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Key file in the certificates folder.
    #[serde(default)]
    pub key_file: Option<String>,
}

/// One server's cookie before and after.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerCookie {
    /// The server.
    pub server: String,
    /// Its cookie before the change (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Its cookie now, read back (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// set_dynamic_cookies' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DynamicCookiesOut {
    /// The target changed.
    pub target: String,
    /// The backend.
    pub backend: String,
    /// What was sent, in order, and how HAProxy took it (the key shown as `<secret>`).
    pub steps: Vec<String>,
    /// SHA-256 of the key sent (first 16 hex digits), to compare across load balancers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
    /// The cookie the backend inserts (its configuration's `cookie <name>`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    /// Each server's cookie before and after, in HAProxy's order, up to 20.
    pub servers: Vec<ServerCookie>,
    /// How many servers there are and whether some were left out.
    pub servers_shown: Truncation,
    /// What the operator should know (no cookie inserted, shared cookies, persistence lost).
    pub warnings: Vec<String>,
}

/// The key in `file` of the certificates folder (its first non-blank line) and its
/// fingerprint, or why it cannot be used. Errors never quote the file's content.
fn read_key(dir: &std::path::Path, file: &str) -> Result<(SecretWord, String), String> {
    let (_, bytes) = secret_file::read_in_folder(dir, file, MAX_KEY_FILE_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{file:?} is not text"))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| format!("{file:?} is empty; put the key on its first line"))?;
    let key = SecretWord::new("dynamic-cookie key", line, MAX_KEY_BYTES)
        .map_err(|e| format!("the key in {file:?} cannot be used: {}", e.reason))?;
    Ok((key, sha256_prefix(line)))
}

/// The first 16 hex digits of the SHA-256 of `key`.
fn sha256_prefix(key: &str) -> String {
    let mut hex = secret_file::sha256_hex(key.as_bytes());
    hex.truncate(16);
    hex
}

/// Each server of `backend` in `stat` with its cookie (`None`: blank).
fn cookies_of(stat: &StatReport, backend: &str) -> Vec<(String, Option<String>)> {
    stat.of_kind(StatKind::Server)
        .filter(|r| r.proxy == backend)
        .map(|r| (r.name.clone(), r.cookie.clone().filter(|c| !c.is_empty())))
        .collect()
}

/// What the operator should know once the change is read back.
fn warnings(
    backend: &ProxyName,
    (cookie_name, mode): (Option<&str>, Option<&str>),
    servers: &[ServerCookie],
    enabled: Option<bool>,
    key_sent: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if mode == Some("tcp") && enabled != Some(false) {
        out.push(format!(
            "{backend} is in TCP mode: HAProxy uses persistence cookies in HTTP mode only."
        ));
    } else if cookie_name.is_none() && enabled != Some(false) {
        out.push(format!(
            "{backend} has no `cookie <name> insert … dynamic` line in its configuration: HAProxy computes the cookies but sends none to clients until one is added (and reloaded)."
        ));
    }
    if enabled == Some(true) && !key_sent && servers.iter().all(|s| s.after.is_none()) {
        out.push(format!(
            "No server has a cookie: {backend} may have no key yet (HAProxy never shows it). Give one with key_file."
        ));
    }
    let mut shared: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for s in servers {
        if let Some(c) = &s.after {
            shared.entry(c).or_default().push(s.server.clone());
        }
    }
    let groups: Vec<String> = shared
        .values()
        .filter(|n| n.len() > 1)
        .map(|names| first_and_more(names, 5, ", "))
        .collect();
    if !groups.is_empty() {
        out.push(format!(
            "{} share one cookie (same address and port): a client stuck to one may be sent to another.",
            first_and_more(&groups, 3, "; ")
        ));
    }
    if servers
        .iter()
        .any(|s| s.before.is_some() && s.after != s.before)
    {
        out.push(
            "Clients holding a cookie from before lose their server once (they are balanced again)."
                .to_owned(),
        );
    }
    out
}

#[tool_router(router = cookies_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Turns a backend's dynamic cookies on or off and sets their key.
    #[tool(
        description = "A backend's dynamic persistence cookies: on/off, or their secret key (share one across load balancers); each server's cookie before and after. Lost on reload.",
        annotations(title = "Set dynamic cookies", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<DynamicCookiesOut>()
    )]
    async fn set_dynamic_cookies(
        &self,
        Parameters(args): Parameters<DynamicCookiesArgs>,
    ) -> ToolResult<DynamicCookiesOut> {
        let t = &self.target(args.target.as_deref())?;
        let fail = |m: String| ToolError::new(format!("[{}] {m}", t.name));
        let be = ProxyName::new(args.backend)?;
        changeable_proxy("backend", &be)?;
        if args.enabled.is_none() && args.key_file.is_none() {
            return Err(fail(
                "Nothing to do: give enabled (true or false), key_file, or both. Nothing was sent."
                    .to_owned(),
            ));
        }
        let key = match args.key_file.as_deref() {
            None => None,
            Some(file) => {
                let Some(dir) = self.settings().certificates_dir.clone() else {
                    return Err(fail(
                        "A dynamic-cookie key is read from a file in the certificates folder, and this server was started without one. Start it with --certificates-dir <folder> (or HAPROXY_MCP_CERTIFICATES_DIR), put the key there and name its file in key_file. Nothing was sent.".to_owned(),
                    ));
                };
                let file = file.to_owned();
                let read = tokio::task::spawn_blocking(move || read_key(&dir, &file))
                    .await
                    .unwrap_or_else(|e| Err(format!("reading the key file failed ({e})")));
                Some(read.map_err(|m| fail(format!("key_file: {m}. Nothing was sent.")))?)
            }
        };
        let before = backend_stat(t, &be).await?;
        let Some(backend_row) = before.find(be.as_str(), "BACKEND") else {
            return Err(fail(format!(
                "{be} is not a backend (see list_backends). Nothing was sent."
            )));
        };
        let cookie_name = backend_row.cookie.clone().filter(|c| !c.is_empty());
        let mode = backend_row.mode.clone();
        let before = cookies_of(&before, be.as_str());

        let mut steps = Vec::new();
        if let Some((secret, _)) = &key {
            let sent = t.client.set_dynamic_cookie_key(&be, secret).await;
            checked(t, Subject::Nothing, sent).await?;
            steps.push(format!(
                "set dynamic-cookie-key backend {be} <secret>: done"
            ));
        }
        if let Some(on) = args.enabled {
            let verb = if on { "enable" } else { "disable" };
            let sent = t.client.set_dynamic_cookies(&be, on).await;
            if let Err(e) = checked(t, Subject::Nothing, sent).await {
                return Err(e.with_note(if steps.is_empty() {
                    format!("{verb} dynamic-cookie failed; nothing was changed.")
                } else {
                    format!("{verb} dynamic-cookie failed, but the key WAS changed (HAProxy cannot show or restore the previous one).")
                }));
            }
            steps.push(format!("{verb} dynamic-cookie backend {be}: done"));
        }

        let after = backend_stat(t, &be).await?;
        // By name: a backend may have thousands of servers.
        let after: std::collections::HashMap<String, Option<String>> =
            cookies_of(&after, be.as_str()).into_iter().collect();
        let servers: Vec<ServerCookie> = before
            .into_iter()
            .map(|(server, before)| {
                let after = after.get(&server).cloned().flatten();
                ServerCookie {
                    server,
                    before,
                    after,
                }
            })
            .collect();
        let warnings = warnings(
            &be,
            (cookie_name.as_deref(), mode.as_deref()),
            &servers,
            args.enabled,
            key.is_some(),
        );
        let with_cookie = servers.iter().filter(|s| s.after.is_some()).count();
        let changed = servers.iter().filter(|s| s.after != s.before).count();
        let key_sha256 = key.map(|(_, sha)| sha);
        let total = servers.len();
        let (servers, servers_shown) = truncate(servers, SHOWN_SERVERS);
        let mut summary = format!("[{}] {}", t.name, steps.join("; "));
        if let Some(sha) = &key_sha256 {
            summary.push_str(&format!(" (key sha256 {sha}…)"));
        }
        summary.push_str(&format!(
            ". Read back: {with_cookie} of {} server(s) of {be} have a cookie, {changed} changed. Runtime only: a reload restores the configuration's setting.",
            total
        ));
        for w in &warnings {
            summary.push(' ');
            summary.push_str(w);
        }
        Ok(Answer::new(
            summary,
            DynamicCookiesOut {
                target: t.name.clone(),
                backend: be.to_string(),
                steps,
                key_sha256,
                cookie_name,
                servers,
                servers_shown,
                warnings,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(name: &str, before: Option<&str>, after: Option<&str>) -> ServerCookie {
        ServerCookie {
            server: name.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    fn none_shared() -> Vec<ServerCookie> {
        vec![server("a", None, Some("x"))]
    }

    #[test]
    fn warnings_name_what_goes_wrong() {
        let be = ProxyName::new("be").unwrap();
        let shared = [server("a", None, Some("x")), server("b", None, Some("x"))];
        let w = warnings(&be, (None, Some("http")), &shared, Some(true), true);
        assert!(w[0].contains("no `cookie <name>"), "{w:?}");
        assert!(
            w.iter().any(|l| l.starts_with("a, b share one cookie")),
            "{w:?}"
        );
        // Thousands of servers at one address: the warning names a few.
        let many: Vec<ServerCookie> = (0..12)
            .map(|i| server(&format!("s{i}"), None, Some("x")))
            .collect();
        let w = warnings(&be, (Some("SRV"), Some("http")), &many, Some(true), true);
        assert!(
            w[0].contains("s0, s1, s2, s3, s4, and 7 more share one cookie"),
            "{w:?}"
        );
        // A new key while cookies were given out: persistence is lost once.
        let rekeyed = [server("a", Some("x"), Some("y"))];
        let w = warnings(&be, (Some("SRV"), Some("http")), &rekeyed, None, true);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("lose their server once"));
        // A TCP backend: cookies mean nothing there.
        let w = warnings(&be, (None, Some("tcp")), &none_shared(), Some(true), true);
        assert!(w[0].contains("TCP mode"), "{w:?}");
        // Enabled without any key: no cookie at all.
        let none = [server("a", None, None)];
        let w = warnings(&be, (Some("SRV"), Some("http")), &none, Some(true), false);
        assert!(w[0].contains("no key yet"), "{w:?}");
        // Turning them off says nothing about a missing cookie line, but clients lose their
        // server.
        let off = [server("a", Some("x"), None)];
        let w = warnings(&be, (None, Some("http")), &off, Some(false), false);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("lose their server once"));
    }

    #[test]
    fn the_key_is_the_first_non_blank_line_and_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("k"), "\n  s3cr3t  \nignored\n").unwrap();
        let (key, sha) = read_key(&root, "k").unwrap();
        assert_eq!(key.expose(), "s3cr3t");
        assert_eq!(sha, sha256_prefix("s3cr3t"));
        assert_eq!(sha.len(), 16);
        std::fs::write(root.join("bad"), "s3;cr3t\n").unwrap();
        let e = read_key(&root, "bad").unwrap_err();
        assert!(!e.contains("s3;cr3t") && e.contains("';'"), "{e}");
        std::fs::write(root.join("empty"), "\n\n").unwrap();
        assert!(read_key(&root, "empty").unwrap_err().contains("is empty"));
        assert!(read_key(&root, "../etc/passwd").is_err());
    }
}
