#!/usr/bin/env bash
# Prints every benchmark figure beside its goal (docs/benchmarks.md), from what `make bench`
# left behind: criterion's medians (target/criterion/<group>/<bench>/new/estimates.json) and the
# whole-process figures of benches/system.rs (target/bench-results/system.tsv). Exits 0 even
# when a goal is missed: the verdicts are in the output.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CRIT=$TARGET/criterion

# Median time of one criterion benchmark, in nanoseconds ("" when it has not run).
median_ns() {
    local f=$CRIT/$1/new/estimates.json
    [[ -f $f ]] || return 0
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' "$f"
}

# Fastest sample of one criterion benchmark, in nanoseconds per iteration (the least disturbed
# by other work on the machine).
best_ns() {
    local f=$CRIT/$1/new/sample.json
    [[ -f $f ]] || return 0
    tr -d '\n ' <"$f" |
        sed -E 's/.*"iters":\[([^]]*)\].*"times":\[([^]]*)\].*/\1|\2/' |
        awk -F'|' '{ n = split($1, it, ","); split($2, t, ","); m = -1
                     for (i = 1; i <= n; i++) { v = t[i] / it[i]; if (m < 0 || v < m) m = v }
                     print m }'
}

# Bytes per iteration declared with Throughput::Bytes.
bytes_of() {
    local f=$CRIT/$1/new/benchmark.json
    [[ -f $f ]] || return 0
    sed -nE 's/.*"Bytes":([0-9]+).*/\1/p' "$f"
}

row() { printf '%-44s %14s  %-10s %s\n' "$@"; }

# A throughput figure: name, bench id, goal in MB/s (empty: reported only).
throughput() {
    local ns bytes v best verdict=reported
    ns=$(median_ns "$2") bytes=$(bytes_of "$2")
    if [[ -z $ns || -z $bytes ]]; then row "$1" "(not run)" "" ""; return; fi
    v=$(awk -v b="$bytes" -v t="$ns" 'BEGIN { printf "%.1f", b / t * 1000 }')
    best=$(awk -v b="$bytes" -v t="$(best_ns "$2")" 'BEGIN { if (t > 0) printf "%.1f", b / t * 1000 }')
    if [[ -n $3 ]]; then
        verdict=$(awk -v v="$v" -v g="$3" 'BEGIN { print (v >= g) ? "ok" : "MISSED" }')
        row "$1" "$v MB/s" ">= $3" "$verdict (median; fastest sample $best MB/s)"
    else
        row "$1" "$v MB/s" "" "$verdict (fastest sample $best MB/s)"
    fi
}

# A ratio of two medians: name, numerator id, denominator id, goal (at most).
ratio() {
    local a b v verdict
    a=$(median_ns "$2") b=$(median_ns "$3")
    if [[ -z $a || -z $b ]]; then row "$1" "(not run)" "" ""; return; fi
    v=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
    verdict=$(awk -v v="$v" -v g="$4" 'BEGIN { print (v <= g) ? "ok" : "MISSED" }')
    row "$1" "${v}x" "<= ${4}x" "$verdict"
    printf '    (%s %s, %s %s)\n' "$2" "$(human "$a")" "$3" "$(human "$b")"
}

# A time, reported only: name, bench id.
time_of() {
    local ns
    ns=$(median_ns "$2")
    if [[ -z $ns ]]; then row "$1" "(not run)" "" ""; return; fi
    row "$1" "$(human "$ns")" "" "reported"
}

human() {
    awk -v t="$1" 'BEGIN {
        if (t >= 1e6) printf "%.2f ms", t / 1e6;
        else if (t >= 1e3) printf "%.1f us", t / 1e3;
        else printf "%.0f ns", t }'
}

echo "== benchmark figures (medians) =="
echo "machine: $(nproc) cores, $(uname -m); load: $(uptime | sed 's/.*load average/load average/')"
row "figure" "value" "goal" "verdict"
# The goals are "on one core": judged on the benchmark thread's CPU time, shown beside the
# wall-clock figure (which on a shared machine also counts waiting for a core).
throughput "parse show stat (10k), thread CPU time" parse_cpu/show_stat 250
throughput "parse show stat (10k), wall clock" parse/show_stat 250
throughput "parse show servers state, thread CPU" parse_cpu/show_servers_state 250
throughput "parse show servers state, wall clock" parse/show_servers_state 250
throughput "show_stat tool path: records + 100 rows" parse/show_stat_table_100_rows ""
throughput "parse show sess (3000 streams)" parse/show_sess ""
throughput "parse show info" parse/show_info ""
throughput "serialize all 10k stat rows to JSON" serialize/show_stat_rows_json ""
for e in show_stat_filtered disable_server set_map_escaped add_map_payload_400_lines; do
    time_of "encode $e" "encode/$e"
done
# Each MCP call from rmcp's client (which also decodes the result, a remote client's own work)
# and from the byte-level client (the server's work and the transport only).
ratio "MCP show_info / raw show info" show_info/mcp show_info/raw 1.25
ratio "  server side (byte-level client)" show_info/mcp_wire show_info/raw 1.25
ratio "MCP show_stat limit 100 / raw show stat (10k)" show_stat_10k_limit100/mcp \
    show_stat_10k_limit100/raw 1.25
ratio "  server side (byte-level client)" show_stat_10k_limit100/mcp_wire \
    show_stat_10k_limit100/raw 1.25
ratio "health_summary 20 targets / 1 target" health_summary_fan_out/20_targets \
    health_summary_fan_out/one_target 2
time_of "MCP round trip alone (unknown tool)" mcp_floor/unknown_tool
time_of "  server side (byte-level client)" mcp_floor/unknown_tool_wire
time_of "health_summary on the 10k reply (1 call)" health_summary_10k/mcp

SYSTEM=$TARGET/bench-results/system.tsv
if [[ -f $SYSTEM ]]; then
    while IFS=$'\t' read -r name value unit goal verdict; do
        row "$name" "$value $unit" "$goal" "$verdict"
    done <"$SYSTEM"
else
    row "whole-process figures" "(not run)" "" "cargo bench --bench system"
fi
