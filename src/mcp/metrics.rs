//! Metrics in the Prometheus text exposition format (version 0.0.4), written by hand: tool calls
//! by tool and outcome, tool-call latency, HAProxy round-trip time and errors by kind per
//! target, HTTP requests refused by the security layer, and whether each target answers (probed
//! when `/metrics` is scraped). Label values are bounded: tool names come from the catalogue
//! (anything else is `unknown`), command labels are the command's first word.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::haproxy::client::CommandObserver;
use crate::haproxy::error::TimeoutStage;
use crate::haproxy::{Command, RuntimeError};

/// Buckets (seconds) of the tool-call latency histogram.
const TOOL_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets (seconds) of the HAProxy round-trip histogram.
const HAPROXY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The metric registry of one server. Shared (`Arc`) by the MCP handler, the HTTP layer and
/// the targets' command observers.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    tool_calls: BTreeMap<(String, String), u64>,
    tool_seconds: BTreeMap<String, Histogram>,
    haproxy_seconds: BTreeMap<(String, String), Histogram>,
    haproxy_errors: BTreeMap<(String, String), u64>,
    http_rejections: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, seconds: f64) {
        if let Some(i) = self.bounds.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Counts a tool call and its latency. `outcome` is `ok`, `error` (an `isError` result),
    /// `refused` (permissions or mode) or `protocol_error` (a JSON-RPC error).
    pub fn tool_call(&self, tool: &str, outcome: &str, elapsed: Duration) {
        self.with(|r| {
            *r.tool_calls
                .entry((tool.to_owned(), outcome.to_owned()))
                .or_default() += 1;
            r.tool_seconds
                .entry(tool.to_owned())
                .or_insert_with(|| Histogram::new(&TOOL_BUCKETS))
                .observe(elapsed.as_secs_f64());
        });
    }

    /// Counts an HTTP request refused by the security layer (`origin`, `host`,
    /// `unauthenticated`, `invalid_token`, `insufficient_scope`, `rate_limited`,
    /// `body_too_large`).
    pub fn http_rejection(&self, reason: &str) {
        self.with(|r| *r.http_rejections.entry(reason.to_owned()).or_default() += 1);
    }

    /// Records one command's round trip to `target`.
    pub fn haproxy_command(
        &self,
        target: &str,
        command: &Command,
        elapsed: Duration,
        error: Option<&RuntimeError>,
    ) {
        let verb = command
            .words()
            .first()
            .map(String::as_str)
            .filter(|w| w.len() <= 16 && w.bytes().all(|b| b.is_ascii_lowercase()))
            .unwrap_or("other")
            .to_owned();
        self.with(|r| {
            r.haproxy_seconds
                .entry((target.to_owned(), verb))
                .or_insert_with(|| Histogram::new(&HAPROXY_BUCKETS))
                .observe(elapsed.as_secs_f64());
            if let Some(e) = error {
                *r.haproxy_errors
                    .entry((target.to_owned(), error_kind(e)))
                    .or_default() += 1;
            }
        });
    }

    /// A command observer for `target`'s client.
    pub fn observer(self: &Arc<Self>, target: &str) -> Arc<dyn CommandObserver> {
        Arc::new(TargetObserver {
            metrics: Arc::clone(self),
            target: target.to_owned(),
        })
    }

    /// The exposition text. `targets_up` is each target's name and whether it answered just now.
    pub fn render(&self, targets_up: &[(String, bool)]) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "haproxy_mcp_build_info",
            "gauge",
            "The server's version (always 1).",
        );
        let _ = writeln!(
            out,
            "haproxy_mcp_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        header(
            &mut out,
            "haproxy_mcp_target_up",
            "gauge",
            "Whether the HAProxy target answered `show version` when this page was scraped.",
        );
        for (name, up) in targets_up {
            let _ = writeln!(
                out,
                "haproxy_mcp_target_up{{target=\"{}\"}} {}",
                escape(name),
                u8::from(*up)
            );
        }
        self.with(|r| r.render(&mut out));
        out
    }
}

