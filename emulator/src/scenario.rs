//! The capture scenario: which command lines to send to which socket, in order, with
//! placeholders for the values that change on every run.
//!
//! ```text
//! # comment
//! admin show servers state be_app          <socket> <raw command line>
//! user show cli level
//! @sleep 1500                              wait (e.g. for a health check)
//! admin add map @{{newver}} {{mapid:hosts.map}} <<
//! | new.example.com be_app                 payload lines: `|`, one space, the line verbatim
//! | other.example.com be_api
//! admin commit map @{{newver}} {{mapid:hosts.map}}
//! ```
//!
//! Placeholders (`{{name:args}}`), resolved from the replies recorded so far:
//!
//! | placeholder | value |
//! |---|---|
//! | `{{var:NAME}}` | the value given with `--var NAME=VALUE` |
//! | `{{sess:KEY=VALUE}}` | id (`0x…`) of the first stream of the latest `show sess` whose line has the word `KEY=VALUE` |
//! | `{{mapid:FILE}}` / `{{aclid:FILE}}` | `#<id>` of the map / ACL loaded from a file named FILE (latest `show map` / `show acl`) |
//! | `{{mapfile:FILE}}` / `{{aclfile:FILE}}` | the full path HAProxy shows for that file |
//! | `{{mapref:MAP:KEY}}` / `{{aclref:ACL:PATTERN}}` | pointer (`0x…`) of that entry in the latest `show map MAP` / `show acl ACL` dump (MAP is a file name, resolved like `mapid`, or `#<id>`) |
//! | `{{newver}}` | N from the latest `New version created: N` (`prepare map` / `prepare acl`) |
//! | `{{tlsfile:FILE}}` | the name HAProxy gives a certificate, crt-list, CA or CRL file named FILE (latest `show ssl cert` / `crt-list` / `ca-file` / `crl-file` list) |
//! | `{{tlsdir:FILE}}` | the folder of `{{tlsfile:FILE}}` (to name a certificate HAProxy does not hold yet) |
//! | `{{ocspkey}}` | the first `Certificate ID key` of the latest `show ssl ocsp-response` list |
//! | `{{file:PATH}}` | in a payload line: the lines of PATH (relative to the scenario's folder), blank lines and CRs dropped, e.g. a PEM certificate |

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::fixture::Level;
use crate::tokenizer;
use crate::version::Version;

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a command line (and its payload lines) to a socket and record the reply.
    Exchange {
        /// Line number in the scenario file (1-based).
        line: usize,
        /// Which socket.
        socket: Level,
        /// The command line, placeholders not yet resolved.
        command: String,
        /// Payload lines (non-empty only when the command ends with `<<` or `<<PATTERN`).
        payload: Vec<String>,
    },
    /// Wait before the next step.
    Sleep {
        /// Line number in the scenario file (1-based).
        line: usize,
        /// How long.
        duration: Duration,
    },
}

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Parses scenario text. The error carries the 1-based line number.
    pub fn parse(text: &str) -> Result<Scenario, (usize, String)> {
        let mut steps: Vec<Step> = Vec::new();
        let mut payload_open = false;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let trimmed = raw.trim_start();
            if let Some(rest) = trimmed.strip_prefix('|') {
                let data = rest.strip_prefix(' ').unwrap_or(rest);
                match steps.last_mut() {
                    Some(Step::Exchange { payload, .. }) if payload_open => {
                        if data.is_empty() {
                            return Err((
                                number,
                                "an empty payload line would end the payload".into(),
                            ));
                        }
                        payload.push(data.to_string());
                    }
                    _ => {
                        return Err((
                            number,
                            "payload line `|` without a command ending in `<<` before it".into(),
                        ));
                    }
                }
                continue;
            }
            if let Some(Step::Exchange { payload, .. }) = steps.last()
                && payload_open
                && payload.is_empty()
            {
                return Err((number - 1, "payload command without `|` lines".into()));
            }
            payload_open = false;
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let line = trimmed.trim_end();
            if let Some(rest) = line.strip_prefix('@') {
                let mut words = rest.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some("sleep"), Some(ms), None) => {
                        let ms: u64 = ms
                            .parse()
                            .map_err(|_| (number, format!("bad @sleep value {ms:?}")))?;
                        steps.push(Step::Sleep {
                            line: number,
                            duration: Duration::from_millis(ms),
                        });
                    }
                    _ => return Err((number, format!("unknown directive {line:?}"))),
                }
                continue;
            }
            let (socket_word, command) = line
                .split_once([' ', '\t'])
                .map(|(s, c)| (s, c.trim_start()))
                .unwrap_or((line, ""));
            let socket = match socket_word {
                "admin" => Level::Admin,
                "user" => Level::User,
                other => {
                    return Err((
                        number,
                        format!("unknown socket {other:?} (expected admin or user)"),
                    ));
                }
            };
            if command.contains('\r') {
                return Err((number, "CR in a command line".into()));
            }
            payload_open = opens_payload(command);
            steps.push(Step::Exchange {
                line: number,
                socket,
                command: command.to_string(),
                payload: Vec::new(),
            });
        }
        if let Some(Step::Exchange { line, payload, .. }) = steps.last()
            && payload_open
            && payload.is_empty()
        {
            return Err((*line, "payload command without `|` lines".into()));
        }
        Ok(Scenario { steps })
    }
}

