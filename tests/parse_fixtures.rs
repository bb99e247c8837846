//! Runs the output parsers over the recorded replies in `fixtures/<version>/` (captured from
//! real HAProxy 2.6, 3.0, 3.2 and 3.4 by the emulator's capture scenario: every folder
//! `fixtures/X.Y/`, as listed by `haproxy_mcp_server::demo::bundled_versions`).
//!
//! Each fixture is a `# key: value` header, a `--- reply` line, then `reply-bytes` bytes of
//! raw reply. The command decides the parser. Replies that are error messages (`No such …`,
//! `Permission denied`, …) are expected to be rejected; everything else must parse, and a
//! few format-wide invariants are checked. A version directory that does not exist is
//! skipped, so the test keeps working while fixtures are being re-captured.

use std::path::{Path, PathBuf};

use haproxy_mcp_server::haproxy::parse::{
    acme, activity, backend, cli_level, errors, help, info, map, ocsp, peers, registry, resolvers,
    servers_conn, servers_state, sess, ssl, startup_logs, stat, table, version, weight,
};

/// One recorded exchange.
struct Fixture {
    path: PathBuf,
    socket: String,
    command: String,
    /// The reply with HAProxy's terminating empty line stripped (one trailing `\n`).
    reply: String,
}

/// One fixture file; a file that does not read or has no reply section fails the test.
fn read_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    let (head, body) = text
        .split_once("\n--- reply\n")
        .unwrap_or_else(|| panic!("{}: no `--- reply` line", path.display()));
    let mut socket = String::new();
    let mut command = String::new();
    let mut bytes = None;
    for line in head.lines() {
        if let Some(v) = line.strip_prefix("# socket: ") {
            socket = v.to_owned();
        } else if let Some(v) = line.strip_prefix("# command: ") {
            command = v.to_owned();
        } else if let Some(v) = line.strip_prefix("# reply-bytes: ") {
            bytes = v.trim().parse::<usize>().ok();
        }
    }
    let raw = match bytes {
        Some(n) => body.get(..n).unwrap_or(body),
        None => body,
    };
    Fixture {
        path: path.to_owned(),
        socket,
        command,
        reply: raw.strip_suffix('\n').unwrap_or(raw).to_owned(),
    }
}

fn fixtures(version: &str) -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(version);
    // A version's folder that is missing or unreadable is a failure, not a skip: the versions
    // come from the folders themselves, so a missing one means the checkout is broken.
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no fixtures for {version} ({}): {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{}: no fixture files", dir.display());
    paths.iter().map(|p| read_fixture(p)).collect()
}

/// Replies that are messages rather than dumps.
fn is_message(reply: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "No such",
        "Can't find",
        "Can't display",
        "Can't allocate",
        "Permission denied",
        "Unknown",
        "Session not found",
        "Require ",
        "Variable not found",
        "Certificate ID ",
    ];
    PREFIXES.iter().any(|p| reply.starts_with(p))
}

/// What a fixture's reply was checked as.
#[derive(Debug, PartialEq)]
enum Outcome {
    Parsed,
    Rejected,
    NotADump,
}

