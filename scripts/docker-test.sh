#!/usr/bin/env bash
# Build the server's container image from a locally built binary and test it against a real
# HAProxy in a container, with no container registry:
#
#   scripts/docker-test.sh               build, then test          (make docker-test)
#   scripts/docker-test.sh --build-only  build the image only      (make docker-build)
#
# Build:
#   1. cargo build --release --bin haproxy-mcp-server          (skip: DOCKER_TEST_SKIP_CARGO=1)
#   2. the Debian base image $BASE_IMAGE; when it is missing and named debian-local:*, it is made
#      here with debootstrap --variant=minbase bookworm + docker import (a stand-in for
#      debian:bookworm-slim, which needs Docker Hub)
#   3. docker build --target runtime-local --build-arg BASE_IMAGE=$BASE_IMAGE -t $IMAGE .
# Test (every container and the network are removed on exit, whatever happens):
#   4. a user-defined network; HAProxy ($HAPROXY_IMAGE) with fixtures/haproxy.cfg on it, no
#      published ports
#   5. the server image in HTTP mode without authentication settings must refuse to start (exit 2,
#      naming MCP_AUTH_TOKENS); then in HTTP mode with a bearer token in MCP_AUTH_TOKENS
#      (HAPROXY_HOST=<the HAProxy container>, HAPROXY_PORT=9999),
#      its port published on 127.0.0.1 only; waits for /healthz to report HAProxy reachable and
#      for Docker's HEALTHCHECK to say healthy; checks that it runs as uid 10001
#   6. a real MCP exchange over Streamable HTTP with curl: 401 without the token; with it,
#      initialize -> notifications/initialized
#      -> tools/call show_info; the result must carry the version `haproxy -v` reports in the
#      HAProxy container
#   7. stdio, the image's default transport: initialize + tools/call show_info with --emulator
#
# Environment:
#   IMAGE                 tag of the image built and tested   (default haproxy-mcp-server:local)
#   BASE_IMAGE            runtime base image                  (default debian-local:bookworm-slim)
#   HAPROXY_IMAGE         HAProxy image for the test          (default haproxy-local:3.2;
#                         haproxy:3.2 works the same where Docker Hub is reachable)
#   DOCKER_TEST_PROFILE   release (default) or debug: which cargo profile's binary to pack
#   DOCKER_TEST_SKIP_CARGO=1  use the existing target/<profile>/haproxy-mcp-server
#   DOCKER_TEST_SKIP_BUILD=1  skip steps 1-3 and test $IMAGE as it is (e.g. an image built from
#                         source with the default target, as CI does)
#   DOCKER_TEST_KEEP=1    leave the containers and network running (for debugging)
#   DEBIAN_MIRROR         mirror for debootstrap              (default: the one apt uses)
#   DEBOOTSTRAP_CACHE     .deb cache shared with build-images.sh (default /var/cache/haproxy-local/debootstrap)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
IMAGE=${IMAGE:-haproxy-mcp-server:local}
BASE_IMAGE=${BASE_IMAGE:-debian-local:bookworm-slim}
HAPROXY_IMAGE=${HAPROXY_IMAGE:-haproxy-local:3.2}
DEBOOTSTRAP_CACHE=${DEBOOTSTRAP_CACHE:-/var/cache/haproxy-local/debootstrap}
BASE_WORKDIR=/var/tmp/debian-local-build

log() { printf 'docker-test: %s\n' "$*" >&2; }
die() { printf 'docker-test: ERROR: %s\n' "$*" >&2; exit 1; }
step() { log "[$((SECONDS))s] $*"; }

BUILD_ONLY=0
case ${1:-} in
    --build-only) BUILD_ONLY=1 ;;
    "") ;;
    *) die "usage: $0 [--build-only]" ;;
esac

cd "$ROOT"
docker info >/dev/null 2>&1 || "$SCRIPT_DIR/docker-up.sh"
for tool in curl jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        [[ $(id -u) -eq 0 ]] || die "$tool is missing"
        log "installing $tool"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null; }
    fi
done

# --- build -------------------------------------------------------------------------------------------

