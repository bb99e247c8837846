//! HAProxy's answer to a command it does not know (`cli_gen_usage_msg` in its `src/cli.c`): a
//! header, then the keywords that best match what was typed — the ones whose first words equal
//! the command's and whose remaining words look most alike (a fingerprint of letter
//! transitions, at most five, none much worse than the best) — or, when none is alike, every
//! keyword starting with the words that matched; sorted by usage text, then `help`, `prompt`
//! and `quit`.
//!
//! The keywords come from the version's recorded `help`: each usage line starts with the
//! keyword's fixed words. HAProxy breaks ties between equally alike keywords by registration
//! order, which `help` (sorted) does not show: it comes from `emulator/data/cli-order/`, read
//! from HAProxy's source (link order, then each file's keyword tables); a keyword missing there
//! goes last, in help order.

use crate::version::Version;

/// The most keywords a suggestion lists (`CLI_MAX_MATCHES`).
const MAX_MATCHES: usize = 5;
/// The most words of a keyword (`CLI_PREFIX_KW_NB`).
const MAX_WORDS: usize = 5;

/// The order in which each pinned release registers its CLI keywords (written by
/// `scripts/cli-keyword-order.py` from HAProxy's source at the release's `.0` tag).
const REGISTRATION_ORDER: &[((u32, u32), &str)] = &[
    ((2, 6), include_str!("../data/cli-order/2.6.txt")),
    ((3, 0), include_str!("../data/cli-order/3.0.txt")),
    ((3, 2), include_str!("../data/cli-order/3.2.txt")),
    ((3, 4), include_str!("../data/cli-order/3.4.txt")),
];

/// The registered keywords of `version` in registration order, as `(words, usage)`: its own
/// release's, else the closest earlier one's.
fn registration_order(version: Version) -> Vec<(&'static str, &'static str)> {
    version
        .pick(REGISTRATION_ORDER)
        .map(|order| order.lines().filter_map(|l| l.split_once('\t')).collect())
        .unwrap_or_default()
}

/// One CLI keyword: its fixed words and its usage line (without the two leading spaces).
#[derive(Debug, Clone)]
struct Keyword {
    words: Vec<String>,
    usage: String,
}

/// A version's keywords and the lines every usage message ends with.
#[derive(Debug, Clone)]
pub struct Usage {
    keywords: Vec<Keyword>,
    /// `help`, `prompt` and `quit` (words, usage), always listed last.
    trailer: Vec<(Vec<String>, String)>,
    /// 2.7+ names the first word in the header.
    names_word: bool,
}