fn check(f: &Fixture) -> Outcome {
    let cmd = f.command.as_str();
    let words: Vec<&str> = cmd.split_ascii_whitespace().collect();
    let r = f.reply.as_str();
    let ctx = format!("{} ({} {cmd:?})", f.path.display(), f.socket);
    // Runs `$parse`, expecting failure exactly when the reply is a message.
    macro_rules! expect {
        ($parse:expr) => {{
            let result = $parse;
            if is_message(r) {
                assert!(result.is_err(), "{ctx}: a message was accepted");
                return Outcome::Rejected;
            }
            match result {
                Ok(v) => v,
                Err(e) => panic!("{ctx}: {e}\n{r}"),
            }
        }};
    }
    match words.as_slice() {
        ["show", "version"] => {
            let v = expect!(version::parse(r));
            assert!(version::parse_release(&v).is_some(), "{ctx}");
        }
        ["help"] | ["foobar"] => {
            let h = help::parse(r).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert!(h.commands.len() > 3, "{ctx}");
            assert!(h.commands.iter().any(|c| c.usage == "quit"), "{ctx}");
        }
        ["show", "cli", "level"] => {
            expect!(cli_level::parse(r));
        }
        ["show", "info"] => {
            let i = expect!(info::parse(r));
            assert!(i.version().is_some() && i.pid().is_some(), "{ctx}");
            assert!(i.total_spliced_bytes_out().is_some(), "{ctx}");
        }
        ["show", "info", "json"] => {
            let i = expect!(info::parse_json(r));
            assert!(i.uptime_sec().is_some(), "{ctx}");
        }
        ["show", "stat", ..] => {
            let s = expect!(stat::parse(r));
            for row in &s.rows {
                assert_eq!(row.cell_count(), s.columns.len(), "{ctx}: {}", row.name);
                assert_ne!(row.kind, stat::StatKind::Unknown, "{ctx}: {}", row.name);
            }
        }
        ["show", "activity", ..] => {
            let a = expect!(activity::parse(r));
            assert!(a.get("ctxsw").is_some(), "{ctx}");
        }
        ["show", "backend"] => {
            let b = expect!(backend::parse(r));
            assert!(b.iter().any(|n| n == "be_app"), "{ctx}");
        }
        ["show", "servers", "state", ..] => {
            let s = expect!(servers_state::parse(r));
            assert!(!s.servers.is_empty(), "{ctx}");
            for srv in &s.servers {
                assert!(srv.extra.is_empty(), "{ctx}");
                assert_ne!(srv.verdict().condition.word(), "UNKNOWN", "{ctx}");
            }
        }
        ["show", "servers", "conn", ..] => {
            let c = expect!(servers_conn::parse(r));
            // Dynamic servers without an idle pool print no per-thread columns.
            assert!(c.rows.iter().all(|x| x.used_cur.is_some()), "{ctx}");
        }
        ["get", "weight", ..] => {
            expect!(weight::parse(r));
        }
        ["show", "map"] | ["show", "acl"] => {
            let l = expect!(map::parse_list(r));
            assert!(l.iter().all(|m| m.entry_cnt.is_some()), "{ctx}");
        }
        ["show", "map", ..] => {
            let e = expect!(map::parse_map_entries(r));
            assert!(e.iter().all(|x| x.ptr.starts_with("0x")), "{ctx}");
        }
        ["show", "acl", ..] => {
            let e = expect!(map::parse_acl_entries(r));
            assert!(e.iter().all(|x| x.ptr.starts_with("0x")), "{ctx}");
        }
        ["get", "map", ..] => {
            expect!(map::parse_get_map(r));
        }
        ["get", "acl", ..] => {
            expect!(map::parse_get_acl(r));
        }
        ["show", "table"] => {
            let t = expect!(table::parse_list(r));
            assert!(!t.is_empty(), "{ctx}");
        }
        ["show", "table", ..] => {
            let d = expect!(table::parse_entries(r));
            if f.socket == "user" && d.table.is_some() {
                assert!(d.contents_hidden, "{ctx}");
            }
        }
        ["show", "sess"] => {
            let l = expect!(sess::parse_list(r));
            assert!(l.iter().any(|s| s.is_cli), "{ctx}");
        }
        [
            "show",
            "sess",
            kind @ ("frontend" | "backend" | "server"),
            name,
        ] => {
            // 3.2+ lists only the streams of that proxy or server (the CLI's own is on no
            // frontend); 2.6 and 3.0 ignore the words and list every stream.
            let l = expect!(sess::parse_list(r));
            let narrowed = !l.iter().any(|s| s.is_cli);
            let filtered = version_at_least(&f.path, 3, 2);
            assert_eq!(narrowed, filtered, "{ctx}: {l:?}");
            if filtered {
                assert!(!l.is_empty(), "{ctx}: the capture holds streams on each");
                for s in &l {
                    let on = match *kind {
                        "frontend" => s.frontend.as_deref() == Some(*name),
                        "backend" => s.backend.as_deref() == Some(*name),
                        _ => format!("{}/{}", opt_str(&s.backend), opt_str(&s.server)) == *name,
                    };
                    assert!(on, "{ctx}: {s:?}");
                }
            }
        }
        ["show", "sess", _] => {
            let d = expect!(sess::parse_detail(r));
            assert!(d.uniq_id.is_some() && d.proto.is_some(), "{ctx}");
        }
        ["show", "errors", ..] => {
            let e = expect!(errors::parse(r));
            assert!(e.events.len() as u64 <= e.total, "{ctx}");
        }
        ["show", "resolvers", ..] => {
            let s = expect!(resolvers::parse(r));
            // The capture's section (two nameservers) and HAProxy's own `default`, or the one
            // asked for.
            assert!(s.iter().any(|x| x.name == "localdns"), "{ctx}");
            for section in &s {
                assert!(!section.nameservers.is_empty(), "{ctx}");
                for ns in &section.nameservers {
                    assert!(ns.other_counters.is_empty(), "{ctx}: {ns:?}");
                }
            }
        }
        ["show", "startup-logs"] => {
            let m = expect!(startup_logs::parse(r));
            assert!(m.iter().all(|x| !x.severity.is_empty()), "{ctx}: {m:?}");
        }
        ["show", "peers", ..] => {
            let s = expect!(peers::parse(r));
            let mesh = s
                .iter()
                .find(|x| x.name == "mesh")
                .expect("the mesh section");
            let hap2 = mesh.peers.iter().find(|p| p.name == "hap2").expect("hap2");
            // hap2 never runs: never established, but tried.
            assert!(!hap2.local && !hap2.connected(), "{ctx}");
            assert!(hap2.new_connections.is_some_and(|n| n > 0), "{ctx}");
            assert_eq!(hap2.tables.len(), 1, "{ctx}");
            assert_eq!(hap2.tables[0].name, "mesh/t_rate", "{ctx}");
            assert!(
                mesh.peers.iter().any(|p| p.name == "hap1" && p.local),
                "{ctx}"
            );
        }
        // The TLS store: fe_main's listener loads site.pem, api.pem and old.pem through
        // tls/crt-list.txt, with the CA file ca.pem and the CRL file crl.pem; new.pem exists
        // between the scenario's `new ssl cert` and `del ssl cert`.
        ["show", "ssl", "cert"] => {
            let l = expect!(ssl::parse_store_list(r));
            for configured in ["/api.pem", "/old.pem", "/site.pem"] {
                assert!(
                    l.names.iter().any(|n| n.ends_with(configured)),
                    "{ctx}: {l:?}"
                );
            }
            assert!(
                l.names.len() == 3
                    || (l.names.len() == 4 && l.names.iter().any(|n| n.ends_with("/new.pem"))),
                "{ctx}: {l:?}"
            );
        }
        ["show", "ssl", "cert", name] if r.contains("\nStatus: Empty\n") => {
            // `new ssl cert` made it; nothing was set yet.
            let d = expect!(ssl::parse_cert_details(r));
            assert_eq!(d.filename, *name, "{ctx}");
            assert!(
                d.not_after_epoch.is_none() && d.sans.is_empty(),
                "{ctx}: {d:?}"
            );
        }
        ["show", "ssl", "cert", name] => {
            let d = expect!(ssl::parse_cert_details(r));
            assert_eq!(d.filename, *name, "{ctx}");
            assert!(
                d.not_after_epoch.is_some() && d.serial.is_some(),
                "{ctx}: {d:?}"
            );
            assert!(!d.sans.is_empty() && d.subject.is_some(), "{ctx}: {d:?}");
            if name.ends_with("/site.pem") {
                // signed by the intermediate, which the file carries
                assert_eq!(d.chain.len(), 1, "{ctx}: {d:?}");
                assert!(d.chain_gaps().is_empty(), "{ctx}: {d:?}");
            }
        }
        ["show", "ssl", "crt-list"] => {
            let l = expect!(ssl::parse_crt_list_names(r));
            assert_eq!(l.len(), 1, "{ctx}");
        }
        ["show", "ssl", "crt-list", .., _] => {
            let l = expect!(ssl::parse_crt_list(r));
            // The configured three, and while the scenario serves it, new.pem's line 4 with
            // its options and both kinds of filter.
            match l.entries.get(3) {
                None => assert_eq!(l.entries.len(), 3, "{ctx}: {l:?}"),
                Some(new) => {
                    assert_eq!(l.entries.len(), 4, "{ctx}: {l:?}");
                    assert!(new.certificate.ends_with("/new.pem"), "{ctx}");
                    assert_eq!(new.line, Some(4), "{ctx}");
                    assert_eq!(new.options.as_deref(), Some("alpn h2"), "{ctx}");
                    assert_eq!(new.snis, ["new.example.test"], "{ctx}");
                    assert_eq!(new.excluded_snis, ["old.new.example.test"], "{ctx}");
                }
            }
            let old = l
                .entries
                .iter()
                .find(|e| e.certificate.ends_with("old.pem"));
            let old = old.unwrap_or_else(|| panic!("{ctx}: no old.pem line"));
            assert_eq!(old.excluded_snis, ["*.internal"], "{ctx}");
            assert_eq!(old.snis, ["legacy.example.test"], "{ctx}");
        }
        ["show", "ssl", "ca-file"] => {
            let l = expect!(ssl::parse_ca_file_list(r));
            assert!(
                l.files
                    .iter()
                    .any(|f| f.name.ends_with("/ca.pem") && f.certificates == 1),
                "{ctx}: {l:?}"
            );
        }
        // A new CA file has no certificate yet (HAProxy prints nothing for it).
        ["show", "ssl", "ca-file", name] => {
            let c = expect!(ssl::parse_ca_file_details(r));
            let expected = usize::from(!name.ends_with("/new-ca.pem"));
            assert_eq!(c.len(), expected, "{ctx}");
        }
        ["show", "ssl", "crl-file"] => {
            let l = expect!(ssl::parse_store_list(r));
            assert!(l.names.iter().any(|n| n.ends_with("/crl.pem")), "{ctx}");
        }
        // The root's (empty) list, or in the scenario's first transaction a certificate sent as
        // the payload, from which HAProxy reads no list at all.
        ["show", "ssl", "crl-file", name] => {
            let f = expect!(ssl::parse_crl_details(r));
            assert_eq!(f.filename, *name, "{ctx}");
            match f.lists.as_slice() {
                // A new, empty CRL file.
                [] if name.ends_with("/new-crl.pem") => {
                    assert_eq!(f.status.as_deref(), Some("Empty"), "{ctx}: {f:?}")
                }
                [] => assert!(name.starts_with('*'), "{ctx}: {f:?}"),
                [crl] => {
                    assert_eq!(
                        crl.issuer.as_deref(),
                        Some("/O=haproxy-mcp-server tests/CN=Test Root CA"),
                        "{ctx}"
                    );
                    assert!(
                        crl.next_update_epoch.is_some() && crl.revoked == 0,
                        "{ctx}: {f:?}"
                    );
                }
                _ => panic!("{ctx}: {f:?}"),
            }
        }
        // site.pem's response, loaded from site.pem.ocsp (3.0+ names the certificate).
        ["show", "ssl", "ocsp-response"] => {
            let ids = expect!(ocsp::parse_ocsp_ids(r));
            assert_eq!(ids.len(), 1, "{ctx}: {ids:?}");
            assert_eq!(ids[0].serial.as_deref(), Some("1000"), "{ctx}");
            let modern = !f.path.to_string_lossy().contains("/2.6/");
            assert_eq!(
                ids[0]
                    .path
                    .as_deref()
                    .is_some_and(|p| p.ends_with("/site.pem")),
                modern,
                "{ctx}: {ids:?}"
            );
        }
        // Good, then the revoked one the scenario sets, then good again.
        ["show", "ssl", "ocsp-response", _] => {
            let resp = expect!(ocsp::parse_ocsp_response(r));
            assert_eq!(resp.response_status, "successful (0x0)", "{ctx}");
            assert!(resp.next_update_epoch.is_some(), "{ctx}: {resp:?}");
            match resp.cert_status {
                Some(ocsp::CertStatus::Revoked) => assert_eq!(
                    resp.revocation_reason.as_deref(),
                    Some("keyCompromise (0x1)"),
                    "{ctx}"
                ),
                Some(ocsp::CertStatus::Good) => assert!(resp.revocation_time.is_none(), "{ctx}"),
                other => panic!("{ctx}: {other:?}"),
            }
        }
        // The capture configuration has no `acme` section: the header and no row (3.2+).
        ["acme", "status"] => {
            let rows = expect!(acme::parse_acme_status(r));
            assert!(rows.is_empty(), "{ctx}: {rows:?}");
        }
        ["show", "ssl", "sni"] => {
            let rows = expect!(ssl::parse_sni(r));
            // www.example.test, example.test, api.example.test, legacy.example.test
            assert!(rows.len() >= 4, "{ctx}: {rows:?}");
            assert!(
                rows.iter().all(|x| x.frontend == "fe_main"),
                "{ctx}: {rows:?}"
            );
        }
        _ => return Outcome::NotADump,
    }
    Outcome::Parsed
}

