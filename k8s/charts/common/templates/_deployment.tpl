{{/*
common.deployment: one Deployment. Called with a dict:
  root  - the chart's top-level context
  track - "stable" or "canary" (the pod label `version`, which the
          DestinationRule subsets select)
*/}}
{{- define "common.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $canary := eq .track "canary" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $v.name }}{{ if $canary }}-canary{{ end }}
  namespace: {{ $v.namespace }}
  labels:
    {{- include "common.labels" $root | nindent 4 }}
    version: {{ .track }}
spec:
  {{- if $canary }}
  replicas: {{ $v.canary.replicaCount }}
  {{- else if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  {{- if and $v.storage.enabled (eq $v.storage.type "persistentVolumeClaim") }}
  strategy:
    # One ReadWriteOnce volume: the old pod must let go before the new one mounts it.
    type: Recreate
  {{- else if eq ($v.strategy.type | default "RollingUpdate") "Recreate" }}
  strategy:
    type: Recreate
  {{- else }}
  strategy:
    type: RollingUpdate
    {{- with $v.strategy.rollingUpdate }}
    rollingUpdate:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- end }}
  selector:
    matchLabels:
      app: {{ $v.name }}
      version: {{ .track }}
  template:
    metadata:
      labels:
        app: {{ $v.name }}
        version: {{ .track }}
        app.kubernetes.io/name: {{ $v.name }}
        app.kubernetes.io/part-of: meshsim
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $v.name }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $v.name }}
          image: {{ include "common.image" (dict "root" $root "tag" (ternary $v.canary.image.tag "" $canary)) }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          {{- if $v.service.enabled }}
          ports:
            - name: {{ include "common.portName" $root }}
              containerPort: {{ $v.service.targetPort }}
              protocol: TCP
          {{- end }}
          env:
            {{- range $name, $value := $v.env }}
            - name: {{ $name }}
              value: {{ $value | toString | quote }}
            {{- end }}
          {{- with $v.probes.readiness }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.probes.liveness }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $v.storage.enabled }}
            - name: data
              mountPath: {{ $v.storage.mountPath }}
            {{- end }}
      volumes:
        # The root filesystem is read-only; these are the only writable paths.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if $v.storage.enabled }}
        - name: data
          {{- if eq $v.storage.type "persistentVolumeClaim" }}
          persistentVolumeClaim:
            claimName: {{ $v.name }}{{ if $canary }}-canary{{ end }}-data
          {{- else }}
          emptyDir:
            sizeLimit: {{ $v.storage.size }}
          {{- end }}
        {{- end }}
{{- end -}}
