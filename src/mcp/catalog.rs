//! The tool catalogue as documentation: `docs/tools.md` is generated from the tool list by
//! [`render_markdown`], and a test fails when the committed file is stale. It documents what is
//! served (the compacted input schemas, their sizes) and every answer field, from the
//! uncompacted output schemas whose prose the served list leaves out.

use rmcp::model::Tool;
use serde_json::Value;

use super::schema_budget::compact_tool;
use super::tools::is_read_only;

/// The bytes of a tool as `tools/list` serializes it: (what the model sees — everything but
/// the output schema —, the whole tool).
pub fn served_size(tool: &Tool) -> (usize, usize) {
    let whole = serde_json::to_vec(tool).map_or(0, |v| v.len());
    let mut visible = tool.clone();
    visible.output_schema = None;
    let visible = serde_json::to_vec(&visible).map_or(0, |v| v.len());
    (visible, whole)
}

/// Renders the tools, grouped by toolset, as Markdown. The tools are given uncompacted (as
/// `Toolset::uncompacted_router` lists them); the document shows them as served.
pub fn render_markdown(groups: &[(&str, Vec<Tool>)]) -> String {
    let served: Vec<(&str, Vec<(Tool, Tool)>)> = groups
        .iter()
        .map(|(name, tools)| {
            let pairs = tools
                .iter()
                .map(|raw| {
                    let mut t = raw.clone();
                    compact_tool(&mut t);
                    (t, raw.clone())
                })
                .collect();
            (*name, pairs)
        })
        .collect();
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
    s.push_str(&size_table(&served));
    for (toolset, tools) in &served {
        s.push_str(&format!("\n## Toolset `{toolset}`\n"));
        for (t, raw) in tools {
            render_tool(&mut s, t, raw);
        }
    }
    s
}

/// What the list costs, per toolset, in all and in `--read-only` mode.
fn size_table(served: &[(&str, Vec<(Tool, Tool)>)]) -> String {
    let mut s = String::from(
        "\n## What the list costs\n\n\
         Bytes of `tools/list` as serialized (compact JSON). *Model-visible* is what assistants \
         put in the model's context: name, description, input schema, annotations. *Whole* adds \
         the output schemas, which clients use to validate answers. Budgets (tested): \
         model-visible ≤ 40,960, whole ≤ 81,920.\n\n\
         | toolset | tools | model-visible | whole |\n|---|---:|---:|---:|\n",
    );
    let row = |s: &mut String, name: &str, tools: &[&Tool]| {
        let (v, w) = tools.iter().fold((0, 0), |(v, w), t| {
            let (tv, tw) = served_size(t);
            (v + tv, w + tw)
        });
        s.push_str(&format!("| {name} | {} | {v} | {w} |\n", tools.len()));
    };
    let mut all: Vec<&Tool> = Vec::new();
    for (toolset, tools) in served {
        let ts: Vec<&Tool> = tools.iter().map(|(t, _)| t).collect();
        row(&mut s, &format!("`{toolset}`"), &ts);
        all.extend(ts);
    }
    row(&mut s, "**all**", &all);
    let reads: Vec<&Tool> = all.iter().copied().filter(|t| is_read_only(t)).collect();
    row(&mut s, "**`--read-only`**", &reads);
    s
}

/// One tool's section: kind, description, arguments (as served), answer fields (documented).
fn render_tool(s: &mut String, t: &Tool, raw: &Tool) {
    let a = t.annotations.clone().unwrap_or_default();
    let mut kind = vec![if is_read_only(t) { "read" } else { "change" }];
    if a.destructive_hint.unwrap_or(true) && !is_read_only(t) {
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
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) if !props.is_empty() => {
            s.push_str("| argument | type | required | description |\n|---|---|---|---|\n");
            for (name, p) in props {
                let desc = if name == "target" {
                    "Which HAProxy (see list_targets); needed only with several.".to_owned()
                } else {
                    cell(p)
                };
                let req = if required.contains(&name.as_str()) {
                    "yes"
                } else {
                    "no"
                };
                s.push_str(&format!(
                    "| `{name}` | {} | {req} | {desc} |\n",
                    type_of(p, &schema)
                ));
            }
        }
        _ => s.push_str("No arguments.\n"),
    }
    if let Some(out) = &raw.output_schema {
        let root = Value::Object(out.as_ref().clone());
        if let Some(props) = root.get("properties").and_then(Value::as_object) {
            s.push_str("\nAnswer (`structuredContent`):\n\n| field | type | description |\n|---|---|---|\n");
            for (name, p) in props {
                s.push_str(&format!(
                    "| `{name}` | {} | {} |\n",
                    type_of(p, &root),
                    cell(p)
                ));
            }
        }
    }
}

