{{/*
What is patient-rpc's own; the shared helpers (names, labels, image, drain, probes, TLS,
mesh, JWKS) are in the patient-common library chart.
*/}}

{{/*
The config file (ConfigMap config.yaml); config.tls.allowedClients defaults to patient-api's SPIFFE id.
*/}}
{{- define "patient-rpc.config" -}}
{{- include "patient-common.config" (dict "ctx" . "peer" "patient-api" "peersKey" "allowedClients") }}
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
