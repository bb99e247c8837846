//! The model: HAProxy's runtime state held in memory, changed by the commands a client sends
//! and rendered in the exact text of the version it was seeded from (see docs/emulator.md).
//!
//! A command is either executed here ([`Reply::Body`]) or [`Reply::NotModelled`]; the session
//! then answers a read from the seed's recording and anything else with an explicit
//! `emulator:` message, never with a fake HAProxy refusal.

mod backends;
mod conns;
mod cookies;
mod counters;
mod frontends;
mod lists;
mod ocsp;
mod patterns;
mod pem;
mod proxies;
pub(crate) mod seed;
mod servers;
mod staging;
mod stats;
mod streams;
mod table;
mod tables;
mod tls;
mod tracking;
mod trust;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, Level};
use crate::tokenizer::Command;
use crate::version::Version;

use lists::List;
use proxies::Proxy;
use table::Columns;

/// What the model answers to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// HAProxy's output for the command, without the `"\n"` the CLI writes after each command.
    Body(Vec<u8>),
    /// The model does not execute this command.
    NotModelled,
}

impl Reply {
    /// A command that succeeded silently.
    fn ok() -> Reply {
        Reply::Body(Vec::new())
    }

    /// A one-line message (HAProxy ends it with its own newline).
    fn line(message: impl AsRef<str>) -> Reply {
        Reply::Body(format!("{}\n", message.as_ref()).into_bytes())
    }

    /// A message without a newline of its own (2.6's dynamic-server messages).
    fn bare(message: impl AsRef<str>) -> Reply {
        Reply::Body(message.as_ref().as_bytes().to_vec())
    }

    /// `Permission denied`.
    fn denied() -> Reply {
        Reply::line("Permission denied")
    }
}

/// HAProxy's runtime state for one emulated process.
#[derive(Debug, Clone)]
pub struct Model {
    version: Version,
    proxies: Vec<Proxy>,
    stat_columns: Arc<Columns>,
    state_format: String,
    state_columns: Arc<Columns>,
    info: Vec<(String, String)>,
    /// The model's clock: the process uptime was `uptime_at_epoch` at `epoch`, plus what
    /// [`Model::advance`] added.
    epoch: Instant,
    uptime_at_epoch: Duration,
    lists: Vec<List>,
    /// The next entry pointer handed to a new map/ACL/table entry.
    next_pointer: u64,
    /// Streams (`show sess`).
    streams: Vec<streams::Stream>,
    /// Stick tables.
    tables: Vec<tables::Table>,
    /// The model's clients end their streams a little after their server starts draining
    /// (so a drain finishes); off when comparing with a real HAProxy, whose clients stay.
    clients_leave: bool,
    /// The configuration's named `defaults` sections (`add backend … from <name>`).
    defaults: Vec<backends::Defaults>,
    /// The recorded `show servers conn` (columns and figures), when there is one.
    conns: Option<conns::ConnTable>,
    /// HAProxy's `dynpx_next_id`: the lowest id `add backend` may give (one past the
    /// configuration's highest, then each id it gave).
    dynamic_proxy_floor: u32,
    /// The GUIDs given to backends by `add backend … guid`, with the backend's name.
    guids: Vec<(String, String)>,
    /// Certificates and crt-lists, when the seed recorded `show ssl cert`.
    tls: Option<tls::Tls>,
}

impl Model {
    /// The model seeded from a version's recordings (in recorded order).
    pub fn seed(version: Version, fixtures: &[Fixture]) -> Result<Model, String> {
        let seed = seed::from_fixtures(fixtures)?;
        let next_pointer = seed
            .lists
            .iter()
            .flat_map(|l| l.pointers())
            .max()
            .map_or(0x7f00_0000_0000, |p| p + 0x80);
        let dynamic_proxy_floor = seed.proxies.iter().map(|p| p.id).max().unwrap_or(0) + 1;
        Ok(Model {
            version,
            proxies: seed.proxies,
            stat_columns: seed.stat_columns,
            state_format: seed.state_format,
            state_columns: seed.state_columns,
            info: seed.info,
            epoch: Instant::now(),
            uptime_at_epoch: seed.uptime,
            lists: seed.lists,
            next_pointer,
            streams: seed.streams,
            tables: seed.tables,
            clients_leave: true,
            defaults: Vec::new(),
            dynamic_proxy_floor,
            conns: seed.conns,
            guids: Vec::new(),
            tls: seed.tls,
        })
    }

