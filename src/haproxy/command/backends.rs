//! Runtime backends (HAProxy 3.4+): `add backend <name> from <defaults> [mode …] [guid …]`,
//! `del backend`, `publish backend`, `unpublish backend`.
//!
//! A backend added at run time starts unpublished (`show stat` says `UP (UNPUB)`): it takes no
//! traffic until `publish backend`. `del backend` deletes only an unpublished backend without
//! servers. HAProxy 3.4.7 accepts these at the admin level without `experimental-mode`.

use super::args::ProxyName;
use super::{Access, Command, Expect};

const BACKEND_ADDED: &[&str] = &["New backend registered."];
const BACKEND_DELETED: &[&str] = &["Backend deleted."];
const BACKEND_PUBLISHED: &[&str] = &["Backend published."];
const BACKEND_UNPUBLISHED: &[&str] = &["Backend unpublished."];

/// The proxy mode of a runtime backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendMode {
    /// `mode http`.
    Http,
    /// `mode tcp`.
    Tcp,
}

impl BackendMode {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
        }
    }
}

impl Command {
    /// `add backend <name> from <defaults> [mode <m>] [guid <g>]`.
    pub fn add_backend(
        name: &ProxyName,
        defaults: &ProxyName,
        mode: Option<BackendMode>,
        guid: Option<&ProxyName>,
    ) -> Self {
        let mut words = vec![
            "add".to_owned(),
            "backend".to_owned(),
            name.to_string(),
            "from".to_owned(),
            defaults.to_string(),
        ];
        if let Some(m) = mode {
            words.extend(["mode".to_owned(), m.as_str().to_owned()]);
        }
        if let Some(g) = guid {
            words.extend(["guid".to_owned(), g.to_string()]);
        }
        Self::new(Access::Mutation, Expect::Message(BACKEND_ADDED), words)
    }

    /// `del backend <name>`.
    pub fn del_backend(name: &ProxyName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(BACKEND_DELETED),
            ["del".to_owned(), "backend".to_owned(), name.to_string()],
        )
    }

    /// `publish backend <name>`.
    pub fn publish_backend(name: &ProxyName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(BACKEND_PUBLISHED),
            ["publish".to_owned(), "backend".to_owned(), name.to_string()],
        )
    }

    /// `unpublish backend <name>`.
    pub fn unpublish_backend(name: &ProxyName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(BACKEND_UNPUBLISHED),
            [
                "unpublish".to_owned(),
                "backend".to_owned(),
                name.to_string(),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let n = ProxyName::new("be_new").unwrap();
        let d = ProxyName::new("web").unwrap();
        let g = ProxyName::new("g-1").unwrap();
        assert_eq!(
            Command::add_backend(&n, &d, Some(BackendMode::Tcp), Some(&g)).to_string(),
            "add backend be_new from web mode tcp guid g-1"
        );
        assert_eq!(
            Command::add_backend(&n, &d, None, None).to_string(),
            "add backend be_new from web"
        );
        assert_eq!(Command::del_backend(&n).to_string(), "del backend be_new");
        assert_eq!(
            Command::publish_backend(&n).to_string(),
            "publish backend be_new"
        );
        assert_eq!(
            Command::unpublish_backend(&n).to_string(),
            "unpublish backend be_new"
        );
        assert_eq!(Command::del_backend(&n).access(), Access::Mutation);
    }
}
