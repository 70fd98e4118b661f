#!/usr/bin/env bash
# The whole test suite, as the README gives it: system packages, npm packages, lint, type-check, every
# test on this Node (20 on CI), then the unit tests and a smoke run on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm test
if [ "${OPENCLAW_SKIP_NODE24:-}" != "1" ]; then
  bash scripts/test-node24.sh
fi
