//! Frontends, backends and servers: the state `show stat` and `show servers state` print, with
//! the flags HAProxy keeps (`srv_admin_state`, `srv_op_state`, the check and agent states), and
//! the rules by which a server's flags become its `status` column and its backend's totals.

use std::time::Duration;

use super::table::Row;

/// The `show stat` columns of a health check, empty while it does not run.
const CHECK_COLUMNS: &[&str] = &[
    "check_status",
    "check_code",
    "check_duration",
    "check_desc",
    "check_rise",
    "check_fall",
    "check_health",
];

/// The model's interval between two health checks, in seconds (the capture configuration's
/// `inter 1s`; HAProxy's default is 2 s).
const CHECK_INTERVAL_SECS: u64 = 1;

/// `srv_admin_state` bits (HAProxy's `SRV_ADMF_*`).
pub mod admin {
    /// Forced into maintenance (`disable server`, `set server … state maint`).
    pub const FMAINT: u8 = 0x01;
    /// Inherited maintenance (a tracked server is in maintenance).
    pub const IMAINT: u8 = 0x02;
    /// Forced drain (`set server … state drain`).
    pub const FDRAIN: u8 = 0x08;
    /// Inherited drain.
    pub const IDRAIN: u8 = 0x10;
    /// Maintenance because its address did not resolve.
    pub const RMAINT: u8 = 0x20;
    /// Maintenance because its hostname did not resolve.
    pub const HMAINT: u8 = 0x40;
    /// Any maintenance. Not 0x04 (`CMAINT`): that bit only records that the configuration
    /// said `disabled`, and stays set after `ready` or `drain` put the server back in service.
    pub const MAINT: u8 = FMAINT | IMAINT | RMAINT | HMAINT;
    /// Any drain.
    pub const DRAIN: u8 = FDRAIN | IDRAIN;
}

/// Check state bits (HAProxy's `CHK_ST_*`), for the health check and the agent.
pub mod check {
    /// Configured on this server.
    pub const CONFIGURED: u16 = 0x02;
    /// Administratively enabled.
    pub const ENABLED: u16 = 0x04;
    /// Paused because the server is in maintenance.
    pub const PAUSED: u16 = 0x08;
}

/// `srv_op_state` values.
pub mod op {
    /// Stopped (DOWN).
    pub const STOPPED: u8 = 0;
    /// Running (UP).
    pub const RUNNING: u8 = 2;
    /// Stopping (NOLB).
    pub const STOPPING: u8 = 3;
}

/// One server of a backend.
#[derive(Debug, Clone)]
pub struct Server {
    /// `srv_id` / `sid`.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Address (IP or name) and port.
    pub addr: String,
    /// The port (`srv_port`); 0 when none.
    pub port: u16,
    /// `SRV_ADMF_*` flags.
    pub admin: u8,
    /// `SRV_ST_*`.
    pub op: u8,
    /// The weight now (user weight).
    pub weight: u32,
    /// The weight the configuration gave.
    pub initial_weight: u32,
    /// A backup server.
    pub backup: bool,
    /// Health check `CHK_ST_*` flags.
    pub check: u16,
    /// Agent `CHK_ST_*` flags.
    pub agent: u16,
    /// Health check rise / fall / health now.
    pub rise: u32,
    /// See `rise`.
    pub fall: u32,
    /// See `rise`.
    pub health: u32,
    /// When `health` was last set: while checks pass it climbs by one per check interval
    /// from there, up to `rise + fall - 1`.
    pub health_at: Duration,
    /// The agent's health (0 = the agent says down).
    pub agent_health: u32,
    /// maxconn (0: none).
    pub maxconn: u32,
    /// `check-port` (0: the server's port).
    pub check_port: u16,
    /// The effective weight HAProxy last computed, which `show stat` prints: it follows the
    /// weight, except that a server added by `add server` shows 1 until it first leaves
    /// maintenance, and on 2.6 a change made in maintenance waits until the server comes back.
    pub shown_weight: u32,
    /// Whether it was in maintenance when last settled (entering maintenance pauses its
    /// checks; leaving resumes them).
    pub was_maint: bool,
    /// The server's checks fail whatever happens (seeded DOWN by its check): recovering
    /// from maintenance leaves it DOWN, like the real one.
    pub checks_fail: bool,
    /// When its state last changed (model time).
    pub last_change: Duration,
    /// Added by `add server` (not one the seed recorded).
    pub added: bool,
    /// Added by `add server` before 3.0, which computes no dynamic cookie for it: it gets one
    /// only when HAProxy next computes them (`enable dynamic-cookie`, a new key, a new
    /// address).
    pub dyncookie_pending: bool,
    /// The server it tracks (`track backend/server`: the `tracked` column), whose state it
    /// follows.
    pub tracks: Option<(String, String)>,
    /// Its `show stat` row, as seeded; the cells the model computes are written on render.
    pub stat: Row,
    /// Its `show servers state` row, likewise.
    pub state: Row,
}

