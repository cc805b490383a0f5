{{/*
The pod's ServiceAccount (serviceAccount.*), with no API token mounted.
Usage: include "patient-common.serviceAccount" .
*/}}
{{- define "patient-common.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "patient-common.serviceAccountName" . }}
  labels:
    {{- include "patient-common.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end }}
