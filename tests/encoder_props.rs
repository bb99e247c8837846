//! Property tests of the encoder against an oracle: HAProxy's own tokenizer, written from the
//! rules in `reference/runtime-api.md` §1.3–1.5 (identical in `cli.c` from 2.6 to 3.2).
//!
//! For any arguments, an encoded command must be exactly one line that the tokenizer splits
//! back into the same words, and no input may ever open a payload or start a second command.

use haproxy_mcp_server::haproxy::command::args::{self, MapName, ServerRef};
use haproxy_mcp_server::haproxy::command::encode::{MAX_LINE_BYTES, Payload, encode_command};
use haproxy_mcp_server::haproxy::command::{Command, ListKind};
use proptest::prelude::*;

/// One command as HAProxy's tokenizer sees it.
#[derive(Debug, PartialEq)]
struct Parsed {
    words: Vec<Vec<u8>>,
    /// Whether HAProxy 2.x (raw line ends with `<<`) or 3.0+ (raw last word starts with `<<`,
    /// pattern of at most 7 characters) would switch to payload mode after this line.
    opens_payload: bool,
}

/// Splits `input` into commands the way HAProxy does: `\x` -> x, unescaped `;`/LF end a command,
/// runs of blanks separate words, one CR right before LF is stripped. Returns the commands and
/// whatever bytes follow the first LF (which 3.0+ discards and 2.x may run as more commands).
fn tokenize(input: &[u8]) -> (Vec<Parsed>, Vec<u8>) {
    let mut commands = Vec::new();
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut word: Option<Vec<u8>> = None;
    let mut raw_start = 0;
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        match c {
            b'\\' if i + 1 < input.len() => {
                word.get_or_insert_with(Vec::new).push(input[i + 1]);
                i += 2;
                continue;
            }
            b';' | b'\n' => {
                let mut raw = &input[raw_start..i];
                if c == b'\n' && raw.last() == Some(&b'\r') {
                    raw = &raw[..raw.len() - 1];
                    if let Some(w) = word.as_mut().filter(|w| w.last() == Some(&b'\r')) {
                        w.pop();
                    }
                }
                words.extend(word.take().filter(|w| !w.is_empty()));
                commands.push(Parsed {
                    words: std::mem::take(&mut words),
                    opens_payload: opens_payload(raw),
                });
                raw_start = i + 1;
                if c == b'\n' {
                    return (commands, input[i + 1..].to_vec());
                }
            }
            b' ' | b'\t' => words.extend(word.take()),
            _ => word.get_or_insert_with(Vec::new).push(c),
        }
        i += 1;
    }
    words.extend(word.take());
    if !words.is_empty() {
        // An unterminated command: HAProxy would wait for more input (never executed).
        commands.push(Parsed {
            words,
            opens_payload: false,
        });
    }
    (commands, Vec::new())
}

/// The two payload detections: 2.x checks that the raw line ends with `<<`; 3.0+ looks at the raw
/// text after the last blank, ignoring escapes, for `<<` plus an optional pattern of ≤ 7 chars.
fn opens_payload(raw: &[u8]) -> bool {
    let ends_2x = raw.ends_with(b"<<");
    let last_word = raw
        .rsplit(|b| *b == b' ' || *b == b'\t')
        .next()
        .unwrap_or(&[]);
    let starts_3x = last_word.starts_with(b"<<") && last_word.len() - 2 <= 7;
    ends_2x || starts_3x
}

