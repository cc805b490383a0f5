#!/usr/bin/env bash
# Installs the Debian packages the test tiers use, when missing: PostgreSQL 15 (a real
# server for the PostgreSQL suites), Prometheus (promtool and a live server for the
# observability tier), Python's gRPC (an independent, non-Node gRPC client), Python's
# cryptography (Ed25519 for the independent audit proof verifier), wrk (the benchmarks'
# paced load) and Chromium (headless, for the API docs page in tests/integration/api-docs.test.ts).
set -euo pipefail

need=()
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || need+=(postgresql-15)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
/usr/bin/python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1 || need+=(python3-grpcio python3-grpc-tools python3-protobuf)
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || need+=(python3-cryptography)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[[ -x /usr/bin/chromium ]] || need+=(chromium)

if ((${#need[@]} == 0)); then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-test-deps: missing Debian packages: ${need[*]} — install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "ensure-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's prometheus package starts a service we do not want; tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus 2>/dev/null || true; fi
pkill -x prometheus 2>/dev/null || true
