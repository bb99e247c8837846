//! Dynamic pool management: adding, removing, weighting and (de)activating servers.

use super::args::{Fqdn, ProxyName, ServerAddress, ServerRef, Weight};
use super::{Access, Command, Expect};

/// A server's administrative state (`set server … state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAdminState {
    /// Takes traffic.
    Ready,
    /// Takes no new sessions, except persistent ones; existing ones finish.
    Drain,
    /// Takes no traffic at all; health checks stop.
    Maint,
}

impl ServerAdminState {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Drain => "drain",
            Self::Maint => "maint",
        }
    }
}

/// A forced health-check state (`set server … health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// Marked up.
    Up,
    /// Marked stopping (up but taking no new traffic).
    Stopping,
    /// Marked down.
    Down,
}

impl HealthState {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Stopping => "stopping",
            Self::Down => "down",
        }
    }
}

/// A forced agent-check state (`set server … agent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    /// Agent reports up.
    Up,
    /// Agent reports down.
    Down,
}

impl AgentState {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// The options of `add server` this client supports. Every keyword is one HAProxy accepts on
/// dynamic servers in every version from 2.6 on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddServerOptions {
    /// Port; HAProxy reuses the client's destination port when absent.
    pub port: Option<u16>,
    /// Enable health checks (`check`).
    pub check: bool,
    /// Port for health checks (`port`).
    pub check_port: Option<u16>,
    /// Initial weight (`weight`), 0–256.
    pub weight: Option<u16>,
    /// Per-server connection limit (`maxconn`).
    pub maxconn: Option<u32>,
    /// Add as a backup server (`backup`).
    pub backup: bool,
    /// Check interval in milliseconds (`inter`).
    pub inter_ms: Option<u32>,
    /// Use TLS towards the server (`ssl verify none`: certificates are not configured at runtime).
    pub ssl: bool,
}

const NEW_SERVER: &[&str] = &["New server registered."];
const SERVER_DELETED: &[&str] = &["Server deleted."];
/// `set server … fqdn`: unchanged (HAProxy's spelling), or changed.
const FQDN_CHANGED: &[&str] = &["no need to change the FDQN", " changed its FQDN from "];
/// `wait … srv-removable` once the server can go (3.0+).
const WAIT_DONE: &[&str] = &["Done."];
/// 3.x answers a repeated change (same address and port) with `nothing changed`.
const ADDR_CHANGED: &[&str] = &[
    "IP changed from",
    "no need to change",
    "port changed from",
    "nothing changed",
];

impl Command {
    /// `add server <b>/<s> <addr>[:<port>] [keywords]`. HAProxy adds it in maintenance with
    /// health checks disabled.
    pub fn add_server(server: &ServerRef, addr: &ServerAddress, opts: &AddServerOptions) -> Self {
        let mut words = vec![
            "add".to_owned(),
            "server".to_owned(),
            server.to_string(),
            addr.with_port(opts.port),
        ];
        if opts.check {
            words.push("check".to_owned());
        }
        if let Some(p) = opts.check_port {
            words.extend(["port".to_owned(), p.to_string()]);
        }
        if let Some(w) = opts.weight {
            words.extend(["weight".to_owned(), w.to_string()]);
        }
        if let Some(m) = opts.maxconn {
            words.extend(["maxconn".to_owned(), m.to_string()]);
        }
        if let Some(i) = opts.inter_ms {
            words.extend(["inter".to_owned(), format!("{i}ms")]);
        }
        if opts.backup {
            words.push("backup".to_owned());
        }
        if opts.ssl {
            words.extend(["ssl".to_owned(), "verify".to_owned(), "none".to_owned()]);
        }
        Self::new(Access::Mutation, Expect::Message(NEW_SERVER), words)
    }

