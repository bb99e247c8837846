# haproxy-mcp-server container image.
#
# Targets (see docs/docker.md):
#   runtime        (default) builds the server from source in rust:1-bookworm and copies it into
#                  debian:bookworm-slim:            docker build -t haproxy-mcp-server .
#   runtime-local  packs a binary that is already built into the same runtime image, with no Rust
#                  image involved: by default target/release/haproxy-mcp-server (cargo build
#                  --release), or --build-arg BINARY=<path in the context>. `make docker-build` /
#                  `make docker-test` use it on a locally imported Debian base:
#                    docker build --target runtime-local --build-arg BASE_IMAGE=debian-local:bookworm-slim .
#                  The release workflow uses it to pack the released static binaries.
#
# BuildKit (the default builder since Docker 23, and in Compose v2) builds only the stages the
# target needs. The classic builder (DOCKER_BUILDKIT=0, Docker 20.10's default) runs every stage up
# to the target in file order: runtime-local therefore comes before the builder, so that
# `--target runtime-local` never needs the Rust image, and the default target then also needs
# target/release/haproxy-mcp-server to exist (use BuildKit to build from a clean checkout).
#
# Configuration is by environment variable only (docs/configuration.md). The image speaks MCP over
# stdio by default (docker run -i --rm ...); MCP_TRANSPORT=http serves Streamable HTTP on
# 0.0.0.0:8080/mcp and, like the binary, refuses to start there without authentication:
# MCP_AUTH_TOKENS / MCP_AUTH_TOKENS_FILE or MCP_OAUTH_* (docs/security.md), or an explicit
# MCP_ALLOW_UNAUTHENTICATED=true for a trusted network (then it warns at every start).

ARG BASE_IMAGE=debian:bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm

# --- the runtime, without the binary ---------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime-base

# A fixed, unprivileged uid/gid (10001) so that volume and socket permissions can be planned for.
# The healthcheck is a bash /dev/tcp probe of /healthz (no curl in the image); in stdio mode there
# is no port to probe and it reports healthy.
# ca-certificates: the OAuth mode fetches the issuer's metadata and JWKS over HTTPS, checked
# against the system roots. (The local stand-in base image already has it.)
RUN set -eu; \
    if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    test -s /etc/ssl/certs/ca-certificates.crt; \
    groupadd --system --gid 10001 haproxy-mcp; \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin haproxy-mcp; \
    printf '%s\n' \
        '#!/bin/bash' \
        '# HEALTHCHECK of the haproxy-mcp-server image: GET /healthz in HTTP mode, nothing to do in stdio mode.' \
        '[[ ${MCP_TRANSPORT:-stdio} == http ]] || exit 0' \
        'host=${MCP_HOST:-127.0.0.1}' \
        'case $host in 0.0.0.0|"") host=127.0.0.1 ;; ::) host=::1 ;; esac' \
        'exec 3<>"/dev/tcp/$host/${MCP_PORT:-8080}" || exit 1' \
        'printf "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3' \
        'IFS= read -r -t 5 status <&3 || exit 1' \
        '[[ $status =~ ^HTTP/1\.[01]\ 200 ]] || { echo "healthz: ${status:-no answer}"; exit 1; }' \
        > /usr/local/bin/haproxy-mcp-healthcheck; \
    chmod 0755 /usr/local/bin/haproxy-mcp-healthcheck

# The seed's settings with the container's defaults. HTTP mode listens on every interface of the
# container (the only way a published port reaches it), so it needs authentication configured
# (or MCP_ALLOW_UNAUTHENTICATED=true, deliberately): no insecure default.
# NO_COLOR: plain log lines (stderr) for log drivers; LOG_FORMAT=json for structured logs.
ENV HAPROXY_HOST=127.0.0.1 \
    HAPROXY_PORT=9999 \
    MCP_TRANSPORT=stdio \
    MCP_HOST=0.0.0.0 \
    MCP_PORT=8080 \
    LOG_LEVEL=info \
    NO_COLOR=1

USER 10001:10001
EXPOSE 8080
# The server shuts down cleanly on SIGINT (as PID 1 it has no default SIGTERM handler).
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/haproxy-mcp-healthcheck"]
ENTRYPOINT ["/usr/local/bin/haproxy-mcp-server"]

LABEL org.opencontainers.image.title="haproxy-mcp-server" \
      org.opencontainers.image.description="MCP server for HAProxy's Runtime API" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/haproxy-mcp-server/haproxy-mcp-server"

# --- runtime-local: a binary built beforehand ------------------------------------------------------
FROM runtime-base AS runtime-local
# A path in the build context (.dockerignore lets exactly this file of target/ through). It must
# run on Debian bookworm: built on bookworm (glibc 2.36) or older, or static (musl).
ARG BINARY=target/release/haproxy-mcp-server
COPY ${BINARY} /usr/local/bin/haproxy-mcp-server
RUN ["/usr/local/bin/haproxy-mcp-server", "--version"]

# --- builder: compile from source -----------------------------------------------------------------
FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# The whole workspace (.dockerignore keeps target/, .git and the like out): build.rs embeds
# fixtures/ into the binary for --emulator.
COPY . .
RUN rm -rf target \
    && cargo build --release --locked --bin haproxy-mcp-server \
    && cp target/release/haproxy-mcp-server /haproxy-mcp-server \
    && /haproxy-mcp-server --version

# --- runtime (default): built from source ------------------------------------------------------
FROM runtime-base AS runtime
COPY --from=builder /haproxy-mcp-server /usr/local/bin/haproxy-mcp-server
