//! What is wrong with HAProxy's links to other systems: nameservers of its `resolvers`
//! sections and the peers its stick tables are shared with. Pure functions over the parsed
//! `show resolvers` / `show peers`, used by show_resolvers, show_peers and health_summary so
//! that one problem always reads the same.
//!
//! Resolver counters run since HAProxy started; a nameserver is reported when it has answered
//! none of (at least three) queries, or when at least half of (at least six) got no usable
//! answer.

use serde::Serialize;

use crate::haproxy::parse::{Nameserver, Peer, PeersSection, ResolversSection};

/// A nameserver's condition, from its counters since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameserverCondition {
    /// Sent nothing yet (nothing resolves through it, or the section is unused).
    Unused,
    /// Sent fewer than three queries, none answered yet: too early to tell.
    Waiting,
    /// Answers.
    Ok,
    /// At least half of its queries got no usable answer.
    Unreliable,
    /// Queried, never answered at all.
    Failing,
}

/// Fewer queries than this say nothing yet (a first query may still be on its way).
const MIN_QUERIES: u64 = 3;

impl NameserverCondition {
    /// The condition of `ns`.
    pub fn of(ns: &Nameserver) -> Self {
        if ns.sent == 0 {
            Self::Unused
        } else if ns.answers() == 0 {
            if ns.sent >= MIN_QUERIES {
                Self::Failing
            } else {
                Self::Waiting
            }
        } else if ns.sent >= 2 * MIN_QUERIES && ns.failures() * 2 >= ns.sent {
            Self::Unreliable
        } else {
            Self::Ok
        }
    }
}

/// The failures of `ns` in words: "4 unanswered, 3 send errors, 2 refused".
fn failure_words(ns: &Nameserver) -> String {
    let parts: Vec<String> = [
        (ns.sent.saturating_sub(ns.answers()), "unanswered"),
        (ns.send_errors, "send errors"),
        (ns.timeout, "timeouts"),
        (ns.refused, "refused"),
        (ns.invalid, "invalid answers"),
        (ns.other, "other errors"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    parts.join(", ")
}

/// One line per nameserver that is failing or unreliable.
pub fn resolver_problems(sections: &[ResolversSection]) -> Vec<String> {
    let mut problems = Vec::new();
    for s in sections {
        for ns in &s.nameservers {
            let what = match NameserverCondition::of(ns) {
                NameserverCondition::Failing => "has not answered any query",
                NameserverCondition::Unreliable => "failed at least half of its queries",
                _ => continue,
            };
            problems.push(format!(
                "nameserver {}/{} {what} ({} sent, {} valid; {}) since start",
                s.name,
                ns.name,
                ns.sent,
                ns.valid,
                failure_words(ns)
            ));
        }
    }
    problems
}

/// What a peer session status means.
pub fn peer_status_meaning(status: &str) -> &'static str {
    match status {
        "ESTA" => "established",
        "CONN" => "connecting",
        "HSHK" => "handshake in progress",
        "RETR" => "the peer asked to retry later",
        "PROT" => "protocol error",
        "VERS" => "protocol version mismatch",
        "NAME" => "the peer does not know this process's local peer name",
        "UNKN" => "unknown peer",
        "NONE" => "never connected",
        _ => "unknown status",
    }
}

/// Whether `peer` is a remote peer that should be connected but is not.
pub fn peer_down(section: &PeersSection, peer: &Peer) -> bool {
    !section.disabled && !peer.local && !peer.connected()
}

/// One line per remote peer that is not connected.
pub fn peer_problems(sections: &[PeersSection]) -> Vec<String> {
    let mut problems = Vec::new();
    for s in sections {
        for p in s.peers.iter().filter(|p| peer_down(s, p)) {
            let attempts = p
                .new_connections
                .map_or(String::new(), |n| format!(", {n} connection attempt(s)"));
            problems.push(format!(
                "peer {}/{} ({}) is not connected: {} ({}){attempts}, last handshake {}",
                s.name,
                p.name,
                p.address,
                p.last_status,
                peer_status_meaning(&p.last_status),
                if p.last_handshake == "<NEVER>" {
                    "never".to_owned()
                } else {
                    format!("{} ago", p.last_handshake)
                }
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::parse::{peers, resolvers};

    #[test]
    fn nameservers_by_condition() {
        let s = resolvers::parse(
            "Resolvers section r\n nameserver ok:\n  sent: 9\n  valid: 6\n  refused: 3\n nameserver dead:\n  sent: 6\n  snd_error: 6\n nameserver flaky:\n  sent: 10\n  valid: 4\n  timeout: 6\n nameserver idle:\n  sent: 0\n nameserver silent:\n  sent: 9\n nameserver new:\n  sent: 1\n",
        )
        .unwrap();
        let c: Vec<NameserverCondition> = s[0]
            .nameservers
            .iter()
            .map(NameserverCondition::of)
            .collect();
        assert_eq!(
            c,
            [
                NameserverCondition::Ok,
                NameserverCondition::Failing,
                NameserverCondition::Unreliable,
                NameserverCondition::Unused,
                NameserverCondition::Failing,
                NameserverCondition::Waiting
            ]
        );
        let p = resolver_problems(&s);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0],
            "nameserver r/dead has not answered any query (6 sent, 0 valid; 6 unanswered, 6 send errors) since start"
        );
        assert!(p[1].contains("r/flaky failed at least half") && p[1].contains("6 timeouts"));
        assert!(p[2].contains("r/silent has not answered") && p[2].contains("9 unanswered"));
    }

    #[test]
    fn remote_peers_not_connected_are_problems() {
        let s = peers::parse(
            "0x1: [06/Dec/2026:05:38:01] id=mesh disabled=0 flags=0x11\n  0x2: id=hap2(remote,inactive) addr=127.0.0.1:18102 last_status=CONN last_hdshk=<NEVER>\n        reconnect=1s heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=3 proto_err=0 coll=0\n  0x3: id=hap1(local,inactive) addr=127.0.0.1:18101 last_status=NONE last_hdshk=<NEVER>\n  0x4: id=hap3(remote,active) addr=127.0.0.1:18103 last_status=ESTA last_hdshk=2s\n",
        )
        .unwrap();
        assert_eq!(
            peer_problems(&s),
            [
                "peer mesh/hap2 (127.0.0.1:18102) is not connected: CONN (connecting), 3 connection attempt(s), last handshake never"
            ]
        );
    }
}
