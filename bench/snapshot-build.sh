#!/bin/sh
# Builds a private copy of the gateway for benchmarking, so that a rebuild of dist/ by someone else
# in the shared tree cannot change the code under measurement halfway through a run, and so that a
# proposed src/ change can be measured without touching src/.
#
# Usage: bench/snapshot-build.sh DEST [PATCH...]
#   Copies src/, bin/, scripts/bundle.mjs, package.json and the tsconfigs of this repo to DEST, links
#   node_modules, applies each PATCH (unified diff against the repo root, `git diff` format), compiles
#   with tsconfig.build.json and bundles the CLI (scripts/bundle.mjs), as `npm run build` does. Then
#   run a benchmark with
#   OPENCLAW_BENCH_CLI=DEST/bin/openclaw.js npx tsx bench/<name>.ts
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 DEST [PATCH...]" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=$1
shift
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$repo/src" "$repo/bin" "$repo/package.json" "$repo/tsconfig.json" "$repo/tsconfig.build.json" "$dest/"
mkdir -p "$dest/scripts"
cp "$repo/scripts/bundle.mjs" "$dest/scripts/"
ln -s "$repo/node_modules" "$dest/node_modules"
for p in "$@"; do
  patch -d "$dest" -p1 --no-backup-if-mismatch < "$p"
done
# Type errors elsewhere in a tree that others are editing must not stop the build: tsc still emits.
(cd "$dest" && "$repo/node_modules/.bin/tsc" -p tsconfig.build.json) || echo "note: tsc reported errors (output emitted anyway)" >&2
test -f "$dest/dist/src/cli/main.js"
# The bundle must come after tsc: bin/openclaw.js uses it only when it is at least as new as main.js.
(cd "$dest" && node scripts/bundle.mjs)
echo "$dest/bin/openclaw.js"
