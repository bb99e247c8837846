//! Backends at run time (HAProxy 3.4): `add backend <name> from <defaults> [mode …] [guid …]`,
//! `publish backend`, `unpublish backend` and `del backend`, with 3.4's checks and messages in
//! the order it makes them.

use super::patterns::unquote;
use super::proxies::Proxy;
use super::{Model, Reply, counters};
use crate::version::Version;

/// The usage line for `add backend` without its `from` part.
const USAGE_SHORT: &str = "Usage: add backend <name> from <defproxy>.";
/// The usage line for `add backend` with unreadable options.
const USAGE_LONG: &str = "Usage: add backend <name> from <defproxy> [mode <px_mode>] [guid <val>].";

/// A named `defaults` section a runtime backend can start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Its name (`defaults <name>`).
    pub name: String,
    /// Its `mode` (HAProxy's default is `tcp`).
    pub mode: String,
    /// Its `balance` algorithm, as `show stat` prints it (`unknown` when it says none).
    pub algo: String,
}

impl Defaults {
    /// A section named `name` with HAProxy's defaults until its lines say otherwise.
    pub fn named(name: &str) -> Defaults {
        Defaults {
            name: name.to_owned(),
            mode: "tcp".into(),
            algo: "unknown".into(),
        }
    }

    /// Takes one line of the section (`mode …`, `balance …`).
    pub fn configure(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("mode"), Some(mode)) => self.mode = mode.to_owned(),
            (Some("balance"), Some(algo)) => self.algo = algo.to_owned(),
            _ => {}
        }
    }
}

/// What `add backend` asks for, once its words are read.
struct NewBackend<'a> {
    name: &'a str,
    from: &'a str,
    mode: Option<&'a str>,
    guid: Option<&'a str>,
}

/// Reads `add backend`'s words, or the usage message HAProxy answers.
fn read_add<'a>(args: &[&'a str]) -> Result<NewBackend<'a>, Reply> {
    let Some((&name, rest)) = args.split_first() else {
        return Err(Reply::line("Require backend name."));
    };
    let (from, options) = match rest {
        ["from", from, options @ ..] => (*from, options),
        _ => return Err(Reply::line(USAGE_SHORT)),
    };
    let mut new = NewBackend {
        name,
        from,
        mode: None,
        guid: None,
    };
    let mut words = options.iter();
    while let Some(&word) = words.next() {
        let slot = match word {
            "mode" => &mut new.mode,
            "guid" => &mut new.guid,
            _ => return Err(Reply::line(USAGE_LONG)),
        };
        match (slot.is_none(), words.next()) {
            (true, Some(value)) => *slot = Some(value),
            _ => return Err(Reply::line(USAGE_LONG)),
        }
    }
    Ok(new)
}

impl Model {
    /// True when this version has runtime backends (3.4).
    fn runtime_backends(&self) -> bool {
        self.version >= Version::new(3, 4, 0)
    }

