//! The Service in front of the server pods: one port serving both /mcp and /metrics.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{BuildError, PORT_NAME, child_meta, name_and_namespace, selector_labels};
use crate::crd::SpotifyMcp;

/// The desired Service of `smcp`.
pub fn build(smcp: &SpotifyMcp) -> Result<Service, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec.service;
    let mut metadata = child_meta(smcp, &BTreeMap::new())?;
    if !spec.annotations.is_empty() {
        metadata.annotations = Some(spec.annotations.clone());
    }
    Ok(Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(spec.type_.as_str().to_owned()),
            selector: Some(selector_labels(name)),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.to_owned()),
                port: spec.port,
                target_port: Some(IntOrString::String(PORT_NAME.to_owned())),
                protocol: Some("TCP".to_owned()),
                app_protocol: Some("http".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{MANAGED_BY_LABEL, testing::object};
    use serde_json::json;

    #[test]
    fn selects_the_server_pods_on_the_named_port() {
        let svc = build(&object(json!({"sandbox": true}))).expect("builds");
        assert_eq!(svc.metadata.name.as_deref(), Some("music"));
        assert_eq!(svc.metadata.namespace.as_deref(), Some("media"));
        assert_eq!(
            svc.metadata
                .labels
                .as_ref()
                .map(|l| l[MANAGED_BY_LABEL].as_str()),
            Some("spotify-mcp-operator")
        );
        assert!(svc.metadata.annotations.is_none());
        let spec = svc.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.selector, Some(selector_labels("music")));
        let port = &spec.ports.expect("ports")[0];
        assert_eq!(port.port, 8000);
        assert_eq!(port.name.as_deref(), Some(PORT_NAME));
        assert_eq!(
            port.target_port,
            Some(IntOrString::String(PORT_NAME.to_owned()))
        );
    }

    #[test]
    fn type_port_and_annotations_come_from_the_spec() {
        let svc = build(&object(json!({
            "sandbox": true,
            "service": {"type": "LoadBalancer", "port": 443, "annotations": {"lb": "internal"}}
        })))
        .expect("builds");
        assert_eq!(
            svc.metadata.annotations.as_ref().map(|a| a["lb"].as_str()),
            Some("internal")
        );
        let spec = svc.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
        assert_eq!(spec.ports.expect("ports")[0].port, 443);
    }
}
