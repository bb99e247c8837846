//! `show stat` (CSV).
//!
//! The header line starts with `# `, and every cell (header included) is followed by a comma.
//! Cells containing `,`, `"`, CR or LF are wrapped in `"` with inner quotes doubled, so one
//! record may in theory span lines. The column set differs between versions and builds
//! (2.6 vs 2.8+, module columns after the `-` marker), so everything is indexed by header name.
//!
//! Performance: a row keeps all its unquoted cells in a single `String` plus the cell end
//! offsets, instead of one allocation per cell. The header (names and name index) is shared
//! between rows through an [`Arc`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::ParseError;

/// The kind of object a `show stat` row describes, from the `type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatKind {
    /// `type` 0: a frontend (`svname` is `FRONTEND`).
    Frontend,
    /// `type` 1: a backend aggregate (`svname` is `BACKEND`).
    Backend,
    /// `type` 2: a server.
    Server,
    /// `type` 3: a listener (only with `option socket-stats`).
    Listener,
    /// Any other or missing value.
    Unknown,
}

impl StatKind {
    fn from_cells(kind: Option<&str>, svname: &str) -> Self {
        match kind {
            Some("0") => Self::Frontend,
            Some("1") => Self::Backend,
            Some("2") => Self::Server,
            Some("3") => Self::Listener,
            // Without a `type` column (e.g. a foreign CSV), fall back on the aggregate names.
            None if svname == "FRONTEND" => Self::Frontend,
            None if svname == "BACKEND" => Self::Backend,
            _ => Self::Unknown,
        }
    }
}

/// The parsed `show stat` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatReport {
    /// The column names from the header, in order (including `-` and module columns).
    pub columns: Vec<String>,
    /// One row per frontend, backend, server or listener, in HAProxy's order.
    pub rows: Vec<StatRow>,
}

impl StatReport {
    /// The row for `proxy` / `name` (`FRONTEND`, `BACKEND` or a server name), if any.
    pub fn find(&self, proxy: &str, name: &str) -> Option<&StatRow> {
        self.rows
            .iter()
            .find(|r| r.proxy == proxy && r.name == name)
    }

    /// The rows of the given kind.
    pub fn of_kind(&self, kind: StatKind) -> impl Iterator<Item = &StatRow> {
        self.rows.iter().filter(move |r| r.kind == kind)
    }
}

/// The typed columns we look up in every row; resolved once from the header.
#[derive(Debug, Clone, Default, PartialEq)]
struct KnownColumns {
    pxname: Option<usize>,
    svname: Option<usize>,
    kind: Option<usize>,
    status: Option<usize>,
    weight: Option<usize>,
    uweight: Option<usize>,
    act: Option<usize>,
    bck: Option<usize>,
    qcur: Option<usize>,
    qmax: Option<usize>,
    scur: Option<usize>,
    smax: Option<usize>,
    slim: Option<usize>,
    stot: Option<usize>,
    bin: Option<usize>,
    bout: Option<usize>,
    dreq: Option<usize>,
    dresp: Option<usize>,
    ereq: Option<usize>,
    econ: Option<usize>,
    eresp: Option<usize>,
    wretr: Option<usize>,
    wredis: Option<usize>,
    chkfail: Option<usize>,
    chkdown: Option<usize>,
    lastchg: Option<usize>,
    downtime: Option<usize>,
    pid: Option<usize>,
    iid: Option<usize>,
    sid: Option<usize>,
    lbtot: Option<usize>,
    tracked: Option<usize>,
    rate: Option<usize>,
    rate_max: Option<usize>,
    req_rate: Option<usize>,
    req_tot: Option<usize>,
    check_status: Option<usize>,
    check_code: Option<usize>,
    check_duration: Option<usize>,
    check_desc: Option<usize>,
    last_chk: Option<usize>,
    agent_status: Option<usize>,
    agent_desc: Option<usize>,
    hrsp_1xx: Option<usize>,
    hrsp_2xx: Option<usize>,
    hrsp_3xx: Option<usize>,
    hrsp_4xx: Option<usize>,
    hrsp_5xx: Option<usize>,
    hrsp_other: Option<usize>,
    lastsess: Option<usize>,
    qtime: Option<usize>,
    ctime: Option<usize>,
    rtime: Option<usize>,
    ttime: Option<usize>,
    addr: Option<usize>,
    cookie: Option<usize>,
    mode: Option<usize>,
    algo: Option<usize>,
}

