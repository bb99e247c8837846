//! haproxy-emulator: serves HAProxy Runtime API replies recorded from real HAProxy, and records
//! new ones.
//!
//! ```no_run
//! # async fn demo() -> Result<(), haproxy_emulator::Error> {
//! use haproxy_emulator::Emulator;
//! let emulator = Emulator::load("fixtures/3.2")?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let handle = emulator.serve_tcp(listener);
//! println!("listening on {:?}", handle.local_addr());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Modules: [`fixture`] (the file format), [`tokenizer`] (lines → commands, per version),
//! [`replay`] (the replay book), [`session`] (modes, levels, built-ins), [`server`]
//! (listeners and framing), [`fault`] (fault injection), [`scenario`] and [`capture`]
//! (recording), [`version`] (per-version behaviour).

pub mod capture;
pub mod differential;
pub mod fault;
pub mod fixture;
mod master;
pub mod model;
pub mod replay;
pub mod scenario;
pub mod server;
pub mod session;
pub mod tokenizer;
pub mod usage;
pub mod version;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;

pub use fault::Fault;
pub use fixture::{Fixture, Level};
pub use server::{ListenAddr, Options, ServerHandle};
use session::Role;
pub use version::Version;

/// Everything that can go wrong when loading fixtures or capturing them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A fixture file is malformed.
    #[error("{}: {message}", path.display())]
    Fixture {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The folder holds no `NNNN-*.txt` fixture.
    #[error("no fixtures (NNNN-*.txt) in {}", .0.display())]
    NoFixtures(PathBuf),
    /// A scenario line is wrong (or a placeholder cannot be resolved).
    #[error("{}:{line}: {message}", path.display())]
    Scenario {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The capture could not talk to HAProxy.
    #[error("capture failed: {0}")]
    Capture(String),
}

/// How an emulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// Each command line gets its recorded reply, in recorded order (the regression net for
    /// the parsers).
    #[default]
    Replay,
    /// A model of HAProxy's runtime state, seeded from the recordings, executes the commands
    /// (see [`model`]).
    Model,
}

/// A loaded fixtures folder, ready to serve. Cheap to clone: clones share the replay cursors
/// and the fault, like the listeners of one HAProxy share its state.
#[derive(Debug, Clone)]
pub struct Emulator {
    shared: Arc<server::Shared>,
    haproxy: Arc<str>,
    fixtures: usize,
}

