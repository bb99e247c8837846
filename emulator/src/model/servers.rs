//! Server commands: weights, admin and health states, addresses, maxconn, agents, and
//! dynamic servers (`add server`, `del server`), with HAProxy's validation and messages.

use super::counters;
use super::proxies::{Server, admin, check, op};
use super::table::Row;
use super::{Model, Reply};
use crate::version::Version;

/// The agent's `show stat` columns, empty on a server without an agent.
const AGENT_STAT_COLUMNS: &[&str] = &[
    "agent_status",
    "agent_code",
    "agent_duration",
    "agent_desc",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "last_agt",
];

/// Load-balancing algorithms that accept servers added at runtime.
/// (`unknown` is what 3.4 prints for a backend whose configuration names no algorithm: it runs
/// the default, roundrobin.)
const DYNAMIC_ALGORITHMS: &[&str] = &["roundrobin", "leastconn", "first", "random", "unknown"];

/// The hash algorithms (`algo` column): dynamic only with `hash-type consistent` (the default,
/// map-based, is static).
const HASH_ALGORITHMS: &[&str] = &["source", "uri", "url_param", "hdr", "rdp-cookie", "hash"];

impl Model {
    /// Finds `backend/server` for a command, or HAProxy's message saying what is wrong
    /// (`cli_find_server`: a server of a proxy stopped by `shutdown frontend` — a listen
    /// section — is refused).
    pub(super) fn find_server(&self, spec: &str) -> Result<(usize, usize), Reply> {
        let (p, s) = self.locate_server(spec)?;
        if self.proxies[p].frontend_state == Some(super::proxies::FrontendState::Stopped) {
            return Err(Reply::line("Proxy is disabled."));
        }
        Ok((p, s))
    }

    /// Finds `backend/server` whatever state its proxy is in (the own lookups of `get weight`
    /// and `del server`).
    pub(super) fn locate_server(&self, spec: &str) -> Result<(usize, usize), Reply> {
        let Some((backend, server)) = spec.split_once('/') else {
            return Err(Reply::line("Require 'backend/server'."));
        };
        let Some(p) = self.backend_index(backend) else {
            return Err(Reply::line("No such backend."));
        };
        match self.proxies[p]
            .servers
            .iter()
            .position(|s| s.name == server)
        {
            Some(s) => Ok((p, s)),
            None => Err(Reply::line("No such server.")),
        }
    }

    /// True when the backend's algorithm takes weight changes and servers at run time.
    fn dynamic_algorithm(&self, proxy: usize) -> bool {
        let algo = self.proxies[proxy]
            .backend
            .as_ref()
            .map(|r| r.get("algo").to_owned())
            .unwrap_or_default();
        DYNAMIC_ALGORITHMS.contains(&algo.as_str())
            || (self.proxies[proxy].consistent_hash && HASH_ALGORITHMS.contains(&algo.as_str()))
    }

    fn server_at(&mut self, (p, s): (usize, usize)) -> &mut Server {
        &mut self.proxies[p].servers[s]
    }

    /// `get weight <backend/server>`.
    pub(super) fn get_weight(&self, args: &[&str]) -> Reply {
        let [spec] = args else {
            return Reply::NotModelled;
        };
        match self.locate_server(spec) {
            Ok((p, s)) => {
                let server = &self.proxies[p].servers[s];
                Reply::line(format!(
                    "{} (initial {})",
                    server.weight, server.initial_weight
                ))
            }
            Err(reply) => reply,
        }
    }

    /// `set weight <backend/server> <weight>`.
    pub(super) fn set_weight_command(&mut self, args: &[&str]) -> Reply {
        let [spec, weight] = args else {
            return match args {
                [spec] => self
                    .find_server(spec)
                    .err()
                    .unwrap_or_else(|| Reply::line("Require <weight>.")),
                _ => Reply::NotModelled,
            };
        };
        match self.find_server(spec) {
            Ok(at) => self.set_weight(at, weight),
            Err(reply) => reply,
        }
    }

