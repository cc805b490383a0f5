#!/usr/bin/env bash
# Prints the image reference of a service: <registry>/<service>:<tag>, the one naming that
# `make images`, scripts/kind-up.sh, scripts/test-containers.sh and the charts share. The
# registry is $IMAGE_REGISTRY, else the umbrella chart's default global.image.registry
# (charts/patient-mesh/values.yaml: ghcr.io/<owner>, where the release workflow publishes).
#
# Usage: scripts/tools/image-ref.sh patient-api 1.2.3   -> ghcr.io/patient-mesh/patient-api:1.2.3
#        scripts/tools/image-ref.sh --registry          -> ghcr.io/patient-mesh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VALUES="$ROOT/charts/patient-mesh/values.yaml"

registry="${IMAGE_REGISTRY:-}"
if [[ -z "$registry" ]]; then
  # global: -> image: -> registry: (two-space indentation, as the chart is written).
  registry="$(awk '
    /^[^ #]/ { in_global = ($0 ~ /^global:/) }
    in_global && /^  [^ #]/ { in_image = ($0 ~ /^  image:/) }
    in_global && in_image && /^    registry:/ {
      sub(/^    registry:[ ]*/, ""); sub(/[ ]+#.*$/, ""); gsub(/["\047]/, ""); print; exit
    }' "$VALUES")"
fi
registry="${registry%/}"

if [[ "${1:-}" == "--registry" ]]; then
  printf '%s\n' "$registry"
  exit 0
fi
if [[ $# -ne 2 || -z "$1" || -z "$2" ]]; then
  echo "usage: scripts/tools/image-ref.sh <service> <tag> | --registry" >&2
  exit 64
fi
printf '%s\n' "${registry:+$registry/}$1:$2"
