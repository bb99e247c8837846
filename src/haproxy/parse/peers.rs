//! `show peers [<section>]`: HAProxy's debugging dump of its `peers` sections. A free-form
//! layout, so this reader takes `key=value` words from the lines whose shape it knows and
//! ignores the rest (applet pointers, flags, dictionary caches):
//!
//! ```text
//! 0x55d6…: [06/Dec/2026:05:38:01] id=mesh disabled=0 flags=0x11 resync_timeout=1s task_calls=2
//!   0x55d6…: id=hap2(remote,inactive) addr=127.0.0.1:18102 last_status=CONN last_hdshk=3s
//!         reconnect=1s heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=1 proto_err=0 coll=0
//!         flags=0x0
//!         shared tables:
//!           0x55d6… local_id=1 remote_id=0 flags=0x0 remote_data=0x0
//!               last_acked=0 last_pushed=0 last_get=0 teaching_origin=0 update=0
//!               table:0x55d6… id=mesh/t_rate update=0 localupdate=0 commitupdate=0 refcnt=1
//! ```
//!
//! 3.0+ add `app_state=` and `learn_state=` to the peer line; 3.4 drops `commitupdate=`.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// One `peers` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeersSection {
    /// The section's name.
    pub name: String,
    /// Disabled in the configuration (`disabled`).
    pub disabled: bool,
    /// Its peers, as HAProxy lists them (the local one included).
    pub peers: Vec<Peer>,
}

/// One peer, as this process sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// The peer's name.
    pub name: String,
    /// This process itself (used to hand tables over to a new process on reload).
    pub local: bool,
    /// A session with the peer exists now.
    pub active: bool,
    /// `addr:port`.
    pub address: String,
    /// The session's state (3.0+: `STOPPED`, `STARTING`, `RUNNING`, `STOPPING`).
    pub app_state: Option<String>,
    /// Where learning the peer's tables stands (3.0+, e.g. `NOTASSIGNED`, `FINISHED`).
    pub learn_state: Option<String>,
    /// The last session status: `ESTA` established, `CONN` connecting, `HSHK` handshake, `RETR`
    /// try again, `PROT` protocol error, `VERS` version mismatch, `NAME` bad host name, `UNKN`
    /// unknown peer, `NONE` never tried.
    pub last_status: String,
    /// Time since the last successful handshake (`<NEVER>` if none).
    pub last_handshake: String,
    /// Time until the next connection attempt (`<NEVER>`, `<PAST>`).
    pub reconnect: Option<String>,
    /// Heartbeats received.
    pub rx_heartbeats: Option<u64>,
    /// Heartbeats sent.
    pub tx_heartbeats: Option<u64>,
    /// Times no heartbeat came in time.
    pub missed_heartbeats: Option<u64>,
    /// Connection attempts.
    pub new_connections: Option<u64>,
    /// Protocol errors.
    pub protocol_errors: Option<u64>,
    /// Connection collisions (both sides connecting at once).
    pub collisions: Option<u64>,
    /// The stick tables shared with this peer.
    pub tables: Vec<PeerTable>,
}

impl Peer {
    /// Connected: a session exists and its status is established.
    pub fn connected(&self) -> bool {
        self.active && self.last_status == "ESTA"
    }
}

/// A stick table shared with a peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeerTable {
    /// The table's name (`<peers section>/<table>` for a table declared in the section).
    pub name: String,
    /// The last local update sent to the peer.
    pub last_pushed: Option<u32>,
    /// The last update the peer acknowledged.
    pub last_acked: Option<u32>,
    /// The table's latest local update.
    pub local_update: Option<u32>,
}

impl PeerTable {
    /// Local updates not yet sent to the peer (HAProxy's own test: `last_pushed !=
    /// localupdate`; counters wrap).
    pub fn updates_to_push(&self) -> Option<u32> {
        Some(self.local_update?.wrapping_sub(self.last_pushed?))
    }
}

/// The `key=value` words of a line.
fn pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    line.split_whitespace().filter_map(|w| w.split_once('='))
}

fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    pairs(line).find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn number<T: std::str::FromStr>(line: &str, key: &str) -> Option<T> {
    value(line, key)?.parse().ok()
}

/// Parses `show peers` output.
pub fn parse(text: &str) -> Result<Vec<PeersSection>, ParseError> {
    let mut sections: Vec<PeersSection> = Vec::new();
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            let name = value(line, "id")
                .filter(|_| line.contains(": ["))
                .ok_or_else(|| {
                    ParseError::new(
                        no,
                        format!("expected `<ptr>: [<date>] id=<section> …`, got {line:?}"),
                    )
                })?;
            sections.push(PeersSection {
                name: name.to_owned(),
                disabled: value(line, "disabled").is_some_and(|d| d != "0"),
                peers: Vec::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(ParseError::new(
                no,
                format!("a peer line before any section: {line:?}"),
            ));
        };
        if indent == 2 {
            let peer = peer_line(line).ok_or_else(|| {
                ParseError::new(
                    no,
                    format!("expected `<ptr>: id=<name>(<local|remote>,<state>) …`, got {line:?}"),
                )
            })?;
            section.peers.push(peer);
            continue;
        }
        let Some(peer) = section.peers.last_mut() else {
            continue;
        };
        if trimmed.starts_with("reconnect=") {
            peer.reconnect = value(line, "reconnect").map(str::to_owned);
            peer.tx_heartbeats = number(line, "tx_hbt");
            peer.rx_heartbeats = number(line, "rx_hbt");
            peer.missed_heartbeats = number(line, "no_hbt");
            peer.new_connections = number(line, "new_conn");
            peer.protocol_errors = number(line, "proto_err");
            peer.collisions = number(line, "coll");
        } else if trimmed.starts_with("last_acked=") {
            peer.tables.push(PeerTable {
                last_acked: number(line, "last_acked"),
                last_pushed: number(line, "last_pushed"),
                ..Default::default()
            });
        } else if trimmed.starts_with("table:")
            && let Some(table) = peer.tables.last_mut()
        {
            table.name = value(line, "id").unwrap_or_default().to_owned();
            table.local_update = number(line, "localupdate");
        }
    }
    Ok(sections)
}