    /// A weight, absolute (`0`…`256`) or relative to the initial one (`50%`).
    fn set_weight(&mut self, at: (usize, usize), text: &str) -> Reply {
        let dynamic = self.dynamic_algorithm(at.0);
        let old_weights = self.version < Version::new(3, 0, 0);
        let server = self.server_at(at);
        let (digits, relative) = match text.strip_suffix('%') {
            Some(d) => (d, true),
            None => (text, false),
        };
        let Ok(value) = digits.parse::<u32>() else {
            return self.server_message("Empty weight string empty or preceded by garbage");
        };
        let weight = if relative {
            // A share of the initial weight, capped at the largest weight.
            (value.saturating_mul(server.initial_weight) / 100).min(256)
        } else {
            if value > 256 {
                return Reply::line("Absolute weight can only be between 0 and 256 inclusive.");
            }
            value
        };
        if !dynamic && weight != 0 && weight != server.initial_weight {
            return Reply::line(
                "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.",
            );
        }
        server.set_weight(weight, !old_weights);
        Reply::ok()
    }

    /// `set maxconn server <backend/server> <n>`.
    pub(super) fn set_server_maxconn(&mut self, spec: &str, value: &str) -> Reply {
        let at = match self.find_server(spec) {
            Ok(at) => at,
            Err(reply) => return reply,
        };
        let Ok(v) = value.parse::<u32>() else {
            return self.server_message("maxconn string empty or preceded by garbage");
        };
        self.server_at(at).maxconn = v;
        Reply::ok()
    }

    /// `set server <backend/server> <what> …`.
    pub(super) fn set_server(&mut self, args: &[&str]) -> Reply {
        let Some((spec, rest)) = args.split_first() else {
            return Reply::NotModelled;
        };
        let at = match self.find_server(spec) {
            Ok(at) => at,
            Err(reply) => return reply,
        };
        let now = self.now();
        let server = self.server_at(at);
        match rest {
            ["weight", w] => self.set_weight(at, w),
            ["state", state] => {
                match *state {
                    "ready" => server.admin &= !(admin::FMAINT | admin::FDRAIN),
                    "drain" => server.admin = (server.admin & !admin::FMAINT) | admin::FDRAIN,
                    "maint" => server.admin = (server.admin & !admin::FDRAIN) | admin::FMAINT,
                    _ => {
                        return Reply::line(
                            "'set server <srv> state' expects 'ready', 'drain' and 'maint'.",
                        );
                    }
                }
                server.touched(now);
                server.settle(now);
                Reply::ok()
            }
            ["health", state] => {
                let full = server.full_health();
                match *state {
                    "up" => {
                        server.op = op::RUNNING;
                        server.set_health(full, now);
                    }
                    "stopping" => server.op = op::STOPPING,
                    "down" => {
                        server.op = op::STOPPED;
                        server.set_health(0, now);
                    }
                    _ => {
                        return Reply::line(
                            "'set server <srv> health' expects 'up', 'stopping', or 'down'.",
                        );
                    }
                }
                server.touched(now);
                Reply::ok()
            }
            ["agent", state] => {
                if server.agent & check::CONFIGURED == 0 {
                    return Reply::line("agent checks are not enabled on this server.");
                }
                match *state {
                    "up" => {
                        server.agent_health = 1;
                        if !server.in_maint() {
                            server.op = op::RUNNING;
                        }
                    }
                    "down" => {
                        server.agent_health = 0;
                        server.op = op::STOPPED;
                    }
                    _ => return Reply::line("'set server <srv> agent' expects 'up' or 'down'."),
                }
                server.touched(now);
                Reply::ok()
            }
            ["agent-send", _text] => {
                if server.agent & check::CONFIGURED == 0 {
                    return Reply::line("agent checks are not enabled on this server.");
                }
                Reply::ok()
            }
            [field @ ("check-addr" | "agent-addr"), addr, tail @ ..] => {
                let agent = *field == "agent-addr";
                let port = match tail {
                    [] => None,
                    ["port", p] => Some(*p),
                    _ => return Reply::NotModelled,
                };
                self.set_check_target(at, agent, Some(addr), port)
            }
            ["agent-port", port] => self.set_check_target(at, true, None, Some(port)),
            ["fqdn", name] => self.set_fqdn(at, name),
            ["check-port", port] => match port.parse::<u16>() {
                Ok(p) => {
                    server.check_port = p;
                    Reply::ok()
                }
                Err(_) => {
                    Reply::line("'set server <srv> check-port' expects an integer as argument.")
                }
            },
            ["addr", addr, tail @ ..] => {
                let port = match tail {
                    [] => None,
                    ["port", p] => match p.parse::<u16>() {
                        Ok(p) => Some(p),
                        Err(_) => return Reply::NotModelled,
                    },
                    _ => return Reply::NotModelled,
                };
                let old_style = self.version < Version::new(3, 0, 0);
                let server = self.server_at(at);
                if addr.parse::<std::net::IpAddr>().is_err() {
                    return Reply::line(if old_style {
                        format!("Invalid addr '{addr}' by 'stats socket command'")
                    } else {
                        format!("Invalid addr '{addr}'")
                    });
                }
                let old_addr = std::mem::replace(&mut server.addr, (*addr).to_owned());
                let same_port = port.is_none_or(|p| p == server.port);
                if !old_style && old_addr == *addr && same_port {
                    return Reply::line("nothing changed");
                }
                let mut message = if old_addr == *addr {
                    "no need to change the addr".to_owned()
                } else {
                    format!("IP changed from '{old_addr}' to '{addr}'")
                };
                if old_addr != *addr || port.is_some_and(|p| p != server.port) {
                    // HAProxy computes the server's dynamic cookie again.
                    server.dyncookie_pending = false;
                }
                match port {
                    Some(p) if p != server.port => {
                        message
                            .push_str(&format!(", port changed from '{}' to '{p}'", server.port));
                        server.port = p;
                    }
                    Some(_) if old_style => message.push_str(", no need to change the port"),
                    Some(_) => {}
                    None => {}
                }
                Reply::line(format!("{message} by 'stats socket command'"))
            }
            _ => Reply::NotModelled,
        }
    }

