//! The tool catalogue as documentation: `docs/tools.md` is generated from the live tool list by
//! [`render_markdown`], and a test fails when the committed file is stale.

use rmcp::model::Tool;
use serde_json::Value;

use super::tools::is_read_only;

/// Renders the tools (as `tools/list` returns them) as Markdown, grouped by toolset.
pub fn render_markdown(groups: &[(&str, Vec<Tool>)]) -> String {
    let mut s = String::from(
        "# Tools\n\n<!-- Generated from the live tool list by `cargo test --test tool_surface` \
         (UPDATE_DOCS=1 rewrites it). Do not edit by hand. -->\n\n\
         Every tool takes an optional `target` (a configured HAProxy; required when several are \
         configured and none is the default), returns a one-paragraph summary plus structured \
         content matching its output schema, and reports HAProxy's refusals as `isError: true` \
         results quoting HAProxy.\n\n\
         Kinds: **read** = read-only (`readOnlyHint`), kept in `--read-only` mode; **change** = \
         mutating; **destructive** = loses state or traffic (`destructiveHint`); **idempotent** = \
         repeating it changes nothing more (`idempotentHint`).\n",
    );
    for (toolset, tools) in groups {
        s.push_str(&format!("\n## Toolset `{toolset}`\n"));
        for t in tools {
            let a = t.annotations.clone().unwrap_or_default();
            let mut kind = vec![if is_read_only(t) { "read" } else { "change" }];
            if a.destructive_hint == Some(true) && !is_read_only(t) {
                kind.push("destructive");
            }
            if a.idempotent_hint == Some(true) && !is_read_only(t) {
                kind.push("idempotent");
            }
            let title = a.title.clone().unwrap_or_default();
            s.push_str(&format!("\n### `{}` — {title}\n\n", t.name));
            s.push_str(&format!("*{}*\n\n", kind.join(", ")));
            if let Some(d) = &t.description {
                s.push_str(d);
                s.push_str("\n\n");
            }
            let schema = Value::Object(t.input_schema.as_ref().clone());
            let props = schema.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match props {
                Some(props) if !props.is_empty() => {
                    s.push_str("| argument | type | required | description |\n|---|---|---|---|\n");
                    for (name, p) in props {
                        let desc = p
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .replace('\n', " ")
                            .replace('|', "\\|");
                        s.push_str(&format!(
                            "| `{name}` | {} | {} | {desc} |\n",
                            type_of(p),
                            if required.contains(&name.as_str()) {
                                "yes"
                            } else {
                                "no"
                            }
                        ));
                    }
                }
                _ => s.push_str("No arguments.\n"),
            }
        }
    }
    s
}

/// A short type description of a JSON schema property.
fn type_of(p: &Value) -> String {
    if let Some(values) = p.get("enum").and_then(Value::as_array) {
        let v: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or("?")))
            .collect();
        return v.join(" \\| ");
    }
    match p.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ if p.get("$ref").is_some() || p.get("anyOf").is_some() || p.get("oneOf").is_some() => {
            "object".to_owned()
        }
        _ => "any".to_owned(),
    }
}
