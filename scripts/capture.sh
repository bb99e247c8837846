#!/usr/bin/env bash
# Record fixtures/<VERSION>/ from a real HAProxy running fixtures/haproxy.cfg.
#
#   scripts/capture.sh VERSION            container from the image haproxy-local:VERSION
#                                         (or $HAPROXY_IMAGE), via scripts/run-haproxy-container.sh
#   scripts/capture.sh --native VERSION   the haproxy binary on this machine (must be VERSION.x)
#
# Steps: start a DNS server (dnsmasq) for `resolvers localdns`, start HAProxy, wait for its health
# checks, make traffic (curl requests so the stick table
# has entries, one malformed request so `show errors` has one, open TCP connections to fe_tcp and
# fe_main so `show sess` has streams), then run
#   cargo run -q -p haproxy-emulator -- capture --scenario fixtures/scenario.txt ...
# which writes fixtures/<VERSION>/NNNN-*.txt (old ones removed first). HAProxy (container or
# process) and the connections are always cleaned up on exit.
#
# Environment:
#   CAPTURE_OUT        output folder (default fixtures/<VERSION>)
#   HAPROXY_IMAGE      image to use instead of haproxy-local:VERSION
#   CAPTURE_EMULATOR   a built haproxy-emulator binary to run instead of `cargo run -q -p
#                      haproxy-emulator --` (cargo may wait for the build directory while the
#                      held connections age: they time out after 60 s)
#   CAPTURE_CONTAINER  container name (default haproxy-capture-<VERSION without the dot>); an
#                      existing container of that name is replaced, so concurrent runs (e.g.
#                      tests/differential.rs) need their own name and HAPROXY_*_PORT set
#   Container ports (inside and published on 127.0.0.1; fixed so that every version's fixtures
#   show the same ports): HAPROXY_CLI_PORT 9999, HAPROXY_HTTP_PORT 8080, HAPROXY_TCP_PORT 8081,
#   HAPROXY_APP_PORT 8082, HAPROXY_AGENT_PORT 8083.
#   Native ports: 39999, 38080, 38081, 38082, 38083 (same variables override them).
#   HAPROXY_DNS_PORT   the DNS server's port (8053 for a container, 38053 natively)
set -euo pipefail

log() { printf 'capture: %s\n' "$*" >&2; }
die() { printf 'capture: ERROR: %s\n' "$*" >&2; exit 1; }

NATIVE=0
if [[ ${1:-} == --native ]]; then
    NATIVE=1
    shift
