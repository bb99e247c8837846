//! What a tool returns: [`Answer`] on success (a one-paragraph summary that answers the question
//! first, plus typed structured content) and [`ToolError`] on failure (an `isError` result that
//! quotes HAProxy and says what to do next).

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;

use crate::haproxy::RuntimeError;
use crate::haproxy::command::args::ArgError;
use crate::haproxy::error::TimeoutStage;

/// A successful tool result: `summary` first, then the JSON of `data` (also sent as
/// `structuredContent`, matching the tool's output schema).
#[derive(Debug)]
pub struct Answer<T> {
    /// One short paragraph that answers the question.
    pub summary: String,
    /// The typed result.
    pub data: T,
}

impl<T> Answer<T> {
    /// Pairs a summary with its data.
    pub fn new(summary: impl Into<String>, data: T) -> Self {
        Self {
            summary: summary.into(),
            data,
        }
    }
}

impl<T: Serialize> IntoCallToolResult for Answer<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        let failed = |e: serde_json::Error| {
            rmcp::ErrorData::internal_error(format!("cannot serialize the result: {e}"), None)
        };
        // The JSON text straight from the typed data: writing it from the `Value` (rmcp's
        // `CallToolResult::structured`) goes through `Display`, twice the time on a stat answer.
        let json = serde_json::to_string(&self.data).map_err(failed)?;
        let value = serde_json::to_value(&self.data).map_err(failed)?;
        let mut result = CallToolResult::success(vec![
            ContentBlock::text(self.summary),
            ContentBlock::text(json),
        ]);
        result.structured_content = Some(value);
        Ok(result.into())
    }
}

/// A failed tool call, shown to the model as an `isError: true` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// An error with a message that already says what happened and what to do.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// An error from the Runtime API client on `target`, with HAProxy's words (a long reply cut
    /// to its first lines) and a hint.
    pub fn runtime(target: &str, error: &RuntimeError) -> Self {
        let hint = match error {
            RuntimeError::Refused { kind, .. } => kind.hint(),
            RuntimeError::Unrecognized { .. } => {
                "HAProxy's reply is not a known success, so the change must be assumed not to have happened; read the state back before retrying."
            }
            RuntimeError::ReadOnly { .. } => {
                "This server runs in read-only mode; an operator must restart it without --read-only to allow changes."
            }
            RuntimeError::Connect { .. } | RuntimeError::NoReply { .. } => {
                "Check that HAProxy is running and that its stats socket is configured as this target says (list_targets)."
            }
            // The command reached HAProxy, which may still act on it: retrying a change blindly
            // could apply it twice.
            RuntimeError::Timeout {
                stage: TimeoutStage::Reply,
                ..
            } => {
                "HAProxy is slow or stuck. The command did reach it, so a change may still have been applied: read the state back before retrying a change, and check HAProxy's load (show_info) if it persists."
            }
            RuntimeError::Timeout { .. } => {
                "HAProxy is slow or stuck; try again, and check its load (show_info) if it persists."
            }
            RuntimeError::Io { .. } => {
                "The connection broke during the exchange, so a change may have been applied: read the state back before retrying a change, and check that HAProxy is running (list_targets)."
            }
            RuntimeError::ReplyTooLarge { .. } => "Use the tool's filters or a smaller limit.",
            RuntimeError::InvalidArgument(_) | RuntimeError::Encode(_) => {
                "Nothing was sent to HAProxy; fix the argument and call again."
            }
            _ => "",
        };
        let mut message = format!("[{target}] {}", trim_long_reply(&error.to_string()));
        if !hint.is_empty() {
            message.push_str("\nWhat to do: ");
            message.push_str(hint);
        }
        Self { message }
    }

    /// Appends a line (e.g. the list of servers that do exist).
    pub fn with_note(mut self, note: impl AsRef<str>) -> Self {
        self.message.push('\n');
        self.message.push_str(note.as_ref());
        self
    }

    /// The text shown to the model.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ArgError> for ToolError {
    fn from(e: ArgError) -> Self {
        Self::new(format!(
            "{e}\nNothing was sent to HAProxy; fix the argument and call again."
        ))
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.message)]).into())
    }
}

/// The result type of every tool.
pub type ToolResult<T> = Result<Answer<T>, ToolError>;

/// A list shortened to a limit, with an explicit marker of what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Truncation {
    /// How many items are shown.
    pub shown: usize,
    /// How many matched in all.
    pub total: usize,
    /// `"truncated: N more"`, present only when items were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// The first `shown` items joined by `separator`, then `<separator>and N more` when some were
/// left out: for naming a few things in a summary sentence (`a; b; and 3 more`).
pub fn first_and_more(items: &[String], shown: usize, separator: &str) -> String {
    let named = items[..items.len().min(shown)].join(separator);
    match items.len().saturating_sub(shown) {
        0 => named,
        n => format!("{named}{separator}and {n} more"),
    }
}

