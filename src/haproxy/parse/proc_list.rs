//! Master CLI `show proc`.
//!
//! ```text
//! #<PID>          <type>          <reloads>       <uptime>        <version>
//! 3112            master          0 [failed: 0]   0d00h00m18s     2.6.12-1+deb12u4
//! # workers
//! 3115            worker          0               0d00h00m18s     2.6.12-1+deb12u4
//! # old workers
//! # programs
//! 3120            myprog          0               0d00h00m18s     -
//! # old programs
//! ```
//! Columns are padded with `%-15s`, but the master's `<reloads>` holds spaces
//! (`0 [failed: 0]`), so rows are tokenized on whitespace with that group re-joined. The
//! process kind comes from the section. `show proc debug` (3.1+) appends tab-separated
//! `<ipc_fd[0]> <ipc_fd[1]>` columns, kept in [`ProcEntry::extra`].

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// The kind of process, from the section it is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcKind {
    /// The master process (the line before `# workers`).
    Master,
    /// A worker process.
    Worker,
    /// An external program started by the master (`program` sections).
    Program,
    /// A row under a section this parser does not know (a later version's addition).
    Other,
}

/// One process line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcEntry {
    /// Process id.
    pub pid: u32,
    /// Master, worker or program.
    pub kind: ProcKind,
    /// Listed under `# old workers` / `# old programs` (left over from a reload).
    pub old: bool,
    /// The `<type>` column: `master`, `worker`, or the program's name.
    pub type_name: String,
    /// The `<reloads>` column as printed (`0 [failed: 0]` for the master, `0` otherwise).
    pub reloads: String,
    /// The `<uptime>` column, e.g. `0d00h00m18s`.
    pub uptime: String,
    /// The `<version>` column (`-` for programs).
    pub version: String,
    /// Further columns (`show proc debug`).
    pub extra: Vec<String>,
}

/// The parsed `show proc` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcList {
    /// Every process, master first.
    pub processes: Vec<ProcEntry>,
}

impl ProcList {
    /// The master process, if listed.
    pub fn master(&self) -> Option<&ProcEntry> {
        self.processes.iter().find(|p| p.kind == ProcKind::Master)
    }

    /// The current (not old) workers.
    pub fn workers(&self) -> impl Iterator<Item = &ProcEntry> {
        self.processes
            .iter()
            .filter(|p| p.kind == ProcKind::Worker && !p.old)
    }
}

/// Parses one process row.
fn parse_row(no: usize, line: &str, kind: ProcKind, old: bool) -> Result<ProcEntry, ParseError> {
    let mut toks = line.split_ascii_whitespace().peekable();
    let bad = |what: &str| ParseError::new(no, format!("process line: {what}"));
    let pid = toks.next().ok_or_else(|| bad("missing pid"))?;
    let pid = pid
        .parse::<u32>()
        .map_err(|_| bad(&format!("invalid pid {pid:?}")))?;
    let type_name = toks.next().ok_or_else(|| bad("missing type"))?.to_owned();
    let mut reloads = toks
        .next()
        .ok_or_else(|| bad("missing reloads"))?
        .to_owned();
    // `0 [failed: 0]`: re-join the bracketed group split by the tokenizer.
    if toks.peek().is_some_and(|t| t.starts_with('[')) {
        for t in toks.by_ref() {
            reloads.push(' ');
            reloads.push_str(t);
            if t.ends_with(']') {
                break;
            }
        }
    }
    let uptime = toks.next().ok_or_else(|| bad("missing uptime"))?.to_owned();
    let version = toks
        .next()
        .ok_or_else(|| bad("missing version"))?
        .to_owned();
    Ok(ProcEntry {
        pid,
        kind,
        old,
        type_name,
        reloads,
        uptime,
        version,
        extra: toks.map(str::to_owned).collect(),
    })
}

