//! The fixture file format: one recorded exchange per file, byte-exact and readable in review.
//!
//! ```text
//! # haproxy-emulator fixture v1
//! # haproxy: HAProxy version 3.2.7-1 2025/10/01 - https://haproxy.org/
//! # config: fixtures/haproxy.cfg sha256:<hex>
//! # captured: 2026-11-25T09:00:00Z
//! # socket: admin
//! # command: add map @1 #4 <<
//! # payload: new.example.com be_app
//! # reply-bytes: 1
//! --- reply
//! <the reply bytes exactly as received, up to EOF>
//! ```
//!
//! The header ends at the line `--- reply`; everything after that line's LF is the raw reply,
//! and the file ends where the reply ends. `# payload:` lines (zero or more, in order) are the
//! payload lines sent after a command that ends with `<<`. Unknown `# key:` lines are kept and
//! ignored, so later versions of the format can add some.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

/// The first line of every fixture file.
pub const MAGIC: &str = "# haproxy-emulator fixture v1";
/// The line that ends the header.
pub const REPLY_MARKER: &str = "--- reply";

/// The access level of the stats socket a command was sent to (or a session has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `level user`.
    User,
    /// `level operator`.
    Operator,
    /// `level admin`.
    Admin,
}

impl Level {
    /// The word used in fixture headers and scenario files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }

    /// Parses `user`, `operator` or `admin`.
    pub fn parse(word: &str) -> Option<Level> {
        match word {
            "user" => Some(Level::User),
            "operator" => Some(Level::Operator),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// Recording order (the `NNNN` of the file name).
    pub seq: u32,
    /// First line of `haproxy -v` of the HAProxy that answered.
    pub haproxy: String,
    /// The configuration it ran: `<path> sha256:<hex>`.
    pub config: String,
    /// When the exchange happened (RFC 3339, UTC).
    pub captured: String,
    /// The level of the socket the command was sent to.
    pub socket: Level,
    /// The command line exactly as sent, without its LF.
    pub command: String,
    /// The payload lines sent after the command line (empty when there was no payload).
    pub payload: Vec<String>,
    /// The reply bytes exactly as received, up to EOF.
    pub reply: Vec<u8>,
}

impl Fixture {
    /// Parses the bytes of a fixture file. The error says what is wrong, without the path.
    pub fn parse(bytes: &[u8], seq: u32) -> Result<Fixture, String> {
        let mut pos = 0;
        let mut next_line = || -> Option<&[u8]> {
            let rest = &bytes[pos..];
            let end = rest.iter().position(|&b| b == b'\n')?;
            pos += end + 1;
            Some(&rest[..end])
        };
        let first = next_line().ok_or("empty file or no header")?;
        if first != MAGIC.as_bytes() {
            return Err(format!("first line is not `{MAGIC}`"));
        }
        let mut haproxy = None;
        let mut config = None;
        let mut captured = None;
        let mut socket = None;
        let mut command = None;
        let mut payload = Vec::new();
        let mut reply_bytes = None;
        loop {
            let line = next_line().ok_or("no `--- reply` line")?;
            if line == REPLY_MARKER.as_bytes() {
                break;
            }
            let line = std::str::from_utf8(line).map_err(|_| "header line is not UTF-8")?;
            let Some(rest) = line.strip_prefix("# ") else {
                return Err(format!("header line does not start with `# `: {line:?}"));
            };
            let (key, value) = match rest.split_once(':') {
                Some((k, v)) => (k, v.strip_prefix(' ').unwrap_or(v)),
                None => return Err(format!("header line has no `key:`: {line:?}")),
            };
            match key {
                "haproxy" => haproxy = Some(value.to_string()),
                "config" => config = Some(value.to_string()),
                "captured" => captured = Some(value.to_string()),
                "socket" => {
                    socket = Some(
                        Level::parse(value.trim())
                            .ok_or_else(|| format!("unknown socket level {value:?}"))?,
                    )
                }
                "command" => command = Some(value.to_string()),
                "payload" => payload.push(value.to_string()),
                "reply-bytes" => {
                    reply_bytes = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .map_err(|_| format!("bad reply-bytes {value:?}"))?,
                    )
                }
                _ => {}
            }
        }
        let reply = bytes[pos..].to_vec();
        if let Some(expected) = reply_bytes
            && expected != reply.len()
        {
            return Err(format!(
                "reply-bytes says {expected} but the reply has {} bytes (was the file edited?)",
                reply.len()
            ));
        }
        Ok(Fixture {
            seq,
            haproxy: haproxy.ok_or("no `# haproxy:` line")?,
            config: config.unwrap_or_default(),
            captured: captured.unwrap_or_default(),
            socket: socket.ok_or("no `# socket:` line")?,
            command: command.ok_or("no `# command:` line")?,
            payload,
            reply,
        })
    }

    /// The bytes of the fixture file.
    pub fn render(&self) -> Vec<u8> {
        let mut header = format!(
            "{MAGIC}\n# haproxy: {}\n# config: {}\n# captured: {}\n# socket: {}\n# command: {}\n",
            self.haproxy, self.config, self.captured, self.socket, self.command
        );
        for line in &self.payload {
            header.push_str("# payload: ");
            header.push_str(line);
            header.push('\n');
        }
        header.push_str(&format!(
            "# reply-bytes: {}\n{REPLY_MARKER}\n",
            self.reply.len()
        ));
        let mut out = header.into_bytes();
        out.extend_from_slice(&self.reply);
        out
    }

    /// The bytes sent on the wire for this exchange: the command line, its LF, and the payload
    /// lines followed by the empty terminating line when there is a payload.
    pub fn request_bytes(&self) -> Vec<u8> {
        request_bytes(&self.command, &self.payload)
    }

    /// `NNNN-<slug>.txt`, the slug made from the socket level and the command.
    pub fn file_name(&self) -> String {
        let mut slug = String::new();
        if self.socket != Level::Admin {
            slug.push_str(self.socket.as_str());
            slug.push('-');
        }
        let mut last_dash = true;
        for c in self.command.chars() {
            if slug.len() >= 60 {
                break;
            }
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
                last_dash = false;
            } else if !last_dash {
                slug.push('-');
                last_dash = true;
            }
        }
        let slug = slug.trim_end_matches('-');
        let slug = if slug.is_empty() { "empty" } else { slug };
        format!("{:04}-{slug}.txt", self.seq)
    }
}

