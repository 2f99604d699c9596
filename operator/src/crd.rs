//! The `SpotifyMcp` custom resource (`spotifymcp.dev/v1alpha1`): spec, status and the schema
//! the API server validates (defaults and CEL rules with human-readable messages).
//!
//! Every field carries a doc comment: it becomes the `description` that `kubectl explain smcp.spec`
//! prints. Defaults are declared with `#[serde(default = ..)]` so that the API server applies them
//! (they land in the CRD's OpenAPI schema) and the operator sees the same values when it reads an
//! object that predates a default.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, ResourceRequirements, Toleration, TopologySpreadConstraint,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use kube::{CustomResource, CustomResourceExt, KubeSchema};
use serde::{Deserialize, Serialize};

pub mod yaml;

/// API group of the custom resource.
pub const GROUP: &str = "spotifymcp.dev";
/// API version of the custom resource.
pub const VERSION: &str = "v1alpha1";
/// The port the server container listens on (`SPOTIFY_MCP_PORT`); MCP and metrics share it.
pub const CONTAINER_PORT: i32 = 8000;

/// Desired state of a Spotify MCP server: the operator turns it into a Deployment, a Service and
/// (optionally) a Prometheus Operator ServiceMonitor and PrometheusRule.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
// Each printcolumn(..) repeats `type_ = ..`; clippy reads that as a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[kube(
    group = "spotifymcp.dev",
    version = "v1alpha1",
    kind = "SpotifyMcp",
    plural = "spotifymcps",
    shortname = "smcp",
    category = "spotifymcp",
    namespaced,
    status = "SpotifyMcpStatus",
    // `kubectl scale smcp/x --replicas=3` and HorizontalPodAutoscalers write spec.replicas; the
    // HPA finds the pods to measure through status.selector.
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    derive = "PartialEq",
    doc = "SpotifyMcp runs a Spotify MCP (Model Context Protocol) server: a Deployment of spotify-mcp-server, a Service in front of it and, optionally, a Prometheus Operator ServiceMonitor and PrometheusRule.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        description = "Whether the server has all desired replicas available",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Replicas",
        type_ = "integer",
        description = "Ready replicas of the server Deployment",
        json_path = ".status.readyReplicas"
    ),
    printcolumn(
        name = "Endpoint",
        type_ = "string",
        description = "In-cluster URL of the MCP endpoint",
        json_path = ".status.endpoint"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("has(self.spotify) || self.sandbox").message("spec.spotify (the Secret with the Spotify app credentials) is required unless spec.sandbox is true"))]
#[x_kube(validation = Rule::new("!has(self.hosted) || !self.hosted.enabled || !has(self.hosted.publicUrl) || self.hosted.publicUrl.startsWith('https://') || self.sandbox").message("hosted.publicUrl must start with https:// unless spec.sandbox is true: users' browsers and MCP clients send authorization codes and tokens to it"))]
#[x_kube(validation = Rule::new("!has(self.hosted) || !self.hosted.enabled || !has(self.accessToken)").message("spec.hosted excludes spec.accessToken: in hosted mode each user signs in through their MCP client, and the server refuses static bearer tokens"))]
#[x_kube(validation = Rule::new(format!("!has(self.hosted) || !self.hosted.enabled || !has(self.spotify) || !has(self.spotify.refreshTokenKey) || self.spotify.refreshTokenKey == '{DEFAULT_REFRESH_TOKEN_KEY}'")).message("spec.hosted excludes a shared refresh token: leave spec.spotify.refreshTokenKey unset (the operator passes no SPOTIFY_REFRESH_TOKEN in hosted mode; each user signs in with their own Spotify account)"))]
#[x_kube(validation = Rule::new("!has(self.hosted) || !self.hosted.enabled || has(self.hosted.storeRedisUrl) || (self.replicas <= 1 && (!has(self.autoscaling) || !self.autoscaling.enabled))").message("hosted mode with more than one replica (spec.replicas > 1 or spec.autoscaling.enabled) needs spec.hosted.storeRedisUrl: the in-memory OAuth store lives in one pod"))]
#[serde(rename_all = "camelCase")]
pub struct SpotifyMcpSpec {
    /// Container image of spotify-mcp-server. When unset, the operator's configured default image
    /// (its --default-image flag) is used, so upgrading the operator upgrades the servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub image: Option<String>,

    /// Image pull policy of the server container: Always, IfNotPresent or Never.
    /// When unset Kubernetes picks its default for the image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,

    /// Number of server pods. 0 stops the server while keeping its configuration. The scale
    /// subresource writes this field (`kubectl scale smcp/NAME --replicas=3`), and so does the
    /// HorizontalPodAutoscaler of spec.autoscaling: leave it out of applied manifests then.
    #[serde(default = "default_replicas")]
    #[x_kube(validation = Rule::new("self >= 0").message("replicas must be 0 or more"))]
    #[x_kube(validation = Rule::new("self <= 100").message("replicas must be at most 100"))]
    pub replicas: i32,

    /// Run against the server's built-in fake Spotify Web API (SPOTIFY_MCP_SANDBOX=true) instead of
    /// Spotify; for demos and tests. spec.spotify is then optional.
    #[serde(default)]
    pub sandbox: bool,

