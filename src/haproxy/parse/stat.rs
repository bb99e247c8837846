//! `show stat` (CSV).
//!
//! The header line starts with `# `, and every cell (header included) is followed by a comma.
//! Cells containing `,`, `"`, CR or LF are wrapped in `"` with inner quotes doubled, so one
//! record may in theory span lines. The column set differs between versions and builds
//! (2.6 vs 2.8+, module columns after the `-` marker), so everything is indexed by header name.
//!
//! Performance (`show stat` on 10k servers is 2 MB and more; docs/benchmarks.md): the reply text
//! itself is the store of every cell. A record without quotes (all of them, in practice) is a
//! window on that text, its cells separated by the commas HAProxy wrote; only a record with
//! quotes is unquoted, into a side area appended to the text, its cells separated by NUL bytes
//! (HAProxy's strings are C strings, so a NUL cannot be part of a cell). Finding the records is
//! a few fast scans per line. Typing a row is one branch-free pass that finds where its cells
//! start, then each typed field read straight from its cell (the positions worked out once from
//! the header). [`StatTable`] stops after finding the records and types a row only when asked,
//! for callers that use a few rows of a large reply; [`parse`] types every row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::ser::SerializeMap;

use super::{ParseError, short_decimal};

/// The kind of object a `show stat` row describes, from the `type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

/// What a column is used for when typing a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Not typed (reachable through [`StatRow::get`] only).
    Skip,
    Pxname,
    Svname,
    Type,
    /// An unsigned column: its index in [`Plan::unsigned`].
    Unsigned(u8),
    /// A signed column: its index in [`Plan::signed`].
    Signed(u8),
    /// A text column: its index in [`Plan::text`].
    Text(u8),
}

