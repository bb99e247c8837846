//! How a map or an ACL is matched: the pattern expressions the configuration builds over one
//! file (`map_beg(file)`, `acl x src -f file`, `{ path_beg -i -f file }`), each with its match
//! method, case and output type. `get map` / `get acl` answer one line per expression, in the
//! order the configuration created them (HAProxy's `ref->pat` list), and HAProxy shares one
//! expression between uses with the same method, output type and case.

use std::net::IpAddr;

/// A match method (HAProxy's `pat_match_names`), with how it is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Exact string (tree).
    Str,
    /// Prefix (prefix tree: the longest wins).
    Beg,
    /// Substring (list).
    Sub,
    /// A `/`-delimited part of the sample (list).
    Dir,
    /// A `.`-delimited part of the sample (list).
    Dom,
    /// Suffix (list).
    End,
    /// Regular expression (list): not evaluated by the model.
    Reg,
    /// Integer or `low:high` range (list).
    Int,
    /// Address or network (tree: the most specific wins).
    Ip,
}

impl Method {
    /// Reads `str`, `beg`, … (the `-m` word, or a fetch or converter suffix).
    pub fn parse(word: &str) -> Option<Method> {
        Some(match word {
            "str" => Method::Str,
            "beg" => Method::Beg,
            "sub" => Method::Sub,
            "dir" => Method::Dir,
            "dom" => Method::Dom,
            "end" => Method::End,
            "reg" => Method::Reg,
            "int" => Method::Int,
            "ip" => Method::Ip,
            _ => return None,
        })
    }

    /// The word `get map` shows after `type=`.
    pub fn word(self) -> &'static str {
        match self {
            Method::Str => "str",
            Method::Beg => "beg",
            Method::Sub => "sub",
            Method::Dir => "dir",
            Method::Dom => "dom",
            Method::End => "end",
            Method::Reg => "reg",
            Method::Int => "int",
            Method::Ip => "ip",
        }
    }

    /// Whether HAProxy indexes this method in a tree (`idx=tree`) rather than a list.
    pub fn tree(self) -> bool {
        matches!(self, Method::Str | Method::Beg | Method::Ip)
    }
}

/// One pattern expression over a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// How a sample is compared with the keys.
    pub method: Method,
    /// `-i`: compared without case (ACLs only).
    pub ignore_case: bool,
    /// A map's output type: `str`, `sint` (`map_*_int`) or `ip` (`map_*_ip`).
    pub output: &'static str,
}

impl Matcher {
    /// The key among `keys` (in list order) this expression matches `sample` with, as HAProxy
    /// finds it: exact for `str`, the longest prefix for `beg`, the most specific network for
    /// `ip`, the first in list order for the list methods (`reg` among them). `None` when a
    /// `reg` key is a regular expression the model cannot evaluate as PCRE would (the caller
    /// answers that it does not model the lookup).
    pub fn find<'a>(
        &self,
        keys: impl Iterator<Item = &'a str>,
        sample: &str,
    ) -> Option<Option<usize>> {
        let fold = |s: &str| {
            if self.ignore_case {
                s.to_ascii_lowercase()
            } else {
                s.to_owned()
            }
        };
        let sample_folded = fold(sample);
        let mut best: Option<(usize, usize)> = None; // (index, specificity)
        for (index, key) in keys.enumerate() {
            let k = fold(key);
            let specificity = match self.method {
                Method::Reg => regex_matches(key, sample, self.ignore_case)?.then_some(0),
                Method::Str => (k == sample_folded).then_some(0),
                Method::Beg => sample_folded.starts_with(&k).then_some(k.len()),
                Method::End => sample_folded.ends_with(&k).then_some(0),
                Method::Sub => sample_folded.contains(&k).then_some(0),
                Method::Dir => delimited_part(&sample_folded, &k, '/').then_some(0),
                Method::Dom => delimited_part(&sample_folded, &k, '.').then_some(0),
                Method::Int => int_matches(&k, sample).then_some(0),
                Method::Ip => match (parse_net(&k), sample.parse::<IpAddr>()) {
                    (Some((net, bits)), Ok(ip)) if in_net(ip, net, bits) => Some(bits as usize),
                    _ => None,
                },
            };
            if let Some(s) = specificity {
                let better = match best {
                    None => true,
                    // Trees keep the most specific; lists the first.
                    Some((_, b)) => self.method.tree() && s > b,
                };
                if better {
                    best = Some((index, s));
                }
                // A list stops at its first match: later keys are never looked at (nor is a
                // regular expression the model could not run).
                if !self.method.tree() {
                    break;
                }
            }
        }
        Some(best.map(|(index, _)| index))
    }

    /// The type `get map` shows for a found entry's value.
    pub fn value_type(&self, value: &str) -> &'static str {
        match self.output {
            "ip" => match value.parse::<IpAddr>() {
                Ok(IpAddr::V6(_)) => "ipv6",
                _ => "ipv4",
            },
            other => other,
        }
    }
}