/// `<ptr>: id=hap2(remote,inactive) addr=… [app_state=… learn_state=…] last_status=… last_hdshk=…`
fn peer_line(line: &str) -> Option<Peer> {
    let id = value(line, "id")?;
    let (name, rest) = id.split_once('(')?;
    let (side, state) = rest.strip_suffix(')')?.split_once(',')?;
    Some(Peer {
        name: name.to_owned(),
        local: side == "local",
        active: state == "active",
        address: value(line, "addr").unwrap_or_default().to_owned(),
        app_state: value(line, "app_state").map(str::to_owned),
        learn_state: value(line, "learn_state").map(str::to_owned),
        last_status: value(line, "last_status")?.to_owned(),
        last_handshake: value(line, "last_hdshk").unwrap_or_default().to_owned(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V26: &str = "0x55d6d8073cb0: [06/Dec/2026:05:38:01] id=mesh disabled=0 flags=0x11 resync_timeout=1s task_calls=2
  0x55d6d8076e80: id=hap2(remote,inactive) addr=127.0.0.1:18102 last_status=CONN last_hdshk=3s
        reconnect=1s heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=1 proto_err=0 coll=0
        flags=0x0
        shared tables:
          0x55d6d81aa380 local_id=1 remote_id=0 flags=0x0 remote_data=0x0
              last_acked=0 last_pushed=2 last_get=0 teaching_origin=0 update=0
              table:0x55d6d8077f30 id=mesh/t_rate update=5 localupdate=5 commitupdate=0 refcnt=1
        Dictionary cache not dumped (use \"show peers dict\")
  0x55d6d8073e20: id=hap1(local,inactive) addr=127.0.0.1:18101 last_status=NONE last_hdshk=<NEVER>
        reconnect=<NEVER> heartbeat=<NEVER> confirm=0 tx_hbt=0 rx_hbt=0 no_hbt=0 new_conn=0 proto_err=0 coll=0
        flags=0x0
";

    const V34: &str = "0x7f14fe02e000: [19/Feb/1970:17:02:26] id=mesh disabled=0 flags=0x100001 resync_timeout=1s task_calls=2
  0x7f14ff869840: id=hap2(remote,active) addr=127.0.0.1:18102 app_state=RUNNING learn_state=FINISHED last_status=ESTA last_hdshk=3s
        reconnect=1s heartbeat=2s confirm=0 tx_hbt=4 rx_hbt=3 no_hbt=0 new_conn=1 proto_err=0 coll=0
        flags=0x0 appctx:0x1 st0=7 st1=0 task_calls=12 state=EST
        xprt=RAW src=127.0.0.1:4000 addr=127.0.0.1:18102
        shared tables:
          0x7f14ff86bdc0 local_id=1 remote_id=1 flags=0x0 remote_data=0x0
              last_acked=7 last_pushed=7 last_get=0 teaching_origin=0 update=0
              table:0x7f14ff857000 id=mesh/t_rate update=7 localupdate=7 refcnt=1
";

    #[test]
    fn a_26_dump_with_a_peer_connecting() {
        let s = parse(V26).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].name.as_str(), s[0].disabled), ("mesh", false));
        let hap2 = &s[0].peers[0];
        assert_eq!(
            (hap2.name.as_str(), hap2.local, hap2.active),
            ("hap2", false, false)
        );
        assert_eq!(hap2.address, "127.0.0.1:18102");
        assert_eq!(hap2.last_status, "CONN");
        assert!(!hap2.connected());
        assert_eq!(hap2.new_connections, Some(1));
        assert_eq!(hap2.app_state, None);
        assert_eq!(hap2.tables.len(), 1);
        assert_eq!(hap2.tables[0].name, "mesh/t_rate");
        assert_eq!(hap2.tables[0].updates_to_push(), Some(3));
        let hap1 = &s[0].peers[1];
        assert!(hap1.local);
        assert_eq!(hap1.last_handshake, "<NEVER>");
        assert!(hap1.tables.is_empty());
    }

    #[test]
    fn a_34_dump_with_a_connected_peer() {
        let s = parse(V34).unwrap();
        let hap2 = &s[0].peers[0];
        assert!(hap2.connected());
        assert_eq!(hap2.app_state.as_deref(), Some("RUNNING"));
        assert_eq!(hap2.learn_state.as_deref(), Some("FINISHED"));
        assert_eq!((hap2.rx_heartbeats, hap2.tx_heartbeats), (Some(3), Some(4)));
        assert_eq!(hap2.tables[0].updates_to_push(), Some(0));
        // The session's own `addr=` on the xprt line does not replace the peer's.
        assert_eq!(hap2.address, "127.0.0.1:18102");
    }

    #[test]
    fn other_text_is_an_error() {
        assert!(parse("No such peers\n").is_err());
        assert!(parse("  0x1: id=a(remote,active) last_status=ESTA\n").is_err());
        assert_eq!(parse("").unwrap(), vec![]);
    }
}
