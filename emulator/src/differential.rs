//! Comparing the model's answers with HAProxy's: what counts as the same answer once the
//! volatile parts are masked (uptime, time since a change, health-check outcomes, traffic
//! counters, entry pointers), and a run of a version's whole recorded capture through the model,
//! command by command, against what real HAProxy answered.

use std::collections::HashMap;

use crate::fixture::Fixture;
use crate::model::{Model, Reply};
use crate::session::strip_terminator;
use crate::tokenizer::{self, Command};
use crate::version::Version;

/// The `show stat` columns compared: state and configuration, not traffic.
const STAT_COLUMNS: &[&str] = &[
    "pxname",
    "svname",
    "slim",
    "status",
    "weight",
    "act",
    "bck",
    "iid",
    "sid",
    "type",
    "addr",
    "uweight",
    "check_rise",
    "check_fall",
    "mode",
    "algo",
    "cookie",
];

/// The `show servers state` columns not compared: the time since the last change and the last
/// health-check outcome move on their own.
const STATE_VOLATILE: &[&str] = &[
    "srv_time_since_last_change",
    "srv_check_status",
    "srv_check_result",
];

/// Also not compared against a HAProxy running in real time: how far its checks have got.
const STATE_VOLATILE_LIVE: &[&str] = &["srv_check_health"];

/// The `show info` fields compared.
const INFO_FIELDS: &[&str] = &[
    "Name",
    "Version",
    "Maxconn",
    "Hard_maxconn",
    "Nbthread",
    "ConnRateLimit",
    "SessRateLimit",
    "SslRateLimit",
    "CompressBpsRateLim",
];

/// One difference between HAProxy and the model.
#[derive(Debug, Clone)]
pub struct Difference {
    /// The fixture's sequence number.
    pub seq: u32,
    /// The command line.
    pub command: String,
    /// What HAProxy answered, masked.
    pub haproxy: String,
    /// What the model answered, masked.
    pub model: String,
}

/// What a run of a capture through the model found.
#[derive(Debug, Default)]
pub struct Report {
    /// Commands the model executed and whose answers were compared.
    pub compared: usize,
    /// Commands the model does not execute (skipped), as `seq command`.
    pub not_modelled: Vec<String>,
    /// Answers that differ after masking.
    pub differences: Vec<Difference>,
}

/// Runs every recorded command of one version through a model seeded from the same
/// recordings (completed by the capture's configuration, `config`), in recorded order, and
/// compares each answer with HAProxy's.
pub fn run_capture(version: Version, fixtures: &[Fixture], config: &str) -> Result<Report, String> {
    let mut model = Model::seed(version, fixtures)?;
    model.apply_config(config);
    // HAProxy's clients in the capture stay connected while their server drains.
    model.set_clients_leave(false);
    let mut report = Report::default();
    // The model's clock follows the capture's: from the seed's `show info` on, it moves by
    // the time between two recordings.
    let mut clock = fixtures
        .iter()
        .find(|f| f.command == "show info")
        .and_then(|f| captured_at(&f.captured));
    // HAProxy's entry pointers → the model's, learned from each compared listing.
    let mut pointers: HashMap<String, String> = HashMap::new();
    for fixture in fixtures {
        if let (Some(last), Some(at)) = (clock, captured_at(&fixture.captured))
            && at > last
        {
            model.advance((at - last).to_std().unwrap_or_default());
            clock = Some(at);
        }
        let line = tokenizer::parse_line(fixture.command.as_bytes(), version);
        let [command] = line.commands.as_slice() else {
            report
                .not_modelled
                .push(format!("{:04} {}", fixture.seq, fixture.command));
            continue;
        };
        let command = translate(command, &pointers);
        let payload = line
            .payload_end
            .as_ref()
            .map(|_| fixture.payload.join("\n").into_bytes());
        let Reply::Body(answer) = model.execute(fixture.socket, &command, payload.as_deref())
        else {
            report
                .not_modelled
                .push(format!("{:04} {}", fixture.seq, fixture.command));
            continue;
        };
        report.compared += 1;
        let expected = strip_terminator(&fixture.reply);
        learn_pointers(&fixture.command, expected, &answer, &mut pointers);
        let (haproxy, ours) = (
            mask(&fixture.command, expected),
            mask(&fixture.command, &answer),
        );
        if haproxy != ours {
            report.differences.push(Difference {
                seq: fixture.seq,
                command: fixture.command.clone(),
                haproxy,
                model: ours,
            });
        }
    }
    Ok(report)
}

