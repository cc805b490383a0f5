{{/*
What is patient-rpc's own; the shared helpers (names, labels, image, drain, probes, TLS,
mesh, JWKS) are in the patient-common library chart.
*/}}

{{/*
The config file (ConfigMap config.yaml).
*/}}
{{- define "patient-rpc.config" -}}
{{- include "patient-common.config" . }}
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
{{- end }}
