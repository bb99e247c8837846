//! The audit log (one JSON line per mutating call, refused ones included, reads left out unless
//! asked for) and the metrics and health endpoints (counters that move, histogram buckets,
//! HAProxy round trips and errors by kind, per-target reachability).

mod http_support;
mod support;

use std::path::Path;

use haproxy_mcp_server::mcp::Settings;
use haproxy_mcp_server::mcp::audit::AuditLog;
use haproxy_mcp_server::transport::auth::{Authenticator, StaticToken};
use haproxy_mcp_server::transport::http::HttpOptions;
use http_support::{ALICE, BOB, TestServer, audit_lines, call, tokens_env, tools_call};
use serde_json::{Value, json};
use support::mcp::{McpHarness, text};

fn audited(path: &Path, reads: bool) -> Settings {
    Settings {
        audit: AuditLog::file(path).unwrap().with_reads(reads),
        ..Settings::default()
    }
}

fn token_options() -> HttpOptions {
    HttpOptions {
        auth: Authenticator::new(StaticToken::parse_list(&tokens_env()).unwrap(), None),
        ..HttpOptions::default()
    }
}

const SET_WEIGHT: &str = "set_weight";

fn weight_args(weight: Value) -> Value {
    json!({"backend": "be_app", "server": "app1", "weight": weight})
}

#[tokio::test]
async fn a_mutating_call_writes_one_line_and_a_read_none() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let h = McpHarness::emulated("3.2", audited(&log, false)).await;

    h.ok("show_info", json!({})).await;
    h.ok("list_backends", json!({})).await;
    assert!(audit_lines(&log).is_empty(), "reads are not audited");

    let args = json!({"frontend": "fe_main", "maxconn": 500});
    let r = h.call("set_maxconn_frontend", args.clone()).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["caller"], "stdio");
    assert_eq!(l["caller_kind"], "stdio");
    assert_eq!(l["tool"], "set_maxconn_frontend");
    assert_eq!(l["target"], "haproxy");
    assert_eq!(l["mutating"], true);
    assert_eq!(l["arguments"], args);
    assert_eq!(l["outcome"], "ok");
    assert_eq!(l["reply"], text(&r), "HAProxy's answer is recorded");
    assert!(l["time"].as_str().unwrap().ends_with('Z'));
    assert!(l["duration_ms"].is_u64());

    // HAProxy's refusal is recorded with its words.
    let err = h
        .err(
            "set_maxconn_frontend",
            json!({"frontend": "fe_nope", "maxconn": 500}),
        )
        .await;
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["outcome"], "error");
    let reply = lines[1]["reply"].as_str().unwrap();
    assert!(
        reply.contains("No such frontend") && err.contains("No such frontend"),
        "{reply}"
    );
}

#[tokio::test]
async fn refused_and_invalid_calls_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let settings = Settings {
        read_only: true,
        ..audited(&log, false)
    };
    let h = McpHarness::emulated("3.2", settings).await;
    let r = h.call(SET_WEIGHT, weight_args(json!(50))).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("read-only mode"), "{}", text(&r));
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["outcome"], "refused");
    assert_eq!(lines[0]["reason"], "read_only_mode");
    assert_eq!(lines[0]["tool"], SET_WEIGHT);

    // Validation errors of a mutating call are recorded too.
    let dir2 = tempfile::tempdir().unwrap();
    let log2 = dir2.path().join("audit.jsonl");
    let h = McpHarness::emulated("3.2", audited(&log2, false)).await;
    let _ = h.call(SET_WEIGHT, weight_args(json!("abc"))).await;
    let _ = h
        .client
        .call_tool(
            rmcp::model::CallToolRequestParams::new(SET_WEIGHT).with_arguments(
                json!({"weight": {"not": "valid"}})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
        )
        .await;
    let lines = audit_lines(&log2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "error");
    assert!(lines[0]["reply"].as_str().unwrap().contains("weight"));
    assert_ne!(lines[1]["outcome"], "ok");
}

#[tokio::test]
async fn reads_are_audited_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let h = McpHarness::emulated("3.2", audited(&log, true)).await;
    h.ok("show_info", json!({})).await;
    let lines = audit_lines(&log);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["tool"], "show_info");
    assert_eq!(lines[0]["mutating"], false);
    assert_eq!(lines[0]["outcome"], "ok");
}

#[tokio::test]
async fn http_callers_are_named_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let s = TestServer::start(audited(&log, false), token_options()).await;

    let alice = s.client(Some(ALICE)).await.unwrap();
    call(&alice, "show_info", json!({})).await.unwrap();
    call(&alice, SET_WEIGHT, weight_args(json!(50)))
        .await
        .unwrap();
    alice.cancel().await.unwrap();
    let bob = s.client(Some(BOB)).await.unwrap();
    let r = call(&bob, SET_WEIGHT, weight_args(json!(50)))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    bob.cancel().await.unwrap();
    // Without a token, and with a wrong one: refused at the door, still recorded.
    let body = tools_call(SET_WEIGHT, weight_args(json!(1)));
    assert_eq!(s.post_mcp(&body, None).await.status(), 401);
    let wrong = s.post_mcp(&body, Some("not-a-token-0123456789")).await;
    assert_eq!(wrong.status(), 401);
    // A read refused at the door is not.
    let read = tools_call("show_info", json!({}));
    assert_eq!(s.post_mcp(&read, None).await.status(), 401);

    let lines = audit_lines(&log);
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["caller"].as_str().unwrap().to_owned(),
                l["outcome"].as_str().unwrap().to_owned(),
                l["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(lines.len(), 4, "{summary:?}");
    assert_eq!(lines[0]["caller"], "alice");
    assert_eq!(lines[0]["caller_kind"], "token");
    assert_ne!(lines[0]["outcome"], "refused");
    assert_eq!(
        summary[1..],
        [
            ("bob".into(), "refused".into(), "read_only_caller".into()),
            (
                "anonymous".into(),
                "refused".into(),
                "unauthenticated".into()
            ),
            ("anonymous".into(), "refused".into(), "invalid_token".into()),
        ]
    );
    // Refused before authentication: the arguments are not recorded (issue 12 item 2).
    assert_eq!(lines[2]["arguments"], Value::Null);
    // Names only: no token ever reaches the log.
    let raw = std::fs::read_to_string(&log).unwrap();
    assert!(!raw.contains(ALICE) && !raw.contains(BOB) && !raw.contains("not-a-token"));
}