    /// Executes one command at `level` (`payload` when the line carried one).
    pub fn execute(&mut self, level: Level, command: &Command, payload: Option<&[u8]>) -> Reply {
        self.execute_on(level, level, command, payload)
    }

    /// Executes one command at `level` on a session of a socket of `socket_level` (higher when
    /// the session was lowered by `user` or `operator`): HAProxy hides a stick table's
    /// contents, and `show stat`'s addresses and algorithms, by the socket's level, not the
    /// session's.
    pub fn execute_on(
        &mut self,
        socket_level: Level,
        level: Level,
        command: &Command,
        payload: Option<&[u8]>,
    ) -> Reply {
        let words: Vec<String> = command
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(&verb) = words.first() else {
            return Reply::NotModelled;
        };
        self.expire_streams();
        self.expire_entries();
        let noun = words.get(1).copied().unwrap_or("");
        let needs = |min: Level| level >= min;
        let reply = self.dispatch(socket_level, level, verb, noun, &words, payload, needs);
        self.start_drains();
        // Trackers follow what this command changed (the seed's are consistent already).
        self.propagate_tracking();
        reply
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        socket_level: Level,
        level: Level,
        verb: &str,
        noun: &str,
        words: &[&str],
        payload: Option<&[u8]>,
        needs: impl Fn(Level) -> bool,
    ) -> Reply {
        let args = words.get(2..).unwrap_or(&[]);
        match (verb, noun) {
            (_, "ssl") => self.ssl_command(level, verb, args, payload),
            ("show", "stat") => self.show_stat(socket_level, args),
            ("show", "info") if args.is_empty() => self.show_info(),
            ("show", "servers") if args.first() == Some(&"state") => {
                self.show_servers_state(&args[1..])
            }
            ("show", "servers") if args.first() == Some(&"conn") => {
                self.show_servers_conn(&args[1..])
            }
            ("show", "backend") if args.is_empty() => self.show_backend(),
            (
                "show" | "get" | "add" | "set" | "del" | "clear" | "prepare" | "commit",
                "map" | "acl",
            ) => {
                // 3.3 made every map and ACL command admin-level (HAProxy commit 94d2f69b9,
                // "CLI commands lack admin permission checks"); before, any level could read
                // and change them.
                if self.version >= Version::new(3, 3, 0) && !needs(Level::Admin) {
                    return Reply::denied();
                }
                self.list_command(words, payload)
            }
            // `acme status` (3.2+, admin): the seed's configurations renew nothing through
            // ACME (no `acme` section), so the header alone, as HAProxy prints it for them.
            ("acme", "status") if self.version >= Version::new(3, 2, 0) && args.is_empty() => {
                if !needs(Level::Admin) {
                    return Reply::denied();
                }
                Reply::line(
                    "# certificate\tsection\tstate\texpiration date (UTC)\texpires in\tscheduled date (UTC)\tscheduled in",
                )
            }
            // `acme renew <name>` (3.2+, admin): nothing in the seeds is renewed through ACME, so
            // a certificate HAProxy holds is refused for that, any other name as unknown.
            // (HAProxy 3.2 to 3.4 answer a missing name after releasing a lock they never took,
            // which leaves every later certificate command "locked"; the model does not copy
            // that, and the client cannot send the command without a name.)
            ("acme", "renew") if self.version >= Version::new(3, 2, 0) => {
                if !needs(Level::Admin) {
                    return Reply::denied();
                }
                let Some(name) = args.first() else {
                    return Reply::line(": not enough parameters");
                };
                let known = self
                    .tls
                    .as_ref()
                    .is_some_and(|tls| tls.store(name).is_some());
                if known {
                    Reply::line(format!("No ACME configuration defined for file '{name}'."))
                } else {
                    Reply::line(format!("Can't find the certificate '{name}'."))
                }
            }
            ("get", "weight") => self.get_weight(args),
            // The session's level now (lowered by `operator` / `user`).
            ("show", "cli") if args == ["level"] => Reply::line(level.as_str()),
            // `echo` came with 3.1; before, it is an unknown command (the recordings answer).
            ("echo", _) if self.version >= Version::new(3, 1, 0) => {
                Reply::line(words[1..].join(" "))
            }
            ("show", "sess") => self.show_sess(level, &words[2..]),
            ("shutdown", "frontend") if !needs(Level::Admin) => Reply::denied(),
            ("shutdown", "frontend") => self.frontend_command(verb, args),
            ("shutdown", _) => self.shutdown(level, &words[1..]),
            ("show", "table") => self.show_table(socket_level, args),
            ("set", "table") => self.set_table(level, args),
            ("clear", "table") => self.clear_table(level, args),
            ("clear", "counters") => self.clear_counters(level, args),
            ("set" | "add" | "del" | "enable" | "disable" | "publish" | "unpublish", _)
                if !needs(Level::Admin) =>
            {
                match (verb, noun) {
                    ("add" | "del", "backend") if self.version >= Version::new(3, 4, 0) => {
                        Reply::denied()
                    }
                    ("set" | "add" | "del", "server" | "weight" | "maxconn")
                    | ("set", "rate-limit" | "dynamic-cookie-key")
                    | ("enable" | "disable", "dynamic-cookie")
                    | ("enable" | "disable", "server" | "health" | "agent" | "frontend") => {
                        Reply::denied()
                    }
                    _ => Reply::NotModelled,
                }
            }
            ("set", "weight") => self.set_weight_command(args),
            ("set", "server") => self.set_server(args),
            ("set", "maxconn") => self.set_maxconn(args),
            ("set", "rate-limit") => self.set_rate_limit(args),
            ("enable" | "disable", "frontend") => self.frontend_command(verb, args),
            ("add", "server") => self.add_server(args),
            ("add", "backend") => self.add_backend(args),
            ("del", "backend") => self.del_backend(args),
            ("publish" | "unpublish", "backend") => self.publish_backend(verb == "publish", args),
            ("enable" | "disable", "dynamic-cookie") | ("set", "dynamic-cookie-key")
                if args.first() == Some(&"backend") =>
            {
                self.dynamic_cookie_command(verb, &args[1..])
            }
            ("del", "server") => self.del_server(args),
            // `wait` came with 3.0; before, it is an unknown command.
            ("wait", _) if self.version >= Version::new(3, 0, 0) => {
                if !needs(Level::Admin) {
                    return Reply::denied();
                }
                self.wait_command(&words[1..])
            }
            ("enable" | "disable", "server" | "health" | "agent") => {
                self.toggle(verb == "enable", noun, args)
            }
            _ => Reply::NotModelled,
        }
    }

