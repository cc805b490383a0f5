{{/*
Name of the bundled PostgreSQL's objects (StatefulSet, Services, Secret): <release>-postgresql.
patient-rpc's default database.existingSecret is the same name.
*/}}
{{- define "patient-mesh.postgresql.fullname" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Secret of the bundled PostgreSQL's server certificate. patient-rpc's default
database.tls.caSecret ("<release>-postgresql-tls") is the same name.
*/}}
{{- define "patient-mesh.postgresql.tlsSecretName" -}}
{{- printf "%s-tls" (include "patient-mesh.postgresql.fullname" .) }}
{{- end }}

{{- define "patient-mesh.postgresql.secretName" -}}
{{- .Values.postgresql.auth.existingSecret | default (include "patient-mesh.postgresql.fullname" .) }}
{{- end }}

{{- define "patient-mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of the bundled PostgreSQL (patient-rpc's NetworkPolicy egress matches them).
*/}}
{{- define "patient-mesh.postgresql.selectorLabels" -}}
app.kubernetes.io/name: postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "patient-mesh.postgresql.labels" -}}
helm.sh/chart: {{ include "patient-mesh.chart" . }}
{{ include "patient-mesh.postgresql.podLabels" . }}
{{- end }}

{{/*
The bundled PostgreSQL's pod template labels: its labels without helm.sh/chart (a chart
upgrade alone must not restart the database). The StatefulSet's selector and its
volumeClaimTemplates keep the selector labels: both are immutable.
*/}}
{{- define "patient-mesh.postgresql.podLabels" -}}
{{ include "patient-mesh.postgresql.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.postgresql.image.tag | quote }}
app.kubernetes.io/component: database
app.kubernetes.io/part-of: patient-mesh
app.kubernetes.io/managed-by: {{ .Release.Service }}
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
{{- include "patient-mesh.validateDatabaseTls" . }}
{{- include "patient-mesh.validateTrust" . }}
{{- end }}

{{/*
patient-rpc's verify-full must have a CA to verify with, and a server that speaks TLS.
*/}}
{{- define "patient-mesh.validateDatabaseTls" -}}
{{- $rpc := index .Subcharts "patient-rpc" }}
{{- $mode := $rpc.Values.config.database.tls.mode }}
{{- $bundledCa := include "patient-mesh.postgresql.tlsSecretName" . }}
{{- $rpcCa := tpl ($rpc.Values.database.tls.caSecret | default "") $rpc }}
{{- if and .Values.postgresql.enabled (not .Values.postgresql.tls.enabled) (eq $mode "verify-full") }}
{{- fail "postgresql.tls.enabled=false: the bundled PostgreSQL serves no TLS, but patient-rpc.config.database.tls.mode is verify-full (production refuses anything else)" }}
{{- end }}
{{- if and (not .Values.postgresql.enabled) (eq $mode "verify-full") (eq $rpcCa $bundledCa) }}
{{- fail (printf "postgresql.enabled=false: set patient-rpc.database.tls.caSecret or caConfigMap to the CA of your database's certificate; it still points at the bundled %s" $bundledCa) }}
{{- end }}
{{- end }}

{{/*
The two services trust each other by SPIFFE id, each computed by its own chart from names
it cannot check: here both are known, so they must agree.
*/}}
{{- define "patient-mesh.validateTrust" -}}
{{- $api := index .Subcharts "patient-api" }}
{{- $rpc := index .Subcharts "patient-rpc" }}
{{- $apiAccount := include "patient-common.serviceAccountName" $api }}
{{- $rpcAccount := include "patient-common.serviceAccountName" $rpc }}
{{- $apiSeesRpc := include "patient-common.tls.peerServiceAccount" (dict "ctx" $api "peer" "patient-rpc") }}
{{- $rpcSeesApi := include "patient-common.tls.peerServiceAccount" (dict "ctx" $rpc "peer" "patient-api") }}
{{- if ne $apiSeesRpc $rpcAccount }}
{{- fail (printf "patient-api expects patient-rpc's ServiceAccount %q, but patient-rpc runs as %q: set patient-api.tls.peerServiceAccount=%s" $apiSeesRpc $rpcAccount $rpcAccount) }}
{{- end }}
{{- if ne $rpcSeesApi $apiAccount }}
{{- fail (printf "patient-rpc expects patient-api's ServiceAccount %q, but patient-api runs as %q: set patient-rpc.tls.peerServiceAccount=%s" $rpcSeesApi $apiAccount $apiAccount) }}
{{- end }}
{{- if ne $api.Values.tls.trustDomain $rpc.Values.tls.trustDomain }}
{{- fail (printf "patient-api.tls.trustDomain (%s) and patient-rpc.tls.trustDomain (%s) differ: the SPIFFE ids would never match" $api.Values.tls.trustDomain $rpc.Values.tls.trustDomain) }}
{{- end }}
{{- if ne $api.Values.mesh.provider $rpc.Values.mesh.provider }}
{{- fail (printf "patient-api.mesh.provider (%s) and patient-rpc.mesh.provider (%s) differ: set the same for both" $api.Values.mesh.provider $rpc.Values.mesh.provider) }}
{{- end }}
{{- $apiMode := include "patient-common.tls.mode" $api }}
{{- $rpcMode := include "patient-common.tls.mode" $rpc }}
{{- if ne $apiMode $rpcMode }}
{{- fail (printf "patient-api.tls.mode (%s) and patient-rpc.tls.mode (%s) differ: one side would speak TLS to the other's plaintext" $apiMode $rpcMode) }}
{{- end }}
{{- $apiKeys := include "patient-common.jwks.source" $api }}
{{- $rpcKeys := include "patient-common.jwks.source" $rpc }}
{{- if ne $apiKeys $rpcKeys }}
{{- fail (printf "patient-api verifies tokens with %s but patient-rpc with %s: both verify the same tokens, give them the same keys" $apiKeys $rpcKeys) }}
{{- end }}
{{- end }}
