//! The MCP server: one [`HaproxyMcp`] handler whose tool list is the composition of the
//! selected toolsets, minus every mutating tool in read-only mode.

use std::sync::Arc;
use std::time::Instant;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ResultType, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, prompt_handler, tool_handler};
use serde_json::Value;

use super::arg_errors;
use super::audit::{AuditRecord, Outcome};
use super::caller::Caller;
use super::handler::Shared;
use super::metrics::Metrics;
use super::targets::Targets;
use super::tools::is_read_only;
use super::toolset::Toolset;
use crate::log_safe::Safe;

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

    /// Why `caller` may not call `tool` (reason code, message), if it may not.
    fn refusal(&self, caller: &Caller, tool: &str) -> Option<(&'static str, String)> {
        if self.is_mutating(tool) != Some(true) {
            return None;
        }
        if !caller.can_write {
            return Some((
                "read_only_caller",
                format!(
                    "Refused: {tool} changes HAProxy, and the credentials of caller {:?} only allow \
                     reading. Nothing was sent to HAProxy; an operator must grant write access \
                     (a read-write token or the write scope).",
                    caller.name
                ),
            ));
        }
        if self.shared.tools.get(tool).is_none() && self.shared.settings.read_only {
            return Some((
                "read_only_mode",
                format!(
                    "Refused: {tool} changes HAProxy, and this server runs in read-only mode. \
                     Nothing was sent; an operator must restart it without --read-only to allow \
                     changes."
                ),
            ));
        }
        None
    }

    /// `tools/call`: refusals first (a read-only caller or server), then the tool; every call is
    /// counted in the metrics, and mutating ones (all, with audit reads on) are audited.
    async fn call_tool_audited(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let started = Instant::now();
        let caller = Caller::of(&context.extensions);
        let tool = request.name.to_string();
        let mutating = self.is_mutating(&tool);
        let label = if mutating.is_some() {
            tool.as_str()
        } else {
            "unknown"
        };
        let audit = &self.shared.settings.audit;
        let record = audit.wants(mutating == Some(true)).then(|| {
            let args = request.arguments.clone().map(Value::Object);
            AuditRecord::new(&caller, &tool, mutating == Some(true), args.as_ref())
                .target(self.target_of(args.as_ref()).as_deref())
        });
        if let Some((reason, message)) = self.refusal(&caller, &tool) {
            tracing::warn!(caller = %Safe(&caller.name), tool = %Safe(&tool), reason, "tool call refused");
            self.shared
                .metrics
                .tool_call(label, "refused", started.elapsed());
            if let Some(r) = record {
                audit.record(&r.refused(reason, &message).took(started.elapsed()));
            }
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let known = self.shared.tools.get(&tool).is_some();
        let arguments = request.arguments.clone();
        // What serde's types let through but the published schema forbids (ranges).
        if let Some(message) = self
            .shared
            .tools
            .get(&tool)
            .and_then(|t| arg_errors::precheck(&t.input_schema, arguments.as_ref()))
        {
            let elapsed = started.elapsed();
            self.shared.metrics.tool_call(label, "error", elapsed);
            if let Some(r) = record {
                audit.record(&r.outcome(Outcome::Error, Some(&message)).took(elapsed));
            }
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let tcc = ToolCallContext::new(self, request, context);
        let mut result = self.shared.tools.call(tcc).await;
        if let Ok(CallToolResponse::Complete(r)) = &mut result {
            self.name_the_bad_argument(&tool, arguments.as_ref(), r);
        }
        let elapsed = started.elapsed();
        let (outcome, text) = match &result {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => {
                ("error", Some(text_of(r)))
            }
            Ok(CallToolResponse::Complete(r)) => ("ok", Some(text_of(r))),
            Ok(_) => ("ok", None),
            Err(e) => ("protocol_error", Some(e.message.to_string())),
        };
        self.shared.metrics.tool_call(label, outcome, elapsed);
        if mutating == Some(true) {
            tracing::info!(caller = %Safe(&caller.name), tool = %Safe(&tool), outcome, "mutating tool call");
        }
        if let Some(r) = record {
            let r = match outcome {
                "ok" => r.outcome(Outcome::Ok, text.as_deref()),
                "error" => r.outcome(Outcome::Error, text.as_deref()),
                _ if !known => r.refused("unknown_tool", text.as_deref().unwrap_or("")),
                _ => r.refused("invalid_request", text.as_deref().unwrap_or("")),
            };
            audit.record(&r.took(elapsed));
        }
        result
    }

    /// Rewrites rmcp's argument-decoding failure ("failed to deserialize parameters: unknown
    /// variant ...") so that it names the argument at fault (see [`arg_errors`]).
    fn name_the_bad_argument(
        &self,
        tool: &str,
        arguments: Option<&serde_json::Map<String, Value>>,
        result: &mut CallToolResult,
    ) {
        if result.is_error != Some(true) {
            return;
        }
        let Some(serde) = result
            .content
            .iter()
            .find_map(|c| c.as_text())
            .and_then(|t| t.text.strip_prefix(arg_errors::DECODE_FAILURE_PREFIX))
        else {
            return;
        };
        let Some(schema) = self.shared.tools.get(tool).map(|t| t.input_schema.clone()) else {
            return;
        };
        let message = arg_errors::explain(&schema, arguments, serde);
        result.content = vec![ContentBlock::text(message)];
    }
}

/// The text content of a result, joined.
fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
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
