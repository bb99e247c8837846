//! The MCP server: one [`HaproxyMcp`] handler whose tool list is the composition of the
//! selected toolsets, minus every mutating tool in read-only mode.

use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    Implementation, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, prompt_handler, tool_handler};

use super::answer::ToolError;
use super::targets::{Target, Targets};
use super::tools::Toolset;
use crate::haproxy::RuntimeError;

/// The name this server reports to clients.
pub const SERVER_NAME: &str = "haproxy-mcp-server";

/// Behaviour settings of the MCP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Remove every mutating tool and refuse mutating commands.
    pub read_only: bool,
    /// The toolsets exposed.
    pub toolsets: Vec<Toolset>,
    /// How often drain_server polls the server's sessions.
    pub drain_poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_only: false,
            toolsets: Toolset::ALL.to_vec(),
            drain_poll: Duration::from_millis(500),
        }
    }
}

/// The MCP handler. Cheap to clone: every HTTP session shares one instance's state, including
/// the tool router, which is built once.
#[derive(Clone)]
pub struct HaproxyMcp {
    shared: Arc<Shared>,
}

struct Shared {
    targets: Targets,
    settings: Settings,
    tools: ToolRouter<HaproxyMcp>,
    prompts: PromptRouter<HaproxyMcp>,
    instructions: String,
}

impl HaproxyMcp {
    /// Builds the handler for these targets and settings.
    pub fn new(targets: Targets, settings: Settings) -> Self {
        let mut tools = ToolRouter::new();
        for toolset in &settings.toolsets {
            tools.merge(toolset.router());
        }
        if settings.read_only {
            let mutating: Vec<String> = tools
                .list_all()
                .into_iter()
                .filter(|t| !super::tools::is_read_only(t))
                .map(|t| t.name.to_string())
                .collect();
            for name in mutating {
                tools.remove_route(&name);
            }
        }
        let instructions = instructions(&targets, &settings);
        Self {
            shared: Arc::new(Shared {
                targets,
                settings,
                tools,
                prompts: Self::prompt_router(),
                instructions,
            }),
        }
    }

    /// The configured targets.
    pub fn targets(&self) -> &Targets {
        &self.shared.targets
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// The composed tool router (for listing tools without a transport).
    pub fn tool_router(&self) -> &ToolRouter<HaproxyMcp> {
        &self.shared.tools
    }

    /// Resolves a tool's `target` argument.
    pub(crate) fn target(&self, name: Option<&str>) -> Result<&Target, ToolError> {
        self.shared.targets.resolve(name)
    }
}

/// Maps a client error on `target` to a tool error.
pub(crate) fn fail(target: &Target) -> impl Fn(RuntimeError) -> ToolError + '_ {
    move |e| ToolError::runtime(&target.name, &e)
}

fn instructions(targets: &Targets, settings: &Settings) -> String {
    let mut s = String::from(
        "Tools to inspect and operate HAProxy through its Runtime API. Start with health_summary \
         to see what looks wrong, list_backends / list_servers / get_server for topology, and \
         show_stat / show_info for raw numbers. Changes (servers, weights, maps, tables) take \
         effect immediately on the running HAProxy and do not survive a reload unless the \
         configuration is changed too.\n",
    );
    let names: Vec<String> = targets
        .all()
        .iter()
        .map(|t| {
            let mut n = format!("{} ({})", t.name, t.client.endpoint());
            if t.emulated {
                n.push_str(", emulated: replays recorded replies");
            }
            n
        })
        .collect();
    s.push_str(&format!("Targets: {}.", names.join("; ")));
    match targets.default_name() {
        Some(d) => s.push_str(&format!(" Calls without `target` go to {d}.\n")),
        None => s.push_str(" Every call must name its `target`.\n"),
    }
    if settings.read_only {
        s.push_str(
            "READ-ONLY MODE: every tool that changes HAProxy is removed, and the client refuses \
             to send any mutating command.\n",
        );
    }
    let sets: Vec<&str> = settings.toolsets.iter().map(|t| t.name()).collect();
    s.push_str(&format!("Toolsets enabled: {}.", sets.join(", ")));
    s
}

#[tool_handler(router = self.shared.tools)]
#[prompt_handler(router = self.shared.prompts)]
impl ServerHandler for HaproxyMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_prompts()
            .enable_resources()
            .enable_tools()
            .build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION")))
            .with_instructions(self.shared.instructions.clone())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(super::resources::list(self))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(super::resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        super::resources::read(self, &request.uri)
            .await
            .map(Into::into)
    }
}
