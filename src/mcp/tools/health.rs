//! Health checks and agents: enable_health, disable_health, enable_agent, disable_agent,
//! set_server_health, set_server_agent, set_agent_send, set_server_check_port.
//!
//! Forcing health or agent down (or health stopping) takes a server out of rotation, so those
//! go through the last-UP rail like drain and maintenance do.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{ServerArgs, out};
use crate::haproxy::command::args::{self, ServerAddress, ServerRef};
use crate::haproxy::command::{AgentState, HealthState};
use crate::haproxy::{RuntimeClient, RuntimeError};
use crate::mcp::answer::{Answer, ToolError, ToolResult};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::rails::{guard_rotation, server_to_change};

/// A health state to force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthArg {
    /// Up: the server takes traffic.
    Up,
    /// Stopping: up, but takes no new traffic except persistent sessions.
    Stopping,
    /// Down: the server takes no traffic.
    Down,
}

/// Arguments of set_server_health.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SetHealthArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// The health state to force.
    pub state: HealthArg,
    /// Allow on the last UP server.
    #[serde(default)]
    pub force: bool,
}

/// An agent state to force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentArg {
    /// The agent reports the server up.
    Up,
    /// The agent reports the server down.
    Down,
}

/// Arguments of set_server_agent.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SetAgentArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// The agent state to force.
    pub state: AgentArg,
    /// Allow on the last UP server.
    #[serde(default)]
    pub force: bool,
}

/// Arguments of set_agent_send.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AgentSendArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// One line; no control characters or ';'.
    #[schemars(length(min = 1, max = 4096))]
    pub text: String,
}

/// Arguments of set_server_check_port.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CheckPortArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// The backend.
    pub backend: String,
    /// The server's name.
    pub server: String,
    /// Port to connect to.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// IP address to connect to.
    #[serde(default)]
    pub address: Option<String>,
    /// The agent check's.
    #[serde(default)]
    pub agent: bool,
}

/// Confirmation of a health-check change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HealthDone {
    /// The target changed.
    pub target: String,
    /// The server, as `backend/server`.
    pub server: String,
    /// What was done, as a sentence.
    pub done: String,
}

/// One change this toolset makes.
enum Change {
    EnableHealth,
    DisableHealth,
    EnableAgent,
    DisableAgent,
    Health(HealthArg),
    Agent(AgentArg),
    AgentSend(String),
    /// Where the health check (or, `agent`, the agent check) connects.
    CheckTarget {
        agent: bool,
        address: Option<ServerAddress>,
        port: Option<u16>,
    },
}

impl Change {
    /// Sends the change.
    async fn apply(&self, client: &RuntimeClient, server: &ServerRef) -> Result<(), RuntimeError> {
        match self {
            Self::EnableHealth => client.enable_health(server).await,
            Self::DisableHealth => client.disable_health(server).await,
            Self::EnableAgent => client.enable_agent(server).await,
            Self::DisableAgent => client.disable_agent(server).await,
            Self::Health(s) => client.set_server_health(server, health_state(*s)).await,
            Self::Agent(s) => client.set_server_agent(server, agent_state(*s)).await,
            Self::AgentSend(text) => client.set_agent_send(server, text).await,
            Self::CheckTarget {
                agent,
                address: Some(addr),
                port,
            } => match agent {
                false => client.set_server_check_addr(server, addr, *port).await,
                true => client.set_server_agent_addr(server, addr, *port).await,
            },
            Self::CheckTarget {
                agent,
                address: None,
                port: Some(port),
            } => match agent {
                false => client.set_server_check_port(server, *port).await,
                true => client.set_server_agent_port(server, *port).await,
            },
            // The tool refuses this before building the change.
            Self::CheckTarget {
                address: None,
                port: None,
                ..
            } => Ok(()),
        }
    }

