//! The replay book: every recorded reply, keyed by (socket level, command), played back in
//! recorded order, the last one again once they are used up; and the version's own
//! unknown-command reply for anything never recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::fixture::{Fixture, Level};
use crate::tokenizer::{self, Command};
use crate::usage::Usage;
use crate::version::Version;

/// What identifies a recording: the level and the canonical keys of the line's commands (one
/// key for a single command; several for a recorded `a;b` line), plus the payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BookKey {
    level: Level,
    commands: Vec<Vec<u8>>,
    payload: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Entry {
    replies: Vec<Arc<[u8]>>,
}

/// The first line of `help`.
const HELP_HEADER: &str = "The following commands are valid at this level:";
/// Used when neither `help` nor `foobar` was recorded.
const MINIMAL_USAGE: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

/// Recorded replies and the cursor of each command.
#[derive(Debug)]
pub struct ReplayBook {
    version: Version,
    entries: HashMap<BookKey, Entry>,
    cursors: Mutex<HashMap<BookKey, usize>>,
    /// The keywords those lines describe, for unknown-command replies.
    keywords: Usage,
}

impl ReplayBook {
    /// Builds the book from fixtures (in recorded order) of one HAProxy `version`.
    pub fn new(version: Version, fixtures: &[Fixture]) -> ReplayBook {
        let mut entries: HashMap<BookKey, Entry> = HashMap::new();
        for fixture in fixtures {
            let key = Self::fixture_key(version, fixture);
            entries
                .entry(key)
                .or_insert_with(|| Entry {
                    replies: Vec::new(),
                })
                .replies
                .push(Arc::from(fixture.reply.as_slice()));
        }
        let first = |words: &[&str]| -> Option<Arc<[u8]>> {
            [Level::Admin, Level::Operator, Level::User]
                .into_iter()
                .find_map(|level| {
                    entries
                        .get(&BookKey {
                            level,
                            commands: vec![words.join(" ").into_bytes()],
                            payload: None,
                        })
                        .and_then(|e| e.replies.first().cloned())
                })
        };
        let help = first(&["help"]);
        let foobar = first(&["foobar"]);
        let usage = usage_from(help.as_deref(), HELP_HEADER.as_bytes())
            .or_else(|| usage_from(foobar.as_deref(), b"Unknown command"))
            .unwrap_or_else(|| MINIMAL_USAGE.as_bytes().to_vec());
        let names_word = match foobar.as_deref() {
            Some(reply) => reply.starts_with(b"Unknown command: '"),
            None => version.names_unknown_word(),
        };
        ReplayBook {
            version,
            entries,
            cursors: Mutex::new(HashMap::new()),
            keywords: Usage::new(&usage, version, names_word),
        }
    }

    fn fixture_key(version: Version, fixture: &Fixture) -> BookKey {
        let parsed = tokenizer::parse_line(fixture.command.as_bytes(), version);
        let payload = parsed
            .payload_end
            .as_ref()
            .map(|_| fixture.payload.join("\n").into_bytes());
        BookKey {
            level: fixture.socket,
            commands: parsed.commands.iter().map(Command::key).collect(),
            payload,
        }
    }

    /// The HAProxy version the book was recorded from.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Number of distinct (level, command) recordings.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The next recorded reply for one command at `level` (with `payload` when the command
    /// carried one), advancing its cursor. Operator level falls back to admin recordings.
    pub fn next_reply(
        &self,
        level: Level,
        command: &Command,
        payload: Option<&[u8]>,
    ) -> Option<Arc<[u8]>> {
        self.next_for(level, vec![command.key()], payload)
    }

    /// The next recorded reply for a whole multi-command line recorded as such (`a;b`).
    pub fn next_line_reply(
        &self,
        level: Level,
        commands: &[Command],
        payload: Option<&[u8]>,
    ) -> Option<Arc<[u8]>> {
        self.next_for(level, commands.iter().map(Command::key).collect(), payload)
    }

    fn next_for(
        &self,
        level: Level,
        commands: Vec<Vec<u8>>,
        payload: Option<&[u8]>,
    ) -> Option<Arc<[u8]>> {
        let levels: &[Level] = match level {
            Level::Operator => &[Level::Operator, Level::Admin],
            Level::Admin => &[Level::Admin],
            Level::User => &[Level::User],
        };
        for &level in levels {
            let key = BookKey {
                level,
                commands: commands.clone(),
                payload: payload.map(<[u8]>::to_vec),
            };
            if let Some(entry) = self.entries.get(&key) {
                let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
                let cursor = cursors.entry(key).or_insert(0);
                let index = (*cursor).min(entry.replies.len() - 1);
                *cursor = cursor.saturating_add(1);
                return Some(entry.replies[index].clone());
            }
        }
        None
    }

