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

{{/*
Labels of the CloudNativePG Cluster: the bundled one's, with the version of its image.
*/}}
{{- define "patient-mesh.cloudnativepg.labels" -}}
helm.sh/chart: {{ include "patient-mesh.chart" . }}
{{ include "patient-mesh.postgresql.selectorLabels" . }}
app.kubernetes.io/version: {{ regexReplaceAll "^.*:" (regexReplaceAll "@.*$" .Values.postgresql.cloudnativepg.imageName "") "" | trunc 63 | quote }}
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
Where the database comes from: bundled (the StatefulSet here), cloudnativepg (a CloudNativePG
Cluster here, run by the operator) or external (nothing here).
*/}}
{{- define "patient-mesh.postgresql.mode" -}}
{{- .Values.postgresql.mode | default "bundled" }}
{{- end }}

{{/*
The password of the bundled PostgreSQL, from values only: helm template, Argo CD, Flux and
dry runs have no cluster to read a generated one back from, so every render must give the
same one (the data directory keeps the password it was initialised with).
*/}}
{{- define "patient-mesh.postgresql.password" -}}
{{- $auth := .Values.postgresql.auth }}
{{- if and $auth.password $auth.existingSecret }}
{{- fail "set only one of postgresql.auth.password and postgresql.auth.existingSecret (charts/patient-mesh/values.yaml)" }}
{{- end }}
{{- if not (or $auth.password $auth.existingSecret) }}
{{- fail "postgresql.mode bundled needs the database password on every render (helm template, Argo CD and Flux cannot read a generated one back): set postgresql.auth.existingSecret to a Secret with keys password and url (e.g. from sealed-secrets or External Secrets), or postgresql.auth.password (e.g. --set-file postgresql.auth.password=./pg-password)" }}
{{- end }}
{{- $auth.password }}
{{- end }}

{{/*
Cross-chart checks: patient-rpc must point at a database that exists.
*/}}
{{- define "patient-mesh.validate" -}}
{{- $mode := include "patient-mesh.postgresql.mode" . }}
{{- $rpc := index .Values "patient-rpc" }}
{{- $rpcSecret := tpl (($rpc.database).existingSecret | default "") . }}
{{- $bundled := include "patient-mesh.postgresql.fullname" . }}
{{- if eq $mode "bundled" }}
{{- $_ := include "patient-mesh.postgresql.password" . }}
{{- if and .Values.postgresql.auth.existingSecret (eq $rpcSecret $bundled) }}
{{- fail (printf "postgresql.auth.existingSecret=%s: also set patient-rpc.database.existingSecret to the Secret holding the URL (the same Secret, with keys password and url)" .Values.postgresql.auth.existingSecret) }}
{{- end }}
{{- else if eq $mode "external" }}
{{- if eq $rpcSecret $bundled }}
{{- fail (printf "postgresql.mode=external: set patient-rpc.database.existingSecret to the Secret holding your database URL (key patient-rpc.database.key); it still points at the bundled %s" $bundled) }}
{{- end }}
{{- else if eq $mode "cloudnativepg" }}
{{- include "patient-mesh.validateCloudNativePG" . }}
{{- end }}
{{- include "patient-mesh.validateDatabaseTls" . }}
{{- include "patient-mesh.validateTrust" . }}
{{- end }}

{{/*
cloudnativepg: patient-rpc reads the operator's Secrets and reaches the Cluster's pods. A
subchart cannot see postgresql.mode, so its values must say so; this names any that do not.
*/}}
{{- define "patient-mesh.validateCloudNativePG" -}}
{{- $rpc := index .Subcharts "patient-rpc" }}
{{- $cluster := include "patient-mesh.postgresql.fullname" . }}
{{- $db := $rpc.Values.database }}
{{- $want := list
  (list "patient-rpc.database.existingSecret" (tpl ($db.existingSecret | default "") $rpc) (printf "%s-app" $cluster))
  (list "patient-rpc.database.key" $db.key "uri")
  (list "patient-rpc.database.tls.caSecret" (tpl ($db.tls.caSecret | default "") $rpc) (printf "%s-ca" $cluster))
  (list "patient-rpc.database.tls.caConfigMap" (tpl ($db.tls.caConfigMap | default "") $rpc) "")
  (list "patient-rpc.database.tls.caKey" $db.tls.caKey "ca.crt") }}
{{- $wrong := list }}
{{- range $want }}
{{- if ne (index . 1) (index . 2) }}
{{- $wrong = append $wrong (printf "%s=%s" (index . 0) ((index . 2) | quote)) }}
{{- end }}
{{- end }}
{{- if $wrong }}
{{- fail (printf "postgresql.mode=cloudnativepg: patient-rpc connects with the operator's app Secret (key uri) and CA Secret (key ca.crt) of Cluster %s: set %s (charts/patient-mesh/values-production.yaml sets them)" $cluster (join ", " $wrong)) }}
{{- end }}
{{- if $rpc.Values.networkPolicy.enabled }}
{{- $to := tpl (toYaml $rpc.Values.networkPolicy.egress.database.to) $rpc | fromYamlArray }}
{{- $reaches := false }}
{{- range $to }}
{{- if eq (dig "podSelector" "matchLabels" "cnpg.io/cluster" "" .) $cluster }}{{ $reaches = true }}{{ end }}
{{- end }}
{{- if not $reaches }}
{{- fail (printf "postgresql.mode=cloudnativepg: set patient-rpc.networkPolicy.egress.database.to to the Cluster's pods, [{podSelector: {matchLabels: {cnpg.io/cluster: %s}}}]; it allows %s" $cluster (toJson $to)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
patient-rpc's verify-full must have a CA to verify with, and a server that speaks TLS.
*/}}
{{- define "patient-mesh.validateDatabaseTls" -}}
{{- $rpc := index .Subcharts "patient-rpc" }}
{{- $mode := $rpc.Values.config.database.tls.mode }}
{{- $pgMode := include "patient-mesh.postgresql.mode" . }}
{{- $bundledCa := include "patient-mesh.postgresql.tlsSecretName" . }}
{{- $rpcCa := tpl ($rpc.Values.database.tls.caSecret | default "") $rpc }}
{{- if and (eq $pgMode "bundled") (not .Values.postgresql.tls.enabled) (eq $mode "verify-full") }}
{{- fail "postgresql.tls.enabled=false: the bundled PostgreSQL serves no TLS, but patient-rpc.config.database.tls.mode is verify-full (production refuses anything else)" }}
{{- end }}
{{- if and (eq $pgMode "external") (eq $mode "verify-full") (eq $rpcCa $bundledCa) }}
{{- fail (printf "postgresql.mode=external: set patient-rpc.database.tls.caSecret or caConfigMap to the CA of your database's certificate; it still points at the bundled %s" $bundledCa) }}
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