/// The bytes a client sends for `command` with `payload` lines: the line, LF, and when there is
/// a payload its lines and the terminator (an empty line, or the `<<PATTERN` pattern).
pub fn request_bytes(command: &str, payload: &[String]) -> Vec<u8> {
    let mut out = command.as_bytes().to_vec();
    out.push(b'\n');
    if !payload.is_empty() {
        for line in payload {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(payload_terminator(command).as_bytes());
        out.push(b'\n');
    }
    out
}

/// The terminator line of a payload opened by `command`: empty for `<<`, `PATTERN` for
/// `<<PATTERN`.
pub fn payload_terminator(command: &str) -> &str {
    let last = command
        .rsplit([' ', '\t'])
        .next()
        .unwrap_or_default()
        .trim_end();
    last.strip_prefix("<<").unwrap_or("")
}

/// Reads the sequence number from a `NNNN-slug.txt` file name.
pub fn seq_from_file_name(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".txt")?;
    let digits: String = stem.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || !stem[digits.len()..].starts_with('-') {
        return None;
    }
    digits.parse().ok()
}

/// Loads every `NNNN-*.txt` fixture of `dir`, sorted by sequence number.
pub fn load_dir(dir: &Path) -> Result<Vec<Fixture>, Error> {
    let entries = fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let Some(seq) = name.to_str().and_then(seq_from_file_name) else {
            continue;
        };
        found.push((seq, entry.path()));
    }
    found.sort();
    let mut fixtures = Vec::with_capacity(found.len());
    for (seq, path) in found {
        let bytes = fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let fixture = Fixture::parse(&bytes, seq).map_err(|message| Error::Fixture {
            path: path.clone(),
            message,
        })?;
        fixtures.push(fixture);
    }
    if fixtures.is_empty() {
        return Err(Error::NoFixtures(dir.to_path_buf()));
    }
    Ok(fixtures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fixture {
        Fixture {
            seq: 7,
            haproxy: "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/".into(),
            config: "fixtures/haproxy.cfg sha256:00".into(),
            captured: "2026-11-25T09:00:00Z".into(),
            socket: Level::User,
            command: "add map #4 <<".into(),
            payload: vec!["a.example.com be_app".into(), " spaced ".into()],
            reply: b"\xff\nno final newline".to_vec(),
        }
    }

    #[test]
    fn round_trip_is_byte_exact() {
        let f = sample();
        let bytes = f.render();
        let back = Fixture::parse(&bytes, 7).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.render(), bytes);
    }

    #[test]
    fn detects_edits() {
        let mut bytes = sample().render();
        bytes.push(b'\n');
        assert!(
            Fixture::parse(&bytes, 7)
                .unwrap_err()
                .contains("reply-bytes")
        );
        assert!(Fixture::parse(b"hello\n", 1).is_err());
        assert!(Fixture::parse(b"", 1).is_err());
        assert!(Fixture::parse(MAGIC.as_bytes(), 1).is_err());
    }

    #[test]
    fn names_and_requests() {
        let f = sample();
        assert_eq!(f.file_name(), "0007-user-add-map-4.txt");
        assert_eq!(
            f.request_bytes(),
            b"add map #4 <<\na.example.com be_app\n spaced \n\n".to_vec()
        );
        assert_eq!(payload_terminator("add map #4 <<EOF"), "EOF");
        assert_eq!(seq_from_file_name("0012-show-info.txt"), Some(12));
        assert_eq!(seq_from_file_name("README.txt"), None);
        assert_eq!(seq_from_file_name("0012.txt"), None);
    }
}
