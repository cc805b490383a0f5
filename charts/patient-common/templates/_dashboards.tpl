{{/*
Grafana dashboards: one ConfigMap per files/dashboards/*.json of the calling chart (.Files is
the chart's own), labelled for the kube-prometheus-stack sidecar (dashboards.*).
Usage: include "patient-common.dashboards" .
*/}}
{{- define "patient-common.dashboards" -}}
{{- if .Values.dashboards.enabled }}
{{- range $path, $_ := .Files.Glob "files/dashboards/*.json" }}
{{- $name := regexReplaceAll "[^a-z0-9-]" (base $path | trimSuffix ".json" | lower) "-" }}
---
# Grafana dashboard, picked up by the kube-prometheus-stack sidecar through its label.
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "%s-dashboard-%s" (include "patient-common.fullname" $) $name | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "patient-common.labels" $ | nindent 4 }}
    {{ $.Values.dashboards.label }}: {{ $.Values.dashboards.labelValue | quote }}
  annotations:
    grafana_folder: {{ $.Values.dashboards.folder | quote }}
data:
  {{ base $path }}: |-
    {{- $.Files.Get $path | nindent 4 }}
{{- end }}
{{- end }}
{{- end }}
