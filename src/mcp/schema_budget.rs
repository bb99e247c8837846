//! What a tool list costs a model. Assistants put each tool's name, title, description, input
//! schema and annotations into the model's context on every turn, so the schemas schemars derives
//! are compacted once, when the router is built, without changing what they accept:
//!
//! * `$schema` and schemars' own `format`s (`uint64`, `int32`, `double`…) go: they are not
//!   standard formats (the MCP Inspector warns about each one and strict validators reject them);
//!   the range they imply stays as `minimum`/`maximum`;
//! * `"additionalProperties": true` goes (it is the default);
//! * `"default": null` and a flag's `"default": false` go (an absent optional argument is
//!   already null, an absent flag off);
//! * a `oneOf` of string constants becomes one `enum` (the variants' prose stays in the tool and
//!   property descriptions);
//! * `$defs` used by reference are inlined and dropped, so a schema reads top to bottom;
//! * array items and union branches lose their own description (the property has one), and
//!   an optional argument is typed without `null` (absent already means none);
//! * output schemas, which only clients read (to validate answers), keep their structure —
//!   types, enums, required fields — and lose prose and numeric ranges; an object type an
//!   answer repeats (`before` and `after`) is written once, under `$defs`, and referenced
//!   ([`share_repeated_objects`]); docs/tools.md documents every answer field from the
//!   uncompacted schemas;
//! * the `target` argument every tool takes loses its description: the server's instructions
//!   (sent once, at `initialize`) say what it is; so do `server` and `backend` where theirs only
//!   restates the name ([`SELF_EVIDENT`]).
//!
//! The budget tests (tests/tool_surface.rs) measure the list as a client receives it.

use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Schemars' numeric formats: not in JSON Schema's format vocabulary.
const NON_STANDARD_FORMATS: &[&str] = &[
    "uint", "uint8", "uint16", "uint32", "uint64", "uint128", "int", "int8", "int16", "int32",
    "int64", "int128", "float", "double",
];

/// Argument descriptions that only restate the argument's name (kept in the source, where every
/// field is documented, and in docs/tools.md): `server` is the server's name whatever the tool.
const SELF_EVIDENT: &[(&str, &str)] = &[
    ("tool", "The change tool."),
    ("server", "The server's name."),
    ("backend", "The server's backend."),
    ("backend", "The backend."),
    ("server", "The server to delete."),
    ("server", "The server to drain."),
    ("table", "The stick table."),
    ("state", "The health state to force."),
    ("state", "The agent state to force."),
    ("limit", "Which limit."),
    ("agent", "The agent check's."),
    ("port", "Port to connect to."),
    ("address", "IP address to connect to."),
    ("enabled", "On or off."),
    ("frontend", "The frontend's name (see list_frontends)."),
];

/// Compacts a tool's input and output schemas and its annotations in place (see the module
/// documentation).
pub(crate) fn compact_tool(tool: &mut Tool) {
    let mut input = compact(&tool.input_schema, Audience::Model);
    optional_arguments_without_null(&mut input);
    if let Some(Value::Object(properties)) = input.get_mut("properties") {
        // Every tool takes `target`; the server's instructions explain it once, not 60 times.
        if let Some(Value::Object(target)) = properties.get_mut("target") {
            target.remove("description");
        }
        for (name, text) in SELF_EVIDENT {
            if let Some(Value::Object(p)) = properties.get_mut(*name)
                && p.get("description").and_then(Value::as_str) == Some(text)
            {
                p.remove("description");
            }
        }
    }
    tool.input_schema = Arc::new(input);
    if let Some(out) = &tool.output_schema {
        let mut out = Value::Object(compact(out, Audience::Client));
        absent_fields_without_null(&mut out);
        share_repeated_objects(&mut out);
        let Value::Object(out) = out else {
            unreachable!("an object stays an object")
        };
        tool.output_schema = Some(Arc::new(out));
    }
    // The spec gives destructiveHint and idempotentHint meaning only when readOnlyHint is false,
    // and defaults readOnlyHint and idempotentHint to false and destructiveHint to true: only
    // what differs from the defaults is sent (absent means the same to every client that
    // follows the spec; the source keeps every hint explicit).
    if let Some(a) = tool.annotations.as_mut() {
        if a.read_only_hint == Some(true) {
            a.destructive_hint = None;
            a.idempotent_hint = None;
        }
        if a.destructive_hint == Some(true) {
            a.destructive_hint = None;
        }
        if a.read_only_hint == Some(false) {
            a.read_only_hint = None;
        }
        if a.idempotent_hint == Some(false) {
            a.idempotent_hint = None;
        }
    }
}

