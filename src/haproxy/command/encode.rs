//! The argument encoder: the only code that turns words into the bytes HAProxy reads.
//!
//! HAProxy's CLI tokenizer (identical in 2.6 … 3.2, see `reference/runtime-api.md` §1.3) splits a
//! line into commands on unescaped `;` and LF, into words on runs of blanks, and turns `\x` into
//! `x`. There is no quoting. So each word is encoded by escaping exactly the characters that
//! would change how the line is split, and the characters that cannot be escaped at all are
//! refused:
//!
//! * LF, CR and NUL are refused: `\`+LF escapes the LF so the command never ends, CR is only
//!   stripped right before LF, and NUL ends the C string.
//! * `\`, `;`, space and tab are escaped with a backslash.
//! * `<` is escaped too, so that no line can ever end in `<<` (2.x opens a payload on the raw
//!   line) nor hold a last word starting with `<<` (3.0+ does the same on the raw last word):
//!   a payload is only ever opened by [`Payload`] on purpose.
//! * An empty word cannot be expressed (blanks collapse) and is refused.
//!
//! A line that HAProxy 2.6 cannot take (it hangs, and the stuck session eats one of the ten CLI
//! slots) is refused before anything is sent.

use std::fmt;

/// Longest command line this client sends, payload included, in bytes.
///
/// HAProxy 2.6 hangs on a line past 15 379 bytes (bufsize − maxrewrite, measured); 3.x closes the
/// connection with an error past about 16 000. 15 000 leaves room for a master-CLI prefix.
pub const MAX_LINE_BYTES: usize = 15_000;

/// Most words one command may have (`MAX_CLI_ARGS`): 2.6–3.1 silently drop the rest.
pub const MAX_WORDS: usize = 64;

/// Why a command could not be encoded. Nothing was sent when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A word was empty; HAProxy cannot receive an empty word.
    #[error("word {index} is empty; HAProxy's CLI cannot receive an empty argument")]
    EmptyWord {
        /// 0-based index of the word in the command.
        index: usize,
    },
    /// A word held a character that cannot be sent safely.
    #[error(
        "word {index} contains {what} at byte {position}; line breaks, carriage returns and NUL \
         bytes cannot be sent to HAProxy's CLI, remove them"
    )]
    ForbiddenChar {
        /// 0-based index of the word in the command.
        index: usize,
        /// Byte offset of the character inside the word.
        position: usize,
        /// A name for the character ("a line feed", "a carriage return", "a NUL byte").
        what: &'static str,
    },
    /// The command had more words than HAProxy reads.
    #[error("the command has {count} words; HAProxy reads at most {MAX_WORDS}")]
    TooManyWords {
        /// Number of words in the command.
        count: usize,
    },
    /// The encoded line is longer than HAProxy 2.6 can take.
    #[error(
        "the command is {len} bytes long once encoded; HAProxy 2.6 hangs on lines past about \
         15 KB, so this client sends at most {MAX_LINE_BYTES} bytes: split the change into \
         smaller ones"
    )]
    LineTooLong {
        /// Encoded length in bytes, LF and payload included.
        len: usize,
    },
    /// A payload line was empty or blank; an empty line ends a payload.
    #[error("payload line {line} is empty or blank; an empty line would end the payload early")]
    BlankPayloadLine {
        /// 1-based payload line number.
        line: usize,
    },
    /// A payload line held a line break, carriage return or NUL.
    #[error("payload line {line} contains {what}; it cannot be sent inside a payload")]
    PayloadForbiddenChar {
        /// 1-based payload line number.
        line: usize,
        /// A name for the character.
        what: &'static str,
    },
}

/// The name of a character that can never be sent, if `c` is one.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        '\n' => Some("a line feed"),
        '\r' => Some("a carriage return"),
        '\0' => Some("a NUL byte"),
        _ => None,
    }
}

/// Appends `word`, escaped for HAProxy's tokenizer, to `out`.
pub fn encode_word(index: usize, word: &str, out: &mut String) -> Result<(), EncodeError> {
    if word.is_empty() {
        return Err(EncodeError::EmptyWord { index });
    }
    for (position, c) in word.char_indices() {
        if let Some(what) = forbidden(c) {
            return Err(EncodeError::ForbiddenChar {
                index,
                position,
                what,
            });
        }
        if matches!(c, '\\' | ';' | ' ' | '\t' | '<') {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(())
}

/// Raw payload lines sent after a command that ends in `<<` (e.g. `add map … <<`).
///
/// Payload lines are not tokenized by HAProxy: no escaping applies, `;` and `\` are literal. They
/// end at the first empty line, so blank lines are refused.
///
/// A payload may hold a private key (`set ssl cert`), so its `Debug` form shows only its size.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    lines: Vec<String>,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Payload({} lines, {} bytes)",
            self.lines.len(),
            self.encoded_len()
        )
    }
}