/// Declares the typed columns once: the header name that selects each, its slot in [`Plan`]
/// (where the column is), and the [`StatRow`] field of the same name it is read into.
macro_rules! typed_columns {
    (
        unsigned: [$($u:ident = $ucol:literal),* $(,)?],
        signed: [$($i:ident = $icol:literal),* $(,)?],
        text: [$($t:ident = $tcol:literal),* $(,)?] $(,)?
    ) => {
        /// Slot numbers of the unsigned columns.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum U { $($u,)* }
        /// Slot numbers of the signed columns.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum I { $($i,)* }
        /// Slot numbers of the text columns.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum T { $($t,)* }
        const N_UNSIGNED: usize = [$(U::$u),*].len();
        const N_SIGNED: usize = [$(I::$i),*].len();
        const N_TEXT: usize = [$(T::$t),*].len();

        impl Slot {
            /// The slot of a column, by header name.
            fn of(column: &str) -> Self {
                match column {
                    "pxname" => Self::Pxname,
                    "svname" => Self::Svname,
                    "type" => Self::Type,
                    $($ucol => Self::Unsigned(U::$u as u8),)*
                    $($icol => Self::Signed(I::$i as u8),)*
                    $($tcol => Self::Text(T::$t as u8),)*
                    _ => Self::Skip,
                }
            }
        }

        impl StatRow {
            /// Builds the row, every typed field read straight from its cell (`cell` maps a
            /// column position to the cell's text; `None` when the row has no such cell).
            #[inline]
            fn assemble<'a>(
                plan: &Plan,
                cell: impl Fn(Option<usize>) -> Option<&'a str>,
                bytes: impl Fn(Option<usize>) -> Option<&'a [u8]>,
                cells: &Cells,
            ) -> Self {
                let svname = cell(plan.svname).unwrap_or("");
                Self {
                    proxy: cell(plan.pxname).unwrap_or("").to_owned(),
                    name: svname.to_owned(),
                    kind: StatKind::from_cells(cell(plan.kind), svname),
                    $($u: bytes(plan.unsigned[U::$u as usize]).and_then(parse_u64),)*
                    $($i: cell(plan.signed[I::$i as usize]).and_then(|v| v.parse().ok()),)*
                    $($t: cell(plan.text[T::$t as usize])
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned),)*
                    cells: cells.clone(),
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

/// Parses an unsigned decimal: [`short_decimal`] for the usual counters, `str::parse` for
/// anything else.
#[inline]
fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return None;
    }
    if let Some(n) = short_decimal(b) {
        return Some(n);
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The header shared by every row of one report.
#[derive(Debug, PartialEq)]
struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
    plan: Plan,
}

/// Where each typed column is (its position in the header), worked out once per report. Only
/// the first column of a given name is typed, like `index` for lookups.
#[derive(Debug, PartialEq)]
struct Plan {
    pxname: Option<usize>,
    svname: Option<usize>,
    kind: Option<usize>,
    unsigned: [Option<usize>; N_UNSIGNED],
    signed: [Option<usize>; N_SIGNED],
    text: [Option<usize>; N_TEXT],
}

impl Plan {
    fn new(names: &[String], index: &HashMap<String, usize>) -> Self {
        let mut plan = Plan {
            pxname: None,
            svname: None,
            kind: None,
            unsigned: [None; N_UNSIGNED],
            signed: [None; N_SIGNED],
            text: [None; N_TEXT],
        };
        for (i, name) in names.iter().enumerate() {
            if index.get(name) != Some(&i) {
                continue;
            }
            let at = |slots: &mut [Option<usize>], k: u8| {
                if let Some(slot) = slots.get_mut(usize::from(k)) {
                    *slot = Some(i);
                }
            };
            match Slot::of(name) {
                Slot::Skip => {}
                Slot::Pxname => plan.pxname = Some(i),
                Slot::Svname => plan.svname = Some(i),
                Slot::Type => plan.kind = Some(i),
                Slot::Unsigned(k) => at(&mut plan.unsigned, k),
                Slot::Signed(k) => at(&mut plan.signed, k),
                Slot::Text(k) => at(&mut plan.text, k),
            }
        }
        plan
    }
}

/// Where each cell of a row starts, plus an end marker: cell `i` is the text from `starts[i]`
/// up to `starts[i + 1] - 1` (just before the separator). One branch-free pass over the row:
/// cells are a few bytes long and their lengths unpredictable.
fn split_row(raw: &[u8], sep: u8, starts: &mut Vec<u32>) {
    starts.clear();
    // Room for the worst case: every byte a separator, plus the first start and the end marker.
    starts.resize(raw.len() + 2, 0);
    let buf = starts.as_mut_slice();
    let mut n = 1;
    for (i, &b) in (1u32..).zip(raw) {
        // Written at every byte, kept (by moving on) only after a separator.
        if let Some(slot) = buf.get_mut(n) {
            *slot = i;
        }
        n += usize::from(b == sep);
    }
    if let Some(slot) = buf.get_mut(n) {
        *slot = u32::try_from(raw.len() + 1).unwrap_or(u32::MAX);
    }
    starts.truncate(n + 1);
}

/// The text every row of one report is a window on: the reply, then the unquoted records.
#[derive(Debug)]
struct Store {
    text: String,
}

/// Where one record's cells are in the [`Store`].
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Byte offset of the record.
    start: u32,
    /// Byte length of the record (its cells and the separators between them).
    len: u32,
    /// Number of cells; 0 for a plain record, whose cells are counted when asked.
    count: u32,
    /// What separates the cells: `,` in a plain record, NUL in an unquoted one.
    sep: u8,
}

/// The cells of one row: a window on the report's shared [`Store`].
#[derive(Debug, Clone)]
struct Cells {
    header: Arc<Header>,
    store: Arc<Store>,
    span: Span,
}

impl Cells {
    fn raw(&self) -> &str {
        let start = self.span.start as usize;
        self.store
            .text
            .get(start..start.saturating_add(self.span.len as usize))
            .unwrap_or("")
    }

    /// The cells in order (a stored record has at least one).
    fn iter(&self) -> CellIter<'_> {
        CellIter {
            rest: Some(self.raw()),
            sep: self.span.sep,
        }
    }

    fn get(&self, idx: usize) -> Option<&str> {
        self.iter().nth(idx)
    }

    fn len(&self) -> usize {
        match self.span.count {
            0 => {
                let sep = self.span.sep;
                self.raw().bytes().filter(|&b| b == sep).count() + 1
            }
            n => n as usize,
        }
    }
}

