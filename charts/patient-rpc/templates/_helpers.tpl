{{/*
What is patient-rpc's own; the shared helpers (names, labels, image, drain, probes, TLS,
mesh, JWKS) and the objects both charts render alike (ConfigMap, dashboards, HPA, PDB,
PrometheusRule, ServiceAccount, ServiceMonitor: templates/<object>.yaml is one include) are
in the patient-common library chart.
*/}}

{{/*
The config file (ConfigMap config.yaml); config.tls.allowedClients defaults to patient-api's
SPIFFE id, config.audit.checkpoints.signingKeyFile to the mounted signing key.
*/}}
{{- define "patient-rpc.config" -}}
{{- $overrides := dict }}
{{- with include "patient-rpc.auditKey.file" . }}
{{- $overrides = dict "audit" (dict "checkpoints" (dict "signingKeyFile" .)) }}
{{- end }}
{{- include "patient-common.config" (dict "ctx" . "peer" "patient-api" "peersKey" "allowedClients" "overrides" $overrides) }}
{{- end }}

{{/*
Checks that cannot be written in values.schema.json. Included by the Deployment.
*/}}
{{- define "patient-rpc.validate" -}}
{{- include "patient-common.validate" . }}
{{- if and (not .Values.database.existingSecret) (not .Values.config.database.pgliteDir) }}
{{- fail "set database.existingSecret (a Secret with the PostgreSQL URL) or, for a demo with one embedded store per pod, config.database.pgliteDir (e.g. memory://)" }}
{{- end }}
{{- if and .Values.database.existingSecret .Values.config.database.pgliteDir }}
{{- fail "set only one of database.existingSecret and config.database.pgliteDir" }}
{{- end }}
{{- $dbTls := .Values.database.tls }}
{{- if and (include "patient-rpc.databaseTls.wanted" .) (not (or $dbTls.caSecret $dbTls.caConfigMap)) }}
{{- fail "config.database.tls.caFile needs database.tls.caSecret or database.tls.caConfigMap holding the CA of PostgreSQL's certificate" }}
{{- end }}
{{- if and $dbTls.caSecret $dbTls.caConfigMap }}
{{- fail "set only one of database.tls.caSecret and database.tls.caConfigMap" }}
{{- end }}
{{- if and (eq ((.Values.config.service).environment | default "") "production") (not (include "patient-rpc.auditKey.file" .)) }}
{{- fail "production needs signed audit checkpoints: set audit.checkpoints.signingKeySecret (a Secret with the Ed25519 key; make one with scripts/audit-key.ts) or config.audit.checkpoints.signingKeyFile" }}
{{- end }}
{{- $vkey := .Values.audit.checkpoints.verifierKey }}
{{- $origin := ((.Values.config.audit).checkpoints).origin | default "" }}
{{- if and $vkey $origin (ne (first (splitList "+" $vkey)) $origin) }}
{{- fail (printf "audit.checkpoints.verifierKey is the key of %q, but config.audit.checkpoints.origin is %q: checkpoints would never verify with it (the key's name is the origin)" (first (splitList "+" $vkey)) $origin) }}
{{- end }}
{{- if eq .Values.probes.readiness.type "grpc" }}
{{- if eq (include "patient-common.tls.mode" .) "mtls" }}
{{- fail "probes.readiness.type grpc cannot work with tls.mode mtls: the kubelet's gRPC probe is plaintext and presents no client certificate; use type http (/readyz on the admin port)" }}
{{- end }}
{{- if eq .Values.mesh.provider "linkerd" }}
{{- fail "probes.readiness.type grpc cannot work with mesh.provider linkerd: the Server for the gRPC port admits only patient-api's identity, not the kubelet; use type http (/readyz on the admin port)" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The CA of PostgreSQL's server certificate, for config.database.tls.caFile (verify-full):
key database.tls.caKey of Secret database.tls.caSecret or ConfigMap database.tls.caConfigMap,
mounted as a directory (no subPath, so a renewed CA reaches the pod). From a cert-manager
Secret only that key is projected: the pod never sees the database's private key.
*/}}
{{- define "patient-rpc.databaseTls.wanted" -}}
{{- if and .Values.database.existingSecret .Values.config.database.tls.caFile }}true{{ end }}
{{- end }}

