//! The verdict on a master CLI `reload`.
//!
//! HAProxy 2.7 and later answer `Success=1` or `Success=0`, then `--` and the new process's
//! startup messages. HAProxy 2.6 closes the connection without a word, so the verdict comes
//! from `show proc` before and after: the master's `<reloads>` counter moves on every attempt;
//! a reload that worked starts a new worker (the old ones move to `# old workers` while they
//! finish their connections), and one that failed leaves the workers as they were and raises
//! `[failed: N]` (which the next good reload resets to 0).

use serde::Serialize;

use super::proc_list::{ProcKind, ProcList};

/// What `reload` itself printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReply {
    /// `Success=1` → true, `Success=0` → false; None when HAProxy printed no verdict (2.6).
    pub success: Option<bool>,
    /// The startup messages printed after the verdict, if any.
    pub startup_logs: Option<String>,
}

/// Reads the reply of `reload`.
pub fn parse_reply(reply: &str) -> ReloadReply {
    let mut lines = reply.lines();
    let success = match lines.next().map(str::trim) {
        Some("Success=1") => Some(true),
        Some("Success=0") => Some(false),
        _ => None,
    };
    let rest: Vec<&str> = if success.is_some() {
        lines.filter(|l| l.trim() != "--").collect()
    } else {
        reply.lines().collect()
    };
    let logs = rest.join("\n").trim().to_owned();
    ReloadReply {
        success,
        startup_logs: Some(logs).filter(|l| !l.is_empty()),
    }
}

/// `<reloads>` of the master: `2 [failed: 1]` → (2, Some(1)); a worker's `3` → (3, None).
pub fn reload_counters(column: &str) -> Option<(u64, Option<u64>)> {
    let (count, rest) = column
        .split_once(' ')
        .map_or((column, ""), |(c, r)| (c, r.trim()));
    let count = count.parse().ok()?;
    let failed = rest
        .strip_prefix("[failed:")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.trim().parse().ok());
    Some((count, failed))
}

/// What comparing `show proc` before and after a `reload` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum ReloadOutcome {
    /// The master has not counted the reload yet (still re-executing): look again.
    Pending,
    /// A new worker runs the new configuration.
    Succeeded {
        /// The new workers' PIDs.
        new_workers: Vec<u32>,
    },
    /// The master counted a failed reload; the previous workers keep serving.
    Failed {
        /// HAProxy's failed-reload counter now.
        failed: u64,
    },
    /// The master counted the reload but neither started a worker nor counted a failure.
    Unclear,
}

/// Compares the master's process lists from before and after a reload.
pub fn compare(before: &ProcList, after: &ProcList) -> ReloadOutcome {
    let counters = |p: &ProcList| {
        p.master()
            .and_then(|m| reload_counters(&m.reloads))
            .unwrap_or((0, None))
    };
    let (count_before, _) = counters(before);
    let (count_after, failed_after) = counters(after);
    if count_after <= count_before {
        return ReloadOutcome::Pending;
    }
    let old: Vec<u32> = before.workers().map(|w| w.pid).collect();
    let new_workers: Vec<u32> = after
        .processes
        .iter()
        .filter(|p| p.kind == ProcKind::Worker && !p.old && !old.contains(&p.pid))
        .map(|p| p.pid)
        .collect();
    if !new_workers.is_empty() {
        return ReloadOutcome::Succeeded { new_workers };
    }
    match failed_after {
        Some(failed) if failed > 0 => ReloadOutcome::Failed { failed },
        _ => ReloadOutcome::Unclear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::parse::proc_list;

    const HEAD: &str =
        "#<PID>          <type>          <reloads>       <uptime>        <version>      \n";

    fn procs(master: &str, workers: &str, old: &str) -> ProcList {
        let mut t = format!(
            "{HEAD}14448           master          {master}   0d00h00m05s     2.6.12-1+deb12u3\n# workers\n{workers}"
        );
        if !old.is_empty() {
            t.push_str(&format!("# old workers\n{old}"));
        }
        t.push_str("# programs\n");
        proc_list::parse(&t).unwrap()
    }

    #[test]
    fn replies_of_27_and_later() {
        let r = parse_reply("Success=0\n--\n[ALERT] config : parsing [x.cfg:2]: unknown keyword\n");
        assert_eq!(r.success, Some(false));
        assert!(r.startup_logs.unwrap().contains("unknown keyword"));
        assert_eq!(parse_reply("").success, None);
        assert_eq!(parse_reply("Success=1\n--\n").startup_logs, None);
    }

    #[test]
    fn counters() {
        assert_eq!(reload_counters("2 [failed: 1]"), Some((2, Some(1))));
        assert_eq!(reload_counters("0"), Some((0, None)));
        assert_eq!(reload_counters("x"), None);
    }

    // Recorded on HAProxy 2.6.12: a broken configuration, then a good one.
    #[test]
    fn a_failed_reload_on_26() {
        let before = procs(
            "0 [failed: 0]",
            "14449           worker          0               0d00h00m01s     2.6.12-1+deb12u3\n",
            "",
        );
        let after = procs(
            "1 [failed: 1]",
            "14449           worker          1               0d00h00m05s     2.6.12-1+deb12u3\n",
            "",
        );
        assert_eq!(
            compare(&before, &after),
            ReloadOutcome::Failed { failed: 1 }
        );
        assert_eq!(compare(&before, &before), ReloadOutcome::Pending);
        let good = procs(
            "2 [failed: 0]",
            "14563           worker          0               0d00h00m01s     2.6.12-1+deb12u3\n",
            "14449           worker          1               0d00h00m06s     2.6.12-1+deb12u3\n",
        );
        assert_eq!(
            compare(&after, &good),
            ReloadOutcome::Succeeded {
                new_workers: vec![14563]
            }
        );
    }
}
