//! The built binary, end to end, as clients use it: over stdio (rmcp's child-process client)
//! and over Streamable HTTP, in demo mode (`--emulator`) so nothing else is needed. Also the
//! start-up refusals a new user meets.

mod support;

use std::process::Stdio;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");

fn args(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap()
}

#[tokio::test]
async fn stdio_binary_lists_and_calls_tools() {
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        c.args(["--emulator", "2.6"])
            .env("LOG_LEVEL", "warn")
            .stderr(Stdio::null());
    });
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    let info = client.peer_info().unwrap();
    assert_eq!(
        info.server_info.as_ref().unwrap().name,
        "haproxy-mcp-server"
    );
    assert_eq!(
        info.server_info.as_ref().unwrap().version,
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or("")
            .contains("emulated")
    );
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.len() >= 50, "{} tools", tools.len());
    let r = client
        .call_tool(CallToolRequestParams::new("show_info").with_arguments(args(json!({}))))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true));
    assert!(
        r.structured_content.unwrap()["version"]
            .as_str()
            .unwrap()
            .starts_with("2.6")
    );
    // HAProxy's refusal comes back as a tool error quoting it.
    let r = client
        .call_tool(
            CallToolRequestParams::new("show_stat")
                .with_arguments(args(json!({"proxy": "be_nope"}))),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn stdio_read_only_binary_hides_and_refuses_mutations() {
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        c.args(["--emulator", "3.2", "--read-only"])
            .stderr(Stdio::null());
    });
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(
        tools
            .iter()
            .all(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
    );
    assert!(!tools.iter().any(|t| t.name == "set_weight"));
    assert!(
        client
            .peer_info()
            .unwrap()
            .instructions
            .as_deref()
            .unwrap()
            .contains("READ-ONLY")
    );
    // Called by name anyway: refused, never sent.
    let r = client
        .call_tool(
            CallToolRequestParams::new("set_weight").with_arguments(args(
                json!({"backend": "be_app", "server": "app1", "weight": "10"}),
            )),
        )
        .await;
    // A JSON-RPC "tool not found" error is a refusal too; a result must be an error.
    if let Ok(r) = r {
        assert_eq!(r.is_error, Some(true));
    }
    client.cancel().await.unwrap();
}

/// Starts the binary over HTTP in demo mode and waits for /healthz.
async fn http_binary(extra: &[&str]) -> (tokio::process::Child, u16) {
    let port = support::free_port();
    let child = tokio::process::Command::new(BIN)
        .args([
            "--emulator",
            "--transport",
            "http",
            "--port",
            &port.to_string(),
        ])
        .args(extra)
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the HTTP server did not come up");
}

#[tokio::test]
async fn http_binary_serves_mcp_and_health() {
    let (mut child, port) = http_binary(&[]).await;
    let transport = StreamableHttpClientTransport::from_uri(format!("http://127.0.0.1:{port}/mcp"));
    let client = ().serve(transport).await.unwrap();
    assert_eq!(
        client
            .peer_info()
            .unwrap()
            .server_info
            .as_ref()
            .unwrap()
            .name,
        "haproxy-mcp-server"
    );
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "health_summary"));
    let r = client
        .call_tool(CallToolRequestParams::new("health_summary").with_arguments(args(json!({}))))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true));
    client.cancel().await.unwrap();

    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["targets"][0]["reachable"], true);

    // A browser page from elsewhere cannot drive the server (DNS rebinding / CSRF guard).
    let evil = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .header("Origin", "http://evil.example")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let bad_host = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .header("Host", "evil.example")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_host.status(), 403);
    // SIGTERM, as an operator stops it: the demo's socket folder is removed (SIGKILL would
    // leave it behind).
    let status = support::stop_gracefully(&mut child)
        .await
        .expect("the server stops on SIGTERM");
    assert!(status.success(), "{status}");
}