    /// `add backend <name> from <defaults> [mode <mode>] [guid <guid>]`.
    pub(super) fn add_backend(&mut self, args: &[&str]) -> Reply {
        if !self.runtime_backends() {
            return Reply::NotModelled;
        }
        let new = match read_add(args) {
            Ok(new) => new,
            Err(usage) => return usage,
        };
        if new.mode.is_some_and(|m| !["http", "tcp"].contains(&m)) {
            return Reply::line("Unknown proxy mode.");
        }
        let Some(defaults) = self.defaults.iter().find(|d| d.name == new.from).cloned() else {
            return Reply::line(format!("Cannot find default proxy '{}'.", new.from));
        };
        if let Some(other) = self.proxy(new.name) {
            // HAProxy's `proxy_type_str`: a listen section is a "proxy".
            let kind = match (other.frontend.is_some(), other.backend.is_some()) {
                (true, true) => "proxy",
                (true, false) => "frontend",
                _ => "backend",
            };
            return Reply::line(format!(
                "Error during backend creation : name is already used by other proxy '{kind} {}'.",
                new.name
            ));
        }
        if let Some((_, owner)) = new
            .guid
            .and_then(|g| self.guids.iter().find(|(guid, _)| guid == g))
        {
            return Reply::line(format!(
                "Error during backend creation : GUID insertion : duplicate entry with backend {owner}."
            ));
        }
        let mode = new.mode.unwrap_or(&defaults.mode);
        // A backend row of that mode from the configuration: the columns a mode prints or
        // leaves empty differ (tcp has no HTTP counters).
        let Some(mut row) = self
            .proxies
            .iter()
            .filter_map(|p| p.backend.as_ref())
            .find(|r| r.get("mode") == mode)
            .cloned()
        else {
            return Reply::NotModelled;
        };
        // HAProxy's `proxy_get_next_id(dynpx_next_id)`: the first free id from a floor that
        // starts after the configuration's ids and moves up to each id it hands out, so a
        // deleted backend's id comes back only while nothing was added after it.
        let floor = self.dynamic_proxy_floor;
        let id = (floor..)
            .find(|id| self.proxies.iter().all(|p| p.id != *id))
            .unwrap_or(floor);
        self.dynamic_proxy_floor = id;
        counters::zero(
            &mut row,
            &[counters::CURRENT, counters::MAXIMA, counters::TOTALS],
        );
        row.set("pxname", new.name);
        row.set("iid", id);
        row.set("slim", 0);
        row.set("lastchg", 0);
        row.set("downtime", "");
        row.set("lastsess", -1);
        row.set("algo", &defaults.algo);
        if let Some(guid) = new.guid {
            self.guids.push((guid.to_owned(), new.name.to_owned()));
        }
        self.proxies.push(Proxy {
            id,
            name: new.name.to_owned(),
            frontend: None,
            listeners: Vec::new(),
            servers: Vec::new(),
            backend: Some(row),
            frontend_maxconn: None,
            frontend_state: None,
            published: false,
            runtime: true,
            pinned: false,
            consistent_hash: false,
            dynamic_cookies: Default::default(),
        });
        Reply::line("New backend registered.")
    }

    /// `publish backend <name>` (`publish` true) or `unpublish backend <name>`.
    pub(super) fn publish_backend(&mut self, publish: bool, args: &[&str]) -> Reply {
        if !self.runtime_backends() {
            return Reply::NotModelled;
        }
        // HAProxy reads only the third word; without it the answer is still "No such backend.".
        let name = args.first().copied().unwrap_or("");
        let Some(at) = self.backend_index(name) else {
            return Reply::line("No such backend.");
        };
        self.proxies[at].published = publish;
        Reply::line(if publish {
            "Backend published."
        } else {
            "Backend unpublished."
        })
    }

    /// `del backend <name>`: HAProxy's checks in its order (`be_check_for_deletion`): a
    /// backend section, without a stick table, that nothing of the configuration names,
    /// unpublished, without servers and without streams.
    pub(super) fn del_backend(&mut self, args: &[&str]) -> Reply {
        if !self.runtime_backends() {
            return Reply::NotModelled;
        }
        let name = match args {
            [name] => *name,
            [] => "",
            _ => return Reply::line("Usage: del backend <name>."),
        };
        let Some(at) = self.backend_index(name) else {
            return Reply::line("No such backend.");
        };
        let proxy = &self.proxies[at];
        let refusal = if proxy.frontend.is_some() {
            Some("Cannot delete a listen section.")
        } else if self.tables.iter().any(|t| t.name() == name) {
            Some("Cannot remove a backend with stick-table.")
        } else if proxy.pinned {
            Some(
                "This proxy cannot be removed at runtime due to other configuration elements pointing to it.",
            )
        } else if proxy.published {
            Some("Backend must be unpublished prior to its deletion.")
        } else if !proxy.servers.is_empty() {
            Some("Only a backend without server can be deleted.")
        } else if proxy
            .backend
            .as_ref()
            .is_some_and(|row| row.get("scur") != "0")
        {
            Some("Backend still has attached streams on it.")
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Reply::line(refusal);
        }
        let removed = self.proxies.remove(at);
        self.guids.retain(|(_, owner)| *owner != removed.name);
        Reply::line("Backend deleted.")
    }