{{- define "patient-rpc.databaseTls.volumeMount" -}}
{{- if include "patient-rpc.databaseTls.wanted" . }}
- name: database-tls
  mountPath: {{ dir .Values.config.database.tls.caFile }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "patient-rpc.databaseTls.volume" -}}
{{- if include "patient-rpc.databaseTls.wanted" . }}
{{- $tls := .Values.database.tls }}
- name: database-tls
  {{- if $tls.caSecret }}
  secret:
    secretName: {{ tpl $tls.caSecret . }}
  {{- else }}
  configMap:
    name: {{ tpl $tls.caConfigMap . }}
  {{- end }}
    defaultMode: 292
    items:
      - key: {{ $tls.caKey }}
        path: {{ base .Values.config.database.tls.caFile }}
{{- end }}
{{- end }}

{{/*
The Ed25519 key that signs audit checkpoints: key audit.checkpoints.signingKeyKey of Secret
audit.checkpoints.signingKeySecret, mounted as a whole volume (no subPath) with mode 0440
(288), readable through the pod's fsGroup as the TLS Secret is. Only that key is projected.
config.audit.checkpoints.signingKeyFile points at it unless set; with no Secret and no file
the service runs without checkpoints (and logs a warning).
*/}}
{{- define "patient-rpc.auditKey.dir" -}}
/etc/patient-mesh/audit
{{- end }}

{{- define "patient-rpc.auditKey.file" -}}
{{- $file := ((.Values.config.audit).checkpoints).signingKeyFile }}
{{- if $file }}
{{- $file }}
{{- else if .Values.audit.checkpoints.signingKeySecret }}
{{- printf "%s/%s" (include "patient-rpc.auditKey.dir" .) .Values.audit.checkpoints.signingKeyKey }}
{{- end }}
{{- end }}

{{- define "patient-rpc.auditKey.volumeMount" -}}
{{- if .Values.audit.checkpoints.signingKeySecret }}
- name: audit-signing-key
  mountPath: {{ include "patient-rpc.auditKey.dir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "patient-rpc.auditKey.volume" -}}
{{- with .Values.audit.checkpoints }}
{{- if .signingKeySecret }}
- name: audit-signing-key
  secret:
    secretName: {{ tpl .signingKeySecret $ }}
    defaultMode: 288
    items:
      - key: {{ .signingKeyKey }}
        path: {{ .signingKeyKey }}
{{- end }}
{{- end }}
{{- end }}

{{/*
For NOTES.txt (this chart's and the umbrella's): where the key comes from and the
verifier key auditors check checkpoints with.
*/}}
{{- define "patient-rpc.auditKey.notes" -}}
{{- $cp := .Values.audit.checkpoints }}
{{- $origin := ((.Values.config.audit).checkpoints).origin }}
{{- if include "patient-rpc.auditKey.file" . -}}
signed{{ with $origin }} as {{ . }}{{ end }} with {{ if $cp.signingKeySecret }}key {{ $cp.signingKeyKey }} of Secret {{ tpl $cp.signingKeySecret . }} (the pods wait for it){{ else }}{{ include "patient-rpc.auditKey.file" . }}{{ end }}.
{{- if $cp.verifierKey }}
   Verifier key (public; give it to auditors):
     {{ $cp.verifierKey }}
   Keep copies of the signed checkpoint (admin port, GET /audit/checkpoint) and check the trail
   against them (one --checkpoints per saved copy):
     kubectl port-forward -n {{ .Release.Namespace }} svc/{{ include "patient-common.fullname" . }} 9091:{{ .Values.service.adminPort }}
     curl -s http://127.0.0.1:9091/audit/checkpoint > checkpoint.txt
     node scripts/audit-verify.ts --database-url "$PM_DATABASE__URL" --checkpoints checkpoint.txt --verifier-key '{{ $cp.verifierKey }}'
{{- else }}
   Set audit.checkpoints.verifierKey for auditors: `node scripts/audit-key.ts --out <key file>` prints it,
   and so does the pod log ("audit checkpoints signed", field verifierKey).
{{- end }}
{{- else -}}
WARNING: none signed (set audit.checkpoints.signingKeySecret): only the hash chain, which a database owner can rewrite.
{{- end }}
{{- end }}
