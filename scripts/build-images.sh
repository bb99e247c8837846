#!/usr/bin/env bash
# Build local HAProxy container images from Debian's packages, laid out like the official
# `haproxy` image from Docker Hub, without any container registry:
#
#   scripts/build-images.sh [VERSIONS...]        (default: every recorded version, i.e. one per
#                                                 fixtures/X.Y/ folder (scripts/versions.sh):
#                                                 2.6 3.0 3.2 3.4)
#
# For each VERSION (major.minor) this produces haproxy-local:VERSION and haproxy-local:FULL
# (e.g. haproxy-local:2.6 and haproxy-local:2.6.12), unless haproxy-local:VERSION already exists
# (then it does nothing; set HAPROXY_IMAGE_REBUILD=1 to rebuild). Versions are built one after
# another. Needs root (debootstrap) and a Docker engine (started with scripts/docker-up.sh).
#
# How an image is made:
#   * the Debian suite is the first candidate whose `haproxy` package really is VERSION.x on the
#     mirror (read from its Packages index, never assumed): 2.6 = bookworm, 3.0 = trixie,
#     3.2 = forky (testing) then sid, 3.4 = experimental. Override with
#     HAPROXY_SUITES_<VERSION with _>, e.g. HAPROXY_SUITES_3_2="sid".
#   * `debootstrap --variant=minbase --include=haproxy,socat SUITE ROOTFS MIRROR [SCRIPT]`, the
#     mirror being the Debian one from /etc/apt/sources.list(.d) (override: DEBIAN_MIRROR; with
#     neither, the script stops and asks for DEBIAN_MIRROR: no mirror host is written in here).
#     Suites this debootstrap has no script for (forky) use its `sid` script.
#   * experimental is not a whole distribution but a few packages on top of sid: the root
#     filesystem is debootstrapped from sid (without haproxy), the experimental suite of the SAME
#     mirror is added to its apt sources, and `apt-get install -t experimental haproxy` runs in
#     the chroot (with systemd-standalone-sysusers, so that haproxy's "systemd | sysusers"
#     dependency does not pull in all of systemd).
#   * layout of the official image: config directory /usr/local/etc/haproxy (no config in it;
#     Debian's example errorfiles in errors/), /usr/local/sbin/haproxy -> /usr/sbin/haproxy, user
#     and group haproxy with uid/gid 99 and home /var/lib/haproxy owned by it, the official
#     docker-entrypoint.sh (a first argument starting with "-" gets "haproxy" prepended, and
#     "haproxy ..." runs as "haproxy -W -db ..."), USER haproxy, WORKDIR /var/lib/haproxy,
#     STOPSIGNAL SIGUSR1, CMD haproxy -f /usr/local/etc/haproxy/haproxy.cfg. Also socat.
#     (Debian's docker.io 20.10 rejects STOPSIGNAL in `docker import -c`, so that one is set by
#     a metadata-only `docker build` on top of the imported image.)
#   * apt caches, package lists, docs and man pages are removed; apt inside the image ignores
#     Release files' Valid-Until (the archive here is a dated snapshot).
#   * `tar | docker import` to a temporary tag; `docker run --rm IMAGE haproxy -v` must report
#     VERSION.x and the layout checks must pass before the image gets its real tags.
#
# Environment:
#   HAPROXY_IMAGE_REPO      image repository name                 (default haproxy-local)
#   HAPROXY_IMAGE_REBUILD   1 = rebuild even if the tag exists     (default 0)
#   HAPROXY_IMAGE_WORKDIR   scratch space for the root filesystems (default /var/tmp/haproxy-local-build)
#   HAPROXY_IMAGE_CACHE     debootstrap's .deb cache, kept across runs
#                                                                  (default /var/cache/haproxy-local/debootstrap)
#   DEBIAN_MIRROR           Debian mirror URL                      (default: from apt's sources)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${HAPROXY_IMAGE_REPO:-haproxy-local}
REBUILD=${HAPROXY_IMAGE_REBUILD:-0}
WORKDIR=${HAPROXY_IMAGE_WORKDIR:-/var/tmp/haproxy-local-build}
CACHE=${HAPROXY_IMAGE_CACHE:-/var/cache/haproxy-local/debootstrap}
CONF_DIR=/usr/local/etc/haproxy

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { printf 'build-images: ERROR: %s\n' "$*" >&2; exit 1; }

