//! Session (stream) control: listing and shutting down streams.

use super::Command;
use super::args::{ProxyName, ServerRef, SessionId};

/// The streams of one frontend, backend or server: what `show sess <frontend|backend|server>
/// <name>` lists on HAProxy 3.2+ (one at a time). 2.6 and 3.0 ignore the words and list every
/// stream, so a caller filters the answer as well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamScope {
    /// Accepted by this frontend.
    Frontend(ProxyName),
    /// Routed to this backend.
    Backend(ProxyName),
    /// On this server.
    Server(ServerRef),
}

impl Command {
    /// `show sess frontend|backend|server <name>`: the short list, narrowed by HAProxy 3.2+ (which
    /// refuses a name it does not know: `No such frontend.` …).
    pub fn show_sess_of(scope: &StreamScope) -> Self {
        let (kind, name) = match scope {
            StreamScope::Frontend(f) => ("frontend", f.to_string()),
            StreamScope::Backend(b) => ("backend", b.to_string()),
            StreamScope::Server(s) => ("server", s.to_string()),
        };
        Self::read(["show".to_owned(), "sess".to_owned(), kind.to_owned(), name])
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_is_two_words() {
        let be = ProxyName::new("be_app").unwrap();
        assert_eq!(
            Command::show_sess_of(&StreamScope::Backend(be)).to_string(),
            "show sess backend be_app"
        );
        let s = ServerRef::parse("be_app/app1").unwrap();
        let c = Command::show_sess_of(&StreamScope::Server(s));
        assert_eq!(c.to_string(), "show sess server be_app/app1");
        assert!(!c.is_mutation());
    }
}
