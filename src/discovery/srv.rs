//! A target group read from DNS SRV records: each record names a HAProxy stats socket over TCP
//! (its target host and port). The host is resolved by the same DNS server (A, then AAAA), so
//! a name only that server knows works; the members are read again when the records' TTL ends.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use crate::haproxy::Endpoint;

/// The shortest and longest wait before the records are read again, whatever their TTL says.
const TTL_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3600));

/// One member found in DNS: its name (the SRV target host, `-<port>` added when one host
/// serves several) and where its stats socket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SrvMember {
    pub(super) name: String,
    pub(super) endpoint: Endpoint,
}

/// Reads one SRV name.
pub(super) struct SrvReader {
    name: String,
    resolver: TokioResolver,
}

impl SrvReader {
    /// A reader asking `server`, or the system's resolvers (/etc/resolv.conf).
    pub(super) fn new(name: &str, server: Option<SocketAddr>) -> Result<Self, String> {
        let provider = TokioRuntimeProvider::default();
        let builder = match server {
            Some(at) => {
                let mut ns = NameServerConfig::udp_and_tcp(at.ip());
                for c in &mut ns.connections {
                    c.port = at.port();
                }
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    provider,
                )
            }
            None => TokioResolver::builder(provider)
                .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
        };
        let resolver = builder
            .build()
            .map_err(|e| format!("cannot start a DNS resolver: {e}"))?;
        // Absolute: the name is never completed with the system's search domains.
        let name = if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        };
        Ok(Self { name, resolver })
    }

    /// Forgets cached answers (SIGHUP: read DNS again now).
    pub(super) fn forget(&self) {
        self.resolver.clear_cache();
    }

    /// The members and how long the answer holds (the records' TTL, bounded).
    pub(super) async fn read(&self) -> Result<(Vec<SrvMember>, Duration), String> {
        let lookup = self
            .resolver
            .srv_lookup(self.name.as_str())
            .await
            .map_err(|e| format!("DNS SRV lookup of {} failed: {e}", self.name))?;
        let holds = lookup
            .valid_until()
            .saturating_duration_since(Instant::now())
            .clamp(TTL_BOUNDS.0, TTL_BOUNDS.1);
        let mut records: Vec<(String, u16)> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(srv) => Some((
                    srv.target.to_utf8().trim_end_matches('.').to_owned(),
                    srv.port,
                )),
                _ => None,
            })
            .collect();
        records.sort();
        records.dedup();
        let mut members = Vec::with_capacity(records.len());
        for (host, port) in &records {
            let ip = self.address_of(host).await?;
            let shared = records.iter().filter(|(h, _)| h == host).count() > 1;
            let name = if shared {
                format!("{host}-{port}")
            } else {
                host.clone()
            };
            members.push(SrvMember {
                name,
                endpoint: Endpoint::tcp(ip.to_string(), *port),
            });
        }
        Ok((members, holds))
    }

    /// The first address of `host` (an SRV target), from the same DNS server.
    async fn address_of(&self, host: &str) -> Result<IpAddr, String> {
        let found = self
            .resolver
            .lookup_ip(format!("{host}."))
            .await
            .map_err(|e| format!("SRV target {host} of {} has no address: {e}", self.name))?;
        found
            .iter()
            .next()
            .ok_or_else(|| format!("SRV target {host} of {} has no address", self.name))
    }
}
