//! The emulator's answer to commands HAProxy does not know, against a live HAProxy: typos of
//! every keyword its `help` lists (a letter dropped, doubled or swapped, an `s` added),
//! partial commands and unrelated words, each sent to HAProxy — alone and after `help` — and
//! compared byte for byte with what the emulator builds from the same `help`
//! (`ReplayBook::unknown_command_reply` / `help_reply`: HAProxy's fuzzy suggestions, its
//! keywords' registration order from `emulator/data/cli-order/`).

use haproxy_emulator::replay::ReplayBook;
use haproxy_emulator::tokenizer::parse_line;

use crate::model_sequences::{live_fixture, live_version};
use crate::support::LiveHaproxy;

/// Misspellings of one word, always different from it.
fn typos(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = Vec::new();
    if chars.len() > 2 {
        let mut dropped = chars.clone();
        dropped.remove(chars.len() / 2);
        out.push(dropped.into_iter().collect());
        let mut swapped = chars.clone();
        swapped.swap(0, 1);
        out.push(swapped.into_iter().collect());
    }
    let mut doubled = chars.clone();
    doubled.insert(chars.len() / 2, chars[chars.len() / 2]);
    out.push(doubled.into_iter().collect());
    out.push(format!("{word}s"));
    out.retain(|t: &String| t != word);
    out
}

/// The commands to try: for each keyword, each of its fixed words misspelt in turn; then a
/// few partial and unrelated ones.
fn unknown_lines(help: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for line in help.lines().skip(1) {
        let fixed = haproxy_emulator::usage::fixed_words(line);
        for (i, word) in fixed.iter().enumerate() {
            for typo in typos(word) {
                let mut words: Vec<String> = fixed.iter().map(|w| (*w).to_owned()).collect();
                words[i] = typo;
                lines.push(words.join(" "));
            }
        }
    }
    for extra in [
        "foobar",
        "show",
        "set",
        "clear",
        "enable",
        "show ssl",
        "show servers",
        "set server",
        "x y z",
        "drain be_app/app1",
        "show stat please now",
        "get weigth be_app/app1",
    ] {
        lines.push(extra.to_owned());
    }
    lines.sort();
    lines.dedup();
    lines
}

#[tokio::test]
async fn unknown_commands_get_haproxys_own_suggestions() {
    let Some(live) = LiveHaproxy::start("unknown_commands").await else {
        return;
    };
    let version = live_version(&live.raw("show version"));
    let help = live.raw("help");
    let book = ReplayBook::new(version, &[live_fixture(1, version, "help".into(), &help)]);
    // `help` alone: every keyword, sorted as HAProxy sorts them.
    assert_eq!(
        String::from_utf8_lossy(&book.help_reply(&[])),
        help,
        "the emulator's help differs from HAProxy {version}'s"
    );
    let (mut compared, mut differences) = (0, Vec::new());
    for line in unknown_lines(&help) {
        let parsed = parse_line(line.as_bytes(), version);
        if book.knows(&parsed.commands[0].words) {
            continue; // a typo that is another command (`show errors` → `show error` is not)
        }
        let words = &parsed.commands[0].words;
        // The command itself, and `help` followed by it (same selection, help's header).
        for (sent, ours) in [
            (line.clone(), book.unknown_command_reply(words)),
            (format!("help {line}"), book.help_reply(words)),
        ] {
            let theirs = live.raw(&sent);
            let ours = String::from_utf8_lossy(&ours).into_owned();
            compared += 1;
            if theirs != ours {
                differences.push((sent, format!("--- HAProxy\n{theirs}--- emulator\n{ours}")));
            }
        }
    }
    eprintln!(
        "unknown commands, HAProxy {version}: {compared} compared, {} differences",
        differences.len()
    );
    assert!(
        compared > 400,
        "only {compared} unknown commands were tried"
    );
    assert!(
        differences.is_empty(),
        "{} of {compared} unknown commands answered differently: {:?}\nthe first:\n{}",
        differences.len(),
        differences.iter().map(|d| &d.0).collect::<Vec<_>>(),
        differences[0].1
    );
}
