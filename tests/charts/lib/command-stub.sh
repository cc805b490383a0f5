#!/usr/bin/env bash
# A stand-in for docker, kind, kubectl or helm (whichever name it is called by) for
# tests/charts/kind-up.test.ts: appends its argv, and its stdin for `apply -f -`, as one JSON
# line to $STUB_LOG and prints what scripts/kind-up.sh reads back. Not a cluster.
# Environment: STUB_LOG, STUB_STATE (a directory: kind's clusters), and the knobs of
# StubBehaviour in commandStubs.ts.
NAME="$(basename "$0")"
shopt -u patsub_replacement 2>/dev/null || true
set -uo pipefail
args=("$@")
extra=''

json() { # a JSON string (the stubs' inputs hold no control characters but newlines and tabs)
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; s="${s//$'\t'/\\t}"; s="${s//$'\r'/\\r}"
  printf '"%s"' "$s"
}
json_file() { # a file's content (stdin for -) as a JSON string, trailing newlines included
  local c
  c="$(cat "$1"; printf x)"
  json "${c%x}"
}
finish() {
  local status="${1:-0}" list='' a
  for a in "${args[@]}"; do list+="${list:+,}$(json "$a")"; done
  ((status == 0)) || extra+=",\"status\":$status"
  printf '{"cmd":"%s","args":[%s]%s}\n' "$NAME" "$list" "$extra" >>"$STUB_LOG"
  exit "$status"
}
after() { # the value after a flag
  local i
  for ((i = 0; i < ${#args[@]} - 1; i++)); do [[ "${args[i]}" == "$1" ]] && { printf '%s' "${args[i + 1]}"; return 0; }; done
  return 1
}
has() { local a; for a in "${args[@]}"; do [[ "$a" == "$1" ]] && return 0; done; return 1; }
# The words left once the global flags kind-up puts first (--context C, -n NS) are taken out.
words=()
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in --context | --kube-context | -n | --namespace) ((i++)) ;; *) words+=("${args[i]}") ;; esac
done
sub="${words[0]:-} ${words[1]:-}"
clusters="$STUB_STATE/kind-clusters"

case "$NAME" in
  kind)
    case "$sub" in
      version\ *) echo "kind ${STUB_KIND_VERSION:-v0.31.0} go1.25.5 linux/amd64" ;;
      "get clusters")
        if [[ -s "$clusters" ]]; then cat "$clusters"; else echo 'No kind clusters found.' >&2; fi ;;
      "create cluster") after --name >>"$clusters"; echo >>"$clusters" ;;
      "load docker-image")
        if [[ "${STUB_KIND_LOAD_DOCKER_IMAGE_FAILS:-}" == 1 ]]; then
          echo "ERROR: failed to load image: command \"docker exec --privileged -i $(after --name)-control-plane ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -\" failed with error: exit status 1" >&2
          echo 'Command Output: ctr: content digest sha256:44b2c602cb838fd6a647d6d48cf0e6f56227351b2903263d60637ebd26545a8d: not found' >&2
          finish 1
        fi ;;
      "load image-archive")
        archive="${args[${#args[@]} - 1]}"
        if [[ -f "$archive" ]]; then bytes="$(wc -c <"$archive" | tr -d ' ')"; else bytes=-1; fi
        extra+=",\"archiveBytes\":$bytes"
        ((bytes > 0)) || finish 1 ;;
    esac ;;
  docker)
    case "$sub" in
      version\ *)
        if [[ "$(after --format)" == *Server.Os* ]]; then echo linux/amd64; else echo 29.1.3; fi ;;
      "image save")
        if has --platform && [[ "${STUB_DOCKER_SAVE_NO_PLATFORM:-}" == 1 ]]; then
          echo 'unknown flag: --platform' >&2
          finish 125
        fi
        printf '{"image":%s}\n' "$(json "${args[${#args[@]} - 1]}")" >"$(after -o)" ;;
    esac ;;
  kubectl)
    [[ "$(after -f || true)" == - ]] && extra+=",\"stdin\":$(json_file -)"
    case "${words[0]:-}" in
      version) printf '{\n  "clientVersion": {\n    "gitVersion": "v1.35.0"\n  }\n}\n' ;;
      get)
        # A release's PostgreSQL Secret, as a cluster that has one answers -o jsonpath={.data.password}.
        if [[ "${words[1]:-}" == secret ]]; then
          if [[ -n "${STUB_POSTGRESQL_SECRET_PASSWORD:-}" ]]; then
            printf '%s' "$STUB_POSTGRESQL_SECRET_PASSWORD" | base64 -w0
          else
            echo "Error from server (NotFound): secrets \"${words[2]:-}\" not found" >&2
            finish 1
          fi
        fi ;;
      create)
        if has --dry-run=client && [[ "${words[1]:-}" == secret ]]; then
          # kubectl create secret generic NAME --from-file=k=path --from-literal=k=v: JSON is YAML too.
          data=''
          for a in "${args[@]}"; do
            case "$a" in
              --from-file=*=*) kv="${a#--from-file=}"; data+="${data:+,}$(json "${kv%%=*}"):$(json_file "${kv#*=}")" ;;
              --from-literal=*=*) kv="${a#--from-literal=}"; data+="${data:+,}$(json "${kv%%=*}"):$(json "${kv#*=}")" ;;
            esac
          done
          printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":%s,"namespace":%s},"stringData":{%s}}\n' \
            "$(json "${words[3]}")" "$(json "$(after -n)")" "$data"
        fi ;;
    esac ;;
  helm)
    [[ "${words[0]:-}" == version ]] && echo 'v4.1.4+gstub' ;;
esac
finish 0