impl KnownColumns {
    fn resolve(index: &HashMap<String, usize>) -> Self {
        let at = |n: &str| index.get(n).copied();
        Self {
            pxname: at("pxname"),
            svname: at("svname"),
            kind: at("type"),
            status: at("status"),
            weight: at("weight"),
            uweight: at("uweight"),
            act: at("act"),
            bck: at("bck"),
            qcur: at("qcur"),
            qmax: at("qmax"),
            scur: at("scur"),
            smax: at("smax"),
            slim: at("slim"),
            stot: at("stot"),
            bin: at("bin"),
            bout: at("bout"),
            dreq: at("dreq"),
            dresp: at("dresp"),
            ereq: at("ereq"),
            econ: at("econ"),
            eresp: at("eresp"),
            wretr: at("wretr"),
            wredis: at("wredis"),
            chkfail: at("chkfail"),
            chkdown: at("chkdown"),
            lastchg: at("lastchg"),
            downtime: at("downtime"),
            pid: at("pid"),
            iid: at("iid"),
            sid: at("sid"),
            lbtot: at("lbtot"),
            tracked: at("tracked"),
            rate: at("rate"),
            rate_max: at("rate_max"),
            req_rate: at("req_rate"),
            req_tot: at("req_tot"),
            check_status: at("check_status"),
            check_code: at("check_code"),
            check_duration: at("check_duration"),
            check_desc: at("check_desc"),
            last_chk: at("last_chk"),
            agent_status: at("agent_status"),
            agent_desc: at("agent_desc"),
            hrsp_1xx: at("hrsp_1xx"),
            hrsp_2xx: at("hrsp_2xx"),
            hrsp_3xx: at("hrsp_3xx"),
            hrsp_4xx: at("hrsp_4xx"),
            hrsp_5xx: at("hrsp_5xx"),
            hrsp_other: at("hrsp_other"),
            lastsess: at("lastsess"),
            qtime: at("qtime"),
            ctime: at("ctime"),
            rtime: at("rtime"),
            ttime: at("ttime"),
            addr: at("addr"),
            cookie: at("cookie"),
            mode: at("mode"),
            algo: at("algo"),
        }
    }
}

/// The header shared by every row of one report.
#[derive(Debug, PartialEq)]
struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
    known: KnownColumns,
}

/// The cells of one row: the unquoted cell texts, each followed by one separator byte, plus
/// each cell's end offset (see [`CsvReader`]).
#[derive(Debug, Clone, PartialEq)]
struct Cells {
    header: Arc<Header>,
    text: String,
    ends: Vec<u32>,
}

/// Cell `idx` of a record stored as `text` + `ends` (each cell followed by a separator byte).
fn cell_at<'a>(text: &'a str, ends: &[u32], idx: usize) -> Option<&'a str> {
    let end = *ends.get(idx)? as usize;
    let start = match idx.checked_sub(1) {
        Some(prev) => *ends.get(prev)? as usize + 1,
        None => 0,
    };
    text.get(start..end)
}

impl Cells {
    fn get(&self, idx: usize) -> Option<&str> {
        cell_at(&self.text, &self.ends, idx)
    }

    fn at(&self, idx: Option<usize>) -> Option<&str> {
        idx.and_then(|i| self.get(i))
    }
}

impl Serialize for Cells {
    /// Serializes as a map from column name to cell text, for the columns the row has.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self.ends.len().min(self.header.names.len());
        let mut map = serializer.serialize_map(Some(n))?;
        for (i, name) in self.header.names.iter().enumerate().take(n) {
            map.serialize_entry(name, self.get(i).unwrap_or(""))?;
        }
        map.end()
    }
}

