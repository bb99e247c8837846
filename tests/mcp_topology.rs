//! The topology toolset end to end against the emulator's model of every recorded version, seeded
//! from the capture's starting state (app3 disabled, app4 down).

mod support;

use haproxy_mcp_server::mcp::Settings;
use serde_json::{Value, json};
use support::mcp::{McpHarness, text, versions};

async fn fresh(version: &str) -> McpHarness {
    McpHarness::emulated(version, Settings::default()).await
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

fn find<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v[key] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

#[tokio::test]
async fn list_frontends_reports_every_frontend() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("list_frontends", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        let fe = &out["frontends"];
        assert_eq!(
            names(fe, "name"),
            ["fe_app", "fe_agent", "fe_main", "fe_tcp"],
            "{v}"
        );
        let tcp = find(fe, "name", "fe_tcp");
        assert_eq!(tcp["status"], "OPEN", "{v}");
        assert_eq!(tcp["mode"], "tcp", "{v}");
        assert_eq!(tcp["sessions"], 2, "{v}: two held connections");
        assert_eq!(tcp["session_limit"], 9972, "{v}");
        assert_eq!(find(fe, "name", "fe_main")["mode"], "http", "{v}");
        let summary = text(&r);
        assert!(
            summary.starts_with("[haproxy] 4 frontend(s): fe_app OPEN"),
            "{v}: {summary}"
        );

        let h = fresh(v).await;
        let out = h.ok("list_frontends", json!({"limit": 1})).await;
        assert_eq!(out["frontends"].as_array().unwrap().len(), 1);
        assert_eq!(out["truncation"]["truncated"], "truncated: 3 more", "{v}");
    }
}

#[tokio::test]
async fn list_backends_counts_servers_and_names_algorithms() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("list_backends", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        let be = &out["backends"];
        assert_eq!(
            names(be, "name"),
            // Problems first: be_dns has a template slot waiting for an address.
            [
                "be_app",
                "be_dns",
                "be_api",
                "be_static",
                "be_tcp",
                "st_clients"
            ],
            "{v}"
        );
        let app = find(be, "name", "be_app");
        assert_eq!(app["algo"], "roundrobin", "{v}");
        assert_eq!(app["mode"], "http", "{v}");
        assert_eq!(app["status"], "UP", "{v}");
        let s = &app["servers"];
        assert_eq!(
            (&s["total"], &s["up"], &s["down"], &s["maint"]),
            (&json!(5), &json!(3), &json!(1), &json!(1)),
            "{v}: {s}"
        );
        assert_eq!(find(be, "name", "be_static")["algo"], "static-rr", "{v}");
        assert_eq!(find(be, "name", "be_api")["algo"], "leastconn", "{v}");
        assert_eq!(find(be, "name", "be_tcp")["mode"], "tcp", "{v}");
        assert_eq!(find(be, "name", "st_clients")["servers"]["total"], 0, "{v}");
        let summary = text(&r);
        assert!(
            summary.contains("be_app UP (http, roundrobin, 3/5 servers up"),
            "{v}: {summary}"
        );

        let h = fresh(v).await;
        let out = h.ok("list_backends", json!({"limit": 2})).await;
        assert_eq!(out["truncation"]["total"], 6);
        assert_eq!(out["truncation"]["truncated"], "truncated: 4 more", "{v}");
    }
}