    /// Spotify application credentials, read from a Secret in the same namespace and passed to the
    /// server as environment variables (never copied into this object or its status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spotify: Option<SpotifyCredentials>,

    /// Bearer token(s) MCP clients must present on /mcp, from a Secret in the same namespace (the
    /// value may hold several tokens separated by commas). Without it /mcp accepts any client that
    /// can reach the Service. Not allowed in hosted mode (spec.hosted), where each user signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<SecretKeyRef>,

    /// Tool groups the server exposes (SPOTIFY_MCP_TOOLSETS). Empty means the server's default: every
    /// toolset except "extended", which only works for Spotify apps with extended quota.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(validation = Rule::new("self.all(t, self.exists_one(u, u == t))").message("toolsets must not repeat a toolset"))]
    #[schemars(length(max = 8))]
    pub toolsets: Vec<Toolset>,

    /// Expose only tools that never change anything on the Spotify account (SPOTIFY_MCP_READ_ONLY).
    #[serde(default)]
    pub read_only: bool,

    /// Response cache of the server.
    #[serde(default)]
    pub cache: CacheSpec,

    /// Prometheus scraping of the server's /metrics endpoint and its alert rules.
    #[serde(default)]
    pub metrics: MetricsSpec,

    /// The Service in front of the server pods.
    #[serde(default)]
    pub service: ServiceSpec,

    /// Compute resources of the server container. When unset the operator requests 50m CPU and
    /// 64Mi memory and limits memory to 256Mi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Node labels a server pod's node must have (pod spec nodeSelector).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Tolerations of the server pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,

    /// Scheduling affinity of the server pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// Extra annotations on the server pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,

    /// Extra labels on the server pods. The operator's own app.kubernetes.io/* labels win on conflict.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,

    /// Log filter of the server (SPOTIFY_MCP_LOG), e.g. "info" or "spotify_mcp_server=debug,info".
    #[serde(default = "default_log_level")]
    #[schemars(length(min = 1, max = 256))]
    pub log_level: String,

    /// Host names the server accepts in the Host header besides the Service's own DNS names
    /// (for example an Ingress host). Entries are host or host:port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(validation = Rule::new("self.all(h, h.matches('^[A-Za-z0-9.-]+(:[0-9]{1,5})?$'))").message("extraAllowedHosts entries must be host names, optionally with :port (no scheme, path or spaces)"))]
    #[schemars(length(max = 32))]
    pub extra_allowed_hosts: Vec<HostName>,

    /// A HorizontalPodAutoscaler (autoscaling/v2) that scales this SpotifyMcp through its scale
    /// subresource, so spec.replicas stays the one number the Deployment follows. Turning it off
    /// deletes the HorizontalPodAutoscaler the operator made.
    #[serde(default)]
    pub autoscaling: AutoscalingSpec,

    /// How the server pods spread over the cluster. Unset: one constraint that spreads them across
    /// nodes (topologyKey kubernetes.io/hostname, maxSkew 1, whenUnsatisfiable ScheduleAnyway,
    /// selecting this server's pods). An empty list turns spreading off; a list replaces the default
    /// (its constraints need their own labelSelector, e.g. app.kubernetes.io/instance: NAME).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,

    /// A NetworkPolicy (networking.k8s.io/v1) that lets traffic reach the server port (8000) only
    /// from the listed peers and the monitoring namespace. Turning it off deletes it.
    #[serde(default)]
    pub network_policy: NetworkPolicySpec,

    /// An Ingress (networking.k8s.io/v1) routing /mcp on `host` to the Service (in hosted mode also
    /// the OAuth paths). The host is added to the server's allowed hosts. Turning it off deletes it.
    #[serde(default)]
    pub ingress: IngressSpec,

    /// A Gateway API HTTPRoute (gateway.networking.k8s.io/v1) routing /mcp on `hostnames` to the
    /// Service (in hosted mode also the OAuth paths). The host names are added to the server's
    /// allowed hosts. When the HTTPRoute CRD is not installed the operator reports it in the
    /// HTTPRouteReady condition and creates the route once the CRD appears. Turning it off
    /// deletes it.
    #[serde(default, rename = "httpRoute")]
    pub http_route: HttpRouteSpec,

    /// Hosted multi-user mode (SPOTIFY_MCP_OAUTH=true): the server is an OAuth 2.1 authorization
    /// server for its MCP clients and federates sign-in to Spotify, so each user signs in with
    /// their own Spotify account through their MCP client and no refresh token is shared. It
    /// excludes spec.accessToken and a refresh token in spec.spotify. The Ingress and HTTPRoute
    /// then also route the OAuth paths (/oauth, /.well-known/oauth-protected-resource and
    /// /.well-known/oauth-authorization-server), and status.redirectUri names the redirect URI to
    /// register in the Spotify Dashboard.
    #[serde(default)]
    pub hosted: HostedSpec,
}

