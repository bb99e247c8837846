//! A fleet of targets: groups read from a watched file (members join and leave without a
//! restart; a broken file keeps the last good members and says so), selections by group, label
//! or `*`, and fleet reads (health_summary, list_targets) that answer for every reachable target
//! and name the ones that failed. The targets are in-process model emulators, plus sockets
//! nobody listens on.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use haproxy_mcp_server::config::{GroupConfig, GroupSource};
use haproxy_mcp_server::discovery::Discovery;
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint};
use haproxy_mcp_server::mcp::{Settings, Target, Targets};
use serde_json::{Value, json};
use support::mcp::{McpHarness, emulator_endpoint, summary, target};

/// One member line of a group file.
fn member(name: &str, socket: &Path, labels: &str) -> String {
    format!(
        "[[targets]]\nname = \"{name}\"\nmode = \"unix\"\nsocket = \"{}\"\nlabels = {{ {labels} }}\n",
        socket.display()
    )
}

/// A fleet: one static emulated target `hq`, and a group `edge` read from `edge.toml` in a
/// fresh folder, which holds emulator sockets `e1`…`e3` (3.2, 2.6, 3.4).
struct Fleet {
    h: McpHarness,
    discovery: Discovery,
    dir: std::path::PathBuf,
    file: std::path::PathBuf,
}

