//! Maps and ACLs: show_map, show_acl, get_map, get_acl, add_map_entry, set_map_entry,
//! del_map_entry, add_acl_entry, del_acl_entry, clear_map, clear_acl, replace_map, replace_acl.
//!
//! Every change applies to the running HAProxy only: the files on disk are not rewritten, so a
//! reload brings back their contents.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use serde::{Deserialize, Serialize};

use super::{default_limit, limit_or, out};
use crate::haproxy::command::ListKind;
use crate::haproxy::command::args::MapName;
use crate::haproxy::{RefusalKind, RuntimeError};
use crate::mcp::answer::{Answer, ToolError, ToolResult, Truncation, truncate};
use crate::mcp::explain::{Subject, checked};
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::targets::Target;

/// Runs a client call about a map or ACL through the explainer (lists what is loaded when
/// HAProxy does not know the name).
async fn on_list<T>(
    t: &Target,
    kind: ListKind,
    result: Result<T, RuntimeError>,
) -> Result<T, ToolError> {
    checked(t, Subject::List(kind), result).await
}

/// The word for summaries.
fn noun(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Map => "map",
        ListKind::Acl => "ACL",
    }
}

/// Arguments of show_map.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ShowMapArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name (list_maps).
    pub map: String,
    /// Only entries whose key or value contains this.
    #[serde(default)]
    pub filter: Option<String>,
    /// Most entries (default 40).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub limit: Option<u32>,
}

/// One map entry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MapEntryOut {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// The entry's reference (`0x…`); HAProxy accepts `#<ref>` in place of the key.
    #[serde(rename = "ref")]
    pub reference: String,
}

/// show_map's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShowMapOut {
    /// The map, as asked.
    pub map: String,
    /// The matching entries, in HAProxy's order.
    pub entries: Vec<MapEntryOut>,
    /// How many entries matched and whether some were left out.
    pub truncation: Truncation,
}

/// Arguments of show_acl.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ShowAclArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name (list_acls).
    pub acl: String,
    /// Only patterns containing this text (case-insensitive).
    #[serde(default)]
    pub filter: Option<String>,
    /// Most patterns to return (default 40).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub limit: Option<u32>,
}

/// One ACL pattern.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AclEntryOut {
    /// The pattern.
    pub pattern: String,
    /// The entry's reference (`0x…`).
    #[serde(rename = "ref")]
    pub reference: String,
}

/// show_acl's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShowAclOut {
    /// The ACL, as asked.
    pub acl: String,
    /// The matching patterns, in HAProxy's order.
    pub patterns: Vec<AclEntryOut>,
    /// How many patterns matched and whether some were left out.
    pub truncation: Truncation,
}

/// Arguments of get_map.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct GetMapArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub map: String,
    /// Value to look up (e.g. a Host header).
    pub value: String,
}

/// get_map's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MapLookupOut {
    /// The map, as asked.
    pub map: String,
    /// The value looked up.
    pub lookup: String,
    /// Whether an entry matched.
    pub found: bool,
    /// The matching entry's key.
    pub key: Option<String>,
    /// The value the map returns for it.
    pub value: Option<String>,
    /// The match method (`str`, `beg`, `dom`, `ip`, `reg`, …).
    pub match_type: String,
    /// Whether matching is case-sensitive.
    pub case_sensitive: bool,
}

/// Arguments of get_acl.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct GetAclArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub acl: String,
    /// Value to test (e.g. a client IP).
    pub value: String,
}

/// get_acl's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AclLookupOut {
    /// The ACL, as asked.
    pub acl: String,
    /// The value tested.
    pub lookup: String,
    /// Whether a pattern matched.
    pub matched: bool,
    /// The pattern that matched.
    pub pattern: Option<String>,
    /// The match method (`ip`, `str`, `beg`, `reg`, …).
    pub match_type: String,
    /// Whether matching is case-sensitive.
    pub case_sensitive: bool,
}

/// Arguments of add_map_entry and set_map_entry.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MapEntryArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub map: String,
    /// Blanks allowed; no control chars or ';'.
    #[schemars(length(min = 1, max = 4096))]
    pub key: String,
    /// Blanks allowed; no control chars or ';'.
    #[schemars(length(min = 1, max = 4096))]
    pub value: String,
}

/// Arguments of del_map_entry.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MapKeyArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub map: String,
    /// The key to remove (or `#<ref>` from show_map).
    #[schemars(length(min = 1, max = 4096))]
    pub key: String,
}

/// Arguments of add_acl_entry and del_acl_entry.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AclPatternArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub acl: String,
    /// e.g. `203.0.113.7` or `198.51.100.0/24`.
    #[schemars(length(min = 1, max = 4096))]
    pub pattern: String,
}

/// Arguments of clear_map.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MapOnlyArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub map: String,
}