    /// `set server … check-addr|agent-addr <ip> [port <p>]` and `agent-port <p>`: HAProxy's
    /// `srv_update_check_addr_port` / `srv_update_agent_addr_port` (messages without a LF
    /// before 3.0; from 3.4 `check-addr` refuses every address, as 3.4.7 does).
    fn set_check_target(
        &mut self,
        at: (usize, usize),
        agent: bool,
        addr: Option<&str>,
        port: Option<&str>,
    ) -> Reply {
        let server = &self.proxies[at.0].servers[at.1];
        let enabled = if agent {
            server.agent & check::ENABLED != 0
        } else {
            server.checked()
        };
        if !enabled {
            let what = if agent { "agent" } else { "health" };
            return self.server_message(&format!("{what} checks are not enabled on this server"));
        }
        if let Some(a) = addr {
            let refused_by_34 = !agent && self.version >= Version::new(3, 4, 0);
            if refused_by_34 || a.parse::<std::net::IpAddr>().is_err() {
                return self.server_message(&format!("invalid addr '{a}'"));
            }
        }
        let port = match port.map(str::parse::<i64>) {
            None => None,
            Some(Ok(p)) if (0..=65535).contains(&p) => Some(p),
            Some(Ok(_)) => return self.server_message("provided port is invalid"),
            Some(Err(_)) => return self.server_message("provided port is not an integer"),
        };
        let server = self.server_at(at);
        let (addr_column, port_column) = if agent {
            ("srv_agent_addr", "srv_agent_port")
        } else {
            ("srv_check_addr", "srv_check_port")
        };
        if let Some(a) = addr {
            server.state.set(addr_column, a);
        }
        if let Some(p) = port {
            if agent {
                server.state.set(port_column, p);
            } else {
                // Rendered from the field.
                server.check_port = p as u16;
            }
        }
        Reply::ok()
    }

    /// `set server … fqdn <name>`: only for a server with resolvers (the model knows those by
    /// the FQDN the seed recorded). The new name is not resolved: the model keeps the address.
    fn set_fqdn(&mut self, at: (usize, usize), name: &str) -> Reply {
        let backend = self.proxies[at.0].name.clone();
        let server = self.server_at(at);
        let current = server.state.get("srv_fqdn").to_owned();
        if current.is_empty() || current == "-" {
            return Reply::line(
                "set server <b>/<s> fqdn failed because no resolution is configured.",
            );
        }
        let valid = !name.is_empty()
            && name.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let by = "by 'stats socket command'";
        if !valid {
            return Reply::line(format!(
                "could not update {backend}/{} FQDN {by}",
                server.name
            ));
        }
        if current == name {
            return Reply::line(format!("no need to change the FDQN {by}"));
        }
        server.state.set("srv_fqdn", name);
        Reply::line(format!(
            "{backend}/{} changed its FQDN from {current} to {name} {by}",
            server.name
        ))
    }