impl Server {
    /// True when health checks run (configured, enabled).
    pub fn checked(&self) -> bool {
        self.check & check::ENABLED != 0
    }

    /// True when the agent runs.
    pub fn agent_on(&self) -> bool {
        self.agent & check::ENABLED != 0
    }

    /// In maintenance (any cause).
    pub fn in_maint(&self) -> bool {
        self.admin & admin::MAINT != 0
    }

    /// Takes traffic: running, not draining, not in maintenance, weight above 0.
    pub fn usable(&self) -> bool {
        self.op == op::RUNNING
            && !self.in_maint()
            && self.admin & admin::DRAIN == 0
            && self.shown_weight > 0
    }

    /// Records a state change now.
    pub fn touched(&mut self, now: Duration) {
        self.last_change = now;
    }

    /// The health-check health now: a running server whose checks pass gains one per check
    /// interval until it is fully up.
    pub fn health_now(&self, now: Duration) -> u32 {
        let full = self.full_health();
        if self.checked() && self.op == op::RUNNING && !self.in_maint() && !self.checks_fail {
            let gained =
                (now.saturating_sub(self.health_at).as_secs() / CHECK_INTERVAL_SECS) as u32;
            self.health.saturating_add(gained).min(full)
        } else {
            self.health
        }
    }

    /// The health of a fully up server (`rise + fall - 1`).
    pub fn full_health(&self) -> u32 {
        (self.rise + self.fall).saturating_sub(1)
    }

    /// Sets the health now.
    pub fn set_health(&mut self, health: u32, now: Duration) {
        self.health = health;
        self.health_at = now;
    }

    /// What its checks would find now: a server whose checks fail stays down; anything else
    /// comes up (the model's traffic simulation: checks pass unless seeded failing).
    pub fn settle(&mut self, now: Duration) {
        let before = (self.op, self.health);
        let maint = self.in_maint();
        if maint && !self.was_maint && self.checked() {
            self.check |= check::PAUSED;
        } else if !maint {
            self.check &= !check::PAUSED;
            self.shown_weight = self.weight;
        }
        self.was_maint = maint;
        if self.in_maint() {
            self.op = op::STOPPED;
            if self.checked() {
                self.set_health(0, now);
            }
        } else if self.agent_on() && self.agent_health == 0 {
            self.op = op::STOPPED;
        } else if self.checked() && self.checks_fail {
            self.op = op::STOPPED;
            self.set_health(0, now);
        } else if self.op == op::STOPPED {
            // Back from maintenance or down: up at once, checks then confirm it (health
            // starts at `rise`).
            self.op = op::RUNNING;
            if self.checked() {
                self.set_health(self.rise, now);
            }
        }
        if (self.op, self.health) != before {
            self.touched(now);
        }
    }

    /// Sets its weight. HAProxy 3.0+ applies it at once; 2.6 waits, in maintenance, until the
    /// server comes back (`during_maint` says which).
    pub fn set_weight(&mut self, weight: u32, during_maint: bool) {
        self.weight = weight;
        if during_maint || !self.in_maint() {
            self.shown_weight = weight;
        }
    }

