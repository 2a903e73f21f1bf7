#!/usr/bin/env bash
# Installs Emmett's SQLite event store beside the benchmarks (not part of the workspace): its sqlite3
# dependency compiles a native module, which takes a few minutes and is not needed by revgraph itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/toolchain.sh"
mkdir -p "$here/.emmett"
cd "$here/.emmett"
[ -f package.json ] || echo '{ "name": "revgraph-bench-emmett", "private": true }' > package.json
npm install --no-audit --no-fund @event-driven-io/emmett-sqlite@0.38.5 @event-driven-io/emmett@0.38.5 sqlite3@5.1.7
