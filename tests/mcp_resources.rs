//! Resources and prompts over MCP, against the emulator.

mod support;

use haproxy_mcp_server::mcp::Settings;
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams, ResourceContents};
use support::mcp::McpHarness;

fn text_of(contents: &[ResourceContents]) -> String {
    contents
        .iter()
        .map(|c| match c {
            ResourceContents::TextResourceContents { text, .. } => text.clone(),
            _ => String::new(),
        })
        .collect()
}

#[tokio::test]
async fn resources_per_target() {
    let h = McpHarness::emulated_targets(
        &[("eu", "3.2"), ("us", "2.6")],
        Some("eu"),
        Settings::default(),
    )
    .await;
    let list = h.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = list.iter().map(|r| r.uri.as_str()).collect();
    for uri in [
        "haproxy://eu/info",
        "haproxy://eu/stats",
        "haproxy://eu/servers-state",
        "haproxy://us/info",
    ] {
        assert!(uris.contains(&uri), "{uri} in {uris:?}");
    }
    let templates = h.client.list_all_resource_templates().await.unwrap();
    assert!(
        templates
            .iter()
            .any(|t| t.uri_template == "haproxy://{target}/map/{map}")
    );

    let read = |uri: &str| {
        h.client
            .read_resource(ReadResourceRequestParams::new(uri.to_owned()))
    };
    let info = text_of(&read("haproxy://us/info").await.unwrap().contents);
    assert!(info.contains("Version: 2.6."), "{info}");
    let stats = text_of(&read("haproxy://eu/stats").await.unwrap().contents);
    assert!(
        stats.starts_with("# pxname,svname,") && stats.contains("\nbe_app,app4,"),
        "{stats}"
    );
    let state = text_of(&read("haproxy://eu/servers-state").await.unwrap().contents);
    assert!(state.contains("be_app/app3 MAINT"), "{state}");
    let map = text_of(
        &read("haproxy://eu/map/%2Fusr%2Flocal%2Fetc%2Fhaproxy%2Fhosts.map")
            .await
            .unwrap()
            .contents,
    );
    assert!(map.contains("api.example.com be_api"), "{map}");
    assert!(read("haproxy://nowhere/info").await.is_err());
    assert!(read("http://eu/info").await.is_err());
}

#[tokio::test]
async fn prompts_guide_the_four_jobs() {
    let h = McpHarness::emulated("3.2", Settings::default()).await;
    let prompts = h.client.list_all_prompts().await.unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in [
        "diagnose_backend",
        "rolling_update",
        "investigate_errors",
        "fleet_check",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    let args = serde_json::json!({"targets": "group:edge"})
        .as_object()
        .cloned()
        .unwrap();
    let p = h
        .client
        .get_prompt(GetPromptRequestParams::new("fleet_check").with_arguments(args))
        .await
        .unwrap();
    let text = format!("{:?}", p.messages);
    assert!(
        text.contains(r#"target \"group:edge\""#) && text.contains("rolling_change"),
        "{text}"
    );
    let args = serde_json::json!({"backend": "be_app"})
        .as_object()
        .cloned()
        .unwrap();
    let p = h
        .client
        .get_prompt(GetPromptRequestParams::new("diagnose_backend").with_arguments(args))
        .await
        .unwrap();
    let text = format!("{:?}", p.messages);
    assert!(
        text.contains("be_app") && text.contains("health_summary"),
        "{text}"
    );
}

/// Any resource URI a client sends gets an answer or an MCP error, never a panic that tears the
/// request down: after every generated URI the same session still reads a good resource.
/// (`haproxy://eu/map/%aé` used to panic on a character boundary.)
#[tokio::test]
async fn arbitrary_resource_uris_never_break_the_session() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    let h = McpHarness::emulated_targets(&[("eu", "3.2")], Some("eu"), Settings::default()).await;
    let read = |uri: String| h.client.read_resource(ReadResourceRequestParams::new(uri));
    // URIs near the real ones: the scheme, a target, a kind, and a tail full of `%`, multi-byte
    // characters, slashes and junk.
    let tail = prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            4 => prop::sample::select(vec!['%', '/', 'é', '€', '#', '?', '\0', ' ', 'a', 'F', '2']),
        ],
        0..24,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>());
    let strategy = (
        prop_oneof![
            3 => Just("haproxy://"),
            1 => prop::sample::select(vec!["haproxy:/", "", "haproxy://eu", "HAPROXY://"]),
        ],
        prop_oneof![
            3 => Just("eu/"),
            1 => prop::sample::select(vec!["nowhere/", "", "eu", "é/"]),
        ],
        prop::sample::select(vec!["map/", "info", "stats", "servers-state", "", "map"]),
        prop_oneof![1 => Just(String::new()), 2 => tail],
    )
        .prop_map(|(a, b, c, d)| format!("{a}{b}{c}{d}"));
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(300)
    });
    let (mut answered, mut refused) = (0, 0);
    for _ in 0..300 {
        let uri = strategy.new_tree(&mut runner).unwrap().current();
        match read(uri.clone()).await {
            Ok(_) => answered += 1,
            Err(rmcp::ServiceError::McpError(_)) => refused += 1,
            Err(e) => panic!("{uri:?} broke the request: {e}"),
        }
    }
    let info = text_of(&read("haproxy://eu/info".to_owned()).await.unwrap().contents);
    assert!(info.contains("Version: 3.2."), "{info}");
    eprintln!("resource URIs: {answered} answered, {refused} refused with an MCP error");
    assert!(refused > 0, "the strategy never produced a bad URI");
    assert!(answered > 0, "the strategy never produced a good URI");
}
