//! `show stat` (CSV).
//!
//! The header line starts with `# `, and every cell (header included) is followed by a comma.
//! Cells containing `,`, `"`, CR or LF are wrapped in `"` with inner quotes doubled, so one
//! record may in theory span lines. The column set differs between versions and builds
//! (2.6 vs 2.8+, module columns after the `-` marker), so everything is indexed by header name.
//!
//! Performance (`show stat` on 10k servers is several MB): the unquoted cells of all rows
//! live in one shared buffer, separated by NUL bytes (HAProxy's strings are C strings, so a
//! NUL cannot be part of a cell), and each row is a window on it. The common columns are
//! typed in one pass over each row, guided by a per-column role table built from the header.

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

/// Declares the typed columns once: the `Role` of a column, the header name that selects
/// it, and how a cell is stored into the [`StatRow`] field of the same name.
macro_rules! typed_columns {
    (
        unsigned: [$($u:ident = $ucol:literal),* $(,)?],
        signed: [$($i:ident = $icol:literal),* $(,)?],
        text: [$($t:ident = $tcol:literal),* $(,)?] $(,)?
    ) => {
        /// What a column is used for when typing a row.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        enum Role {
            Pxname,
            Svname,
            Type,
            $($u,)*
            $($i,)*
            $($t,)*
        }

        impl Role {
            fn of(column: &str) -> Option<Self> {
                Some(match column {
                    "pxname" => Self::Pxname,
                    "svname" => Self::Svname,
                    "type" => Self::Type,
                    $($ucol => Self::$u,)*
                    $($icol => Self::$i,)*
                    $($tcol => Self::$t,)*
                    _ => return None,
                })
            }
        }

        impl StatRow {
            /// Stores `cell` into the typed field for `role` (identity roles excepted).
            fn assign(&mut self, role: Role, cell: &str) {
                match role {
                    // Handled by the caller, which needs them together.
                    Role::Pxname | Role::Svname | Role::Type => {}
                    $(Role::$u => self.$u = parse_u64(cell),)*
                    $(Role::$i => self.$i = cell.parse::<i64>().ok(),)*
                    $(Role::$t => self.$t = (!cell.is_empty()).then(|| cell.to_owned()),)*
                }
            }
        }
    };
}

typed_columns! {
    unsigned: [
        weight = "weight", uweight = "uweight", act = "act", bck = "bck", qcur = "qcur",
        qmax = "qmax", scur = "scur", smax = "smax", slim = "slim", stot = "stot", bin = "bin",
        bout = "bout", dreq = "dreq", dresp = "dresp", ereq = "ereq", econ = "econ",
        eresp = "eresp", wretr = "wretr", wredis = "wredis", chkfail = "chkfail",
        chkdown = "chkdown", lastchg = "lastchg", downtime = "downtime", pid = "pid",
        iid = "iid", sid = "sid", lbtot = "lbtot", rate = "rate", rate_max = "rate_max",
        req_rate = "req_rate", req_tot = "req_tot", check_code = "check_code",
        check_duration = "check_duration", hrsp_1xx = "hrsp_1xx", hrsp_2xx = "hrsp_2xx",
        hrsp_3xx = "hrsp_3xx", hrsp_4xx = "hrsp_4xx", hrsp_5xx = "hrsp_5xx",
        hrsp_other = "hrsp_other", qtime = "qtime", ctime = "ctime", rtime = "rtime",
        ttime = "ttime",
    ],
    signed: [lastsess = "lastsess"],
    text: [
        status = "status", tracked = "tracked", check_status = "check_status",
        check_desc = "check_desc", last_chk = "last_chk", agent_status = "agent_status",
        agent_desc = "agent_desc", addr = "addr", cookie = "cookie", mode = "mode",
        algo = "algo",
    ],
}

