//! `show servers conn [<backend>]`: each server's connection pool. The seed's recording gives
//! the version's columns and each recorded server's figures; the rows follow the model's
//! servers (a server added at run time appears with an empty pool and the configuration's
//! limits, a deleted one is gone, an address change shows).

use super::{Model, Reply};

/// The columns a new server copies from a recorded one (configuration, not traffic).
const CONFIGURED: &[&str] = &["purge_delay", "idle_lim"];

/// The recorded `show servers conn`: its header and each server's cells.
#[derive(Debug, Clone)]
pub struct ConnTable {
    header: String,
    names: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

impl ConnTable {
    /// Reads a recorded reply (`# bkname/svname bkid/svid addr port - purge_delay …` then one
    /// line per server). `None` when it has no header.
    pub fn parse(reply: &str) -> Option<ConnTable> {
        let mut lines = reply.lines();
        let header = lines.next()?.to_owned();
        let names = header
            .strip_prefix("# ")?
            .split(' ')
            .map(str::to_owned)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| {
                let cells: Vec<String> = l.split(' ').map(str::to_owned).collect();
                Some((cells.first()?.clone(), cells))
            })
            .collect();
        Some(ConnTable {
            header,
            names,
            rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

impl Model {
    /// `show servers conn [<backend>]`; not modelled without a recording to take columns from.
    pub(super) fn show_servers_conn(&self, args: &[&str]) -> Reply {
        let Some(table) = &self.conns else {
            return Reply::NotModelled;
        };
        let selected = match self.servers_of(args) {
            Ok(selected) => selected,
            Err(reply) => return reply,
        };
        let Some(template) = table.rows.first().map(|r| &r.1) else {
            return Reply::NotModelled;
        };
        let at = |name: &str| table.column(name);
        let mut out = format!("{}\n", table.header);
        for p in selected {
            let backend_id = p
                .backend
                .as_ref()
                .map_or(String::new(), |r| r.get("iid").to_owned());
            for s in &p.servers {
                let key = format!("{}/{}", p.name, s.name);
                let mut cells = match table.rows.iter().find(|(k, _)| *k == key) {
                    Some((_, recorded)) if !s.added => recorded.clone(),
                    _ => template
                        .iter()
                        .enumerate()
                        .map(|(i, cell)| {
                            let configured =
                                CONFIGURED.iter().any(|c| at(c) == Some(i)) || cell == "-";
                            if configured {
                                cell.clone()
                            } else {
                                "0".to_owned()
                            }
                        })
                        .collect(),
                };
                if s.added && self.version < crate::version::Version::new(3, 0, 0) {
                    // 2.6 gives a server added at run time no idle-connection pool: no purge
                    // delay, no limit, no per-thread counts.
                    for name in CONFIGURED {
                        if let Some(i) = at(name) {
                            cells[i] = "0".to_owned();
                        }
                    }
                    cells.truncate(table.names.len() - 1);
                }
                let mut set = |name: &str, value: String| {
                    if let Some(i) = at(name).filter(|&i| i < cells.len()) {
                        cells[i] = value;
                    }
                };
                set("bkname/svname", key.clone());
                set("bkid/svid", format!("{backend_id}/{}", s.id));
                set("addr", s.addr.clone());
                set("port", s.port.to_string());
                out.push_str(&cells.join(" "));
                out.push('\n');
            }
        }
        Reply::Body(out.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_table_is_read_by_column() {
        let t = ConnTable::parse(
            "# bkname/svname bkid/svid addr port - purge_delay used_cur idle_lim idle_per_thr[2]\nbe/a 3/1 10.0.0.1 80 - 5000 2 -1 0 1\n",
        )
        .unwrap();
        assert_eq!(t.column("purge_delay"), Some(5));
        assert_eq!(t.rows[0].0, "be/a");
        assert_eq!(t.rows[0].1.len(), 10);
    }
}
