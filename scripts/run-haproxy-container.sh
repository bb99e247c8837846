#!/usr/bin/env bash
# Start an HAProxy container with the repository's capture configuration (fixtures/haproxy.cfg)
# and wait until its admin socket answers `show info`.
#
#   scripts/run-haproxy-container.sh VERSION NAME [HAPROXY ARGS...]
#
#   VERSION  e.g. 3.2; the image is haproxy-local:VERSION (scripts/build-images.sh), or
#            $HAPROXY_IMAGE if set (e.g. HAPROXY_IMAGE=haproxy:3.2 for Docker Hub's image on CI).
#   NAME     the container's name. If a container of that name is already running the same image
#            and answers, it is reused; otherwise it is removed and started again.
#   ARGS     optional command for the container (default: the image's CMD, i.e.
#            haproxy -f /usr/local/etc/haproxy/haproxy.cfg run as haproxy -W -db ...). For the
#            master CLI e.g.: -f /usr/local/etc/haproxy/haproxy.cfg -S /var/run/haproxy/master.sock
#
# Layout:
#   * fixtures/haproxy.cfg, hosts.map, blocked.acl and tls/ are copied to $STATE/NAME/conf and mounted
#     read-only on /usr/local/etc/haproxy (HAPROXY_CONF_DIR inside the container);
#   * $STATE/NAME/run (owned by uid/gid 99) is mounted on /var/run/haproxy (HAPROXY_RUN_DIR) and
#     holds admin.sock and user.sock, reachable from the host (as root, or as a member of gid 99);
#   * the listeners bind 0.0.0.0 inside the container and each port is published on 127.0.0.1
#     only, under the same number (so the ports HAProxy reports are the host's).
#
# Host ports (all overridable; the defaults differ per version so that versions can run side by side):
#   HAPROXY_PORT_BASE   default 20000 + 100*major + 10*minor (2.6 -> 20260, 3.0 -> 20300, 3.2 -> 20320,
#                       3.4 -> 20340)
#   HAPROXY_CLI_PORT    base+0   admin-level stats socket over TCP
#   HAPROXY_HTTP_PORT   base+1   fe_main          HAPROXY_TCP_PORT   base+2   fe_tcp
#   HAPROXY_APP_PORT    base+3   fe_app           HAPROXY_AGENT_PORT base+4   fe_agent
# Other environment:
#   HAPROXY_DNS_ADDR         the DNS server `resolvers localdns` asks (addr:port as the container
#                            reaches it; unset: the configuration's default, where nothing answers)
#   HAPROXY_CONTAINER_STATE  where NAME/conf and NAME/run live (default /tmp/haproxy-containers)
#   HAPROXY_READY_TIMEOUT    seconds to wait for `show info` (default 30)
#   HAPROXY_RECREATE=1       always remove and start the container again
#
# Prints, on stdout, shell-style KEY=VALUE lines (eval-able): HAPROXY_CONTAINER, HAPROXY_IMAGE,
# HAPROXY_VERSION, HAPROXY_HOST, the five ports and HAPROXY_SOCKET_DIR / HAPROXY_ADMIN_SOCKET /
# HAPROXY_USER_SOCKET (host paths). Stop with: docker rm -f NAME
set -euo pipefail

log() { printf 'run-haproxy-container: %s\n' "$*" >&2; }
die() { printf 'run-haproxy-container: ERROR: %s\n' "$*" >&2; exit 1; }

