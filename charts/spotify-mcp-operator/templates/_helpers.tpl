{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "spotify-mcp-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: the release name when it already contains the chart name. */}}
{{- define "spotify-mcp-operator.fullname" -}}
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

{{- define "spotify-mcp-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the operator pods; never change them after install (Deployment selectors are immutable). */}}
{{- define "spotify-mcp-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spotify-mcp-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object: commonLabels plus the standard ones (which win on conflict). */}}
{{- define "spotify-mcp-operator.labels" -}}
{{- $std := dict
  "helm.sh/chart" (include "spotify-mcp-operator.chart" .)
  "app.kubernetes.io/name" (include "spotify-mcp-operator.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/version" (.Values.image.tag | default .Chart.AppVersion | trunc 63 | toString)
  "app.kubernetes.io/component" "operator"
  "app.kubernetes.io/part-of" "spotify-mcp"
  "app.kubernetes.io/managed-by" .Release.Service }}
{{- toYaml (merge $std (deepCopy (.Values.commonLabels | default dict))) }}
{{- end }}

{{/* The labels plus an object's own extra labels (standard ones win, so selectors keep matching). Call with (list $ $extra). */}}
{{- define "spotify-mcp-operator.labelsWith" -}}
{{- $labels := include "spotify-mcp-operator.labels" (index . 0) | fromYaml }}
{{- toYaml (merge $labels (deepCopy (index . 1 | default dict))) }}
{{- end }}

{{/* Annotations of an object: commonAnnotations overlaid by its own; empty when there are none. Call with (list $ $own). */}}
{{- define "spotify-mcp-operator.annotations" -}}
{{- $root := index . 0 }}
{{- $all := merge (deepCopy (index . 1 | default dict)) (deepCopy ($root.Values.commonAnnotations | default dict)) }}
{{- if $all }}
{{- toYaml $all }}
{{- end }}
{{- end }}

{{- define "spotify-mcp-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spotify-mcp-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "spotify-mcp-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Namespace of the watched objects and of the RBAC that lets the operator manage them. */}}
{{- define "spotify-mcp-operator.rbacNamespace" -}}
{{- .Values.watchNamespace | default .Release.Namespace }}
{{- end }}

{{/* Name of the leader Lease (in the release namespace). */}}
{{- define "spotify-mcp-operator.leaseName" -}}
{{- include "spotify-mcp-operator.fullname" . }}
{{- end }}

{{/* The server image the helm test pod runs (its healthcheck subcommand is an HTTP probe). */}}
{{- define "spotify-mcp-operator.testImage" -}}
{{- .Values.tests.image | default (printf "ghcr.io/spotify-mcp/spotify-mcp-server:%s" .Chart.AppVersion) }}
{{- end }}

{{/* Fails the render with a clear message when the configuration cannot work. */}}
{{- define "spotify-mcp-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount=%d needs leaderElection.enabled=true: without a Lease every replica would reconcile the same objects" (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
