//! The official Python MCP SDK (`pip install mcp`) drives the built binary over stdio and over
//! Streamable HTTP (tests/python/mcp_client_check.py). Skips loudly without Python or the SDK,
//! except under CI=true, where .ci/run installs them and the test must run.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");

fn python_with_sdk() -> Option<String> {
    for py in ["python3", "python"] {
        let ok = Command::new(py)
            .args(["-c", "import mcp.client.streamable_http"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(py.to_owned());
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        panic!("CI=true but no Python with the `mcp` package was found (pip install mcp)");
    }
    eprintln!("SKIPPED python SDK tests: no python3 with the `mcp` package (pip install mcp)");
    None
}

fn script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python/mcp_client_check.py")
        .display()
        .to_string()
}

fn run(py: &str, args: &[&str]) {
    let out = Command::new(py).arg(script()).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok: "), "{stdout}");
}

#[test]
fn python_sdk_over_stdio() {
    let Some(py) = python_with_sdk() else { return };
    run(&py, &["stdio", BIN]);
}

#[test]
fn python_sdk_over_http() {
    let Some(py) = python_with_sdk() else { return };
    let port = support::free_port();
    let mut child = Command::new(BIN)
        .args([
            "--emulator",
            "3.2",
            "--transport",
            "http",
            "--port",
            &port.to_string(),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("http://127.0.0.1:{port}/mcp");
    let result = std::panic::catch_unwind(|| {
        assert!(up, "the HTTP server did not come up");
        run(&py, &["http", &url]);
    });
    // SIGTERM, so the server removes its demo socket folder.
    support::terminate(child.id());
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// The demo as a new user meets it: every tool of the catalogue called through the Python SDK
/// against `--emulator <version>` (the emulator's model), each effect read back with the matching
/// read tool, HAProxy's own refusals for bad input (tests/python/demo_every_tool.py).
#[test]
fn python_sdk_drives_every_tool_on_the_demo_of_every_version() {
    let Some(py) = python_with_sdk() else { return };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/demo_every_tool.py");
    for version in haproxy_mcp_server::demo::bundled_versions() {
        let out = Command::new(&py)
            .arg(&script)
            .args([BIN, version])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{version}: the demo failed a tool:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{version}: all ")) && stdout.contains(" tools called"),
            "{stdout}"
        );
    }
}
