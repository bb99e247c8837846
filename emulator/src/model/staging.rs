//! The transaction rules `show|set|commit|abort ssl cert|ca-file|crl-file` share: HAProxy
//! runs the three kinds the same way (`ckch_store_load_payload`, `cli_parse_set_cafile`,
//! `cli_parse_set_crlfile`, and their `show` and `commit` handlers).

use crate::version::Version;

/// `show ssl cert|ca-file|crl-file` without a name: the open transaction's line under
/// `# transaction`, then every line under `# filename`, in name order.
pub fn listing(transaction: Option<String>, mut lines: Vec<String>) -> String {
    lines.sort_unstable();
    let mut out = String::new();
    if let Some(t) = transaction {
        out.push_str(&format!("# transaction\n*{t}\n"));
    }
    out.push_str("# filename\n");
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The `Status:` of a shown entry: `Empty` without content, the open transaction's
/// `Uncommitted` (3.2+; `Unused` before), else `Used` when some instance uses it.
pub fn status(version: Version, empty: bool, pending: bool, used: bool) -> &'static str {
    match (empty, pending, used) {
        (true, _, _) => "Empty",
        (false, true, _) if version >= Version::new(3, 2, 0) => "Uncommitted",
        (false, true, _) | (false, false, false) => "Unused",
        (false, false, true) => "Used",
    }
}

/// The entry a payload for `name` replaces: the open transaction's (`open`, as its path and
/// entry) when there is one, else a copy of `name`'s own (`existing`). `Err` is HAProxy's
/// reason, before its `Can't update <name>!`: a transaction about another name (unless
/// `checks_name` is false, as 2.6's `set ssl cert`, which loads into the open one whatever
/// name it is given), or `what` (`a certificate`, `a CA file`…) not in the configuration.
pub fn staged_base<T: Clone>(
    open: Option<(&str, &T)>,
    name: &str,
    existing: Option<&T>,
    checks_name: bool,
    what: &str,
) -> Result<T, String> {
    match open {
        Some((path, _)) if path != name && checks_name => Err(format!(
            "The ongoing transaction is about '{path}' but you are trying to set '{name}'\n"
        )),
        Some((_, entry)) => Ok(entry.clone()),
        None => existing.cloned().ok_or_else(|| {
            format!("Can't replace {what} which is not referenced by the configuration!\n")
        }),
    }
}

/// `abort ssl cert|ca-file|crl-file <name>`: drops the open transaction when it is about
/// `name`; HAProxy's answer, the same for the three.
pub fn abort<T>(transaction: &mut Option<T>, path_of: impl Fn(&T) -> &str, name: &str) -> String {
    match transaction.as_ref().map(&path_of) {
        None => "No ongoing transaction!".into(),
        Some(path) if path != name => format!(
            "The ongoing transaction is about '{path}' but you are trying to abort a transaction for '{name}'"
        ),
        Some(_) => {
            *transaction = None;
            format!("Transaction aborted for certificate '{name}'!")
        }
    }
}

/// The open transaction `commit ssl cert|ca-file|crl-file <name>` may commit; `Err` is
/// HAProxy's reason, before its `Can't commit <name>!`.
pub fn committable<'a, T>(
    transaction: &'a Option<T>,
    path_of: impl Fn(&T) -> &str,
    name: &str,
) -> Result<&'a T, String> {
    let Some(open) = transaction else {
        return Err("No ongoing transaction! !\n".into());
    };
    match path_of(open) {
        path if path != name => Err(format!(
            "The ongoing transaction is about '{path}' but you are trying to set '{name}'\n"
        )),
        _ => Ok(open),
    }
}
