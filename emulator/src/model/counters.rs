//! The traffic counters of `show stat` rows, by kind: what `clear counters` resets (the maxima;
//! with `all`, the totals too) and what a new server starts with at zero (all of them).

use super::table::Row;

/// Values now: queue, sessions, rates.
pub const CURRENT: &[&str] = &["qcur", "scur", "rate", "req_rate", "conn_rate"];

/// Maxima since start (`clear counters`).
pub const MAXIMA: &[&str] = &[
    "qmax",
    "smax",
    "rate_max",
    "req_rate_max",
    "conn_rate_max",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
];

/// Totals since start (`clear counters all`).
pub const TOTALS: &[&str] = &[
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "chkfail",
    "chkdown",
    "downtime",
    "lbtot",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "conn_tot",
    "intercepted",
    "denied_conn",
    "denied_sess",
    "failed_rewrites",
    "eint",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
];

/// Sets every counter of `lists` that the row prints to zero (an empty cell stays empty: the
/// column does not apply to that kind of row).
pub fn zero(row: &mut Row, lists: &[&[&str]]) {
    for column in lists.iter().flat_map(|l| l.iter()) {
        if !row.get(column).is_empty() {
            row.set(column, 0);
        }
    }
}
