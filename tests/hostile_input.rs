//! Hostile input through MCP, against a live HAProxy: every string argument of every tool (found
//! in the live `tools/list` input schemas, nested ones included, so a new tool or argument is
//! covered without touching this file) is fed a corpus of hostile values while the other
//! arguments hold valid ones.
//!
//! For every call:
//! * the values that can smuggle a command or break the line (`;`, LF, CR, NUL, a trailing
//!   backslash, 20 KB, control characters) are refused with an `isError` result that names the
//!   argument; when it says "Nothing was sent", nothing was (a recording proxy sits between the
//!   server and HAProxy);
//! * shell metacharacters, `<<`, path traversal and replacement characters are inert text: they
//!   are refused everywhere except in free-text arguments (map keys and values, ACL patterns,
//!   lookup values, agent and echo text, client-side filters), where they are stored or looked up
//!   as-is;
//! * every connection carried exactly one command line (or one deliberate payload), with no
//!   unescaped `;`: no second command ever ran;
//! * HAProxy's state (servers, weights, maps, ACLs, tables, read raw) is byte-identical before and
//!   after, except, for an accepted call, exactly the one change the call asked for (which is
//!   checked, then undone).

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use haproxy_mcp_server::haproxy::Endpoint;
use haproxy_mcp_server::haproxy::command::encode::encode_word;
use haproxy_mcp_server::mcp::Settings;
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use serde_json::{Map, Value, json};
use support::LiveHaproxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

// ---- the corpus -----------------------------------------------------------------------------------

/// Values that must be refused by every argument (client-side filters aside: they are never sent).
fn must_refuse() -> Vec<(&'static str, String)> {
    vec![
        ("semicolon", "a;clear map #0".to_owned()),
        ("bare semicolon", ";".to_owned()),
        ("semicolon, no blank", "x;y".to_owned()),
        ("pre-escaped semicolon", "a\\;clear acl #0".to_owned()),
        (
            "line feed",
            "a\nset server be_app/app1 state maint".to_owned(),
        ),
        ("line feed only", "\n".to_owned()),
        ("carriage return", "a\r\nclear table st_clients".to_owned()),
        ("lone carriage return", "a\rb".to_owned()),
        ("NUL", "a\u{0}b".to_owned()),
        ("NUL only", "\u{0}".to_owned()),
        ("trailing backslash", "a\\".to_owned()),
        ("tab", "a\tb".to_owned()),
        ("DEL", "a\u{7f}".to_owned()),
        ("C1 control (NEL)", "a\u{85}b".to_owned()),
        ("escape sequence", "\u{1b}[2J".to_owned()),
        ("20 KB", "a".repeat(20 * 1024)),
        ("20 KB of semicolons", ";".repeat(20 * 1024)),
        ("empty", String::new()),
    ]
}

/// Values that are only text: inert for HAProxy's CLI once escaped. Identifiers refuse them;
/// free-text arguments may take them as-is.
fn inert_text() -> Vec<(&'static str, String)> {
    vec![
        ("shell substitution", "$(reboot)".to_owned()),
        ("backticks", "`id`".to_owned()),
        ("pipe", "a|id".to_owned()),
        ("redirect", "x>/etc/passwd".to_owned()),
        ("path traversal", "../../etc/passwd".to_owned()),
        ("payload opener", "<<".to_owned()),
        ("payload opener in a word", "a<<".to_owned()),
        ("payload opener after a blank", "a <<".to_owned()),
        ("replacement characters", "\u{FFFD}\u{FFFD}".to_owned()),
        ("BOM and replacement", "\u{FEFF}x\u{FFFD}".to_owned()),
        ("escaped NUL as text", "\\u0000".to_owned()),
        ("line separator", "a\u{2028}b".to_owned()),
        ("percent format", "%s%n%x".to_owned()),
        ("master CLI route", "@master".to_owned()),
    ]
}

/// Arguments that take free text: they may accept inert text (never must-refuse values).
fn free_text(tool: &str, leaf: &str) -> bool {
    matches!(leaf, "key" | "value" | "pattern" | "patterns" | "text")
        || (tool == "replace_map" && leaf == "entries")
        || is_filter(tool, leaf)
        // Map and ACL names are looked up among what HAProxy loaded; nothing is read from disk,
        // so a path or a `#<id>` is a legitimate name (HAProxy refuses unknown ones).
        || matches!(leaf, "map" | "acl")
}

