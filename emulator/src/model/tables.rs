//! Stick tables: entries with their data, expiry counting down on the model's clock, `show
//! table` with its filters, `set table`, `clear table`.

use std::time::Duration;

use super::{Model, Reply};
use crate::fixture::Level;

/// One entry.
#[derive(Debug, Clone)]
struct Entry {
    pointer: u64,
    key: String,
    used: u32,
    /// When it expires (model time).
    expires_at: Duration,
    /// Shard number, when the version prints one.
    shard: Option<String>,
    /// Values in the table's data order.
    values: Vec<i64>,
}

/// One stick table.
#[derive(Debug, Clone)]
pub struct Table {
    name: String,
    /// Its `# table: …` line up to `used:`.
    header: String,
    /// The data types it stores, in the order `show table` prints them.
    data: Vec<String>,
    /// Its `expire`, in ms.
    expire_ms: u64,
    entries: Vec<Entry>,
}

impl Table {
    /// A table from its `# table: …` line and its recorded entry lines, at model time `now`.
    pub fn seed(line: &str, entries: &[&str], now: Duration) -> Option<Table> {
        let name = line
            .strip_prefix("# table: ")?
            .split(',')
            .next()?
            .to_owned();
        let header = line.rsplit_once(" used:")?.0.to_owned();
        let mut data = Vec::new();
        let mut parsed = Vec::new();
        let mut longest = 0;
        for entry in entries {
            let Some((pointer, rest)) = entry.split_once(": ") else {
                continue;
            };
            let mut e = Entry {
                pointer: u64::from_str_radix(pointer.trim_start_matches("0x"), 16).ok()?,
                key: String::new(),
                used: 0,
                expires_at: now,
                shard: None,
                values: Vec::new(),
            };
            for word in rest.split(' ') {
                let Some((k, v)) = word.split_once('=') else {
                    continue;
                };
                match k {
                    "key" => e.key = v.to_owned(),
                    "use" => e.used = v.parse().unwrap_or(0),
                    "exp" => {
                        let ms: u64 = v.parse().unwrap_or(0);
                        longest = longest.max(ms);
                        e.expires_at = now + Duration::from_millis(ms);
                    }
                    "shard" => e.shard = Some(v.to_owned()),
                    _ => {
                        if !data.iter().any(|d| d == k) {
                            data.push(k.to_owned());
                        }
                        e.values.push(v.parse().unwrap_or(0));
                    }
                }
            }
            parsed.push(e);
        }
        parsed.sort_by_key(|e| key_order(&e.key));
        Some(Table {
            name,
            header,
            data,
            // The recorded entries were refreshed at most a few seconds before: round up.
            expire_ms: longest.div_ceil(60_000) * 60_000,
            entries: parsed,
        })
    }

    fn header_line(&self) -> String {
        format!("{} used:{}\n", self.header, self.entries.len())
    }

    fn line(&self, e: &Entry, now: Duration) -> String {
        let exp = e.expires_at.saturating_sub(now).as_millis();
        let mut out = format!("0x{:x}: key={} use={} exp={exp}", e.pointer, e.key, e.used);
        if let Some(shard) = &e.shard {
            out.push_str(&format!(" shard={shard}"));
        }
        for (name, value) in self.data.iter().zip(&e.values) {
            out.push_str(&format!(" {name}={value}"));
        }
        out.push('\n');
        out
    }
}

/// HAProxy's stick-table data types in the order `show table` prints them (its enum order).
const DATA_ORDER: &[&str] = &[
    "server_id",
    "gpt0",
    "gpc0",
    "gpc0_rate",
    "conn_cnt",
    "conn_rate",
    "conn_cur",
    "sess_cnt",
    "sess_rate",
    "http_req_cnt",
    "http_req_rate",
    "http_err_cnt",
    "http_err_rate",
    "bytes_in_cnt",
    "bytes_in_rate",
    "bytes_out_cnt",
    "bytes_out_rate",
    "gpc1",
    "gpc1_rate",
    "server_key",
    "http_fail_cnt",
    "http_fail_rate",
    "gpt",
    "gpc",
    "gpc_rate",
    "glitch_cnt",
    "glitch_rate",
];

/// A duration of HAProxy's configuration (`10s`, `10m`, `500`, ms by default), in ms.
fn config_ms(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "" | "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return None,
    })
}

impl Table {
    /// The column of data type `name` (`http_req_rate` is stored as `http_req_rate(10000)`).
    fn column(&self, name: &str) -> Option<usize> {
        self.data
            .iter()
            .position(|d| d == name || d.split_once('(').is_some_and(|(n, _)| n == name))
    }

