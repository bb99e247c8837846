//! The maps toolset end to end: against the emulator's model of every recorded version (edits
//! with keys and patterns never recorded, each read back with the read tools), and against a
//! live HAProxy, reading the map and ACL files' contents back raw.

mod support;

use haproxy_mcp_server::mcp::Settings;
use serde_json::{Value, json};
use support::LiveHaproxy;
use support::mcp::{McpHarness, assert_hints, summary, versions};

/// The recorded id of hosts.map (the ACL is `#0` in every version).
fn map_id(v: &str) -> &'static str {
    if v == "2.6" { "#4" } else { "#6" }
}

const ACL: &str = "#0";

async fn fresh(v: &str) -> McpHarness {
    McpHarness::emulated(v, Settings::default()).await
}

fn pairs(out: &Value) -> Vec<(String, String)> {
    out["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn patterns(out: &Value) -> Vec<String> {
    out["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pattern"].as_str().unwrap().to_owned())
        .collect()
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test]
async fn show_map_by_id_and_file_with_filter_and_limit() {
    for v in versions() {
        let h = fresh(v).await;
        let r = h.call("show_map", json!({"map": map_id(v)})).await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(
            pairs(&out),
            [
                kv("app.example.com", "be_app"),
                kv("api.example.com", "be_api"),
                kv("static.example.com", "be_static")
            ],
            "{v}"
        );
        assert!(out["entries"][0]["ref"].as_str().unwrap().starts_with("0x"));
        assert_eq!(
            summary(&r),
            format!("[haproxy] Map {}: 3 entries.", map_id(v))
        );

        let out = h
            .ok(
                "show_map",
                json!({"map": "/usr/local/etc/haproxy/hosts.map", "filter": "STATIC"}),
            )
            .await;
        assert_eq!(pairs(&out), [kv("static.example.com", "be_static")], "{v}");

        let h = fresh(v).await;
        let r = h
            .call("show_map", json!({"map": map_id(v), "limit": 2}))
            .await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["entries"].as_array().unwrap().len(), 2);
        assert_eq!(out["truncation"]["truncated"], "truncated: 1 more");
        assert!(summary(&r).contains("truncated: 1 more"), "{}", summary(&r));
    }
}

#[tokio::test]
async fn lookups_say_what_matches() {
    for v in versions() {
        let h = fresh(v).await;
        let id = map_id(v);
        let r = h
            .call("get_map", json!({"map": id, "value": "api.example.com"}))
            .await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["found"], true, "{v}: {out}");
        assert_eq!(out["key"], "api.example.com");
        assert_eq!(out["value"], "be_api");
        assert_eq!(out["match_type"], "str");
        assert!(
            summary(&r).contains("which returns \"be_api\""),
            "{}",
            summary(&r)
        );
        let out = h
            .ok(
                "get_map",
                json!({"map": id, "value": "nomatch.example.com"}),
            )
            .await;
        assert_eq!(out["found"], false);
        assert!(out["value"].is_null());

        let out = h.ok("show_acl", json!({"acl": ACL})).await;
        assert_eq!(patterns(&out), ["192.0.2.1", "198.51.100.0/24"], "{v}");
        let r = h
            .call("get_acl", json!({"acl": ACL, "value": "198.51.100.77"}))
            .await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["matched"], true, "{v}: {out}");
        assert_eq!(out["pattern"], "198.51.100.0/24");
        assert_eq!(out["match_type"], "ip");
        assert!(summary(&r).contains("matches ACL #0"), "{}", summary(&r));
        let out = h
            .ok("get_acl", json!({"acl": ACL, "value": "203.0.113.9"}))
            .await;
        assert_eq!(out["matched"], false);

        let err = h
            .err(
                "get_map",
                json!({"map": "#999", "value": "app.example.com"}),
            )
            .await;
        assert!(err.contains("Unknown map identifier"), "{v}: {err}");
        assert!(
            err.contains(&format!("{id} (/usr/local/etc/haproxy/hosts.map)")),
            "{v}: the loaded maps are listed: {err}"
        );
        let err = h.err("show_acl", json!({"acl": "#999"})).await;
        assert!(err.contains("Unknown ACL identifier"), "{v}: {err}");
        assert!(
            err.contains("#0 (/usr/local/etc/haproxy/blocked.acl)"),
            "{v}: {err}"
        );
    }
}