/// Client-side filters: compared with the reply, never sent to HAProxy, so any text is fine.
fn is_filter(tool: &str, leaf: &str) -> bool {
    leaf == "filter" && matches!(tool, "help" | "show_map" | "show_acl")
}

// ---- a recording proxy -----------------------------------------------------------------------------

/// Every connection's bytes from the MCP server to HAProxy, in order.
type Traffic = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

/// A Unix-socket proxy in front of HAProxy's admin socket that records what the server sends.
async fn recording_proxy(listen: PathBuf, upstream: PathBuf) -> Traffic {
    let traffic: Traffic = Arc::default();
    let listener = UnixListener::bind(&listen).unwrap();
    let log = traffic.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let sent = Arc::new(Mutex::new(Vec::new()));
            log.lock().unwrap().push(sent.clone());
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(up) = UnixStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut ur, mut uw) = up.into_split();
                let to_haproxy = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        // Recorded before it is forwarded: once HAProxy has answered, the
                        // command is in the log.
                        sent.lock().unwrap().extend_from_slice(&buf[..n]);
                        if uw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = uw.shutdown().await;
                };
                let to_client = async {
                    let _ = tokio::io::copy(&mut ur, &mut cw).await;
                    let _ = cw.shutdown().await;
                };
                tokio::join!(to_haproxy, to_client);
            });
        }
    });
    traffic
}

fn take(traffic: &Traffic) -> Vec<Vec<u8>> {
    std::mem::take(&mut *traffic.lock().unwrap())
        .into_iter()
        .map(|c| c.lock().unwrap().clone())
        .collect()
}

/// Whether `line` ends with an unescaped ` <<` (a payload opener).
fn opens_payload(line: &str) -> bool {
    line.strip_suffix(" <<").is_some_and(|head| {
        let backslashes = head.chars().rev().take_while(|c| *c == '\\').count();
        // "… <<" where the blank itself is not escaped.
        backslashes % 2 == 0
    })
}

/// Positions of `;` that HAProxy would take as a command separator (not escaped).
fn unescaped_semicolon(line: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ';' => return Some(i),
            _ => {}
        }
    }
    None
}

/// The reads the client may send over its kept `prompt`-mode connection, one line each.
const KEPT_READS: &[&str] = &[
    "show info\n",
    "show version\n",
    "show stat",
    "show servers state",
    "show table\n",
    "show resolvers",
    "show peers",
    "show ssl cert",
    "show ssl ca-file",
    "show ssl crl-file",
    "show ssl crt-list",
    "show ssl sni",
];

/// Every connection carried one command: one line, or one line opening a payload followed by
/// its lines and the empty line that ends it. Never an unescaped `;`. The kept connection is
/// `prompt` and then whole lines, each one of the kept reads ([`KEPT_READS`]).
fn check_one_command_per_connection(what: &str, conns: &[Vec<u8>]) {
    for c in conns {
        let s = String::from_utf8_lossy(c);
        if let Some(kept) = s.strip_prefix("prompt\n") {
            for line in kept.split_inclusive('\n') {
                assert!(
                    line.ends_with('\n')
                        && KEPT_READS.iter().any(|r| line.starts_with(r))
                        && unescaped_semicolon(line).is_none()
                        && !line.contains('\r'),
                    "{what}: not one of the kept reads on the kept connection: {line:?} in {s:?}"
                );
            }
            continue;
        }
        let end = s
            .find('\n')
            .unwrap_or_else(|| panic!("{what}: a command without its LF: {s:?}"));
        let line = &s[..end];
        assert!(
            unescaped_semicolon(line).is_none(),
            "{what}: an unescaped ';' would run a second command: {line:?}"
        );
        assert!(!line.contains('\r'), "{what}: CR sent: {line:?}");
        let rest = &s[end + 1..];
        if opens_payload(line) {
            assert!(
                rest.ends_with("\n\n") && !rest[..rest.len() - 1].contains("\n\n") || rest == "\n",
                "{what}: the payload must end exactly at its end: {s:?}"
            );
        } else {
            assert!(
                rest.is_empty(),
                "{what}: more than one line on one connection: {s:?}"
            );
        }
    }
}

