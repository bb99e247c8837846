//! insta snapshots of every parser over every reply recorded from real HAProxy 2.6, 3.0, 3.2 and
//! 3.4 (every `fixtures/<version>/` folder, as listed by `demo::bundled_versions`). One snapshot
//! per (version, output format), holding each recorded command with its parsed result, so a
//! parser change or a new recording shows up in review.

use std::path::Path;

use haproxy_emulator::fixture::{Fixture, load_dir};
use haproxy_mcp_server::haproxy::parse::{self, registry};
use haproxy_mcp_server::haproxy::response::{frame, refusal_kind};
use serde_json::{Value, json};

fn snapshot_version(version: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(version);
    let fixtures: Vec<Fixture> = load_dir(&dir).expect("fixtures load");
    assert!(
        fixtures.len() > 100,
        "{version}: only {} fixtures",
        fixtures.len()
    );
    let mut by_format: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for f in &fixtures {
        let Some(format) = registry::format_of(&f.command) else {
            continue;
        };
        let reply = frame(&f.reply);
        let parsed = match refusal_kind(&reply) {
            // A refusal is classified before any parser sees it, as the client does.
            Some(kind) => json!({ "refused": kind }),
            None => match (format.parse)(&reply) {
                Ok(v) => v,
                Err(e) => panic!("{version} #{:04} `{}`: {e}\n{reply}", f.seq, f.command),
            },
        };
        by_format.entry(format.name).or_default().push(json!({
            "seq": f.seq,
            "socket": f.socket.as_str(),
            "command": f.command,
            "parsed": parsed,
        }));
    }
    for (format, entries) in by_format {
        insta::with_settings!({ snapshot_suffix => version.replace('.', "_"), prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(format, entries);
        });
    }
}

/// One snapshot per (recorded version, format): `<format>@<version>.snap`.
#[test]
fn parsed_fixtures_every_version() {
    for version in haproxy_mcp_server::demo::bundled_versions() {
        snapshot_version(version);
    }
}

#[test]
fn show_info_of_each_fixture_folder_names_its_version() {
    let versions = haproxy_mcp_server::demo::bundled_versions();
    // The list every test iterates over is the fixtures folders on disk (build.rs is not stale).
    let mut on_disk: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            // fixtures/tls: the capture configuration's certificates, not a version
            .filter(|name| haproxy_emulator::version::Version::parse(name).is_some())
            .collect();
    on_disk.sort_by_key(|v| haproxy_emulator::version::Version::parse(v));
    assert_eq!(versions, on_disk, "bundled versions vs fixtures/ folders");
    for version in versions {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(version);
        let fixtures = load_dir(&dir).unwrap();
        let info = fixtures
            .iter()
            .find(|f| f.command == "show info")
            .expect("show info recorded");
        let parsed = parse::info::parse(&frame(&info.reply)).unwrap();
        assert!(
            parsed.version().unwrap().starts_with(version),
            "{version}: {:?}",
            parsed.version()
        );
        assert!(
            info.haproxy.contains(&format!("version {version}.")),
            "{}",
            info.haproxy
        );
    }
}
