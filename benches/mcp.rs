//! One tool call end to end through the MCP layer (rmcp client and server over an in-memory
//! duplex, as in tests/support/mcp.rs) against the emulator on a Unix socket, beside a raw round
//! trip of the same HAProxy command on the same socket in the same run:
//!
//! * `show_info`: MCP call vs raw `show info`;
//!
//! Each MCP call is timed twice: from rmcp's own client (which decodes the result into its
//! types, work a remote client does on its side), and from a byte-level client that writes the
//! request and reads the reply line (`mcp_wire`: the server's work plus the transport).
//! * `show_stat` with `limit: 100` on the 10,000-server reply vs raw `show stat`;
//! * `health_summary` fanned out over 20 emulated targets (20 concurrent calls, one per target,
//!   from the client side) vs one call for one target.
//!
//! `make bench` (scripts/bench-report.sh) reads the medians and prints the ratios beside their
//! goals.

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use haproxy_emulator::Emulator;
use haproxy_mcp_server::haproxy::{Endpoint, Limits};
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use serde_json::{Value, json};

type Client = RunningService<RoleClient, ()>;

async fn call(client: &Client, tool: &str, args: &Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    let r = client.call_tool(params).await.expect("tools/call");
    assert_ne!(r.is_error, Some(true), "{tool} {args} failed: {r:?}");
    r
}

async fn raw(endpoint: &Endpoint, line: &[u8]) -> usize {
    let reply = endpoint
        .exchange(line, &Limits::default())
        .await
        .unwrap_or_else(|e| panic!("raw exchange: {e:?}"));
    assert!(!reply.is_empty());
    reply.len()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn big_reply(c: &mut Criterion) {
    let rt = runtime();
    let dir = common::temp_dir();
    let (endpoint, _emulator, client, wire) = rt.block_on(async {
        let emulator = common::big_emulator();
        let (endpoint, handle) = common::serve(&emulator, dir.path(), "big");
        let client = common::mcp_client(vec![common::target("big", endpoint.clone())]).await;
        let wire = common::WireClient::connect(vec![common::target("big", endpoint.clone())]).await;
        (endpoint, handle, client, tokio::sync::Mutex::new(wire))
    });
    // A call from the byte-level client (the server's side of a call, without the rmcp client
    // decoding the result).
    let wire_call = |tool: &'static str, arguments: &'static str| {
        let wire = &wire;
        async move { wire.lock().await.call(tool, arguments).await }
    };
    let stat_args = json!({"limit": 100});
    // Sanity: the tool sees the 10,000-server reply and answers 100 rows.
    rt.block_on(async {
        let r = call(&client, "show_stat", &stat_args).await;
        let t = &r.structured_content.as_ref().unwrap()["truncation"];
        assert_eq!(t["shown"], 100, "{t}");
        assert!(t["total"].as_u64().unwrap() > 10_000, "{t}");
    });

    let mut g = c.benchmark_group("show_info");
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| raw(&endpoint, b"show info\n"))
    });
    g.bench_function("mcp", |b| {
        b.to_async(&rt)
            .iter(|| call(&client, "show_info", &Value::Null))
    });
    g.bench_function("mcp_wire", |b| {
        b.to_async(&rt).iter(|| wire_call("show_info", "{}"))
    });
    g.finish();

    // The MCP round trip alone, for reference: a call the server answers at once with an error
    // (no tool runs, nothing reaches HAProxy).
    let mut g = c.benchmark_group("mcp_floor");
    g.bench_function("unknown_tool_wire", |b| {
        b.to_async(&rt).iter(|| async {
            // An unknown tool is a JSON-RPC error; the byte-level client only reads the line.
            let mut w = wire.lock().await;
            w.call_expecting_error("no_such_tool").await
        })
    });
    g.bench_function("unknown_tool", |b| {
        b.to_async(&rt).iter(|| async {
            let params = CallToolRequestParams::new("no_such_tool".to_owned());
            assert!(client.call_tool(params).await.is_err());
        })
    });
    g.finish();

    let mut g = c.benchmark_group("show_stat_10k_limit100");
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| raw(&endpoint, b"show stat\n"))
    });
    g.bench_function("mcp", |b| {
        b.to_async(&rt)
            .iter(|| call(&client, "show_stat", &stat_args))
    });
    g.bench_function("mcp_wire", |b| {
        b.to_async(&rt)
            .iter(|| wire_call("show_stat", r#"{"limit":100}"#))
    });
    g.finish();

    // For reference: health_summary over the whole 10,000-server reply (show stat and show
    // servers state, parsed in full and summarized).
    let mut g = c.benchmark_group("health_summary_10k");
    g.bench_function("mcp", |b| {
        b.to_async(&rt)
            .iter(|| call(&client, "health_summary", &Value::Null))
    });
    g.finish();
}

/// How many emulated targets health_summary fans out over.
const FAN_OUT: usize = 20;

fn fan_out(c: &mut Criterion) {
    let rt = runtime();
    let dir = common::temp_dir();
    let (_emulators, client) = rt.block_on(async {
        let emulator = Emulator::load(common::small_fixtures("3.2")).expect("fixtures/3.2");
        let mut handles = Vec::new();
        let mut targets = Vec::new();
        for i in 0..FAN_OUT {
            // One listener (socket) per target, like 20 HAProxy instances.
            let name = format!("t{i:02}");
            let (endpoint, handle) = common::serve(&emulator.clone(), dir.path(), &name);
            handles.push(handle);
            targets.push(common::target(&name, endpoint));
        }
        (handles, common::mcp_client(targets).await)
    });
    let args: Vec<Value> = (0..FAN_OUT)
        .map(|i| json!({"target": format!("t{i:02}")}))
        .collect();
    let mut g = c.benchmark_group("health_summary_fan_out");
    g.bench_function("one_target", |b| {
        b.to_async(&rt)
            .iter(|| call(&client, "health_summary", &args[0]))
    });
    g.bench_function("20_targets", |b| {
        b.to_async(&rt).iter(|| {
            futures::future::join_all(args.iter().map(|a| call(&client, "health_summary", a)))
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = big_reply, fan_out
}
criterion_main!(benches);