impl Payload {
    /// Checks every line and builds a payload.
    pub fn new(lines: Vec<String>) -> Result<Self, EncodeError> {
        for (i, line) in lines.iter().enumerate() {
            if line.trim_matches([' ', '\t']).is_empty() {
                return Err(EncodeError::BlankPayloadLine { line: i + 1 });
            }
            if let Some(what) = line.chars().find_map(forbidden) {
                return Err(EncodeError::PayloadForbiddenChar { line: i + 1, what });
            }
        }
        Ok(Self { lines })
    }

    /// The payload lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Bytes the payload adds to a command line: each line and its LF, plus the empty line.
    pub fn encoded_len(&self) -> usize {
        self.lines.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }
}

/// Encodes a whole command: its words, escaped, then ` <<` and the payload if there is one, and
/// the final LF. Every limit is checked before a byte is produced.
pub fn encode_command(words: &[String], payload: Option<&Payload>) -> Result<Vec<u8>, EncodeError> {
    if words.len() + usize::from(payload.is_some()) > MAX_WORDS {
        return Err(EncodeError::TooManyWords {
            count: words.len() + usize::from(payload.is_some()),
        });
    }
    let mut line = String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 4);
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            line.push(' ');
        }
        encode_word(index, word, &mut line)?;
    }
    if let Some(payload) = payload {
        // The only place `<<` is ever written unescaped: as its own last word.
        line.push_str(" <<\n");
        for l in payload.lines() {
            line.push_str(l);
            line.push('\n');
        }
    }
    line.push('\n');
    if line.len() > MAX_LINE_BYTES {
        return Err(EncodeError::LineTooLong { len: line.len() });
    }
    Ok(line.into_bytes())
}

/// Words joined by spaces, unescaped: how a command is named in logs and error messages.
pub struct DisplayWords<'a>(pub &'a [String]);

impl fmt::Display for DisplayWords<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(w)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_words_pass_through() {
        let line = encode_command(&words(&["show", "servers", "state", "be_app"]), None).unwrap();
        assert_eq!(line, b"show servers state be_app\n");
    }

    #[test]
    fn separators_and_payload_openers_are_escaped() {
        let line = encode_command(&words(&["add", "map", "#4", "k", "a b;c\\d<<"]), None).unwrap();
        assert_eq!(line, b"add map #4 k a\\ b\\;c\\\\d\\<\\<\n".to_vec());
        let tab = encode_command(&words(&["x", "a\tb"]), None).unwrap();
        assert_eq!(tab, b"x a\\\tb\n".to_vec());
    }

    #[test]
    fn unsendable_characters_are_refused_with_their_place() {
        for (bad, what) in [
            ("a\nb", "a line feed"),
            ("a\rb", "a carriage return"),
            ("a\0b", "a NUL byte"),
        ] {
            let err = encode_command(&words(&["set", bad]), None).unwrap_err();
            assert_eq!(
                err,
                EncodeError::ForbiddenChar {
                    index: 1,
                    position: 1,
                    what
                }
            );
        }
    }

    #[test]
    fn empty_words_and_too_many_words_are_refused() {
        assert_eq!(
            encode_command(&words(&["show", ""]), None).unwrap_err(),
            EncodeError::EmptyWord { index: 1 }
        );
        let many: Vec<String> = (0..65).map(|i| format!("w{i}")).collect();
        assert_eq!(
            encode_command(&many, None).unwrap_err(),
            EncodeError::TooManyWords { count: 65 }
        );
    }

    #[test]
    fn long_lines_are_refused_before_sending() {
        let long = "x".repeat(MAX_LINE_BYTES);
        let err = encode_command(&words(&["add", "map", "#1", "k", &long]), None).unwrap_err();
        assert!(matches!(err, EncodeError::LineTooLong { len } if len > MAX_LINE_BYTES));
    }

    #[test]
    fn payload_is_framed_explicitly() {
        let payload = Payload::new(words(&["k1 v1", "k2 value with spaces;\\"])).unwrap();
        let line = encode_command(&words(&["add", "map", "@1", "#4"]), Some(&payload)).unwrap();
        assert_eq!(
            line,
            b"add map @1 #4 <<\nk1 v1\nk2 value with spaces;\\\n\n".to_vec()
        );
    }

    #[test]
    fn blank_or_broken_payload_lines_are_refused() {
        assert_eq!(
            Payload::new(words(&["k v", " \t"])).unwrap_err(),
            EncodeError::BlankPayloadLine { line: 2 }
        );
        assert_eq!(
            Payload::new(words(&["k v\r"])).unwrap_err(),
            EncodeError::PayloadForbiddenChar {
                line: 1,
                what: "a carriage return"
            }
        );
    }
}