// ---- HAProxy's state, read raw -------------------------------------------------------------------

/// Everything a hostile argument could change, read raw on the admin socket (not through the
/// code under test). Blanked: what health checks move on their own (as in live_client.rs), the
/// entry pointers of maps and ACLs and their counters (a refused atomic replace still consumes a
/// version number; an undone change re-creates the entries at new addresses; HAProxy 2.6
/// decrements `entry_cnt` on every refused `add acl`, down to an underflow, although no pattern
/// goes), and stick-table expiry timers. The entries themselves are compared in full.
fn snapshot(live: &LiveHaproxy) -> BTreeMap<String, String> {
    let hosts = live.conf_file("hosts.map");
    let acl = live.conf_file("blocked.acl");
    let mut s = BTreeMap::new();
    for cmd in [
        "show servers state".to_owned(),
        format!("show map {hosts}"),
        format!("show acl {acl}"),
        "show table st_clients".to_owned(),
        "show map".to_owned(),
        "show acl".to_owned(),
        "show table".to_owned(),
    ] {
        let reply = live.raw(&cmd);
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
                if (cmd.starts_with("show map ") || cmd.starts_with("show acl "))
                    && cols[0].starts_with("0x")
                {
                    cols[0] = "0x_".to_owned();
                }
                for col in &mut cols {
                    for counter in ["curr_ver=", "next_ver=", "entry_cnt="] {
                        if col.starts_with(counter) {
                            *col = format!("{counter}_");
                        }
                    }
                    if col.starts_with("exp=") {
                        *col = "exp=_".to_owned();
                    }
                }
                cols.join(" ")
            })
            .collect();
        s.insert(cmd, stable.join("\n"));
    }
    s
}

/// The `key value` text of each entry of a raw `show map <file>` (HAProxy prints both raw,
/// separated by a blank; keys may hold blanks, so the pair is compared as one text).
fn map_entries(raw: &str) -> Vec<String> {
    raw.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(' ').map_or("", |(_ptr, kv)| kv).to_owned())
        .collect()
}

/// Patterns of a raw `show acl <file>`.
fn acl_patterns(raw: &str) -> Vec<String> {
    raw.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(' ').map_or(l, |(_, p)| p).to_owned())
        .collect()
}

/// The original contents of the map and the ACL, from the configuration's files.
fn originals() -> (Vec<(String, String)>, Vec<String>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let map = std::fs::read_to_string(dir.join("hosts.map")).unwrap();
    let acl = std::fs::read_to_string(dir.join("blocked.acl")).unwrap();
    (
        map.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        acl.lines().map(str::to_owned).collect(),
    )
}

/// Undoes an accepted change: the map and the ACL get their original entries back, the stick
/// table is emptied (all raw, simple words only).
fn restore(live: &LiveHaproxy) {
    let hosts = live.conf_file("hosts.map");
    let acl = live.conf_file("blocked.acl");
    let (map0, acl0) = originals();
    live.raw(&format!("clear map {hosts}"));
    for (k, v) in map0 {
        live.raw(&format!("add map {hosts} {k} {v}"));
    }
    live.raw(&format!("clear acl {acl}"));
    for p in acl0 {
        live.raw(&format!("add acl {acl} {p}"));
    }
    live.raw("clear table st_clients");
}

