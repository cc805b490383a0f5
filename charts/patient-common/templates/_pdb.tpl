{{/*
PodDisruptionBudget over the chart's pods (podDisruptionBudget.*).
Usage: include "patient-common.pdb" .
*/}}
{{- define "patient-common.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "patient-common.fullname" . }}
  labels:
    {{- include "patient-common.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "patient-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
