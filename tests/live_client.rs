//! Every `RuntimeClient` method against a live HAProxy child process (the capture configuration
//! in a temp dir), over its admin TCP socket, its admin Unix socket, its user-level socket and its
//! master CLI. Each change is checked by reading HAProxy's state back with a raw command that does
//! not go through the code under test.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use haproxy_mcp_server::haproxy::command::args::{
    MapName, ProxyName, ServerAddress, ServerRef, SessionId, TableName, TlsFileName, Weight,
};
use haproxy_mcp_server::haproxy::command::{
    AddServerOptions, AgentState, Command, HealthState, ListKind, ServerAdminState, StatFilter,
    TableFilter,
};
use haproxy_mcp_server::haproxy::parse::cli_level::CliLevel;
use haproxy_mcp_server::haproxy::{
    ClientOptions, Endpoint, RefusalKind, RuntimeClient, RuntimeError,
};
use support::LiveHaproxy;

fn srv(b: &str, s: &str) -> ServerRef {
    ServerRef::new(b, s).unwrap()
}

/// The raw `show servers state` row of one server, split into its columns.
fn state_row(live: &LiveHaproxy, backend: &str, server: &str) -> Option<Vec<String>> {
    live.raw(&format!("show servers state {backend}"))
        .lines()
        .map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .find(|cols| cols.len() > 6 && cols[1] == backend && cols[3] == server)
}

/// Column 6 of a servers-state row: the admin-state bitmask.
fn admin_bits(live: &LiveHaproxy, backend: &str, server: &str) -> u32 {
    state_row(live, backend, server).expect("server exists")[6]
        .parse()
        .unwrap()
}

fn map_file(live: &LiveHaproxy, name: &str) -> MapName {
    MapName::new(live.conf_file(name)).unwrap()
}

/// Everything a hostile argument could change, read raw.
fn snapshot(live: &LiveHaproxy) -> String {
    let hosts = live.conf_file("hosts.map");
    let acl = live.conf_file("blocked.acl");
    let mut s = String::new();
    for cmd in [
        "show servers state".to_owned(),
        format!("show map {hosts}"),
        format!("show acl {acl}"),
        "show table st_clients".to_owned(),
        "show map".to_owned(),
        "show acl".to_owned(),
    ] {
        let reply = live.raw(&cmd);
        // Health checks keep running: blank what they move on their own (time since last
        // change, check status/result/health) and the "check in progress" bit of the check and
        // agent states. Everything an operator command sets stays compared.
        let stable: Vec<String> = reply
            .lines()
            .map(|l| {
                let mut cols: Vec<String> = l.split(' ').map(str::to_owned).collect();
                if cmd == "show servers state" && cols.len() > 14 && !l.starts_with('#') {
                    for col in &mut cols[9..=12] {
                        *col = "_".to_owned();
                    }
                    for c in [13, 14] {
                        let v: u32 = cols[c].parse().unwrap_or(0);
                        cols[c] = (v & !1).to_string();
                    }
                }
                cols.join(" ")
            })
            .collect();
        s.push_str(&format!("== {cmd}\n{}\n", stable.join("\n")));
    }
    s
}

#[tokio::test]
async fn reads_over_tcp_and_unix() {
    let Some(live) = LiveHaproxy::start("reads_over_tcp_and_unix").await else {
        return;
    };
    for endpoint in [live.admin_tcp(), live.admin_unix()] {
        let c = live.client(endpoint);
        let info = c.show_info().await.unwrap();
        let version = c.show_version().await.unwrap();
        assert!(
            info.version().unwrap().starts_with(&version[..3]),
            "{version}"
        );
        let stat = c.show_stat(&StatFilter::default()).await.unwrap();
        assert!(stat.rows.iter().any(|r| r.proxy == "be_app"
            && r.name == "app4"
            && r.status.as_deref() == Some("DOWN")));
        let be = ProxyName::new("be_app").unwrap();
        let only = c
            .show_stat(&StatFilter {
                proxy: Some(be.clone()),
                objects: None,
            })
            .await
            .unwrap();
        assert!(only.rows.iter().all(|r| r.proxy == "be_app"));
        assert!(!c.show_activity().await.unwrap().entries.is_empty());
        let backends = c.show_backends().await.unwrap();
        for b in ["be_app", "be_api", "be_static", "be_tcp", "st_clients"] {
            assert!(backends.iter().any(|x| x == b), "{b} in {backends:?}");
        }
        let state = c.show_servers_state(Some(&be)).await.unwrap();
        assert_eq!(state.servers.len(), 5);
        let app3 = state.servers.iter().find(|s| s.name == "app3").unwrap();
        assert!(app3.admin_state.maint_config);
        let conn = c.show_servers_conn(Some(&be)).await.unwrap();
        assert_eq!(conn.rows.len(), 5);
        let maps = c.show_lists(ListKind::Map).await.unwrap();
        assert!(
            maps.iter()
                .any(|m| m.file.as_deref().is_some_and(|f| f.ends_with("hosts.map")))
        );
        let acls = c.show_lists(ListKind::Acl).await.unwrap();
        assert!(acls.iter().any(|m| {
            m.file
                .as_deref()
                .is_some_and(|f| f.ends_with("blocked.acl"))
        }));
        let tables = c.show_tables().await.unwrap();
        assert!(tables.iter().any(|t| t.name == "st_clients"));
        let w = c.get_weight(&srv("be_app", "app2")).await.unwrap();
        assert_eq!((w.current, w.initial), (20, 20));
        let help = c.help().await.unwrap();
        assert!(
            help.commands
                .iter()
                .any(|h| h.usage.starts_with("show servers state"))
        );
        assert_eq!(c.show_cli_level().await.unwrap(), CliLevel::Admin);
        let errors = c.show_errors(None).await.unwrap();
        assert_eq!(errors.total, 0);
        let sessions = c.show_sessions().await.unwrap();
        assert!(
            sessions.iter().any(|s| s.is_cli),
            "the CLI's own stream is listed"
        );
    }
    let user = live.client(live.user_unix());
    assert_eq!(user.show_cli_level().await.unwrap(), CliLevel::User);
}

