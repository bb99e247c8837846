#!/usr/bin/env bash
# Records bench-fixtures/10k/ (gzipped fixture files) from a native HAProxy running the
# generated 10,000-server configuration (scripts/gen-big-config.sh), with HOLD client
# connections held open so that `show sess` lists thousands of streams.
#
#   scripts/bench-capture.sh [HOLD]        default HOLD=3000 (what bench-fixtures/10k holds)
#
# Needs: haproxy (Debian's 2.6 here), python3 (the connection holder), gzip, cargo.
# Environment: BENCH_CAPTURE_OUT (default bench-fixtures/10k), BACKENDS / SERVERS (100 / 100).
# HAProxy, the holder and the temporary folder are always cleaned up on exit.
set -euo pipefail

log() { printf 'bench-capture: %s\n' "$*" >&2; }
die() { printf 'bench-capture: ERROR: %s\n' "$*" >&2; exit 1; }

HOLD=${1:-3000}
BACKENDS=${BACKENDS:-100}
SERVERS=${SERVERS:-100}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${BENCH_CAPTURE_OUT:-bench-fixtures/10k}
command -v haproxy >/dev/null || die "no haproxy binary (apt-get install haproxy)"
command -v python3 >/dev/null || die "python3 is required (the connection holder)"

APP_PORT=${HAPROXY_APP_PORT:-41082}
HOLD_PORT=${HAPROXY_HOLD_PORT:-41083}
WORK=$(mktemp -d /tmp/bench-capture.XXXXXX)
HAPROXY_PID=
HOLDER_PID=
cleanup() {
    local rc=$?
    set +e
    if [[ -n $HOLDER_PID ]]; then
        kill "$HOLDER_PID" 2>/dev/null
        wait "$HOLDER_PID" 2>/dev/null
    fi
    if [[ -n $HAPROXY_PID ]]; then
        kill "$HAPROXY_PID" 2>/dev/null
        wait "$HAPROXY_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each held connection costs HAProxy three descriptors (client, server, fe_app's side).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
scripts/gen-big-config.sh "$BACKENDS" "$SERVERS" >"$WORK/big.cfg"
HAPROXY_V=$(haproxy -v | head -n 1)
log "starting $HAPROXY_V with $((BACKENDS * SERVERS)) servers (ulimit -n $(ulimit -n))"
mkdir -p "$WORK/run"
# The map and the ACL fe_app consults (gen-big-config.sh): 10,000 Host entries, 5,000 sources.
for ((i = 1; i <= 10000; i++)); do
    printf 'host-%d.example be_%d\n' "$i" $((i % BACKENDS + 1))
done >"$WORK/run/hosts.map"
for ((i = 0; i < 5000; i++)); do
    printf '10.%d.%d.%d\n' $((i / 65536)) $((i / 256 % 256)) $((i % 256))
done >"$WORK/run/blocked.acl"
HAPROXY_RUN_DIR=$WORK/run HAPROXY_APP_PORT=$APP_PORT HAPROXY_HOLD_PORT=$HOLD_PORT \
    HAPROXY_DOWN_PORT=1 haproxy -db -f "$WORK/big.cfg" >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
for _ in $(seq 1 100); do
    [[ -S $WORK/run/admin.sock ]] && break
    kill -0 "$HAPROXY_PID" 2>/dev/null || { cat "$WORK/haproxy.log" >&2; die "haproxy exited"; }
    sleep 0.1
done
[[ -S $WORK/run/admin.sock ]] || die "haproxy did not create its admin socket"
# Let the few checks run (the checked servers go DOWN).
sleep 3

log "traffic: 500 requests through fe_hold (tcp) to the servers, then $HOLD held connections"
python3 - "$HOLD_PORT" "$HOLD" "$WORK/held" "$APP_PORT" <<'PY' &
import os, socket, sys, time
port, hold, ready, app = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
# A few malformed requests to fe_app, so `show errors` has a capture.
for i in range(5):
    s = socket.create_connection(("127.0.0.1", app))
    s.sendall(b"GET /bad%d HTTP/1.1\r\nHost: bench\r\nBroken header line\r\n\r\n" % i)
    while s.recv(4096):
        pass
    s.close()
for _ in range(500):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n")
    while s.recv(4096):
        pass
    s.close()
held = []
for i in range(hold):
    s = socket.create_connection(("127.0.0.1", port))
    # Half a request: the stream stays open waiting for the rest.
    s.sendall(b"GET /held HTTP/1.1\r\nHost: bench\r\n")
    held.append(s)
open(ready, "w").close()
time.sleep(600)
PY
HOLDER_PID=$!
for _ in $(seq 1 600); do
    [[ -e $WORK/held ]] && break
    kill -0 "$HOLDER_PID" 2>/dev/null || die "the connection holder exited"
    sleep 0.1
done
[[ -e $WORK/held ]] || die "the connection holder did not finish opening its connections"
sleep 1

log "capturing into $WORK/out"
cargo run -q -p haproxy-emulator -- capture \
    --scenario bench-fixtures/scenario.txt \
    --admin "unix:$WORK/run/admin.sock" \
    --haproxy-version "$HAPROXY_V" \
    --config "$WORK/big.cfg" \
    --timeout-ms 60000 \
    --out "$WORK/out"
cargo run -q -p haproxy-emulator -- check --fixtures "$WORK/out"

mkdir -p "$OUT"
rm -f "$OUT"/[0-9][0-9][0-9][0-9]-*.txt.gz
for f in "$WORK"/out/[0-9][0-9][0-9][0-9]-*.txt; do
    # -n: no name or time stamp in the header, so a re-capture of the same bytes is the same file.
    gzip -9 -n -c "$f" >"$OUT/$(basename "$f").gz"
done
sessions=$(gzip -dc "$OUT"/*-show-sess.txt.gz | grep -c '^0x' || true)
log "done: $OUT ($(ls "$OUT" | wc -l) files; show sess lists $sessions streams)"
ls -l "$OUT" >&2
