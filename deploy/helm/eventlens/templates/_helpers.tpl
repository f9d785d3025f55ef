{{/* Names and labels, the usual way. */}}
{{- define "eventlens.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eventlens.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "eventlens.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eventlens.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eventlens.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "eventlens.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "eventlens.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eventlens.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eventlens.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Whether the store is PostgreSQL: "true" or "". */}}
{{- define "eventlens.postgres" -}}
{{- if or .Values.postgresql.url .Values.postgresql.existingSecret }}true{{ end }}
{{- end }}

{{/*
The render fails here, with a message saying what to change, on values eventlens cannot run with.
*/}}
{{- define "eventlens.validate" -}}
{{- if and .Values.postgresql.url .Values.postgresql.existingSecret }}
{{- fail "postgresql.url and postgresql.existingSecret are both set: set one (the Secret keeps the password out of the values)" }}
{{- end }}
{{- if and (gt (int .Values.replicas) 1) (not (include "eventlens.postgres" .)) }}
{{- fail (printf "replicas: %d needs PostgreSQL: on SQLite eventlens is one process writing one file. Set postgresql.url or postgresql.existingSecret, or replicas: 1" (int .Values.replicas)) }}
{{- end }}
{{- with .Values.oidc }}
{{- if and .issuer (not (and .clientId .redirectUrl .roleMap)) }}
{{- fail "oidc.issuer needs oidc.clientId, oidc.redirectUrl (https://<host>/auth/oidc/callback) and oidc.roleMap (e.g. admins=admin,devs=write,staff=read)" }}
{{- end }}
{{- end }}
{{- $names := dict }}
{{- range (include "eventlens.apiKeys" . | fromJsonArray) }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$" .name) }}
{{- fail (printf "API key name %q: want a DNS label (lower-case letters, digits and '-', at most 42), it names an init container and a Secret" .name) }}
{{- end }}
{{- if not (has .role (list "read" "write" "admin")) }}
{{- fail (printf "API key %q: role %q, want read, write or admin" .name .role) }}
{{- end }}
{{- if hasKey $names .name }}
{{- fail (printf "API key name %q appears twice (apiKeys.provision and serviceMonitor.apiKey.name share names)" .name) }}
{{- end }}
{{- $_ := set $names .name true }}
{{- end }}
{{- end }}

{{/*
The API keys the init containers provision, as a JSON list of {name, role, secret, generate}:
apiKeys.provision, and the read key of the ServiceMonitor when it is on. "secret" names the
Kubernetes Secret holding the key's id and secret; "generate" says whether the chart makes it.
*/}}
{{- define "eventlens.apiKeys" -}}
{{- $keys := list }}
{{- $fullname := include "eventlens.fullname" . }}
{{- range .Values.apiKeys.provision }}
{{- if not (kindIs "map" .) }}
{{- fail "apiKeys.provision: each entry is {name, role, existingSecret}" }}
{{- end }}
{{- $keys = append $keys (dict "name" (toString (default "" .name)) "role" (toString (default "" .role)) "secret" (default (printf "%s-key-%s" $fullname .name) .existingSecret) "generate" (not .existingSecret)) }}
{{- end }}
{{- with .Values.serviceMonitor }}
{{- if .enabled }}
{{- $keys = append $keys (dict "name" (toString .apiKey.name) "role" "read" "secret" (default (printf "%s-key-%s" $fullname .apiKey.name) .apiKey.existingSecret) "generate" (not .apiKey.existingSecret)) }}
{{- end }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/* EVENTLENS_DB for the server and the init containers: the SQLite file or the PostgreSQL URL. */}}
{{- define "eventlens.dbEnv" -}}
- name: EVENTLENS_DB
{{- if .Values.postgresql.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgresql.existingSecret }}
      key: {{ .Values.postgresql.existingSecretKey }}
{{- else if .Values.postgresql.url }}
  valueFrom:
    secretKeyRef:
      name: {{ include "eventlens.fullname" . }}-db
      key: EVENTLENS_DB
{{- else }}
  value: /data/eventlens.db
{{- end }}
{{- end }}

{{/* The single sign-on settings as EVENTLENS_OIDC_* variables; nothing when oidc.issuer is empty. */}}
{{- define "eventlens.oidcEnv" -}}
{{- with .Values.oidc }}
{{- if .issuer }}
- name: EVENTLENS_OIDC_ISSUER
  value: {{ .issuer | quote }}
- name: EVENTLENS_OIDC_CLIENT_ID
  value: {{ .clientId | quote }}
- name: EVENTLENS_OIDC_REDIRECT_URL
  value: {{ .redirectUrl | quote }}
{{- with .postLogoutUrl }}
- name: EVENTLENS_OIDC_POST_LOGOUT_URL
  value: {{ . | quote }}
{{- end }}
- name: EVENTLENS_OIDC_SCOPES
  value: {{ join "," .scopes | quote }}
