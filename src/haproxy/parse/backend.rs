//! `show backend`: a `# name` header, then one backend name per line.

use super::{ParseError, numbered_lines};

/// Parses `show backend` output into the list of backend names, in HAProxy's order.
///
/// The list includes backend-only sections such as stick-table holders.
pub fn parse(text: &str) -> Result<Vec<String>, ParseError> {
    let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
    let (no, header) = lines
        .next()
        .ok_or_else(|| ParseError::new(1, "empty reply, expected the `# name` header"))?;
    if !header.starts_with('#') {
        return Err(ParseError::new(no, "expected the `# name` header"));
    }
    Ok(lines
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(_, l)| l.trim().to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_26_capture() {
        let names = parse("# name\nbe_app\nbe_api\nbe_static\nbe_tcp\nst_clients\n").unwrap();
        assert_eq!(
            names,
            ["be_app", "be_api", "be_static", "be_tcp", "st_clients"]
        );
    }

    #[test]
    fn header_only_and_errors() {
        assert!(parse("# name\n").unwrap().is_empty());
        assert!(parse("# name").unwrap().is_empty());
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("\nbe_app\n").unwrap_err().line, 2);
    }
}
