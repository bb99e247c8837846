//! How the client behaves when the other end misbehaves: a stalled socket, an endless reply,
//! a silent close, a missing socket. These need no HAProxy: a tiny local listener plays the part.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use haproxy_mcp_server::haproxy::command::ServerAdminState;
use haproxy_mcp_server::haproxy::command::args::ServerRef;
use haproxy_mcp_server::haproxy::error::TimeoutStage;
use haproxy_mcp_server::haproxy::{ClientOptions, Endpoint, Limits, RuntimeClient, RuntimeError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};

fn fast_limits() -> ClientOptions {
    ClientOptions {
        limits: Limits {
            connect_timeout: Duration::from_millis(500),
            command_timeout: Duration::from_millis(300),
            max_reply_bytes: 1024,
        },
        read_retries: 3,
        retry_backoff: Duration::from_millis(100),
        ..Default::default()
    }
}

/// A TCP listener that runs `behave` on every accepted connection.
async fn fake<F, Fut>(behave: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            behave(s).await;
        }
    });
    port
}

#[tokio::test]
async fn a_stalled_socket_hits_the_deadline() {
    let port = fake(|s| async move {
        tokio::spawn(async move {
            let _keep = s;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
    })
    .await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let started = Instant::now();
    let err = c.show_info().await.unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::Timeout {
                stage: TimeoutStage::Reply,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(err.to_string().contains("did not finish its reply"));
}

#[tokio::test]
async fn a_reply_past_the_cap_is_cut_off() {
    let port = fake(|mut s| async move {
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(&vec![b'x'; 64 * 1024]).await;
    })
    .await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let err = c.show_info().await.unwrap_err();
    assert!(
        matches!(err, RuntimeError::ReplyTooLarge { limit: 1024, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_close_without_reply_is_an_error_not_an_empty_success() {
    let port = fake(|s| async move { drop(s) }).await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let server = ServerRef::new("be_app", "app1").unwrap();
    let err = c
        .set_server_state(&server, ServerAdminState::Maint)
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::NoReply { .. }), "{err}");
}

#[tokio::test]
async fn garbage_after_a_mutation_is_not_success() {
    let port = fake(|mut s| async move {
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(b"\xff\xfe garbage\n\n").await;
    })
    .await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let server = ServerRef::new("be_app", "app1").unwrap();
    let err = c
        .set_server_state(&server, ServerAdminState::Maint)
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::Unrecognized { .. }), "{err}");
}

/// Retries are counted, not timed: the test runs on tokio's paused clock, which moves only
/// when every task waits on a timer. Connecting to a missing Unix socket fails at once, so the
/// virtual time that passes is exactly the client's backoff sleeps (100 ms, then 200 ms, ...).
#[tokio::test(start_paused = true)]
async fn reads_are_retried_when_nothing_was_sent_but_mutations_are_not() {
    let dir = tempfile::Builder::new()
        .prefix("hr")
        .tempdir_in("/tmp")
        .unwrap();
    let path = dir.path().join("late.sock");
    // One connection per command, so the listener's count below is a count of attempts.
    let c = RuntimeClient::new(
        Endpoint::unix(&path),
        ClientOptions {
            keep_alive: Duration::ZERO,
            ..fast_limits()
        },
    );
    let server = ServerRef::new("be_app", "app1").unwrap();

    // No socket yet: the mutation fails at once, without a single backoff sleep.
    let started = tokio::time::Instant::now();
    let err = c
        .set_server_state(&server, ServerAdminState::Maint)
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::Connect { .. }), "{err}");
    assert!(err.nothing_sent());
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "a mutation must not be retried"
    );

    // A read with no socket: the first attempt and all three retries (after 100 + 200 + 400 ms
    // of backoff) fail; the error comes after exactly those sleeps.
    let started = tokio::time::Instant::now();
    let err = c.show_version().await.unwrap_err();
    assert!(matches!(err, RuntimeError::Connect { .. }), "{err}");
    assert_eq!(started.elapsed(), Duration::from_millis(700), "3 retries");

    // The socket appears 150 ms later: the read succeeds on its third attempt (t = 300 ms),
    // and the listener saw exactly one connection.
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (p, count) = (path.clone(), accepted.clone());
    let started = tokio::time::Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = UnixListener::bind(&p).unwrap();
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"2.6.12\n\n").await;
        }
    });
    assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    assert_eq!(started.elapsed(), Duration::from_millis(300), "2 retries");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_missing_socket_says_where_it_looked() {
    let c = RuntimeClient::new(
        Endpoint::unix("/nonexistent/haproxy.sock"),
        ClientOptions {
            read_retries: 0,
            ..fast_limits()
        },
    );
    let err = c.show_info().await.unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/haproxy.sock"),
        "{err}"
    );
}