    /// `del server <b>/<s>`: only servers in maintenance with no sessions can go.
    pub fn del_server(server: &ServerRef) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(SERVER_DELETED),
            ["del".to_owned(), "server".to_owned(), server.to_string()],
        )
    }

    /// `wait <ms> srv-removable <b>/<s>` (3.0+): HAProxy waits up to `millis` until `del
    /// server` can succeed, and answers `Done.`, or why not (`Wait delay expired. …` while
    /// connections are still attached, `Failed. …` when it never could). Changes nothing, but
    /// needs admin level and only serves a deletion, so it is gated like one.
    pub fn wait_server_removable(server: &ServerRef, millis: u32) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(WAIT_DONE),
            [
                "wait".to_owned(),
                millis.to_string(),
                "srv-removable".to_owned(),
                server.to_string(),
            ],
        )
    }

    /// `enable server <b>/<s>` (same as state ready).
    pub fn enable_server(server: &ServerRef) -> Self {
        Self::change(["enable".to_owned(), "server".to_owned(), server.to_string()])
    }

    /// `disable server <b>/<s>` (same as state maint).
    pub fn disable_server(server: &ServerRef) -> Self {
        Self::change([
            "disable".to_owned(),
            "server".to_owned(),
            server.to_string(),
        ])
    }

    /// `set server <b>/<s> state ready|drain|maint`.
    pub fn set_server_state(server: &ServerRef, state: ServerAdminState) -> Self {
        Self::change([
            "set".to_owned(),
            "server".to_owned(),
            server.to_string(),
            "state".to_owned(),
            state.as_str().to_owned(),
        ])
    }

    /// `set server <b>/<s> weight <w>[%]`.
    pub fn set_weight(server: &ServerRef, weight: Weight) -> Self {
        Self::change([
            "set".to_owned(),
            "server".to_owned(),
            server.to_string(),
            "weight".to_owned(),
            weight.to_string(),
        ])
    }

    /// `get weight <b>/<s>`: current and initial weight.
    pub fn get_weight(server: &ServerRef) -> Self {
        Self::read(["get".to_owned(), "weight".to_owned(), server.to_string()])
    }

    /// `set maxconn server <b>/<s> <n>`.
    pub fn set_maxconn_server(server: &ServerRef, maxconn: u32) -> Self {
        Self::change([
            "set".to_owned(),
            "maxconn".to_owned(),
            "server".to_owned(),
            server.to_string(),
            maxconn.to_string(),
        ])
    }

    /// `set maxconn frontend <fe> <n>`.
    pub fn set_maxconn_frontend(frontend: &ProxyName, maxconn: u32) -> Self {
        Self::change([
            "set".to_owned(),
            "maxconn".to_owned(),
            "frontend".to_owned(),
            frontend.to_string(),
            maxconn.to_string(),
        ])
    }

    /// `set maxconn global <n>` (0 restores the configured value).
    pub fn set_maxconn_global(maxconn: u32) -> Self {
        Self::change([
            "set".to_owned(),
            "maxconn".to_owned(),
            "global".to_owned(),
            maxconn.to_string(),
        ])
    }

    /// `set server <b>/<s> fqdn <name>`: the name the server's resolvers look up (only for a
    /// server with `resolvers`). HAProxy answers `no need to change the FDQN …` (sic) or
    /// `<b>/<s> changed its FQDN from <old> to <new> …`.
    pub fn set_server_fqdn(server: &ServerRef, fqdn: &Fqdn) -> Self {
        Self::new(
            Access::Mutation,
            Expect::MessageWith(FQDN_CHANGED),
            [
                "set".to_owned(),
                "server".to_owned(),
                server.to_string(),
                "fqdn".to_owned(),
                fqdn.as_str().to_owned(),
            ],
        )
    }

    /// `set server <b>/<s> addr <ip> [port <p>]`. Success prints what changed.
    pub fn set_server_addr(server: &ServerRef, addr: &ServerAddress, port: Option<u16>) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(ADDR_CHANGED),
            addr_and_port_words(server, "addr", addr, port),
        )
    }
}

/// `set server <b>/<s> <field> <addr> [port <p>]`, the shape of `addr`, `check-addr` and
/// `agent-addr`.
pub(super) fn addr_and_port_words(
    server: &ServerRef,
    field: &str,
    addr: &ServerAddress,
    port: Option<u16>,
) -> Vec<String> {
    let mut words = vec![
        "set".to_owned(),
        "server".to_owned(),
        server.to_string(),
        field.to_owned(),
        addr.as_str().to_owned(),
    ];
    if let Some(p) = port {
        words.extend(["port".to_owned(), p.to_string()]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(c: Command) -> String {
        String::from_utf8(c.encode().unwrap()).unwrap()
    }

    #[test]
    fn add_server_lines() {
        let s = ServerRef::new("be_app", "dyn1").unwrap();
        let a = ServerAddress::new("10.0.0.7").unwrap();
        let opts = AddServerOptions {
            port: Some(8080),
            check: true,
            weight: Some(5),
            ..Default::default()
        };
        assert_eq!(
            line(Command::add_server(&s, &a, &opts)),
            "add server be_app/dyn1 10.0.0.7:8080 check weight 5\n"
        );
        assert!(Command::add_server(&s, &a, &opts).is_mutation());
    }

    #[test]
    fn server_state_lines() {
        let s = ServerRef::new("be_app", "app1").unwrap();
        assert_eq!(
            line(Command::set_server_state(&s, ServerAdminState::Drain)),
            "set server be_app/app1 state drain\n"
        );
        assert_eq!(
            line(Command::set_weight(&s, Weight::Percent(50))),
            "set server be_app/app1 weight 50%\n"
        );
        let a = ServerAddress::new("::1").unwrap();
        assert_eq!(
            line(Command::set_server_addr(&s, &a, Some(81))),
            "set server be_app/app1 addr ::1 port 81\n"
        );
    }
}
