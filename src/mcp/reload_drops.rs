//! What a reload would drop: runtime state the new workers will not have, computed from what
//! HAProxy reports now and, where this server can read them, the files HAProxy names (maps,
//! ACLs, certificates). What cannot be compared is said, with the reason, never guessed.
//!
//! The new workers read the configuration and its files again. Lost are: servers put in
//! maintenance or drain, or given another weight, at run time (`show servers state` keeps the
//! configured weight and the configuration's maintenance flag beside the current ones); servers
//! added at run time (HAProxy lists them like configured ones: only those this server added are
//! known, from its journal); frontends paused or stopped; `set maxconn global` (`show info`'s
//! `Maxconn` against `Hard_maxconn`); map and ACL entries that differ from their files;
//! certificates committed at run time whose file on disk is another (the new workers load the
//! file); entries of stick tables no `peers` section hands over to the new process.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use base64::Engine as _;

use crate::haproxy::command::args::MapName;
use crate::haproxy::command::{ListKind, StatFilter, StatObjects};
use crate::haproxy::parse::list_file;
use crate::haproxy::parse::map::MapInfo;
use crate::haproxy::parse::peers::PeersSection;
use crate::haproxy::parse::servers_state::ServerState;
use crate::haproxy::parse::stat::{StatKind, StatReport};
use crate::haproxy::parse::table::TableInfo;
use crate::mcp::answer::first_and_more;
use crate::mcp::cert_inventory::{self, CertKind};
use crate::mcp::targets::Target;

/// Lists with more entries than this are not compared (the dump alone would be many MB).
const MAX_COMPARED_ENTRIES: u64 = 100_000;

/// Largest map, ACL or certificate file read.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Entries named per map or ACL before "and N more".
const EXAMPLES: usize = 3;

/// The assessment.
#[derive(Debug, Clone, Default)]
pub struct ReloadDrops {
    /// Runtime state the new workers will not have, one line each.
    pub drops: Vec<String>,
    /// What could not be compared, and why.
    pub not_compared: Vec<String>,
}

/// Assesses what a reload of `t` would drop. Never fails: what cannot be read is listed in
/// `not_compared`.
pub async fn assess(t: &Target) -> ReloadDrops {
    let frontends = StatFilter {
        proxy: None,
        objects: Some(StatObjects {
            frontends: true,
            backends: false,
            servers: false,
        }),
    };
    let (state, stat, info, maps, acls, tables, peers) = tokio::join!(
        t.client.show_servers_state(None),
        t.client.show_stat(&frontends),
        t.client.show_info(),
        t.client.show_lists(ListKind::Map),
        t.client.show_lists(ListKind::Acl),
        t.client.show_tables(),
        t.client.show_peers(None),
    );
    let mut out = ReloadDrops::default();
    match state {
        Ok(report) => server_drops(&report.servers, &t.journal.added_servers(), &mut out.drops),
        Err(e) => out.not_compared.push(format!("servers: {e}")),
    }
    out.not_compared.push(
        "servers added at run time by anyone else, and addresses or ports changed at run time: the Runtime API lists them like configured ones".to_owned(),
    );
    match stat {
        Ok(report) => frontend_drops(&report, &mut out.drops),
        Err(e) => out.not_compared.push(format!("frontends: {e}")),
    }
    match info {
        Ok(info) => {
            if let (Some(now), Some(hard)) = (info.get_u64("Maxconn"), info.hard_maxconn())
                && now != hard
            {
                out.drops.push(format!(
                    "process maxconn {now}, configured {hard}; a reload restores {hard}"
                ));
            }
        }
        Err(e) => out.not_compared.push(format!("process limits: {e}")),
    }
    out.not_compared.push(
        "process-wide rate limits: show info gives no configured value to compare with; a reload restores the configuration's".to_owned(),
    );
    for (kind, lists) in [(ListKind::Map, maps), (ListKind::Acl, acls)] {
        match lists {
            Ok(lists) => {
                for list in lists {
                    compare_list(t, kind, &list, &mut out).await;
                }
            }
            Err(e) => out.not_compared.push(format!("{}s: {e}", word(kind))),
        }
    }
    compare_certificates(t, &mut out).await;
    match tables {
        // Without `show peers`, no table is known to be handed over.
        Ok(tables) => table_drops(&tables, &peers.unwrap_or_default(), &mut out.drops),
        Err(e) => out.not_compared.push(format!("stick tables: {e}")),
    }
    out
}