#[tokio::test]
async fn dynamic_server_lifecycle() {
    let Some(live) = LiveHaproxy::start("dynamic_server_lifecycle").await else {
        return;
    };
    let c = live.client(live.admin_unix());
    let dyn1 = srv("be_app", "dyn1");
    let addr = ServerAddress::new("127.0.0.1").unwrap();
    let opts = AddServerOptions {
        port: Some(live.app_port),
        check: true,
        weight: Some(7),
        ..Default::default()
    };
    c.add_server(&dyn1, &addr, &opts).await.unwrap();
    // HAProxy adds it in forced maintenance.
    assert_eq!(admin_bits(&live, "be_app", "dyn1") & 1, 1);
    let dup = c.add_server(&dyn1, &addr, &opts).await.unwrap_err();
    assert_eq!(dup.refusal(), Some(RefusalKind::AlreadyExists), "{dup}");

    c.enable_health(&dyn1).await.unwrap();
    c.set_server_state(&dyn1, ServerAdminState::Ready)
        .await
        .unwrap();
    assert_eq!(admin_bits(&live, "be_app", "dyn1"), 0);

    c.set_weight(&dyn1, Weight::absolute(12).unwrap())
        .await
        .unwrap();
    let w = c.get_weight(&dyn1).await.unwrap();
    assert_eq!((w.current, w.initial), (12, 7));
    assert_eq!(state_row(&live, "be_app", "dyn1").unwrap()[7], "12");

    c.set_maxconn_server(&dyn1, 33).await.unwrap();
    assert!(
        live.raw("show stat be_app 4 -1")
            .lines()
            .any(|l| l.starts_with("be_app,dyn1,") && l.split(',').nth(6) == Some("33"))
    );

    let msg = c
        .set_server_addr(
            &dyn1,
            &ServerAddress::new("127.0.0.2").unwrap(),
            Some(live.app_port),
        )
        .await
        .unwrap();
    assert!(msg.contains("127.0.0.2"), "{msg}");
    // HAProxy 3.0+ answers first and applies the address moments later (its
    // `server_atomic_sync` task, under thread isolation), so the read-back waits for it.
    assert!(
        support::mcp::eventually(5, || state_row(&live, "be_app", "dyn1")
            .is_some_and(|r| r[4] == "127.0.0.2"))
        .await,
        "{:?}",
        state_row(&live, "be_app", "dyn1")
    );

    // Deleting a server that is not in maintenance is refused, and nothing changes.
    let err = c.del_server(&dyn1).await.unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NotInMaintenance), "{err}");
    assert_eq!(
        err.haproxy_message(),
        Some("Only servers in maintenance mode can be deleted.")
    );
    assert!(state_row(&live, "be_app", "dyn1").is_some());

    c.set_server_state(&dyn1, ServerAdminState::Maint)
        .await
        .unwrap();
    c.del_server(&dyn1).await.unwrap();
    assert!(state_row(&live, "be_app", "dyn1").is_none());
}

#[tokio::test]
async fn server_state_switches_and_maxconn() {
    let Some(live) = LiveHaproxy::start("server_state_switches_and_maxconn").await else {
        return;
    };
    let c = live.client(live.admin_tcp());
    let app1 = srv("be_app", "app1");
    c.set_server_state(&app1, ServerAdminState::Drain)
        .await
        .unwrap();
    assert_eq!(admin_bits(&live, "be_app", "app1") & 0x08, 0x08);
    c.disable_server(&app1).await.unwrap();
    assert_eq!(admin_bits(&live, "be_app", "app1") & 1, 1);
    c.enable_server(&app1).await.unwrap();
    assert_eq!(admin_bits(&live, "be_app", "app1") & 1, 0);
    c.set_server_state(&app1, ServerAdminState::Ready)
        .await
        .unwrap();
    assert_eq!(admin_bits(&live, "be_app", "app1"), 0);
    c.set_weight(&app1, Weight::percent(200).unwrap())
        .await
        .unwrap();
    assert_eq!(state_row(&live, "be_app", "app1").unwrap()[7], "2");

    let fe = ProxyName::new("fe_main").unwrap();
    c.set_maxconn_frontend(&fe, 77).await.unwrap();
    assert!(
        live.raw("show stat fe_main 1 -1")
            .lines()
            .any(|l| l.starts_with("fe_main,FRONTEND,") && l.split(',').nth(6) == Some("77"))
    );
    c.set_maxconn_global(100).await.unwrap();
    assert!(live.raw("show info").contains("\nMaxconn: 100\n"));
    c.clear_counters(false).await.unwrap();
    c.clear_counters(true).await.unwrap();
}

