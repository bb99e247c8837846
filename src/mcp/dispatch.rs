//! How a tool call is dispatched: refusals first (a read-only caller or server), then the
//! published schema's ranges, then the tool; every call is counted in the metrics and audited as
//! the settings say. Clients' calls come through here, and so does each step of a rolling change
//! (tools/rolling.rs), so a step is refused, checked and audited exactly as a call of its own.
//! A leaf module like handler.rs: it imports no toolset.

use std::time::Instant;

use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::Value;

use super::arg_errors;
use super::audit::{AuditRecord, Outcome};
use super::caller::Caller;
use super::handler::HaproxyMcp;
use crate::log_safe::Safe;

impl HaproxyMcp {
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
    pub(crate) async fn call_tool_audited(
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
