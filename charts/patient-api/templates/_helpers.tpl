{{/*
What is patient-api's own; the shared helpers (names, labels, image, drain, probes, TLS,
mesh, JWKS) are in the patient-common library chart.
*/}}

{{/*
The config file (ConfigMap config.yaml).
*/}}
{{- define "patient-api.config" -}}
{{- include "patient-common.config" . }}
{{- end }}

{{/*
Checks that cannot be written in values.schema.json. Included by the Deployment.
*/}}
{{- define "patient-api.validate" -}}
{{- include "patient-common.validate" . }}
{{- include "patient-common.jwks.validate" . }}
{{- end }}
