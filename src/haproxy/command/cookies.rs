//! Dynamic cookies of a backend: `enable dynamic-cookie backend <b>`, `disable dynamic-cookie
//! backend <b>`, `set dynamic-cookie-key backend <b> <key>`. Each prints nothing on success.
//!
//! With the flag and a key, HAProxy gives every server without a `cookie` of its own the XXH64
//! of the key, its IP address and its port (`show stat`'s `cookie` column), so load balancers
//! sharing the key agree on a server's cookie. The key is a secret: the command shows it as
//! `<secret>`.

use super::Command;
use super::args::{ProxyName, SecretWord};

impl Command {
    /// `enable dynamic-cookie backend <b>` (`enable` true) or `disable dynamic-cookie backend
    /// <b>`.
    pub fn dynamic_cookies(backend: &ProxyName, enable: bool) -> Self {
        Self::change([
            if enable { "enable" } else { "disable" }.to_owned(),
            "dynamic-cookie".to_owned(),
            "backend".to_owned(),
            backend.to_string(),
        ])
    }

    /// `set dynamic-cookie-key backend <b> <key>`.
    pub fn set_dynamic_cookie_key(backend: &ProxyName, key: &SecretWord) -> Self {
        Self::change([
            "set".to_owned(),
            "dynamic-cookie-key".to_owned(),
            "backend".to_owned(),
            backend.to_string(),
            key.expose().to_owned(),
        ])
        .with_secret_last_word()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_sent_but_never_shown() {
        let be = ProxyName::new("be_app").unwrap();
        let key = SecretWord::new("key", "s3cr3t value", 256).unwrap();
        let set = Command::set_dynamic_cookie_key(&be, &key);
        assert_eq!(
            set.encode().unwrap(),
            b"set dynamic-cookie-key backend be_app s3cr3t\\ value\n"
        );
        assert_eq!(
            set.to_string(),
            "set dynamic-cookie-key backend be_app <secret>"
        );
        assert!(!format!("{set:?}").contains("s3cr3t"));
        assert_eq!(
            Command::dynamic_cookies(&be, true).to_string(),
            "enable dynamic-cookie backend be_app"
        );
        assert_eq!(
            Command::dynamic_cookies(&be, false).to_string(),
            "disable dynamic-cookie backend be_app"
        );
        assert!(Command::dynamic_cookies(&be, true).is_mutation());
    }

    #[test]
    fn a_bad_key_is_refused_without_quoting_it() {
        for bad in ["", "a;b", "line\nbreak", "end\\"] {
            let e = SecretWord::new("key", bad, 256).unwrap_err().to_string();
            assert!(e.contains("<secret>"), "{e}");
            if !bad.is_empty() {
                assert!(!e.contains(bad), "{e}");
            }
        }
        let long = "k".repeat(300);
        assert!(SecretWord::new("key", &long, 256).is_err());
        assert_eq!(
            format!("{:?}", SecretWord::new("key", "s3cr3t", 256).unwrap()),
            "SecretWord(<secret>)"
        );
    }
}