    /// The `ssl` commands on certificates and crt-lists (`tls.rs`); CA and CRL files, OCSP
    /// and the rest are not modelled.
    fn ssl_command(
        &mut self,
        level: Level,
        verb: &str,
        args: &[&str],
        payload: Option<&[u8]>,
    ) -> Reply {
        let version = self.version;
        let Some(tls) = self.tls.as_mut() else {
            return Reply::NotModelled;
        };
        let (object, rest) = args.split_first().map_or(("", args), |(o, r)| (*o, r));
        if object == "ocsp-response" {
            return ocsp_command(tls, version, level, verb, rest, payload);
        }
        let modelled = matches!(
            (verb, object),
            ("show" | "set" | "commit" | "abort" | "new" | "del", "cert")
                | ("show" | "add" | "del", "crt-list")
                | (
                    "show" | "set" | "commit" | "abort" | "new" | "del",
                    "ca-file" | "crl-file"
                )
        ) || (verb, object) == ("show", "sni") && version >= Version::new(3, 2, 0);
        if !modelled {
            return Reply::NotModelled;
        }
        // HAProxy's levels: the certificate and CA/CRL reads need operator (below, they answer
        // this, every version), `show ssl sni` none, everything else admin.
        match (verb, object) {
            ("show", "cert" | "ca-file" | "crl-file") if level < Level::Operator => {
                return Reply::line("Can't allocate memory!");
            }
            ("show", "cert" | "ca-file" | "crl-file" | "sni") => {}
            _ if level < Level::Admin => return Reply::denied(),
            _ => {}
        }
        if let Some(kind) = match object {
            "ca-file" => Some(trust::Kind::Ca),
            "crl-file" => Some(trust::Kind::Crl),
            _ => None,
        } {
            return tls.trust_command(version, kind, verb, rest, payload);
        }
        match (verb, object) {
            ("show", "cert") => tls.show_cert(version, rest),
            ("set", "cert") => tls.set_cert(version, rest, payload),
            ("commit", "cert") => tls.commit_cert(version, rest),
            ("abort", "cert") => tls.abort_cert(rest),
            ("new", "cert") => tls.new_cert(version, rest),
            ("del", "cert") => tls.del_cert(version, rest),
            ("show", "crt-list") => tls.show_crt_list(rest),
            ("add", "crt-list") => tls.add_crt_list(rest, payload),
            ("del", "crt-list") => tls.del_crt_list(version, rest),
            _ => tls.show_sni(),
        }
    }

