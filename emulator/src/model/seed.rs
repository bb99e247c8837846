//! The model's starting state, read from what a real HAProxy of the version answered at the
//! start of its capture: the first `show stat`, `show servers state`, `show info`, `show map` /
//! `show acl` and each list's entries. HAProxy's text is read here and nowhere else in the model.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::conns::ConnTable;
use super::lists::{List, ListKind};
use super::ocsp::{Ocsp, Stapled};
use super::pem::{CertInfo, TrustObject};
use super::proxies::{Proxy, Server, check, op};
use super::streams::Stream;
use super::table::{Columns, Row};
use super::tables::Table;
use super::tls::{Bind, CrtList, Entry, Store, Tls};
use super::trust::{Kind, TrustFile, TrustFiles};
use crate::fixture::{Fixture, Level};
use crate::session::strip_terminator;

/// HAProxy's default `rise` and `fall`.
const DEFAULT_RISE: u32 = 2;
/// See [`DEFAULT_RISE`].
const DEFAULT_FALL: u32 = 3;

/// Everything read from the recordings.
#[derive(Debug)]
pub struct Seed {
    /// Proxies in `show stat` order.
    pub proxies: Vec<Proxy>,
    /// `show stat`'s columns.
    pub stat_columns: Arc<Columns>,
    /// `show servers state`'s format line (`1`) and columns.
    pub state_format: String,
    /// See `state_format`.
    pub state_columns: Arc<Columns>,
    /// The process uptime when the seed was recorded: the model's clock starts there.
    pub uptime: Duration,
    /// `show info`'s lines, as (name, value).
    pub info: Vec<(String, String)>,
    /// Maps and ACLs.
    pub lists: Vec<List>,
    /// Streams, from the first `show sess`.
    pub streams: Vec<Stream>,
    /// Stick tables, from `show table` and each table's first full listing.
    pub tables: Vec<Table>,
    /// The first `show servers conn`, when recorded.
    pub conns: Option<ConnTable>,
    /// Certificates and crt-lists, when `show ssl cert` was recorded.
    pub tls: Option<Tls>,
}

/// Reads the seed from a version's fixtures (in recorded order). Fails when a recording the
/// model needs is missing, naming it.
pub fn from_fixtures(fixtures: &[Fixture]) -> Result<Seed, String> {
    let info = read_info(first_reply(fixtures, "show info")?);
    let uptime = uptime_of(&info);
    let first = |command: &str| first_reply(fixtures, command);
    let conns = first("show servers conn")
        .ok()
        .and_then(|reply| ConnTable::parse(&String::from_utf8_lossy(reply)));
    let (stat_columns, stat_rows) = read_stat(first("show stat")?)?;
    let (state_format, state_columns, state_rows) =
        read_servers_state(first("show servers state")?)?;
    let proxies = build_proxies(&stat_columns, stat_rows, &state_columns, state_rows, uptime)?;
    let mut lists = Vec::new();
    for kind in [ListKind::Map, ListKind::Acl] {
        let listing = first(&format!("show {}", kind.word()))?;
        for (id, file, line) in read_listing(listing) {
            let entries = fixtures
                .iter()
                .find(|f| {
                    f.socket == Level::Admin && f.command == format!("show {} #{id}", kind.word())
                })
                .map(|f| read_entries(strip_terminator(&f.reply)));
            lists.push(List::new(kind, id, file, line, entries));
        }
    }
    let streams = first("show sess")
        .map(|reply| {
            String::from_utf8_lossy(reply)
                .lines()
                .filter_map(Stream::from_line)
                .collect()
        })
        .unwrap_or_default();
    let mut tables = Vec::new();
    if let Ok(listing) = first("show table") {
        for line in String::from_utf8_lossy(listing).lines() {
            let Some(name) = line
                .strip_prefix("# table: ")
                .and_then(|l| l.split(',').next())
            else {
                continue;
            };
            let contents = first(&format!("show table {name}"))
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .unwrap_or_default();
            let entries: Vec<&str> = contents.lines().filter(|l| l.starts_with("0x")).collect();
            tables.extend(Table::seed(line, &entries, uptime));
        }
    }
    let tls = read_tls(&first);
    Ok(Seed {
        tls,
        uptime,
        streams,
        tables,
        proxies,
        stat_columns,
        state_format,
        state_columns,
        info,
        lists,
        conns,
    })
}