impl Registry {
    fn render(&self, out: &mut String) {
        header(
            out,
            "haproxy_mcp_tool_calls_total",
            "counter",
            "Tool calls by tool and outcome (ok, error, refused, protocol_error).",
        );
        for ((tool, outcome), n) in &self.tool_calls {
            let _ = writeln!(
                out,
                "haproxy_mcp_tool_calls_total{{tool=\"{}\",outcome=\"{}\"}} {n}",
                escape(tool),
                escape(outcome)
            );
        }
        header(
            out,
            "haproxy_mcp_tool_call_duration_seconds",
            "histogram",
            "Tool-call latency, from the request to the result.",
        );
        for (tool, h) in &self.tool_seconds {
            let labels = format!("tool=\"{}\"", escape(tool));
            h.render(out, "haproxy_mcp_tool_call_duration_seconds", &labels);
        }
        header(
            out,
            "haproxy_mcp_haproxy_command_duration_seconds",
            "histogram",
            "Round trip of one Runtime API command (queueing for a connection included).",
        );
        for ((target, command), h) in &self.haproxy_seconds {
            let labels = format!(
                "target=\"{}\",command=\"{}\"",
                escape(target),
                escape(command)
            );
            h.render(out, "haproxy_mcp_haproxy_command_duration_seconds", &labels);
        }
        header(
            out,
            "haproxy_mcp_haproxy_errors_total",
            "counter",
            "Runtime API errors by target and kind (HAProxy's refusal kinds, timeout, connect…).",
        );
        for ((target, kind), n) in &self.haproxy_errors {
            let _ = writeln!(
                out,
                "haproxy_mcp_haproxy_errors_total{{target=\"{}\",kind=\"{}\"}} {n}",
                escape(target),
                escape(kind)
            );
        }
        header(
            out,
            "haproxy_mcp_http_rejections_total",
            "counter",
            "HTTP requests refused by the security layer, by reason.",
        );
        for (reason, n) in &self.http_rejections {
            let _ = writeln!(
                out,
                "haproxy_mcp_http_rejections_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value (backslash, double quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The `kind` label of an error: HAProxy's refusal kind (`no_such_backend`, …) or what failed.
pub fn error_kind(error: &RuntimeError) -> String {
    let kind = match error {
        RuntimeError::Refused { kind, .. } => {
            return serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "refused".to_owned());
        }
        RuntimeError::InvalidArgument(_) => "invalid_argument",
        RuntimeError::Encode(_) => "encode",
        RuntimeError::ReadOnly { .. } => "read_only",
        RuntimeError::NeedsMaster { .. } => "needs_master",
        RuntimeError::Unrecognized { .. } => "unrecognized_reply",
        RuntimeError::NoReply { .. } => "no_reply",
        RuntimeError::Connect { .. } => "connect",
        RuntimeError::Io { .. } => "io",
        RuntimeError::Timeout {
            stage: TimeoutStage::Connect,
            ..
        } => "connect_timeout",
        RuntimeError::Timeout { .. } => "timeout",
        RuntimeError::ReplyTooLarge { .. } => "reply_too_large",
        RuntimeError::Parse { .. } => "parse",
    };
    kind.to_owned()
}

/// Feeds one target's command timings and errors into the registry.
#[derive(Debug)]
struct TargetObserver {
    metrics: Arc<Metrics>,
    target: String,
}

impl CommandObserver for TargetObserver {
    fn observe(&self, command: &Command, elapsed: Duration, error: Option<&RuntimeError>) {
        self.metrics
            .haproxy_command(&self.target, command, elapsed, error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format() {
        let m = Metrics::new();
        m.tool_call("set_weight", "ok", Duration::from_millis(30));
        m.tool_call("set_weight", "ok", Duration::from_secs(60));
        m.tool_call("show_info", "error", Duration::from_millis(1));
        m.http_rejection("origin");
        let text = m.render(&[("eu".into(), true), ("a\"b".into(), false)]);
        assert!(
            text.contains("haproxy_mcp_tool_calls_total{tool=\"set_weight\",outcome=\"ok\"} 2")
        );
        assert!(text.contains(
            "haproxy_mcp_tool_call_duration_seconds_bucket{tool=\"set_weight\",le=\"0.05\"} 1"
        ));
        assert!(text.contains(
            "haproxy_mcp_tool_call_duration_seconds_bucket{tool=\"set_weight\",le=\"+Inf\"} 2"
        ));
        assert!(
            text.contains("haproxy_mcp_tool_call_duration_seconds_count{tool=\"set_weight\"} 2")
        );
        assert!(text.contains("haproxy_mcp_target_up{target=\"eu\"} 1"));
        assert!(text.contains("haproxy_mcp_target_up{target=\"a\\\"b\"} 0"));
        assert!(text.contains("haproxy_mcp_http_rejections_total{reason=\"origin\"} 1"));
        // Every sample line belongs to a declared metric.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let base = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {name} "))
                    || text.contains(&format!("# TYPE {base} ")),
                "{line}"
            );
        }
    }

    #[test]
    fn error_kinds() {
        let e = RuntimeError::Timeout {
            endpoint: "x".into(),
            stage: TimeoutStage::Reply,
            after: Duration::from_secs(1),
        };
        assert_eq!(error_kind(&e), "timeout");
        let e = RuntimeError::Refused {
            kind: crate::haproxy::RefusalKind::NoSuchBackend,
            command: "x".into(),
            message: "No such backend.".into(),
        };
        assert_eq!(error_kind(&e), "no_such_backend");
    }
}
