//! The toolsets: groups of tools switched on or off as a whole (a leaf module, so settings can
//! name them without depending on the tools themselves).

/// A group of tools that can be switched on or off as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toolset {
    /// Statistics and process information (show_info, show_stat, health_summary, …).
    Stats,
    /// Topology discovery (frontends, backends, servers, maps, ACLs, tables).
    Topology,
    /// Traffic control: servers (add/delete/drain/weight), runtime backends, frontends and
    /// process-wide limits.
    Servers,
    /// Session control (list, inspect, shut down).
    Sessions,
    /// Maps and ACLs (entries, lookups, edits, atomic replace).
    Maps,
    /// Stick tables (dump, set, clear).
    Tables,
    /// Health checks and agents.
    Health,
    /// Everything else (errors, echo, help, targets, reload).
    Misc,
    /// TLS certificates (inventory and expiry, hot rotation, added and removed certificates).
    Certificates,
}

impl Toolset {
    /// Every toolset, in catalogue order.
    pub const ALL: [Toolset; 9] = [
        Self::Stats,
        Self::Topology,
        Self::Servers,
        Self::Sessions,
        Self::Maps,
        Self::Tables,
        Self::Health,
        Self::Misc,
        Self::Certificates,
    ];

    /// The toolset's name, as used in flags and configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stats => "stats",
            Self::Topology => "topology",
            Self::Servers => "servers",
            Self::Sessions => "sessions",
            Self::Maps => "maps",
            Self::Tables => "tables",
            Self::Health => "health",
            Self::Misc => "misc",
            Self::Certificates => "certificates",
        }
    }
}
