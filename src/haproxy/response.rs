//! Reply framing and classification.
//!
//! HAProxy closes a non-interactive CLI connection after one command, so a reply is everything
//! received up to EOF. It ends with the CLI's terminator, one `"\n"` (most output also ends with
//! its own `"\n"`, giving the familiar empty line, but 2.x messages such as `Server deleted.` lack
//! it). [`frame`] strips exactly that one terminator and nothing else.
//!
//! HAProxy has no status codes, so [`classify`] reads the text: known refusals become
//! [`RuntimeError::Refused`] with HAProxy's exact words, known success messages are success, and
//! anything else in reply to a command that should have printed nothing (or a specific message)
//! is [`RuntimeError::Unrecognized`] — never a silent success.

use super::command::{Command, Expect};
use super::error::{RefusalKind, RuntimeError};

/// Turns the raw bytes received before EOF into the reply text: invalid UTF-8 is replaced (HAProxy
/// prints captured traffic and map keys raw), and exactly one trailing `"\n"` is removed.
pub fn frame(raw: &[u8]) -> String {
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    String::from_utf8_lossy(body).into_owned()
}

/// Removes a `severity-output` prefix (`[3]: ` or `[err]: `) if the socket has one configured.
fn strip_severity(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('[')
        && let Some((tag, msg)) = rest.split_once("]: ")
        && !tag.is_empty()
        && tag.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return msg;
    }
    line
}

