//! What clients see, pinned: every tool's name, title, description, input and output schema and
//! annotations (an insta snapshot, so any change shows up in review), the rules every tool must
//! follow, and `docs/tools.md`, regenerated from the same list (stale docs fail the test).

// The benches' loader of the 10,000-server recording (bench-fixtures/10k/), shared.
#[path = "../benches/common/mod.rs"]
mod bench_common;
mod support;

use std::sync::Arc;

use haproxy_mcp_server::haproxy::CommandObserver;
use haproxy_mcp_server::haproxy::command::{Access, Command};
use haproxy_mcp_server::haproxy::parse::registry;
use haproxy_mcp_server::mcp::catalog::render_markdown;
use haproxy_mcp_server::mcp::tools::{Toolset, is_read_only};
use haproxy_mcp_server::mcp::{HaproxyMcp, Settings, Targets};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, Tool};
use serde_json::{Value, json};
use support::mcp::{emulator_endpoint, serve_in_memory, target};

fn server(settings: Settings) -> HaproxyMcp {
    let t = target(
        "haproxy",
        haproxy_mcp_server::haproxy::Endpoint::unix("/nonexistent.sock"),
        &settings,
        false,
    );
    HaproxyMcp::new(Targets::new(vec![t], None).unwrap(), settings)
}

#[test]
fn tool_surface_snapshot() {
    let mut all = server(Settings::default()).tool_router().list_all();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    insta::assert_json_snapshot!("tools", all);
}

/// The authoring rules, on the tools as written (the served list leaves out hints at their
/// defaults and the `target` description; `served_annotations_mean_the_same` checks that).
#[test]
fn every_tool_follows_the_rules() {
    let written = Toolset::ALL
        .iter()
        .flat_map(|t| t.uncompacted_router().list_all());
    for t in written {
        let a = t
            .annotations
            .clone()
            .unwrap_or_else(|| panic!("{} has no annotations", t.name));
        assert!(
            a.title.as_deref().is_some_and(|s| !s.is_empty()),
            "{} has no title",
            t.name
        );
        assert_eq!(
            a.open_world_hint,
            Some(false),
            "{}: openWorldHint must be false",
            t.name
        );
        assert!(
            a.read_only_hint.is_some(),
            "{}: readOnlyHint must be set",
            t.name
        );
        if !is_read_only(&t) {
            assert!(
                a.destructive_hint.is_some(),
                "{}: mutating tools say whether they are destructive",
                t.name
            );
            assert!(
                a.idempotent_hint.is_some(),
                "{}: mutating tools say whether they are idempotent",
                t.name
            );
            // MCP: destructiveHint false promises "only additive updates". Only the add_*
            // tools add without changing or removing anything that was there.
            let additive = t.name.starts_with("add_");
            assert_eq!(
                a.destructive_hint,
                Some(!additive),
                "{}: destructiveHint must be {} (only add_* tools are purely additive)",
                t.name,
                !additive
            );
        }
        assert!(
            t.description.as_deref().is_some_and(|d| d.len() > 20),
            "{} needs a description",
            t.name
        );
        assert!(t.output_schema.is_some(), "{} has no output schema", t.name);
        let props = t.input_schema.get("properties").and_then(|p| p.as_object());
        assert!(
            props.is_some_and(|p| p.contains_key("target")),
            "{} has no `target` argument",
            t.name
        );
        for (name, p) in props.unwrap() {
            assert!(
                p.get("description").is_some()
                    || p.get("$ref").is_some()
                    || p.get("allOf").is_some(),
                "{}.{name} has no description",
                t.name
            );
        }
    }
}

