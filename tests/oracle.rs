//! The oracle (issue 11, item 2): HAProxy is the truth. Generated configurations, unlike
//! `fixtures/haproxy.cfg`, run on a real HAProxy (natively, or the container named by
//! `HAPROXY_LIVE_IMAGE`); once its checks have settled, what the MCP tools say about EVERY
//! server, frontend and backend must equal HAProxy's own `status` column of `show stat`, read raw
//! over the admin socket and split here.
//!
//! HAProxy's status maps to a category: `UP…` or `no check` → up, `DOWN…` → down, `DRAIN…` →
//! drain, `MAINT…` → maint, `NOLB…` → nolb. The tools checked: `list_servers` (each server's
//! `state` and `status`; and `state=up` must list exactly the servers HAProxy calls up),
//! `get_server` (each server), `get_backend` (each backend's servers), `show_servers_state` (the
//! verdict derived from the state flags alone), `list_backends` (status and server tally),
//! `list_frontends`
//! (status) and `health_summary` (status and per-backend counts). Every disagreement goes into one
//! table, printed before the test fails.
//!
//! Everything the configurations touch is on 127.0.0.1 and lives in this test process: HTTP check
//! targets (200, 500, 404), agents (each writes one fixed line and closes), a DNS server (one
//! name resolves, others are NXDOMAIN) and a port nobody listens on. In a container HAProxy runs
//! with host networking so it reaches them.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use haproxy_mcp_server::mcp::Settings;
use serde_json::{Value, json};
use support::mcp::McpHarness;
use support::{ConfiguredHaproxy, free_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

// ---- test-side listeners ------------------------------------------------------------------------

/// What a test-side TCP listener answers on each connection.
#[derive(Debug, Clone, Copy)]
enum Reply {
    /// Reads the request head, answers this HTTP/1.0 status line with no body, closes.
    Http(&'static str),
    /// Writes this agent line (a newline is added) and closes.
    Agent(&'static str),
}

/// Starts a listener on a fresh 127.0.0.1 port answering `reply`; lives as long as the runtime.
async fn responder(reply: Reply) -> u16 {
    let port = free_port();
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind responder");
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(answer(conn, reply));
        }
    });
    port
}

async fn answer(mut conn: TcpStream, reply: Reply) {
    match reply {
        Reply::Http(status) => {
            let mut head = Vec::new();
            let mut chunk = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
            })
            .await;
            let response =
                format!("HTTP/1.0 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = conn.write_all(response.as_bytes()).await;
        }
        Reply::Agent(line) => {
            let _ = conn.write_all(format!("{line}\n").as_bytes()).await;
        }
    }
    let _ = conn.shutdown().await;
}

/// The one name the test DNS server resolves (to 127.0.0.1); every other name is NXDOMAIN.
const RESOLVABLE: &str = "ok.test";

/// A minimal DNS server on a fresh 127.0.0.1 UDP port.
async fn dns_server() -> u16 {
    let port = free_port();
    let sock = UdpSocket::bind(("127.0.0.1", port))
        .await
        .expect("bind DNS server");
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            if let Some(reply) = dns_reply(&buf[..n]) {
                let _ = sock.send_to(&reply, peer).await;
            }
        }
    });
    port
}

/// The answer to one query: `RESOLVABLE` IN A → 127.0.0.1, `RESOLVABLE` other types → no
/// answer, any other name → NXDOMAIN. Only the question is echoed (no EDNS record).
fn dns_reply(q: &[u8]) -> Option<Vec<u8>> {
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let question = q.get(12..i + 4)?;
    let known = labels.join(".") == RESOLVABLE;
    let answered = known && qtype == 1;
    let mut r = Vec::with_capacity(64);
    r.extend_from_slice(&q[0..2]);
    // QR + AA + the query's RD; RA + rcode (0, or 3 = NXDOMAIN).
    r.push(0x84 | (q[2] & 0x01));
    r.push(0x80 | if known { 0 } else { 3 });
    r.extend_from_slice(&[0, 1, 0, u8::from(answered), 0, 0, 0, 0]);
    r.extend_from_slice(question);
    if answered {
        // Name pointer to the question, type A, class IN, TTL 60, 4 bytes: 127.0.0.1.
        r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    }
    Some(r)
}

/// Every listener the configurations use, started once per test.
struct Ports {
    ok: u16,
    http500: u16,
    http404: u16,
    agent_up: u16,
    agent_down: u16,
    agent_drain: u16,
    agent_maint: u16,
    agent_half: u16,
    /// Nothing listens here: L4 checks fail (connection refused).
    dead: u16,
    dns: u16,
}

