//! `show servers conn`: per-server connection pool state.
//!
//! Header: `# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est
//! unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[N]`, where the last token stands for N
//! columns, one per thread. Columns are looked up by header name; columns this parser does not
//! know (3.4 inserts `served` after `purge_delay` and `idle_sess` after `need_est`) are kept in
//! [`ServerConn::extra`].

use serde::Serialize;

use super::{ParseError, dash_none, numbered_lines};

/// One server's connection counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerConn {
    /// Backend name (before the `/` of `bkname/svname`).
    pub backend: String,
    /// Server name (after the `/`).
    pub server: String,
    /// Backend numeric id.
    pub backend_id: Option<u32>,
    /// Server numeric id.
    pub server_id: Option<u32>,
    /// Server address (`None` for `-`).
    pub addr: Option<String>,
    /// Server port.
    pub port: Option<u16>,
    /// `purge_delay` of idle connections, in ms.
    pub purge_delay: Option<u64>,
    /// `used_cur`: connections currently in use.
    pub used_cur: Option<u64>,
    /// `used_max`: max connections in use.
    pub used_max: Option<u64>,
    /// `need_est`: estimated connections needed.
    pub need_est: Option<u64>,
    /// `unsafe_nb`: idle connections not safe to reuse.
    pub unsafe_nb: Option<u64>,
    /// `safe_nb`: idle connections safe to reuse.
    pub safe_nb: Option<u64>,
    /// `idle_lim`: idle connection limit (-1 when unlimited).
    pub idle_lim: Option<i64>,
    /// `idle_cur`: current idle connections.
    pub idle_cur: Option<u64>,
    /// Idle connections per thread (`idle_per_thr[N]`).
    pub idle_per_thread: Vec<i64>,
    /// Columns this parser does not know, as `(header name, raw cell)` in header order (e.g.
    /// 3.4's `served` and `idle_sess`); a column the row is too short for is left out.
    pub extra: Vec<(String, String)>,
}

/// The columns read into typed fields (plus the `-` separator and `idle_per_thr[N]`); anything
/// else goes to [`ServerConn::extra`].
const KNOWN: [&str; 14] = [
    "bkname/svname",
    "bkid/svid",
    "addr",
    "port",
    "-",
    "purge_delay",
    "used_cur",
    "used_max",
    "need_est",
    "unsafe_nb",
    "safe_nb",
    "idle_lim",
    "idle_cur",
    "idle_per_thr",
];

/// The parsed `show servers conn` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServersConn {
    /// One row per server.
    pub rows: Vec<ServerConn>,
}

