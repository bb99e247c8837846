//! The settings, through the built binary as a user meets them: a bad setting (flag, environment
//! variable or TOML key) stops the server with exit code 2 and one message naming what the user
//! set, with a `fix:` line; accepted spellings (booleans, `MCP_HOST=localhost`, a bare
//! emulator); the Host and Origin allow-lists on a loopback bind; the demo mode's socket folder
//! removed on every way out; docs/configuration.md in step with `--help`; and the official MCP
//! conformance suite's DNS-rebinding scenario when the suite is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-mcp-server");

/// The binary with a clean environment (only `env`), so nothing from the caller leaks in.
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    c
}

/// Runs to the end (10 s at most: every case here stops at start, or at stdin's end).
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = command(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} {env:?} did not stop within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A TOML file in its own folder (kept alive by the returned guard).
fn toml_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

const TWO_TARGETS: &str = "[[targets]]\nname = \"eu\"\nmode = \"tcp4\"\nhost = \"127.0.0.1\"\nport = 9999\n\
                           [[targets]]\nname = \"us\"\nmode = \"unix\"\nsocket = \"/run/us.sock\"\n";

/// A bad setting: flags, environment, and the setting the message must name: the environment
/// variable alone when it came from there; the flag, with its variable for reference, when it
/// came from the command line.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, String);

