{{/*
common.hpa: the HorizontalPodAutoscaler of the stable Deployment (the canary
keeps its own replicaCount), on CPU utilisation of the pods' requests, as
meshsim's cluster model (sim/cluster) runs it.
*/}}
{{- define "common.hpa" -}}
{{- $v := .Values -}}
{{- $a := $v.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $v.name }}
  namespace: {{ $v.namespace }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $v.name }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ required "autoscaling.maxReplicas is required" $a.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
  {{- if hasKey $a "scaleDownStabilizationWindowSeconds" }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: {{ $a.scaleDownStabilizationWindowSeconds }}
  {{- end }}
{{- end -}}
