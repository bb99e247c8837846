//! Caller-provided text made safe for logs and the audit log. A JWT subject, a tool name or an
//! argument can carry newlines (forged log lines), carriage returns, ANSI escape sequences
//! (terminal tricks, hidden text) or invisible Unicode controls (bidirectional overrides, line
//! separators). Every such character is written as a visible escape (`\n`, `\r`, `\t`,
//! `\u{1b}`…), so one record is always one line and reads as what it is.

use std::fmt;

/// Whether `c` must not reach a log as is.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// `text` with every control or invisible formatting character escaped (borrowed when there is
/// none, the usual case).
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Displays a caller-provided string escaped (for `tracing` fields: `caller = %Safe(&name)`).
#[derive(Debug, Clone, Copy)]
pub struct Safe<'a>(pub &'a str);

impl fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invisible_characters_are_escaped() {
        assert_eq!(escape("alice@example.com"), "alice@example.com");
        assert!(matches!(escape("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nINFO forged\r\t\u{1b}[31mred\u{7f}\u{85}\u{202e}x"),
            "a\\nINFO forged\\r\\t\\u{1b}[31mred\\u{7f}\\u{85}\\u{202e}x"
        );
        assert_eq!(Safe("é\u{2028}").to_string(), "é\\u{2028}");
    }
}