impl Ports {
    async fn start() -> Self {
        Self {
            ok: responder(Reply::Http("200 OK")).await,
            http500: responder(Reply::Http("500 Internal Server Error")).await,
            http404: responder(Reply::Http("404 Not Found")).await,
            agent_up: responder(Reply::Agent("up")).await,
            agent_down: responder(Reply::Agent("down")).await,
            agent_drain: responder(Reply::Agent("drain")).await,
            agent_maint: responder(Reply::Agent("maint")).await,
            agent_half: responder(Reply::Agent("50%")).await,
            dead: free_port(),
            dns: dns_server().await,
        }
    }
}

// ---- the generated configurations ---------------------------------------------------------------

/// One step run on the admin socket after HAProxy answers, before the checks settle.
enum Step {
    /// A raw CLI command; its reply is kept for the failure message.
    Cli(String),
    /// Waits until `show stat` gives `proxy/server` this `addr` (HAProxy 3.0+ applies
    /// `set server … addr` asynchronously).
    AwaitAddr(&'static str, String, String),
}

/// One generated configuration and what HAProxy itself must end up saying (the scenario's own
/// sanity check: without it a configuration that never reached its intended state would still
/// pass the oracle vacuously).
struct Case {
    name: &'static str,
    /// The configuration after the helper's `global` section.
    config: String,
    steps: Vec<Step>,
    /// `(pxname, svname)` → the exact `status` HAProxy must print; alternatives split by `|`.
    /// Every row of `show stat` must be listed.
    expect: BTreeMap<(String, String), &'static str>,
}

impl Case {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            config: DEFAULTS.to_owned(),
            steps: Vec::new(),
            expect: BTreeMap::new(),
        }
    }

    fn section(&mut self, text: &str) {
        self.config.push_str(text);
        self.config.push('\n');
    }

    fn expect(&mut self, px: &str, sv: &str, status: &'static str) {
        self.expect.insert((px.to_owned(), sv.to_owned()), status);
    }

    /// A backend (or listen section's servers): its header lines, then `(server name, server line
    /// after the name, expected status)`; records the expectations, including the BACKEND row.
    fn backend(
        &mut self,
        head: &str,
        servers: &[(String, String, &'static str)],
        backend_status: &'static str,
    ) {
        let px = head
            .split_whitespace()
            .nth(1)
            .expect("section name")
            .to_owned();
        let mut text = format!("{head}\n");
        for (name, line, status) in servers {
            writeln!(text, "    server {name} {line}").unwrap();
            self.expect(&px, name, status);
        }
        self.section(&text);
        self.expect(&px, "BACKEND", backend_status);
    }

    fn cli(&mut self, line: String) {
        self.steps.push(Step::Cli(line));
    }
}

/// Fast checks everywhere: a state change takes one check (rise 1, fall 1) every 100–200 ms.
const DEFAULTS: &str = "defaults
    mode http
    timeout connect 500ms
    timeout client 30s
    timeout server 30s
    timeout check 500ms
    default-server inter 200 fastinter 100 downinter 100 rise 1 fall 1
";

/// `n` servers named `prefix1..prefixN`, each with `line` and expected `status`.
fn many(
    prefix: &str,
    n: usize,
    line: &str,
    status: &'static str,
) -> Vec<(String, String, &'static str)> {
    (1..=n)
        .map(|i| (format!("{prefix}{i}"), line.to_owned(), status))
        .collect()
}

fn frontend(case: &mut Case, name: &str, extra: &str, backend: &str, status: &'static str) -> u16 {
    let port = free_port();
    case.section(&format!(
        "frontend {name}\n    bind 127.0.0.1:{port}\n{extra}    default_backend {backend}\n"
    ));
    case.expect(name, "FRONTEND", status);
    port
}

/// Plain checks: HTTP checks passing and failing (500), L4 failures, no checks, `disabled`,
/// backups, NOLB (`disable-on-404`), an all-down backend, an empty one, a `listen` section, and
/// frontends open, paused (`disable frontend`) and stopped (`shutdown frontend`) at runtime. (A frontend at its `maxconn` is not covered: 2.6 still
/// prints OPEN for it, so FULL is not deterministic across versions.)
fn checks(p: &Ports) -> Case {
    let mut c = Case::new("checks");
    let ok = format!("127.0.0.1:{}", p.ok);
    let dead = format!("127.0.0.1:{}", p.dead);
    let e500 = format!("127.0.0.1:{}", p.http500);
    let mut plain = many("web", 8, &format!("{ok} check"), "UP");
    plain.extend(many("l7bad", 3, &format!("{e500} check"), "DOWN"));
    plain.extend(many("l4bad", 3, &format!("{dead} check"), "DOWN"));
    c.backend(
        "backend be_web\n    balance leastconn\n    option httpchk GET /health",
        &plain,
        "UP",
    );
    let mut tcp = many("t", 4, &format!("{ok} check"), "UP");
    tcp.extend(many("gone", 2, &format!("{dead} check"), "DOWN"));
    tcp.extend(many("bare", 3, &ok, "no check"));
    tcp.extend(many("barestop", 2, &format!("{ok} disabled"), "MAINT"));
    tcp.extend(many("off", 3, &format!("{ok} check disabled"), "MAINT"));
    tcp.extend(many(
        "offbad",
        1,
        &format!("{dead} check disabled"),
        "MAINT",
    ));
    c.backend(
        "backend be_tcp\n    mode tcp\n    balance roundrobin",
        &tcp,
        "UP",
    );
    let mut bk = many("act", 2, &format!("{ok} check"), "UP");
    bk.extend(many("spare", 2, &format!("{ok} check backup"), "UP"));
    bk.extend(many("sparebad", 2, &format!("{dead} check backup"), "DOWN"));
    bk.extend(many("sparenochk", 1, &format!("{ok} backup"), "no check"));
    c.backend("backend be_backup\n    option httpchk GET /", &bk, "UP");
    let mut bk_only = many("down", 2, &format!("{dead} check"), "DOWN");
    bk_only.extend(many("rescue", 2, &format!("{ok} check backup"), "UP"));
    c.backend(
        "backend be_backup_only\n    option httpchk GET /",
        &bk_only,
        "UP",
    );
    let mut nolb = many("soft", 3, &format!("127.0.0.1:{} check", p.http404), "NOLB");
    nolb.extend(many("hard", 2, &format!("{ok} check"), "UP"));
    c.backend(
        "backend be_nolb\n    option httpchk GET /\n    http-check disable-on-404",
        &nolb,
        "UP",
    );
    let mut all_down = many("x", 3, &format!("{dead} check"), "DOWN");
    all_down.extend(many("y", 2, &format!("{e500} check"), "DOWN"));
    c.backend(
        "backend be_all_down\n    option httpchk GET /",
        &all_down,
        "DOWN",
    );
    // A backend without servers: 2.6 prints UP.
    c.backend("backend be_empty", &[], "UP");
    let listen_port = free_port();
    c.backend(
        &format!("listen ls_mixed\n    bind 127.0.0.1:{listen_port}\n    option httpchk GET /"),
        &[
            ("m1".into(), format!("{ok} check"), "UP"),
            ("m2".into(), format!("{e500} check"), "DOWN"),
            ("m3".into(), format!("{ok} check disabled"), "MAINT"),
        ],
        "UP",
    );
    c.expect("ls_mixed", "FRONTEND", "OPEN");
    frontend(&mut c, "fe_open", "", "be_web", "OPEN");
    frontend(&mut c, "fe_tcp", "    mode tcp\n", "be_tcp", "OPEN");
    // `disable frontend` pauses (PAUSED on every version); `shutdown frontend` stops (STOP).
    frontend(&mut c, "fe_paused", "", "be_web", "PAUSED");
    c.cli("disable frontend fe_paused".into());
    frontend(&mut c, "fe_shut", "", "be_web", "STOP");
    c.cli("shutdown frontend fe_shut".into());
    c
}

/// Agent checks answering up, down, drain, maint and 50%, with passing and failing health checks.
fn agents(p: &Ports) -> Case {
    let mut c = Case::new("agents");
    let ok = format!("127.0.0.1:{}", p.ok);
    let dead = format!("127.0.0.1:{}", p.dead);
    let agent = |port: u16| format!("check agent-check agent-port {port} agent-inter 200");
    let mut s = many("aup", 3, &format!("{ok} {}", agent(p.agent_up)), "UP");
    s.extend(many(
        "adown",
        3,
        &format!("{ok} {}", agent(p.agent_down)),
        "DOWN (agent)",
    ));
    s.extend(many(
        "adrain",
        3,
        &format!("{ok} {}", agent(p.agent_drain)),
        "DRAIN (agent)",
    ));
    s.extend(many(
        "amaint",
        3,
        &format!("{ok} {}", agent(p.agent_maint)),
        "MAINT",
    ));
    s.extend(many(
        "ahalf",
        3,
        &format!("{ok} {}", agent(p.agent_half)),
        "UP",
    ));
    c.backend("backend be_agents\n    option httpchk GET /", &s, "UP");
    // L4 check failing while the agent answers: HAProxy says DOWN whatever the agent says.
    let mut d = many(
        "deaddrain",
        2,
        &format!("{dead} {}", agent(p.agent_drain)),
        "DOWN",
    );
    d.extend(many(
        "deadup",
        2,
        &format!("{dead} {}", agent(p.agent_up)),
        "DOWN",
    ));
    d.extend(many(
        "deadhalf",
        1,
        &format!("{dead} {}", agent(p.agent_half)),
        "DOWN",
    ));
    d.extend(many(
        "live",
        2,
        &format!("{ok} {}", agent(p.agent_up)),
        "UP",
    ));
    c.backend("backend be_agents_l4\n    mode tcp", &d, "UP");
    frontend(&mut c, "fe_agents", "", "be_agents", "OPEN");
    c
}

/// Tracking (an UP, a DOWN, a `disabled`, a CLI-maintained and a CLI-drained server, and a chain)
/// and CLI state changes.
fn tracking(p: &Ports) -> Case {
    let mut c = Case::new("tracking");
    let ok = format!("127.0.0.1:{}", p.ok);
    let dead = format!("127.0.0.1:{}", p.dead);
    let e500 = format!("127.0.0.1:{}", p.http500);
    c.backend(
        "backend be_origin\n    option httpchk GET /",
        &[
            ("up1".into(), format!("{ok} check"), "UP"),
            ("dn1".into(), format!("{dead} check"), "DOWN"),
            ("bad7".into(), format!("{e500} check"), "DOWN"),
            ("mt1".into(), format!("{ok} check disabled"), "MAINT"),
            ("climaint".into(), format!("{ok} check"), "MAINT"),
            ("clidrain".into(), format!("{ok} check"), "DRAIN"),
        ],
        "UP",
    );
    let track = |target: &str| format!("{ok} track be_origin/{target}");
    let mut t = many("fup", 3, &track("up1"), "UP");
    t.extend(many("fdn", 3, &track("dn1"), "DOWN"));
    t.extend(many("fbad", 1, &track("bad7"), "DOWN"));
    t.extend(many("fmt", 3, &track("mt1"), "MAINT (via be_origin/mt1)"));
    t.extend(many(
        "fcli",
        2,
        &track("climaint"),
        "MAINT (via be_origin/climaint)",
    ));
    t.extend(many("fdrain", 2, &track("clidrain"), "DRAIN"));
    t.push((
        "chain".into(),
        format!("{ok} track be_follow/fmt1"),
        "MAINT (via be_follow/fmt1)",
    ));
    t.push(("chainup".into(), format!("{ok} track be_follow/fup1"), "UP"));
    c.backend("backend be_follow", &t, "UP");
    let cli = &[
        ("drained".into(), format!("{ok} check"), "DRAIN"),
        ("maint".into(), format!("{ok} check"), "MAINT"),
        ("disabled_cli".into(), format!("{ok} check"), "MAINT"),
        ("back".into(), format!("{ok} check"), "UP"),
        ("reenabled".into(), format!("{ok} check disabled"), "UP"),
        ("nochk_drain".into(), ok.clone(), "DRAIN"),
        ("nochk_maint".into(), ok.clone(), "MAINT"),
        ("down_drain".into(), format!("{dead} check"), "DOWN"),
        ("down_maint".into(), format!("{dead} check"), "MAINT"),
        ("steady".into(), format!("{ok} check"), "UP"),
    ];
    c.backend("backend be_cli\n    option httpchk GET /", cli, "UP");
    for line in [
        "set server be_origin/climaint state maint",
        "set server be_origin/clidrain state drain",
        "set server be_cli/drained state drain",
        "set server be_cli/maint state maint",
        "disable server be_cli/disabled_cli",
        "set server be_cli/back state maint",
        "set server be_cli/back state ready",
        "enable server be_cli/reenabled",
        "set server be_cli/nochk_drain state drain",
        "set server be_cli/nochk_maint state maint",
        "set server be_cli/down_drain state drain",
        "set server be_cli/down_maint state maint",
    ] {
        c.cli(line.into());
    }
    frontend(&mut c, "fe_follow", "", "be_follow", "OPEN");
    c
}

/// Runtime-filled `server-template` slots (config `disabled`, then `set server … addr` and
/// `enable server`: HAProxy keeps the CMAINT bit while it reports the server UP or DOWN), and
/// DNS: `init-addr none` servers on a resolvable and an unresolvable name.
fn runtime(p: &Ports) -> Case {
    let mut c = Case::new("runtime");
    c.section(&format!(
        "resolvers oracle_dns
    nameserver ns1 127.0.0.1:{}
    resolve_retries 2
    timeout resolve 200ms
    timeout retry 200ms
    hold valid 10s
",
        p.dns
    ));
    c.section(
        "backend be_slots\n    option httpchk GET /\n    server-template slot 1-4 0.0.0.0:0 check disabled\n",
    );
    c.section("backend be_slots_tcp\n    mode tcp\n    server-template tslot 1-3 0.0.0.0:0 check disabled\n");
    for (be, slot, port, status) in [
        ("be_slots", "slot1", p.ok, "UP"),
        ("be_slots", "slot2", p.ok, "UP"),
        ("be_slots", "slot3", p.http500, "DOWN"),
        ("be_slots_tcp", "tslot1", p.ok, "UP"),
        ("be_slots_tcp", "tslot2", p.dead, "DOWN"),
    ] {
        c.cli(format!("set server {be}/{slot} addr 127.0.0.1 port {port}"));
        c.steps.push(Step::AwaitAddr(
            be,
            slot.to_owned(),
            format!("127.0.0.1:{port}"),
        ));
        c.cli(format!("enable server {be}/{slot}"));
        c.expect(be, slot, status);
    }
    c.expect("be_slots", "slot4", "MAINT");
    c.expect("be_slots", "BACKEND", "UP");
    c.expect("be_slots_tcp", "tslot3", "MAINT");
    c.expect("be_slots_tcp", "BACKEND", "UP");
    let dns =
        "check resolvers oracle_dns init-addr none resolve-prefer ipv4 resolve-opts allow-dup-ip";
    let mut d = many("named", 3, &format!("{RESOLVABLE}:{} {dns}", p.ok), "UP");
    d.extend(many(
        "unknown",
        2,
        &format!("nx.test:{} {dns}", p.ok),
        "MAINT (resolution)",
    ));
    d.extend(many(
        "namedbad",
        1,
        &format!("{RESOLVABLE}:{} {dns}", p.dead),
        "DOWN",
    ));
    c.backend("backend be_dns\n    option httpchk GET /", &d, "UP");
    let mut only_nx = many(
        "lost",
        2,
        &format!("gone.test:{} {dns}", p.ok),
        "MAINT (resolution)",
    );
    only_nx.extend(many(
        "lostdisabled",
        1,
        &format!("gone.test:{} {dns} disabled", p.ok),
        "MAINT (resolution)",
    ));
    c.backend("backend be_dns_lost", &only_nx, "DOWN");
    frontend(&mut c, "fe_slots", "", "be_slots", "OPEN");
    frontend(&mut c, "fe_off", "", "be_dns", "PAUSED");
    c.cli("disable frontend fe_off".into());
    frontend(&mut c, "fe_gone", "    mode tcp\n", "be_dns_lost", "STOP");
    c.cli("shutdown frontend fe_gone".into());
    c
}

// ---- reading HAProxy's truth --------------------------------------------------------------------

/// One row of `show stat`: proxy, object (`FRONTEND`, `BACKEND` or a server), status, addr.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    px: String,
    sv: String,
    status: String,
    addr: String,
}

