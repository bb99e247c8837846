//! TLS certificates as HAProxy holds them at run time (`ssl_ckch.c`, `ssl_crtlist.c`): the
//! certificate stores, the one open `set ssl cert` transaction, the crt-lists and the binds
//! that load them, with HAProxy's messages for `show/set/commit/abort/new/del ssl cert`,
//! `show/add/del ssl crt-list` and `show ssl sni`; the OCSP responses stapled with them
//! ([`Ocsp`]).

use super::Reply;
use super::ocsp::Ocsp;
use super::pem::{self, CertInfo, Loaded};
use super::staging::{self, staged_base};
use super::trust::{Kind, TrustFiles};
use crate::version::Version;

/// One certificate store (`ckch_store`).
#[derive(Debug, Clone)]
pub struct Store {
    /// Its name: the path it was loaded from, or the one `new ssl cert` gave.
    pub path: String,
    /// The lines `show ssl cert <name>` prints between `Filename:` and `Status:` (`Crt
    /// filename:`, 3.3's `Option:` lines), as recorded or as a new store has them.
    pub header: Vec<String>,
    /// The certificate, `None` for an empty store (`new ssl cert`).
    pub cert: Option<CertInfo>,
    /// What a `set ssl cert` payload loaded (the key check at commit needs it).
    pub loaded: Option<Loaded>,
    /// Instances from a bind's own `crt` (crt-list entries are counted from the lists).
    pub direct_uses: usize,
}

/// One line of a crt-list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The certificate store's name.
    pub cert: String,
    /// The line number HAProxy gave it.
    pub line: u32,
    /// What `show ssl crt-list` prints between the brackets (alpn values end in a NUL byte,
    /// as HAProxy's dump writes them), `None` without options.
    pub options: Option<Vec<u8>>,
    /// The SNI filters, negative ones with their `!`.
    pub filters: Vec<String>,
}

/// A TLS bind line: the certificates it loads itself (`crt`) and the crt-lists it loads.
#[derive(Debug, Clone)]
pub struct Bind {
    /// `show ssl sni`'s first column: `<frontend>/<file>:<line>`.
    pub name: String,
    /// The stores its `crt` keywords load, in order; the first is its default certificate.
    pub certs: Vec<String>,
    /// The crt-lists its `crt-list` keywords load, in order; without `crt`, the first line
    /// of the first is its default certificate.
    pub lists: Vec<String>,
    /// Its `ca-file`, as the CA files name it.
    pub ca_file: Option<String>,
    /// Its `crl-file`, as the CRL files name it.
    pub crl_file: Option<String>,
}

impl Bind {
    /// The crt-lists it loads, in its order.
    fn lists_in<'a>(&'a self, lists: &'a [CrtList]) -> impl Iterator<Item = &'a CrtList> {
        self.lists
            .iter()
            .filter_map(|p| lists.iter().find(|l| l.path == *p))
    }

    /// The crt-list line that is this bind's default certificate, with its list's path.
    fn default_entry<'a>(&'a self, lists: &'a [CrtList]) -> Option<(&'a str, &'a Entry)> {
        if !self.certs.is_empty() {
            return None;
        }
        let list = self.lists_in(lists).next()?;
        Some((&list.path, list.entries.first()?))
    }
}

/// A crt-list.
#[derive(Debug, Clone)]
pub struct CrtList {
    /// Its path.
    pub path: String,
    /// Its lines, in order.
    pub entries: Vec<Entry>,
}

/// The TLS state of one process.
#[derive(Debug, Clone)]
pub struct Tls {
    /// Every store, in name order when listed.
    pub stores: Vec<Store>,
    /// The open `set ssl cert` transaction: the store as it will be.
    pub transaction: Option<Store>,
    /// Every crt-list.
    pub lists: Vec<CrtList>,
    /// The TLS binds, in configuration order.
    pub binds: Vec<Bind>,
    /// The configuration's `crt-base`: where a relative certificate name in `add ssl crt-list`
    /// is looked for.
    pub crt_base: Option<String>,
    /// The configuration's `ca-base`: where a relative `ca-file` or `crl-file` is.
    pub ca_base: Option<String>,
    /// CA files.
    pub ca_files: TrustFiles,
    /// CRL files.
    pub crl_files: TrustFiles,
    /// The OCSP responses, and which store staples which.
    pub ocsp: Ocsp,
}

