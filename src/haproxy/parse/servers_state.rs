//! `show servers state` (format version 1, unchanged from 2.6 to 3.4).
//!
//! Line 1 is the format version, line 2 is `# ` followed by the space-separated column names,
//! then one space-separated line per server with `-` for empty strings. Columns are looked up
//! by header name so that added columns do not break parsing.

use serde::Serialize;

use super::{ParseError, dash_none, numbered_lines};

/// `srv_op_state`: the operational state of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    /// 0: down.
    Stopped,
    /// 1: up, warming up (slowstart).
    Starting,
    /// 2: fully up.
    Running,
    /// 3: up but soft-stopping (e.g. health check returned 404).
    Stopping,
    /// Any other value.
    Unknown(u32),
}

impl OpState {
    /// Decodes HAProxy's numeric `SRV_ST_*` value.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Stopped,
            1 => Self::Starting,
            2 => Self::Running,
            3 => Self::Stopping,
            n => Self::Unknown(n),
        }
    }
}

/// `srv_admin_state`: the administrative state bitmask (`SRV_ADMF_*`), decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AdminState {
    /// The raw bitmask.
    pub raw: u32,
    /// 0x01 FMAINT: forced into maintenance (CLI, or `disabled` in the configuration).
    pub maint_forced: bool,
    /// 0x02 IMAINT: maintenance inherited from a tracked server.
    pub maint_inherited: bool,
    /// 0x04 CMAINT: maintenance because of `disabled` in the configuration.
    pub maint_config: bool,
    /// 0x08 FDRAIN: forced into drain.
    pub drain_forced: bool,
    /// 0x10 IDRAIN: drain inherited from a tracked server.
    pub drain_inherited: bool,
    /// 0x20 RMAINT: maintenance because address resolution failed.
    pub maint_resolution: bool,
    /// 0x40 HMAINT: the FQDN was set from the CLI (not a maintenance state by itself).
    pub maint_fqdn: bool,
}

impl AdminState {
    /// Decodes the bitmask.
    pub fn from_bits(raw: u32) -> Self {
        Self {
            raw,
            maint_forced: raw & 0x01 != 0,
            maint_inherited: raw & 0x02 != 0,
            maint_config: raw & 0x04 != 0,
            drain_forced: raw & 0x08 != 0,
            drain_inherited: raw & 0x10 != 0,
            maint_resolution: raw & 0x20 != 0,
            maint_fqdn: raw & 0x40 != 0,
        }
    }

    /// Whether the server is in maintenance: HAProxy's `SRV_ADMF_MAINT` mask (FMAINT, IMAINT,
    /// RMAINT). CMAINT alone is not maintenance: it stays set after a server `disabled` in the
    /// configuration is enabled.
    pub fn is_maint(&self) -> bool {
        self.raw & super::verdict::ADMF_MAINT != 0
    }

    /// Whether a drain flag is set (HAProxy's `SRV_ADMF_DRAIN` mask). A stopped server with a
    /// drain flag is still DOWN: see [`super::verdict::ServerVerdict::derive`].
    pub fn is_drain(&self) -> bool {
        self.raw & super::verdict::ADMF_DRAIN != 0
    }
}