/// Hosted multi-user mode of the server: an OAuth 2.1 authorization server facade in front of
/// Spotify's sign-in, one Spotify account per user.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!self.enabled || has(self.publicUrl)").message("hosted.publicUrl is required when hosted mode is enabled"))]
#[x_kube(validation = Rule::new("!self.enabled || has(self.keysSecretRef)").message("hosted.keysSecretRef is required when hosted mode is enabled"))]
pub struct HostedSpec {
    /// Run the server in hosted mode (SPOTIFY_MCP_OAUTH=true).
    #[serde(default)]
    pub enabled: bool,
    /// Public base URL of the server as users and MCP clients reach it, e.g.
    /// https://spotify-mcp.example.com (SPOTIFY_MCP_PUBLIC_URL): the OAuth issuer; the MCP
    /// resource is this URL + /mcp and Spotify's redirect URI this URL + /oauth/callback (see
    /// status.redirectUri). An origin only: scheme, host and optional port, no path. https://
    /// unless spec.sandbox is true. The server accepts its host as a Host header by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$')").message("hosted.publicUrl must be an http(s) origin such as https://spotify-mcp.example.com: scheme, host and optional port, no path, query or user info"))]
    #[schemars(length(min = 1, max = 512))]
    pub public_url: Option<String>,
    /// Key of a Secret holding the server's OAuth keys, one `kid:base64(32 random bytes)` per
    /// line: the first encrypts users' Spotify tokens and signs cookies, every line decrypts (add
    /// a new first line to rotate, drop old lines once their tokens have expired). Mounted
    /// read-only and named by SPOTIFY_MCP_OAUTH_KEYS_FILE. Required when hosted mode is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_secret_ref: Option<SecretKeyRef>,
    /// Key of a Secret holding the redis:// URL of the OAuth store (grants, authorization codes,
    /// client registrations; SPOTIFY_MCP_OAUTH_STORE). It may be the Secret of cache.redisUrl.
    /// Unset: the store is in memory, so sign-ins are lost on restart and only one replica may
    /// run (spec.replicas at most 1, no autoscaling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_redis_url: Option<SecretKeyRef>,
    /// Make Spotify show its consent dialog on every sign-in, even to users who already approved
    /// the app (SPOTIFY_MCP_OAUTH_SHOW_DIALOG), so they can switch accounts.
    #[serde(default)]
    pub show_dialog: bool,
    /// Let MCP clients register themselves (OAuth dynamic client registration, RFC 7591, at
    /// /oauth/register). false sets SPOTIFY_MCP_OAUTH_DCR=false.
    #[serde(default = "default_true")]
    pub dynamic_client_registration: bool,
    /// Accept MCP clients identified by the URL of a Client ID Metadata Document. false sets
    /// SPOTIFY_MCP_OAUTH_CIMD=false.
    #[serde(default = "default_true")]
    pub client_id_metadata_documents: bool,
}

impl Default for HostedSpec {
    fn default() -> Self {
        Self {
            enabled: false,
            public_url: None,
            keys_secret_ref: None,
            store_redis_url: None,
            show_dialog: false,
            dynamic_client_registration: true,
            client_id_metadata_documents: true,
        }
    }
}

fn default_true() -> bool {
    true
}

/// The HorizontalPodAutoscaler of a SpotifyMcp. It targets the SpotifyMcp itself (its scale
/// subresource), not the Deployment: the operator sets the Deployment's replicas from
/// spec.replicas, so an HPA on the Deployment would fight it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!self.enabled || has(self.maxReplicas)").message("autoscaling.maxReplicas is required when autoscaling is enabled"))]
#[x_kube(validation = Rule::new("!has(self.maxReplicas) || self.minReplicas <= self.maxReplicas").message("autoscaling.minReplicas must not be greater than autoscaling.maxReplicas"))]
#[x_kube(validation = Rule::new("!self.enabled || has(self.targetCPUUtilizationPercentage) || has(self.targetMemoryUtilizationPercentage)").message("autoscaling needs at least one metric: targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage"))]
pub struct AutoscalingSpec {
    /// Create a HorizontalPodAutoscaler for this SpotifyMcp.
    #[serde(default)]
    pub enabled: bool,
    /// Fewest replicas the autoscaler sets.
    #[serde(default = "default_min_replicas")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 100").message("autoscaling.minReplicas must be between 1 and 100"))]
    pub min_replicas: i32,
    /// Most replicas the autoscaler sets (at most 100, the bound of spec.replicas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 100").message("autoscaling.maxReplicas must be between 1 and 100"))]
    pub max_replicas: Option<i32>,
    /// Average CPU use across the pods, in percent of their CPU request, that the autoscaler aims at.
    #[serde(
        default,
        rename = "targetCPUUtilizationPercentage",
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1000").message("autoscaling.targetCPUUtilizationPercentage must be between 1 and 1000"))]
    pub target_cpu_utilization_percentage: Option<i32>,
    /// Average memory use across the pods, in percent of their memory request, that the autoscaler
    /// aims at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 1000").message("autoscaling.targetMemoryUtilizationPercentage must be between 1 and 1000"))]
    pub target_memory_utilization_percentage: Option<i32>,
}

impl Default for AutoscalingSpec {
    fn default() -> Self {
        Self {
            enabled: false,
            min_replicas: default_min_replicas(),
            max_replicas: None,
            target_cpu_utilization_percentage: None,
            target_memory_utilization_percentage: None,
        }
    }
}

fn default_min_replicas() -> i32 {
    1
}