/// Checks that an accepted call changed exactly what it asked for and nothing else.
fn check_intended_change(
    what: &str,
    live: &LiveHaproxy,
    tool: &str,
    args: &Map<String, Value>,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) {
    let hosts_cmd = format!("show map {}", live.conf_file("hosts.map"));
    let acl_cmd = format!("show acl {}", live.conf_file("blocked.acl"));
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let mut map = map_entries(&before[&hosts_cmd]);
    let mut acl = acl_patterns(&before[&acl_cmd]);
    let mut new_table_key = None;
    match tool {
        "add_map_entry" => map.push(format!("{} {}", s(args.get("key")), s(args.get("value")))),
        "set_map_entry" => {
            let key = s(args.get("key"));
            for e in map.iter_mut().filter(|e| e.starts_with(&format!("{key} "))) {
                *e = format!("{key} {}", s(args.get("value")));
            }
        }
        "replace_map" => {
            map = args["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| format!("{} {}", s(e.get("key")), s(e.get("value"))))
                .collect()
        }
        "add_acl_entry" => acl.push(s(args.get("pattern"))),
        "replace_acl" => {
            acl = args["patterns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| s(Some(p)))
                .collect()
        }
        "set_table_entry" => new_table_key = Some(s(args.get("key"))),
        _ => {}
    }
    assert_eq!(
        map_entries(&after[&hosts_cmd]),
        map,
        "{what}: the map is not exactly what the call asked for"
    );
    assert_eq!(
        acl_patterns(&after[&acl_cmd]),
        acl,
        "{what}: the ACL is not exactly what the call asked for"
    );
    let table_before = &before["show table st_clients"];
    let table_after = &after["show table st_clients"];
    match new_table_key {
        Some(k) => {
            let added: Vec<&str> = table_after
                .lines()
                .filter(|l| !table_before.contains(*l) && !l.starts_with('#'))
                .collect();
            assert!(
                added.len() == 1 && added[0].contains(&format!(" key={k} ")),
                "{what}: the table should have gained exactly the entry {k:?}: {table_after}"
            );
        }
        None => assert_eq!(table_before, table_after, "{what}: the table changed"),
    }
    for (cmd, content) in before {
        if [&hosts_cmd, &acl_cmd].contains(&cmd) || cmd.starts_with("show table") {
            continue;
        }
        if cmd == "show map" || cmd == "show acl" {
            // Only the entry counts may move.
            let mask = |t: &str| {
                t.split(' ')
                    .filter(|w| !w.starts_with("entry_cnt="))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            assert_eq!(mask(content), mask(&after[cmd]), "{what}: {cmd} changed");
            continue;
        }
        assert_eq!(content, &after[cmd], "{what}: {cmd} changed");
    }
}

// ---- the schemas ------------------------------------------------------------------------------------

/// A step from the arguments object to a string inside it.
#[derive(Debug, Clone)]
enum Step {
    Prop(String),
    Item,
}

/// A string somewhere in a tool's arguments.
#[derive(Debug, Clone)]
struct Slot {
    path: Vec<Step>,
    /// The innermost property name (`key` for `entries[].key`, `patterns` for `patterns[]`).
    leaf: String,
    /// An enumeration (a `oneOf` of constants): refused by deserialization.
    enumerated: bool,
}

impl Slot {
    fn describe(&self) -> String {
        self.path
            .iter()
            .map(|s| match s {
                Step::Prop(p) => format!(".{p}"),
                Step::Item => "[]".to_owned(),
            })
            .collect::<String>()
    }
}

fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            defs.get(name).unwrap_or_else(|| panic!("unresolved {r}"))
        }
        None => schema,
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every string slot under `schema`.
fn walk(schema: &Value, defs: &Value, path: &[Step], leaf: &str, out: &mut Vec<Slot>) {
    let schema = resolve(schema, defs);
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            let consts = variants.iter().all(|v| {
                let v = resolve(v, defs);
                v.get("const").is_some() || types(v) == ["null"]
            });
            if consts {
                out.push(Slot {
                    path: path.to_vec(),
                    leaf: leaf.to_owned(),
                    enumerated: true,
                });
            } else {
                for v in variants {
                    walk(v, defs, path, leaf, out);
                }
            }
            return;
        }
    }
    let ts = types(schema);
    if ts.contains(&"string") {
        out.push(Slot {
            path: path.to_vec(),
            leaf: leaf.to_owned(),
            enumerated: schema.get("const").is_some() || schema.get("enum").is_some(),
        });
    }
    if ts.contains(&"array")
        && let Some(items) = schema.get("items")
    {
        let mut p = path.to_vec();
        p.push(Step::Item);
        walk(items, defs, &p, leaf, out);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let mut p = path.to_vec();
            p.push(Step::Prop(name.clone()));
            walk(sub, defs, &p, name, out);
        }
    }
}

fn slots(tool: &Tool) -> Vec<Slot> {
    let schema = Value::Object((*tool.input_schema).clone());
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(&schema, &defs, &[], "", &mut out);
    // One slot per path (a string may be reachable through several variants).
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(s.describe()));
    out
}