/// One server line of `show servers state`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerState {
    /// `be_id`: the backend's numeric id.
    pub backend_id: u32,
    /// `be_name`.
    pub backend: String,
    /// `srv_id`: the server's numeric id within its backend.
    pub id: u32,
    /// `srv_name`.
    pub name: String,
    /// `srv_addr` (`None` for `-`).
    pub addr: Option<String>,
    /// `srv_op_state`.
    pub op_state: OpState,
    /// `srv_admin_state`, decoded.
    pub admin_state: AdminState,
    /// `srv_uweight`: user-set weight.
    pub uweight: Option<u32>,
    /// `srv_iweight`: initial (configured) weight.
    pub iweight: Option<u32>,
    /// `srv_time_since_last_change`, in seconds.
    pub time_since_last_change: Option<i64>,
    /// `srv_check_status`: the numeric `HCHK_STATUS_*` value (15 = L7OK, 6 = L4OK, …).
    pub check_status: Option<u32>,
    /// `srv_check_result`: 0 unknown, 1 neutral, 2 failed, 3 passed, 4 condpass.
    pub check_result: Option<u32>,
    /// `srv_check_health`.
    pub check_health: Option<i64>,
    /// `srv_check_state` flags: 0x01 in progress, 0x02 configured, 0x04 enabled, 0x08 paused.
    pub check_state: Option<u32>,
    /// `srv_agent_state` flags: as `check_state`, plus 0x10 agent.
    pub agent_state: Option<u32>,
    /// `bk_f_forced_id`: the backend id was set in the configuration.
    pub backend_forced_id: Option<bool>,
    /// `srv_f_forced_id`: the server id was set in the configuration.
    pub forced_id: Option<bool>,
    /// `srv_fqdn` (`None` for `-`).
    pub fqdn: Option<String>,
    /// `srv_port`.
    pub port: Option<u16>,
    /// `srvrecord`: the SRV record name (`None` for `-`).
    pub srvrecord: Option<String>,
    /// `srv_use_ssl`.
    pub use_ssl: Option<bool>,
    /// `srv_check_port`.
    pub check_port: Option<u16>,
    /// `srv_check_addr` (`None` for `-`).
    pub check_addr: Option<String>,
    /// `srv_agent_addr` (`None` for `-`).
    pub agent_addr: Option<String>,
    /// `srv_agent_port`.
    pub agent_port: Option<u16>,
    /// Columns this parser does not know (added by a later version), as `(name, value)`.
    pub extra: Vec<(String, String)>,
}

impl ServerState {
    /// HAProxy's verdict on this server, derived from its state columns (see
    /// [`super::verdict::ServerVerdict::derive`]; a `show stat` status, when at hand, wins).
    pub fn verdict(&self) -> super::verdict::ServerVerdict {
        super::verdict::ServerVerdict::derive(self)
    }

    /// The name of `check_result` (`unknown`, `neutral`, `failed`, `passed`, `condpass`).
    pub fn check_result_name(&self) -> Option<&'static str> {
        Some(match self.check_result? {
            0 => "unknown",
            1 => "neutral",
            2 => "failed",
            3 => "passed",
            4 => "condpass",
            _ => return None,
        })
    }

    /// Whether health checks are enabled (`check_state` has 0x04).
    pub fn check_enabled(&self) -> bool {
        self.check_state.is_some_and(|s| s & 0x04 != 0)
    }

    /// Whether agent checks are enabled (`agent_state` has 0x04).
    pub fn agent_enabled(&self) -> bool {
        self.agent_state.is_some_and(|s| s & 0x04 != 0)
    }
}

/// The parsed `show servers state` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServersState {
    /// The format version from line 1 (1 for every version up to 3.4).
    pub version: u32,
    /// One entry per server, in HAProxy's order.
    pub servers: Vec<ServerState>,
}

/// The column names this parser knows; anything else goes to [`ServerState::extra`].
const KNOWN: [&str; 25] = [
    "be_id",
    "be_name",
    "srv_id",
    "srv_name",
    "srv_addr",
    "srv_op_state",
    "srv_admin_state",
    "srv_uweight",
    "srv_iweight",
    "srv_time_since_last_change",
    "srv_check_status",
    "srv_check_result",
    "srv_check_health",
    "srv_check_state",
    "srv_agent_state",
    "bk_f_forced_id",
    "srv_f_forced_id",
    "srv_fqdn",
    "srv_port",
    "srvrecord",
    "srv_use_ssl",
    "srv_check_port",
    "srv_check_addr",
    "srv_agent_addr",
    "srv_agent_port",
];

