//! Every output parser must return `Ok` or `Err` on any input, never panic.
//!
//! Three kinds of input: arbitrary strings, strings over the characters the formats are
//! made of, and structured near-misses (a valid header followed by rows assembled from
//! valid-looking fragments with random field counts and junk).

use haproxy_mcp_server::haproxy::parse::{
    activity, backend, cli_level, errors, help, info, map, proc_list, registry, servers_conn,
    servers_state, sess, stat, table, version, weight,
};
use proptest::prelude::*;

/// Runs every parser on `text`; the results are irrelevant, only the absence of panics.
fn run_all(text: &str) {
    // Every registered format (so a new one is covered without touching this file) …
    for format in registry::FORMATS {
        let _ = (format.parse)(text);
    }
    // … and the typed parsers again, with their accessors, plus the variants the registry
    // does not list.
    let _ = info::parse(text);
    let _ = info::parse_json(text);
    if let Ok(r) = stat::parse(text) {
        // Exercise the accessors too: they index into the shared cell buffer.
        for row in &r.rows {
            for c in &r.columns {
                let _ = row.get(c);
            }
            let _ = row.values().count();
            let _ = row.cell(row.cell_count());
            let _ = serde_json::to_string(row);
        }
    }
    if let Ok(s) = servers_state::parse(text) {
        for srv in &s.servers {
            let _ = srv.verdict();
            let _ = srv.check_result_name();
        }
    }
    let _ = servers_conn::parse(text);
    let _ = backend::parse(text);
    if let Ok(l) = sess::parse_list(text) {
        for s in &l {
            let _ = s.age_secs();
        }
    }
    let _ = sess::parse_detail(text);
    let _ = sess::parse_details(text);
    let _ = table::parse_list(text);
    if let Ok(d) = table::parse_entries(text) {
        for e in &d.entries {
            let _ = e.key_unescaped();
        }
    }
    let _ = map::parse_list(text);
    let _ = map::parse_map_entries(text);
    let _ = map::parse_acl_entries(text);
    let _ = map::parse_get_map(text);
    let _ = map::parse_get_map_all(text);
    let _ = map::parse_get_acl(text);
    let _ = map::parse_get_acl_all(text);
    let _ = errors::parse(text);
    let _ = activity::parse(text);
    let _ = help::parse(text);
    let _ = cli_level::parse(text);
    let _ = weight::parse(text);
    let _ = proc_list::parse(text);
    let _ = version::parse(text);
    let _ = version::parse_release(text);
}

/// Characters the formats are built from, weighted towards separators and quotes.
fn format_chars() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~\n\t\"#:,=\\\\\\[\\]()<>./0-9xa-f-]{0,300}")
        .expect("valid regex")
}