/// True when `command` ends with a `<<` or `<<PATTERN` word (as 3.x reads it; 2.x agrees for
/// the plain form).
pub fn opens_payload(command: &str) -> bool {
    tokenizer::parse_line(command.as_bytes(), Version::new(3, 2, 0))
        .payload_end
        .is_some()
}

/// The placeholder values learnt from the replies so far.
#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    vars: HashMap<String, String>,
    sess: Option<String>,
    map_list: Option<String>,
    acl_list: Option<String>,
    map_dumps: HashMap<String, String>,
    acl_dumps: HashMap<String, String>,
    new_version: Option<String>,
    /// The latest `show ssl cert|crt-list|ca-file|crl-file` list, by its third word.
    tls_lists: HashMap<String, String>,
    /// The latest `show ssl ocsp-response` list.
    ocsp_list: Option<String>,
    /// Where `{{file:…}}` paths start (the scenario's folder).
    base_dir: Option<PathBuf>,
}

impl Substitutions {
    /// Starts with the `--var` values.
    pub fn new(vars: HashMap<String, String>) -> Substitutions {
        Substitutions {
            vars,
            ..Substitutions::default()
        }
    }

    /// Lets `{{file:PATH}}` read files relative to `dir`.
    pub fn with_base_dir(mut self, dir: PathBuf) -> Substitutions {
        self.base_dir = Some(dir);
        self
    }

    /// Learns from one exchange (`command` as sent, after substitution). A reply HAProxy
    /// refused (`Permission denied`: from 3.4 on, e.g. `show map` on the user-level socket)
    /// lists nothing and teaches nothing: the previous list stays the latest.
    pub fn observe(&mut self, command: &str, reply: &[u8]) {
        let text = String::from_utf8_lossy(reply).into_owned();
        if text.lines().next().map(str::trim) == Some("Permission denied") {
            return;
        }
        let parsed = tokenizer::parse_line(command.as_bytes(), Version::new(3, 2, 0));
        if let Some(first) = parsed.commands.first() {
            let words: Vec<String> = first
                .words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            match words.as_slice() {
                ["show", "sess"] => self.sess = Some(text.clone()),
                ["show", "map"] => self.map_list = Some(text.clone()),
                ["show", "acl"] => self.acl_list = Some(text.clone()),
                ["show", "map", name] if !name.starts_with('@') => {
                    self.map_dumps.insert(name.to_string(), text.clone());
                }
                ["show", "acl", name] if !name.starts_with('@') => {
                    self.acl_dumps.insert(name.to_string(), text.clone());
                }
                // Only a list (a `#` header, or crt-list paths): a refusal such as 3.2's
                // user-level "Can't allocate memory!" teaches nothing.
                [
                    "show",
                    "ssl",
                    kind @ ("cert" | "crt-list" | "ca-file" | "crl-file"),
                ] if text.starts_with(['#', '/']) => {
                    self.tls_lists.insert(kind.to_string(), text.clone());
                }
                ["show", "ssl", "ocsp-response"] if text.starts_with('#') => {
                    self.ocsp_list = Some(text.clone());
                }
                _ => {}
            }
        }
        if let Some(pos) = text.find("New version created: ") {
            let rest = &text[pos + "New version created: ".len()..];
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !n.is_empty() {
                self.new_version = Some(n);
            }
        }
    }