/// The NetworkPolicy of a SpotifyMcp: ingress to the server port only from `from` and from the
/// monitoring namespace (for Prometheus scrapes of /metrics). Everything else, including an Ingress
/// controller or Gateway not listed in `from`, is refused.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Create a NetworkPolicy for the server pods.
    #[serde(default)]
    pub enabled: bool,
    /// Who may connect to /mcp: each entry selects namespaces, pods (of this namespace, or of the
    /// selected namespaces when both are set), or both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub from: Vec<NetworkPolicyPeer>,
    /// Name of the namespace Prometheus scrapes from (matched by its kubernetes.io/metadata.name
    /// label). Empty allows no scrapes.
    #[serde(default = "default_monitoring_namespace")]
    #[x_kube(validation = Rule::new("self == '' || self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')").message("networkPolicy.monitoringNamespace must be a namespace name"))]
    #[schemars(length(max = 63))]
    pub monitoring_namespace: String,
}

impl Default for NetworkPolicySpec {
    fn default() -> Self {
        Self {
            enabled: false,
            from: Vec::new(),
            monitoring_namespace: default_monitoring_namespace(),
        }
    }
}

fn default_monitoring_namespace() -> String {
    "monitoring".to_owned()
}

/// A source of traffic the NetworkPolicy allows.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.namespaceSelector) || has(self.podSelector)").message("each networkPolicy.from entry needs a namespaceSelector, a podSelector or both"))]
pub struct NetworkPolicyPeer {
    /// Namespaces whose pods may connect ({} selects every namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Pods that may connect ({} selects every pod of the namespaces in question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
}

/// The Ingress of a SpotifyMcp: `host` + /mcp (prefix) to the Service port; in hosted mode also
/// /oauth and /.well-known/oauth-protected-resource (prefixes) and
/// /.well-known/oauth-authorization-server (exact).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!self.enabled || has(self.host)").message("ingress.host is required when the ingress is enabled"))]
pub struct IngressSpec {
    /// Create an Ingress.
    #[serde(default)]
    pub enabled: bool,
    /// IngressClass of the Ingress; unset uses the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub class_name: Option<String>,
    /// Host name clients use (no scheme, port or wildcard); also allowed as the server's Host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$')").message("ingress.host must be a DNS name without scheme, port or wildcard"))]
    pub host: Option<HostName>,
    /// Secret (type kubernetes.io/tls, same namespace) with the certificate for `host`; unset
    /// serves plain HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')").message("ingress.tlsSecretName must be a lowercase DNS subdomain"))]
    #[schemars(length(min = 1, max = 253))]
    pub tls_secret_name: Option<String>,
    /// Extra annotations on the Ingress (controller settings such as timeouts for long-lived
    /// streams, or cert-manager's issuer).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The HTTPRoute of a SpotifyMcp: /mcp (prefix) on `hostnames` from the `parentRefs` Gateways to
/// the Service port; in hosted mode also the OAuth paths, as for the Ingress.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!self.enabled || size(self.parentRefs) > 0").message("httpRoute.parentRefs needs at least one Gateway when the route is enabled"))]
pub struct HttpRouteSpec {
    /// Create an HTTPRoute.
    #[serde(default)]
    pub enabled: bool,
    /// Gateways (or listeners of them) the route attaches to.
    #[serde(default)]
    #[schemars(length(max = 8))]
    pub parent_refs: Vec<GatewayRef>,
    /// Host names the route answers for (exact names; no wildcards, since they are also the
    /// server's allowed hosts). Empty: those of the Gateway's listener, and no allowed host is
    /// added, so list the clients' host in extraAllowedHosts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(validation = Rule::new("self.all(h, h.matches('^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$'))").message("httpRoute.hostnames must be DNS names without scheme, port or wildcard"))]
    #[schemars(length(max = 16))]
    pub hostnames: Vec<HostName>,
}

/// A Gateway (gateway.networking.k8s.io) an HTTPRoute attaches to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayRef {
    /// Name of the Gateway.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Its namespace; unset means the SpotifyMcp's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub namespace: Option<String>,
    /// A listener of the Gateway, by name; unset attaches to every listener that allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub section_name: Option<String>,
}

/// A host name with an optional port, bounded so CEL cost estimation stays small.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(transparent)]
pub struct HostName(#[schemars(length(min = 1, max = 253))] pub String);

fn default_replicas() -> i32 {
    1
}

fn default_log_level() -> String {
    "info".to_owned()
}

/// Image pull policy of the server container.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum ImagePullPolicy {
    /// Always pull the image.
    Always,
    /// Pull only when the node does not have the image.
    IfNotPresent,
    /// Never pull; the image must be present on the node.
    Never,
}

impl ImagePullPolicy {
    /// The value Kubernetes expects in `imagePullPolicy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "Always",
            Self::IfNotPresent => "IfNotPresent",
            Self::Never => "Never",
        }
    }
}

/// A tool group of the server (`--toolsets`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Toolset {
    /// Player control: state, devices, play/pause/skip/seek, volume, queue, recently played.
    Playback,
    /// Catalog search.
    Search,
    /// Tracks, albums, artists, shows, episodes, audiobooks and their children.
    Catalog,
    /// The user's saved items and followed artists.
    Library,
    /// The user's playlists and their items.
    Playlists,
    /// The user's profile and top items.
    Profile,
    /// Multi-step helpers such as play_best_match.
    Composite,
    /// Endpoints Spotify keeps for extended-quota apps only.
    Extended,
}

