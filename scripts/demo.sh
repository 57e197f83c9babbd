#!/usr/bin/env bash
# `npm run demo`: build, fetch Node 24 from the npm registry (Lambda's newest Node runtime, run with
# AWS's own runtime client), then run the demo in the local Lambda sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
bash scripts/install-node.sh 24 >/dev/null 2>&1 ||
  echo "demo: Node 24 could not be installed from the npm registry; the demo runs on this machine's Node" >&2
exec node dist/cli.cjs demo "$@"