/// Parses the master CLI's `show proc` output.
pub fn parse(text: &str) -> Result<ProcList, ParseError> {
    let mut processes = Vec::new();
    // Before any section marker we are in the master's part.
    let mut kind = ProcKind::Master;
    let mut old = false;
    let mut seen_header = false;
    for (no, line) in numbered_lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(section) = trimmed.strip_prefix('#') {
            let section = section.trim();
            if section.starts_with('<') {
                seen_header = true;
                continue;
            }
            old = section.starts_with("old ");
            let name = section.strip_prefix("old ").unwrap_or(section);
            kind = match name {
                "workers" => ProcKind::Worker,
                "programs" => ProcKind::Program,
                // A section added by a later version: keep its rows, flagged as such.
                _ => ProcKind::Other,
            };
            continue;
        }
        if !seen_header {
            return Err(ParseError::new(no, "expected the `#<PID> <type> …` header"));
        }
        processes.push(parse_row(no, line, kind, old)?);
    }
    if !seen_header {
        return Err(ParseError::new(
            1,
            "empty reply, expected the `#<PID>` header",
        ));
    }
    Ok(ProcList { processes })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture.
    const PROC_26: &str =
        "#<PID>          <type>          <reloads>       <uptime>        <version>      
3112            master          0 [failed: 0]   0d00h00m18s     2.6.12-1+deb12u4
# workers
3115            worker          0               0d00h00m18s     2.6.12-1+deb12u4
# programs
";

    #[test]
    fn parses_26_capture() {
        let p = parse(PROC_26).unwrap();
        assert_eq!(p.processes.len(), 2);
        let m = p.master().unwrap();
        assert_eq!(m.pid, 3112);
        assert_eq!(m.reloads, "0 [failed: 0]");
        assert_eq!(m.uptime, "0d00h00m18s");
        assert_eq!(m.version, "2.6.12-1+deb12u4");
        let w: Vec<_> = p.workers().collect();
        assert_eq!(w.len(), 1);
        let w = w.first().unwrap();
        assert_eq!(w.pid, 3115);
        assert_eq!(w.kind, ProcKind::Worker);
        assert_eq!(w.reloads, "0");
        assert!(w.extra.is_empty());
    }

    #[test]
    fn old_workers_programs_and_debug_columns() {
        let text = "#<PID>          <type>          <reloads>       <uptime>        <version>      \t\t <ipc_fd[0]>     <ipc_fd[1]>\n\
1               master          2 [failed: 1]   0d01h00m00s     3.2.0           \t\t 5               6\n\
# workers\n\
20              worker          0               0d00h10m00s     3.2.0           \t\t 7               8\n\
# old workers\n\
10              worker          1               0d00h50m00s     3.2.0\n\
# programs\n\
30              dataplane       0               0d00h10m00s     -\n\
# old programs\n";
        let p = parse(text).unwrap();
        assert_eq!(p.processes.len(), 4);
        let m = p.master().unwrap();
        assert_eq!(m.reloads, "2 [failed: 1]");
        assert_eq!(m.extra, ["5", "6"]);
        assert_eq!(p.workers().count(), 1);
        let old = p.processes.get(2).unwrap();
        assert!(old.old);
        assert_eq!(old.kind, ProcKind::Worker);
        let prog = p.processes.get(3).unwrap();
        assert_eq!(prog.kind, ProcKind::Program);
        assert_eq!(prog.type_name, "dataplane");
        assert_eq!(prog.version, "-");
    }

    #[test]
    fn errors() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("Unknown command.\n").unwrap_err().line, 1);
        assert_eq!(parse("#<PID>\nabc master 0 0d 2.6\n").unwrap_err().line, 2);
        assert_eq!(
            parse("#<PID>\n1 master 0 [failed: 0]\n").unwrap_err().line,
            2
        );
        let p = parse("#<PID>\n# zombies\n9 zombie 0 0d 3.4\n").unwrap();
        assert_eq!(p.processes.first().unwrap().kind, ProcKind::Other);
    }
}