/// A valid value for the property `name` of `tool` (schema `schema`).
fn valid(live: &LiveHaproxy, tool: &str, name: &str, schema: &Value, defs: &Value) -> Value {
    let agent = matches!(
        tool,
        "set_agent_send" | "enable_agent" | "disable_agent" | "set_server_agent"
    );
    let known = match (tool, name) {
        (_, "backend") if agent => Some(json!("be_api")),
        (_, "server") if agent => Some(json!("api1")),
        ("add_server", "server") => Some(json!("hostile_new")),
        (_, "backend" | "proxy") => Some(json!("be_app")),
        (_, "server") => Some(json!("app1")),
        (_, "frontend") => Some(json!("fe_main")),
        (_, "map") => Some(json!(live.conf_file("hosts.map"))),
        (_, "acl") => Some(json!(live.conf_file("blocked.acl"))),
        (_, "table") => Some(json!("st_clients")),
        ("set_map_entry", "key") => Some(json!("static.example.com")),
        ("get_map", "value") => Some(json!("api.example.com")),
        ("get_acl", "value") => Some(json!("192.0.2.1")),
        (_, "key") if tool.contains("table") => Some(json!("203.0.113.77")),
        (_, "key") => Some(json!("hostile-test.example.com")),
        (_, "value") => Some(json!("be_hostile_test")),
        (_, "pattern") => Some(json!("203.0.113.77")),
        (_, "patterns") => Some(json!(["203.0.113.77"])),
        (_, "text") => Some(json!("hello")),
        (_, "address") => Some(json!("127.0.0.1")),
        (_, "id") => Some(json!("0x1234")),
        (_, "weight") => Some(json!(10)),
        (_, "maxconn") => Some(json!(100)),
        (_, "port" | "check_port") => Some(json!(live.app_port)),
        (_, "data_type") => Some(json!("gpc0")),
        (_, "fields") => Some(json!(["status"])),
        (_, "filter") => Some(json!("example")),
        ("set_table_entry", "data") => Some(json!([])),
        _ => None,
    };
    let schema = resolve(schema, defs);
    // A name means the same thing everywhere only if the type agrees (`value` is a map value,
    // but an integer in a stick-table data value).
    let declared = types(schema);
    if let Some(v) = known
        && (declared.is_empty()
            || (v.is_string() && declared.contains(&"string"))
            || (v.is_array() && declared.contains(&"array"))
            || (v.is_number() && declared.contains(&"integer")))
    {
        return v;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            let first = variants
                .iter()
                .map(|v| resolve(v, defs))
                .find(|v| types(v) != ["null"])
                .unwrap();
            return valid(live, tool, name, first, defs);
        }
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let ts = types(schema);
    if ts.contains(&"object") {
        let mut o = Map::new();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (p, sub) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if required.contains(&p.as_str()) {
                o.insert(p.clone(), valid(live, tool, p, sub, defs));
            }
        }
        return Value::Object(o);
    }
    if ts.contains(&"array") {
        return json!([]);
    }
    if ts.contains(&"integer") || ts.contains(&"number") {
        return json!(1);
    }
    if ts.contains(&"boolean") {
        return json!(false);
    }
    json!("x")
}

/// The property schema at `name` of an object schema.
fn prop<'a>(schema: &'a Value, defs: &'a Value, name: &str) -> &'a Value {
    let schema = resolve(schema, defs);
    if let Some(p) = schema.get("properties").and_then(|p| p.get(name)) {
        return p;
    }
    for key in ["oneOf", "anyOf"] {
        for v in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let v = resolve(v, defs);
            if let Some(p) = v.get("properties").and_then(|p| p.get(name)) {
                return p;
            }
        }
    }
    panic!("no property {name}")
}

fn items<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    let schema = resolve(schema, defs);
    if let Some(i) = schema.get("items") {
        return i;
    }
    for key in ["oneOf", "anyOf"] {
        for v in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(i) = resolve(v, defs).get("items") {
                return i;
            }
        }
    }
    panic!("no items")
}

