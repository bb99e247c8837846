//! The model: HAProxy's runtime state held in memory, changed by the commands a client sends
//! and rendered in the exact text of the version it was seeded from (see docs/emulator.md).
//!
//! A command is either executed here ([`Reply::Body`]) or [`Reply::NotModelled`]; the session
//! then answers a read from the seed's recording and anything else with an explicit
//! `emulator:` message, never with a fake HAProxy refusal.

mod lists;
mod proxies;
mod seed;
mod servers;
mod stats;
mod table;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, Level};
use crate::tokenizer::Command;
use crate::version::Version;

use lists::List;
use proxies::Proxy;
use table::Columns;

/// What the model answers to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// HAProxy's output for the command, without the `"\n"` the CLI writes after each command.
    Body(Vec<u8>),
    /// The model does not execute this command.
    NotModelled,
}

impl Reply {
    /// A command that succeeded silently.
    fn ok() -> Reply {
        Reply::Body(Vec::new())
    }

    /// A one-line message (HAProxy ends it with its own newline).
    fn line(message: impl AsRef<str>) -> Reply {
        Reply::Body(format!("{}\n", message.as_ref()).into_bytes())
    }

    /// A message without a newline of its own (2.6's dynamic-server messages).
    fn bare(message: impl AsRef<str>) -> Reply {
        Reply::Body(message.as_ref().as_bytes().to_vec())
    }

    /// `Permission denied`.
    fn denied() -> Reply {
        Reply::line("Permission denied")
    }
}

/// HAProxy's runtime state for one emulated process.
#[derive(Debug, Clone)]
pub struct Model {
    version: Version,
    proxies: Vec<Proxy>,
    stat_columns: Arc<Columns>,
    state_format: String,
    state_columns: Arc<Columns>,
    info: Vec<(String, String)>,
    /// The model's clock: the process uptime was `uptime_at_epoch` at `epoch`, plus what
    /// [`Model::advance`] added.
    epoch: Instant,
    uptime_at_epoch: Duration,
    lists: Vec<List>,
    /// The next entry pointer handed to a new map/ACL entry.
    next_pointer: u64,
}

impl Model {
    /// The model seeded from a version's recordings (in recorded order).
    pub fn seed(version: Version, fixtures: &[Fixture]) -> Result<Model, String> {
        let seed = seed::from_fixtures(fixtures)?;
        let next_pointer = seed
            .lists
            .iter()
            .flat_map(|l| l.pointers())
            .max()
            .map_or(0x7f00_0000_0000, |p| p + 0x80);
        Ok(Model {
            version,
            proxies: seed.proxies,
            stat_columns: seed.stat_columns,
            state_format: seed.state_format,
            state_columns: seed.state_columns,
            info: seed.info,
            epoch: Instant::now(),
            uptime_at_epoch: seed.uptime,
            lists: seed.lists,
            next_pointer,
        })
    }

    /// Executes one command at `level` (`payload` when the line carried one).
    pub fn execute(&mut self, level: Level, command: &Command, payload: Option<&[u8]>) -> Reply {
        let words: Vec<String> = command
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(&verb) = words.first() else {
            return Reply::NotModelled;
        };
        let noun = words.get(1).copied().unwrap_or("");
        let args = words.get(2..).unwrap_or(&[]);
        let needs = |min: Level| level >= min;
        match (verb, noun) {
            ("show", "stat") => self.show_stat(level, args),
            ("show", "info") if args.is_empty() => self.show_info(),
            ("show", "servers") if args.first() == Some(&"state") => {
                self.show_servers_state(&args[1..])
            }
            ("show", "backend") if args.is_empty() => self.show_backend(),
            (
                "show" | "get" | "add" | "set" | "del" | "clear" | "prepare" | "commit",
                "map" | "acl",
            ) => {
                // 3.3 made maps and ACLs operator-level; before, a user-level socket could
                // read and change them.
                if self.version >= Version::new(3, 3, 0) && !needs(Level::Operator) {
                    return Reply::denied();
                }
                self.list_command(&words, payload)
            }
            ("get", "weight") => self.get_weight(args),
            ("set" | "add" | "del" | "enable" | "disable", _) if !needs(Level::Admin) => {
                match (verb, noun) {
                    ("set" | "add" | "del", "server" | "weight" | "maxconn")
                    | ("enable" | "disable", "server" | "health" | "agent") => Reply::denied(),
                    _ => Reply::NotModelled,
                }
            }
            ("set", "weight") => self.set_weight_command(args),
            ("set", "server") => self.set_server(args),
            ("set", "maxconn") => self.set_maxconn(args),
            ("add", "server") => self.add_server(args),
            ("del", "server") => self.del_server(args),
            ("enable" | "disable", "server" | "health" | "agent") => {
                self.toggle(verb == "enable", noun, args)
            }
            _ => Reply::NotModelled,
        }
    }

    /// The process uptime now: the model's clock, which every time-dependent answer reads
    /// (uptime, time since a server's last change, health climbing as checks pass).
    pub fn now(&self) -> Duration {
        self.uptime_at_epoch + self.epoch.elapsed()
    }

    /// Moves the model's clock forward by `by` (tests, and replaying a capture at its own pace).
    pub fn advance(&mut self, by: Duration) {
        self.uptime_at_epoch += by;
    }

    /// The proxy named `name`.
    fn proxy(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.name == name)
    }

    /// The proxy named `name`, to change it.
    fn proxy_mut(&mut self, name: &str) -> Option<&mut Proxy> {
        self.proxies.iter_mut().find(|p| p.name == name)
    }

    /// The version's `show info` value of `name`.
    fn info_value(&self, name: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when messages about dynamic servers carry no newline of their own (2.6).
    fn bare_server_messages(&self) -> bool {
        self.version < Version::new(3, 0, 0)
    }

    /// A dynamic-server message in this version's framing.
    fn server_message(&self, message: &str) -> Reply {
        if self.bare_server_messages() {
            Reply::bare(message)
        } else {
            Reply::line(message)
        }
    }
}
