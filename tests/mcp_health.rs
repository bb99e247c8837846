//! The health toolset end to end: against the emulator of every recorded version, and against a
//! live HAProxy, reading the check and agent state bits back from `show servers state`
//! (column 5 op state, 13 check state, 14 agent state, 21 check port).

mod support;

use haproxy_mcp_server::mcp::Settings;
use serde_json::json;
use support::LiveHaproxy;
use support::mcp::{McpHarness, assert_hints, summary, versions};

/// CHK_ST_ENABLED in the check and agent state columns.
const ENABLED: u32 = 0x4;

async fn fresh(v: &str) -> McpHarness {
    McpHarness::emulated(v, Settings::default()).await
}

fn srv(b: &str, s: &str) -> serde_json::Value {
    json!({"backend": b, "server": s})
}

fn with(mut base: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    base[key] = value;
    base
}

#[tokio::test]
async fn checks_and_agents_are_toggled() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("disable_health", srv("be_app", "app1")).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["server"], "be_app/app1", "{v}: {}", summary(&r));
        assert!(
            summary(&r).starts_with("[haproxy] Done: health checks of be_app/app1 are disabled"),
            "{}",
            summary(&r)
        );
        h.ok("enable_health", srv("be_app", "app1")).await;
        h.ok("disable_agent", srv("be_api", "api1")).await;
        let r = h.call("enable_agent", srv("be_api", "api1")).await;
        assert!(
            summary(&r).contains("agent check of be_api/api1 is enabled"),
            "{}",
            summary(&r)
        );

        let err = h.err("enable_agent", srv("be_app", "app1")).await;
        assert!(
            err.contains("Agent was not configured on this server, cannot enable."),
            "{v}: {err}"
        );
        assert!(
            err.contains("not configured on this server in HAProxy's configuration"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn forced_states_agent_send_and_check_port() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h
            .call(
                "set_server_health",
                with(srv("be_api", "api2"), "state", json!("down")),
            )
            .await;
        assert!(
            summary(&r).contains("be_api/api2 is forced DOWN"),
            "{v}: {}",
            summary(&r)
        );
        let err = h
            .err(
                "set_server_health",
                with(srv("be_api", "api2"), "state", json!("sideways")),
            )
            .await;
        assert!(
            err.starts_with("argument `state`: `sideways` is not one of"),
            "{err}"
        );

        // api2 is DOWN here: forcing api1's agent down would leave be_api with no UP server.
        let err = h
            .err(
                "set_server_agent",
                with(srv("be_api", "api1"), "state", json!("down")),
            )
            .await;
        assert!(
            err.contains("last UP server of backend be_api") && err.contains("Nothing was changed"),
            "{v}: {err}"
        );
        let mut forced = with(srv("be_api", "api1"), "state", json!("down"));
        forced["force"] = json!(true);
        let r = h.ok("set_server_agent", forced).await;
        assert!(r["done"].as_str().unwrap().contains("Warning"), "{v}: {r}");
        h.ok(
            "set_server_agent",
            with(srv("be_api", "api1"), "state", json!("up")),
        )
        .await;
        // The model executes what the tools send: api2 comes back only when told to.
        h.ok(
            "set_server_health",
            with(srv("be_api", "api2"), "state", json!("up")),
        )
        .await;
        let err = h
            .err(
                "set_server_agent",
                with(srv("be_app", "app1"), "state", json!("up")),
            )
            .await;
        assert!(
            err.contains("agent checks are not enabled on this server."),
            "{v}: {err}"
        );

        let r = h
            .call(
                "set_agent_send",
                with(srv("be_api", "api1"), "text", json!("hello agent")),
            )
            .await;
        assert!(
            summary(&r).contains("now sends \"hello agent\""),
            "{v}: {}",
            summary(&r)
        );
        let err = h
            .err(
                "set_agent_send",
                with(srv("be_app", "app1"), "text", json!("hello")),
            )
            .await;
        assert!(err.contains("agent checks are not enabled"), "{v}: {err}");

        let r = h
            .call(
                "set_server_check_port",
                with(srv("be_app", "app1"), "port", json!(8082)),
            )
            .await;
        assert!(
            summary(&r).contains("now connect to port 8082"),
            "{v}: {}",
            summary(&r)
        );
    }
}