/// An optional argument reads `"type": "integer"` rather than `["integer", "null"]`: leaving it
/// out already means "none", and the server takes an explicit null for an optional argument as
/// absent (`arg_errors::precheck`, serde's `Option`).
fn optional_arguments_without_null(schema: &mut JsonObject) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Object(props)) = schema.get_mut("properties") else {
        return;
    };
    for (name, p) in props.iter_mut() {
        if required.contains(name) {
            continue;
        }
        if let Some(Value::Array(types)) = p.get("type") {
            let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if kept.len() == 1 {
                p["type"] = kept[0].clone();
            }
        }
        // `{"anyOf": [X, {"type": "null"}]}` becomes X, keeping the property's description.
        let lone = p
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|branches| {
                let not_null: Vec<&Value> = branches
                    .iter()
                    .filter(|b| b.get("type") != Some(&Value::String("null".to_owned())))
                    .collect();
                (not_null.len() == 1 && branches.len() == 2).then(|| not_null[0].clone())
            });
        if let (Some(Value::Object(branch)), Value::Object(prop)) = (lone, &mut *p) {
            prop.remove("anyOf");
            for (k, v) in branch {
                if k != "description" || !prop.contains_key("description") {
                    prop.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// In an answer, a field that is not required is left out rather than null (the answer types
/// skip `None` when serializing, which is why schemars does not list them as required), so
/// `["string", "null"]` says no more than `"string"` there: every object of an output schema
/// types its optional fields without `null`, as arguments are. A field that is always present
/// but may be null (`["integer", "null"]`) leaves the `required` list: its type already says it
/// may hold nothing, and clients treat a missing field and a null one alike.
fn absent_fields_without_null(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.contains_key("properties") {
                optional_arguments_without_null(map);
                nullable_fields_not_required(map);
            }
            for v in map.values_mut() {
                absent_fields_without_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(absent_fields_without_null),
        _ => {}
    }
}

/// The smallest object schema worth sharing: a reference and its definition's name cost about
/// 40 bytes, so only objects well beyond that are written once.
const MIN_SHARED_BYTES: usize = 120;

/// Writes once, under `$defs`, every object schema an output schema repeats (an answer's
/// `before` and `after`, the same brief in two lists), each occurrence becoming a `$ref`: what
/// a client validates is unchanged, and the list is smaller by the copies. Input schemas are
/// left inlined, as the model reads them top to bottom.
fn share_repeated_objects(schema: &mut Value) {
    let mut seen: Vec<(Value, usize)> = Vec::new();
    count_objects(schema, true, &mut seen);
    let mut shared: Vec<(usize, Value)> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(object, _)| (object.to_string().len(), object))
        .filter(|(bytes, _)| *bytes >= MIN_SHARED_BYTES)
        .collect();
    // Largest first: once it is shared, the objects inside it are counted once.
    shared.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
    let Value::Object(root) = schema else {
        return;
    };
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    for (_, object) in shared {
        // Copies inside a larger object shared before are no longer in the tree.
        let copies: usize = root.values().map(|v| copies_of(v, &object)).sum();
        if copies < 2 {
            continue;
        }
        let name = format!("s{}", defs.len());
        let reference = serde_json::json!({ "$ref": format!("#/$defs/{name}") });
        for v in root.values_mut() {
            replace_object(v, &object, &reference);
        }
        defs.insert(name, object);
    }
    if !defs.is_empty() {
        root.insert("$defs".to_owned(), Value::Object(defs));
    }
}

/// Counts every object schema below the root (`is_root`).
fn count_objects(node: &Value, is_root: bool, seen: &mut Vec<(Value, usize)>) {
    match node {
        Value::Object(map) => {
            if !is_root && map.contains_key("properties") {
                match seen.iter_mut().find(|(object, _)| object == node) {
                    Some((_, n)) => *n += 1,
                    None => seen.push((node.clone(), 1)),
                }
            }
            map.values().for_each(|v| count_objects(v, false, seen));
        }
        Value::Array(items) => items.iter().for_each(|v| count_objects(v, false, seen)),
        _ => {}
    }
}

/// How many copies of `object` `node` holds.
fn copies_of(node: &Value, object: &Value) -> usize {
    if node == object {
        return 1;
    }
    match node {
        Value::Object(map) => map.values().map(|v| copies_of(v, object)).sum(),
        Value::Array(items) => items.iter().map(|v| copies_of(v, object)).sum(),
        _ => 0,
    }
}

/// Replaces every copy of `object` in `node` by `reference`.
fn replace_object(node: &mut Value, object: &Value, reference: &Value) {
    if node == object {
        *node = reference.clone();
        return;
    }
    match node {
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| replace_object(v, object, reference)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_object(v, object, reference)),
        _ => {}
    }
}

/// Drops from an object's `required` list the fields whose type admits `null`.
fn nullable_fields_not_required(object: &mut JsonObject) {
    let Some(Value::Object(properties)) = object.get("properties") else {
        return;
    };
    let nullable = |name: &Value| {
        let Some(Value::Array(types)) = name
            .as_str()
            .and_then(|n| properties.get(n))
            .and_then(|p| p.get("type"))
        else {
            return false;
        };
        types.iter().any(|t| t == "null")
    };
    let Some(Value::Array(required)) = object.get("required") else {
        return;
    };
    let kept: Vec<Value> = required.iter().filter(|r| !nullable(r)).cloned().collect();
    if kept.is_empty() {
        object.remove("required");
    } else {
        object.insert("required".to_owned(), Value::Array(kept));
    }
}

/// Who reads a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// The model reads input schemas: descriptions stay, they say how to call.
    Model,
    /// Clients read output schemas: the structure stays, nested prose goes.
    Client,
}