/// crt-list keywords the model renders (`dump_crtlist_sslconf`'s order); others that HAProxy
/// accepts get an `emulator:` answer, unknown ones HAProxy's error.
const RENDERED: &[&str] = &[
    "npn",
    "alpn",
    "no-alpn",
    "verify",
    "no-ca-names",
    "allow-0rtt",
    "ciphers",
    "ciphersuites",
    "curves",
    "ecdhe",
    "client-sigalgs",
    "sigalgs",
    "ssl-min-ver",
    "ssl-max-ver",
];

/// crt-list keywords HAProxy accepts that load files or start tasks (`ca-file`, `crl-file`,
/// `ocsp-update`…): not executed by the model.
const NOT_RENDERED: &[&str] = &[
    "ca-file",
    "ca-verify-file",
    "crl-file",
    "ocsp-update",
    "crt",
    "key",
    "ocsp",
    "issuer",
    "sctl",
];

/// Where the capture's configuration is (the containers' layout, `scripts/capture.sh`): the
/// file [`super::Model::apply_config`] takes a configuration to be loaded from.
pub const CONFIG_PATH: &str = "/usr/local/etc/haproxy/haproxy.cfg";

impl Tls {
    /// Reads the TLS binds from `config` (loaded from `path`): each `bind` line's `crt` and
    /// `crt-list` files, matched to the stores and lists by path (a relative one under
    /// `crt-base`) or, failing that, by file name (the capture's configuration names its
    /// files through environment variables); and `crt-base`. The binds the recordings gave
    /// (`show ssl sni`) are replaced: a configuration says which list each bind loads.
    pub fn configure_binds(&mut self, path: &str, config: &str) {
        let mut section = "";
        let mut binds = Vec::new();
        for (number, line) in config.lines().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.first() {
                Some(
                    &("frontend" | "listen" | "backend" | "defaults" | "global" | "peers"
                    | "resolvers" | "userlist" | "cache" | "program" | "http-errors" | "ring"),
                ) if !line.starts_with([' ', '\t']) => {
                    section = words.get(1).copied().unwrap_or("");
                }
                Some(&"crt-base") if words.len() > 1 && !words[1].contains('$') => {
                    self.crt_base = Some(words[1].trim_matches('"').to_string());
                }
                Some(&"ca-base") if words.len() > 1 && !words[1].contains('$') => {
                    self.ca_base = Some(words[1].trim_matches('"').to_string());
                }
                Some(&"bind") => {
                    let files = |keyword: &str| -> Vec<String> {
                        words
                            .iter()
                            .enumerate()
                            .filter(|(_, w)| **w == keyword)
                            .filter_map(|(i, _)| words.get(i + 1))
                            .map(|w| w.trim_matches('"').to_string())
                            .collect()
                    };
                    let (certs, lists) = (files("crt"), files("crt-list"));
                    if certs.is_empty() && lists.is_empty() {
                        continue;
                    }
                    let trust = |keyword: &str, kind: Names| {
                        files(keyword).first().and_then(|f| self.known(f, kind))
                    };
                    binds.push(Bind {
                        name: format!("{section}/{path}:{}", number + 1),
                        certs: certs
                            .iter()
                            .filter_map(|c| self.known(c, Names::Stores))
                            .collect(),
                        lists: lists
                            .iter()
                            .filter_map(|l| self.known(l, Names::Lists))
                            .collect(),
                        ca_file: trust("ca-file", Names::CaFiles),
                        crl_file: trust("crl-file", Names::CrlFiles),
                    });
                }
                _ => {}
            }
        }
        if !binds.is_empty() {
            self.binds = binds;
            // The configuration names every bind: no file is used by one the model ignores.
            for store in &mut self.stores {
                store.direct_uses = 0;
            }
            for file in self
                .ca_files
                .files
                .iter_mut()
                .chain(&mut self.crl_files.files)
            {
                file.direct_uses = 0;
            }
        }
    }

    /// The store, list, CA or CRL file a configuration names by `file`.
    fn known(&self, file: &str, kind: Names) -> Option<String> {
        let base = match kind {
            Names::Stores => &self.crt_base,
            Names::Lists => &None,
            Names::CaFiles | Names::CrlFiles => &self.ca_base,
        };
        let full = under(base, file);
        let names: Vec<&str> = match kind {
            Names::Stores => self.stores.iter().map(|s| s.path.as_str()).collect(),
            Names::Lists => self.lists.iter().map(|l| l.path.as_str()).collect(),
            Names::CaFiles => self
                .ca_files
                .files
                .iter()
                .map(|f| f.path.as_str())
                .collect(),
            Names::CrlFiles => self
                .crl_files
                .files
                .iter()
                .map(|f| f.path.as_str())
                .collect(),
        };
        let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
        names
            .iter()
            .find(|n| **n == full)
            .or_else(|| names.iter().find(|n| file_name(n) == file_name(&full)))
            .map(|n| n.to_string())
    }

    /// The store HAProxy names `path`, if it holds one.
    pub(super) fn store(&self, path: &str) -> Option<&Store> {
        self.stores.iter().find(|s| s.path == path)
    }

    /// How many instances (one per bind and crt-list line, one per bind's own `crt`) use a
    /// store: a commit prints one dot for each, and a used store cannot be deleted.
    fn instances(&self, path: &str) -> usize {
        let per_bind: usize = self
            .binds
            .iter()
            .map(|b| {
                let own = b.certs.iter().filter(|c| *c == path).count();
                let listed: usize = b
                    .lists_in(&self.lists)
                    .map(|l| l.entries.iter().filter(|e| e.cert == path).count())
                    .sum();
                own + listed
            })
            .sum();
        per_bind + self.store(path).map_or(0, |s| s.direct_uses)
    }

    /// The instances a bind makes: one per own certificate and per line of its lists.
    fn bind_instances(&self, bind: &Bind) -> usize {
        let listed: usize = bind.lists_in(&self.lists).map(|l| l.entries.len()).sum();
        bind.certs.len() + listed
    }

    /// The instances that use a CA or CRL file (those of the binds that name it).
    pub fn trust_instances(&self, kind: Kind, path: &str) -> usize {
        self.binds
            .iter()
            .filter(|b| match kind {
                Kind::Ca => b.ca_file.as_deref() == Some(path),
                Kind::Crl => b.crl_file.as_deref() == Some(path),
            })
            .map(|b| self.bind_instances(b))
            .sum()
    }

    /// `show|set|commit|abort ssl ca-file|crl-file`.
    pub fn trust_command(
        &mut self,
        version: Version,
        kind: Kind,
        verb: &str,
        args: &[&str],
        payload: Option<&[u8]>,
    ) -> Reply {
        let name = args
            .first()
            .map(|n| n.trim_start_matches('*'))
            .unwrap_or("");
        let instances = self.trust_instances(kind, name);
        // CA and CRL files share one tree in HAProxy: a name is taken across both.
        let taken_by_other = match kind {
            Kind::Ca => self.crl_files.has(name),
            Kind::Crl => self.ca_files.has(name),
        };
        let files = match kind {
            Kind::Ca => &mut self.ca_files,
            Kind::Crl => &mut self.crl_files,
        };
        match verb {
            "show" => files.show(version, args, instances),
            "set" => files.set(version, args, payload),
            "commit" => files.commit(args, instances),
            "new" => files.create(args, taken_by_other),
            "del" => files.delete(version, args, instances),
            _ => files.abort(args),
        }
    }

    /// The binds that load the crt-list `path`.
    fn binds_of(&self, path: &str) -> impl Iterator<Item = &Bind> {
        self.binds
            .iter()
            .filter(move |b| b.lists.iter().any(|l| l == path))
    }

    /// `show ssl cert [<name>|*<name>]`.
    pub fn show_cert(&self, version: Version, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            let names = self.stores.iter().map(|s| s.path.clone()).collect();
            let pending = self.transaction.as_ref().map(|t| t.path.clone());
            return Reply::Body(staging::listing(pending, names).into_bytes());
        };
        let not_found = || {
            Reply::line("Can't display the certificate: Not found or the certificate is a bundle!")
        };
        let (store, pending) = match name.strip_prefix('*') {
            Some(path) => match &self.transaction {
                Some(t) if t.path == path.trim_start_matches('\\') => (t, true),
                _ => return not_found(),
            },
            None => match self.store(name.trim_start_matches('\\')) {
                Some(s) => (s, false),
                None => return not_found(),
            },
        };
        let mut out = format!(
            "Filename: {}{}\n",
            if pending { "*" } else { "" },
            store.path
        );
        for line in &store.header {
            out.push_str(line);
            out.push('\n');
        }
        let used = self.instances(&store.path) > 0;
        let status = staging::status(version, store.cert.is_none(), pending, used);
        out.push_str(&format!("Status: {status}\n"));
        if let Some(cert) = &store.cert {
            for line in &cert.details {
                out.push_str(line);
                out.push('\n');
            }
        }
        let key = if pending {
            None
        } else {
            self.ocsp.key_of(&store.path)
        };
        out.push_str(&format!("OCSP Response Key: {}\n", key.unwrap_or("")));
        Reply::Body(out.into_bytes())
    }

    /// `set ssl cert <name>` with its PEM payload: opens or updates the transaction.
    pub fn set_cert(&mut self, version: Version, args: &[&str], payload: Option<&[u8]>) -> Reply {
        let (Some(&name), Some(payload)) = (args.first(), payload) else {
            return Reply::line("'set ssl cert' expects a filename and a certificate as a payload");
        };
        let failed = |why: String| Reply::Body(format!("{why}Can't update {name}!\n").into_bytes());
        // 2.6 loads the payload into the open transaction whatever name it is given (recorded
        // from 2.6.12: `Transaction updated for certificate <the other one>!`); 3.0 refuses.
        let open = self.transaction.as_ref().map(|t| (t.path.as_str(), t));
        let checks_name = version >= Version::new(3, 0, 0);
        let base = match staged_base(open, name, self.store(name), checks_name, "a certificate") {
            Ok(base) => base,
            Err(why) => return failed(why),
        };
        let loaded = match pem::load(payload) {
            Ok(loaded) => loaded,
            // OpenSSL's reason came with 3.0.
            Err(reason) if version >= Version::new(3, 0, 0) => {
                return failed(format!(
                    "unable to load certificate from file '{name}': {reason}.\nCan't load the payload\n"
                ));
            }
            Err(_) => {
                return failed(format!(
                    "unable to load certificate from file '{name}'.\nCan't load the payload\n"
                ));
            }
        };
        let created = self.transaction.is_none();
        let path = base.path.clone();
        self.transaction = Some(Store {
            cert: Some(loaded.info.clone()),
            loaded: Some(loaded),
            ..base
        });
        let verb = if created { "created" } else { "updated" };
        Reply::line(format!("Transaction {verb} for certificate {path}!"))
    }

    /// `commit ssl cert <name>`.
    pub fn commit_cert(&mut self, version: Version, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line("'commit ssl cert' expects a filename");
        };
        let failed = |why: String| Reply::Body(format!("{why}Can't commit {name}!\n").into_bytes());
        let t = match staging::committable(&self.transaction, |t| &t.path, name) {
            Ok(t) => t,
            Err(why) => return failed(why),
        };
        let keyless = t.loaded.as_ref().is_some_and(|l| l.private_key.is_none());
        // Before 3.3 a certificate needs its key (HAProxy commit 31955e6e0 allowed stores of
        // public certificates).
        if version < Version::new(3, 3, 0) && keyless {
            return failed(
                "The transaction must contain at least a certificate and a private key!\n".into(),
            );
        }
        // From 3.3 a store may hold a certificate alone, but building a bind's TLS context from
        // it fails at its first instance, which ends the transaction (recorded from 3.4.7).
        if keyless && self.instances(name) > 0 {
            self.transaction = None;
            return Reply::Body(
                format!(
                    "Committing {name}\nunable to load SSL private key into SSL Context '{name}': passed a null parameter.\nFailed!\n"
                )
                .into_bytes(),
            );
        }
        if t.loaded.as_ref().is_some_and(|l| !l.key_matches()) {
            return failed(format!(
                "inconsistencies between private key and certificate loaded '{name}'.\n"
            ));
        }
        let dots = ".".repeat(self.instances(name));
        let new = self.transaction.take().expect("checked above");
        // The new certificate comes without the old one's OCSP response.
        self.ocsp.store_replaced(version, &new.path);
        if let Some(store) = self.stores.iter_mut().find(|s| s.path == new.path) {
            *store = new;
        }
        Reply::Body(format!("Committing {name}{dots}\nSuccess!\n").into_bytes())
    }

    /// `abort ssl cert <name>`.
    pub fn abort_cert(&mut self, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line("'abort ssl cert' expects a filename");
        };
        Reply::line(staging::abort(&mut self.transaction, |t| &t.path, name))
    }

    /// `new ssl cert <name>`: an empty store.
    pub fn new_cert(&mut self, version: Version, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line("'new ssl cert' expects a filename");
        };
        if self.store(name).is_some() {
            return Reply::line(format!("Certificate '{name}' already exists!"));
        }
        let header = if version >= Version::new(3, 3, 0) {
            vec!["Option: ocsp-update off".into(), "Option: jwt off".into()]
        } else {
            Vec::new()
        };
        self.stores.push(Store {
            path: name.to_string(),
            header,
            cert: None,
            loaded: None,
            direct_uses: 0,
        });
        Reply::line(format!("New empty certificate store '{name}'!"))
    }

    /// `del ssl cert <name>`.
    pub fn del_cert(&mut self, version: Version, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line("'del ssl cert' expects a certificate name");
        };
        let refuse = |why: String| {
            Reply::Body(
                format!(
                    "Can't remove the certificate: {why}{}",
                    end_of(version, &why)
                )
                .into_bytes(),
            )
        };
        if self.transaction.as_ref().is_some_and(|t| t.path == name) {
            return refuse(format!("ongoing transaction for the certificate '{name}'"));
        }
        if self.store(name).is_none() {
            return refuse(format!("certificate '{name}' doesn't exist!\n"));
        }
        if self.instances(name) > 0 {
            return refuse(format!("certificate '{name}' in use, can't be deleted!\n"));
        }
        self.stores.retain(|s| s.path != name);
        self.ocsp.store_replaced(version, name);
        Reply::line(format!("Certificate '{name}' deleted!"))
    }

    /// `show ssl crt-list [-n] [<list>]`.
    pub fn show_crt_list(&self, args: &[&str]) -> Reply {
        let (numbered, rest) = match args.first() {
            Some(&"-n") => (true, &args[1..]),
            _ => (false, args),
        };
        let Some(&path) = rest.first() else {
            if numbered {
                return Reply::line("'show ssl crt-list -n' expects a filename or a directory");
            }
            let mut names: Vec<&str> = self.lists.iter().map(|l| l.path.as_str()).collect();
            names.sort_unstable();
            let out: String = names.iter().map(|n| format!("{n}\n")).collect();
            return Reply::Body(out.into_bytes());
        };
        let Some(list) = self
            .lists
            .iter()
            .find(|l| l.path == path.trim_end_matches('/'))
        else {
            return Reply::line("didn't find the specified filename");
        };
        let mut out = format!("# {}\n", list.path).into_bytes();
        for e in &list.entries {
            out.extend_from_slice(e.cert.as_bytes());
            if numbered {
                out.extend_from_slice(format!(":{}", e.line).as_bytes());
            }
            if let Some(options) = &e.options {
                out.extend_from_slice(b" [");
                out.extend_from_slice(options);
                out.push(b']');
            }
            for f in &e.filters {
                out.push(b' ');
                out.extend_from_slice(f.as_bytes());
            }
            out.push(b'\n');
        }
        Reply::Body(out)
    }

    /// `add ssl crt-list <list> <cert>` or `add ssl crt-list <list>` with a one-line payload
    /// (`<cert> [options] filters…`).
    pub fn add_crt_list(&mut self, args: &[&str], payload: Option<&[u8]>) -> Reply {
        let Some(&list_path) = args.first() else {
            return Reply::line("'add ssl crtlist' expects a filename and a certificate name");
        };
        let refuse =
            |why: String| Reply::Body(format!("Can't edit the crt-list: {why}\n").into_bytes());
        let line = match (payload, args.get(1)) {
            (Some(p), _) => String::from_utf8_lossy(p)
                .trim_end_matches('\n')
                .to_string(),
            (None, Some(cert)) => cert.to_string(),
            (None, None) => {
                return Reply::line("'add ssl crtlist' expects a filename and a certificate name");
            }
        };
        let list_path = list_path.trim_end_matches('/');
        let Some(index) = self.lists.iter().position(|l| l.path == list_path) else {
            return refuse(format!("crt-list '{list_path}' does not exist!"));
        };
        if line.contains('\n') {
            return refuse("only one line of payload is supported!".into());
        }
        let (cert, options, filters) = match parse_line(&line) {
            // A relative name is under `crt-base`, as HAProxy reads it.
            Ok((cert, options, filters)) => (under(&self.crt_base, &cert), options, filters),
            Err(LineError::Haproxy(why)) => return refuse(why),
            Err(LineError::NotModelled(keyword)) => {
                return Reply::line(format!(
                    "emulator: crt-list option `{keyword}` loads files or starts tasks the model does not execute; nothing was changed (docs/emulator.md lists what it covers)."
                ));
            }
        };
        match self.store(&cert) {
            None => return refuse(format!("certificate '{cert}' does not exist!")),
            Some(s) if s.cert.is_none() => {
                return refuse(format!("certificate '{cert}' is empty!"));
            }
            Some(_) => {}
        }
        let dots = ".".repeat(self.binds_of(list_path).count());
        let list = &mut self.lists[index];
        let line_number = list.entries.iter().map(|e| e.line).max().unwrap_or(0) + 1;
        list.entries.push(Entry {
            cert: cert.clone(),
            line: line_number,
            options,
            filters,
        });
        Reply::Body(
            format!("Inserting certificate '{cert}' in crt-list '{list_path}'{dots}\nSuccess!\n")
                .into_bytes(),
        )
    }

    /// `del ssl crt-list <list> <cert[:line]>`.
    pub fn del_crt_list(&mut self, version: Version, args: &[&str]) -> Reply {
        let (Some(&list_path), Some(&cert_arg)) = (args.first(), args.get(1)) else {
            return Reply::line("'del ssl crtlist' expects a filename and a certificate name");
        };
        let refuse = |why: String| {
            Reply::Body(
                format!("Can't delete the entry: {why}{}", end_of(version, &why)).into_bytes(),
            )
        };
        let (cert, line) = match cert_arg.split_once(':') {
            Some((cert, n)) => match n.parse::<u32>() {
                Ok(n) => (cert, n),
                _ => return refuse(format!("wrong line number after colons in '{cert_arg}'!")),
            },
            None => (cert_arg, 0),
        };
        let list_path = list_path.trim_end_matches('/');
        let Some(index) = self.lists.iter().position(|l| l.path == list_path) else {
            return refuse(format!("crt-list '{list_path}' does not exist!"));
        };
        match self.store(cert) {
            None => return refuse(format!("certificate '{cert}' does not exist!")),
            Some(s) if s.cert.is_none() => {
                return refuse(format!("certificate '{cert}' is empty!"));
            }
            Some(_) => {}
        }
        let list = &self.lists[index];
        let lines: Vec<u32> = list
            .entries
            .iter()
            .filter(|e| e.cert == cert)
            .map(|e| e.line)
            .collect();
        if lines.is_empty() {
            return refuse(format!(
                "certificate '{cert}' can't be found in crt-list '{list_path}'!"
            ));
        }
        let numbers = lines
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let chosen = lines.iter().copied().find(|l| line == 0 || *l == line);
        let Some(chosen) = chosen else {
            return refuse(format!(
                "found a certificate '{cert}' but the line number is incorrect, please specify a correct line number preceded by colons ({numbers})!"
            ));
        };
        if line == 0 && lines.len() > 1 {
            return refuse(format!(
                "found the certificate '{cert}' in several entries, please specify a line number preceded by colons ({numbers})!"
            ));
        }
        // The list's first line is the default certificate of every bind without its own.
        let defaults: Vec<&Bind> = self
            .binds_of(list_path)
            .filter(|b| {
                b.default_entry(&self.lists)
                    .is_some_and(|(list, e)| list == list_path && e.line == chosen)
            })
            .collect();
        if !defaults.is_empty() {
            let mut why = format!(
                "certificate '{cert}' cannot be deleted, it is used as default certificate by the following frontends:\n"
            );
            // HAProxy lists a crt-list's binds newest first.
            for b in defaults.into_iter().rev() {
                let location = b.name.split_once('/').map_or(b.name.as_str(), |(_, l)| l);
                why.push_str(&format!("\t- {location}\n"));
            }
            return refuse(why);
        }
        self.lists[index]
            .entries
            .retain(|e| !(e.cert == cert && e.line == chosen));
        Reply::line(format!("Entry '{cert}' deleted in crtlist '{list_path}'!"))
    }

    /// `show ssl sni` (3.2+): per bind, the names each certificate serves, exact names first
    /// then wildcards (the bind's default certificate as `*`), each in byte order.
    pub fn show_sni<'a>(&'a self) -> Reply {
        let mut out = String::from(
            "# Frontend/Bind\tSNI\tNegative Filter\tType\tFilename\tNotAfter\tNotBefore\n",
        );
        for bind in &self.binds {
            // (name without its `*`, negative filters column, store)
            let mut exact: Vec<(String, String, &str)> = Vec::new();
            let mut wild: Vec<(String, String, &str)> = Vec::new();
            let mut add = |cert: &'a str, filters: &[String]| {
                let negatives: String = filters
                    .iter()
                    .filter(|f| f.starts_with('!'))
                    .map(|f| format!("{} ", f.to_lowercase()))
                    .collect();
                let names: Vec<String> = if filters.iter().any(|f| !f.starts_with('!')) {
                    filters
                        .iter()
                        .filter(|f| !f.starts_with('!'))
                        .map(|f| f.to_lowercase())
                        .collect()
                } else {
                    self.store(cert)
                        .and_then(|s| s.cert.as_ref())
                        .map(cert_names)
                        .unwrap_or_default()
                };
                for name in names {
                    match name.strip_prefix('*') {
                        Some(rest) => {
                            let column = if negatives.is_empty() {
                                "-".to_string()
                            } else {
                                negatives.clone()
                            };
                            wild.push((rest.to_string(), column, cert))
                        }
                        None => exact.push((name, "-".into(), cert)),
                    }
                }
            };
            for cert in &bind.certs {
                add(cert, &[]);
            }
            for list in bind.lists_in(&self.lists) {
                for e in &list.entries {
                    add(&e.cert, &e.filters);
                }
            }
            let default = bind.certs.first().map(String::as_str).or_else(|| {
                bind.default_entry(&self.lists)
                    .map(|(_, e)| e.cert.as_str())
            });
            if let Some(default) = default {
                wild.push((String::new(), "-".into(), default));
            }
            exact.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            wild.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (prefix, rows) in [("", &exact), ("*", &wild)] {
                for (name, negative, path) in rows {
                    let Some(cert) = self.store(path).and_then(|s| s.cert.as_ref()) else {
                        continue;
                    };
                    out.push_str(&format!(
                        "{}\t{prefix}{name}\t{negative}\t{}\t{path}\t{}\t{}\n",
                        bind.name, cert.kind, cert.not_after, cert.not_before
                    ));
                }
            }
        }
        Reply::Body(out.into_bytes())
    }
}