#[tokio::test]
async fn refusals_are_typed_and_quote_haproxy() {
    let Some(live) = LiveHaproxy::start("refusals_are_typed_and_quote_haproxy").await else {
        return;
    };
    let c = live.client(live.admin_unix());
    let err = c
        .set_server_state(&srv("be_app", "nope"), ServerAdminState::Drain)
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchServer));
    assert_eq!(err.haproxy_message(), Some("No such server."));
    let err = c
        .set_weight(&srv("be_nope", "x"), Weight::Absolute(1))
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchBackend));
    let err = c
        .show_servers_state(Some(&ProxyName::new("be_nope").unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchBackend));
    let addr = ServerAddress::new("127.0.0.1").unwrap();
    let err = c
        .add_server(
            &srv("be_static", "dyn"),
            &addr,
            &AddServerOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::BackendNotDynamic), "{err}");
    assert!(state_row(&live, "be_static", "dyn").is_none());
    let err = c
        .show_map(&MapName::new("/no/such.map").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchMap));
    let err = c
        .show_table(&TableName::new("nope").unwrap(), &TableFilter::All)
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchTable));
    let err = c.enable_agent(&srv("be_app", "app1")).await.unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NotConfigured), "{err}");
    let err = c
        .shutdown_session(&SessionId::new("0x1234").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchSession), "{err}");
    let err = c.set_maxconn_global(10_000_000).await.unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::InvalidArgument), "{err}");
    // 2.6 has no `echo`: HAProxy's own unknown-command reply comes back typed.
    if c.show_version().await.unwrap().starts_with("2.") {
        let err = c.echo("hello").await.unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::UnknownCommand));
    }

    // The user-level socket may not change servers.
    let user = live.client(live.user_unix());
    let err = user
        .set_weight(&srv("be_app", "app1"), Weight::Absolute(3))
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::PermissionDenied));
    assert_eq!(state_row(&live, "be_app", "app1").unwrap()[7], "1");
    let hidden = user
        .show_table(&TableName::new("st_clients").unwrap(), &TableFilter::All)
        .await
        .unwrap();
    assert!(hidden.contents_hidden);
}

#[tokio::test]
async fn maps_and_acls() {
    let Some(live) = LiveHaproxy::start("maps_and_acls").await else {
        return;
    };
    let c = live.client(live.admin_unix());
    let hosts = map_file(&live, "hosts.map");
    let blocked = map_file(&live, "blocked.acl");

    let before = c.show_map(&hosts).await.unwrap();
    assert_eq!(before.len(), 3);
    let hit = c.get_map(&hosts, "api.example.com").await.unwrap();
    assert!(hit.found);
    assert_eq!(hit.value.as_deref(), Some("be_api"));
    assert!(!c.get_map(&hosts, "nope.example.com").await.unwrap().found);

    c.add_map_entry(&hosts, "new.example.com", "be_static")
        .await
        .unwrap();
    assert!(
        live.raw(&format!("show map {hosts}"))
            .contains(" new.example.com be_static\n")
    );
    c.set_map_entry(&hosts, "new.example.com", "be_api")
        .await
        .unwrap();
    assert!(
        live.raw(&format!("show map {hosts}"))
            .contains(" new.example.com be_api\n")
    );
    // Values with blanks survive the round trip through the encoder.
    c.set_map_entry(&hosts, "new.example.com", "a value with spaces")
        .await
        .unwrap();
    assert!(
        live.raw(&format!("show map {hosts}"))
            .contains(" new.example.com a value with spaces\n")
    );
    c.del_map_entry(&hosts, "new.example.com").await.unwrap();
    assert!(
        !live
            .raw(&format!("show map {hosts}"))
            .contains("new.example.com")
    );
    let err = c
        .del_map_entry(&hosts, "new.example.com")
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NoSuchEntry), "{err}");

    // Atomic replace: the map holds exactly the new entries afterwards.
    let entries = vec![
        ("a.example.com".to_owned(), "be_app".to_owned()),
        ("b.example.com".to_owned(), "be api spaced".to_owned()),
    ];
    let version = c.replace_map(&hosts, &entries).await.unwrap();
    assert!(version >= 1);
    let after = c.show_map(&hosts).await.unwrap();
    let got: Vec<(String, String)> = after
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    assert_eq!(got, entries);
    // A bad entry is refused before anything is prepared; the map is untouched.
    let bad = vec![
        ("ok.example.com".to_owned(), "x".to_owned()),
        ("bad key".to_owned(), "y".to_owned()),
    ];
    assert!(c.replace_map(&hosts, &bad).await.is_err());
    assert_eq!(c.show_map(&hosts).await.unwrap().len(), 2);

    // ACLs.
    assert_eq!(c.show_acl(&blocked).await.unwrap().len(), 2);
    assert!(c.get_acl(&blocked, "192.0.2.1").await.unwrap().matched);
    assert!(!c.get_acl(&blocked, "203.0.113.9").await.unwrap().matched);
    c.add_acl_entry(&blocked, "203.0.113.9").await.unwrap();
    assert!(c.get_acl(&blocked, "203.0.113.9").await.unwrap().matched);
    let err = c.add_acl_entry(&blocked, "notanip").await.unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::InvalidArgument), "{err}");
    c.del_acl_entry(&blocked, "203.0.113.9").await.unwrap();
    assert!(!c.get_acl(&blocked, "203.0.113.9").await.unwrap().matched);
    c.replace_acl(&blocked, &["10.9.9.9".to_owned()])
        .await
        .unwrap();
    let patterns: Vec<String> = c
        .show_acl(&blocked)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.pattern)
        .collect();
    assert_eq!(patterns, ["10.9.9.9"]);
    c.clear_list(ListKind::Acl, &blocked).await.unwrap();
    assert!(c.show_acl(&blocked).await.unwrap().is_empty());
    c.clear_list(ListKind::Map, &hosts).await.unwrap();
    assert!(c.show_map(&hosts).await.unwrap().is_empty());
}