impl Toolset {
    /// The name the server's --toolsets flag takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Playback => "playback",
            Self::Search => "search",
            Self::Catalog => "catalog",
            Self::Library => "library",
            Self::Playlists => "playlists",
            Self::Profile => "profile",
            Self::Composite => "composite",
            Self::Extended => "extended",
        }
    }
}

/// One key of a Secret in the SpotifyMcp's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret (same namespace as the SpotifyMcp).
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')").message("Secret names are lowercase DNS subdomains: a-z, 0-9, '-' and '.'"))]
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key inside the Secret's data.
    #[x_kube(validation = Rule::new("self.matches('^[-._a-zA-Z0-9]+$')").message("Secret keys may contain only letters, digits, '-', '_' and '.'"))]
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

/// Spotify application credentials in one Secret. The client ID is required; the client secret
/// and refresh token are optional in the Secret (PKCE refresh needs no client secret; without a
/// refresh token only catalog tools work).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SpotifyCredentials {
    /// Name of the Secret (same namespace as the SpotifyMcp).
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')").message("spotify.secretName must be a lowercase DNS subdomain: a-z, 0-9, '-' and '.'"))]
    #[schemars(length(min = 1, max = 253))]
    pub secret_name: String,
    /// Key holding the Spotify client ID (SPOTIFY_CLIENT_ID).
    #[serde(default = "default_client_id_key")]
    #[schemars(length(min = 1, max = 253))]
    pub client_id_key: String,
    /// Key holding the Spotify client secret (SPOTIFY_CLIENT_SECRET); may be absent from the Secret.
    #[serde(default = "default_client_secret_key")]
    #[schemars(length(min = 1, max = 253))]
    pub client_secret_key: String,
    /// Key holding the user's refresh token (SPOTIFY_REFRESH_TOKEN); may be absent from the Secret.
    /// Not used in hosted mode (spec.hosted), which refuses any other value than the default.
    #[serde(default = "default_refresh_token_key")]
    #[schemars(length(min = 1, max = 253))]
    pub refresh_token_key: String,
    /// Base URL of the Web API (SPOTIFY_API_BASE_URL); unset means https://api.spotify.com/v1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.startsWith('https://') || self.startsWith('http://')").message("spotify.apiBaseUrl must be an http(s) URL"))]
    #[schemars(length(max = 2048))]
    pub api_base_url: Option<String>,
    /// Base URL of the accounts service (SPOTIFY_ACCOUNTS_BASE_URL); unset means https://accounts.spotify.com.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.startsWith('https://') || self.startsWith('http://')").message("spotify.accountsBaseUrl must be an http(s) URL"))]
    #[schemars(length(max = 2048))]
    pub accounts_base_url: Option<String>,
    /// How the server paces its requests to Spotify (SPOTIFY_MCP_SPOTIFY_RATE_LIMIT): `adaptive`
    /// (nothing waits until Spotify answers 429, then every call waits out its Retry-After),
    /// `off`, or a fixed `N/s` per client ID with an optional `,burst=M`. Unset means the
    /// server's default, `adaptive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^(adaptive|off|[1-9][0-9]{0,4}/s(,burst=[1-9][0-9]{0,4})?)$')").message("spotify.rateLimit must be adaptive, off, or N/s with an optional ,burst=M (e.g. 20/s,burst=40)"))]
    #[schemars(length(max = 32))]
    pub rate_limit: Option<String>,
    /// One more CA (PEM, one certificate or a bundle) to trust for Spotify besides the
    /// system's, e.g. the CA of a TLS-inspecting proxy: mounted read-only and named by
    /// SPOTIFY_MCP_CA_FILE. The server reads it at start-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ca: Option<TrustedCa>,
}

/// Where a CA bundle is: one key of a ConfigMap or of a Secret (exactly one of them).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.configMap) != has(self.secret)").message("spotify.trustedCa needs exactly one of configMap and secret"))]
pub struct TrustedCa {
    /// A key of a ConfigMap in the SpotifyMcp's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ConfigMapKeyRef>,
    /// A key of a Secret in the SpotifyMcp's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretKeyRef>,
}

/// One key of a ConfigMap in the SpotifyMcp's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapKeyRef {
    /// Name of the ConfigMap (same namespace as the SpotifyMcp).
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')").message("ConfigMap names are lowercase DNS subdomains: a-z, 0-9, '-' and '.'"))]
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key inside the ConfigMap's data.
    #[x_kube(validation = Rule::new("self.matches('^[-._a-zA-Z0-9]+$')").message("ConfigMap keys may contain only letters, digits, '-', '_' and '.'"))]
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

fn default_client_id_key() -> String {
    "client-id".to_owned()
}
fn default_client_secret_key() -> String {
    "client-secret".to_owned()
}
/// The default of `spec.spotify.refreshTokenKey`; hosted mode accepts only this value (the API
/// server fills it in, so an unset key and this one look the same).
const DEFAULT_REFRESH_TOKEN_KEY: &str = "refresh-token";

fn default_refresh_token_key() -> String {
    DEFAULT_REFRESH_TOKEN_KEY.to_owned()
}

/// Response cache of the server.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CacheSpec {
    /// Size of the in-memory cache in MiB (SPOTIFY_MCP_CACHE_SIZE_MB).
    #[serde(default = "default_cache_size_mb")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 4096").message("cache.sizeMb must be between 1 and 4096"))]
    pub size_mb: i32,
    /// Use a shared Redis cache instead of memory: the Secret key holds the redis:// URL
    /// (SPOTIFY_MCP_CACHE; TLS is not supported). A Secret because such URLs usually carry a
    /// password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<SecretKeyRef>,
}

