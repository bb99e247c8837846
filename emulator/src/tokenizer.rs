//! The CLI tokenizer: how HAProxy cuts a received line into `;`-separated commands and words,
//! and detects a payload (`<<`), per version (runtime-api.md §1.3, §1.5).
//!
//! The same code keys the replay book (a recorded `# command:` line is tokenized exactly as a
//! client's line would be), so `show  info` and `show info` find the same recording.

use crate::version::Version;

/// HAProxy's `MAX_CLI_ARGS`: words beyond this are dropped (or refused on 3.2).
pub const MAX_ARGS: usize = 64;

/// One command of a line: its unescaped words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The words after `\` unescaping, at most [`MAX_ARGS`] of them.
    pub words: Vec<Vec<u8>>,
    /// True when the raw command had more than [`MAX_ARGS`] words.
    pub too_many_args: bool,
}

impl Command {
    /// True for an empty command (an empty line, or nothing between two `;`).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The first word, or an empty slice.
    pub fn word0(&self) -> &[u8] {
        self.words.first().map(Vec::as_slice).unwrap_or(b"")
    }

    /// True when the words are exactly `expected`.
    pub fn is(&self, expected: &[&str]) -> bool {
        self.words.len() == expected.len()
            && self
                .words
                .iter()
                .zip(expected)
                .all(|(w, e)| w.as_slice() == e.as_bytes())
    }

    /// The canonical text of the command: every word re-escaped (`\`, blanks, `;`, LF) and
    /// joined with one space. Two lines that HAProxy reads as the same words give the same key.
    pub fn key(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, word) in self.words.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            for &b in word {
                if matches!(b, b'\\' | b' ' | b'\t' | b';' | b'\n') {
                    out.push(b'\\');
                }
                out.push(b);
            }
        }
        out
    }
}

/// Where a payload ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadEnd {
    /// An empty line (plain `<<`).
    EmptyLine,
    /// A line equal to this pattern (`<<PATTERN`, 3.0+).
    Pattern(Vec<u8>),
}

/// A received command line cut into commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The `;`-separated commands, in order (at least one, possibly empty).
    pub commands: Vec<Command>,
    /// Set when the line opens a payload; the payload belongs to the last command.
    pub payload_end: Option<PayloadEnd>,
}

/// Finds the end of the first complete line in `buf`: the index of the first LF that is not
/// escaped by a backslash. `None` while no complete line has arrived.
pub fn find_line_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'\\' => i += 2,
            b'\n' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Finds the first LF in `buf` (payload lines take no escapes).