/// Positions of the [`KNOWN`] columns, named for readability.
mod col {
    pub const BE_ID: usize = 0;
    pub const BE_NAME: usize = 1;
    pub const SRV_ID: usize = 2;
    pub const SRV_NAME: usize = 3;
    pub const SRV_ADDR: usize = 4;
    pub const OP_STATE: usize = 5;
    pub const ADMIN_STATE: usize = 6;
    pub const UWEIGHT: usize = 7;
    pub const IWEIGHT: usize = 8;
    pub const TIME_SINCE_LAST_CHANGE: usize = 9;
    pub const CHECK_STATUS: usize = 10;
    pub const CHECK_RESULT: usize = 11;
    pub const CHECK_HEALTH: usize = 12;
    pub const CHECK_STATE: usize = 13;
    pub const AGENT_STATE: usize = 14;
    pub const BK_F_FORCED_ID: usize = 15;
    pub const SRV_F_FORCED_ID: usize = 16;
    pub const FQDN: usize = 17;
    pub const PORT: usize = 18;
    pub const SRVRECORD: usize = 19;
    pub const USE_SSL: usize = 20;
    pub const CHECK_PORT: usize = 21;
    pub const CHECK_ADDR: usize = 22;
    pub const AGENT_ADDR: usize = 23;
    pub const AGENT_PORT: usize = 24;
}

/// Where each column is, worked out once from the header.
struct Layout<'a> {
    /// For each [`KNOWN`] column, its position in the header (first occurrence), if present.
    known: [Option<usize>; KNOWN.len()],
    /// The columns this parser does not know, as `(position, name)`.
    extra: Vec<(usize, &'a str)>,
}

impl<'a> Layout<'a> {
    fn new(header: &[&'a str]) -> Self {
        let known = KNOWN.map(|k| header.iter().position(|h| *h == k));
        let extra = header
            .iter()
            .enumerate()
            .filter(|(_, h)| !KNOWN.contains(h))
            .map(|(i, h)| (i, *h))
            .collect();
        Self { known, extra }
    }
}

/// One data row being decoded: the line and where its cells are.
struct Row<'r, 'a> {
    no: usize,
    layout: &'r Layout<'a>,
    line: &'a str,
    /// `start, end` of each cell, in order (from [`split_cells`]).
    bounds: &'r [u32],
}

impl<'a> Row<'_, 'a> {
    /// The cell at position `idx`, if the row has that many.
    fn at(&self, idx: usize) -> Option<&'a str> {
        let start = *self.bounds.get(2 * idx)? as usize;
        let end = *self.bounds.get(2 * idx + 1)? as usize;
        self.line.get(start..end)
    }

    /// The cell of the known column `k` (an index into [`KNOWN`]).
    fn cell(&self, k: usize) -> Option<&'a str> {
        self.at((*self.layout.known.get(k)?)?)
    }

    fn name(k: usize) -> &'static str {
        KNOWN.get(k).copied().unwrap_or("?")
    }

    fn required(&self, k: usize) -> Result<&'a str, ParseError> {
        self.cell(k)
            .ok_or_else(|| ParseError::new(self.no, format!("missing `{}`", Self::name(k))))
    }

    /// A numeric column: absent is `None`, present but not a number is an error.
    fn num<T: Number>(&self, k: usize) -> Result<Option<T>, ParseError> {
        match self.cell(k) {
            None | Some("-") => Ok(None),
            Some(v) => T::parse(v).map(Some).ok_or_else(|| {
                ParseError::new(
                    self.no,
                    format!("`{}` is not a valid number: {v:?}", Self::name(k)),
                )
            }),
        }
    }

    fn required_num<T: Number>(&self, k: usize) -> Result<T, ParseError> {
        self.num(k)?
            .ok_or_else(|| ParseError::new(self.no, format!("missing `{}`", Self::name(k))))
    }

    fn flag(&self, k: usize) -> Result<Option<bool>, ParseError> {
        Ok(self.num::<u32>(k)?.map(|v| v != 0))
    }

    fn text(&self, k: usize) -> Option<String> {
        self.cell(k).and_then(dash_none)
    }
}

/// The number types of this format, parsed exactly as `str::parse` does, with a fast path for
/// the usual short digit strings.
trait Number: Sized + std::str::FromStr + TryFrom<u64> {
    fn parse(v: &str) -> Option<Self> {
        // The conversion catches the narrower types.
        match super::short_decimal(v.as_bytes()) {
            Some(n) => Self::try_from(n).ok(),
            None => v.parse().ok(),
        }
    }
}

impl Number for u16 {}
impl Number for u32 {}
impl Number for i64 {}