/// The served annotations say what the written ones say, read with the spec's defaults
/// (readOnlyHint and idempotentHint false, destructiveHint true, openWorldHint true).
#[test]
fn served_annotations_mean_the_same() {
    let served = server(Settings::default()).tool_router().list_all();
    let written: std::collections::HashMap<String, Tool> = Toolset::ALL
        .iter()
        .flat_map(|t| t.uncompacted_router().list_all())
        .map(|t| (t.name.to_string(), t))
        .collect();
    assert_eq!(served.len(), written.len());
    for t in served {
        let (a, w) = (
            t.annotations.clone().unwrap(),
            written[t.name.as_ref()].annotations.clone().unwrap(),
        );
        let read_only = w.read_only_hint.unwrap_or(false);
        assert_eq!(a.read_only_hint.unwrap_or(false), read_only, "{}", t.name);
        assert_eq!(
            a.open_world_hint.unwrap_or(true),
            w.open_world_hint.unwrap_or(true)
        );
        assert_eq!(a.title, w.title, "{}", t.name);
        if !read_only {
            assert_eq!(
                a.destructive_hint.unwrap_or(true),
                w.destructive_hint.unwrap_or(true),
                "{}",
                t.name
            );
            assert_eq!(
                a.idempotent_hint.unwrap_or(false),
                w.idempotent_hint.unwrap_or(false),
                "{}",
                t.name
            );
        }
    }
}

#[test]
fn the_catalogue_of_tools_md_is_complete() {
    let listed: Vec<String> = server(Settings::default())
        .tool_router()
        .list_all()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for name in [
        "show_info",
        "show_stat",
        "show_activity",
        "health_summary",
        "clear_counters",
        "list_frontends",
        "list_backends",
        "get_backend",
        "list_servers",
        "get_server",
        "show_servers_state",
        "show_servers_conn",
        "list_maps",
        "list_acls",
        "list_tables",
        "add_server",
        "del_server",
        "enable_server",
        "disable_server",
        "set_server_state",
        "set_weight",
        "set_maxconn_server",
        "set_maxconn_frontend",
        "set_maxconn_global",
        "set_server_addr",
        "drain_server",
        "show_sessions",
        "show_session",
        "shutdown_session",
        "shutdown_server_sessions",
        "show_map",
        "show_acl",
        "get_map",
        "get_acl",
        "add_map_entry",
        "set_map_entry",
        "del_map_entry",
        "add_acl_entry",
        "del_acl_entry",
        "clear_map",
        "clear_acl",
        "replace_map",
        "replace_acl",
        "show_table",
        "set_table_entry",
        "clear_table",
        "enable_health",
        "disable_health",
        "enable_agent",
        "disable_agent",
        "set_server_health",
        "set_server_agent",
        "set_agent_send",
        "set_server_check_port",
        "show_errors",
        "echo",
        "help",
        "list_targets",
        "reload",
    ] {
        assert!(
            listed.iter().any(|l| l == name),
            "TOOLS.md lists {name}, the server does not"
        );
    }
}

#[test]
fn read_only_mode_lists_no_mutating_tool() {
    let all = server(Settings::default()).tool_router().list_all();
    let ro = server(Settings {
        read_only: true,
        ..Settings::default()
    })
    .tool_router()
    .list_all();
    assert!(ro.iter().all(is_read_only));
    let reads = all.iter().filter(|t| is_read_only(t)).count();
    assert_eq!(ro.len(), reads);
    assert!(ro.len() < all.len());
}

#[test]
fn docs_tools_md_is_generated_from_the_live_list() {
    let groups: Vec<(&str, Vec<Tool>)> = Toolset::ALL
        .iter()
        .map(|t| {
            let mut tools = t.uncompacted_router().list_all();
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            (t.name(), tools)
        })
        .collect();
    let doc = render_markdown(&groups);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tools.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/tools.md is stale: run `UPDATE_DOCS=1 cargo test --test tool_surface` and commit it"
    );
}

/// Records the access class of every command a client sends.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<(String, Access)>>);

impl CommandObserver for Recorder {
    fn observe(
        &self,
        command: &Command,
        _elapsed: std::time::Duration,
        _error: Option<&haproxy_mcp_server::haproxy::RuntimeError>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push((command.to_string(), command.access()));
    }
}