    /// Marks the backends the configuration names (see [`Proxy::pinned`]).
    pub(super) fn pin_named_backends(&mut self, config_line: &str) {
        for name in backends_named_by(config_line) {
            if let Some(proxy) = self.proxies.iter_mut().find(|p| p.name == name) {
                proxy.pinned = true;
            }
        }
    }
}

/// Sample fetches whose argument is a backend (HAProxy's `ARG1(1,BE)` keywords).
const BACKEND_FETCHES: &[&str] = &[
    "avg_queue",
    "be_conn",
    "be_conn_free",
    "be_sess_rate",
    "connslots",
    "nbsrv",
    "queue",
];

/// The backends one configuration line names in a way that keeps HAProxy from deleting them:
/// `default_backend NAME`, `use_backend NAME` (a fixed name, not a `%[…]` expression) and the
/// argument of a backend sample fetch (`nbsrv(NAME)`).
fn backends_named_by(line: &str) -> Vec<String> {
    let mut words = line.split_whitespace();
    let mut named = Vec::new();
    match words.next() {
        Some("default_backend") => named.extend(words.next().map(unquote)),
        Some("use_backend") => named.extend(words.next().filter(|w| !w.contains('%')).map(unquote)),
        _ => {}
    }
    for fetch in BACKEND_FETCHES {
        let opening = format!("{fetch}(");
        let mut rest = line;
        while let Some(at) = rest.find(&opening) {
            let preceded_by_word = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            rest = &rest[at + opening.len()..];
            if preceded_by_word {
                continue;
            }
            if let Some(end) = rest.find(')') {
                let argument = rest[..end].trim();
                if !argument.is_empty() {
                    named.push(unquote(argument));
                }
            }
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_backend_reads_its_words_like_haproxy() {
        let usage = |args: &[&str]| match read_add(args) {
            Err(Reply::Body(b)) => String::from_utf8(b).unwrap(),
            _ => "accepted".into(),
        };
        assert_eq!(usage(&[]), "Require backend name.\n");
        assert_eq!(usage(&["b"]), format!("{USAGE_SHORT}\n"));
        assert_eq!(usage(&["b", "from"]), format!("{USAGE_SHORT}\n"));
        assert_eq!(
            usage(&["b", "from", "web", "mode"]),
            format!("{USAGE_LONG}\n")
        );
        assert_eq!(
            usage(&["b", "from", "web", "junk"]),
            format!("{USAGE_LONG}\n")
        );
        assert_eq!(
            usage(&["b", "from", "web", "mode", "http", "mode", "tcp"]),
            format!("{USAGE_LONG}\n")
        );
        assert_eq!(
            usage(&["b", "from", "web", "guid", "g", "mode", "tcp"]),
            "accepted"
        );
    }

    #[test]
    fn the_backends_a_configuration_line_names() {
        let named = |line: &str| backends_named_by(line);
        assert_eq!(named("default_backend be_a"), ["be_a"]);
        assert_eq!(named("use_backend \"be_b\" if { path /b }"), ["be_b"]);
        assert!(named("use_backend %[req.hdr(host),lower,map(hosts.map,be_a)]").is_empty());
        let mut both = named("http-request deny if { nbsrv(be_c) lt 1 } { be_conn(be_d) gt 10 }");
        both.sort();
        assert_eq!(both, ["be_c", "be_d"]);
        // The argument-less form names the current backend; `srv_nbsrv` is another keyword.
        assert!(named("http-request set-var(txn.n) nbsrv").is_empty());
        assert!(named("http-request set-var(txn.n) my_nbsrv(x)").is_empty());
    }

    #[test]
    fn a_defaults_section_takes_its_mode_and_balance() {
        let mut d = Defaults::named("web");
        assert_eq!((d.mode.as_str(), d.algo.as_str()), ("tcp", "unknown"));
        d.configure("mode http");
        d.configure("balance leastconn");
        d.configure("timeout client 5s");
        assert_eq!((d.mode.as_str(), d.algo.as_str()), ("http", "leastconn"));
    }
}
