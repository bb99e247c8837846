//! The servers toolset end to end. Most tests run against a LIVE HAProxy (a child process with the
//! capture configuration, over its admin Unix and TCP sockets) and read every effect back with
//! raw commands that do not go through the code under test. A few run against the emulator's
//! model of each recorded version (adds, changes and refusals with arguments never recorded,
//! each read back with the read tools).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, RuntimeClient};
use haproxy_mcp_server::mcp::{Settings, Targets};
use rmcp::model::{CallToolRequestParams, ProgressNotificationParam};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::json;
use support::LiveHaproxy;
use support::mcp::{
    McpHarness, assert_hints, at_least, client_with, eventually, summary, text, versions,
};

fn fast() -> Settings {
    Settings {
        drain_poll: Duration::from_millis(100),
        ..Default::default()
    }
}

async fn live_harness(endpoint: Endpoint) -> McpHarness {
    McpHarness::live(endpoint, fast()).await
}

// ---- raw read-back (no code under test involved) ------------------------------------------------

/// The `show servers state` fields of one server.
fn state_fields(live: &LiveHaproxy, backend: &str, server: &str) -> Option<Vec<String>> {
    live.raw(&format!("show servers state {backend}"))
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|f| f.len() > 13 && f[1] == backend && f[3] == server)
}

/// srv_admin_state of one server.
fn admin(live: &LiveHaproxy, backend: &str, server: &str) -> Option<u32> {
    state_fields(live, backend, server).map(|f| f[6].parse().unwrap())
}

/// One `show stat` cell.
fn stat(live: &LiveHaproxy, proxy: &str, svname: &str, column: &str) -> Option<String> {
    let raw = live.raw(&format!("show stat {proxy} -1 -1"));
    let mut lines = raw.lines();
    let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
    let idx = header.iter().position(|h| *h == column)?;
    let prefix = format!("{proxy},{svname},");
    lines
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.split(',').nth(idx).map(str::to_owned))
}

fn weight(live: &LiveHaproxy, server: &str) -> String {
    live.raw(&format!("get weight be_app/{server}"))
        .trim()
        .to_owned()
}

/// A client connection through fe_tcp to be_tcp/tcp1, held open until dropped; returns once
/// HAProxy counts the session.
async fn hold_tcp_session(live: &LiveHaproxy) -> tokio::net::TcpStream {
    let conn = tokio::net::TcpStream::connect(("127.0.0.1", live.tcp_port))
        .await
        .expect("connect to fe_tcp");
    let counted = eventually(10, || {
        stat(live, "be_tcp", "tcp1", "scur").is_some_and(|s| s != "0")
    })
    .await;
    assert!(
        counted,
        "HAProxy never counted the held session on be_tcp/tcp1"
    );
    conn
}

// ---- a client that records progress notifications -----------------------------------------------