#[tokio::test]
async fn get_backend_shows_its_servers() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("get_backend", json!({"backend": "be_app"})).await;
        assert_ne!(r.is_error, Some(true), "{v}: {}", text(&r));
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["backend"]["algo"], "roundrobin");
        let servers = &out["servers"];
        // Servers that are not up first (app3 MAINT, app4 DOWN), then HAProxy's order.
        assert_eq!(
            names(servers, "name"),
            ["app3", "app4", "app1", "app2", "app_backup"],
            "{v}"
        );
        assert_eq!(out["truncation"]["total"], 5, "{v}");
        let app3 = find(servers, "name", "app3");
        assert_eq!(app3["state"], "maint", "{v}");
        assert!(
            app3["admin_flags"]
                .as_array()
                .unwrap()
                .contains(&json!("config_maint")),
            "{v}: {app3}"
        );
        let app4 = find(servers, "name", "app4");
        assert_eq!(app4["state"], "down", "{v}");
        assert_eq!(app4["port"], 1, "{v}");
        assert_eq!(app4["check_status"], "L4CON", "{v}");
        assert_eq!(find(servers, "name", "app2")["initial_weight"], 20, "{v}");
        assert_eq!(find(servers, "name", "app_backup")["backup"], true, "{v}");
        let summary = text(&r);
        assert!(summary.contains("be_app/app4 is DOWN"), "{v}: {summary}");
        assert!(
            summary.contains("be_app/app3 is MAINT (disabled in the configuration)"),
            "{v}: {summary}"
        );

        let h = fresh(v).await;
        let out = h.ok("get_backend", json!({"backend": "be_static"})).await;
        assert_eq!(out["backend"]["algo"], "static-rr", "{v}");
        assert_eq!(
            names(&out["servers"], "name"),
            ["static1", "static2"],
            "{v}"
        );
    }
}

#[tokio::test]
async fn get_backend_errors_list_the_backends() {
    for v in versions() {
        let h = fresh(v).await;
        let err = h.err("get_backend", json!({"backend": "be_nope"})).await;
        assert!(err.contains("No such proxy."), "{v}: {err}");
        assert!(
            err.contains(
                "Backends on haproxy: be_app, be_api, be_static, be_tcp, st_clients, be_dns."
            ),
            "{v}: {err}"
        );
        let err = h.err("get_backend", json!({"backend": "be app"})).await;
        assert!(err.contains("invalid proxy name"), "{v}: {err}");
        assert!(err.contains("Nothing was sent"), "{v}: {err}");
    }
}

#[tokio::test]
async fn list_servers_filters_and_truncates() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("list_servers", json!({"backend": "be_app"})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["tally"]["total"], 5, "{v}");
        let app1 = find(&out["servers"], "name", "app1");
        assert_eq!(app1["address"], "127.0.0.1", "{v}");
        assert_eq!(app1["state"], "up", "{v}");
        assert_eq!(app1["checks_enabled"], true, "{v}");
        assert_eq!(app1["check_status"], "L7OK", "{v}");
        let summary = text(&r);
        assert!(
            summary.starts_with("[haproxy] be_app: 5 server(s), 3 up, 1 down, 0 drain, 1 maint."),
            "{v}: {summary}"
        );

        let h = fresh(v).await;
        let out = h
            .ok(
                "list_servers",
                json!({"backend": "be_app", "state": "not_up"}),
            )
            .await;
        assert_eq!(names(&out["servers"], "name"), ["app3", "app4"], "{v}");
        let h = fresh(v).await;
        let out = h
            .ok(
                "list_servers",
                json!({"backend": "be_app", "state": "maint"}),
            )
            .await;
        assert_eq!(names(&out["servers"], "name"), ["app3"], "{v}");

        // Every backend, limited.
        let h = fresh(v).await;
        let out = h.ok("list_servers", json!({"limit": 3})).await;
        assert_eq!(out["tally"]["total"], 12, "{v}: {out}");
        assert_eq!(out["servers"].as_array().unwrap().len(), 3);
        assert_eq!(out["truncation"]["truncated"], "truncated: 9 more", "{v}");
        let h = fresh(v).await;
        let out = h.ok("list_servers", json!({"state": "up"})).await;
        let up = names(&out["servers"], "name");
        assert!(
            up.contains(&"tcp1".to_owned()) && up.contains(&"static2".to_owned()),
            "{v}: {up:?}"
        );
        assert!(!up.contains(&"app4".to_owned()), "{v}");

        let h = fresh(v).await;
        let err = h.err("list_servers", json!({"backend": "be_nope"})).await;
        assert!(
            err.contains("Can't find backend.") || err.contains("No such proxy."),
            "{v}: {err}"
        );
        assert!(err.contains("Backends on haproxy: be_app"), "{v}: {err}");
        let err = h.err("list_servers", json!({"state": "sideways"})).await;
        assert!(
            err.starts_with("argument `state`: `sideways` is not one of"),
            "{v}: {err}"
        );
    }
}

