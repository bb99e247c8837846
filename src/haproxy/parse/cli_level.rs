//! `show cli level`: `admin`, `operator` or `user`.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// The access level of a CLI session, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CliLevel {
    /// Read-only access to non-sensitive information.
    User,
    /// Adds sessions, errors, counters clearing and stick-table changes.
    Operator,
    /// Everything.
    Admin,
}

impl CliLevel {
    /// The word HAProxy uses for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

/// Parses `show cli level` output.
pub fn parse(text: &str) -> Result<CliLevel, ParseError> {
    let (no, line) = numbered_lines(text)
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| ParseError::new(1, "empty reply, expected a CLI level"))?;
    match line.trim() {
        "user" => Ok(CliLevel::User),
        "operator" => Ok(CliLevel::Operator),
        "admin" => Ok(CliLevel::Admin),
        other => Err(ParseError::new(no, format!("unknown CLI level {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels() {
        assert_eq!(parse("admin\n").unwrap(), CliLevel::Admin);
        assert_eq!(parse("operator").unwrap(), CliLevel::Operator);
        assert_eq!(parse("user\n\n").unwrap(), CliLevel::User);
        assert!(CliLevel::User < CliLevel::Admin);
        assert_eq!(CliLevel::Operator.as_str(), "operator");
    }

    #[test]
    fn rejects_other_text() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("Permission denied\n").unwrap_err().line, 1);
    }
}
