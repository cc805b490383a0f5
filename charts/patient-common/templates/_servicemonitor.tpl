{{/*
ServiceMonitor scraping /metrics on the admin port (serviceMonitor.*), when
serviceMonitor.enabled (true, or auto: the cluster serves the Prometheus Operator API).
Usage: include "patient-common.serviceMonitor" .
*/}}
{{- define "patient-common.serviceMonitor" -}}
{{- if include "patient-common.monitoringEnabled" (dict "enabled" .Values.serviceMonitor.enabled "ctx" .) }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "patient-common.fullname" . }}
  labels:
    {{- include "patient-common.labels" . | nindent 4 }}
    {{- with include "patient-common.monitoringLabels" (dict "labels" .Values.serviceMonitor.labels "ctx" .) }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  jobLabel: app.kubernetes.io/name
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  selector:
    matchLabels:
      {{- include "patient-common.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: admin
      path: /metrics
      interval: {{ .Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
      relabelings:
        - sourceLabels: [__meta_kubernetes_pod_node_name]
          targetLabel: node
{{- end }}
{{- end }}