fi
(($# == 1)) || die "usage: $0 [--native] VERSION   (e.g. 3.2)"
VERSION=$1
[[ $VERSION =~ ^[0-9]+\.[0-9]+$ ]] || die "VERSION must look like MAJOR.MINOR, got '$VERSION'"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${CAPTURE_OUT:-fixtures/$VERSION}
command -v curl >/dev/null || die "curl is required"

if ((NATIVE)); then
    CLI_PORT=${HAPROXY_CLI_PORT:-39999} HTTP_PORT=${HAPROXY_HTTP_PORT:-38080}
    TCP_PORT=${HAPROXY_TCP_PORT:-38081} APP_PORT=${HAPROXY_APP_PORT:-38082}
    AGENT_PORT=${HAPROXY_AGENT_PORT:-38083}
else
    CLI_PORT=${HAPROXY_CLI_PORT:-9999} HTTP_PORT=${HAPROXY_HTTP_PORT:-8080}
    TCP_PORT=${HAPROXY_TCP_PORT:-8081} APP_PORT=${HAPROXY_APP_PORT:-8082}
    AGENT_PORT=${HAPROXY_AGENT_PORT:-8083}
fi

HAPROXY_PID=
CONTAINER=
DNS_PID=
WORK=$(mktemp -d /tmp/capture.XXXXXX)
cleanup() {
    local rc=$?
    if [[ -n $DNS_PID ]]; then
        kill "$DNS_PID" 2>/dev/null || true
        wait "$DNS_PID" 2>/dev/null || true
    fi
    # the held client connections are this shell's file descriptors: closed on exit
    if [[ -n $HAPROXY_PID ]]; then
        kill "$HAPROXY_PID" 2>/dev/null || true
        wait "$HAPROXY_PID" 2>/dev/null || true
    fi
    if [[ -n $CONTAINER ]]; then
        docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The DNS server of `resolvers localdns` (dnsmasq, answering app.svc.test with 127.0.0.1, which
# be_dns's servers resolve): on 127.0.0.1 natively; on the Docker bridge's gateway address for a
# container, which reaches the host there.
DNSMASQ=$(command -v dnsmasq || ls /usr/sbin/dnsmasq 2>/dev/null) || die "dnsmasq is required (apt-get install dnsmasq)"
if ((NATIVE)); then
    DNS_IP=127.0.0.1 DNS_PORT=${HAPROXY_DNS_PORT:-38053}
else
    # The bridge interface's own address (the network's Gateway field may be empty).
    bridge_if=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null)
    DNS_IP=$(ip -4 -o addr show dev "${bridge_if:-docker0}" 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
    [[ -n $DNS_IP ]] || die "cannot find the Docker bridge's address (is dockerd running?)"
    DNS_PORT=${HAPROXY_DNS_PORT:-8053}
fi
printf '127.0.0.1 app.svc.test\n' >"$WORK/dns-hosts"
"$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --user=root --pid-file= \
    --listen-address="$DNS_IP" --port="$DNS_PORT" --addn-hosts="$WORK/dns-hosts" \
    --log-facility="$WORK/dnsmasq.log" &
DNS_PID=$!
export HAPROXY_DNS_ADDR=$DNS_IP:$DNS_PORT
log "DNS server (dnsmasq) on $HAPROXY_DNS_ADDR"

if ((NATIVE)); then
    command -v haproxy >/dev/null || die "no haproxy binary (apt-get install haproxy)"
    HAPROXY_V=$(haproxy -v | sed -n 1p)
    [[ $HAPROXY_V == "HAProxy version $VERSION."* ]] ||
        die "native haproxy is '$HAPROXY_V', not $VERSION.x"
    RUN_DIR=$WORK/run
    mkdir -p "$RUN_DIR"
    log "starting native $HAPROXY_V (cli $CLI_PORT, sockets in $RUN_DIR)"
    HAPROXY_CONF_DIR=$ROOT/fixtures HAPROXY_RUN_DIR=$RUN_DIR HAPROXY_BIND_ADDR=127.0.0.1 \
        HAPROXY_CLI_PORT=$CLI_PORT HAPROXY_HTTP_PORT=$HTTP_PORT HAPROXY_TCP_PORT=$TCP_PORT \
        HAPROXY_APP_PORT=$APP_PORT HAPROXY_AGENT_PORT=$AGENT_PORT \
        haproxy -W -db -f "$ROOT/fixtures/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    for _ in $(seq 1 50); do
        [[ -S $RUN_DIR/admin.sock && -S $RUN_DIR/user.sock ]] && break
        kill -0 "$HAPROXY_PID" 2>/dev/null || { cat "$WORK/haproxy.log" >&2; die "haproxy exited"; }
        sleep 0.2
    done
    [[ -S $RUN_DIR/admin.sock ]] || die "haproxy did not create $RUN_DIR/admin.sock"
    ADMIN_SOCK=$RUN_DIR/admin.sock USER_SOCK=$RUN_DIR/user.sock
else
    [[ -x scripts/run-haproxy-container.sh ]] || die "scripts/run-haproxy-container.sh is missing"
    CONTAINER=${CAPTURE_CONTAINER:-haproxy-capture-${VERSION//./}}
    env_out=$(HAPROXY_RECREATE=1 HAPROXY_CLI_PORT=$CLI_PORT HAPROXY_HTTP_PORT=$HTTP_PORT \
        HAPROXY_TCP_PORT=$TCP_PORT HAPROXY_APP_PORT=$APP_PORT HAPROXY_AGENT_PORT=$AGENT_PORT \
        scripts/run-haproxy-container.sh "$VERSION" "$CONTAINER") ||
        die "could not start the HAProxy $VERSION container"
    eval "$env_out"
    ADMIN_SOCK=$HAPROXY_ADMIN_SOCKET USER_SOCK=$HAPROXY_USER_SOCKET
    HAPROXY_V=$(docker exec "$CONTAINER" haproxy -v 2>/dev/null | sed -n 1p || true)
    [[ $HAPROXY_V == HAProxy* ]] || HAPROXY_V=$(docker run --rm --entrypoint haproxy "$HAPROXY_IMAGE" -v | sed -n 1p)
    [[ $HAPROXY_V == "HAProxy version $VERSION."* ]] ||
        die "the container runs '$HAPROXY_V', not $VERSION.x"
    log "container $CONTAINER: $HAPROXY_V"
fi

# Health checks run every second: let them settle (app4 DOWN, the others UP; be_dns/dns1 UP
# once resolved).
sleep 3

log "making traffic on fe_main (127.0.0.1:$HTTP_PORT)"
for host in app.example.com api.example.com static.example.com unknown.example.com; do
    for _ in 1 2 3; do
        curl -s -o /dev/null -m 5 -H "Host: $host" "http://127.0.0.1:$HTTP_PORT/" || true
    done
done
# A malformed request line (a blank inside the URI): recorded by `show errors`.
exec {bad}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
# HAProxy answers 400 and closes as soon as it has read the bad request line, which may be
# before the rest of the request is written: a broken pipe here is expected, not fatal.
(
    trap '' PIPE
    printf 'GET /in valid HTTP/1.1\r\nHost: app.example.com\r\n\r\n' >&"$bad"
) 2>/dev/null || true
timeout 5 cat <&"$bad" >/dev/null || true
exec {bad}>&-

# Connections held open for `show sess` (closed when this script exits): two through fe_tcp to
# be_tcp/tcp1, one to fe_main in the middle of a request body (an HTTP connection is a stream
# only while a request is in progress; idle or half-received headers are not).
exec {tcp1}<>"/dev/tcp/127.0.0.1/$TCP_PORT"
exec {tcp2}<>"/dev/tcp/127.0.0.1/$TCP_PORT"
exec {http1}<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
printf 'POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100000\r\n\r\npartial' >&"$http1"
sleep 0.5
: "$tcp1" "$tcp2" "$http1"

log "capturing into $OUT"
emulator() {
    if [[ -n ${CAPTURE_EMULATOR:-} ]]; then
        "$CAPTURE_EMULATOR" "$@"
    else
        cargo run -q -p haproxy-emulator -- "$@"
    fi
}
emulator capture \
    --scenario fixtures/scenario.txt \
    --admin "unix:$ADMIN_SOCK" \
    --user "unix:$USER_SOCK" \
    --haproxy-version "$HAPROXY_V" \
    --config fixtures/haproxy.cfg \
    --var "app_port=$APP_PORT" \
    --out "$OUT"
emulator check --fixtures "$OUT"
log "done: $OUT"