/// `file` as HAProxy finds it: under `base` (`crt-base`, `ca-base`) unless it is absolute
/// or names something built in (`@system-ca`).
fn under(base: &Option<String>, file: &str) -> String {
    match base {
        Some(base) if !file.starts_with(['/', '@']) => format!("{base}/{file}"),
        _ => file.to_string(),
    }
}

/// Which names [`Tls::known`] looks among.
#[derive(Debug, Clone, Copy)]
enum Names {
    Stores,
    Lists,
    CaFiles,
    CrlFiles,
}

/// What ends a `del ssl cert|crt-list` refusal after its reason: 2.6 adds a newline even to a
/// reason that ends with one (recorded from 2.6.12); 3.0 and later only to one that does not.
fn end_of(version: Version, reason: &str) -> &'static str {
    if version < Version::new(3, 0, 0) || !reason.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The names a certificate serves without filters: its DNS SANs, or its CN without them.
fn cert_names(cert: &CertInfo) -> Vec<String> {
    let field = |name: &str| cert.details.iter().find_map(|l| l.strip_prefix(name));
    let sans: Vec<String> = field("Subject Alternative Name: ")
        .unwrap_or("")
        .split(", ")
        .filter_map(|s| s.strip_prefix("DNS:"))
        .map(str::to_lowercase)
        .collect();
    if !sans.is_empty() {
        return sans;
    }
    field("Subject: ")
        .and_then(|s| s.split('/').find_map(|part| part.strip_prefix("CN=")))
        .map(|cn| vec![cn.to_lowercase()])
        .unwrap_or_default()
}

