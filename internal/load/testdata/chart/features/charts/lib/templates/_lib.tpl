{{- define "lib.hello" -}}
lib says {{ .Chart.Name }}
{{- end -}}
