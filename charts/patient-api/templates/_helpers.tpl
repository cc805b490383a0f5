{{/*
What is patient-api's own; the shared helpers (names, labels, image, drain, probes, TLS,
mesh, JWKS) and the objects both charts render alike (ConfigMap, dashboards, HPA, PDB,
PrometheusRule, ServiceAccount, ServiceMonitor: templates/<object>.yaml is one include) are
in the patient-common library chart.
*/}}

{{/*
The config file (ConfigMap config.yaml); config.tls.serverIdentities defaults to patient-rpc's SPIFFE id.
*/}}
{{- define "patient-api.config" -}}
{{- include "patient-common.config" (dict "ctx" . "peer" "patient-rpc" "peersKey" "serverIdentities") }}
{{- end }}

{{/*
Checks that cannot be written in values.schema.json. Included by the Deployment.
*/}}
{{- define "patient-api.validate" -}}
{{- include "patient-common.validate" . }}
{{- end }}