impl Default for CacheSpec {
    fn default() -> Self {
        Self {
            size_mb: default_cache_size_mb(),
            redis_url: None,
        }
    }
}

fn default_cache_size_mb() -> i32 {
    64
}

/// Prometheus scraping and alerting of the server.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSpec {
    /// A Prometheus Operator ServiceMonitor for the server's Service.
    #[serde(default)]
    pub service_monitor: ServiceMonitorSpec,
    /// A Prometheus Operator PrometheusRule with the server's alert rules (server down, error
    /// ratio, latency, Spotify rate limiting, cache, token refresh), each narrowed to this server's
    /// namespace and Service. They read the series the ServiceMonitor scrapes, so enable
    /// serviceMonitor too.
    #[serde(default)]
    pub prometheus_rule: PrometheusRuleSpec,
}

/// The PrometheusRule (monitoring.coreos.com/v1) the operator manages: the alert rules of the
/// repository's infra/prometheus/alerts.yml (server down, error ratio, p95 latency, Spotify rate
/// limiting, cache hit ratio, token refresh failures), each narrowed to this server's namespace and
/// Service. They read the series the ServiceMonitor scrapes, so enable metrics.serviceMonitor too.
/// When the PrometheusRule CRD is not installed the operator reports it in the PrometheusRuleReady
/// condition and creates the PrometheusRule once the CRD appears.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    /// Create a PrometheusRule. Turning it off deletes the PrometheusRule the operator made.
    #[serde(default)]
    pub enabled: bool,
    /// Extra labels on the PrometheusRule, such as release: kube-prometheus-stack so that a
    /// Prometheus's ruleSelector picks it up.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// The ServiceMonitor (monitoring.coreos.com/v1) the operator manages. When the ServiceMonitor CRD
/// is not installed the operator reports it in the ServiceMonitorReady condition and creates the
/// ServiceMonitor once the CRD appears.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(format!(
    "!self.interval.matches('{DURATION}') || !self.scrapeTimeout.matches('{DURATION}') || duration(self.scrapeTimeout) <= duration(self.interval)"
)).message("metrics.serviceMonitor.scrapeTimeout must not be longer than metrics.serviceMonitor.interval"))]
pub struct ServiceMonitorSpec {
    /// Create a ServiceMonitor. Turning it off deletes the ServiceMonitor the operator made.
    #[serde(default)]
    pub enabled: bool,
    /// How often Prometheus scrapes /metrics, as a duration such as 30s, 1m or 1m30s.
    #[serde(default = "default_interval")]
    #[x_kube(validation = Rule::new(format!("self.matches('{DURATION}')")).message("metrics.serviceMonitor.interval must be a duration such as 15s, 1m or 1m30s"))]
    #[schemars(length(min = 2, max = 32))]
    pub interval: String,
    /// Timeout of one scrape, as a duration such as 10s; at most the interval.
    #[serde(default = "default_scrape_timeout")]
    #[x_kube(validation = Rule::new(format!("self.matches('{DURATION}')")).message("metrics.serviceMonitor.scrapeTimeout must be a duration such as 10s or 500ms"))]
    #[schemars(length(min = 2, max = 32))]
    pub scrape_timeout: String,
    /// Extra labels on the ServiceMonitor, such as release: kube-prometheus-stack so that a
    /// Prometheus's serviceMonitorSelector picks it up.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Default for ServiceMonitorSpec {
    fn default() -> Self {
        Self {
            enabled: false,
            interval: default_interval(),
            scrape_timeout: default_scrape_timeout(),
            labels: BTreeMap::new(),
        }
    }
}

/// The durations CEL's `duration()` understands and Prometheus accepts alike (no d/w/y units).
const DURATION: &str = "^([0-9]+(ms|s|m|h))+$";

fn default_interval() -> String {
    "30s".to_owned()
}
fn default_scrape_timeout() -> String {
    "10s".to_owned()
}

/// The Service in front of the server pods.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Service type: ClusterIP, NodePort or LoadBalancer.
    #[serde(default, rename = "type")]
    pub type_: ServiceType,
    /// Port of the Service (MCP at /mcp and metrics at /metrics); the pods listen on 8000.
    #[serde(default = "default_service_port")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 65535").message("service.port must be between 1 and 65535"))]
    pub port: i32,
    /// Extra annotations on the Service (for example for a cloud load balancer).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        Self {
            type_: ServiceType::default(),
            port: default_service_port(),
            annotations: BTreeMap::new(),
        }
    }
}

fn default_service_port() -> i32 {
    CONTAINER_PORT
}

/// Kubernetes Service type.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, schemars::JsonSchema,
)]
pub enum ServiceType {
    /// Reachable inside the cluster only.
    #[default]
    ClusterIP,
    /// Also on a port of every node.
    NodePort,
    /// Also through a cloud load balancer.
    LoadBalancer,
}

