//! HAProxy's verdicts, typed: whether a server serves, and why not.
//!
//! HAProxy states its verdict on a server in the `status` column of `show stat`
//! (`UP`, `UP 1/3`, `DOWN`, `DOWN (agent)`, `DRAIN`, `MAINT (via be/srv)`, `no check`, …). That
//! text is the truth; [`ServerVerdict::from_status`] reads it. Where only `show servers state`
//! is at hand, [`ServerVerdict::derive`] applies HAProxy's own rules (the stats code's
//! `stats_fill_sv_computestate` and the `SRV_ADMF_*` masks of `server-t.h`) to the columns that
//! report has, and reaches the same condition word. The two agree on every configuration the
//! oracle test generates (`tests/oracle.rs`).
//!
//! Every tool, resource and summary classifies servers through this module, so one server never
//! gets two verdicts.

use serde::Serialize;

use super::servers_state::{OpState, ServerState};

/// `SRV_ADMF_FMAINT`: maintenance forced from the CLI, or by `disabled` in the configuration.
pub const ADMF_FMAINT: u32 = 0x01;
/// `SRV_ADMF_IMAINT`: maintenance inherited from a tracked server.
pub const ADMF_IMAINT: u32 = 0x02;
/// `SRV_ADMF_CMAINT`: the server was `disabled` in the configuration. It stays set after the
/// server is enabled, so on its own it does NOT mean maintenance.
pub const ADMF_CMAINT: u32 = 0x04;
/// `SRV_ADMF_FDRAIN`: drain forced from the CLI (or by an agent answering `drain`).
pub const ADMF_FDRAIN: u32 = 0x08;
/// `SRV_ADMF_IDRAIN`: drain inherited from a tracked server.
pub const ADMF_IDRAIN: u32 = 0x10;
/// `SRV_ADMF_RMAINT`: maintenance because the server's address could not be resolved.
pub const ADMF_RMAINT: u32 = 0x20;
/// `SRV_ADMF_HMAINT`: the FQDN was set from the CLI (not a maintenance state by itself).
pub const ADMF_HMAINT: u32 = 0x40;
/// `SRV_ADMF_MAINT`: the flags that mean "in maintenance" (FMAINT | IMAINT | RMAINT).
pub const ADMF_MAINT: u32 = ADMF_FMAINT | ADMF_IMAINT | ADMF_RMAINT;
/// `SRV_ADMF_DRAIN`: the flags that mean "draining" (FDRAIN | IDRAIN).
pub const ADMF_DRAIN: u32 = ADMF_FDRAIN | ADMF_IDRAIN;

/// A server's condition in one word, as HAProxy's `status` column states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerCondition {
    /// Up and taking traffic (`UP`, `UP n/m` while failing checks, `no check`).
    Up,
    /// Down: checks or its agent say it cannot serve (`DOWN`, `DOWN n/m` while recovering,
    /// `DOWN (agent)`).
    Down,
    /// Draining: takes no new sessions except persistent ones; existing ones finish.
    Drain,
    /// In maintenance: takes no traffic (`MAINT`, `MAINT (via b/s)`, `MAINT (resolution)`).
    Maint,
    /// Soft-stopping (`NOLB`): up but takes no new load-balanced traffic.
    Nolb,
    /// A status this version of the project does not know.
    Unknown,
}

impl ServerCondition {
    /// The word used in summaries (`UP`, `DOWN`, `DRAIN`, `MAINT`, `NOLB`, `UNKNOWN`).
    pub fn word(self) -> &'static str {
        match self {
            Self::Up => "UP",
            Self::Down => "DOWN",
            Self::Drain => "DRAIN",
            Self::Maint => "MAINT",
            Self::Nolb => "NOLB",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether the server takes new load-balanced traffic.
    pub fn in_rotation(self) -> bool {
        self == Self::Up
    }
}

/// Why a server is in its condition, where HAProxy says or its flags show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictCause {
    /// Set from the CLI (or an agent's `drain`/`maint`): `MAINT`, `DRAIN`.
    Admin,
    /// `disabled` in the configuration and not enabled since.
    ConfigDisabled,
    /// Inherited from the server it tracks (`MAINT (via b/s)`; [`ServerVerdict::via`] names it).
    Tracked,
    /// Its address could not be resolved (`MAINT (resolution)`).
    Resolution,
    /// Its agent said so (`DOWN (agent)`, `DRAIN (agent)`).
    Agent,
    /// Its health checks say so (`DOWN`, or `UP n/m` / `DOWN n/m` on the way).
    Check,
    /// Up with no health check at all (`no check`).
    NoCheck,
    /// Its backend is `disabled` in the configuration: HAProxy sends it nothing and gives the
    /// backend and its servers no statistics (they are only in `show servers state`).
    ProxyDisabled,
}

