//! A table as HAProxy prints it (a header naming the columns, then one row of cells per object):
//! `show stat`'s CSV and `show servers state`'s space-separated lines. The model keeps every
//! cell it was seeded with, so the columns it does not compute come out exactly as recorded, and
//! writes the cells it does compute by column name.

use std::collections::HashMap;
use std::sync::Arc;

/// The columns of one table, in the order this HAProxy version prints them.
#[derive(Debug, Clone)]
pub struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// Columns named in `names`, in order.
    pub fn new(names: Vec<String>) -> Arc<Columns> {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Arc::new(Columns { names, index })
    }

    /// The column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of `name`, when this version has that column.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One row: a cell per column.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<Columns>,
    cells: Vec<String>,
}

impl Row {
    /// A row of `cells` (padded with empty cells, or cut, to the number of columns).
    pub fn new(columns: Arc<Columns>, mut cells: Vec<String>) -> Row {
        cells.resize(columns.names.len(), String::new());
        Row { columns, cells }
    }

    /// The cell of column `name` ("" when this version has no such column).
    pub fn get(&self, name: &str) -> &str {
        self.columns
            .position(name)
            .map_or("", |i| self.cells[i].as_str())
    }

    /// Writes the cell of column `name`; a column this version does not have is ignored.
    pub fn set(&mut self, name: &str, value: impl ToString) {
        if let Some(i) = self.columns.position(name) {
            self.cells[i] = value.to_string();
        }
    }

    /// The cells joined by `separator`.
    pub fn join(&self, separator: &str) -> String {
        self.cells.join(separator)
    }
}