/// Iterates over separated cells. A plain byte scan: cells are mostly a few bytes long, where
/// `str::split`'s per-match `memchr` call costs more than the scan itself.
struct CellIter<'a> {
    rest: Option<&'a str>,
    /// An ASCII byte, so every split is on a character boundary.
    sep: u8,
}

impl<'a> Iterator for CellIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let sep = self.sep;
        match rest.bytes().position(|b| b == sep) {
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
            let sep = self.sep;
            let mut skipped_to = None;
            for (i, b) in rest.bytes().enumerate() {
                if b == sep {
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
    /// Rows are equal when their columns and cell texts are, whichever report holds them and
    /// however HAProxy quoted them.
    fn eq(&self, other: &Self) -> bool {
        self.header.names == other.header.names && self.iter().eq(other.iter())
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
    /// The backend's load-balancing algorithm. HAProxy's `backend_lb_algo_str()` has no name for
    /// `balance random` (every version up to 3.4 prints `unknown`), and random is the default
    /// from 3.3 on, so on an HTTP or TCP backend `unknown` is read as `random`; a `mode log`
    /// backend's log algorithms stay `unknown`.
    pub fn algorithm(&self) -> Option<String> {
        match (self.algo.as_deref(), self.mode.as_deref()) {
            (Some("unknown"), Some("http" | "tcp")) => Some("random".to_owned()),
            (algo, _) => algo.filter(|a| !a.is_empty()).map(str::to_owned),
        }
    }

    /// HAProxy's verdict on a server row, read from its `status` column (`None` without one).
    pub fn verdict(&self) -> Option<super::verdict::ServerVerdict> {
        self.status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(super::verdict::ServerVerdict::from_status)
    }

    /// The `addr` column split into address and port: `127.0.0.1:8082` -> (`127.0.0.1`,
    /// 8082), `[::1]:80` -> (`::1`, 80); a value without a port is all address.
    pub fn address(&self) -> (Option<String>, Option<u16>) {
        let Some(addr) = self.addr.as_deref().filter(|a| !a.is_empty()) else {
            return (None, None);
        };
        match addr.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                (Some(host.to_owned()), port.parse().ok())
            }
            _ => (Some(addr.to_owned()), None),
        }
    }

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

    /// Types the common columns of a row: one pass to find its cells, then each typed column
    /// read straight from its place. `starts` is scratch space, reused across rows.
    fn from_cells(cells: Cells, starts: &mut Vec<u32>) -> Self {
        let raw = cells.raw();
        split_row(raw.as_bytes(), cells.span.sep, starts);
        let starts = starts.as_slice();
        let span = |col: Option<usize>| -> Option<(usize, usize)> {
            let col = col?;
            let start = *starts.get(col)? as usize;
            let end = (*starts.get(col + 1)? as usize).checked_sub(1)?;
            Some((start, end))
        };
        // Numbers are read as bytes: no character-boundary checks.
        let bytes = |col| span(col).and_then(|(s, e)| raw.as_bytes().get(s..e));
        let cell = |col| span(col).and_then(|(s, e)| raw.get(s..e));
        Self::assemble(&cells.header.plan, cell, bytes, &cells)
    }
}

/// A `show stat` report whose rows are typed on demand.
///
/// [`StatTable::parse`] takes the reply text without copying it, finds where every record is
/// (checking the whole reply as [`parse`] does, with the same errors), and stops there;
/// [`StatTable::row`] types one row when asked. For a large reply of which only a few rows are
/// used (a limited listing) this skips most of the work of [`parse`], which is
/// `StatTable::parse(text.to_owned())` followed by [`StatTable::into_report`].
#[derive(Debug, Clone)]
pub struct StatTable {
    header: Arc<Header>,
    store: Arc<Store>,
    spans: Vec<Span>,
}

impl StatTable {
    /// Parses `show stat` CSV output (see [`parse`] for the format rules and errors).
    pub fn parse(text: String) -> Result<Self, ParseError> {
        let too_large = || ParseError::new(1, "reply too large");
        // Offsets are u32, a row's end marker is one past its last byte, and counting positions
        // in a row goes one further.
        let fits = |len: usize| len < (u32::MAX - 2) as usize;
        if !fits(text.len()) {
            return Err(too_large());
        }
        let base = text.len() as u32;
        let (header, mut spans, side) = scan(&text)?;
        let mut text = text;
        if !side.is_empty() {
            // Only ASCII commas were replaced (by NUL), so the side area is still UTF-8.
            let side =
                String::from_utf8(side).map_err(|_| ParseError::new(1, "reply is not UTF-8"))?;
            if !fits(text.len() + side.len()) {
                return Err(too_large());
            }
            text.push_str(&side);
            for span in spans.iter_mut().filter(|s| s.sep == 0) {
                span.start += base;
            }
        }
        Ok(Self {
            header,
            store: Arc::new(Store { text }),
            spans,
        })
    }

    /// The column names from the header, in order (including `-` and module columns).
    pub fn columns(&self) -> &[String] {
        &self.header.names
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there is no row (e.g. `show stat` filtered to nothing).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Row `idx` (0-based, in HAProxy's order), typed now.
    pub fn row(&self, idx: usize) -> Option<StatRow> {
        self.spans.get(idx).map(|s| self.typed(*s, &mut Vec::new()))
    }

    /// Every row in order, each typed when the iterator reaches it.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = StatRow> + '_ {
        let mut starts = Vec::new();
        self.spans.iter().map(move |s| self.typed(*s, &mut starts))
    }

    /// Types every row: the same report as [`parse`].
    pub fn into_report(self) -> StatReport {
        StatReport {
            columns: self.header.names.clone(),
            rows: self.rows().collect(),
        }
    }

    fn typed(&self, span: Span, starts: &mut Vec<u32>) -> StatRow {
        let cells = Cells {
            header: Arc::clone(&self.header),
            store: Arc::clone(&self.store),
            span,
        };
        StatRow::from_cells(cells, starts)
    }
}

/// Reads the CSV records of the whole reply (a quoted cell may span lines).
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
    StatTable::parse(text.to_owned()).map(StatTable::into_report)
}

/// What [`scan`] finds: the header, every record's span, and the side area of unquoted records.
type Scanned = (Arc<Header>, Vec<Span>, Vec<u8>);

/// The header whose text (names separated by NUL) is `htext`, built once: a target answers with
/// the same header every time, and building one (about a hundred names, their index, the plan)
/// was a fifth of the work on a small site's reply. A few versions' headers are remembered.
fn header_for(htext: String) -> Arc<Header> {
    static SEEN: Mutex<Vec<(String, Arc<Header>)>> = Mutex::new(Vec::new());
    const REMEMBERED: usize = 16;
    if let Some((_, header)) = SEEN
        .lock()
        .ok()
        .and_then(|seen| seen.iter().find(|(t, _)| *t == htext).cloned())
    {
        return header;
    }
    let names: Vec<String> = htext.split('\0').map(str::to_owned).collect();
    let mut index = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        // First occurrence wins should a name ever repeat.
        index.entry(n.clone()).or_insert(i);
    }
    let plan = Plan::new(&names, &index);
    let header = Arc::new(Header { names, index, plan });
    if let Ok(mut seen) = SEEN.lock() {
        if seen.len() >= REMEMBERED {
            seen.remove(0);
        }
        seen.push((htext, Arc::clone(&header)));
    }
    header
}

