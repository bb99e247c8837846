//! Target groups: sets of HAProxy targets discovered at run time rather than listed once. A group
//! reads its members from a file the operator (or a tool such as a ConfigMap, consul-template or
//! Ansible) keeps up to date; the server re-reads it when it changes and on SIGHUP
//! (`crate::discovery`). The file only ever names targets: a caller selects among them, it can
//! never add a host or a socket.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::targets::{check_labels, file_target};
use super::{ConfigError, ConfigFile, TargetConfig, TargetFile, bad};
use crate::haproxy::ClientOptions;

/// How often a group's file is looked at by default.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2);

/// A `[[target_groups]]` entry of the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupFile {
    /// The group's name (`group:<name>` selects its targets).
    pub name: String,
    /// The file listing the group's targets (`[[targets]]`, the keys of the main file's).
    pub file: Option<PathBuf>,
    /// Or a DNS SRV name whose records are the targets' stats sockets over TCP
    /// (`_haproxy._tcp.edge.example.internal`).
    pub srv: Option<String>,
    /// The DNS server the SRV name is asked of (`ip` or `ip:port`; default: /etc/resolv.conf's).
    pub dns_server: Option<String>,
    /// Labels every target of the group carries (a target's own labels win).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Refuse changes on every target of the group.
    #[serde(default)]
    pub read_only: bool,
    /// How often the file is checked for changes, and how soon a failed DNS lookup is
    /// retried, in seconds (default 2; DNS records are otherwise re-read when their TTL ends).
    pub refresh_secs: Option<u64>,
}

/// Where a group's targets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSource {
    /// A TOML file with `[[targets]]`, re-read when it changes.
    File(PathBuf),
    /// DNS SRV records (each a stats socket over TCP: target host and port), re-read when their
    /// TTL ends.
    Srv {
        /// The SRV name.
        name: String,
        /// The DNS server asked (None: the system's).
        server: Option<SocketAddr>,
    },
}

impl std::fmt::Display for GroupSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Srv { name, server: None } => write!(f, "DNS SRV {name}"),
            Self::Srv {
                name,
                server: Some(at),
            } => write!(f, "DNS SRV {name} (via {at})"),
        }
    }
}

/// One validated target group.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// Its name.
    pub name: String,
    /// Where its members are listed.
    pub source: GroupSource,
    /// Labels of every member.
    pub labels: BTreeMap<String, String>,
    /// Every member refuses changes.
    pub read_only: bool,
    /// How often the source is checked.
    pub refresh: Duration,
}

impl GroupConfig {
    /// Makes `target` a member: read-only when the group is, carrying the group's labels under
    /// its own (a member's own label wins). Every source's members go through here.
    pub fn adopt(&self, target: &mut TargetConfig) {
        target.options.read_only |= self.read_only;
        let mut labels = self.labels.clone();
        labels.extend(std::mem::take(&mut target.labels));
        target.labels = labels;
    }
}

