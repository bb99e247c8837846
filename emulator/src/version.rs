//! The HAProxy version a fixture folder was recorded from, and the protocol behaviours that
//! depend on it (runtime-api.md §6.4).

use std::fmt;

/// A HAProxy release number, as read from the first line of `haproxy -v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major number (the `3` of 3.2.1).
    pub major: u32,
    /// Minor number (the `2` of 3.2.1).
    pub minor: u32,
    /// Patch number (the `1` of 3.2.1); 0 when absent (development versions).
    pub patch: u32,
}

impl Version {
    /// Builds a version from its numbers.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/`, a bare
    /// `2.6.12-1+deb12u4` (the `show version` reply) or `3.2`. Returns `None` when no
    /// `X.Y` number can be found.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let candidate = match text.find("version ") {
            Some(pos) => &text[pos + "version ".len()..],
            None => text,
        };
        let token = candidate.split_whitespace().next()?;
        let mut numbers = token
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|part| part.parse::<u32>().ok());
        let major = numbers.next()??;
        let minor = numbers.next()??;
        let patch = numbers.next().flatten().unwrap_or(0);
        Some(Version::new(major, minor, patch))
    }

    /// The entry of `table` (keyed by release, oldest first) for this version: its own
    /// release's, else the closest earlier one's, else the oldest.
    pub fn pick<'a, T>(&self, table: &'a [((u32, u32), T)]) -> Option<&'a T> {
        table
            .iter()
            .rev()
            .find(|((major, minor), _)| Version::new(*major, *minor, 0) <= *self)
            .or(table.first())
            .map(|(_, entry)| entry)
    }

    /// 2.7+ names the unknown word in the unknown-command header (`Unknown command: 'x'. …`).
    pub fn names_unknown_word(&self) -> bool {
        *self >= Version::new(2, 7, 0)
    }

    /// 2.8+ ignores an empty command; 2.6 answers it with the full usage list.
    pub fn ignores_empty_command(&self) -> bool {
        *self >= Version::new(2, 8, 0)
    }

    /// 3.0+ processes only the first line in non-interactive mode; 2.x keeps executing the
    /// complete lines already buffered.
    pub fn first_line_only(&self) -> bool {
        self.major >= 3
    }

    /// 3.0+ accepts a custom payload terminator `<<PATTERN` (at most 7 characters).
    pub fn custom_payload_terminator(&self) -> bool {
        self.major >= 3
    }

    /// 3.2 keeps a CR before LF on payload lines; earlier versions strip it.
    pub fn keeps_cr_in_payload(&self) -> bool {
        *self >= Version::new(3, 2, 0)
    }

    /// 3.2 ends a command at a NUL or a CR as at `;` (`show version\0 junk` runs ` junk` too; a
    /// CR before the LF adds an empty command); 2.6 and 3.0 drop a CR before the LF and
    /// everything from a NUL on (checked on 2.6, 3.0, 3.2 and 3.4 containers).
    pub fn splits_at_nul_and_cr(&self) -> bool {
        *self >= Version::new(3, 2, 0)
    }

    /// 3.2 refuses more than 64 words; earlier versions drop the extra words silently.
    pub fn rejects_too_many_args(&self) -> bool {
        *self >= Version::new(3, 2, 0)
    }

    /// 3.2 prints only `"\n"` between the commands of one line in prompt mode, and the prompt
    /// after the last one; 2.6–3.1 print the prompt after each command.
    pub fn prompt_after_last_command_only(&self) -> bool {
        *self >= Version::new(3, 2, 0)
    }

    /// `prompt timed` exists from 2.8.
    pub fn has_timed_prompt(&self) -> bool {
        *self >= Version::new(2, 8, 0)
    }

    /// 3.2 takes `prompt [n|i|p|timed]*` arguments.
    pub fn has_prompt_modes(&self) -> bool {
        *self >= Version::new(3, 2, 0)
    }

    /// What an over-long command line gets: `None` on 2.x (no reply, the session hangs), the
    /// error message on 3.x (then the connection closes). 3.4 quotes `'tune.bufsize'` (probed
    /// on haproxy-local:3.4, HAProxy 3.4.7, with a 20 000-byte line).
    pub fn too_big_message(&self) -> Option<&'static str> {
        if self.major < 3 {
            None
        } else if *self < Version::new(3, 2, 0) {
            Some(
                "The command is too big for the buffer size. Please change tune.bufsize in the configuration to use a bigger command.\n",
            )
        } else if *self < Version::new(3, 4, 0) {
            Some(
                "The command line is too big for the buffer size. Please change tune.bufsize in the configuration to use a bigger command.\n",
            )
        } else {
            Some(
                "The command line is too big for the buffer size. Please change 'tune.bufsize' in the configuration to use a bigger command.\n",
            )
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_haproxy_v_lines() {
        assert_eq!(
            Version::parse("HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/"),
            Some(Version::new(2, 6, 12))
        );
        assert_eq!(
            Version::parse("HAProxy version 3.2.7-1 2025/10/01"),
            Some(Version::new(3, 2, 7))
        );
        assert_eq!(Version::parse("3.0"), Some(Version::new(3, 0, 0)));
        assert_eq!(Version::parse("3.3-dev5"), Some(Version::new(3, 3, 0)));
        assert_eq!(Version::parse("nothing here"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn behaviour_flags() {
        let v26 = Version::new(2, 6, 12);
        let v32 = Version::new(3, 2, 0);
        assert!(!v26.names_unknown_word() && v32.names_unknown_word());
        assert!(!v26.first_line_only() && v32.first_line_only());
        assert!(v26.too_big_message().is_none());
        assert!(
            v32.too_big_message()
                .unwrap()
                .starts_with("The command line")
        );
        assert!(
            Version::new(3, 4, 7)
                .too_big_message()
                .unwrap()
                .contains("change 'tune.bufsize' in")
        );
        assert!(
            v32.too_big_message()
                .unwrap()
                .contains("change tune.bufsize in")
        );
    }
}
