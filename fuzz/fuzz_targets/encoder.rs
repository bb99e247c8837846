//! Fuzz target: for any words (and optional payload lines), `encode_command` either refuses or
//! produces exactly one command line ending in LF (plus, with a payload, the payload lines and
//! the empty line that ends them), with no unescaped `;`, no CR or NUL, within the line limit,
//! and that HAProxy's own tokenizer (2.6, 3.0, 3.2 and 3.4 rules, from the emulator) splits
//! back into exactly the same words, opening a payload only when one was given.
//!
//! Input layout: byte 0 says whether the last group is a payload; the rest is split into groups
//! on 0xFE and each group into words (or payload lines) on 0xFF; bytes are read as UTF-8, lossily.
//!
//! `cargo +nightly fuzz run encoder corpus/encoder seeds/encoder -- -max_total_time=60`, or on
//! stable: `cargo run --release --bin encoder`.

#![cfg_attr(fuzzing, no_main)]

use haproxy_emulator::Version;
use haproxy_emulator::tokenizer::{PayloadEnd, parse_line};
use haproxy_mcp_server::haproxy::command::encode::{MAX_LINE_BYTES, Payload, encode_command};

fn split(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0xFF)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// Positions of `;` that HAProxy would take as a command separator.
fn unescaped_semicolon(line: &[u8]) -> bool {
    let mut escaped = false;
    for &b in line {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b';' => return true,
            _ => {}
        }
    }
    false
}

fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut groups = rest.split(|&b| b == 0xFE);
    let words = split(groups.next().unwrap_or(&[]));
    let payload_lines = (flags & 1 == 1).then(|| split(groups.next().unwrap_or(&[])));
    let payload = match payload_lines.map(Payload::new) {
        None => None,
        Some(Ok(p)) => Some(p),
        // A payload line that cannot be sent is refused at construction: fine.
        Some(Err(_)) => return,
    };
    let unsendable = words
        .iter()
        .any(|w| w.is_empty() || w.contains(['\n', '\r', '\0']));
    let Ok(out) = encode_command(&words, payload.as_ref()) else {
        return;
    };
    assert!(!unsendable, "encoded unsendable words {words:?}");
    assert!(out.len() <= MAX_LINE_BYTES, "{} bytes", out.len());
    assert_eq!(out.last(), Some(&b'\n'), "no final LF: {out:?}");
    let first_end = out.iter().position(|&b| b == b'\n').unwrap();
    let line = &out[..first_end];
    assert!(!unescaped_semicolon(line), "unescaped ';' in {line:?}");
    assert!(
        !line.contains(&b'\r') && !line.contains(&0),
        "CR or NUL in {line:?}"
    );
    let rest = &out[first_end + 1..];
    match &payload {
        None => assert!(rest.is_empty(), "more than one line: {out:?}"),
        Some(p) => {
            let mut expected = Vec::new();
            for l in p.lines() {
                expected.extend_from_slice(l.as_bytes());
                expected.push(b'\n');
            }
            expected.push(b'\n');
            assert_eq!(rest, expected.as_slice(), "payload framing");
        }
    }
    for version in [
        Version::new(2, 6, 0),
        Version::new(3, 0, 0),
        Version::new(3, 2, 0),
        Version::new(3, 4, 0),
    ] {
        let parsed = parse_line(line, version);
        assert_eq!(
            parsed.commands.len(),
            1,
            "{version}: {} commands in {line:?}",
            parsed.commands.len()
        );
        let got: Vec<&[u8]> = parsed.commands[0].words.iter().map(Vec::as_slice).collect();
        let want: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        assert_eq!(
            got, want,
            "{version}: words do not round-trip through {line:?}"
        );
        assert_eq!(
            parsed.payload_end,
            payload.as_ref().map(|_| PayloadEnd::EmptyLine),
            "{version}: payload opened or not as asked in {line:?}"
        );
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
mod replay;

#[cfg(not(fuzzing))]
fn main() {
    replay::main(&["seeds/encoder"], check);
}