fn run(version: &str) {
    let all = fixtures(version);
    let mut exercised = std::collections::BTreeSet::new();
    for f in &all {
        let outcome = check(f);
        let format = registry::format_of(&f.command);
        // The registry and the checks above name the same commands as dumps: a format added to
        // one and forgotten in the other fails here.
        match (&outcome, format) {
            (Outcome::NotADump, Some(fm)) => panic!(
                "{version} `{}`: the registry reads it as {} but no check here does",
                f.command, fm.name
            ),
            (Outcome::Parsed | Outcome::Rejected, None) if f.command != "foobar" => panic!(
                "{version} `{}`: checked here as a dump, but no registry format claims it",
                f.command
            ),
            (Outcome::NotADump, None) => assert!(
                registry::is_acknowledged(&f.command)
                    || f.command.is_empty()
                    || f.command == "foobar",
                "{version} `{}`: neither a registered format nor an acknowledged command; add it to parse::registry",
                f.command
            ),
            _ => {}
        }
        if outcome == Outcome::Parsed
            && let Some(fm) = format
        {
            exercised.insert(fm.name);
        }
    }
    let missing: Vec<&str> = registry::FORMATS
        .iter()
        .filter(|f| f.recorded && !exercised.contains(f.name))
        .map(|f| f.name)
        .collect();
    if !all.is_empty() {
        assert!(
            missing.is_empty(),
            "{version}: no fixture exercises the formats {missing:?} (extend fixtures/scenario.txt)"
        );
    }
    let parsed = all.iter().filter(|f| check(f) == Outcome::Parsed).count();
    if !all.is_empty() {
        // Guard against the mapping silently matching nothing (e.g. a changed file format).
        assert!(parsed > 40, "{version}: only {parsed} fixtures parsed");
    }
}

