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

/// A HAProxy (`hap1`) resolving its servers through a real DNS server (dnsmasq, started here)
/// and a second nameserver where nothing listens, sharing a stick table with a second HAProxy
/// (`hap2`) in a peers section. One of the pair, with its own local peer name.
fn peer_config(me: &str, p1: u16, p2: u16, resolvers: &str) -> String {
    format!(
        "global\n    localpeer {me}\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         peers mesh\n    peer hap1 127.0.0.1:{p1}\n    peer hap2 127.0.0.1:{p2}\n\
         \x20   table t_rate type ip size 1k expire 1m store http_req_rate(10s)\n\n\
         {resolvers}"
    )
}

/// The values of `key` in the `key=value` words of a raw reply, in order.
fn raw_values(reply: &str, key: &str) -> Vec<String> {
    reply
        .split_whitespace()
        .filter_map(|w| w.strip_prefix(&format!("{key}=")).map(str::to_owned))
        .collect()
}

/// show_resolvers and show_peers against live HAProxy, checked against HAProxy's raw replies:
/// a nameserver that answers and one that never does, a peer connected and then gone; and
/// health_summary naming both problems.
#[tokio::test]
async fn resolvers_and_peers_on_live_haproxy() {
    let Some(dns) = support::DnsServer::start(
        "resolvers_and_peers_on_live_haproxy",
        "127.0.0.1 app.svc.test\n",
    ) else {
        return;
    };
    let (p1, p2, app, dead_dns) = (
        support::free_port(),
        support::free_port(),
        support::free_port(),
        support::free_port(),
    );
    let resolvers = format!(
        "resolvers localdns\n    nameserver dns1 127.0.0.1:{}\n    nameserver dead 127.0.0.1:{dead_dns}\n\
         \x20   resolve_retries 2\n    timeout retry 200ms\n    hold valid 1s\n\n\
         frontend fe_app\n    bind 127.0.0.1:{app}\n    http-request return status 200\n\n\
         backend be_dns\n    server-template svc 2 app.svc.test:{app} resolvers localdns init-addr none check inter 500\n",
        dns.port
    );
    let Some(hap1) = support::ConfiguredHaproxy::start(
        "resolvers_and_peers_on_live_haproxy",
        &peer_config("hap1", p1, p2, &resolvers),
    )
    .await
    else {
        return;
    };
    let v = hap1.version();
    let hap2 = support::ConfiguredHaproxy::start(
        "resolvers_and_peers_on_live_haproxy (hap2)",
        &peer_config("hap2", p1, p2, ""),
    )
    .await
    .expect("the second peer starts where the first did");
    let h = McpHarness::live(hap1.admin_tcp(), Settings::default()).await;

    // The peers connect; the answer is what HAProxy's own dump says.
    assert!(
        support::mcp::eventually(20, || hap1.raw("show peers").contains("last_status=ESTA")).await,
        "{v}: hap1 and hap2 did not connect: {}",
        hap1.raw("show peers")
    );
    let out = h.ok("show_peers", json!({})).await;
    let peers = &out["sections"][0]["peers"];
    let hap2_out = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hap2")
        .unwrap_or_else(|| panic!("{v}: no hap2 in {out}"));
    assert_eq!(hap2_out["connected"], true, "{v}: {out}");
    assert_eq!(hap2_out["address"], format!("127.0.0.1:{p2}"), "{v}");
    assert_eq!(hap2_out["tables"][0]["name"], "mesh/t_rate", "{v}: {out}");
    assert!(out["problems"].as_array().unwrap().is_empty(), "{v}: {out}");
    let raw = hap1.raw("show peers");
    assert_eq!(
        raw_values(&raw, "new_conn").first().map(String::as_str),
        hap2_out["connection_attempts"].to_string().as_str().into(),
        "{v}: {raw}"
    );

    // The nameservers: dns1 answers, `dead` never does (nothing listens there).
    let counter = |ns: &str, key: &str| -> u64 {
        let raw = hap1.raw("show resolvers localdns");
        raw.split(&format!(" nameserver {ns}:"))
            .nth(1)
            .and_then(|rest| {
                rest.lines()
                    .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    };
    assert!(
        support::mcp::eventually(20, || counter("dns1", "valid") > 0
            && counter("dead", "sent") >= 3)
        .await,
        "{v}: dns1 never answered or nothing went to `dead`: {}",
        hap1.raw("show resolvers localdns")
    );
    let out = h.ok("show_resolvers", json!({"section": "localdns"})).await;
    let ns = out["sections"][0]["nameservers"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        (ns[0]["name"].as_str(), ns[1]["name"].as_str()),
        (Some("dns1"), Some("dead")),
        "{v}: {out}"
    );
    assert_eq!(ns[0]["condition"], "ok", "{v}: {out}");
    assert_eq!(ns[1]["condition"], "failing", "{v}: {out}");
    assert_eq!(ns[1]["valid"], 0, "{v}: {out}");
    // The figures are HAProxy's (read just after: counters only grow).
    let (valid, sent) = (
        ns[0]["valid"].as_u64().unwrap(),
        ns[1]["sent"].as_u64().unwrap(),
    );
    assert!(valid > 0 && valid <= counter("dns1", "valid"), "{v}: {out}");
    assert!(sent >= 3 && sent <= counter("dead", "sent"), "{v}: {out}");
    assert!(
        out["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("nameserver localdns/dead has not answered any query"),
        "{v}: {out}"
    );

    // A section that does not exist: HAProxy's words and what to do.
    for tool in ["show_resolvers", "show_peers"] {
        let err = h.err(tool, json!({"section": "nope"})).await;
        assert!(
            (err.contains("Can't find that resolvers section") || err.contains("No such peers"))
                && err.contains("to see which exist"),
            "{v}: {tool}: {err}"
        );
    }

    // hap2 goes away: show_peers and health_summary say so.
    drop(hap2);
    assert!(
        support::mcp::eventually(20, || !hap1.raw("show peers").contains("last_status=ESTA")).await,
        "{v}: hap1 still sees hap2 connected: {}",
        hap1.raw("show peers")
    );
    let out = h.ok("show_peers", json!({})).await;
    assert!(
        out["problems"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("peer mesh/hap2 (127.0.0.1:{p2}) is not connected")),
        "{v}: {out}"
    );
    let r = h.call("health_summary", json!({})).await;
    let health = r.structured_content.clone().unwrap();
    let problems = health["dns_and_peers"].to_string();
    assert!(
        problems.contains("localdns/dead") && problems.contains("mesh/hap2"),
        "{v}: {health}"
    );
    assert!(text(&r).contains("DNS and peers:"), "{v}: {}", text(&r));
}

/// Offline (the emulator of every recorded version answers from the capture): the capture's
/// nameserver where nothing listens and its peer that never runs are the problems, in
/// show_resolvers, show_peers and health_summary alike.
#[tokio::test]
async fn emulated_resolvers_and_peers_on_every_version() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let out = h.ok("show_resolvers", json!({})).await;
        let local = out["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "localdns")
            .unwrap_or_else(|| panic!("{v}: {out}"));
        assert_eq!(local["nameservers"][0]["name"], "dns1", "{v}: {out}");
        assert!(
            local["nameservers"][0]["valid"].as_u64().unwrap() > 0,
            "{v}: {out}"
        );
        // dns2 (nothing listens) never answers: failing once it was asked three times, before
        // that waiting (how many queries went out before the capture read them is timing).
        let dns2 = local["nameservers"][1]["condition"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            ["failing", "waiting"].contains(&dns2.as_str()),
            "{v}: {out}"
        );
        assert_eq!(local["nameservers"][1]["valid"], 0, "{v}: {out}");
        let out = h.ok("show_peers", json!({"section": "mesh"})).await;
        assert!(
            out["problems"][0]
                .as_str()
                .unwrap()
                .starts_with("peer mesh/hap2 (127.0.0.1:2) is not connected"),
            "{v}: {out}"
        );
        let health = h.ok("health_summary", json!({})).await;
        let problems = health["dns_and_peers"].to_string();
        assert!(problems.contains("mesh/hap2"), "{v}: {health}");
        assert_eq!(
            problems.contains("localdns/dns2"),
            dns2 == "failing",
            "{v}: {health}"
        );
        let err = h.err("show_resolvers", json!({"section": "nope"})).await;
        assert!(
            err.contains("Can't find that resolvers section"),
            "{v}: {err}"
        );
    }
}

/// One HTTP/1.0 GET to 127.0.0.1:`port`; the response's status code.
fn http_status(port: u16, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(format!("GET {path} HTTP/1.0\r\nHost: t\r\n\r\n").as_bytes())
        .unwrap();
    let mut reply = String::new();
    c.read_to_string(&mut reply).unwrap();
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {reply:?}"))
}

/// health_summary's rates on live HAProxy: half the responses failed long ago, none since; the
/// counters since start say 50 %, the window since the previous call and a window measured now
/// say what happens now (checked against HAProxy's own `show stat` counters).
#[tokio::test]
async fn health_summary_reports_rates_over_a_window() {
    const TEST: &str = "health_summary_reports_rates_over_a_window";
    let (front, origin) = (support::free_port(), support::free_port());
    let body = format!(
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe_web\n    bind 127.0.0.1:{front}\n    default_backend be_app\n\n\
         backend be_app\n    server s1 127.0.0.1:{origin}\n\n\
         frontend fe_origin\n    bind 127.0.0.1:{origin}\n\
         \x20   http-request return status 500 if {{ path /fail }}\n\
         \x20   http-request return status 200\n"
    );
    let Some(hap) = support::ConfiguredHaproxy::start(TEST, &body).await else {
        return;
    };
    let v = hap.version();
    let h = McpHarness::live(hap.admin_tcp(), Settings::default()).await;
    for _ in 0..10 {
        assert_eq!(http_status(front, "/ok"), 200);
        assert_eq!(http_status(front, "/fail"), 500);
    }
    // HAProxy counts a response when its stream ends, which can be a moment after the client
    // has read it: wait (bounded) until HAProxy's own counter shows every request sent.
    let stat_5xx = |hap: &support::ConfiguredHaproxy, want: &str| {
        let read = || {
            hap.raw("show stat be_app 2 -1")
                .lines()
                .find(|l| l.starts_with("be_app,BACKEND,"))
                .map(|l| l.split(',').nth(43).unwrap_or("").to_owned())
                .unwrap()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut seen = read();
        while seen != want && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            seen = read();
        }
        seen
    };
    assert_eq!(stat_5xx(&hap, "10"), "10", "{v}: HAProxy's hrsp_5xx");
    let problems = |out: &serde_json::Value| {
        out["backends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "be_app")
            .map(|b| b["problems"].to_string())
            .unwrap()
    };

    // Since start: 10 of 20 responses were 5xx.
    let out = h.ok("health_summary", json!({"window_secs": 0})).await;
    assert_eq!(out["period"], "since counters were last cleared", "{v}");
    assert!(
        problems(&out)
            .contains("50% of HTTP responses were 5xx since counters were last cleared (10)"),
        "{v}: {out}"
    );
    // Since that call: only successes, so no 5xx problem, and the window is named.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    for _ in 0..6 {
        assert_eq!(http_status(front, "/ok"), 200);
    }
    let r = h.call("health_summary", json!({})).await;
    let out = r.structured_content.clone().unwrap();
    let period = out["period"].as_str().unwrap();
    assert!(
        period.starts_with("in the last ") && period.ends_with(" s"),
        "{v}: {out}"
    );
    assert!(!problems(&out).contains("5xx"), "{v}: {out}");
    assert!(
        text(&r).contains("counters of the last"),
        "{v}: {}",
        text(&r)
    );
    // A window measured now, while only failures arrive: all of them are 5xx.
    let traffic = std::thread::spawn(move || {
        for _ in 0..15 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            assert_eq!(http_status(front, "/fail"), 500);
        }
    });
    let out = h.ok("health_summary", json!({"window_secs": 2})).await;
    traffic.join().unwrap();
    assert!(
        out["period"] == "in the last 2 s" || out["period"] == "in the last 3 s",
        "{v}: {out}"
    );
    assert!(
        problems(&out).contains("100% of HTTP responses were 5xx in the last"),
        "{v}: {out}"
    );
    assert_eq!(stat_5xx(&hap, "25"), "25", "{v}: HAProxy's hrsp_5xx");
}
