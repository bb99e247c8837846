//! DNS resolvers and peers: show_resolvers and show_peers. Part of the stats toolset.
//!
//! Both lead with what is wrong (nameservers that do not answer, remote peers not connected,
//! in the words of [`crate::mcp::link_health`], which health_summary shares) and then give
//! each section's figures.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::out;
use crate::haproxy::command::args::SectionName;
use crate::mcp::answer::{Answer, ToolResult};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::link_health::{
    NameserverCondition, peer_problems, peer_status_meaning, resolver_problems,
};

/// Arguments of show_resolvers and show_peers.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SectionArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// Only this section.
    #[serde(default)]
    pub section: Option<String>,
}

/// One nameserver.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NameserverOut {
    /// Its name.
    pub name: String,
    /// Verdict from the counters since start.
    pub condition: NameserverCondition,
    /// Queries sent.
    pub sent: u64,
    /// Valid answers.
    pub valid: u64,
    /// Failed queries: send errors, timeouts, refused, invalid and other errors.
    pub failures: u64,
    /// NXDOMAIN answers (the name does not exist).
    pub nx: u64,
    /// Queries that could not be sent.
    pub send_errors: u64,
    /// Queries not answered in time.
    pub timeouts: u64,
    /// REFUSED answers.
    pub refused: u64,
}

/// One resolvers section.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ResolversOut {
    /// The section (`default` is HAProxy's own, from /etc/resolv.conf).
    pub name: String,
    /// Its nameservers.
    pub nameservers: Vec<NameserverOut>,
}

/// show_resolvers' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShowResolversOut {
    /// What is wrong, one line per nameserver.
    pub problems: Vec<String>,
    /// The sections.
    pub sections: Vec<ResolversOut>,
}

/// A stick table shared with a peer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PeerTableOut {
    /// The table.
    pub name: String,
    /// Local updates not yet sent to this peer.
    pub updates_to_push: Option<u32>,
}

/// One peer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PeerOut {
    /// Its name.
    pub name: String,
    /// This process itself.
    pub local: bool,
    /// A session with it is established.
    pub connected: bool,
    /// `addr:port`.
    pub address: String,
    /// Last session status (`ESTA`, `CONN`, …) and its meaning.
    pub last_status: String,
    /// Time since the last successful handshake (`<NEVER>` if none).
    pub last_handshake: String,
    /// Connection attempts.
    pub connection_attempts: Option<u64>,
    /// Protocol errors.
    pub protocol_errors: Option<u64>,
    /// Tables shared with it.
    pub tables: Vec<PeerTableOut>,
}

/// One peers section.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PeersOut {
    /// The section.
    pub name: String,
    /// Disabled in the configuration.
    pub disabled: bool,
    /// Its peers.
    pub peers: Vec<PeerOut>,
}

/// show_peers' answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShowPeersOut {
    /// What is wrong, one line per remote peer not connected.
    pub problems: Vec<String>,
    /// The sections.
    pub sections: Vec<PeersOut>,
}

/// "All is well" or the problems, after `[target]`.
fn lead(target: &str, what: String, problems: &[String]) -> String {
    if problems.is_empty() {
        format!("[{target}] {what}; no problem.")
    } else {
        format!("[{target}] {what}. Problems: {}.", problems.join("; "))
    }
}

#[tool_router(router = links_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// DNS resolvers and their nameservers.
    #[tool(
        description = "DNS resolvers: per nameserver, queries sent, answers and failures since start; failing ones first.",
        annotations(title = "Show resolvers", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ShowResolversOut>()
    )]
    async fn show_resolvers(
        &self,
        Parameters(args): Parameters<SectionArgs>,
    ) -> ToolResult<ShowResolversOut> {
        let t = &self.target(args.target.as_deref())?;
        let section = args.section.map(SectionName::new).transpose()?;
        let parsed = checked(
            t,
            Subject::Nothing,
            t.client.show_resolvers(section.as_ref()).await,
        )
        .await?;
        let problems = resolver_problems(&parsed);
        let count: usize = parsed.iter().map(|s| s.nameservers.len()).sum();
        let sections = parsed
            .into_iter()
            .map(|s| ResolversOut {
                name: s.name,
                nameservers: s
                    .nameservers
                    .iter()
                    .map(|ns| NameserverOut {
                        name: ns.name.clone(),
                        condition: NameserverCondition::of(ns),
                        sent: ns.sent,
                        valid: ns.valid,
                        failures: ns.failures(),
                        nx: ns.nx,
                        send_errors: ns.send_errors,
                        timeouts: ns.timeout,
                        refused: ns.refused,
                    })
                    .collect(),
            })
            .collect::<Vec<_>>();
        let what = format!(
            "{} resolvers section(s), {count} nameserver(s)",
            sections.len()
        );
        Ok(Answer::new(
            lead(&t.name, what, &problems),
            ShowResolversOut { problems, sections },
        ))
    }

    /// Peers sections: who shares stick tables with this HAProxy.
    #[tool(
        description = "Peers: per peer, session state, last status, connection attempts, updates not yet pushed per table; disconnected first.",
        annotations(title = "Show peers", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ShowPeersOut>()
    )]
    async fn show_peers(
        &self,
        Parameters(args): Parameters<SectionArgs>,
    ) -> ToolResult<ShowPeersOut> {
        let t = &self.target(args.target.as_deref())?;
        let section = args.section.map(SectionName::new).transpose()?;
        let parsed = checked(
            t,
            Subject::Nothing,
            t.client.show_peers(section.as_ref()).await,
        )
        .await?;
        let problems = peer_problems(&parsed);
        let remote: usize = parsed
            .iter()
            .map(|s| s.peers.iter().filter(|p| !p.local).count())
            .sum();
        let connected: usize = parsed
            .iter()
            .map(|s| s.peers.iter().filter(|p| !p.local && p.connected()).count())
            .sum();
        let sections = parsed
            .iter()
            .map(|s| PeersOut {
                name: s.name.clone(),
                disabled: s.disabled,
                peers: s
                    .peers
                    .iter()
                    .map(|p| PeerOut {
                        name: p.name.clone(),
                        local: p.local,
                        connected: p.connected(),
                        address: p.address.clone(),
                        last_status: format!(
                            "{} ({})",
                            p.last_status,
                            peer_status_meaning(&p.last_status)
                        ),
                        last_handshake: p.last_handshake.clone(),
                        connection_attempts: p.new_connections,
                        protocol_errors: p.protocol_errors,
                        tables: p
                            .tables
                            .iter()
                            .map(|tb| PeerTableOut {
                                name: tb.name.clone(),
                                updates_to_push: tb.updates_to_push(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect::<Vec<_>>();
        let what = format!(
            "{} peers section(s), {remote} remote peer(s), {connected} connected",
            sections.len()
        );
        Ok(Answer::new(
            lead(&t.name, what, &problems),
            ShowPeersOut { problems, sections },
        ))
    }
}
