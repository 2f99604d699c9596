{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "spotify-mcp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: the release name when it already contains the chart name. */}}
{{- define "spotify-mcp.fullname" -}}
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

{{- define "spotify-mcp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the server pods; never change them after install (Deployment selectors are immutable). */}}
{{- define "spotify-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spotify-mcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object: commonLabels plus the standard ones (which win on conflict). */}}
{{- define "spotify-mcp.labels" -}}
{{- $std := dict
  "helm.sh/chart" (include "spotify-mcp.chart" .)
  "app.kubernetes.io/name" (include "spotify-mcp.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/version" (.Values.image.tag | default .Chart.AppVersion | trunc 63 | toString)
  "app.kubernetes.io/component" "server"
  "app.kubernetes.io/part-of" "spotify-mcp"
  "app.kubernetes.io/managed-by" .Release.Service }}
{{- toYaml (merge $std (deepCopy (.Values.commonLabels | default dict))) }}
{{- end }}

{{/* The labels plus an object's own extra labels (standard ones win, so selectors keep matching). Call with (list $ $extra). */}}
{{- define "spotify-mcp.labelsWith" -}}
{{- $labels := include "spotify-mcp.labels" (index . 0) | fromYaml }}
{{- toYaml (merge $labels (deepCopy (index . 1 | default dict))) }}
{{- end }}

{{/* Annotations of an object: commonAnnotations overlaid by its own; empty when there are none. Call with (list $ $own). */}}
{{- define "spotify-mcp.annotations" -}}
{{- $root := index . 0 }}
{{- $all := merge (deepCopy (index . 1 | default dict)) (deepCopy ($root.Values.commonAnnotations | default dict)) }}
{{- if $all }}
{{- toYaml $all }}
{{- end }}
{{- end }}

{{- define "spotify-mcp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spotify-mcp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "spotify-mcp.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Host header values the server accepts (SPOTIFY_MCP_ALLOWED_HOSTS): every DNS name of the Service,
with and without the Service port, plus the container port when it differs (probes, port-forward),
plus server.extraAllowedHosts, the Ingress host and the HTTPRoute host names (when enabled).
*/}}
{{- define "spotify-mcp.allowedHosts" -}}
{{- $name := include "spotify-mcp.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $ports := list (int .Values.service.port) }}
{{- if ne (int .Values.service.port) 8000 }}{{ $ports = append $ports 8000 }}{{ end }}
{{- $hosts := list }}
{{- range $host := list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s.%s.svc.%s" $name $ns $.Values.clusterDomain) }}
{{- $hosts = append $hosts $host }}
{{- range $port := $ports }}
{{- $hosts = append $hosts (printf "%s:%d" $host $port) }}
{{- end }}
{{- end }}
{{- $hosts = concat $hosts .Values.server.extraAllowedHosts }}
{{- if and .Values.ingress.enabled .Values.ingress.host }}
{{- $hosts = append $hosts .Values.ingress.host }}
{{- end }}
{{- if .Values.httpRoute.enabled }}
{{- $hosts = concat $hosts .Values.httpRoute.hostnames }}
{{- end }}
{{- $hosts | uniq | join "," }}
{{- end }}

{{/*
The Secret with the Spotify credentials: spotify.existingSecret, or "<fullname>-spotify" by convention
(NOTES.txt shows how to create it). Empty in sandbox mode without an explicit Secret.
*/}}
{{- define "spotify-mcp.spotifySecret" -}}
{{- if .Values.spotify.existingSecret }}
{{- .Values.spotify.existingSecret }}
{{- else if not .Values.sandbox }}
{{- printf "%s-spotify" (include "spotify-mcp.fullname" .) }}
{{- end }}
{{- end }}

{{/* Whether the server runs (or its autoscaler keeps) more than one pod: then a PodDisruptionBudget helps. */}}
{{- define "spotify-mcp.multiReplica" -}}
{{- if or (gt (int .Values.replicaCount) 1) (and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) 1)) }}true{{ end }}
{{- end }}

{{/*
Hosted mode (hosted.enabled): refuses what the server refuses to start with, or cannot serve, with
the value to change. Included by deployment.yaml; renders nothing.
*/}}
{{- define "spotify-mcp.validateHosted" -}}
{{- $h := .Values.hosted }}
{{- if $h.enabled }}
{{- if not $h.publicUrl }}
{{- fail "hosted.publicUrl is required when hosted.enabled is true (the public https:// URL users and MCP clients reach the server at)" }}
{{- end }}
{{- if not (regexMatch "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$" $h.publicUrl) }}
{{- fail (printf "hosted.publicUrl must be an http(s) origin such as https://spotify-mcp.example.com (scheme, host and optional port, no path): %q" $h.publicUrl) }}
{{- end }}
{{- if and (not (hasPrefix "https://" $h.publicUrl)) (not .Values.sandbox) }}
{{- fail "hosted.publicUrl must start with https:// unless sandbox is true: users' browsers and MCP clients send authorization codes and tokens to it" }}
{{- end }}
{{- if not $h.keysSecret.name }}
{{- fail "hosted.keysSecret.name is required when hosted.enabled is true (a Secret with the OAuth keys, one kid:base64 line each)" }}
{{- end }}
{{- if .Values.auth.existingSecret }}
{{- fail "hosted.enabled excludes auth.existingSecret: in hosted mode each user signs in through their MCP client, and the server refuses static bearer tokens" }}
{{- end }}
{{- if ne .Values.spotify.refreshTokenKey "refresh-token" }}
{{- fail "hosted.enabled excludes a shared refresh token: leave spotify.refreshTokenKey at its default (the chart passes no SPOTIFY_REFRESH_TOKEN in hosted mode; each user signs in with their own Spotify account)" }}
{{- end }}
{{- range .Values.server.extraEnv }}
{{- if has .name (list "SPOTIFY_REFRESH_TOKEN" "SPOTIFY_MCP_AUTH_TOKENS" "SPOTIFY_MCP_AUTH_TOKENS_FILE") }}
{{- fail (printf "hosted.enabled excludes %s in server.extraEnv: the server refuses a shared refresh token and static bearer tokens in hosted mode" .name) }}
{{- end }}
{{- end }}
{{- if and (not $h.storeRedisUrlSecret.name) (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) }}
{{- fail "hosted mode with more than one pod (replicaCount > 1 or autoscaling.enabled) needs hosted.storeRedisUrlSecret.name: the in-memory OAuth store lives in one pod" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The paths the Ingress and HTTPRoute send to the Service, one "path type" per line (type Prefix or
Exact): /mcp, and in hosted mode the OAuth endpoints the server serves besides it.
*/}}
{{- define "spotify-mcp.routedPaths" -}}
/mcp Prefix
{{- if .Values.hosted.enabled }}
/.well-known/oauth-protected-resource Prefix
/.well-known/oauth-authorization-server Exact
/oauth Prefix
{{- end }}
{{- end }}