/// Whether the regular expression `key` finds a match anywhere in `sample`, as HAProxy's
/// `reg` method runs it (PCRE, unanchored, on the sample's bytes, `-i` ignoring case).
/// `None` when the expression uses what this engine lacks (backreferences, lookaround) or
/// does not compile: the model does not guess.
fn regex_matches(key: &str, sample: &str, ignore_case: bool) -> Option<bool> {
    // Bytes and ASCII classes: PCRE without UTF mode reads the sample as bytes and `\d`, `\w`
    // as ASCII, as HAProxy compiles its patterns.
    let re = regex::bytes::RegexBuilder::new(key)
        .unicode(false)
        .case_insensitive(ignore_case)
        .build()
        .ok()?;
    Some(re.is_match(sample.as_bytes()))
}

/// `pattern` found in `sample` as whole `delim`-separated parts (HAProxy's `match_word`).
fn delimited_part(sample: &str, pattern: &str, delim: char) -> bool {
    let pattern = pattern.trim_matches(delim);
    if pattern.is_empty() {
        return false;
    }
    let parts: Vec<&str> = sample.split(delim).collect();
    let wanted: Vec<&str> = pattern.split(delim).collect();
    parts.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

/// An integer key (`5`, `1:10`, `:10`, `5:`) against an integer sample.
fn int_matches(key: &str, sample: &str) -> bool {
    let Ok(n) = sample.trim().parse::<i64>() else {
        return false;
    };
    match key.split_once(':') {
        Some((low, high)) => {
            let low = if low.is_empty() {
                Some(i64::MIN)
            } else {
                low.parse().ok()
            };
            let high = if high.is_empty() {
                Some(i64::MAX)
            } else {
                high.parse().ok()
            };
            matches!((low, high), (Some(l), Some(h)) if l <= n && n <= h)
        }
        None => key.parse::<i64>() == Ok(n),
    }
}

/// `a.b.c.d[/n]` or an IPv6 address with an optional prefix length.
pub fn parse_net(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b.parse().ok()?,
        None => max,
    };
    (bits <= max).then_some((ip, bits))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The pattern expressions one configuration line builds, with the file each reads (as
/// written: it may hold `${VAR}`): map converters (`map_beg(file,default)`) and ACL files
/// (`-f file` after a fetch, in an `acl` line or an inline `{ … }` condition).
/// Each with `true` for a map (a converter), `false` for an ACL.
pub fn uses_in(line: &str) -> Vec<(String, Matcher, bool)> {
    let maps = map_converters(line).into_iter().map(|(f, m)| (f, m, true));
    maps.chain(acl_files(line).into_iter().map(|(f, m)| (f, m, false)))
        .collect()
}

/// A configuration word without its quotes (`"be_a"` → `be_a`).
pub(super) fn unquote(word: &str) -> String {
    word.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

fn map_converters(line: &str) -> Vec<(String, Matcher)> {
    let mut uses = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("map") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + 3..];
        rest = after;
        // A converter follows a comma (or opens an expression); `map_beg(`, `map(`…
        if !matches!(before, Some(',') | Some('(') | Some(' ') | Some('[')) {
            continue;
        }
        let Some(open) = after.find('(') else {
            continue;
        };
        let name = &after[..open];
        let mut parts = name
            .trim_start_matches('_')
            .split('_')
            .filter(|p| !p.is_empty());
        let method = match parts.next() {
            None => Method::Str,
            Some(m) => match Method::parse(m) {
                Some(m) => m,
                None => continue,
            },
        };
        let output = match parts.next() {
            None | Some("str") | Some("key") => "str",
            Some("int") => "sint",
            Some("ip") => "ip",
            Some(_) => continue,
        };
        if parts.next().is_some() {
            continue;
        }
        let args = &after[open + 1..];
        let end = args.find([',', ')']).unwrap_or(args.len());
        let file = unquote(args[..end].trim());
        if !file.is_empty() {
            uses.push((
                file,
                Matcher {
                    method,
                    ignore_case: false,
                    output,
                },
            ));
        }
    }
    uses
}

/// The method a fetch matches with by default: its suffix (`path_beg`, `hdr_dom(host)`), else
/// `ip` for the address fetches, `int` for the counters and ports, `str` otherwise.
fn default_method(fetch: &str) -> Method {
    let name = fetch.split('(').next().unwrap_or(fetch);
    if let Some(m) = name
        .rsplit_once('_')
        .and_then(|(_, suffix)| Method::parse(suffix))
    {
        return m;
    }
    let base = name.rsplit('.').next().unwrap_or(name);
    if ["src", "dst", "hdr_ip"].contains(&base) || base.ends_with("_ip") {
        Method::Ip
    } else if base.ends_with("port")
        || base.ends_with("_cnt")
        || base.ends_with("_rate")
        || base.ends_with("_cur")
        || base.ends_with("_conn")
    {
        Method::Int
    } else {
        Method::Str
    }
}

fn acl_files(line: &str) -> Vec<(String, Matcher)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut uses = Vec::new();
    // Where each criterion starts: after `acl <name>`, and after each `{`.
    let mut starts: Vec<usize> = Vec::new();
    if words.first() == Some(&"acl") && words.len() > 2 {
        starts.push(2);
    }
    starts.extend(
        words
            .iter()
            .enumerate()
            .filter(|(_, w)| **w == "{")
            .map(|(i, _)| i + 1),
    );
    for start in starts {
        let Some(fetch) = words.get(start) else {
            continue;
        };
        let mut method = default_method(fetch);
        let mut ignore_case = false;
        let mut files = Vec::new();
        let mut i = start + 1;
        while let Some(w) = words.get(i) {
            match *w {
                "}" => break,
                "-i" => ignore_case = true,
                "-m" => {
                    if let Some(m) = words.get(i + 1).and_then(|m| Method::parse(m)) {
                        method = m;
                    }
                    i += 1;
                }
                "-f" => {
                    if let Some(f) = words.get(i + 1) {
                        files.push(unquote(f));
                    }
                    i += 1;
                }
                w if w.starts_with('-') => {}
                _ => break,
            }
            i += 1;
        }
        for file in files {
            uses.push((
                file,
                Matcher {
                    method,
                    ignore_case,
                    output: "str",
                },
            ));
        }
    }
    uses
}

