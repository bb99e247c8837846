//! `help` and the usage list that follows `Unknown command…`.
//!
//! Header line(s), then entries printed as `"  %s\n"` of usage strings that are themselves
//! `"<usage padded to 40> : <description>"` (long usages run past the column, e.g.
//! `set severity-output [none|number|string]: …`). Usages contain `:` (`<cert[:line]>`) but
//! not `": "`, so an entry is split at its first `": "`.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// One command of the usage list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelpEntry {
    /// The command syntax, e.g. `show stat [desc|json|no-maint|typed|up]*`.
    pub usage: String,
    /// What it does (empty if the line had no `": "`).
    pub description: String,
}

/// The parsed help text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelpReport {
    /// The unindented lines before the list, e.g. `The following commands are valid at this
    /// level:` or `Unknown command: 'foo', but maybe one of the following ones is a better match:`.
    pub header: String,
    /// The commands, in printed order.
    pub commands: Vec<HelpEntry>,
}

/// Parses `help` output (also an `Unknown command` usage reply).
pub fn parse(text: &str) -> Result<HelpReport, ParseError> {
    let mut header: Vec<&str> = Vec::new();
    let mut commands = Vec::new();
    for (_, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        // Until the first indented line, unindented lines are the header.
        if commands.is_empty() && !line.starts_with(' ') {
            header.push(line.trim_end());
            continue;
        }
        let entry = line.trim();
        let (usage, description) = entry.split_once(": ").unwrap_or((entry, ""));
        commands.push(HelpEntry {
            usage: usage.trim_end().to_owned(),
            description: description.trim().to_owned(),
        });
    }
    if header.is_empty() && commands.is_empty() {
        return Err(ParseError::new(1, "empty reply, expected a command list"));
    }
    Ok(HelpReport {
        header: header.join("\n"),
        commands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_26_capture() {
        // Live 2.6.12 capture (abridged).
        let text = "The following commands are valid at this level:
  add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)
  del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>
  set severity-output [none|number|string]: set presence of severity level in feedback information
  show ssl ca-file [<cafile>[:<index>]]   : display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>
  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
";
        let h = parse(text).unwrap();
        assert_eq!(h.header, "The following commands are valid at this level:");
        assert_eq!(h.commands.len(), 8);
        let e = |i: usize| h.commands.get(i).unwrap();
        assert_eq!(e(0).usage, "add map [@<ver>] <map> <key> <val>");
        assert_eq!(
            e(0).description,
            "add a map entry (payload supported instead of key/val)"
        );
        assert_eq!(e(1).usage, "del ssl crt-list <list> <cert[:line]>");
        assert_eq!(e(2).usage, "set severity-output [none|number|string]");
        assert_eq!(
            e(2).description,
            "set presence of severity level in feedback information"
        );
        assert_eq!(e(3).usage, "show ssl ca-file [<cafile>[:<index>]]");
        assert_eq!(e(4).usage, "show stat [desc|json|no-maint|typed|up]*");
        assert_eq!(e(7).usage, "quit");
        assert_eq!(e(7).description, "disconnect");
    }

    #[test]
    fn unknown_command_and_long_usages() {
        let text = "Unknown command: 'foo', but maybe one of the following ones is a better match:\n  set ssl ocsp-response <resp|payload>       : update a certificate's OCSP Response\n  odd line without separator\n";
        let h = parse(text).unwrap();
        assert!(h.header.starts_with("Unknown command: 'foo'"));
        assert_eq!(
            h.commands.first().unwrap().usage,
            "set ssl ocsp-response <resp|payload>"
        );
        assert_eq!(
            h.commands.get(1).unwrap().usage,
            "odd line without separator"
        );
        assert_eq!(h.commands.get(1).unwrap().description, "");
        assert_eq!(parse("").unwrap_err().line, 1);
    }
}
