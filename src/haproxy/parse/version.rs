//! `show version`: one line holding the version string.

use super::{ParseError, numbered_lines};

/// Parses `show version` output into the trimmed version string, e.g. `2.6.12-1+deb12u4`.
pub fn parse(text: &str) -> Result<String, ParseError> {
    let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
    let (_, line) = lines
        .next()
        .ok_or_else(|| ParseError::new(1, "empty reply, expected a version"))?;
    if let Some((no, _)) = lines.next() {
        return Err(ParseError::new(
            no,
            "unexpected extra line after the version",
        ));
    }
    Ok(line.trim().to_owned())
}

/// Extracts `(major, minor)` from a version string: `"2.6.12-1+deb12u4"` gives `(2, 6)`,
/// `"3.2.0"` gives `(3, 2)`, `"3.3-dev5"` gives `(3, 3)`.
pub fn parse_release(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (major, rest) = s.split_once('.')?;
    let minor_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let minor = rest.get(..minor_len)?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_line() {
        assert_eq!(parse("2.6.12-1+deb12u4\n").unwrap(), "2.6.12-1+deb12u4");
        assert_eq!(parse(" 3.2.0 ").unwrap(), "3.2.0");
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("a\nb\n").unwrap_err().line, 2);
    }

    #[test]
    fn release_numbers() {
        assert_eq!(parse_release("2.6.12-1+deb12u4"), Some((2, 6)));
        assert_eq!(parse_release("3.2.0"), Some((3, 2)));
        assert_eq!(parse_release("3.3-dev5"), Some((3, 3)));
        assert_eq!(parse_release("2.8"), Some((2, 8)));
        assert_eq!(parse_release("3.10.1"), Some((3, 10)));
        assert_eq!(parse_release("abc"), None);
        assert_eq!(parse_release("2."), None);
        assert_eq!(parse_release(".5"), None);
        assert_eq!(parse_release(""), None);
    }
}
