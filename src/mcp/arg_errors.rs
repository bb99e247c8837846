//! Names the argument behind a "failed to deserialize parameters" error.
//!
//! rmcp decodes a tool's arguments with serde before the tool runs, and serde's messages do not
//! say which field failed for an enum or a number (`unknown variant `bogus`, expected one of
//! `ready`, `drain`, `maint``). An assistant then has to guess which argument to fix. This module
//! checks the arguments against the tool's own input schema (the one `tools/list` publishes) to
//! find the culprit, and rewrites the message as `argument `state`: ...`. It only explains; the
//! decision that the call is invalid was already made by serde, and nothing was sent to HAProxy.

use serde_json::{Map, Value};

/// The prefix rmcp gives the text of an argument-decoding failure.
pub(crate) const DECODE_FAILURE_PREFIX: &str = "failed to deserialize parameters: ";

/// The message an assistant gets for arguments that could not be decoded: which argument is
/// wrong and why, when the schema tells; serde's words otherwise; always what to do.
pub(crate) fn explain(
    schema: &Map<String, Value>,
    args: Option<&Map<String, Value>>,
    serde: &str,
) -> String {
    let none = Map::new();
    let detail = first_problem(schema, args.unwrap_or(&none))
        .unwrap_or_else(|| format!("invalid arguments: {serde}"));
    format!("{detail}\nNothing was sent to HAProxy; fix the argument and call again.")
}

/// Checks arguments against the tool's schema before the tool runs, for what serde's types let
/// through: numeric ranges above all (`limit: 0` decodes as a `u32` although the schema says 1 to
/// 10000). `None` when they fit; else the message, which says nothing was sent.
pub(crate) fn precheck(
    schema: &Map<String, Value>,
    args: Option<&Map<String, Value>>,
) -> Option<String> {
    let none = Map::new();
    let problem = first_problem(schema, args.unwrap_or(&none))?;
    Some(format!(
        "{problem}\nNothing was sent to HAProxy; fix the argument and call again."
    ))
}

/// The first argument (in the order given) that does not fit the schema, described.
fn first_problem(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, value) in args {
        // An explicit null for an optional argument means "not given" (serde reads it as None);
        // the published schema leaves null out of optional types to save the model's context.
        if value.is_null() && !required.contains(&name.as_str()) {
            continue;
        }
        let Some(property) = properties.and_then(|p| p.get(name)) else {
            if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                let known = properties
                    .map(|p| {
                        p.keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                return Some(format!(
                    "unknown argument `{name}`; this tool takes {known}"
                ));
            }
            continue;
        };
        if let Some(problem) = mismatch(schema, property, value) {
            return Some(format!("argument `{name}`: {problem}"));
        }
    }
    // Nothing wrong with what was given: a required argument must be missing.
    let required = schema.get("required").and_then(Value::as_array)?;
    required
        .iter()
        .filter_map(Value::as_str)
        .find(|r| !args.contains_key(*r))
        .map(|r| format!("missing required argument `{r}`"))
}

/// Why `value` does not fit `schema` (resolving `$ref`s against `root`), or `None` when it does
/// as far as these checks go (type, enum/const, numeric range, object fields, array items).
fn mismatch(root: &Map<String, Value>, schema: &Value, value: &Value) -> Option<String> {
    let schema = resolve(root, schema)?;
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        return (!choices.contains(value)).then(|| not_one_of(value, choices.iter()));
    }
    if let Some(expected) = schema.get("const") {
        return (expected != value).then(|| format!("{} must be {expected}", shown(value)));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            if branches.iter().any(|b| mismatch(root, b, value).is_none()) {
                return None;
            }
            // An optional value (`T` or null), given and wrong: what is wrong with it as a `T`.
            let not_null: Vec<&Value> = branches
                .iter()
                .filter(|b| {
                    resolve(root, b).and_then(|b| b.get("type")) != Some(&Value::from("null"))
                })
                .collect();
            if let [only] = not_null.as_slice() {
                return mismatch(root, only, value);
            }
            // All branches constants (how schemars writes a documented enum): list them.
            let consts: Option<Vec<&Value>> = branches
                .iter()
                .filter_map(|b| resolve(root, b))
                .map(|b| b.get("const"))
                .collect();
            return Some(match consts {
                Some(c) if !c.is_empty() => not_one_of(value, c.into_iter()),
                _ => format!("{} does not fit any accepted form", shown(value)),
            });
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.is_empty() && !allowed.iter().any(|t| is_type(value, t)) {
            return Some(format!("{} is not {}", shown(value), allowed.join(" or ")));
        }
    }
    if let Some(n) = value.as_f64() {
        let min = schema.get("minimum").and_then(Value::as_f64);
        let max = schema.get("maximum").and_then(Value::as_f64);
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            let bound = |b: Option<f64>| b.map_or("…".to_owned(), |b| b.to_string());
            return Some(format!(
                "{n} is out of range: give {} to {}",
                bound(min),
                bound(max)
            ));
        }
    }
    if let (Some(fields), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, v) in object {
            if let Some(problem) = fields.get(name).and_then(|f| mismatch(root, f, v)) {
                return Some(format!("field `{name}`: {problem}"));
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            if let Some(problem) = mismatch(root, items, v) {
                return Some(format!("item {i}: {problem}"));
            }
        }
    }
    None
}