/// Finds the cells of `line`, separated by runs of ASCII whitespace as with
/// `str::split_ascii_whitespace`: `bounds` gets `start, end` of each cell, in order. One
/// branch-free pass (a cell starts or ends wherever blank and non-blank meet): the cells are a
/// few bytes long and a branch per byte would mostly be mispredicted.
fn split_cells(line: &str, bounds: &mut Vec<u32>) {
    let bytes = line.as_bytes();
    bounds.clear();
    // Room for the worst case: a boundary at every byte, plus the end of the last cell.
    bounds.resize(bytes.len() + 1, 0);
    let buf = bounds.as_mut_slice();
    let mut n = 0;
    let mut blank = true;
    for (i, &b) in (0u32..).zip(bytes) {
        let now = b.is_ascii_whitespace();
        // Written at every byte, kept (by moving on) only where a cell starts or ends.
        if let Some(slot) = buf.get_mut(n) {
            *slot = i;
        }
        n += usize::from(now != blank);
        blank = now;
    }
    if !blank {
        // The last cell runs to the end of the line.
        if let Some(slot) = buf.get_mut(n) {
            *slot = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        }
        n += 1;
    }
    bounds.truncate(n);
}

/// Parses `show servers state` output.
pub fn parse(text: &str) -> Result<ServersState, ParseError> {
    let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
    let (no, first) = lines
        .next()
        .ok_or_else(|| ParseError::new(1, "empty reply, expected the format version"))?;
    let version = first
        .trim()
        .parse::<u32>()
        .map_err(|_| ParseError::new(no, format!("expected the format version, got {first:?}")))?;
    let (hno, hline) = lines
        .next()
        .ok_or_else(|| ParseError::new(no + 1, "missing the `# be_id …` header"))?;
    let names = hline
        .strip_prefix('#')
        .ok_or_else(|| ParseError::new(hno, "expected the `# be_id …` header"))?;
    let header: Vec<&str> = names.split_ascii_whitespace().collect();
    for required in [
        "be_id",
        "be_name",
        "srv_id",
        "srv_name",
        "srv_op_state",
        "srv_admin_state",
    ] {
        if !header.contains(&required) {
            return Err(ParseError::new(
                hno,
                format!("header lacks the `{required}` column"),
            ));
        }
    }
    let layout = Layout::new(&header);

    // One server per line (give or take a trailing blank line).
    let mut servers = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count());
    let mut bounds = Vec::new();
    for (no, line) in lines {
        if line.starts_with('#') {
            continue;
        }
        // Cell bounds are u32 (and counting positions goes one past the end).
        if line.len() >= (u32::MAX - 1) as usize {
            return Err(ParseError::new(no, "line too long"));
        }
        split_cells(line, &mut bounds);
        let row = Row {
            no,
            layout: &layout,
            line,
            bounds: &bounds,
        };
        let extra = layout
            .extra
            .iter()
            .filter_map(|&(i, h)| row.at(i).map(|v| (h.to_owned(), v.to_owned())))
            .collect();
        servers.push(ServerState {
            backend_id: row.required_num(col::BE_ID)?,
            backend: row.required(col::BE_NAME)?.to_owned(),
            id: row.required_num(col::SRV_ID)?,
            name: row.required(col::SRV_NAME)?.to_owned(),
            addr: row.text(col::SRV_ADDR),
            op_state: OpState::from_code(row.required_num(col::OP_STATE)?),
            admin_state: AdminState::from_bits(row.required_num(col::ADMIN_STATE)?),
            uweight: row.num(col::UWEIGHT)?,
            iweight: row.num(col::IWEIGHT)?,
            time_since_last_change: row.num(col::TIME_SINCE_LAST_CHANGE)?,
            check_status: row.num(col::CHECK_STATUS)?,
            check_result: row.num(col::CHECK_RESULT)?,
            check_health: row.num(col::CHECK_HEALTH)?,
            check_state: row.num(col::CHECK_STATE)?,
            agent_state: row.num(col::AGENT_STATE)?,
            backend_forced_id: row.flag(col::BK_F_FORCED_ID)?,
            forced_id: row.flag(col::SRV_F_FORCED_ID)?,
            fqdn: row.text(col::FQDN),
            port: row.num(col::PORT)?,
            srvrecord: row.text(col::SRVRECORD),
            use_ssl: row.flag(col::USE_SSL)?,
            check_port: row.num(col::CHECK_PORT)?,
            check_addr: row.text(col::CHECK_ADDR),
            agent_addr: row.text(col::AGENT_ADDR),
            agent_port: row.num(col::AGENT_PORT)?,
            extra,
        });
    }
    Ok(ServersState { version, servers })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture (abridged).
    const STATE_26: &str = "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