/// A value for each argument a read-only tool may require, by name.
fn argument_value(name: &str) -> Value {
    match name {
        "backend" => json!("be_app"),
        "server" => json!("app1"),
        "frontend" | "proxy" => json!("fe_main"),
        "map" => json!("/usr/local/etc/haproxy/hosts.map"),
        "acl" => json!("#0"),
        "key" | "value" => json!("api.example.com"),
        "table" => json!("st_clients"),
        "session" | "id" => json!("0xdeadbeef"),
        "text" => json!("hello"),
        "command" => json!("show"),
        other => panic!("no test value for required argument `{other}`: add one here"),
    }
}

/// A value for each argument `tool` requires.
fn required_arguments(tool: &Tool) -> serde_json::Map<String, Value> {
    tool.input_schema
        .get("required")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .map(|n| (n.to_owned(), argument_value(n)))
        .collect()
}

/// Every read-only tool, called on the emulator, sends read commands and nothing else (what
/// read-only mode relies on, besides the client's own refusal of mutations).
#[tokio::test]
async fn read_only_tools_send_only_read_commands() {
    let dir = tempfile::Builder::new()
        .prefix("ro")
        .tempdir_in("/tmp")
        .unwrap();
    let settings = Settings::default();
    let (endpoint, _emulator) = emulator_endpoint("3.2", dir.path(), "haproxy").await;
    let t = target("haproxy", endpoint, &settings, true);
    let recorder = Arc::new(Recorder::default());
    // Attached first, so it stays (the server's metrics observer is then not attached).
    assert!(t.client.set_observer(recorder.clone()));
    let targets = Targets::new(vec![t], None).unwrap();
    let client = ().serve(serve_in_memory(targets, settings)).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let reads: Vec<_> = tools.iter().filter(|t| is_read_only(t)).collect();
    assert!(reads.len() > 20, "only {} read-only tools", reads.len());
    for tool in reads {
        let args = required_arguments(tool);
        recorder.0.lock().unwrap().clear();
        let _ = client
            .call_tool(CallToolRequestParams::new(tool.name.clone()).with_arguments(args))
            .await;
        let sent = recorder.0.lock().unwrap().clone();
        assert!(
            !sent.is_empty(),
            "{} sent nothing: the test proves nothing",
            tool.name
        );
        let writes: Vec<&String> = sent
            .iter()
            .filter(|(_, a)| *a != Access::Read)
            .map(|(c, _)| c)
            .collect();
        assert!(
            writes.is_empty(),
            "read-only tool {} sent mutating commands: {writes:?}",
            tool.name
        );
        // Every reply a tool reads is known to the one registry: a dump with its parser (so its
        // fixtures are snapshotted, checked and fuzzed) or a free-text answer.
        for (line, _) in &sent {
            assert!(
                registry::format_of(line).is_some() || registry::is_acknowledged(line),
                "{} sent `{line}`, which parse::registry neither parses nor lists as free text",
                tool.name
            );
        }
    }
}

/// A version the project has never seen (3.4's recordings relabelled 9.1): every read-only tool
/// still answers — unknown columns are kept, nothing depends on knowing the release — and no
/// reply is declared unparsable or unrecognized.
#[tokio::test]
async fn the_catalogue_works_on_an_unknown_newer_version() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/3.4");
    let dir = tempfile::Builder::new()
        .prefix("v91")
        .tempdir_in("/tmp")
        .unwrap();
    let fixtures = dir.path().join("9.1");
    std::fs::create_dir(&fixtures).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Same length, so the recorded byte counts stay right.
        assert_eq!("3.4.7".len(), "9.1.0".len());
        let relabelled = text.replace("3.4.7", "9.1.0");
        std::fs::write(fixtures.join(path.file_name().unwrap()), relabelled).unwrap();
    }
    let emu = haproxy_emulator::Emulator::load(&fixtures).expect("relabelled fixtures load");
    let sock = dir.path().join("haproxy.sock");
    let _emulator = emu.serve_unix(tokio::net::UnixListener::bind(&sock).unwrap());
    let settings = Settings::default();
    let t = target(
        "haproxy",
        haproxy_mcp_server::haproxy::Endpoint::unix(sock),
        &settings,
        true,
    );
    let targets = Targets::new(vec![t], None).unwrap();
    let client = ().serve(serve_in_memory(targets, settings)).await.unwrap();
    let info = client
        .call_tool(CallToolRequestParams::new("show_info"))
        .await
        .unwrap();
    let version = info
        .structured_content
        .clone()
        .unwrap_or_default()
        .to_string();
    assert!(version.contains("9.1.0"), "{version}");
    let tools = client.list_all_tools().await.unwrap();
    let mut answered = 0;
    for tool in tools.iter().filter(|t| is_read_only(t)) {
        let args = required_arguments(tool);
        let r = client
            .call_tool(CallToolRequestParams::new(tool.name.clone()).with_arguments(args))
            .await
            .unwrap();
        let text: String = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect();
        assert!(
            !text.contains("cannot parse") && !text.contains("not a known success"),
            "{} on 9.1: {text}",
            tool.name
        );
        if r.is_error != Some(true) {
            answered += 1;
        }
    }
    assert!(
        answered > 20,
        "only {answered} read-only tools answered on 9.1"
    );
}

