{{/* The soak's name: app.kubernetes.io/instance. */}}
{{- define "leaksoak.instance" -}}
{{- .Values.instance | default .Release.Name -}}
{{- end }}

{{/* The labels every object of the soak carries (the kustomize base's, managed by Helm). */}}
{{- define "leaksoak.labels" -}}
app.kubernetes.io/name: leaksoak
app.kubernetes.io/instance: {{ include "leaksoak.instance" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: soak
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: leaksoak
{{- end }}

{{/* The shared monitoring objects': no instance, they are every soak's. */}}
{{- define "leaksoak.monitoringLabels" -}}
app.kubernetes.io/name: leaksoak
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: monitoring
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: leaksoak
{{- end }}

{{/* What selectors hold: name and instance, nothing that could change. */}}
{{- define "leaksoak.selector" -}}
app.kubernetes.io/name: leaksoak
app.kubernetes.io/instance: {{ include "leaksoak.instance" . }}
{{- end }}

{{- define "leaksoak.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.registry }}{{ .Values.image.registry }}/{{ end }}{{ .Values.image.repository }}:{{ $tag }}
{{- end }}

{{- define "leaksoak.apiKeySecret" -}}
{{- .Values.apiKey.secretName | default (printf "leaksoak-api-key-%s" (include "leaksoak.instance" .)) -}}
{{- end }}

{{- define "leaksoak.config" -}}
{{- .Values.config | default (.Files.Get (printf "files/%s.toml" .Values.mode)) -}}
{{- end }}

{{/* The leaksoak container; `port` names its port (a sidecar's is shared by the whole pod). */}}
{{- define "leaksoak.container" -}}
- name: leaksoak
  image: {{ include "leaksoak.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: ["run", "--config", "/etc/leaksoak/leaksoak.toml", "--record", "/var/lib/leaksoak/record.jsonl"]
  env:
    - name: LEAKSOAK__TELEMETRY__LOG_FORMAT
      value: json
  ports:
    - name: {{ .port }}
      containerPort: 9477
      protocol: TCP
  {{- if not .sidecar }}
  startupProbe:
    httpGet: {path: /healthz, port: {{ .port }}}
    periodSeconds: 2
    timeoutSeconds: 3
    failureThreshold: 30
  livenessProbe:
    httpGet: {path: /healthz, port: {{ .port }}}
    periodSeconds: 10
    timeoutSeconds: 3
    failureThreshold: 3
  readinessProbe:
    httpGet: {path: /readyz, port: {{ .port }}}
    periodSeconds: 5
    timeoutSeconds: 3
    failureThreshold: 3
  {{- end }}
  resources:
    {{- toYaml (ternary .root.Values.sidecar.resources .root.Values.resources .sidecar) | nindent 4 }}
  securityContext:
    runAsUser: {{ ternary .root.Values.sidecar.runAsUser 65532 .sidecar }}
    runAsGroup: {{ ternary .root.Values.sidecar.runAsUser 65532 .sidecar }}
    runAsNonRoot: true
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: {{ .volumes }}config
      mountPath: /etc/leaksoak
      readOnly: true
    - name: {{ .volumes }}api-key
      mountPath: /var/run/secrets/leaksoak
      readOnly: true
    - name: {{ .volumes }}tmp
      mountPath: /tmp
    - name: {{ .volumes }}record
      mountPath: /var/lib/leaksoak
{{- end }}

{{/* The container's volumes; `volumes` prefixes their names (the sidecar's: leaksoak-). */}}
{{- define "leaksoak.volumes" -}}
- name: {{ .volumes }}config
  configMap:
    name: leaksoak-config-{{ include "leaksoak.instance" .root }}
- name: {{ .volumes }}api-key
  secret:
    secretName: {{ include "leaksoak.apiKeySecret" .root }}
    optional: true
    items:
      - key: api-key
        path: api-key
- name: {{ .volumes }}tmp
  emptyDir:
    sizeLimit: 16Mi
- name: {{ .volumes }}record
  {{- if and .root.Values.persistence.enabled (not .sidecar) }}
  persistentVolumeClaim:
    claimName: leaksoak-record-{{ include "leaksoak.instance" .root }}
  {{- else }}
  emptyDir:
    sizeLimit: 1Gi
  {{- end }}
{{- end }}