/// Parses `show servers conn` output.
pub fn parse(text: &str) -> Result<ServersConn, ParseError> {
    let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
    let (hno, hline) = lines.next().ok_or_else(|| {
        ParseError::new(1, "empty reply, expected the `# bkname/svname …` header")
    })?;
    let names = hline
        .strip_prefix('#')
        .ok_or_else(|| ParseError::new(hno, "expected the `# bkname/svname …` header"))?;
    let header: Vec<&str> = names.split_ascii_whitespace().collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let Some(name_col) = col("bkname/svname") else {
        return Err(ParseError::new(hno, "header lacks `bkname/svname`"));
    };
    let id_col = col("bkid/svid");
    // The per-thread columns start where `idle_per_thr[N]` sits and run to the end of the row.
    let per_thr_col = header.iter().position(|h| h.starts_with("idle_per_thr"));
    let extra_cols: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.starts_with("idle_per_thr") && !KNOWN.contains(h))
        .map(|(i, h)| (i, *h))
        .collect();

    let mut rows = Vec::new();
    for (no, line) in lines {
        if line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split_ascii_whitespace().collect();
        let cell = |name: &str| col(name).and_then(|i| cells.get(i).copied());
        let num = |name: &str| -> Result<Option<u64>, ParseError> {
            match cell(name) {
                None | Some("-") => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| {
                    ParseError::new(no, format!("`{name}` is not a valid number: {v:?}"))
                }),
            }
        };
        let full = cells
            .get(name_col)
            .ok_or_else(|| ParseError::new(no, "missing `bkname/svname`"))?;
        let (backend, server) = full.split_once('/').ok_or_else(|| {
            ParseError::new(no, format!("expected `backend/server`, got {full:?}"))
        })?;
        let (backend_id, server_id) = match id_col.and_then(|i| cells.get(i)) {
            None => (None, None),
            Some(ids) => {
                let (b, s) = ids.split_once('/').ok_or_else(|| {
                    ParseError::new(no, format!("expected `bkid/svid`, got {ids:?}"))
                })?;
                let bad = || ParseError::new(no, format!("invalid `bkid/svid`: {ids:?}"));
                (
                    Some(b.parse().map_err(|_| bad())?),
                    Some(s.parse().map_err(|_| bad())?),
                )
            }
        };
        let port = match cell("port") {
            None | Some("-") => None,
            Some(v) => Some(
                v.parse::<u16>()
                    .map_err(|_| ParseError::new(no, format!("invalid port {v:?}")))?,
            ),
        };
        let idle_lim = match cell("idle_lim") {
            None | Some("-") => None,
            Some(v) => Some(
                v.parse::<i64>()
                    .map_err(|_| ParseError::new(no, format!("invalid idle_lim {v:?}")))?,
            ),
        };
        let mut idle_per_thread = Vec::new();
        if let Some(start) = per_thr_col {
            for v in cells.iter().skip(start) {
                idle_per_thread.push(v.parse::<i64>().map_err(|_| {
                    ParseError::new(no, format!("invalid per-thread idle count {v:?}"))
                })?);
            }
        }
        rows.push(ServerConn {
            backend: backend.to_owned(),
            server: server.to_owned(),
            backend_id,
            server_id,
            addr: cell("addr").and_then(dash_none),
            port,
            purge_delay: num("purge_delay")?,
            used_cur: num("used_cur")?,
            used_max: num("used_max")?,
            need_est: num("need_est")?,
            unsafe_nb: num("unsafe_nb")?,
            safe_nb: num("safe_nb")?,
            idle_lim,
            idle_cur: num("idle_cur")?,
            idle_per_thread,
            extra: extra_cols
                .iter()
                .filter_map(|&(i, name)| cells.get(i).map(|c| (name.to_owned(), (*c).to_owned())))
                .collect(),
        });
    }
    Ok(ServersConn { rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Live 2.6.12 capture (abridged).
    const CONN_26: &str = "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]
be_app/app1 6/1 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_app/app2 6/2 127.0.0.1 28082 - 5000 0 1 1 2 0 -1 2 1 1
";

    #[test]
    fn parses_26_capture() {
        let c = parse(CONN_26).unwrap();
        assert_eq!(c.rows.len(), 2);
        let r = c.rows.get(1).unwrap();
        assert_eq!(r.backend, "be_app");
        assert_eq!(r.server, "app2");
        assert_eq!((r.backend_id, r.server_id), (Some(6), Some(2)));
        assert_eq!(r.addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.port, Some(28082));
        assert_eq!(r.purge_delay, Some(5000));
        assert_eq!(r.used_max, Some(1));
        assert_eq!(r.unsafe_nb, Some(2));
        assert_eq!(r.idle_lim, Some(-1));
        assert_eq!(r.idle_cur, Some(2));
        assert_eq!(r.idle_per_thread, vec![1, 1]);
    }

    // Live 3.4.7 capture (fixtures/3.4/0032-show-servers-conn-be-app.txt, abridged): `served`
    // and `idle_sess` are new, in the middle of the row.
    const CONN_34: &str = "# bkname/svname bkid/svid addr port - purge_delay served used_cur used_max need_est idle_sess unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]
be_app/app2 6/2 127.0.0.1 8082 - 5000 1 1 1 1 0 2 0 -1 2 1 1
";

    #[test]
    fn parses_34_capture_and_keeps_the_new_columns() {
        let c = parse(CONN_34).unwrap();
        let r = c.rows.first().unwrap();
        assert_eq!((r.backend.as_str(), r.server.as_str()), ("be_app", "app2"));
        assert_eq!(r.purge_delay, Some(5000));
        assert_eq!(r.used_cur, Some(1));
        assert_eq!(r.used_max, Some(1));
        assert_eq!(r.need_est, Some(1));
        assert_eq!(r.unsafe_nb, Some(2));
        assert_eq!(r.safe_nb, Some(0));
        assert_eq!(r.idle_lim, Some(-1));
        assert_eq!(r.idle_cur, Some(2));
        assert_eq!(r.idle_per_thread, vec![1, 1]);
        assert_eq!(
            r.extra,
            vec![
                ("served".to_owned(), "1".to_owned()),
                ("idle_sess".to_owned(), "0".to_owned())
            ]
        );
        assert!(
            parse(CONN_26)
                .unwrap()
                .rows
                .iter()
                .all(|r| r.extra.is_empty())
        );
    }

    #[test]
    fn thread_count_follows_the_row() {
        let text = "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[4]\nb/s 1/1 - 0 - 0 0 0 0 0 0 -1 0 1 2 3 4\n";
        let r = parse(text).unwrap();
        let row = r.rows.first().unwrap();
        assert_eq!(row.idle_per_thread, vec![1, 2, 3, 4]);
        assert_eq!(row.addr, None);
    }

    #[test]
    fn dynamic_server_without_idle_pool() {
        // 2.6 capture: a dynamic server has no per-thread idle array, so no columns.
        let r = parse(&format!(
            "{CONN_26}be_app/dyn1 6/6 127.0.0.1 8082 - 0 0 1 1 0 0 0 0\n"
        ))
        .unwrap();
        let dyn1 = r.rows.last().unwrap();
        assert_eq!(dyn1.server, "dyn1");
        assert_eq!(dyn1.idle_cur, Some(0));
        assert!(dyn1.idle_per_thread.is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(parse("").unwrap_err().line, 1);
        assert_eq!(parse("Can't find backend.\n").unwrap_err().line, 1);
        assert_eq!(
            parse(&format!("{CONN_26}noslash 1/1\n")).unwrap_err().line,
            4
        );
        assert_eq!(
            parse(&format!("{CONN_26}b/s 1/1 a x\n")).unwrap_err().line,
            4
        );
        assert!(parse("# bkname/svname\n").unwrap().rows.is_empty());
    }
}