/// Whether a configuration's path (maybe with `${VAR}`) names the file HAProxy loaded.
pub fn same_file(written: &str, loaded: &str) -> bool {
    if written.contains('$') {
        let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        base(written) == base(loaded)
    } else {
        written == loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(method: Method) -> Matcher {
        Matcher {
            method,
            ignore_case: false,
            output: "str",
        }
    }

    #[test]
    fn each_method_matches_like_haproxy() {
        let keys = [
            "/api",
            "/api/v2",
            "example.com",
            "10:20",
            "10.0.0.0/8",
            "10.1.0.0/16",
        ];
        let find = |method, sample| m(method).find(keys.iter().copied(), sample).unwrap();
        assert_eq!(find(Method::Str, "/api"), Some(0));
        assert_eq!(find(Method::Str, "/api/"), None);
        // The longest prefix wins in the prefix tree.
        assert_eq!(find(Method::Beg, "/api/v2/users"), Some(1));
        assert_eq!(find(Method::End, "www.example.com"), Some(2));
        assert_eq!(find(Method::Sub, "x/api/v2"), Some(0));
        assert_eq!(find(Method::Dom, "www.example.com"), Some(2));
        assert_eq!(find(Method::Dom, "www.myexample.com"), None);
        assert_eq!(find(Method::Dir, "/x/api/y"), Some(0));
        assert_eq!(find(Method::Int, "15"), Some(3));
        assert_eq!(find(Method::Ip, "10.1.2.3"), Some(5));
        assert_eq!(find(Method::Ip, "10.2.2.3"), Some(4));
        // Regular expressions: unanchored, the first in list order; one the engine cannot
        // run as PCRE would is not evaluated.
        let regs = ["^/api/", "v[0-9]+$", "(a)\\1"];
        let reg = |sample| m(Method::Reg).find(regs.iter().copied(), sample);
        assert_eq!(reg("/api/v2"), Some(Some(0)));
        assert_eq!(reg("/x/v12"), Some(Some(1)));
        // No match before the expression the model cannot run: it does not guess.
        assert_eq!(reg("aa"), None);
        let plain = |sample| m(Method::Reg).find(regs[..2].iter().copied(), sample);
        assert_eq!(plain("/x/V12"), Some(None));
        let folded = Matcher {
            ignore_case: true,
            ..m(Method::Reg)
        };
        assert_eq!(
            folded.find(regs[..2].iter().copied(), "/X/V12"),
            Some(Some(1))
        );
    }

    #[test]
    fn a_configuration_line_builds_these_expressions() {
        let uses = uses_in(
            "http-request set-var(txn.r) path,map_beg(/etc/haproxy/routes.map,none),lower,map_str_int(\"/m/ports.map\")",
        );
        assert_eq!(uses[0].0, "/etc/haproxy/routes.map");
        assert_eq!(uses[0].1.method, Method::Beg);
        assert_eq!(
            (uses[1].0.as_str(), uses[1].1.output),
            ("/m/ports.map", "sint")
        );
        let uses = uses_in("use_backend %[req.hdr(host),lower,map(${D}/hosts.map,be_app)]");
        assert_eq!(
            (uses[0].0.as_str(), uses[0].1.method),
            ("${D}/hosts.map", Method::Str)
        );
        let uses = uses_in("acl blocked src -f \"${D}/blocked.acl\"");
        assert_eq!(
            (uses[0].0.as_str(), uses[0].1.method),
            ("${D}/blocked.acl", Method::Ip)
        );
        let uses = uses_in(
            "http-request deny if { path_beg -i -f /p.acl } || { hdr(host) -m end -f /h.acl }",
        );
        assert_eq!(uses.len(), 2);
        assert_eq!(
            (uses[0].1.method, uses[0].1.ignore_case),
            (Method::Beg, true)
        );
        assert_eq!(uses[1].1.method, Method::End);
        assert!(uses_in("http-request set-var(txn.x) str(bitmap)").is_empty());
        assert!(same_file("${HAPROXY_CONF_DIR}/hosts.map", "/cfg/hosts.map"));
    }
}
