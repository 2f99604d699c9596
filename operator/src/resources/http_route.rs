//! The Gateway API HTTPRoute (gateway.networking.k8s.io/v1) of `spec.httpRoute`: `/mcp` (and in
//! hosted mode the OAuth paths) on the given host names, from the given Gateways, to the Service.
//!
//! k8s-openapi has no type for it, so this module declares the small typed subset the operator
//! writes, like [`super::service_monitor`]. `schema = "disabled"`: the CRD belongs to the Gateway
//! API installation, never to us.

use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::{BuildError, PathKind, child_meta, name_and_namespace, routed_paths};
use crate::crd::SpotifyMcp;

/// Group of the HTTPRoute API.
pub const GROUP: &str = "gateway.networking.k8s.io";
/// Version of the HTTPRoute API.
pub const VERSION: &str = "v1";
/// Plural resource name, as in `httproutes.gateway.networking.k8s.io`.
pub const PLURAL: &str = "httproutes";

/// The subset of the HTTPRoute spec the operator manages.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "gateway.networking.k8s.io",
    version = "v1",
    kind = "HTTPRoute",
    plural = "httproutes",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct HTTPRouteSpec {
    /// Gateways the route attaches to.
    #[serde(default)]
    pub parent_refs: Vec<ParentReference>,
    /// Host names the route matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Matching requests and where they go.
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

/// A Gateway (or one listener of it) a route attaches to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    /// Name of the Gateway.
    pub name: String,
    /// Its namespace (the route's when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of a listener of the Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// One rule of a route.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule {
    /// Requests the rule applies to.
    #[serde(default)]
    pub matches: Vec<RouteMatch>,
    /// Where they go.
    #[serde(default)]
    pub backend_refs: Vec<BackendRef>,
}

/// A request match (the path only).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RouteMatch {
    /// Path match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathMatch>,
}

/// A path match: `PathPrefix` or `Exact` and the path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PathMatch {
    /// Match type.
    #[serde(rename = "type")]
    pub type_: String,
    /// The path.
    pub value: String,
}

/// A Service the rule forwards to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    /// Service name (same namespace).
    pub name: String,
    /// Service port.
    pub port: i32,
}

/// Whether `smcp` should have an HTTPRoute.
pub fn wanted(smcp: &SpotifyMcp) -> bool {
    smcp.spec.http_route.enabled
}

/// The desired HTTPRoute of `smcp` (whether one should exist is [`wanted`]).
pub fn build(smcp: &SpotifyMcp) -> Result<HTTPRoute, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec.http_route;
    Ok(HTTPRoute {
        metadata: child_meta(smcp, &Default::default())?,
        spec: HTTPRouteSpec {
            parent_refs: spec
                .parent_refs
                .iter()
                .map(|p| ParentReference {
                    name: p.name.clone(),
                    namespace: p.namespace.clone(),
                    section_name: p.section_name.clone(),
                })
                .collect(),
            hostnames: spec.hostnames.iter().map(|h| h.0.clone()).collect(),
            // One rule: its matches are alternatives, all going to the Service.
            rules: vec![RouteRule {
                matches: routed_paths(smcp)
                    .into_iter()
                    .map(|(path, kind)| RouteMatch {
                        path: Some(PathMatch {
                            type_: match kind {
                                PathKind::Prefix => "PathPrefix",
                                PathKind::Exact => "Exact",
                            }
                            .to_owned(),
                            value: path.to_owned(),
                        }),
                    })
                    .collect(),
                backend_refs: vec![BackendRef {
                    name: name.to_owned(),
                    port: smcp.spec.service.port,
                }],
            }],
        },
    })
}

/// The `ApiResource` of HTTPRoutes, for discovery checks.
pub fn api_resource() -> kube::core::ApiResource {
    kube::core::ApiResource::erase::<HTTPRoute>(&())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use serde_json::json;

    #[test]
    fn routes_mcp_from_the_gateways_to_the_service() {
        let smcp = object(json!({"sandbox": true, "httpRoute": {"enabled": true,
            "parentRefs": [{"name": "public", "namespace": "gateways", "sectionName": "https"}],
            "hostnames": ["mcp.example.com"]}}));
        assert!(wanted(&smcp));
        let value = serde_json::to_value(build(&smcp).expect("builds")).expect("json");
        assert_eq!(value["apiVersion"], "gateway.networking.k8s.io/v1");
        assert_eq!(value["kind"], "HTTPRoute");
        assert_eq!(
            value["metadata"]["ownerReferences"][0]["kind"],
            "SpotifyMcp"
        );
        assert_eq!(
            value["spec"],
            json!({
                "parentRefs": [{"name": "public", "namespace": "gateways", "sectionName": "https"}],
                "hostnames": ["mcp.example.com"],
                "rules": [{
                    "matches": [{"path": {"type": "PathPrefix", "value": "/mcp"}}],
                    "backendRefs": [{"name": "music", "port": 8000}]
                }]
            })
        );
        assert_eq!(api_resource().plural, PLURAL);
        assert_eq!(api_resource().group, GROUP);
        assert_eq!(api_resource().version, VERSION);
        assert!(!wanted(&object(json!({"sandbox": true}))));
    }

    #[test]
    fn hosted_mode_also_routes_the_oauth_paths_to_the_service() {
        let smcp = object(json!({"sandbox": true, "httpRoute": {"enabled": true,
            "parentRefs": [{"name": "public"}], "hostnames": ["mcp.example.com"]},
            "hosted": {"enabled": true, "publicUrl": "https://mcp.example.com",
                       "keysSecretRef": {"name": "oauth", "key": "keys"}}}));
        let value = serde_json::to_value(build(&smcp).expect("builds")).expect("json");
        assert_eq!(
            value["spec"]["rules"],
            json!([{
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/mcp"}},
                    {"path": {"type": "PathPrefix", "value": "/.well-known/oauth-protected-resource"}},
                    {"path": {"type": "Exact", "value": "/.well-known/oauth-authorization-server"}},
                    {"path": {"type": "PathPrefix", "value": "/oauth"}}
                ],
                "backendRefs": [{"name": "music", "port": 8000}]
            }])
        );
    }
}