/// A fixture's `# captured:` time.
fn captured_at(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A command with HAProxy's entry pointers replaced by the model's.
fn translate(command: &Command, pointers: &HashMap<String, String>) -> Command {
    let mut command = command.clone();
    for word in &mut command.words {
        let text = String::from_utf8_lossy(word).into_owned();
        if let Some(ours) = text.strip_prefix('#').and_then(|p| pointers.get(p)) {
            *word = format!("#{ours}").into_bytes();
        }
    }
    command
}

/// After a `show map|acl <list>`, pairs HAProxy's pointers with the model's, line by line.
fn learn_pointers(
    command: &str,
    haproxy: &[u8],
    model: &[u8],
    pointers: &mut HashMap<String, String>,
) {
    if !(command.starts_with("show map ") || command.starts_with("show acl ")) {
        return;
    }
    let first = |l: &str| l.split(' ').next().unwrap_or("").to_owned();
    for (theirs, ours) in String::from_utf8_lossy(haproxy)
        .lines()
        .zip(String::from_utf8_lossy(model).lines())
    {
        if theirs.starts_with("0x") && ours.starts_with("0x") {
            pointers.insert(first(theirs), first(ours));
        }
    }
}

/// An answer with its volatile parts masked, as text, for the command that produced it.
pub fn mask(command: &str, answer: &[u8]) -> String {
    masked(command, answer, false)
}

fn masked(command: &str, answer: &[u8], live: bool) -> String {
    let text = String::from_utf8_lossy(answer).into_owned();
    let text = without_cookie_collision_warning(text);
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        ["show", "stat", ..] => mask_stat(&text, live),
        ["show", "servers", "state", ..] => mask_state(&text, live),
        ["show", "servers", "conn", ..] => mask_conns(&text),
        ["show", "info"] => text
            .lines()
            .filter(|l| INFO_FIELDS.iter().any(|f| l.starts_with(&format!("{f}: "))))
            .map(|l| format!("{l}\n"))
            .collect(),
        ["show", "table", _, ..] => sorted(text.lines().map(|l| match l.split_once(": ") {
            // Entry pointers and the time left before expiry differ run to run.
            Some((p, rest)) if p.starts_with("0x") => {
                let rest: Vec<&str> = rest.split(' ').filter(|w| !w.starts_with("exp=")).collect();
                format!("0x…: {}\n", rest.join(" "))
            }
            _ => format!("{l}\n"),
        })),
        ["show", "sess"] | ["show", "sess", "frontend" | "backend" | "server", _] => sorted(
            text.lines()
                // The asking CLI connection's own stream is a new one each time.
                .filter(|l| !l.contains(" proto=unix_stream "))
                .map(|l| {
                    // Only which streams exist: ages, timers and counters move on their own.
                    let words: Vec<&str> = l
                        .split(' ')
                        .filter(|w| {
                            ["proto=", "fe=", "be=", "srv="]
                                .iter()
                                .any(|p| w.starts_with(p))
                        })
                        .collect();
                    format!("{}\n", words.join(" "))
                }),
        ),
        // 3.4's `del backend` prints, before its verdict, every notice its thread logged since
        // the last command that cleared them (HAProxy does not clear them for this command):
        // server state changes, "Server deleted." — which thread serves a connection is not
        // foreseeable, so only the verdict, the last line, is compared.
        ["del", "backend", ..] => text
            .lines()
            .last()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default(),
        ["show", "map" | "acl", _, ..] => text
            .lines()
            .map(|l| match l.split_once(' ') {
                Some((p, rest)) if p.starts_with("0x") => format!("0x… {rest}\n"),
                _ => format!("{l}\n"),
            })
            .collect(),
        _ => text,
    }
}