    /// `enable|disable server|health|agent <backend/server>`.
    pub(super) fn toggle(&mut self, enable: bool, what: &str, args: &[&str]) -> Reply {
        let [spec] = args else {
            return Reply::NotModelled;
        };
        let at = match self.find_server(spec) {
            Ok(at) => at,
            Err(reply) => return reply,
        };
        let now = self.now();
        let server = self.server_at(at);
        match (what, enable) {
            // The same as `set server … state ready` / `maint`.
            ("server", true) => server.admin &= !(admin::FMAINT | admin::FDRAIN),
            ("server", false) => server.admin = (server.admin & !admin::FDRAIN) | admin::FMAINT,
            // Turning off what is not there is not an error.
            ("health", false) if server.check & check::CONFIGURED == 0 => return Reply::ok(),
            ("agent", false) if server.agent & check::CONFIGURED == 0 => return Reply::ok(),
            ("health", _) if server.check & check::CONFIGURED == 0 => {
                return Reply::line(
                    "Health check was not configured on this server, cannot enable.",
                );
            }
            ("health", true) => {
                server.check |= check::ENABLED;
                let health = server.health;
                server.set_health(health, now);
            }
            ("health", false) => {
                let health = server.health_now(now);
                server.set_health(health, now);
                server.check &= !check::ENABLED;
            }
            ("agent", _) if server.agent & check::CONFIGURED == 0 => {
                return Reply::line("Agent was not configured on this server, cannot enable.");
            }
            ("agent", true) => server.agent |= check::ENABLED,
            ("agent", false) => server.agent &= !check::ENABLED,
            _ => return Reply::NotModelled,
        }
        server.touched(now);
        server.settle(now);
        Reply::ok()
    }

