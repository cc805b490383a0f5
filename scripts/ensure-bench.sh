#!/usr/bin/env bash
# What `npm run bench` needs, so that it runs from a fresh clone: the npm packages (Node 24
# and vega for the plots among them; again when package-lock.json changed since the last
# install), PostgreSQL and wrk (Debian), and a build of the services.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ node_modules/.package-lock.json -nt package-lock.json ]] || npm ci --no-audit --no-fund
bash scripts/ensure-test-deps.sh
npm run build
