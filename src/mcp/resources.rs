//! Resources: read-only views a client can attach, per target — process info, statistics,
//! servers state, and a map's entries (by template).

use rmcp::ErrorData as McpError;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use serde_json::json;

use super::handler::HaproxyMcp;
use crate::haproxy::command::StatFilter;
use crate::haproxy::command::args::MapName;

const SCHEME: &str = "haproxy://";

/// The fixed resources of every target.
pub fn list(server: &HaproxyMcp) -> ListResourcesResult {
    let mut resources = Vec::new();
    for t in server.targets().all() {
        for (kind, what) in [
            ("info", "process information (show info)"),
            ("stats", "statistics CSV (show stat)"),
            ("servers-state", "servers state (show servers state)"),
        ] {
            resources.push(
                Resource::new(
                    format!("{SCHEME}{}/{kind}", t.name),
                    format!("{} {kind}", t.name),
                )
                .with_description(format!("HAProxy target {}: {what}", t.name))
                .with_mime_type("text/plain"),
            );
        }
    }
    ListResourcesResult {
        resources,
        ..Default::default()
    }
}

/// The map-contents template.
pub fn templates() -> ListResourceTemplatesResult {
    let t = ResourceTemplate::new(format!("{SCHEME}{{target}}/map/{{map}}"), "map entries")
        .with_description("The entries of a map (its #id or file name, URL-encoded) on a target.")
        .with_mime_type("text/plain");
    ListResourceTemplatesResult {
        resource_templates: vec![t],
        ..Default::default()
    }
}

/// Reads one resource.
pub async fn read(server: &HaproxyMcp, uri: &str) -> Result<ReadResourceResult, McpError> {
    let not_found =
        || McpError::resource_not_found("no such resource", Some(json!({ "uri": uri })));
    let rest = uri.strip_prefix(SCHEME).ok_or_else(not_found)?;
    let (target, kind) = rest.split_once('/').ok_or_else(not_found)?;
    let t = server.targets().resolve(Some(target)).map_err(|e| {
        McpError::resource_not_found(e.message().to_owned(), Some(json!({ "uri": uri })))
    })?;
    let failed = |e: crate::haproxy::RuntimeError| {
        McpError::internal_error(format!("[{}] {e}", t.name), None)
    };
    let text = match kind {
        "info" => {
            let info = t.client.show_info().await.map_err(failed)?;
            info.fields
                .iter()
                .map(|f| format!("{}: {}\n", f.name, f.value))
                .collect()
        }
        "stats" => {
            let report = t
                .client
                .show_stat(&StatFilter::default())
                .await
                .map_err(failed)?;
            let mut s = format!("# {}\n", report.columns.join(","));
            for row in &report.rows {
                let cells: Vec<&str> = row.values().map(|(_, v)| v).collect();
                s.push_str(&cells.join(","));
                s.push('\n');
            }
            s
        }
        "servers-state" => {
            let state = t.client.show_servers_state(None).await.map_err(failed)?;
            state
                .servers
                .iter()
                .map(|s| {
                    format!(
                        "{}/{} {} weight={} addr={}:{}\n",
                        s.backend,
                        s.name,
                        s.verdict().condition.word(),
                        s.uweight.map_or("?".to_owned(), |w| w.to_string()),
                        s.addr.as_deref().unwrap_or("-"),
                        s.port.map_or("-".to_owned(), |p| p.to_string()),
                    )
                })
                .collect()
        }
        other => {
            let map = other.strip_prefix("map/").ok_or_else(not_found)?;
            let map = percent_decode(map);
            let map =
                MapName::new(map).map_err(|e| McpError::invalid_params(e.to_string(), None))?;
            let entries = t.client.show_map(&map).await.map_err(failed)?;
            entries
                .iter()
                .map(|e| format!("{} {}\n", e.key, e.value))
                .collect()
        }
    };
    Ok(ReadResourceResult::new(vec![ResourceContents::text(
        text,
        uri.to_owned(),
    )]))
}

/// Decodes `%XX` escapes (map file names contain `/`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Hex digits are read as bytes: slicing the text could split a multi-byte character
        // (`%aé` used to panic the request).
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(
            super::percent_decode("%2Fetc%2Fhosts.map"),
            "/etc/hosts.map"
        );
        assert_eq!(super::percent_decode("%234"), "#4");
        assert_eq!(super::percent_decode("plain"), "plain");
        assert_eq!(super::percent_decode("bad%2"), "bad%2");
        // A multi-byte character right after `%` is not a hex digit, and no panic.
        assert_eq!(super::percent_decode("%aé"), "%aé");
        assert_eq!(super::percent_decode("%é1"), "%é1");
        assert_eq!(super::percent_decode("%C3%A9"), "é");
    }
}