#[tokio::test]
async fn get_server_in_full() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h
            .call("get_server", json!({"backend": "be_app", "server": "app4"}))
            .await;
        assert_ne!(r.is_error, Some(true), "{v}: {}", text(&r));
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["server"]["state"], "down", "{v}");
        assert_eq!(
            out["server"]["check_desc"], "Layer4 connection problem",
            "{v}"
        );
        assert_eq!(out["details"]["op_state"], "stopped", "{v}");
        assert_eq!(out["details"]["check_result"], "failed", "{v}");
        assert_eq!(out["details"]["id"], 4, "{v}");
        let summary = text(&r);
        assert!(
            summary.starts_with("[haproxy] be_app/app4 is DOWN"),
            "{v}: {summary}"
        );

        let h = fresh(v).await;
        let out = h
            .ok("get_server", json!({"backend": "be_app", "server": "app2"}))
            .await;
        assert_eq!(out["server"]["weight"], 20, "{v}");
        assert_eq!(out["server"]["initial_weight"], 20, "{v}");
        assert_eq!(out["details"]["admin_state_raw"], 0, "{v}");

        let h = fresh(v).await;
        let err = h
            .err("get_server", json!({"backend": "be_app", "server": "nope"}))
            .await;
        assert!(
            err.contains("Servers in be_app: app1, app2, app3, app4, app_backup."),
            "{v}: {err}"
        );
        let err = h
            .err("get_server", json!({"backend": "be_app", "server": "a;b"}))
            .await;
        assert!(err.contains("invalid server name"), "{v}: {err}");
    }
}

#[tokio::test]
async fn show_servers_state_is_typed() {
    for v in versions() {
        let h = fresh(v).await;
        let out = h
            .ok("show_servers_state", json!({"backend": "be_app"}))
            .await;
        let rows = &out["servers"];
        let app3 = find(rows, "name", "app3");
        assert_eq!(app3["admin_state"], 5, "{v}");
        assert_eq!(app3["state"], "maint", "{v}");
        assert_eq!(
            app3["admin_flags"],
            json!(["forced_maint", "config_maint"]),
            "{v}"
        );
        assert_eq!(find(rows, "name", "app1")["op_state"], "running", "{v}");
        assert_eq!(find(rows, "name", "app1")["check_status_code"], 15, "{v}");

        let h = fresh(v).await;
        let r = h.call("show_servers_state", json!({"limit": 4})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["truncation"]["total"], 12, "{v}");
        assert_eq!(out["truncation"]["truncated"], "truncated: 8 more", "{v}");
        let api1 = h
            .ok("show_servers_state", json!({"backend": "be_api"}))
            .await;
        assert_eq!(
            find(&api1["servers"], "name", "api1")["agent_enabled"],
            true,
            "{v}"
        );
        assert!(
            text(&r).starts_with("[haproxy] 12 server state row(s)"),
            "{v}"
        );

        let err = h
            .err("show_servers_state", json!({"backend": "be_nope"}))
            .await;
        assert!(err.contains("Can't find backend."), "{v}: {err}");
        assert!(err.contains("Backends on haproxy:"), "{v}: {err}");
    }
}

#[tokio::test]
async fn show_servers_conn_is_typed() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("show_servers_conn", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["truncation"]["total"], 12, "{v}");
        let app1 = find(&out["servers"], "server", "app1");
        assert_eq!(app1["backend"], "be_app");
        assert_eq!(app1["purge_delay_ms"], 5000, "{v}");
        assert_eq!(
            app1["idle_per_thread"].as_array().unwrap().len(),
            2,
            "{v}: two threads"
        );
        assert!(text(&r).contains("connection(s) in use"), "{v}");

        // The busiest pool first: limit 1 shows the server with the most connections in use.
        let every = h
            .ok("show_servers_conn", json!({"backend": "be_api"}))
            .await;
        let pools = every["servers"].as_array().unwrap();
        let load = |s: &serde_json::Value| (s["used_cur"].as_u64(), s["idle_cur"].as_u64());
        assert!(
            pools.windows(2).all(|w| load(&w[0]) >= load(&w[1])),
            "{v}: not busiest first: {every}"
        );
        let busiest = pools[0]["server"].clone();
        let out = h
            .ok(
                "show_servers_conn",
                json!({"backend": "be_api", "limit": 1}),
            )
            .await;
        assert_eq!(out["servers"][0]["server"], busiest, "{v}: {every}");
        assert_eq!(out["truncation"]["truncated"], "truncated: 1 more", "{v}");
        let err = h
            .err("show_servers_conn", json!({"backend": "be\napp"}))
            .await;
        assert!(err.contains("invalid proxy name"), "{v}: {err}");
    }
}

