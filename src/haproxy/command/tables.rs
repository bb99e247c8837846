//! Stick tables: listing, dumping with filters, setting and clearing entries.

use super::Command;
use super::args::TableName;

/// A comparison operator for `show table … data.<type> <op> <value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less or equal.
    Le,
    /// Greater or equal.
    Ge,
    /// Less than.
    Lt,
    /// Greater than.
    Gt,
}

impl TableOp {
    /// The word HAProxy expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Le => "le",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Gt => "gt",
        }
    }
}

/// What `show table <name>` / `clear table <name>` select.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TableFilter {
    /// Every entry.
    #[default]
    All,
    /// The entry with this key.
    Key(String),
    /// Entries whose data value compares true (`data.<type> <op> <value>`).
    Data {
        /// Data type name, e.g. `gpc0` (validated with `args::data_type`).
        data_type: String,
        /// Comparison.
        op: TableOp,
        /// Value compared against.
        value: i64,
    },
}

impl TableFilter {
    /// The filter's words.
    fn words(&self) -> Vec<String> {
        match self {
            Self::All => Vec::new(),
            Self::Key(k) => vec!["key".to_owned(), k.clone()],
            Self::Data {
                data_type,
                op,
                value,
            } => vec![
                format!("data.{data_type}"),
                op.as_str().to_owned(),
                value.to_string(),
            ],
        }
    }
}

impl Command {
    /// `show table`: every stick table with its size and use.
    pub fn show_tables() -> Self {
        Self::read(["show", "table"])
    }

    /// `show table <name> [filter]`: entries.
    pub fn show_table(name: &TableName, filter: &TableFilter) -> Self {
        let mut words = vec!["show".to_owned(), "table".to_owned(), name.to_string()];
        words.extend(filter.words());
        Self::read(words)
    }

    /// `set table <name> key <key> [data.<type> <value>]*`: creates or updates an entry.
    pub fn set_table_entry(name: &TableName, key: &str, data: &[(String, i64)]) -> Self {
        let mut words = vec![
            "set".to_owned(),
            "table".to_owned(),
            name.to_string(),
            "key".to_owned(),
            key.to_owned(),
        ];
        for (data_type, value) in data {
            words.push(format!("data.{data_type}"));
            words.push(value.to_string());
        }
        Self::change(words)
    }

    /// `clear table <name> [filter]`: removes entries (all of them without a filter).
    pub fn clear_table(name: &TableName, filter: &TableFilter) -> Self {
        let mut words = vec!["clear".to_owned(), "table".to_owned(), name.to_string()];
        words.extend(filter.words());
        Self::change(words)
    }
}