impl Emulator {
    /// Loads every fixture of `dir` with default [`Options`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Emulator, Error> {
        Self::load_with(dir, Options::default())
    }

    /// Loads every fixture of `dir`.
    pub fn load_with(dir: impl AsRef<Path>, options: Options) -> Result<Emulator, Error> {
        Self::load_engine(dir, options, Engine::Replay)
    }

    /// Loads every fixture of `dir`, to answer with `engine`.
    pub fn load_engine(
        dir: impl AsRef<Path>,
        options: Options,
        engine: Engine,
    ) -> Result<Emulator, Error> {
        let dir = dir.as_ref();
        let fixtures = fixture::load_dir(dir)?;
        Self::from_fixtures_engine(&fixtures, options, engine).map_err(|message| Error::Fixture {
            path: dir.to_path_buf(),
            message,
        })
    }

    /// Builds a replaying emulator from fixtures already in memory (in recorded order).
    pub fn from_fixtures(fixtures: &[Fixture], options: Options) -> Result<Emulator, String> {
        Self::from_fixtures_engine(fixtures, options, Engine::Replay)
    }

    /// Builds an emulator from fixtures already in memory (in recorded order). The HAProxy
    /// version comes from their `# haproxy:` header; they must all agree.
    pub fn from_fixtures_engine(
        fixtures: &[Fixture],
        options: Options,
        engine: Engine,
    ) -> Result<Emulator, String> {
        let first = fixtures.first().ok_or("no fixtures")?;
        let version = Version::parse(&first.haproxy)
            .ok_or_else(|| format!("no version in `# haproxy: {}`", first.haproxy))?;
        if let Some(other) = fixtures
            .iter()
            .find(|f| Version::parse(&f.haproxy) != Some(version))
        {
            return Err(format!(
                "fixtures of several HAProxy versions mixed: {} and `{}` (fixture {:04})",
                version, other.haproxy, other.seq
            ));
        }
        let book = replay::ReplayBook::new(version, fixtures);
        let seed = match engine {
            Engine::Replay => None,
            Engine::Model => Some(model::Model::seed(version, fixtures)?),
        };
        let started = Instant::now();
        let (pid, uptime) = model::seed::recorded_process(fixtures);
        let processes = master::Processes::new(pid, uptime, started, &first.haproxy);
        let answers = session::Answers::new(book, seed, processes);
        let (fault, _) = watch::channel(Fault::None);
        Ok(Emulator {
            shared: Arc::new(server::Shared {
                answers,
                version,
                fault,
                options,
                started,
            }),
            haproxy: Arc::from(first.haproxy.as_str()),
            fixtures: fixtures.len(),
        })
    }

    /// The HAProxy version the fixtures were recorded from.
    pub fn version(&self) -> Version {
        self.shared.version
    }

    /// The `# haproxy:` header (first line of `haproxy -v`).
    pub fn haproxy(&self) -> &str {
        &self.haproxy
    }

    /// How many fixtures were loaded.
    pub fn fixture_count(&self) -> usize {
        self.fixtures
    }

    /// The fault in force.
    pub fn fault(&self) -> Fault {
        *self.shared.fault.borrow()
    }

    /// Switches the fault for every listener and every later reply.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.fault.send_replace(fault);
    }

    /// How this emulator answers.
    pub fn engine(&self) -> Engine {
        if self.shared.answers.model.is_some() {
            Engine::Model
        } else {
            Engine::Replay
        }
    }

    /// Gives the model what the HAProxy configuration the recordings ran says that they do
    /// not (stick tables' data types, named `defaults` sections, map match types, …:
    /// [`model::Model::apply_config`]) and starts it over from the seed so completed. Nothing
    /// happens in replay.
    ///
    /// Refused, changing nothing, when `config` declares proxies the recordings do not have:
    /// the model is seeded from what a HAProxy running that configuration answered, and a
    /// configuration alone does not make one.
    pub fn apply_config(&mut self, config: &str) -> Result<(), String> {
        if let Some(seed) = self.shared.answers.seed().as_mut() {
            let missing = seed.proxies_missing_from(config);
            if !missing.is_empty() {
                return Err(format!(
                    "the configuration declares proxies the recordings do not have ({}): --config \
                     completes a seed recorded from that same configuration; the model is not \
                     built from a configuration alone",
                    missing.join(", ")
                ));
            }
            Arc::make_mut(seed).apply_config(config);
        }
        self.reset();
        Ok(())
    }

    /// Rewinds every command to its first recorded reply, and the model to its seed.
    pub fn reset(&self) {
        self.shared.answers.reset();
    }

    /// This version's unknown-command reply for `word` (with its terminating `"\n"`).
    pub fn unknown_command_reply(&self, word: &str) -> Vec<u8> {
        self.shared
            .answers
            .book
            .unknown_command_reply(&[word.as_bytes().to_vec()])
    }

    /// Serves an admin-level TCP socket. Must be called inside a Tokio runtime.
    pub fn serve_tcp(&self, listener: TcpListener) -> ServerHandle {
        self.serve_tcp_at(listener, Level::Admin)
    }

    /// Serves a TCP socket of `level`. Must be called inside a Tokio runtime.
    pub fn serve_tcp_at(&self, listener: TcpListener, level: Level) -> ServerHandle {
        server::serve_tcp(self.shared.clone(), listener, level, Role::Worker)
    }

    /// Serves an admin-level Unix socket. Must be called inside a Tokio runtime. The socket
    /// file is removed at shutdown.
    pub fn serve_unix(&self, listener: UnixListener) -> ServerHandle {
        self.serve_unix_at(listener, Level::Admin)
    }

    /// Serves a Unix socket of `level`. Must be called inside a Tokio runtime.
    pub fn serve_unix_at(&self, listener: UnixListener, level: Level) -> ServerHandle {
        server::serve_unix(self.shared.clone(), listener, level, Role::Worker)
    }

    /// Serves the master CLI (`haproxy -W -S`) on TCP: `show proc`, `reload` and the `@`
    /// prefixes that send commands to the worker the other sockets answer for (see
    /// `master.rs`). Must be called inside a Tokio runtime.
    pub fn serve_master_tcp(&self, listener: TcpListener) -> ServerHandle {
        server::serve_tcp(self.shared.clone(), listener, Level::Admin, Role::Master)
    }

    /// Serves the master CLI on a Unix socket (see [`Emulator::serve_master_tcp`]). Must be
    /// called inside a Tokio runtime. The socket file is removed at shutdown.
    pub fn serve_master_unix(&self, listener: UnixListener) -> ServerHandle {
        server::serve_unix(self.shared.clone(), listener, Level::Admin, Role::Master)
    }
}
