{{/*
Name of the bundled PostgreSQL's objects (StatefulSet, Services, Secret): <release>-postgresql.
patient-rpc's default database.existingSecret is the same name.
*/}}
{{- define "patient-mesh.postgresql.fullname" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "patient-mesh.postgresql.secretName" -}}
{{- .Values.postgresql.auth.existingSecret | default (include "patient-mesh.postgresql.fullname" .) }}
{{- end }}

{{- define "patient-mesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/part-of: patient-mesh
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels of the bundled PostgreSQL (patient-rpc's NetworkPolicy egress matches them).
*/}}
{{- define "patient-mesh.postgresql.selectorLabels" -}}
app.kubernetes.io/name: postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "patient-mesh.postgresql.labels" -}}
{{ include "patient-mesh.labels" . }}
{{ include "patient-mesh.postgresql.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.postgresql.image.tag | quote }}
app.kubernetes.io/component: database
{{- end }}

{{- define "patient-mesh.postgresql.image" -}}
{{- $i := .Values.postgresql.image }}
{{- if eq (toString $i.tag) "latest" }}
{{- fail "postgresql.image.tag \"latest\" is not allowed: pin a version" }}
{{- end }}
{{- $ref := printf "%s:%s" $i.repository (toString $i.tag) }}
{{- if $i.registry }}{{ $ref = printf "%s/%s" (trimSuffix "/" $i.registry) $ref }}{{ end }}
{{- if $i.digest }}{{ $ref = printf "%s@%s" $ref $i.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/*
Cross-chart checks: patient-rpc must point at a database that exists.
*/}}
{{- define "patient-mesh.validate" -}}
{{- $rpc := index .Values "patient-rpc" }}
{{- $rpcSecret := tpl (($rpc.database).existingSecret | default "") . }}
{{- $bundled := include "patient-mesh.postgresql.fullname" . }}
{{- if and (not .Values.postgresql.enabled) (eq $rpcSecret $bundled) }}
{{- fail (printf "postgresql.enabled=false: set patient-rpc.database.existingSecret to the Secret holding your database URL (key patient-rpc.database.key); it still points at the bundled %s" $bundled) }}
{{- end }}
{{- if and .Values.postgresql.enabled .Values.postgresql.auth.existingSecret (eq $rpcSecret $bundled) }}
{{- fail (printf "postgresql.auth.existingSecret=%s: also set patient-rpc.database.existingSecret to the Secret holding the URL (the same Secret, with keys password and url)" .Values.postgresql.auth.existingSecret) }}
{{- end }}
{{- end }}