#[tokio::test]
async fn stick_tables() {
    let Some(live) = LiveHaproxy::start("stick_tables").await else {
        return;
    };
    let c = live.client(live.admin_tcp());
    let t = TableName::new("st_clients").unwrap();
    c.set_table_entry(&t, "10.1.1.1", &[("gpc0".to_owned(), 5)])
        .await
        .unwrap();
    c.set_table_entry(&t, "10.1.1.2", &[("gpc0".to_owned(), 1)])
        .await
        .unwrap();
    let all = c.show_table(&t, &TableFilter::All).await.unwrap();
    assert_eq!(all.entries.len(), 2);
    let one = c
        .show_table(&t, &TableFilter::Key("10.1.1.1".to_owned()))
        .await
        .unwrap();
    assert_eq!(one.entries.len(), 1);
    assert!(
        one.entries[0]
            .data
            .iter()
            .any(|d| d.name == "gpc0" && d.value == "5")
    );
    let big = c
        .show_table(
            &t,
            &TableFilter::Data {
                data_type: "gpc0".to_owned(),
                op: haproxy_mcp_server::haproxy::command::TableOp::Gt,
                value: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(big.entries.len(), 1);
    c.clear_table(&t, &TableFilter::Key("10.1.1.1".to_owned()))
        .await
        .unwrap();
    assert!(!live.raw("show table st_clients").contains("key=10.1.1.1 "));
    c.clear_table(&t, &TableFilter::All).await.unwrap();
    assert_eq!(
        c.show_table(&t, &TableFilter::All)
            .await
            .unwrap()
            .entries
            .len(),
        0
    );
}

#[tokio::test]
async fn sessions_can_be_listed_and_shut_down() {
    let Some(live) = LiveHaproxy::start("sessions_can_be_listed_and_shut_down").await else {
        return;
    };
    let c = live.client(live.admin_unix());
    // Two idle TCP clients on fe_tcp, forwarded to tcp1.
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(("127.0.0.1", live.tcp_port)).unwrap())
        .collect();
    let mut ours = Vec::new();
    for _ in 0..50 {
        ours = c
            .show_sessions()
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.frontend.as_deref() == Some("fe_tcp"))
            .collect::<Vec<_>>();
        if ours.len() == 2 && ours.iter().all(|s| s.server.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ours.len(), 2);
    let id = SessionId::new(&ours[0].id).unwrap();
    let detail = c.show_session(&id).await.unwrap();
    assert!(
        detail.raw.contains("fe_tcp") || detail.raw.contains("frontend=fe_tcp"),
        "{}",
        detail.raw
    );
    c.shutdown_session(&id).await.unwrap();
    // The stream is killed asynchronously; give it a moment to go. (Its address may be reused
    // at once by another stream, such as the CLI's own, so count fe_tcp streams instead.)
    let fe_tcp_streams = |l: &LiveHaproxy| {
        l.raw("show sess")
            .lines()
            .filter(|x| x.contains(" fe=fe_tcp "))
            .count()
    };
    for _ in 0..50 {
        if fe_tcp_streams(&live) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fe_tcp_streams(&live), 1);
    // The held client whose stream was shut sees its connection closed (end of file or a
    // reset), the other one does not: a read that times out means still open. (Which client
    // it is cannot be told from the stream's source: a container's port mapping rewrites it.)
    let mut closed = 0;
    for h in &mut held {
        h.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 16];
        match h.read(&mut buf) {
            Ok(0) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            other => panic!("unexpected read on a held client: {other:?}"),
        }
    }
    assert_eq!(closed, 1, "exactly the shut session's client is closed");
    // Every session of the server goes at once.
    c.shutdown_server_sessions(&srv("be_tcp", "tcp1"))
        .await
        .unwrap();
    for _ in 0..50 {
        if !live.raw("show sess").contains("fe=fe_tcp") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!live.raw("show sess").contains("fe=fe_tcp"));
    let _ = held[1].write_all(b"x");
}