/// Reads the header and finds every record: plain ones as windows on `text`, the others
/// unquoted into the returned side area (their spans relative to it, `sep` NUL).
fn scan(text: &str) -> Result<Scanned, ParseError> {
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
    let header = header_for(htext);

    let too_large = || ParseError::new(1, "reply too large");
    let body = text.get(rd.pos..).unwrap_or("").as_bytes();
    // A quote or a NUL anywhere sends the lines holding one through the unquoting path;
    // without any (the usual reply), no line needs looking at twice.
    let special = body.contains(&b'"') || body.contains(&0);
    // Every record takes at least one line.
    let mut spans = Vec::with_capacity(body.iter().filter(|&&b| b == b'\n').count() + 1);
    let mut side: Vec<u8> = Vec::new();
    while !rd.at_end() {
        let line = rd.peek_line();
        if is_skippable(line) {
            rd.skip_line(line.len());
            continue;
        }
        let bytes = line.as_bytes();
        if !special || !(bytes.contains(&b'"') || bytes.contains(&0)) {
            // A plain record: the line itself, without the comma that ends its last cell.
            let len = bytes.len() - usize::from(bytes.last() == Some(&b','));
            spans.push(Span {
                start: u32::try_from(rd.pos).map_err(|_| too_large())?,
                len: u32::try_from(len).map_err(|_| too_large())?,
                count: 0,
                sep: b',',
            });
            rd.skip_line(line.len());
        } else {
            let start = side.len();
            let count = rd.read_general_record(&mut side)?;
            spans.push(Span {
                start: u32::try_from(start).map_err(|_| too_large())?,
                len: u32::try_from(side.len() - start).map_err(|_| too_large())?,
                count: u32::try_from(count).unwrap_or(u32::MAX),
                sep: 0,
            });
        }
    }
    Ok((header, spans, side))
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
        assert_eq!(be.algorithm().as_deref(), Some("roundrobin"));
        let mut random = be.clone();
        random.algo = Some("unknown".to_owned());
        assert_eq!(random.algorithm().as_deref(), Some("random"));
        random.mode = Some("log".to_owned());
        assert_eq!(random.algorithm().as_deref(), Some("unknown"));
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
            sep: 0,
        };
        assert_eq!(it().collect::<Vec<_>>(), ["a", "", "bc", "d"]);
        for n in 0..6 {
            assert_eq!(it().nth(n), it().collect::<Vec<_>>().get(n).copied(), "{n}");
        }
        let mut i = it();
        assert_eq!(i.nth(1), Some(""));
        assert_eq!(i.nth(1), Some("d"));
        assert_eq!(i.next(), None);
        assert_eq!(CellIter { rest: None, sep: 0 }.next(), None);
        let plain = CellIter {
            rest: Some("a,,bc,d"),
            sep: b',',
        };
        assert_eq!(plain.collect::<Vec<_>>(), ["a", "", "bc", "d"]);
    }

    #[test]
    fn row_splitting() {
        let mut starts = Vec::new();
        for (raw, cells) in [
            ("", vec![""]),
            ("a", vec!["a"]),
            ("a,,bc,d", vec!["a", "", "bc", "d"]),
            (",", vec!["", ""]),
            ("x,", vec!["x", ""]),
        ] {
            split_row(raw.as_bytes(), b',', &mut starts);
            let got: Vec<&str> = starts
                .windows(2)
                .map(|w| &raw[w[0] as usize..w[1] as usize - 1])
                .collect();
            assert_eq!(got, cells, "{raw:?}");
        }
    }

    #[test]
    fn table_agrees_with_parse() {
        let quoted = STAT_26.replacen("Layer7 check passed", "\"Layer7 check passed\"", 1);
        for text in [STAT_26, quoted.as_str()] {
            let table = StatTable::parse(text.to_owned()).unwrap();
            let report = parse(text).unwrap();
            assert_eq!(table.len(), report.rows.len());
            assert_eq!(table.columns(), report.columns.as_slice());
            for (i, row) in report.rows.iter().enumerate() {
                assert_eq!(table.row(i).as_ref(), Some(row));
            }
            assert_eq!(table.row(report.rows.len()), None);
            assert_eq!(table.into_report(), report);
        }
        // A quoted row equals the same row unquoted, and serializes the same.
        let plain = parse(STAT_26).unwrap();
        let q = parse(&quoted).unwrap();
        assert_eq!(plain, q);
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::to_value(&q).unwrap()
        );
        assert_eq!(q.rows[1].cell_count(), 128);
    }

    #[test]
    fn number_parsing() {
        let p = |s: &str| parse_u64(s.as_bytes());
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("1234567890123456789"), Some(1_234_567_890_123_456_789));
        assert_eq!(p("18446744073709551615"), Some(u64::MAX));
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("-1"), None);
        assert_eq!(p("+1"), Some(1));
        assert_eq!(p("1.5"), None);
        assert_eq!(p("٣"), None);
    }

    #[test]
    fn serializes_values_as_a_map() {
        let r = parse("# pxname,svname,type,\nfe,FRONTEND,0,\n").unwrap();
        let json = serde_json::to_value(r.rows.first().unwrap()).unwrap();
        assert_eq!(json["values"]["svname"], "FRONTEND");
        assert_eq!(json["kind"], "frontend");
    }
}