#[tokio::test]
async fn hostile_and_out_of_range_values_are_refused_before_sending() {
    let h = fresh("3.2").await;
    for (tool, args, says) in [
        (
            "set_server_check_port",
            with(srv("be_app", "app1"), "port", json!(0)),
            "argument `port`: 0 is out of range: give 1 to 65535",
        ),
        (
            "set_server_check_port",
            with(srv("be_app", "app1"), "port", json!(70000)),
            "argument `port`: 70000 is out of range: give 1 to 65535",
        ),
        (
            "set_agent_send",
            with(srv("be_api", "api1"), "text", json!("a;b")),
            "';' is refused",
        ),
        (
            "set_agent_send",
            with(
                srv("be_api", "api1"),
                "text",
                json!("up\nset weight be_app/app1 0"),
            ),
            "cannot be sent",
        ),
        (
            "enable_health",
            srv("be_app;disable", "app1"),
            "not allowed",
        ),
        ("disable_agent", srv("be_api", "api1 x"), "not allowed"),
    ] {
        let err = h.err(tool, args.clone()).await;
        assert!(err.contains(says), "{tool} {args}: {err}");
        assert!(err.contains("Nothing was sent"), "{tool} {args}: {err}");
    }
    let err = h
        .err(
            "enable_health",
            with(srv("be_app", "app1"), "target", json!("other")),
        )
        .await;
    assert!(err.contains("no target named \"other\""), "{err}");
}

#[tokio::test]
async fn annotations_are_truthful() {
    let tools = fresh("3.2").await.tools().await;
    assert_hints(&tools, "enable_health", false, true, true);
    assert_hints(&tools, "disable_health", false, true, true);
    assert_hints(&tools, "enable_agent", false, true, true);
    assert_hints(&tools, "disable_agent", false, true, true);
    assert_hints(&tools, "set_server_health", false, true, true);
    assert_hints(&tools, "set_server_agent", false, true, true);
    assert_hints(&tools, "set_agent_send", false, true, true);
    assert_hints(&tools, "set_server_check_port", false, true, true);
}

/// The raw `show servers state` row of one server, split into columns.
fn row(live: &LiveHaproxy, backend: &str, server: &str) -> Vec<String> {
    live.raw(&format!("show servers state {backend}"))
        .lines()
        .map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .find(|c| c.len() > 21 && c[1] == backend && c[3] == server)
        .unwrap_or_else(|| panic!("no row for {backend}/{server}"))
}

fn col(live: &LiveHaproxy, backend: &str, server: &str, i: usize) -> u32 {
    row(live, backend, server)[i].parse().unwrap()
}