(($# >= 2)) || die "usage: $0 VERSION NAME [HAPROXY ARGS...]"
VERSION=$1 NAME=$2
shift 2
[[ $VERSION =~ ^([0-9]+)\.([0-9]+)$ ]] || die "VERSION must look like MAJOR.MINOR (e.g. 3.2), got '$VERSION'"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
[[ $NAME =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "invalid container name '$NAME'"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURES=$(cd "$SCRIPT_DIR/../fixtures" && pwd)
IMAGE=${HAPROXY_IMAGE:-haproxy-local:$VERSION}
STATE=${HAPROXY_CONTAINER_STATE:-/tmp/haproxy-containers}
TIMEOUT=${HAPROXY_READY_TIMEOUT:-30}
CONF_IN=/usr/local/etc/haproxy
RUN_IN=/var/run/haproxy

base=${HAPROXY_PORT_BASE:-$((20000 + 100 * major + 10 * minor))}
CLI_PORT=${HAPROXY_CLI_PORT:-$base}
HTTP_PORT=${HAPROXY_HTTP_PORT:-$((base + 1))}
TCP_PORT=${HAPROXY_TCP_PORT:-$((base + 2))}
APP_PORT=${HAPROXY_APP_PORT:-$((base + 3))}
AGENT_PORT=${HAPROXY_AGENT_PORT:-$((base + 4))}
for p in "$CLI_PORT" "$HTTP_PORT" "$TCP_PORT" "$APP_PORT" "$AGENT_PORT"; do
    if ! [[ $p =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then die "invalid port '$p'"; fi
done

docker info >/dev/null 2>&1 || die "Docker engine not reachable (run scripts/docker-up.sh)"
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
    die "image $IMAGE not found (build it: scripts/build-images.sh $VERSION)"

conf_dir=$STATE/$NAME/conf
run_dir=$STATE/$NAME/run

# `show info` on the admin socket: through the bind-mounted unix socket when this user can use
# it and socat exists, else through the published TCP port.
show_info() {
    if command -v socat >/dev/null 2>&1; then
        if [[ -S $run_dir/admin.sock && -w $run_dir/admin.sock ]]; then
            socat -t 2 - "UNIX-CONNECT:$run_dir/admin.sock" <<<"show info" 2>/dev/null
        else
            socat -t 2 - "TCP:127.0.0.1:$CLI_PORT" <<<"show info" 2>/dev/null
        fi
    else
        local out
        exec 3<>"/dev/tcp/127.0.0.1/$CLI_PORT" || return 1
        printf 'show info\n' >&3
        out=$(timeout 2 cat <&3) || true
        exec 3<&-
        printf '%s\n' "$out"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + TIMEOUT)) info
    while ((SECONDS < deadline)); do
        if [[ $(docker inspect --format '{{.State.Running}}' "$NAME" 2>/dev/null) != true ]]; then
            docker logs --tail 30 "$NAME" >&2 2>&1 || true
            die "container $NAME is not running"
        fi
        if info=$(show_info) && [[ $info == *"Version: "* ]]; then
            printf '%s\n' "$info" | awk -F': ' '$1 == "Version" { print $2; exit }'
            return 0
        fi
        sleep 0.5
    done
    docker logs --tail 30 "$NAME" >&2 2>&1 || true
    die "$NAME: the admin socket did not answer \`show info\` within ${TIMEOUT}s"
}

print_env() {
    local version=$1
    cat <<EOF
HAPROXY_CONTAINER=$NAME
HAPROXY_IMAGE=$IMAGE
HAPROXY_VERSION=$version
HAPROXY_HOST=127.0.0.1
HAPROXY_CLI_PORT=$CLI_PORT
HAPROXY_HTTP_PORT=$HTTP_PORT
HAPROXY_TCP_PORT=$TCP_PORT
HAPROXY_APP_PORT=$APP_PORT
HAPROXY_AGENT_PORT=$AGENT_PORT
HAPROXY_SOCKET_DIR=$run_dir
HAPROXY_ADMIN_SOCKET=$run_dir/admin.sock
HAPROXY_USER_SOCKET=$run_dir/user.sock
EOF
}

# Reuse a running container of the same image (same ports and command assumed: same NAME).
if [[ ${HAPROXY_RECREATE:-0} != 1 && $(docker inspect --format '{{.State.Running}}' "$NAME" 2>/dev/null) == true ]]; then
    cur_image=$(docker inspect --format '{{.Config.Image}}' "$NAME")
    if [[ $cur_image == "$IMAGE" ]] && version=$(TIMEOUT=5 wait_ready 2>/dev/null); then
        log "$NAME is already running $IMAGE (HAProxy $version)"
        print_env "$version"
        exit 0
    fi
fi
if docker inspect "$NAME" >/dev/null 2>&1; then
    log "removing the existing container $NAME"
    docker rm -f "$NAME" >/dev/null
fi

mkdir -p "$conf_dir" "$run_dir"
install -m 0644 "$FIXTURES/haproxy.cfg" "$FIXTURES/hosts.map" "$FIXTURES/blocked.acl" "$conf_dir/"
install -d -m 0755 "$conf_dir/tls"
install -m 0644 "$FIXTURES"/tls/* "$conf_dir/tls/"
chmod 0755 "$conf_dir"
rm -f "$run_dir"/*.sock
# uid/gid 99 is the image's haproxy user; root can chown, others need a world-writable dir.
if chown 99:99 "$run_dir" 2>/dev/null; then chmod 0770 "$run_dir"; else chmod 0777 "$run_dir"; fi

log "starting $NAME from $IMAGE (ports $CLI_PORT $HTTP_PORT $TCP_PORT $APP_PORT $AGENT_PORT on 127.0.0.1)"
# The DNS server of `resolvers localdns`, when the caller runs one (scripts/capture.sh does).
dns_env=()
[[ -n ${HAPROXY_DNS_ADDR:-} ]] && dns_env=(-e "HAPROXY_DNS_ADDR=$HAPROXY_DNS_ADDR")
if ! docker run -d --name "$NAME" \
    -v "$conf_dir:$CONF_IN:ro" \
    -v "$run_dir:$RUN_IN" \
    -e HAPROXY_CONF_DIR="$CONF_IN" \
    -e HAPROXY_RUN_DIR="$RUN_IN" \
    -e HAPROXY_BIND_ADDR=0.0.0.0 \
    -e HAPROXY_CLI_PORT="$CLI_PORT" \
    -e HAPROXY_HTTP_PORT="$HTTP_PORT" \
    -e HAPROXY_TCP_PORT="$TCP_PORT" \
    -e HAPROXY_APP_PORT="$APP_PORT" \
    -e HAPROXY_AGENT_PORT="$AGENT_PORT" \
    "${dns_env[@]}" \
    -p "127.0.0.1:$CLI_PORT:$CLI_PORT" \
    -p "127.0.0.1:$HTTP_PORT:$HTTP_PORT" \
    -p "127.0.0.1:$TCP_PORT:$TCP_PORT" \
    -p "127.0.0.1:$APP_PORT:$APP_PORT" \
    -p "127.0.0.1:$AGENT_PORT:$AGENT_PORT" \
    "$IMAGE" "$@" >/dev/null; then
    # e.g. a port already taken: do not leave a half-created container behind.
    docker rm -f "$NAME" >/dev/null 2>&1 || true
    die "docker run failed for $NAME (ports in use? set HAPROXY_PORT_BASE or HAPROXY_*_PORT)"
fi

version=$(wait_ready)
log "$NAME is up: HAProxy $version; CLI 127.0.0.1:$CLI_PORT, sockets in $run_dir"
print_env "$version"