/// One `show stat` row with the commonly used columns typed.
///
/// Empty cells (HAProxy's "not applicable") and absent columns are `None`. A numeric column
/// whose text is not a number is also `None`; its raw text stays available through
/// [`StatRow::get`], which covers every column, including unknown ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatRow {
    /// `pxname`: the proxy name (empty if the column is missing).
    pub proxy: String,
    /// `svname`: `FRONTEND`, `BACKEND`, or the server or listener name.
    pub name: String,
    /// The object kind, from the `type` column.
    pub kind: StatKind,
    /// `status`: `OPEN`, `UP`, `DOWN`, `MAINT`, `MAINT (via b/s)`, `DRAIN`, `no check`, `UP 1/3`…
    pub status: Option<String>,
    /// `weight`: effective weight (server) or total weight (backend).
    pub weight: Option<u64>,
    /// `uweight`: user-set weight.
    pub uweight: Option<u64>,
    /// `act`: 1 if an active server; number of active servers for a backend.
    pub act: Option<u64>,
    /// `bck`: 1 if a backup server; number of backup servers for a backend.
    pub bck: Option<u64>,
    /// `qcur`: current queued requests.
    pub qcur: Option<u64>,
    /// `qmax`: max queued requests.
    pub qmax: Option<u64>,
    /// `scur`: current sessions.
    pub scur: Option<u64>,
    /// `smax`: max sessions.
    pub smax: Option<u64>,
    /// `slim`: configured session limit.
    pub slim: Option<u64>,
    /// `stot`: cumulative sessions.
    pub stot: Option<u64>,
    /// `bin`: bytes in.
    pub bin: Option<u64>,
    /// `bout`: bytes out.
    pub bout: Option<u64>,
    /// `dreq`: denied requests.
    pub dreq: Option<u64>,
    /// `dresp`: denied responses.
    pub dresp: Option<u64>,
    /// `ereq`: request errors.
    pub ereq: Option<u64>,
    /// `econ`: connection errors.
    pub econ: Option<u64>,
    /// `eresp`: response errors.
    pub eresp: Option<u64>,
    /// `wretr`: retries.
    pub wretr: Option<u64>,
    /// `wredis`: redispatches.
    pub wredis: Option<u64>,
    /// `chkfail`: failed checks.
    pub chkfail: Option<u64>,
    /// `chkdown`: UP→DOWN transitions.
    pub chkdown: Option<u64>,
    /// `lastchg`: seconds since the last UP/DOWN transition.
    pub lastchg: Option<u64>,
    /// `downtime`: total downtime in seconds.
    pub downtime: Option<u64>,
    /// `pid`: process id (1-based process number).
    pub pid: Option<u64>,
    /// `iid`: proxy id.
    pub iid: Option<u64>,
    /// `sid`: server id (0 for frontends and backends).
    pub sid: Option<u64>,
    /// `lbtot`: times the server was selected.
    pub lbtot: Option<u64>,
    /// `tracked`: the tracked server as `backend/server`.
    pub tracked: Option<String>,
    /// `rate`: sessions per second over the last second.
    pub rate: Option<u64>,
    /// `rate_max`: max sessions per second.
    pub rate_max: Option<u64>,
    /// `req_rate`: HTTP requests per second.
    pub req_rate: Option<u64>,
    /// `req_tot`: total HTTP requests.
    pub req_tot: Option<u64>,
    /// `check_status`: e.g. `L7OK`, `L4CON`; prefixed with `* ` while a check runs.
    pub check_status: Option<String>,
    /// `check_code`: layer 5-7 code of the last check.
    pub check_code: Option<u64>,
    /// `check_duration`: duration of the last check in ms.
    pub check_duration: Option<u64>,
    /// `check_desc`: human-readable description of the last check.
    pub check_desc: Option<String>,
    /// `last_chk`: details of the last health check.
    pub last_chk: Option<String>,
    /// `agent_status`: status of the last agent check.
    pub agent_status: Option<String>,
    /// `agent_desc`: description of the last agent check.
    pub agent_desc: Option<String>,
    /// `hrsp_1xx`.
    pub hrsp_1xx: Option<u64>,
    /// `hrsp_2xx`.
    pub hrsp_2xx: Option<u64>,
    /// `hrsp_3xx`.
    pub hrsp_3xx: Option<u64>,
    /// `hrsp_4xx`.
    pub hrsp_4xx: Option<u64>,
    /// `hrsp_5xx`.
    pub hrsp_5xx: Option<u64>,
    /// `hrsp_other`.
    pub hrsp_other: Option<u64>,
    /// `lastsess`: seconds since the last session, -1 when never used.
    pub lastsess: Option<i64>,
    /// `qtime`: average queue time (ms) over the last 1024 requests.
    pub qtime: Option<u64>,
    /// `ctime`: average connect time (ms).
    pub ctime: Option<u64>,
    /// `rtime`: average response time (ms).
    pub rtime: Option<u64>,
    /// `ttime`: average total session time (ms).
    pub ttime: Option<u64>,
    /// `addr`: server address `ip:port` (blank at user level).
    pub addr: Option<String>,
    /// `cookie`: server cookie (blank at user level).
    pub cookie: Option<String>,
    /// `mode`: `http`, `tcp`, …
    pub mode: Option<String>,
    /// `algo`: load-balancing algorithm (backends).
    pub algo: Option<String>,
    /// Every cell by column name (serialized as a map).
    #[serde(rename = "values")]
    cells: Cells,
}