if (($# == 0)); then
    mapfile -t default_versions < <("$SCRIPT_DIR/versions.sh")
    ((${#default_versions[@]} > 0)) || die "no fixtures/X.Y/ folder to take the versions from; name them"
    set -- "${default_versions[@]}"
fi
for v in "$@"; do
    [[ $v =~ ^[0-9]+\.[0-9]+$ ]] || die "version must look like MAJOR.MINOR (e.g. 3.2), got '$v'"
done

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# --- engine and the fast path -------------------------------------------------------------------

docker info >/dev/null 2>&1 || "$SCRIPT_DIR/docker-up.sh"

todo=()
for v in "$@"; do
    if [[ $REBUILD != 1 ]] && image_exists "$REPO:$v"; then
        full=$(docker image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}}' "$REPO:$v")
        # Restore the full-version tag if somebody removed it.
        if [[ -n $full ]] && ! image_exists "$REPO:$full"; then docker tag "$REPO:$v" "$REPO:$full"; fi
        log "$REPO:$v exists (HAProxy ${full:-?}); skipping"
    else
        todo+=("$v")
    fi
done
((${#todo[@]} > 0)) || exit 0

# --- slow path: building ------------------------------------------------------------------------

[[ $(id -u) -eq 0 ]] || die "building needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null 2>&1 || "$SCRIPT_DIR/docker-up.sh"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"

mkdir -p "$WORKDIR" "$CACHE"
# One build at a time on this machine: they share the scratch space and the cache.
exec 9>"$WORKDIR/.lock"
flock -n 9 || { log "another build-images.sh is running; waiting for it"; flock 9; }

ARCH=$(dpkg --print-architecture)

# The Debian mirror apt uses here: the first enabled source whose path ends in /debian.
find_mirror() {
    local f uri
    shopt -s nullglob
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        while read -r uri; do
            if [[ ${uri%/} =~ /debian$ ]]; then printf '%s\n' "${uri%/}"; return 0; fi
        done < <(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } print $i }' "$f")
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        while read -r uri; do
            if [[ ${uri%/} =~ /debian$ ]]; then printf '%s\n' "${uri%/}"; return 0; fi
        done < <(awk 'BEGIN { RS = ""; FS = "\n" }
            !/(^|\n)[Ee]nabled:[ \t]*no/ && /(^|\n)Types:[^\n]*deb([ \t\n]|$)/ {
                for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); n = split($i, u, /[ \t]+/); for (j = 1; j <= n; j++) print u[j] } }' "$f")
    done
    shopt -u nullglob
    return 1
}
MIRROR=${DEBIAN_MIRROR:-$(find_mirror || true)}
MIRROR=${MIRROR%/}
[[ -n $MIRROR ]] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/ (an enabled 'deb' source whose URI ends in /debian); set DEBIAN_MIRROR to your Debian mirror's URL, e.g. DEBIAN_MIRROR=http://<your-mirror>/debian"
log "Debian mirror: $MIRROR"

fetch() { # URL FILE
    if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 3 -o "$2" "$1"; else wget -q -O "$2" "$1"; fi
}

# The version of the `haproxy` binary package in SUITE/main on the mirror (empty if none).
suite_haproxy_version() {
    local suite=$1 tmp ext dec
    tmp=$(mktemp)
    for ext in xz gz; do
        case $ext in xz) dec="xz -dc" ;; gz) dec="gzip -dc" ;; esac
        if fetch "$MIRROR/dists/$suite/main/binary-$ARCH/Packages.$ext" "$tmp" 2>/dev/null; then
            $dec "$tmp" | awk '/^Package: / { p = $2 } /^Version: / && p == "haproxy" { print $2; exit }'
            rm -f "$tmp"
            return 0
        fi
    done
    rm -f "$tmp"
}

default_suites() {
    case $1 in
        2.6) echo bookworm ;;
        3.0) echo trixie ;;
        3.2) echo forky sid ;;
        3.4) echo experimental ;;
        *) echo bookworm trixie forky sid experimental ;;
    esac
}

# Unmount anything debootstrap left mounted under a root filesystem, then remove it.
remove_rootfs() {
    local root=$1 mp
    [[ -e $root ]] || return 0
    root=$(realpath "$root")
    # Deepest first.
    while read -r mp; do
        umount -l "$mp" 2>/dev/null || true
    done < <(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r)
    if awk -v r="$root" '$2 == r || index($2, r "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        die "cannot unmount everything under $root; not removing it"
    fi
    rm -rf --one-file-system "$root"
}