impl Usage {
    /// Reads the usage lines of a recorded `help` (`  <usage>\n` each); `names_word` as the
    /// version's header does.
    pub fn new(lines: &[u8], version: Version, names_word: bool) -> Usage {
        let text = String::from_utf8_lossy(lines);
        let order = registration_order(version);
        let (mut keywords, mut trailer) = (Vec::new(), Vec::new());
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let usage = line.strip_prefix("  ").unwrap_or(line).to_owned();
            // The registered words where the source has this usage text (they may differ
            // from how the text spells them), else the text's own first words; its rank by
            // the text, else by those words (a later patch release may reword a text).
            let spelt = fixed_words(&usage).join(" ");
            let registered = order
                .iter()
                .position(|(_, u)| *u == usage)
                .or_else(|| order.iter().position(|(w, _)| *w == spelt));
            let words: Vec<String> = match registered {
                Some(at) => order[at].0.split(' ').map(str::to_owned).collect(),
                None => fixed_words(&usage).into_iter().map(str::to_owned).collect(),
            };
            let words: Vec<String> = words.into_iter().take(MAX_WORDS).collect();
            if matches!(
                words.first().map(String::as_str),
                Some("help" | "prompt" | "quit")
            ) && words.len() == 1
            {
                trailer.push((words, usage));
            } else if !words.is_empty() {
                let rank = registered.unwrap_or(order.len());
                keywords.push((rank, Keyword { words, usage }));
            }
        }
        // Registration order; a stable sort keeps help order among the unknown ones.
        keywords.sort_by_key(|(rank, _)| *rank);
        Usage {
            keywords: keywords.into_iter().map(|(_, k)| k).collect(),
            trailer,
            names_word,
        }
    }

    /// True when some keyword's words (or `help`, `prompt`, `quit`) start `words`: HAProxy
    /// knows the command.
    pub fn knows(&self, words: &[Vec<u8>]) -> bool {
        let all = self
            .keywords
            .iter()
            .map(|k| &k.words)
            .chain(self.trailer.iter().map(|t| &t.0));
        all.into_iter().any(|fixed| {
            fixed.len() <= words.len()
                && fixed
                    .iter()
                    .zip(words)
                    .all(|(f, w)| f.split('|').any(|alt| alt.as_bytes() == w.as_slice()))
        })
    }

    /// The whole reply to the unknown command `args` (its words), with the terminating
    /// `"\n"`.
    pub fn unknown_command(&self, args: &[Vec<u8>]) -> Vec<u8> {
        self.message(args, false)
    }

    /// The whole reply to `help <args>` (`args` without `help`): the same selection under
    /// `The following commands are valid at this level:`.
    pub fn help(&self, args: &[Vec<u8>]) -> Vec<u8> {
        self.message(args, true)
    }

    fn message(&self, args: &[Vec<u8>], help: bool) -> Vec<u8> {
        let args: Vec<String> = args
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let args: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .take_while(|w| !w.is_empty())
            .collect();
        // How many leading words some keyword shares exactly.
        let length = self
            .keywords
            .iter()
            .map(|k| {
                k.words
                    .iter()
                    .zip(&args)
                    .take_while(|(k, a)| k == *a)
                    .count()
            })
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        if help {
            out.push_str("The following commands are valid at this level:\n");
        } else {
            out.push_str("Unknown command");
            if self.names_word {
                out.push_str(&format!(": '{}'", args.first().copied().unwrap_or("")));
            }
            out.push_str(if args.is_empty() {
                ". Please enter one of the following commands only:\n"
            } else {
                ", but maybe one of the following ones is a better match:\n"
            });
        }
        let mut entries = self.alike(&args, length);
        if entries.is_empty() {
            entries = self
                .keywords
                .iter()
                .filter(|k| k.words.len() >= length && k.words[..length] == args[..length])
                .collect();
        }
        entries.sort_by(|a, b| a.usage.as_bytes().cmp(b.usage.as_bytes()));
        for line in entries
            .iter()
            .map(|k| &k.usage)
            .chain(self.trailer.iter().map(|t| &t.1))
        {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out.into_bytes()
    }

    /// The keywords sharing the first `length` words whose next words look like the command's
    /// (HAProxy's fuzzy match), best first.
    fn alike(&self, args: &[&str], length: usize) -> Vec<&Keyword> {
        let Some(rest) = args.get(length..).filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        let rest = &rest[..rest.len().min(MAX_WORDS.saturating_sub(length))];
        let typed = fingerprint(rest.iter().copied());
        let typed_len: usize = rest.iter().map(|w| w.len()).sum();
        let mut matches: Vec<(&Keyword, usize)> = Vec::new();
        for keyword in &self.keywords {
            if keyword.words.len() < length || keyword.words[..length] != args[..length] {
                continue;
            }
            let theirs = &keyword.words[length..];
            let total = typed_len + theirs.iter().map(String::len).sum::<usize>();
            let dist = distance(&typed, &fingerprint(theirs.iter().map(String::as_str)));
            let worst = matches.get(MAX_MATCHES - 1).map_or(usize::MAX, |m| m.1);
            if dist < 5 * total / 2 && dist < worst {
                // After the equally alike ones already kept (HAProxy's insertion).
                let at = matches.iter().take_while(|m| m.1 <= dist).count();
                matches.insert(at, (keyword, dist));
                matches.truncate(MAX_MATCHES);
            }
        }
        let best = matches.first().map_or(0, |m| m.1);
        matches
            .into_iter()
            .take_while(|m| m.1 <= 5 * best / 2)
            .map(|m| m.0)
            .collect()
    }
}

/// The fixed words a usage line starts with (the keyword: `commit acl` of `commit acl @<ver>
/// <acl> : …`), up to its first argument.
pub fn fixed_words(usage: &str) -> Vec<&str> {
    usage
        .trim_start()
        .split(" : ")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .take_while(|w| {
            w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.|".contains(c))
        })
        .collect()
}

/// HAProxy's `update_word_fingerprint` over several words: which characters occur (row 0) and
/// how often each transition between two (letters 1–26, digits 27, anything else and the word's
/// ends 28) does.
fn fingerprint<'a>(words: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut fp = vec![0u8; 1024];
    for word in words {
        let mut from = 28;
        for c in word.bytes().map(|b| b.to_ascii_lowercase()) {
            let to = match c {
                b'a'..=b'z' => usize::from(c - b'a') + 1,
                b'0'..=b'9' => 27,
                _ => 28,
            };
            fp[to] = 1;
            fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
            from = to;
        }
        fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
    }
    fp
}

fn distance(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .map(|(x, y)| usize::from(x.abs_diff(*y)))
        .sum()
}
