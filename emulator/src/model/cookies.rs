//! Dynamic cookies: `enable|disable dynamic-cookie backend <b>` and `set dynamic-cookie-key
//! backend <b> <key>`, and the cookie each server then shows in `show stat`'s `cookie` column.
//!
//! HAProxy (`srv_set_dyncookie`) gives a server the XXH64 (seed 0) of the backend's key, the
//! server's IPv4 or IPv6 address in network order and its port as a 4-byte big-endian integer,
//! printed as 16 hex digits, once the backend has both the flag and a key. A server with a
//! `cookie` of its own keeps it; one without an IP address gets none; `disable` frees the
//! computed ones. The model computes the cookie when it renders the row, which is what HAProxy's
//! recomputation on every key, flag and address change amounts to.
//!
//! `add server` computes the new server's cookie from 3.0 on (warning `Ignoring cookie as HTTP
//! mode is disabled.` outside HTTP mode); before, the server has none until HAProxy next
//! computes them.
//!
//! A configuration that enables them itself (`cookie … dynamic`, `dynamic-cookie-key`) is read
//! by `Model::apply_config`: the cookies the seed recorded for its servers are then HAProxy's
//! computed ones, which the model computes again, and only a server's own (`cookie <value>`)
//! stays a seeded cell. Not modelled: 3.0+'s `Not available.` for proxies in other modes than
//! tcp and http (the model has no others).

use std::net::IpAddr;

use super::proxies::Server;
use super::{Model, Reply};

/// A backend's dynamic-cookie settings.
#[derive(Debug, Clone, Default)]
pub struct DynamicCookies {
    /// `enable dynamic-cookie` (the backend's `PR_CK_DYNAMIC`).
    pub enabled: bool,
    /// The secret key (`dynamic-cookie-key`).
    pub key: Option<String>,
}

impl DynamicCookies {
    /// The cookie `server` shows now, when HAProxy computed one for it: `None` leaves the
    /// seeded `cookie` cell (a server's own cookie, or nothing).
    pub fn cookie_of(&self, server: &Server, seeded: &str) -> Option<String> {
        if server.dyncookie_pending {
            return None;
        }
        self.cookie_for(&server.addr, server.port, seeded)
    }

    /// [`Self::cookie_of`] for a server at `addr` (an IP address, or anything else for none)
    /// and `port`.
    fn cookie_for(&self, addr: &str, port: u16, seeded: &str) -> Option<String> {
        if !self.enabled || !seeded.is_empty() {
            return None;
        }
        let key = self.key.as_deref()?;
        let ip: IpAddr = addr.parse().ok()?;
        let mut buffer = key.as_bytes().to_vec();
        match ip {
            IpAddr::V4(v4) => buffer.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => buffer.extend_from_slice(&v6.octets()),
        }
        buffer.extend_from_slice(&u32::from(port).to_be_bytes());
        Some(format!("{:016x}", xxhash_rust::xxh64::xxh64(&buffer, 0)))
    }
}

impl Model {
    /// `enable dynamic-cookie backend <b>`, `disable dynamic-cookie backend <b>`,
    /// `set dynamic-cookie-key backend <b> <key>` (`args` after `backend`), at admin level.
    /// Each prints nothing on success.
    pub(super) fn dynamic_cookie_command(&mut self, verb: &str, args: &[&str]) -> Reply {
        let name = args.first().copied().unwrap_or("");
        if name.is_empty() {
            return Reply::line("A backend name is expected.");
        }
        let Some(at) = self.backend_index(name) else {
            return Reply::line("No such backend.");
        };
        let proxy = &mut self.proxies[at];
        let cookies = &mut proxy.dynamic_cookies;
        match verb {
            "enable" => cookies.enabled = true,
            "disable" => cookies.enabled = false,
            _ => match args.get(1).copied().unwrap_or("") {
                "" => return Reply::line("String value expected."),
                key => cookies.key = Some(key.to_owned()),
            },
        }
        if verb != "disable" {
            // HAProxy computes every server's cookie again.
            for server in &mut proxy.servers {
                server.dyncookie_pending = false;
            }
        }
        Reply::Body(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_needs_the_flag_a_key_and_an_ip_address_and_yields_to_the_servers_own() {
        let on = DynamicCookies {
            enabled: true,
            key: Some("k".into()),
        };
        let cookie = on.cookie_for("127.0.0.1", 80, "").unwrap();
        assert_eq!(cookie.len(), 16);
        assert!(cookie.bytes().all(|b| b.is_ascii_hexdigit()));
        // What HAProxy 2.6.12 showed for these keys, addresses and ports.
        for (key, addr, port, shown) in [
            ("k0", "127.0.0.1", 80, "458c617608d403dd"),
            ("k0", "127.0.0.2", 80, "7bdd20b718cc58b3"),
            ("initkey", "127.0.0.1", 19933, "a3fa0145f6727b0c"),
            ("initkey", "::1", 8080, "f93d0859dcdd3e59"),
        ] {
            let cookies = DynamicCookies {
                enabled: true,
                key: Some(key.into()),
            };
            assert_eq!(cookies.cookie_for(addr, port, "").as_deref(), Some(shown));
        }
        // The same inputs give the same cookie (every load balancer agrees); the port, the
        // address and the key each change it.
        assert_eq!(on.cookie_for("127.0.0.1", 80, ""), Some(cookie.clone()));
        assert_ne!(on.cookie_for("127.0.0.1", 81, ""), Some(cookie.clone()));
        assert_ne!(on.cookie_for("127.0.0.2", 80, ""), Some(cookie.clone()));
        assert!(on.cookie_for("::1", 80, "").is_some());
        let other_key = DynamicCookies {
            key: Some("k2".into()),
            ..on.clone()
        };
        assert_ne!(other_key.cookie_for("127.0.0.1", 80, ""), Some(cookie));
        assert_eq!(on.cookie_for("127.0.0.1", 80, "mine"), None);
        assert_eq!(on.cookie_for("-", 80, ""), None);
        assert_eq!(on.cookie_for("app.svc.test", 80, ""), None);
        let off = DynamicCookies {
            enabled: false,
            ..on.clone()
        };
        assert_eq!(off.cookie_for("127.0.0.1", 80, ""), None);
        let keyless = DynamicCookies { key: None, ..on };
        assert_eq!(keyless.cookie_for("127.0.0.1", 80, ""), None);
    }
}
