{{/*
Expand the name of the chart.
*/}}
{{- define "patient-rpc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name when it already contains
the chart name. Truncated to 63 characters (DNS label).
*/}}
{{- define "patient-rpc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "patient-rpc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "patient-rpc.labels" -}}
helm.sh/chart: {{ include "patient-rpc.chart" . }}
{{ include "patient-rpc.selectorLabels" . }}
app.kubernetes.io/version: {{ include "patient-rpc.tag" . | trunc 63 | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: patient-mesh
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (immutable: Deployment selector, Services, PDB, NetworkPolicy).
*/}}
{{- define "patient-rpc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "patient-rpc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "patient-rpc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "patient-rpc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image tag: image.tag, else global.image.tag, else the chart's appVersion. Never "latest".
*/}}
{{- define "patient-rpc.tag" -}}
{{- $global := (.Values.global).image | default dict }}
{{- $tag := .Values.image.tag | default $global.tag | default .Chart.AppVersion | toString }}
{{- if eq $tag "latest" }}
{{- fail "image tag \"latest\" is not allowed: pin a version (image.tag or global.image.tag)" }}
{{- end }}
{{- $tag }}
{{- end }}

{{/*
Image reference: [registry/]repository:tag[@digest].
*/}}
{{- define "patient-rpc.image" -}}
{{- $global := (.Values.global).image | default dict }}
{{- $registry := .Values.image.registry | default $global.registry }}
{{- $ref := printf "%s:%s" .Values.image.repository (include "patient-rpc.tag" .) }}
{{- if $registry }}{{ $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref }}{{ end }}
{{- if .Values.image.digest }}{{ $ref = printf "%s@%s" $ref .Values.image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/*
The config file: .Values.config (strings rendered with tpl) plus the lifecycle section
taken from .Values.lifecycle (all but the preStop mode, which only shapes the pod).
*/}}
{{- define "patient-rpc.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "lifecycle" (omit .Values.lifecycle "preStop") }}
{{- tpl (toYaml $config) . }}
{{- end }}

{{/*
preStop hook for the container, per lifecycle.preStop.mode:
auto = native sleep on Kubernetes >= 1.30 (beta, on by default), exec /bin/sleep before.
*/}}
{{- define "patient-rpc.preStop" -}}
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
Is the Prometheus Operator API wanted? enabled: true | false | auto (when the cluster serves it).
Usage: include "patient-rpc.monitoringEnabled" (dict "enabled" .Values.serviceMonitor.enabled "ctx" .)
*/}}
{{- define "patient-rpc.monitoringEnabled" -}}
{{- $enabled := .enabled }}
{{- if eq (toString $enabled) "auto" }}
{{- $enabled = .ctx.Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
{{- end }}
{{- if $enabled }}true{{ end }}
{{- end }}

{{/*
Checks that cannot be written in values.schema.json. Included by the Deployment.
*/}}
{{- define "patient-rpc.validate" -}}
{{- $heap := .Values.heap }}
{{- $limit := ((.Values.resources).limits).memory | default "" | toString }}
{{- $limitMi := 0 }}
{{- if regexMatch "^[0-9]+Gi$" $limit }}{{ $limitMi = mul (trimSuffix "Gi" $limit | int) 1024 }}{{ end }}
{{- if regexMatch "^[0-9]+Mi$" $limit }}{{ $limitMi = trimSuffix "Mi" $limit | int }}{{ end }}
{{- $needMi := add (int $heap.maxOldSpaceMb) (mul 2 (int $heap.maxSemiSpaceMb)) 100 }}
{{- if and (gt (int $limitMi) 0) (gt (int $needMi) (int $limitMi)) }}
{{- fail (printf "heap.maxOldSpaceMb (%d) + 2 x heap.maxSemiSpaceMb (%d) + ~100 MB of process baseline = %d MiB exceeds resources.limits.memory (%s): the container would be OOM-killed before the heap limit is reached" (int $heap.maxOldSpaceMb) (int $heap.maxSemiSpaceMb) (int $needMi) $limit) }}
{{- end }}
{{- $l := .Values.lifecycle }}
{{- if ge (add (int $l.shutdownTimeoutSeconds) (int $l.preStopSeconds)) (int $l.terminationGracePeriodSeconds) }}
{{- fail (printf "lifecycle.shutdownTimeoutSeconds (%d) + lifecycle.preStopSeconds (%d) must be less than lifecycle.terminationGracePeriodSeconds (%d): the kubelet would kill the pod mid-drain" (int $l.shutdownTimeoutSeconds) (int $l.preStopSeconds) (int $l.terminationGracePeriodSeconds)) }}
{{- end }}
{{- if and (not .Values.database.existingSecret) (not .Values.config.database.pgliteDir) }}
{{- fail "set database.existingSecret (a Secret with the PostgreSQL URL) or, for a demo with one embedded store per pod, config.database.pgliteDir (e.g. memory://)" }}
{{- end }}
{{- if and .Values.database.existingSecret .Values.config.database.pgliteDir }}
{{- fail "set only one of database.existingSecret and config.database.pgliteDir" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/*
Probe timing fields from a probes.<kind> block.
*/}}
{{- define "patient-rpc.probeTiming" -}}
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
{{- define "patient-rpc.resourceAttributes" -}}
{{- $attrs := list "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.node.name=$(NODE_NAME)" (printf "service.version=%s" (include "patient-rpc.tag" .)) }}
{{- range $k, $v := .Values.telemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k (toString $v)) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}