#[test]
fn fixtures_of_every_recorded_version() {
    let versions = haproxy_mcp_server::demo::bundled_versions();
    assert!(!versions.is_empty(), "no fixtures/X.Y/ folder");
    for version in versions {
        run(version);
    }
}

/// The recorded replies of the TLS store's changes (`new` / `del ssl cert`, `add` / `del ssl
/// crt-list`), in scenario order, each classified as the client classifies it: success, or the
/// refusal kind the tools act on (an in-use certificate must read as `InUse`, so
/// remove_certificate can say why and put the lines back).
#[test]
fn tls_store_changes_are_classified_as_haproxy_meant_them() {
    use haproxy_mcp_server::haproxy::command::Command;
    use haproxy_mcp_server::haproxy::command::args::{CrtListLine, TlsFileName};
    use haproxy_mcp_server::haproxy::error::RefusalKind::{self, *};

    let name = TlsFileName::new("/x/new.pem").unwrap();
    let line = CrtListLine::new(name.clone(), None, &[]).unwrap();
    // (command lead, socket, expected outcome: None = success)
    let expected: &[(&str, &str, Option<RefusalKind>)] = &[
        ("new ssl cert", "admin", None),
        ("new ssl cert", "admin", Some(AlreadyExists)),
        ("add ssl crt-list", "admin", Some(InvalidState)), // the certificate is still empty
        ("add ssl crt-list", "admin", Some(InvalidArgument)), // unknown ssl keyword
        ("add ssl crt-list", "admin", Some(NoSuchTlsFile)), // no such crt-list
        ("add ssl crt-list", "admin", None),
        ("del ssl cert", "admin", Some(InUse)),
        ("del ssl crt-list", "admin", Some(InUse)), // a bind's default certificate
        ("del ssl crt-list", "admin", Some(InvalidArgument)), // wrong line number
        ("del ssl crt-list", "admin", Some(NoSuchTlsFile)),
        ("del ssl crt-list", "admin", None),
        ("del ssl cert", "admin", None),
        ("del ssl cert", "admin", Some(NoSuchTlsFile)),
        ("new ssl cert", "user", Some(PermissionDenied)),
        ("del ssl crt-list", "user", Some(PermissionDenied)),
    ];
    for version in haproxy_mcp_server::demo::bundled_versions() {
        let recorded: Vec<Fixture> = fixtures(version)
            .into_iter()
            .filter(|f| {
                [
                    "new ssl cert",
                    "del ssl cert",
                    "add ssl crt-list",
                    "del ssl crt-list",
                ]
                .iter()
                .any(|lead| f.command.starts_with(lead))
            })
            .collect();
        assert_eq!(
            recorded.len(),
            expected.len(),
            "{version}: the scenario's TLS store block changed; update this table"
        );
        for (f, (lead, socket, want)) in recorded.iter().zip(expected) {
            assert!(
                f.command.starts_with(lead) && f.socket == *socket,
                "{version}: expected `{lead}` on {socket}, recorded `{}` on {}",
                f.command,
                f.socket
            );
            let command = match *lead {
                "new ssl cert" => Command::new_ssl_cert(&name),
                "del ssl cert" => Command::del_ssl_cert(&name),
                "add ssl crt-list" => Command::add_crt_list_line(&name, &line),
                _ => Command::del_crt_list_line(&name, &name, 1),
            };
            assert_classified(version, f, &command, *want);
        }
    }
}

