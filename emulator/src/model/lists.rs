//! Maps and ACLs: entries with their pointers, versions (`prepare` / `commit`), lookups, and the
//! commands that change them, with HAProxy's messages.

use std::collections::BTreeMap;

use super::patterns::{Matcher, Method, parse_net, same_file};
use super::{Model, Reply};

/// A map or an ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A map (key → value).
    Map,
    /// An ACL (patterns).
    Acl,
}

impl ListKind {
    /// `map` or `acl`.
    pub fn word(self) -> &'static str {
        match self {
            ListKind::Map => "map",
            ListKind::Acl => "acl",
        }
    }

    fn unknown(self) -> Reply {
        Reply::line(match self {
            ListKind::Map => "Unknown map identifier. Please use #<id> or <file>.",
            ListKind::Acl => "Unknown ACL identifier. Please use #<id> or <file>.",
        })
    }
}

/// One entry.
#[derive(Debug, Clone)]
struct Entry {
    pointer: u64,
    key: String,
    value: String,
}

/// One map or ACL, with its committed entries and the versions being prepared.
#[derive(Debug, Clone)]
pub struct List {
    kind: ListKind,
    id: u32,
    file: String,
    /// Its line in `show map` / `show acl`, as recorded.
    listing: String,
    /// True when its patterns are addresses (`type=ip`).
    ip: bool,
    /// The configuration's pattern expressions over its file (empty when no configuration was
    /// applied: then one expression, `ip` or `str` as its entries suggest).
    matchers: Vec<Matcher>,
    /// False when its entries were never recorded (its listing line then stays as recorded).
    known: bool,
    current: u32,
    next: u32,
    versions: BTreeMap<u32, Vec<Entry>>,
}

impl List {
    /// A list seeded with `(pointer, key, value)` entries.
    pub fn new(
        kind: ListKind,
        id: u32,
        file: String,
        listing: String,
        entries: Option<Vec<(u64, String, String)>>,
    ) -> List {
        let known = entries.is_some();
        let entries = entries.unwrap_or_default();
        let ip = kind == ListKind::Acl
            && !entries.is_empty()
            && entries.iter().all(|(_, k, _)| parse_net(k).is_some());
        let entries = entries
            .into_iter()
            .map(|(pointer, key, value)| Entry {
                pointer,
                key,
                value,
            })
            .collect();
        List {
            kind,
            id,
            file,
            listing,
            ip,
            matchers: Vec::new(),
            known,
            current: 0,
            next: 0,
            versions: BTreeMap::from([(0, entries)]),
        }
    }

    /// Every entry pointer in use.
    pub fn pointers(&self) -> impl Iterator<Item = u64> + '_ {
        self.versions.values().flatten().map(|e| e.pointer)
    }

    /// Its `show map` / `show acl` line now: the recorded line with its version numbers and
    /// entry count brought up to date.
    fn listing_now(&self) -> String {
        match self.listing.find(" curr_ver=").filter(|_| self.known) {
            Some(at) => format!(
                "{} curr_ver={} next_ver={} entry_cnt={}",
                &self.listing[..at],
                self.current,
                self.next.max(self.current),
                self.entries().len()
            ),
            None => self.listing.clone(),
        }
    }

    fn entries(&self) -> &[Entry] {
        self.versions.get(&self.current).map_or(&[], Vec::as_slice)
    }

    /// Adds a pattern expression the configuration builds over this list's file, unless an
    /// equal one exists (HAProxy shares it).
    pub fn add_matcher(&mut self, file: &str, matcher: Matcher, map: bool) {
        if map != (self.kind == ListKind::Map)
            || !same_file(file, &self.file)
            || self.matchers.contains(&matcher)
        {
            return;
        }
        self.ip |= matcher.method == Method::Ip;
        self.matchers.push(matcher);
    }

    /// The expressions `get` answers for: the configuration's, else one inferred.
    fn expressions(&self) -> Vec<Matcher> {
        if !self.matchers.is_empty() {
            return self.matchers.clone();
        }
        let method = if self.ip { Method::Ip } else { Method::Str };
        vec![Matcher {
            method,
            ignore_case: false,
            output: "str",
        }]
    }
}

