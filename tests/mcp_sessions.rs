//! The sessions toolset end to end: against the emulator's model of every recorded version (the
//! streams recorded at the start of the capture, ended by the shutdowns the tools send), and
//! against a live HAProxy with held TCP connections, reading `show sess` back raw.

mod support;

use std::net::TcpStream;

use haproxy_mcp_server::mcp::Settings;
use serde_json::{Value, json};
use support::LiveHaproxy;
use support::mcp::{McpHarness, assert_hints, eventually, summary, text, versions};

async fn fresh(v: &str) -> McpHarness {
    McpHarness::emulated(v, Settings::default()).await
}

/// The id of the first listed session of frontend `fe`.
fn first_id(out: &Value, fe: &str) -> String {
    out["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["frontend"] == fe)
        .unwrap_or_else(|| panic!("no {fe} session in {out}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ids(out: &Value) -> Vec<String> {
    out["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn show_sessions_leaves_out_the_cli_and_counts_by_backend() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("show_sessions", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["streams_total"], 4, "{v}: {out}");
        let sessions = out["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 3, "{v}: the CLI's own stream is left out");
        assert!(sessions.iter().all(|s| s["is_cli"] == false));
        assert_eq!(out["by_backend"], json!({"be_app": 1, "be_tcp": 2}), "{v}");
        let s = sessions
            .iter()
            .find(|s| s["frontend"] == "fe_main")
            .unwrap();
        assert_eq!(s["backend"], "be_app");
        assert_eq!(s["server"], "app2");
        assert_eq!(s["proto"], "tcpv4");
        assert!(s["src"].as_str().unwrap().starts_with("172.17.0.1:"));
        assert!(s["id"].as_str().unwrap().starts_with("0x"));
        let summary = text(&r);
        assert!(
            // The busiest backends first.
            summary.starts_with("[haproxy] 3 session(s) match: by backend be_tcp 2, be_app 1"),
            "{v}: {summary}"
        );
    }
}

#[tokio::test]
async fn show_sessions_filters_and_truncates() {
    for v in versions() {
        let out = fresh(v)
            .await
            .ok("show_sessions", json!({"include_cli": true}))
            .await;
        assert_eq!(out["sessions"].as_array().unwrap().len(), 4, "{v}");
        assert!(
            out["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["is_cli"] == true
                    && s["frontend"] == "GLOBAL"
                    && s["backend"].is_null())
        );

        let out = fresh(v)
            .await
            .ok("show_sessions", json!({"backend": "be_tcp"}))
            .await;
        let sessions = out["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{v}");
        assert!(sessions.iter().all(|s| s["server"] == "tcp1"));

        let out = fresh(v)
            .await
            .ok(
                "show_sessions",
                json!({"frontend": "fe_main", "server": "app2"}),
            )
            .await;
        assert_eq!(out["sessions"].as_array().unwrap().len(), 1, "{v}");

        let h = fresh(v).await;
        let r = h.call("show_sessions", json!({"limit": 1})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["sessions"].as_array().unwrap().len(), 1);
        assert_eq!(out["truncation"]["total"], 3);
        assert_eq!(out["truncation"]["truncated"], "truncated: 2 more");
        assert!(text(&r).contains("truncated: 2 more"), "{}", text(&r));

        let h = fresh(v).await;
        let r = h.call("show_sessions", json!({"min_age_secs": 3600})).await;
        let out = r.structured_content.clone().unwrap();
        assert!(out["sessions"].as_array().unwrap().is_empty());
        assert!(
            text(&r).starts_with(
                "[haproxy] No session matches (at least 3600s old); HAProxy lists 4 stream(s)"
            ),
            "{}",
            text(&r)
        );

        let err = h.err("show_sessions", json!({"frontend": "fe;x"})).await;
        assert!(err.contains("not allowed"), "{err}");
        let err = h.err("show_sessions", json!({"target": "elsewhere"})).await;
        assert!(err.contains("no target named"), "{err}");
    }
}

#[tokio::test]
async fn show_session_gives_the_parsed_fields_and_the_dump() {
    for v in versions() {
        let h = fresh(v).await;
        let list = h.ok("show_sessions", json!({})).await;
        let tcp = first_id(&list, "fe_tcp");
        let r = h.call("show_session", json!({"id": tcp})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["id"], tcp.as_str(), "{v}: {out}");
        assert_eq!(out["frontend"], "fe_tcp");
        assert_eq!(out["backend"], "be_tcp");
        assert_eq!(out["server"], "tcp1");
        assert_eq!(out["proto"], "tcpv4");
        assert!(out["uniq_id"].as_u64().is_some());
        assert!(
            out["raw"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{tcp}: ["))
        );
        assert!(
            text(&r).contains("fe_tcp -> be_tcp/tcp1"),
            "{v}: {}",
            text(&r)
        );

        let main = first_id(&list, "fe_main");
        let out = h.ok("show_session", json!({"id": main})).await;
        assert_eq!(out["backend"], "be_app", "{v}");
        assert_eq!(out["server"], "app2");

        let err = h.err("show_session", json!({"id": "0xdeadbeef"})).await;
        assert!(err.contains("Session not found."), "{v}: {err}");
        // Nothing that is not a session id reaches HAProxy (2.6 dumps every session for `all`).
        for bad in ["all", "0x1;show info", "0x1\nshow info", "deadbeef"] {
            let err = h.err("show_session", json!({"id": bad})).await;
            assert!(err.contains("invalid session id"), "{bad:?}: {err}");
            assert!(err.contains("Nothing was sent"), "{err}");
        }
    }
}

#[tokio::test]
async fn shutdowns_end_exactly_the_sessions_asked_for() {
    for v in versions() {
        let h = fresh(v).await;
        let before = h.ok("show_sessions", json!({})).await;
        let victim = first_id(&before, "fe_tcp");

        let r = h.call("shutdown_session", json!({"id": victim})).await;
        assert_ne!(r.is_error, Some(true), "{}", text(&r));
        assert_eq!(
            summary(&r),
            format!("[haproxy] Done: session {victim} was shut down; its connections are closed.")
        );
        let after = h.ok("show_sessions", json!({})).await;
        assert!(!ids(&after).contains(&victim), "{v}: {after}");
        assert_eq!(after["sessions"].as_array().unwrap().len(), 2);

        let err = h.err("shutdown_session", json!({"id": "0xdeadbeef"})).await;
        assert!(err.contains("No such session"), "{v}: {err}");
        assert!(err.contains("list the sessions again"), "{err}");

        let r = h
            .call(
                "shutdown_server_sessions",
                json!({"backend": "be_tcp", "server": "tcp1"}),
            )
            .await;
        assert!(
            text(&r).starts_with("[haproxy] Done: every session on be_tcp/tcp1 was shut down."),
            "{v}: {}",
            text(&r)
        );
        let last = h.ok("show_sessions", json!({})).await;
        let left = last["sessions"].as_array().unwrap();
        assert!(
            left.iter().all(|s| s["backend"] != "be_tcp"),
            "{v}: a be_tcp session survived: {last}"
        );
        assert!(
            left.iter().any(|s| s["server"] == "app2"),
            "{v}: the session on be_app/app2 was not asked to end: {last}"
        );

        let err = h
            .err(
                "shutdown_server_sessions",
                json!({"backend": "be_tcp", "server": "nope"}),
            )
            .await;
        assert!(err.contains("No such server."), "{v}: {err}");
        assert!(err.contains("Servers in be_tcp: tcp1."), "{v}: {err}");
        let err = h
            .err(
                "shutdown_server_sessions",
                json!({"backend": "be_tcp", "server": "a;b"}),
            )
            .await;
        assert!(err.contains("not allowed"), "{err}");
    }
}

#[tokio::test]
async fn annotations_are_truthful() {
    let h = fresh("3.2").await;
    let tools = h.tools().await;
    assert_hints(&tools, "show_sessions", true, false, false);
    assert_hints(&tools, "show_session", true, false, false);
    assert_hints(&tools, "shutdown_session", false, true, false);
    assert_hints(&tools, "shutdown_server_sessions", false, true, false);
    let ro = McpHarness::emulated(
        "3.2",
        Settings {
            read_only: true,
            ..Settings::default()
        },
    )
    .await;
    let names: Vec<String> = ro
        .tools()
        .await
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(names.contains(&"show_sessions".to_owned()));
    assert!(!names.contains(&"shutdown_session".to_owned()));
    assert!(!names.contains(&"shutdown_server_sessions".to_owned()));
}

/// Whether the raw `show sess` lists `id` as a stream of fe_tcp (ids are reused addresses, so
/// the id alone is not enough).
fn has_tcp_session(live: &LiveHaproxy, id: &str) -> bool {
    live.raw("show sess")
        .lines()
        .any(|l| l.starts_with(&format!("{id}:")) && l.contains(" fe=fe_tcp "))
}

#[tokio::test]
async fn live_sessions_are_listed_inspected_and_shut_down() {
    let Some(live) = LiveHaproxy::start("live_sessions_are_listed_inspected_and_shut_down").await
    else {
        return;
    };
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(("127.0.0.1", live.tcp_port)).expect("connect to fe_tcp"))
        .collect();
    assert!(
        eventually(10, || live
            .raw("show sess")
            .lines()
            .filter(|l| l.contains(" fe=fe_tcp ") && l.contains(" srv=tcp1 "))
            .count()
            == 2)
        .await,
        "the held connections never showed up: {}",
        live.raw("show sess")
    );
    let h = McpHarness::live(live.admin_unix(), Settings::default()).await;
    let out = h.ok("show_sessions", json!({"frontend": "fe_tcp"})).await;
    let tcp = ids(&out);
    assert_eq!(tcp.len(), 2, "{out}");
    assert_eq!(out["by_backend"], json!({"be_tcp": 2}));
    // 3.2+ narrows the list itself (the CLI's own stream is not in it) and refuses a name it
    // does not know; 2.6 and 3.0 list everything and the tool filters.
    let version = live.version();
    let narrows = !live
        .raw("show sess backend be_tcp")
        .contains("proto=unix_stream");
    let out = h
        .ok(
            "show_sessions",
            json!({"backend": "be_tcp", "server": "tcp1"}),
        )
        .await;
    assert_eq!(ids(&out), tcp, "{version}: {out}");
    if narrows {
        assert_eq!(out["streams_total"], 2, "{version}: {out}");
        let err = h.err("show_sessions", json!({"backend": "nope"})).await;
        assert!(err.contains("No such backend."), "{version}: {err}");
    } else {
        assert!(
            out["streams_total"].as_u64().unwrap() > 2,
            "{version}: {out}"
        );
        let r = h.call("show_sessions", json!({"backend": "nope"})).await;
        assert!(
            text(&r).contains("No session matches (backend nope)"),
            "{version}: {}",
            text(&r)
        );
    }
    assert_eq!(
        narrows,
        ["3.2", "3.4"].iter().any(|v| version.starts_with(v)),
        "{version}"
    );

    let detail = h.ok("show_session", json!({"id": tcp[0]})).await;
    assert_eq!(detail["frontend"], "fe_tcp");
    assert_eq!(detail["server"], "tcp1");
    // The client's address as HAProxy sees it: 127.0.0.1 natively, the Docker bridge's gateway
    // when the connection comes through a published container port.
    let source = detail["source"].as_str().unwrap();
    assert!(
        source.parse::<std::net::SocketAddr>().is_ok(),
        "source {source:?} is not an address:port"
    );

    h.ok("shutdown_session", json!({"id": tcp[0]})).await;
    assert!(
        eventually(5, || !has_tcp_session(&live, &tcp[0])).await,
        "{} is still there: {}",
        tcp[0],
        live.raw("show sess")
    );
    assert!(
        has_tcp_session(&live, &tcp[1]),
        "only one session was to go"
    );

    h.ok(
        "shutdown_server_sessions",
        json!({"backend": "be_tcp", "server": "tcp1"}),
    )
    .await;
    assert!(
        eventually(5, || !live.raw("show sess").contains(" srv=tcp1 ")).await,
        "{}",
        live.raw("show sess")
    );
    drop(held);

    let err = h
        .err(
            "shutdown_server_sessions",
            json!({"backend": "be_app", "server": "nope"}),
        )
        .await;
    assert!(err.contains("No such server."), "{err}");
    assert!(
        err.contains("Servers in be_app: app1, app2, app3, app4, app_backup."),
        "{err}"
    );
    let err = h.err("shutdown_session", json!({"id": "0x1234abcd"})).await;
    assert!(err.contains("No such session"), "{err}");
}
