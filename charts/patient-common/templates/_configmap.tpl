{{/*
The ConfigMap with the service's config file (config.yaml, read through CONFIG_FILE).
.config is the file as the chart derives it (its own "<chart>.config", which knows the peer
and the chart's own overrides); .ctx the chart's context.
Usage: include "patient-common.configMap" (dict "ctx" . "config" (include "patient-api.config" .))
*/}}
{{- define "patient-common.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "patient-common.fullname" .ctx }}
  labels:
    {{- include "patient-common.labels" .ctx | nindent 4 }}
data:
  config.yaml: |
    {{- .config | nindent 4 }}
{{- end }}
