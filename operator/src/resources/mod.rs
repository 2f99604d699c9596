//! Pure builders: a `SpotifyMcp` (plus the operator's settings) in, the desired child object out.
//! Nothing here talks to the API server; the controller applies what these functions return.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;

use crate::crd::SpotifyMcp;

pub use children::{Children, build};

pub mod autoscaler;
pub mod children;
pub mod deployment;
pub mod disruption_budget;
pub mod http_route;
pub mod ingress;
pub mod network_policy;
pub mod prometheus_rule;
pub mod service;
pub mod service_monitor;

/// Field manager for every server-side apply, and the `app.kubernetes.io/managed-by` value.
pub const MANAGER: &str = "spotify-mcp-operator";
/// `app.kubernetes.io/name` of every child.
pub const APP_NAME: &str = "spotify-mcp";
/// Name of the server's single port (container and Service): it serves /mcp and /metrics.
pub const PORT_NAME: &str = "mcp-metrics";
/// Pod-template annotation holding the hash of the referenced Secret data; a change rolls the pods.
pub const SECRET_HASH_ANNOTATION: &str = "spotifymcp.dev/secret-hash";
/// Label key for the managing operator, used to scope the operator's watches.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The `job` label of the server's scraped series: what the alert rules and the Grafana dashboard of
/// infra/ select, and what the ServiceMonitor relabels its targets to (the Prometheus Operator would
/// name the job after the Service).
pub const METRICS_JOB: &str = "spotify-mcp-server";

/// Path of the MCP endpoint, the one path the Ingress and HTTPRoute expose outside hosted mode.
pub const MCP_PATH: &str = "/mcp";

/// How an Ingress or HTTPRoute path matches requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// The path and everything below it (whole path segments).
    Prefix,
    /// The path only.
    Exact,
}

/// The paths the Ingress and HTTPRoute send to the Service: /mcp, and in hosted mode the OAuth
/// endpoints the server serves besides it: the protected-resource metadata (also under /mcp),
/// the authorization-server metadata, and /oauth/* (register, authorize, callback, token, revoke).
pub fn routed_paths(smcp: &SpotifyMcp) -> Vec<(&'static str, PathKind)> {
    let mut paths = vec![(MCP_PATH, PathKind::Prefix)];
    if smcp.spec.hosted().is_some() {
        paths.extend([
            ("/.well-known/oauth-protected-resource", PathKind::Prefix),
            ("/.well-known/oauth-authorization-server", PathKind::Exact),
            ("/oauth", PathKind::Prefix),
        ]);
    }
    paths
}

/// Operator-level settings the builders need besides the object itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildParams {
    /// Image used when `spec.image` is unset.
    pub default_image: String,
    /// DNS suffix of the cluster (`cluster.local`), for the allowed host names.
    pub cluster_domain: String,
    /// Namespace of the operator's own pods, when it runs in one: the NetworkPolicies it writes
    /// admit them on the server port, so it can read the servers' `/status`.
    pub operator_namespace: Option<String>,
}

impl Default for BuildParams {
    fn default() -> Self {
        Self {
            default_image: crate::config::default_server_image(),
            cluster_domain: "cluster.local".to_owned(),
            operator_namespace: None,
        }
    }
}

/// The object cannot be turned into children.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    /// The API server always sets these; a missing one means the object did not come from it.
    #[error(
        "SpotifyMcp has no metadata.{0}; children can only be built for objects read from the API server"
    )]
    MissingMetadata(&'static str),
    /// The alert rules compiled into the operator (infra/prometheus/alerts.yml) are unusable: a bug
    /// of the build, which the unit tests catch.
    #[error("the compiled-in alert rules (infra/prometheus/alerts.yml) are unusable: {0}")]
    AlertRules(String),
}

/// Name and namespace of a `SpotifyMcp`, both required.
pub(crate) fn name_and_namespace(smcp: &SpotifyMcp) -> Result<(&str, &str), BuildError> {
    let name = smcp
        .metadata
        .name
        .as_deref()
        .ok_or(BuildError::MissingMetadata("name"))?;
    let namespace = smcp
        .metadata
        .namespace
        .as_deref()
        .ok_or(BuildError::MissingMetadata("namespace"))?;
    Ok((name, namespace))
}