/// How a refusal pattern is matched against the first line of a reply.
enum Match {
    Prefix(&'static str),
    Contains(&'static str),
}

/// Every refusal this client recognises, from `reference/runtime-api.md` §4 and live captures.
/// Order matters only where one pattern would shadow another.
const REFUSALS: &[(Match, RefusalKind)] = {
    use Match::*;
    use RefusalKind::*;
    &[
        (Prefix("Permission denied"), PermissionDenied),
        // `show ssl cert` below operator level (ssl_ckch.c answers this, not an allocation
        // failure; seen on 2.6 to 3.4 on the user-level socket).
        (Prefix("Can't allocate memory!"), PermissionDenied),
        // The TLS store (certificates, crt-lists, CA and CRL files).
        (
            Prefix("Can't display the certificate: Not found"),
            NoSuchTlsFile,
        ),
        (
            Prefix("Can't display the CA file : Not found"),
            NoSuchTlsFile,
        ),
        (
            Prefix("Can't display the CRL file : Not found"),
            NoSuchTlsFile,
        ),
        (Prefix("didn't find the specified filename"), NoSuchTlsFile),
        (Prefix("The ongoing transaction is about"), TransactionOpen),
        (Prefix("Can't update the certificate!"), TransactionOpen),
        // The store's try-lock was taken (by a commit, or another dump at the same moment).
        (Prefix("Can't show!"), TransactionOpen),
        (Prefix("No ongoing transaction"), InvalidState),
        (Prefix("unable to load "), InvalidArgument),
        (
            Prefix("inconsistencies between private key"),
            InvalidArgument,
        ),
        // `set ssl ca-file`: a payload with no certificate, a file no bind uses.
        (Prefix("Invalid payload"), InvalidArgument),
        (
            Prefix("Can't replace a CA file which is not referenced"),
            NoSuchTlsFile,
        ),
        (
            Prefix("Can't replace a CRL file which is not referenced"),
            NoSuchTlsFile,
        ),
        // A commit that failed while rebuilding the binds: `Committing <name>` then `Failed!`.
        (Prefix("Committing "), InvalidArgument),
        // The store is locked while another operation on certificates runs (the reason is on
        // the second line: `Operations on certificates are currently locked!`).
        (Prefix("Can't create a certificate!"), TransactionOpen),
        (Prefix("Can't delete the certificate!"), TransactionOpen),
        (Prefix("Can't commit the certificate!"), TransactionOpen),
        (Prefix("Can't delete!"), TransactionOpen),
        (Prefix("Can't abort!"), TransactionOpen),
        (
            Prefix("Operations on certificates are currently locked"),
            TransactionOpen,
        ),
        // `new ssl cert`, `del ssl cert`, `add` / `del ssl crt-list` (ssl_ckch.c, ssl_crtlist.c).
        (Contains("' already exists!"), AlreadyExists),
        (Contains("can't be deleted!"), InUse),
        (Contains("it is used as default certificate"), InUse),
        (Prefix("Can't remove the certificate"), NoSuchTlsFile),
        (Contains("' is empty!"), InvalidState),
        (Prefix("Can't delete the entry: certificate"), NoSuchTlsFile),
        (Prefix("Can't delete the entry: crt-list"), NoSuchTlsFile),
        (Prefix("Can't delete the entry"), InvalidArgument),
        (Prefix("Can't edit the crt-list: crt-list"), NoSuchTlsFile),
        (
            Prefix("Can't edit the crt-list: certificate"),
            NoSuchTlsFile,
        ),
        (Prefix("Can't edit the crt-list"), InvalidArgument),
        // A line HAProxy parsed but could not build on a bind: `Inserting …` then `Failed!`.
        (Prefix("Inserting certificate"), InvalidArgument),
        // OCSP stapling: a response for no certificate HAProxy staples (`set`), an id or path
        // it holds no response for (`show`: 2.6 `Certificate ID does not match any
        // certificate.`, 2.8+ `Certificate ID or path does not match …`), a certificate
        // `update` does not know or that has no response to update.
        (Prefix("OCSP single response:"), InvalidArgument),
        (Prefix("Unable to parse OCSP response"), InvalidArgument),
        (Prefix("Certificate ID "), NoSuchTlsFile),
        (
            Prefix("Unknown certificate! 'update ssl ocsp-response'"),
            NoSuchTlsFile,
        ),
        (
            Prefix("'update ssl ocsp-response' only works on certificates"),
            NotConfigured,
        ),
        // `acme renew` (3.2+, acme.c): the store locked, a certificate it does not hold, one
        // without ACME or without domains, one already being renewed.
        (
            Prefix("Can't update: operations on certificates are currently locked"),
            TransactionOpen,
        ),
        (Prefix("Can't find the certificate '"), NoSuchTlsFile),
        (Prefix("No ACME configuration"), NotConfigured),
        (Prefix("No 'domains'"), NotConfigured),
        (Prefix("An ACME task is already running"), InvalidState),
        (Prefix("Task already exists for '"), InvalidState),
        (Prefix("Unknown command"), UnknownCommand),
        (Prefix("No such backend."), NoSuchBackend),
        (Prefix("Can't find backend."), NoSuchBackend),
        (Prefix("No such server."), NoSuchServer),
        (Prefix("No such frontend."), NoSuchFrontend),
        (Prefix("No such proxy."), NoSuchProxy),
        (Prefix("No such table"), NoSuchTable),
        (Prefix("Unknown map identifier"), NoSuchMap),
        (Prefix("Unknown ACL identifier"), NoSuchAcl),
        (Prefix("Session not found."), NoSuchSession),
        (Prefix("No such session"), NoSuchSession),
        (Prefix("Session pointer expected"), NoSuchSession),
        (Prefix("Key not found."), NoSuchEntry),
        (Prefix("entry not found."), NoSuchEntry),
        (Prefix("key or pattern not found."), NoSuchEntry),
        (Prefix("Variable not found"), NoSuchEntry),
        (Prefix("Can't find the target PID"), NoSuchProcess),
        (Prefix("Can't find that resolvers section"), NoSuchSection),
        (Prefix("No such peers"), NoSuchSection),
        (
            Prefix("Only servers in maintenance mode can be deleted."),
            NotInMaintenance,
        ),
        (Prefix("Server still has connections attached"), ServerBusy),
        // `wait … srv-removable` (3.0+) puts `Wait delay expired.` or `Failed.` before the
        // reason `del server` would give.
        (Prefix("Wait delay expired."), ServerBusy),
        // `set server … addr` on a server without an address yet (`init-addr none`, a
        // server-template slot waiting for DNS): every version refuses it.
        (
            Prefix("Update for the current server address family is only supported"),
            InvalidState,
        ),
        (Prefix("Update to families other than"), InvalidArgument),
        // `set server … check-addr|agent-addr|agent-port|fqdn` (2.6 ends these without a LF).
        (Prefix("invalid addr '"), InvalidArgument),
        (Prefix("provided port is not an integer"), InvalidArgument),
        (Prefix("provided port is invalid"), InvalidArgument),
        (
            Prefix("health checks are not enabled on this server"),
            NotConfigured,
        ),
        (Prefix("could not update "), InvalidArgument),
        (
            Contains("fqdn failed because SRV resolution is configured"),
            InvalidState,
        ),
        (
            Prefix("Failed. Only servers in maintenance"),
            NotInMaintenance,
        ),
        (Prefix("Failed. No such server."), NoSuchServer),
        (Prefix("Failed. No such backend."), NoSuchBackend),
        (
            Prefix("Failed. This server cannot be removed"),
            ServerReferenced,
        ),
        (
            Prefix("This server cannot be removed at runtime"),
            ServerReferenced,
        ),
        (
            Prefix("Backend must use a dynamic load balancing"),
            BackendNotDynamic,
        ),
        (
            Contains("Dynamic servers cannot be used with"),
            BackendNotDynamic,
        ),
        // 3.4's wording of the same refusal.
        (
            Prefix("Backend does not support dynamic servers"),
            BackendNotDynamic,
        ),
        (
            Prefix("Already exists a server with the same name"),
            AlreadyExists,
        ),
        // Runtime backends (3.4).
        (
            Contains("name is already used by other proxy"),
            AlreadyExists,
        ),
        (Prefix("Cannot find default proxy"), InvalidArgument),
        (Prefix("Backend must be unpublished"), InvalidState),
        (
            Prefix("Only a backend without server can be deleted"),
            InvalidState,
        ),
        (Prefix("Health check was not configured"), NotConfigured),
        (Prefix("Agent was not configured"), NotConfigured),
        (Prefix("agent checks are not enabled"), NotConfigured),
        (
            Contains("failed because no resolution is configured"),
            NotConfigured,
        ),
        (
            Prefix("cannot change health on a tracking server"),
            InvalidState,
        ),
        (Prefix("Proxy is disabled."), InvalidState),
        (Prefix("Frontend was already shut down"), AlreadyDone),
        (Prefix("All sockets are already"), AlreadyDone),
        (Prefix("Frontend was previously shut down"), InvalidState),
        (Prefix("Failed to pause frontend"), InvalidState),
        (Prefix("Failed to resume frontend"), InvalidState),
        (Prefix("Version number"), VersionMismatch),
        (Prefix("Missing version number"), VersionMismatch),
        (Prefix("This command is restricted to"), RestrictedMode),
        (Prefix("The command is too big"), CommandTooLong),
        (Prefix("The command line is too big"), CommandTooLong),
        (Prefix("Too many arguments"), TooManyArguments),
        (Prefix("Require '"), InvalidArgument),
        (Prefix("Absolute weight can only be"), InvalidArgument),
        (Prefix("Empty weight string"), InvalidArgument),
        (Prefix("Relative weight"), InvalidArgument),
        (Prefix("maxconn string empty"), InvalidArgument),
        (Prefix("Value out of range"), InvalidArgument),
        (Prefix("Invalid "), InvalidArgument),
        (Prefix("invalid "), InvalidArgument),
        (Prefix("usage: "), InvalidArgument),
        (Prefix("Usage: "), InvalidArgument),
        (Prefix("unknown keyword"), InvalidArgument),
        (
            Contains("option is not accepted for dynamic server"),
            InvalidArgument,
        ),
        (Contains("' expects "), InvalidArgument),
        (Prefix("Filter entry #"), InvalidArgument),
        (Prefix("Unknown data type"), InvalidArgument),
        (Prefix("Data type not stored"), InvalidArgument),
        (Prefix("Require a valid integer"), InvalidArgument),
        (
            Prefix("content-based lookup is only supported"),
            InvalidArgument,
        ),
        (Contains(" is not a valid "), InvalidArgument),
        (Prefix("This ACL is shared with a map"), InvalidArgument),
        (Prefix("'set rate-limit' only supports"), InvalidArgument),
        (Prefix("'set timeout' only supports"), InvalidArgument),
        (Prefix("one of 'none', 'number', 'string'"), InvalidArgument),
        (Prefix("Missing "), InvalidArgument),
        (Prefix("Only one of "), InvalidArgument),
        (Contains("is a required argument"), InvalidArgument),
        (Contains("requires a "), InvalidArgument),
        (Prefix("'"), InvalidArgument),
        (Prefix("Error: "), InvalidArgument),
        (Prefix("Failed to "), InvalidArgument),
        (Prefix("Out of memory"), InvalidState),
    ]
};

/// Classifies a reply as one of HAProxy's known refusals, by its first line.
pub fn refusal_kind(reply: &str) -> Option<RefusalKind> {
    let first = strip_severity(reply.lines().next().unwrap_or("")).trim_start();
    REFUSALS.iter().find_map(|(m, kind)| {
        let hit = match m {
            Match::Prefix(p) => first.starts_with(p),
            Match::Contains(p) => first.contains(p),
        };
        hit.then_some(*kind)
    })
}

/// Decides whether `reply` (already [`frame`]d) means success for `command`. On success returns
/// the reply text unchanged; otherwise the typed error, quoting HAProxy.
pub fn classify(command: &Command, reply: String) -> Result<String, RuntimeError> {
    let refused = |kind| RuntimeError::Refused {
        kind,
        command: command.to_string(),
        message: reply.trim_end().to_owned(),
    };
    // Not the success this command expects: a refusal HAProxy is known to give, or else a
    // reply nobody recognised.
    let not_success = || match refusal_kind(&reply) {
        Some(kind) => refused(kind),
        None => unrecognized(command, &reply),
    };
    match command.expect() {
        Expect::Dump => match refusal_kind(&reply) {
            Some(kind) => Err(refused(kind)),
            None => Ok(reply),
        },
        Expect::Nothing => {
            if reply.trim().is_empty() {
                return Ok(reply);
            }
            Err(not_success())
        }
        Expect::MessageWith(successes) => {
            let first = strip_severity(reply.lines().next().unwrap_or(""));
            if successes.iter().any(|s| first.contains(s)) {
                return Ok(reply);
            }
            Err(not_success())
        }
        Expect::Message(successes) => {
            let first = strip_severity(reply.lines().next().unwrap_or("")).trim_start();
            // 3.4 may put the server state notices the command caused ("Server be/s is going
            // DOWN for maintenance. …") before its own answer, which then ends the reply.
            let last = reply
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map_or("", |l| strip_severity(l).trim_start());
            if successes
                .iter()
                .any(|s| first.starts_with(s) || last.starts_with(s))
            {
                return Ok(reply);
            }
            Err(not_success())
        }
    }
}

fn unrecognized(command: &Command, reply: &str) -> RuntimeError {
    let message = if reply.trim().is_empty() {
        "(an empty reply)".to_owned()
    } else {
        reply.trim_end().to_owned()
    };
    RuntimeError::Unrecognized {
        command: command.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::command::args::{ServerAddress, ServerRef};
    use crate::haproxy::command::{AddServerOptions, ServerAdminState};

    fn srv() -> ServerRef {
        ServerRef::new("be_app", "app1").unwrap()
    }

    #[test]
    fn framing_strips_exactly_one_terminator() {
        assert_eq!(frame(b"2.6.12\n\n"), "2.6.12\n");
        assert_eq!(frame(b"Server deleted.\n"), "Server deleted.");
        assert_eq!(frame(b"\n"), "");
        assert_eq!(frame(b""), "");
        assert_eq!(frame(b"a\n\n\n"), "a\n\n");
        assert_eq!(frame(b"k\xffv\n\n"), "k\u{fffd}v\n");
    }

    #[test]
    fn notices_before_the_answer_are_tolerated() {
        // Recorded on 3.4.7: `del backend` after its last server was deleted.
        let be = crate::haproxy::command::args::ProxyName::new("be_new").unwrap();
        let cmd = Command::del_backend(&be);
        let reply = "Server be_new/s1 is going DOWN for maintenance. 0 active and 0 backup servers left.\nBackend deleted.".to_owned();
        assert!(classify(&cmd, reply).is_ok());
        let refused = "Server be_new/s1 is going DOWN for maintenance.\nOnly a backend without server can be deleted.".to_owned();
        assert!(classify(&cmd, refused).is_err());
    }

    #[test]
    fn empty_reply_is_success_for_silent_mutations() {
        let cmd = Command::set_server_state(&srv(), ServerAdminState::Drain);
        assert_eq!(classify(&cmd, String::new()).unwrap(), "");
    }

    #[test]
    fn refusals_keep_haproxy_words() {
        let cmd = Command::set_server_state(&srv(), ServerAdminState::Drain);
        let err = classify(&cmd, "No such server.\n".to_owned()).unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::NoSuchServer));
        assert_eq!(err.haproxy_message(), Some("No such server."));
        assert!(
            err.to_string()
                .contains("set server be_app/app1 state drain")
        );
    }

    #[test]
    fn unknown_text_after_a_mutation_is_never_success() {
        let cmd = Command::set_server_state(&srv(), ServerAdminState::Drain);
        let err = classify(&cmd, "Something new happened\n".to_owned()).unwrap_err();
        assert!(matches!(err, RuntimeError::Unrecognized { .. }));
    }

    #[test]
    fn success_messages_with_and_without_final_lf() {
        let add = Command::add_server(
            &srv(),
            &ServerAddress::new("10.0.0.1").unwrap(),
            &AddServerOptions::default(),
        );
        assert!(classify(&add, "New server registered.".to_owned()).is_ok());
        assert!(classify(&add, "New server registered.\n".to_owned()).is_ok());
        assert!(classify(&add, "[6]: New server registered.\n".to_owned()).is_ok());
        let err = classify(&add, String::new()).unwrap_err();
        assert!(matches!(err, RuntimeError::Unrecognized { .. }));
        let err = classify(
            &add,
            "Backend must use a dynamic load balancing to support dynamic servers.".to_owned(),
        )
        .unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::BackendNotDynamic));
        // 3.4 (fixtures/3.4/0073-add-server-be-static-dyn2-127-0-0-1-8082-check.txt).
        let err = classify(
            &add,
            "Backend does not support dynamic servers : backend 'be_static' uses a non dynamic load balancing method.\n".to_owned(),
        )
        .unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::BackendNotDynamic));
        let del = Command::del_server(&srv());
        let err = classify(
            &del,
            "Only servers in maintenance mode can be deleted.\n".to_owned(),
        )
        .unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::NotInMaintenance));
    }

    #[test]
    fn dumps_are_data_unless_a_known_error() {
        let cmd = Command::show_info();
        assert!(classify(&cmd, "Name: HAProxy\n".to_owned()).is_ok());
        let err = classify(&cmd, "Permission denied\n".to_owned()).unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::PermissionDenied));
        let err = classify(&cmd, "[3]: Permission denied\n".to_owned()).unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::PermissionDenied));
        let err = classify(
            &cmd,
            "Unknown command: 'echo', but maybe …\n  help\n".to_owned(),
        )
        .unwrap_err();
        assert_eq!(err.refusal(), Some(RefusalKind::UnknownCommand));
    }

    #[test]
    fn catalogue_samples() {
        for (msg, kind) in [
            ("Can't find backend.", RefusalKind::NoSuchBackend),
            (
                "Unknown map identifier. Please use #<id> or <file>.",
                RefusalKind::NoSuchMap,
            ),
            (
                "Absolute weight can only be between 0 and 256 inclusive.",
                RefusalKind::InvalidArgument,
            ),
            (
                "'set server <srv> state' expects 'ready', 'drain' and 'maint'.",
                RefusalKind::InvalidArgument,
            ),
            (
                "Invalid addr 'x' by 'stats socket command'",
                RefusalKind::InvalidArgument,
            ),
            (
                "Update for the current server address family is only supported through configuration file by 'stats socket command'",
                RefusalKind::InvalidState,
            ),
            (
                "Update for the current server address family is only supported through configuration file.",
                RefusalKind::InvalidState,
            ),
            ("Version number out of range.", RefusalKind::VersionMismatch),
            (
                "Health check was not configured on this server, cannot enable.",
                RefusalKind::NotConfigured,
            ),
            (
                "Server still has connections attached to it, cannot remove it.",
                RefusalKind::ServerBusy,
            ),
            (
                "Wait delay expired. Server still has connections attached to it, cannot remove it.",
                RefusalKind::ServerBusy,
            ),
            (
                "Failed. Only servers in maintenance mode can be deleted.",
                RefusalKind::NotInMaintenance,
            ),
            ("Failed. No such server.", RefusalKind::NoSuchServer),
            (
                " Dynamic servers cannot be used with log backends.",
                RefusalKind::BackendNotDynamic,
            ),
            (
                "The command line is too big for the buffer size.",
                RefusalKind::CommandTooLong,
            ),
        ] {
            assert_eq!(refusal_kind(msg), Some(kind), "{msg}");
        }
        assert_eq!(refusal_kind("# pxname,svname"), None);
        assert_eq!(refusal_kind("type=str, case=sensitive, found=no"), None);
    }
}