/// Splits `show stat` CSV with its `# ` header, finding the columns by name.
fn parse_stat(csv: &str) -> Vec<Row> {
    let mut lines = csv.lines();
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .unwrap_or_else(|| panic!("show stat without its '# ' header: {csv:.200}"));
    let cols: Vec<&str> = header.split(',').collect();
    let col = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("show stat has no {name} column"))
    };
    let (px, sv, status, addr) = (col("pxname"), col("svname"), col("status"), col("addr"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_owned();
            Row {
                px: get(px),
                sv: get(sv),
                status: get(status),
                addr: get(addr),
            }
        })
        .collect()
}

fn is_proxy_row(r: &Row) -> bool {
    r.sv == "FRONTEND" || r.sv == "BACKEND"
}

/// HAProxy's server status in the tools' words.
fn category(status: &str) -> &'static str {
    if status.starts_with("UP") || status == "no check" {
        "up"
    } else if status.starts_with("DOWN") {
        "down"
    } else if status.starts_with("DRAIN") {
        "drain"
    } else if status.starts_with("MAINT") {
        "maint"
    } else if status.starts_with("NOLB") {
        "nolb"
    } else {
        "unknown"
    }
}

/// `UP 1/3`, `DOWN 1/2`: a server between states.
fn transitional(status: &str) -> bool {
    status.rsplit_once(' ').is_some_and(|(_, last)| {
        last.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        })
    })
}