/// The recorded OCSP changes and lookups (`set` / `update ssl ocsp-response`, a `show` of an
/// unknown id), in scenario order, each classified as the client classifies it: 3.4 made them
/// admin-level, and `update` came with 2.8.
#[test]
fn ocsp_replies_are_classified_as_haproxy_meant_them() {
    use haproxy_mcp_server::haproxy::command::args::{OcspKey, TlsFileName};
    use haproxy_mcp_server::haproxy::command::{Command, Payload};
    use haproxy_mcp_server::haproxy::error::RefusalKind::{self, *};

    let name = TlsFileName::new("/x/site.pem").unwrap();
    let key = OcspKey::new("303b").unwrap();
    let payload = || Payload::new(vec!["MAMKAQA=".into()]).unwrap();
    for version in haproxy_mcp_server::demo::bundled_versions() {
        let (v26, v34) = (version == "2.6", version == "3.4");
        let update = |kind| if v26 { Some(UnknownCommand) } else { kind };
        // (command lead, socket, expected outcome: None = success)
        let expected: Vec<(&str, &str, Option<RefusalKind>)> = vec![
            ("show ssl ocsp-response 303b", "admin", Some(NoSuchTlsFile)),
            ("set ssl ocsp-response", "admin", None), // revoked
            ("set ssl ocsp-response", "admin", Some(InvalidArgument)), // another certificate's
            ("set ssl ocsp-response", "admin", Some(InvalidArgument)), // not base64
            ("set ssl ocsp-response", "admin", Some(InvalidArgument)), // nothing
            (
                "set ssl ocsp-response",
                "user",
                v34.then_some(PermissionDenied),
            ),
            ("set ssl ocsp-response", "admin", None), // good again
            ("update ssl ocsp-response", "admin", update(None)),
            (
                "update ssl ocsp-response",
                "admin",
                update(Some(NoSuchTlsFile)),
            ),
        ];
        let recorded: Vec<Fixture> = fixtures(version)
            .into_iter()
            .filter(|f| {
                f.command.starts_with("set ssl ocsp-response")
                    || f.command.starts_with("update ssl ocsp-response")
                    || f.command.starts_with("show ssl ocsp-response 303b3009060")
                        && f.command.ends_with("020101")
            })
            .collect();
        assert_eq!(
            recorded.len(),
            expected.len(),
            "{version}: the scenario's OCSP block changed; update this table"
        );
        for (f, (lead, socket, want)) in recorded.iter().zip(&expected) {
            let command = match *lead {
                "set ssl ocsp-response" => Command::set_ocsp_response(payload()),
                "update ssl ocsp-response" => Command::update_ocsp_response(&name),
                _ => Command::show_ocsp_response(&key),
            };
            assert!(
                f.socket == *socket,
                "{version} `{}` on {}",
                f.command,
                f.socket
            );
            assert_classified(version, f, &command, *want);
        }
    }
}