enum LineError {
    /// HAProxy's own error text.
    Haproxy(String),
    /// A keyword HAProxy accepts that the model does not execute.
    NotModelled(String),
}

/// Reads a crt-list line as `crtlist_parse_line` does: the certificate, an optional `[…]`
/// block of options, then SNI filters.
#[allow(clippy::type_complexity)]
fn parse_line(line: &str) -> Result<(String, Option<Vec<u8>>, Vec<String>), LineError> {
    let line = line.trim();
    let (cert, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim_start();
    let (options, filters) = match rest.strip_prefix('[') {
        Some(inner) => {
            let Some((block, after)) = inner.split_once(']') else {
                return Err(LineError::Haproxy(
                    "parsing [CLI:1]: missing ']' in the crt-list line".into(),
                ));
            };
            (Some(render_options(block)?), after)
        }
        None => (None, rest),
    };
    let filters = filters.split_whitespace().map(str::to_string).collect();
    Ok((cert.to_string(), options, filters))
}

/// The options block as HAProxy dumps it back: its keywords in `dump_crtlist_sslconf`'s order,
/// alpn and npn values with HAProxy's trailing NUL byte.
fn render_options(block: &str) -> Result<Vec<u8>, LineError> {
    let words: Vec<&str> = block.split_whitespace().collect();
    let mut given: Vec<(&str, Option<&str>)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let keyword = words[i];
        if NOT_RENDERED.contains(&keyword) {
            return Err(LineError::NotModelled(keyword.to_string()));
        }
        if !RENDERED.contains(&keyword) {
            return Err(LineError::Haproxy(format!(
                "parsing [CLI:1]: unknown ssl keyword {keyword}"
            )));
        }
        let takes_value = !matches!(keyword, "no-alpn" | "no-ca-names" | "allow-0rtt");
        let value = if takes_value {
            i += 1;
            match words.get(i) {
                Some(v) => Some(*v),
                None => {
                    return Err(LineError::Haproxy(format!(
                        "parsing [CLI:1]: ssl args out of '[]' for {keyword}"
                    )));
                }
            }
        } else {
            None
        };
        given.retain(|(k, _)| *k != keyword);
        given.push((keyword, value));
        i += 1;
    }
    let mut out: Vec<u8> = Vec::new();
    for keyword in RENDERED {
        let Some((_, value)) = given.iter().find(|(k, _)| k == keyword) else {
            continue;
        };
        if !out.is_empty() {
            out.push(b' ');
        }
        match (*keyword, value) {
            ("no-alpn", _) => out.extend_from_slice(b"no-alpn\0"),
            ("alpn" | "npn", Some(v)) => {
                out.extend_from_slice(format!("{keyword} {v}").as_bytes());
                out.push(0);
            }
            (k, Some(v)) => out.extend_from_slice(format!("{k} {v}").as_bytes()),
            (k, None) => out.extend_from_slice(k.as_bytes()),
        }
    }
    Ok(out)
}
