#!/usr/bin/env bash
# `make test` and CI: system packages, build, lint, then every vitest project once with
# a JSON report; ends with one line "N passed, N failed" and a non-zero exit on failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh || exit 1
npm run build || exit 1
npm run lint || exit 1

mkdir -p .data
report=.data/vitest-report.json
rm -f "$report"
# A hung run must not eat the CI budget.
timeout --kill-after=30s 45m npm exec -- vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
npm exec -- node scripts/test-summary.ts "$report" || status=1
exit $status
