#!/usr/bin/env bash
# Deletes the kind cluster made by scripts/kind-up.sh (and everything in it).
# The dev keys in .dev/ (PM_DEV_DIR) and the local images are kept: a new kind-up reuses them.
set -euo pipefail

CLUSTER_NAME="${CLUSTER_NAME:-patient-mesh}"

command -v kind >/dev/null 2>&1 || {
  echo "kind-down: kind is not installed (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" >&2
  exit 1
}
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  kind delete cluster --name "$CLUSTER_NAME"
else
  echo "kind-down: no cluster named $CLUSTER_NAME"
fi