/// A compacted copy of `schema`.
fn compact(schema: &JsonObject, audience: Audience) -> JsonObject {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut root = schema.clone();
    root.remove("$schema");
    root.remove("$defs");
    root.remove("definitions");
    let mut value = Value::Object(root);
    rewrite(&mut value, &defs, audience, &mut Vec::new());
    let Value::Object(mut out) = value else {
        unreachable!("an object stays an object")
    };
    // A recursive type keeps its reference, so it keeps its definitions too.
    if out.contains_key("$ref") || out.values().any(has_ref) {
        out.insert("$defs".to_owned(), Value::Object(defs));
    }
    out
}

/// Whether a `$ref` is left anywhere in `v`.
fn has_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(has_ref),
        Value::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

/// Rewrites one schema node. `seen` holds the definitions being inlined, so a recursive type keeps its `$ref`.
fn rewrite(
    node: &mut Value,
    defs: &Map<String, Value>,
    audience: Audience,
    seen: &mut Vec<String>,
) {
    let Value::Object(map) = node else {
        return;
    };
    if let Some(name) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
        && let Some(def) = defs.get(&name)
        && !seen.contains(&name)
    {
        // Inline the definition; the referring node's own keywords (its description) win.
        map.remove("$ref");
        if let Value::Object(d) = def {
            for (k, v) in d {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        seen.push(name);
        rewrite(node, defs, audience, seen);
        seen.pop();
        return;
    }
    // An absent optional argument is null, and an absent flag is off: saying so on every
    // `force` and `all` costs the model bytes and tells it nothing. `default: true` stays.
    if map.get("default") == Some(&Value::Null)
        || (map.get("default") == Some(&Value::Bool(false))
            && map.get("type").and_then(Value::as_str) == Some("boolean"))
    {
        map.remove("default");
    }
    // Any property is allowed unless a schema says otherwise: `true` restates the default.
    if map.get("additionalProperties") == Some(&Value::Bool(true)) {
        map.remove("additionalProperties");
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| NON_STANDARD_FORMATS.contains(&f))
    {
        map.remove("format");
    }
    if let Some(values) = string_constants(map.get("oneOf")) {
        map.remove("oneOf");
        map.insert("type".to_owned(), Value::String("string".to_owned()));
        map.insert("enum".to_owned(), Value::Array(values));
    }
    if audience == Audience::Client {
        // Clients validate answers by structure; the fields' meaning is documented in
        // docs/tools.md (rendered from the uncompacted schemas), not sent on every list.
        map.remove("description");
        map.remove("minimum");
        map.remove("maximum");
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" => {
                if let Value::Object(props) = child {
                    for p in props.values_mut() {
                        rewrite(p, defs, audience, seen);
                    }
                }
            }
            "items" | "additionalProperties" | "not" => {
                rewrite(child, defs, audience, seen);
                unsay(child);
            }
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                if let Value::Array(branches) = child {
                    for b in branches {
                        rewrite(b, defs, audience, seen);
                        unsay(b);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Drops the description of an array's items or of a union's branch: the property that holds
/// them describes them, and the model reads it once.
fn unsay(node: &mut Value) {
    if let Value::Object(m) = node {
        m.remove("description");
    }
}

/// The values of a `oneOf` whose branches are all string constants (`{"const": "x", …}`).
fn string_constants(one_of: Option<&Value>) -> Option<Vec<Value>> {
    let branches = one_of?.as_array()?;
    branches
        .iter()
        .map(|b| {
            let c = b.get("const")?;
            c.is_string().then(|| c.clone())
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn repeated_output_objects_are_written_once() {
        let brief = json!({"type": "object", "properties": {
            "serial": {"type": "string"}, "not_after": {"type": "string"},
            "days_left": {"type": "integer"}, "subject": {"type": "string"}
        }, "required": ["serial"]});
        let small = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let mut schema = json!({"type": "object", "properties": {
            "before": brief, "after": brief, "one": small, "two": small,
            "list": {"type": "array", "items": brief}
        }});
        share_repeated_objects(&mut schema);
        let reference = json!({"$ref": "#/$defs/s0"});
        assert_eq!(schema["properties"]["before"], reference);
        assert_eq!(schema["properties"]["after"], reference);
        assert_eq!(schema["properties"]["list"]["items"], reference);
        assert_eq!(schema["$defs"]["s0"], brief);
        // Below the threshold, copies stay inline.
        assert_eq!(schema["properties"]["one"], small);
        assert_eq!(schema["$defs"].as_object().unwrap().len(), 1);
        // Nothing repeated: nothing changes.
        let mut alone = json!({"type": "object", "properties": {"before": brief}});
        let copy = alone.clone();
        share_repeated_objects(&mut alone);
        assert_eq!(alone, copy);
    }

    #[test]
    fn refs_are_inlined_and_constant_choices_become_an_enum() {
        let schema = object(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"State": {"description": "A state.", "oneOf": [
                {"const": "ready", "description": "Takes traffic.", "type": "string"},
                {"const": "maint", "type": "string"}
            ]}},
            "type": "object",
            "properties": {
                "state": {"$ref": "#/$defs/State", "description": "ready or maint."},
                "limit": {"type": ["integer", "null"], "format": "uint32", "minimum": 1, "maximum": 10000, "default": null}
            },
            "required": ["state"]
        }));
        let c = compact(&schema, Audience::Model);
        assert_eq!(
            Value::Object(c),
            json!({
                "type": "object",
                "properties": {
                    "state": {"description": "ready or maint.", "type": "string", "enum": ["ready", "maint"]},
                    "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 10000}
                },
                "required": ["state"]
            })
        );
    }

    #[test]
    fn output_schemas_keep_structure_without_prose() {
        let schema = object(json!({
            "type": "object",
            "properties": {
                "servers": {"description": "The servers.", "type": "array", "items": {"$ref": "#/$defs/S"}}
            },
            "$defs": {"S": {"type": "object", "description": "One server.", "properties": {
                "weight": {"description": "Its weight.", "type": ["integer", "null"], "format": "uint64", "minimum": 0}
            }, "required": ["weight"]}}
        }));
        let c = Value::Object(compact(&schema, Audience::Client));
        assert!(c["properties"]["servers"].get("description").is_none());
        let s = &c["properties"]["servers"]["items"];
        assert_eq!(s["required"], json!(["weight"]));
        assert_eq!(
            s["properties"]["weight"],
            json!({"type": ["integer", "null"]})
        );
        assert!(c.get("$defs").is_none());
    }

    #[test]
    fn a_recursive_definition_keeps_its_reference() {
        let schema = object(json!({
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}
        }));
        let c = Value::Object(compact(&schema, Audience::Model));
        let inner = &c["properties"]["tree"]["properties"]["children"]["items"];
        assert_eq!(inner["$ref"], "#/$defs/Node");
        assert!(
            c["$defs"]["Node"].is_object(),
            "the reference still resolves"
        );
    }
}