/// The groups of the TOML file, checked. Member names are checked against the other targets'
/// when a file is read (`crate::mcp::targets`), since members change at run time.
pub(super) fn resolve(
    file: &ConfigFile,
    file_name: &str,
    emulated: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<GroupConfig>, ConfigError> {
    if emulated {
        if !file.target_groups.is_empty() {
            warnings.push(format!(
                "the target_groups of {file_name} are not used: the emulator (--emulator) is the only target"
            ));
        }
        return Ok(Vec::new());
    }
    let mut groups: Vec<GroupConfig> = Vec::new();
    for (i, g) in file.target_groups.iter().enumerate() {
        let key = |k: &str| format!("target_groups[{i}].{k} in {file_name}");
        if !super::targets::valid_name(&g.name) {
            return Err(bad(
                &key("name"),
                format!(
                    "{:?}: a group name must be non-empty and use letters, digits, '-', '_' or '.'",
                    g.name
                ),
                "rename the group",
            ));
        }
        if groups.iter().any(|o| o.name == g.name) {
            return Err(bad(
                &key("name"),
                format!("the name {:?} is used by an earlier group too", g.name),
                "give every group its own name",
            ));
        }
        let source = match (&g.file, &g.srv) {
            (Some(file), None) if !file.as_os_str().is_empty() => {
                if g.dns_server.is_some() {
                    return Err(bad(
                        &key("dns_server"),
                        "set for a group read from a file",
                        "remove it, or read the group from DNS with srv",
                    ));
                }
                GroupSource::File(file.clone())
            }
            (None, Some(name)) if valid_dns_name(name) => GroupSource::Srv {
                name: name.clone(),
                server: g
                    .dns_server
                    .as_deref()
                    .map(|s| dns_server(s, &key("dns_server")))
                    .transpose()?,
            },
            (None, Some(name)) => {
                return Err(bad(
                    &key("srv"),
                    format!("{name:?} is not a DNS name"),
                    "give the SRV name, e.g. _haproxy._tcp.edge.example.internal",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(bad(
                    &key("file/srv"),
                    "both are set",
                    "read the group from a file or from DNS SRV records, not both",
                ));
            }
            _ => {
                return Err(bad(
                    &key("file/srv"),
                    "missing or empty",
                    "give the file listing the group's targets, or the DNS SRV name that lists them",
                ));
            }
        };
        check_labels(&g.labels, &key("labels"))?;
        let refresh = match g.refresh_secs {
            None => DEFAULT_REFRESH,
            Some(s @ 1..=3600) => Duration::from_secs(s),
            Some(s) => {
                return Err(bad(
                    &key("refresh_secs"),
                    format!("{s} is outside 1–3600"),
                    "give how often the file is checked, in seconds (default 2)",
                ));
            }
        };
        groups.push(GroupConfig {
            name: g.name.clone(),
            source,
            labels: g.labels.clone(),
            read_only: g.read_only,
            refresh,
        });
    }
    Ok(groups)
}

/// Letters, digits, '-', '_' and dots, at most 253 characters: what an SRV name is made of.
fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `ip` or `ip:port` (`[v6]:port`), port 53 by default.
fn dns_server(s: &str, setting: &str) -> Result<SocketAddr, ConfigError> {
    s.parse::<SocketAddr>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .map_err(|_| {
            bad(
                setting,
                format!("{s:?} is not an IP address with an optional port"),
                "give the DNS server as 10.0.0.2 or 10.0.0.2:5353 (names are not resolved)",
            )
        })
}

/// A group's file: `[[targets]]` with the main file's keys (and labels).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    #[serde(default)]
    targets: Vec<TargetFile>,
}

/// Parses the text of `group`'s file into its targets: each one checked as a `[[targets]]` entry
/// of the main file, carrying the group's labels under its own, read-only when the group is.
/// The error names the file, the entry and the key.
pub fn parse_group_file(
    text: &str,
    group: &GroupConfig,
    client: &ClientOptions,
) -> Result<Vec<TargetConfig>, ConfigError> {
    let file_name = format!(
        "the target file of group {:?} ({})",
        group.name, group.source
    );
    let file: GroupFile = toml::from_str(text).map_err(|e| {
        bad(
            &file_name,
            e.to_string().trim_end().to_owned(),
            "list the targets as [[targets]] with name, mode and host/port or socket (docs/configuration.md)",
        )
    })?;
    let mut out: Vec<TargetConfig> = Vec::with_capacity(file.targets.len());
    for (i, t) in file.targets.iter().enumerate() {
        let mut target = file_target(t, i, &file_name, client)?;
        if out.iter().any(|o| o.name == target.name) {
            return Err(bad(
                &format!("targets[{i}].name in {file_name}"),
                format!("the name {:?} is used by an earlier target too", t.name),
                "give every target its own name",
            ));
        }
        group.adopt(&mut target);
        out.push(target);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> GroupConfig {
        GroupConfig {
            name: "edge".into(),
            source: GroupSource::File("/etc/edge.toml".into()),
            labels: BTreeMap::from([("tier".into(), "edge".into()), ("site".into(), "x".into())]),
            read_only: true,
            refresh: DEFAULT_REFRESH,
        }
    }

    #[test]
    fn members_carry_the_group_labels_under_their_own() {
        let text = "[[targets]]\nname = \"e1\"\nmode = \"tcp4\"\nhost = \"10.0.0.1\"\nport = 9999\nlabels = { site = \"par\" }\n";
        let t = parse_group_file(text, &group(), &ClientOptions::default()).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].labels["site"], "par");
        assert_eq!(t[0].labels["tier"], "edge");
        assert!(t[0].options.read_only, "the group is read-only");
    }

    #[test]
    fn bad_entries_name_the_file_and_the_key() {
        let e = parse_group_file(
            "[[targets]]\nname = \"e1\"\nmode = \"tcp4\"\n",
            &group(),
            &ClientOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("targets[0].host/port"), "{e}");
        assert!(e.contains("group \"edge\" (file /etc/edge.toml)"), "{e}");
        let e = parse_group_file(
            "[[targets]]\nname = \"e1\"\nmode = \"unix\"\nsocket = \"/a\"\n[[targets]]\nname = \"e1\"\nmode = \"unix\"\nsocket = \"/b\"\n",
            &group(),
            &ClientOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("used by an earlier target"), "{e}");
        let e = parse_group_file(
            "[[targets]]\nname = \"e1\"\nmode = \"unix\"\nsocket = \"/a\"\nlabels = { \"a b\" = \"c\" }\n",
            &group(),
            &ClientOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("targets[0].labels"), "{e}");
        let e = parse_group_file("targets = 3", &group(), &ClientOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("[[targets]]"), "{e}");
    }

    #[test]
    fn an_empty_file_is_an_empty_group() {
        let t = parse_group_file("", &group(), &ClientOptions::default()).unwrap();
        assert!(t.is_empty());
    }
}
