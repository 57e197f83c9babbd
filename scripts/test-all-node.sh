#!/usr/bin/env bash
# Runs the whole suite (`npm test`'s runner) on this machine's Node and on Node 22 and 24 from
# the npm registry, then prints one closing line with the totals. With arguments (e.g. `22 24`)
# only those registry versions run.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
status=0
passed=0
failed=0
log="$(mktemp)"
bins=()
if [ $# -eq 0 ]; then
  bins+=("") # this machine's node
  set -- 22 24
fi
while IFS= read -r b; do bins+=("$b"); done < <(bash scripts/install-node.sh "$@")
label=""
for bin in "${bins[@]}"; do
  node_bin="${bin:+$bin/}node"
  version="$("$node_bin" --version)"
  label="${label:+$label, }$version"
  echo "=== npm test on Node $version"
  PATH="${bin:+$bin:}$PATH" "$node_bin" scripts/test.mjs | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  [ -n "$p" ] || status=1
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
rm -f "$log"
echo "Node ${label}: ${passed} passed, ${failed} failed"
exit $status
