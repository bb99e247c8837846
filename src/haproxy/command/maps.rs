//! Maps and ACLs: listing, looking up, editing, and versioned (atomic) replacement.
//!
//! The same commands exist for both; [`ListKind`] picks the word.

use super::args::MapName;
use super::{Access, Command, Expect, Payload};

/// Map or ACL: the word in `show map` / `show acl` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A map (key → value).
    Map,
    /// An ACL (patterns).
    Acl,
}

impl ListKind {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Map => "map",
            Self::Acl => "acl",
        }
    }
}

const NEW_VERSION: &[&str] = &["New version created:"];

impl Command {
    /// `show map` / `show acl`: every loaded map or ACL.
    pub fn show_lists(kind: ListKind) -> Self {
        Self::read(["show", kind.as_str()])
    }

    /// `show map <map>` / `show acl <acl>`: the entries.
    pub fn show_list_entries(kind: ListKind, name: &MapName) -> Self {
        Self::read(["show", kind.as_str(), name.as_str()])
    }

    /// `get map <map> <value>` / `get acl <acl> <value>`: what matches a sample value.
    pub fn get_list(kind: ListKind, name: &MapName, value: &str) -> Self {
        Self::read(["get", kind.as_str(), name.as_str(), value])
    }

    /// `add map <map> <key> <value>`.
    pub fn add_map_entry(name: &MapName, key: &str, value: &str) -> Self {
        Self::change(["add", "map", name.as_str(), key, value])
    }

    /// `set map <map> <key> <value>`: changes the value of an existing key.
    pub fn set_map_entry(name: &MapName, key: &str, value: &str) -> Self {
        Self::change(["set", "map", name.as_str(), key, value])
    }

    /// `add acl <acl> <pattern>`.
    pub fn add_acl_entry(name: &MapName, pattern: &str) -> Self {
        Self::change(["add", "acl", name.as_str(), pattern])
    }

    /// `add acl @<ver> <acl> <pattern>`: one pattern into a prepared version. (HAProxy 2.6 takes
    /// no payload for `add acl`, so ACL versions are loaded one pattern at a time.)
    pub fn add_acl_entry_versioned(name: &MapName, version: u32, pattern: &str) -> Self {
        Self::change([
            "add".to_owned(),
            "acl".to_owned(),
            format!("@{version}"),
            name.as_str().to_owned(),
            pattern.to_owned(),
        ])
    }

    /// `del map <map> <key>` / `del acl <acl> <pattern>`.
    pub fn del_list_entry(kind: ListKind, name: &MapName, key: &str) -> Self {
        Self::change(["del", kind.as_str(), name.as_str(), key])
    }

    /// `clear map <map>` / `clear acl <acl>`: removes every entry of the current version.
    pub fn clear_list(kind: ListKind, name: &MapName) -> Self {
        Self::change(["clear", kind.as_str(), name.as_str()])
    }

    /// `clear map @<ver> <map>`: discards a prepared, uncommitted version.
    pub fn clear_list_version(kind: ListKind, name: &MapName, version: u32) -> Self {
        Self::change([
            "clear".to_owned(),
            kind.as_str().to_owned(),
            format!("@{version}"),
            name.as_str().to_owned(),
        ])
    }

    /// `prepare map <map>`: opens a new empty version; prints `New version created: N`.
    pub fn prepare_list(kind: ListKind, name: &MapName) -> Self {
        Self::new(
            Access::Mutation,
            Expect::Message(NEW_VERSION),
            ["prepare", kind.as_str(), name.as_str()],
        )
    }

    /// `add map @<ver> <map> <<` + payload: loads entries (`key value…` lines) into a prepared
    /// version.
    pub fn add_list_payload(
        kind: ListKind,
        name: &MapName,
        version: u32,
        payload: Payload,
    ) -> Self {
        Self::change([
            "add".to_owned(),
            kind.as_str().to_owned(),
            format!("@{version}"),
            name.as_str().to_owned(),
        ])
        .with_payload(payload)
    }

    /// `commit map @<ver> <map>`: atomically makes a prepared version the current one.
    pub fn commit_list(kind: ListKind, name: &MapName, version: u32) -> Self {
        Self::change([
            "commit".to_owned(),
            kind.as_str().to_owned(),
            format!("@{version}"),
            name.as_str().to_owned(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_values_are_escaped_not_split() {
        let m = MapName::new("/etc/haproxy/hosts.map").unwrap();
        let line = Command::add_map_entry(&m, "a.example.com", "be x;y")
            .encode()
            .unwrap();
        assert_eq!(
            line,
            b"add map /etc/haproxy/hosts.map a.example.com be\\ x\\;y\n".to_vec()
        );
    }

    #[test]
    fn versioned_payload_line() {
        let m = MapName::new("#4").unwrap();
        let p = Payload::new(vec!["k v".to_owned()]).unwrap();
        let line = Command::add_list_payload(ListKind::Map, &m, 3, p)
            .encode()
            .unwrap();
        assert_eq!(line, b"add map @3 #4 <<\nk v\n\n".to_vec());
    }
}
