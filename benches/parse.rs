//! Parsers on the 10,000-server reply (bench-fixtures/10k/), in bytes per second, and the
//! command encoder. `make bench` prints each figure beside its goal (docs/benchmarks.md).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use haproxy_mcp_server::haproxy::Command;
use haproxy_mcp_server::haproxy::command::args::{MapName, ProxyName, ServerRef};
use haproxy_mcp_server::haproxy::command::{ListKind, Payload, StatFilter};
use haproxy_mcp_server::haproxy::parse;

fn parsers(c: &mut Criterion) {
    let fixtures = common::big_fixtures();
    let stat = common::reply_text(&fixtures, "show stat");
    let state = common::reply_text(&fixtures, "show servers state");
    let sess = common::reply_text(&fixtures, "show sess");
    let info = common::reply_text(&fixtures, "show info");
    // The replies must be what the names say (10k servers, thousands of sessions).
    assert!(parse::stat::parse(&stat).unwrap().rows.len() > 10_000);
    assert!(parse::servers_state::parse(&state).unwrap().servers.len() >= 10_000);
    assert!(parse::sess::parse_list(&sess).unwrap().len() >= 2_000);

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(stat.len() as u64));
    g.bench_function("show_stat", |b| {
        b.iter(|| parse::stat::parse(black_box(&stat)).unwrap())
    });
    // What the show_stat tool does: find the records, type only the rows it shows.
    g.bench_function("show_stat_table_100_rows", |b| {
        b.iter_batched(
            || stat.clone(),
            |text| {
                let table = parse::stat::StatTable::parse(text).unwrap();
                table.rows().take(100).count()
            },
            BatchSize::LargeInput,
        )
    });
    g.throughput(Throughput::Bytes(state.len() as u64));
    g.bench_function("show_servers_state", |b| {
        b.iter(|| parse::servers_state::parse(black_box(&state)).unwrap())
    });
    g.throughput(Throughput::Bytes(sess.len() as u64));
    g.bench_function("show_sess", |b| {
        b.iter(|| parse::sess::parse_list(black_box(&sess)).unwrap())
    });
    g.throughput(Throughput::Bytes(info.len() as u64));
    g.bench_function("show_info", |b| {
        b.iter(|| parse::info::parse(black_box(&info)).unwrap())
    });
    g.finish();

    // Serializing every row of the big report (what a tool answering with every row pays).
    let report = parse::stat::parse(&stat).unwrap();
    let mut g = c.benchmark_group("serialize");
    g.throughput(Throughput::Bytes(stat.len() as u64));
    g.bench_function("show_stat_rows_json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&report.rows)).unwrap())
    });
    g.finish();
}

/// The parsers again, timed by the CPU time of the benchmark thread: the "on one core" figures
/// the goals are about (wall-clock time on a shared machine also counts waiting for a core).
fn parsers_cpu(c: &mut Criterion<common::ThreadCpuTime>) {
    let fixtures = common::big_fixtures();
    let stat = common::reply_text(&fixtures, "show stat");
    let state = common::reply_text(&fixtures, "show servers state");
    let mut g = c.benchmark_group("parse_cpu");
    g.throughput(Throughput::Bytes(stat.len() as u64));
    g.bench_function("show_stat", |b| {
        b.iter(|| parse::stat::parse(black_box(&stat)).unwrap())
    });
    g.throughput(Throughput::Bytes(state.len() as u64));
    g.bench_function("show_servers_state", |b| {
        b.iter(|| parse::servers_state::parse(black_box(&state)).unwrap())
    });
    g.finish();
}

fn encoder(c: &mut Criterion) {
    let proxy = ProxyName::new("be_app").unwrap();
    let server = ServerRef::new("be_app", "app1").unwrap();
    let map = MapName::new("/etc/haproxy/hosts.map").unwrap();
    // A bulk map load: the largest payload the client sends in one command (~15 KB).
    let lines: Vec<String> = (0..400)
        .map(|i| format!("host{i:04}.example.com be_app_{i}"))
        .collect();
    let payload = Payload::new(lines).unwrap();
    let commands = [
        (
            "show_stat_filtered",
            Command::show_stat(&StatFilter {
                proxy: Some(proxy),
                objects: None,
            }),
        ),
        ("disable_server", Command::disable_server(&server)),
        (
            "set_map_escaped",
            Command::set_map_entry(&map, "a key; with blanks", "be\\app"),
        ),
        (
            "add_map_payload_400_lines",
            Command::add_list_payload(ListKind::Map, &map, 3, payload),
        ),
    ];
    let mut g = c.benchmark_group("encode");
    for (name, command) in &commands {
        let len = command.encode().unwrap().len();
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(*name, |b| b.iter(|| black_box(command).encode().unwrap()));
    }
    g.finish();
}

fn config() -> Criterion {
    // Modest by default: the machine is small and shared (override with --sample-size etc.).
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

fn cpu_config() -> Criterion<common::ThreadCpuTime> {
    config().with_measurement(common::ThreadCpuTime)
}

criterion_group! {
    name = benches;
    config = config();
    targets = parsers, encoder
}
criterion_group! {
    name = cpu_benches;
    config = cpu_config();
    targets = parsers_cpu
}
criterion_main!(benches, cpu_benches);
