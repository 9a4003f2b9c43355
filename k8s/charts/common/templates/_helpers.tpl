{{/*
Helpers shared by every meshsim service chart. A service chart's only
template is `{{ include "common.all" . }}`; everything it renders comes from
its values.yaml (layout: k8s/README.md, "Values").
*/}}

{{/* Refuse to render into a namespace other than the chart's own. */}}
{{- define "common.checkNamespace" -}}
{{- if ne .Release.Namespace .Values.namespace -}}
{{- fail (printf "chart %s belongs in namespace %q, not %q: install it with -n %s" .Values.name .Values.namespace .Release.Namespace .Values.namespace) -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "common.labels" -}}
app: {{ .Values.name }}
app.kubernetes.io/name: {{ .Values.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: meshsim
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* image reference: [registry/]repository:tag; the tag argument overrides. */}}
{{- define "common.image" -}}
{{- $img := .root.Values.image -}}
{{- $tag := .tag | default $img.tag | toString -}}
{{- if $img.registry -}}{{ $img.registry }}/{{- end -}}
{{ required "image.repository is required" $img.repository }}:{{ required "image.tag is required" $tag }}
{{- end -}}

{{/* The Service/container port name: Istio picks the protocol from it. */}}
{{- define "common.portName" -}}
{{- .Values.service.protocol -}}
{{- end -}}