/// Labels that select the server pods of one `SpotifyMcp`.
pub fn selector_labels(instance: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), APP_NAME.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), instance.to_owned()),
    ])
}

/// [`selector_labels`] as a label selector string (`k=v,k=v`): the status field the scale
/// subresource points HorizontalPodAutoscalers at.
pub fn selector_string(instance: &str) -> String {
    selector_labels(instance)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The host names clients reach the server by from outside the cluster: the Ingress host and the
/// HTTPRoute host names, when those are enabled (deduplicated, in that order).
pub fn exposed_hosts(smcp: &SpotifyMcp) -> Vec<String> {
    let spec = &smcp.spec;
    let mut hosts: Vec<String> = Vec::new();
    let ingress = spec.ingress.host.iter().filter(|_| spec.ingress.enabled);
    let route = spec
        .http_route
        .hostnames
        .iter()
        .filter(|_| spec.http_route.enabled);
    for host in ingress.chain(route) {
        if !hosts.contains(&host.0) {
            hosts.push(host.0.clone());
        }
    }
    hosts
}

/// The full `app.kubernetes.io/*` label set of every child.
pub fn standard_labels(instance: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(instance);
    labels.insert(
        "app.kubernetes.io/component".to_owned(),
        "server".to_owned(),
    );
    labels.insert("app.kubernetes.io/part-of".to_owned(), APP_NAME.to_owned());
    labels.insert(MANAGED_BY_LABEL.to_owned(), MANAGER.to_owned());
    labels
}

/// `extra` overlaid by the standard labels (ours win, so selectors keep working).
pub(crate) fn merged_labels(
    instance: &str,
    extra: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = extra.clone();
    labels.extend(standard_labels(instance));
    labels
}

/// Controller owner reference to the `SpotifyMcp` (garbage collection, owned-object watches).
pub fn owner_reference(smcp: &SpotifyMcp) -> Result<OwnerReference, BuildError> {
    if smcp.metadata.uid.is_none() {
        return Err(BuildError::MissingMetadata("uid"));
    }
    smcp.controller_owner_ref(&())
        .ok_or(BuildError::MissingMetadata("name"))
}

/// Metadata shared by the children: same name and namespace as the `SpotifyMcp`, standard labels,
/// controller owner reference.
pub(crate) fn child_meta(
    smcp: &SpotifyMcp,
    extra_labels: &BTreeMap<String, String>,
) -> Result<ObjectMeta, BuildError> {
    let (name, namespace) = name_and_namespace(smcp)?;
    Ok(ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(merged_labels(name, extra_labels)),
        owner_references: Some(vec![owner_reference(smcp)?]),
        ..ObjectMeta::default()
    })
}

/// DNS names of the Service, with and without the port: what the server accepts as Host.
pub fn service_host_names(
    name: &str,
    namespace: &str,
    port: i32,
    cluster_domain: &str,
) -> Vec<String> {
    let hosts = [
        name.to_owned(),
        format!("{name}.{namespace}"),
        format!("{name}.{namespace}.svc"),
        format!("{name}.{namespace}.svc.{cluster_domain}"),
    ];
    let mut out = Vec::with_capacity(hosts.len() * 2);
    for host in hosts {
        out.push(format!("{host}:{port}"));
        out.push(host);
    }
    out
}

/// In hosted mode, the redirect URI of the Spotify sign-in (for the status).
pub fn redirect_uri(smcp: &SpotifyMcp) -> Option<String> {
    smcp.spec.hosted().and_then(|h| h.redirect_uri())
}