- name: EVENTLENS_OIDC_ROLE_CLAIM
  value: {{ .roleClaim | quote }}
- name: EVENTLENS_OIDC_ROLE_MAP
  value: {{ .roleMap | quote }}
{{- with .clientSecret.existingSecret }}
- name: EVENTLENS_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.oidc.clientSecret.key }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The volumes every container mounts: the SQLite volume (when on SQLite) and /tmp. */}}
{{- define "eventlens.volumeMounts" -}}
{{- if not (include "eventlens.postgres" .) }}
- name: data
  mountPath: /data
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
The pod template of the StatefulSet (SQLite) and of the Deployment (PostgreSQL): one init
container per API key, then eventlens serve.
*/}}
{{- define "eventlens.podTemplate" -}}
metadata:
  labels:
    {{- include "eventlens.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- $annotations := deepCopy .Values.podAnnotations }}
  {{- with .Values.postgresql.url }}
  {{- /* The pods read the URL from the Secret at start: a new URL must restart them. */}}
  {{- $_ := set $annotations "checksum/db" (sha256sum . | trunc 16) }}
  {{- end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "eventlens.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- $keys := include "eventlens.apiKeys" . | fromJsonArray }}
  {{- if $keys }}
  initContainers:
    {{- range $keys }}
    - name: key-{{ .name }}
      image: {{ include "eventlens.image" $ }}
      imagePullPolicy: {{ $.Values.image.pullPolicy }}
      args: [keys, create, --role, {{ .role | quote }}, --name, {{ .name | quote }}, --secret-file, {{ printf "/etc/eventlens/keys/%s/secret" .name | quote }}]
      env:
        {{- include "eventlens.dbEnv" $ | nindent 8 }}
        - name: EVENTLENS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: {{ .secret }}
              key: id
        - name: EVENTLENS_LOG_FORMAT
          value: {{ $.Values.log.format | quote }}
      volumeMounts:
        {{- include "eventlens.volumeMounts" $ | trim | nindent 8 }}
        - name: key-{{ .name }}
          mountPath: /etc/eventlens/keys/{{ .name }}
          readOnly: true
      securityContext:
        {{- toYaml $.Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml $.Values.resources | nindent 8 }}
    {{- end }}
  {{- end }}
  containers:
    - name: eventlens
      image: {{ include "eventlens.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - serve
        - --addr=0.0.0.0:{{ .Values.ports.http }}
        {{- if gt (int .Values.ports.otlpGrpc) 0 }}
        - --otlp-grpc-addr=0.0.0.0:{{ .Values.ports.otlpGrpc }}
        {{- else }}
        - --otlp-grpc-addr=
        {{- end }}
        {{- if .Values.insecureNoAuth }}
        - --insecure-no-auth
        {{- end }}
        {{- with .Values.extraArgs }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      env:
        {{- include "eventlens.dbEnv" . | nindent 8 }}
        - name: EVENTLENS_LOG_LEVEL
          value: {{ .Values.log.level | quote }}
        - name: EVENTLENS_LOG_FORMAT
          value: {{ .Values.log.format | quote }}
        {{- include "eventlens.oidcEnv" . | nindent 8 }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.ports.http }}
          protocol: TCP
        {{- if gt (int .Values.ports.otlpGrpc) 0 }}
        - name: otlp-grpc
          containerPort: {{ .Values.ports.otlpGrpc }}
          protocol: TCP
        {{- end }}
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      volumeMounts:
        {{- include "eventlens.volumeMounts" . | trim | nindent 8 }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if and (not (include "eventlens.postgres" .)) (or .Values.persistence.existingClaim (not .Values.persistence.enabled)) }}
    - name: data
      {{- if .Values.persistence.existingClaim }}
      persistentVolumeClaim:
        claimName: {{ .Values.persistence.existingClaim }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- end }}
    {{- range $keys }}
    - name: key-{{ .name }}
      secret:
        secretName: {{ .secret }}
        items:
          - key: secret
            path: secret
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The ports of both Services. */}}
{{- define "eventlens.servicePorts" -}}
- name: http
  port: {{ .Values.service.httpPort }}
  targetPort: http
  protocol: TCP
  appProtocol: http
{{- if gt (int .Values.ports.otlpGrpc) 0 }}
- name: otlp-grpc
  port: {{ .Values.service.otlpGrpcPort }}
  targetPort: otlp-grpc
  protocol: TCP
  appProtocol: grpc
{{- end }}
{{- if gt (int .Values.service.otlpHttpPort) 0 }}
- name: otlp-http
  port: {{ .Values.service.otlpHttpPort }}
  targetPort: http
  protocol: TCP
  appProtocol: http
{{- end }}
{{- end }}
