{{/* Names ------------------------------------------------------------------------------------ */}}

{{- define "versus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "versus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Component names are cut so that "-worker" etc. always fits in 63 characters. */}}
{{- define "versus.api.fullname" -}}
{{- printf "%s-api" (include "versus.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{- define "versus.worker.fullname" -}}
{{- printf "%s-worker" (include "versus.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "versus.redis.fullname" -}}
{{- printf "%s-redis" (include "versus.fullname" . | trunc 48 | trimSuffix "-") -}}
{{- end -}}

{{- define "versus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels ----------------------------------------------------------------------------------- */}}

{{- define "versus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "versus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "versus.labels" -}}
helm.sh/chart: {{ include "versus.chart" . }}
{{ include "versus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: versus
{{- end -}}

{{/* Other names -------------------------------------------------------------------------------- */}}

{{- define "versus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "versus.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "versus.secretName" -}}
{{- default (include "versus.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "versus.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}

{{/* Where the ConfigMap (config.yaml and the templates) is mounted in the pods. */}}
{{- define "versus.configDir" -}}/etc/versus{{- end -}}

{{/* Where the private CA of redis.caCert is mounted, and the file config.redis.ca_cert names. */}}
{{- define "versus.redisCaDir" -}}/etc/versus-redis-ca{{- end -}}
{{- define "versus.redisCaPath" -}}{{ include "versus.redisCaDir" . }}/{{ .Values.redis.caCert.key }}{{- end -}}

{{/* The CA volume and its mount, for both pods (empty without redis.caCert). */}}
{{- define "versus.redisCaMount" -}}
{{- if .Values.redis.caCert.secretName }}
- name: redis-ca
  mountPath: {{ include "versus.redisCaDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
{{- define "versus.redisCaVolume" -}}
{{- if .Values.redis.caCert.secretName }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.caCert.secretName }}
    items:
      - key: {{ .Values.redis.caCert.key }}
        path: {{ .Values.redis.caCert.key }}
{{- end }}
{{- end -}}

{{/*
The configuration as rendered into config.yaml: .Values.config, with the Redis address replaced by
the bundled Redis when that is enabled.
*/}}
{{- define "versus.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if .Values.redis.caCert.secretName -}}
{{- $redis := deepCopy (default (dict) $cfg.redis) -}}
{{- $_ := set $redis "ca_cert" (include "versus.redisCaPath" .) -}}
{{- $_ := set $cfg "redis" $redis -}}
{{- end -}}
{{- if .Values.redis.bundled.enabled -}}
{{- $redis := deepCopy (default (dict) $cfg.redis) -}}
{{- $_ := set $redis "host" (include "versus.redis.fullname" .) -}}
{{- $_ := set $redis "port" 6379 -}}
{{- $_ := set $redis "tls" false -}}
{{- /* A single node: no replica could acknowledge a write. */ -}}
{{- $_ := set $redis "min_replicas_acked" 0 -}}
{{- $_ := set $cfg "redis" $redis -}}
{{- end -}}
{{- if and .Values.ingestAuth.enabled (not (hasKey $cfg "ingest_auth")) -}}
{{- $_ := set $cfg "ingest_auth" (dict "bearer_tokens" (list "${VERSUS_INGEST_TOKEN}")) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The worker's shutdown grace, as the program defaults it. */}}
{{- define "versus.workerGrace" -}}
{{- $w := default (dict) .Values.config.worker -}}
{{- if hasKey $w "shutdown_grace_seconds" -}}{{ $w.shutdown_grace_seconds | int }}{{- else -}}25{{- end -}}
{{- end -}}

{{- define "versus.apiPort" -}}
{{- default 3000 .Values.config.port | int -}}
{{- end -}}

{{- define "versus.workerPort" -}}
{{- $w := default (dict) .Values.config.worker -}}
{{- default 3001 $w.port | int -}}
{{- end -}}

{{/* The ingress host: ingress.host, or the host of config.public_host. */}}
{{- define "versus.ingressHost" -}}
{{- if .Values.ingress.host -}}
{{- .Values.ingress.host -}}
{{- else -}}
{{- regexReplaceAll "^https?://([^/:]+).*$" (default "" .Values.config.public_host) "${1}" -}}
{{- end -}}
{{- end -}}

{{/*
Checks that values.schema.json cannot express (they compare two values). Included by the ConfigMap,
which every install renders, so a bad combination fails `helm install` with this message.
*/}}
{{- define "versus.validate" -}}
{{- $refs := list
      (list "alert.slack.token" (dig "alert" "slack" "token" "" .Values.config) "SLACK_TOKEN" "secrets.slackToken")
      (list "alert.slack.signing_secret" (dig "alert" "slack" "signing_secret" "" .Values.config) "SLACK_SIGNING_SECRET" "secrets.slackSigningSecret")
      (list "oncall.ack_secret" (dig "oncall" "ack_secret" "" .Values.config) "VERSUS_ACK_SECRET" "secrets.ackSecret")
      (list "redis.password" (dig "redis" "password" "" .Values.config) "REDIS_PASSWORD" "secrets.redisPassword")
      (list "redis.sentinel.password" (dig "redis" "sentinel" "password" "" .Values.config) "REDIS_SENTINEL_PASSWORD" "secrets.redisSentinelPassword") -}}
{{- range $refs -}}
{{- $value := index . 1 | toString -}}
{{- if and $value (not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-)?\\}$" $value)) -}}
{{- fail (printf "config.%s must be a ${VAR} reference such as ${%s}, not the secret itself (the ConfigMap is not secret): put the value in %s or in existingSecret" (index . 0) (index . 2) (index . 3)) -}}
{{- end -}}
{{- end -}}
{{- $auth := default (dict) .Values.config.ingest_auth -}}
{{- $authSecrets := default (list) $auth.bearer_tokens -}}
{{- with $auth.basic_auth -}}{{- $authSecrets = append $authSecrets (default "" .password) -}}{{- end -}}
{{- range $authSecrets -}}
{{- if not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString .)) -}}
{{- fail "config.ingest_auth: each bearer token and the basic_auth password must be a ${VAR} reference such as ${VERSUS_INGEST_TOKEN}, not the secret itself (the ConfigMap is not secret): use ingestAuth.enabled with secrets.ingestToken, or extraEnv from a Secret" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingestAuth.enabled (not .Values.existingSecret) (not .Values.secrets.ingestToken) -}}
{{- fail "ingestAuth.enabled is true but no token is given: set secrets.ingestToken (or existingSecret with the key existingSecretKeys.ingestToken)" -}}
{{- end -}}
{{- if hasKey .Values.templates "config.yaml" -}}
{{- fail "templates.config.yaml: config.yaml is the configuration's own key in the ConfigMap; give the message template another name (e.g. slack_message.tmpl)" -}}
{{- end -}}
{{- $grace := include "versus.workerGrace" . | int -}}
{{- if le (int .Values.worker.terminationGracePeriodSeconds) $grace -}}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be larger than config.worker.shutdown_grace_seconds (%d): the worker needs that long to finish in-flight jobs after SIGTERM, plus time to exit" (int .Values.worker.terminationGracePeriodSeconds) $grace) -}}
{{- end -}}
{{- if and .Values.api.preStopSleepSeconds (ge (int .Values.api.preStopSleepSeconds) (int .Values.api.terminationGracePeriodSeconds)) -}}
{{- fail (printf "api.preStopSleepSeconds (%d) must be smaller than api.terminationGracePeriodSeconds (%d)" (int .Values.api.preStopSleepSeconds) (int .Values.api.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- range $component := list "api" "worker" -}}
{{- $v := index $.Values $component -}}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not be larger than %s.autoscaling.maxReplicas (%d)" $component (int $v.autoscaling.minReplicas) $component (int $v.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- $sentinel := dig "redis" "sentinel" "master_name" "" .Values.config -}}
{{- $cluster := dig "redis" "cluster" false .Values.config -}}
{{- if and .Values.redis.bundled.enabled (or $sentinel $cluster) -}}
{{- fail "redis.bundled.enabled runs a single Redis node: it cannot be used with config.redis.sentinel or config.redis.cluster; point those at your own Sentinels or cluster instead" -}}
{{- end -}}
{{- if and $sentinel $cluster -}}
{{- fail "config.redis.sentinel and config.redis.cluster cannot be used together: a Redis Cluster has no Sentinels" -}}
{{- end -}}
{{- if and $sentinel (not (dig "redis" "sentinel" "nodes" (list) .Values.config)) -}}
{{- fail "config.redis.sentinel.nodes is empty: list the Sentinels (host:port) that watch config.redis.sentinel.master_name" -}}
{{- end -}}
{{- if and .Values.redis.caCert.secretName (not (dig "redis" "tls" false .Values.config)) -}}
{{- fail "redis.caCert is set but config.redis.tls is false: set config.redis.tls to true" -}}
{{- end -}}
{{- if and (not .Values.redis.bundled.enabled) (not $sentinel) (not (dig "redis" "host" "" .Values.config)) -}}
{{- fail "config.redis.host is empty: set it to your Redis, or set redis.bundled.enabled=true" -}}
{{- end -}}
{{- if and .Values.redis.bundled.enabled (dig "redis" "replication_strict" false .Values.config) -}}
{{- fail "config.redis.replication_strict needs replicas, and the bundled Redis (redis.bundled.enabled) is a single node: every alert would be refused. Use a Redis with replicas, or leave replication_strict false" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (include "versus.ingressHost" .)) -}}
{{- fail "ingress.enabled is true but no host is known: set ingress.host, or config.public_host to https://HOST" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (regexMatch "^https?://" (default "" .Values.config.public_host))) -}}
{{- fail (printf "config.public_host (%q) must start with https:// (or http://): it is the base of the ack links that the ingress serves" (default "" .Values.config.public_host)) -}}
{{- end -}}
{{- end -}}

{{/* Environment of the API and worker containers. */}}
{{- define "versus.env" -}}
- name: RUST_LOG
  value: {{ .Values.logLevel | quote }}
{{- if eq (toString (dig "log_format" "" .Values.config)) "json" }}
- name: VERSUS_LOG_FORMAT
  value: json
{{- end }}
{{- if .Values.aws.region }}
- name: AWS_REGION
  value: {{ .Values.aws.region | quote }}
{{- end }}
- name: SLACK_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.slackToken }}
- name: SLACK_SIGNING_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.slackSigningSecret }}
- name: VERSUS_ACK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.ackSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.redisPassword }}
{{- if .Values.ingestAuth.enabled }}
- name: VERSUS_INGEST_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.ingestToken }}
{{- end }}
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "versus.secretName" . }}
      key: {{ .Values.existingSecretKeys.redisSentinelPassword }}
      optional: true
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when the configuration or the secret values change. */}}
{{- define "versus.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ dict "existingSecret" .Values.existingSecret "keys" .Values.existingSecretKeys "secrets" .Values.secrets "ingestAuth" .Values.ingestAuth | toJson | sha256sum }}
{{- end -}}