    /// How this change takes the server out of rotation, if it does (for the last-UP rail).
    fn out_of_rotation(&self) -> Option<&'static str> {
        match self {
            Self::Health(HealthArg::Down) => Some("health forced down"),
            Self::Health(HealthArg::Stopping) => Some("health forced stopping"),
            Self::Agent(AgentArg::Down) => Some("agent forced down"),
            _ => None,
        }
    }

    /// What happened, as a sentence (without the target).
    fn done(&self, server: &ServerRef) -> String {
        match self {
            Self::EnableHealth => format!(
                "health checks of {server} are enabled; its state follows their results again"
            ),
            Self::DisableHealth => format!(
                "health checks of {server} are disabled; HAProxy keeps its last known state (UP stays UP even if it fails, DOWN stays DOWN)"
            ),
            Self::EnableAgent => {
                format!("the agent check of {server} is enabled; its reports apply again")
            }
            Self::DisableAgent => format!(
                "the agent check of {server} is disabled; its last report no longer changes the server's state or weight"
            ),
            Self::Health(s) => format!(
                "{server} is forced {}; running health checks move it again when their result differs",
                match s {
                    HealthArg::Up => "UP",
                    HealthArg::Stopping => "STOPPING (no new traffic except persistent sessions)",
                    HealthArg::Down => "DOWN (no traffic)",
                }
            ),
            Self::Agent(s) => format!(
                "the agent of {server} is forced {}; the next agent report can change it again",
                match s {
                    AgentArg::Up => "up",
                    AgentArg::Down => "down, so the server is DOWN",
                }
            ),
            Self::AgentSend(text) => {
                format!("the agent check of {server} now sends {text:?}")
            }
            Self::CheckTarget {
                agent,
                address,
                port,
            } => {
                let which = if *agent {
                    "the agent check of"
                } else {
                    "health checks of"
                };
                let verb = if *agent { "connects" } else { "connect" };
                let to = match (address, port) {
                    (Some(a), Some(p)) => format!("{} port {p}", a.as_str()),
                    (Some(a), None) => format!("{} (same port)", a.as_str()),
                    (None, Some(p)) => format!("port {p}"),
                    (None, None) => "the same place".to_owned(),
                };
                format!("{which} {server} now {verb} to {to}")
            }
        }
    }
}

fn health_state(s: HealthArg) -> HealthState {
    match s {
        HealthArg::Up => HealthState::Up,
        HealthArg::Stopping => HealthState::Stopping,
        HealthArg::Down => HealthState::Down,
    }
}

fn agent_state(s: AgentArg) -> AgentState {
    match s {
        AgentArg::Up => AgentState::Up,
        AgentArg::Down => AgentState::Down,
    }
}

/// Validates the server, applies `change`, and reports it.
async fn change(
    mcp: &HaproxyMcp,
    target: Option<&str>,
    backend: &str,
    server: &str,
    change: Change,
    force: bool,
) -> ToolResult<HealthDone> {
    let t = &mcp.target(target)?;
    let server = server_to_change(backend, server)?;
    let warning = match change.out_of_rotation() {
        Some(action) => guard_rotation(t, &server, action, force).await?.1,
        None => None,
    };
    checked(
        t,
        Subject::Server(&server),
        change.apply(&t.client, &server).await,
    )
    .await?;
    let mut done = change.done(&server);
    if let Some(w) = warning {
        done.push_str(&format!(". Warning: {w}"));
    }
    Ok(Answer::new(
        format!("[{}] Done: {done}.", t.name),
        HealthDone {
            target: t.name.clone(),
            server: server.to_string(),
            done,
        },
    ))
}