    /// Its `status` column (HAProxy's `stats_fill_sv_computestate` and the strings it maps to).
    /// `reference` is the server whose checks decide (HAProxy's `ref`): itself, or for a
    /// tracking server the end of its tracking chain.
    pub fn status(&self, now: Duration, reference: &Server) -> String {
        if self.admin & admin::RMAINT != 0 {
            return "MAINT (resolution)".into();
        }
        if self.admin & admin::IMAINT != 0
            && let Some((backend, server)) = &self.tracks
        {
            return format!("MAINT (via {backend}/{server})");
        }
        if self.in_maint() {
            return "MAINT".into();
        }
        let r = reference;
        let health = r.health_now(now);
        let going_up = |s: &str| format!("{s} {}/{}", health, r.rise);
        let going_down_text =
            |s: &str| format!("{s} {}/{}", (health + 1).saturating_sub(r.rise), r.fall);
        match self.op {
            op::RUNNING | 1 => {
                let going_down = r.checked() && health < r.full_health();
                if self.admin & admin::DRAIN != 0 {
                    if r.agent_on() {
                        "DRAIN (agent)".into()
                    } else if going_down {
                        going_down_text("DRAIN")
                    } else {
                        "DRAIN".into()
                    }
                } else if going_down {
                    going_down_text("UP")
                } else if !r.checked() {
                    "no check".into()
                } else {
                    "UP".into()
                }
            }
            op::STOPPING => "NOLB".into(),
            _ => {
                if r.agent_on() && r.agent_health == 0 {
                    "DOWN (agent)".into()
                } else if r.checked() && health == 0 {
                    "DOWN".into()
                } else if r.checked() || r.agent_on() {
                    going_up("DOWN")
                } else {
                    "DOWN".into()
                }
            }
        }
    }

    /// Seconds since the last state change.
    pub fn since_change(&self, now: Duration) -> u64 {
        now.saturating_sub(self.last_change).as_secs()
    }

    /// The `show stat` row now (`reference`: see [`Server::status`]).
    pub fn stat_row(&self, now: Duration, reference: &Server) -> Row {
        let mut row = self.stat.clone();
        row.set("status", self.status(now, reference));
        row.set("weight", self.shown_weight);
        row.set("uweight", self.weight);
        row.set("lastchg", self.since_change(now));
        row.set(
            "slim",
            if self.maxconn == 0 {
                String::new()
            } else {
                self.maxconn.to_string()
            },
        );
        if self.checked() && self.check & check::PAUSED == 0 {
            row.set("check_health", self.health_now(now));
            row.set("check_rise", self.rise);
            row.set("check_fall", self.fall);
        } else {
            // HAProxy prints a check's figures only while it runs.
            for column in CHECK_COLUMNS {
                row.set(column, "");
            }
        }
        row.set("addr", self.addr_port());
        row
    }

    /// The `show servers state` row now.
    pub fn state_row(&self, now: Duration) -> Row {
        let mut row = self.state.clone();
        row.set("srv_addr", &self.addr);
        row.set("srv_op_state", self.op);
        row.set("srv_admin_state", self.admin);
        row.set("srv_uweight", self.weight);
        row.set("srv_iweight", self.initial_weight);
        row.set("srv_time_since_last_change", self.since_change(now));
        row.set("srv_check_health", self.health_now(now));
        row.set("srv_check_state", self.check);
        row.set("srv_agent_state", self.agent);
        row.set("srv_port", self.port);
        row.set("srv_check_port", self.check_port);
        row
    }

    /// `addr:port` as the `addr` column prints it: nothing for a server that has no address yet
    /// (`show servers state` says `-`: a DNS-resolved server still waiting for its first answer).
    pub fn addr_port(&self) -> String {
        if self.addr == "-" || self.addr.is_empty() {
            String::new()
        } else if self.addr.contains(':') {
            format!("[{}]:{}", self.addr, self.port)
        } else {
            format!("{}:{}", self.addr, self.port)
        }
    }
}