/// Servers put in maintenance or drain, or given another weight, at run time (the flags and
/// configured weight `show servers state` keeps), and the servers of `added` (this server's
/// journal) that still exist.
fn server_drops(rows: &[ServerState], added: &[String], drops: &mut Vec<String>) {
    let present: BTreeSet<String> = rows
        .iter()
        .map(|s| format!("{}/{}", s.backend, s.name))
        .collect();
    let added: BTreeSet<&String> = added.iter().filter(|s| present.contains(*s)).collect();
    for s in &added {
        drops.push(format!(
            "server {s}: added at run time through this server; a reload removes it"
        ));
    }
    for s in rows {
        let name = format!("{}/{}", s.backend, s.name);
        if added.contains(&name) {
            continue;
        }
        let a = s.admin_state;
        if a.maint_forced && !a.maint_config {
            drops.push(format!(
                "server {name}: in maintenance since a runtime change; a reload puts it back in service"
            ));
        } else if a.maint_config && !a.maint_forced {
            drops.push(format!(
                "server {name}: in service though the configuration disables it; a reload puts it back in maintenance"
            ));
        }
        if a.drain_forced {
            drops.push(format!(
                "server {name}: draining since a runtime change; a reload puts it back in service"
            ));
        }
        if let (Some(u), Some(i)) = (s.uweight, s.iweight)
            && u != i
        {
            drops.push(format!(
                "server {name}: weight {u}, configured {i}; a reload restores {i}"
            ));
        }
    }
}

/// Frontends paused or stopped at run time.
fn frontend_drops(report: &StatReport, drops: &mut Vec<String>) {
    for row in report.of_kind(StatKind::Frontend) {
        match row.status.as_deref() {
            Some("PAUSED") => drops.push(format!(
                "frontend {}: paused; a reload opens it again",
                row.proxy
            )),
            Some("STOP") => drops.push(format!(
                "frontend {}: stopped; a reload opens it again unless the configuration disables it",
                row.proxy
            )),
            _ => {}
        }
    }
}

/// Stick tables with entries that no peers section hands over to the new process.
fn table_drops(tables: &[TableInfo], peers: &[PeersSection], drops: &mut Vec<String>) {
    let synced: BTreeSet<&str> = peers
        .iter()
        .flat_map(|s| &s.peers)
        .flat_map(|p| &p.tables)
        .map(|t| t.name.as_str())
        .collect();
    for table in tables
        .iter()
        .filter(|t| t.used > 0 && !synced.contains(t.name.as_str()))
    {
        drops.push(format!(
            "stick table {}: {} and no peers section hands it to the new process; a reload starts it empty",
            table.name,
            entries(table.used as usize)
        ));
    }
}

/// "1 entry", "3 entries".
fn entries(n: usize) -> String {
    format!("{n} entr{}", if n == 1 { "y" } else { "ies" })
}

fn word(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Map => "map",
        ListKind::Acl => "ACL",
    }
}

/// Reads a file HAProxy names, if this server can, off the async workers (a slow disk or a
/// network mount must not stall other calls): a path relative to HAProxy's working directory,
/// or one that is missing or unreadable here (HAProxy in a container, another host), gives the
/// reason instead.
async fn read_here(path: &str) -> Result<String, String> {
    let owned = path.to_owned();
    tokio::task::spawn_blocking(move || read_here_now(&owned))
        .await
        .unwrap_or_else(|e| Err(format!("reading it failed ({e})")))
}