/// `text` without HAProxy's warning that two servers got equal dynamic cookies (`server.c`,
/// `srv_set_dyncookie`: "We generated two equal cookies for two different servers." and
/// "Please change the secret key for '<backend>'."). HAProxy logs it when it computes a cookie,
/// which 3.x also does a moment after `set server addr` answers, so it lands in the output of
/// whatever command the thread serves next (3.4 prints a thread's pending notices with `del
/// backend`'s verdict); the model, computing cookies when it renders them, never warns.
fn without_cookie_collision_warning(text: String) -> String {
    if !text.contains("Please change the secret key for '") {
        return text;
    }
    text.lines()
        .filter(|l| {
            *l != "We generated two equal cookies for two different servers."
                && !l.starts_with("Please change the secret key for '")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `show servers conn` with the traffic figures (connections used, idle, per thread) masked:
/// names, ids, address, port and the configured purge delay and idle limit stay, and so does
/// the number of cells.
fn mask_conns(text: &str) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let names: Vec<&str> = header.trim_start_matches("# ").split(' ').collect();
    let keep = |i: usize| {
        names.get(i).is_some_and(|n| {
            [
                "bkname/svname",
                "bkid/svid",
                "addr",
                "port",
                "-",
                "purge_delay",
                "idle_lim",
            ]
            .contains(n)
        })
    };
    let mut out = format!("{header}\n");
    for line in lines {
        let cells: Vec<&str> = line
            .split(' ')
            .enumerate()
            .map(|(i, c)| if keep(i) { c } else { "*" })
            .collect();
        out.push_str(&cells.join(" "));
        out.push('\n');
    }
    out
}

/// Lines in sorted order, where the order is HAProxy's tree's (stick-table entries, streams):
/// which lines there are is compared, not their order.
fn sorted(lines: impl Iterator<Item = String>) -> String {
    let mut lines: Vec<String> = lines.collect();
    // A header line stays first.
    let header = lines.first().filter(|l| l.starts_with('#')).cloned();
    if header.is_some() {
        lines.remove(0);
    }
    lines.sort();
    header.into_iter().chain(lines).collect()
}

/// [`mask`], plus what moves on its own on a HAProxy running in real time beside the model: how
/// far a server's checks have got (`UP 1/3` compares as `UP`; the check health).
pub fn mask_live(command: &str, answer: &[u8]) -> String {
    masked(command, answer, true)
}

fn mask_stat(text: &str, live: bool) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next().and_then(|h| h.strip_prefix("# ")) else {
        return text.to_owned();
    };
    let names: Vec<&str> = header.split(',').collect();
    let keep: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| STAT_COLUMNS.contains(n))
        .map(|(i, _)| i)
        .collect();
    let mut out = format!("# {} columns\n", names.len());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let picked: Vec<String> = keep
            .iter()
            .map(|&i| {
                let mut cell = cells.get(i).copied().unwrap_or("");
                if live && names[i] == "status" {
                    // `UP 1/3`, `DOWN 1/2`: where the checks have got (`UP (UNPUB)` stays).
                    cell = strip_check_progress(cell);
                }
                format!("{}={cell}", names[i])
            })
            .collect();
        out.push_str(&picked.join(" "));
        out.push('\n');
    }
    out
}

/// `UP 1/3` → `UP`: a status without the checks' progress (3.4 can show `DRAIN -1/3` for a
/// moment while a server added at runtime starts its checks).
fn strip_check_progress(status: &str) -> &str {
    match status.rsplit_once(' ') {
        Some((head, tail))
            if tail
                .split_once('/')
                .is_some_and(|(a, b)| a.parse::<i32>().is_ok() && b.parse::<u32>().is_ok()) =>
        {
            head
        }
        _ => status,
    }
}

fn mask_state(text: &str, live: bool) -> String {
    let mut out = String::new();
    let mut names: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            names = header.split(' ').collect();
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let cells: Vec<String> = line
            .split(' ')
            .enumerate()
            .map(|(i, c)| match names.get(i) {
                Some(n)
                    if STATE_VOLATILE.contains(n) || (live && STATE_VOLATILE_LIVE.contains(n)) =>
                {
                    "…".to_owned()
                }
                // Bit 0x1 says a check is running at this instant.
                Some(&"srv_check_state" | &"srv_agent_state") => c
                    .parse::<u32>()
                    .map_or_else(|_| c.to_owned(), |v| (v & !1).to_string()),
                _ => c.to_owned(),
            })
            .collect();
        out.push_str(&cells.join(" "));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_collision_warning_is_not_part_of_an_answer() {
        let live = b"Backend deleted.\nWe generated two equal cookies for two different servers.\nPlease change the secret key for 'be_api'.\n";
        assert_eq!(mask_live("del backend rt60", live), "Backend deleted.\n");
        assert_eq!(
            mask_live(
                "set weight be_api/a 3",
                b"Please change the secret key for 'be_api'.\n"
            ),
            ""
        );
        // Anything else stays.
        assert_eq!(
            mask_live("set weight be_api/a 300", b"Weight out of range.\n"),
            "Weight out of range.\n"
        );
    }
}