#[test]
fn bad_settings_stop_the_server_with_the_fix() {
    let out = std::process::Command::new(BIN)
        .args(["--transport", "http", "--host", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MCP_HOST") && err.contains("fix:"), "{err}");

    let out = std::process::Command::new(BIN)
        .env("HAPROXY_PORT", "99999")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("99999"));

    let out = std::process::Command::new(BIN)
        .args(["--emulator", "9.9"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a bundled HAProxy version"));
}

/// A caller's JSON-RPC id is logged raw by rmcp (at debug level, and on a rejected request);
/// the server's log writer keeps every event on one line, so an id with a line break cannot
/// forge a log line.
#[test]
fn a_request_id_with_a_line_break_cannot_forge_a_log_line() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = std::process::Command::new(BIN)
        .args(["--emulator", "--log-level", "debug"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let forged = "7\nINFO forged: admin logged in";
    for message in [
        json!({"jsonrpc": "2.0", "id": forged, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": forged, "method": "tools/call",
            "params": {"name": "show_info", "arguments": {}}}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        out.read_line(&mut line).unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("admin logged in"),
        "the id was not logged at all, so this proves nothing:\n{err}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with("INFO forged")),
        "a forged line:\n{err}"
    );
}

/// stdio over every kind of descriptor a client may hand the server: pipes (Python's SDK), a
/// socket pair per descriptor (Node's libuv), files, and stdout shared with stderr. Pipes and
/// sockets are driven by the reactor, the rest by Tokio's blocking streams (the log line at start
/// says which); every kind answers.
#[test]
fn stdio_answers_over_pipes_sockets_and_files() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::net::UnixStream;

    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "show_info", "arguments": {}}}),
    ]
    .iter()
    .map(|r| format!("{r}\n"))
    .collect::<String>();
    let server = || {
        let mut c = std::process::Command::new(BIN);
        c.args(["--emulator", "3.2"]).env("LOG_LEVEL", "info");
        c
    };
    // The answer to the show_info call, among the lines the server wrote.
    let answered = |out: &str| {
        out.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["id"] == json!(2) && v["result"]["isError"] == json!(false))
    };
    // Everything the server wrote, up to and including that answer.
    let read_until_answered = |from: &mut dyn Read| {
        let mut lines = BufReader::new(from).lines();
        let mut out = String::new();
        while !answered(&out) {
            out.push_str(&lines.next().expect("an answer").unwrap());
            out.push('\n');
        }
        out
    };
    let dir = tempfile::tempdir().unwrap();

    // Pipes: both ends driven by the reactor.
    let mut child = server()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(requests.as_bytes())
        .unwrap();
    read_until_answered(&mut child.stdout.take().unwrap());
    drop(child.stdin.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(err.contains(r#"stdin="pipe" stdout="pipe""#), "{err}");

    // A socket pair per descriptor.
    let (mut client_in, server_in) = UnixStream::pair().unwrap();
    let (client_out, server_out) = UnixStream::pair().unwrap();
    let errors = dir.path().join("sockets.err");
    let mut child = server()
        .stdin(std::os::fd::OwnedFd::from(server_in))
        .stdout(std::os::fd::OwnedFd::from(server_out))
        .stderr(std::fs::File::create(&errors).unwrap())
        .spawn()
        .unwrap();
    client_in.write_all(requests.as_bytes()).unwrap();
    let mut client_out = client_out;
    read_until_answered(&mut client_out);
    drop(client_in);
    assert!(child.wait().unwrap().success());
    let err = std::fs::read_to_string(&errors).unwrap();
    assert!(err.contains(r#"stdin="socket" stdout="socket""#), "{err}");

    // Files: Tokio's blocking streams; the session ends at the end of the input.
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, &requests).unwrap();
    let output = dir.path().join("out.jsonl");
    let status = server()
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(std::fs::File::create(&errors).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(answered(&std::fs::read_to_string(&output).unwrap()));
    let err = std::fs::read_to_string(&errors).unwrap();
    assert!(
        err.contains(r#"stdin="blocking" stdout="blocking""#),
        "{err}"
    );

    // stdout and stderr on one pipe (`2>&1`): stdout stays blocking, so the logs' blocking
    // writes to the same pipe never meet EAGAIN.
    let (reader, writer) = std::io::pipe().unwrap();
    let mut child = server()
        .stdin(Stdio::piped())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(requests.as_bytes())
        .unwrap();
    // The read end stays open until the server has exited: its last log lines go there too.
    let mut reader = reader;
    let out = read_until_answered(&mut reader);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(out.contains(r#"stdin="pipe" stdout="blocking""#), "{out}");
}