/// The raw `tools/list` reply of the built binary (demo emulator, stdio), as a client receives
/// it, with `extra` flags.
fn served_tools_list(extra: &[&str]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_haproxy-mcp-server"))
        .arg("--emulator")
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "budget", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "no tools/list reply");
        if line.contains("\"id\":2") {
            break;
        }
    }
    // End of input ends the server, which removes its demo socket folder (a kill would not).
    drop(stdin);
    let _ = child.wait();
    line.trim_end().to_owned()
}

/// Bytes of a value as compact JSON.
fn bytes(v: &Value) -> usize {
    serde_json::to_vec(v).unwrap().len()
}

/// What the model sees of the tool list (every tool without its output schema) stays within
/// 40 KiB, and the whole list within 80 KiB, measured on the reply the built binary sends. The
/// ten largest tools are printed either way.
#[test]
fn the_tool_list_fits_the_context_budget() {
    const VISIBLE_BUDGET: usize = 40 * 1024;
    const WHOLE_BUDGET: usize = 80 * 1024;
    for (mode, flags) in [
        ("all tools", &[][..]),
        ("--read-only", &["--read-only"][..]),
    ] {
        let raw = served_tools_list(flags);
        let reply: Value = serde_json::from_str(&raw).unwrap();
        let tools = reply["result"]["tools"].as_array().unwrap();
        let visible_of = |t: &Value| {
            let mut t = t.clone();
            t.as_object_mut().unwrap().remove("outputSchema");
            bytes(&t)
        };
        let visible: usize = tools.iter().map(visible_of).sum();
        let mut sizes: Vec<(usize, usize, &str)> = tools
            .iter()
            .map(|t| (bytes(t), visible_of(t), t["name"].as_str().unwrap()))
            .collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        eprintln!(
            "{mode}: {} tools, whole reply {} bytes, model-visible {visible} bytes; largest:",
            tools.len(),
            raw.len()
        );
        for (whole, vis, name) in sizes.iter().take(10) {
            eprintln!("  {name:<28} whole {whole:>6}  visible {vis:>6}");
        }
        assert!(
            visible <= VISIBLE_BUDGET,
            "{mode}: the model sees {visible} bytes of tools/list, over the {VISIBLE_BUDGET} budget"
        );
        assert!(
            raw.len() <= WHOLE_BUDGET,
            "{mode}: tools/list is {} bytes, over the {WHOLE_BUDGET} budget",
            raw.len()
        );
    }
}