impl StatRow {
    /// The raw (unquoted) text of the cell in `column`; `None` if the report has no such
    /// column or this row is shorter. An empty cell is `Some("")`.
    pub fn get(&self, column: &str) -> Option<&str> {
        let idx = *self.cells.header.index.get(column)?;
        self.cells.get(idx)
    }

    /// The raw text of the cell at position `idx` (0-based), even past the header's width.
    pub fn cell(&self, idx: usize) -> Option<&str> {
        self.cells.get(idx)
    }

    /// The number of cells in this row.
    pub fn cell_count(&self) -> usize {
        self.cells.ends.len()
    }

    /// All `(column, value)` pairs of this row, in header order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cells
            .header
            .names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| self.cells.get(i).map(|v| (n.as_str(), v)))
    }

    fn from_cells(cells: Cells) -> Self {
        // Clone the Arc so the column indexes can be read while `cells` is borrowed.
        let header = Arc::clone(&cells.header);
        let k = &header.known;
        let s = |i: Option<usize>| cells.at(i).filter(|v| !v.is_empty()).map(str::to_owned);
        let u = |i: Option<usize>| cells.at(i).and_then(|v| v.parse::<u64>().ok());
        let name = cells.at(k.svname).unwrap_or("").to_owned();
        let kind = StatKind::from_cells(cells.at(k.kind), &name);
        Self {
            proxy: cells.at(k.pxname).unwrap_or("").to_owned(),
            kind,
            status: s(k.status),
            weight: u(k.weight),
            uweight: u(k.uweight),
            act: u(k.act),
            bck: u(k.bck),
            qcur: u(k.qcur),
            qmax: u(k.qmax),
            scur: u(k.scur),
            smax: u(k.smax),
            slim: u(k.slim),
            stot: u(k.stot),
            bin: u(k.bin),
            bout: u(k.bout),
            dreq: u(k.dreq),
            dresp: u(k.dresp),
            ereq: u(k.ereq),
            econ: u(k.econ),
            eresp: u(k.eresp),
            wretr: u(k.wretr),
            wredis: u(k.wredis),
            chkfail: u(k.chkfail),
            chkdown: u(k.chkdown),
            lastchg: u(k.lastchg),
            downtime: u(k.downtime),
            pid: u(k.pid),
            iid: u(k.iid),
            sid: u(k.sid),
            lbtot: u(k.lbtot),
            tracked: s(k.tracked),
            rate: u(k.rate),
            rate_max: u(k.rate_max),
            req_rate: u(k.req_rate),
            req_tot: u(k.req_tot),
            check_status: s(k.check_status),
            check_code: u(k.check_code),
            check_duration: u(k.check_duration),
            check_desc: s(k.check_desc),
            last_chk: s(k.last_chk),
            agent_status: s(k.agent_status),
            agent_desc: s(k.agent_desc),
            hrsp_1xx: u(k.hrsp_1xx),
            hrsp_2xx: u(k.hrsp_2xx),
            hrsp_3xx: u(k.hrsp_3xx),
            hrsp_4xx: u(k.hrsp_4xx),
            hrsp_5xx: u(k.hrsp_5xx),
            hrsp_other: u(k.hrsp_other),
            lastsess: cells.at(k.lastsess).and_then(|v| v.parse::<i64>().ok()),
            qtime: u(k.qtime),
            ctime: u(k.ctime),
            rtime: u(k.rtime),
            ttime: u(k.ttime),
            addr: s(k.addr),
            cookie: s(k.cookie),
            mode: s(k.mode),
            algo: s(k.algo),
            name,
            cells,
        }
    }
}

