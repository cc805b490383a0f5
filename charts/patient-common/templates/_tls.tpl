{{/*
Workload identity and in-app mTLS between patient-api and patient-rpc.

Each service's pod presents a certificate whose one URI SAN is the SPIFFE id of its
ServiceAccount (spiffe://<tls.trustDomain>/ns/<namespace>/sa/<serviceAccount>), issued by
cert-manager (tls.issuerRef) or brought as tls.existingSecret, and verifies the peer's
against ca.crt (the Secret's, or a trust bundle ConfigMap). patient-rpc serves only the
identities in config.tls.allowedClients; patient-api talks only to config.tls.serverIdentities.
Both lists default to the peer's id, computed here rather than typed.
*/}}

{{/* Where the certificate files are mounted; config.tls.*File point into it. */}}
{{- define "patient-common.tls.dir" -}}
/etc/patient-mesh/tls
{{- end }}

{{/*
The transport mode written into config.tls.mode: mesh whenever a sidecar mesh provides
mTLS (mesh.provider), else tls.mode.
*/}}
{{- define "patient-common.tls.mode" -}}
{{- if ne .Values.mesh.provider "none" }}mesh{{ else }}{{ .Values.tls.mode }}{{ end }}
{{- end }}

{{/* "true" when the chart renders a cert-manager Certificate (mtls without tls.existingSecret). */}}
{{- define "patient-common.tls.certificateWanted" -}}
{{- if and (eq (include "patient-common.tls.mode" .) "mtls") (not .Values.tls.existingSecret) }}true{{ end }}
{{- end }}

{{- define "patient-common.tls.secretName" -}}
{{- if .Values.tls.existingSecret }}
{{- tpl .Values.tls.existingSecret . }}
{{- else }}
{{- printf "%s-tls" (include "patient-common.fullname" .) }}
{{- end }}
{{- end }}

{{/*
A SPIFFE id (X.509-SVID URI SAN) of a Kubernetes ServiceAccount.
Usage: include "patient-common.spiffeId" (dict "trustDomain" "cluster.local" "namespace" "ns" "serviceAccount" "sa")
*/}}
{{- define "patient-common.spiffeId" -}}
{{- printf "spiffe://%s/ns/%s/sa/%s" .trustDomain .namespace .serviceAccount }}
{{- end }}

{{/* This workload's SPIFFE id: its pod's ServiceAccount in the release namespace. */}}
{{- define "patient-common.tls.identity" -}}
{{- include "patient-common.spiffeId" (dict "trustDomain" .Values.tls.trustDomain "namespace" .Release.Namespace "serviceAccount" (include "patient-common.serviceAccountName" .)) }}
{{- end }}

{{/*
The peer's ServiceAccount: tls.peerServiceAccount, else the peer chart's default full name
in this release (<release>-<peer>, as the umbrella chart names it). A standalone chart
cannot see the peer's values; the umbrella checks that this matches the peer's real name.
Usage: include "patient-common.tls.peerServiceAccount" (dict "ctx" . "peer" "patient-rpc")
*/}}
{{- define "patient-common.tls.peerServiceAccount" -}}
{{- $ctx := .ctx }}
{{- if $ctx.Values.tls.peerServiceAccount }}
{{- tpl $ctx.Values.tls.peerServiceAccount $ctx }}
{{- else if contains .peer $ctx.Release.Name }}
{{- $ctx.Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" $ctx.Release.Name .peer | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The peer's SPIFFE id. Usage as patient-common.tls.peerServiceAccount. */}}
{{- define "patient-common.tls.peerIdentity" -}}
{{- include "patient-common.spiffeId" (dict "trustDomain" .ctx.Values.tls.trustDomain "namespace" .ctx.Release.Namespace "serviceAccount" (include "patient-common.tls.peerServiceAccount" .)) }}
{{- end }}

{{/*
The config file's tls section: config.tls as given, plus mode (see patient-common.tls.mode),
the three files of the mounted Secret in mtls mode, and the peer list (.peersKey:
serverIdentities or allowedClients) set to the peer's SPIFFE id when left empty.
Usage: include "patient-common.tls.config" (dict "ctx" . "peer" "patient-rpc" "peersKey" "serverIdentities")
*/}}
{{- define "patient-common.tls.config" -}}
{{- $ctx := .ctx }}
{{- $tls := deepCopy ($ctx.Values.config.tls | default dict) }}
{{- $mode := include "patient-common.tls.mode" $ctx }}
{{- $_ := set $tls "mode" $mode }}
{{- if eq $mode "mtls" }}
{{- $dir := include "patient-common.tls.dir" $ctx }}
{{- $_ = set $tls "certFile" (printf "%s/tls.crt" $dir) }}
{{- $_ = set $tls "keyFile" (printf "%s/tls.key" $dir) }}
{{- $_ = set $tls "caFile" (printf "%s/ca.crt" $dir) }}
{{- end }}
{{- if not (index $tls .peersKey) }}
{{- $_ = set $tls .peersKey (list (include "patient-common.tls.peerIdentity" .)) }}
{{- end }}
{{- toYaml $tls }}
{{- end }}

{{/*
The cert-manager Certificate of the workload, in mtls mode without tls.existingSecret.
dnsNames cover each Service name in .services (short, namespaced, .svc and the full
cluster domain); the URI SAN is what the peer checks.
Usage: include "patient-common.tls.certificate" (dict "ctx" . "services" (list "name" "name-headless"))
*/}}
{{- define "patient-common.tls.certificate" -}}
{{- $ctx := .ctx }}
{{- if include "patient-common.tls.certificateWanted" $ctx }}
{{- $tls := $ctx.Values.tls }}
{{- $ns := $ctx.Release.Namespace }}
# Workload certificate (X.509-SVID shape): short-lived, renewed by cert-manager into the
# Secret below, whose files the pods re-read; rotation needs no restart.
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ include "patient-common.fullname" $ctx }}
  labels:
    {{- include "patient-common.labels" $ctx | nindent 4 }}