#[tokio::test]
async fn health_checks_and_agents() {
    let Some(live) = LiveHaproxy::start("health_checks_and_agents").await else {
        return;
    };
    let c = live.client(live.admin_unix());
    let app2 = srv("be_app", "app2");
    // Column 13 is srv_check_state: 0x04 = enabled.
    let check_state =
        |l: &LiveHaproxy, b: &str, s: &str| state_row(l, b, s).unwrap()[13].parse::<u32>().unwrap();
    c.disable_health(&app2).await.unwrap();
    assert_eq!(check_state(&live, "be_app", "app2") & 0x04, 0);
    c.enable_health(&app2).await.unwrap();
    assert_eq!(check_state(&live, "be_app", "app2") & 0x04, 0x04);
    c.set_server_health(&app2, HealthState::Down).await.unwrap();
    assert_eq!(
        state_row(&live, "be_app", "app2").unwrap()[5],
        "0",
        "op state STOPPED"
    );
    c.set_server_health(&app2, HealthState::Up).await.unwrap();

    let api1 = srv("be_api", "api1");
    let agent_state = |l: &LiveHaproxy| {
        state_row(l, "be_api", "api1").unwrap()[14]
            .parse::<u32>()
            .unwrap()
    };
    c.disable_agent(&api1).await.unwrap();
    assert_eq!(agent_state(&live) & 0x04, 0);
    c.enable_agent(&api1).await.unwrap();
    assert_eq!(agent_state(&live) & 0x04, 0x04);
    c.set_server_agent(&api1, AgentState::Down).await.unwrap();
    c.set_server_agent(&api1, AgentState::Up).await.unwrap();
    c.set_agent_send(&api1, "hello agent").await.unwrap();
    c.set_server_check_port(&app2, live.app_port).await.unwrap();
    assert_eq!(
        state_row(&live, "be_app", "app2").unwrap()[21],
        live.app_port.to_string()
    );
    let err = c.set_agent_send(&app2, "x").await.unwrap_err();
    assert_eq!(err.refusal(), Some(RefusalKind::NotConfigured), "{err}");
}

#[tokio::test]
async fn hostile_arguments_change_nothing_and_say_why() {
    let Some(live) = LiveHaproxy::start("hostile_arguments_change_nothing_and_say_why").await
    else {
        return;
    };
    let c = live.client(live.admin_unix());
    let hosts = map_file(&live, "hosts.map");
    let blocked = map_file(&live, "blocked.acl");
    let table = TableName::new("st_clients").unwrap();
    let app1 = srv("be_app", "app1");
    let before = snapshot(&live);
    let hostile = [
        "k;set server be_app/app1 state maint",
        "k\nset server be_app/app1 state maint",
        "k\r\nclear map #1",
        "trailing\\",
        "k\0x",
    ];
    for h in hostile {
        let results: Vec<(&str, Result<(), RuntimeError>)> = vec![
            ("add_map_entry key", c.add_map_entry(&hosts, h, "v").await),
            ("add_map_entry value", c.add_map_entry(&hosts, "k", h).await),
            (
                "set_map_entry",
                c.set_map_entry(&hosts, "app.example.com", h).await,
            ),
            ("del_map_entry", c.del_map_entry(&hosts, h).await),
            ("add_acl_entry", c.add_acl_entry(&blocked, h).await),
            ("del_acl_entry", c.del_acl_entry(&blocked, h).await),
            ("get_map", c.get_map(&hosts, h).await.map(drop)),
            ("get_acl", c.get_acl(&blocked, h).await.map(drop)),
            (
                "set_agent_send",
                c.set_agent_send(&srv("be_api", "api1"), h).await,
            ),
            ("set_table_entry", c.set_table_entry(&table, h, &[]).await),
            (
                "clear_table",
                c.clear_table(&table, &TableFilter::Key(h.to_owned())).await,
            ),
            ("echo", c.echo(h).await.map(drop)),
            (
                "replace_map",
                c.replace_map(&hosts, &[(h.to_owned(), "v".to_owned())])
                    .await
                    .map(drop),
            ),
            (
                "replace_acl",
                c.replace_acl(&blocked, &[h.to_owned()]).await.map(drop),
            ),
        ];
        for (method, result) in results {
            let err = result.expect_err(method);
            assert!(
                matches!(err, RuntimeError::InvalidArgument(_)),
                "{method} with {h:?}: {err}"
            );
            assert!(!err.to_string().is_empty());
        }
        // Typed names refuse them at construction, before any method can be called.
        assert!(ServerRef::new("be_app", h).is_err());
        assert!(ProxyName::new(h).is_err());
        assert!(TableName::new(h).is_err());
        assert!(MapName::new(h).is_err() || !h.contains(['\n', '\r', '\0', ';']));
    }
    assert_eq!(
        snapshot(&live),
        before,
        "hostile arguments changed HAProxy's state"
    );
    // And the client still works afterwards.
    c.set_server_state(&app1, ServerAdminState::Ready)
        .await
        .unwrap();
}

#[tokio::test]
async fn read_only_mode_sends_no_mutation() {
    let Some(live) = LiveHaproxy::start("read_only_mode_sends_no_mutation").await else {
        return;
    };
    let opts = ClientOptions {
        read_only: true,
        ..Default::default()
    };
    let c = RuntimeClient::new(live.admin_unix(), opts);
    let before = snapshot(&live);
    let app1 = srv("be_app", "app1");
    let hosts = map_file(&live, "hosts.map");
    let results = vec![
        c.set_server_state(&app1, ServerAdminState::Maint).await,
        c.set_weight(&app1, Weight::Absolute(0)).await,
        c.del_server(&app1).await,
        c.add_map_entry(&hosts, "k", "v").await,
        c.replace_map(&hosts, &[]).await.map(drop),
        c.clear_list(ListKind::Map, &hosts).await,
        c.clear_counters(true).await,
    ];
    for r in results {
        assert!(matches!(r, Err(RuntimeError::ReadOnly { .. })), "{r:?}");
    }
    assert_eq!(snapshot(&live), before);
    assert!(c.show_info().await.is_ok());
}