    /// Replaces every `{{…}}` of `template`.
    pub fn expand(&self, template: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed placeholder in {template:?}"))?;
            out.push_str(&self.resolve(&after[..end])?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn resolve(&self, placeholder: &str) -> Result<String, String> {
        let (name, arg) = placeholder.split_once(':').unwrap_or((placeholder, ""));
        match name {
            "var" => self
                .vars
                .get(arg)
                .cloned()
                .ok_or_else(|| format!("no --var {arg}=… given")),
            "sess" => self.session_id(arg),
            "mapid" => list_entry(self.map_list.as_deref(), arg, "show map")
                .map(|(id, _)| format!("#{id}")),
            "aclid" => list_entry(self.acl_list.as_deref(), arg, "show acl")
                .map(|(id, _)| format!("#{id}")),
            "mapfile" => list_entry(self.map_list.as_deref(), arg, "show map").map(|(_, p)| p),
            "aclfile" => list_entry(self.acl_list.as_deref(), arg, "show acl").map(|(_, p)| p),
            "mapref" => self.entry_ref(arg, &self.map_dumps, self.map_list.as_deref(), "map"),
            "aclref" => self.entry_ref(arg, &self.acl_dumps, self.acl_list.as_deref(), "acl"),
            "tlsfile" => self.tls_file(arg),
            "tlsdir" => self.tls_file(arg).map(|f| {
                f.rsplit_once('/')
                    .map_or(String::new(), |(d, _)| d.to_owned())
            }),
            "file" => self.file_lines(arg),
            "ocspkey" => self
                .ocsp_list
                .as_deref()
                .and_then(|l| {
                    l.lines()
                        .find_map(|line| line.strip_prefix("Certificate ID key : "))
                })
                .map(|k| k.trim().to_owned())
                .ok_or_else(|| "{{ocspkey}} before a `show ssl ocsp-response` listing one".into()),
            "newver" => self
                .new_version
                .clone()
                .ok_or_else(|| "{{newver}} before any `New version created:` reply".into()),
            _ => Err(format!("unknown placeholder {{{{{placeholder}}}}}")),
        }
    }

    /// The first name in the latest TLS lists that is `file` or ends with `/file`.
    fn tls_file(&self, file: &str) -> Result<String, String> {
        let suffix = format!("/{file}");
        ["cert", "crt-list", "ca-file", "crl-file"]
            .iter()
            .filter_map(|kind| self.tls_lists.get(*kind))
            .flat_map(|list| list.lines())
            .filter(|line| !line.starts_with('#') && !line.starts_with('*'))
            .filter_map(|line| line.split_whitespace().next())
            .find(|name| *name == file || name.ends_with(&suffix))
            .map(str::to_string)
            .ok_or_else(|| format!("no {file} in the latest `show ssl …` lists"))
    }

    /// The lines of a file (blank lines and CRs dropped), joined by `\n`: the payload lines
    /// one `{{file:…}}` line stands for.
    fn file_lines(&self, path: &str) -> Result<String, String> {
        let full = match &self.base_dir {
            Some(dir) => dir.join(path),
            None => PathBuf::from(path),
        };
        let text = std::fs::read_to_string(&full)
            .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
        Ok(text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    fn session_id(&self, pattern: &str) -> Result<String, String> {
        let sess = self
            .sess
            .as_deref()
            .ok_or("{{sess:…}} before any `show sess`")?;
        sess.lines()
            .find(|line| line.split_whitespace().any(|w| w == pattern))
            .and_then(|line| line.split(':').next())
            .map(|id| id.trim().to_string())
            .ok_or_else(|| format!("no stream with {pattern} in the latest `show sess`"))
    }

    fn entry_ref(
        &self,
        arg: &str,
        dumps: &HashMap<String, String>,
        list: Option<&str>,
        kind: &str,
    ) -> Result<String, String> {
        let (name, key) = arg
            .rsplit_once(':')
            .ok_or_else(|| format!("{{{{{kind}ref:NAME:KEY}}}} needs NAME:KEY"))?;
        let id = if name.starts_with('#') {
            name.to_string()
        } else {
            format!("#{}", list_entry(list, name, &format!("show {kind}"))?.0)
        };
        let dump = dumps.get(&id).or_else(|| dumps.get(name)).ok_or_else(|| {
            format!("no `show {kind} {id}` recorded before {{{{{kind}ref:{arg}}}}}")
        })?;
        dump.lines()
            .find(|line| line.split_whitespace().nth(1) == Some(key))
            .and_then(|line| line.split_whitespace().next())
            .map(str::to_string)
            .ok_or_else(|| format!("no entry {key:?} in the latest `show {kind} {id}`"))
    }
}

/// Finds `<id> (<path>) …` in a `show map` / `show acl` list whose path is `file` or ends with
/// `/file`; returns (id, path).
fn list_entry(list: Option<&str>, file: &str, what: &str) -> Result<(String, String), String> {
    let list = list.ok_or_else(|| format!("placeholder for {file} before any `{what}`"))?;
    for line in list.lines() {
        let Some((id, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some(path) = rest.strip_prefix('(').and_then(|r| r.split(')').next()) else {
            continue;
        };
        if !path.is_empty() && (path == file || path.ends_with(&format!("/{file}"))) {
            return Ok((id.to_string(), path.to_string()));
        }
    }
    Err(format!("no {file} in the latest `{what}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_payloads() {
        let text = "# c\n\nadmin show info\nuser   show cli level  \n@sleep 20\nadmin add map #4 <<\n| a b\n|  c d\nadmin show map #4\n";
        let s = Scenario::parse(text).unwrap();
        assert_eq!(s.steps.len(), 5);
        assert_eq!(
            s.steps[1],
            Step::Exchange {
                line: 4,
                socket: Level::User,
                command: "show cli level".into(),
                payload: vec![]
            }
        );
        assert_eq!(
            s.steps[3],
            Step::Exchange {
                line: 6,
                socket: Level::Admin,
                command: "add map #4 <<".into(),
                payload: vec!["a b".into(), " c d".into()]
            }
        );
        assert!(Scenario::parse("admin add map #4 <<\nadmin show info\n").is_err());
        assert!(Scenario::parse("| orphan\n").is_err());
        assert!(Scenario::parse("root show info\n").is_err());
        assert!(Scenario::parse("@nap 3\n").is_err());
        assert!(Scenario::parse("admin add map #4 <<\n|\n").is_err());
    }

    #[test]
    fn placeholders() {
        let mut subs = Substitutions::new(HashMap::from([("port".into(), "8082".into())]));
        assert!(subs.expand("show sess {{sess:fe=fe_tcp}}").is_err());
        subs.observe(
            "show sess",
            b"0x1: proto=unix_stream fe=GLOBAL\n0x2a: proto=tcpv4 src=1.2.3.4:5 fe=fe_tcp be=be_tcp\n\n",
        );
        subs.observe(
            "show map",
            b"# id (file) description\n4 (/etc/h/hosts.map) pattern loaded\n\n",
        );
        subs.observe("show map #4", b"0xab app.example.com be_app\n0xcd x y\n\n");
        // 3.4's user-level socket refuses `show map`: the admin list stays the latest.
        subs.observe("show map", b"Permission denied\n\n");
        subs.observe("show map #4", b"Permission denied\n\n");
        subs.observe("prepare map #4", b"New version created: 3\n\n");
        assert_eq!(
            subs.expand("a {{sess:fe=fe_tcp}} {{mapid:hosts.map}} {{mapref:hosts.map:x}} @{{newver}} {{var:port}} {{mapfile:hosts.map}}")
                .unwrap(),
            "a 0x2a #4 0xcd @3 8082 /etc/h/hosts.map"
        );
        assert!(subs.expand("{{mapid:other.map}}").is_err());
        assert!(subs.expand("{{nope}}").is_err());
        assert!(subs.expand("{{var:nope}}").is_err());
        assert!(subs.expand("{{unclosed").is_err());
        subs.observe(
            "show ssl cert",
            b"# filename\n/etc/h/tls/site.pem\n/etc/h/tls/api.pem\n\n",
        );
        subs.observe(
            "show ssl ca-file",
            b"# filename\n/etc/h/tls/ca.pem - 1 certificate(s)\n\n",
        );
        assert_eq!(
            subs.expand("{{tlsfile:api.pem}}").unwrap(),
            "/etc/h/tls/api.pem"
        );
        assert_eq!(
            subs.expand("{{tlsfile:ca.pem}}").unwrap(),
            "/etc/h/tls/ca.pem"
        );
        assert!(subs.expand("{{tlsfile:te.pem}}").is_err());
        assert!(subs.expand("{{ocspkey}}").is_err());
        subs.observe(
            "show ssl ocsp-response",
            b"# Certificate IDs\nCertificate ID key : 303b30\n Certificate ID:\n   Serial Number: 1001\n\n",
        );
        assert_eq!(subs.expand("{{ocspkey}}").unwrap(), "303b30");
        assert_eq!(
            subs.expand("{{tlsdir:api.pem}}/new.pem").unwrap(),
            "/etc/h/tls/new.pem"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.pem"), "a\r\n\nb\n").unwrap();
        let subs = subs.with_base_dir(dir.path().to_path_buf());
        assert_eq!(subs.expand("{{file:x.pem}}").unwrap(), "a\nb");
    }
}