#[tokio::test]
async fn maps_acls_and_tables_are_listed() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("list_maps", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        let maps = out["items"].as_array().unwrap();
        assert_eq!(maps.len(), 1, "{v}");
        assert!(
            maps[0]["file"].as_str().unwrap().ends_with("/hosts.map"),
            "{v}"
        );
        assert_eq!(maps[0]["entries"], 3, "{v}");
        assert!(
            maps[0]["reference"].as_str().unwrap().starts_with('#'),
            "{v}"
        );
        assert!(
            text(&r).starts_with("[haproxy] 1 map(s): #"),
            "{v}: {}",
            text(&r)
        );

        let out = h.ok("list_acls", json!({})).await;
        let acls = out["items"].as_array().unwrap();
        let blocked = acls
            .iter()
            .find(|a| {
                a["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("/blocked.acl"))
            })
            .unwrap_or_else(|| panic!("{v}: no blocked.acl in {out}"));
        assert_eq!(blocked["reference"], "#0", "{v}");
        assert_eq!(blocked["entries"], 2, "{v}");
        assert!(
            acls.iter().any(|a| a["file"].is_null()),
            "{v}: inline ACLs have no file"
        );
        let out = h.ok("list_acls", json!({"limit": 1})).await;
        assert!(out["truncation"]["truncated"].as_str().is_some(), "{v}");

        let r = h.call("list_tables", json!({})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(
            out["tables"],
            // fe_main tracks its clients in both; mesh/t_rate is declared in a peers section.
            json!([
                {"name": "mesh/t_rate", "key_type": "ip", "size": 1024, "used": 1},
                {"name": "st_clients", "key_type": "ip", "size": 1024, "used": 1}
            ]),
            "{v}"
        );
        assert_eq!(
            text(&r).lines().next().unwrap(),
            "[haproxy] 2 stick table(s): mesh/t_rate (ip, 1/1024 used), st_clients (ip, 1/1024 used).",
            "{v}"
        );
    }
}

#[tokio::test]
async fn topology_tools_are_read_only_and_closed_world() {
    let h = fresh("3.2").await;
    let tools = h.client.list_all_tools().await.unwrap();
    for name in [
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
    ] {
        let t = tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} is not listed"));
        let a = t.annotations.as_ref().unwrap();
        assert_eq!(a.read_only_hint, Some(true), "{name}");
        assert_eq!(a.open_world_hint, Some(false), "{name}");
        assert!(t.output_schema.is_some(), "{name} has an output schema");
        let props = &t.input_schema["properties"];
        assert!(props.get("target").is_some(), "{name} takes a target");
    }
    // Read-only mode keeps them all.
    let h = McpHarness::emulated(
        "3.2",
        Settings {
            read_only: true,
            ..Default::default()
        },
    )
    .await;
    let tools = h.client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "get_server"));
    assert!(tools.iter().any(|t| t.name == "list_tables"));
}

/// `limit` outside the range its schema publishes is refused before anything is sent (it used
/// to decode as a `u32` and run: 0 showed nothing, 4294967295 everything).
#[tokio::test]
async fn limits_outside_the_schema_are_refused() {
    let h = McpHarness::emulated("3.2", Settings::default()).await;
    for (tool, limit) in [("list_servers", 0u64), ("list_backends", 4_294_967_295)] {
        let err = h.err(tool, json!({ "limit": limit })).await;
        assert!(
            err.starts_with(&format!(
                "argument `limit`: {limit} is out of range: give 1 to 10000"
            )),
            "{tool}: {err}"
        );
        assert!(err.contains("Nothing was sent to HAProxy"), "{tool}: {err}");
    }
    h.ok("list_servers", json!({"limit": 1})).await;
}