impl ServiceType {
    /// The value Kubernetes expects in `spec.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// Observed state, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpotifyMcpStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Pods of the server Deployment (all revisions).
    #[serde(default)]
    pub replicas: i32,
    /// Pods of the server Deployment that pass their readiness probe.
    #[serde(default)]
    pub ready_replicas: i32,
    /// In-cluster URL of the MCP endpoint, e.g. http://name.namespace.svc:8000/mcp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Label selector of the server pods in its string form
    /// (app.kubernetes.io/instance=NAME,app.kubernetes.io/name=spotify-mcp): the scale
    /// subresource's labelSelectorPath, which HorizontalPodAutoscalers read to find the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// In hosted mode: the redirect URI of the server's Spotify sign-in
    /// (spec.hosted.publicUrl + /oauth/callback). Register it in the Spotify Dashboard
    /// (https://developer.spotify.com/dashboard, the app's Redirect URIs) or Spotify refuses
    /// every sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Ready, Progressing, Degraded, ServiceMonitorReady, PrometheusRuleReady and HTTPRouteReady.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// The CRD as the API server receives it. Doc comments become descriptions; their source line
/// breaks are joined so that `kubectl explain` can wrap the text itself (blank lines stay).
pub fn crd() -> CustomResourceDefinition {
    let mut crd = SpotifyMcp::crd();
    for version in &mut crd.spec.versions {
        let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        else {
            continue;
        };
        let Ok(mut value) = serde_json::to_value(&*schema) else {
            continue;
        };
        unwrap_descriptions(&mut value);
        if let Ok(unwrapped) = serde_json::from_value(value) {
            *schema = unwrapped;
        }
    }
    crd
}

fn unwrap_descriptions(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(text) if key == "description" => {
                        *text = unwrap_text(text)
                    }
                    _ => unwrap_descriptions(v),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Joins the lines of each paragraph with spaces; paragraphs stay separated by a blank line.
fn unwrap_text(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl SpotifyMcp {
    /// The image to run: the spec's, else the operator's default.
    pub fn image<'a>(&'a self, default_image: &'a str) -> &'a str {
        self.spec.image.as_deref().unwrap_or(default_image)
    }
}

impl SpotifyMcpSpec {
    /// `spec.hosted` when hosted mode is enabled.
    pub fn hosted(&self) -> Option<&HostedSpec> {
        self.hosted.enabled.then_some(&self.hosted)
    }
}

impl HostedSpec {
    /// `publicUrl` without trailing slashes: the base the server appends its paths to.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/'))
    }

    /// The redirect URI of the Spotify sign-in, to register in the Spotify Dashboard.
    pub fn redirect_uri(&self) -> Option<String> {
        self.public_url().map(|url| format!("{url}/oauth/callback"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> serde_json::Value {
        let crd = crd();
        let version = &crd.spec.versions[0];
        serde_json::to_value(
            version
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref()),
        )
        .expect("schema serializes")
    }

    #[test]
    fn names_scope_and_subresources() {
        let crd = crd();
        assert_eq!(
            crd.metadata.name.as_deref(),
            Some("spotifymcps.spotifymcp.dev")
        );
        assert_eq!(crd.spec.group, GROUP);
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.kind, "SpotifyMcp");
        assert_eq!(crd.spec.names.plural, "spotifymcps");
        assert_eq!(crd.spec.names.short_names, Some(vec!["smcp".to_owned()]));
        let version = &crd.spec.versions[0];
        assert_eq!(version.name, VERSION);
        assert!(
            version
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some()
        );
        let scale = version
            .subresources
            .as_ref()
            .and_then(|s| s.scale.as_ref())
            .expect("scale subresource");
        assert_eq!(scale.spec_replicas_path, ".spec.replicas");
        assert_eq!(scale.status_replicas_path, ".status.replicas");
        assert_eq!(
            scale.label_selector_path.as_deref(),
            Some(".status.selector")
        );
        let columns: Vec<&str> = version
            .additional_printer_columns
            .as_ref()
            .map(|c| c.iter().map(|c| c.name.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(columns, ["Ready", "Replicas", "Endpoint", "Age"]);
    }

    #[test]
    fn spec_fields_are_documented_and_defaulted() {
        let schema = schema();
        let spec = &schema["properties"]["spec"]["properties"];
        for (name, field) in spec.as_object().expect("spec has properties") {
            assert!(
                field["description"].as_str().is_some_and(|d| d.len() > 10),
                "spec.{name} has no description"
            );
        }
        assert_eq!(spec["replicas"]["default"], json!(1));
        assert_eq!(spec["logLevel"]["default"], json!("info"));
        assert_eq!(
            spec["service"]["properties"]["port"]["default"],
            json!(8000)
        );
        assert_eq!(
            spec["service"]["properties"]["type"]["default"],
            json!("ClusterIP")
        );
        let sm = &spec["metrics"]["properties"]["serviceMonitor"]["properties"];
        assert_eq!(sm["interval"]["default"], json!("30s"));
        assert_eq!(sm["scrapeTimeout"]["default"], json!("10s"));
        assert_eq!(sm["enabled"]["default"], json!(false));
        let rule = &spec["metrics"]["properties"]["prometheusRule"]["properties"];
        assert_eq!(rule["enabled"]["default"], json!(false));
        for optional in ["autoscaling", "networkPolicy", "ingress", "httpRoute"] {
            assert_eq!(
                spec[optional]["properties"]["enabled"]["default"],
                json!(false),
                "spec.{optional}.enabled"
            );
        }
        assert_eq!(
            spec["autoscaling"]["properties"]["minReplicas"]["default"],
            json!(1)
        );
        assert!(
            spec["autoscaling"]["properties"]["targetCPUUtilizationPercentage"].is_object(),
            "the HPA's own spelling of the CPU target"
        );
        assert_eq!(
            spec["networkPolicy"]["properties"]["monitoringNamespace"]["default"],
            json!("monitoring")
        );
        let status = &schema["properties"]["status"]["properties"];
        assert_eq!(status["selector"]["type"], json!("string"));
    }

    #[test]
    fn cel_rules_carry_messages() {
        let text = serde_json::to_string(&schema()).expect("json");
        for message in [
            "replicas must be 0 or more",
            "service.port must be between 1 and 65535",
            "scrapeTimeout must not be longer than metrics.serviceMonitor.interval",
            "spec.spotify (the Secret with the Spotify app credentials) is required",
            "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas",
            "autoscaling needs at least one metric",
            "autoscaling.maxReplicas is required when autoscaling is enabled",
            "ingress.host is required when the ingress is enabled",
            "httpRoute.parentRefs needs at least one Gateway",
            "each networkPolicy.from entry needs a namespaceSelector, a podSelector or both",
            "hosted.publicUrl is required when hosted mode is enabled",
            "hosted.keysSecretRef is required when hosted mode is enabled",
            "hosted.publicUrl must start with https:// unless spec.sandbox is true",
            "hosted.publicUrl must be an http(s) origin",
            "spec.hosted excludes spec.accessToken",
            "spec.hosted excludes a shared refresh token",
            "needs spec.hosted.storeRedisUrl",
        ] {
            assert!(text.contains(message), "missing CEL message {message:?}");
        }
    }

    #[test]
    fn minimal_spec_gets_defaults_when_deserialized() {
        let spec: SpotifyMcpSpec = serde_json::from_value(json!({
            "spotify": {"secretName": "spotify"}
        }))
        .expect("minimal spec parses");
        assert_eq!(spec.replicas, 1);
        assert_eq!(spec.service.port, 8000);
        assert_eq!(spec.cache.size_mb, 64);
        assert!(!spec.metrics.service_monitor.enabled);
        assert!(!spec.metrics.prometheus_rule.enabled);
        let creds = spec.spotify.expect("spotify set");
        assert_eq!(creds.client_id_key, "client-id");
        assert_eq!(creds.refresh_token_key, "refresh-token");
    }

    #[test]
    fn hosted_mode_is_off_by_default_with_the_servers_defaults() {
        let schema = schema();
        let hosted = &schema["properties"]["spec"]["properties"]["hosted"];
        assert_eq!(
            hosted["default"],
            json!({"enabled": false, "showDialog": false,
                   "dynamicClientRegistration": true, "clientIdMetadataDocuments": true})
        );
        for (name, field) in hosted["properties"].as_object().expect("properties") {
            assert!(
                field["description"].as_str().is_some_and(|d| d.len() > 10),
                "spec.hosted.{name} has no description"
            );
        }
        let status = &schema["properties"]["status"]["properties"];
        assert_eq!(status["redirectUri"]["type"], json!("string"));

        let spec: SpotifyMcpSpec =
            serde_json::from_value(json!({"sandbox": true})).expect("parses");
        assert!(spec.hosted().is_none());
        assert!(spec.hosted.dynamic_client_registration);
        assert!(spec.hosted.client_id_metadata_documents);
    }

    #[test]
    fn the_hosted_rules_read_the_refresh_token_default_the_api_server_fills_in() {
        // The rule refusing a refresh token in hosted mode accepts only the default key, since the
        // API server defaults an unset key to it.
        let text = serde_json::to_string(&schema()).expect("json");
        assert!(
            text.contains("self.spotify.refreshTokenKey == 'refresh-token'"),
            "the refresh token rule names the default"
        );
        assert_eq!(default_refresh_token_key(), "refresh-token");
    }

    #[test]
    fn the_redirect_uri_is_the_public_url_plus_the_callback_path() {
        let hosted = |url: &str| HostedSpec {
            enabled: true,
            public_url: Some(url.to_owned()),
            ..HostedSpec::default()
        };
        for url in ["https://mcp.example.com", "https://mcp.example.com/"] {
            assert_eq!(hosted(url).public_url(), Some("https://mcp.example.com"));
            assert_eq!(
                hosted(url).redirect_uri().as_deref(),
                Some("https://mcp.example.com/oauth/callback")
            );
        }
        assert_eq!(HostedSpec::default().redirect_uri(), None);
    }

    #[test]
    fn descriptions_are_unwrapped_paragraphs() {
        assert_eq!(
            unwrap_text("one\ntwo\n\nthree\nfour"),
            "one two\n\nthree four"
        );
        let schema = schema();
        let image = schema["properties"]["spec"]["properties"]["image"]["description"]
            .as_str()
            .expect("image description");
        assert!(!image.contains('\n'), "{image:?}");
    }

    #[test]
    fn unknown_toolset_is_a_clear_error() {
        let err = serde_json::from_value::<SpotifyMcpSpec>(
            json!({"sandbox": true, "toolsets": ["nope"]}),
        )
        .expect_err("unknown toolset rejected");
        assert!(err.to_string().contains("unknown variant `nope`"), "{err}");
    }
}