/// The recorded `acme renew` replies (3.2+, admin level), each classified as the client
/// classifies them: a certificate HAProxy holds without ACME, an unknown one, the user level;
/// before 3.2 HAProxy does not know the command.
#[test]
fn acme_renew_replies_are_classified_as_haproxy_meant_them() {
    use haproxy_mcp_server::haproxy::command::Command;
    use haproxy_mcp_server::haproxy::command::args::TlsFileName;
    use haproxy_mcp_server::haproxy::error::RefusalKind::*;

    let name = TlsFileName::new("/x/site.pem").unwrap();
    for version in haproxy_mcp_server::demo::bundled_versions() {
        let acme = !matches!(version, "2.6" | "3.0");
        let recorded: Vec<Fixture> = fixtures(version)
            .into_iter()
            .filter(|f| f.command.starts_with("acme renew "))
            .collect();
        let expected = [
            ("admin", NotConfigured),
            ("admin", NoSuchTlsFile),
            ("user", PermissionDenied),
        ];
        assert_eq!(
            recorded.len(),
            expected.len(),
            "{version}: the scenario's ACME block changed"
        );
        for (f, (socket, kind)) in recorded.iter().zip(expected) {
            assert_eq!(f.socket, socket, "{version} `{}`", f.command);
            let want = if acme { kind } else { UnknownCommand };
            assert_classified(version, f, &Command::acme_renew(&name), Some(want));
        }
    }
}

/// `f`'s reply, classified as the client classifies `command`'s, is `want` (None: success).
fn assert_classified(
    version: &str,
    f: &Fixture,
    command: &haproxy_mcp_server::haproxy::command::Command,
    want: Option<haproxy_mcp_server::haproxy::error::RefusalKind>,
) {
    let got = haproxy_mcp_server::haproxy::response::classify(command, f.reply.clone())
        .map_err(|e| e.refusal());
    match want {
        None => assert!(
            got.is_ok(),
            "{version} `{}`: {got:?}\n{}",
            f.command,
            f.reply
        ),
        Some(kind) => assert_eq!(
            got,
            Err(Some(kind)),
            "{version} `{}`:\n{}",
            f.command,
            f.reply
        ),
    }
}

/// Whether the fixture at `path` (under `fixtures/X.Y/`) was recorded from X.Y >= major.minor.
fn version_at_least(path: &Path, major: u32, minor: u32) -> bool {
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let mut parts = folder.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    v >= (major, minor)
}

fn opt_str(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}
