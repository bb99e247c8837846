//! CA and CRL files as HAProxy holds them at run time (`cafile_entry`, `ssl_ckch.c`): their
//! stores, one open `set ssl ca-file` and one open `set ssl crl-file` transaction, with
//! HAProxy's messages for `show/set/commit/abort ssl ca-file|crl-file`.

use super::Reply;
use super::pem::{self, TrustObject};
use super::staging::{self, staged_base};
use crate::version::Version;

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `ca-file`.
    Ca,
    /// A `crl-file`.
    Crl,
}

impl Kind {
    /// The word HAProxy's messages use (`transaction created for CA …`).
    fn short(self) -> &'static str {
        match self {
            Kind::Ca => "CA",
            Kind::Crl => "CRL",
        }
    }

    /// The command's noun (`ca-file`).
    fn noun(self) -> &'static str {
        match self {
            Kind::Ca => "ca-file",
            Kind::Crl => "crl-file",
        }
    }
}

/// One CA or CRL file.
#[derive(Debug, Clone)]
pub struct TrustFile {
    /// Its path.
    pub path: String,
    /// Its store's objects, in store order.
    pub objects: Vec<TrustObject>,
    /// Instances that use it that the model cannot tie to a bind (seeded `Used`).
    pub direct_uses: usize,
}

impl TrustFile {
    fn certificates(&self) -> usize {
        self.objects
            .iter()
            .filter(|o| matches!(o, TrustObject::Cert(_)))
            .count()
    }
}

/// The CA (or CRL) files of one process.
#[derive(Debug, Clone)]
pub struct TrustFiles {
    /// CA or CRL files.
    pub kind: Kind,
    /// Every file.
    pub files: Vec<TrustFile>,
    /// The open transaction: the file as it will be.
    pub transaction: Option<TrustFile>,
}

impl TrustFiles {
    /// No files of `kind`.
    pub fn new(kind: Kind) -> TrustFiles {
        TrustFiles {
            kind,
            files: Vec::new(),
            transaction: None,
        }
    }

    fn file(&self, path: &str) -> Option<&TrustFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// A listing line: the path, and for a CA file its count of certificates.
    fn listed(&self, file: &TrustFile) -> String {
        match self.kind {
            Kind::Ca => format!("{} - {} certificate(s)", file.path, file.certificates()),
            Kind::Crl => file.path.clone(),
        }
    }

    /// `show ssl ca-file|crl-file [[*]<name>]`; `instances` counts the bind instances that use
    /// the named file.
    pub fn show(&self, version: Version, args: &[&str], instances: usize) -> Reply {
        let Some(&name) = args.first() else {
            let lines = self.files.iter().map(|f| self.listed(f)).collect();
            let pending = self.transaction.as_ref().map(|t| self.listed(t));
            return Reply::Body(staging::listing(pending, lines).into_bytes());
        };
        let not_found = || {
            Reply::line(format!(
                "Can't display the {} file : Not found!",
                self.kind.short()
            ))
        };
        let (file, pending) = match name.strip_prefix('*') {
            Some(path) => match &self.transaction {
                Some(t) if t.path == path => (t, true),
                _ => return not_found(),
            },
            None => match self.file(name) {
                Some(f) => (f, false),
                None => return not_found(),
            },
        };
        // A file made by `new` has no store until a commit fills it: HAProxy says `Empty` for a
        // CRL file and prints nothing at all for a CA file (its header goes out with the first
        // certificate). A store with no revocation list still shows (`set ssl crl-file` with a
        // certificate only).
        let empty = file.objects.is_empty();
        if empty && self.kind == Kind::Ca {
            return Reply::Body(Vec::new());
        }
        let used = instances + file.direct_uses > 0;
        let status = staging::status(version, empty, pending, used);
        let mut out = format!(
            "Filename: {}{}\nStatus: {status}\n",
            if pending { "*" } else { "" },
            file.path
        );
        for (i, object) in file.objects.iter().enumerate() {
            let (title, lines) = match (self.kind, object) {
                (Kind::Ca, TrustObject::Cert(lines)) => ("Certificate", lines),
                (Kind::Crl, TrustObject::Crl(lines)) => ("Certificate Revocation List", lines),
                _ => continue,
            };
            // The store's index, certificates and lists counted together.
            out.push_str(&format!(" \n{title} #{}:\n", i + 1));
            for line in lines {
                out.push_str(line);
                out.push('\n');
            }
        }
        Reply::Body(out.into_bytes())
    }