#[tokio::test]
async fn map_edits_show_in_the_map() {
    for v in versions() {
        let h = fresh(v).await;
        let id = map_id(v);
        assert_eq!(pairs(&h.ok("show_map", json!({"map": id})).await).len(), 3);

        let r = h
            .call(
                "add_map_entry",
                json!({"map": id, "key": "blue.example.net", "value": "be_api"}),
            )
            .await;
        assert!(
            summary(&r).starts_with(&format!(
                "[haproxy] Done: added \"blue.example.net\" -> \"be_api\" to map {id}."
            )),
            "{v}: {}",
            summary(&r)
        );
        let out = h.ok("show_map", json!({"map": id})).await;
        assert!(
            pairs(&out).contains(&kv("blue.example.net", "be_api")),
            "{v}"
        );
        let out = h
            .ok("get_map", json!({"map": id, "value": "blue.example.net"}))
            .await;
        assert_eq!(out["value"], "be_api");

        h.ok(
            "set_map_entry",
            json!({"map": id, "key": "blue.example.net", "value": "be_static"}),
        )
        .await;
        let out = h.ok("show_map", json!({"map": id})).await;
        let new = out["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == "blue.example.net")
            .unwrap()
            .clone();
        assert_eq!(new["value"], "be_static", "{v}");
        // An entry can be named by its reference instead of its key.
        let by_ref = format!("#{}", new["ref"].as_str().unwrap());
        h.ok(
            "set_map_entry",
            json!({"map": id, "key": by_ref, "value": "be_app"}),
        )
        .await;
        let out = h.ok("show_map", json!({"map": id})).await;
        assert!(
            pairs(&out).contains(&kv("blue.example.net", "be_app")),
            "{v}"
        );

        let err = h
            .err(
                "set_map_entry",
                json!({"map": id, "key": "absent.example.net", "value": "be_app"}),
            )
            .await;
        assert!(err.contains("entry not found."), "{v}: {err}");
        assert!(
            err.contains("\"absent.example.net\" is not in map")
                && err.contains("add_map_entry adds one"),
            "{v}: says how to add it: {err}"
        );

        h.ok(
            "del_map_entry",
            json!({"map": id, "key": "blue.example.net"}),
        )
        .await;
        let out = h.ok("show_map", json!({"map": id})).await;
        assert!(!pairs(&out).iter().any(|(k, _)| k == "blue.example.net"));
        let err = h
            .err(
                "del_map_entry",
                json!({"map": id, "key": "absent.example.net"}),
            )
            .await;
        assert!(err.contains("Key not found."), "{v}: {err}");

        // A value with blanks goes through the encoder's escapes.
        h.ok(
            "add_map_entry",
            json!({"map": id, "key": "space.example.net", "value": "be with blank"}),
        )
        .await;
        h.ok(
            "del_map_entry",
            json!({"map": id, "key": "space.example.net"}),
        )
        .await;

        let err = h
            .err(
                "add_map_entry",
                json!({"map": "#999", "key": "x.example.com", "value": "be_app"}),
            )
            .await;
        assert!(err.contains("Unknown map identifier"), "{v}: {err}");
        assert!(err.contains("Maps loaded"), "{err}");
    }
}

#[tokio::test]
async fn acl_edits_show_in_the_acl() {
    for v in versions() {
        let h = fresh(v).await;
        assert_eq!(
            patterns(&h.ok("show_acl", json!({"acl": ACL})).await).len(),
            2
        );
        h.ok(
            "add_acl_entry",
            json!({"acl": ACL, "pattern": "198.18.0.9"}),
        )
        .await;
        let out = h.ok("show_acl", json!({"acl": ACL})).await;
        assert_eq!(
            patterns(&out),
            ["192.0.2.1", "198.51.100.0/24", "198.18.0.9"],
            "{v}"
        );
        let out = h
            .ok("get_acl", json!({"acl": ACL, "value": "198.18.0.9"}))
            .await;
        assert_eq!(out["matched"], true);
        h.ok(
            "del_acl_entry",
            json!({"acl": ACL, "pattern": "198.18.0.9"}),
        )
        .await;
        let out = h
            .ok("show_acl", json!({"acl": ACL, "filter": "198.18."}))
            .await;
        assert!(patterns(&out).is_empty(), "{v}: {out}");
        let err = h
            .err(
                "del_acl_entry",
                json!({"acl": ACL, "pattern": "198.18.0.99"}),
            )
            .await;
        assert!(err.contains("Key not found."), "{v}: {err}");
        let err = h
            .err("add_acl_entry", json!({"acl": ACL, "pattern": "notanip"}))
            .await;
        assert!(
            err.contains("is not a valid IPv4 or IPv6 address"),
            "{v}: {err}"
        );
        let err = h
            .err(
                "add_acl_entry",
                json!({"acl": "#999", "pattern": "198.18.0.9"}),
            )
            .await;
        assert!(err.contains("Unknown ACL identifier"), "{v}: {err}");
    }
}

#[tokio::test]
async fn replace_and_clear_take_effect() {
    for v in versions() {
        let h = fresh(v).await;
        let id = map_id(v);
        let entries = json!([
            {"key": "app.example.com", "value": "be_app"},
            {"key": "api.example.com", "value": "be_api"},
            {"key": "edge.example.net", "value": "be_static"},
            {"key": "www.example.net", "value": "be_app"},
        ]);
        let r = h
            .call("replace_map", json!({"map": id, "entries": entries}))
            .await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["version"], 1, "{v}: {}", summary(&r));
        assert_eq!(out["entries"], 4);
        assert!(
            summary(&r).contains("committed atomically"),
            "{}",
            summary(&r)
        );
        let shown = pairs(&h.ok("show_map", json!({"map": id})).await);
        assert_eq!(shown.len(), 4, "{v}: {shown:?}");
        assert!(
            shown.contains(&kv("edge.example.net", "be_static")),
            "{v}: {shown:?}"
        );
        assert!(
            !shown.iter().any(|(k, _)| k == "static.example.com"),
            "{v}: {shown:?}"
        );

        let r = h
            .call(
                "replace_acl",
                json!({"acl": ACL, "patterns": ["192.0.2.1", "198.18.0.0/15", "203.0.113.0/24"]}),
            )
            .await;
        let out = r.structured_content.clone().unwrap();
        assert_eq!(out["version"], 1, "{v}: {}", summary(&r));
        assert_eq!(out["entries"], 3);
        let shown = patterns(&h.ok("show_acl", json!({"acl": ACL})).await);
        assert_eq!(
            shown,
            ["192.0.2.1", "198.18.0.0/15", "203.0.113.0/24"],
            "{v}"
        );
        let hit = h
            .ok("get_acl", json!({"acl": ACL, "value": "198.19.4.4"}))
            .await;
        assert_eq!(hit["matched"], true, "{v}: {hit}");

        // Refused before anything is prepared.
        let err = h
            .err(
                "replace_map",
                json!({"map": id, "entries": [{"key": "bad key", "value": "x"}]}),
            )
            .await;
        assert!(err.contains("cannot contain blanks"), "{err}");
        assert!(err.contains("Nothing was committed"), "{err}");

        let r = h.call("clear_map", json!({"map": id})).await;
        assert!(
            summary(&r).starts_with(&format!("[haproxy] Done: map {id} is now empty.")),
            "{v}: {}",
            summary(&r)
        );
        assert!(
            pairs(&h.ok("show_map", json!({"map": id})).await).is_empty(),
            "{v}"
        );
        h.ok("clear_acl", json!({"acl": ACL})).await;
        assert!(
            patterns(&h.ok("show_acl", json!({"acl": ACL})).await).is_empty(),
            "{v}"
        );
        let err = h.err("clear_map", json!({"map": "#999"})).await;
        assert!(err.contains("Unknown map identifier"), "{v}: {err}");
    }
}