#[tokio::test]
async fn master_cli_routes_to_workers_and_reloads() {
    let Some(live) = LiveHaproxy::start("master_cli_routes_to_workers_and_reloads").await else {
        return;
    };
    let m = live.client(live.master());
    let procs = m.show_proc().await.unwrap();
    assert!(
        procs
            .processes
            .iter()
            .any(|p| p.kind == haproxy_mcp_server::haproxy::parse::proc_list::ProcKind::Worker),
        "{procs:?}"
    );
    let info = m.show_info().await.unwrap();
    assert!(info.version().is_some());
    m.set_server_state(&srv("be_app", "app2"), ServerAdminState::Drain)
        .await
        .unwrap();
    assert_eq!(admin_bits(&live, "be_app", "app2") & 0x08, 0x08);
    // A stats socket cannot run master commands.
    let plain = live.client(live.admin_unix());
    assert!(matches!(
        plain.show_proc().await,
        Err(RuntimeError::NeedsMaster { .. })
    ));
}

#[tokio::test]
async fn many_concurrent_calls_queue_behind_the_connection_limit() {
    let Some(live) =
        LiveHaproxy::start("many_concurrent_calls_queue_behind_the_connection_limit").await
    else {
        return;
    };
    let c = RuntimeClient::new(
        live.admin_tcp(),
        ClientOptions {
            max_connections: 3,
            ..Default::default()
        },
    );
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    c.show_info().await.map(|i| i.version().map(str::to_owned))
                } else {
                    c.get_weight(&srv("be_app", "app2"))
                        .await
                        .map(|w| Some(w.current.to_string()))
                }
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let v = t.await.unwrap().unwrap().unwrap();
        if i % 2 == 1 {
            assert_eq!(v, "20");
        }
    }
}