    /// The first recorded reply for one command at `level`, without moving any cursor: what
    /// HAProxy answered at the start of the capture.
    pub fn first_reply(
        &self,
        level: Level,
        command: &Command,
        payload: Option<&[u8]>,
    ) -> Option<Arc<[u8]>> {
        let levels: &[Level] = match level {
            Level::Operator => &[Level::Operator, Level::Admin],
            other => &[other][..],
        };
        levels.iter().find_map(|&level| {
            let key = BookKey {
                level,
                commands: vec![command.key()],
                payload: payload.map(<[u8]>::to_vec),
            };
            self.entries.get(&key).map(|e| e.replies[0].clone())
        })
    }

    /// True when this version's usage list has a command starting with `words` (the
    /// keywords' registered words).
    pub fn knows(&self, words: &[Vec<u8>]) -> bool {
        self.keywords.knows(words)
    }

    /// Rewinds every command to its first recorded reply.
    pub fn reset(&self) {
        self.cursors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// This version's reply to a command it does not know (the whole reply, with its
    /// terminating `"\n"`): HAProxy's header (2.7+ names the first word) and the keywords
    /// that best match `words` ([`Usage::unknown_command`]).
    pub fn unknown_command_reply(&self, words: &[Vec<u8>]) -> Vec<u8> {
        self.keywords.unknown_command(words)
    }

    /// This version's reply to `help <words>` (the whole reply, with its terminating `"\n"`;
    /// `words` without `help`).
    pub fn help_reply(&self, words: &[Vec<u8>]) -> Vec<u8> {
        self.keywords.help(words)
    }
}

/// The usage lines of a recorded `help` (or unknown-command) reply: everything after its first
/// line, without the terminating empty line.
fn usage_from(reply: Option<&[u8]>, header: &[u8]) -> Option<Vec<u8>> {
    let reply = reply?;
    if !reply.starts_with(header) {
        return None;
    }
    let start = reply.iter().position(|&b| b == b'\n')? + 1;
    let mut body = &reply[start..];
    if let Some(stripped) = body.strip_suffix(b"\n") {
        body = stripped;
    }
    (!body.is_empty()).then(|| body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::parse_line;

    fn fx(seq: u32, level: Level, command: &str, reply: &str) -> Fixture {
        Fixture {
            seq,
            haproxy: "HAProxy version 2.6.12".into(),
            config: String::new(),
            captured: String::new(),
            socket: level,
            command: command.into(),
            payload: vec![],
            reply: reply.as_bytes().to_vec(),
        }
    }

    fn cmd(line: &str) -> Command {
        parse_line(line.as_bytes(), Version::new(2, 6, 0)).commands[0].clone()
    }

    #[test]
    fn replays_in_order_then_repeats_last() {
        let v = Version::new(2, 6, 12);
        let book = ReplayBook::new(
            v,
            &[
                fx(1, Level::Admin, "get weight be/s", "1\n\n"),
                fx(2, Level::Admin, "get weight  be/s", "2\n\n"),
                fx(3, Level::User, "get weight be/s", "u\n\n"),
            ],
        );
        let next = |l| book.next_reply(l, &cmd("get weight be/s"), None).unwrap();
        assert_eq!(&*next(Level::Admin), b"1\n\n");
        assert_eq!(&*next(Level::User), b"u\n\n");
        assert_eq!(&*next(Level::Admin), b"2\n\n");
        assert_eq!(&*next(Level::Admin), b"2\n\n");
        assert_eq!(&*next(Level::Operator), b"2\n\n");
        book.reset();
        assert_eq!(&*next(Level::Admin), b"1\n\n");
        assert!(book.next_reply(Level::Admin, &cmd("nope"), None).is_none());
    }

    #[test]
    fn unknown_command_per_version() {
        let help = "The following commands are valid at this level:\n  show stat [x]  : a\n  show info  : b\n  help [<command>]  : h\n  quit  : q\n\n";
        let old = ReplayBook::new(Version::new(2, 6, 12), &[fx(1, Level::Admin, "help", help)]);
        assert_eq!(
            old.unknown_command_reply(&[]),
            b"Unknown command. Please enter one of the following commands only:\n  show info  : b\n  show stat [x]  : a\n  help [<command>]  : h\n  quit  : q\n\n"
        );
        let new = ReplayBook::new(Version::new(3, 2, 0), &[fx(1, Level::Admin, "help", help)]);
        assert_eq!(
            new.unknown_command_reply(&[b"show".to_vec(), b"stats".to_vec()]),
            b"Unknown command: 'show', but maybe one of the following ones is a better match:\n  show stat [x]  : a\n  help [<command>]  : h\n  quit  : q\n\n"
        );
        let bare = ReplayBook::new(Version::new(3, 0, 0), &[]);
        assert!(
            bare.unknown_command_reply(&[b"x".to_vec()])
                .ends_with(b"disconnect\n\n")
        );
    }
}