    /// Takes what a configuration says of this table (`stick-table … expire <t> store <types>`)
    /// where the recordings could not: the data types of a table that was empty, its expiry.
    pub fn configure(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|i| words.get(i + 1))
                .copied()
        };
        if let Some(ms) = after("expire").and_then(config_ms) {
            self.expire_ms = ms;
        }
        if self.data.is_empty()
            && let Some(store) = after("store")
        {
            let mut data: Vec<String> = store
                .split(',')
                .map(|t| match t.split_once('(') {
                    Some((name, period)) => {
                        let ms = config_ms(period.trim_end_matches(')')).unwrap_or(0);
                        format!("{name}({ms})")
                    }
                    None => t.to_owned(),
                })
                .collect();
            data.sort_by_key(|d| {
                let name = d.split('(').next().unwrap_or(d);
                DATA_ORDER
                    .iter()
                    .position(|o| *o == name)
                    .unwrap_or(usize::MAX)
            });
            self.data = data;
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The order entries are listed in: addresses by value, anything else by text.
fn key_order(key: &str) -> (u8, u128, String) {
    match key.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => (0, u128::from(u32::from(a)), String::new()),
        Ok(std::net::IpAddr::V6(a)) => (1, u128::from(a), String::new()),
        Err(_) => (2, 0, key.to_owned()),
    }
}

/// Whether `name` is a data type this version of HAProxy knows, stored by a table or not
/// (`stktable_data_types[]`; 3.0 added the glitch counters).
fn known_data_type(version: crate::version::Version, name: &str) -> bool {
    DATA_ORDER.contains(&name)
        && (version >= crate::version::Version::new(3, 0, 0) || !name.starts_with("glitch_"))
}

