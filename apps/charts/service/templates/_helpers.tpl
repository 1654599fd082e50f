{{/* Common metadata: every object carries the labels computed in CUE. */}}
{{- define "service.metadata" -}}
namespace: {{ .Values.namespace }}
labels:
  {{- toYaml .Values.labels | nindent 2 }}
{{- end -}}
