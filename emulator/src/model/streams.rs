//! Streams (`show sess`): the ones recorded at the start of the capture, ended by `shutdown
//! session(s)` or, on a server that drains or is in maintenance, by the model's simulated
//! clients a few seconds later (so a drain finishes, as it does when real clients go away).

use std::time::Duration;

use super::{Model, Reply};
use crate::Version;
use crate::fixture::Level;

/// How long a stream on a draining server lives on in the model.
pub const DRAIN_SECS: u64 = 2;

/// One stream, as `show sess` lists it.
#[derive(Debug, Clone)]
pub struct Stream {
    /// `0x…` id.
    pub id: String,
    /// The frontend that accepted it (`fe=`).
    pub frontend: String,
    /// Its backend (`be=`) and server (`srv=`).
    pub backend: String,
    /// See `backend`.
    pub server: String,
    /// Its `show sess` line, as recorded.
    pub line: String,
    /// When it ends (model time), once its server drains.
    pub ends_at: Option<Duration>,
}

impl Stream {
    /// Reads one `show sess` line.
    pub fn from_line(line: &str) -> Option<Stream> {
        let (id, rest) = line.split_once(": ")?;
        let field = |name: &str| {
            rest.split(' ')
                .find_map(|w| w.strip_prefix(name))
                .unwrap_or("")
                .to_owned()
        };
        Some(Stream {
            id: id.to_owned(),
            frontend: field("fe="),
            backend: field("be="),
            server: field("srv="),
            line: line.to_owned(),
            ends_at: None,
        })
    }

    fn on(&self, backend: &str, server: &str) -> bool {
        self.backend == backend && self.server == server
    }
}

impl Model {
    /// Ends the streams whose time has come.
    pub(super) fn expire_streams(&mut self) {
        let now = self.now();
        self.streams
            .retain(|s| s.ends_at.is_none_or(|end| end > now));
    }

    /// Streams on `backend/server` now.
    pub(super) fn sessions_on(&self, backend: &str, server: &str) -> usize {
        self.streams
            .iter()
            .filter(|s| s.on(backend, server))
            .count()
    }

    /// The streams of a server that starts draining end `DRAIN_SECS` from now.
    pub(super) fn drain_streams(&mut self, backend: &str, server: &str) {
        let end = self.now() + Duration::from_secs(DRAIN_SECS);
        for s in self.streams.iter_mut().filter(|s| s.on(backend, server)) {
            s.ends_at.get_or_insert(end);
        }
    }

    /// `show sess [<id>]`, and on 3.2+ `show sess frontend|backend|server <name>`.
    pub(super) fn show_sess(&self, level: Level, args: &[&str]) -> Reply {
        if level < Level::Operator {
            return Reply::denied();
        }
        let list = |keep: &dyn Fn(&Stream) -> bool| {
            let mut out = String::new();
            for s in self.streams.iter().filter(|s| keep(s)) {
                out.push_str(&s.line);
                out.push('\n');
            }
            Reply::Body(out.into_bytes())
        };
        match args {
            [] => list(&|_| true),
            // Before 3.2 `show sess` takes no options: the words are ignored.
            ["frontend" | "backend" | "server", ..] if self.version < Version::new(3, 2, 0) => {
                list(&|_| true)
            }
            ["frontend", name] => match self.proxy(name).filter(|p| p.frontend.is_some()) {
                Some(_) => list(&|s| s.frontend == *name),
                None => Reply::line("No such frontend."),
            },
            ["backend", name] => match self.backend_index(name) {
                Some(_) => list(&|s| s.backend == *name),
                None => Reply::line("No such backend."),
            },
            ["server", spec] => match self.locate_server(spec) {
                Ok((p, i)) => {
                    let (backend, server) =
                        (&self.proxies[p].name, &self.proxies[p].servers[i].name);
                    list(&|s| s.on(backend, server))
                }
                Err(refusal) => refusal,
            },
            [id] if !self.streams.iter().any(|s| s.id == *id) && id.starts_with("0x") => {
                Reply::line("Session not found.")
            }
            _ => Reply::NotModelled,
        }
    }

    /// `shutdown session <id>` and `shutdown sessions server <backend/server>`.
    pub(super) fn shutdown(&mut self, level: Level, args: &[&str]) -> Reply {
        if level < Level::Admin {
            return Reply::denied();
        }
        match args {
            ["session", id] => {
                let before = self.streams.len();
                self.streams.retain(|s| s.id != *id);
                if self.streams.len() == before {
                    Reply::line("No such session (use 'show sess').")
                } else {
                    Reply::ok()
                }
            }
            ["sessions", "server", spec] => match self.find_server(spec) {
                Ok((p, s)) => {
                    let backend = self.proxies[p].name.clone();
                    let server = self.proxies[p].servers[s].name.clone();
                    self.streams.retain(|s| !s.on(&backend, &server));
                    Reply::ok()
                }
                Err(reply) => reply,
            },
            _ => Reply::NotModelled,
        }
    }
}
