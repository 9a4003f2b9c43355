{{/*
common.all: everything a service chart installs, in apply order.
*/}}
{{- define "common.all" -}}
{{- include "common.checkNamespace" . -}}
{{- $v := .Values }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $v.name }}
  namespace: {{ $v.namespace }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- if and $v.storage.enabled (eq $v.storage.type "persistentVolumeClaim") }}
{{- $tracks := list "" }}
{{- if $v.canary.enabled }}{{ $tracks = append $tracks "-canary" }}{{ end }}
{{- range $tracks }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ $v.name }}{{ . }}-data
  namespace: {{ $v.namespace }}
  labels:
    {{- include "common.labels" $ | nindent 4 }}
spec:
  accessModes:
    - ReadWriteOnce
  {{- with $v.storage.storageClassName }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ $v.storage.size }}
{{- end }}
{{- end }}
{{- if $v.service.enabled }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $v.name }}
  namespace: {{ $v.namespace }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  type: {{ $v.service.type }}
  # Selects stable and canary pods alike; the DestinationRule's subsets
  # (pod label `version`) tell them apart.
  selector:
    app: {{ $v.name }}
  ports:
    - name: {{ include "common.portName" . }}
      appProtocol: {{ $v.service.protocol }}
      port: {{ $v.service.port }}
      targetPort: {{ $v.service.targetPort }}
      protocol: TCP
{{- end }}
---
{{ include "common.deployment" (dict "root" . "track" "stable") }}
{{- if $v.canary.enabled }}
---
{{ include "common.deployment" (dict "root" . "track" "canary") }}
{{- end }}
{{- if $v.autoscaling.enabled }}
---
{{ include "common.hpa" . }}
{{- end }}
{{- end -}}