#[tool_router(router = health_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// Turns a server's health checks back on.
    #[tool(
        description = "Enable a server's health checks; its state follows them again. Fails without `check` in the configuration.",
        annotations(title = "Enable health checks", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn enable_health(&self, Parameters(a): Parameters<ServerArgs>) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::EnableHealth,
            false,
        )
        .await
    }

    /// Turns a server's health checks off.
    #[tool(
        description = "Disable a server's health checks; it keeps its last state (a failing server keeps its traffic). Undo with enable_health.",
        annotations(title = "Disable health checks", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn disable_health(
        &self,
        Parameters(a): Parameters<ServerArgs>,
    ) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::DisableHealth,
            false,
        )
        .await
    }

    /// Turns a server's agent check back on.
    #[tool(
        description = "Enable a server's agent check. Fails without agent-check in the configuration.",
        annotations(title = "Enable agent check", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn enable_agent(&self, Parameters(a): Parameters<ServerArgs>) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::EnableAgent,
            false,
        )
        .await
    }

    /// Turns a server's agent check off.
    #[tool(
        description = "Disable a server's agent check: its reports (weight, drain, down) stop applying. Undo with enable_agent.",
        annotations(title = "Disable agent check", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn disable_agent(&self, Parameters(a): Parameters<ServerArgs>) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::DisableAgent,
            false,
        )
        .await
    }

    /// Forces a server's health state.
    #[tool(
        description = "Force a server's health: down stops all traffic, stopping admits only persistent sessions. Checks may move it back.",
        annotations(title = "Force server health", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn set_server_health(
        &self,
        Parameters(a): Parameters<SetHealthArgs>,
    ) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::Health(a.state),
            a.force,
        )
        .await
    }

    /// Forces a server's agent state.
    #[tool(
        description = "Force a server's agent-check state; down takes it out of traffic. Fails without an agent check.",
        annotations(title = "Force agent state", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn set_server_agent(
        &self,
        Parameters(a): Parameters<SetAgentArgs>,
    ) -> ToolResult<HealthDone> {
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::Agent(a.state),
            a.force,
        )
        .await
    }

    /// Changes what the agent check sends.
    #[tool(
        description = "Change the string the agent check sends. Fails without an agent check.",
        annotations(title = "Set agent-send string", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn set_agent_send(
        &self,
        Parameters(a): Parameters<AgentSendArgs>,
    ) -> ToolResult<HealthDone> {
        let text = args::text("agent-send text", &a.text, 4096)?;
        change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::AgentSend(text),
            false,
        )
        .await
    }

    /// Changes where health checks (or the agent check) connect.
    #[tool(
        description = "Where a server's health checks (agent=true: its agent check) connect: port and/or IP. A wrong one takes it DOWN.",
        annotations(title = "Set check port", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<HealthDone>()
    )]
    async fn set_server_check_port(
        &self,
        Parameters(a): Parameters<CheckPortArgs>,
    ) -> ToolResult<HealthDone> {
        // Every argument is checked before anything else is said (`change` looks the target
        // and the names up again, cheaply).
        self.target(a.target.as_deref())?;
        server_to_change(&a.backend, &a.server)?;
        let port = a.port.map(|p| args::port("port", p)).transpose()?;
        // HAProxy takes an IP address here, never a name.
        let address = match a.address.as_deref() {
            Some(ip) if ip.parse::<std::net::IpAddr>().is_err() => {
                return Err(ToolError::new(format!(
                    "argument `address`: {ip:?} is not an IPv4 or IPv6 address (checks connect to an address, not a name). Nothing was sent."
                )));
            }
            Some(ip) => Some(ServerAddress::new(ip)?),
            None => None,
        };
        if port.is_none() && address.is_none() {
            return Err(ToolError::new(
                "Give `port`, `address` or both: where the checks should connect. Nothing was sent.",
            ));
        }
        let check_addr = address.is_some() && !a.agent;
        let result = change(
            self,
            a.target.as_deref(),
            &a.backend,
            &a.server,
            Change::CheckTarget {
                agent: a.agent,
                address,
                port,
            },
            false,
        )
        .await;
        match result {
            // HAProxy 3.4 refuses every `check-addr` (its parser of that field rejects plain
            // addresses since 3.4-dev9; seen on 3.4.7): say so rather than blame the address.
            Err(e) if check_addr && e.message().contains("invalid addr '") => {
                Err(e.with_note(
                    "If this HAProxy is 3.4, it refuses every address for check-addr (its own parser; seen on 3.4.7). The check address can then only be changed in the configuration; check-port still works.",
                ))
            }
            other => other,
        }
    }
}
