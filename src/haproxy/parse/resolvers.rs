//! `show resolvers [<section>]`: per resolvers section, per nameserver, its counters.
//!
//! ```text
//! Resolvers section localdns
//!  nameserver dns1:
//!   sent:        9
//!   snd_error:   0
//!   …
//!   outdated:    0
//! Resolvers section default
//!  nameserver 10.255.255.53:
//! ```
//!
//! The same layout from 2.6 to 3.4; counters are read by name, so one added later is kept in
//! `other_counters` and one removed is simply absent.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// One `resolvers` section (HAProxy always has `default`, made from `/etc/resolv.conf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolversSection {
    /// The section's name.
    pub name: String,
    /// Its nameservers, in configuration order.
    pub nameservers: Vec<Nameserver>,
}

/// One nameserver's counters since HAProxy started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Nameserver {
    /// The nameserver's name (its address when declared by `parse-resolv-conf`).
    pub name: String,
    /// Queries sent.
    pub sent: u64,
    /// Queries that could not be sent (e.g. nothing listening: ICMP unreachable).
    pub send_errors: u64,
    /// Valid answers.
    pub valid: u64,
    /// Valid answers that changed a server's address.
    pub update: u64,
    /// CNAME answers.
    pub cname: u64,
    /// CNAME answers HAProxy could not follow.
    pub cname_error: u64,
    /// Empty answers to an ANY query.
    pub any_err: u64,
    /// NXDOMAIN: the name does not exist.
    pub nx: u64,
    /// Queries with no answer in time.
    pub timeout: u64,
    /// REFUSED answers.
    pub refused: u64,
    /// Other errors.
    pub other: u64,
    /// Answers HAProxy could not parse.
    pub invalid: u64,
    /// Answers larger than accepted_payload_size.
    pub too_big: u64,
    /// Truncated answers.
    pub truncated: u64,
    /// Answers that came after another nameserver's.
    pub outdated: u64,
    /// Counters this parser does not know (a later HAProxy's), by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other_counters: BTreeMap<String, u64>,
}

impl Nameserver {
    /// Answers of any kind received (valid or not, in time or not): everything but the queries
    /// that got none. HAProxy sends every query to each nameserver of the section, takes the
    /// first valid answer and counts later ones as `outdated`.
    pub fn answers(&self) -> u64 {
        self.valid
            + self.nx
            + self.cname
            + self.cname_error
            + self.any_err
            + self.refused
            + self.other
            + self.invalid
            + self.too_big
            + self.truncated
            + self.outdated
    }

    /// Queries that got no usable answer: none at all (not sent, timed out, or silently lost —
    /// 3.x counts no error for a nameserver nothing listens on), or a refusal, an unparsable
    /// answer or another error. NXDOMAIN is an answer about the name, not a fault.
    pub fn failures(&self) -> u64 {
        self.sent.saturating_sub(self.answers()) + self.refused + self.other + self.invalid
    }

    /// Sets the counter named as HAProxy prints it; false for an unknown name.
    fn set(&mut self, name: &str, value: u64) -> bool {
        let slot = match name {
            "sent" => &mut self.sent,
            "snd_error" => &mut self.send_errors,
            "valid" => &mut self.valid,
            "update" => &mut self.update,
            "cname" => &mut self.cname,
            "cname_error" => &mut self.cname_error,
            "any_err" => &mut self.any_err,
            "nx" => &mut self.nx,
            "timeout" => &mut self.timeout,
            "refused" => &mut self.refused,
            "other" => &mut self.other,
            "invalid" => &mut self.invalid,
            "too_big" => &mut self.too_big,
            "truncated" => &mut self.truncated,
            "outdated" => &mut self.outdated,
            _ => return false,
        };
        *slot = value;
        true
    }
}

/// Parses `show resolvers` output.
pub fn parse(text: &str) -> Result<Vec<ResolversSection>, ParseError> {
    let mut sections: Vec<ResolversSection> = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("Resolvers section ") {
            sections.push(ResolversSection {
                name: name.trim().to_owned(),
                nameservers: Vec::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(ParseError::new(
                no,
                format!("expected `Resolvers section <name>`, got {line:?}"),
            ));
        };
        if let Some(ns) = line
            .strip_prefix(" nameserver ")
            .and_then(|l| l.strip_suffix(':'))
        {
            section.nameservers.push(Nameserver {
                name: ns.to_owned(),
                ..Default::default()
            });
            continue;
        }
        let Some(ns) = section.nameservers.last_mut() else {
            return Err(ParseError::new(
                no,
                format!("expected ` nameserver <name>:`, got {line:?}"),
            ));
        };
        let (name, value) = line
            .trim()
            .split_once(':')
            .ok_or_else(|| ParseError::new(no, format!("expected `counter: N`, got {line:?}")))?;
        let value: u64 = value.trim().parse().map_err(|_| {
            ParseError::new(no, format!("counter {name:?} is not a number: {line:?}"))
        })?;
        if !ns.set(name, value) {
            ns.other_counters.insert(name.to_owned(), value);
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "Resolvers section localdns\n nameserver dns1:\n  sent:        9\n  snd_error:   0\n  valid:       6\n  update:      2\n  cname:       0\n  cname_error: 0\n  any_err:     0\n  nx:          0\n  timeout:     0\n  refused:     3\n  other:       0\n  invalid:     0\n  too_big:     0\n  truncated:   0\n  outdated:    0\n nameserver dns2:\n  sent:        6\n  snd_error:   3\n  valid:       0\n  new_one:     4\nResolvers section default\n nameserver 10.255.255.53:\n  sent:        0\n";

    #[test]
    fn sections_nameservers_and_counters() {
        let s = parse(DUMP).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "localdns");
        let dns1 = &s[0].nameservers[0];
        assert_eq!(
            (dns1.sent, dns1.valid, dns1.update, dns1.refused),
            (9, 6, 2, 3)
        );
        assert_eq!((dns1.answers(), dns1.failures()), (9, 3));
        let dns2 = &s[0].nameservers[1];
        assert_eq!((dns2.sent, dns2.send_errors, dns2.failures()), (6, 3, 6));
        assert_eq!(dns2.other_counters.get("new_one"), Some(&4));
        assert_eq!(s[1].nameservers[0].name, "10.255.255.53");
    }

    #[test]
    fn other_text_is_an_error() {
        assert!(parse("Can't find that resolvers section\n").is_err());
        assert!(parse("Resolvers section a\n  sent: 1\n").is_err());
        assert!(parse("Resolvers section a\n nameserver n:\n  sent: x\n").is_err());
        assert_eq!(parse("").unwrap(), vec![]);
    }
}