/// A schema's description as one table cell.
fn cell(p: &Value) -> String {
    p.get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .replace('\n', " ")
        .replace('|', "\\|")
}

/// A short type description of a JSON schema property, following `$ref`s into the schema's
/// `$defs` (or `definitions`) and through `anyOf`/`oneOf`/`allOf`, so an enum or a union reads as
/// what a caller sends (`ready` | `drain` | `maint`, `integer` | `string`), never as "object".
fn type_of(p: &Value, root: &Value) -> String {
    describe(p, root, 0).join(" \\| ")
}

/// The alternatives a property accepts (`depth` stops a self-referencing schema).
fn describe(p: &Value, root: &Value, depth: usize) -> Vec<String> {
    if depth > 8 {
        return vec!["any".to_owned()];
    }
    if let Some(values) = p.get("enum").and_then(Value::as_array) {
        return values.iter().map(literal).collect();
    }
    if let Some(c) = p.get("const") {
        return vec![literal(c)];
    }
    if let Some(target) = p.get("$ref").and_then(Value::as_str) {
        return match resolve(target, root) {
            Some(def) => describe(def, root, depth + 1),
            None => vec!["any".to_owned()],
        };
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(variants) = p.get(key).and_then(Value::as_array) {
            let mut out: Vec<String> = Vec::new();
            for v in variants {
                for t in describe(v, root, depth + 1) {
                    if t != "null" && !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
            return out;
        }
    }
    match p.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let items = p
                .get("items")
                .map(|i| describe(i, root, depth + 1).join(" \\| "))
                .unwrap_or_else(|| "any".to_owned());
            vec![format!("array of {items}")]
        }
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(str::to_owned)
            .collect(),
        _ => vec!["any".to_owned()],
    }
}

/// An enum value as the table shows it: `` `drain` ``.
fn literal(v: &Value) -> String {
    match v.as_str() {
        Some(s) => format!("`{s}`"),
        None => format!("`{v}`"),
    }
}

/// `#/$defs/Name` (or `#/definitions/Name`) in the root schema.
fn resolve<'a>(reference: &str, root: &'a Value) -> Option<&'a Value> {
    let path = reference.strip_prefix("#/")?;
    path.split('/').try_fold(root, |node, part| node.get(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enums_and_unions_behind_refs_read_as_what_a_caller_sends() {
        let root = json!({
            "$defs": {
                "State": {"oneOf": [{"const": "ready", "description": "x"}, {"const": "drain"}]},
                "Weight": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "%$"}]},
                "Data": {"type": "object", "properties": {}},
            }
        });
        assert_eq!(
            type_of(&json!({"$ref": "#/$defs/State"}), &root),
            "`ready` \\| `drain`"
        );
        assert_eq!(
            type_of(&json!({"$ref": "#/$defs/Weight"}), &root),
            "integer \\| string"
        );
        assert_eq!(
            type_of(
                &json!({"anyOf": [{"$ref": "#/$defs/State"}, {"type": "null"}]}),
                &root
            ),
            "`ready` \\| `drain`"
        );
        assert_eq!(type_of(&json!({"$ref": "#/$defs/Data"}), &root), "object");
        assert_eq!(
            type_of(
                &json!({"type": "array", "items": {"type": "string"}}),
                &root
            ),
            "array of string"
        );
        assert_eq!(type_of(&json!({"$ref": "#/$defs/Missing"}), &root), "any");
    }
}
