//! A fleet in one call: `health_summary` over 50, 200 and 500 targets, each an emulator of
//! HAProxy 3.2 (its model, seeded from the recorded fixtures) answering after 5 ms of injected
//! latency, reached by the built server over Unix sockets as the members of a target group
//! (a group file, as an operator would write it). Figures: the fleet call's time against one
//! single-target call on the same server (goal: ≤ 2× at 500 targets), and the server's peak RSS
//! after the fleet calls, at each size.
//!
//! Every target is served by one emulator here (the read-only calls do not change its state):
//! the bench measures the server, not 500 emulator models.

use std::path::Path;
use std::time::{Duration, Instant};

use haproxy_emulator::{Emulator, Engine, Fault, Options};
use serde_json::{Value, json};

use super::{Figure, Plan, Server, common};

/// Injected latency of every emulator reply.
const LATENCY: Duration = Duration::from_millis(5);

pub(super) async fn fleet(plan: &Plan, dir: &Path) -> Vec<Figure> {
    let emulator = Emulator::load_engine(
        common::small_fixtures("3.2"),
        Options::default(),
        Engine::Model,
    )
    .expect("fixtures/3.2 load");
    emulator.set_fault(Fault::Delay(LATENCY));
    let sockets = dir.join("fleet");
    std::fs::create_dir_all(&sockets).expect("mkdir");
    let largest = *plan.fleet_sizes.iter().max().expect("a size");
    // One listener per target, all answered by the one emulator.
    let handles: Vec<_> = (0..largest)
        .map(|i| common::serve(&emulator, &sockets, &format!("t{i}")).1)
        .collect();
    let mut figures = Vec::new();
    for &size in &plan.fleet_sizes {
        figures.extend(one_size(plan, dir, &sockets, size).await);
    }
    drop(handles);
    figures
}

async fn one_size(plan: &Plan, dir: &Path, sockets: &Path, size: usize) -> Vec<Figure> {
    let members: String = (0..size)
        .map(|i| {
            format!(
                "[[targets]]\nname = \"t{i}\"\nmode = \"unix\"\nsocket = \"{}\"\n",
                sockets.join(format!("t{i}.sock")).display()
            )
        })
        .collect();
    let group_file = dir.join(format!("fleet-{size}.toml"));
    std::fs::write(&group_file, members).expect("write the group file");
    let config = dir.join(format!("config-{size}.toml"));
    std::fs::write(
        &config,
        format!(
            "[[target_groups]]\nname = \"fleet\"\nfile = \"{}\"\nrefresh_secs = 3600\n",
            group_file.display()
        ),
    )
    .expect("write the configuration");
    let mut server = Server::spawn(&["--config", config.to_str().expect("UTF-8 path")]);
    let mut rpc = server.stdio();
    rpc.initialize().await;
    let call = |target: &str| json!({"name": "health_summary", "arguments": {"target": target, "window_secs": 0}});
    let mut timed = async |args: Value| -> Duration {
        let start = Instant::now();
        let r = rpc.request("tools/call", args).await;
        let elapsed = start.elapsed();
        assert_ne!(r["result"]["isError"], json!(true), "{r}");
        if let Some(fleet) = r["result"]["structuredContent"].get("fleet") {
            assert_eq!(fleet["failed"], json!(0), "every target answers: {fleet}");
            assert_eq!(fleet["targets"], json!(size), "{fleet}");
        }
        elapsed
    };
    // Warm: every target's connections are opened once, as in a running server.
    timed(call("*")).await;
    let pid = server.pid();
    let mut single = Vec::new();
    let mut whole = Vec::new();
    let mut cpu = Vec::new();
    for i in 0..plan.fleet_calls {
        single.push(timed(call(&format!("t{}", i % size))).await);
        let before = super::stdio_overhead::cpu_time_ns(pid);
        whole.push(timed(call("*")).await);
        cpu.push(Duration::from_nanos(
            super::stdio_overhead::cpu_time_ns(pid).saturating_sub(before),
        ));
    }
    let (_, peak) = server.rss();
    drop(rpc);
    let _ = server.child.kill().await;
    let single = median_ms(&mut single);
    let whole = median_ms(&mut whole);
    let cpu = median_ms(&mut cpu);
    let ratio = whole / single;
    println!(
        "fleet of {size} ({} ms latency each): health_summary on one target {single:.1} ms, on all {whole:.1} ms ({ratio:.2}x, server CPU {cpu:.1} ms); server peak RSS {peak:.1} MiB",
        LATENCY.as_millis()
    );
    let name =
        |what: &str| -> &'static str { Box::leak(format!("fleet_{size}_{what}").into_boxed_str()) };
    let at_scale = size >= 500;
    vec![
        Figure {
            name: name("health_summary_single_ms"),
            value: single,
            unit: "ms",
            goal: "(reported)",
            met: true,
        },
        Figure {
            name: name("health_summary_all_ms"),
            value: whole,
            unit: "ms",
            goal: "(reported)",
            met: true,
        },
        Figure {
            name: name("all_vs_single"),
            value: ratio,
            unit: "x",
            goal: if at_scale { "<= 2" } else { "(reported)" },
            met: !at_scale || ratio <= 2.0,
        },
        Figure {
            name: name("health_summary_all_server_cpu_ms"),
            value: cpu,
            unit: "ms",
            goal: "(reported)",
            met: true,
        },
        Figure {
            name: name("peak_rss"),
            value: peak,
            unit: "MiB",
            goal: "(reported)",
            met: true,
        },
    ]
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}