/// Keeps at most `limit` items and says how many were dropped.
pub fn truncate<T>(mut items: Vec<T>, limit: usize) -> (Vec<T>, Truncation) {
    let total = items.len();
    items.truncate(limit);
    let shown = items.len();
    let truncated = (total > shown).then(|| format!("truncated: {} more", total - shown));
    (
        items,
        Truncation {
            shown,
            total,
            truncated,
        },
    )
}

impl Truncation {
    /// " (truncated: N more)" for summaries, or nothing.
    pub fn suffix(&self) -> String {
        match &self.truncated {
            Some(t) => format!(" ({t}; raise `limit` or narrow the filters to see them)"),
            None => String::new(),
        }
    }
}

/// A value HAProxy printed as text, typed for the structured answer: a number when it is an
/// integer (counters, rates, limits, ids), else the text as printed. Numbers are numbers in
/// answers, so a client can sort and compare them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// An integer.
    Number(i128),
    /// Anything else, as HAProxy printed it.
    Text(String),
}

impl Scalar {
    /// Reads HAProxy's text.
    pub fn of(text: impl Into<String>) -> Self {
        let text = text.into();
        text.parse::<i128>().map_or(Self::Text(text), Self::Number)
    }

    /// The number, for ordering (`None` for text).
    pub fn rank(&self) -> Option<i128> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(_) => None,
        }
    }
}

/// Most lines of a HAProxy reply quoted in an error.
const ERROR_REPLY_LINES: usize = 6;
/// Most bytes of a HAProxy reply quoted in an error.
const ERROR_REPLY_BYTES: usize = 800;

/// Cuts an error text that quotes a long HAProxy reply (an "Unknown command" answer carries the
/// whole command list, 10 KB on 3.2) to its first lines, saying how much was left out and where
/// the rest is: what matters to a caller is HAProxy's first line.
fn trim_long_reply(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= ERROR_REPLY_LINES && text.len() <= ERROR_REPLY_BYTES {
        return text.to_owned();
    }
    let mut kept = String::new();
    for line in lines.iter().take(ERROR_REPLY_LINES) {
        if kept.len() + line.len() > ERROR_REPLY_BYTES {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    if kept.is_empty() {
        // One huge line: cut it on a character boundary.
        let mut end = ERROR_REPLY_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        kept.push_str(&text[..end]);
        kept.push('\n');
    }
    let left = text.len() - kept.len().min(text.len());
    format!(
        "{kept}[… {left} more bytes of HAProxy's reply left out; the `help` tool lists the commands this HAProxy offers]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_haproxy_reply_is_cut_to_its_first_lines() {
        let usage: String = (0..300)
            .map(|i| format!("  command number {i} <args> : does something useful\n"))
            .collect();
        let e = RuntimeError::Refused {
            kind: crate::haproxy::RefusalKind::UnknownCommand,
            command: "set server be_app/app1 weight 7".to_owned(),
            message: format!("Unknown command: 'frobnicate'\n{usage}"),
        };
        assert!(e.to_string().len() > 10_000);
        let m = ToolError::runtime("lb1", &e).message;
        assert!(m.len() < 1_500, "{} bytes: {m}", m.len());
        assert!(m.contains("Unknown command: 'frobnicate'"), "{m}");
        assert!(m.contains("more bytes of HAProxy's reply left out"), "{m}");
        assert!(m.contains("`help` tool"), "{m}");
        assert!(m.contains("What to do:"), "the hint stays: {m}");
        // A short refusal is quoted whole, with no marker.
        let short = RuntimeError::Refused {
            kind: crate::haproxy::RefusalKind::NoSuchServer,
            command: "get weight be_app/x".to_owned(),
            message: "No such server.".to_owned(),
        };
        let m = ToolError::runtime("lb1", &short).message;
        assert!(
            m.contains("No such server.") && !m.contains("left out"),
            "{m}"
        );
    }

    #[test]
    fn one_huge_line_is_cut_on_a_character_boundary() {
        let text = "é".repeat(2_000);
        let cut = trim_long_reply(&text);
        assert!(cut.len() < 1_000 && cut.contains("left out"), "{cut}");
    }

    #[test]
    fn truncation_marks_what_was_left_out() {
        let (items, t) = truncate((0..10).collect::<Vec<_>>(), 3);
        assert_eq!(items, [0, 1, 2]);
        assert_eq!(t.truncated.as_deref(), Some("truncated: 7 more"));
        let (_, t) = truncate(vec![1], 3);
        assert_eq!(t.truncated, None);
        assert_eq!(t.suffix(), "");
    }

    #[test]
    fn first_and_more_names_a_few_and_counts_the_rest() {
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(first_and_more(&items[..2], 3, ", "), "a, b");
        assert_eq!(first_and_more(&items, 3, ", "), "a, b, c, and 2 more");
        assert_eq!(first_and_more(&items, 5, "; "), "a; b; c; d; e");
        assert_eq!(first_and_more(&items, 1, "; "), "a; and 4 more");
    }
}
