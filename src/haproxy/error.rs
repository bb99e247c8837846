//! The client's typed errors. Every error that comes from HAProxy keeps HAProxy's exact words.

use std::time::Duration;

use super::command::EncodeError;
use super::command::args::ArgError;
use super::parse::ParseError;

/// What kind of refusal HAProxy answered with, classified from its free-text reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefusalKind {
    /// `No such backend.` / `Can't find backend.`
    NoSuchBackend,
    /// `No such server.`
    NoSuchServer,
    /// `No such frontend.`
    NoSuchFrontend,
    /// `No such proxy.`
    NoSuchProxy,
    /// `Unknown map identifier.`
    NoSuchMap,
    /// `Unknown ACL identifier.`
    NoSuchAcl,
    /// `No such table`
    NoSuchTable,
    /// `Can't find that resolvers section` / `No such peers`.
    NoSuchSection,
    /// A certificate, crt-list, CA or CRL file HAProxy does not hold (`Can't display the
    /// certificate: Not found…`, `didn't find the specified filename`).
    NoSuchTlsFile,
    /// Another certificate transaction is open (`The ongoing transaction is about …`), or the
    /// store is locked by one being committed.
    TransactionOpen,
    /// `Session not found.` / `No such session`
    NoSuchSession,
    /// A map/ACL key, pattern or variable that does not exist.
    NoSuchEntry,
    /// `Can't find the target PID …` (master CLI).
    NoSuchProcess,
    /// `Permission denied`: the socket's level is too low.
    PermissionDenied,
    /// `Unknown command …`: this HAProxy has no such command (or not at this level).
    UnknownCommand,
    /// An argument HAProxy did not accept (bad value, bad keyword, usage text).
    InvalidArgument,
    /// `Only servers in maintenance mode can be deleted.`
    NotInMaintenance,
    /// `Server still has connections attached to it …`
    ServerBusy,
    /// `This server cannot be removed at runtime due to other configuration elements …`
    ServerReferenced,
    /// `Backend must use a dynamic load balancing to support dynamic servers.` (up to 3.2), `Backend
    /// does not support dynamic servers : backend '…' uses a non dynamic load balancing method.`
    /// (3.4).
    BackendNotDynamic,
    /// `Already exists a server with the same name in backend.`, `Certificate '…' already exists!`
    AlreadyExists,
    /// A certificate still used (`… in use, can't be deleted!`, `… used as default certificate by
    /// the following frontends`).
    InUse,
    /// A health check or agent that is not configured on that server.
    NotConfigured,
    /// `Proxy is disabled.`, or a frontend shut down before (`… cannot enable.`).
    InvalidState,
    /// HAProxy changed nothing because the object already is as asked (`All sockets are
    /// already disabled.`, `Frontend was already shut down.`): the caller's goal holds.
    AlreadyDone,
    /// A map/ACL version problem (`Version number …`, `Missing version number.`).
    VersionMismatch,
    /// `This command is restricted to expert/experimental mode only.`
    RestrictedMode,
    /// `The command (line) is too big for the buffer size.`
    CommandTooLong,
    /// `Too many arguments.`
    TooManyArguments,
}

impl RefusalKind {
    /// What the caller can do about it, in one sentence.
    pub fn hint(self) -> &'static str {
        match self {
            Self::NoSuchBackend => "List the backends to see which exist.",
            Self::NoSuchServer => "List the backend's servers to see which exist.",
            Self::NoSuchFrontend => "List the frontends to see which exist.",
            Self::NoSuchProxy => "List frontends and backends to see which exist.",
            Self::NoSuchMap => "List the maps to see their ids and file names.",
            Self::NoSuchAcl => "List the ACLs to see their ids and file names.",
            Self::NoSuchTable => "List the stick tables to see which exist.",
            Self::NoSuchSection => {
                "Show all resolvers or peers sections (no section argument) to see which exist."
            }
            Self::NoSuchTlsFile => {
                "List the certificates (list_certificates) to see the names HAProxy holds: the path each was loaded from."
            }
            Self::TransactionOpen => {
                "Another certificate change is in progress (HAProxy allows one at a time); wait for it to be committed or aborted."
            }
            Self::NoSuchSession => {
                "The session has ended or never existed; list the sessions again."
            }
            Self::NoSuchEntry => "Show the map or ACL entries to see which keys exist.",
            Self::NoSuchProcess => "Show the processes on the master CLI to see which exist.",
            Self::PermissionDenied => {
                "This stats socket's level is too low; use a socket configured with 'level admin'."
            }
            Self::UnknownCommand => "This HAProxy version does not offer that command; see help.",
            Self::InvalidArgument => "Fix the value HAProxy names and try again.",
            Self::NotInMaintenance => {
                "Put the server in maintenance first (set its state to maint, or drain it first)."
            }
            Self::ServerBusy => {
                "Wait for its sessions to end (drain it) or shut them down, then try again."
            }
            Self::ServerReferenced => {
                "Something in the configuration (track, use-server, …) points at this server; it cannot be removed at runtime."
            }
            Self::BackendNotDynamic => {
                "This backend's balance algorithm cannot take dynamic servers (use roundrobin, leastconn, first, random or a consistent hash)."
            }
            Self::AlreadyExists => "Choose another name, or delete the existing one first.",
            Self::InUse => {
                "Something still uses it (a bind's `crt`, a crt-list line, or a bind's default certificate); end that use first."
            }
            Self::NotConfigured => {
                "That check is not configured on this server in HAProxy's configuration."
            }
            Self::InvalidState => "The object is not in a state that allows this.",
            Self::AlreadyDone => "Nothing to do: it already is in that state.",
            Self::VersionMismatch => "Prepare a new version first, then use the number it returns.",
            Self::RestrictedMode => {
                "This command needs expert or experimental mode, which this client never enables."
            }
            Self::CommandTooLong => "Split the change into smaller commands.",
            Self::TooManyArguments => "Give fewer arguments.",
        }
    }
}