/// Reads the CSV records of the whole reply (a quoted cell may span lines).
///
/// Cells are stored in one `String` per record, each followed by one separator byte, with
/// `ends[i]` the end offset of cell `i`; cell `i` starts one byte after `ends[i - 1]`. This
/// lets the common record (no quote) be copied in one go, commas included.
struct CsvReader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> CsvReader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// The rest of the current physical line (without its LF), without consuming it.
    fn peek_line(&self) -> &'a str {
        let rest = self.text.get(self.pos..).unwrap_or("");
        match rest.find('\n') {
            Some(i) => rest.get(..i).unwrap_or(rest),
            None => rest,
        }
    }

    /// Skips the current physical line, whose length `peek_line` gave.
    fn skip_line(&mut self, len: usize) {
        self.pos = (self.pos + len + 1).min(self.text.len());
        self.line += 1;
    }

    /// Skips `n` bytes of the current line (the `# ` header prefix).
    fn skip_bytes(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.text.len());
    }

    /// Reads the record starting with the physical line `line` (from `peek_line`).
    ///
    /// A comma right before the end of the record does not open a new cell: HAProxy ends
    /// every cell with a comma. A record without that final comma still counts its last cell.
    fn read_record(
        &mut self,
        line: &'a str,
        out: &mut String,
        ends: &mut Vec<u32>,
    ) -> Result<(), ParseError> {
        let start_line = self.line;
        if u32::try_from(line.len()).is_err() {
            return Err(ParseError::new(start_line, "row too large"));
        }
        if !line.contains('"') {
            // Fast path: the line is the record; copy it whole and note the comma offsets.
            out.push_str(line);
            for (i, b) in line.bytes().enumerate() {
                if b == b',' {
                    // `line.len()` fits in u32 (checked above), so `i` does too.
                    ends.push(i as u32);
                }
            }
            if !line.ends_with(',') {
                ends.push(line.len() as u32);
                out.push(',');
            }
            self.skip_line(line.len());
            return Ok(());
        }
        self.read_quoted_record(out, ends)
    }

    /// The general path: cell by cell, honouring quotes (which may hide commas and LFs).
    fn read_quoted_record(
        &mut self,
        out: &mut String,
        ends: &mut Vec<u32>,
    ) -> Result<(), ParseError> {
        let start_line = self.line;
        let bytes = self.text.as_bytes();
        let overflow = || ParseError::new(start_line, "row too large");
        loop {
            // At the start of a cell.
            match bytes.get(self.pos) {
                None => break,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    break;
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.read_quoted(out, start_line)?;
                }
                Some(_) => {}
            }
            // Unquoted text (or junk after a closing quote, kept literally), up to `,` or LF.
            let from = self.pos;
            while let Some(&b) = bytes.get(self.pos) {
                if b == b',' || b == b'\n' {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(from..self.pos).unwrap_or(""));
            ends.push(u32::try_from(out.len()).map_err(|_| overflow())?);
            out.push(',');
            match bytes.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    // A comma followed by LF or end of text ends the record: no new cell.
                    match bytes.get(self.pos) {
                        None => break,
                        Some(b'\n') => {
                            self.pos += 1;
                            self.line += 1;
                            break;
                        }
                        Some(_) => {}
                    }
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    break;
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Reads a quoted cell body after its opening quote, up to and including the closing one.
    fn read_quoted(&mut self, out: &mut String, start_line: usize) -> Result<(), ParseError> {
        let bytes = self.text.as_bytes();
        let mut from = self.pos;
        loop {
            match bytes.get(self.pos) {
                None => {
                    return Err(ParseError::new(start_line, "unterminated quoted cell"));
                }
                Some(b'"') => {
                    out.push_str(self.text.get(from..self.pos).unwrap_or(""));
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'"') {
                        // A doubled quote stands for one quote character.
                        out.push('"');
                        self.pos += 1;
                        from = self.pos;
                    } else {
                        return Ok(());
                    }
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                }
                Some(_) => self.pos += 1,
            }
        }
    }
}