    /// Starts the process over as a new worker of pid `pid` (what a reload does to what the
    /// seed holds): its uptime begins at zero and `show info` names the new pid.
    pub fn restart(&mut self, pid: u32) {
        self.set_info("Pid", pid.to_string());
        self.epoch = Instant::now();
        self.uptime_at_epoch = Duration::ZERO;
    }

    /// The process uptime now: the model's clock, which every time-dependent answer reads
    /// (uptime, time since a server's last change, health climbing as checks pass).
    pub fn now(&self) -> Duration {
        self.uptime_at_epoch + self.epoch.elapsed()
    }

    /// Takes what a HAProxy configuration says that the recordings could not: the data types
    /// and expiry of stick tables that were empty when the seed was recorded (every
    /// `stick-table` line belongs to the proxy section it is in, whose name the table takes),
    /// the named `defaults` sections a runtime backend starts from (their `mode` and
    /// `balance`), and which backends the configuration names so that HAProxy will not delete
    /// them (`default_backend`, a fixed `use_backend`, `nbsrv(be)`…).
    pub fn apply_config(&mut self, config: &str) {
        self.apply_config_at(tls::CONFIG_PATH, config);
    }

    /// [`Model::apply_config`] for a configuration HAProxy loaded from `path`: HAProxy names a
    /// bind by its file and line (`show ssl sni`, the default-certificate refusal of `del ssl
    /// crt-list`), which 2.6 and 3.0 do not otherwise tell.
    pub fn apply_config_at(&mut self, path: &str, config: &str) {
        let mut section = "";
        let mut in_defaults = false;
        // `hash-type consistent` in the last defaults section, which later proxies inherit.
        let (mut in_any_defaults, mut inherited_consistent) = (false, false);
        // Dynamic cookies the configuration enables (`cookie … dynamic`, `dynamic-cookie-key`),
        // inherited from the last defaults section too, and the servers with a cookie of
        // their own (`server … cookie <value>`), per proxy.
        let mut inherited_cookies = cookies::DynamicCookies::default();
        let mut own_cookies: Vec<(String, String)> = Vec::new();
        for line in config.lines() {
            let trimmed = line.trim();
            let mut words = trimmed.split_whitespace();
            let first = words.next();
            // A keyword at the start of a line opens a section; comments do not.
            let starts_section =
                !line.starts_with([' ', '\t']) && first.is_some_and(|w| !w.starts_with('#'));
            if starts_section {
                in_defaults = false;
                in_any_defaults = false;
            }
            if first == Some("hash-type") {
                let consistent = trimmed.split_whitespace().nth(1) == Some("consistent");
                match self.proxy_mut(section) {
                    Some(proxy) if !in_any_defaults => proxy.consistent_hash = consistent,
                    _ => inherited_consistent = consistent,
                }
            }
            if let Some(setting @ ("cookie" | "dynamic-cookie-key")) = first {
                let value: Vec<&str> = trimmed.split_whitespace().skip(1).collect();
                let target = match self.proxy_mut(section) {
                    Some(proxy) if !in_any_defaults => &mut proxy.dynamic_cookies,
                    _ => &mut inherited_cookies,
                };
                if setting == "cookie" {
                    target.enabled = value.contains(&"dynamic");
                } else {
                    target.key = value.first().map(|k| k.trim_matches('"').to_owned());
                }
            }
            if first == Some("server") && !in_any_defaults {
                let mut rest = trimmed.split_whitespace().skip(1);
                let name = rest.next().unwrap_or("");
                if rest.any(|w| w == "cookie") {
                    own_cookies.push((section.to_owned(), name.to_owned()));
                }
            }
            match first {
                Some("frontend" | "backend" | "listen" | "peers") if starts_section => {
                    section = words.next().unwrap_or("");
                    let cookies = inherited_cookies.clone();
                    if let Some(proxy) = self.proxy_mut(section) {
                        proxy.consistent_hash = inherited_consistent;
                        proxy.dynamic_cookies = cookies;
                    }
                }
                Some("defaults") if starts_section => {
                    section = "";
                    in_any_defaults = true;
                    inherited_consistent = false;
                    inherited_cookies = cookies::DynamicCookies::default();
                    // An unnamed section cannot be named by `add backend … from`.
                    if let Some(name) = words.next() {
                        self.defaults.retain(|d| d.name != name);
                        self.defaults.push(backends::Defaults::named(name));
                        in_defaults = true;
                    }
                }
                Some(_) if in_defaults => {
                    if let Some(d) = self.defaults.last_mut() {
                        d.configure(trimmed);
                    }
                    self.pin_named_backends(trimmed);
                }
                Some("stick-table") => {
                    if let Some(t) = self.tables.iter_mut().find(|t| t.name() == section) {
                        t.configure(trimmed);
                    }
                }
                // A peers section's `table <name> …`: HAProxy names it `<peers>/<name>`.
                Some("table") => {
                    let name = format!("{section}/{}", words.next().unwrap_or(""));
                    if let Some(t) = self.tables.iter_mut().find(|t| t.name() == name) {
                        t.configure(trimmed);
                    }
                }
                Some(w) if !w.starts_with('#') => {
                    self.pin_named_backends(trimmed);
                    for (file, matcher, map) in patterns::uses_in(trimmed) {
                        for list in &mut self.lists {
                            list.add_matcher(&file, matcher.clone(), map);
                        }
                    }
                }
                _ => {}
            }
        }
        // The seed recorded the cookies HAProxy computed for the servers of a backend with
        // dynamic cookies; the model computes them (and recomputes them on a new address or
        // key), so only a server's own cookie stays a seeded cell.
        for proxy in &mut self.proxies {
            if !(proxy.dynamic_cookies.enabled && proxy.dynamic_cookies.key.is_some()) {
                continue;
            }
            for server in &mut proxy.servers {
                let own = own_cookies
                    .iter()
                    .any(|(p, s)| *p == proxy.name && *s == server.name);
                if !own && !server.added {
                    server.stat.set("cookie", "");
                }
            }
        }
        if let Some(tls) = self.tls.as_mut() {
            tls.configure_binds(path, config);
        }
    }