impl Model {
    /// Every `map` / `acl` command: `show`, `get`, `add`, `set`, `del`, `clear`, `prepare`,
    /// `commit`.
    pub(super) fn list_command(&mut self, words: &[&str], payload: Option<&[u8]>) -> Reply {
        let kind = if words[1] == "map" {
            ListKind::Map
        } else {
            ListKind::Acl
        };
        let verb = words[0];
        let mut args: Vec<&str> = words[2..].to_vec();
        let version = match args.first().and_then(|a| a.strip_prefix('@')) {
            Some(v) => match v.parse::<u32>() {
                Ok(v) => {
                    args.remove(0);
                    Some(v)
                }
                Err(_) => return Reply::NotModelled,
            },
            None => None,
        };
        if verb == "show" && args.is_empty() {
            return self.show_lists(kind);
        }
        let Some(reference) = args.first().copied() else {
            return Reply::NotModelled;
        };
        let Some(index) = self.find_list(kind, reference) else {
            return kind.unknown();
        };
        let rest = &args[1..];
        match verb {
            "show" if rest.is_empty() => self.show_entries(index, version),
            "get" => match rest {
                [sample] => self.get_entry(index, sample),
                _ => Reply::NotModelled,
            },
            "add" => self.add_entries(index, version, rest, payload),
            "set" => match rest {
                [key, value] if version.is_none() => self.set_entry(index, key, value),
                _ => Reply::NotModelled,
            },
            "del" => match rest {
                [key] if version.is_none() => self.del_entry(index, key),
                _ => Reply::NotModelled,
            },
            "clear" if rest.is_empty() => {
                let list = &mut self.lists[index];
                let v = version.unwrap_or(list.current);
                list.versions.insert(v, Vec::new());
                Reply::ok()
            }
            "prepare" if rest.is_empty() && version.is_none() => {
                let list = &mut self.lists[index];
                list.next = list.next.max(list.current) + 1;
                list.versions.insert(list.next, Vec::new());
                Reply::line(format!("New version created: {}", list.next))
            }
            "commit" if rest.is_empty() => {
                let list = &mut self.lists[index];
                match version {
                    Some(v) if v > list.current && v <= list.next => {
                        list.current = v;
                        list.versions.retain(|&k, _| k >= v);
                        Reply::ok()
                    }
                    Some(_) => Reply::line("Version number out of range."),
                    None => Reply::NotModelled,
                }
            }
            _ => Reply::NotModelled,
        }
    }

    fn find_list(&self, kind: ListKind, reference: &str) -> Option<usize> {
        self.lists.iter().position(|l| {
            l.kind == kind
                && match reference.strip_prefix('#') {
                    Some(id) => id.parse() == Ok(l.id),
                    None => l.file == reference,
                }
        })
    }

    fn show_lists(&self, kind: ListKind) -> Reply {
        let mut out = String::from("# id (file) description\n");
        for list in self.lists.iter().filter(|l| l.kind == kind) {
            out.push_str(&list.listing_now());
            out.push('\n');
        }
        Reply::Body(out.into_bytes())
    }

    fn show_entries(&self, index: usize, version: Option<u32>) -> Reply {
        let list = &self.lists[index];
        let entries = match version {
            Some(v) => list.versions.get(&v).map_or(&[][..], Vec::as_slice),
            None => list.entries(),
        };
        let mut out = String::new();
        for e in entries {
            if list.kind == ListKind::Map {
                out.push_str(&format!("0x{:x} {} {}\n", e.pointer, e.key, e.value));
            } else {
                out.push_str(&format!("0x{:x} {}\n", e.pointer, e.key));
            }
        }
        Reply::Body(out.into_bytes())
    }

    /// `get map|acl <ref> <sample>`: one line per pattern expression over the list.
    fn get_entry(&self, index: usize, sample: &str) -> Reply {
        let list = &self.lists[index];
        let entries = list.entries();
        let (word, yes) = match list.kind {
            ListKind::Map => ("found", "found=yes"),
            ListKind::Acl => ("match", "match=yes"),
        };
        let mut out = String::new();
        for matcher in list.expressions() {
            let Some(found) = matcher.find(entries.iter().map(|e| e.key.as_str()), sample) else {
                // A regular expression: the model does not evaluate it.
                return Reply::NotModelled;
            };
            let kind = matcher.method.word();
            let case = if matcher.ignore_case {
                "insensitive"
            } else {
                "sensitive"
            };
            let idx = if matcher.method.tree() {
                "tree"
            } else {
                "list"
            };
            out.push_str(&match (found.map(|i| &entries[i]), list.kind) {
                (None, _) => format!("type={kind}, case={case}, {word}=no"),
                (Some(e), ListKind::Map) => format!(
                    "type={kind}, case={case}, {yes}, idx={idx}, key=\"{}\", value=\"{}\", type=\"{}\"",
                    e.key,
                    e.value,
                    matcher.value_type(&e.value)
                ),
                (Some(e), ListKind::Acl) => {
                    format!("type={kind}, case={case}, {yes}, idx={idx}, pattern=\"{}\"", e.key)
                }
            });
            out.push('\n');
        }
        Reply::Body(out.into_bytes())
    }

