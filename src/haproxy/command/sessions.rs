//! Session (stream) control: listing and shutting down streams.

use super::Command;
use super::args::{ServerRef, SessionId};

impl Command {
    /// `show sess`: one line per stream, the CLI's own included.
    pub fn show_sess() -> Self {
        Self::read(["show", "sess"])
    }

    /// `show sess <id>`: the detailed dump of one stream.
    pub fn show_sess_id(id: &SessionId) -> Self {
        Self::read(["show".to_owned(), "sess".to_owned(), id.as_str().to_owned()])
    }

    /// `shutdown session <id>`: kills one stream.
    pub fn shutdown_session(id: &SessionId) -> Self {
        Self::change([
            "shutdown".to_owned(),
            "session".to_owned(),
            id.as_str().to_owned(),
        ])
    }

    /// `shutdown sessions server <b>/<s>`: kills every stream on a server.
    pub fn shutdown_server_sessions(server: &ServerRef) -> Self {
        Self::change([
            "shutdown".to_owned(),
            "sessions".to_owned(),
            "server".to_owned(),
            server.to_string(),
        ])
    }
}