/// Arguments of clear_acl.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AclOnlyArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub acl: String,
}

/// One `key value` pair for replace_map.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct KeyValue {
    /// The key (no blanks in a bulk replace).
    pub key: String,
    /// The value.
    pub value: String,
}

/// Arguments of replace_map.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReplaceMapArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub map: String,
    /// Every entry afterwards, in order ([] empties it).
    #[schemars(length(max = 100000))]
    pub entries: Vec<KeyValue>,
}

/// Arguments of replace_acl.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReplaceAclArgs {
    /// Which HAProxy (see list_targets); needed only with several.
    #[serde(default)]
    pub target: Option<String>,
    /// `#<id>` or file name.
    pub acl: String,
    /// Every pattern afterwards, in order ([] empties it).
    #[schemars(length(max = 100000))]
    pub patterns: Vec<String>,
}

/// Confirmation of a map or ACL change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListDone {
    /// The target changed.
    pub target: String,
    /// The map or ACL, as named.
    pub name: String,
    /// What was done, as a sentence.
    pub done: String,
}

/// replace_map / replace_acl's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReplaceOut {
    /// The target changed.
    pub target: String,
    /// The map or ACL, as named.
    pub name: String,
    /// The version HAProxy committed (`prepare` / `commit`).
    pub version: u32,
    /// How many entries (patterns) it now holds.
    pub entries: usize,
    /// What was done, as a sentence.
    pub done: String,
}

/// Whether `haystack` contains `needle`, ignoring case.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// " matching \"x\"" for summaries.
fn filter_note(filter: Option<&str>) -> String {
    filter.map_or_else(String::new, |f| format!(" matching {f:?}"))
}

/// Reports a change.
fn list_done(t: &Target, name: &MapName, done: String) -> Answer<ListDone> {
    let summary = format!(
        "[{}] Done: {done}. This changes the running HAProxy only; the file on disk is unchanged.",
        t.name
    );
    Answer::new(
        summary,
        ListDone {
            target: t.name.clone(),
            name: name.to_string(),
            done,
        },
    )
}

/// Reports an atomic replace.
fn replaced(
    t: &Target,
    kind: ListKind,
    name: &MapName,
    version: u32,
    n: usize,
) -> Answer<ReplaceOut> {
    let done = format!(
        "{} {name} now holds exactly {n} entr{} (version {version}, committed atomically)",
        noun(kind),
        if n == 1 { "y" } else { "ies" }
    );
    Answer::new(
        format!(
            "[{}] Done: {done}. Lookups saw either the old or the new contents, never a mix. The file on disk is unchanged.",
            t.name
        ),
        ReplaceOut {
            target: t.name.clone(),
            name: name.to_string(),
            version,
            entries: n,
            done,
        },
    )
}