/// The tool's required arguments with valid values, and `hostile` placed at `slot` (the
/// containers on its way filled with valid values).
fn arguments(live: &LiveHaproxy, tool: &Tool, slot: &Slot, hostile: &str) -> Map<String, Value> {
    let schema = Value::Object((*tool.input_schema).clone());
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let name = tool.name.as_ref();
    let mut root = valid(live, name, "", &schema, &defs);
    let mut cursor = &mut root;
    let mut here = schema.clone();
    for (i, step) in slot.path.iter().enumerate() {
        let last = i + 1 == slot.path.len();
        match step {
            Step::Prop(p) => {
                let sub = prop(&here, &defs, p).clone();
                let obj = cursor.as_object_mut().expect("an object on the way");
                let missing = match obj.get(p) {
                    None => true,
                    Some(v) => !(last || v.is_object() || v.is_array()),
                };
                if missing {
                    obj.insert(p.clone(), valid(live, name, p, &sub, &defs));
                }
                cursor = obj.get_mut(p).unwrap();
                here = sub;
            }
            Step::Item => {
                let sub = items(&here, &defs).clone();
                let arr = cursor.as_array_mut().expect("an array on the way");
                if arr.is_empty() {
                    arr.push(valid(live, name, "", &sub, &defs));
                }
                cursor = &mut arr[0];
                here = sub;
            }
        }
    }
    *cursor = json!(hostile);
    match root {
        Value::Object(o) => o,
        other => panic!("{name}: arguments are not an object: {other}"),
    }
}

// ---- the harness ------------------------------------------------------------------------------------

