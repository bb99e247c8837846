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

/// The eleven everyday jobs of issue 13, done as an operator's assistant would: the built binary
/// driven by the Python SDK over stdio, through the master CLI of a live HAProxy started here
/// with two HTTPS frontends (a crt-list with SNI filters, certificates expiring in 9 and 24 days
/// and one expired), a CA and CRL, resolvers on a real DNS server (one nameserver that never
/// answers), a peer that never connects, a peers-synced rate-limit table, template slots, a
/// tracked server and a slow backend. Every answer is checked against HAProxy itself
/// (tests/python/operator_jobs.py: raw Runtime API replies, TLS handshakes, HTTP responses).
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_does_the_eleven_operator_jobs_on_live_haproxy() {
    const TEST: &str = "python_sdk_does_the_eleven_operator_jobs_on_live_haproxy";
    let Some(py) = python_with_sdk() else { return };
    let Some(certs) = support::test_certificates(TEST) else {
        return;
    };
    let Some(dns) = support::DnsServer::start(TEST, "127.0.0.1 app.svc.test\n") else {
        return;
    };
    let mut files = support::served_tls_files(certs.path());
    files.push(("hosts.map", "www.example.test be_app\n".to_owned()));
    files.push(("blocklist.acl", "192.0.2.66\n".to_owned()));
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let port = support::free_port;
    let (https, api, origin, slow, dead, p1, p2, dead_dns) = (
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
        port(),
    );
    let body = format!(
        "global\n    localpeer hap1\n    crt-base {{CONF}}\n    ca-base {{CONF}}\n\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
         peers mesh\n    peer hap1 127.0.0.1:{p1}\n    peer hap2 127.0.0.1:{p2}\n\
         \x20   table st_clients type ip size 1k expire 10m store http_req_rate(10s),http_req_cnt\n\n\
         resolvers localdns\n    nameserver dns1 127.0.0.1:{dns}\n    nameserver dns2 127.0.0.1:{dead_dns}\n\
         \x20   resolve_retries 2\n    timeout retry 200ms\n    hold valid 1s\n\n\
         frontend fe_https\n    bind 127.0.0.1:{https} ssl crt-list {{CONF}}/crt-list.txt ca-file ca.pem verify optional crl-file crl.pem\n\
         \x20   http-request track-sc0 req.hdr_ip(x-forwarded-for) table mesh/st_clients\n\
         \x20   http-request deny if {{ req.hdr_ip(x-forwarded-for) -f {{CONF}}/blocklist.acl }}\n\
         \x20   use_backend %[req.hdr(host),lower,map({{CONF}}/hosts.map,be_app)]\n\n\
         frontend fe_api\n    bind 127.0.0.1:{api} ssl crt api.pem\n    default_backend be_api\n\n\
         frontend fe_origin\n    bind 127.0.0.1:{origin}\n\
         \x20   http-request return status 500 if {{ path_beg /fail }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n\n\
         backend be_app\n    balance roundrobin\n    default-server check inter 500 weight 100\n\
         \x20   server-template app 1-3 127.0.0.1:{origin}\n    server dead 127.0.0.1:{dead}\n\n\
         backend be_api\n    balance roundrobin\n    server api1 127.0.0.1:{slow} check inter 500\n\
         \x20   server api2 127.0.0.1:{slow} track be_api/api1\n\n\
         backend be_dns\n    server-template svc 2 app.svc.test:{origin} resolvers localdns init-addr none check inter 500\n",
        dns = dns.port
    );
    slow_origin(slow, Duration::from_millis(150));
    let Some(hap) = support::ConfiguredHaproxy::start_with_files(TEST, &body, &files).await else {
        return;
    };
    let spec = serde_json::json!({
        "version": hap.version(),
        "admin_port": hap.cli_port,
        "master_port": hap.master_port,
        "https_port": https,
        "api_port": api,
        "origin_port": origin,
        "conf_dir": hap.conf_dir(),
        "host_dir": hap.host_dir(),
        "certs_dir": certs.path(),
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/operator_jobs.py");
    let out = tokio::process::Command::new(&py)
        .arg(&script)
        .args([BIN, &spec.to_string()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}: an operator job failed:\n{stdout}\n{}\nHAProxy's log:\n{}",
        hap.version(),
        String::from_utf8_lossy(&out.stderr),
        hap.log().await
    );
    assert!(stdout.contains("all 11 jobs done"), "{stdout}");
    eprintln!("{stdout}");
}

/// An HTTP origin on 127.0.0.1:`port` that answers every request after `delay` (the slow
/// backend of the operator jobs), on threads that live as long as the test process.
fn slow_origin(port: u16, delay: Duration) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the origin");
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // Health checks connect and close; requests end with an empty line.
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                std::thread::sleep(delay);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nslow",
                );
            });
        }
    });
}