/// A frontend's listeners, as the frontend commands change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontendState {
    /// Accepting (`OPEN`).
    Open,
    /// `disable frontend`: paused (`PAUSED`).
    Paused,
    /// `shutdown frontend`: stopped for good (`STOP`).
    Stopped,
}

impl FrontendState {
    /// The state a FRONTEND row's status shows.
    pub fn from_status(status: &str) -> FrontendState {
        match status {
            "PAUSED" => Self::Paused,
            "STOP" => Self::Stopped,
            _ => Self::Open,
        }
    }

    /// The FRONTEND row's status.
    pub fn status(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOP",
        }
    }
}

/// One proxy (`listen`, `frontend` or `backend`), with the rows `show stat` prints for it.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// `iid` / `be_id`.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its FRONTEND row, when it has a frontend side.
    pub frontend: Option<Row>,
    /// Listener rows (printed between the frontend and the servers).
    pub listeners: Vec<Row>,
    /// Its servers, in `sid` order.
    pub servers: Vec<Server>,
    /// Its BACKEND row, when it has a backend side.
    pub backend: Option<Row>,
    /// The frontend's maxconn (`slim` of its FRONTEND row).
    pub frontend_maxconn: Option<u32>,
    /// The frontend's listeners as `enable|disable|shutdown frontend` left them (`None`: as
    /// seeded, the FRONTEND row's status says).
    pub frontend_state: Option<FrontendState>,
    /// Whether it takes traffic (3.4's `publish backend` / `unpublish backend`; every backend
    /// of the configuration starts published, one made by `add backend` does not).
    pub published: bool,
    /// Made by `add backend` (its servers' `bk_f_forced_id` is 0: no `id` was given).
    pub runtime: bool,
    /// Named by the configuration (`default_backend`, a `use_backend` with a fixed name, a
    /// sample fetch's backend argument such as `nbsrv(be)`): HAProxy will not delete it.
    pub pinned: bool,
    /// `hash-type consistent` (from the configuration): a hash algorithm that takes servers
    /// and weights at run time.
    pub consistent_hash: bool,
    /// Dynamic cookies as `enable|disable dynamic-cookie` and `set dynamic-cookie-key` left
    /// them (both off in the seed: see `cookies.rs`).
    pub dynamic_cookies: super::cookies::DynamicCookies,
}

impl Proxy {
    /// The server named `name`.
    pub fn server(&self, name: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// The BACKEND row now: totals over its servers as HAProxy's load balancer sees them.
    pub fn backend_row(&self) -> Option<Row> {
        let mut row = self.backend.clone()?;
        let active: Vec<&Server> = self
            .servers
            .iter()
            .filter(|s| s.usable() && !s.backup)
            .collect();
        let backup: Vec<&Server> = self
            .servers
            .iter()
            .filter(|s| s.usable() && s.backup)
            .collect();
        let weight = |list: &[&Server]| list.iter().map(|s| s.shown_weight).sum::<u32>();
        let total = if active.is_empty() {
            weight(&backup)
        } else {
            weight(&active)
        };
        row.set("weight", total);
        row.set("uweight", total);
        row.set("act", active.len());
        row.set("bck", backup.len());
        // HAProxy's rule: UP while the load balancer has weight, or when there is no server.
        let up = total > 0 || self.servers.is_empty();
        row.set("status", if up { "UP" } else { "DOWN" });
        if !self.published {
            let status = format!("{} (UNPUB)", row.get("status"));
            row.set("status", status);
        }
        Some(row)
    }

    /// The FRONTEND row now.
    pub fn frontend_row(&self) -> Option<Row> {
        let mut row = self.frontend.clone()?;
        if let Some(maxconn) = self.frontend_maxconn {
            row.set("slim", maxconn);
        }
        if let Some(state) = self.frontend_state {
            row.set("status", state.status());
        }
        Some(row)
    }
}