#[tokio::test]
async fn hostile_values_are_refused_before_sending() {
    let h = fresh("3.2").await;
    for (tool, args) in [
        (
            "add_map_entry",
            json!({"map": "#6", "key": "a;b", "value": "x"}),
        ),
        (
            "add_map_entry",
            json!({"map": "#6", "key": "a", "value": "x\nshow info"}),
        ),
        (
            "set_map_entry",
            json!({"map": "#6", "key": "a", "value": "x\\"}),
        ),
        ("del_map_entry", json!({"map": "#6", "key": "a\rb"})),
        (
            "add_acl_entry",
            json!({"acl": "#0", "pattern": "1.2.3.4;clear acl #0"}),
        ),
        ("get_map", json!({"map": "#6", "value": "a\u{0}b"})),
        ("show_map", json!({"map": "hosts map"})),
        ("show_map", json!({"map": "@1"})),
        ("clear_acl", json!({"acl": "#x"})),
        (
            "replace_acl",
            json!({"acl": "#0", "patterns": ["1.2.3.4", "5.6.7.8\nclear acl #0"]}),
        ),
    ] {
        let err = h.err(tool, args.clone()).await;
        assert!(err.contains("Nothing was"), "{tool} {args}: {err}");
    }
}

#[tokio::test]
async fn annotations_are_truthful() {
    let tools = fresh("3.2").await.tools().await;
    for ro in ["show_map", "show_acl", "get_map", "get_acl"] {
        assert_hints(&tools, ro, true, false, false);
    }
    assert_hints(&tools, "add_map_entry", false, false, false);
    assert_hints(&tools, "set_map_entry", false, true, true);
    assert_hints(&tools, "del_map_entry", false, true, true);
    assert_hints(&tools, "add_acl_entry", false, false, false);
    assert_hints(&tools, "del_acl_entry", false, true, true);
    assert_hints(&tools, "clear_map", false, true, true);
    assert_hints(&tools, "clear_acl", false, true, true);
    assert_hints(&tools, "replace_map", false, true, true);
    assert_hints(&tools, "replace_acl", false, true, true);
}

