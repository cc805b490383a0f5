{{/*
Checks shared by both service charts that cannot be written in values.schema.json.
Each chart's own "<chart>.validate" includes this and adds its own.
*/}}
{{- define "patient-common.validate" -}}
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
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- include "patient-common.jwks.validate" . }}
{{- include "patient-common.tls.validate" . }}
{{- include "patient-common.mesh.validate" . }}
{{- include "patient-common.telemetry.validate" . }}
{{- end }}