fn expected(want: &str, got: &str) -> bool {
    want.split('|').any(|w| w == got)
}

/// Runs the case's steps, then polls `show stat` (bounded, 15 s) until every row has the status
/// the scenario expects, no server is between states, and two reads in a row agree.
async fn settle(h: &ConfiguredHaproxy, case: &Case) -> Vec<Row> {
    let mut replies = String::new();
    for step in &case.steps {
        match step {
            Step::Cli(line) => {
                let r = h.raw(line);
                writeln!(replies, "> {line}\n{}", r.trim_end()).unwrap();
            }
            Step::AwaitAddr(px, sv, addr) => {
                let deadline = Instant::now() + Duration::from_secs(5);
                while !parse_stat(&h.raw("show stat"))
                    .iter()
                    .any(|r| r.px == *px && r.sv == *sv && r.addr == *addr)
                {
                    assert!(
                        Instant::now() < deadline,
                        "{}: {px}/{sv} never got address {addr}; CLI so far:\n{replies}",
                        case.name
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut previous: Vec<Row> = Vec::new();
    loop {
        let rows = parse_stat(&h.raw("show stat"));
        let unmet: Vec<String> = rows
            .iter()
            .filter_map(|r| {
                let key = (r.px.clone(), r.sv.clone());
                match case.expect.get(&key) {
                    Some(want) if expected(want, &r.status) && !transitional(&r.status) => None,
                    Some(want) => Some(format!("{}/{}: {:?}, want {want}", r.px, r.sv, r.status)),
                    None => Some(format!(
                        "{}/{}: {:?}, not in the scenario",
                        r.px, r.sv, r.status
                    )),
                }
            })
            .chain(
                case.expect
                    .keys()
                    .filter(|(px, sv)| !rows.iter().any(|r| r.px == *px && r.sv == *sv))
                    .map(|(px, sv)| format!("{px}/{sv}: missing from show stat")),
            )
            .collect();
        if unmet.is_empty() && rows == previous {
            return rows;
        }
        if Instant::now() > deadline {
            panic!(
                "{}: HAProxy {} did not reach the scenario's state within 15 s:\n  {}\nCLI:\n{replies}\nconfiguration:\n{}\nlog:\n{}",
                case.name,
                h.version(),
                unmet.join("\n  "),
                h.config(),
                h.log().await
            );
        }
        previous = rows;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

// ---- our verdict, compared ----------------------------------------------------------------------

/// One disagreement between HAProxy and a tool.
struct Mismatch {
    case: &'static str,
    tool: &'static str,
    object: String,
    haproxy: String,
    ours: String,
}

/// What the tools said, read in one go.
struct Verdict {
    servers: Value,
    servers_up: Value,
    backends: Value,
    frontends: Value,
    health: Value,
    /// show_servers_state: the verdict derived from the state flags alone, with HAProxy's rules.
    state_rows: Value,
    /// `backend/server` → get_server's answer.
    each: BTreeMap<String, Value>,
    /// backend → get_backend's answer.
    backend_detail: BTreeMap<String, Value>,
}

async fn verdict(mcp: &McpHarness, rows: &[Row]) -> Verdict {
    let all = json!({"limit": 10000});
    let mut each = BTreeMap::new();
    for r in rows.iter().filter(|r| !is_proxy_row(r)) {
        let out = mcp
            .ok("get_server", json!({"backend": r.px, "server": r.sv}))
            .await;
        each.insert(format!("{}/{}", r.px, r.sv), out);
    }
    let mut backend_detail = BTreeMap::new();
    for r in rows.iter().filter(|r| r.sv == "BACKEND") {
        let out = mcp
            .ok("get_backend", json!({"backend": r.px, "limit": 10000}))
            .await;
        backend_detail.insert(r.px.clone(), out);
    }
    Verdict {
        state_rows: mcp.ok("show_servers_state", all.clone()).await,
        backend_detail,
        servers: mcp.ok("list_servers", all.clone()).await,
        servers_up: mcp
            .ok("list_servers", json!({"state": "up", "limit": 10000}))
            .await,
        backends: mcp.ok("list_backends", all.clone()).await,
        frontends: mcp.ok("list_frontends", all).await,
        health: mcp.ok("health_summary", json!({"limit": 10000})).await,
        each,
    }
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// HAProxy's server counts of one backend by category, in the tools' tally shape.
fn counts(rows: &[Row], px: &str) -> BTreeMap<&'static str, u64> {
    let mut c: BTreeMap<&'static str, u64> = ["total", "up", "down", "drain", "maint", "other"]
        .into_iter()
        .map(|k| (k, 0))
        .collect();
    for r in rows.iter().filter(|r| r.px == px && !is_proxy_row(r)) {
        *c.get_mut("total").unwrap() += 1;
        let k = match category(&r.status) {
            "nolb" | "unknown" => "other",
            k => k,
        };
        *c.get_mut(k).unwrap() += 1;
    }
    c
}

fn tally_of(v: &Value) -> BTreeMap<&'static str, u64> {
    ["total", "up", "down", "drain", "maint", "other"]
        .into_iter()
        .map(|k| (k, v[k].as_u64().unwrap_or(u64::MAX)))
        .collect()
}

fn tally_text(t: &BTreeMap<&'static str, u64>) -> String {
    ["total", "up", "down", "drain", "maint", "other"]
        .iter()
        .map(|k| format!("{k}={}", t[k]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every comparison of one case.
fn compare(case: &'static str, rows: &[Row], v: &Verdict) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut miss = |tool: &'static str, object: String, haproxy: String, ours: String| {
        out.push(Mismatch {
            case,
            tool,
            object,
            haproxy,
            ours,
        });
    };
    let listed = v.servers["servers"].as_array().cloned().unwrap_or_default();
    let find = |px: &str, sv: &str| {
        listed
            .iter()
            .find(|s| s["backend"] == px && s["name"] == sv)
            .cloned()
    };
    let servers: Vec<&Row> = rows.iter().filter(|r| !is_proxy_row(r)).collect();
    for r in &servers {
        let object = format!("{}/{}", r.px, r.sv);
        let truth = category(&r.status);
        match find(&r.px, &r.sv) {
            None => miss(
                "list_servers",
                object.clone(),
                r.status.clone(),
                "(absent)".into(),
            ),
            Some(ours) => {
                if s(&ours["state"]) != truth {
                    miss(
                        "list_servers",
                        object.clone(),
                        r.status.clone(),
                        format!("{} (status {})", s(&ours["state"]), s(&ours["status"])),
                    );
                }
                if s(&ours["status"]) != r.status {
                    miss(
                        "list_servers.status",
                        object.clone(),
                        r.status.clone(),
                        s(&ours["status"]),
                    );
                }
            }
        }
        let one = &v.each[&object]["server"];
        if s(&one["state"]) != truth {
            miss(
                "get_server",
                object.clone(),
                r.status.clone(),
                s(&one["state"]),
            );
        }
        let in_backend = v.backend_detail.get(&r.px).and_then(|b| {
            b["servers"]
                .as_array()?
                .iter()
                .find(|x| x["name"] == r.sv.as_str())
                .cloned()
        });
        match in_backend {
            Some(x) if s(&x["state"]) == truth => {}
            other => miss(
                "get_backend",
                object.clone(),
                r.status.clone(),
                other.map_or("(absent)".into(), |x| s(&x["state"])),
            ),
        }
        // The derived verdict (flags only) reaches the same condition word.
        let derived = v.state_rows["servers"].as_array().and_then(|rows| {
            rows.iter()
                .find(|x| x["backend"] == r.px.as_str() && x["name"] == r.sv.as_str())
                .cloned()
        });
        match derived {
            Some(x) if s(&x["state"]) == truth => {}
            other => miss(
                "show_servers_state",
                object.clone(),
                r.status.clone(),
                other.map_or("(absent)".into(), |x| {
                    format!(
                        "{} (admin {}, op {})",
                        s(&x["state"]),
                        x["admin_state"],
                        s(&x["op_state"])
                    )
                }),
            ),
        }
    }
    for ours in &listed {
        let (px, sv) = (s(&ours["backend"]), s(&ours["name"]));
        if !servers.iter().any(|r| r.px == px && r.sv == sv) {
            miss(
                "list_servers",
                format!("{px}/{sv}"),
                "(absent)".into(),
                s(&ours["state"]),
            );
        }
    }
    let truth_up: BTreeSet<String> = servers
        .iter()
        .filter(|r| category(&r.status) == "up")
        .map(|r| format!("{}/{}", r.px, r.sv))
        .collect();
    let ours_up: BTreeSet<String> = v.servers_up["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{}/{}",
                s["backend"].as_str().unwrap_or("?"),
                s["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    for o in truth_up.difference(&ours_up) {
        let status = servers
            .iter()
            .find(|r| format!("{}/{}", r.px, r.sv) == *o)
            .map_or(String::new(), |r| r.status.clone());
        miss(
            "list_servers state=up",
            o.clone(),
            status,
            "(not listed)".into(),
        );
    }
    for o in ours_up.difference(&truth_up) {
        let status = servers
            .iter()
            .find(|r| format!("{}/{}", r.px, r.sv) == *o)
            .map_or("(absent)".into(), |r| r.status.clone());
        miss(
            "list_servers state=up",
            o.clone(),
            status,
            "(listed)".into(),
        );
    }

    let backends = v.backends["backends"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let health = v.health["backends"].as_array().cloned().unwrap_or_default();
    for r in rows.iter().filter(|r| r.sv == "BACKEND") {
        let truth = counts(rows, &r.px);
        for (tool, list, tally_key) in [
            ("list_backends", &backends, "servers"),
            ("health_summary", &health, "servers"),
        ] {
            match list.iter().find(|b| b["name"] == r.px.as_str()) {
                None => miss(tool, r.px.clone(), r.status.clone(), "(absent)".into()),
                Some(b) => {
                    if s(&b["status"]) != r.status {
                        miss(tool, r.px.clone(), r.status.clone(), s(&b["status"]));
                    }
                    let ours = tally_of(&b[tally_key]);
                    if ours != truth {
                        miss(
                            tool,
                            format!("{} (server counts)", r.px),
                            tally_text(&truth),
                            tally_text(&ours),
                        );
                    }
                }
            }
        }
    }
    for (tool, list) in [("list_backends", &backends), ("health_summary", &health)] {
        for b in list {
            let name = s(&b["name"]);
            if !rows.iter().any(|r| r.sv == "BACKEND" && r.px == name) {
                miss(tool, name, "(absent)".into(), s(&b["status"]));
            }
        }
    }
    let frontends = v.frontends["frontends"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for r in rows.iter().filter(|r| r.sv == "FRONTEND") {
        match frontends.iter().find(|f| f["name"] == r.px.as_str()) {
            None => miss(
                "list_frontends",
                r.px.clone(),
                r.status.clone(),
                "(absent)".into(),
            ),
            Some(f) if s(&f["status"]) != r.status => {
                miss(
                    "list_frontends",
                    r.px.clone(),
                    r.status.clone(),
                    s(&f["status"]),
                );
            }
            Some(_) => {}
        }
    }
    for f in &frontends {
        let name = s(&f["name"]);
        if !rows.iter().any(|r| r.sv == "FRONTEND" && r.px == name) {
            miss("list_frontends", name, "(absent)".into(), s(&f["status"]));
        }
    }
    out
}

fn table(mismatches: &[Mismatch]) -> String {
    let header = ["case", "tool", "object", "HAProxy status", "ours"];
    let cells: Vec<[String; 5]> = mismatches
        .iter()
        .map(|m| {
            [
                m.case.to_owned(),
                m.tool.to_owned(),
                m.object.clone(),
                m.haproxy.clone(),
                m.ours.clone(),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].len())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..5).map(width).collect();
    let line = |c: [&str; 5]| {
        let mut l = String::new();
        for (i, cell) in c.iter().enumerate() {
            write!(l, "| {cell:<width$} ", width = w[i]).unwrap();
        }
        l.push_str("|\n");
        l
    };
    let mut t = line(header);
    let rule: Vec<String> = w.iter().map(|w| "-".repeat(w + 2)).collect();
    writeln!(t, "|{}|", rule.join("|")).unwrap();
    for c in &cells {
        t.push_str(&line(
            [&c[0], &c[1], &c[2], &c[3], &c[4]].map(String::as_str),
        ));
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_agree_with_haproxy_status_on_generated_configurations() {
    let test = "tools_agree_with_haproxy_status_on_generated_configurations";
    let started = Instant::now();
    let ports = Ports::start().await;
    let cases = [
        checks(&ports),
        agents(&ports),
        tracking(&ports),
        runtime(&ports),
    ];
    let mut mismatches = Vec::new();
    let (mut servers, mut frontends, mut backends) = (0, 0, 0);
    let mut version = String::from("?");
    for case in &cases {
        let Some(h) = ConfiguredHaproxy::start(test, &case.config).await else {
            return;
        };
        version = h.version();
        let mcp = McpHarness::live(h.admin_tcp(), Settings::default()).await;
        // The truth is read before and after the tools; both must agree, else read again.
        let mut attempt = 0;
        let (rows, v) = loop {
            let before = settle(&h, case).await;
            let v = verdict(&mcp, &before).await;
            let after = parse_stat(&h.raw("show stat"));
            attempt += 1;
            if before == after || attempt == 3 {
                assert_eq!(before, after, "{}: HAProxy kept changing", case.name);
                break (before, v);
            }
        };
        servers += rows.iter().filter(|r| !is_proxy_row(r)).count();
        frontends += rows.iter().filter(|r| r.sv == "FRONTEND").count();
        backends += rows.iter().filter(|r| r.sv == "BACKEND").count();
        mismatches.extend(compare(case.name, &rows, &v));
    }
    println!(
        "oracle: HAProxy {version}: {} configurations, {servers} servers, {frontends} frontends, {backends} backends checked ({:.1} s)",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    if !mismatches.is_empty() {
        let t = table(&mismatches);
        println!(
            "oracle: HAProxy {version}: {} mismatch(es):\n{t}",
            mismatches.len()
        );
        panic!(
            "HAProxy {version}: the tools disagree with HAProxy's own status on {} point(s):\n{t}",
            mismatches.len()
        );
    }
}
