//! End to end against a real HAProxy: start the native `haproxy` (2.6 on Debian bookworm) with
//! fixtures/haproxy.cfg, record a small scenario with the capture tool into a temp dir, then
//! replay every recorded exchange through the emulator byte for byte.
//!
//! Skipped (loudly) when no `haproxy` binary is installed (`$HAPROXY_BIN` or `haproxy` on the
//! PATH), unless CI=true: then it fails.

mod common;

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use haproxy_emulator::capture::{self, CaptureOptions, Endpoint};
use haproxy_emulator::{Emulator, Level};

struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary to run: `$HAPROXY_BIN`, else `haproxy` from the PATH.
fn haproxy_bin() -> String {
    std::env::var("HAPROXY_BIN").unwrap_or_else(|_| "haproxy".into())
}

fn haproxy_version() -> Option<String> {
    let out = Command::new(haproxy_bin()).arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().next().map(str::to_string)
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const SCENARIO: &str = "\
admin show version
admin help
admin foobar
admin
user show cli level
admin show cli level
admin show servers state be_app
admin add server be_app/dyn1 127.0.0.1:{{var:app_port}} check
admin show servers state be_app
admin enable health be_app/dyn1
admin set server be_app/dyn1 state ready
@sleep 300
admin show servers state be_app
admin set weight be_app/app1 abc
admin set server be_app/dyn1 weight 7
admin get weight be_app/dyn1
admin show map
admin prepare map {{mapid:hosts.map}}
admin add map @{{newver}} {{mapid:hosts.map}} <<
| a.example.com be_app
| b.example.com be_api
admin commit map @{{newver}} {{mapid:hosts.map}}
admin show map {{mapid:hosts.map}}
admin set map {{mapid:hosts.map}} #{{mapref:hosts.map:b.example.com}} be_static
admin show map {{mapid:hosts.map}}
admin show sess
admin show sess {{sess:fe=fe_tcp}}
admin add map {{mapid:hosts.map}} with\\ blank value\\;semi
admin get map {{mapid:hosts.map}} with\\ blank
user set weight be_app/app1 10
admin show servers state be_app
";

#[tokio::test]
async fn capture_from_native_haproxy_then_replay() {
    let Some(version_line) = haproxy_version() else {
        // Any CI value but empty, `false` or `0` is CI (as in tests/support and the scripts).
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") {
            panic!("CI=true but no `haproxy` binary: install it (apt-get install haproxy)");
        }
        eprintln!("SKIPPED capture_from_native_haproxy_then_replay: no haproxy binary found");
        return;
    };
    let tmp = tempfile::Builder::new()
        .prefix("hxe")
        .tempdir_in("/tmp")
        .unwrap();
    let run_dir = tmp.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let conf_dir = fixtures_root().canonicalize().unwrap();
    let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
    let log = std::fs::File::create(tmp.path().join("haproxy.log")).unwrap();
    let child = Command::new(haproxy_bin())
        .args(["-db", "-f"])
        .arg(conf_dir.join("haproxy.cfg"))
        .env("HAPROXY_CONF_DIR", &conf_dir)
        .env("HAPROXY_RUN_DIR", &run_dir)
        .env("HAPROXY_BIND_ADDR", "127.0.0.1")
        .env("HAPROXY_CLI_PORT", ports[0].to_string())
        .env("HAPROXY_HTTP_PORT", ports[1].to_string())
        .env("HAPROXY_TCP_PORT", ports[2].to_string())
        .env("HAPROXY_APP_PORT", ports[3].to_string())
        .env("HAPROXY_AGENT_PORT", ports[4].to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn haproxy");
    let _guard = Haproxy(child);
    let admin = Endpoint::Unix(run_dir.join("admin.sock"));
    let user = Endpoint::Unix(run_dir.join("user.sock"));
    let mut up = false;
    for _ in 0..50 {
        if capture::exchange(&admin, b"show version\n", Duration::from_secs(1))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log_text = || std::fs::read_to_string(tmp.path().join("haproxy.log")).unwrap_or_default();
    assert!(up, "haproxy did not come up:\n{}", log_text());
    // a stream through fe_tcp for `show sess`
    let _held = tokio::net::TcpStream::connect(("127.0.0.1", ports[2]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let scenario = tmp.path().join("scenario.txt");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = tmp.path().join("fixtures");
    let written = capture::run(&CaptureOptions {
        scenario,
        admin,
        user: Some(user),
        haproxy_version: version_line.clone(),
        config: conf_dir.join("haproxy.cfg"),
        out: out.clone(),
        timeout: Duration::from_secs(5),
        vars: HashMap::from([("app_port".to_string(), ports[3].to_string())]),
    })
    .await
    .unwrap_or_else(|e| panic!("capture failed: {e}\n{}", log_text()));
    assert_eq!(written, 28);
    check_recording(&out, &version_line);

    let fixtures = load(&out);
    let run = Running::start(Emulator::load(&out).unwrap()).await;
    for pass in ["tcp", "unix"] {
        run.emulator.reset();
        for f in &fixtures {
            let ep = match (f.socket, pass) {
                (Level::User, _) => &run.user_ep,
                (_, "tcp") => &run.tcp_ep,
                _ => &run.unix_ep,
            };
            let got = send(ep, &f.request_bytes()).await;
            assert!(
                got == f.reply,
                "{pass}: {:04} `{}`: got {} expected {}",
                f.seq,
                f.command,
                show(&got),
                show(&f.reply)
            );
        }
    }
    run.stop().await;
}

fn check_recording(out: &Path, version_line: &str) {
    let fixtures = load(out);
    assert!(fixtures.iter().all(|f| f.haproxy == version_line));
    let find = |prefix: &str| {
        fixtures
            .iter()
            .find(|f| f.command.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` fixture"))
    };
    // placeholders were substituted in the recorded command
    assert!(!fixtures.iter().any(|f| f.command.contains("{{")));
    let payload = find("add map @");
    assert_eq!(
        payload.payload,
        vec!["a.example.com be_app", "b.example.com be_api"]
    );
    assert_eq!(payload.reply, b"\n");
    assert!(find("show sess 0x").reply.starts_with(b"0x"));
    let set_by_ref = find("set map #");
    assert!(
        set_by_ref.command.contains(" #0x"),
        "{}",
        set_by_ref.command
    );
    assert_eq!(set_by_ref.reply, b"\n");
    let escaped = find("get map #");
    assert!(
        String::from_utf8_lossy(&escaped.reply).contains("value=\"value;semi\""),
        "{}",
        show(&escaped.reply)
    );
    assert!(std::fs::read_to_string(out.join(".gitattributes")).is_ok());
}
