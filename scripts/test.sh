#!/usr/bin/env bash
# `make test` and CI: system packages, build, lint, then every vitest project once with
# a JSON report, then the benchmark smoke; ends with one line "N passed, N failed" and a
# non-zero exit on failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/ensure-test-deps.sh || exit 1
npm run build || exit 1
npm run lint || exit 1

mkdir -p .data
# Container tier (tier 6): needs root to run a private dockerd; skipped, and said so, otherwise.
containers=.data/test-containers.counts
rm -f "$containers"
if [[ $(id -u) -eq 0 && "${PM_SKIP_CONTAINERS:-0}" != 1 ]]; then
  bash scripts/test-containers.sh 2>&1 | tee .data/test-containers.log
  grep -Eo '^test-containers: [0-9]+ passed, [0-9]+ failed' .data/test-containers.log | grep -Eo '[0-9]+' | paste -sd, - > "$containers" ||
    echo "0,1" > "$containers"
else
  echo "test.sh: container tier skipped (needs root; PM_SKIP_CONTAINERS=${PM_SKIP_CONTAINERS:-0})"
fi

report=.data/vitest-report.json
rm -f "$report"
# The output of every process the suites start, scanned for patient data by tests/logs.
rm -rf .data/service-logs
# A hung run must not eat the CI budget.
timeout --kill-after=30s 45m npm exec -- vitest run --coverage --reporter=default --reporter=json --outputFile.json="$report"
status=$?

# Benchmark smoke: `npm run bench -- --quick` into .data/bench (not docs/, not bench/results/),
# checked to complete and to write a results file with every scenario; not asserted on speed.
# After the suites, so its processes' logs are not in the ones tests/logs scans. It counts as
# one test in the summary, added to the container tier's counts.
bench_counts=.data/bench-smoke.counts
if timeout --kill-after=30s 15m npm exec -- node bench/smoke.ts --out .data/bench; then
  echo "1,0" > "$bench_counts"
else
  echo "0,1" > "$bench_counts"
fi
extra=.data/test-extra.counts
cat "$containers" "$bench_counts" 2>/dev/null | awk -F, '{p += $1; f += $2} END {print p + 0 "," f + 0}' > "$extra"

npm exec -- node scripts/test-summary.ts "$report" "$extra" "$status" || status=1
exit $status