/// Parses an unsigned decimal. Counters are short digit strings, for which this direct fold
/// is several times faster than `str::parse`; anything else goes through `str::parse`.
fn parse_u64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    // Up to 19 digits cannot overflow a u64.
    if !b.is_empty() && b.len() <= 19 && b.iter().all(u8::is_ascii_digit) {
        Some(
            b.iter()
                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')),
        )
    } else if b.is_empty() {
        None
    } else {
        s.parse().ok()
    }
}

/// The header shared by every row of one report.
#[derive(Debug, PartialEq)]
struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// The typed columns as `(position, role)`, in column order.
    typed: Vec<(usize, Role)>,
}

/// Every record of one report, unquoted: a row's cells are separated by NUL bytes.
#[derive(Debug)]
struct Store {
    text: String,
}

/// The cells of one row: a window on the report's shared [`Store`].
#[derive(Debug, Clone)]
struct Cells {
    header: Arc<Header>,
    store: Arc<Store>,
    /// Byte offset of the row in `store.text`.
    start: u32,
    /// Byte length of the row (its cells and the NULs between them).
    len: u32,
    /// Number of cells (at least 1 for a stored row).
    count: u32,
}

impl Cells {
    fn raw(&self) -> &str {
        let start = self.start as usize;
        self.store
            .text
            .get(start..start.saturating_add(self.len as usize))
            .unwrap_or("")
    }

    /// The cells in order.
    fn iter(&self) -> CellIter<'_> {
        CellIter {
            rest: (self.count > 0).then(|| self.raw()),
        }
    }

    fn get(&self, idx: usize) -> Option<&str> {
        self.iter().nth(idx)
    }

    fn len(&self) -> usize {
        self.count as usize
    }
}

/// Iterates over NUL-separated cells. A plain byte scan: cells are mostly a few bytes
/// long, where `str::split`'s per-match `memchr` call costs more than the scan itself.
struct CellIter<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for CellIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == 0) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }

    /// Skips `n` cells in one scan (rows are mostly runs of short or empty cells).
    fn nth(&mut self, mut n: usize) -> Option<&'a str> {
        if n > 0 {
            let rest = self.rest?;
            let mut skipped_to = None;
            for (i, b) in rest.bytes().enumerate() {
                if b == 0 {
                    n -= 1;
                    if n == 0 {
                        skipped_to = Some(i + 1);
                        break;
                    }
                }
            }
            match skipped_to {
                Some(i) => self.rest = rest.get(i..),
                None => {
                    self.rest = None;
                    return None;
                }
            }
        }
        self.next()
    }
}

impl PartialEq for Cells {
    /// Rows are equal when their columns and cell texts are, whichever report holds them.
    fn eq(&self, other: &Self) -> bool {
        self.header.names == other.header.names
            && self.count == other.count
            && self.raw() == other.raw()
    }
}

impl Serialize for Cells {
    /// Serializes as a map from column name to cell text, for the columns the row has.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self.len().min(self.header.names.len());
        let mut map = serializer.serialize_map(Some(n))?;
        for (name, cell) in self.header.names.iter().zip(self.iter()) {
            map.serialize_entry(name, cell)?;
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
        self.cells.len()
    }