/// A `key <k>` or `data.<type> <op> <value>` filter.
enum Filter<'a> {
    All,
    Key(&'a str),
    Data(usize, &'a str, i64),
}

impl Model {
    fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    fn filter<'a>(&self, table: usize, words: &[&'a str]) -> Result<Filter<'a>, Reply> {
        match words {
            [] => Ok(Filter::All),
            ["key", key] => Ok(Filter::Key(key)),
            [data, op, value] if data.starts_with("data.") => {
                let name = &data["data.".len()..];
                if !known_data_type(self.version, name) {
                    return Err(Reply::line("Filter entry #1: Unknown data type"));
                }
                let column = self.tables[table].column(name).ok_or_else(|| {
                    Reply::line("Filter entry #1: Data type not stored in this table")
                })?;
                let value = value
                    .parse()
                    .map_err(|_| Reply::line("Require a valid integer value to compare against"))?;
                if !matches!(*op, "eq" | "ne" | "lt" | "le" | "gt" | "ge") {
                    return Err(Reply::line(
                        "Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"",
                    ));
                }
                Ok(Filter::Data(column, op, value))
            }
            _ => Err(Reply::NotModelled),
        }
    }

    fn selected(entry: &Entry, filter: &Filter) -> bool {
        match filter {
            Filter::All => true,
            Filter::Key(k) => entry.key == *k,
            Filter::Data(i, op, v) => {
                let x = entry.values.get(*i).copied().unwrap_or(0);
                match *op {
                    "eq" => x == *v,
                    "ne" => x != *v,
                    "lt" => x < *v,
                    "le" => x <= *v,
                    "gt" => x > *v,
                    _ => x >= *v,
                }
            }
        }
    }

    /// Drops expired entries.
    pub(super) fn expire_entries(&mut self) {
        let now = self.now();
        for t in &mut self.tables {
            t.entries.retain(|e| e.expires_at > now);
        }
    }

    /// `show table [name [filter]]`; `level` is the socket's, which decides whether contents
    /// are shown (see [`Model::execute_on`]).
    pub(super) fn show_table(&self, level: Level, args: &[&str]) -> Reply {
        let now = self.now();
        let Some((name, filter)) = args.split_first() else {
            let mut out = String::new();
            for t in &self.tables {
                out.push_str(&t.header_line());
            }
            return Reply::Body(out.into_bytes());
        };
        let Some(index) = self.table_index(name) else {
            return Reply::line("No such table");
        };
        let table = &self.tables[index];
        let mut out = table.header_line();
        if level < Level::Operator {
            out.push_str("# contents not dumped due to insufficient privileges\n");
            return Reply::Body(out.into_bytes());
        }
        let filter = match self.filter(index, filter) {
            Ok(f) => f,
            Err(reply) => return reply,
        };
        let matching: Vec<&Entry> = table
            .entries
            .iter()
            .filter(|e| Self::selected(e, &filter))
            .collect();
        if matches!(filter, Filter::Key(_)) && matching.is_empty() {
            return Reply::ok();
        }
        for e in matching {
            out.push_str(&table.line(e, now));
        }
        Reply::Body(out.into_bytes())
    }

    /// `set table <name> key <key> [data.<type> <value>]*`.
    pub(super) fn set_table(&mut self, level: Level, args: &[&str]) -> Reply {
        // HAProxy checks for operator level (`table_process_entry`).
        if level < Level::Operator {
            self.leak_refused_entry(args, true);
            return Reply::denied();
        }
        let [name, "key", key, data @ ..] = args else {
            return Reply::NotModelled;
        };
        let Some(index) = self.table_index(name) else {
            return Reply::line("No such table");
        };
        let now = self.now();
        let table = &self.tables[index];
        // HAProxy creates (or touches) the entry first, then stores the pairs in order and
        // stops at the first it refuses: the entry, and the pairs before, stay.
        let mut changes = Vec::new();
        let mut refusal = None;
        for pair in data.chunks(2) {
            let (column, value) = (pair[0], pair.get(1).copied().unwrap_or(""));
            let Some(name) = column.strip_prefix("data.") else {
                refusal = Some("\"data.<type>\" followed by a value expected");
                break;
            };
            if !known_data_type(self.version, name) {
                refusal = Some("Unknown data type");
                break;
            }
            let Some(column) = table.column(name) else {
                refusal = Some("Data type not stored in this table");
                break;
            };
            let Ok(value) = value.parse::<i64>() else {
                refusal = Some("Require a valid integer value to store");
                break;
            };
            changes.push((column, value));
        }
        let expire = now + Duration::from_millis(table.expire_ms);
        // 3.0 shards stick tables and prints each entry's shard (0 with one thread group).
        let shard = (self.version >= crate::version::Version::new(3, 0, 0)).then(|| "0".to_owned());
        let width = table.data.len();
        let pointer = self.next_pointer;
        let table = &mut self.tables[index];
        let entry = match table.entries.iter().position(|e| e.key == *key) {
            Some(i) => &mut table.entries[i],
            None => {
                self.next_pointer += 0xe0;
                // Listed in key order (HAProxy's order is its tree's, which moves with the
                // version and the sharding).
                let at = table
                    .entries
                    .iter()
                    .take_while(|e| key_order(&e.key) < key_order(key))
                    .count();
                table.entries.insert(
                    at,
                    Entry {
                        pointer,
                        key: (*key).to_owned(),
                        used: 0,
                        expires_at: expire,
                        shard,
                        values: vec![0; width],
                    },
                );
                &mut table.entries[at]
            }
        };
        entry.expires_at = expire;
        for (column, value) in changes {
            entry.values[column] = value;
        }
        if let Some(message) = refusal {
            return Reply::line(message);
        }
        Reply::ok()
    }

    /// HAProxy 3.0 looks the key up before it checks the level (`set` creating the entry,
    /// `clear … key` finding it), and on refusing does not release it: the entry stays, one
    /// more `use` each time, so that `clear table` cannot remove it. 2.6, 3.2 and 3.4 do not.
    fn leak_refused_entry(&mut self, args: &[&str], create: bool) {
        let v = self.version;
        if !(v >= crate::version::Version::new(3, 0, 0)
            && v < crate::version::Version::new(3, 1, 0))
        {
            return;
        }
        let [name, "key", key, ..] = args else {
            return;
        };
        let Some(index) = self.table_index(name) else {
            return;
        };
        if create && !self.tables[index].entries.iter().any(|e| e.key == *key) {
            self.set_table(Level::Admin, &[name, "key", key]);
        }
        if let Some(entry) = self.tables[index]
            .entries
            .iter_mut()
            .find(|e| e.key == *key)
        {
            entry.used += 1;
        }
    }

    /// `clear table <name> [filter]`: removes the matching entries not in use.
    pub(super) fn clear_table(&mut self, level: Level, args: &[&str]) -> Reply {
        if level < Level::Operator {
            self.leak_refused_entry(args, false);
            return Reply::denied();
        }
        let Some((name, filter)) = args.split_first() else {
            return Reply::NotModelled;
        };
        let Some(index) = self.table_index(name) else {
            return Reply::line("No such table");
        };
        let filter = match self.filter(index, filter) {
            Ok(f) => f,
            Err(reply) => return reply,
        };
        // One key: HAProxy says when it cannot remove it (an entry still referenced, as 3.0's
        // leaked references leave it); a whole-table or data-filtered clear skips it silently.
        if let Filter::Key(key) = filter
            && self.tables[index]
                .entries
                .iter()
                .any(|e| e.key == key && e.used > 0)
        {
            return Reply::line("Entry currently in use, cannot remove");
        }
        self.tables[index]
            .entries
            .retain(|e| e.used > 0 || !Self::selected(e, &filter));
        Reply::ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_gives_an_empty_table_its_data_in_haproxys_order() {
        let mut t = Table::seed(
            "# table: st_clients, type: ip, size:1024, used:0",
            &[],
            Duration::ZERO,
        )
        .unwrap();
        assert!(t.data.is_empty());
        t.configure(
            "stick-table type ip size 1k expire 10m store conn_cur,gpc0,http_req_cnt,http_req_rate(10s)",
        );
        assert_eq!(
            t.data,
            ["gpc0", "conn_cur", "http_req_cnt", "http_req_rate(10000)"]
        );
        assert_eq!(t.expire_ms, 600_000);
        assert_eq!(
            t.header_line(),
            "# table: st_clients, type: ip, size:1024, used:0\n"
        );
    }

    #[test]
    fn durations_read_like_haproxys() {
        assert_eq!(config_ms("10s"), Some(10_000));
        assert_eq!(config_ms("250"), Some(250));
        assert_eq!(config_ms("2m"), Some(120_000));
        assert_eq!(config_ms("1x"), None);
    }
}