/// The first admin-level recording of `command`, without its terminator.
fn first_reply<'a>(fixtures: &'a [Fixture], command: &str) -> Result<&'a [u8], String> {
    fixtures
        .iter()
        .find(|f| f.socket == Level::Admin && f.command == command)
        .map(|f| strip_terminator(&f.reply))
        .ok_or_else(|| format!("the model needs a recording of `{command}`; none found"))
}

fn text(reply: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(reply).map_err(|_| "a seed recording is not UTF-8".to_owned())
}

fn read_stat(reply: &[u8]) -> Result<(Arc<Columns>, Vec<Vec<String>>), String> {
    let text = text(reply)?;
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or("`show stat` has no `# pxname,…` header")?;
    let columns = Columns::new(header.split(',').map(str::to_owned).collect());
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    Ok((columns, rows))
}

type StateTable = (String, Arc<Columns>, Vec<Vec<String>>);

fn read_servers_state(reply: &[u8]) -> Result<StateTable, String> {
    let text = text(reply)?;
    let mut lines = text.lines();
    let format = lines.next().unwrap_or("1").to_owned();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or("`show servers state` has no `# be_id …` header")?;
    let columns = Columns::new(header.split(' ').map(str::to_owned).collect());
    let rows = lines
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(' ').map(str::to_owned).collect())
        .collect();
    Ok((format, columns, rows))
}

fn number<T: std::str::FromStr + Default>(row: &Row, column: &str) -> T {
    row.get(column).parse().unwrap_or_default()
}

fn build_proxies(
    stat_columns: &Arc<Columns>,
    stat_rows: Vec<Vec<String>>,
    state_columns: &Arc<Columns>,
    state_rows: Vec<Vec<String>>,
    uptime: Duration,
) -> Result<Vec<Proxy>, String> {
    let mut states: HashMap<(String, String), Row> = state_rows
        .into_iter()
        .map(|cells| {
            let row = Row::new(state_columns.clone(), cells);
            (
                (
                    row.get("be_name").to_owned(),
                    row.get("srv_name").to_owned(),
                ),
                row,
            )
        })
        .collect();
    let mut proxies: Vec<Proxy> = Vec::new();
    for cells in stat_rows {
        let row = Row::new(stat_columns.clone(), cells);
        let name = row.get("pxname").to_owned();
        let index = match proxies.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                proxies.push(Proxy {
                    id: number(&row, "iid"),
                    name: name.clone(),
                    frontend: None,
                    listeners: Vec::new(),
                    servers: Vec::new(),
                    backend: None,
                    frontend_maxconn: None,
                    frontend_state: None,
                    published: true,
                    runtime: false,
                    pinned: false,
                    consistent_hash: false,
                    dynamic_cookies: Default::default(),
                });
                proxies.len() - 1
            }
        };
        let proxy = &mut proxies[index];
        match row.get("type") {
            "0" => {
                proxy.frontend_maxconn = row.get("slim").parse().ok();
                proxy.frontend = Some(row);
            }
            "1" => proxy.backend = Some(row),
            "3" => proxy.listeners.push(row),
            _ => {
                let server_name = row.get("svname").to_owned();
                let state = states
                    .remove(&(name.clone(), server_name.clone()))
                    .ok_or_else(|| {
                        format!("server {name}/{server_name} is in `show stat` but not in `show servers state`")
                    })?;
                let server = server_from(row, state, uptime);
                proxy.servers.push(server);
            }
        }
    }
    Ok(proxies)
}

