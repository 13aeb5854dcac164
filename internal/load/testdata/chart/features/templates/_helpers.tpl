{{- define "features.name" -}}
{{ .Chart.Name }}-{{ .Release.Name | trunc 20 }}
{{- end -}}
{{- define "features.labels" -}}
app: {{ include "features.name" . }}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}
{{- define "features.count" -}}
{{- if gt (int .) 0 -}}{{ . }} {{ include "features.count" (sub (int .) 1) }}{{- end -}}
{{- end -}}
