//! The stats toolset end to end against the emulator of every recorded version.

mod support;

use haproxy_mcp_server::mcp::Settings;
use serde_json::json;
use support::mcp::{McpHarness, text, versions};

#[tokio::test]
async fn show_info_reports_the_recorded_version() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let r = h.call("show_info", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        assert!(
            out["version"].as_str().unwrap().starts_with(v),
            "{v}: {out}"
        );
        assert!(text(&r).starts_with("[haproxy] HAProxy "), "{}", text(&r));
    }
}

#[tokio::test]
async fn show_stat_filters_and_truncates() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let out = h
            .ok("show_stat", json!({"proxy": "be_app", "limit": 2}))
            .await;
        let rows = out["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r["pxname"] == "be_app"));
        assert!(
            out["truncation"]["truncated"]
                .as_str()
                .unwrap()
                .starts_with("truncated: "),
            "{out}"
        );
        let err = h.err("show_stat", json!({"fields": ["nope"]})).await;
        assert!(err.contains("Unknown show stat column"), "{err}");
        let err = h.err("show_stat", json!({"proxy": "be;x"})).await;
        assert!(err.contains("not allowed"), "{err}");
    }
}

#[tokio::test]
async fn health_summary_names_what_is_wrong() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let r = h.call("health_summary", json!({})).await;
        let summary = text(&r);
        assert!(summary.contains("be_app"), "{v}: {summary}");
        assert!(
            summary.contains("app4"),
            "{v}: the DOWN server is named: {summary}"
        );
    }
}

/// An argument serde rejects before the tool runs (an unknown enum value, a number out of range,
/// a wrong type) is named in the error, with what it accepts; nothing reaches HAProxy.
#[tokio::test]
async fn bad_arguments_are_named() {
    let h = McpHarness::emulated("3.2", Settings::default()).await;
    let err = h
        .err(
            "set_server_state",
            json!({"backend": "be_app", "server": "app1", "state": "bogus"}),
        )
        .await;
    assert!(
        err.starts_with("argument `state`: `bogus` is not one of `ready`, `drain`, `maint`"),
        "{err}"
    );
    assert!(err.contains("Nothing was sent to HAProxy"), "{err}");
    let err = h.err("show_stat", json!({"limit": -3})).await;
    assert!(
        err.starts_with("argument `limit`: -3 is out of range"),
        "{err}"
    );
    let err = h.err("show_stat", json!({"limit": "ten"})).await;
    assert!(
        err.starts_with("argument `limit`: `ten` is not integer"),
        "{err}"
    );
    let err = h
        .err(
            "set_server_state",
            json!({"backend": "be_app", "state": "ready"}),
        )
        .await;
    assert!(err.contains("`server`"), "{err}");
    // The server is untouched: still in the state the fixture recorded.
    let state = h
        .ok("list_servers", json!({"backend": "be_app"}))
        .await
        .to_string();
    assert!(state.contains("app1"), "{state}");
}
