//! The process-wide reads and limits: `show stat`, `show servers state`, `show backend`,
//! `show info`, `set maxconn`.

use super::counters;
use super::proxies::Proxy;
use super::{Model, Reply};
use crate::fixture::Level;

/// `show stat`'s type filter bits.
const FRONTEND: i64 = 1;
const BACKEND: i64 = 2;
const SERVER: i64 = 4;

impl Model {
    /// `show stat [{<iid>|<proxy>} <type> <sid>]`.
    pub(super) fn show_stat(&self, level: Level, args: &[&str]) -> Reply {
        let (proxy, types, sid) = match args {
            [] => (None, -1, -1),
            [proxy, types, sid] => {
                let (Ok(types), Ok(sid)) = (types.parse::<i64>(), sid.parse::<i64>()) else {
                    return Reply::NotModelled;
                };
                (Some(*proxy), types, sid)
            }
            _ => return Reply::NotModelled,
        };
        let selected: Vec<&Proxy> = match proxy {
            None | Some("-1") => self.proxies.iter().collect(),
            Some(name) => {
                let found = match name.parse::<u32>() {
                    Ok(id) => self.proxies.iter().find(|p| p.id == id),
                    Err(_) => self.proxy(name),
                };
                match found {
                    Some(p) => vec![p],
                    None => return Reply::line("No such proxy."),
                }
            }
        };
        let now = self.now();
        let wants = |bit: i64| types == -1 || types & bit != 0;
        let mut out = format!("# {}\n", self.stat_columns.names().join(","));
        for p in selected {
            let mut rows = Vec::new();
            if wants(FRONTEND) {
                rows.extend(p.frontend_row());
                rows.extend(p.listeners.iter().cloned());
            }
            if wants(SERVER) {
                rows.extend(
                    p.servers
                        .iter()
                        .filter(|s| sid == -1 || i64::from(s.id) == sid)
                        .map(|s| {
                            let mut row = s.stat_row(now, self.track_end(s));
                            row.set("scur", self.sessions_on(&p.name, &s.name));
                            if let Some(cookie) = p.dynamic_cookies.cookie_of(s, row.get("cookie"))
                            {
                                row.set("cookie", cookie);
                            }
                            row
                        }),
                );
            }
            if wants(BACKEND) {
                rows.extend(p.backend_row());
            }
            for mut row in rows {
                if level == Level::User {
                    // A user-level socket is not shown addresses or algorithms (by the
                    // socket's level: a session lowered with `user` still sees them).
                    row.set("addr", "");
                    row.set("algo", "");
                }
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        Reply::Body(out.into_bytes())
    }

    /// `show servers state [<backend>]`.
    pub(super) fn show_servers_state(&self, args: &[&str]) -> Reply {
        let selected = match self.servers_of(args) {
            Ok(selected) => selected,
            Err(reply) => return reply,
        };
        let now = self.now();
        let mut out = format!(
            "{}\n# {}\n",
            self.state_format,
            self.state_columns.names().join(" ")
        );
        for p in selected {
            for s in &p.servers {
                out.push_str(&s.state_row(now).join(" "));
                out.push('\n');
            }
        }
        Reply::Body(out.into_bytes())
    }

    /// The backends `show servers state|conn [<backend>]` lists: all, or the one named
    /// (HAProxy's `Can't find backend.` when there is none).
    pub(super) fn servers_of(&self, args: &[&str]) -> Result<Vec<&Proxy>, Reply> {
        match args {
            [] => Ok(self
                .proxies
                .iter()
                .filter(|p| p.backend.is_some())
                .collect()),
            [name] => match self.backend_index(name) {
                Some(at) => Ok(vec![&self.proxies[at]]),
                None => Err(Reply::line("Can't find backend.")),
            },
            _ => Err(Reply::NotModelled),
        }
    }

    /// `show backend`: every proxy with a backend side.
    pub(super) fn show_backend(&self) -> Reply {
        let mut out = String::from("# name\n");
        for p in self.proxies.iter().filter(|p| p.backend.is_some()) {
            out.push_str(&p.name);
            out.push('\n');
        }
        Reply::Body(out.into_bytes())
    }

    /// `show info`, with the uptime moving on from the seed's.
    pub(super) fn show_info(&self) -> Reply {
        let secs = self.now().as_secs();
        let mut out = String::new();
        for (name, value) in &self.info {
            let value = match name.as_str() {
                "Uptime" => format!(
                    "{}d {}h{:02}m{:02}s",
                    secs / 86400,
                    (secs / 3600) % 24,
                    (secs / 60) % 60,
                    secs % 60
                ),
                "Uptime_sec" => secs.to_string(),
                _ => value.clone(),
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
        Reply::Body(out.into_bytes())
    }

    /// `set maxconn {global <n> | frontend <fe> <n> | server <be/srv> <n>}`.
    pub(super) fn set_maxconn(&mut self, args: &[&str]) -> Reply {
        match args {
            ["global", value] => {
                let hard: u64 = self
                    .info_value("Hard_maxconn")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::from(u32::MAX));
                match value.parse::<u64>() {
                    Ok(v) if v <= hard => {
                        self.set_info("Maxconn", v.to_string());
                        Reply::ok()
                    }
                    Ok(_) => Reply::line("Value out of range."),
                    Err(_) => Reply::line("Expects an integer value."),
                }
            }
            ["frontend", name, value] => {
                let Some(proxy) = self.proxy_mut(name).filter(|p| p.frontend.is_some()) else {
                    return Reply::line("No such frontend.");
                };
                match value.parse::<u32>() {
                    Ok(v) => {
                        proxy.frontend_maxconn = Some(v);
                        Reply::ok()
                    }
                    Err(_) => Reply::line("Integer value expected."),
                }
            }
            ["server", server, value] => self.set_server_maxconn(server, value),
            _ => Reply::NotModelled,
        }
    }

    /// `clear counters [all]`: the maxima (and with `all`, every counter) back to zero.
    pub(super) fn clear_counters(&mut self, level: Level, args: &[&str]) -> Reply {
        let all = match args {
            [] => false,
            ["all"] => true,
            _ => return Reply::NotModelled,
        };
        if level < if all { Level::Admin } else { Level::Operator } {
            return Reply::denied();
        }
        let lists: &[&[&str]] = if all {
            &[counters::MAXIMA, counters::TOTALS]
        } else {
            &[counters::MAXIMA]
        };
        let mut rows: Vec<&mut super::table::Row> = Vec::new();
        for p in &mut self.proxies {
            rows.extend(p.frontend.as_mut());
            rows.extend(p.listeners.iter_mut());
            rows.extend(p.backend.as_mut());
            rows.extend(p.servers.iter_mut().map(|s| &mut s.stat));
        }
        for row in rows {
            counters::zero(row, lists);
        }
        Reply::ok()
    }

    pub(super) fn set_info(&mut self, name: &str, value: String) {
        if let Some(entry) = self.info.iter_mut().find(|(k, _)| k == name) {
            entry.1 = value;
        }
    }
}