impl VerdictCause {
    /// A few words for summaries: "disabled in the configuration", "via be/srv", ….
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Admin => "set by an operator or agent",
            Self::ConfigDisabled => "disabled in the configuration",
            Self::Tracked => "inherited from the tracked server",
            Self::Resolution => "address not resolved",
            Self::Agent => "agent",
            Self::Check => "health check",
            Self::NoCheck => "no health check",
            Self::ProxyDisabled => "its backend is disabled in the configuration",
        }
    }
}

/// HAProxy's verdict on one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ServerVerdict {
    /// The condition in one word.
    pub condition: ServerCondition,
    /// Why, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<VerdictCause>,
    /// The tracked server it inherits from (`backend/server`), when HAProxy names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// While a transition is under way (`UP 1/3`: failing checks, `DOWN 1/2`: recovering),
    /// HAProxy's `[health, rise+fall]` progress counters as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<[u32; 2]>,
}

impl ServerVerdict {
    fn of(condition: ServerCondition, cause: Option<VerdictCause>) -> Self {
        Self {
            condition,
            cause,
            via: None,
            transition: None,
        }
    }

    /// Reads HAProxy's `status` column of a server row of `show stat`.
    ///
    /// Unknown text yields [`ServerCondition::Unknown`] rather than a guess.
    pub fn from_status(status: &str) -> Self {
        let status = status.trim();
        if status == "no check" {
            return Self::of(ServerCondition::Up, Some(VerdictCause::NoCheck));
        }
        let (word, rest) = status
            .split_once(' ')
            .map_or((status, ""), |(w, r)| (w, r.trim()));
        let condition = match word {
            "UP" => ServerCondition::Up,
            "DOWN" => ServerCondition::Down,
            "DRAIN" => ServerCondition::Drain,
            "MAINT" => ServerCondition::Maint,
            "NOLB" => ServerCondition::Nolb,
            _ => return Self::of(ServerCondition::Unknown, None),
        };
        let mut verdict = Self::of(condition, None);
        if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            verdict.cause = Some(match inner {
                "agent" => VerdictCause::Agent,
                "resolution" => VerdictCause::Resolution,
                other => match other.strip_prefix("via ") {
                    Some(via) => {
                        verdict.via = Some(via.to_owned());
                        VerdictCause::Tracked
                    }
                    None => return verdict,
                },
            });
        } else if let Some((a, b)) = rest.split_once('/') {
            verdict.transition = a.parse().ok().zip(b.parse().ok()).map(|(a, b)| [a, b]);
            verdict.cause = Some(VerdictCause::Check);
        } else if rest.is_empty() {
            verdict.cause = match condition {
                ServerCondition::Maint | ServerCondition::Drain => Some(VerdictCause::Admin),
                _ => None,
            };
        }
        verdict
    }

    /// Derives the verdict from a `show servers state` row with HAProxy's own rules, for when
    /// no `show stat` row is at hand. That report has no rise/fall counters and does not name a
    /// tracked server, so transitions and `via` are not known; the condition is.
    pub fn derive(state: &ServerState) -> Self {
        let admin = state.admin_state.raw;
        let check = state.check_enabled();
        let agent = state.agent_enabled();
        if admin & ADMF_RMAINT != 0 {
            return Self::of(ServerCondition::Maint, Some(VerdictCause::Resolution));
        }
        if admin & ADMF_IMAINT != 0 {
            return Self::of(ServerCondition::Maint, Some(VerdictCause::Tracked));
        }
        if admin & ADMF_FMAINT != 0 {
            let cause = if admin & ADMF_CMAINT != 0 {
                VerdictCause::ConfigDisabled
            } else {
                VerdictCause::Admin
            };
            return Self::of(ServerCondition::Maint, Some(cause));
        }
        match state.op_state {
            OpState::Running | OpState::Starting if admin & ADMF_DRAIN != 0 => {
                let cause = if admin & ADMF_IDRAIN != 0 {
                    VerdictCause::Tracked
                } else if agent {
                    VerdictCause::Agent
                } else {
                    VerdictCause::Admin
                };
                Self::of(ServerCondition::Drain, Some(cause))
            }
            OpState::Running | OpState::Starting => Self::of(
                ServerCondition::Up,
                (!check && !agent).then_some(VerdictCause::NoCheck),
            ),
            OpState::Stopping => Self::of(ServerCondition::Nolb, None),
            OpState::Stopped => Self::of(
                ServerCondition::Down,
                (check || agent).then_some(VerdictCause::Check),
            ),
            OpState::Unknown(_) => Self::of(ServerCondition::Unknown, None),
        }
    }

    /// HAProxy's verdict when a `show stat` status is known, else the derived one, else unknown.
    pub fn best(status: Option<&str>, state: Option<&ServerState>) -> Self {
        match (status, state) {
            (Some(s), _) if !s.is_empty() => Self::from_status(s),
            (_, Some(st)) => Self::derive(st),
            _ => Self::of(ServerCondition::Unknown, None),
        }
    }
}

