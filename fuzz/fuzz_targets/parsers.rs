//! Fuzz target: every reply parser (`haproxy::parse::*`), the reply framing and the refusal
//! classifier must return (Ok or Err) on any bytes, never panic, hang or blow up.
//!
//! `cargo +nightly fuzz run parsers corpus/parsers seeds/parsers ../fixtures/2.6 ../fixtures/3.0
//! ../fixtures/3.2 ../fixtures/3.4 -- -max_total_time=60`, or on stable:
//! `cargo run --release --bin parsers`.

#![cfg_attr(fuzzing, no_main)]

use haproxy_mcp_server::haproxy::Command;
use haproxy_mcp_server::haproxy::parse::{
    activity, backend, cli_level, errors, help, info, map, proc_list, registry, servers_conn,
    servers_state, sess, stat, table, version, weight,
};
use haproxy_mcp_server::haproxy::response::{classify, frame, refusal_kind};

/// Every parser, on the reply framed from `data` exactly as the client frames what it reads.
fn check(data: &[u8]) {
    let text = frame(data);
    let text = text.as_str();
    // Every registered format, so a new one is fuzzed without touching this file.
    for format in registry::FORMATS {
        let _ = (format.parse)(text);
    }
    let _ = info::parse(text);
    let _ = info::parse_json(text);
    if let Ok(r) = stat::parse(text) {
        // The accessors index into the shared cell buffer.
        for row in &r.rows {
            for c in &r.columns {
                let _ = row.get(c);
            }
            let _ = row.values().count();
            let _ = row.cell(row.cell_count());
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
    let _ = refusal_kind(text);
    for command in [Command::show_info(), Command::clear_counters(false)] {
        let _ = classify(&command, text.to_owned());
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
mod replay;

#[cfg(not(fuzzing))]
fn main() {
    replay::main(
        &[
            "seeds/parsers",
            "../fixtures/2.6",
            "../fixtures/3.0",
            "../fixtures/3.2",
            "../fixtures/3.4",
        ],
        check,
    );
}