impl Fleet {
    async fn start(first_file: impl Fn(&Path) -> String, refresh: Duration) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("fl")
            .tempdir_in("/tmp")
            .unwrap();
        let dir = tmp.path().to_owned();
        let mut handles = Vec::new();
        let (hq, h) = emulator_endpoint("3.2", &dir, "hq").await;
        handles.push(h);
        for (name, version) in [("e1", "3.2"), ("e2", "2.6"), ("e3", "3.4")] {
            handles.push(emulator_endpoint(version, &dir, name).await.1);
        }
        let file = dir.join("edge.toml");
        std::fs::write(&file, first_file(&dir)).unwrap();
        let group = GroupConfig {
            name: "edge".into(),
            source: GroupSource::File(file.clone()),
            labels: BTreeMap::from([("tier".into(), "edge".into())]),
            read_only: false,
            refresh,
        };
        let targets = Targets::with_groups(
            vec![target("hq", hq, &Settings::default(), true)],
            Some("hq"),
            vec![(group.name.clone(), group.source.to_string())],
        )
        .unwrap();
        let discovery =
            Discovery::start(vec![group], targets.clone(), ClientOptions::default()).await;
        let h = McpHarness::start(targets, Settings::default(), handles, tmp).await;
        Self {
            h,
            discovery,
            dir,
            file,
        }
    }

    fn sock(&self, name: &str) -> std::path::PathBuf {
        self.dir.join(format!("{name}.sock"))
    }

    async fn names(&self, selection: &str) -> Vec<String> {
        let out = self
            .h
            .ok("list_targets", json!({"target": selection, "limit": 100}))
            .await;
        let mut names: Vec<String> = out["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Waits (bounded) until `selection` lists exactly `want`.
    async fn wait_for(&self, selection: &str, want: &[&str]) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let names = self.names(selection).await;
            if names == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{selection}: still {names:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn edge(out: &Value) -> &Value {
    out["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "edge")
        .unwrap()
}

#[tokio::test]
async fn a_watched_group_file_adds_and_removes_targets_without_a_restart() {
    let f = Fleet::start(
        |d| {
            member("e1", &d.join("e1.sock"), "site = \"par\"")
                + &member("e2", &d.join("e2.sock"), "site = \"ams\"")
        },
        Duration::from_millis(200),
    )
    .await;
    // Read at start: the first call already sees the members.
    assert_eq!(f.names("*").await, ["e1", "e2", "hq"]);
    assert_eq!(f.names("group:edge").await, ["e1", "e2"]);
    assert_eq!(f.names("tier=edge,site=ams").await, ["e2"]);
    let out = f.h.ok("echo", json!({"target": "e2", "text": "hi"})).await;
    assert_eq!(
        out["method"], "show_version",
        "e2 is the 2.6 emulator: {out}"
    );

    // A member added and one removed: picked up on the next refresh.
    std::fs::write(
        &f.file,
        member("e2", &f.sock("e2"), "site = \"ams\"") + &member("e3", &f.sock("e3"), ""),
    )
    .unwrap();
    f.wait_for("group:edge", &["e2", "e3"]).await;
    let err = f.h.err("show_info", json!({"target": "e1"})).await;
    assert!(err.contains("There is no target named \"e1\""), "{err}");
    let out = f.h.ok("show_info", json!({"target": "e3"})).await;
    assert!(out["version"].as_str().unwrap().starts_with("3.4"), "{out}");

    // A broken file keeps the last good members, and list_targets says why.
    std::fs::write(&f.file, "[[targets]]\nname = \"e4\"\nmode = \"tcp4\"\n").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let r = loop {
        let r =
            f.h.call("list_targets", json!({"target": "group:edge"}))
                .await;
        let out = r.structured_content.clone().unwrap();
        if !edge(&out)["error"].is_null() {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the error never showed: {out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let out = r.structured_content.clone().unwrap();
    let error = edge(&out)["error"].as_str().unwrap();
    assert!(error.contains("targets[0].host/port"), "{error}");
    assert_eq!(edge(&out)["members"], 2, "{out}");
    assert!(
        summary(&r).contains("Group edge could not be re-read"),
        "{}",
        summary(&r)
    );
    assert_eq!(f.names("group:edge").await, ["e2", "e3"]);

    // A member named like another target is refused as a whole: no half group.
    std::fs::write(
        &f.file,
        member("hq", &f.sock("e1"), "") + &member("e1", &f.sock("e1"), ""),
    )
    .unwrap();
    f.discovery.reread();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(f.names("group:edge").await, ["e2", "e3"]);
    let out =
        f.h.ok("list_targets", json!({"target": "group:edge"}))
            .await;
    assert!(
        edge(&out)["error"]
            .as_str()
            .unwrap()
            .contains("\"hq\" is already used"),
        "{out}"
    );

    // Fixed: the error clears and the group follows the file again.
    std::fs::write(&f.file, member("e1", &f.sock("e1"), "")).unwrap();
    f.wait_for("group:edge", &["e1"]).await;
    let out =
        f.h.ok("list_targets", json!({"target": "group:edge"}))
            .await;
    assert!(edge(&out)["error"].is_null(), "{out}");
}

#[tokio::test]
async fn sighup_style_reread_applies_a_change_before_the_refresh() {
    let f = Fleet::start(
        |d| member("e1", &d.join("e1.sock"), ""),
        Duration::from_secs(3600),
    )
    .await;
    assert_eq!(f.names("group:edge").await, ["e1"]);
    std::fs::write(&f.file, member("e3", &f.sock("e3"), "")).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        f.names("group:edge").await,
        ["e1"],
        "not before the refresh"
    );
    f.discovery.reread();
    f.wait_for("group:edge", &["e3"]).await;
}

#[tokio::test]
async fn fleet_health_summary_answers_for_every_target_and_names_the_failures() {
    let f = Fleet::start(
        |d| {
            member("e1", &d.join("e1.sock"), "site = \"par\"")
                + &member("e2", &d.join("e2.sock"), "site = \"par\"")
                + &member("e3", &d.join("e3.sock"), "site = \"ams\"")
                + &member("gone", &d.join("nobody.sock"), "site = \"par\"")
        },
        Duration::from_secs(3600),
    )
    .await;
    let r =
        f.h.call(
            "health_summary",
            json!({"target": "group:edge", "window_secs": 0}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", summary(&r));
    let out = r.structured_content.clone().unwrap();
    let fleet = &out["fleet"];
    assert_eq!(fleet["targets"], 4, "{out}");
    assert_eq!(fleet["failed"], 1, "{out}");
    let members = fleet["members"].as_array().unwrap();
    let of = |name: &str| members.iter().find(|m| m["target"] == name).unwrap();
    assert_eq!(of("gone")["verdict"], "failed");
    assert!(
        of("gone")["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{out}"
    );
    // Each answering member says what health_summary on that target alone says.
    let mut sum = 0;
    for name in ["e1", "e2", "e3"] {
        let alone =
            f.h.ok("health_summary", json!({"target": name, "window_secs": 0}))
                .await;
        let n = alone["backends_with_problems"].as_u64().unwrap();
        sum += n;
        assert_eq!(of(name)["backends_with_problems"], n, "{name}: {out}");
        let troubled = n > 0
            || alone["frontends_with_problems"].as_u64().unwrap() > 0
            || !alone["dns_and_peers"].as_array().unwrap().is_empty()
            || !alone["certificates"].as_array().unwrap().is_empty();
        assert_eq!(
            of(name)["verdict"],
            if troubled { "problems" } else { "healthy" },
            "{name}: {out}"
        );
        // Its first problem, worded as the single-target answer words it.
        if let Some(b) = alone["backends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| !b["problems"].as_array().unwrap().is_empty())
        {
            let problems: Vec<&str> = b["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(
                of(name)["problems"][0],
                format!("{}: {}", b["name"].as_str().unwrap(), problems.join("; ")),
                "{name}: {out}"
            );
        }
    }
    assert_eq!(out["backends_with_problems"], sum, "{out}");
    // The verdict leads: troubled targets named, then the one that did not answer.
    let s = summary(&r);
    assert!(s.starts_with("[group edge] "), "{s}");
    assert!(s.contains("e2 (be_app: 1 of 5 servers DOWN: app4"), "{s}");
    assert!(s.contains("1 did not answer: gone (cannot connect"), "{s}");
    // Problems first, failures next, healthy last.
    let rank = |m: &Value| match m["verdict"].as_str().unwrap() {
        "problems" => 0,
        "failed" => 1,
        _ => 2,
    };
    assert!(
        members.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{out}"
    );

    // A label selection reads only those targets.
    let out =
        f.h.ok(
            "health_summary",
            json!({"target": "site=ams", "window_secs": 0}),
        )
        .await;
    assert_eq!(out["fleet"]["targets"], 1, "{out}");
    assert_eq!(out["fleet"]["members"][0]["target"], "e3", "{out}");
    // A selection matching nothing says so.
    let r =
        f.h.call("health_summary", json!({"target": "site=nowhere"}))
            .await;
    assert!(
        summary(&r).contains("No target is selected"),
        "{}",
        summary(&r)
    );
    // One-target tools refuse a selection, and say where it works.
    let err = f.h.err("show_info", json!({"target": "group:edge"})).await;
    assert!(err.contains("selects several targets"), "{err}");
    assert!(err.contains("health_summary"), "{err}");
    // Unknown group.
    let err =
        f.h.err("health_summary", json!({"target": "group:core"}))
            .await;
    assert!(err.contains("no target group named \"core\""), "{err}");
}

#[test]
fn targets_without_groups_still_need_one() {
    assert!(Targets::new(Vec::<Target>::new(), None).is_err());
    let t = Targets::with_groups(Vec::new(), None, vec![("g".into(), "file x".into())]).unwrap();
    assert!(t.all().is_empty());
}

/// The binary: a group from `--config`, re-read on SIGHUP (the refresh is an hour), so the
/// signal alone brings the change in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rereads_its_groups_on_sighup() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let tmp = tempfile::Builder::new()
        .prefix("fh")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = tmp.path();
    let _e1 = emulator_endpoint("3.2", dir, "e1").await.1;
    let _e3 = emulator_endpoint("2.6", dir, "e3").await.1;
    let members = dir.join("edge.toml");
    std::fs::write(&members, member("e1", &dir.join("e1.sock"), "")).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[target_groups]]\nname = \"edge\"\nfile = \"{}\"\nrefresh_secs = 3600\n",
            members.display()
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_haproxy-mcp-server"))
        .arg("--config")
        .arg(&config)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut id = 0;
    let mut send = async |method: &str, params: Value| -> Value {
        id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        stdin
            .write_all(format!("{msg}\n").as_bytes())
            .await
            .unwrap();
        if method == "initialize" {
            let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
            stdin
                .write_all(format!("{note}\n").as_bytes())
                .await
                .unwrap();
        }
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
                .await
                .expect("an answer within 10 s")
                .unwrap()
                .expect("the server is running");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                return v;
            }
        }
    };
    send(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    )
    .await;
    let list = json!({"name": "list_targets", "arguments": {"target": "group:edge"}});
    let first = send("tools/call", list.clone()).await;
    let targets = &first["result"]["structuredContent"]["targets"];
    assert_eq!(targets.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(targets[0]["name"], "e1", "{first}");

    std::fs::write(&members, member("e3", &dir.join("e3.sock"), "")).unwrap();
    let pid = child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = send("tools/call", list.clone()).await;
        let targets = &r["result"]["structuredContent"]["targets"];
        if targets.as_array().unwrap().len() == 1 && targets[0]["name"] == "e3" {
            assert_eq!(targets[0]["group"], "edge", "{r}");
            assert!(
                targets[0]["version"].as_str().unwrap().starts_with("2.6"),
                "{r}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "SIGHUP did not re-read: {r}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(stdin);
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

/// A fleet with a real HAProxy in it (native, or the container of `HAPROXY_LIVE_IMAGE`), an
/// emulator and a socket nobody listens on: the live member's line says what health_summary on
/// that HAProxy alone says, and list_targets reports HAProxy's own version for it.
#[tokio::test]
async fn a_fleet_with_live_haproxy_reports_its_own_verdict() {
    let Some(live) =
        support::LiveHaproxy::start("a_fleet_with_live_haproxy_reports_its_own_verdict").await
    else {
        return;
    };
    let tmp = tempfile::Builder::new()
        .prefix("fv")
        .tempdir_in("/tmp")
        .unwrap();
    let (emu, handle) = emulator_endpoint("3.2", tmp.path(), "emu").await;
    let settings = Settings::default();
    let targets = Targets::with_groups(
        Vec::new(),
        None,
        vec![("mixed".into(), "file (test)".into())],
    )
    .unwrap();
    targets.update_group(
        "mixed",
        Ok(vec![
            target("live", live.admin_tcp(), &settings, false),
            target("emu", emu, &settings, true),
            target(
                "gone",
                Endpoint::unix(tmp.path().join("gone.sock")),
                &settings,
                false,
            ),
        ]),
    );
    let h = McpHarness::start(targets, settings, vec![handle], tmp).await;
    // Live traffic (its agent and health checks) can change a verdict between two reads: the
    // fleet's line must match the target read alone just before or just after.
    let alone = || {
        h.ok(
            "health_summary",
            json!({"target": "live", "window_secs": 0}),
        )
    };
    let before = alone().await;
    let out = h
        .ok(
            "health_summary",
            json!({"target": "group:mixed", "window_secs": 0}),
        )
        .await;
    let after = alone().await;
    let members = out["fleet"]["members"].as_array().unwrap();
    let of = |name: &str| members.iter().find(|m| m["target"] == name).unwrap();
    for field in ["backends_with_problems", "frontends_with_problems"] {
        let seen = &of("live")[field];
        assert!(
            *seen == before[field] || *seen == after[field],
            "{field}: {out}\nbefore: {before}\nafter: {after}"
        );
    }
    assert_eq!(of("gone")["verdict"], "failed", "{out}");
    assert_eq!(out["fleet"]["failed"], 1, "{out}");
    let listed = h.ok("list_targets", json!({"target": "*"})).await;
    let live_row = listed["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "live")
        .unwrap()
        .clone();
    let info = live.raw("show info");
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .unwrap()
        .trim();
    assert_eq!(live_row["version"], version, "{listed}");
    assert_eq!(live_row["group"], "mixed", "{listed}");

    // A rolling change: applied on the live HAProxy and the emulator, stopped at `gone`.
    let err = h
        .err(
            "rolling_change",
            json!({"target": "group:mixed", "tool": "set_weight",
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 17}}),
        )
        .await;
    assert!(err.contains("CHANGED (2): live ("), "{err}");
    assert!(err.contains("Failed on gone: "), "{err}");
    let weight = live.raw("get weight be_app/app1");
    assert!(weight.starts_with("17 "), "HAProxy's own answer: {weight}");
}

/// Two HAProxy of configurations unlike the capture's in one group: `lb-a` with a pool whose
/// server on a closed port is DOWN (fast checks), a server tracking it and a template slot;
/// `lb-b` healthy (its one server checks its own frontend). By HAProxy's own `show stat`, the
/// fleet's verdicts are right: `lb-a` has problems and names the pool, `lb-b` is healthy.
#[tokio::test]
async fn a_fleet_of_unfamiliar_haproxys_gets_each_ones_own_verdict() {
    const TEST: &str = "a_fleet_of_unfamiliar_haproxys_gets_each_ones_own_verdict";
    let defaults = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n";
    let (a_fe, b_fe) = (support::free_port(), support::free_port());
    let a = format!(
        "{defaults}frontend www\n    bind 127.0.0.1:{a_fe}\n    http-request return status 200 if {{ path /ok }}\n    default_backend pool_x\n\n\
         backend pool_x\n    balance leastconn\n    option httpchk GET /ok\n    default-server inter 100ms fall 1 rise 1\n    \
         server up1 127.0.0.1:{a_fe} check\n    server dead1 127.0.0.1:1 check\n    \
         server follower 127.0.0.1:{a_fe} track pool_x/dead1\n    \
         server-template slot 2 127.0.0.1:{a_fe} disabled\n"
    );
    let b = format!(
        "{defaults}frontend edge_in\n    bind 127.0.0.1:{b_fe}\n    http-request return status 204 if {{ path /hc }}\n    default_backend origin\n\n\
         backend origin\n    option httpchk GET /hc\n    server o1 127.0.0.1:{b_fe} check inter 100ms rise 1\n"
    );
    let Some(lb_a) = support::ConfiguredHaproxy::start(TEST, &a).await else {
        return;
    };
    let Some(lb_b) = support::ConfiguredHaproxy::start(TEST, &b).await else {
        return;
    };
    // HAProxy's own reading first: dead1 (and its follower) DOWN on lb-a, o1 UP on lb-b.
    let status = |hap: &support::ConfiguredHaproxy, backend: &str, server: &str| -> String {
        let stat = hap.raw(&format!("show stat {backend} 4 -1"));
        let header: Vec<&str> = stat.lines().next().unwrap_or("").split(',').collect();
        let col = header.iter().position(|c| *c == "status").unwrap();
        stat.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|c| c.len() > col && c[1] == server)
            .map(|c| c[col].to_owned())
            .unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(status(&lb_a, "pool_x", "dead1").starts_with("DOWN")
        && status(&lb_a, "pool_x", "up1").starts_with("UP")
        && status(&lb_b, "origin", "o1").starts_with("UP"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the checks did not settle: dead1 {}, up1 {}, o1 {}",
            status(&lb_a, "pool_x", "dead1"),
            status(&lb_a, "pool_x", "up1"),
            status(&lb_b, "origin", "o1")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(status(&lb_a, "pool_x", "follower").starts_with("DOWN"));

    let tmp = tempfile::Builder::new()
        .prefix("fu")
        .tempdir_in("/tmp")
        .unwrap();
    let settings = Settings::default();
    let targets =
        Targets::with_groups(Vec::new(), None, vec![("lbs".into(), "file (test)".into())]).unwrap();
    targets.update_group(
        "lbs",
        Ok(vec![
            target("lb-a", lb_a.admin_tcp(), &settings, false),
            target("lb-b", lb_b.admin_tcp(), &settings, false),
        ]),
    );
    let h = McpHarness::start(targets, settings, Vec::new(), tmp).await;
    let r = h
        .call(
            "health_summary",
            json!({"target": "group:lbs", "window_secs": 0}),
        )
        .await;
    assert_ne!(r.is_error, Some(true), "{}", summary(&r));
    let out = r.structured_content.clone().unwrap();
    let members = out["fleet"]["members"].as_array().unwrap();
    let of = |name: &str| members.iter().find(|m| m["target"] == name).unwrap();
    assert_eq!(out["fleet"]["targets"], 2, "{out}");
    assert_eq!(out["fleet"]["with_problems"], 1, "{out}");
    assert_eq!(out["fleet"]["failed"], 0, "{out}");
    assert_eq!(of("lb-a")["verdict"], "problems", "{out}");
    assert_eq!(of("lb-a")["backends_with_problems"], 1, "{out}");
    let first = of("lb-a")["problems"][0].as_str().unwrap_or("");
    assert!(first.contains("pool_x"), "names the pool: {out}");
    assert_eq!(of("lb-b")["verdict"], "healthy", "{out}");
    let s = summary(&r);
    assert!(
        s.starts_with("[group lbs] 1 of 2 target(s) have problems: lb-a (pool_x"),
        "the verdict leads: {s}"
    );
    // Each line is what health_summary on that HAProxy alone says.
    for name in ["lb-a", "lb-b"] {
        let alone = h
            .ok("health_summary", json!({"target": name, "window_secs": 0}))
            .await;
        assert_eq!(
            of(name)["backends_with_problems"],
            alone["backends_with_problems"],
            "{name}: {out}\nalone: {alone}"
        );
    }
}

/// A group of four emulated targets (`r1`…`r4`) with `r3` a socket nobody listens on, audited
/// to a file.
async fn rolling_fleet(dir: &Path) -> (McpHarness, std::path::PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("rf")
        .tempdir_in("/tmp")
        .unwrap();
    let audit = dir.join("audit.jsonl");
    let settings = Settings {
        audit: haproxy_mcp_server::mcp::audit::AuditLog::file(&audit).unwrap(),
        ..Settings::default()
    };
    let mut handles = Vec::new();
    let mut members = Vec::new();
    for (name, version) in [("r1", "3.2"), ("r2", "2.6"), ("r3", ""), ("r4", "3.4")] {
        let endpoint = if version.is_empty() {
            Endpoint::unix(tmp.path().join("nobody.sock"))
        } else {
            let (e, h) = emulator_endpoint(version, tmp.path(), name).await;
            handles.push(h);
            e
        };
        members.push(target(name, endpoint, &settings, !version.is_empty()));
    }
    let targets =
        Targets::with_groups(Vec::new(), None, vec![("web".into(), "file (test)".into())]).unwrap();
    targets.update_group("web", Ok(members));
    (
        McpHarness::start(targets, settings, handles, tmp).await,
        audit,
    )
}

async fn weight(h: &McpHarness, target: &str) -> Value {
    let out = h
        .ok(
            "get_server",
            json!({"target": target, "backend": "be_app", "server": "app1"}),
        )
        .await;
    out["server"]["weight"].clone()
}

#[tokio::test]
async fn a_rolling_change_that_fails_on_the_third_target_says_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (h, audit) = rolling_fleet(dir.path()).await;
    let before = weight(&h, "r4").await;
    let err = h
        .err(
            "rolling_change",
            json!({"target": "group:web", "tool": "set_weight",
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 7}}),
        )
        .await;
    // The first two changed (HAProxy's own read-back says so), the fourth untouched.
    assert_eq!(weight(&h, "r1").await, 7);
    assert_eq!(weight(&h, "r2").await, 7);
    assert_eq!(weight(&h, "r4").await, before, "r4 was not touched");
    assert!(
        err.starts_with(
            "[group web] set_weight STOPPED at the first failure. Failed on r3: cannot connect"
        ),
        "{err}"
    );
    assert!(err.contains("cannot connect"), "{err}");
    assert!(err.contains("CHANGED (2): r1 ("), "{err}");
    assert!(err.contains("; r2 ("), "{err}");
    assert!(err.contains("NOT TOUCHED (1): r4."), "{err}");
    // Audited per target, as calls of their own, besides the rollout itself.
    let log = std::fs::read_to_string(&audit).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["tool"] == "set_weight")
        .map(|r| {
            (
                r["target"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [("r1", "ok"), ("r2", "ok"), ("r3", "error")],
        "{log}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["tool"] == "rolling_change" && r["outcome"] == "error"),
        "{log}"
    );
}

#[tokio::test]
async fn a_rolling_change_applies_everywhere_in_batches_or_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _audit) = rolling_fleet(dir.path()).await;
    // Bad arguments fail on the first target: nothing changed anywhere.
    let err = h
        .err(
            "rolling_change",
            json!({"target": "group:web", "tool": "set_weight",
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 999}}),
        )
        .await;
    assert!(err.contains("Failed on r1: "), "{err}");
    assert!(err.contains("weight"), "names the argument: {err}");
    assert!(err.contains("No target was changed."), "{err}");
    assert!(err.contains("NOT TOUCHED (3): r2, r3, r4."), "{err}");
    for t in ["r1", "r2", "r4"] {
        assert_ne!(weight(&h, t).await, 999);
    }
    // Refusals before anything is sent.
    let err = h
        .err(
            "rolling_change",
            json!({"target": "group:web", "tool": "set_weight",
                   "arguments": {"target": "r1", "backend": "be_app", "server": "app1", "weight": 5}}),
        )
        .await;
    assert!(err.contains("must not name a target"), "{err}");
    let err = h
        .err(
            "rolling_change",
            json!({"target": "site=none", "tool": "set_weight",
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 5}}),
        )
        .await;
    assert!(err.contains("selects no target"), "{err}");
    // Without the unreachable one (a label selection), two at a time: all changed.
    let r = h
        .call(
            "rolling_change",
            json!({"target": "*", "tool": "set_weight", "batch": 2,
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 9}}),
        )
        .await;
    assert_eq!(r.is_error, Some(true), "r3 is unreachable: {}", summary(&r));
    // r3 and r4 ran together: r4 changed, r3 failed, nothing was left.
    let s = summary(&r);
    assert!(s.contains("Failed on r3: cannot connect"), "{s}");
    assert!(
        s.contains("CHANGED (3): r1 (be_app/app1 weight 1 -> 9"),
        "{s}"
    );
    assert!(s.contains("No target was left untouched."), "{s}");
    assert_eq!(weight(&h, "r4").await, 9, "r4 was in r3's batch");
    // On the reachable ones only (a name selects one): applied, and said so.
    let out = h
        .ok(
            "rolling_change",
            json!({"target": "r2", "tool": "set_weight",
                   "arguments": {"backend": "be_app", "server": "app1", "weight": 3}}),
        )
        .await;
    assert_eq!(out["changed"][0]["target"], "r2", "{out}");
    assert_eq!(weight(&h, "r2").await, 3, "{out}");
}

/// An emulator of `version` on a TCP port of 127.0.0.1 (SRV records name host and port).
async fn tcp_emulator(version: &str) -> (u16, haproxy_emulator::ServerHandle) {
    let emu = haproxy_emulator::Emulator::load_engine(
        support::mcp::fixtures(version),
        haproxy_emulator::Options::default(),
        haproxy_emulator::Engine::Model,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, emu.serve_tcp(listener))
}

/// dnsmasq answering `_haproxy._tcp.fleet.test` with one SRV record per `(host, port)`, each host
/// at 127.0.0.1, with a TTL of 1 s.
fn srv_server(
    test: &str,
    records: &[(&str, u16)],
    port: Option<u16>,
) -> Option<support::DnsServer> {
    let mut extra = vec!["--local-ttl=1".to_owned(), "--auth-ttl=1".to_owned()];
    for (host, p) in records {
        extra.push(format!("--host-record={host}.fleet.test,127.0.0.1"));
        extra.push(format!(
            "--srv-host=_haproxy._tcp.fleet.test,{host}.fleet.test,{p}"
        ));
    }
    support::DnsServer::start_with(test, "", &extra, port)
}

/// A group read from DNS SRV records served by a real DNS server (dnsmasq): the members are the
/// records' targets, reached over TCP; when the records change, the group follows after their
/// TTL, without a restart; when the DNS server stops answering, the last good members stay and
/// the group says why.
#[tokio::test]
async fn a_group_follows_dns_srv_records() {
    const TEST: &str = "a_group_follows_dns_srv_records";
    let (p1, _e1) = tcp_emulator("3.2").await;
    let (p2, _e2) = tcp_emulator("2.6").await;
    let (p3, _e3) = tcp_emulator("3.4").await;
    let Some(dns) = srv_server(TEST, &[("e1", p1), ("e2", p2)], None) else {
        return;
    };
    let group = GroupConfig {
        name: "dns".into(),
        source: GroupSource::Srv {
            name: "_haproxy._tcp.fleet.test".into(),
            server: Some(std::net::SocketAddr::from(([127, 0, 0, 1], dns.port))),
        },
        labels: BTreeMap::from([("from".into(), "srv".into())]),
        read_only: false,
        refresh: Duration::from_millis(500),
    };
    let targets = Targets::with_groups(
        Vec::new(),
        None,
        vec![(group.name.clone(), group.source.to_string())],
    )
    .unwrap();
    let _discovery = Discovery::start(vec![group], targets.clone(), ClientOptions::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let h = McpHarness::start(targets, Settings::default(), Vec::new(), tmp).await;
    let names = async |h: &McpHarness| -> Vec<String> {
        let out = h.ok("list_targets", json!({"target": "from=srv"})).await;
        let mut n: Vec<String> = out["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&h).await, ["e1.fleet.test", "e2.fleet.test"]);
    let out = h.ok("list_targets", json!({"target": "group:dns"})).await;
    let e2 = out["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "e2.fleet.test")
        .unwrap();
    assert_eq!(e2["endpoint"], format!("tcp://127.0.0.1:{p2}"), "{out}");
    assert!(e2["version"].as_str().unwrap().starts_with("2.6"), "{out}");
    assert!(
        out["groups"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("DNS SRV _haproxy._tcp.fleet.test"),
        "{out}"
    );

    // New records (e1 gone, e3 added) on the same DNS server address: followed after the TTL.
    let port = dns.port;
    drop(dns);
    let dns = srv_server(TEST, &[("e2", p2), ("e3", p3)], Some(port)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while names(&h).await != ["e2.fleet.test", "e3.fleet.test"] {
        assert!(
            std::time::Instant::now() < deadline,
            "still {:?}",
            names(&h).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = h
        .ok(
            "health_summary",
            json!({"target": "group:dns", "window_secs": 0}),
        )
        .await;
    assert_eq!(out["fleet"]["targets"], 2, "{out}");
    assert_eq!(out["fleet"]["failed"], 0, "{out}");

    // The DNS server stops answering: the last good members stay, and the group says why.
    drop(dns);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let out = loop {
        let out = h.ok("list_targets", json!({"target": "group:dns"})).await;
        if !out["groups"][0]["error"].is_null() {
            break out;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no error shown: {out}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        out["groups"][0]["error"]
            .as_str()
            .unwrap()
            .contains("DNS SRV lookup of _haproxy._tcp.fleet.test. failed"),
        "{out}"
    );
    assert_eq!(out["groups"][0]["members"], 2, "{out}");
    assert_eq!(names(&h).await, ["e2.fleet.test", "e3.fleet.test"]);
}

/// The answer budget holds for a fleet of 500: health_summary and list_targets over every target
/// (450 emulated, 50 dead sockets) each fit 4 KiB as the model reads them (every text block),
/// and still name the targets that failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_answers_fit_4_kib_at_500_targets() {
    const ANSWER_BUDGET: usize = 4 * 1024;
    let tmp = tempfile::Builder::new()
        .prefix("f5")
        .tempdir_in("/tmp")
        .unwrap();
    let (emu, handle) = emulator_endpoint("3.2", tmp.path(), "one").await;
    let settings = Settings::default();
    let members: Vec<Target> = (0..500)
        .map(|i| {
            let endpoint = if i % 10 == 9 {
                Endpoint::unix(tmp.path().join(format!("dead{i}.sock")))
            } else {
                emu.clone()
            };
            target(&format!("lb{i:03}"), endpoint, &settings, true)
        })
        .collect();
    let targets =
        Targets::with_groups(Vec::new(), None, vec![("all".into(), "file (test)".into())]).unwrap();
    targets.update_group("all", Ok(members));
    let h = McpHarness::start(targets, settings, vec![handle], tmp).await;
    for (tool, args) in [
        ("health_summary", json!({"target": "*", "window_secs": 0})),
        ("list_targets", json!({"target": "*"})),
    ] {
        let r = h.call(tool, args).await;
        assert_ne!(r.is_error, Some(true), "{tool}: {}", summary(&r));
        let text: usize = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.len()))
            .sum();
        eprintln!("{tool} over 500 targets: {text} bytes: {}", summary(&r));
        assert!(text <= ANSWER_BUDGET, "{tool}: {text} bytes");
        let s = summary(&r);
        assert!(s.contains("lb009"), "{tool} names a dead target: {s}");
    }
    let out = h
        .ok("health_summary", json!({"target": "*", "window_secs": 0}))
        .await;
    assert_eq!(out["fleet"]["targets"], 500);
    assert_eq!(
        out["fleet"]["failed"], 50,
        "{}",
        out["fleet"]["members_shown"]
    );
}