    /// All `(column, value)` pairs of this row, in header order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cells
            .header
            .names
            .iter()
            .map(String::as_str)
            .zip(self.cells.iter())
    }

    /// Types the common columns of a row in one pass over its cells.
    fn from_cells(cells: Cells) -> Self {
        let mut row = Self {
            proxy: String::new(),
            name: String::new(),
            kind: StatKind::Unknown,
            status: None,
            weight: None,
            uweight: None,
            act: None,
            bck: None,
            qcur: None,
            qmax: None,
            scur: None,
            smax: None,
            slim: None,
            stot: None,
            bin: None,
            bout: None,
            dreq: None,
            dresp: None,
            ereq: None,
            econ: None,
            eresp: None,
            wretr: None,
            wredis: None,
            chkfail: None,
            chkdown: None,
            lastchg: None,
            downtime: None,
            pid: None,
            iid: None,
            sid: None,
            lbtot: None,
            tracked: None,
            rate: None,
            rate_max: None,
            req_rate: None,
            req_tot: None,
            check_status: None,
            check_code: None,
            check_duration: None,
            check_desc: None,
            last_chk: None,
            agent_status: None,
            agent_desc: None,
            hrsp_1xx: None,
            hrsp_2xx: None,
            hrsp_3xx: None,
            hrsp_4xx: None,
            hrsp_5xx: None,
            hrsp_other: None,
            lastsess: None,
            qtime: None,
            ctime: None,
            rtime: None,
            ttime: None,
            addr: None,
            cookie: None,
            mode: None,
            algo: None,
            cells: cells.clone(),
        };
        let mut kind = None;
        // Walk the cells once, stopping only at the typed columns (in column order).
        let mut it = cells.iter();
        let mut pos = 0;
        for &(idx, role) in &cells.header.typed {
            let Some(cell) = idx.checked_sub(pos).and_then(|skip| it.nth(skip)) else {
                break;
            };
            pos = idx + 1;
            match role {
                Role::Pxname => row.proxy = cell.to_owned(),
                Role::Svname => row.name = cell.to_owned(),
                Role::Type => kind = Some(cell),
                role => row.assign(role, cell),
            }
        }
        row.kind = StatKind::from_cells(kind, &row.name);
        row
    }
}