pub fn find_raw_line_end(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

/// Strips one CR right before the (already removed) LF.
pub fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses one command line (without its LF; a CR before the LF is stripped here) as `version`
/// reads it.
pub fn parse_line(line: &[u8], version: Version) -> ParsedLine {
    let splits = version.splits_at_nul_and_cr();
    let mut line = if splits { line } else { strip_cr(line) };
    // Before 3.2, NUL ends the line, C-string fashion.
    if !splits && let Some(nul) = line.iter().position(|&b| b == 0) {
        line = &line[..nul];
    }
    let mut payload_end = None;
    if version.custom_payload_terminator() {
        // 3.x: the raw text after the last blank, escapes ignored, `<<` + at most 7 chars.
        let start = line
            .iter()
            .rposition(|&b| b == b' ' || b == b'\t')
            .map(|p| p + 1)
            .unwrap_or(0);
        let last = &line[start..];
        if last.starts_with(b"<<") && last.len() - 2 <= 7 {
            payload_end = Some(if last.len() == 2 {
                PayloadEnd::EmptyLine
            } else {
                PayloadEnd::Pattern(last[2..].to_vec())
            });
            line = &line[..start];
        }
    } else if line.ends_with(b"<<") {
        // 2.x: the raw line ends with `<<`. A standalone `<<` word is consumed; a glued one
        // (`#4<<`) still opens the payload but stays in the word, as on 2.6.
        payload_end = Some(PayloadEnd::EmptyLine);
        let before = &line[..line.len() - 2];
        if before.is_empty() || matches!(before.last(), Some(b' ' | b'\t')) {
            line = before;
        }
    }
    let commands = split_commands(line, splits)
        .into_iter()
        .map(split_words)
        .collect();
    ParsedLine {
        commands,
        payload_end,
    }
}

/// Splits at unescaped `;`, and with `at_nul_and_cr` at NUL and CR too (the escapes stay for
/// [`split_words`]).
fn split_commands(line: &[u8], at_nul_and_cr: bool) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' => i += 2,
            b';' | b'\0' | b'\r' if line[i] == b';' || at_nul_and_cr => {
                out.push(&line[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(&line[start.min(line.len())..]);
    out
}

/// Splits a command into words on runs of blanks and removes the `\` escapes.
fn split_words(cmd: &[u8]) -> Command {
    let mut words = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < cmd.len() {
        let b = cmd[i];
        match b {
            b' ' | b'\t' => {
                if let Some(word) = current.take() {
                    words.push(word);
                }
                i += 1;
            }
            b'\\' => {
                let word = current.get_or_insert_with(Vec::new);
                if let Some(&next) = cmd.get(i + 1) {
                    word.push(next);
                }
                i += 2;
            }
            _ => {
                current.get_or_insert_with(Vec::new).push(b);
                i += 1;
            }
        }
    }
    if let Some(word) = current {
        words.push(word);
    }
    let too_many_args = words.len() > MAX_ARGS;
    words.truncate(MAX_ARGS);
    Command {
        words,
        too_many_args,
    }
}

/// Escapes one word so that [`parse_line`] reads it back unchanged: `\`, blanks, `;` and `<`
/// get a backslash (the scenario and the tests use it to build lines).
pub fn escape_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '\\' | ' ' | '\t' | ';' | '<') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const V26: Version = Version::new(2, 6, 12);
    const V32: Version = Version::new(3, 2, 0);

    fn words(line: &str, v: Version) -> Vec<Vec<String>> {
        parse_line(line.as_bytes(), v)
            .commands
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn words_and_escapes() {
        assert_eq!(words("  show   info \t", V26), vec![vec!["show", "info"]]);
        assert_eq!(
            words(r"add map #4 a\ b\;c\\d", V26),
            vec![vec!["add", "map", "#4", r"a b;c\d"]]
        );
        assert_eq!(
            words("show version;show cli level", V26),
            vec![vec!["show", "version"], vec!["show", "cli", "level"]]
        );
        assert_eq!(words("a;;b", V26).len(), 3);
        assert_eq!(words("", V26), vec![Vec::<String>::new()]);
        assert_eq!(words("show ver\0sion", V26), vec![vec!["show", "ver"]]);
        assert_eq!(words("show info\r", V26), vec![vec!["show", "info"]]);
        assert_eq!(words("trailing\\", V26), vec![vec!["trailing"]]);
    }

    #[test]
    fn from_32_nul_and_cr_end_a_command() {
        // As live 3.2 and 3.4 do: `show version\0 junk` runs ` junk` as well; a CR before the
        // LF leaves an empty command behind. 3.0 drops them, like 2.6.
        assert_eq!(
            words("show version\0 junk", V32),
            vec![vec!["show", "version"], vec!["junk"]]
        );
        assert_eq!(
            words("show version\r", V32),
            vec![vec!["show", "version"], vec![]]
        );
        let v30 = Version::new(3, 0, 11);
        assert_eq!(
            words("show version\0 junk", v30),
            vec![vec!["show", "version"]]
        );
        assert_eq!(words("show version\r", v30), vec![vec!["show", "version"]]);
    }

    #[test]
    fn keys_are_canonical() {
        let a = parse_line(b"show   info  ", V26);
        let b = parse_line(b"show info", V26);
        assert_eq!(a.commands[0].key(), b.commands[0].key());
        let c = parse_line(br"add map #4 a\ b", V26);
        let d = parse_line(b"add map #4 a b", V26);
        assert_ne!(c.commands[0].key(), d.commands[0].key());
        assert_eq!(c.commands[0].key(), br"add map #4 a\ b".to_vec());
    }

    #[test]
    fn payload_detection() {
        let p = parse_line(b"add map #4 <<", V26);
        assert_eq!(p.payload_end, Some(PayloadEnd::EmptyLine));
        assert!(p.commands[0].is(&["add", "map", "#4"]));
        let glued = parse_line(b"add map #4<<", V26);
        assert_eq!(glued.payload_end, Some(PayloadEnd::EmptyLine));
        assert!(glued.commands[0].is(&["add", "map", "#4<<"]));
        assert_eq!(parse_line(b"add map #4 << ", V26).payload_end, None);
        assert_eq!(parse_line(br"add map #4 k a\<\<", V26).payload_end, None);
        // custom terminators are 3.x only
        assert_eq!(parse_line(b"add map #4 <<EOF", V26).payload_end, None);
        let p = parse_line(b"add map #4 <<EOF", V32);
        assert_eq!(p.payload_end, Some(PayloadEnd::Pattern(b"EOF".to_vec())));
        assert!(p.commands[0].is(&["add", "map", "#4"]));
        assert_eq!(parse_line(b"add map #4 <<TOOLONGX", V32).payload_end, None);
    }

    #[test]
    fn arg_limit() {
        let line = vec!["w"; 70].join(" ");
        let p = parse_line(line.as_bytes(), V32);
        assert!(p.commands[0].too_many_args);
        assert_eq!(p.commands[0].words.len(), MAX_ARGS);
    }

    #[test]
    fn line_end_honours_escapes() {
        assert_eq!(find_line_end(b"abc\ndef"), Some(3));
        assert_eq!(find_line_end(b"ab\\\ncd\n"), Some(6));
        assert_eq!(find_line_end(b"abc"), None);
        assert_eq!(find_line_end(b"abc\\"), None);
    }

    #[test]
    fn escape_round_trip() {
        for w in ["plain", "a b", "x;y", r"back\slash", "a<<", "tab\there"] {
            let line = format!("cmd {}", escape_word(w));
            let p = parse_line(line.as_bytes(), V26);
            assert_eq!(p.payload_end, None, "{w}");
            assert_eq!(p.commands[0].words[1], w.as_bytes(), "{w}");
        }
    }
}
