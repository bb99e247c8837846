//! Statistics and process information: `show info`, `show stat`, `show activity`,
//! `clear counters`.

use super::Command;
use super::args::ProxyName;

/// Which kinds of objects `show stat` returns (HAProxy's type bitmask).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatObjects {
    /// Frontends (bit 1).
    pub frontends: bool,
    /// Backends (bit 2).
    pub backends: bool,
    /// Servers (bit 4).
    pub servers: bool,
}

impl StatObjects {
    /// Every kind.
    pub const ALL: Self = Self {
        frontends: true,
        backends: true,
        servers: true,
    };

    /// HAProxy's `<type>` argument: -1 for everything, else the bitmask.
    fn mask(self) -> i32 {
        if self == Self::ALL {
            return -1;
        }
        i32::from(self.frontends) | (i32::from(self.backends) << 1) | (i32::from(self.servers) << 2)
    }
}

/// A server-side filter for `show stat`.
///
/// HAProxy silently ignores the filter unless all three arguments are given, so this type always
/// sends all three.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatFilter {
    /// Only this proxy (frontend or backend), or every proxy.
    pub proxy: Option<ProxyName>,
    /// Only these object kinds; `None` means all.
    pub objects: Option<StatObjects>,
}

impl Command {
    /// `show info`: process-wide information.
    pub fn show_info() -> Self {
        Self::read(["show", "info"])
    }

    /// `show info json`.
    pub fn show_info_json() -> Self {
        Self::read(["show", "info", "json"])
    }

    /// `show version`: the cheapest probe of the running version.
    pub fn show_version() -> Self {
        Self::read(["show", "version"])
    }

    /// `show stat [<proxy> <type> -1]`.
    pub fn show_stat(filter: &StatFilter) -> Self {
        let mut words = vec!["show".to_owned(), "stat".to_owned()];
        if filter.proxy.is_some() || filter.objects.is_some() {
            words.push(
                filter
                    .proxy
                    .as_ref()
                    .map_or("-1".to_owned(), |p| p.to_string()),
            );
            words.push(
                filter
                    .objects
                    .unwrap_or(StatObjects::ALL)
                    .mask()
                    .to_string(),
            );
            words.push("-1".to_owned());
        }
        Self::read(words)
    }

    /// `show activity`: scheduler and polling counters.
    pub fn show_activity() -> Self {
        Self::read(["show", "activity"])
    }

    /// `clear counters` (max values) or `clear counters all` (every counter; admin only).
    pub fn clear_counters(all: bool) -> Self {
        let mut cmd = Self::change(["clear", "counters"]);
        if all {
            cmd.words.push("all".to_owned());
        }
        cmd
    }

    /// `show errors [<proxy>]`: the last captured protocol errors.
    pub fn show_errors(proxy: Option<&ProxyName>) -> Self {
        let mut cmd = Self::read(["show", "errors"]);
        if let Some(p) = proxy {
            cmd.words.push(p.to_string());
        }
        cmd
    }

    /// `show backend`: every backend name.
    pub fn show_backend() -> Self {
        Self::read(["show", "backend"])
    }

    /// `show servers state [<backend>]`.
    pub fn show_servers_state(backend: Option<&ProxyName>) -> Self {
        let mut cmd = Self::read(["show", "servers", "state"]);
        if let Some(b) = backend {
            cmd.words.push(b.to_string());
        }
        cmd
    }

    /// `show servers conn [<backend>]`.
    pub fn show_servers_conn(backend: Option<&ProxyName>) -> Self {
        let mut cmd = Self::read(["show", "servers", "conn"]);
        if let Some(b) = backend {
            cmd.words.push(b.to_string());
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(c: Command) -> String {
        String::from_utf8(c.encode().unwrap()).unwrap()
    }

    #[test]
    fn stat_filters_always_send_three_arguments() {
        assert_eq!(
            line(Command::show_stat(&StatFilter::default())),
            "show stat\n"
        );
        let be = StatFilter {
            proxy: Some(ProxyName::new("be_app").unwrap()),
            objects: None,
        };
        assert_eq!(line(Command::show_stat(&be)), "show stat be_app -1 -1\n");
        let servers = StatFilter {
            proxy: None,
            objects: Some(StatObjects {
                servers: true,
                ..Default::default()
            }),
        };
        assert_eq!(line(Command::show_stat(&servers)), "show stat -1 4 -1\n");
    }
}