/// Reads the CSV records of the whole reply (a quoted cell may span lines) into a byte
/// buffer, cells separated by NUL.
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

    /// Reads the record starting with the physical line `line` (from `peek_line`), appends
    /// its cells to `out` separated by NUL, and returns the number of cells.
    ///
    /// A comma right before the end of the record does not open a new cell: HAProxy ends
    /// every cell with a comma. A record without that final comma still counts its last cell.
    fn read_record(&mut self, line: &'a str, out: &mut Vec<u8>) -> Result<usize, ParseError> {
        let bytes = line.as_bytes();
        // `<[u8]>::contains` is a vectorized byte search, unlike a `char` pattern.
        if !bytes.contains(&b'"') && !bytes.contains(&0) {
            // Fast path, the common case: the line is the record; translate its commas.
            let body = line.strip_suffix(',').unwrap_or(line);
            out.extend(body.bytes().map(|b| if b == b',' { 0 } else { b }));
            self.skip_line(line.len());
            return Ok(body.bytes().filter(|&b| b == b',').count() + 1);
        }
        self.read_general_record(out)
    }

    /// The general path: cell by cell, honouring quotes (which may hide commas and LFs).
    fn read_general_record(&mut self, out: &mut Vec<u8>) -> Result<usize, ParseError> {
        let start_line = self.line;
        let bytes = self.text.as_bytes();
        let mut count = 0;
        loop {
            if count > 0 {
                out.push(0);
            }
            count += 1;
            let mut quoted = bytes.get(self.pos) == Some(&b'"');
            if quoted {
                self.pos += 1;
            }
            // Copy the cell up to an unquoted `,` or LF. A quote inside an unquoted cell,
            // or text after a closing quote, is kept literally.
            loop {
                let Some(&b) = bytes.get(self.pos) else {
                    if quoted {
                        return Err(ParseError::new(start_line, "unterminated quoted cell"));
                    }
                    return Ok(count);
                };
                self.pos += 1;
                match b {
                    b'"' if quoted => {
                        if bytes.get(self.pos) == Some(&b'"') {
                            // A doubled quote stands for one quote character.
                            out.push(b'"');
                            self.pos += 1;
                        } else {
                            quoted = false;
                        }
                    }
                    b'\n' if !quoted => {
                        self.line += 1;
                        return Ok(count);
                    }
                    b',' if !quoted => {
                        // A comma followed by LF or end of text ends the record: no new cell.
                        match bytes.get(self.pos) {
                            None => return Ok(count),
                            Some(b'\n') => {
                                self.pos += 1;
                                self.line += 1;
                                return Ok(count);
                            }
                            Some(_) => break,
                        }
                    }
                    b'\n' => {
                        self.line += 1;
                        out.push(b);
                    }
                    // A NUL would break the cell boundaries: HAProxy never prints one.
                    0 => out.extend_from_slice("\u{fffd}".as_bytes()),
                    _ => out.push(b),
                }
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
/// cells read as absent, extra cells are reachable through [`StatRow::cell`]. A quoted cell
/// left open at the end of the reply is an error.
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
    let header_line = rd.line;
    let mut hbuf = Vec::new();
    let hline = rd.peek_line();
    rd.read_record(hline, &mut hbuf)?;
    let htext = String::from_utf8(hbuf)
        .map_err(|_| ParseError::new(header_line, "header is not valid UTF-8"))?;
    let names: Vec<String> = htext.split('\0').map(str::to_owned).collect();
    let mut index = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        // First occurrence wins should a name ever repeat.
        index.entry(n.clone()).or_insert(i);
    }
    // Only the first column of a given name is typed, like `index` for lookups.
    let typed = names
        .iter()
        .enumerate()
        .filter(|(i, n)| index.get(n.as_str()) == Some(i))
        .filter_map(|(i, n)| Role::of(n).map(|r| (i, r)))
        .collect();
    let header = Arc::new(Header {
        names: names.clone(),
        index,
        typed,
    });

    // Pass 1: unquote every record into one shared buffer (one allocation for all rows),
    // remembering where each record starts.
    let rest = text.get(rd.pos..).unwrap_or("");
    let mut buf: Vec<u8> = Vec::with_capacity(rest.len());
    let mut records: Vec<(usize, usize, usize)> = Vec::new();
    while !rd.at_end() {
        let line = rd.peek_line();
        if is_skippable(line) {
            rd.skip_line(line.len());
            continue;
        }
        let start = buf.len();
        let count = rd.read_record(line, &mut buf)?;
        records.push((start, buf.len() - start, count));
    }
    if u32::try_from(buf.len()).is_err() || u32::try_from(records.len()).is_err() {
        return Err(ParseError::new(1, "reply too large"));
    }
    // Only ASCII commas were replaced (by NUL), so the buffer is still UTF-8.
    let store = Arc::new(Store {
        text: String::from_utf8(buf).map_err(|_| ParseError::new(1, "reply is not UTF-8"))?,
    });

    // Pass 2: type the common columns of each row.
    let rows = records
        .into_iter()
        .map(|(start, len, count)| {
            StatRow::from_cells(Cells {
                header: Arc::clone(&header),
                store: Arc::clone(&store),
                // Bounded by `buf.len()`, checked above to fit in u32.
                start: start as u32,
                len: len as u32,
                count: u32::try_from(count).unwrap_or(u32::MAX),
            })
        })
        .collect();
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
    fn cell_iteration() {
        let it = || CellIter {
            rest: Some("a\0\0bc\0d"),
        };
        assert_eq!(it().collect::<Vec<_>>(), ["a", "", "bc", "d"]);
        for n in 0..6 {
            assert_eq!(it().nth(n), it().collect::<Vec<_>>().get(n).copied(), "{n}");
        }
        let mut i = it();
        assert_eq!(i.nth(1), Some(""));
        assert_eq!(i.nth(1), Some("d"));
        assert_eq!(i.next(), None);
        assert_eq!(CellIter { rest: None }.next(), None);
    }

    #[test]
    fn number_parsing() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(
            parse_u64("1234567890123456789"),
            Some(1_234_567_890_123_456_789)
        );
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        assert_eq!(parse_u64(""), None);
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_u64("+1"), Some(1));
        assert_eq!(parse_u64("1.5"), None);
    }

    #[test]
    fn serializes_values_as_a_map() {
        let r = parse("# pxname,svname,type,\nfe,FRONTEND,0,\n").unwrap();
        let json = serde_json::to_value(r.rows.first().unwrap()).unwrap();
        assert_eq!(json["values"]["svname"], "FRONTEND");
        assert_eq!(json["kind"], "frontend");
    }
}
