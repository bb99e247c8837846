#!/usr/bin/env bash
# Runs the live-HAProxy tests once per HAProxy container image (the version matrix).
#
#   scripts/test-containers.sh [IMAGE...]     default: $HAPROXY_IMAGES, else the local image
#                                             haproxy-local:X.Y of every recorded version
#                                             (scripts/versions.sh: 2.6 3.0 3.2 3.4)
#
# Each live test starts its own container of that image with testcontainers (see
# tests/support/mod.rs). Without Docker or an image this prints one SKIPPED line per reason and
# exits 0 — unless CI=true, where a missing Docker or image is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test binaries that hold live-HAProxy tests.
LIVE_TESTS=(--test live_client --test mcp_servers --test mcp_sessions --test mcp_maps
    --test mcp_tables --test mcp_health --test mcp_misc --test differential
    --test faults --test load --test hostile_input --test oracle --test mcp_stats --test fleet)

ci() { [[ ${CI:-} != "" && ${CI:-} != "false" && ${CI:-} != "0" ]]; }
skip_or_fail() {
    if ci; then
        echo "test-containers: FAILED: $*" >&2
        exit 1
    fi
    echo "SKIPPED container tests: $*"
    exit 0
}

if (($# > 0)); then
    images=("$@")
elif [[ -n ${HAPROXY_IMAGES:-} ]]; then
    read -r -a images <<<"${HAPROXY_IMAGES//,/ }"
else
    images=()
    while read -r v; do images+=("haproxy-local:$v"); done < <(scripts/versions.sh)
fi

command -v docker >/dev/null 2>&1 || skip_or_fail "no docker command (scripts/docker-up.sh installs and starts Docker)"
docker info >/dev/null 2>&1 || skip_or_fail "Docker is not running (scripts/docker-up.sh starts it)"

for image in "${images[@]}"; do
    if ! docker image inspect "$image" >/dev/null 2>&1; then
        case $image in
        haproxy-local:*) skip_or_fail "image $image is missing (make images builds it)" ;;
        *) docker pull -q "$image" >/dev/null || skip_or_fail "cannot pull $image" ;;
        esac
    fi
done

for image in "${images[@]}"; do
    echo "=== live tests against $image"
    HAPROXY_LIVE_IMAGE=$image cargo test "${LIVE_TESTS[@]}" --no-fail-fast
    # The eleven operator jobs through the Python SDK (the rest of e2e_python uses the emulator).
    HAPROXY_LIVE_IMAGE=$image cargo test --test e2e_python operator_jobs
done