    fn add_entries(
        &mut self,
        index: usize,
        version: Option<u32>,
        rest: &[&str],
        payload: Option<&[u8]>,
    ) -> Reply {
        let kind = self.lists[index].kind;
        let mut pairs: Vec<(String, String)> = Vec::new();
        match (kind, rest, payload) {
            (ListKind::Map, [key, value], None) => pairs.push(((*key).into(), (*value).into())),
            (ListKind::Acl, [pattern], None) => pairs.push(((*pattern).into(), String::new())),
            (ListKind::Acl, _, _) => {
                return Reply::line(
                    "'add acl' expects two parameters: ACL identifier and pattern.",
                );
            }
            (ListKind::Map, [], Some(payload)) => {
                for line in String::from_utf8_lossy(payload).lines() {
                    let line = line.trim_start();
                    if line.is_empty() {
                        continue;
                    }
                    match kind {
                        ListKind::Map => {
                            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
                            pairs.push((k.into(), v.trim_start().into()));
                        }
                        ListKind::Acl => pairs.push((line.into(), String::new())),
                    }
                }
            }
            (ListKind::Map, _, None) => {
                return Reply::line(
                    "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload",
                );
            }
            _ => return Reply::NotModelled,
        }
        let list = &self.lists[index];
        if list.ip
            && let Some((bad, _)) = pairs.iter().find(|(k, _)| parse_net(k).is_none())
        {
            return Reply::line(format!("'{bad}' is not a valid IPv4 or IPv6 address."));
        }
        let target = version.unwrap_or(list.current);
        if target > list.next.max(list.current) {
            return Reply::line("Version number in the future, please use 'prepare map' before.");
        }
        for (key, value) in pairs {
            let pointer = self.next_pointer;
            self.next_pointer += 0x80;
            self.lists[index]
                .versions
                .entry(target)
                .or_default()
                .push(Entry {
                    pointer,
                    key,
                    value,
                });
        }
        Reply::ok()
    }

    fn select<'a>(list: &'a mut List, key: &str) -> Vec<&'a mut Entry> {
        let current = list.current;
        let entries = list.versions.entry(current).or_default();
        match key.strip_prefix("#0x").map(|p| u64::from_str_radix(p, 16)) {
            Some(Ok(pointer)) => entries
                .iter_mut()
                .filter(|e| e.pointer == pointer)
                .collect(),
            _ => entries.iter_mut().filter(|e| e.key == key).collect(),
        }
    }

    fn set_entry(&mut self, index: usize, key: &str, value: &str) -> Reply {
        let selected = Self::select(&mut self.lists[index], key);
        if selected.is_empty() {
            return Reply::line("entry not found.");
        }
        for e in selected {
            e.value = value.to_owned();
        }
        Reply::ok()
    }

    fn del_entry(&mut self, index: usize, key: &str) -> Reply {
        // 3.4 deletes the first entry with that key; before, every one.
        let first_only = self.version >= crate::version::Version::new(3, 4, 0);
        let list = &mut self.lists[index];
        let current = list.current;
        let entries = list.versions.entry(current).or_default();
        let before = entries.len();
        match key.strip_prefix("#0x").map(|p| u64::from_str_radix(p, 16)) {
            Some(Ok(pointer)) => entries.retain(|e| e.pointer != pointer),
            _ if first_only => {
                if let Some(i) = entries.iter().position(|e| e.key == key) {
                    entries.remove(i);
                }
            }
            _ => entries.retain(|e| e.key != key),
        }
        if entries.len() == before {
            Reply::line("Key not found.")
        } else {
            Reply::ok()
        }
    }
}
