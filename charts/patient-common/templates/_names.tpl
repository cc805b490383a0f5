{{/*
Names and labels. Every helper takes the calling chart's context (.), so .Chart is that
chart's: patient-api or patient-rpc.
*/}}

{{/*
Expand the name of the chart.
*/}}
{{- define "patient-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name when it already contains
the chart name. Truncated to 63 characters (DNS label).
*/}}
{{- define "patient-common.fullname" -}}
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

{{- define "patient-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels (Kubernetes' recommended app.kubernetes.io/* set and helm.sh/chart), on
every object. The component (gateway, server) is the chart's annotation
app.kubernetes.io/component in its Chart.yaml.
*/}}
{{- define "patient-common.labels" -}}
helm.sh/chart: {{ include "patient-common.chart" . }}
{{ include "patient-common.podLabels" . }}
{{- end }}

{{/*
Pod template labels: the common labels without helm.sh/chart, whose version would roll
every pod on a chart upgrade that changes nothing in them. `kubectl logs -l
app.kubernetes.io/part-of=patient-mesh` finds every pod by these. The Deployment selector
stays patient-common.selectorLabels: a selector is immutable once created.
*/}}
{{- define "patient-common.podLabels" -}}
{{ include "patient-common.selectorLabels" . }}
app.kubernetes.io/version: {{ include "patient-common.tag" . | trunc 63 | quote }}
app.kubernetes.io/component: {{ index .Chart.Annotations "app.kubernetes.io/component" | required "Chart.yaml: annotation app.kubernetes.io/component is missing" }}
app.kubernetes.io/part-of: patient-mesh
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (immutable: Deployment selector, Services, PDB, NetworkPolicy).
*/}}
{{- define "patient-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "patient-common.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "patient-common.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "patient-common.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