/// Bad settings: (what is set: flags, environment), the setting the message must name.
/// Fixed by this change unless noted: before it, these exited 1 without `fix:`, printed the
/// message twice, named only the flag, or started anyway.
#[test]
fn every_bad_setting_exits_2_naming_what_was_set_with_a_fix() {
    let (_d1, unknown_default) = toml_file(&format!("default_target = \"asia\"\n{TWO_TARGETS}"));
    let (_d2, duplicate) = toml_file(&format!(
        "{TWO_TARGETS}[[targets]]\nname = \"eu\"\nmode = \"unix\"\nsocket = \"/run/x.sock\"\n"
    ));
    let (_d3, port_zero) =
        toml_file("[[targets]]\nname = \"eu\"\nmode = \"tcp4\"\nhost = \"10.0.0.5\"\nport = 0\n");
    let (_d4, default_without_targets) = toml_file("default_target = \"eu\"\n");
    let cases: Vec<Case> = vec![
        // The emulator.
        (
            vec!["--emulator", "3.1"],
            vec![],
            "--emulator (HAPROXY_MCP_EMULATOR)".into(),
        ),
        (
            vec![],
            vec![("HAPROXY_MCP_EMULATOR", "3.1")],
            "HAPROXY_MCP_EMULATOR".into(),
        ),
        // The audit log's folder does not exist.
        (
            vec!["--emulator", "--audit-log", "/nonexistent-dir/x.log"],
            vec![],
            "--audit-log (HAPROXY_MCP_AUDIT_LOG)".into(),
        ),
        (
            vec!["--emulator"],
            vec![("HAPROXY_MCP_AUDIT_LOG", "/nonexistent-dir/x.log")],
            "HAPROXY_MCP_AUDIT_LOG".into(),
        ),
        // The TOML file: the file and the key.
        (
            vec!["--config", &unknown_default],
            vec![],
            format!("default_target in the configuration file {unknown_default}"),
        ),
        (
            vec![],
            vec![("HAPROXY_MCP_CONFIG", &default_without_targets)],
            format!("default_target in the configuration file {default_without_targets}"),
        ),
        (
            vec!["--config", &duplicate],
            vec![],
            format!("targets[2].name in the configuration file {duplicate}"),
        ),
        (
            vec!["--config", &port_zero],
            vec![],
            format!("targets[0].port in the configuration file {port_zero}"),
        ),
        // Allow-lists that were not checked at all.
        (
            vec![],
            vec![("MCP_ALLOWED_ORIGINS", "foo")],
            "MCP_ALLOWED_ORIGINS".into(),
        ),
        (
            vec![],
            vec![("MCP_ALLOWED_ORIGINS", "ftp://x:99999")],
            "MCP_ALLOWED_ORIGINS".into(),
        ),
        (
            vec![],
            vec![("MCP_ALLOWED_ORIGINS", "http://x:99999")],
            "MCP_ALLOWED_ORIGINS".into(),
        ),
        (
            vec![],
            vec![("MCP_ALLOWED_ORIGINS", "https://app.example.com/path")],
            "MCP_ALLOWED_ORIGINS".into(),
        ),
        (
            vec!["--allowed-origins", "foo"],
            vec![],
            "--allowed-origins (MCP_ALLOWED_ORIGINS)".into(),
        ),
        (
            vec![],
            vec![("MCP_ALLOWED_HOSTS", "a:b:c")],
            "MCP_ALLOWED_HOSTS".into(),
        ),
        (
            vec![],
            vec![("MCP_ALLOWED_HOSTS", "mcp.example.com:99999")],
            "MCP_ALLOWED_HOSTS".into(),
        ),
        (
            vec!["--allowed-hosts", "a:b:c"],
            vec![],
            "--allowed-hosts (MCP_ALLOWED_HOSTS)".into(),
        ),
        // Port 0 was accepted.
        (vec![], vec![("HAPROXY_PORT", "0")], "HAPROXY_PORT".into()),
        // Refused before, but naming the flag instead of the environment variable.
        (
            vec![],
            vec![("HAPROXY_MCP_READ_ONLY", "maybe")],
            "HAPROXY_MCP_READ_ONLY".into(),
        ),
        (vec![], vec![("HAPROXY_PORT", "abc")], "HAPROXY_PORT".into()),
        (
            vec!["--haproxy-port", "abc"],
            vec![],
            "--haproxy-port (HAPROXY_PORT)".into(),
        ),
        (
            vec![],
            vec![("MCP_HOST", "mcp.example.com")],
            "MCP_HOST".into(),
        ),
        (
            vec![],
            vec![("MCP_TRANSPORT", "bogus")],
            "MCP_TRANSPORT".into(),
        ),
        (
            vec![],
            vec![("HAPROXY_MCP_TOOLSETS", "stats,nope")],
            "HAPROXY_MCP_TOOLSETS".into(),
        ),
        (vec![], vec![("MCP_PORT", "70000")], "MCP_PORT".into()),
        // Master mode without the master CLI's address used to fall back to 127.0.0.1:9999.
        (
            vec![],
            vec![("HAPROXY_RUNTIME_MODE", "master")],
            "HAPROXY_RUNTIME_MODE".into(),
        ),
        // Already refused with a fix (kept so): now naming only what was set.
        (vec![], vec![("LOG_LEVEL", "loud")], "LOG_LEVEL".into()),
        (
            vec![],
            vec![("HAPROXY_MAX_CONNECTIONS", "50")],
            "HAPROXY_MAX_CONNECTIONS".into(),
        ),
        (
            vec![],
            vec![("HAPROXY_CONNECT_TIMEOUT_MS", "0")],
            "HAPROXY_CONNECT_TIMEOUT_MS".into(),
        ),
        (
            vec![],
            vec![("HAPROXY_KEEP_ALIVE_MS", "600000")],
            "HAPROXY_KEEP_ALIVE_MS".into(),
        ),
        (
            vec![],
            vec![("HAPROXY_KEEP_ALIVE_MS", "soon")],
            "HAPROXY_KEEP_ALIVE_MS".into(),
        ),
        (
            vec![],
            vec![("MCP_RATE_LIMIT_BURST", "0")],
            "MCP_RATE_LIMIT_BURST".into(),
        ),
        (
            vec![],
            vec![("MCP_MAX_CONNECTIONS", "0")],
            "MCP_MAX_CONNECTIONS".into(),
        ),
        (
            vec![],
            vec![
                ("MCP_MAX_CONNECTIONS", "100"),
                ("MCP_MAX_CONNECTIONS_PER_IP", "200"),
            ],
            "MCP_MAX_CONNECTIONS_PER_IP".into(),
        ),
        (
            vec!["--header-read-timeout", "0"],
            vec![],
            "--header-read-timeout (MCP_HEADER_READ_TIMEOUT)".into(),
        ),
        (
            vec![],
            vec![("MCP_TRANSPORT", "http"), ("MCP_HOST", "0.0.0.0")],
            "MCP_HOST".into(),
        ),
        (
            vec!["--read-only=maybe"],
            vec![],
            "--read-only (HAPROXY_MCP_READ_ONLY)".into(),
        ),
        (vec!["--port"], vec![], "--port (MCP_PORT)".into()),
        (vec!["--bogus"], vec![], "the command line".into()),
    ];
    let mut failures = Vec::new();
    for (args, env, setting) in &cases {
        let out = run(args, env);
        let err = String::from_utf8_lossy(&out.stderr);
        let headline = format!("haproxy-mcp-server: configuration error in {setting}: ");
        let problems = [
            (out.status.code() != Some(2), "exit code is not 2"),
            (
                !err.starts_with(&headline),
                "does not start by naming the setting",
            ),
            (!err.contains("\n  fix: "), "has no fix: line"),
            (
                err.matches("configuration error").count() != 1,
                "is not printed exactly once",
            ),
            (
                err.lines().count() != 2,
                "is not exactly the message and its fix",
            ),
        ];
        for (failed, what) in problems {
            if failed {
                failures.push(format!(
                    "{args:?} {env:?}: {what} (code {:?}):\n{err}",
                    out.status.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Accepted spellings: booleans as 1/0, yes/no, on/off, true/false; `MCP_HOST=localhost`;
/// `HAPROXY_MCP_EMULATOR` empty, `true` or `newest` for the newest bundled version, `false` for
/// none. Each case: the environment, and what the start-up log must say. (The server then meets
/// stdin's end before any client spoke, which it reports as an error of its own: exit code 1,
/// not the configuration error's 2.)
#[test]
fn accepted_spellings_start_the_server() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("HAPROXY_MCP_READ_ONLY", "1")], r#""read_only":true"#),
        (&[("HAPROXY_MCP_READ_ONLY", "yes")], r#""read_only":true"#),
        (&[("HAPROXY_MCP_READ_ONLY", "on")], r#""read_only":true"#),
        (&[("HAPROXY_MCP_READ_ONLY", "true")], r#""read_only":true"#),
        (&[("HAPROXY_MCP_READ_ONLY", "0")], r#""read_only":false"#),
        (&[("HAPROXY_MCP_READ_ONLY", "no")], r#""read_only":false"#),
        (&[("HAPROXY_MCP_EMULATOR", "")], "EMULATED"),
        (&[("HAPROXY_MCP_EMULATOR", "true")], "EMULATED"),
        (&[("HAPROXY_MCP_EMULATOR", "newest")], "EMULATED"),
        (&[("HAPROXY_MCP_EMULATOR", "3.2")], "(3.2)"),
        (
            &[("HAPROXY_MCP_EMULATOR", "false")],
            r#""endpoint":"tcp://127.0.0.1:9999""#,
        ),
        (&[("MCP_HOST", "localhost")], "HAProxy target"),
        // Master mode with an address given (without one it is refused, above).
        (
            &[("HAPROXY_RUNTIME_MODE", "master"), ("HAPROXY_PORT", "9998")],
            "tcp://127.0.0.1:9998 (master CLI, @1)",
        ),
        (
            &[
                ("HAPROXY_RUNTIME_MODE", "master"),
                ("HAPROXY_RUNTIME_SOCKET", "/run/haproxy-master.sock"),
            ],
            "unix:///run/haproxy-master.sock (master CLI, @1)",
        ),
        (&[("HAPROXY_MCP_AUDIT_READS", "1")], "reads: true"),
    ];
    let newest = format!("({})", newest_bundled());
    for (env, needle) in cases {
        let mut env = env.to_vec();
        env.push(("LOG_FORMAT", "json"));
        let out = run(&[], &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("configuration error") && out.status.code() != Some(2),
            "{env:?}:\n{err}"
        );
        assert!(err.contains(needle), "{env:?}: no {needle:?} in\n{err}");
        if needle == &"EMULATED" {
            assert!(err.contains(&newest), "{env:?}: not {newest}:\n{err}");
        }
    }
}

/// The newest bundled fixtures folder (fixtures/X.Y).
fn newest_bundled() -> String {
    let mut versions: Vec<(u32, u32, String)> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                let (a, b) = name.split_once('.')?;
                Some((a.parse().ok()?, b.parse().ok()?, name))
            })
            .collect();
    versions.sort();
    versions.pop().unwrap().2
}

// ---- HTTP: Host and Origin on a loopback bind ---------------------------------------------------

/// A server started in the background; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    /// SIGTERM, so that the server removes its socket folder (SIGKILL after 5 s).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `--emulator --transport http --port 0` with more arguments and environment, and
    /// reads the bound port from its start-up line.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut all = vec!["--emulator", "--transport", "http", "--port", "0"];
        all.extend_from_slice(args);
        let mut child = command(&all, env)
            .env("HAPROXY_MCP_AUDIT_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let port = rest
                        .split('/')
                        .next()
                        .and_then(|a| a.rsplit(':').next())
                        .and_then(|p| p.parse::<u16>().ok());
                    let _ = tx.send(port);
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(15))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no listening line:\n{}", log.lock().unwrap()));
        Self {
            child,
            port,
            stderr: log,
        }
    }

    /// POSTs an `initialize` to /mcp from 127.0.0.1 with this Host and Origin; the status.
    async fn initialize(&self, host: &str, origin: Option<&str>) -> u16 {
        let mut r = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/mcp", self.port))
            .header("Host", host)
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            );
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        r.send().await.unwrap().status().as_u16()
    }

    /// GETs /healthz with this Host; the status.
    async fn health(&self, host: &str) -> u16 {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}/healthz", self.port))
            .header("Host", host)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// Before: a valid loopback Origin got 403 (the conformance suite's dns-rebinding-protection
/// scenario failed), and MCP_ALLOWED_HOSTS replaced the loopback names, so a local
/// `curl /healthz` got 403 beside a configured name; rmcp warned about port-less origins.
#[tokio::test]
async fn a_loopback_bind_accepts_loopback_origins_and_names() {
    let s = Server::start(
        &[],
        &[
            ("MCP_HOST", "localhost"),
            ("MCP_ALLOWED_HOSTS", "mcp.example.com"),
            ("MCP_ALLOWED_ORIGINS", "https://app.example.com"),
        ],
    );
    let p = s.port;
    let local = format!("127.0.0.1:{p}");
    for origin in [
        format!("http://127.0.0.1:{p}"),
        format!("http://localhost:{p}"),
        format!("http://[::1]:{p}"),
        "http://localhost:6274".to_owned(), // the MCP Inspector's page
        "https://app.example.com".to_owned(),
        "https://app.example.com:443".to_owned(),
    ] {
        assert_eq!(s.initialize(&local, Some(&origin)).await, 200, "{origin}");
    }
    assert_eq!(s.initialize(&local, None).await, 200);
    assert_eq!(s.initialize("mcp.example.com", None).await, 200);
    for origin in [
        "http://evil.example",
        "http://evil.example:6274",
        "http://app.example.com", // another scheme, so another origin
        "https://app.example.com:8443",
        "null",
    ] {
        assert_eq!(s.initialize(&local, Some(origin)).await, 403, "{origin}");
    }
    assert_eq!(s.initialize("evil.example", None).await, 403);
    assert_eq!(s.health(&local).await, 200, "loopback names stay allowed");
    assert_eq!(s.health(&format!("localhost:{p}")).await, 200);
    assert_eq!(s.health("mcp.example.com:443").await, 200);
    assert_eq!(s.health("evil.example").await, 403);
    let log = s.stderr.lock().unwrap().clone();
    assert!(
        !log.contains("without a port"),
        "rmcp warned about a port-less origin:\n{log}"
    );
}

/// Off a loopback bind, loopback origins are not added (the browser is not on the server's
/// machine); the loopback Host names still are, beside configured names (before: the README's
/// production example, `MCP_ALLOWED_HOSTS=mcp-host --host 0.0.0.0`, answered 403 to a local
/// `curl http://127.0.0.1:8080/healthz`).
#[tokio::test]
async fn a_public_bind_adds_loopback_names_but_no_loopback_origins() {
    let s = Server::start(
        &["--host", "0.0.0.0", "--allow-unauthenticated"],
        &[
            ("MCP_ALLOWED_ORIGINS", "http://localhost:3000"),
            ("MCP_ALLOWED_HOSTS", "mcp-host"),
        ],
    );
    let local = format!("127.0.0.1:{}", s.port);
    assert_eq!(s.health(&local).await, 200);
    assert_eq!(s.health("mcp-host:8080").await, 200);
    assert_eq!(s.health("evil.example").await, 403);
    assert_eq!(
        s.initialize(&local, Some("http://localhost:3000")).await,
        200
    );
    assert_eq!(
        s.initialize(&local, Some("http://localhost:6274")).await,
        403
    );
    assert_eq!(
        s.initialize(&local, Some(&format!("http://127.0.0.1:{}", s.port)))
            .await,
        403
    );
}

// ---- the demo mode's socket folder ----------------------------------------------------------------

/// Before: `/tmp/haproxy-mcp-<pid>`, predictable, reused if present, and left behind on SIGTERM
/// (and on SIGINT over stdio). Now a fresh private folder, removed on every way out.
#[test]
fn the_emulator_socket_folder_is_removed_on_every_exit() {
    let cases: &[(&str, &str)] = &[
        ("stdio", "EOF"),
        ("stdio", "TERM"),
        ("stdio", "INT"),
        ("http", "TERM"),
        ("http", "INT"),
    ];
    for (transport, stop) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = command(
            &["--emulator", "--transport", transport, "--port", "0"],
            &[("TMPDIR", tmp.path().to_str().unwrap())],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let folder = wait_for_socket(tmp.path(), &mut child);
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("haproxy-mcp-"), "{name}");
        assert_ne!(name, format!("haproxy-mcp-{}", child.id()), "predictable");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name} is open to others: {mode:o}");
        }
        if *stop == "EOF" {
            drop(child.stdin.take());
        } else {
            let status = Command::new("kill")
                .args([&format!("-{stop}"), &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{transport}: still running 15 s after {stop}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if *stop != "EOF" {
            assert_eq!(status.code(), Some(0), "{transport} after SIG{stop}");
        }
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{transport} after {stop}: left {left:?}");
    }
}

/// Waits until the emulator's socket exists under `tmp`; its folder.
fn wait_for_socket(tmp: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = std::fs::read_dir(tmp)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.join("master.sock").exists());
        if let Some(dir) = found {
            // The server is up once it listens; give it a moment past the socket's creation.
            std::thread::sleep(Duration::from_millis(300));
            return dir;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server stopped");
        assert!(Instant::now() < deadline, "no socket under {tmp:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- docs/configuration.md and --help ---------------------------------------------------------------

/// Settings read from the environment only (no flag), on purpose: `MCP_AUTH_TOKENS` (the
/// command line is visible to every user).
const ENV_ONLY: [&str; 2] = ["MCP_AUTH_TOKENS", "NO_COLOR"];

/// `--help`'s flags, each with its environment variable.
fn help_flags() -> BTreeMap<String, Option<String>> {
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in help.lines() {
        let t = line.trim_start();
        let flag = t
            .strip_prefix("-h, ")
            .or_else(|| t.strip_prefix("-V, "))
            .unwrap_or(t);
        if line.starts_with("  ") && flag.starts_with("--") && line.len() - t.len() <= 6 {
            let name: String = flag
                .chars()
                .take_while(|c| *c == '-' || c.is_ascii_alphanumeric())
                .collect();
            flags.insert(name.clone(), None);
            current = Some(name);
        } else if let (Some(f), Some(rest)) = (&current, t.strip_prefix("[env: ")) {
            let env: String = rest.chars().take_while(|c| *c != '=').collect();
            flags.insert(f.clone(), Some(env));
        }
    }
    flags.remove("--help");
    flags.remove("--version");
    flags
}

/// The rows of docs/configuration.md's tables: (env, flag or none).
fn documented_rows() -> Vec<(String, Option<String>)> {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let code = |cell: &str| -> Option<String> {
        let start = cell.find('`')? + 1;
        let end = start + cell[start..].find('`')?;
        Some(cell[start..end].to_owned())
    };
    doc.lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let l = l.replace("\\|", "/");
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let env = code(cells.get(1)?)?;
            if !env.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                return None; // another table (metrics)
            }
            let flag = code(cells.get(2)?).map(|f| {
                f.chars()
                    .take_while(|c| *c == '-' || c.is_ascii_alphanumeric())
                    .collect()
            });
            Some((env, flag))
        })
        .collect()
}

/// Before: nothing kept the two in step. Every flag of `--help` has its row (same environment
/// variable), every row's flag and variable is in `--help`, and the environment-only ones are
/// read by the code.
#[test]
fn configuration_doc_and_help_agree() {
    let help = help_flags();
    let rows = documented_rows();
    assert!(help.len() >= 30, "parsed {} flags from --help", help.len());
    let mut problems = Vec::new();
    for (flag, env) in &help {
        let Some(env) = env else {
            problems.push(format!("{flag} has no environment variable in --help"));
            continue;
        };
        if !rows
            .iter()
            .any(|(e, f)| e == env && f.as_ref() == Some(flag))
        {
            problems.push(format!(
                "--help has {flag} ({env}) but docs/configuration.md has no row `{env}` | `{flag}`"
            ));
        }
    }
    let config_src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs"))
            .unwrap();
    let read_by_src: BTreeSet<String> =
        env_reads(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
            .into_iter()
            .collect();
    let mut seen = BTreeSet::new();
    for (env, flag) in &rows {
        if !seen.insert(env.clone()) {
            problems.push(format!("docs/configuration.md has two rows for {env}"));
        }
        match flag {
            Some(f) if help.get(f).cloned().flatten().as_deref() != Some(env.as_str()) => {
                problems.push(format!("the row {env} | {f} is not in --help"))
            }
            Some(_) => {}
            None if ENV_ONLY.contains(&env.as_str())
                && (config_src.contains(&format!("\"{env}\"")) || read_by_src.contains(env)) => {}
            None => problems.push(format!(
                "the row {env} has no flag and is not a known environment-only setting read by src/"
            )),
        }
    }
    // Variables the code reads by itself (not through clap) need a row too.
    for name in env_reads(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        if !rows.iter().any(|(e, _)| *e == name) {
            problems.push(format!(
                "src/ reads the environment variable {name}, which docs/configuration.md does not list"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Names in `env::var("NAME")` and `env::var_os("NAME")` under `dir`.
fn env_reads(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            names.extend(env_reads(&path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for call in ["env::var(\"", "env::var_os(\""] {
            for piece in text.split(call).skip(1) {
                if let Some(name) = piece.split('"').next() {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

// ---- the MCP conformance suite ---------------------------------------------------------------------

/// The npm prefix holding `@modelcontextprotocol/conformance` (and Node.js 22, which it
/// needs): `MCP_CONFORMANCE_PREFIX`, else `target/mcp-conformance` here. Install with
/// `npm install --prefix target/mcp-conformance node@22 @modelcontextprotocol/conformance@0.2.0-alpha.12`.
fn conformance() -> Option<(PathBuf, String)> {
    let prefix = std::env::var_os("MCP_CONFORMANCE_PREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-conformance"));
    let bin = prefix.join("node_modules/.bin");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap()
    .to_string_lossy()
    .into_owned();
    let works = Command::new(bin.join("conformance"))
        .arg("--version")
        .env("PATH", &path)
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some((bin.join("conformance"), path));
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let how = format!(
        "npm install --prefix {} node@22 @modelcontextprotocol/conformance@0.2.0-alpha.12",
        prefix.display()
    );
    assert!(
        !ci,
        "CI=true but the MCP conformance suite is not installed in {} ({how})",
        prefix.display()
    );
    eprintln!(
        "SKIPPED MCP conformance test: the suite is not installed in {} ({how})",
        prefix.display()
    );
    None
}

/// Before: the scenario failed (a valid localhost Origin got 403). Runs the official suite's
/// `dns-rebinding-protection` for both spec versions that have it, against the binary on a
/// loopback bind with its defaults.
#[test]
fn mcp_conformance_dns_rebinding_protection() {
    let Some((suite, path)) = conformance() else {
        return;
    };
    let s = Server::start(&[], &[]);
    for spec in ["2025-11-25", "2026-07-28"] {
        let out = Command::new(&suite)
            .args([
                "server",
                "--url",
                &format!("http://127.0.0.1:{}/mcp", s.port),
            ])
            .args([
                "--scenario",
                "dns-rebinding-protection",
                "--spec-version",
                spec,
            ])
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains("Passed: 2/2, 0 failed"),
            "spec {spec}: {:?}\n{text}",
            out.status.code()
        );
    }
}

// ---- what docs/configuration.md promises about tool calls ------------------------------------------

/// An MCP client of the binary over stdio (`--emulator`), with more arguments and environment.
async fn stdio_client(
    args: &[&str],
    env: &[(&str, &str)],
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    use rmcp::ServiceExt;
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        c.env_clear()
            .arg("--emulator")
            .args(args)
            .envs(env.iter().copied());
    });
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    ().serve(transport).await.unwrap()
}

/// The text of a tool's reply.
fn reply_text(r: &rmcp::model::CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// docs/configuration.md: a call of a tool that does not exist is audited only with
/// `--audit-reads`.
#[tokio::test]
async fn an_unknown_tool_is_audited_only_with_audit_reads() {
    use rmcp::model::CallToolRequestParams;
    for reads in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let mut args = vec![];
        if reads {
            args.push("--audit-reads");
        }
        let client = stdio_client(&args, &[("HAPROXY_MCP_AUDIT_LOG", log.to_str().unwrap())]).await;
        let r = client
            .call_tool(CallToolRequestParams::new("no_such_tool"))
            .await;
        assert!(
            r.as_ref().is_err() || r.as_ref().is_ok_and(|r| r.is_error == Some(true)),
            "{r:?}"
        );
        client.cancel().await.unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        if reads {
            assert!(
                text.contains("\"tool\":\"no_such_tool\"") && text.contains("unknown_tool"),
                "{text}"
            );
        } else {
            assert!(!text.contains("no_such_tool"), "{text}");
        }
    }
}

/// docs/configuration.md: free-text arguments are capped at 4096 bytes (bytes, not characters).
#[tokio::test]
async fn free_text_arguments_are_capped_at_4096_bytes() {
    use rmcp::model::CallToolRequestParams;
    let client = stdio_client(&[], &[("HAPROXY_MCP_AUDIT_LOG", "off")]).await;
    let call = |key: String| {
        let args = serde_json::json!({"map": "#0", "key": key, "value": "v"});
        CallToolRequestParams::new("add_map_entry")
            .with_arguments(args.as_object().cloned().unwrap())
    };
    for (key, over) in [
        ("a".repeat(4096), false),
        ("a".repeat(4097), true),
        ("é".repeat(2048), false), // 4096 bytes
        ("é".repeat(2049), true),  // 4098 bytes, 2049 characters
    ] {
        let r = client.call_tool(call(key.clone())).await.unwrap();
        let text = reply_text(&r);
        let says_too_long = text.contains("4096");
        assert_eq!(
            says_too_long,
            over,
            "{} bytes: {}",
            key.len(),
            text.chars().take(300).collect::<String>()
        );
        if over {
            assert_eq!(r.is_error, Some(true));
        }
    }
    client.cancel().await.unwrap();
}

// ---- deploy/kubernetes ---------------------------------------------------------------------------

/// The literal `name: X` / `value: Y` environment pairs of a Deployment manifest (a `valueFrom`
/// entry gets `None`).
fn manifest_env(yaml: &str) -> Vec<(String, Option<String>)> {
    let mut env = Vec::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line.trim().strip_prefix("- name: ") else {
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            continue;
        }
        let value = lines
            .peek()
            .and_then(|next| next.trim().strip_prefix("value: "))
            .map(|v| v.trim_matches('"').to_owned());
        env.push((name.to_owned(), value));
    }
    env
}

/// deploy/kubernetes as a cluster would run it: every setting the Deployment sets is a documented
/// one, targets.toml is a valid group file, and the binary started with the Deployment's
/// arguments and environment (and config.toml) serves /healthz on the Service's names, listing
/// both target groups (here neither can be read: no /etc/haproxy-mcp, no cluster DNS, which
/// /healthz reports).
#[tokio::test]
async fn the_kubernetes_manifests_start_a_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes");
    let deployment = std::fs::read_to_string(dir.join("deployment.yaml")).unwrap();
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let env = manifest_env(&deployment);
    assert!(env.len() >= 6, "{env:?}");
    for (name, _) in &env {
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} is not a documented setting"
        );
    }
    assert!(deployment.contains("path: /healthz"), "probes on /healthz");
    assert!(deployment.contains(r#"args: ["--config", "/etc/haproxy-mcp/config.toml"]"#));

    // The group file, as the server reads it.
    let config = dir.join("config.toml");
    let text = std::fs::read_to_string(dir.join("targets.toml")).unwrap();
    let group = haproxy_mcp_server::config::GroupConfig {
        name: "edge".into(),
        source: haproxy_mcp_server::config::GroupSource::File(dir.join("targets.toml")),
        labels: BTreeMap::new(),
        read_only: false,
        refresh: Duration::from_secs(5),
    };
    let members = haproxy_mcp_server::config::parse_group_file(
        &text,
        &group,
        &haproxy_mcp_server::haproxy::ClientOptions::default(),
    )
    .unwrap();
    assert_eq!(members.len(), 3);

    // The binary with the Deployment's settings (a token for the Secret, any free port).
    let token = "k8s-test:0123456789abcdef0123456789abcdef";
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .map(|(name, value)| match (name.as_str(), value) {
            ("MCP_AUTH_TOKENS", _) => (name, token.to_owned()),
            ("MCP_PORT", _) => (name, "0".to_owned()),
            (_, Some(v)) => (name, v),
            (_, None) => panic!("{name}: only MCP_AUTH_TOKENS comes from a Secret"),
        })
        .collect();
    vars.push(("HAPROXY_MCP_AUDIT_LOG".into(), "off".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut child = command(&["--config", config.to_str().unwrap()], &vars)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(port) = line
                .split("Streamable HTTP at http://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse::<u16>().ok())
            {
                let _ = tx.send(Ok(port));
            }
            all.push_str(&line);
            all.push('\n');
        }
        let _ = tx.send(Err(all));
    });
    let port = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(port)) => port,
        other => {
            let _ = child.kill();
            panic!("the server did not start with the Deployment's settings: {other:?}");
        }
    };
    let health = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .header("Host", "haproxy-mcp-server.haproxy-mcp.svc:8080")
        .header("Authorization", "Bearer 0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let groups: Vec<&str> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["cluster", "edge"], "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    let edge = &body["groups"][1];
    assert!(
        edge["error"]
            .as_str()
            .unwrap()
            .contains("cannot read /etc/haproxy-mcp/targets.toml"),
        "{body}"
    );
}
