#!/usr/bin/env bash
# Bring the docker-compose.yml playground up, use it through the MCP server over HTTP, tear it
# down (always, also on failure):
#
#   scripts/compose-test.sh          (make compose-test)
#
#   1. the compose tool: `docker compose` (v2) when the Docker CLI has it, else `docker-compose`;
#      when neither exists it installs Debian's `docker-compose` package (on bookworm that is
#      Compose v1.29; bookworm has no Compose v2 package)
#   2. the server's image $HAPROXY_MCP_IMAGE, built from the local binary by
#      `scripts/docker-test.sh --build-only` (skip with COMPOSE_TEST_SKIP_BUILD=1 when it exists)
#   3. `up -d --no-build` as a throw-away project with HAPROXY_IMAGE (default haproxy-local:3.2) and
#      the host ports picked by Docker (127.0.0.1 only)
#   4. the demo site answers from both backends; the server's /healthz reports HAProxy reachable
#   5. MCP over Streamable HTTP with curl: initialize -> notifications/initialized ->
#      tools/call show_info (must carry the version `haproxy -v` reports in the HAProxy container)
#      -> tools/call list_servers be_web (must list web1 and web2); nothing is changed
#   6. two replicas of the server behind HAProxy, sticky on Mcp-Session-Id
#      (deploy/compose/replicas.yml): two sessions land on different replicas, and ten interleaved
#      calls are each served by their session's replica
#   7. `down -v`
#
# Environment:
#   HAPROXY_IMAGE          HAProxy image            (default haproxy-local:3.2; haproxy:3.2 where Docker Hub works)
#   HAPROXY_MCP_IMAGE      the server's image       (default haproxy-mcp-server:local)
#   COMPOSE_TEST_SKIP_BUILD=1  use $HAPROXY_MCP_IMAGE as it is
#   COMPOSE_TEST_KEEP=1    leave the project running (then: docker-compose -p NAME down -v)
#   COMPOSE                the compose command, e.g. "docker compose" (default: detected)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
export HAPROXY_IMAGE=${HAPROXY_IMAGE:-haproxy-local:3.2}
export HAPROXY_MCP_IMAGE=${HAPROXY_MCP_IMAGE:-haproxy-mcp-server:local}
PROJECT=hmcp-compose-test-$$

log() { printf 'compose-test: %s\n' "$*" >&2; }
die() { printf 'compose-test: ERROR: %s\n' "$*" >&2; exit 1; }
step() { log "[$((SECONDS))s] $*"; }

cd "$ROOT"
docker info >/dev/null 2>&1 || "$SCRIPT_DIR/docker-up.sh"