fn server_from(stat: Row, state: Row, uptime: Duration) -> Server {
    let since: u64 = number(&state, "srv_time_since_last_change");
    let op_state: u8 = number(&state, "srv_op_state");
    let check_state: u16 = number(&state, "srv_check_state");
    let admin_state: u8 = number(&state, "srv_admin_state");
    let agent_health =
        if stat.get("agent_status").starts_with("L7STS") || stat.get("agent_health") == "0" {
            0
        } else {
            1
        };
    Server {
        id: number(&state, "srv_id"),
        name: state.get("srv_name").to_owned(),
        addr: state.get("srv_addr").to_owned(),
        port: number(&state, "srv_port"),
        admin: admin_state,
        op: op_state,
        weight: number(&state, "srv_uweight"),
        initial_weight: number(&state, "srv_iweight"),
        backup: stat.get("bck") == "1",
        check: check_state,
        agent: number(&state, "srv_agent_state"),
        // A check that is not running (paused in maintenance) shows no rise and fall: HAProxy's
        // defaults then.
        rise: stat.get("check_rise").parse().unwrap_or(DEFAULT_RISE),
        fall: stat.get("check_fall").parse().unwrap_or(DEFAULT_FALL),
        health: number(&state, "srv_check_health"),
        health_at: uptime,
        agent_health,
        maxconn: number(&stat, "slim"),
        check_port: number(&state, "srv_check_port"),
        shown_weight: number(&stat, "weight"),
        was_maint: admin_state & super::proxies::admin::MAINT != 0,
        checks_fail: op_state == op::STOPPED
            && check_state & check::ENABLED != 0
            && admin_state & super::proxies::admin::MAINT == 0,
        last_change: uptime.saturating_sub(Duration::from_secs(since)),
        added: false,
        dyncookie_pending: false,
        tracks: stat
            .get("tracked")
            .split_once('/')
            .map(|(b, s)| (b.to_owned(), s.to_owned())),
        stat,
        state,
    }
}

/// The worker's pid and uptime in the first recorded `show info` (pid 1 and no uptime without
/// one): where the master CLI's process list starts, whichever engine answers.
pub fn recorded_process(fixtures: &[Fixture]) -> (u32, Duration) {
    let info = first_reply(fixtures, "show info")
        .map(read_info)
        .unwrap_or_default();
    let pid = info_value(&info, "Pid")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    (pid, uptime_of(&info))
}

/// `Uptime_sec` of a `show info`, zero without it.
fn uptime_of(info: &[(String, String)]) -> Duration {
    Duration::from_secs(
        info_value(info, "Uptime_sec")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// The value of `name` in a `show info` read as (name, value) pairs.
pub(crate) fn info_value<'a>(info: &'a [(String, String)], name: &str) -> Option<&'a str> {
    info.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn read_info(reply: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(reply)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `show map` / `show acl`: `(id, file, whole line)` per list.
fn read_listing(reply: &[u8]) -> Vec<(u32, String, String)> {
    String::from_utf8_lossy(reply)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (id, rest) = l.split_once(' ')?;
            let file = rest.strip_prefix('(')?.split_once(')')?.0.to_owned();
            Some((id.parse().ok()?, file, l.to_owned()))
        })
        .collect()
}

