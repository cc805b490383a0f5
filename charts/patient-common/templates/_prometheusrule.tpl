{{/*
PrometheusRule with the groups of every files/rules/*.yaml of the calling chart (plain
Prometheus rule files), when prometheusRule.enabled (true, or auto: the cluster serves the
Prometheus Operator API) and the chart has any.
Usage: include "patient-common.prometheusRule" .
*/}}
{{- define "patient-common.prometheusRule" -}}
{{- if include "patient-common.monitoringEnabled" (dict "enabled" .Values.prometheusRule.enabled "ctx" .) }}
{{- $files := .Files.Glob "files/rules/*.yaml" }}
{{- if $files }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "patient-common.fullname" . }}
  labels:
    {{- include "patient-common.labels" . | nindent 4 }}
    {{- with include "patient-common.monitoringLabels" (dict "labels" .Values.prometheusRule.labels "ctx" .) }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  # Each files/rules/*.yaml is a plain Prometheus rule file (checked by promtool); its groups land here.
  groups:
    {{- range $path, $_ := $files }}
    {{- $doc := $.Files.Get $path | fromYaml }}
    {{- if hasKey $doc "Error" }}
    {{- fail (printf "%s: %s" $path $doc.Error) }}
    {{- end }}
    {{- toYaml $doc.groups | nindent 4 }}
    {{- end }}
{{- end }}
{{- end }}
{{- end }}