/// A fake CLI that answers by command prefix and records every line it received.
async fn scripted(
    answers: &'static [(&'static str, &'static str)],
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let port = fake(move |mut s| {
        let log = log.clone();
        async move {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf).await;
            let line = String::from_utf8_lossy(&buf)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            log.lock().unwrap().push(line.clone());
            let reply = answers
                .iter()
                .find(|(p, _)| line.starts_with(p))
                .map_or("\n", |(_, r)| r);
            let _ = s.write_all(reply.as_bytes()).await;
        }
    })
    .await;
    (port, seen)
}

#[tokio::test]
async fn an_uncertain_commit_never_clears_the_live_map() {
    use haproxy_mcp_server::haproxy::command::args::MapName;
    let (port, seen) = scripted(&[
        ("prepare map", "New version created: 5\n\n"),
        ("commit map", "something unexpected\n\n"),
    ])
    .await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let map = MapName::new("#4").unwrap();
    let err = c
        .replace_map(&map, &[("k".to_owned(), "v".to_owned())])
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::Unrecognized { .. }), "{err}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        ["prepare map #4", "add map @5 #4 <<", "commit map @5 #4"],
        "no clear after an uncertain commit"
    );
}

#[tokio::test]
async fn a_refused_load_discards_the_prepared_version() {
    use haproxy_mcp_server::haproxy::command::args::MapName;
    let (port, seen) = scripted(&[
        ("prepare map", "New version created: 7\n\n"),
        ("add map", "Version number out of range.\n\n"),
    ])
    .await;
    let c = RuntimeClient::new(Endpoint::tcp("127.0.0.1", port), fast_limits());
    let map = MapName::new("#4").unwrap();
    assert!(
        c.replace_map(&map, &[("k".to_owned(), "v".to_owned())])
            .await
            .is_err()
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        ["prepare map #4", "add map @7 #4 <<", "clear map @7 #4"]
    );
}

// ---- the kept prompt-mode connection ---------------------------------------------------------