    /// The proxies (`frontend`, `backend`, `listen` sections) `config` declares that the
    /// model does not have: a configuration other than the one the seed was recorded from.
    /// [`Model::apply_config`] completes a seed; it does not build proxies.
    pub fn proxies_missing_from(&self, config: &str) -> Vec<String> {
        config
            .lines()
            .filter(|l| !l.starts_with([' ', '\t']))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                match words.next() {
                    Some("frontend" | "backend" | "listen") => words.next(),
                    _ => None,
                }
            })
            .filter(|name| self.proxies.iter().all(|p| p.name != *name))
            .map(str::to_owned)
            .collect()
    }

    /// Whether the model's clients leave a draining server (on by default; see
    /// [`streams::DRAIN_SECS`]).
    pub fn set_clients_leave(&mut self, leave: bool) {
        self.clients_leave = leave;
    }

    /// Moves the model's clock forward by `by` (tests, and replaying a capture at its own pace).
    pub fn advance(&mut self, by: Duration) {
        self.uptime_at_epoch += by;
    }

    /// The streams of every server in drain or maintenance end soon (the model's clients go
    /// away, so a drain finishes).
    fn start_drains(&mut self) {
        if !self.clients_leave {
            return;
        }
        let draining: Vec<(String, String)> = self
            .proxies
            .iter()
            .flat_map(|p| {
                p.servers
                    .iter()
                    .filter(|s| s.admin & (proxies::admin::DRAIN | proxies::admin::MAINT) != 0)
                    .map(|s| (p.name.clone(), s.name.clone()))
            })
            .collect();
        for (backend, server) in draining {
            self.drain_streams(&backend, &server);
        }
    }

    /// The proxy named `name`.
    fn proxy(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.name == name)
    }

    /// Where the proxy named `name` is, if it has a backend side (HAProxy's
    /// `proxy_be_by_name`: a backend or a listen section).
    fn backend_index(&self, name: &str) -> Option<usize> {
        self.proxies
            .iter()
            .position(|p| p.name == name && p.backend.is_some())
    }

    /// The proxy named `name`, to change it.
    fn proxy_mut(&mut self, name: &str) -> Option<&mut Proxy> {
        self.proxies.iter_mut().find(|p| p.name == name)
    }

    /// The version's `show info` value of `name`.
    fn info_value(&self, name: &str) -> Option<&str> {
        seed::info_value(&self.info, name)
    }

    /// True when messages about dynamic servers carry no newline of their own (2.6).
    fn bare_server_messages(&self) -> bool {
        self.version < Version::new(3, 0, 0)
    }

    /// A dynamic-server message in this version's framing.
    fn server_message(&self, message: &str) -> Reply {
        if self.bare_server_messages() {
            Reply::bare(message)
        } else {
            Reply::line(message)
        }
    }
}