CURRENT_ROOTFS=""
CURRENT_TMP_TAG=""
cleanup() {
    local t
    for t in $CURRENT_TMP_TAG; do docker rmi "$t" >/dev/null 2>&1 || true; done
    if [[ -n $CURRENT_ROOTFS ]]; then remove_rootfs "$CURRENT_ROOTFS" || true; fi
}
trap cleanup EXIT

# The official image's entrypoint (docker-library/haproxy, docker-entrypoint.sh).
write_entrypoint() {
    cat >"$1" <<'EOF'
#!/bin/sh
set -e

# first arg is `-f` or `--some-option`
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

if [ "$1" = 'haproxy' ]; then
	shift # "haproxy"
	# if the user wants "haproxy", let's add a couple useful flags
	#   -W  -- "master-worker mode" (similar to the old "haproxy-systemd-wrapper"; allows for reload via "SIGUSR2")
	#   -db -- disables background mode
	set -- haproxy -W -db "$@"
fi

exec "$@"
EOF
    chmod 755 "$1"
}

# Make ROOTFS look like the official image.
layout_rootfs() {
    local root=$1 old_uid old_gid
    old_uid=$(chroot "$root" id -u haproxy 2>/dev/null) || die "the haproxy package did not create a haproxy user"
    old_gid=$(chroot "$root" id -g haproxy)
    if [[ $old_gid != 99 ]]; then
        if chroot "$root" getent group 99 >/dev/null; then die "gid 99 is taken in the $root image"; fi
        chroot "$root" groupmod -g 99 haproxy
    fi
    if [[ $old_uid != 99 ]]; then
        if chroot "$root" getent passwd 99 >/dev/null; then die "uid 99 is taken in the $root image"; fi
        chroot "$root" usermod -u 99 -g 99 -d /var/lib/haproxy haproxy
    fi
    # Files still owned by the old ids (usermod only fixes the home directory).
    find "$root" -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -print0 2>/dev/null |
        while IFS= read -r -d '' f; do
            [[ $(stat -c %u "$f") == "$old_uid" ]] && chown -h 99 "$f"
            [[ $(stat -c %g "$f") == "$old_gid" ]] && chgrp -h 99 "$f"
            true
        done
    mkdir -p "$root/var/lib/haproxy"
    chown 99:99 "$root/var/lib/haproxy"

    mkdir -p "$root$CONF_DIR" "$root/usr/local/sbin" "$root/usr/local/bin"
    rm -f "$root$CONF_DIR/haproxy.cfg"
    if [[ -d $root/etc/haproxy/errors && ! -e $root$CONF_DIR/errors ]]; then
        cp -a "$root/etc/haproxy/errors" "$root$CONF_DIR/errors"
    fi
    ln -sfn /usr/sbin/haproxy "$root/usr/local/sbin/haproxy"
    write_entrypoint "$root/usr/local/bin/docker-entrypoint.sh"

    # apt inside the image: the archive here is a dated snapshot whose Release files expire.
    printf 'Acquire::Check-Valid-Until "false";\n' >"$root/etc/apt/apt.conf.d/99haproxy-local-snapshot"
    # Keep future package installs as slim as this image (like Debian's -slim images).
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
    cat >"$root/etc/dpkg/dpkg.cfg.d/haproxy-local-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF

    # Size: caches, lists, logs, docs.
    chroot "$root" apt-get clean >/dev/null 2>&1 || true
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
        "$root"/var/log/apt/* "$root"/var/log/*.log \
        "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
        "$root"/usr/share/lintian/*
    mkdir -p "$root/var/lib/apt/lists/partial"
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    # Docker provides these; do not ship the build host's.
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    rm -rf "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/tmp/* "${root:?}"/run/*
}

# Lazily unmount everything mounted below ROOTFS (deepest first).
unmount_under() {
    local mp
    while read -r mp; do umount -l "$mp" || true; done < <(awk -v r="$(realpath "$1")" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r)
}

# Install haproxy from the mirror's experimental suite into a sid ROOTFS; it must end up at
# exactly EXPECTED, the version the mirror's experimental Packages index announced.
install_from_experimental() {
    local root=$1 expected=$2 logf=$3 got
    log "  apt-get install -t experimental haproxy ($expected) in the chroot (log: $logf)"
    # Same mirror as the sid base, never a name written here.
    printf 'deb %s experimental main\n' "$MIRROR" >"$root/etc/apt/sources.list.d/experimental.list"
    # No service may start inside the chroot.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    local apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q -y
        -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    if ! { "${apt[@]}" update && "${apt[@]}" install -t experimental haproxy systemd-standalone-sysusers; } >"$logf" 2>&1; then
        tail -n 30 "$logf" >&2
        unmount_under "$root"
        die "apt-get install -t experimental haproxy failed in $root"
    fi
    unmount_under "$root"
    rm -f "$root/usr/sbin/policy-rc.d"
    got=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' haproxy)
    [[ $got == "$expected" ]] || die "experimental's Packages index has haproxy $expected but apt installed '$got'"
}

# "HAProxy version 3.2.26-1 2026/..." -> "3.2.26-1"
haproxy_version_from() { awk '/^HA-?Proxy version / { print $3; exit }'; }

summary=()
build_one() {
    local ver=$1 start suite suites candidate pkgver script="" rootfs tmp_tag out
    local full debver size id uid gid wd
    start=$SECONDS
    log "==== $REPO:$ver"

    local var="HAPROXY_SUITES_${ver//./_}"
    read -r -a suites <<<"${!var:-$(default_suites "$ver")}"
    suite=""
    for candidate in "${suites[@]}"; do
        pkgver=$(suite_haproxy_version "$candidate" || true)
        log "  $candidate carries haproxy ${pkgver:-(none)}"
        if [[ $pkgver == "$ver".* ]]; then suite=$candidate; break; fi
    done
    [[ -n $suite ]] || die "no suite among '${suites[*]}' on $MIRROR carries haproxy $ver.x"

    # experimental carries single packages, not a distribution: bootstrap sid, add haproxy after.
    local base=$suite include=haproxy,socat
    if [[ $suite == experimental ]]; then
        base=sid
        include=socat
    fi
    # apt inside the chroot talks to the mirror itself when it is an https one.
    [[ $MIRROR == https://* ]] && include+=,ca-certificates

    if [[ ! -e /usr/share/debootstrap/scripts/$base ]]; then
        script=/usr/share/debootstrap/scripts/sid
        log "  debootstrap has no script for $base; using $script"
    fi

    rootfs=$WORKDIR/$ver/rootfs
    remove_rootfs "$rootfs"
    mkdir -p "$rootfs"
    CURRENT_ROOTFS=$rootfs
    log "  debootstrap $base -> $rootfs (log: $WORKDIR/$ver/debootstrap.log)"
    # shellcheck disable=SC2086 # $script is empty or one path
    if ! debootstrap --variant=minbase --include="$include" --cache-dir="$CACHE" \
        "$base" "$rootfs" "$MIRROR" $script >"$WORKDIR/$ver/debootstrap.log" 2>&1; then
        tail -n 30 "$WORKDIR/$ver/debootstrap.log" >&2
        [[ -f $rootfs/debootstrap/debootstrap.log ]] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
        die "debootstrap $base failed"
    fi
    # Mounts debootstrap may have left behind would otherwise end up in the tarball.
    unmount_under "$rootfs"

    if [[ $suite == experimental ]]; then
        install_from_experimental "$rootfs" "$pkgver" "$WORKDIR/$ver/apt.log"
    fi

    full=$(chroot "$rootfs" /usr/sbin/haproxy -v | haproxy_version_from)
    debver=$(dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f '${Version}' haproxy)
    full=${full%%-*}
    [[ $full == "$ver".* ]] || die "the $suite rootfs has HAProxy '$full', not $ver.x"

    layout_rootfs "$rootfs"

    local import_tag="$REPO:tmp-$ver-$$-import"
    tmp_tag="$REPO:tmp-$ver-$$"
    CURRENT_TMP_TAG="$import_tag $tmp_tag"
    log "  docker import -> $import_tag"
    tar --numeric-owner -C "$rootfs" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'USER haproxy' \
        -c 'WORKDIR /var/lib/haproxy' \
        -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
        -c "CMD [\"haproxy\",\"-f\",\"$CONF_DIR/haproxy.cfg\"]" \
        -c "LABEL org.opencontainers.image.title=\"$REPO\" org.opencontainers.image.version=\"$full\" org.opencontainers.image.description=\"HAProxy $full from Debian $suite$([[ $base != "$suite" ]] && echo " on $base") (haproxy $debver), laid out like the official haproxy image\" haproxy.debian.suite=\"$suite\" haproxy.debian.version=\"$debver\"" \
        -m "haproxy $debver from Debian $suite" - "$import_tag" >/dev/null
    # `docker import -c` of Debian's docker.io 20.10 refuses STOPSIGNAL ("not a valid change
    # command"): set it with a metadata-only build on top (no registry, no new layer).
    log "  docker build (STOPSIGNAL SIGUSR1) -> $tmp_tag"
    if ! out=$(printf 'FROM %s\nSTOPSIGNAL SIGUSR1\n' "$import_tag" |
        DOCKER_BUILDKIT=0 docker build -q -t "$tmp_tag" - 2>&1); then
        die "docker build of $tmp_tag failed: $out"
    fi
    docker rmi "$import_tag" >/dev/null
    CURRENT_TMP_TAG=$tmp_tag

    # The image must say what it is: read the version from haproxy -v inside a container.
    out=$(docker run --rm "$tmp_tag" haproxy -v) || die "docker run $tmp_tag haproxy -v failed"
    local got
    got=$(printf '%s\n' "$out" | haproxy_version_from)
    got=${got%%-*}
    [[ $got == "$ver".* ]] || die "$tmp_tag runs HAProxy '${got:-?}' (expected $ver.x): $out"
    [[ $got == "$full" ]] || die "$tmp_tag runs HAProxy $got but the rootfs had $full"
    [[ $(docker image inspect --format '{{.Config.StopSignal}}' "$tmp_tag") == SIGUSR1 ]] ||
        die "$tmp_tag: STOPSIGNAL is not SIGUSR1"
    # The layout the official image promises.
    read -r uid gid wd < <(docker run --rm --entrypoint sh "$tmp_tag" -c 'echo "$(id -u) $(id -g) $(pwd)"')
    [[ $uid == 99 && $gid == 99 && $wd == /var/lib/haproxy ]] ||
        die "$tmp_tag: expected uid/gid 99 in /var/lib/haproxy, got uid=$uid gid=$gid cwd=$wd"
    docker run --rm --entrypoint sh "$tmp_tag" -c "
        set -e
        test -d $CONF_DIR && test ! -e $CONF_DIR/haproxy.cfg
        test -x /usr/local/sbin/haproxy
        test \"\$(stat -c %u:%g /var/lib/haproxy)\" = 99:99
        test -w /var/lib/haproxy
        command -v socat >/dev/null
    " || die "$tmp_tag: layout check failed"
    # Through the entrypoint, as the official image runs it.
    docker run --rm "$tmp_tag" -v >/dev/null || die "$tmp_tag: entrypoint check ('-v') failed"

    local old_id
    old_id=$(docker image inspect --format '{{.Id}}' "$REPO:$ver" 2>/dev/null || true)
    docker tag "$tmp_tag" "$REPO:$ver"
    docker tag "$tmp_tag" "$REPO:$full"
    docker rmi "$tmp_tag" >/dev/null
    CURRENT_TMP_TAG=""
    remove_rootfs "$rootfs"
    CURRENT_ROOTFS=""

    id=$(docker image inspect --format '{{.Id}}' "$REPO:$ver")
    # A rebuild replaces the image: drop the old one unless something still uses or tags it.
    if [[ -n $old_id && $old_id != "$id" ]]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi
    size=$(docker image inspect --format '{{.Size}}' "$REPO:$ver")
    local secs=$((SECONDS - start))
    log "  built $REPO:$ver = $REPO:$full (Debian $suite, haproxy $debver), $((size / 1024 / 1024)) MiB, ${secs}s, ${id:7:12}"
    summary+=("$(printf '%-6s %-8s %-10s %-22s %6s MiB %5ss' "$ver" "$full" "$suite" "$debver" "$((size / 1024 / 1024))" "$secs")")
}

for v in "${todo[@]}"; do
    build_one "$v"
done

log "summary (version, HAProxy, suite, Debian package, size, build time):"
printf '  %s\n' "${summary[@]}" >&2