#[derive(Clone, Default)]
struct ProgressLog(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for ProgressLog {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

// ---- add_server ---------------------------------------------------------------------------------

#[tokio::test]
async fn add_server_puts_it_into_service_over_both_sockets() {
    let Some(live) = LiveHaproxy::start("add_server_puts_it_into_service_over_both_sockets").await
    else {
        return;
    };
    for (name, endpoint) in [
        ("dyn_unix", live.admin_unix()),
        ("dyn_tcp", live.admin_tcp()),
    ] {
        let h = live_harness(endpoint).await;
        let r = h
            .call(
                "add_server",
                json!({"backend": "be_app", "server": name, "address": "127.0.0.1",
                       "port": live.app_port, "check_interval_ms": 500}),
            )
            .await;
        assert_ne!(r.is_error, Some(true), "{name}: {}", text(&r));
        let out = r.structured_content.clone().unwrap();
        let steps = out["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 3, "{out}");
        assert!(
            steps[1]
                .as_str()
                .unwrap()
                .starts_with("enable health be_app/"),
            "{out}"
        );
        assert!(steps[2].as_str().unwrap().contains("state ready"), "{out}");
        assert_eq!(out["enabled"], true);
        assert!(
            summary(&r).contains("put it into service with health checks on"),
            "{}",
            summary(&r)
        );

        // Read back: out of maintenance, checks enabled, and UP once a check has passed.
        let f = state_fields(&live, "be_app", name).expect("the new server is listed");
        assert_eq!(f[6], "0", "{name}: admin state {f:?}");
        assert_ne!(
            f[13].parse::<u32>().unwrap() & 0x04,
            0,
            "{name}: checks enabled {f:?}"
        );
        let up = eventually(10, || {
            stat(&live, "be_app", name, "status").as_deref() == Some("UP")
                && stat(&live, "be_app", name, "check_status").as_deref() == Some("L7OK")
        })
        .await;
        assert!(
            up,
            "{name} never came UP: {:?}",
            stat(&live, "be_app", name, "status")
        );
    }
}

#[tokio::test]
async fn add_server_with_enable_false_stays_in_maintenance() {
    let Some(live) = LiveHaproxy::start("add_server_with_enable_false_stays_in_maintenance").await
    else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    let out = h
        .ok(
            "add_server",
            json!({"backend": "be_api", "server": "parked", "address": "127.0.0.1",
                   "port": live.app_port, "enable": false, "weight": 7, "maxconn": 10}),
        )
        .await;
    assert_eq!(out["steps"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["enabled"], false);
    assert_eq!(out["checks_enabled"], false);
    let f = state_fields(&live, "be_api", "parked").expect("listed");
    assert_eq!(f[6], "1", "forced maintenance: {f:?}");
    assert_eq!(f[7], "7", "weight: {f:?}");
    assert_eq!(f[13].parse::<u32>().unwrap() & 0x04, 0, "checks off: {f:?}");
    assert_eq!(
        stat(&live, "be_api", "parked", "status").as_deref(),
        Some("MAINT")
    );
    assert_eq!(
        stat(&live, "be_api", "parked", "slim").as_deref(),
        Some("10")
    );
}

#[tokio::test]
async fn add_server_refusals_say_why_and_change_nothing() {
    let Some(live) = LiveHaproxy::start("add_server_refusals_say_why_and_change_nothing").await
    else {
        return;
    };
    let h = live_harness(live.admin_tcp()).await;
    let port = live.app_port;
    let err = h
        .err(
            "add_server",
            json!({"backend": "be_static", "server": "x", "address": "127.0.0.1", "port": port}),
        )
        .await;
    assert!(err.contains(not_dynamic_refusal(&live.version())), "{err}");
    assert!(
        err.contains("roundrobin, leastconn"),
        "the hint names usable algorithms: {err}"
    );
    assert!(state_fields(&live, "be_static", "x").is_none());

    let err = h
        .err(
            "add_server",
            json!({"backend": "be_app", "server": "app1", "address": "127.0.0.1", "port": port}),
        )
        .await;
    assert!(
        err.contains("Already exists a server with the same name"),
        "{err}"
    );

    let err = h
        .err(
            "add_server",
            json!({"backend": "be_nope", "server": "x", "address": "127.0.0.1", "port": port}),
        )
        .await;
    assert!(err.contains("No such backend."), "{err}");
    assert!(
        err.contains("Backends on haproxy: be_app, be_api, be_static, be_tcp, st_clients, be_dns."),
        "{err}"
    );

    for bad in [
        json!({"backend": "be_app", "server": "x", "address": "10.0.0.1:80"}),
        json!({"backend": "be_app", "server": "x;y", "address": "127.0.0.1"}),
        json!({"backend": "be_app", "server": "x", "address": "127.0.0.1", "port": 0}),
        json!({"backend": "be_app", "server": "x", "address": "127.0.0.1", "weight": 300}),
    ] {
        let err = h.err("add_server", bad.clone()).await;
        assert!(err.contains("Nothing was sent to HAProxy"), "{bad}: {err}");
    }
    assert!(state_fields(&live, "be_app", "x").is_none());
}

// ---- del_server ---------------------------------------------------------------------------------

#[tokio::test]
async fn del_server_explains_then_drains_and_deletes() {
    let Some(live) = LiveHaproxy::start("del_server_explains_then_drains_and_deletes").await else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    h.ok(
        "add_server",
        json!({"backend": "be_app", "server": "gone", "address": "127.0.0.1", "port": live.app_port}),
    )
    .await;
    assert!(
        eventually(10, || stat(&live, "be_app", "gone", "status").as_deref()
            == Some("UP"))
        .await
    );

    let err = h
        .err("del_server", json!({"backend": "be_app", "server": "gone"}))
        .await;
    assert!(
        err.contains("Only servers in maintenance mode can be deleted."),
        "{err}"
    );
    assert!(
        err.contains("be_app/gone is UP"),
        "says what state it is in: {err}"
    );
    assert!(err.contains("Nothing was changed"), "{err}");
    assert!(
        err.contains("drain_first=true"),
        "offers the way out: {err}"
    );
    assert_eq!(admin(&live, "be_app", "gone"), Some(0), "still in service");

    // Over TCP this time: drain, wait, maint, delete.
    let h = live_harness(live.admin_tcp()).await;
    let r = h
        .call(
            "del_server",
            json!({"backend": "be_app", "server": "gone", "drain_first": true, "timeout_secs": 10}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = r.structured_content.clone().unwrap();
    let steps: Vec<&str> = out["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps[0].contains("state drain") && steps[1].contains("state maint"),
        "{steps:?}"
    );
    // 3.0+ lets HAProxy say when the server can go (`wait … srv-removable`) before deleting.
    let waits = live.version().split('.').next() >= Some("3");
    let del_at = if waits {
        assert!(
            steps[2].starts_with("wait srv-removable be_app/gone: Done."),
            "{steps:?}"
        );
        3
    } else {
        2
    };
    assert_eq!(steps.len(), del_at + 1, "{steps:?}");
    assert!(
        steps[del_at].starts_with("del server be_app/gone"),
        "{steps:?}"
    );
    assert!(state_fields(&live, "be_app", "gone").is_none(), "deleted");

    let err = h
        .err("del_server", json!({"backend": "be_app", "server": "gone"}))
        .await;
    assert!(err.contains("No such server."), "{err}");
    assert!(
        err.contains("Servers in be_app: app1, app2, app3, app4, app_backup."),
        "{err}"
    );
}

#[tokio::test]
async fn del_server_deletes_a_server_already_in_maintenance() {
    let Some(live) = LiveHaproxy::start("del_server_deletes_a_server_already_in_maintenance").await
    else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    h.ok(
        "add_server",
        json!({"backend": "be_api", "server": "idle", "address": "127.0.0.1", "port": live.app_port, "enable": false}),
    )
    .await;
    let r = h
        .call("del_server", json!({"backend": "be_api", "server": "idle"}))
        .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert!(
        summary(&r).starts_with("[haproxy] Deleted be_api/idle."),
        "{}",
        summary(&r)
    );
    assert!(state_fields(&live, "be_api", "idle").is_none());
}

// ---- weight, maxconn, address -------------------------------------------------------------------

#[tokio::test]
async fn set_weight_absolute_percent_and_again() {
    let Some(live) = LiveHaproxy::start("set_weight_absolute_percent_and_again").await else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    let out = h
        .ok(
            "set_weight",
            json!({"backend": "be_app", "server": "app2", "weight": 5}),
        )
        .await;
    assert_eq!(out["before"], json!({"current": 20, "initial": 20}));
    assert_eq!(out["after"], json!({"current": 5, "initial": 20}));
    assert_eq!(weight(&live, "app2"), "5 (initial 20)");

    let r = h
        .call(
            "set_weight",
            json!({"backend": "be_app", "server": "app2", "weight": "50%"}),
        )
        .await;
    assert_eq!(
        r.structured_content.as_ref().unwrap()["after"]["current"],
        10
    );
    assert_eq!(
        summary(&r),
        "[haproxy] be_app/app2 weight 5 -> 10 (configured 20; asked 50%)."
    );
    assert_eq!(weight(&live, "app2"), "10 (initial 20)");
    // Idempotent: the same call again changes nothing.
    let out = h
        .ok(
            "set_weight",
            json!({"backend": "be_app", "server": "app2", "weight": "50%"}),
        )
        .await;
    assert_eq!(out["before"], out["after"]);
    assert_eq!(weight(&live, "app2"), "10 (initial 20)");

    let out = h
        .ok(
            "set_weight",
            json!({"backend": "be_app", "server": "app1", "weight": "0"}),
        )
        .await;
    assert_eq!(out["after"]["current"], 0);
    for bad in [json!(300), json!("abc"), json!("2000%"), json!(-1)] {
        let err = h
            .err(
                "set_weight",
                json!({"backend": "be_app", "server": "app2", "weight": bad}),
            )
            .await;
        assert!(err.contains("weight"), "{bad}: {err}");
    }
    assert_eq!(
        weight(&live, "app2"),
        "10 (initial 20)",
        "refused values changed nothing"
    );
    let err = h
        .err(
            "set_weight",
            json!({"backend": "be_app", "server": "nope", "weight": 3}),
        )
        .await;
    assert!(
        err.contains("No such server.") && err.contains("Servers in be_app:"),
        "{err}"
    );
}

#[tokio::test]
async fn set_maxconn_server_frontend_and_global() {
    let Some(live) = LiveHaproxy::start("set_maxconn_server_frontend_and_global").await else {
        return;
    };
    let h = live_harness(live.admin_tcp()).await;
    h.ok(
        "set_maxconn_server",
        json!({"backend": "be_app", "server": "app1", "maxconn": 100}),
    )
    .await;
    assert_eq!(
        stat(&live, "be_app", "app1", "slim").as_deref(),
        Some("100")
    );
    h.ok(
        "set_maxconn_server",
        json!({"backend": "be_app", "server": "app1", "maxconn": 100}),
    )
    .await;
    assert_eq!(
        stat(&live, "be_app", "app1", "slim").as_deref(),
        Some("100")
    );

    let r = h
        .call(
            "set_maxconn_frontend",
            json!({"frontend": "fe_main", "maxconn": 500}),
        )
        .await;
    assert_eq!(
        summary(&r),
        "[haproxy] frontend fe_main now accepts at most 500 concurrent connections."
    );
    assert_eq!(
        stat(&live, "fe_main", "FRONTEND", "slim").as_deref(),
        Some("500")
    );
    let err = h
        .err(
            "set_maxconn_frontend",
            json!({"frontend": "fe_nope", "maxconn": 5}),
        )
        .await;
    assert!(
        err.contains("No such frontend")
            && err.contains("Nothing was sent to HAProxy")
            && err.contains("Frontends on haproxy: fe_app, fe_agent, fe_main, fe_tcp."),
        "{err}"
    );

    h.ok("set_maxconn_global", json!({"maxconn": 1000})).await;
    assert!(live.raw("show info").lines().any(|l| l == "Maxconn: 1000"));
    let err = h
        .err("set_maxconn_global", json!({"maxconn": 99_999_999}))
        .await;
    assert!(err.contains("Value out of range."), "{err}");
    assert!(err.contains("Hard_maxconn"), "says the limit: {err}");
    assert!(
        live.raw("show info").lines().any(|l| l == "Maxconn: 1000"),
        "unchanged"
    );
    h.ok("set_maxconn_global", json!({"maxconn": 0})).await;
    let info = live.raw("show info");
    let hard = info
        .lines()
        .find_map(|l| l.strip_prefix("Hard_maxconn: "))
        .unwrap();
    assert!(
        info.lines().any(|l| l == format!("Maxconn: {hard}")),
        "0 restores {hard}"
    );
}

#[tokio::test]
async fn set_server_addr_changes_and_repeats() {
    let Some(live) = LiveHaproxy::start("set_server_addr_changes_and_repeats").await else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    let args = json!({"backend": "be_app", "server": "app2", "address": "127.0.0.2", "port": live.app_port});
    let out = h.ok("set_server_addr", args.clone()).await;
    assert!(
        out["haproxy_says"]
            .as_str()
            .unwrap()
            .contains("IP changed from '127.0.0.1' to '127.0.0.2'"),
        "{out}"
    );
    // HAProxy 3.0+ answers first and applies the address moments later (its
    // `server_atomic_sync` task, under thread isolation), so the read-back waits for it.
    let port = live.app_port.to_string();
    let moved = || {
        state_fields(&live, "be_app", "app2").is_some_and(|f| f[4] == "127.0.0.2" && f[18] == port)
    };
    assert!(
        eventually(5, moved).await,
        "{:?}",
        state_fields(&live, "be_app", "app2")
    );
    // Idempotent: the same call again is accepted and leaves the same address.
    let r = h.call("set_server_addr", args).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(
        state_fields(&live, "be_app", "app2").unwrap()[4],
        "127.0.0.2"
    );

    let out = h
        .ok(
            "set_server_addr",
            json!({"backend": "be_app", "server": "app2", "address": "::1"}),
        )
        .await;
    assert!(
        out["haproxy_says"].as_str().unwrap().contains("to '::1'"),
        "{out}"
    );
    let err = h
        .err(
            "set_server_addr",
            json!({"backend": "be_app", "server": "app2", "address": "notanip!"}),
        )
        .await;
    assert!(err.contains("invalid server address"), "{err}");
    assert_eq!(state_fields(&live, "be_app", "app2").unwrap()[4], "::1");
}

// ---- state changes and the last-UP-server rule ----------------------------------------------------

#[tokio::test]
async fn set_server_state_and_enable_disable_read_back() {
    let Some(live) = LiveHaproxy::start("set_server_state_and_enable_disable_read_back").await
    else {
        return;
    };
    let h = live_harness(live.admin_unix()).await;
    let r = h
        .call(
            "set_server_state",
            json!({"backend": "be_app", "server": "app2", "state": "drain"}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(
        r.structured_content.as_ref().unwrap()["before"]["state"],
        "up"
    );
    assert!(
        summary(&r).starts_with("[haproxy] be_app/app2 is now in DRAIN"),
        "{}",
        summary(&r)
    );
    assert_eq!(admin(&live, "be_app", "app2"), Some(0x08));
    // `DRAIN`, or `DRAIN n/m` while a check happens to fail (seen once on 3.4 in CI): both are
    // HAProxy's drain verdict.
    let status = stat(&live, "be_app", "app2", "status").unwrap_or_default();
    assert!(status.starts_with("DRAIN"), "{status}");

    h.ok(
        "set_server_state",
        json!({"backend": "be_app", "server": "app2", "state": "maint"}),
    )
    .await;
    assert_eq!(admin(&live, "be_app", "app2"), Some(0x01));
    // Repeating is harmless.
    h.ok(
        "set_server_state",
        json!({"backend": "be_app", "server": "app2", "state": "maint"}),
    )
    .await;
    assert_eq!(admin(&live, "be_app", "app2"), Some(0x01));
    h.ok(
        "set_server_state",
        json!({"backend": "be_app", "server": "app2", "state": "ready"}),
    )
    .await;
    assert_eq!(admin(&live, "be_app", "app2"), Some(0));

    let out = h
        .ok(
            "disable_server",
            json!({"backend": "be_app", "server": "app1"}),
        )
        .await;
    assert_eq!(out["before"]["state"], "up");
    assert_eq!(admin(&live, "be_app", "app1"), Some(0x01));
    h.ok(
        "enable_server",
        json!({"backend": "be_app", "server": "app1"}),
    )
    .await;
    assert_eq!(admin(&live, "be_app", "app1"), Some(0));

    let err = h
        .err(
            "enable_server",
            json!({"backend": "be_app", "server": "nope"}),
        )
        .await;
    assert!(err.contains("No such server."), "{err}");
    assert!(
        err.contains("Servers in be_app: app1, app2, app3, app4, app_backup."),
        "{err}"
    );
    let err = h
        .err(
            "disable_server",
            json!({"backend": "be_nope", "server": "x"}),
        )
        .await;
    assert!(err.contains("Backends on haproxy:"), "{err}");
    let err = h
        .err(
            "set_server_state",
            json!({"backend": "be_app", "server": "app2", "state": "bogus"}),
        )
        .await;
    assert!(
        err.starts_with("argument `state`: `bogus` is not one of `ready`, `drain`, `maint`"),
        "{err}"
    );
}

#[tokio::test]
async fn the_last_up_server_is_refused_unless_forced() {
    let Some(live) = LiveHaproxy::start("the_last_up_server_is_refused_unless_forced").await else {
        return;
    };
    let h = live_harness(live.admin_tcp()).await;
    let tcp1 = json!({"backend": "be_tcp", "server": "tcp1"});
    for (tool, extra) in [
        ("set_server_state", json!({"state": "drain"})),
        ("set_server_state", json!({"state": "maint"})),
        ("disable_server", json!({})),
        ("drain_server", json!({"timeout_secs": 1})),
        (
            "del_server",
            json!({"drain_first": true, "timeout_secs": 1}),
        ),
    ] {
        let mut args = tcp1.clone();
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let err = h.err(tool, args).await;
        assert!(
            err.contains("is the last UP server of backend be_tcp"),
            "{tool}: {err}"
        );
        assert!(err.contains("force=true"), "{tool}: {err}");
        assert!(err.contains("Nothing was changed"), "{tool}: {err}");
        assert_eq!(
            admin(&live, "be_tcp", "tcp1"),
            Some(0),
            "{tool} changed nothing"
        );
    }
    // set_server_state ready is never refused.
    h.ok(
        "set_server_state",
        json!({"backend": "be_tcp", "server": "tcp1", "state": "ready"}),
    )
    .await;

    let r = h
        .call(
            "set_server_state",
            json!({"backend": "be_tcp", "server": "tcp1", "state": "maint", "force": true}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert!(
        r.structured_content.as_ref().unwrap()["warning"]
            .as_str()
            .unwrap()
            .contains("last UP server")
    );
    assert_eq!(admin(&live, "be_tcp", "tcp1"), Some(0x01));
    h.ok(
        "enable_server",
        json!({"backend": "be_tcp", "server": "tcp1"}),
    )
    .await;

    // be_app: with app1 in maintenance, app2 is the last active UP server but a backup remains,
    // so draining it is allowed with a warning.
    h.ok(
        "disable_server",
        json!({"backend": "be_app", "server": "app1"}),
    )
    .await;
    let out = h
        .ok(
            "set_server_state",
            json!({"backend": "be_app", "server": "app2", "state": "drain"}),
        )
        .await;
    assert!(
        out["warning"]
            .as_str()
            .unwrap()
            .contains("Only backup servers remain UP"),
        "{out}"
    );
    let err = h
        .err(
            "disable_server",
            json!({"backend": "be_app", "server": "app_backup"}),
        )
        .await;
    assert!(err.contains("last UP server of backend be_app"), "{err}");
}

// ---- drain_server ---------------------------------------------------------------------------------

#[tokio::test]
async fn drain_server_waits_for_sessions_with_progress() {
    let Some(live) = LiveHaproxy::start("drain_server_waits_for_sessions_with_progress").await
    else {
        return;
    };
    let conn = hold_tcp_session(&live).await;
    let log = ProgressLog::default();
    let client = client_with(live.admin_unix(), fast(), log.clone()).await;
    let closer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(conn);
    });
    let args = json!({"backend": "be_tcp", "server": "tcp1", "timeout_secs": 20, "set_maint": true, "force": true});
    let r = client
        .call_tool(
            CallToolRequestParams::new("drain_server")
                .with_arguments(args.as_object().cloned().unwrap()),
        )
        .await
        .unwrap();
    closer.await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = r.structured_content.clone().unwrap();
    assert_eq!(out["drained"], true, "{out}");
    assert_eq!(out["sessions_at_start"], 1, "{out}");
    assert_eq!(out["sessions_left"], 0);
    assert_eq!(out["state_now"], "maint");
    assert!(out["waited_secs"].as_f64().unwrap() >= 1.0, "{out}");
    assert!(
        out["warning"].as_str().unwrap().contains("last UP server"),
        "{out}"
    );
    assert!(
        summary(&r).contains("be_tcp/tcp1 drained"),
        "{}",
        summary(&r)
    );
    assert_eq!(
        admin(&live, "be_tcp", "tcp1"),
        Some(0x01),
        "maintenance after the drain"
    );

    let events = log.0.lock().unwrap().clone();
    assert!(events.len() >= 2, "progress while waiting: {events:?}");
    assert!(
        events.iter().any(|p| p
            .message
            .as_deref()
            .is_some_and(|m| m.contains("1 session(s) left"))),
        "{events:?}"
    );
    let last = events.last().unwrap();
    assert!(
        last.message.as_deref().unwrap().contains("drained"),
        "{events:?}"
    );
    assert_eq!(last.total, Some(20.0));
    assert!(
        events.windows(2).all(|w| w[0].progress < w[1].progress),
        "progress increases: {events:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn drain_server_timeout_leaves_it_draining() {
    let Some(live) = LiveHaproxy::start("drain_server_timeout_leaves_it_draining").await else {
        return;
    };
    let _conn = hold_tcp_session(&live).await;
    let h = live_harness(live.admin_tcp()).await;
    let r = h
        .call(
            "drain_server",
            json!({"backend": "be_tcp", "server": "tcp1", "timeout_secs": 1, "set_maint": true, "force": true}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = r.structured_content.clone().unwrap();
    assert_eq!(out["drained"], false, "{out}");
    assert_eq!(out["sessions_left"], 1, "{out}");
    assert_eq!(out["state_now"], "drain");
    let s = summary(&r);
    assert!(
        // The wait is measured: 1 s, or a little more on a busy machine ("1.1 s").
        s.contains("still has 1 session(s) after the 1")
            && s.contains(" s timeout.")
            && s.contains("not put in maintenance"),
        "{s}"
    );
    assert_eq!(
        admin(&live, "be_tcp", "tcp1"),
        Some(0x08),
        "left in drain, not maint"
    );

    // del_server with drain_first times out the same way and deletes nothing.
    let err = h
        .err("del_server", json!({"backend": "be_tcp", "server": "tcp1", "drain_first": true, "timeout_secs": 1, "force": true}))
        .await;
    assert!(
        err.contains("was not deleted") && err.contains("left in DRAIN"),
        "{err}"
    );
    assert!(state_fields(&live, "be_tcp", "tcp1").is_some());
}

/// `CumConns` from `show info`: every accepted connection (health checks to fe_app and the CLI
/// included).
fn cum_conns(live: &LiveHaproxy) -> u64 {
    live.raw("show info")
        .lines()
        .find_map(|l| l.strip_prefix("CumConns: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("CumConns")
}

/// Connections HAProxy accepts during one second.
async fn accepted_per_second(live: &LiveHaproxy) -> u64 {
    let before = cum_conns(live);
    tokio::time::sleep(Duration::from_secs(1)).await;
    cum_conns(live) - before
}

#[tokio::test]
async fn drain_server_stops_polling_when_cancelled() {
    let Some(live) = LiveHaproxy::start("drain_server_stops_polling_when_cancelled").await else {
        return;
    };
    let _conn = hold_tcp_session(&live).await;
    let log = ProgressLog::default();
    let settings = Settings {
        drain_poll: Duration::from_millis(40),
        ..Default::default()
    };
    // Polling is seen as connections HAProxy accepts: one per command, none kept.
    let mut t = support::mcp::target("haproxy", live.admin_unix(), &settings, false);
    t.client = RuntimeClient::new(
        live.admin_unix(),
        ClientOptions {
            keep_alive: Duration::ZERO,
            ..Default::default()
        },
    );
    let targets = Targets::new(vec![t], None).unwrap();
    let client = log
        .clone()
        .serve(support::mcp::serve_in_memory(targets, settings))
        .await
        .expect("MCP handshake");
    let baseline = accepted_per_second(&live).await;

    let peer = client.peer().clone();
    let args = json!({"backend": "be_tcp", "server": "tcp1", "timeout_secs": 60, "force": true});
    let params = CallToolRequestParams::new("drain_server")
        .with_arguments(args.as_object().cloned().unwrap());
    let call = tokio::spawn(async move { peer.call_tool(params).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let polling = accepted_per_second(&live).await;
    assert!(
        polling >= baseline + 10,
        "polling every 40 ms shows: {polling} vs {baseline} accepted per second"
    );
    assert!(!log.0.lock().unwrap().is_empty(), "progress while polling");

    // Dropping the pending call sends notifications/cancelled.
    call.abort();
    let _ = call.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = accepted_per_second(&live).await;
    assert!(
        after <= baseline + 5,
        "still polling after cancellation: {after} vs {baseline} accepted per second"
    );
    assert_eq!(
        admin(&live, "be_tcp", "tcp1"),
        Some(0x08),
        "left in drain, as the error says"
    );
    client.cancel().await.unwrap();
}

// ---- read-only mode, annotations, and the emulator --------------------------------------------------

const MUTATING: [&str; 13] = [
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
    "set_frontend_state",
    "set_rate_limit",
];

#[tokio::test]
async fn read_only_mode_hides_every_servers_tool() {
    let settings = Settings {
        read_only: true,
        ..Default::default()
    };
    let h = McpHarness::emulated("3.2", settings).await;
    let tools = h.tools().await;
    for name in MUTATING {
        assert!(
            !tools.iter().any(|t| t.name == name),
            "{name} is listed in read-only mode"
        );
        let params = CallToolRequestParams::new(name).with_arguments(
            json!({"backend": "be_app", "server": "app1", "state": "maint", "weight": 1,
                   "maxconn": 1, "frontend": "fe_main", "address": "127.0.0.1"})
            .as_object()
            .cloned()
            .unwrap(),
        );
        match h.client.call_tool(params).await {
            Err(_) => {}
            Ok(r) => assert_eq!(
                r.is_error,
                Some(true),
                "{name} ran in read-only mode: {}",
                text(&r)
            ),
        }
    }
    assert!(tools.iter().any(|t| t.name == "list_servers"), "reads stay");
}

#[tokio::test]
async fn servers_tools_are_annotated_truthfully() {
    let h = McpHarness::emulated("3.2", Settings::default()).await;
    let tools = h.tools().await;
    // (name, destructive, idempotent)
    for (name, destructive, idempotent) in [
        ("add_server", false, false),
        ("del_server", true, false),
        ("enable_server", true, true),
        ("disable_server", true, true),
        ("set_server_state", true, true),
        ("set_weight", true, true),
        ("set_maxconn_server", true, true),
        ("set_maxconn_frontend", true, true),
        ("set_maxconn_global", true, true),
        ("set_server_addr", true, true),
        ("drain_server", true, false),
        ("set_frontend_state", true, true),
        ("set_rate_limit", true, true),
    ] {
        assert_hints(&tools, name, false, destructive, idempotent);
    }
}

#[tokio::test]
async fn emulated_add_server_then_delete_it_on_every_version() {
    // Names, ports and options never recorded: the model executes them, and every read-back
    // shows what the tools really did.
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let out = h
            .ok("add_server", json!({"backend": "be_app", "server": "canary7", "address": "192.0.2.77", "port": 9107, "weight": 5}))
            .await;
        assert_eq!(out["steps"].as_array().unwrap().len(), 3, "{v}: {out}");
        assert_eq!(out["address"], "192.0.2.77:9107");
        let listed = h.ok("list_servers", json!({"backend": "be_app"})).await;
        let canary = listed["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "canary7")
            .unwrap_or_else(|| panic!("{v}: canary7 not listed: {listed}"));
        assert_eq!(canary["state"], "up", "{v}: {canary}");
        let got = h
            .ok(
                "get_server",
                json!({"backend": "be_app", "server": "canary7"}),
            )
            .await;
        assert_eq!(got["server"]["weight"], 5, "{v}: {got}");

        let err = h
            .err("add_server", json!({"backend": "be_static", "server": "other3", "address": "192.0.2.78", "port": 9108}))
            .await;
        assert!(err.contains(not_dynamic_refusal(v)), "{v}: {err}");
        let err = h
            .err("add_server", json!({"backend": "be_nope", "server": "other4", "address": "192.0.2.79", "port": 9109, "check": true}))
            .await;
        assert!(
            err.contains("No such backend.") && err.contains("Backends on haproxy: be_app"),
            "{v}: {err}"
        );

        let err = h
            .err(
                "del_server",
                json!({"backend": "be_app", "server": "canary7"}),
            )
            .await;
        assert!(
            err.contains("Only servers in maintenance mode can be deleted."),
            "{v}: {err}"
        );
        assert!(err.contains("drain_first=true"), "{v}: {err}");
        let out = h
            .ok("del_server", json!({"backend": "be_app", "server": "canary7", "drain_first": true, "timeout_secs": 10}))
            .await;
        assert!(out.to_string().contains("Server deleted"), "{v}: {out}");
        let listed = h.ok("list_servers", json!({"backend": "be_app"})).await;
        assert!(
            !listed.to_string().contains("canary7"),
            "{v}: canary7 still listed after its deletion: {listed}"
        );
    }
}

#[tokio::test]
async fn emulated_changes_on_every_version() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let out = h
            .ok(
                "set_weight",
                json!({"backend": "be_app", "server": "app2", "weight": "50%"}),
            )
            .await;
        assert_eq!(out["before"], json!({"current": 20, "initial": 20}), "{v}");
        assert_eq!(out["after"], json!({"current": 10, "initial": 20}), "{v}");

        let got = h
            .ok("get_server", json!({"backend": "be_app", "server": "app2"}))
            .await;
        assert_eq!(got["server"]["weight"], 10, "{v}: {got}");

        let out = h
            .ok("set_server_addr", json!({"backend": "be_app", "server": "app2", "address": "198.51.100.23", "port": 9443}))
            .await;
        assert!(
            out["haproxy_says"]
                .as_str()
                .unwrap()
                .starts_with("IP changed from '127.0.0.1' to '198.51.100.23'"),
            "{v}: {out}"
        );
        let state = h
            .ok("show_servers_state", json!({"backend": "be_app"}))
            .await;
        assert!(
            state.to_string().contains("198.51.100.23"),
            "{v}: the new address is not in show_servers_state: {state}"
        );

        h.ok(
            "set_maxconn_server",
            json!({"backend": "be_app", "server": "app1", "maxconn": 100}),
        )
        .await;
        h.ok(
            "set_maxconn_frontend",
            json!({"frontend": "fe_main", "maxconn": 500}),
        )
        .await;
        let err = h
            .err(
                "set_maxconn_frontend",
                json!({"frontend": "fe_nope", "maxconn": 500}),
            )
            .await;
        assert!(
            err.contains("No such frontend") && err.contains("Frontends on haproxy: fe_app"),
            "{v}: {err}"
        );
        h.ok("set_maxconn_global", json!({"maxconn": 1000})).await;
        let err = h
            .err("set_maxconn_global", json!({"maxconn": 99_999_999}))
            .await;
        assert!(
            err.contains("Value out of range.") && err.contains("Hard_maxconn 9972"),
            "{v}: {err}"
        );

        let out = h
            .ok(
                "set_server_state",
                json!({"backend": "be_app", "server": "app2", "state": "drain"}),
            )
            .await;
        assert_eq!(out["before"]["state"], "up", "{v}");
        h.ok(
            "set_server_state",
            json!({"backend": "be_app", "server": "app2", "state": "maint"}),
        )
        .await;
        h.ok(
            "set_server_state",
            json!({"backend": "be_app", "server": "app2", "state": "ready"}),
        )
        .await;
        h.ok(
            "disable_server",
            json!({"backend": "be_app", "server": "app1"}),
        )
        .await;
        h.ok(
            "enable_server",
            json!({"backend": "be_app", "server": "app1"}),
        )
        .await;
        let err = h
            .err(
                "enable_server",
                json!({"backend": "be_app", "server": "nope"}),
            )
            .await;
        assert!(
            err.contains("No such server.") && err.contains("Servers in be_app: app1"),
            "{v}: {err}"
        );
    }
}

/// A pool with one UP server (checks pass against a frontend of the same HAProxy) and one DOWN
/// (nothing listens on its port), for the rails.
fn rails_config(fe: u16, ok: u16, dead: u16) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe_main\n    bind 127.0.0.1:{fe}\n    default_backend api_pool\n\n\
         frontend fe_ok\n    bind 127.0.0.1:{ok}\n    http-request return status 200\n\n\
         backend api_pool\n    option httpchk GET /\n\
         \x20   server api1 127.0.0.1:{ok} check inter 200 rise 1 fall 1\n\
         \x20   server api2 127.0.0.1:{dead} check inter 200 rise 1 fall 1\n"
    )
}

/// The status column of one row of `show stat`, read raw.
fn raw_status(live: &support::ConfiguredHaproxy, px: &str, sv: &str) -> String {
    raw_stat_cell(live, px, sv, "status")
}

/// One cell of one row of `show stat`, read raw.
fn raw_stat_cell(live: &support::ConfiguredHaproxy, px: &str, sv: &str, column: &str) -> String {
    let csv = live.raw("show stat");
    let header: Vec<&str> = csv
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = header.iter().position(|c| *c == column).unwrap();
    csv.lines()
        .find(|l| l.starts_with(&format!("{px},{sv},")))
        .and_then(|l| l.split(',').nth(col))
        .unwrap_or("")
        .to_owned()
}

/// get_server's sentence says what HAProxy knows of a server's checks, on a configuration unlike
/// the capture's: a failing agent on a server that stays UP, a server tracking another, a DOWN
/// backup, a server disabled in the configuration; each checked against HAProxy's own
/// `show stat` (agent_status, tracked, bck, check_status).
#[tokio::test]
async fn get_server_says_what_haproxy_knows_of_its_checks() {
    let (fe, closed) = (support::free_port(), support::free_port());
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    http-request return status 200 if {{ path /ok }}\n    default_backend pool\n\n\
         backend pool\n    option httpchk GET /ok\n    default-server inter 200ms fall 1 rise 1\n    \
         server main1 127.0.0.1:{fe} check agent-check agent-port {closed} agent-inter 200ms\n    \
         server twin 127.0.0.1:{fe} track pool/main1\n    \
         server spare 127.0.0.1:{closed} check backup\n    \
         server cold 127.0.0.1:{fe} disabled\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start(
        "get_server_says_what_haproxy_knows_of_its_checks",
        &config,
    )
    .await
    else {
        return;
    };
    let v = live.version();
    assert!(
        eventually(15, || raw_status(&live, "pool", "main1") == "UP"
            && raw_status(&live, "pool", "spare").starts_with("DOWN")
            && raw_stat_cell(&live, "pool", "main1", "agent_status") == "L4CON")
        .await,
        "{v}: checks did not settle: {}",
        live.raw("show stat")
    );
    assert_eq!(
        raw_stat_cell(&live, "pool", "twin", "tracked"),
        "pool/main1"
    );
    assert_eq!(raw_stat_cell(&live, "pool", "spare", "bck"), "1");
    assert_eq!(raw_stat_cell(&live, "pool", "cold", "check_status"), "");
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let said = async |server: &str| -> String {
        let r = h
            .call("get_server", json!({"backend": "pool", "server": server}))
            .await;
        assert_ne!(r.is_error, Some(true), "{v}: {}", summary(&r));
        summary(&r)
    };
    let main1 = said("main1").await;
    assert!(main1.contains("pool/main1 is UP."), "{v}: {main1}");
    assert!(
        main1.contains(&format!(
            "Agent check failing: L4CON (Layer4 connection problem), agent port {closed}."
        )),
        "{v}: {main1}"
    );
    let twin = said("twin").await;
    assert!(
        twin.contains("It tracks pool/main1: no checks of its own"),
        "{v}: {twin}"
    );
    assert!(!twin.contains("Agent check"), "{v}: {twin}");
    let spare = said("spare").await;
    assert!(spare.contains("pool/spare is DOWN"), "{v}: {spare}");
    assert!(spare.contains("A backup server"), "{v}: {spare}");
    let cold = said("cold").await;
    assert!(cold.contains("pool/cold is MAINT"), "{v}: {cold}");
    assert!(cold.ends_with("No health check."), "{v}: {cold}");

    // Its agent forced down (the last UP server, twin following it: force): DOWN because of the
    // agent, though its last health check passed.
    let r = h
        .call(
            "set_server_agent",
            json!({"backend": "pool", "server": "main1", "state": "down", "force": true}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{v}: {}", summary(&r));
    let status = raw_status(&live, "pool", "main1");
    assert!(status.starts_with("DOWN"), "{v}: HAProxy says {status}");
    // HAProxy prefixes `* ` while a check is running (seen in a CI run): the last result is
    // what follows.
    assert_eq!(
        raw_stat_cell(&live, "pool", "main1", "check_status").trim_start_matches("* "),
        "L7OK",
        "{v}"
    );
    let main1 = said("main1").await;
    assert!(
        main1.contains("pool/main1 is DOWN (its agent reports it down)."),
        "{v}: {main1}"
    );
    assert!(!main1.contains("check passed"), "{v}: {main1}");
}

/// The last-UP rule counts the servers that track the one taken out (HAProxy gives them its
/// state), in its backend and in others, on a configuration unlike the capture's: `pool` has p1,
/// p2 and p3 tracking p2; `mirror` has m1 tracking pool/p2 and m2 DOWN. With p1 in maintenance,
/// p2 is in effect the last server of `pool`; with p1 back, draining p2 would still empty
/// `mirror`. Both refused, HAProxy's own state unchanged; forced, HAProxy drains the followers.
#[tokio::test]
async fn the_last_up_rule_counts_servers_that_track_it() {
    let (fe, closed) = (support::free_port(), support::free_port());
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    http-request return status 200 if {{ path /ok }}\n    default_backend pool\n\n\
         backend pool\n    option httpchk GET /ok\n    default-server inter 200ms fall 1 rise 1\n    \
         server p1 127.0.0.1:{fe} check\n    server p2 127.0.0.1:{fe} check\n    \
         server p3 127.0.0.1:{fe} track pool/p2\n\n\
         backend mirror\n    default-server inter 200ms fall 1 rise 1\n    \
         server m1 127.0.0.1:{fe} track pool/p2\n    server m2 127.0.0.1:{closed} check\n"
    );
    let Some(live) =
        support::ConfiguredHaproxy::start("the_last_up_rule_counts_servers_that_track_it", &config)
            .await
    else {
        return;
    };
    let v = live.version();
    let settled = || {
        raw_status(&live, "pool", "p1") == "UP"
            && raw_status(&live, "pool", "p2") == "UP"
            && raw_status(&live, "mirror", "m1") == "UP"
            && raw_status(&live, "mirror", "m2").starts_with("DOWN")
    };
    assert!(
        eventually(15, settled).await,
        "{v}: checks did not settle: {}",
        live.raw("show stat")
    );
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let state =
        |server: &str, state: &str| json!({"backend": "pool", "server": server, "state": state});
    h.ok("set_server_state", state("p1", "maint")).await;
    assert_eq!(raw_status(&live, "pool", "p1"), "MAINT", "{v}");

    // p3 follows p2: p2 is the last server of pool, and m1 the last of mirror.
    let err = h.err("set_server_state", state("p2", "maint")).await;
    assert!(err.contains("Refused:"), "{v}: {err}");
    assert!(
        err.contains("mirror/m1 track(s) pool/p2"),
        "{v}: the other backend is named: {err}"
    );
    assert!(err.contains("Nothing was changed"), "{v}: {err}");
    assert_eq!(
        raw_status(&live, "pool", "p2"),
        "UP",
        "{v}: HAProxy's own state"
    );
    assert_eq!(raw_status(&live, "pool", "p3"), "UP", "{v}");

    // With p1 back, pool keeps a server, but mirror would not.
    h.ok("set_server_state", state("p1", "ready")).await;
    assert!(
        eventually(15, || raw_status(&live, "pool", "p1") == "UP").await,
        "{v}: p1 did not come back: {}",
        live.raw("show stat")
    );
    let err = h.err("set_server_state", state("p2", "drain")).await;
    assert!(
        err.contains("backend mirror would have no UP server left"),
        "{v}: {err}"
    );
    assert_eq!(raw_status(&live, "pool", "p2"), "UP", "{v}");
    assert_eq!(raw_status(&live, "mirror", "m1"), "UP", "{v}");

    // Forced: done, said, and HAProxy drains the followers with it.
    let mut forced = state("p2", "drain");
    forced["force"] = json!(true);
    let r = h.call("set_server_state", forced).await;
    assert_ne!(r.is_error, Some(true), "{v}: {}", summary(&r));
    assert!(
        summary(&r).contains("with force it happened"),
        "{v}: {}",
        summary(&r)
    );
    assert_eq!(raw_status(&live, "pool", "p2"), "DRAIN", "{v}");
    assert!(
        raw_status(&live, "mirror", "m1").starts_with("DRAIN"),
        "{v}: HAProxy drains the follower: {}",
        raw_status(&live, "mirror", "m1")
    );
}

/// A server without an address yet (a server-template slot waiting for DNS that does not
/// answer) cannot be given one with `set server … addr` on any version, and on 2.6 HAProxy's own
/// refusal takes it out of resolution maintenance for a while: set_server_addr refuses before
/// sending anything, and HAProxy's state stays as it was.
#[tokio::test]
async fn an_address_for_a_server_waiting_for_dns_is_refused_before_sending() {
    let (fe, dns) = (support::free_port(), support::free_port());
    let config = format!(
        "resolvers quiet\n    nameserver ns1 127.0.0.1:{dns}\n    timeout resolve 200ms\n    timeout retry 200ms\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    default_backend pool\n\n\
         backend pool\n    server fixed 127.0.0.1:{fe}\n    \
         server-template slot 2 app.svc.test:{fe} check resolvers quiet init-addr none\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start(
        "an_address_for_a_server_waiting_for_dns_is_refused_before_sending",
        &config,
    )
    .await
    else {
        return;
    };
    let v = live.version();
    assert_eq!(
        raw_status(&live, "pool", "slot1"),
        "MAINT (resolution)",
        "{v}"
    );
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let err = h
        .err(
            "set_server_addr",
            json!({"backend": "pool", "server": "slot1", "address": "127.0.0.1", "port": fe}),
        )
        .await;
    assert!(
        err.contains("pool/slot1 has no address yet")
            && err.contains("it resolves app.svc.test")
            && err.contains("Nothing was sent"),
        "{v}: {err}"
    );
    // Had it been sent, 2.6 would show the slot `UP 1/2` and then DOWN for a while.
    for _ in 0..5 {
        assert_eq!(
            raw_status(&live, "pool", "slot1"),
            "MAINT (resolution)",
            "{v}: HAProxy's own state"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A server with an address takes a new one as before.
    let out = h
        .ok(
            "set_server_addr",
            json!({"backend": "pool", "server": "fixed", "address": "127.0.0.2"}),
        )
        .await;
    assert!(
        out["haproxy_says"]
            .as_str()
            .unwrap()
            .contains("IP changed from"),
        "{v}: {out}"
    );
    assert!(
        live.raw("show servers state pool")
            .contains(" fixed 127.0.0.2 "),
        "{v}: {}",
        live.raw("show servers state pool")
    );
}

/// Every way of taking the last UP server out of rotation is refused without force, ids cannot
/// dodge the check, HAProxy's own CLI proxy cannot be limited, and nothing changes on refusal.
#[tokio::test]
async fn rails_hold_on_live_haproxy() {
    let (fe, ok, dead) = (
        support::free_port(),
        support::free_port(),
        support::free_port(),
    );
    let Some(live) = support::ConfiguredHaproxy::start(
        "rails_hold_on_live_haproxy",
        &rails_config(fe, ok, dead),
    )
    .await
    else {
        return;
    };
    let v = live.version();
    assert!(
        eventually(15, || raw_status(&live, "api_pool", "api1") == "UP"
            && raw_status(&live, "api_pool", "api2").starts_with("DOWN"))
        .await,
        "{v}: checks did not settle: {}",
        live.raw("show stat")
    );
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let weight_before = live.raw("get weight api_pool/api1");

    // Numeric ids are refused before anything is sent (they used to bypass the name check).
    for args in [
        json!({"backend": "api_pool", "server": "#1", "state": "maint"}),
        json!({"backend": "#3", "server": "api1", "state": "drain"}),
    ] {
        let err = h.err("set_server_state", args.clone()).await;
        assert!(err.contains("not a numeric id"), "{v}: {args}: {err}");
    }
    for tool in ["disable_server", "drain_server", "enable_server"] {
        let err = h
            .err(tool, json!({"backend": "api_pool", "server": "#1"}))
            .await;
        assert!(err.contains("not a numeric id"), "{v}: {tool}: {err}");
    }

    // The last UP server, whichever way it would leave rotation.
    let api1 = json!({"backend": "api_pool", "server": "api1"});
    let with = |k: &str, val: serde_json::Value| {
        let mut a = api1.clone();
        a[k] = val;
        a
    };
    for (tool, args) in [
        ("set_server_state", with("state", json!("maint"))),
        ("set_server_state", with("state", json!("drain"))),
        ("disable_server", api1.clone()),
        ("drain_server", api1.clone()),
        ("set_weight", with("weight", json!(0))),
        ("set_weight", with("weight", json!("0%"))),
        ("set_server_health", with("state", json!("down"))),
        ("set_server_health", with("state", json!("stopping"))),
        ("del_server", with("drain_first", json!(true))),
    ] {
        let err = h.err(tool, args.clone()).await;
        assert!(
            err.contains("last UP server of backend api_pool")
                && err.contains("Nothing was changed"),
            "{v}: {tool} {args}: {err}"
        );
        assert_eq!(raw_status(&live, "api_pool", "api1"), "UP", "{v}: {tool}");
    }
    assert_eq!(live.raw("get weight api_pool/api1"), weight_before, "{v}");

    // With force it goes through, and says what it did.
    let mut forced = with("weight", json!(0));
    forced["force"] = json!(true);
    let out = h.ok("set_weight", forced).await;
    assert!(
        out["warning"]
            .as_str()
            .unwrap_or("")
            .contains("last UP server"),
        "{v}: {out}"
    );
    assert!(
        live.raw("get weight api_pool/api1").starts_with("0 "),
        "{v}"
    );
    h.ok("set_weight", with("weight", json!("100%"))).await;

    // HAProxy's own proxies and ids are out of reach; maxconn 0 needs force.
    for fe_arg in ["#0", "GLOBAL", "#1"] {
        let err = h
            .err(
                "set_maxconn_frontend",
                json!({"frontend": fe_arg, "maxconn": 0}),
            )
            .await;
        assert!(
            err.contains("numeric id") || err.contains("internal proxies"),
            "{v}: {fe_arg}: {err}"
        );
    }
    let err = h
        .err(
            "set_maxconn_frontend",
            json!({"frontend": "fe_main", "maxconn": 0}),
        )
        .await;
    assert!(
        err.contains("accept no connection at all") && err.contains("Nothing was changed"),
        "{v}: {err}"
    );
    if v == "2.6" {
        assert!(err.contains("aborts the worker"), "{v}: {err}");
    }
    // The CLI still answers: nothing locked it out.
    assert!(live.raw("show info").contains("Version:"), "{v}");
    let out = h
        .ok(
            "set_maxconn_frontend",
            json!({"frontend": "fe_main", "maxconn": 0, "force": true}),
        )
        .await;
    assert_eq!(out["maxconn"], 0, "{v}: {out}");
    h.ok(
        "set_maxconn_frontend",
        json!({"frontend": "fe_main", "maxconn": 1000}),
    )
    .await;
    assert!(live.raw("show info").contains("Version:"), "{v}");
}

/// HAProxy's refusal of `add server` on a backend whose balance algorithm is not dynamic
/// (be_static: `balance static-rr`), in the words of `version` (`"3.4"`).
fn not_dynamic_refusal(version: &str) -> &'static str {
    if at_least(version, "3.4") {
        // fixtures/3.4/0073-add-server-be-static-dyn2-127-0-0-1-8082-check.txt
        "Backend does not support dynamic servers : backend 'be_static' uses a non dynamic load balancing method."
    } else {
        "Backend must use a dynamic load balancing to support dynamic servers."
    }
}

/// A frontend that routes by Host through a map, a named defaults section, and an application
/// answering 200 (a `listen` of the same HAProxy) for the runtime backend's server.
fn runtime_backend_config(fe: u16, app: u16) -> String {
    format!(
        "defaults web\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    balance roundrobin\n\n\
         frontend fe_main\n    bind 127.0.0.1:{fe}\n    use_backend %[req.hdr(host),lower,map({{CONF}}/hosts.map,be_default)]\n\n\
         backend be_default\n    http-request return status 404\n\n\
         listen app\n    bind 127.0.0.1:{app}\n    http-request return status 200 content-type text/plain string runtime-ok\n"
    )
}

/// One HTTP/1.0 request through the frontend; the status line and body.
fn http_get(port: u16, host: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let _ = s.write_all(format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// On 3.4+: a backend created at run time, given a server, published and routed to by a map
/// takes traffic; it is then unpublished and deleted, every step read back from HAProxy. Before
/// 3.4 every backend tool refuses and names the version that added it.
#[tokio::test]
async fn runtime_backends_on_every_version() {
    let (fe, app) = (support::free_port(), support::free_port());
    let Some(live) = support::ConfiguredHaproxy::start_with_files(
        "runtime_backends_on_every_version",
        &runtime_backend_config(fe, app),
        &[("hosts.map", "")],
    )
    .await
    else {
        return;
    };
    let v = live.version();
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let nb = json!({"backend": "be_new"});
    if !at_least(&v, "3.4") {
        for (tool, args) in [
            ("add_backend", json!({"backend": "be_new", "from": "web"})),
            ("publish_backend", nb.clone()),
            ("unpublish_backend", nb.clone()),
            ("del_backend", nb.clone()),
        ] {
            let err = h.err(tool, args).await;
            assert!(
                err.contains("needs HAProxy 3.4 or later") && err.contains(&format!("runs {v}")),
                "{v}: {tool}: {err}"
            );
        }
        return;
    }
    let out = h
        .ok("add_backend", json!({"backend": "be_new", "from": "web"}))
        .await;
    assert_eq!(out["status_after"], "UP (UNPUB)", "{v}: {out}");
    assert!(
        live.raw("show backend").lines().any(|l| l == "be_new"),
        "{v}"
    );
    let err = h
        .err("add_backend", json!({"backend": "be_new", "from": "web"}))
        .await;
    assert!(err.contains("name is already used"), "{v}: {err}");
    let err = h
        .err("add_backend", json!({"backend": "be_x", "from": "nosuch"}))
        .await;
    assert!(err.contains("Cannot find default proxy"), "{v}: {err}");

    h.ok(
        "add_server",
        json!({"backend": "be_new", "server": "s1", "address": "127.0.0.1", "port": app, "check": false}),
    )
    .await;
    let out = h.ok("publish_backend", nb.clone()).await;
    assert_eq!(out["status_after"], "UP", "{v}: {out}");
    h.ok(
        "add_map_entry",
        json!({"map": format!("{}/hosts.map", live.conf_dir()), "key": "new.example", "value": "be_new"}),
    )
    .await;
    let reply = http_get(fe, "new.example");
    assert!(
        reply.starts_with("HTTP/1.") && reply.contains(" 200 ") && reply.contains("runtime-ok"),
        "{v}: {reply}"
    );

    // It just took a request: unpublishing it now is refused (the self-lockout rail).
    let err = h.err("unpublish_backend", nb.clone()).await;
    assert!(
        err.contains("is taking traffic") && err.contains("Nothing was changed"),
        "{v}: {err}"
    );
    assert_eq!(
        h.ok("get_backend", nb.clone()).await["backend"]["status"],
        "UP",
        "{v}"
    );
    // Route away, let the per-second rate fall to 0, then unpublish.
    h.ok(
        "del_map_entry",
        json!({"map": format!("{}/hosts.map", live.conf_dir()), "key": "new.example"}),
    )
    .await;
    let idle = eventually(5, || {
        let csv = live.raw("show stat be_new -1 -1");
        let header: Vec<&str> = csv
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let (Some(scur), Some(rate)) = (
            header.iter().position(|c| *c == "scur"),
            header.iter().position(|c| *c == "rate"),
        ) else {
            return false;
        };
        csv.lines()
            .find(|l| l.starts_with("be_new,BACKEND,"))
            .is_some_and(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                cells.get(scur) == Some(&"0") && cells.get(rate) == Some(&"0")
            })
    })
    .await;
    assert!(idle, "{v}: be_new did not go idle");
    let out = h.ok("unpublish_backend", nb.clone()).await;
    assert_eq!(out["status_after"], "UP (UNPUB)", "{v}: {out}");
    let err = h.err("del_backend", nb.clone()).await;
    assert!(
        err.contains("Only a backend without server can be deleted"),
        "{v}: {err}"
    );
    h.ok(
        "del_server",
        json!({"backend": "be_new", "server": "s1", "drain_first": true, "force": true, "timeout_secs": 10}),
    )
    .await;
    h.ok("del_backend", nb.clone()).await;
    assert!(
        !live.raw("show backend").lines().any(|l| l == "be_new"),
        "{v}"
    );
    let err = h.err("publish_backend", nb).await;
    assert!(err.contains("No such backend"), "{v}: {err}");
}

/// The emulator's model of every recorded version pauses, reopens and stops a frontend and
/// sets rate limits as HAProxy does (the demo's path): read back through list_frontends and
/// show_info.
#[tokio::test]
async fn emulated_frontends_and_rate_limits_on_every_version() {
    for v in versions() {
        let h = McpHarness::emulated(v, Settings::default()).await;
        let status = |fes: &serde_json::Value, name: &str| {
            fes["frontends"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
                .map(|f| f["status"].clone())
        };
        let out = h
            .ok(
                "set_frontend_state",
                json!({"frontend": "fe_tcp", "state": "paused"}),
            )
            .await;
        assert_eq!(
            (out["status_before"].as_str(), out["status_after"].as_str()),
            (Some("OPEN"), Some("PAUSED")),
            "{v}: {out}"
        );
        let fes = h.ok("list_frontends", json!({})).await;
        assert_eq!(status(&fes, "fe_tcp"), Some(json!("PAUSED")), "{v}: {fes}");
        let out = h
            .ok(
                "set_frontend_state",
                json!({"frontend": "fe_tcp", "state": "paused"}),
            )
            .await;
        assert_eq!(out["changed"], false, "{v}: {out}");
        h.ok(
            "set_frontend_state",
            json!({"frontend": "fe_tcp", "state": "open"}),
        )
        .await;
        h.ok(
            "set_frontend_state",
            json!({"frontend": "fe_tcp", "state": "stopped", "force": true}),
        )
        .await;
        let err = h
            .err(
                "set_frontend_state",
                json!({"frontend": "fe_tcp", "state": "open"}),
            )
            .await;
        assert!(
            err.contains("Frontend was previously shut down, cannot enable."),
            "{v}: {err}"
        );
        let fes = h.ok("list_frontends", json!({})).await;
        assert_eq!(status(&fes, "fe_tcp"), Some(json!("STOP")), "{v}: {fes}");

        let out = h
            .ok(
                "set_rate_limit",
                json!({"limit": "http_compression", "value": 64}),
            )
            .await;
        assert_eq!(
            (out["before"].clone(), out["after"].clone()),
            (json!(0), json!(64)),
            "{v}: {out}"
        );
        let info = h.call("show_info", json!({})).await;
        assert!(
            text(&info).contains("65536"),
            "{v}: CompressBpsRateLim in bytes/s: {}",
            text(&info)
        );
        let out = h
            .ok(
                "set_rate_limit",
                json!({"limit": "http_compression", "value": 0}),
            )
            .await;
        assert_eq!(out["before"], 64, "{v}: {out}");
    }
}

/// Two frontends answering 200 (`fe_main`, `fe_side`) and a third that answers 200 too, so
/// that pausing and stopping can be seen from a client.
fn frontends_config(main: u16, side: u16) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe_main\n    bind 127.0.0.1:{main}\n    http-request return status 200 content-type text/plain string main-ok\n\n\
         frontend fe_side\n    bind 127.0.0.1:{side}\n    http-request return status 200 content-type text/plain string side-ok\n"
    )
}

/// One `show info` value, read raw.
fn info_field(live: &support::ConfiguredHaproxy, field: &str) -> String {
    live.raw("show info")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}: ")).map(str::to_owned))
        .unwrap_or_default()
}

/// Pause, resume and stop a frontend, seen by a client and by `show stat`; the last-open rule;
/// stopping needs force and cannot be undone; every process-wide rate limit set, read back
/// from `show info` with the value before, and bad input changing nothing.
#[tokio::test]
async fn frontend_states_and_rate_limits_on_live_haproxy() {
    let (main, side) = (support::free_port(), support::free_port());
    let Some(live) = support::ConfiguredHaproxy::start(
        "frontend_states_and_rate_limits_on_live_haproxy",
        &frontends_config(main, side),
    )
    .await
    else {
        return;
    };
    let v = live.version();
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    assert!(http_get(main, "x").contains("main-ok"), "{v}");

    // Paused: the client is not served; open again: served.
    let out = h
        .ok(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "paused"}),
        )
        .await;
    assert_eq!(out["status_before"], "OPEN", "{v}: {out}");
    assert_eq!(out["status_after"], "PAUSED", "{v}: {out}");
    assert_eq!(out["changed"], true, "{v}: {out}");
    assert_eq!(raw_status_of(&live, "fe_side"), "PAUSED", "{v}");
    assert!(
        !http_get(side, "x").contains("side-ok"),
        "{v}: a paused frontend served"
    );
    let again = h
        .ok(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "paused"}),
        )
        .await;
    assert_eq!(again["changed"], false, "{v}: {again}");

    // fe_main is now the last frontend accepting connections: pausing it is refused, and
    // stopping it without force too (for both reasons).
    let err = h
        .err(
            "set_frontend_state",
            json!({"frontend": "fe_main", "state": "paused"}),
        )
        .await;
    assert!(
        err.contains("last frontend accepting connections") && err.contains("Nothing was changed"),
        "{v}: {err}"
    );
    let err = h
        .err(
            "set_frontend_state",
            json!({"frontend": "fe_main", "state": "stopped"}),
        )
        .await;
    assert!(err.contains("Nothing was changed"), "{v}: {err}");
    assert_eq!(raw_status_of(&live, "fe_main"), "OPEN", "{v}");
    let out = h
        .ok(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "open"}),
        )
        .await;
    assert_eq!(out["status_after"], "OPEN", "{v}: {out}");
    assert!(http_get(side, "x").contains("side-ok"), "{v}");

    // Unknown and internal frontends, ids: refused before anything is sent.
    for fe in ["fe_nope", "GLOBAL", "#2"] {
        let err = h
            .err(
                "set_frontend_state",
                json!({"frontend": fe, "state": "paused"}),
            )
            .await;
        assert!(
            err.contains("No such frontend")
                || err.contains("internal proxies")
                || err.contains("numeric id"),
            "{v}: {fe}: {err}"
        );
    }

    // Stopped: needs force, then closed for good.
    let err = h
        .err(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "stopped"}),
        )
        .await;
    assert!(
        err.contains("cannot be undone") && err.contains("Nothing was changed"),
        "{v}: {err}"
    );
    assert_eq!(raw_status_of(&live, "fe_side"), "OPEN", "{v}");
    let out = h
        .ok(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "stopped", "force": true}),
        )
        .await;
    assert_eq!(out["status_after"], "STOP", "{v}: {out}");
    assert!(
        !http_get(side, "x").contains("side-ok"),
        "{v}: a stopped frontend served"
    );
    let err = h
        .err(
            "set_frontend_state",
            json!({"frontend": "fe_side", "state": "open"}),
        )
        .await;
    assert!(
        err.contains("Frontend was previously shut down, cannot enable.") && err.contains("reload"),
        "{v}: {err}"
    );
    assert!(http_get(main, "x").contains("main-ok"), "{v}");

    // Rate limits: each one set, read back, and restorable from the answer.
    for (limit, field, value, shown) in [
        ("connections", "ConnRateLimit", 250, "250"),
        ("sessions", "SessRateLimit", 120, "120"),
        ("ssl_sessions", "SslRateLimit", 40, "40"),
        ("http_compression", "CompressBpsRateLim", 8, "8192"),
    ] {
        let before = info_field(&live, field);
        let r = h
            .call("set_rate_limit", json!({"limit": limit, "value": value}))
            .await;
        assert_ne!(r.is_error, Some(true), "{v}: {limit}: {}", text(&r));
        let out = r.structured_content.clone().unwrap();
        assert_eq!(info_field(&live, field), shown, "{v}: {limit}");
        assert_eq!(out["after"], value, "{v}: {out}");
        assert_eq!(out["before"].to_string(), before, "{v}: {out}");
        assert!(
            summary(&r).contains(&format!(
                "To restore: set_rate_limit limit={limit} value={before}"
            )),
            "{v}: {}",
            summary(&r)
        );
        h.ok("set_rate_limit", json!({"limit": limit, "value": 0}))
            .await;
        assert_eq!(info_field(&live, field), "0", "{v}: {limit}");
    }
    // Out of range: refused before HAProxy (which would wrap it), nothing changed.
    let err = h
        .err(
            "set_rate_limit",
            json!({"limit": "http_compression", "value": 3_000_000}),
        )
        .await;
    assert!(
        err.contains("at most 2097151") && err.contains("Nothing was sent"),
        "{v}: {err}"
    );
    assert_eq!(info_field(&live, "CompressBpsRateLim"), "0", "{v}");
    let err = h
        .err("set_rate_limit", json!({"limit": "bogus", "value": 3}))
        .await;
    assert!(err.contains("limit"), "{v}: {err}");
}

/// The status of a FRONTEND row, read raw.
fn raw_status_of(live: &support::ConfiguredHaproxy, frontend: &str) -> String {
    raw_status(live, frontend, "FRONTEND")
}

/// Three servers HAProxy describes in ways the capture's configuration never shows, each answer
/// checked against HAProxy's own: a backend `disabled` in the configuration (HAProxy gives it no
/// statistics at all, lists it in `show backend` and its server in `show servers state` as
/// running, and refuses every change with `Proxy is disabled.`), a server that tracks another
/// (DOWN with no check of its own), and a server on a Unix socket (whose address HAProxy will
/// not change at run time).
#[tokio::test]
async fn disabled_backends_tracking_and_unix_socket_servers_are_described_as_haproxy_sees_them() {
    const TEST: &str =
        "disabled_backends_tracking_and_unix_socket_servers_are_described_as_haproxy_sees_them";
    let (fe, closed, off) = (
        support::free_port(),
        support::free_port(),
        support::free_port(),
    );
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    default_backend pool\n\n\
         backend pool\n    server a 127.0.0.1:{closed} check inter 200ms fall 1\n    \
         server f 127.0.0.1:{closed} track pool/a\n    server u unix@{{CONF}}/nowhere.sock\n\n\
         backend be_off\n    disabled\n    server o1 127.0.0.1:{closed}\n\n\
         frontend fe_off\n    disabled\n    bind 127.0.0.1:{off}\n    default_backend pool\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start(TEST, &config).await else {
        return;
    };
    let v = live.version();
    // HAProxy's own view of the disabled backend.
    assert!(
        !live.raw("show stat").contains("be_off"),
        "{v}: no statistics"
    );
    assert!(live.raw("show backend").contains("be_off"), "{v}");
    assert!(
        live.raw("show servers state be_off").contains(" o1 "),
        "{v}"
    );
    let h = McpHarness::live(live.admin_tcp(), fast()).await;

    let out = h.ok("list_backends", json!({})).await;
    let off = out["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "be_off")
        .unwrap_or_else(|| panic!("{v}: be_off not listed: {out}"));
    assert_eq!(off["status"], "STOP", "{v}: {off}");
    assert_eq!(off["servers"]["total"], 1, "{v}: {off}");
    assert_eq!(off["servers"]["maint"], 1, "{v}: {off}");
    let r = h.call("get_backend", json!({"backend": "be_off"})).await;
    assert_eq!(r.is_error, Some(false), "{v}: {}", text(&r));
    let detail = r.structured_content.clone().unwrap();
    assert_eq!(detail["servers"][0]["name"], "o1", "{v}: {detail}");
    assert_eq!(detail["servers"][0]["state"], "maint", "{v}: {detail}");
    assert_eq!(
        detail["servers"][0]["cause"], "proxy_disabled",
        "{v}: {detail}"
    );
    assert!(
        summary(&r).contains("disabled in the configuration"),
        "{v}: {}",
        summary(&r)
    );
    // It serves nothing indeed: HAProxy refuses to touch its servers.
    let err = h
        .err(
            "set_weight",
            json!({"backend": "be_off", "server": "o1", "weight": 3}),
        )
        .await;
    assert!(err.contains("Proxy is disabled."), "{v}: {err}");

    // A frontend `disabled` in the configuration: no statistics either, and HAProxy will not
    // open it.
    let err = h
        .err(
            "set_frontend_state",
            json!({"frontend": "fe_off", "state": "open"}),
        )
        .await;
    assert!(
        err.contains("No such frontend") && err.contains("`disabled` in the configuration"),
        "{v}: {err}"
    );
    assert!(
        live.raw("enable frontend fe_off")
            .contains("previously shut down"),
        "{v}: HAProxy's own answer"
    );

    // The tracking server follows pool/a down, and says so.
    assert!(
        eventually(10, || raw_status(&live, "pool", "f") == "DOWN").await,
        "{v}: HAProxy never took f down: {}",
        raw_status(&live, "pool", "f")
    );
    assert_eq!(
        raw_stat_cell(&live, "pool", "f", "tracked"),
        "pool/a",
        "{v}"
    );
    let r = h
        .call("get_server", json!({"backend": "pool", "server": "f"}))
        .await;
    let server = &r.structured_content.clone().unwrap()["server"];
    assert_eq!(server["state"], "down", "{v}: {server}");
    assert_eq!(server["via"], "pool/a", "{v}: {server}");
    assert!(
        summary(&r).contains("is DOWN (via pool/a)"),
        "{v}: {}",
        summary(&r)
    );
    let health = h.call("health_summary", json!({"window_secs": 0})).await;
    assert!(
        summary(&health).contains("f (tracks pool/a)"),
        "{v}: {}",
        summary(&health)
    );

    // A Unix-socket server: HAProxy lists its address as `unix` and will not change it.
    assert_eq!(raw_stat_cell(&live, "pool", "u", "addr"), "unix", "{v}");
    let err = h
        .err(
            "set_server_addr",
            json!({"backend": "pool", "server": "u", "address": "127.0.0.1", "port": fe}),
        )
        .await;
    assert!(
        err.contains("pool/u connects to a `unix` socket") && err.contains("Nothing was sent"),
        "{v}: {err}"
    );
    assert!(
        live.raw(&format!("set server pool/u addr 127.0.0.1 port {fe}"))
            .contains("only supported through configuration file"),
        "{v}: HAProxy's own refusal"
    );
}

/// An UP server of weight 0 takes no new traffic, so draining the only other server is taking
/// the last one out: refused without `force`; forced, HAProxy itself answers 503 to the next
/// request, which is what the rail said would happen.
#[tokio::test]
async fn an_up_server_of_weight_zero_does_not_save_the_last_one() {
    let (fe, app) = (support::free_port(), support::free_port());
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    default_backend pool\n\n\
         backend pool\n    server a1 127.0.0.1:{app} weight 10\n    server a2 127.0.0.1:{app} weight 0\n\n\
         listen app\n    bind 127.0.0.1:{app}\n    http-request return status 200 content-type text/plain string app-ok\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start(
        "an_up_server_of_weight_zero_does_not_save_the_last_one",
        &config,
    )
    .await
    else {
        return;
    };
    let v = live.version();
    assert!(http_get(fe, "x").contains("app-ok"), "{v}");
    assert_eq!(raw_stat_cell(&live, "pool", "a2", "weight"), "0", "{v}");
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let drain = json!({"backend": "pool", "server": "a1", "state": "drain"});
    let err = h.err("set_server_state", drain.clone()).await;
    assert!(
        err.contains("pool/a1 is the last UP server")
            && err.contains("a2 UP with weight 0, so it takes no new traffic"),
        "{v}: {err}"
    );
    assert_eq!(
        raw_status(&live, "pool", "a1"),
        "no check",
        "{v}: unchanged"
    );
    let mut forced = drain;
    forced["force"] = json!(true);
    h.ok("set_server_state", forced).await;
    assert!(
        http_get(fe, "x").contains(" 503 "),
        "{v}: HAProxy has no server for new traffic: {}",
        http_get(fe, "x")
    );
    h.ok(
        "set_server_state",
        json!({"backend": "pool", "server": "a1", "state": "ready"}),
    )
    .await;
    assert!(http_get(fe, "x").contains("app-ok"), "{v}");
}

/// A server at its `maxconn`, requests queued behind it, as HAProxy counts them: get_server says
/// it is at its limit, and the backend's queue shows in get_backend.
#[tokio::test]
async fn a_server_at_its_limit_says_so() {
    let (fe, slow) = (support::free_port(), support::free_port());
    // `slow` holds each connection 4 s (a TCP inspect delay) before answering.
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n    timeout queue 10s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    default_backend pool\n\n\
         backend pool\n    server q1 127.0.0.1:{slow} maxconn 1\n\n\
         listen slow\n    mode tcp\n    bind 127.0.0.1:{slow}\n    tcp-request inspect-delay 4s\n    \
         tcp-request content accept if WAIT_END\n    server none 127.0.0.1:1\n"
    );
    let Some(live) =
        support::ConfiguredHaproxy::start("a_server_at_its_limit_says_so", &config).await
    else {
        return;
    };
    let v = live.version();
    let clients: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(move || http_get(fe, "x")))
        .collect();
    assert!(
        eventually(5, || raw_stat_cell(&live, "pool", "BACKEND", "qcur") == "2").await,
        "{v}: HAProxy never queued: {}",
        live.raw("show stat pool -1 -1")
    );
    assert_eq!(raw_stat_cell(&live, "pool", "q1", "scur"), "1", "{v}");
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let r = h
        .call("get_server", json!({"backend": "pool", "server": "q1"}))
        .await;
    assert!(
        summary(&r).contains("At its session limit (1 of maxconn 1)"),
        "{v}: {}",
        summary(&r)
    );
    let r = h.call("get_backend", json!({"backend": "pool"})).await;
    assert!(summary(&r).contains("2 queued"), "{v}: {}", summary(&r));
    for c in clients {
        let _ = c.join();
    }
}

/// The `cookie` column of every server of `backend` in HAProxy's own `show stat`.
fn stat_cookies(live: &support::ConfiguredHaproxy, backend: &str) -> Vec<(String, String)> {
    let stat = live.raw(&format!("show stat {backend} -1 -1"));
    let mut lines = stat.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let at = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (sv, cookie) = (at("svname"), at("cookie"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|cells| !["BACKEND", "FRONTEND"].contains(&cells[sv]))
        .map(|cells| (cells[sv].to_owned(), cells[cookie].to_owned()))
        .collect()
}

/// The `Set-Cookie` header HAProxy answers a plain GET on `port` with, if any.
async fn set_cookie_of(port: u16) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(b"GET / HTTP/1.0\r\nHost: www\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).await.unwrap();
    reply
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or(l.strip_prefix("Set-Cookie: "))
        })
        .map(str::to_owned)
}

