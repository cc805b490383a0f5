{{/*
Sidecar service mesh (mesh.provider istio | linkerd): the mesh's proxy provides mTLS and the
service speaks plaintext to it (config.tls.mode: mesh, no Certificate).

The drain stays correct because the proxy runs as a native sidecar (an init container with
restartPolicy Always, Kubernetes >= 1.29): it starts before the app container and is stopped
only after the app container has exited, so the preStop sleep and the in-app drain run with
the proxy still forwarding. Istio: holdApplicationUntilProxyStarts keeps the app from
starting before Envoy is ready, and terminationDrainDuration (mesh.istio.terminationDrainSeconds)
bounds Envoy's own drain after the app exits, which must fit in the grace period too.
Linkerd: proxy-await holds the app until the proxy is ready; on SIGTERM (after the app
has exited) the proxy refuses new connections and lets open ones finish.
*/}}

{{- define "patient-common.mesh.podLabels" -}}
{{- if eq .Values.mesh.provider "istio" }}
sidecar.istio.io/inject: "true"
{{- end }}
{{- end }}

{{- define "patient-common.mesh.podAnnotations" -}}
{{- if eq .Values.mesh.provider "istio" }}
sidecar.istio.io/nativeSidecar: "true"
proxy.istio.io/config: |
  holdApplicationUntilProxyStarts: true
  terminationDrainDuration: {{ .Values.mesh.istio.terminationDrainSeconds }}s
{{- else if eq .Values.mesh.provider "linkerd" }}
linkerd.io/inject: enabled
config.alpha.linkerd.io/proxy-enable-native-sidecar: "true"
config.beta.linkerd.io/proxy-enable-native-sidecar: "true"
config.linkerd.io/proxy-await: enabled
{{- end }}
{{- end }}

{{/*
NetworkPolicy egress rule to the mesh's control plane (certificates and configuration for
the proxy), when a mesh is on. networkPolicy.egress.mesh.<provider> holds its ports and peers.
*/}}
{{- define "patient-common.mesh.egressRule" -}}
{{- $provider := .Values.mesh.provider }}
{{- if ne $provider "none" }}
{{- $rule := index .Values.networkPolicy.egress.mesh $provider }}
- ports:
    {{- range $rule.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $rule.to }}
  to:
    {{- tpl (toYaml .) $ | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "patient-common.mesh.validate" -}}
{{- $provider := .Values.mesh.provider }}
{{- if ne $provider "none" }}
{{- if not (semverCompare ">=1.29-0" .Capabilities.KubeVersion.Version) }}
{{- fail (printf "mesh.provider %s needs Kubernetes >= 1.29 (native sidecars; this is %s): without them the proxy may stop before the app has drained" $provider .Capabilities.KubeVersion.Version) }}
{{- end }}
{{- end }}
{{- if eq $provider "istio" }}
{{- $l := .Values.lifecycle }}
{{- $drain := int .Values.mesh.istio.terminationDrainSeconds }}
{{- if ge (add (int $l.shutdownTimeoutSeconds) (int $l.preStopSeconds) $drain) (int $l.terminationGracePeriodSeconds) }}
{{- fail (printf "lifecycle.shutdownTimeoutSeconds (%d) + lifecycle.preStopSeconds (%d) + mesh.istio.terminationDrainSeconds (%d) must be less than lifecycle.terminationGracePeriodSeconds (%d): Envoy drains after the app has exited, within the same grace period" (int $l.shutdownTimeoutSeconds) (int $l.preStopSeconds) $drain (int $l.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}
{{- end }}
