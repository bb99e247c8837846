//! `show activity`: `key: total [ t1 t2 … ]` lines, and free-form lines in between.
//!
//! The set of keys changes with every version and build, and some lines have other shapes
//! (`thread_id: 1 (1..2)`, `date_now: 1795592784.427676`, and with one thread or a thread
//! argument just `key: value`). Nothing here fails on an unknown shape: such a line keeps
//! its name and the raw text after the colon.

use serde::Serialize;

use super::{ParseError, numbered_lines};

/// One line of `show activity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityEntry {
    /// The key before the colon, e.g. `ctxsw`.
    pub name: String,
    /// The aggregate value, or the raw text after the colon for lines of another shape.
    pub total: String,
    /// Per-thread values from the `[ … ]` group (empty when there is none).
    pub per_thread: Vec<String>,
}

/// The parsed `show activity` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityReport {
    /// Every non-blank line, in order.
    pub entries: Vec<ActivityEntry>,
}

impl ActivityReport {
    /// The entry called `name`, if present.
    pub fn get(&self, name: &str) -> Option<&ActivityEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// Splits `total [ a b c ]` into the total and the per-thread values; `None` for other shapes.
fn split_per_thread(value: &str) -> Option<(&str, Vec<String>)> {
    let (total, group) = value.split_once('[')?;
    let inner = group.trim_end().strip_suffix(']')?;
    let total = total.trim();
    if total.contains(char::is_whitespace) {
        return None;
    }
    Some((
        total,
        inner.split_ascii_whitespace().map(str::to_owned).collect(),
    ))
}

/// Parses `show activity` output. It never fails; the `Result` matches the other parsers.
pub fn parse(text: &str) -> Result<ActivityReport, ParseError> {
    let mut entries = Vec::new();
    for (_, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        let (total, per_thread) = match split_per_thread(value) {
            Some((t, p)) => (t.to_owned(), p),
            None => (value.to_owned(), Vec::new()),
        };
        entries.push(ActivityEntry {
            name: name.trim().to_owned(),
            total,
            per_thread,
        });
    }
    Ok(ActivityReport { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_26_capture() {
        // Live 2.6.12 capture (abridged).
        let r = parse("thread_id: 1 (1..2)\ndate_now: 1795594607.960289\nctxsw: 375 [ 189 186 ]\navg_loop_us: 15 [ 16 14 ]\n").unwrap();
        assert_eq!(r.entries.len(), 4);
        let t = r.get("thread_id").unwrap();
        assert_eq!(t.total, "1 (1..2)");
        assert!(t.per_thread.is_empty());
        assert_eq!(r.get("date_now").unwrap().total, "1795594607.960289");
        let c = r.get("ctxsw").unwrap();
        assert_eq!(c.total, "375");
        assert_eq!(c.per_thread, ["189", "186"]);
    }

    #[test]
    fn other_shapes_never_fail() {
        let r = parse("ctxsw: 12\nweird line\nx: [ broken\nfoo: a b [ 1 ]\n:\n\n").unwrap();
        assert_eq!(r.get("ctxsw").unwrap().total, "12");
        assert_eq!(r.get("weird line").unwrap().total, "");
        assert_eq!(r.get("x").unwrap().total, "[ broken");
        assert_eq!(r.get("foo").unwrap().total, "a b [ 1 ]");
        assert_eq!(r.entries.len(), 5);
        assert!(parse("").unwrap().entries.is_empty());
    }
}