/// The value of the sample `line_start` (`name{labels}`) in a metrics page.
fn sample(page: &str, line_start: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_calls_latency_haproxy_errors_and_reachability() {
    let s = TestServer::with_targets(
        &[("haproxy", Some("3.2")), ("down", None)],
        Settings::default(),
        token_options(),
    )
    .await;
    let r = s.get("/metrics", Some(ALICE)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let before = r.text().await.unwrap();
    assert_eq!(
        sample(
            &before,
            "haproxy_mcp_tool_calls_total{tool=\"show_info\",outcome=\"ok\"}"
        ),
        None
    );
    assert_eq!(
        sample(&before, "haproxy_mcp_target_up{target=\"haproxy\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&before, "haproxy_mcp_target_up{target=\"down\"}"),
        Some(0.0)
    );

    let alice = s.client(Some(ALICE)).await.unwrap();
    for _ in 0..2 {
        let r = call(&alice, "show_info", json!({})).await.unwrap();
        assert_ne!(r.is_error, Some(true));
    }
    let r = call(&alice, "show_info", json!({"target": "down"}))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    let r = call(&alice, "show_stat", json!({"proxy": "be_nope"}))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    alice.cancel().await.unwrap();
    let bob = s.client(Some(BOB)).await.unwrap();
    call(&bob, SET_WEIGHT, weight_args(json!(5))).await.unwrap();
    bob.cancel().await.unwrap();

    let page = s.get("/metrics", Some(ALICE)).await.text().await.unwrap();
    let v = |k: &str| sample(&page, k);
    assert_eq!(
        v("haproxy_mcp_tool_calls_total{tool=\"show_info\",outcome=\"ok\"}"),
        Some(2.0)
    );
    assert_eq!(
        v("haproxy_mcp_tool_calls_total{tool=\"show_info\",outcome=\"error\"}"),
        Some(1.0)
    );
    assert_eq!(
        v("haproxy_mcp_tool_calls_total{tool=\"show_stat\",outcome=\"error\"}"),
        Some(1.0)
    );
    assert_eq!(
        v("haproxy_mcp_tool_calls_total{tool=\"set_weight\",outcome=\"refused\"}"),
        Some(1.0)
    );
    // Histograms: cumulative buckets ending in +Inf, with _sum and _count.
    assert_eq!(
        v("haproxy_mcp_tool_call_duration_seconds_bucket{tool=\"show_info\",le=\"+Inf\"}"),
        Some(3.0)
    );
    assert_eq!(
        v("haproxy_mcp_tool_call_duration_seconds_count{tool=\"show_info\"}"),
        Some(3.0)
    );
    assert!(v("haproxy_mcp_tool_call_duration_seconds_sum{tool=\"show_info\"}").unwrap() > 0.0);
    assert!(page.contains("# TYPE haproxy_mcp_tool_call_duration_seconds histogram"));
    let buckets: Vec<f64> = page
        .lines()
        .filter(|l| {
            l.starts_with("haproxy_mcp_tool_call_duration_seconds_bucket{tool=\"show_info\"")
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 5 && buckets.windows(2).all(|w| w[0] <= w[1]));
    // HAProxy round trips and errors by kind, per target.
    assert!(
        v("haproxy_mcp_haproxy_command_duration_seconds_count{target=\"haproxy\",command=\"show\"}")
            .unwrap() >= 2.0,
        "{page}"
    );
    assert!(
        v("haproxy_mcp_haproxy_errors_total{target=\"down\",kind=\"connect\"}").unwrap() >= 1.0
    );
    assert!(
        page.lines().any(|l| l
            .starts_with("haproxy_mcp_haproxy_errors_total{target=\"haproxy\",kind=\"no_such_")),
        "{page}"
    );
    assert_eq!(v("haproxy_mcp_target_up{target=\"haproxy\"}"), Some(1.0));
    assert_eq!(v("haproxy_mcp_target_up{target=\"down\"}"), Some(0.0));
}

#[tokio::test]
async fn healthz_reports_each_target() {
    let s = TestServer::with_targets(
        &[("haproxy", Some("3.2")), ("down", None)],
        Settings::default(),
        token_options(),
    )
    .await;
    let r = s.get("/healthz", Some(ALICE)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["targets"][0]["name"], "haproxy");
    assert_eq!(body["targets"][0]["reachable"], true);
    assert!(
        body["targets"][0]["version"]
            .as_str()
            .unwrap()
            .starts_with("3.2")
    );
    assert_eq!(body["targets"][1]["name"], "down");
    assert_eq!(body["targets"][1]["reachable"], false);
    assert!(body["targets"][1]["error"].is_string());
    // Anonymous callers see reachability only.
    let body: Value = s.get("/healthz", None).await.json().await.unwrap();
    assert_eq!(body["targets"][1]["reachable"], false);
    assert!(body["targets"][0].get("version").is_none());
    assert!(body["targets"][1].get("error").is_none());
}
