//! Every read tool called end to end (MCP client -> server -> client -> emulator) against the
//! replies recorded from each HAProxy version, each call on a fresh emulator (so every answer
//! reflects the same recorded first state), with the results snapshotted per version, so a
//! change in what a tool answers on any version shows up in review. Round-trip times, the
//! emulator's temp socket path and certificate expiry relative to today (the recorded
//! certificates' dates are fixed, the calendar is not) are the only values redacted. Mutations and their error paths are
//! covered in tests/mcp_*.rs.

mod support;

use haproxy_mcp_server::mcp::Settings;
use serde_json::{Value, json};
use support::mcp::{McpHarness, text, versions};

/// Replaces timing values, the emulator's temp socket path and expiry relative to today, the
/// only things that differ between runs.
fn redact(v: &mut Value) {
    match v {
        Value::String(s) => *s = redact_expiry(s),
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if k.ends_with("_ms") && val.is_number() {
                    *val = json!("[ms]");
                } else if k == "days_left" || k == "expired" || k == "stale" {
                    *val = json!("[today]");
                } else if k == "endpoint" {
                    // The emulator's socket lives in a fresh temp dir each run.
                    *val = json!("[socket]");
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Replaces "expired N days ago", "expires in N days" and "expires within a day" with
/// "[expiry]": how far a recorded certificate is from its notAfter depends on today's date.
fn redact_expiry(s: &str) -> String {
    const PHRASES: [&[&str]; 3] = [
        &["expired", "N", "days", "ago"],
        &["expires", "in", "N", "days"],
        &["expires", "within", "a", "day"],
    ];
    let bare = |w: &str| w.trim_end_matches([';', ',', '.', ')', '"']).to_owned();
    let words: Vec<&str> = s.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let found = PHRASES.iter().find(|p| {
            words.len() >= i + p.len()
                && p.iter().zip(&words[i..]).all(|(want, got)| match *want {
                    "N" => bare(got).parse::<u64>().is_ok(),
                    _ => bare(got) == *want,
                })
        });
        match found {
            Some(p) => {
                // Keep the punctuation that followed the phrase.
                let last = words[i + p.len() - 1];
                out.push(format!("[expiry]{}", &last[bare(last).len()..]));
                i += p.len();
            }
            None => {
                out.push(words[i].to_owned());
                i += 1;
            }
        }
    }
    out.join(" ")
}

/// Replaces "12.34 ms" and certificate expiry in summaries.
fn redact_text(s: &str) -> String {
    let s = &redact_expiry(s);
    let mut out = String::new();
    for word in s.split(' ') {
        let is_ms = word.parse::<f64>().is_ok() && s.contains(&format!("{word} ms"));
        out.push_str(if is_ms { "[ms]" } else { word });
        out.push(' ');
    }
    out.trim_end().to_owned()
}

/// The read tools and arguments recorded for every version.
fn calls() -> Vec<(&'static str, Value)> {
    vec![
        ("show_info", json!({})),
        ("show_stat", json!({"proxy": "be_app"})),
        (
            "show_stat",
            json!({"types": ["frontend"], "fields": ["status", "scur", "slim"]}),
        ),
        ("show_activity", json!({})),
        ("health_summary", json!({})),
        ("list_frontends", json!({})),
        ("list_backends", json!({})),
        ("get_backend", json!({"backend": "be_app"})),
        ("list_servers", json!({"backend": "be_app"})),
        ("list_servers", json!({"state": "not_up"})),
        ("get_server", json!({"backend": "be_app", "server": "app4"})),
        ("show_servers_state", json!({"backend": "be_api"})),
        ("show_servers_conn", json!({"backend": "be_app"})),
        ("list_maps", json!({})),
        ("list_acls", json!({})),
        ("list_tables", json!({})),
        ("show_table", json!({"table": "st_clients"})),
        ("show_sessions", json!({})),
        ("show_errors", json!({})),
        ("help", json!({"filter": "server"})),
        ("list_targets", json!({})),
        ("echo", json!({})),
        ("list_certificates", json!({})),
    ]
}

async fn snapshot_version(version: &str) {
    let mut results = Vec::new();
    for (tool, args) in calls() {
        // A fresh emulator per call: the replay emulator answers a repeated command with its
        // next recording, so a shared one made each answer depend on the calls before it (and
        // the snapshots contradicted each other). Fresh, every tool sees the same first state.
        let h = McpHarness::replayed(version, Settings::default()).await;
        let r = h.call(tool, args.clone()).await;
        let mut structured = r.structured_content.clone().unwrap_or(Value::Null);
        redact(&mut structured);
        results.push(json!({
            "tool": tool,
            "arguments": args,
            "is_error": r.is_error.unwrap_or(false),
            "summary": redact_text(text(&r).lines().next().unwrap_or("")),
            "structured": structured,
        }));
    }
    insta::with_settings!({ snapshot_suffix => version.replace('.', "_"), prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("tool_results", results);
    });
}

/// One snapshot per recorded version (`tool_results@<version>.snap`).
#[tokio::test]
async fn tool_results_every_version() {
    for version in versions() {
        snapshot_version(version).await;
    }
}