    /// `add server <backend/server> <addr>[:<port>] [keywords]`.
    pub(super) fn add_server(&mut self, args: &[&str]) -> Reply {
        let Some((spec, rest)) = args.split_first() else {
            return Reply::NotModelled;
        };
        let Some((backend, name)) = spec.split_once('/') else {
            return self.server_message("Require 'backend/server'.");
        };
        let Some(p) = self.backend_index(backend) else {
            return self.server_message("No such backend.");
        };
        if !self.dynamic_algorithm(p) {
            let message = if self.version >= Version::new(3, 3, 0) {
                format!(
                    "Backend does not support dynamic servers : backend '{backend}' uses a non dynamic load balancing method."
                )
            } else {
                "Backend must use a dynamic load balancing to support dynamic servers.".to_owned()
            };
            return self.server_message(&message);
        }
        if self.proxies[p].server(name).is_some() {
            return Reply::line("Already exists a server with the same name in backend.");
        }
        let Some((addr_text, keywords)) = rest.split_first() else {
            return Reply::NotModelled;
        };
        let Some((addr, port)) = split_addr(addr_text) else {
            return Reply::NotModelled;
        };
        let mut server_check = 0;
        let mut weight = 1;
        let mut maxconn = 0;
        let mut ssl = false;
        let mut words = keywords.iter();
        while let Some(&word) = words.next() {
            match word {
                "check" => server_check = check::CONFIGURED,
                "weight" => match words.next().and_then(|w| w.parse().ok()) {
                    Some(w) => weight = w,
                    None => return Reply::NotModelled,
                },
                "maxconn" => match words.next().and_then(|w| w.parse().ok()) {
                    Some(m) => maxconn = m,
                    None => return Reply::NotModelled,
                },
                "inter" | "port" => {
                    if words.next().is_none() {
                        return Reply::NotModelled;
                    }
                }
                "ssl" => ssl = true,
                "verify" => {
                    words.next();
                }
                _ => return Reply::NotModelled,
            }
        }
        let now = self.now();
        let Some(template) = self.server_template(p) else {
            return Reply::NotModelled;
        };
        let proxy = &mut self.proxies[p];
        // HAProxy gives the lowest id no server of the backend has.
        let id = (1..)
            .find(|id| proxy.servers.iter().all(|s| s.id != *id))
            .unwrap_or(1);
        let mut stat = template.stat.clone();
        counters::zero(
            &mut stat,
            &[counters::CURRENT, counters::MAXIMA, counters::TOTALS],
        );
        stat.set("pxname", backend);
        stat.set("iid", proxy.id);
        stat.set("svname", name);
        stat.set("sid", id);
        stat.set("bck", 0);
        stat.set("act", 1);
        stat.set("lastsess", -1);
        // Nothing of the template's agent, check address or TLS carries over, nor its own
        // `cookie` (HAProxy 2.6.12 shows none for a server added next to one with `cookie own1`).
        for column in AGENT_STAT_COLUMNS {
            stat.set(column, "");
        }
        stat.set("cookie", "");
        let mut state: Row = template.state.clone();
        for (column, value) in [
            ("srv_agent_port", "0"),
            ("srv_agent_addr", "-"),
            ("srv_check_addr", "-"),
            ("srv_fqdn", "-"),
            ("srvrecord", "-"),
            ("srv_f_forced_id", "0"),
            ("srv_use_ssl", if ssl { "1" } else { "0" }),
        ] {
            state.set(column, value);
        }
        state.set("be_id", proxy.id);
        state.set("be_name", backend);
        if proxy.runtime {
            state.set("bk_f_forced_id", 0);
        }
        state.set("srv_name", name);
        state.set("srv_id", id);
        state.set("srv_check_status", 1);
        state.set("srv_check_result", 0);
        let mut server = Server {
            id,
            name: name.to_owned(),
            addr,
            port,
            admin: admin::FMAINT,
            op: op::STOPPED,
            weight,
            initial_weight: weight,
            backup: false,
            check: server_check,
            agent: 0,
            rise: template.rise.max(1),
            fall: template.fall.max(1),
            health: 0,
            health_at: now,
            agent_health: 1,
            maxconn,
            check_port: 0,
            // Until it first leaves maintenance, 3.2 and older show 1 for its weight.
            shown_weight: if self.version >= Version::new(3, 4, 0) {
                weight
            } else {
                1
            },
            was_maint: true,
            checks_fail: false,
            last_change: now,
            added: true,
            dyncookie_pending: self.version < Version::new(3, 0, 0),
            tracks: None,
            stat,
            state,
        };
        server.settle(now);
        // From 3.0 a new server gets its dynamic cookie at once, and outside HTTP mode HAProxy
        // warns that it will not be used.
        let ignored_cookie = !server.dyncookie_pending
            && proxy
                .dynamic_cookies
                .cookie_of(&server, server.stat.get("cookie"))
                .is_some()
            && proxy
                .backend
                .as_ref()
                .is_some_and(|b| b.get("mode") != "http");
        // HAProxy appends to a configuration backend's list, but links a backend made at
        // runtime backwards (it never gets PR_FL_CHECKED): its newest server comes first.
        if proxy.runtime {
            proxy.servers.insert(0, server);
        } else {
            proxy.servers.push(server);
        }
        if ignored_cookie {
            return Reply::line(
                "Ignoring cookie as HTTP mode is disabled.\nNew server registered.",
            );
        }
        Reply::line("New server registered.")
    }

    /// The server a new one in proxy `p` copies its rows from: one of the backend whose checks
    /// pass (a new server's checks pass in the model), else its first; for a backend without
    /// servers (one made by `add backend`), a server of another backend in the same mode.
    fn server_template(&self, p: usize) -> Option<Server> {
        let passing = |s: &Server| s.stat.get("check_status").ends_with("OK");
        let own = &self.proxies[p].servers;
        if let Some(s) = own.iter().find(|s| passing(s)).or(own.first()) {
            return Some(s.clone());
        }
        let mode = self.proxies[p].backend.as_ref()?.get("mode");
        let same_mode: Vec<&Server> = self
            .proxies
            .iter()
            .flat_map(|q| q.servers.iter())
            .filter(|s| s.stat.get("mode") == mode)
            .collect();
        same_mode
            .iter()
            .find(|s| passing(s))
            .or(same_mode.first())
            .map(|s| (*s).clone())
    }

