//! The MCP server: one [`HaproxyMcp`] handler whose tool list is the composition of the
//! selected toolsets, minus every mutating tool in read-only mode.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ResultType,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, prompt_handler, tool_handler};

use super::caller::Caller;
use super::handler::Shared;
use super::metrics::Metrics;
use super::targets::Targets;
use super::tools::is_read_only;
use super::toolset::Toolset;

pub use super::handler::{HaproxyMcp, Settings};

/// The name this server reports to clients.
pub const SERVER_NAME: &str = "haproxy-mcp-server";

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
        // Names and read-only flags only: the schemas need not be compacted for that.
        let catalogue = Toolset::ALL
            .iter()
            .flat_map(|t| t.uncompacted_router().list_all())
            .map(|t| (t.name.to_string(), is_read_only(&t)))
            .collect();
        let metrics = Metrics::new();
        let observed = Arc::clone(&metrics);
        targets.on_join(move |t| {
            t.client.set_observer(observed.observer(&t.name));
        });
        Self {
            shared: Arc::new(Shared {
                targets,
                settings,
                tools,
                prompts: Self::prompt_router(),
                instructions,
                catalogue,
                metrics,
            }),
        }
    }
}

fn instructions(targets: &Targets, settings: &Settings) -> String {
    let mut s = String::from(
        "Tools to inspect and operate HAProxy through its Runtime API. Start with health_summary \
         to see what looks wrong, list_backends / list_servers / get_server for topology, and \
         show_stat / show_info for raw numbers. Changes (servers, weights, maps, tables) take \
         effect immediately on the running HAProxy and do not survive a reload unless the \
         configuration is changed too.\n",
    );
    let all = targets.all();
    let names: Vec<String> = all
        .iter()
        .filter(|t| t.group.is_none())
        .map(|t| {
            let mut n = format!("{} ({})", t.name, t.client.endpoint());
            if t.emulated {
                n.push_str(", emulated: an in-process emulator, not a real HAProxy");
            }
            n
        })
        .collect();
    if !names.is_empty() {
        s.push_str(&format!("Targets: {}.", names.join("; ")));
    }
    let groups: Vec<String> = targets
        .groups()
        .iter()
        .map(|g| format!("{} ({})", g.name, g.source))
        .collect();
    if !groups.is_empty() {
        s.push_str(&format!(
            " Target groups, whose members are discovered at run time: {}. health_summary and \
             list_targets read several targets at once with `target` set to `*`, \
             `group:<name>` or `key=value` labels.",
            groups.join("; ")
        ));
    }
    match targets.default_name() {
        Some(d) => s.push_str(&format!(
            " Every tool takes an optional `target` naming one of them (list_targets shows \
             them); calls without it go to {d}.\n"
        )),
        None => s.push_str(
            " Every tool takes a `target` naming one of them (list_targets shows them); every \
             call must name it.\n",
        ),
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

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call_tool_audited(request, context).await
    }

    /// The enabled tools, without the mutating ones for a caller that may not use them (the
    /// list varies by authorization only, so it is cached privately for authenticated callers).
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let caller = Caller::of(&context.extensions);
        let mut tools = self.shared.tools.list_all();
        if !caller.can_write {
            tools.retain(is_read_only);
        }
        let hints = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let scope = if caller.is_authenticated() {
            CacheScope::Private
        } else {
            CacheScope::Public
        };
        Ok(ListToolsResult {
            result_type: Some(ResultType::COMPLETE),
            tools,
            meta: None,
            next_cursor: None,
            ttl_ms: hints.then_some(0),
            cache_scope: hints.then_some(scope),
        })
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