# debian-local:bookworm-slim: Debian bookworm minbase, trimmed like the -slim images.
# Whether $BASE_IMAGE exists and, if it is a local stand-in, carries CA certificates (one made
# before it did is made again: the Dockerfile would need the network to add them).
base_image_ready() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || return 1
    [[ $BASE_IMAGE == debian-local:* ]] || return 0
    docker run --rm --network none "$BASE_IMAGE" test -s /etc/ssl/certs/ca-certificates.crt
}

ensure_base_image() {
    base_image_ready && return 0
    [[ $BASE_IMAGE == debian-local:* ]] ||
        die "base image $BASE_IMAGE is missing (pull it, or use BASE_IMAGE=debian-local:bookworm-slim to build one here)"
    [[ $(id -u) -eq 0 ]] || die "building $BASE_IMAGE needs root (debootstrap)"
    command -v debootstrap >/dev/null 2>&1 || "$SCRIPT_DIR/docker-up.sh"
    mkdir -p "$BASE_WORKDIR" "$DEBOOTSTRAP_CACHE"
    exec 8>"$BASE_WORKDIR/.lock"
    flock 8
    # Somebody else may have built it while we waited.
    if base_image_ready; then exec 8>&-; return 0; fi

    local mirror rootfs=$BASE_WORKDIR/rootfs start=$SECONDS
    # shellcheck disable=SC2016 # $(REPO_URI) is apt's placeholder, not shell
    mirror=${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -m1 -E '/debian/?$' || true)}
    mirror=${mirror%/}
    [[ -n $mirror ]] || die "no Debian mirror found in apt's sources (a source whose URI ends in /debian); set DEBIAN_MIRROR to your Debian mirror's URL, e.g. DEBIAN_MIRROR=http://<your-mirror>/debian"
    step "building $BASE_IMAGE: debootstrap --variant=minbase bookworm from $mirror"
    rm -rf --one-file-system "$rootfs"
    # ca-certificates: what the Dockerfile would otherwise install with apt (OAuth over HTTPS).
    if ! debootstrap --variant=minbase --include=ca-certificates --cache-dir="$DEBOOTSTRAP_CACHE" \
        bookworm "$rootfs" "${mirror%/}" \
        >"$BASE_WORKDIR/debootstrap.log" 2>&1; then
        tail -n 30 "$BASE_WORKDIR/debootstrap.log" >&2
        die "debootstrap failed"
    fi
    # Trim like debian:*-slim: no docs, man pages, locales, apt lists or caches.
    mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    # The archive here may be a dated snapshot whose Release files have expired.
    printf 'Acquire::Check-Valid-Until "false";\n' >"$rootfs/etc/apt/apt.conf.d/99debian-local-snapshot"
    chroot "$rootfs" apt-get clean >/dev/null 2>&1 || true
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old \
        "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/apt/* "$rootfs"/var/log/*.log \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian/*
    mkdir -p "$rootfs/var/lib/apt/lists/partial"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    : >"$rootfs/etc/resolv.conf"
    : >"$rootfs/etc/hostname"
    rm -rf "${rootfs:?}"/dev/* "${rootfs:?}"/proc/* "${rootfs:?}"/sys/* "${rootfs:?}"/tmp/* "${rootfs:?}"/run/*
    chmod 1777 "$rootfs/tmp"
    local version
    version=$(cat "$rootfs/etc/debian_version")
    tar --numeric-owner -C "$rootfs" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["bash"]' \
        -c "LABEL org.opencontainers.image.title=\"debian-local\" org.opencontainers.image.version=\"$version\" org.opencontainers.image.description=\"Debian $version minbase made with debootstrap, a local stand-in for debian:bookworm-slim\"" \
        -m "debootstrap --variant=minbase bookworm" - "$BASE_IMAGE" >/dev/null
    rm -rf --one-file-system "$rootfs"
    docker run --rm "$BASE_IMAGE" cat /etc/debian_version >/dev/null || die "the new $BASE_IMAGE does not run"
    step "$BASE_IMAGE built (Debian $version) in $((SECONDS - start))s"
    exec 8>&-
}

build_image() {
    # PROFILE=debug packs the debug binary that `cargo test` already built (what `make test`
    # does, to spare CI a release build); the image is the same apart from the binary's speed.
    local profile=${DOCKER_TEST_PROFILE:-release} flag=--release
    [[ $profile == debug ]] && flag=
    local binary=target/$profile/haproxy-mcp-server
    if [[ ${DOCKER_TEST_SKIP_CARGO:-0} != 1 ]]; then
        step "cargo build $flag --bin haproxy-mcp-server"
        cargo build $flag --bin haproxy-mcp-server
    fi
    [[ -x $binary ]] || die "$binary is missing (cargo build $flag)"

    ensure_base_image

    step "docker build --target runtime-local -> $IMAGE (base $BASE_IMAGE)"
    old_id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
    build_log=$(mktemp)
    if ! docker build --target runtime-local --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "BINARY=$binary" \
        -t "$IMAGE" . >"$build_log" 2>&1; then
        cat "$build_log" >&2
        rm -f "$build_log"
        die "docker build failed"
    fi
    rm -f "$build_log"
    # The previous build of this tag is now untagged: remove it rather than pile them up.
    if [[ -n $old_id && $old_id != $(docker image inspect --format '{{.Id}}' "$IMAGE") ]]; then
        docker rmi "$old_id" >/dev/null 2>&1 || true
    fi
    step "built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }'))"
}

if [[ ${DOCKER_TEST_SKIP_BUILD:-0} == 1 ]]; then
    docker image inspect "$IMAGE" >/dev/null 2>&1 || die "image $IMAGE not found (DOCKER_TEST_SKIP_BUILD=1)"
    step "testing $IMAGE as it is (DOCKER_TEST_SKIP_BUILD=1)"
else
    build_image
fi
((BUILD_ONLY)) && exit 0

# --- test --------------------------------------------------------------------------------------------

docker image inspect "$HAPROXY_IMAGE" >/dev/null 2>&1 ||
    die "image $HAPROXY_IMAGE not found (build it: scripts/build-images.sh ${HAPROXY_IMAGE##*:})"

ID=hmcp-test-$$
NET=$ID-net
HAPROXY_C=$ID-haproxy
SERVER_C=$ID-server
STDIO_C=$ID-stdio
TMP=$(mktemp -d)
cleanup() {
    local rc=$?
    if [[ ${DOCKER_TEST_KEEP:-0} == 1 ]]; then
        log "keeping $HAPROXY_C, $SERVER_C and $NET (DOCKER_TEST_KEEP=1)"
    else
        docker rm -f "$SERVER_C" "$HAPROXY_C" "$STDIO_C" >/dev/null 2>&1 || true
        docker network rm "$NET" >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    log "FAILED: $*"
    for c in "$SERVER_C" "$HAPROXY_C"; do
        if docker inspect "$c" >/dev/null 2>&1; then
            log "--- docker logs $c (last 30 lines)"
            docker logs --tail 30 "$c" >&2 2>&1 || true
        fi
    done
    exit 1
}

docker network create "$NET" >/dev/null

step "starting HAProxy ($HAPROXY_IMAGE) as $HAPROXY_C on $NET"
conf=/usr/local/etc/haproxy
docker run -d --name "$HAPROXY_C" --network "$NET" \
    -v "$ROOT/fixtures/haproxy.cfg:$conf/haproxy.cfg:ro" \
    -v "$ROOT/fixtures/hosts.map:$conf/hosts.map:ro" \
    -v "$ROOT/fixtures/blocked.acl:$conf/blocked.acl:ro" \
    -v "$ROOT/fixtures/tls:$conf/tls:ro" \
    -e HAPROXY_CONF_DIR=$conf -e HAPROXY_RUN_DIR=/tmp -e HAPROXY_BIND_ADDR=0.0.0.0 \
    -e HAPROXY_CLI_PORT=9999 -e HAPROXY_HTTP_PORT=8081 -e HAPROXY_TCP_PORT=8082 \
    -e HAPROXY_APP_PORT=8083 -e HAPROXY_AGENT_PORT=8084 \
    "$HAPROXY_IMAGE" >/dev/null || fail "docker run $HAPROXY_IMAGE"
haproxy_version=$(docker exec "$HAPROXY_C" haproxy -v | awk '/^HA-?Proxy version / { print $3; exit }')
haproxy_version=${haproxy_version%%-*}
[[ $haproxy_version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || fail "cannot read the HAProxy version from $HAPROXY_C"
log "HAProxy $haproxy_version"

# No insecure default: HTTP mode on the container's 0.0.0.0 without any authentication settings
# must refuse to start (exit 2) and say what to configure.
step "$IMAGE in HTTP mode without authentication must refuse to start"
set +e
refusal=$(timeout 60 docker run --rm --network none -e MCP_TRANSPORT=http "$IMAGE" 2>&1)
refusal_rc=$?
set -e
[[ $refusal_rc == 2 ]] || fail "HTTP mode without authentication: exit $refusal_rc, expected 2: $refusal"
grep -q 'MCP_AUTH_TOKENS' <<<"$refusal" || fail "the refusal does not say what to configure: $refusal"
log "refused: $(grep -m1 -i 'error' <<<"$refusal" || head -n1 <<<"$refusal")"

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
step "starting $IMAGE in HTTP mode as $SERVER_C, with a bearer token"
# Docker's own health probe every second, so that the test sees the HEALTHCHECK verdict quickly.
docker run -d --name "$SERVER_C" --network "$NET" -p 127.0.0.1::8080 \
    --health-interval 1s --health-start-period 0s \
    -e MCP_TRANSPORT=http -e HAPROXY_HOST="$HAPROXY_C" -e HAPROXY_PORT=9999 \
    -e MCP_AUTH_TOKENS="docker-test:$TOKEN" \
    "$IMAGE" >/dev/null || fail "docker run $IMAGE"
port=$(docker port "$SERVER_C" 8080/tcp 2>/dev/null | awk -F: 'NR == 1 { print $NF }') || true
[[ $port =~ ^[0-9]+$ ]] || fail "no published port for $SERVER_C (did it exit?)"
BASE=http://127.0.0.1:$port
log "server at $BASE"

# /healthz: 200 as soon as the server listens; wait until it also reaches HAProxy.
deadline=$((SECONDS + 60))
health=""
while :; do
    if [[ $(docker inspect --format '{{.State.Running}}' "$SERVER_C" 2>/dev/null) != true ]]; then
        fail "$SERVER_C is not running"
    fi
    health=$(curl -fsS --max-time 3 "$BASE/healthz" 2>/dev/null || true)
    if [[ -n $health ]] && jq -e '.status == "ok" and all(.targets[]; .reachable)' <<<"$health" >/dev/null 2>&1; then
        break
    fi
    ((SECONDS < deadline)) || fail "/healthz did not report HAProxy reachable within 60s: ${health:-no answer}"
    sleep 0.3
done
step "/healthz: $health"

deadline=$((SECONDS + 30))
until [[ $(docker inspect --format '{{.State.Health.Status}}' "$SERVER_C") == healthy ]]; do
    ((SECONDS < deadline)) || fail "Docker HEALTHCHECK: $(docker inspect --format '{{json .State.Health}}' "$SERVER_C")"
    sleep 0.5
done
uid=$(docker exec "$SERVER_C" id -u)
[[ $uid == 10001 ]] || fail "the server runs as uid $uid, expected 10001"
log "HEALTHCHECK healthy; running as uid $uid"

# --- MCP over Streamable HTTP ---------------------------------------------------------------------

SESSION=""
PROTO=""
# mcp_post BODY: POSTs one JSON-RPC message to /mcp with the token; body in $TMP/body, headers
# in $TMP/headers; prints the HTTP status code. (NO_TOKEN=1: without the Authorization header.)
mcp_post() {
    local args=(-sS --max-time 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
    [[ ${NO_TOKEN:-0} == 1 ]] || args+=(-H "Authorization: Bearer $TOKEN")
    [[ -n $SESSION ]] && args+=(-H "Mcp-Session-Id: $SESSION")
    [[ -n $PROTO ]] && args+=(-H "MCP-Protocol-Version: $PROTO")
    curl "${args[@]}" --data-binary "$1" "$BASE/mcp"
}
# reply ID: the JSON-RPC response with that id from the last body (an SSE stream or plain JSON).
reply() {
    if grep -qi '^content-type: *text/event-stream' "$TMP/headers"; then
        sed -n 's/^data: \{0,1\}//p' "$TMP/body" | tr -d '\r' | jq -c -R "fromjson? | select(.id == $1)"
    else
        jq -c "select(.id == $1)" "$TMP/body"
    fi
}

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"docker-test","version":"1"}}}'
step "MCP initialize without the token: 401"
code=$(NO_TOKEN=1 mcp_post "$INIT") || fail "POST initialize: curl failed"
[[ $code == 401 ]] || fail "initialize without a token: HTTP $code, expected 401: $(cat "$TMP/body")"
grep -qi '^www-authenticate: *bearer' "$TMP/headers" || fail "401 without WWW-Authenticate: Bearer"

step "MCP initialize"
code=$(mcp_post "$INIT") ||
    fail "POST initialize: curl failed"
[[ $code == 200 ]] || fail "initialize: HTTP $code: $(cat "$TMP/body")"
SESSION=$(awk 'tolower($1) == "mcp-session-id:" { sub(/\r$/, "", $2); print $2 }' "$TMP/headers")
[[ -n $SESSION ]] || fail "initialize: no Mcp-Session-Id header"
init=$(reply 1)
PROTO=$(jq -r '.result.protocolVersion // empty' <<<"$init")
[[ -n $PROTO ]] || fail "initialize: no result: $(cat "$TMP/body")"
log "session $SESSION, protocol $PROTO, server $(jq -r '.result.serverInfo | "\(.name) \(.version)"' <<<"$init")"

code=$(mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}') || fail "POST notifications/initialized: curl failed"
[[ $code == 202 ]] || fail "notifications/initialized: HTTP $code (expected 202): $(cat "$TMP/body")"

step "MCP tools/call show_info"
code=$(mcp_post '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"show_info","arguments":{}}}') ||
    fail "POST tools/call: curl failed"
[[ $code == 200 ]] || fail "tools/call: HTTP $code: $(cat "$TMP/body")"
result=$(reply 2)
[[ -n $result ]] || fail "tools/call: no response with id 2: $(cat "$TMP/body")"
jq -e '.result and (.result.isError // false | not)' <<<"$result" >/dev/null ||
    fail "show_info failed: $result"
grep -qF "$haproxy_version" <<<"$result" ||
    fail "show_info does not mention HAProxy $haproxy_version: $(head -c 2000 <<<"$result")"
log "show_info: $(jq -r '[.result.content[]? | select(.type == "text") | .text][0] // "" | split("\n")[0]' <<<"$result")"

curl -sS --max-time 5 -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" -H "Mcp-Session-Id: $SESSION" \
    "$BASE/mcp" || true

# --- stdio (the image's default transport), against the bundled emulator ---------------------------

step "stdio: docker run -i $IMAGE --emulator"
coproc STDIO { exec docker run -i --rm --name "$STDIO_C" --network none "$IMAGE" --emulator 2>"$TMP/stdio.err"; }
{
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"docker-test","version":"1"}}}'
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"show_info","arguments":{}}}'
} >&"${STDIO[1]}"
stdio_result=""
while IFS= read -r -t 30 line <&"${STDIO[0]}"; do
    if jq -e '.id == 2' <<<"$line" >/dev/null 2>&1; then stdio_result=$line; break; fi
done
eval "exec ${STDIO[1]}>&-"
wait "$STDIO_PID" 2>/dev/null || true
[[ -n $stdio_result ]] || fail "stdio: no answer to tools/call (stderr: $(tail -n 5 "$TMP/stdio.err"))"
jq -e '.result and (.result.isError // false | not)' <<<"$stdio_result" >/dev/null ||
    fail "stdio: show_info failed: $stdio_result"
log "stdio: $(jq -r '[.result.content[]? | select(.type == "text") | .text][0] // "" | split("\n")[0]' <<<"$stdio_result")"

step "PASSED: $IMAGE against HAProxy $haproxy_version ($HAPROXY_IMAGE) over HTTP, and over stdio"
