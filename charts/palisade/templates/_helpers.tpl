{{- define "palisade.labels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "palisade.selector" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "palisade.fullname" -}}
{{- if eq .Release.Name "palisade" -}}palisade{{- else -}}{{ .Release.Name }}-palisade{{- end -}}
{{- end -}}

{{- define "palisade.tlsSecret" -}}
{{- if .Values.certManager.enabled -}}{{ include "palisade.fullname" . }}-tls{{- else -}}{{ required "tls.existingSecret is required without cert-manager" .Values.tls.existingSecret }}{{- end -}}
{{- end -}}

{{- define "palisade.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}{{ if .Values.image.digest }}@{{ .Values.image.digest }}{{ end }}
{{- end -}}

{{- define "palisade.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
    {{- range (append .Values.webhook.excludeNamespaces .Release.Namespace | uniq) }}
    - {{ . }}
    {{- end }}
{{- end -}}

{{- define "palisade.clientTLS" -}}
{{- if not .Values.certManager.enabled }}
    caBundle: {{ required "tls.caBundle is required without cert-manager" .Values.tls.caBundle }}
{{- end }}
{{- end -}}