/// In-cluster URL of the MCP endpoint.
pub fn endpoint_url(name: &str, namespace: &str, port: i32) -> String {
    format!("http://{name}.{namespace}.svc:{port}/mcp")
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::crd::{SpotifyMcp, SpotifyMcpSpec};

    /// A `SpotifyMcp` as the API server would return it (defaults applied, uid set).
    pub fn object(spec: serde_json::Value) -> SpotifyMcp {
        let spec: SpotifyMcpSpec = serde_json::from_value(spec).expect("test spec is valid");
        let mut smcp = SpotifyMcp::new("music", spec);
        smcp.metadata.namespace = Some("media".to_owned());
        smcp.metadata.uid = Some("2b1e6f7e-0000-4000-8000-000000000001".to_owned());
        smcp.metadata.generation = Some(3);
        smcp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_cover_every_service_dns_form_with_and_without_port() {
        let hosts = service_host_names("music", "media", 8000, "cluster.local");
        assert_eq!(
            hosts,
            [
                "music:8000",
                "music",
                "music.media:8000",
                "music.media",
                "music.media.svc:8000",
                "music.media.svc",
                "music.media.svc.cluster.local:8000",
                "music.media.svc.cluster.local",
            ]
        );
    }

    #[test]
    fn the_selector_string_is_the_selector_labels() {
        assert_eq!(
            selector_string("music"),
            "app.kubernetes.io/instance=music,app.kubernetes.io/name=spotify-mcp"
        );
    }

    #[test]
    fn exposed_hosts_come_from_the_enabled_ingress_and_route() {
        let smcp = testing::object(serde_json::json!({"sandbox": true,
            "ingress": {"enabled": true, "host": "mcp.example.com"},
            "httpRoute": {"enabled": true, "parentRefs": [{"name": "gw"}],
                          "hostnames": ["mcp.example.com", "mcp.example.org"]}}));
        assert_eq!(exposed_hosts(&smcp), ["mcp.example.com", "mcp.example.org"]);
        let off = testing::object(serde_json::json!({"sandbox": true,
            "ingress": {"enabled": false, "host": "mcp.example.com"},
            "httpRoute": {"enabled": false, "hostnames": ["mcp.example.org"]}}));
        assert!(exposed_hosts(&off).is_empty());
    }

    fn hosted(enabled: bool) -> SpotifyMcp {
        testing::object(serde_json::json!({"sandbox": true,
            "hosted": {"enabled": enabled, "publicUrl": "https://mcp.example.com/",
                       "keysSecretRef": {"name": "oauth", "key": "keys"}}}))
    }

    #[test]
    fn the_redirect_uri_exists_in_hosted_mode_only() {
        assert_eq!(redirect_uri(&hosted(false)), None);
        assert_eq!(
            redirect_uri(&hosted(true)).as_deref(),
            Some("https://mcp.example.com/oauth/callback")
        );
    }

    #[test]
    fn hosted_mode_routes_the_oauth_paths_too() {
        assert_eq!(routed_paths(&hosted(false)), [(MCP_PATH, PathKind::Prefix)]);
        assert_eq!(
            routed_paths(&hosted(true)),
            [
                ("/mcp", PathKind::Prefix),
                ("/.well-known/oauth-protected-resource", PathKind::Prefix),
                ("/.well-known/oauth-authorization-server", PathKind::Exact),
                ("/oauth", PathKind::Prefix),
            ]
        );
    }

    #[test]
    fn standard_labels_win_over_user_labels() {
        let extra = BTreeMap::from([
            ("app.kubernetes.io/instance".to_owned(), "hijack".to_owned()),
            ("team".to_owned(), "audio".to_owned()),
        ]);
        let labels = merged_labels("music", &extra);
        assert_eq!(labels["app.kubernetes.io/instance"], "music");
        assert_eq!(labels["team"], "audio");
        assert_eq!(labels[MANAGED_BY_LABEL], MANAGER);
    }

    #[test]
    fn owner_reference_is_a_controller_reference() {
        let smcp = testing::object(serde_json::json!({"sandbox": true}));
        let owner = owner_reference(&smcp).expect("owner ref");
        assert_eq!(owner.kind, "SpotifyMcp");
        assert_eq!(owner.api_version, "spotifymcp.dev/v1alpha1");
        assert_eq!(owner.controller, Some(true));
        assert_eq!(owner.uid, "2b1e6f7e-0000-4000-8000-000000000001");
    }

    #[test]
    fn objects_without_uid_or_namespace_are_rejected() {
        let mut smcp = testing::object(serde_json::json!({"sandbox": true}));
        smcp.metadata.uid = None;
        assert_eq!(
            owner_reference(&smcp),
            Err(BuildError::MissingMetadata("uid"))
        );
        smcp.metadata.namespace = None;
        assert_eq!(
            child_meta(&smcp, &BTreeMap::new()).err(),
            Some(BuildError::MissingMetadata("namespace"))
        );
    }
}
