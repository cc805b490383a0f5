{{/*
Image tag: image.tag, else global.image.tag, else the chart's appVersion. Never "latest".
*/}}
{{- define "patient-common.tag" -}}
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
{{- define "patient-common.image" -}}
{{- $global := (.Values.global).image | default dict }}
{{- $registry := .Values.image.registry | default $global.registry }}
{{- $ref := printf "%s:%s" .Values.image.repository (include "patient-common.tag" .) }}
{{- if $registry }}{{ $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref }}{{ end }}
{{- if .Values.image.digest }}{{ $ref = printf "%s@%s" $ref .Values.image.digest }}{{ end }}
{{- $ref }}
{{- end }}