#[tokio::test]
async fn dynamic_cookies_take_their_key_from_a_file_and_match_what_haproxy_serves() {
    const TEST: &str = "dynamic_cookies_take_their_key_from_a_file_and_match_what_haproxy_serves";
    const KEY: &str = "s3cr3t-cookie-key";
    let (fe, app, app2) = (
        support::free_port(),
        support::free_port(),
        support::free_port(),
    );
    let config = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend www\n    bind 127.0.0.1:{fe}\n    default_backend pool\n\n\
         frontend app\n    bind 127.0.0.1:{app}\n    bind 127.0.0.1:{app2}\n    \
         http-request return status 200 content-type text/plain string ok\n\n\
         backend pool\n    cookie SRV insert indirect nocache dynamic\n    \
         server a 127.0.0.1:{app}\n    server b 127.0.0.1:{app}\n    \
         server c 127.0.0.1:{app2}\n    server own 127.0.0.1:{app} cookie mine\n\n\
         backend bare\n    server x 127.0.0.1:{app}\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start(TEST, &config).await else {
        return;
    };
    let v = live.version();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("cookie.key"), format!("{KEY}\n")).unwrap();
    std::fs::write(folder.path().join("bad.key"), "semi;colon\n").unwrap();
    let audit_path = folder.path().join("audit.log");
    let mut said = String::new();

    // Without a certificates folder the key cannot be read: refused, nothing sent.
    let h = McpHarness::live(live.admin_tcp(), fast()).await;
    let err = h
        .err(
            "set_dynamic_cookies",
            json!({"backend": "pool", "key_file": "cookie.key", "enabled": true}),
        )
        .await;
    assert!(err.contains("--certificates-dir"), "{v}: {err}");
    assert!(
        stat_cookies(&live, "pool")
            .iter()
            .all(|(s, c)| c.is_empty() || s == "own"),
        "{v}"
    );

    let settings = Settings {
        audit: haproxy_mcp_server::mcp::audit::AuditLog::file(&audit_path).unwrap(),
        certificates_dir: Some(folder.path().canonicalize().unwrap()),
        ..fast()
    };
    let h = McpHarness::live(live.admin_tcp(), settings).await;
    let r = h
        .call(
            "set_dynamic_cookies",
            json!({"backend": "pool", "key_file": "cookie.key", "enabled": true}),
        )
        .await;
    said.push_str(&text(&r));
    assert_eq!(r.is_error, Some(false), "{v}: {}", text(&r));
    let out = r.structured_content.clone().unwrap();
    // Every cookie the tool reports is the one HAProxy shows.
    let shown = stat_cookies(&live, "pool");
    for (server, cookie) in &shown {
        let reported = out["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"] == server.as_str())
            .unwrap_or_else(|| panic!("{v}: {server} missing from {out}"));
        assert_eq!(reported["after"], cookie.as_str(), "{v}: {out}");
    }
    let cookie_of = |name: &str| shown.iter().find(|(s, _)| s == name).unwrap().1.clone();
    assert_eq!(cookie_of("own"), "mine", "{v}: a server's own cookie stays");
    assert_eq!(cookie_of("a").len(), 16, "{v}: {shown:?}");
    assert_eq!(cookie_of("a"), cookie_of("b"), "{v}: same address and port");
    assert_ne!(cookie_of("a"), cookie_of("c"), "{v}");
    assert_eq!(out["cookie_name"], "SRV", "{v}: {out}");
    assert_eq!(out["key_sha256"].as_str().unwrap().len(), 16, "{v}");
    assert!(
        summary(&r).contains("a, b share one cookie"),
        "{v}: {}",
        summary(&r)
    );
    // What clients get: HAProxy inserts a server's dynamic cookie.
    let served = set_cookie_of(fe).await.expect("a Set-Cookie header");
    let value = served
        .strip_prefix("SRV=")
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        shown.iter().any(|(_, c)| *c == value),
        "{v}: {served} is none of {shown:?}"
    );

    // A backend without a `cookie` line: HAProxy computes cookies but sends none, and says
    // nothing; the tool does.
    let r = h
        .call(
            "set_dynamic_cookies",
            json!({"backend": "bare", "key_file": "cookie.key", "enabled": true}),
        )
        .await;
    said.push_str(&text(&r));
    assert_eq!(r.is_error, Some(false), "{v}: {}", text(&r));
    assert!(
        summary(&r).contains("no `cookie <name>"),
        "{v}: {}",
        summary(&r)
    );
    assert_eq!(stat_cookies(&live, "bare")[0].1.len(), 16, "{v}");

    // A key that cannot be sent, a backend that does not exist: refused, nothing changes, and
    // the key is never quoted.
    let err = h
        .err(
            "set_dynamic_cookies",
            json!({"backend": "pool", "key_file": "bad.key"}),
        )
        .await;
    said.push_str(&err);
    assert!(
        err.contains("';'") && !err.contains("semi;colon"),
        "{v}: {err}"
    );
    let err = h
        .err(
            "set_dynamic_cookies",
            json!({"backend": "nope", "enabled": false}),
        )
        .await;
    assert!(err.contains("nope"), "{v}: {err}");
    assert_eq!(stat_cookies(&live, "pool"), shown, "{v}: unchanged");
    let err = h
        .err("set_dynamic_cookies", json!({"backend": "pool"}))
        .await;
    assert!(err.contains("Nothing to do"), "{v}: {err}");

    // Off again: the computed cookies go, a server's own stays, and clients lose persistence
    // once.
    let r = h
        .call(
            "set_dynamic_cookies",
            json!({"backend": "pool", "enabled": false}),
        )
        .await;
    said.push_str(&text(&r));
    assert_eq!(r.is_error, Some(false), "{v}: {}", text(&r));
    assert!(summary(&r).contains("lose their server once"), "{v}");
    let after = stat_cookies(&live, "pool");
    assert!(
        after
            .iter()
            .all(|(s, c)| (s == "own") == (c == "mine") && (s == "own" || c.is_empty())),
        "{v}: {after:?}"
    );

    // The key never appears in an answer or the audit log.
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert!(audit.contains("set_dynamic_cookies"), "{v}: {audit}");
    for channel in [&said, &audit] {
        assert!(!channel.contains(KEY), "{v}: the key leaked: {channel}");
    }
}