/// Where a timeout struck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutStage {
    /// Opening the connection.
    Connect,
    /// Waiting for the reply.
    Reply,
}

/// Everything that can go wrong talking to HAProxy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// An argument failed validation; nothing was sent.
    #[error(transparent)]
    InvalidArgument(#[from] ArgError),
    /// The command could not be encoded; nothing was sent.
    #[error("cannot send this command: {0}")]
    Encode(#[from] EncodeError),
    /// Read-only mode refused a command that changes HAProxy; nothing was sent.
    #[error("read-only mode: refusing to send `{command}`, which would change HAProxy")]
    ReadOnly {
        /// The refused command.
        command: String,
    },
    /// The command needs a master CLI endpoint and this one is not.
    #[error(
        "`{command}` must be sent to HAProxy's master CLI; configure a master socket for this target"
    )]
    NeedsMaster {
        /// The command.
        command: String,
    },
    /// HAProxy refused the command; `message` is its exact reply.
    #[error("HAProxy refused `{command}`: {message}")]
    Refused {
        /// The classification.
        kind: RefusalKind,
        /// The command as sent (unescaped).
        command: String,
        /// HAProxy's reply, verbatim.
        message: String,
    },
    /// HAProxy answered something this client does not recognise as success. A mutation with
    /// such a reply must be treated as failed: it is never reported as success.
    #[error("HAProxy answered `{command}` with a reply that is not a known success: {message}")]
    Unrecognized {
        /// The command as sent.
        command: String,
        /// HAProxy's reply, verbatim.
        message: String,
    },
    /// The connection closed before HAProxy wrote a single byte.
    #[error("{endpoint} closed the connection without replying to `{command}`")]
    NoReply {
        /// The endpoint.
        endpoint: String,
        /// The command.
        command: String,
    },
    /// Connecting failed.
    #[error("cannot connect to HAProxy at {endpoint}: {source}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Sending or receiving failed after connecting.
    #[error("I/O error talking to HAProxy at {endpoint}: {source}")]
    Io {
        /// The endpoint.
        endpoint: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A deadline passed.
    #[error("HAProxy at {endpoint} did not {} within {after:?}", match .stage { TimeoutStage::Connect => "accept the connection", TimeoutStage::Reply => "finish its reply" })]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// Connect or reply.
        stage: TimeoutStage,
        /// The deadline that passed.
        after: Duration,
    },
    /// The reply was larger than the configured cap; it was cut off and dropped.
    #[error(
        "HAProxy's reply to `{command}` exceeded the {limit}-byte cap; narrow the request (filters) or raise the reply size limit"
    )]
    ReplyTooLarge {
        /// The command.
        command: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The reply could not be parsed.
    #[error("cannot parse HAProxy's reply to `{command}`: {source}")]
    Parse {
        /// The command.
        command: String,
        /// Where and why.
        #[source]
        source: ParseError,
    },
}

impl RuntimeError {
    /// The refusal kind, when HAProxy refused.
    pub fn refusal(&self) -> Option<RefusalKind> {
        match self {
            Self::Refused { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// HAProxy's own words, when the error came from a reply.
    pub fn haproxy_message(&self) -> Option<&str> {
        match self {
            Self::Refused { message, .. } | Self::Unrecognized { message, .. } => Some(message),
            _ => None,
        }
    }

    /// True when nothing reached HAProxy (validation, encoding, read-only, connect failures).
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            Self::InvalidArgument(_)
                | Self::Encode(_)
                | Self::ReadOnly { .. }
                | Self::NeedsMaster { .. }
                | Self::Connect { .. }
                | Self::Timeout {
                    stage: TimeoutStage::Connect,
                    ..
                }
        )
    }
}