/// A frontend's status as `show stat` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrontendCondition {
    /// `OPEN`: accepting connections.
    Open,
    /// `FULL`: at its connection limit; new connections wait in the kernel's backlog.
    Full,
    /// `PAUSED` (or `PAUSED` listeners): not accepting for now.
    Paused,
    /// `STOP`: disabled, accepts nothing.
    Stop,
    /// A status this version of the project does not know.
    Unknown,
}

impl FrontendCondition {
    /// Reads the `status` column of a FRONTEND row.
    pub fn from_status(status: &str) -> Self {
        match status.trim() {
            "OPEN" => Self::Open,
            "FULL" => Self::Full,
            "PAUSED" => Self::Paused,
            "STOP" | "STOPPED" => Self::Stop,
            _ => Self::Unknown,
        }
    }

    /// Whether it accepts new connections now.
    pub fn accepting(self) -> bool {
        self == Self::Open
    }
}

/// A backend's status as `show stat` states it: `UP` while it has usable weight (or no
/// servers at all), `DOWN` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackendCondition {
    /// `UP`: at least one server can take traffic.
    Up,
    /// `DOWN`: no server can take traffic.
    Down,
    /// A status this version of the project does not know.
    Unknown,
}

impl BackendCondition {
    /// Reads the `status` column of a BACKEND row.
    pub fn from_status(status: &str) -> Self {
        match status.trim() {
            "UP" => Self::Up,
            "DOWN" => Self::Down,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::parse::servers_state;

    fn cond(s: &str) -> ServerCondition {
        ServerVerdict::from_status(s).condition
    }

    #[test]
    fn every_status_word_of_haproxy() {
        assert_eq!(cond("UP"), ServerCondition::Up);
        assert_eq!(cond("UP 1/3"), ServerCondition::Up);
        assert_eq!(cond("no check"), ServerCondition::Up);
        assert_eq!(cond("DOWN"), ServerCondition::Down);
        assert_eq!(cond("DOWN 1/2"), ServerCondition::Down);
        assert_eq!(cond("DOWN (agent)"), ServerCondition::Down);
        assert_eq!(cond("NOLB"), ServerCondition::Nolb);
        assert_eq!(cond("NOLB 2/3"), ServerCondition::Nolb);
        assert_eq!(cond("DRAIN"), ServerCondition::Drain);
        assert_eq!(cond("DRAIN (agent)"), ServerCondition::Drain);
        assert_eq!(cond("DRAIN 1/3"), ServerCondition::Drain);
        assert_eq!(cond("MAINT"), ServerCondition::Maint);
        assert_eq!(cond("MAINT (via be/s1)"), ServerCondition::Maint);
        assert_eq!(cond("MAINT (resolution)"), ServerCondition::Maint);
        assert_eq!(cond("BOGUS"), ServerCondition::Unknown);
        assert_eq!(cond(""), ServerCondition::Unknown);
    }

    #[test]
    fn causes_and_transitions_are_read() {
        let v = ServerVerdict::from_status("MAINT (via be_a/s1)");
        assert_eq!(v.cause, Some(VerdictCause::Tracked));
        assert_eq!(v.via.as_deref(), Some("be_a/s1"));
        let v = ServerVerdict::from_status("UP 2/3");
        assert_eq!(v.transition, Some([2, 3]));
        assert_eq!(v.cause, Some(VerdictCause::Check));
        assert_eq!(
            ServerVerdict::from_status("DOWN (agent)").cause,
            Some(VerdictCause::Agent)
        );
        assert_eq!(
            ServerVerdict::from_status("MAINT (resolution)").cause,
            Some(VerdictCause::Resolution)
        );
        assert_eq!(
            ServerVerdict::from_status("no check").cause,
            Some(VerdictCause::NoCheck)
        );
    }

    fn state_row(op: u32, admin: u32, check_state: u32, agent_state: u32) -> ServerState {
        let text = format!(
            "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n\
             3 be 1 s1 127.0.0.1 {op} {admin} 1 1 5 15 3 4 {check_state} {agent_state} 0 0 - 80 - 0 0 - - 0\n"
        );
        servers_state::parse(&text).unwrap().servers.remove(0)
    }

    #[test]
    fn enabled_after_disabled_is_up_not_maint() {
        // `disabled` in the configuration, then `enable server`: CMAINT (0x04) stays set while
        // HAProxy's status says UP. The old classifier called this MAINT.
        let s = state_row(2, ADMF_CMAINT, 6, 0);
        assert_eq!(ServerVerdict::derive(&s).condition, ServerCondition::Up);
        assert!(!s.admin_state.is_maint());
        // Still disabled: FMAINT | CMAINT.
        let s = state_row(0, ADMF_FMAINT | ADMF_CMAINT, 6, 0);
        let v = ServerVerdict::derive(&s);
        assert_eq!(v.condition, ServerCondition::Maint);
        assert_eq!(v.cause, Some(VerdictCause::ConfigDisabled));
    }

    #[test]
    fn down_with_an_agent_drain_is_down() {
        // An agent answered `drain` (FDRAIN) but the server fails its checks: HAProxy says DOWN.
        let s = state_row(0, ADMF_FDRAIN, 6, 0x14);
        assert_eq!(ServerVerdict::derive(&s).condition, ServerCondition::Down);
        let s = state_row(2, ADMF_FDRAIN, 6, 0x14);
        let v = ServerVerdict::derive(&s);
        assert_eq!(v.condition, ServerCondition::Drain);
        assert_eq!(v.cause, Some(VerdictCause::Agent));
    }

    #[test]
    fn maintenance_order_follows_haproxy() {
        let s = state_row(0, ADMF_RMAINT | ADMF_FMAINT, 6, 0);
        assert_eq!(
            ServerVerdict::derive(&s).cause,
            Some(VerdictCause::Resolution)
        );
        let s = state_row(0, ADMF_IMAINT, 0, 0);
        assert_eq!(ServerVerdict::derive(&s).cause, Some(VerdictCause::Tracked));
        let s = state_row(3, 0, 6, 0);
        assert_eq!(ServerVerdict::derive(&s).condition, ServerCondition::Nolb);
        let s = state_row(2, 0, 0, 0);
        assert_eq!(ServerVerdict::derive(&s).cause, Some(VerdictCause::NoCheck));
    }

    #[test]
    fn the_status_column_wins_over_the_flags() {
        let s = state_row(2, ADMF_CMAINT, 6, 0);
        let v = ServerVerdict::best(Some("UP"), Some(&s));
        assert_eq!(v.condition, ServerCondition::Up);
        assert_eq!(
            ServerVerdict::best(None, None).condition,
            ServerCondition::Unknown
        );
    }

    #[test]
    fn frontends_and_backends() {
        assert!(FrontendCondition::from_status("OPEN").accepting());
        assert_eq!(
            FrontendCondition::from_status("STOP"),
            FrontendCondition::Stop
        );
        assert_eq!(
            FrontendCondition::from_status("FULL"),
            FrontendCondition::Full
        );
        assert_eq!(
            BackendCondition::from_status("DOWN"),
            BackendCondition::Down
        );
        assert_eq!(
            BackendCondition::from_status("x"),
            BackendCondition::Unknown
        );
    }
}