/// [`read_here`], on the calling thread.
fn read_here_now(path: &str) -> Result<String, String> {
    if !Path::new(path).is_absolute() {
        return Err("its path is relative to HAProxy's working directory".to_owned());
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("not readable here ({e})"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("the file is larger than {MAX_FILE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("not readable here ({e})"))?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}

/// Compares one map or ACL with its file.
async fn compare_list(t: &Target, kind: ListKind, list: &MapInfo, out: &mut ReloadDrops) {
    let Some(file) = list.file.as_deref() else {
        return;
    };
    let what = format!("{} {file}", word(kind));
    if list.entry_cnt.is_some_and(|n| n > MAX_COMPARED_ENTRIES) {
        out.not_compared.push(format!(
            "{what}: more than {MAX_COMPARED_ENTRIES} entries, not compared"
        ));
        return;
    }
    let text = match read_here(file).await {
        Ok(text) => text,
        Err(why) => {
            out.not_compared.push(format!("{what}: {why}"));
            return;
        }
    };
    let Ok(id) = MapName::new(format!("#{}", list.id)) else {
        return;
    };
    // Entries as `key value` (a map) or the pattern (an ACL), counted: duplicates are allowed.
    let (running, on_disk): (Vec<String>, Vec<String>) = match kind {
        ListKind::Map => match t.client.show_map(&id).await {
            Ok(entries) => (
                entries
                    .into_iter()
                    .map(|e| format!("{} → {}", e.key, e.value))
                    .collect(),
                list_file::map_entries(&text)
                    .into_iter()
                    .map(|(k, v)| format!("{k} → {v}"))
                    .collect(),
            ),
            Err(e) => {
                out.not_compared.push(format!("{what}: {e}"));
                return;
            }
        },
        ListKind::Acl => match t.client.show_acl(&id).await {
            Ok(entries) => (
                entries.into_iter().map(|e| e.pattern).collect(),
                list_file::acl_patterns(&text),
            ),
            Err(e) => {
                out.not_compared.push(format!("{what}: {e}"));
                return;
            }
        },
    };
    let (added, removed) = multiset_difference(&running, &on_disk);
    if added.is_empty() && removed.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!(
            "{} only at run time ({})",
            entries(added.len()),
            first_and_more(&added, EXAMPLES, ", ")
        ));
    }
    if !removed.is_empty() {
        parts.push(format!(
            "{} of the file removed at run time ({})",
            entries(removed.len()),
            first_and_more(&removed, EXAMPLES, ", ")
        ));
    }
    out.drops.push(format!(
        "{what}: {}; a reload loads the file",
        parts.join(", ")
    ));
}

/// `a` minus `b` and `b` minus `a`, counting repeats.
fn multiset_difference(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let mut count: HashMap<&str, i64> = HashMap::new();
    for x in a {
        *count.entry(x).or_default() += 1;
    }
    for x in b {
        *count.entry(x).or_default() -= 1;
    }
    let mut only_a = Vec::new();
    let mut only_b = Vec::new();
    // In the order each list has them, for examples that read naturally.
    for x in a {
        if let Some(n) = count.get_mut(x.as_str())
            && *n > 0
        {
            *n -= 1;
            only_a.push(x.clone());
        }
    }
    for x in b {
        if let Some(n) = count.get_mut(x.as_str())
            && *n < 0
        {
            *n += 1;
            only_b.push(x.clone());
        }
    }
    (only_a, only_b)
}

/// Certificates HAProxy serves that are not the first certificate of their file on disk.
async fn compare_certificates(t: &Target, out: &mut ReloadDrops) {
    let inventory = match cert_inventory::read(t, None, cert_inventory::Scope::Details).await {
        Ok(inv) => inv,
        // No TLS here (or a socket below operator level): nothing to compare.
        Err(_) => return,
    };
    for cert in inventory
        .certificates
        .iter()
        .filter(|c| c.kind == CertKind::Server)
    {
        let Some(served) = cert.sha1.as_deref() else {
            continue;
        };
        let on_disk = match read_here(&cert.name).await {
            Ok(pem) => first_certificate_sha1(&pem),
            Err(why) => {
                out.not_compared
                    .push(format!("certificate {}: {why}", cert.name));
                continue;
            }
        };
        match on_disk {
            Some(sha1) if sha1.eq_ignore_ascii_case(served) => {}
            Some(_) => out.drops.push(format!(
                "certificate {}: HAProxy serves one (notAfter {}) that is not the file's; a reload loads the file",
                cert.name,
                cert.not_after.as_deref().unwrap_or("?")
            )),
            None => out.not_compared.push(format!(
                "certificate {}: the file holds no readable certificate",
                cert.name
            )),
        }
    }
}

/// The SHA-1 (upper-case hex, as HAProxy prints it) of the first certificate of a PEM file.
/// Only the certificate block is decoded; a private key in the file is never looked at.
fn first_certificate_sha1(pem: &str) -> Option<String> {
    let body = pem.split("-----BEGIN CERTIFICATE-----").nth(1)?;
    let body = body.split("-----END CERTIFICATE-----").next()?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    Some(digest.as_ref().iter().map(|b| format!("{b:02X}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn differences_count_repeats() {
        let (a, b) =
            multiset_difference(&strings(&["x", "x", "y", "z"]), &strings(&["x", "y", "w"]));
        assert_eq!(a, ["x", "z"]);
        assert_eq!(b, ["w"]);
    }

    #[test]
    fn relative_paths_are_not_read() {
        assert!(
            read_here_now("maps/hosts.map")
                .unwrap_err()
                .contains("relative")
        );
    }

    #[test]
    fn the_first_certificate_is_hashed() {
        // A DER body of three bytes: SHA-1 of [1, 2, 3].
        let pem = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nzz\n";
        assert_eq!(
            first_certificate_sha1(pem).as_deref(),
            Some("7037807198C22A7D2B0807371D763779A84FDFCF")
        );
        assert_eq!(first_certificate_sha1("no pem"), None);
    }
}