/// Follows a local `$ref` (`#/$defs/X` or `#/definitions/X`) to its schema.
fn resolve<'a>(root: &'a Map<String, Value>, schema: &'a Value) -> Option<&'a Map<String, Value>> {
    let object = schema.as_object()?;
    let Some(reference) = object.get("$ref").and_then(Value::as_str) else {
        return Some(object);
    };
    let mut path = reference.strip_prefix("#/")?.split('/');
    let section = root.get(path.next()?)?.as_object()?;
    section.get(path.next()?)?.as_object()
}

/// Whether `value` is of JSON Schema type `ty`.
fn is_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn not_one_of<'a>(value: &Value, choices: impl Iterator<Item = &'a Value>) -> String {
    let listed: Vec<String> = choices.map(shown).collect();
    format!("{} is not one of {}", shown(value), listed.join(", "))
}

/// A value as the assistant wrote it, strings in backquotes rather than JSON quotes.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_before_the_tool_runs() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 10000}},
        });
        let schema = schema.as_object().unwrap();
        let args = |v: Value| serde_json::json!({ "limit": v }).as_object().cloned();
        for bad in [serde_json::json!(0), serde_json::json!(4294967295u64)] {
            let m = precheck(schema, args(bad).as_ref()).unwrap();
            assert!(m.starts_with("argument `limit`: "), "{m}");
            assert!(m.contains("out of range: give 1 to 10000"), "{m}");
        }
        assert_eq!(precheck(schema, args(serde_json::json!(10)).as_ref()), None);
        assert_eq!(precheck(schema, args(Value::Null).as_ref()), None);
        assert_eq!(precheck(schema, None), None);
    }
    use serde_json::json;

    fn schema() -> Map<String, Value> {
        json!({
            "type": "object",
            "properties": {
                "backend": {"type": "string"},
                "state": {"$ref": "#/$defs/State"},
                "mode": {"oneOf": [{"const": "a", "description": "A"}, {"const": "b"}]},
                "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
                "force": {"type": "boolean"},
                "keys": {"type": "array", "items": {"type": "string"}},
                "data": {"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}]}
            },
            "required": ["backend", "state"],
            "additionalProperties": false,
            "$defs": {
                "State": {"type": "string", "enum": ["ready", "drain", "maint"]},
                "Filter": {"type": "object", "properties": {"op": {"$ref": "#/$defs/State"}}}
            }
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn explain_args(args: Value) -> String {
        explain(&schema(), args.as_object(), "serde said no")
    }

    #[test]
    fn names_the_argument_and_the_choices() {
        let m = explain_args(json!({"backend": "be", "state": "bogus"}));
        assert_eq!(
            m.lines().next().unwrap(),
            "argument `state`: `bogus` is not one of `ready`, `drain`, `maint`"
        );
        assert!(m.ends_with("fix the argument and call again."), "{m}");
        let m = explain_args(json!({"backend": "be", "state": "drain", "mode": "c"}));
        assert!(
            m.starts_with("argument `mode`: `c` is not one of `a`, `b`"),
            "{m}"
        );
    }

    #[test]
    fn types_ranges_items_unknown_and_missing() {
        let first = |args| explain_args(args).lines().next().unwrap().to_owned();
        assert_eq!(
            first(json!({"backend": "be", "state": "drain", "limit": -3})),
            "argument `limit`: -3 is out of range: give 1 to 1000"
        );
        assert_eq!(
            first(json!({"backend": "be", "state": "drain", "limit": "ten"})),
            "argument `limit`: `ten` is not integer or null"
        );
        assert_eq!(
            first(json!({"backend": "be", "state": "drain", "force": "yes"})),
            "argument `force`: `yes` is not boolean"
        );
        assert_eq!(
            first(json!({"backend": "be", "state": "drain", "keys": ["a", 2]})),
            "argument `keys`: item 1: 2 is not string"
        );
        assert_eq!(
            first(json!({"backend": "be", "state": "drain", "data": {"op": "like"}})),
            "argument `data`: field `op`: `like` is not one of `ready`, `drain`, `maint`"
        );
        let unknown = first(json!({"backend": "be", "state": "drain", "sate": 1}));
        assert!(
            unknown.starts_with("unknown argument `sate`; this tool takes ")
                && unknown.contains("`state`"),
            "{unknown}"
        );
        assert_eq!(
            first(json!({"backend": "be"})),
            "missing required argument `state`"
        );
    }

    #[test]
    fn falls_back_to_serde_when_the_schema_does_not_tell() {
        let m = explain_args(json!({"backend": "be", "state": "ready", "limit": null}));
        assert!(m.starts_with("invalid arguments: serde said no\n"), "{m}");
        let m = explain(&schema(), None, "serde said no");
        assert!(
            m.starts_with("missing required argument `backend`\n"),
            "{m}"
        );
    }
}