/// `show map #id`: `(pointer, key, value)` per entry (the value is empty for an ACL).
fn read_entries(reply: &[u8]) -> Vec<(u64, String, String)> {
    String::from_utf8_lossy(reply)
        .lines()
        .filter_map(|l| {
            let (ptr, rest) = l.split_once(' ')?;
            let ptr = u64::from_str_radix(ptr.strip_prefix("0x")?, 16).ok()?;
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            Some((ptr, key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The certificate stores (`show ssl cert` and each store's details), the crt-lists (`show
/// ssl crt-list -n <list>`) and, from `show ssl sni` (3.2+), the binds that load each list.
fn read_tls<'a>(first: &impl Fn(&str) -> Result<&'a [u8], String>) -> Option<Tls> {
    let listing = String::from_utf8_lossy(first("show ssl cert").ok()?).into_owned();
    if !listing.starts_with('#') {
        return None;
    }
    let mut stores = Vec::new();
    let mut used = Vec::new();
    let mut ocsp_keys: Vec<(String, String)> = Vec::new();
    for name in listed(&listing) {
        let details =
            String::from_utf8_lossy(first(&format!("show ssl cert {name}")).ok()?).into_owned();
        let mut header = Vec::new();
        let mut lines = details.lines().skip(1);
        let mut status = "";
        for line in lines.by_ref() {
            match line.strip_prefix("Status: ") {
                Some(s) => {
                    status = s;
                    break;
                }
                None => header.push(line.to_string()),
            }
        }
        let fields: Vec<String> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("OCSP Response Key:"))
            .map(str::to_string)
            .collect();
        if let Some(key) = details
            .lines()
            .find_map(|l| l.strip_prefix("OCSP Response Key:"))
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            ocsp_keys.push((name.to_string(), key.to_ascii_lowercase()));
        }
        if status == "Used" {
            used.push(name.to_string());
        }
        stores.push(Store {
            path: name.to_string(),
            header,
            cert: (status != "Empty").then(|| CertInfo::from_details(fields)),
            loaded: None,
            direct_uses: 0,
        });
    }
    let mut lists = Vec::new();
    if let Ok(names) = first("show ssl crt-list") {
        for path in String::from_utf8_lossy(names)
            .lines()
            .filter(|l| !l.is_empty())
        {
            let Ok(reply) = first(&format!("show ssl crt-list -n {path}")) else {
                continue;
            };
            lists.push(CrtList {
                path: path.to_string(),
                entries: reply
                    .split(|b| *b == b'\n')
                    .skip(1)
                    .filter_map(read_crt_list_line)
                    .collect(),
            });
        }
    }
    let sni = first("show ssl sni").map(|r| String::from_utf8_lossy(r).into_owned());
    let rows: Vec<Vec<String>> = match &sni {
        Ok(text) if text.starts_with("# Frontend/Bind") => text
            .lines()
            .skip(1)
            .map(|l| l.split('\t').map(str::to_string).collect())
            .filter(|r: &Vec<String>| r.len() >= 5)
            .collect(),
        _ => Vec::new(),
    };
    // From 3.2, `show ssl sni` lists every bind: it loads each list whose certificates all
    // appear in its rows, and its own default certificate when its `*` row is not its first
    // list's first line. Before, one bind per list stands in until `Model::apply_config`
    // reads the configuration.
    let mut binds: Vec<Bind> = Vec::new();
    for row in &rows {
        if binds.iter().any(|b| b.name == row[0]) {
            continue;
        }
        let served: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == row[0] && r[1] != "*")
            .map(|r| r[4].as_str())
            .collect();
        let loaded: Vec<String> = lists
            .iter()
            .filter(|l| {
                !l.entries.is_empty() && l.entries.iter().all(|e| served.contains(&e.cert.as_str()))
            })
            .map(|l| l.path.clone())
            .collect();
        let first_line = loaded
            .first()
            .and_then(|p| lists.iter().find(|l| l.path == *p))
            .and_then(|l| l.entries.first())
            .map(|e| e.cert.as_str());
        let default = rows
            .iter()
            .find(|r| r[0] == row[0] && r[1] == "*")
            .map(|r| r[4].as_str());
        binds.push(Bind {
            name: row[0].clone(),
            certs: default
                .filter(|d| Some(*d) != first_line)
                .map(str::to_string)
                .into_iter()
                .collect(),
            lists: loaded,
            ca_file: None,
            crl_file: None,
        });
    }
    if binds.is_empty() {
        binds = lists
            .iter()
            .map(|l| Bind {
                name: UNKNOWN_BIND.into(),
                certs: Vec::new(),
                lists: vec![l.path.clone()],
                ca_file: None,
                crl_file: None,
            })
            .collect();
    }
    for store in &mut stores {
        let loaded = binds.iter().any(|b| {
            b.certs.contains(&store.path)
                || lists
                    .iter()
                    .filter(|l| b.lists.contains(&l.path))
                    .any(|l| l.entries.iter().any(|e| e.cert == store.path))
        });
        if used.contains(&store.path) && !loaded {
            store.direct_uses = 1;
        }
    }
    Some(Tls {
        stores,
        transaction: None,
        lists,
        binds,
        crt_base: None,
        ca_base: None,
        ca_files: read_trust_files(first, Kind::Ca),
        crl_files: read_trust_files(first, Kind::Crl),
        ocsp: read_ocsp(first, &ocsp_keys),
    })
}

/// The OCSP tree (`show ssl ocsp-response` and each response's `show ssl ocsp-response
/// <key>`), with `stapled` (store, key) from the stores' `OCSP Response Key`. 2.6 lists no
/// paths: a response's store is the one stapling it.
fn read_ocsp<'a>(
    first: &impl Fn(&str) -> Result<&'a [u8], String>,
    stapled: &[(String, String)],
) -> Ocsp {
    let mut ocsp = Ocsp {
        tree: Vec::new(),
        stapled_by: stapled.to_vec(),
    };
    let Ok(listing) = first("show ssl ocsp-response") else {
        return ocsp;
    };
    let listing = String::from_utf8_lossy(listing);
    for line in listing.lines() {
        if let Some(key) = line.strip_prefix("Certificate ID key : ") {
            let key = key.trim().to_ascii_lowercase();
            let text = first(&format!("show ssl ocsp-response {key}"))
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            let path = stapled
                .iter()
                .find(|(_, k)| *k == key)
                .map(|(p, _)| p.clone())
                .unwrap_or_default();
            ocsp.tree.push(Stapled {
                key,
                path,
                id_lines: Vec::new(),
                text,
            });
        } else if let Some(path) = line.strip_prefix("Certificate path : ") {
            if let Some(s) = ocsp.tree.last_mut() {
                s.path = path.trim().to_owned();
            }
        } else if line.starts_with(' ')
            && let Some(s) = ocsp.tree.last_mut()
        {
            s.id_lines.push(line.to_owned());
        }
    }
    ocsp
}

/// The CA (or CRL) files: `show ssl ca-file` (`<path> - <n> certificate(s)`) and each file's
/// details, split at its ` ` / `Certificate #<n>:` (`Certificate Revocation List #<n>:`)
/// headings. A file recorded `Used` counts as used until the configuration names its binds.
fn read_trust_files<'a>(
    first: &impl Fn(&str) -> Result<&'a [u8], String>,
    kind: Kind,
) -> TrustFiles {
    let noun = match kind {
        Kind::Ca => "ca-file",
        Kind::Crl => "crl-file",
    };
    let mut files = TrustFiles::new(kind);
    let Ok(listing) = first(&format!("show ssl {noun}")) else {
        return files;
    };
    let listing = String::from_utf8_lossy(listing).into_owned();
    if !listing.starts_with('#') {
        return files;
    }
    for line in listed(&listing) {
        let path = line.split(" - ").next().unwrap_or(line);
        let Ok(details) = first(&format!("show ssl {noun} {path}")) else {
            continue;
        };
        let details = String::from_utf8_lossy(details).into_owned();
        let mut objects = Vec::new();
        let mut current: Option<(bool, Vec<String>)> = None;
        for l in details.lines().skip(2) {
            if l.starts_with("Certificate #") || l.starts_with("Certificate Revocation List #") {
                objects.extend(current.take().map(trust_object));
                current = Some((l.starts_with("Certificate #"), Vec::new()));
            } else if l != " "
                && let Some((_, lines)) = current.as_mut()
            {
                lines.push(l.to_string());
            }
        }
        objects.extend(current.take().map(trust_object));
        files.files.push(TrustFile {
            path: path.to_string(),
            objects,
            direct_uses: usize::from(details.contains("\nStatus: Used\n")),
        });
    }
    files
}

