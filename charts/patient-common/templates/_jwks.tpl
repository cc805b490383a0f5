{{/*
The JWKS (public keys that verify end-user bearer tokens). Both services verify the same
tokens: patient-api at the edge, patient-rpc again on every call. The file named by
config.auth.jwksFile is the key auth.jwksKey of Secret auth.jwksSecret (or ConfigMap
auth.jwksConfigMap), mounted as a whole directory: a subPath mount would never see an
updated key set, while this one does and config.auth.jwksRefreshSeconds re-reads it.
*/}}
{{- define "patient-common.jwks.volumeMount" -}}
{{- with .Values.config.auth.jwksFile }}
- name: jwks
  mountPath: {{ dir . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "patient-common.jwks.volume" -}}
{{- with .Values.config.auth.jwksFile }}
- name: jwks
  {{- if $.Values.auth.jwksSecret }}
  secret:
    secretName: {{ tpl $.Values.auth.jwksSecret $ }}
  {{- else }}
  configMap:
    name: {{ tpl $.Values.auth.jwksConfigMap $ }}
  {{- end }}
    items:
      - key: {{ $.Values.auth.jwksKey }}
        path: {{ base . }}
{{- end }}
{{- end }}

{{/*
Where the keys come from, in words (NOTES, and the umbrella's check that both services
verify with the same keys).
*/}}
{{- define "patient-common.jwks.source" -}}
{{- if .Values.config.auth.jwksUrl }}URL {{ .Values.config.auth.jwksUrl }}
{{- else if .Values.auth.jwksSecret }}Secret {{ tpl .Values.auth.jwksSecret . }} (key {{ .Values.auth.jwksKey }})
{{- else }}ConfigMap {{ tpl .Values.auth.jwksConfigMap . }} (key {{ .Values.auth.jwksKey }})
{{- end }}
{{- end }}

{{- define "patient-common.jwks.validate" -}}
{{- $auth := .Values.config.auth }}
{{- if eq (empty $auth.jwksFile) (empty $auth.jwksUrl) }}
{{- fail "set exactly one of config.auth.jwksFile and config.auth.jwksUrl" }}
{{- end }}
{{- if and $auth.jwksFile (not (or .Values.auth.jwksSecret .Values.auth.jwksConfigMap)) }}
{{- fail "config.auth.jwksFile needs auth.jwksSecret or auth.jwksConfigMap holding the JWKS" }}
{{- end }}
{{- if and .Values.auth.jwksSecret .Values.auth.jwksConfigMap }}
{{- fail "set only one of auth.jwksSecret and auth.jwksConfigMap" }}
{{- end }}
{{- end }}