    /// `set ssl ca-file|crl-file <name>` with its PEM payload.
    pub fn set(&mut self, version: Version, args: &[&str], payload: Option<&[u8]>) -> Reply {
        let (Some(&name), Some(payload)) = (args.first(), payload) else {
            let what = match self.kind {
                Kind::Ca => "CAs",
                Kind::Crl => "CRLs",
            };
            return Reply::line(format!(
                "'set ssl {}' expects a filename and {what} as a payload",
                self.kind.noun()
            ));
        };
        let failed = |why: String| Reply::Body(format!("{why}Can't update {name}!\n").into_bytes());
        let open = self.transaction.as_ref().map(|t| (t.path.as_str(), t));
        let what = format!("a {} file", self.kind.short());
        let base = match staged_base(open, name, self.file(name), true, &what) {
            Ok(base) => base,
            Err(why) => return failed(why),
        };
        // The pinned 2.6 builds link OpenSSL 3.0, the later ones 3.5 (see `pem::load_trust`).
        let Some(objects) = pem::load_trust(payload, version < Version::new(3, 0, 0)) else {
            return failed("Invalid payload\n".into());
        };
        let verb = if self.transaction.is_none() {
            "created"
        } else {
            "updated"
        };
        self.transaction = Some(TrustFile { objects, ..base });
        Reply::line(format!(
            "transaction {verb} for {} {name}!",
            self.kind.short()
        ))
    }

    /// `commit ssl ca-file|crl-file <name>`: one dot per instance that uses the file.
    pub fn commit(&mut self, args: &[&str], instances: usize) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line(format!(
                "'commit ssl {}' expects a filename",
                self.kind.noun()
            ));
        };
        let failed = |why: String| Reply::Body(format!("{why}Can't commit {name}!\n").into_bytes());
        if let Err(why) = staging::committable(&self.transaction, |t| &t.path, name) {
            return failed(why);
        }
        let new = self.transaction.take().expect("checked above");
        let dots = ".".repeat(instances + new.direct_uses);
        if let Some(file) = self.files.iter_mut().find(|f| f.path == new.path) {
            *file = new;
        }
        Reply::Body(format!("Committing {name}{dots}\nSuccess!\n").into_bytes())
    }

    /// `new ssl ca-file|crl-file <name>`: an empty file, unused until a crt-list line names
    /// it. `taken` tells whether a file of the other kind has the name (HAProxy keeps CA and
    /// CRL files in one tree).
    pub fn create(&mut self, args: &[&str], taken: bool) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line(format!("'new ssl {}' expects a filename", self.kind.noun()));
        };
        if taken || self.file(name).is_some() {
            return Reply::line(format!(
                "{} file '{name}' already exists!",
                self.kind.short()
            ));
        }
        self.files.push(TrustFile {
            path: name.to_owned(),
            objects: Vec::new(),
            direct_uses: 0,
        });
        Reply::line(format!("New {} file created '{name}'!", self.kind.short()))
    }

    /// `del ssl ca-file|crl-file <name>`: only a file no bind uses, without an open
    /// transaction.
    pub fn delete(&mut self, version: Version, args: &[&str], instances: usize) -> Reply {
        let Some(&name) = args.first() else {
            let what = match self.kind {
                Kind::Ca => "a CA file name",
                Kind::Crl => "a CRL file name",
            };
            return Reply::line(format!("'del ssl {}' expects {what}", self.kind.noun()));
        };
        let short = self.kind.short();
        let refused = |why: String| {
            Reply::Body(format!("Can't remove the {short} file: {why}\n").into_bytes())
        };
        if self.transaction.as_ref().is_some_and(|t| t.path == name) {
            return refused(format!("ongoing transaction for the {short} file '{name}'"));
        }
        // 2.6 ends these reasons with a line break of their own, before the message's.
        let eol = if version < Version::new(3, 0, 0) {
            "\n"
        } else {
            ""
        };
        let Some(at) = self.files.iter().position(|f| f.path == name) else {
            return refused(format!("{short} file '{name}' doesn't exist!{eol}"));
        };
        if instances + self.files[at].direct_uses > 0 {
            return refused(format!(
                "{short} file '{name}' in use, can't be deleted!{eol}"
            ));
        }
        self.files.remove(at);
        Reply::line(format!("{short} file '{name}' deleted!"))
    }

    /// Whether a file is named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.file(name).is_some()
    }

    /// `abort ssl ca-file|crl-file <name>`.
    pub fn abort(&mut self, args: &[&str]) -> Reply {
        let Some(&name) = args.first() else {
            return Reply::line(format!(
                "'abort ssl {}' expects a filename",
                self.kind.noun()
            ));
        };
        Reply::line(staging::abort(&mut self.transaction, |t| &t.path, name))
    }
}