/// Any text, biased towards the characters that matter to the tokenizer.
fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            6 => prop::sample::select(vec![';', '\\', ' ', '\t', '<', '>', '"', '\'', '#', '@', '\n', '\r', '\0', '|', '&', '$']),
            4 => prop::char::range('a', 'z'),
        ],
        0..40,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any words: either refused, or one line that tokenizes back into exactly those words.
    #[test]
    fn any_words_encode_to_exactly_one_command(words in prop::collection::vec(nasty_text(), 1..8)) {
        match encode_command(&words, None) {
            Err(_) => {
                let bad = words.iter().any(|w| w.is_empty() || w.contains(['\n', '\r', '\0']));
                prop_assert!(bad, "refused valid words {:?}", words);
            }
            Ok(line) => {
                prop_assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
                prop_assert_eq!(line.last(), Some(&b'\n'));
                prop_assert!(line.len() <= MAX_LINE_BYTES);
                let (commands, rest) = tokenize(&line);
                prop_assert!(rest.is_empty());
                prop_assert_eq!(commands.len(), 1, "line {:?}", String::from_utf8_lossy(&line));
                prop_assert!(!commands[0].opens_payload, "payload opened by {:?}", words);
                let expected: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
                prop_assert_eq!(&commands[0].words, &expected);
            }
        }
    }

    /// Identifier validation refuses every character the tokenizer treats specially.
    #[test]
    fn identifiers_never_hold_separators(name in nasty_text()) {
        if args::ProxyName::new(name.clone()).is_ok() {
            prop_assert!(!name.contains([';', '\\', ' ', '\t', '<', '\n', '\r', '\0', '/']));
        }
    }

    /// A payload is framed explicitly: the command line ends in ` <<`, then exactly the given
    /// lines, then the empty line that ends it.
    #[test]
    fn payloads_are_framed_exactly(lines in prop::collection::vec(nasty_text(), 0..6)) {
        match Payload::new(lines.clone()) {
            Err(_) => {
                let bad = lines.iter().any(|l| l.trim_matches([' ', '\t']).is_empty() || l.contains(['\n', '\r', '\0']));
                prop_assert!(bad);
            }
            Ok(payload) => {
                let words = vec!["add".to_owned(), "map".to_owned(), "@1".to_owned(), "#4".to_owned()];
                let bytes = encode_command(&words, Some(&payload)).unwrap();
                let (commands, rest) = tokenize(&bytes);
                prop_assert_eq!(commands.len(), 1);
                prop_assert!(commands[0].opens_payload);
                prop_assert_eq!(commands[0].words.last().map(|w| w.as_slice()), Some(&b"<<"[..]));
                let mut expected = Vec::new();
                for l in &lines {
                    expected.extend_from_slice(l.as_bytes());
                    expected.push(b'\n');
                }
                expected.push(b'\n');
                prop_assert_eq!(rest, expected);
            }
        }
    }
}

/// Text for a map key or value: mostly what a caller may send (so most cases reach the encoder),
/// with the characters the tokenizer treats specially and some the validation must refuse.
fn mostly_valid_text() -> impl Strategy<Value = String> {
    let clean = prop_oneof![
        10 => prop::char::range('a', 'z'),
        3 => prop::sample::select(vec!['\\', ' ', '<', '>', '"', '\'', '#', '@', '|', '&', '$', 'é', '→']),
    ];
    let hostile = prop_oneof![
        6 => prop::char::range('a', 'z'),
        2 => prop::sample::select(vec!['\\', ' ', '<', '#']),
        1 => prop::sample::select(vec![';', '\n', '\r', '\t', '\0', '\u{7f}']),
    ];
    prop_oneof![
        8 => prop::collection::vec(clean, 1..24),
        1 => prop::collection::vec(hostile, 0..24),
    ]
    .prop_map(|cs| cs.into_iter().collect())
}

/// The model of what `args::text` accepts, written from its contract rather than its code.
fn text_is_acceptable(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 4096
        && !t.chars().any(char::is_control)
        && !t.contains(';')
        && !t.ends_with('\\')
}

