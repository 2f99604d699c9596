//! The Ingress (networking.k8s.io/v1) of `spec.ingress`: `/mcp` on one host to the Service.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};

use super::{BuildError, MCP_PATH, child_meta, name_and_namespace};
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
    let path = HTTPIngressPath {
        path: Some(MCP_PATH.to_owned()),
        path_type: "Prefix".to_owned(),
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
    };
    Ok(Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: spec.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: host.clone(),
                http: Some(HTTPIngressRuleValue { paths: vec![path] }),
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
