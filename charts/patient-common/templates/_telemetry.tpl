{{/*
The OTLP endpoint traces go to (OTEL_EXPORTER_OTLP_ENDPOINT): telemetry.otlpEndpoint, else
global.telemetry.otlpEndpoint; empty = tracing off.
*/}}
{{- define "patient-common.telemetry.otlpEndpoint" -}}
{{- .Values.telemetry.otlpEndpoint | default ((.Values.global).telemetry).otlpEndpoint | default "" }}
{{- end }}

{{/*
The services export OTLP over HTTP only (http/protobuf, or http/json: services/runtime
startTelemetry ships no gRPC exporter). OTLP/HTTP sent to 4317, the collector's OTLP/gRPC
port, loses every span without an error anywhere a user looks, so the chart refuses it, in
the endpoint values and in extraEnv, and refuses asking for the gRPC protocol.
*/}}
{{- define "patient-common.telemetry.validate" -}}
{{- $grpcPort := "^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/]*:4317(/.*)?$" }}
{{- $why := "is OTLP/gRPC's port 4317, but patient-mesh services export OTLP over HTTP: use the collector's OTLP/HTTP port 4318" }}
{{- $endpoint := include "patient-common.telemetry.otlpEndpoint" . }}
{{- if regexMatch $grpcPort $endpoint }}
{{- $key := ternary "telemetry.otlpEndpoint" "global.telemetry.otlpEndpoint" (not (empty .Values.telemetry.otlpEndpoint)) }}
{{- fail (printf "%s %s %s, e.g. %s (the /v1/traces path is added)" $key $endpoint $why (regexReplaceAll ":4317" $endpoint ":4318")) }}
{{- end }}
{{- range .Values.extraEnv }}
{{- $value := .value | default "" | toString }}
{{- if and (has .name (list "OTEL_EXPORTER_OTLP_ENDPOINT" "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) (regexMatch $grpcPort $value) }}
{{- fail (printf "extraEnv %s=%s %s" .name $value $why) }}
{{- end }}
{{- if and (has .name (list "OTEL_EXPORTER_OTLP_PROTOCOL" "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")) (eq $value "grpc") }}
{{- fail (printf "extraEnv %s=grpc: patient-mesh services export OTLP over HTTP only (http/protobuf, the default, or http/json), to the collector's port 4318" .name) }}
{{- end }}
{{- end }}
{{- end }}