/// What a lower-level stats socket really stops, on this version (docs/security.md quotes it):
/// server, frontend, weight and global-limit changes are refused below `admin`; map and ACL
/// edits pass at `user` and `operator` up to 3.2 (3.4 refuses them below `admin`); stick-table
/// writes and `clear counters` pass at `operator`. A lower level is no substitute for
/// `--read-only`.
#[tokio::test]
async fn lower_socket_levels_still_allow_map_and_acl_changes() {
    let (oper, user, fe) = (
        support::free_port(),
        support::free_port(),
        support::free_port(),
    );
    let config = format!(
        "global\n    stats socket ipv4@127.0.0.1:{oper} level operator\n    stats socket ipv4@127.0.0.1:{user} level user\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe\n    bind 127.0.0.1:{fe}\n    http-request track-sc0 src table st\n    \
         http-request deny if {{ src -f {{CONF}}/block.acl }}\n    \
         use_backend %[req.hdr(host),map({{CONF}}/hosts.map,be)]\n\n\
         backend be\n    server s1 127.0.0.1:1\n\n\
         backend st\n    stick-table type ip size 1k expire 10m store gpc0\n"
    );
    let Some(live) = support::ConfiguredHaproxy::start_with_files(
        "lower_socket_levels_still_allow_map_and_acl_changes",
        &config,
        &[("hosts.map", "a.example be\n"), ("block.acl", "10.0.0.1\n")],
    )
    .await
    else {
        return;
    };
    let v = live.version();
    let map = format!("{}/hosts.map", live.conf_dir());
    let acl = format!("{}/block.acl", live.conf_dir());
    let ask = |port: u16, line: &str| -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    let denied = |reply: &str| reply.contains("Permission denied");
    // Map and ACL edits pass below `admin` up to 3.2; 3.4 asks for `admin`.
    let lists = !support::mcp::at_least(&v, "3.4");
    // (command, allowed at operator, allowed at user)
    let cases = [
        (format!("add map {map} x.example be"), lists, lists),
        (format!("set map {map} x.example be"), lists, lists),
        (format!("del map {map} x.example"), lists, lists),
        (format!("prepare map {map}"), lists, lists),
        (format!("add acl {acl} 10.9.9.9"), lists, lists),
        (format!("del acl {acl} 10.9.9.9"), lists, lists),
        (
            "set table st key 10.1.1.1 data.gpc0 1".to_owned(),
            true,
            false,
        ),
        ("clear counters".to_owned(), true, false),
        ("set weight be/s1 5".to_owned(), false, false),
        ("set server be/s1 state maint".to_owned(), false, false),
        ("disable frontend fe".to_owned(), false, false),
        ("set maxconn global 100".to_owned(), false, false),
        (
            "set rate-limit connections global 10".to_owned(),
            false,
            false,
        ),
    ];
    let mut wrong = Vec::new();
    for (line, at_operator, at_user) in &cases {
        for (level, port, allowed) in [("operator", oper, *at_operator), ("user", user, *at_user)] {
            let reply = ask(port, line);
            if denied(&reply) == allowed {
                wrong.push(format!(
                    "`{line}` at level {level}: {reply:?} (docs/security.md says it is {})",
                    if allowed { "allowed" } else { "refused" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{v}:\n{}", wrong.join("\n"));
    // And the map edits were real: an entry added at user level is in the map (not on 3.4).
    ask(user, &format!("add map {map} y.example be"));
    assert_eq!(
        live.raw(&format!("show map {map}")).contains("y.example"),
        lists,
        "{v}"
    );
}

/// The kept `prompt`-mode connection (`ClientOptions::keep_alive`), by HAProxy's own account
/// (`show sess` lists CLI streams): frequent reads share one connection and get the bytes a
/// one-shot exchange gets; HAProxy dropping it (`shutdown session`) costs nothing but a new
/// connection; it is closed once idle; with keeping off, no connection outlives its command.
/// How long a CLI stream that just closed may stay in HAProxy's `show sess` on a loaded machine.
const SETTLE: Duration = Duration::from_secs(1);

/// The CLI streams HAProxy lists besides the `show sess` asking, polled until they number
/// `expected` or `within` passes; returns the last count seen.
async fn settled(client: &RuntimeClient, expected: usize, within: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let all = client.show_sessions().await.unwrap();
        let others = all.iter().filter(|s| s.is_cli).count() - 1;
        if others == expected || tokio::time::Instant::now() >= deadline {
            return others;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two clients of `endpoint`: one that never keeps a connection, and one that keeps its
/// connection for `keep_alive` after opening it.
fn one_shot_and_kept(endpoint: Endpoint, keep_alive: Duration) -> (RuntimeClient, RuntimeClient) {
    let with = |keep_alive| ClientOptions {
        keep_alive,
        ..Default::default()
    };
    (
        RuntimeClient::new(endpoint.clone(), with(Duration::ZERO)),
        RuntimeClient::new(endpoint, with(keep_alive)),
    )
}

#[tokio::test]
async fn frequent_reads_share_one_kept_connection() {
    let Some(live) = LiveHaproxy::start("frequent_reads_share_one_kept_connection").await else {
        return;
    };
    for endpoint in [live.admin_tcp(), live.admin_unix()] {
        let (one_shot, kept) = one_shot_and_kept(endpoint, Duration::from_millis(1500));
        assert_eq!(
            settled(&one_shot, 0, SETTLE).await,
            0,
            "nothing kept before the first read"
        );

        let be = ProxyName::new("be_app").unwrap();
        for _ in 0..5 {
            assert_eq!(
                kept.show_version().await.unwrap(),
                one_shot.show_version().await.unwrap()
            );
            let (a, b) = (
                kept.show_servers_state(Some(&be)).await.unwrap(),
                one_shot.show_servers_state(Some(&be)).await.unwrap(),
            );
            let names = |s: &haproxy_mcp_server::haproxy::parse::servers_state::ServersState| {
                s.servers.iter().map(|x| x.name.clone()).collect::<Vec<_>>()
            };
            assert_eq!(names(&a), names(&b));
            let filter = StatFilter {
                proxy: Some(be.clone()),
                objects: None,
            };
            let rows = |r: &haproxy_mcp_server::haproxy::parse::stat::StatReport| {
                r.rows
                    .iter()
                    .map(|x| (x.proxy.clone(), x.name.clone(), x.status.clone()))
                    .collect::<Vec<_>>()
            };
            // A health check may move a status (`UP 1/3` → `UP`) between the two reads: read
            // both again, a few times, until they were taken between two checks.
            let mut attempts = 0;
            loop {
                let (a, b) = (
                    kept.show_stat(&filter).await.unwrap(),
                    one_shot.show_stat(&filter).await.unwrap(),
                );
                assert_eq!(a.columns, b.columns);
                attempts += 1;
                if rows(&a) == rows(&b) || attempts == 5 {
                    assert_eq!(rows(&a), rows(&b), "kept and one-shot reads differ");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            kept.show_info().await.unwrap();
        }
        assert_eq!(
            settled(&one_shot, 1, SETTLE).await,
            1,
            "twenty reads, one kept connection"
        );

        // Other reads and changes go one-shot: still one kept connection afterwards.
        kept.show_sessions().await.unwrap();
        kept.set_weight(&srv("be_app", "app2"), Weight::absolute(20).unwrap())
            .await
            .unwrap();
        assert_eq!(settled(&one_shot, 1, SETTLE).await, 1);

        // HAProxy drops it: the next read opens another, unnoticed by the caller.
        for s in one_shot.show_sessions().await.unwrap() {
            if s.is_cli {
                // The listing's own stream is gone by now ("No such session").
                let _ = one_shot
                    .shutdown_session(&SessionId::new(&s.id).unwrap())
                    .await;
            }
        }
        // `shutdown session` takes effect when the stream next runs.
        assert_eq!(
            settled(&one_shot, 0, Duration::from_secs(2)).await,
            0,
            "HAProxy closed the kept connection"
        );
        assert!(kept.show_info().await.unwrap().version().is_some());
        assert_eq!(settled(&one_shot, 1, SETTLE).await, 1);

        // Idle past keep_alive: closed, so it holds no CLI slot.
        assert_eq!(
            settled(&one_shot, 0, Duration::from_millis(5200)).await,
            0,
            "closed once idle"
        );

        // Keeping off: no connection outlives its command.
        one_shot.show_info().await.unwrap();
        one_shot.show_stat(&StatFilter::default()).await.unwrap();
        assert_eq!(settled(&one_shot, 0, SETTLE).await, 0);
    }
}

/// The reads health_summary sends besides `show stat` go over the kept connection too, on a
/// configuration unlike the capture's (two TLS frontends, a crt-list, a CA file of two
/// certificates, whose details are the longest of these dumps, a CRL, a resolvers
/// section, two peers sections): each reply read in prompt mode is the reply a one-shot
/// exchange gets (digits masked: peers and resolvers count and time on their own), read five
/// times over one connection, which HAProxy's own `show sess` then lists alone.
#[tokio::test]
async fn health_reads_over_a_kept_connection_equal_one_shot_replies() {
    const TEST: &str = "health_reads_over_a_kept_connection_equal_one_shot_replies";
    let Some(certs) = support::test_certificates(TEST) else {
        return;
    };
    let mut files = support::served_tls_files(certs.path());
    // A CA file of two certificates: the CA and the site's own certificate.
    let ca = files
        .iter()
        .find(|(n, _)| *n == "ca.pem")
        .unwrap()
        .1
        .clone();
    let site = files
        .iter()
        .find(|(n, _)| *n == "site.pem")
        .unwrap()
        .1
        .clone();
    let site_cert = site
        .split_inclusive("-----END CERTIFICATE-----\n")
        .next()
        .unwrap()
        .to_owned();
    files.push(("two-ca.pem", format!("{ca}{site_cert}")));
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let port = support::free_port;
    let config = format!(
        "    localpeer hap_a\n    crt-base {{CONF}}\n    ca-base {{CONF}}\n\n\
         resolvers dns_a\n    nameserver ns1 127.0.0.1:{}\n    nameserver ns2 127.0.0.1:{}\n\n\
         peers mesh_a\n    peer hap_a 127.0.0.1:{}\n    peer hap_b 127.0.0.1:{}\n\n\
         peers mesh_b\n    peer hap_a 127.0.0.1:{}\n    peer hap_c 127.0.0.1:{}\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         frontend fe_tls\n    bind 127.0.0.1:{} ssl crt-list {{CONF}}/crt-list.txt ca-file two-ca.pem verify optional crl-file crl.pem\n\
         \x20   http-request track-sc0 src table st_a\n    default_backend be\n\n\
         frontend fe_api\n    bind 127.0.0.1:{} ssl crt api.pem\n    default_backend be\n\n\
         backend be\n    server s1 127.0.0.1:1\n\n\
         backend st_a\n    stick-table type ip size 1k expire 1m peers mesh_a store http_req_rate(10s)\n\n\
         backend st_b\n    stick-table type string len 32 size 1k peers mesh_b store gpc0\n",
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
    );
    let Some(live) = support::ConfiguredHaproxy::start_with_files(TEST, &config, &files).await
    else {
        return;
    };
    let v = live.version();
    let conf = live.conf_dir();
    let (one_shot, kept) = one_shot_and_kept(live.admin_tcp(), Duration::from_secs(30));
    let mask = |reply: &str| -> String {
        let mut out = String::with_capacity(reply.len());
        let mut in_digits = false;
        for c in reply.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
        out
    };
    let name = |file: &str| TlsFileName::new(format!("{conf}/{file}")).unwrap();
    let mut commands = vec![
        Command::show_tables(),
        Command::show_resolvers(None),
        Command::show_peers(None),
        Command::show_ssl_certs(),
        Command::show_ca_files(),
        Command::show_crl_files(),
        Command::show_crt_lists(),
        Command::show_crt_list(&name("crt-list.txt")),
        Command::show_ca_file(&name("two-ca.pem"), false),
        Command::show_crl_file(&name("crl.pem"), false),
    ];
    for cert in ["site.pem", "api.pem", "old.pem"] {
        commands.push(Command::show_ssl_cert(&name(cert), false));
    }
    if support::mcp::at_least(&v, "3.2") {
        commands.push(Command::show_ssl_sni());
    }
    let two_ca = kept
        .execute(&Command::show_ca_file(&name("two-ca.pem"), false))
        .await
        .unwrap();
    assert!(
        two_ca.contains("\n \nCertificate #2:"),
        "{v}: the CA file's details list both certificates, after a line of one space: {two_ca}"
    );
    for round in 0..5 {
        for command in &commands {
            let (a, b) = (
                kept.execute(command).await.unwrap(),
                one_shot.execute(command).await.unwrap(),
            );
            assert_eq!(
                mask(&a),
                mask(&b),
                "{v}: `{command}` (round {round}) read over the kept connection differs"
            );
            assert!(!a.trim().is_empty(), "{v}: `{command}` answered nothing");
        }
    }
    assert_eq!(
        settled(&one_shot, 1, SETTLE).await,
        1,
        "{v}: {} reads over one kept connection",
        5 * commands.len()
    );
}

/// After a reload the old worker keeps answering the connections it had, with its own outgoing
/// state (`Stopping: 1`); a kept connection must not pass that off as HAProxy's. `show info`
/// over a kept connection to the old worker is asked again on a new connection, which the new
/// worker answers.
#[tokio::test]
async fn a_kept_connection_does_not_answer_for_a_reloaded_worker() {
    let Some(live) =
        LiveHaproxy::start("a_kept_connection_does_not_answer_for_a_reloaded_worker").await
    else {
        return;
    };
    let kept = RuntimeClient::new(
        live.admin_unix(),
        ClientOptions {
            keep_alive: Duration::from_secs(30),
            ..Default::default()
        },
    );
    let one_shot = RuntimeClient::new(
        live.admin_unix(),
        ClientOptions {
            keep_alive: Duration::ZERO,
            ..Default::default()
        },
    );
    let before = kept.show_info().await.unwrap().pid().unwrap();
    live.client(live.master()).reload().await.unwrap();
    let mut after = before;
    for _ in 0..50 {
        after = one_shot.show_info().await.unwrap().pid().unwrap();
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(after, before, "the reload started a new worker");
    let info = kept.show_info().await.unwrap();
    assert_eq!(info.pid(), Some(after), "answered by the new worker");
}
