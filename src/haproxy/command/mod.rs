//! Typed Runtime API commands.
//!
//! A [`Command`] can only be built by the constructors in this module's submodules (one per
//! toolset, like mini-redis' `cmd/`), each taking validated arguments ([`args`]). Its words are
//! turned into bytes by the [`encode`] module and nowhere else, so no caller ever formats a
//! command string. Each command also says whether it changes HAProxy ([`Access`]), where it must be
//! sent ([`Route`]) and what a successful reply looks like ([`Expect`]), which is how the client
//! enforces read-only mode, decides what may be retried, and tells success from refusal.

pub mod args;
mod backends;
mod cookies;
pub mod encode;
mod frontends;
mod health;
mod maps;
mod misc;
mod resolvers_and_peers;
mod servers;
mod sessions;
mod ssl;
mod stats;
mod tables;

pub use backends::BackendMode;
pub use encode::{EncodeError, MAX_LINE_BYTES, MAX_WORDS, Payload};
pub use frontends::RateLimitKind;
pub use maps::ListKind;
pub use servers::{AddServerOptions, AgentState, HealthState, ServerAdminState};
pub use sessions::StreamScope;
pub use stats::{StatFilter, StatObjects};
pub use tables::{TableFilter, TableOp};

use std::fmt;

/// Whether a command only reads HAProxy's state or changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: safe to retry when nothing was sent, allowed in read-only mode.
    Read,
    /// Changes HAProxy: never retried, refused in read-only mode.
    Mutation,
}

/// Which process of a master-worker HAProxy must run the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A worker (every ordinary Runtime API command).
    Worker,
    /// The master process (`reload`, `show proc`): needs a master CLI endpoint.
    Master,
}

/// What HAProxy prints when the command succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A dump: any output is data, unless it is one of HAProxy's known error messages.
    Dump,
    /// Nothing: an empty reply is success, any text is a refusal.
    Nothing,
    /// A message whose first line starts with one of these (e.g. `New server registered.`).
    Message(&'static [&'static str]),
    /// A message whose first line contains one of these (for messages that start with the
    /// object's name, e.g. `be/s changed its FQDN from … to …`).
    MessageWith(&'static [&'static str]),
}

/// One Runtime API command, ready to be encoded and sent. `Debug` shows it as `Display` does
/// (a secret word hidden).
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    words: Vec<String>,
    payload: Option<Payload>,
    access: Access,
    route: Route,
    expect: Expect,
    /// The index of a word that is a secret (a dynamic-cookie key): sent as is, shown as
    /// `<secret>` wherever the command is displayed (errors, logs, audit replies).
    secret_word: Option<usize>,
}

impl Command {
    /// Builds a worker command from its words. Private to the catalogue modules.
    fn new<I, W>(access: Access, expect: Expect, words: I) -> Self
    where
        I: IntoIterator<Item = W>,
        W: Into<String>,
    {
        Self {
            words: words.into_iter().map(Into::into).collect(),
            payload: None,
            access,
            route: Route::Worker,
            expect,
            secret_word: None,
        }
    }

    /// A read-only dump.
    fn read<I: IntoIterator<Item = W>, W: Into<String>>(words: I) -> Self {
        Self::new(Access::Read, Expect::Dump, words)
    }

    /// A mutation that prints nothing on success.
    fn change<I: IntoIterator<Item = W>, W: Into<String>>(words: I) -> Self {
        Self::new(Access::Mutation, Expect::Nothing, words)
    }

    /// Attaches a payload (sent after ` <<`).
    fn with_payload(mut self, payload: Payload) -> Self {
        self.payload = Some(payload);
        self
    }

    /// Marks the last word as a secret, never displayed.
    fn with_secret_last_word(mut self) -> Self {
        self.secret_word = self.words.len().checked_sub(1);
        self
    }

    /// Routes the command to the master process.
    fn on_master(mut self) -> Self {
        self.route = Route::Master;
        self
    }

    /// The unescaped words, e.g. `["set", "weight", "be_app/app1", "10"]`.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The payload, if any.
    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref()
    }

    /// Whether the command changes HAProxy.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether the command changes HAProxy (shorthand for `access() == Mutation`).
    pub fn is_mutation(&self) -> bool {
        self.access == Access::Mutation
    }

    /// Which process must run it.
    pub fn route(&self) -> Route {
        self.route
    }

    /// What success looks like.
    pub fn expect(&self) -> Expect {
        self.expect
    }

    /// The exact bytes to send: escaped words, optional payload, final LF.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode::encode_command(&self.words, self.payload.as_ref())
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({self}, {:?}, {:?})", self.access, self.route)
    }
}

impl fmt::Display for Command {
    /// The command as a person would type it, unescaped (payload lines are counted, not shown).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.secret_word {
            Some(at) => {
                let mut shown = self.words.clone();
                shown[at] = "<secret>".to_owned();
                write!(f, "{}", encode::DisplayWords(&shown))?;
            }
            None => write!(f, "{}", encode::DisplayWords(&self.words))?,
        }
        if let Some(p) = &self.payload {
            write!(f, " << ({} payload lines)", p.lines().len())?;
        }
        Ok(())
    }
}
