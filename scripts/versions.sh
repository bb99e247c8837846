#!/usr/bin/env bash
# Prints the HAProxy versions this repository pins, one per line, oldest first: one per recorded
# fixtures folder (fixtures/MAJOR.MINOR/). The same list build.rs bundles for `--emulator` and
# the tests iterate over (haproxy_mcp_server::demo::bundled_versions), so a new version is
# pinned everywhere by recording its fixtures: scripts/build-images.sh X.Y && scripts/capture.sh X.Y.
set -euo pipefail
FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)
for d in "$FIXTURES"/*/; do
    v=$(basename "$d")
    [[ $v =~ ^[0-9]+\.[0-9]+$ ]] || continue
    printf '%s\n' "$v"
done | sort -V
