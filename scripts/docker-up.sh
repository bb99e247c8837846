#!/usr/bin/env bash
# Make sure a Docker engine is running on this machine (Debian, root), and that the tools
# scripts/build-images.sh needs are installed. Idempotent: when everything is already in place it
# only runs `docker info` once and exits.
#
#   scripts/docker-up.sh
#
# What it does, in order:
#   1. apt-get installs docker.io and debootstrap if `dockerd`/`debootstrap` are missing
#      (non-interactive; `apt-get update` only when the package index does not know them, or when
#      the install fails because the index is stale).
#   2. If `docker info` fails, starts `dockerd` in the background (log: $DOCKERD_LOG) and waits up
#      to $DOCKER_UP_TIMEOUT seconds for `docker info` to succeed. Only if the daemon dies with the
#      default settings does it retry with `--iptables=false`, then also `--storage-driver=vfs`.
#   3. Exits non-zero with a clear message if the engine cannot be brought up.
#
# Environment:
#   DOCKERD_LOG         dockerd's log file                      (default /tmp/dockerd.log)
#   DOCKER_UP_TIMEOUT   seconds to wait for `docker info`        (default 60)
#   DOCKERD_ARGS        extra dockerd arguments, used for every attempt (default none)
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
DOCKER_UP_TIMEOUT=${DOCKER_UP_TIMEOUT:-60}
DOCKERD_PIDFILE=/var/run/docker.pid

log() { printf 'docker-up: %s\n' "$*" >&2; }
die() { printf 'docker-up: ERROR: %s\n' "$*" >&2; exit 1; }

docker_ok() { docker info >/dev/null 2>&1; }

# --- 1. packages --------------------------------------------------------------------------------

# Which of the packages we need have no command yet.
missing_pkgs=()
command -v dockerd >/dev/null 2>&1 || missing_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing_pkgs+=(debootstrap)

if ((${#missing_pkgs[@]} > 0)); then
    [[ $(id -u) -eq 0 ]] || die "need root to install ${missing_pkgs[*]} (run as root or install them yourself)"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() {
        apt-get install -y -q \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
    }
    # Update the index first only if it does not know one of the packages at all.
    need_update=0
    for p in "${missing_pkgs[@]}"; do
        cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
        if [[ -z $cand || $cand == "(none)" ]]; then need_update=1; fi
    done
    if ((need_update)); then
        log "apt-get update (package index does not know ${missing_pkgs[*]})"
        apt-get update -q >&2 || die "apt-get update failed"
    fi
    log "installing ${missing_pkgs[*]}"
    if ! apt_install "${missing_pkgs[@]}" >&2; then
        # A stale index gives 404s on the .debs: refresh once and retry.
        ((need_update)) && die "apt-get install ${missing_pkgs[*]} failed"
        log "install failed; retrying after apt-get update"
        apt-get update -q >&2 || die "apt-get update failed"
        apt_install "${missing_pkgs[@]}" >&2 || die "apt-get install ${missing_pkgs[*]} failed"
    fi
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH even after installing docker.io"

# --- 2. the engine ------------------------------------------------------------------------------

if docker_ok; then
    log "Docker engine already running ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || die "docker info fails and only root can start dockerd here"

# Is a dockerd already there (e.g. still starting, or started by someone else)? Then just wait.
dockerd_pid() {
    local pid
    [[ -s $DOCKERD_PIDFILE ]] || return 1
    pid=$(<"$DOCKERD_PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
    printf '%s\n' "$pid"
}

# Waits for `docker info` while the daemon process $1 stays alive.
# Returns 0 when ready, 1 when the daemon died, 2 on timeout.
wait_ready() {
    local pid=$1 deadline=$((SECONDS + DOCKER_UP_TIMEOUT))
    while ((SECONDS < deadline)); do
        docker_ok && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
    done
    docker_ok && return 0
    return 2
}

if pid=$(dockerd_pid); then
    log "dockerd (pid $pid) is running but not answering yet; waiting up to ${DOCKER_UP_TIMEOUT}s"
    rc=0
    wait_ready "$pid" || rc=$?
    ((rc == 0)) && { log "Docker engine is up"; exit 0; }
    die "dockerd (pid $pid) is running but \`docker info\` still fails; see $DOCKERD_LOG"
fi

# A pid file left behind by a dead dockerd makes the next one refuse to start.
rm -f "$DOCKERD_PIDFILE"

read -r -a extra_args <<<"${DOCKERD_ARGS:-}"
attempts=(
    ""
    "--iptables=false"
    "--iptables=false --storage-driver=vfs"
)
for attempt in "${attempts[@]}"; do
    read -r -a args <<<"$attempt"
    args+=("${extra_args[@]}")
    log "starting dockerd ${args[*]:-(default settings)}; log: $DOCKERD_LOG"
    printf '\n==== %s docker-up: dockerd %s\n' "$(date -Is)" "${args[*]}" >>"$DOCKERD_LOG"
    # setsid + nohup: the daemon outlives this script and the caller's terminal/job control.
    setsid nohup dockerd "${args[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
    rc=0
    wait_ready "$pid" || rc=$?
    case $rc in
        0)
            log "Docker engine is up (dockerd pid $pid, $(docker info --format 'storage driver {{.Driver}}' 2>/dev/null))"
            [[ -n $attempt ]] && log "NOTE: needed workaround: $attempt"
            exit 0
            ;;
        1)
            log "dockerd exited during startup; last log lines:"
            tail -n 5 "$DOCKERD_LOG" >&2 || true
            rm -f "$DOCKERD_PIDFILE"
            ;;
        *)
            die "dockerd (pid $pid) did not answer within ${DOCKER_UP_TIMEOUT}s; see $DOCKERD_LOG"
            ;;
    esac
done
die "could not start dockerd with any of: default, --iptables=false, --iptables=false --storage-driver=vfs; see $DOCKERD_LOG"
