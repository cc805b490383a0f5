#!/usr/bin/env bash
# What `npm run bench` needs, so that it runs from a fresh clone: the npm packages (Node 24
# among them), PostgreSQL and wrk (Debian), and a build of the services.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f node_modules/.package-lock.json ]] || npm ci --no-audit --no-fund
bash scripts/ensure-test-deps.sh
npm run build