#[tokio::test]
async fn live_state_bits_follow_the_tools() {
    let Some(live) = LiveHaproxy::start("live_state_bits_follow_the_tools").await else {
        return;
    };
    let h = McpHarness::live(live.admin_unix(), Settings::default()).await;
    assert_eq!(col(&live, "be_app", "app1", 13) & ENABLED, ENABLED);
    h.ok("disable_health", srv("be_app", "app1")).await;
    assert_eq!(col(&live, "be_app", "app1", 13) & ENABLED, 0);
    h.ok("enable_health", srv("be_app", "app1")).await;
    assert_eq!(col(&live, "be_app", "app1", 13) & ENABLED, ENABLED);

    assert_eq!(col(&live, "be_api", "api1", 14) & ENABLED, ENABLED);
    h.ok("disable_agent", srv("be_api", "api1")).await;
    assert_eq!(col(&live, "be_api", "api1", 14) & ENABLED, 0);
    h.ok("enable_agent", srv("be_api", "api1")).await;
    assert_eq!(col(&live, "be_api", "api1", 14) & ENABLED, ENABLED);

    // Forced health: op state 0 is stopped, 2 is running.
    h.ok(
        "set_server_health",
        with(srv("be_api", "api2"), "state", json!("down")),
    )
    .await;
    assert_eq!(col(&live, "be_api", "api2", 5), 0);
    h.ok(
        "set_server_health",
        with(srv("be_api", "api2"), "state", json!("up")),
    )
    .await;
    assert_eq!(col(&live, "be_api", "api2", 5), 2);

    h.ok("disable_health", srv("be_api", "api1")).await;
    h.ok(
        "set_server_agent",
        with(srv("be_api", "api1"), "state", json!("down")),
    )
    .await;
    assert_eq!(
        col(&live, "be_api", "api1", 5),
        0,
        "agent down takes the server down"
    );
    h.ok(
        "set_server_agent",
        with(srv("be_api", "api1"), "state", json!("up")),
    )
    .await;
    h.ok(
        "set_agent_send",
        with(srv("be_api", "api1"), "text", json!("hello agent")),
    )
    .await;

    let port = live.app_port;
    h.ok(
        "set_server_check_port",
        with(srv("be_app", "app2"), "port", json!(port)),
    )
    .await;
    assert_eq!(col(&live, "be_app", "app2", 21), u32::from(port));

    let err = h.err("enable_agent", srv("be_app", "app1")).await;
    assert!(err.contains("Agent was not configured"), "{err}");
    let err = h.err("enable_health", srv("be_app", "nope")).await;
    assert!(err.contains("No such server."), "{err}");
    assert!(
        err.contains("Servers in be_app: app1, app2, app3, app4, app_backup."),
        "{err}"
    );
    let err = h.err("disable_health", srv("be_nope", "x")).await;
    assert!(
        err.contains("There is no backend be_nope. Backends on haproxy: "),
        "{err}"
    );
    assert!(err.contains("be_app"), "{err}");

    // Where checks connect. Columns: 17 srv_fqdn, 21 srv_check_port, 22 srv_check_addr,
    // 23 srv_agent_addr, 24 srv_agent_port.
    let cell = |b: &str, s: &str, i: usize| row(&live, b, s)[i].clone();
    let v = live.version();
    let r = h
        .call(
            "set_server_check_port",
            json!({"backend": "be_app", "server": "app2", "address": "127.0.0.1", "port": port}),
        )
        .await;
    if v.split('.')
        .map(|n| n.parse::<u32>().unwrap())
        .collect::<Vec<_>>()
        >= vec![3, 4]
    {
        // 3.4 refuses every check-addr; the tool says so and nothing changed.
        assert_eq!(r.is_error, Some(true), "{v}: {}", summary(&r));
        assert!(
            support::mcp::text(&r).contains("refuses every address for check-addr"),
            "{v}: {}",
            support::mcp::text(&r)
        );
        assert_eq!(cell("be_app", "app2", 22), "-", "{v}");
    } else {
        assert_ne!(r.is_error, Some(true), "{v}: {}", summary(&r));
        assert_eq!(cell("be_app", "app2", 22), "127.0.0.1", "{v}");
        assert_eq!(cell("be_app", "app2", 21), port.to_string(), "{v}");
    }
    let err = h
        .err(
            "set_server_check_port",
            json!({"backend": "be_app", "server": "app2", "address": "app.example"}),
        )
        .await;
    assert!(err.contains("not an IPv4 or IPv6 address"), "{v}: {err}");
    h.ok(
        "set_server_check_port",
        json!({"backend": "be_api", "server": "api1", "agent": true, "address": "127.0.0.1", "port": 9777}),
    )
    .await;
    assert_eq!(
        (cell("be_api", "api1", 23), cell("be_api", "api1", 24)),
        ("127.0.0.1".to_owned(), "9777".to_owned()),
        "{v}"
    );
    let err = h
        .err(
            "set_server_check_port",
            json!({"backend": "be_app", "server": "app1", "agent": true, "port": 9777}),
        )
        .await;
    assert!(
        err.contains("agent checks are not enabled on this server"),
        "{v}: {err}"
    );

    // A server's FQDN: only where resolvers look it up (be_dns's template slots).
    let out = h
        .ok(
            "set_server_addr",
            json!({"backend": "be_dns", "server": "dns1", "fqdn": "other.svc.test"}),
        )
        .await;
    assert!(
        out["haproxy_says"]
            .as_str()
            .unwrap()
            .contains("changed its FQDN from app.svc.test to other.svc.test"),
        "{v}: {out}"
    );
    assert_eq!(cell("be_dns", "dns1", 17), "other.svc.test", "{v}");
    let err = h
        .err(
            "set_server_addr",
            json!({"backend": "be_app", "server": "app1", "fqdn": "app.svc.test"}),
        )
        .await;
    assert!(err.contains("no resolution is configured"), "{v}: {err}");
    let err = h
        .err(
            "set_server_addr",
            json!({"backend": "be_app", "server": "app1", "fqdn": "x.test", "address": "127.0.0.1"}),
        )
        .await;
    assert!(err.contains("Give either `address`"), "{v}: {err}");
}
