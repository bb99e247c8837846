//! Bounds on what one audit record may hold of a call's arguments, so that a huge request (a
//! 4 MB body with 120,000 argument keys) costs the audit log a few hundred bytes, not its size.
//! Strings are escaped ([`crate::log_safe`]) and shortened; objects and lists keep their first
//! entries and say how many more there were; nesting is cut at a depth; and if the result is
//! still larger than [`MAX_ARGUMENTS_BYTES`], a summary (top-level key count and the first key
//! names) replaces it.

use serde_json::{Map, Value, json};

use crate::log_safe::escape;

/// Longest string value kept whole.
pub const MAX_STRING_CHARS: usize = 256;
/// Longest object key kept whole.
pub const MAX_KEY_CHARS: usize = 64;
/// Entries kept of an object or a list.
pub const MAX_ENTRIES: usize = 32;
/// Nesting kept; deeper values are replaced by a description.
pub const MAX_DEPTH: usize = 4;
/// Largest recorded arguments, as JSON.
pub const MAX_ARGUMENTS_BYTES: usize = 8 * 1024;
/// Key names listed in a summary.
const SUMMARY_KEYS: usize = 16;

/// The arguments as the audit log records them.
pub fn arguments(value: &Value) -> Value {
    let bounded = bound(value, 0);
    let size = serde_json::to_vec(&bounded).map_or(usize::MAX, |v| v.len());
    if size <= MAX_ARGUMENTS_BYTES {
        bounded
    } else {
        summary(value)
    }
}

/// A short description of `value` in place of its content.
pub fn summary(value: &Value) -> Value {
    match value {
        Value::Object(map) => json!({
            "_truncated": "arguments too large to record",
            "top_level_keys": map.len(),
            "first_keys": map.keys().take(SUMMARY_KEYS).map(|k| cut(k, MAX_KEY_CHARS)).collect::<Vec<_>>(),
        }),
        other => json!({
            "_truncated": "arguments too large to record",
            "type": kind(other),
        }),
    }
}

/// `text` escaped and cut to `max` characters, marked when cut.
pub fn cut(text: &str, max: usize) -> String {
    let text = escape(text);
    match text.char_indices().nth(max) {
        None => text.into_owned(),
        Some((at, _)) => format!("{}…[{} more bytes]", &text[..at], text.len() - at),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn bound(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) => Value::String(cut(s, MAX_STRING_CHARS)),
        Value::Array(items) if depth >= MAX_DEPTH => {
            Value::String(format!("[a list of {} items]", items.len()))
        }
        Value::Object(map) if depth >= MAX_DEPTH => {
            Value::String(format!("{{an object of {} keys}}", map.len()))
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(MAX_ENTRIES)
                .map(|v| bound(v, depth + 1))
                .collect();
            if items.len() > MAX_ENTRIES {
                out.push(Value::String(format!(
                    "…[{} more items]",
                    items.len() - MAX_ENTRIES
                )));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .take(MAX_ENTRIES)
                .map(|(k, v)| (cut(k, MAX_KEY_CHARS), bound(v, depth + 1)))
                .collect();
            if map.len() > MAX_ENTRIES {
                out.insert(
                    "…".to_owned(),
                    Value::String(format!(
                        "{} more keys ({} in all)",
                        map.len() - MAX_ENTRIES,
                        map.len()
                    )),
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_arguments_are_kept() {
        let args = json!({"backend": "be_app", "server": "app1", "weight": 50, "tags": [1, 2]});
        assert_eq!(arguments(&args), args);
    }

    #[test]
    fn large_objects_lists_and_strings_are_bounded() {
        let mut map = Map::new();
        for i in 0..120_000 {
            map.insert(format!("k{i:06}"), json!("v"));
        }
        let big = arguments(&Value::Object(map));
        assert_eq!(big.as_object().unwrap().len(), MAX_ENTRIES + 1);
        assert_eq!(big["…"], "119968 more keys (120000 in all)");
        let list = arguments(&json!({"l": vec![1; 1000], "s": "x".repeat(10_000)}));
        assert_eq!(list["l"].as_array().unwrap().len(), MAX_ENTRIES + 1);
        assert!(list["s"].as_str().unwrap().len() < 300);
        let deep = arguments(&json!({"a": {"b": {"c": {"d": {"e": 1}}}}}));
        assert_eq!(deep["a"]["b"]["c"]["d"], "{an object of 1 keys}");
        // Wide and long at every level: the summary takes over.
        let row: Map<String, Value> = (0..32)
            .map(|i| (format!("{i:0>64}"), json!("y".repeat(300))))
            .collect();
        let wide: Map<String, Value> = (0..32)
            .map(|i| (format!("k{i}"), Value::Object(row.clone())))
            .collect();
        let s = arguments(&Value::Object(wide));
        assert_eq!(s["top_level_keys"], 32);
        assert!(serde_json::to_vec(&s).unwrap().len() < 2048);
    }

    #[test]
    fn strings_and_keys_are_escaped() {
        let v = arguments(&json!({"a\nb": "x\r\u{1b}[2J"}));
        assert_eq!(v, json!({"a\\nb": "x\\r\\u{1b}[2J"}));
    }
}