/// A line assembled from `fragments` plus occasional random noise.
fn line_from(fragments: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(fragments).prop_map(str::to_owned),
        1 => proptest::string::string_regex("[ -~]{0,12}").expect("valid regex"),
        1 => proptest::string::string_regex("[0-9]{1,25}").expect("valid regex"),
        1 => Just("\u{e9}\u{1f600}".to_owned()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// A reply: `header` (possibly cut short) followed by lines made of `fragments`.
fn reply(
    header: &'static str,
    fragments: &'static [&'static str],
) -> impl Strategy<Value = String> {
    (
        0..=header.len(),
        any::<bool>(),
        proptest::collection::vec(line_from(fragments), 0..8),
        any::<bool>(),
    )
        .prop_map(move |(cut, keep_header, lines, trailing)| {
            let mut s = String::new();
            if keep_header {
                s.push_str(header);
            } else {
                // Cutting at a char boundary is guaranteed: headers are ASCII.
                s.push_str(header.get(..cut).unwrap_or(""));
            }
            s.push_str(&lines.join("\n"));
            if trailing {
                s.push('\n');
            }
            s
        })
}

const STAT_HEADER: &str = "# pxname,svname,qcur,scur,status,weight,act,bck,type,check_status,check_desc,lastsess,addr,mode,algo,-,h1_bytes_in,\n";
const STAT_CELLS: &[&str] = &[
    ",",
    ",",
    ",",
    "\"",
    "\"\"",
    "\",\"",
    "fe",
    "FRONTEND",
    "BACKEND",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "UP",
    "DOWN 1/2",
    "MAINT (via b/s)",
    "\n",
    "\"a,b\"",
    "18446744073709551616",
];

const STATE_HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";
const STATE_TOKENS: &[&str] = &[
    " ",
    " ",
    " ",
    "-",
    "0",
    "1",
    "2",
    "5",
    "65536",
    "4294967296",
    "-1",
    "be_app",
    "s1",
    "127.0.0.1",
    "#",
];

const CONN_HEADER: &str = "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]\n";
const CONN_TOKENS: &[&str] = &[
    " ",
    " ",
    "be/s",
    "1/2",
    "/",
    "-",
    "0",
    "-1",
    "70000",
    "127.0.0.1",
    "x",
];

const SESS_TOKENS: &[&str] = &[
    "0x55eb48350c30:",
    " ",
    " ",
    "proto=tcpv4",
    "src=127.0.0.1:1",
    "fe=GLOBAL",
    "be=<NONE>",
    "srv=<none>",
    "age=1m2s",
    "age=99999999999999999999d",
    "calls=",
    "cpu=1",
    "rq[f=0h,rx=]",
    "uri=\"",
    "\"",
    "run(nice=0)",
    "=",
    ":",
    "[25/Nov/2026:08:16:57.4]",
    "id=9",
    "source=",
    "\n  backend=",
    "\n  server=<NONE>",
    "\n  frontend=x (id=1)",
];

const TABLE_HEADER: &str = "# table: st, type: string, size:100, used:1\n";
const TABLE_TOKENS: &[&str] = &[
    "0x1:",
    " ",
    " ",
    "key=",
    "a\\ b",
    "\\",
    "\\x",
    "\\xZ",
    "use=0",
    "exp=1",
    "shard=0",
    "gpc0=1",
    "http_req_rate(",
    "10000",
    ")=",
    "=",
    "# contents not dumped",
    "# table: ",
    ", type: ",
    "size:1",
    ", used:",
    "-1",
];

const MAP_TOKENS: &[&str] = &[
    "type=str",
    ", ",
    "case=sensitive",
    "case=insensitive",
    "found=yes",
    "found=no",
    "match=yes",
    "idx=tree",
    "key=\"",
    "\", value=\"",
    "\", value=none",
    "\", type=\"",
    "\"",
    "pattern=\"",
    "key=unknown",
    "4 (",
    ") ",
    "desc",
    ". curr_ver=",
    "0",
    "next_ver=1",
    "entry_cnt=",
    "0x55",
    " ",
    "#",
];

const ERRORS_HEADER: &str = "Total events captured on [25/Nov/2026:08:16:59.117] : 1\n";
const ERRORS_TOKENS: &[&str] = &[
    " ",
    "[25/Nov/2026:08:16:57.470]",
    "[",
    "]",
    " frontend fe (#4): invalid request",
    " backend be (#",
    "): ",
    "  backend <NONE> (#-1)",
    ", server s (#1)",
    ", event #",
    ", src 1.2.3.4:5",
    "error at position ",
    "  ",
    "0",
    "99999999999999999999",
];

const MISC_TOKENS: &[&str] = &[
    "#<PID>",
    "# workers",
    "# old workers",
    "# programs",
    "3112",
    "master",
    "worker",
    "0 [failed: 0]",
    "[",
    "]",
    "0d00h00m18s",
    "2.6.12-1+deb12u4",
    "\t\t",
    " ",
    "ctxsw:",
    ": ",
    "[ 1 2 ]",
    "  help [<command>]",
    "       : ",
    "admin",
    "user",
    "15 (initial 10)",
    "(initial",
    ")",
    "Name: HAProxy",
    "Pid:",
    "3.2",
    ".",
    "[{\"field\":{\"name\":\"x\"}}]",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        run_all(&s);
    }

    #[test]
    fn format_alphabet(s in format_chars()) {
        run_all(&s);
    }

    #[test]
    fn stat_near_misses(s in reply(STAT_HEADER, STAT_CELLS)) {
        run_all(&s);
    }

    #[test]
    fn servers_state_near_misses(s in reply(STATE_HEADER, STATE_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn servers_conn_near_misses(s in reply(CONN_HEADER, CONN_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn sess_near_misses(s in reply("", SESS_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn table_near_misses(s in reply(TABLE_HEADER, TABLE_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn map_near_misses(s in reply("# id (file) description\n", MAP_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn errors_near_misses(s in reply(ERRORS_HEADER, ERRORS_TOKENS)) {
        run_all(&s);
    }

    #[test]
    fn misc_near_misses(s in reply("", MISC_TOKENS)) {
        run_all(&s);
    }

    /// Valid stat header with rows of random width (cells drawn from realistic values).
    #[test]
    fn stat_random_widths(
        rows in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(STAT_CELLS), 0..40),
            0..6,
        ),
        trailing_comma in any::<bool>(),
    ) {
        let mut s = STAT_HEADER.to_owned();
        for r in rows {
            s.push_str(&r.join(","));
            if trailing_comma {
                s.push(',');
            }
            s.push('\n');
        }
        run_all(&s);
    }

    /// Valid servers-state header with rows of random field counts.
    #[test]
    fn servers_state_random_widths(
        rows in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(STATE_TOKENS), 0..40),
            0..6,
        ),
    ) {
        let mut s = STATE_HEADER.to_owned();
        for r in rows {
            s.push_str(&r.join(" "));
            s.push('\n');
        }
        run_all(&s);
    }
}