async fn mcp(endpoint: Endpoint) -> RunningService<RoleClient, ()> {
    // One target `haproxy` with default client options.
    support::mcp::client_with(endpoint, Settings::default(), ()).await
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How an error may name the argument it is about.
fn names_for(leaf: &str) -> Vec<String> {
    // As written (`sort_by`) or in words (`sort by`).
    let mut names = vec![leaf.to_owned(), leaf.replace('_', " ")];
    if let Some(singular) = leaf.strip_suffix('s') {
        names.push(singular.to_owned());
    }
    match leaf {
        // HAProxy calls frontends and backends "proxies"; so do the validation messages.
        "backend" | "frontend" => names.push("proxy name".to_owned()),
        "fields" => names.push("column".to_owned()),
        "id" => names = vec!["session id".to_owned()],
        "entries" => names.push("map key".to_owned()),
        _ => {}
    }
    names
}

/// One hostile call's outcome.
enum Outcome {
    /// An `isError` result.
    Refused(String),
    /// A JSON-RPC error (arguments that do not deserialize, such as an unknown enum value).
    Invalid(String),
    /// A successful result.
    Accepted(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_string_argument_of_every_tool_refuses_hostile_values() {
    let Some(live) =
        LiveHaproxy::start("every_string_argument_of_every_tool_refuses_hostile_values").await
    else {
        return;
    };
    let started = std::time::Instant::now();
    let proxy_dir = tempfile::Builder::new()
        .prefix("hh")
        .tempdir_in("/tmp")
        .unwrap();
    let proxy = proxy_dir.path().join("rec.sock");
    let traffic = recording_proxy(proxy.clone(), live.dir().join("admin.sock")).await;
    let client = mcp(Endpoint::unix(&proxy)).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.len() >= 50, "{} tools", tools.len());

    let baseline = snapshot(&live);
    let mut calls = 0usize;
    let mut accepted: Vec<String> = Vec::new();
    let mut invalid_params: Vec<String> = Vec::new();
    let mut slot_count = 0usize;
    let corpus: Vec<(bool, &'static str, String)> = must_refuse()
        .into_iter()
        .map(|(n, v)| (true, n, v))
        .chain(inert_text().into_iter().map(|(n, v)| (false, n, v)))
        .collect();

    for tool in &tools {
        let name = tool.name.as_ref();
        for slot in slots(tool) {
            slot_count += 1;
            for (refuse, label, value) in &corpus {
                // An empty `target` means "the default target" by design: the call would run
                // with valid arguments, which is no test of anything (and a real change).
                if slot.leaf == "target" && value.is_empty() {
                    continue;
                }
                let what = format!("{name}{} = {label}", slot.describe());
                let args = arguments(&live, tool, &slot, value);
                let _ = take(&traffic);
                let params =
                    CallToolRequestParams::new(name.to_owned()).with_arguments(args.clone());
                calls += 1;
                let outcome = match client.call_tool(params).await {
                    Ok(r) if r.is_error == Some(true) => Outcome::Refused(text(&r)),
                    Ok(r) => Outcome::Accepted(text(&r)),
                    Err(e) => Outcome::Invalid(e.to_string()),
                };
                let sent = take(&traffic);
                check_one_command_per_connection(&what, &sent);
                let sent_text: Vec<String> = sent
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                match &outcome {
                    Outcome::Refused(t) => {
                        if t.contains("Nothing was sent to HAProxy") {
                            assert!(
                                sent.is_empty(),
                                "{what}: says nothing was sent, but sent {sent_text:?}"
                            );
                        }
                        // The error names the argument (or quotes the value, for HAProxy's own
                        // refusals, which quote the command).
                        let lower = t.to_lowercase();
                        let named = names_for(&slot.leaf).iter().any(|n| lower.contains(n))
                            || (slot.leaf.is_empty() && !t.is_empty());
                        let quoted =
                            !value.is_empty() && value.len() < 200 && t.contains(value.as_str());
                        // An enumeration that does not deserialize: the message names the
                        // argument (checked by `named`) and lists the allowed values.
                        let enum_refused = slot.enumerated && t.contains("is not one of");
                        assert!(
                            named || (t.contains("HAProxy refused") && quoted),
                            "{what}: the error does not name the argument: {t}"
                        );
                        if enum_refused {
                            invalid_params.push(what.clone());
                        }
                    }
                    Outcome::Invalid(e) => {
                        assert!(
                            slot.enumerated,
                            "{what}: a free string must come back as a tool error, not a protocol error: {e}"
                        );
                        assert!(sent.is_empty(), "{what}: {sent_text:?}");
                        invalid_params.push(format!("{what}: {e}"));
                    }
                    Outcome::Accepted(t) => {
                        let allowed =
                            is_filter(name, &slot.leaf) || (!refuse && free_text(name, &slot.leaf));
                        assert!(allowed, "{what}: a hostile value was accepted: {t}");
                        if is_filter(name, &slot.leaf) && value.len() >= 3 {
                            let mut escaped = String::new();
                            if encode_word(0, value, &mut escaped).is_err() {
                                escaped.clear();
                            }
                            for s in &sent_text {
                                assert!(
                                    !s.contains(value.as_str())
                                        && (escaped.is_empty() || !s.contains(&escaped)),
                                    "{what}: a client-side filter reached HAProxy: {s:?}"
                                );
                            }
                        } else if !is_filter(name, &slot.leaf) {
                            // Sent as one escaped word (or a raw payload line), in one command.
                            let mut escaped = String::new();
                            encode_word(0, value, &mut escaped).expect("inert text encodes");
                            assert!(
                                sent_text
                                    .iter()
                                    .any(|s| s.contains(&escaped) || s.contains(value.as_str())),
                                "{what}: the value was not sent as one word: {sent_text:?}"
                            );
                        }
                        accepted.push(what.clone());
                        let after = snapshot(&live);
                        check_intended_change(&what, &live, name, &args, &baseline, &after);
                        if after != baseline {
                            restore(&live);
                            assert_eq!(
                                snapshot(&live),
                                baseline,
                                "{what}: the intended change could not be undone"
                            );
                        }
                    }
                }
            }
            // After each argument's corpus: nothing changed.
            let now = snapshot(&live);
            for (cmd, content) in &baseline {
                assert_eq!(
                    content,
                    &now[cmd],
                    "{name}{}: hostile values changed `{cmd}`",
                    slot.describe()
                );
            }
        }
    }
    assert!(
        slot_count >= 100,
        "only {slot_count} string arguments found"
    );
    assert_eq!(snapshot(&live), baseline);
    // And the server still works normally.
    let r = client
        .call_tool(
            CallToolRequestParams::new("get_map").with_arguments(
                json!({"map": live.conf_file("hosts.map"), "value": "api.example.com"})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    // Which arguments took inert text, and how many values each.
    let mut by_argument: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &accepted {
        *by_argument
            .entry(a.split(" = ").next().unwrap())
            .or_default() += 1;
    }
    eprintln!(
        "hostile input: {} tools, {slot_count} string arguments, {calls} calls in {:?}; \
         accepted as inert text (argument: values): {by_argument:?}; \
         {} enumeration values refused at deserialization",
        tools.len(),
        started.elapsed(),
        invalid_params.len(),
    );
    client.cancel().await.unwrap();
}
