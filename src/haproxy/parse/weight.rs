//! `get weight <b>/<s>`: `15 (initial 10)`.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// A server's current and configured weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weight {
    /// The weight in effect now.
    pub current: u32,
    /// The weight from the configuration.
    pub initial: u32,
}

/// Parses `get weight` output, `<current> (initial <initial>)`.
pub fn parse(text: &str) -> Result<Weight, ParseError> {
    let (no, line) = numbered_lines(text)
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| ParseError::new(1, "empty reply, expected `N (initial M)`"))?;
    let bad = || ParseError::new(no, format!("expected `N (initial M)`, got {line:?}"));
    let (current, rest) = line.trim().split_once(' ').ok_or_else(bad)?;
    let initial = rest
        .trim()
        .strip_prefix("(initial")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(bad)?;
    Ok(Weight {
        current: current.parse().map_err(|_| bad())?,
        initial: initial.trim().parse().map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weight() {
        assert_eq!(
            parse("15 (initial 10)\n").unwrap(),
            Weight {
                current: 15,
                initial: 10
            }
        );
        assert_eq!(parse("0 (initial 1)").unwrap().current, 0);
    }

    #[test]
    fn rejects_other_text() {
        assert!(parse("").is_err());
        assert!(parse("No such backend.\n").is_err());
        assert!(parse("15 (initial x)\n").is_err());
        assert!(parse("15 initial 10\n").is_err());
        assert!(parse("-1 (initial 10)\n").is_err());
    }
}