6 be_app 1 app1 127.0.0.1 2 0 1 1 4 15 3 4 6 0 0 0 - 28082 - 0 0 - - 0
6 be_app 2 app2 127.0.0.1 2 0 20 20 4 15 3 4 6 0 0 0 - 28082 - 0 0 - - 0
6 be_app 3 app3 127.0.0.1 0 5 1 1 4 1 0 0 14 0 0 0 - 28082 - 0 0 - - 0
6 be_app 4 app4 127.0.0.1 0 0 1 1 3 8 2 0 6 0 0 0 - 1 - 0 0 - - 0
7 be_api 1 api1 127.0.0.1 2 0 1 1 4 6 3 4 6 22 0 0 - 28082 - 0 0 - - 28083
";

    #[test]
    fn parses_26_capture() {
        let s = parse(STATE_26).unwrap();
        assert_eq!(s.version, 1);
        assert_eq!(s.servers.len(), 5);
        let app2 = s.servers.get(1).unwrap();
        assert_eq!(app2.backend_id, 6);
        assert_eq!(app2.backend, "be_app");
        assert_eq!(app2.id, 2);
        assert_eq!(app2.name, "app2");
        assert_eq!(app2.addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(app2.op_state, OpState::Running);
        assert_eq!(app2.uweight, Some(20));
        assert_eq!(app2.check_status, Some(15));
        assert_eq!(app2.check_result_name(), Some("passed"));
        assert_eq!(app2.fqdn, None);
        assert_eq!(app2.port, Some(28082));
        assert_eq!(app2.use_ssl, Some(false));
        assert!(app2.check_enabled());
        assert_eq!(app2.verdict().condition.word(), "UP");
        assert!(app2.extra.is_empty());

        let app3 = s.servers.get(2).unwrap();
        assert_eq!(app3.admin_state.raw, 5);
        assert!(app3.admin_state.maint_forced && app3.admin_state.maint_config);
        assert_eq!(app3.verdict().condition.word(), "MAINT");

        let app4 = s.servers.get(3).unwrap();
        assert_eq!(app4.op_state, OpState::Stopped);
        assert_eq!(app4.verdict().condition.word(), "DOWN");

        let api1 = s.servers.get(4).unwrap();
        assert_eq!(api1.agent_state, Some(22));
        assert!(api1.agent_enabled());
        assert_eq!(api1.agent_port, Some(28083));
    }

    #[test]
    fn drain_and_unknown_states() {
        let text = "1\n# be_id be_name srv_id srv_name srv_op_state srv_admin_state\n\
1 b 1 s 2 8\n1 b 2 t 3 0\n1 b 3 u 9 0\n1 b 4 v 2 64\n";
        let s = parse(text).unwrap();
        let states: Vec<_> = s
            .servers
            .iter()
            .map(|x| x.verdict().condition.word())
            .collect();
        assert_eq!(states, ["DRAIN", "NOLB", "UNKNOWN", "UP"]);
        assert_eq!(s.servers.get(2).unwrap().op_state, OpState::Unknown(9));
        assert!(s.servers.get(3).unwrap().admin_state.maint_fqdn);
        assert_eq!(s.servers.get(3).unwrap().port, None);
    }

    #[test]
    fn tolerates_extra_and_reordered_columns() {
        let text = "1\n# srv_name be_name be_id srv_id srv_op_state srv_admin_state srv_new_thing\n\
s b 3 4 2 0 hello\n";
        let s = parse(text).unwrap();
        let srv = s.servers.first().unwrap();
        assert_eq!((srv.backend_id, srv.id), (3, 4));
        assert_eq!(srv.name, "s");
        assert_eq!(srv.extra, vec![("srv_new_thing".into(), "hello".into())]);
    }

    #[test]
    fn column_positions_match_known() {
        let named = [
            (col::BE_ID, "be_id"),
            (col::BE_NAME, "be_name"),
            (col::SRV_ID, "srv_id"),
            (col::SRV_NAME, "srv_name"),
            (col::SRV_ADDR, "srv_addr"),
            (col::OP_STATE, "srv_op_state"),
            (col::ADMIN_STATE, "srv_admin_state"),
            (col::UWEIGHT, "srv_uweight"),
            (col::IWEIGHT, "srv_iweight"),
            (col::TIME_SINCE_LAST_CHANGE, "srv_time_since_last_change"),
            (col::CHECK_STATUS, "srv_check_status"),
            (col::CHECK_RESULT, "srv_check_result"),
            (col::CHECK_HEALTH, "srv_check_health"),
            (col::CHECK_STATE, "srv_check_state"),
            (col::AGENT_STATE, "srv_agent_state"),
            (col::BK_F_FORCED_ID, "bk_f_forced_id"),
            (col::SRV_F_FORCED_ID, "srv_f_forced_id"),
            (col::FQDN, "srv_fqdn"),
            (col::PORT, "srv_port"),
            (col::SRVRECORD, "srvrecord"),
            (col::USE_SSL, "srv_use_ssl"),
            (col::CHECK_PORT, "srv_check_port"),
            (col::CHECK_ADDR, "srv_check_addr"),
            (col::AGENT_ADDR, "srv_agent_addr"),
            (col::AGENT_PORT, "srv_agent_port"),
        ];
        assert_eq!(named.len(), KNOWN.len());
        for (k, name) in named {
            assert_eq!(KNOWN.get(k), Some(&name));
        }
    }

    #[test]
    fn splitting_and_numbers_match_std() {
        let mut bounds = Vec::new();
        for line in [
            "",
            " ",
            "a",
            " a  b\tc\x0c d\r",
            "x -  y ",
            "\u{a0}a b",
            "ab",
        ] {
            split_cells(line, &mut bounds);
            let cells: Vec<&str> = bounds
                .chunks(2)
                .map(|c| &line[c[0] as usize..c[1] as usize])
                .collect();
            let std: Vec<&str> = line.split_ascii_whitespace().collect();
            assert_eq!(cells, std, "{line:?}");
        }
        for v in [
            "0",
            "65535",
            "65536",
            "+7",
            "-1",
            "",
            "1.5",
            "99999999999999999999",
            "٣",
        ] {
            assert_eq!(<u16 as Number>::parse(v), v.parse::<u16>().ok(), "{v:?}");
            assert_eq!(<u32 as Number>::parse(v), v.parse::<u32>().ok(), "{v:?}");
            assert_eq!(<i64 as Number>::parse(v), v.parse::<i64>().ok(), "{v:?}");
        }
    }

    #[test]
    fn number_errors_name_the_column() {
        let e = parse("1\n# be_id be_name srv_id srv_name srv_op_state srv_admin_state srv_port\n1 b 1 s 2 0 70000\n")
            .unwrap_err();
        assert_eq!(e.message, "`srv_port` is not a valid number: \"70000\"");
        let e =
            parse("1\n# be_id be_name srv_id srv_name srv_op_state srv_admin_state\n- b 1 s 2 0\n")
                .unwrap_err();
        assert_eq!(e.message, "missing `be_id`");
    }

    #[test]
    fn header_only_is_empty() {
        let s = parse("1\n# be_id be_name srv_id srv_name srv_op_state srv_admin_state\n").unwrap();
        assert!(s.servers.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("Can't find backend.\n").unwrap_err().line, 1);
        assert_eq!(parse("1\nbe_id\n").unwrap_err().line, 2);
        assert_eq!(parse("1\n# be_id be_name\n").unwrap_err().line, 2);
        let e = parse(&format!("{STATE_26}6 be_app x app9 - 2 0\n")).unwrap_err();
        assert_eq!(e.line, 8);
        let e = parse("1\n# be_id be_name srv_id srv_name srv_op_state srv_admin_state\n1 b 1\n")
            .unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse(&STATE_26.replace("28083", "99999")).unwrap_err();
        assert_eq!(e.line, 7);
    }
}