/// The `key value` lines of a raw `show map`.
fn raw_map(live: &LiveHaproxy, name: &str) -> Vec<String> {
    live.raw(&format!("show map {name}"))
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.to_owned()))
        .collect()
}

#[tokio::test]
async fn live_map_changes_are_read_back() {
    let Some(live) = LiveHaproxy::start("live_map_changes_are_read_back").await else {
        return;
    };
    let hosts = live.conf_file("hosts.map");
    let h = McpHarness::live(live.admin_unix(), Settings::default()).await;
    let out = h.ok("show_map", json!({"map": hosts})).await;
    assert_eq!(pairs(&out).len(), 3);

    h.ok(
        "add_map_entry",
        json!({"map": hosts, "key": "new.example.com", "value": "be_api"}),
    )
    .await;
    assert!(raw_map(&live, &hosts).contains(&"new.example.com be_api".to_owned()));
    let out = h
        .ok("get_map", json!({"map": hosts, "value": "new.example.com"}))
        .await;
    assert_eq!(out["value"], "be_api");

    h.ok(
        "set_map_entry",
        json!({"map": hosts, "key": "new.example.com", "value": "a value with spaces"}),
    )
    .await;
    assert!(raw_map(&live, &hosts).contains(&"new.example.com a value with spaces".to_owned()));

    h.ok(
        "del_map_entry",
        json!({"map": hosts, "key": "new.example.com"}),
    )
    .await;
    assert!(
        !raw_map(&live, &hosts)
            .iter()
            .any(|l| l.starts_with("new.example.com"))
    );

    let r = h
        .call(
            "replace_map",
            json!({"map": hosts, "entries": [
                {"key": "a.example.com", "value": "be_app"},
                {"key": "b.example.com", "value": "be api spaced"},
            ]}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", summary(&r));
    assert_eq!(
        raw_map(&live, &hosts),
        ["a.example.com be_app", "b.example.com be api spaced"]
    );
    // All or nothing: one bad entry and the map keeps exactly what it had.
    let err = h
        .err(
            "replace_map",
            json!({"map": hosts, "entries": [
                {"key": "ok.example.com", "value": "x"},
                {"key": "bad\nkey", "value": "y"},
            ]}),
        )
        .await;
    assert!(err.contains("Nothing was committed"), "{err}");
    assert_eq!(raw_map(&live, &hosts).len(), 2);

    h.ok("clear_map", json!({"map": hosts})).await;
    assert!(raw_map(&live, &hosts).is_empty());

    let err = h.err("show_map", json!({"map": "/nope.map"})).await;
    assert!(err.contains("Unknown map identifier"), "{err}");
    assert!(err.contains(&format!("({hosts})")), "{err}");
}

#[tokio::test]
async fn live_acl_changes_are_read_back() {
    let Some(live) = LiveHaproxy::start("live_acl_changes_are_read_back").await else {
        return;
    };
    let acl = live.conf_file("blocked.acl");
    let raw = |live: &LiveHaproxy| {
        live.raw(&format!("show acl {acl}"))
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(_, p)| p.to_owned()))
            .collect::<Vec<_>>()
    };
    let h = McpHarness::live(live.admin_unix(), Settings::default()).await;
    h.ok(
        "add_acl_entry",
        json!({"acl": acl, "pattern": "203.0.113.9"}),
    )
    .await;
    assert!(raw(&live).contains(&"203.0.113.9".to_owned()));
    let out = h
        .ok("get_acl", json!({"acl": acl, "value": "203.0.113.9"}))
        .await;
    assert_eq!(out["matched"], true);
    h.ok(
        "del_acl_entry",
        json!({"acl": acl, "pattern": "203.0.113.9"}),
    )
    .await;
    assert_eq!(raw(&live), ["192.0.2.1", "198.51.100.0/24"]);

    h.ok(
        "replace_acl",
        json!({"acl": acl, "patterns": ["10.9.9.9", "10.8.0.0/16"]}),
    )
    .await;
    assert_eq!(raw(&live), ["10.9.9.9", "10.8.0.0/16"]);
    // HAProxy refuses the second pattern: nothing is committed.
    let err = h
        .err(
            "replace_acl",
            json!({"acl": acl, "patterns": ["10.1.1.1", "notanip"]}),
        )
        .await;
    assert!(err.contains("is not a valid"), "{err}");
    assert!(err.contains("Nothing was committed"), "{err}");
    assert_eq!(raw(&live), ["10.9.9.9", "10.8.0.0/16"]);

    h.ok("clear_acl", json!({"acl": acl})).await;
    assert!(raw(&live).is_empty());
}