/// The typed constructors, fed text through the client's validation, never yield a second
/// command or a payload, and the words HAProxy's tokenizer reads back are the ones the command
/// means, spelled out here independently of the encoder (not taken from `Command::words`).
/// The test counts the cases that reach the encoder and fails if too few do.
#[test]
fn typed_commands_stay_one_command_with_the_words_they_mean() {
    use proptest::test_runner::{Config, TestRunner};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const CASES: u32 = 1024;
    let encoded = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let map_path = "/etc/haproxy/hosts.map";
    let map = MapName::new(map_path).unwrap();
    let server = ServerRef::new("be_app", "app1").unwrap();
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(CASES)
    });
    runner
        .run(
            &(mostly_valid_text(), mostly_valid_text()),
            |(key, value)| {
                let (k, v) = (
                    args::text("key", &key, 4096),
                    args::text("value", &value, 4096),
                );
                prop_assert_eq!(
                    k.is_ok(),
                    text_is_acceptable(&key),
                    "key {:?}: {:?}",
                    key,
                    k
                );
                prop_assert_eq!(
                    v.is_ok(),
                    text_is_acceptable(&value),
                    "value {:?}: {:?}",
                    value,
                    v
                );
                let (Ok(k), Ok(v)) = (k, v) else {
                    refused.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                };
                let w = |words: &[&str]| -> Vec<Vec<u8>> {
                    words.iter().map(|x| x.as_bytes().to_vec()).collect()
                };
                let cases = [
                    (
                        Command::add_map_entry(&map, &k, &v),
                        w(&["add", "map", map_path, &key, &value]),
                    ),
                    (
                        Command::set_map_entry(&map, &k, &v),
                        w(&["set", "map", map_path, &key, &value]),
                    ),
                    (
                        Command::del_list_entry(ListKind::Acl, &map, &k),
                        w(&["del", "acl", map_path, &key]),
                    ),
                    (
                        Command::get_list(ListKind::Map, &map, &v),
                        w(&["get", "map", map_path, &value]),
                    ),
                    (
                        Command::set_agent_send(&server, &v),
                        w(&["set", "server", "be_app/app1", "agent-send", &value]),
                    ),
                ];
                for (cmd, expected) in cases {
                    let line = cmd.encode().unwrap();
                    let (parsed, rest) = tokenize(&line);
                    prop_assert!(rest.is_empty());
                    prop_assert_eq!(parsed.len(), 1, "line {:?}", String::from_utf8_lossy(&line));
                    prop_assert!(!parsed[0].opens_payload, "payload opened by {:?}", line);
                    prop_assert_eq!(&parsed[0].words, &expected);
                }
                encoded.fetch_add(1, Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
    let (encoded, refused) = (encoded.into_inner(), refused.into_inner());
    eprintln!(
        "typed commands: {encoded} cases encoded and checked, {refused} refused by validation"
    );
    assert_eq!(
        encoded + refused,
        CASES as usize,
        "every case is counted once"
    );
    // Half the cases must reach the encoder, or the test checks far less than it says.
    assert!(
        encoded * 2 >= CASES as usize,
        "only {encoded} of {CASES} cases reached the encoder"
    );
    assert!(
        refused > 0,
        "the strategy never produced text the validation refuses"
    );
}

/// Names that pass identifier validation encode to the command they name.
#[test]
fn valid_names_encode_to_the_words_they_name() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(256)
    });
    runner
        .run(&"[A-Za-z0-9_.:-]{1,32}", |name| {
            let backend = args::ProxyName::new(name.clone()).unwrap();
            let line = Command::show_servers_state(Some(&backend))
                .encode()
                .unwrap();
            let (parsed, _) = tokenize(&line);
            let expected: Vec<Vec<u8>> = ["show", "servers", "state", name.as_str()]
                .iter()
                .map(|x| x.as_bytes().to_vec())
                .collect();
            prop_assert_eq!(&parsed[0].words, &expected);
            let m = MapName::new(format!("/etc/haproxy/{name}.map")).unwrap();
            let line = Command::show_list_entries(ListKind::Map, &m)
                .encode()
                .unwrap();
            let (parsed, _) = tokenize(&line);
            prop_assert_eq!(parsed[0].words.len(), 3);
            prop_assert_eq!(&parsed[0].words[2], &m.as_str().as_bytes().to_vec());
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_oracle_itself_sees_injection_when_unescaped() {
    // Sanity check of the oracle: raw `;` and `<<` really do what the encoder prevents.
    let (cmds, _) = tokenize(b"add map #4 k v;clear map #4\n");
    assert_eq!(cmds.len(), 2);
    let (cmds, _) = tokenize(b"add map #4 k a<<\n");
    assert!(cmds[0].opens_payload);
    let (cmds, _) = tokenize(b"add map #4 k a\\<\\<\n");
    assert!(!cmds[0].opens_payload);
    assert_eq!(cmds[0].words[4], b"a<<");
}
