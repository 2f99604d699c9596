//! The Ingress (networking.k8s.io/v1) of `spec.ingress`: `/mcp` (and in hosted mode the OAuth
//! paths) on one host to the Service.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};

use super::{BuildError, PathKind, child_meta, name_and_namespace, routed_paths};
use crate::crd::SpotifyMcp;

/// Whether `smcp` should have an Ingress.
pub fn wanted(smcp: &SpotifyMcp) -> bool {
    smcp.spec.ingress.enabled
}

/// The desired Ingress of `smcp` (whether one should exist is [`wanted`]).
pub fn build(smcp: &SpotifyMcp) -> Result<Ingress, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec.ingress;
    let host = spec.host.as_ref().map(|h| h.0.clone());
    let mut metadata = child_meta(smcp, &Default::default())?;
    if !spec.annotations.is_empty() {
        metadata.annotations = Some(spec.annotations.clone());
    }
    let paths = routed_paths(smcp)
        .into_iter()
        .map(|(path, kind)| HTTPIngressPath {
            path: Some(path.to_owned()),
            path_type: match kind {
                PathKind::Prefix => "Prefix",
                PathKind::Exact => "Exact",
            }
            .to_owned(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: name.to_owned(),
                    port: Some(ServiceBackendPort {
                        number: Some(smcp.spec.service.port),
                        name: None,
                    }),
                }),
                resource: None,
            },
        })
        .collect();
    Ok(Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: spec.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: host.clone(),
                http: Some(HTTPIngressRuleValue { paths }),
            }]),
            tls: spec.tls_secret_name.as_ref().map(|secret| {
                vec![IngressTLS {
                    hosts: host.map(|h| vec![h]),
                    secret_name: Some(secret.clone()),
                }]
            }),
            default_backend: None,
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use serde_json::json;

    #[test]
    fn routes_mcp_on_the_host_to_the_service_port() {
        let smcp = object(
            json!({"sandbox": true, "service": {"port": 80}, "ingress": {
            "enabled": true, "className": "nginx", "host": "mcp.example.com",
            "tlsSecretName": "mcp-tls", "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"}}}),
        );
        assert!(wanted(&smcp));
        let ing = build(&smcp).expect("builds");
        assert_eq!(ing.metadata.annotations.as_ref().map(|a| a.len()), Some(1));
        let spec = ing.spec.expect("spec");
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        let rule = &spec.rules.expect("rules")[0];
        assert_eq!(rule.host.as_deref(), Some("mcp.example.com"));
        let path = &rule.http.as_ref().expect("http").paths[0];
        assert_eq!(
            (path.path.as_deref(), path.path_type.as_str()),
            (Some("/mcp"), "Prefix")
        );
        let backend = path.backend.service.as_ref().expect("service backend");
        assert_eq!(backend.name, "music");
        assert_eq!(backend.port.as_ref().and_then(|p| p.number), Some(80));
        let tls = &spec.tls.expect("tls")[0];
        assert_eq!(tls.secret_name.as_deref(), Some("mcp-tls"));
        assert_eq!(tls.hosts, Some(vec!["mcp.example.com".to_owned()]));
    }

    #[test]
    fn hosted_mode_also_routes_the_oauth_paths_to_the_service() {
        let smcp = object(json!({"sandbox": true, "service": {"port": 80},
            "ingress": {"enabled": true, "host": "mcp.example.com"},
            "hosted": {"enabled": true, "publicUrl": "https://mcp.example.com",
                       "keysSecretRef": {"name": "oauth", "key": "keys"}}}));
        let spec = build(&smcp).expect("builds").spec.expect("spec");
        let rules = spec.rules.expect("rules");
        assert_eq!(rules.len(), 1, "one host");
        let paths: Vec<(&str, &str, &str, Option<i32>)> = rules[0]
            .http
            .as_ref()
            .expect("http")
            .paths
            .iter()
            .map(|p| {
                let backend = p.backend.service.as_ref().expect("service backend");
                (
                    p.path.as_deref().expect("path"),
                    p.path_type.as_str(),
                    backend.name.as_str(),
                    backend.port.as_ref().and_then(|p| p.number),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("/mcp", "Prefix", "music", Some(80)),
                (
                    "/.well-known/oauth-protected-resource",
                    "Prefix",
                    "music",
                    Some(80)
                ),
                (
                    "/.well-known/oauth-authorization-server",
                    "Exact",
                    "music",
                    Some(80)
                ),
                ("/oauth", "Prefix", "music", Some(80)),
            ]
        );
    }

    #[test]
    fn plain_http_without_a_tls_secret() {
        let smcp =
            object(json!({"sandbox": true, "ingress": {"enabled": true, "host": "mcp.internal"}}));
        let ing = build(&smcp).expect("builds");
        assert!(ing.metadata.annotations.is_none());
        let spec = ing.spec.expect("spec");
        assert!(spec.tls.is_none());
        assert!(spec.ingress_class_name.is_none());
        assert!(!wanted(&object(json!({"sandbox": true}))));
    }
}