/// One write of a scripted CLI: after a pause, these bytes.
type Write = (Duration, &'static [u8]);

/// A CLI on TCP that answers each line with `script(connection, line, prompt mode)`: writes done
/// in order, each after its pause (`prompt` must be answered by the script too; the helper only
/// tracks the mode). Returns the port and the count of accepted connections.
async fn scripted_cli<F>(script: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(usize, &str, bool) -> Vec<Write> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (count, script) = (accepted.clone(), Arc::new(script));
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let conn = count.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            tokio::spawn(async move {
                let (rd, mut wr) = s.into_split();
                let mut lines = BufReader::new(rd).lines();
                let mut prompt = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    prompt |= line == "prompt";
                    for (pause, bytes) in script(conn, &line, prompt) {
                        tokio::time::sleep(pause).await;
                        if wr.write_all(bytes).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// A CLI that speaks prompt mode as HAProxy does: `prompt` answered with `"\n> "`, every other
/// line with `output` and then the prompt (`"\n> "`, or `"\n"` and EOF at the client's half-close
/// out of prompt mode).
async fn prompt_cli<F>(output: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(usize, &str) -> &'static [u8] + Send + Sync + 'static,
{
    scripted_cli(move |conn, line, prompt| {
        let end: &'static [u8] = if prompt { b"\n> " } else { b"\n" };
        if line == "prompt" {
            vec![(Duration::ZERO, end)]
        } else {
            vec![(Duration::ZERO, output(conn, line)), (Duration::ZERO, end)]
        }
    })
    .await
}

fn kept(port: u16) -> RuntimeClient {
    RuntimeClient::new(
        Endpoint::tcp("127.0.0.1", port),
        ClientOptions {
            keep_alive: Duration::from_secs(5),
            ..fast_limits()
        },
    )
}

fn version_or_nothing(_: usize, line: &str) -> &'static [u8] {
    if line == "show version" {
        b"2.6.12\n"
    } else {
        b""
    }
}

#[tokio::test]
async fn reads_share_the_kept_connection_and_changes_do_not() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let (port, accepted) = prompt_cli(move |conn, line| {
        log.lock().unwrap().push((conn, line.to_owned()));
        version_or_nothing(conn, line)
    })
    .await;
    let c = kept(port);
    for _ in 0..3 {
        assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one kept connection");
    c.set_server_state(
        &ServerRef::new("be_app", "app1").unwrap(),
        ServerAdminState::Maint,
    )
    .await
    .unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "a change has its own");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (0, "show version".to_owned()),
            (0, "show version".to_owned()),
            (0, "show version".to_owned()),
            (1, "set server be_app/app1 state maint".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_cli_without_prompt_mode_gets_one_connection_per_command() {
    // An unknown `prompt`, as a proxy or an old CLI might answer; EOF follows each reply.
    let (port, accepted) = scripted_cli(|_, line, _| {
        vec![(
            Duration::ZERO,
            if line == "prompt" {
                b"Unknown command: 'prompt'\n\n"
            } else {
                b"2.6.12\n\n"
            },
        )]
    })
    .await;
    let c = kept(port);
    for _ in 0..3 {
        assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    }
    // One try at prompt mode, then one connection per command.
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn bytes_after_a_reply_retire_the_kept_connection() {
    // The first connection's reply comes with its prompt, and then stray bytes: the connection
    // is out of step.
    let (port, accepted) = scripted_cli(|conn, line, _| match (line, conn) {
        ("prompt", _) => vec![(Duration::ZERO, b"\n> ")],
        (_, 0) => vec![
            (Duration::ZERO, b"2.6.12\n\n> "),
            (Duration::from_millis(10), b"stray"),
        ],
        _ => vec![(Duration::ZERO, b"2.6.13\n\n> ")],
    })
    .await;
    let c = kept(port);
    assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Not read as the next reply: a new connection answers.
    assert_eq!(c.show_version().await.unwrap(), "2.6.13");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_kept_connection_that_stops_mid_reply_is_not_used_again() {
    // The first connection sends half a reply, and then nothing: stuck.
    let (port, accepted) = scripted_cli(|conn, line, _| match (line, conn) {
        ("prompt", _) => vec![(Duration::ZERO, b"\n> ")],
        (_, 0) => vec![(Duration::ZERO, b"2.6")],
        _ => vec![(Duration::ZERO, b"2.6.12\n\n> ")],
    })
    .await;
    let c = kept(port);
    let err = c.show_version().await.unwrap_err();
    assert!(matches!(err, RuntimeError::Timeout { .. }), "{err}");
    // The broken connection is not used again.
    assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_kept_connection_counts_in_the_connection_budget() {
    let (port, accepted) = prompt_cli(version_or_nothing).await;
    let c = RuntimeClient::new(
        Endpoint::tcp("127.0.0.1", port),
        ClientOptions {
            max_connections: 1,
            keep_alive: Duration::from_secs(30),
            ..fast_limits()
        },
    );
    assert_eq!(c.show_version().await.unwrap(), "2.6.12");
    // The only permit is held by the idle kept connection: a change closes it rather than
    // wait 30 s for it.
    let started = Instant::now();
    c.set_server_state(
        &ServerRef::new("be_app", "app1").unwrap(),
        ServerAdminState::Ready,
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn two_reads_at_once_keep_two_connections_and_a_third_goes_one_shot() {
    let prompted = Arc::new(AtomicUsize::new(0));
    let prompts = prompted.clone();
    // Replies slow enough for three calls to overlap.
    let slow = Duration::from_millis(100);
    let (port, accepted) = scripted_cli(move |_, line, prompt| match (line, prompt) {
        ("prompt", _) => {
            prompts.fetch_add(1, Ordering::SeqCst);
            vec![(Duration::ZERO, b"\n> ")]
        }
        (_, true) => vec![(slow, b"2.6.12\n\n> ")],
        (_, false) => vec![(slow, b"2.6.12\n\n")],
    })
    .await;
    let c = kept(port);
    let (a, b, d) = tokio::join!(c.show_version(), c.show_version(), c.show_version());
    for v in [a, b, d] {
        assert_eq!(v.unwrap(), "2.6.12");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    assert_eq!(prompted.load(Ordering::SeqCst), 2, "two kept, one one-shot");
    // Both kept connections serve the next pair.
    let (a, b) = tokio::join!(c.show_version(), c.show_version());
    assert_eq!((a.unwrap(), b.unwrap()), ("2.6.12".into(), "2.6.12".into()));
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}