#[tool_router(router = maps_router, vis = "pub(crate)")]
impl HaproxyMcp {
    /// A map's entries.
    #[tool(
        description = "Entries of a map: key, value, reference.",
        annotations(title = "Show map entries", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ShowMapOut>()
    )]
    async fn show_map(&self, Parameters(args): Parameters<ShowMapArgs>) -> ToolResult<ShowMapOut> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let entries = on_list(t, ListKind::Map, t.client.show_map(&map).await).await?;
        let filter = args.filter.as_deref().filter(|f| !f.is_empty());
        let matching: Vec<MapEntryOut> = entries
            .into_iter()
            .filter(|e| filter.is_none_or(|f| contains_ci(&e.key, f) || contains_ci(&e.value, f)))
            .map(|e| MapEntryOut {
                key: e.key,
                value: e.value,
                reference: e.ptr,
            })
            .collect();
        let (entries, truncation) =
            truncate(matching, limit_or(args.limit, default_limit::LIST_ENTRIES));
        let summary = format!(
            "[{}] Map {map}: {} entr{}{}{}.",
            t.name,
            truncation.total,
            if truncation.total == 1 { "y" } else { "ies" },
            filter_note(filter),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            ShowMapOut {
                map: map.to_string(),
                entries,
                truncation,
            },
        ))
    }

    /// An ACL's patterns.
    #[tool(
        description = "An ACL's patterns and refs.",
        annotations(title = "Show ACL patterns", read_only_hint = true, open_world_hint = false),
        output_schema = out::<ShowAclOut>()
    )]
    async fn show_acl(&self, Parameters(args): Parameters<ShowAclArgs>) -> ToolResult<ShowAclOut> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        let entries = on_list(t, ListKind::Acl, t.client.show_acl(&acl).await).await?;
        let filter = args.filter.as_deref().filter(|f| !f.is_empty());
        let matching: Vec<AclEntryOut> = entries
            .into_iter()
            .filter(|e| filter.is_none_or(|f| contains_ci(&e.pattern, f)))
            .map(|e| AclEntryOut {
                pattern: e.pattern,
                reference: e.ptr,
            })
            .collect();
        let (patterns, truncation) =
            truncate(matching, limit_or(args.limit, default_limit::LIST_ENTRIES));
        let summary = format!(
            "[{}] ACL {acl}: {} pattern(s){}{}.",
            t.name,
            truncation.total,
            filter_note(filter),
            truncation.suffix()
        );
        Ok(Answer::new(
            summary,
            ShowAclOut {
                acl: acl.to_string(),
                patterns,
                truncation,
            },
        ))
    }

    /// What a map returns for a value.
    #[tool(
        description = "Look a value up in a map as traffic rules do: the matching entry, if any. 'Which backend would Host X go to?'",
        annotations(title = "Look up a map", read_only_hint = true, open_world_hint = false),
        output_schema = out::<MapLookupOut>()
    )]
    async fn get_map(&self, Parameters(args): Parameters<GetMapArgs>) -> ToolResult<MapLookupOut> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let r = on_list(t, ListKind::Map, t.client.get_map(&map, &args.value).await).await?;
        let summary = match (&r.key, &r.value) {
            (Some(k), Some(v)) if r.found => format!(
                "[{}] {:?} matches key {k:?} in map {map}, which returns {v:?}.",
                t.name, args.value
            ),
            _ if r.found => format!("[{}] {:?} matches in map {map}.", t.name, args.value),
            _ => format!(
                "[{}] {:?} matches no entry of map {map} (match method {}); the rule's default applies.",
                t.name, args.value, r.match_type
            ),
        };
        Ok(Answer::new(
            summary,
            MapLookupOut {
                map: map.to_string(),
                lookup: args.value,
                found: r.found,
                key: r.key,
                value: r.value,
                match_type: r.match_type,
                case_sensitive: r.case_sensitive,
            },
        ))
    }

    /// Whether a value matches an ACL.
    #[tool(
        description = "Test a value against an ACL as traffic rules do: match or not, which pattern. 'Is client IP X blocked?'",
        annotations(title = "Test an ACL", read_only_hint = true, open_world_hint = false),
        output_schema = out::<AclLookupOut>()
    )]
    async fn get_acl(&self, Parameters(args): Parameters<GetAclArgs>) -> ToolResult<AclLookupOut> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        let r = on_list(t, ListKind::Acl, t.client.get_acl(&acl, &args.value).await).await?;
        let summary = match &r.pattern {
            Some(p) if r.matched => format!(
                "[{}] {:?} matches ACL {acl} (pattern {p:?}).",
                t.name, args.value
            ),
            _ if r.matched => format!("[{}] {:?} matches ACL {acl}.", t.name, args.value),
            _ => format!(
                "[{}] {:?} does not match ACL {acl} (match method {}).",
                t.name, args.value, r.match_type
            ),
        };
        Ok(Answer::new(
            summary,
            AclLookupOut {
                acl: acl.to_string(),
                lookup: args.value,
                matched: r.matched,
                pattern: r.pattern,
                match_type: r.match_type,
                case_sensitive: r.case_sensitive,
            },
        ))
    }

    /// Adds a map entry.
    #[tool(
        description = "Add a map entry. An existing key gets a second entry (lookups keep the first); set_map_entry changes a value.",
        annotations(title = "Add map entry", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn add_map_entry(
        &self,
        Parameters(args): Parameters<MapEntryArgs>,
    ) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let r = t.client.add_map_entry(&map, &args.key, &args.value).await;
        on_list(t, ListKind::Map, r).await?;
        Ok(list_done(
            t,
            &map,
            format!("added {:?} -> {:?} to map {map}", args.key, args.value),
        ))
    }

    /// Changes a map entry's value.
    #[tool(
        description = "Change the value of an existing map key, every entry with it. 'entry not found' if absent (use add_map_entry).",
        annotations(title = "Set map entry", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn set_map_entry(
        &self,
        Parameters(args): Parameters<MapEntryArgs>,
    ) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let r = t.client.set_map_entry(&map, &args.key, &args.value).await;
        let absent = matches!(&r, Err(e) if e.refusal() == Some(RefusalKind::NoSuchEntry));
        on_list(t, ListKind::Map, r).await.map_err(|e| {
            if absent {
                e.with_note(format!(
                    "{:?} is not in map {map}: set_map_entry changes a key that is there; add_map_entry adds one.",
                    args.key
                ))
            } else {
                e
            }
        })?;
        Ok(list_done(
            t,
            &map,
            format!("{:?} now maps to {:?} in map {map}", args.key, args.value),
        ))
    }

    /// Removes a map entry.
    #[tool(
        description = "Remove a key from a map, every entry with it; 'Key not found' when absent.",
        annotations(title = "Delete map entry", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn del_map_entry(
        &self,
        Parameters(args): Parameters<MapKeyArgs>,
    ) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        on_list(
            t,
            ListKind::Map,
            t.client.del_map_entry(&map, &args.key).await,
        )
        .await?;
        Ok(list_done(
            t,
            &map,
            format!("removed {:?} from map {map}", args.key),
        ))
    }

    /// Adds an ACL pattern.
    #[tool(
        description = "Add a pattern to an ACL, e.g. an IP or network to block. HAProxy checks its type, not duplicates.",
        annotations(title = "Add ACL pattern", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn add_acl_entry(
        &self,
        Parameters(args): Parameters<AclPatternArgs>,
    ) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        on_list(
            t,
            ListKind::Acl,
            t.client.add_acl_entry(&acl, &args.pattern).await,
        )
        .await?;
        Ok(list_done(
            t,
            &acl,
            format!("added {:?} to ACL {acl}", args.pattern),
        ))
    }

    /// Removes an ACL pattern.
    #[tool(
        description = "Remove a pattern from an ACL; 'Key not found' when absent.",
        annotations(title = "Delete ACL pattern", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn del_acl_entry(
        &self,
        Parameters(args): Parameters<AclPatternArgs>,
    ) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        on_list(
            t,
            ListKind::Acl,
            t.client.del_acl_entry(&acl, &args.pattern).await,
        )
        .await?;
        Ok(list_done(
            t,
            &acl,
            format!("removed {:?} from ACL {acl}", args.pattern),
        ))
    }

    /// Empties a map.
    #[tool(
        description = "Remove every entry of a map; rules using it fall back at once. To swap contents, use replace_map.",
        annotations(title = "Clear map", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn clear_map(&self, Parameters(args): Parameters<MapOnlyArgs>) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let r = t.client.clear_list(ListKind::Map, &map).await;
        on_list(t, ListKind::Map, r).await?;
        Ok(list_done(t, &map, format!("map {map} is now empty")))
    }

    /// Empties an ACL.
    #[tool(
        description = "Remove every pattern of an ACL; rules using it stop matching at once. To swap contents, use replace_acl.",
        annotations(title = "Clear ACL", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ListDone>()
    )]
    async fn clear_acl(&self, Parameters(args): Parameters<AclOnlyArgs>) -> ToolResult<ListDone> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        let r = t.client.clear_list(ListKind::Acl, &acl).await;
        on_list(t, ListKind::Acl, r).await?;
        Ok(list_done(t, &acl, format!("ACL {acl} is now empty")))
    }

    /// Atomically replaces a map's contents.
    #[tool(
        description = "Replace all entries of a map atomically (prepare, load, commit), or keep the old ones. Keys without blanks.",
        annotations(title = "Replace map contents", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ReplaceOut>()
    )]
    async fn replace_map(
        &self,
        Parameters(args): Parameters<ReplaceMapArgs>,
    ) -> ToolResult<ReplaceOut> {
        let t = &self.target(args.target.as_deref())?;
        let map = MapName::new(&args.map)?;
        let entries: Vec<(String, String)> =
            args.entries.into_iter().map(|e| (e.key, e.value)).collect();
        let r = t.client.replace_map(&map, &entries).await;
        let version = replace_result(t, ListKind::Map, r).await?;
        Ok(replaced(t, ListKind::Map, &map, version, entries.len()))
    }

    /// Atomically replaces an ACL's patterns.
    #[tool(
        description = "Replace all patterns of an ACL atomically (prepare, add, commit), or keep the old ones.",
        annotations(title = "Replace ACL contents", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = out::<ReplaceOut>()
    )]
    async fn replace_acl(
        &self,
        Parameters(args): Parameters<ReplaceAclArgs>,
    ) -> ToolResult<ReplaceOut> {
        let t = &self.target(args.target.as_deref())?;
        let acl = MapName::new(&args.acl)?;
        let r = t.client.replace_acl(&acl, &args.patterns).await;
        let version = replace_result(t, ListKind::Acl, r).await?;
        Ok(replaced(
            t,
            ListKind::Acl,
            &acl,
            version,
            args.patterns.len(),
        ))
    }
}

/// Maps a replace's result, saying whether the old contents are certainly intact.
async fn replace_result(
    t: &Target,
    kind: ListKind,
    result: Result<u32, RuntimeError>,
) -> Result<u32, ToolError> {
    match result {
        Ok(version) => Ok(version),
        Err(e) => {
            let certain = e.nothing_sent() || e.refusal().is_some();
            let note = if certain {
                "Nothing was committed: the current contents are unchanged."
            } else {
                "The replace did not complete and the client discarded the prepared version where it could; read the contents back before retrying."
            };
            Err(crate::mcp::explain::refused(t, Subject::List(kind), e)
                .await
                .with_note(note))
        }
    }
}