spec:
  secretName: {{ include "patient-common.tls.secretName" $ctx }}
  secretTemplate:
    labels:
      {{- include "patient-common.selectorLabels" $ctx | nindent 6 }}
  duration: {{ $tls.duration }}
  renewBefore: {{ $tls.renewBefore }}
  privateKey:
    {{- toYaml $tls.privateKey | nindent 4 }}
  usages:
    - digital signature
    - server auth
    - client auth
  uris:
    - {{ include "patient-common.tls.identity" $ctx }}
  dnsNames:
    {{- range .services }}
    - {{ . }}
    - {{ . }}.{{ $ns }}
    - {{ . }}.{{ $ns }}.svc
    - {{ . }}.{{ $ns }}.svc.{{ $tls.clusterDomain }}
    {{- end }}
  issuerRef:
    {{- toYaml $tls.issuerRef | nindent 4 }}
  revisionHistoryLimit: 1
{{- end }}
{{- end }}

{{/*
The certificate volume and its mount (mtls mode). The whole volume is mounted, never with
subPath: a subPath mount is fixed when the container starts and would keep the first
certificate forever, while the volume's files are swapped in place on each renewal and the
service re-reads them every config.tls.refreshIntervalMs. Mode 0440 (288): readable by the
pod's fsGroup, which the non-root user is in, and by nobody else.
*/}}
{{- define "patient-common.tls.volumeMount" -}}
{{- if eq (include "patient-common.tls.mode" .) "mtls" }}
- name: tls
  mountPath: {{ include "patient-common.tls.dir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "patient-common.tls.volume" -}}
{{- if eq (include "patient-common.tls.mode" .) "mtls" }}
{{- $secret := include "patient-common.tls.secretName" . }}
- name: tls
  {{- with .Values.tls.trustBundle.configMap }}
  # Certificate and key from the Secret, the trust anchors from a bundle ConfigMap
  # (trust-manager Bundle target), so a CA rotation can overlap old and new roots.
  projected:
    defaultMode: 288
    sources:
      - secret:
          name: {{ $secret }}
          items:
            - { key: tls.crt, path: tls.crt }
            - { key: tls.key, path: tls.key }
      - configMap:
          name: {{ tpl . $ }}
          items:
            - key: {{ $.Values.tls.trustBundle.key }}
              path: ca.crt
  {{- else }}
  secret:
    secretName: {{ $secret }}
    defaultMode: 288
    items:
      - { key: tls.crt, path: tls.crt }
      - { key: tls.key, path: tls.key }
      - { key: ca.crt, path: ca.crt }
  {{- end }}
{{- end }}
{{- end }}

{{- define "patient-common.tls.validate" -}}
{{- $mode := include "patient-common.tls.mode" . }}
{{- if and (eq $mode "plaintext") (eq (toString ((.Values.config).service).environment) "production") }}
{{- fail "tls.mode plaintext is refused when config.service.environment is production (the service would not start): use tls.mode mtls, or mesh.provider istio|linkerd when a sidecar mesh provides mTLS" }}
{{- end }}
{{- if and (include "patient-common.tls.certificateWanted" .) (not .Values.tls.issuerRef.name) }}
{{- fail "tls.mode mtls needs a certificate: set tls.issuerRef.name (a cert-manager Issuer or ClusterIssuer) or tls.existingSecret (a Secret with tls.crt, tls.key and ca.crt)" }}
{{- end }}
{{- end }}

{{/*
One line for NOTES.txt: the mode, this pod's identity and the peers it accepts.
Usage as patient-common.tls.config.
*/}}
{{- define "patient-common.tls.notes" -}}
{{- $ctx := .ctx }}
{{- $mode := include "patient-common.tls.mode" $ctx }}
{{- $peers := index (include "patient-common.tls.config" . | fromYaml) .peersKey }}
{{- if eq $mode "mtls" -}}
mTLS as {{ include "patient-common.tls.identity" $ctx }} (Secret {{ include "patient-common.tls.secretName" $ctx }}{{ if include "patient-common.tls.certificateWanted" $ctx }}, from Certificate {{ include "patient-common.fullname" $ctx }} by {{ $ctx.Values.tls.issuerRef.kind }} {{ $ctx.Values.tls.issuerRef.name }}{{ end }}); {{ .peer }} must be {{ join ", " $peers }}.
{{- else if eq $mode "mesh" -}}
mTLS by the {{ $ctx.Values.mesh.provider | default "service" }} mesh (in-app TLS off).
{{- else -}}
PLAINTEXT (development only).
{{- end }}
{{- end }}