/// Only standard JSON Schema formats are served: schemars' `uint64`-style formats make the MCP
/// Inspector warn and strict validators reject the schema.
#[test]
fn served_schemas_use_only_standard_formats() {
    const STANDARD: &[&str] = &[
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uuid",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
    ];
    fn formats(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(f)) = m.get("format") {
                    out.push(f.clone());
                }
                m.values().for_each(|c| formats(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| formats(c, out)),
            _ => {}
        }
    }
    let reply: Value = serde_json::from_str(&served_tools_list(&[])).unwrap();
    let mut found = Vec::new();
    formats(&reply["result"]["tools"], &mut found);
    let odd: Vec<&String> = found
        .iter()
        .filter(|f| !STANDARD.contains(&f.as_str()))
        .collect();
    assert!(odd.is_empty(), "non-standard formats served: {odd:?}");
    // And the uncompacted schemas do carry them, so this test would see a regression.
    let mut raw_formats = Vec::new();
    for t in Toolset::ALL {
        for tool in t.uncompacted_router().list_all() {
            formats(&serde_json::to_value(&tool).unwrap(), &mut raw_formats);
        }
    }
    assert!(raw_formats.iter().any(|f| f == "uint64"), "{raw_formats:?}");
}

/// Arguments naming real objects of the 10,000-server recording: the map, ACL and session ids
/// are read from the recorded commands (they differ between captures).
fn ten_thousand_arguments(tool: &str, recorded: &[haproxy_emulator::Fixture]) -> Value {
    let word = |prefix: &str| -> String {
        recorded
            .iter()
            .find_map(|f| f.command.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no recorded `{prefix}…`"))
            .to_owned()
    };
    match tool {
        "get_backend" => json!({"backend": "be_42"}),
        "get_server" => json!({"backend": "be_25", "server": "s1"}),
        "show_table" => json!({"table": "st_ports"}),
        "show_map" => json!({"map": word("get map ")}),
        "get_map" => json!({"map": word("get map "), "value": "host-4242.example"}),
        "show_acl" => json!({"acl": word("get acl ")}),
        "get_acl" => json!({"acl": word("get acl "), "value": "10.0.4.2"}),
        "show_session" => json!({"id": format!("0x{}", word("show sess 0x"))}),
        _ => json!({}),
    }
}

/// Every read tool's answer, as the model reads it (every text block), fits 4 KiB with default
/// arguments on a HAProxy with 10,000 servers, 3,000 sessions, a 10,000-entry map, a
/// 5,000-pattern ACL and a stick table of thousands of entries. The sizes are printed.
#[tokio::test]
async fn read_answers_fit_4_kib_on_ten_thousand_servers() {
    const ANSWER_BUDGET: usize = 4 * 1024;
    let dir = tempfile::Builder::new()
        .prefix("10k")
        .tempdir_in("/tmp")
        .unwrap();
    let recorded = bench_common::big_fixtures();
    let emulator =
        haproxy_emulator::Emulator::from_fixtures(&recorded, haproxy_emulator::Options::default())
            .expect("the 10k recording loads");
    let path = dir.path().join("big.sock");
    let _served = emulator.serve_unix(tokio::net::UnixListener::bind(&path).unwrap());
    let settings = Settings::default();
    let t = target(
        "haproxy",
        haproxy_mcp_server::haproxy::Endpoint::unix(&path),
        &settings,
        true,
    );
    let recorder = Arc::new(Recorder::default());
    assert!(t.client.set_observer(recorder.clone()));
    let client = ()
        .serve(serve_in_memory(
            Targets::new(vec![t], None).unwrap(),
            settings,
        ))
        .await
        .unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let mut over = Vec::new();
    for tool in tools.iter().filter(|t| is_read_only(t)) {
        recorder.0.lock().unwrap().clear();
        let args = ten_thousand_arguments(&tool.name, &recorded);
        let r = client
            .call_tool(
                CallToolRequestParams::new(tool.name.clone())
                    .with_arguments(args.as_object().cloned().unwrap_or_default()),
            )
            .await
            .unwrap();
        let text: usize = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.len()))
            .sum();
        let sent: Vec<String> = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        let first = r
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone())
            .unwrap_or_default();
        eprintln!(
            "{:<22} {text:>7} bytes  error={:<5} sent={sent:?}  {}",
            tool.name,
            r.is_error == Some(true),
            first.chars().take(120).collect::<String>()
        );
        if text > ANSWER_BUDGET {
            over.push(format!("{} ({text} bytes)", tool.name));
        }
    }
    assert!(
        over.is_empty(),
        "answers over {ANSWER_BUDGET} bytes: {over:?}"
    );
}