fn trust_object((certificate, lines): (bool, Vec<String>)) -> TrustObject {
    if certificate {
        TrustObject::Cert(lines)
    } else {
        TrustObject::Crl(lines)
    }
}

/// The names under `# filename` in a `show ssl cert|ca-file|crl-file` listing (the open
/// transaction's `*` line left out).
fn listed(listing: &str) -> impl Iterator<Item = &str> {
    listing
        .lines()
        .filter(|l| !l.starts_with(['#', '*']) && !l.is_empty())
}

/// The bind of a crt-list when the recordings do not name it.
pub const UNKNOWN_BIND: &str = "?/?:0";

/// One line of `show ssl crt-list -n <list>`: `<cert>:<line>[ [<options>]][ <filters>]`.
fn read_crt_list_line(line: &[u8]) -> Option<Entry> {
    let space = line.iter().position(|b| *b == b' ').unwrap_or(line.len());
    let head = String::from_utf8_lossy(&line[..space]);
    let (cert, number) = head.rsplit_once(':')?;
    let line_number = number.parse().ok()?;
    let mut rest = line.get(space + 1..).unwrap_or(&[]);
    let mut options = None;
    if rest.first() == Some(&b'[') {
        let close = rest.iter().position(|b| *b == b']')?;
        options = Some(rest[1..close].to_vec());
        rest = rest.get(close + 1..).unwrap_or(&[]);
    }
    let filters = String::from_utf8_lossy(rest)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    Some(Entry {
        cert: cert.to_string(),
        line: line_number,
        options,
        filters,
    })
}
