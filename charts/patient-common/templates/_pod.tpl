{{/*
preStop hook for the container, per lifecycle.preStop.mode:
auto = native sleep on Kubernetes >= 1.30 (beta, on by default), exec /bin/sleep before.
*/}}
{{- define "patient-common.preStop" -}}
{{- $seconds := int .Values.lifecycle.preStopSeconds }}
{{- $mode := .Values.lifecycle.preStop.mode }}
{{- if eq $mode "auto" }}
{{- $mode = ternary "sleep" "exec" (semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version) }}
{{- end }}
{{- if and (gt $seconds 0) (ne $mode "none") }}
preStop:
  {{- if eq $mode "sleep" }}
  sleep:
    seconds: {{ $seconds }}
  {{- else }}
  exec:
    command: ["/bin/sleep", "{{ $seconds }}"]
  {{- end }}
{{- end }}
{{- end }}

{{/*
Probe timing fields from a probes.<kind> block.
*/}}
{{- define "patient-common.probeTiming" -}}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
successThreshold: {{ .successThreshold | default 1 }}
failureThreshold: {{ .failureThreshold }}
{{- end }}

{{/*
OTEL_RESOURCE_ATTRIBUTES: Kubernetes identity from the downward API (expanded by the
kubelet from the env vars above it), the version, then telemetry.resourceAttributes.
*/}}
{{- define "patient-common.resourceAttributes" -}}
{{- $attrs := list "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.node.name=$(NODE_NAME)" (printf "service.version=%s" (include "patient-common.tag" .)) }}
{{- range $k, $v := .Values.telemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k (toString $v)) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{/*
Is the Prometheus Operator API wanted? enabled: true | false | auto (when the cluster serves it).
Usage: include "patient-common.monitoringEnabled" (dict "enabled" .Values.serviceMonitor.enabled "ctx" .)
*/}}
{{- define "patient-common.monitoringEnabled" -}}
{{- $enabled := .enabled }}
{{- if eq (toString $enabled) "auto" }}
{{- $enabled = .ctx.Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
{{- end }}
{{- if $enabled }}true{{ end }}
{{- end }}

{{/*
Labels of a ServiceMonitor or PrometheusRule besides the common ones: global.monitoring.labels
(set once for every service, e.g. release: <kube-prometheus-stack release>, which a stock
Prometheus selects by) under the object's own labels, which win on the same key.
Usage: include "patient-common.monitoringLabels" (dict "labels" .Values.serviceMonitor.labels "ctx" .)
*/}}
{{- define "patient-common.monitoringLabels" -}}
{{- $global := ((.ctx.Values.global).monitoring).labels | default dict }}
{{- with merge (deepCopy (.labels | default dict)) (deepCopy $global) }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
The config file: .Values.config (strings rendered with tpl) plus the sections the chart
derives from other values: lifecycle (from .Values.lifecycle, all but the preStop mode,
which only shapes the pod) and tls (mode and files from .Values.tls and .Values.mesh, the
peer identities computed when the list is empty; see patient-common.tls.config), and
.overrides: keys a chart derives from its own values (deep-merged over config).
Usage: include "patient-common.config" (dict "ctx" . "peer" "patient-rpc" "peersKey" "serverIdentities" ["overrides" (dict ...)])
*/}}
{{- define "patient-common.config" -}}
{{- $ctx := .ctx }}
{{- $config := deepCopy $ctx.Values.config }}
{{- with .overrides }}
{{- $config = mergeOverwrite $config (deepCopy .) }}
{{- end }}
{{- $_ := set $config "lifecycle" (omit $ctx.Values.lifecycle "preStop") }}
{{- $_ = set $config "tls" (include "patient-common.tls.config" . | fromYaml) }}
{{- tpl (toYaml $config) $ctx }}
{{- end }}