apt_install() {
    [[ $(id -u) -eq 0 ]] || die "$* is missing (install it, or run as root)"
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
for tool in curl jq; do command -v "$tool" >/dev/null 2>&1 || apt_install "$tool"; done

if [[ -z ${COMPOSE:-} ]]; then
    if docker compose version >/dev/null 2>&1; then
        COMPOSE="docker compose"
    else
        command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose
        COMPOSE=docker-compose
    fi
fi
read -r -a COMPOSE_CMD <<<"$COMPOSE"
# The playground, with two more services: a second replica of the server and HAProxy in front of
# both, sticky on Mcp-Session-Id (deploy/compose/replicas.yml, checked at the end).
compose() { "${COMPOSE_CMD[@]}" -f "$ROOT/docker-compose.yml" -f "$ROOT/deploy/compose/replicas.yml" -p "$PROJECT" "$@"; }
step "compose tool: $COMPOSE ($("${COMPOSE_CMD[@]}" version --short 2>/dev/null || "${COMPOSE_CMD[@]}" version | head -1))"

if [[ ${COMPOSE_TEST_SKIP_BUILD:-0} == 1 ]]; then
    docker image inspect "$HAPROXY_MCP_IMAGE" >/dev/null 2>&1 || die "image $HAPROXY_MCP_IMAGE not found"
else
    step "building $HAPROXY_MCP_IMAGE (scripts/docker-test.sh --build-only)"
    IMAGE=$HAPROXY_MCP_IMAGE "$SCRIPT_DIR/docker-test.sh" --build-only
fi
docker image inspect "$HAPROXY_IMAGE" >/dev/null 2>&1 ||
    die "image $HAPROXY_IMAGE not found (build it: scripts/build-images.sh ${HAPROXY_IMAGE##*:})"

TMP=$(mktemp -d)
cleanup() {
    local rc=$?
    if [[ ${COMPOSE_TEST_KEEP:-0} == 1 ]]; then
        log "keeping the project: $COMPOSE -p $PROJECT down -v"
    else
        compose down -v --remove-orphans >"$TMP/down.log" 2>&1 || cat "$TMP/down.log" >&2
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    log "FAILED: $*"
    compose ps >&2 || true
    compose logs --tail 20 >&2 2>&1 || true
    exit 1
}

# Host ports: Docker picks free ones (0), so the test never collides with a playground already up.
export MCP_PUBLISH_PORT=0 DEMO_HTTP_PORT=0 DEMO_STATS_PORT=0 MCP_LB_PUBLISH_PORT=0 MCP_LB_UNSTICKY_PORT=0
step "up -d (project $PROJECT, HAProxy $HAPROXY_IMAGE, server $HAPROXY_MCP_IMAGE)"
compose up -d --no-build >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log" >&2; fail "up"; }

published() { # SERVICE PORT -> the host port
    compose port "$1" "$2" | awk -F: 'NR == 1 { print $NF }' | tr -d '\r'
}
MCP_PORT_HOST=$(published haproxy-mcp 8080)
WEB_PORT_HOST=$(published haproxy 8000)
STATS_PORT_HOST=$(published haproxy 8404)
[[ $MCP_PORT_HOST =~ ^[0-9]+$ && $WEB_PORT_HOST =~ ^[0-9]+$ && $STATS_PORT_HOST =~ ^[0-9]+$ ]] ||
    fail "cannot read the published ports"
BASE=http://127.0.0.1:$MCP_PORT_HOST
log "MCP $BASE/mcp, demo site http://127.0.0.1:$WEB_PORT_HOST/, stats http://127.0.0.1:$STATS_PORT_HOST/"

# The demo site: both backends answer once HAProxy's health checks have passed.
step "demo site: waiting for answers from web1 and web2"
deadline=$((SECONDS + 60))
seen=""
until [[ $seen == *web1* && $seen == *web2* ]]; do
    ((SECONDS < deadline)) || fail "the demo site did not answer from both backends within 60s (seen: ${seen:-nothing})"
    answer=$(curl -fsS --max-time 3 "http://127.0.0.1:$WEB_PORT_HOST/" 2>/dev/null || true)
    [[ $answer == "hello from "* ]] && seen+=" ${answer#hello from }"
    sleep 0.3
done
canary=$(curl -fsS --max-time 3 -H 'Host: canary.localhost' "http://127.0.0.1:$WEB_PORT_HOST/x") ||
    fail "Host: canary.localhost got no answer"
[[ $canary == "hello from web2: GET /x" ]] || fail "Host: canary.localhost answered '$canary' (expected web2 via hosts.map)"
curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$STATS_PORT_HOST/" || fail "the stats page does not answer"
log "demo site ok (web1, web2; canary.localhost -> web2; stats page)"

step "waiting for the server's /healthz to reach HAProxy"
deadline=$((SECONDS + 60))
health=""
until [[ -n $health ]] && jq -e '.status == "ok"' <<<"$health" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "/healthz did not report HAProxy reachable within 60s: ${health:-no answer}"
    sleep 0.3
    health=$(curl -fsS --max-time 3 "$BASE/healthz" 2>/dev/null || true)
done
log "/healthz: $health"

# --- MCP over Streamable HTTP ---------------------------------------------------------------------

SESSION=""
PROTO=""
mcp_post() { # BODY -> HTTP status; body in $TMP/body, headers in $TMP/headers
    local args=(-sS --max-time 30 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
    [[ -n $SESSION ]] && args+=(-H "Mcp-Session-Id: $SESSION")
    [[ -n $PROTO ]] && args+=(-H "MCP-Protocol-Version: $PROTO")
    curl "${args[@]}" --data-binary "$1" "$BASE/mcp"
}
reply() { # ID -> the JSON-RPC response with that id (SSE data: lines or a JSON body)
    if grep -qi '^content-type: *text/event-stream' "$TMP/headers"; then
        sed -n 's/^data: \{0,1\}//p' "$TMP/body" | tr -d '\r' | jq -c -R "fromjson? | select(.id == $1)"
    else
        jq -c "select(.id == $1)" "$TMP/body"
    fi
}
call_tool() { # ID NAME ARGUMENTS-JSON -> the tool result (fails on isError)
    local id=$1 name=$2 arguments=$3 code result
    code=$(mcp_post "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"$name\",\"arguments\":$arguments}}") ||
        fail "tools/call $name: curl failed"
    [[ $code == 200 ]] || fail "tools/call $name: HTTP $code: $(cat "$TMP/body")"
    result=$(reply "$id")
    jq -e '.result and (.result.isError // false | not)' <<<"$result" >/dev/null 2>&1 ||
        fail "tools/call $name failed: ${result:-$(cat "$TMP/body")}"
    jq -c '.result' <<<"$result"
}
first_text() { jq -r '[.content[]? | select(.type == "text") | .text][0] // "" | split("\n")[0]'; }

step "MCP initialize"
code=$(mcp_post '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"compose-test","version":"1"}}}') ||
    fail "POST initialize: curl failed"
[[ $code == 200 ]] || fail "initialize: HTTP $code: $(cat "$TMP/body")"
SESSION=$(awk 'tolower($1) == "mcp-session-id:" { sub(/\r$/, "", $2); print $2 }' "$TMP/headers")
[[ -n $SESSION ]] || fail "initialize: no Mcp-Session-Id header"
PROTO=$(reply 1 | jq -r '.result.protocolVersion // empty')
[[ -n $PROTO ]] || fail "initialize: no result: $(cat "$TMP/body")"
code=$(mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}') || fail "POST notifications/initialized: curl failed"
[[ $code == 202 ]] || fail "notifications/initialized: HTTP $code (expected 202)"

haproxy_version=$(compose exec -T haproxy haproxy -v | awk '/^HA-?Proxy version / { print $3; exit }')
haproxy_version=${haproxy_version%%-*}
step "MCP tools/call show_info (expecting HAProxy $haproxy_version)"
info=$(call_tool 2 show_info '{}')
if [[ -z $haproxy_version ]] || ! grep -qF "$haproxy_version" <<<"$info"; then
    fail "show_info does not mention HAProxy ${haproxy_version:-?}: $(head -c 1500 <<<"$info")"
fi
log "show_info: $(first_text <<<"$info")"

step "MCP tools/call list_servers be_web"
servers=$(call_tool 3 list_servers '{"backend":"be_web"}')
for s in web1 web2; do
    grep -qF "\"$s\"" <<<"$servers" || fail "list_servers be_web does not list $s: $(head -c 1500 <<<"$servers")"
done
log "list_servers: $(first_text <<<"$servers")"

curl -sS --max-time 5 -o /dev/null -X DELETE -H "Mcp-Session-Id: $SESSION" "$BASE/mcp" || true

# --- two replicas behind HAProxy ------------------------------------------------------------------
# A session lives in the replica that created it; the load balancer must send every request of
# the session there. Two sessions are opened through it (round robin: one per replica), then
# their calls are interleaved: every call must succeed and be served by its session's replica.
LB_PORT_HOST=$(published mcp-lb 8081)
[[ $LB_PORT_HOST =~ ^[0-9]+$ ]] || fail "cannot read the load balancer's published port"
BASE=http://127.0.0.1:$LB_PORT_HOST
step "replicas: waiting for both behind the load balancer ($BASE/mcp)"
served_by() { awk 'tolower($1) == "x-served-by:" { sub(/\r$/, "", $2); print $2 }' "$TMP/headers"; }
deadline=$((SECONDS + 60))
seen=""
until [[ $seen == *mcp1* && $seen == *mcp2* ]]; do
    ((SECONDS < deadline)) || fail "the load balancer did not reach both replicas within 60s (seen: ${seen:-nothing})"
    if curl -fsS --max-time 3 -D "$TMP/headers" -o /dev/null "$BASE/healthz" 2>/dev/null; then
        seen+=" $(served_by)"
    fi
    sleep 0.3
done
declare -A SESSION_OF=() REPLICA_OF=()
SESSION=""
PROTO=""
for who in a b; do
    code=$(mcp_post '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"compose-test-replicas","version":"1"}}}') ||
        fail "replicas: POST initialize: curl failed"
    [[ $code == 200 ]] || fail "replicas: initialize: HTTP $code: $(cat "$TMP/body")"
    SESSION_OF[$who]=$(awk 'tolower($1) == "mcp-session-id:" { sub(/\r$/, "", $2); print $2 }' "$TMP/headers")
    REPLICA_OF[$who]=$(served_by)
    PROTO=$(reply 1 | jq -r '.result.protocolVersion // empty')
    [[ -n ${SESSION_OF[$who]} && -n ${REPLICA_OF[$who]} && -n $PROTO ]] ||
        fail "replicas: initialize gave no session or replica: $(cat "$TMP/headers")"
done
[[ ${REPLICA_OF[a]} != "${REPLICA_OF[b]}" ]] ||
    fail "replicas: both sessions went to ${REPLICA_OF[a]} (round robin should spread them)"
for who in a b; do
    SESSION=${SESSION_OF[$who]}
    code=$(mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}') || fail "replicas: notifications/initialized: curl failed"
    [[ $code == 202 ]] || fail "replicas: notifications/initialized: HTTP $code"
done
for i in $(seq 2 11); do
    who=$([[ $((i % 2)) == 0 ]] && echo a || echo b)
    SESSION=${SESSION_OF[$who]}
    call_tool "$i" show_info '{}' >/dev/null
    [[ $(served_by) == "${REPLICA_OF[$who]}" ]] ||
        fail "replicas: call $i of session $who went to $(served_by), not ${REPLICA_OF[$who]}"
done
log "replicas: session a on ${REPLICA_OF[a]}, session b on ${REPLICA_OF[b]}; 10 interleaved calls each served by its session's replica"
# For comparison, the same session through a round-robin balancer without stickiness: the
# replica that did not create it refuses it (404), which is why the stick table is needed.
UNSTICKY=http://127.0.0.1:$(published mcp-lb 8082)
SESSION=${SESSION_OF[a]}
refused=0
for i in $(seq 1 10); do
    code=$(BASE=$UNSTICKY mcp_post "{\"jsonrpc\":\"2.0\",\"id\":$((100 + i)),\"method\":\"tools/call\",\"params\":{\"name\":\"show_info\",\"arguments\":{}}}") ||
        fail "replicas: unsticky call: curl failed"
    [[ $code == 404 ]] && refused=$((refused + 1))
done
((refused > 0)) || fail "replicas: without stickiness no call was refused (the comparison shows nothing)"
log "replicas: without stickiness, $refused of 10 calls of one session were refused (HTTP 404) by the other replica"
for who in a b; do
    curl -sS --max-time 5 -o /dev/null -X DELETE -H "Mcp-Session-Id: ${SESSION_OF[$who]}" "$BASE/mcp" || true
done
step "PASSED: the compose playground works ($COMPOSE, HAProxy $haproxy_version), and sessions survive behind two replicas"