/// The OCSP commands (`ocsp.rs`): 3.4 made them admin-level (HAProxy commit d47415624, "ocsp
/// commands warn when accessed without admin level"); before, any level could read and set
/// them (recorded from 2.6.12 to 3.2.26). `update` came with 2.8.
fn ocsp_command(
    tls: &mut tls::Tls,
    version: Version,
    level: Level,
    verb: &str,
    args: &[&str],
    payload: Option<&[u8]>,
) -> Reply {
    let known = match verb {
        "show" | "set" => true,
        "update" => version >= Version::new(2, 8, 0),
        _ => false,
    };
    if !known {
        return Reply::NotModelled;
    }
    if version >= Version::new(3, 4, 0) && level < Level::Admin {
        return Reply::denied();
    }
    match verb {
        "show" => tls.ocsp.show(version, args),
        "set" => tls.ocsp.set(args, payload),
        _ => tls.ocsp.update(args, |n| tls.store(n).is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::parse_line;

    fn model(version: &str) -> Model {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(version);
        let fixtures = crate::fixture::load_dir(&dir).unwrap();
        let v = Version::parse(&fixtures[0].haproxy).unwrap();
        Model::seed(v, &fixtures).unwrap()
    }

    fn run(m: &mut Model, level: Level, line: &str) -> String {
        let parsed = parse_line(line.as_bytes(), m.version);
        match m.execute(level, &parsed.commands[0], None) {
            Reply::Body(b) => String::from_utf8(b).unwrap(),
            Reply::NotModelled => "<not modelled>".into(),
        }
    }

    fn cell(stat: &str, server: &str, column: &str) -> String {
        let mut lines = stat.lines();
        let header: Vec<&str> = lines.next().unwrap()[2..].split(',').collect();
        let i = header.iter().position(|c| *c == column).unwrap();
        let row = lines
            .find(|l| l.split(',').nth(1) == Some(server))
            .unwrap_or_else(|| panic!("no {server} in\n{stat}"));
        row.split(',').nth(i).unwrap().to_owned()
    }

    #[test]
    fn an_added_server_has_no_cookie_of_its_own_and_gets_a_dynamic_one() {
        for version in ["2.6", "3.2"] {
            let mut m = model(version);
            // A configuration server with a cookie of its own, as `cookie own1` gives it.
            let at = m.backend_index("be_app").unwrap();
            m.proxies[at].servers[0].stat.set("cookie", "own1");
            let add = "add server be_app/extra 127.0.0.1:1";
            assert!(run(&mut m, Level::Admin, add).contains("New server registered."));
            let stat = run(&mut m, Level::Admin, "show stat be_app -1 -1");
            assert_eq!(cell(&stat, "app1", "cookie"), "own1", "{version}");
            assert_eq!(cell(&stat, "extra", "cookie"), "", "{version}");
            run(
                &mut m,
                Level::Admin,
                "set dynamic-cookie-key backend be_app k0",
            );
            run(&mut m, Level::Admin, "enable dynamic-cookie backend be_app");
            let stat = run(&mut m, Level::Admin, "show stat be_app -1 -1");
            assert_eq!(cell(&stat, "app1", "cookie"), "own1", "{version}");
            assert_eq!(cell(&stat, "extra", "cookie").len(), 16, "{version}");
        }
    }

    #[test]
    fn a_configuration_that_enables_dynamic_cookies_is_followed() {
        let mut m = model("3.2");
        let at = m.backend_index("be_app").unwrap();
        // As the seed would hold them had HAProxy computed cookies at start.
        for server in &mut m.proxies[at].servers {
            server.stat.set("cookie", "0123456789abcdef");
        }
        m.apply_config(
            "defaults\n    dynamic-cookie-key k0\n\nbackend be_app\n    cookie SRV insert dynamic\n    server app1 127.0.0.1:1 cookie own1\n    server app2 127.0.0.1:1\n",
        );
        let stat = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        // app1 has a cookie of its own: the seeded cell stays.
        assert_eq!(cell(&stat, "app1", "cookie"), "0123456789abcdef");
        let computed = cell(&stat, "app2", "cookie");
        assert!(
            computed.len() == 16 && computed != "0123456789abcdef",
            "{stat}"
        );
        // The key inherited from defaults, the flag from the backend: a new key changes it.
        run(
            &mut m,
            Level::Admin,
            "set dynamic-cookie-key backend be_app k1",
        );
        let stat = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        assert_ne!(cell(&stat, "app2", "cookie"), computed);
        run(
            &mut m,
            Level::Admin,
            "disable dynamic-cookie backend be_app",
        );
        let stat = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        assert_eq!(cell(&stat, "app2", "cookie"), "");
    }

    #[test]
    fn show_cli_level_says_the_session_level() {
        let mut m = model("3.2");
        for level in [Level::Admin, Level::Operator, Level::User] {
            assert_eq!(
                run(&mut m, level, "show cli level"),
                format!("{}\n", level.as_str())
            );
        }
    }

    #[test]
    fn a_drained_server_loses_its_sessions_when_clients_leave() {
        let mut m = model("3.2");
        let before = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        assert_eq!(cell(&before, "app2", "scur"), "1");
        assert_eq!(
            run(&mut m, Level::Admin, "set server be_app/app2 state drain"),
            ""
        );
        let during = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        assert_eq!(cell(&during, "app2", "status"), "DRAIN");
        assert_eq!(cell(&during, "app2", "scur"), "1");
        m.advance(Duration::from_secs(streams::DRAIN_SECS + 1));
        let after = run(&mut m, Level::Admin, "show stat be_app -1 -1");
        assert_eq!(cell(&after, "app2", "scur"), "0");
    }

    /// The capture configuration, applied to a 3.4 model.
    fn configured_34() -> Model {
        let mut m = model("3.4");
        let config =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/haproxy.cfg");
        m.apply_config(&std::fs::read_to_string(config).unwrap());
        m
    }

    #[test]
    fn del_backend_refuses_in_haproxys_order() {
        let mut m = configured_34();
        let mut ask = |line: &str| run(&mut m, Level::Admin, line);
        assert_eq!(ask("del backend fe_main"), "No such backend.\n");
        assert_eq!(ask("del backend a b"), "Usage: del backend <name>.\n");
        assert_eq!(
            ask("del backend st_clients"),
            "Cannot remove a backend with stick-table.\n"
        );
        // fe_main's default_backend.
        assert_eq!(
            ask("del backend be_app"),
            "This proxy cannot be removed at runtime due to other configuration elements pointing to it.\n"
        );
        // Reached only through the hosts map (a `%[…]` expression): not pinned.
        assert_eq!(
            ask("del backend be_api"),
            "Backend must be unpublished prior to its deletion.\n"
        );
        assert_eq!(ask("unpublish backend be_api"), "Backend unpublished.\n");
        assert_eq!(
            ask("del backend be_api"),
            "Only a backend without server can be deleted.\n"
        );
        // A new backend starts unpublished and empty: it can go at once.
        assert_eq!(ask("add backend b1 from web"), "New backend registered.\n");
        assert_eq!(ask("del backend b1"), "Backend deleted.\n");
        assert_eq!(ask("del backend b1"), "No such backend.\n");
    }

    #[test]
    fn a_backend_without_servers_is_up_and_unpublished_shows_it() {
        let mut m = configured_34();
        assert_eq!(
            run(&mut m, Level::Admin, "add backend b1 from web"),
            "New backend registered.\n"
        );
        let stat = run(&mut m, Level::Admin, "show stat b1 -1 -1");
        assert_eq!(cell(&stat, "BACKEND", "status"), "UP (UNPUB)");
        assert_eq!(cell(&stat, "BACKEND", "mode"), "http");
        assert_eq!(
            run(&mut m, Level::Admin, "publish backend"),
            "No such backend.\n"
        );
        assert_eq!(
            run(&mut m, Level::Admin, "publish backend b1"),
            "Backend published.\n"
        );
        let stat = run(&mut m, Level::Admin, "show stat b1 -1 -1");
        assert_eq!(cell(&stat, "BACKEND", "status"), "UP");
    }
}
