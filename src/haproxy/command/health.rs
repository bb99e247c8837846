//! Health checks and agents: enabling them, forcing their result, tuning them.

use super::Command;
use super::args::{ServerAddress, ServerRef};
use super::servers::{AgentState, HealthState, addr_and_port_words};

impl Command {
    /// `enable health <b>/<s>`.
    pub fn enable_health(server: &ServerRef) -> Self {
        Self::change(["enable".to_owned(), "health".to_owned(), server.to_string()])
    }

    /// `disable health <b>/<s>`.
    pub fn disable_health(server: &ServerRef) -> Self {
        Self::change([
            "disable".to_owned(),
            "health".to_owned(),
            server.to_string(),
        ])
    }

    /// `enable agent <b>/<s>`.
    pub fn enable_agent(server: &ServerRef) -> Self {
        Self::change(["enable".to_owned(), "agent".to_owned(), server.to_string()])
    }

    /// `disable agent <b>/<s>`.
    pub fn disable_agent(server: &ServerRef) -> Self {
        Self::change(["disable".to_owned(), "agent".to_owned(), server.to_string()])
    }

    /// `set server <b>/<s> health up|stopping|down`.
    pub fn set_server_health(server: &ServerRef, state: HealthState) -> Self {
        Self::set_server(server, "health", state.as_str())
    }

    /// `set server <b>/<s> agent up|down`.
    pub fn set_server_agent(server: &ServerRef, state: AgentState) -> Self {
        Self::set_server(server, "agent", state.as_str())
    }

    /// `set server <b>/<s> agent-send <text>`: what the agent check sends.
    pub fn set_agent_send(server: &ServerRef, text: &str) -> Self {
        Self::set_server(server, "agent-send", text)
    }

    /// `set server <b>/<s> check-port <port>`.
    pub fn set_server_check_port(server: &ServerRef, port: u16) -> Self {
        Self::set_server(server, "check-port", &port.to_string())
    }

    /// `set server <b>/<s> check-addr <ip> [port <port>]`: where health checks connect.
    pub fn set_server_check_addr(
        server: &ServerRef,
        addr: &ServerAddress,
        port: Option<u16>,
    ) -> Self {
        Self::change(addr_and_port_words(server, "check-addr", addr, port))
    }

    /// `set server <b>/<s> agent-addr <ip> [port <port>]`: where the agent check connects.
    pub fn set_server_agent_addr(
        server: &ServerRef,
        addr: &ServerAddress,
        port: Option<u16>,
    ) -> Self {
        Self::change(addr_and_port_words(server, "agent-addr", addr, port))
    }

    /// `set server <b>/<s> agent-port <port>`.
    pub fn set_server_agent_port(server: &ServerRef, port: u16) -> Self {
        Self::set_server(server, "agent-port", &port.to_string())
    }

    /// `set server <b>/<s> <field> <value>`.
    fn set_server(server: &ServerRef, field: &str, value: &str) -> Self {
        Self::change([
            "set".to_owned(),
            "server".to_owned(),
            server.to_string(),
            field.to_owned(),
            value.to_owned(),
        ])
    }
}