/// Whether a physical line carries no record (blank, or a `#` comment/extra header).
fn is_skippable(line: &str) -> bool {
    match line.as_bytes().first() {
        None | Some(b'#') => true,
        // Only a line starting with whitespace can be blank: avoid scanning every row.
        Some(b) if b.is_ascii_whitespace() => line.trim().is_empty(),
        Some(_) => false,
    }
}

/// Parses `show stat` CSV output.
///
/// The first non-blank line must be the `# `-prefixed header. Blank lines and further lines
/// starting with `#` are skipped. Rows shorter or longer than the header are accepted: missing
/// cells read as absent, extra cells are reachable through [`StatRow::cell`].
pub fn parse(text: &str) -> Result<StatReport, ParseError> {
    let mut rd = CsvReader::new(text);
    let first = loop {
        if rd.at_end() {
            return Err(ParseError::new(
                rd.line,
                "empty reply, expected the `# ` CSV header",
            ));
        }
        let line = rd.peek_line();
        if !line.trim().is_empty() {
            break line;
        }
        rd.skip_line(line.len());
    };
    let prefix = if first.starts_with("# ") {
        2
    } else if first.starts_with('#') {
        1
    } else {
        return Err(ParseError::new(
            rd.line,
            "expected the CSV header starting with `# `",
        ));
    };
    rd.skip_bytes(prefix);
    let mut htext = String::new();
    let mut hends = Vec::new();
    let hline = rd.peek_line();
    rd.read_record(hline, &mut htext, &mut hends)?;
    let names: Vec<String> = (0..hends.len())
        .map(|i| cell_at(&htext, &hends, i).unwrap_or("").to_owned())
        .collect();
    let mut index = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        // First occurrence wins should a name ever repeat.
        index.entry(n.clone()).or_insert(i);
    }
    let known = KnownColumns::resolve(&index);
    let header = Arc::new(Header {
        names: names.clone(),
        index,
        known,
    });

    let mut rows = Vec::new();
    let width = names.len();
    while !rd.at_end() {
        let line = rd.peek_line();
        if is_skippable(line) {
            rd.skip_line(line.len());
            continue;
        }
        // One spare byte for the separator added after a last cell lacking its comma.
        let mut text = String::with_capacity(line.len() + 1);
        let mut ends = Vec::with_capacity(width);
        rd.read_record(line, &mut text, &mut ends)?;
        rows.push(StatRow::from_cells(Cells {
            header: Arc::clone(&header),
            text,
            ends,
        }));
    }
    Ok(StatReport {
        columns: names,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture: header plus a frontend, two servers and a backend.
    const STAT_26: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_main,FRONTEND,,,0,1,9971,3,246,219,0,0,0,,,,,OPEN,,,,,,,,,1,4,0,,,,0,0,0,3,,,,0,3,0,0,0,0,,0,3,3,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,3,3,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,3,237,198,0,0,
be_app,app2,0,0,0,1,,3,246,219,,0,,0,0,0,0,UP,20,1,0,0,0,4,0,,1,6,2,,3,,2,0,,3,L7OK,200,0,0,3,0,0,0,0,,,,3,0,0,,,,,2,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,3,0,,,2,,0,0,0,0,0,2,0,0,1,20,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app4,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,3,3,,1,6,4,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,1,0,,,,127.0.0.1:1,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,BACKEND,0,0,0,1,998,3,246,219,0,0,,0,0,0,0,UP,21,2,1,,0,4,0,,1,6,0,,3,,1,0,,3,,,,0,3,0,0,0,0,,,,3,0,0,0,0,0,0,2,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,3,0,0,0,,,0,0,0,0,0,,,,,21,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,20,20,1303,471,0,0,
";

    #[test]
    fn parses_26_capture() {
        let r = parse(STAT_26).unwrap();
        assert_eq!(r.columns.len(), 128);
        assert_eq!(r.columns.first().map(String::as_str), Some("pxname"));
        assert_eq!(
            r.columns.last().map(String::as_str),
            Some("h1_spliced_bytes_out")
        );
        assert_eq!(r.rows.len(), 4);
        for row in &r.rows {
            assert_eq!(row.cell_count(), 128, "{}/{}", row.proxy, row.name);
        }
        let fe = r.find("fe_main", "FRONTEND").unwrap();
        assert_eq!(fe.kind, StatKind::Frontend);
        assert_eq!(fe.status.as_deref(), Some("OPEN"));
        assert_eq!(fe.slim, Some(9971));
        assert_eq!(fe.stot, Some(3));
        assert_eq!(fe.weight, None);
        assert_eq!(fe.mode.as_deref(), Some("http"));
        assert_eq!(fe.get("h1_bytes_in"), Some("237"));
        assert_eq!(fe.get("-"), Some("-"));

        let s = r.find("be_app", "app2").unwrap();
        assert_eq!(s.kind, StatKind::Server);
        assert_eq!(s.weight, Some(20));
        assert_eq!(s.uweight, Some(20));
        assert_eq!(s.check_status.as_deref(), Some("L7OK"));
        assert_eq!(s.check_code, Some(200));
        assert_eq!(s.check_desc.as_deref(), Some("Layer7 check passed"));
        assert_eq!(s.addr.as_deref(), Some("127.0.0.1:28082"));
        assert_eq!(s.iid, Some(6));
        assert_eq!(s.sid, Some(2));
        assert_eq!(s.lastsess, Some(2));
        assert_eq!(s.hrsp_2xx, Some(3));
        assert_eq!(s.get("agg_server_status"), Some(""));

        let down = r.find("be_app", "app4").unwrap();
        assert_eq!(down.status.as_deref(), Some("DOWN"));
        assert_eq!(down.lastsess, Some(-1));
        assert_eq!(down.last_chk.as_deref(), Some("Connection refused"));
        assert_eq!(down.chkdown, Some(1));

        let be = r.find("be_app", "BACKEND").unwrap();
        assert_eq!(be.kind, StatKind::Backend);
        assert_eq!(be.algo.as_deref(), Some("roundrobin"));
        assert_eq!(be.act, Some(2));
        assert_eq!(be.bck, Some(1));
        assert_eq!(r.of_kind(StatKind::Server).count(), 2);
    }

    #[test]
    fn parses_28_columns_and_unknown_module_columns() {
        let text = "# pxname,svname,status,type,uweight,agg_server_status,agg_server_check_status,agg_check_status,srid,sess_other,h1sess,h2sess,h3sess,req_other,h1req,h2req,h3req,proto,-,quic_new_col,\n\
be,s1,UP,2,10,,,,3,0,1,2,0,0,5,6,0,tcp,-,42,\n";
        let r = parse(text).unwrap();
        let row = r.rows.first().unwrap();
        assert_eq!(row.get("srid"), Some("3"));
        assert_eq!(row.get("h2req"), Some("6"));
        assert_eq!(row.get("proto"), Some("tcp"));
        assert_eq!(row.get("quic_new_col"), Some("42"));
        assert_eq!(row.get("no_such_col"), None);
        assert_eq!(row.uweight, Some(10));
    }

    #[test]
    fn honours_csv_quoting() {
        let text = "# pxname,svname,type,check_desc,agent_desc,\n\
be,s1,2,\"Layer7, wrong status\",\"say \"\"hi\"\"\",\n\
be,s2,2,\"multi\nline\",x,\n\
be,s3,2,,,\n";
        let r = parse(text).unwrap();
        assert_eq!(r.rows.len(), 3);
        let s1 = r.find("be", "s1").unwrap();
        assert_eq!(s1.check_desc.as_deref(), Some("Layer7, wrong status"));
        assert_eq!(s1.agent_desc.as_deref(), Some("say \"hi\""));
        assert_eq!(s1.cell_count(), 5);
        let s2 = r.find("be", "s2").unwrap();
        assert_eq!(s2.check_desc.as_deref(), Some("multi\nline"));
        assert_eq!(s2.get("agent_desc"), Some("x"));
        let s3 = r.find("be", "s3").unwrap();
        assert_eq!(s3.check_desc, None);
        assert_eq!(s3.get("check_desc"), Some(""));
    }

    #[test]
    fn rows_without_trailing_comma_and_short_rows() {
        let r = parse("# pxname,svname,scur\nfe,FRONTEND,5\nfe2\n").unwrap();
        let fe = r.rows.first().unwrap();
        assert_eq!(fe.scur, Some(5));
        assert_eq!(fe.kind, StatKind::Frontend);
        let fe2 = r.rows.get(1).unwrap();
        assert_eq!(fe2.proxy, "fe2");
        assert_eq!(fe2.name, "");
        assert_eq!(fe2.get("scur"), None);
    }

    #[test]
    fn errors_and_edge_cases() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("\n\nfoo,bar\n").unwrap_err().line, 3);
        let err = parse("# a,b,\nx,\"open\n").unwrap_err();
        assert_eq!(err.line, 2);
        // Header only (e.g. `show stat` filtered to nothing).
        let r = parse("# pxname,svname,\n").unwrap();
        assert!(r.rows.is_empty());
        // A leftover terminator line is ignored.
        assert_eq!(
            parse("# pxname,svname,\nfe,FRONTEND,\n\n")
                .unwrap()
                .rows
                .len(),
            1
        );
    }

    #[test]
    fn serializes_values_as_a_map() {
        let r = parse("# pxname,svname,type,\nfe,FRONTEND,0,\n").unwrap();
        let json = serde_json::to_value(r.rows.first().unwrap()).unwrap();
        assert_eq!(json["values"]["svname"], "FRONTEND");
        assert_eq!(json["kind"], "frontend");
    }

    /// Rough throughput check on a synthetic 10k-server report:
    /// `cargo test --release --lib stat::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let mut text = String::new();
        let header = STAT_26.lines().next().unwrap();
        text.push_str(header);
        text.push('\n');
        let row = STAT_26.lines().nth(2).unwrap();
        for i in 0..10_000 {
            text.push_str(&row.replacen("app2", &format!("srv{i}"), 1));
            text.push('\n');
        }
        let start = std::time::Instant::now();
        let n = 20;
        for _ in 0..n {
            let r = parse(&text).unwrap();
            assert_eq!(r.rows.len(), 10_000);
        }
        let secs = start.elapsed().as_secs_f64();
        let mbps = (text.len() * n) as f64 / secs / 1e6;
        println!("{} bytes, {mbps:.0} MB/s", text.len());
    }
}