    /// `del server <backend/server>`.
    /// `wait <delay> srv-removable <b>/<s>` (3.0+): `Done.` when `del server` would succeed,
    /// else HAProxy's `Failed.` (with the reason from 3.3); a server that still has sessions answers at once
    /// with `Wait delay expired. …` (the model does not hold a CLI session open while its
    /// clocks run). Other forms of `wait` are not modelled.
    pub(super) fn wait_command(&mut self, args: &[&str]) -> Reply {
        let Some(delay) = args.first() else {
            return Reply::line("Expects a duration in milliseconds.");
        };
        if *delay == "-h" || args.get(1) != Some(&"srv-removable") {
            return Reply::NotModelled;
        }
        if !is_duration(delay) {
            return Reply::line("Invalid duration.");
        }
        let Some(spec) = args.get(2) else {
            return Reply::line("Missing server name (<backend>/<server>).");
        };
        match spec.split_once('/') {
            Some((_, server)) if !server.is_empty() => {}
            _ => return Reply::line("Require 'backend/server'."),
        }
        // The reason came with 3.3 (HAProxy commit bce29bc7a); 3.0 to 3.2 say only the verdict.
        let why = |why: String| {
            if self.version >= Version::new(3, 3, 0) {
                format!(" {why}")
            } else {
                String::new()
            }
        };
        match self.removable(spec) {
            Ok(_) => Reply::line("Done."),
            Err(Removal::Never(reason)) => Reply::line(format!("Failed.{}", why(reason))),
            Err(Removal::Busy(reason)) => {
                Reply::line(format!("Wait delay expired.{}", why(reason)))
            }
        }
    }

    /// Whether `del server <spec>` would succeed now: the server's position, or why not.
    fn removable(&self, spec: &str) -> Result<(usize, usize), Removal> {
        let at = self.locate_server(spec).map_err(|reply| match reply {
            Reply::Body(message) => {
                Removal::Never(String::from_utf8_lossy(&message).trim_end().to_owned())
            }
            Reply::NotModelled => Removal::Never(String::new()),
        })?;
        // A server another one tracks is pointed to by the configuration (HAProxy's
        // SRV_F_NON_PURGEABLE), checked before its state.
        let key = (
            self.proxies[at.0].name.clone(),
            self.proxies[at.0].servers[at.1].name.clone(),
        );
        let tracked = self
            .proxies
            .iter()
            .flat_map(|p| &p.servers)
            .any(|s| s.tracks.as_ref() == Some(&key));
        if tracked {
            return Err(Removal::Never(
                "This server cannot be removed at runtime due to other configuration elements pointing to it."
                    .to_owned(),
            ));
        }
        if self.proxies[at.0].servers[at.1].admin & admin::MAINT == 0 {
            return Err(Removal::Never(
                "Only servers in maintenance mode can be deleted.".to_owned(),
            ));
        }
        let (backend, server) = (
            &self.proxies[at.0].name,
            &self.proxies[at.0].servers[at.1].name,
        );
        if self.sessions_on(backend, server) > 0 {
            return Err(Removal::Busy(
                "Server still has connections attached to it, cannot remove it.".to_owned(),
            ));
        }
        Ok(at)
    }

    pub(super) fn del_server(&mut self, args: &[&str]) -> Reply {
        let [spec] = args else {
            return Reply::NotModelled;
        };
        match self.removable(spec) {
            Ok(at) => {
                self.proxies[at.0].servers.remove(at.1);
                self.server_message("Server deleted.")
            }
            Err(Removal::Never(why) | Removal::Busy(why)) => self.server_message(&why),
        }
    }
}

/// Why a server cannot be deleted now.
enum Removal {
    /// Not until something changes (not in maintenance, no such server …).
    Never(String),
    /// Not while sessions are attached.
    Busy(String),
}

/// HAProxy's `parse_time_err` forms: digits with an optional unit (`us`, `ms`, `s`, `m`,
/// `h`, `d`), and not zero.
fn is_duration(text: &str) -> bool {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.bytes().any(|b| b != b'0')
        && matches!(unit, "" | "us" | "ms" | "s" | "m" | "h" | "d")
}

/// `addr[:port]` of `add server` (IPv6 in brackets).
fn split_addr(text: &str) -> Option<(String, u16)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, tail) = rest.split_once(']')?;
        let port = tail.strip_prefix(':').map_or(Some(0), |p| p.parse().ok())?;
        return Some((addr.to_owned(), port));
    }
    match text.rsplit_once(':') {
        Some((addr, port)) if !addr.contains(':') => Some((addr.to_owned(), port.parse().ok()?)),
        _ => Some((text.to_owned(), 0)),
    }
}
