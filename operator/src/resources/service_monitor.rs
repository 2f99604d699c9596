//! The Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1) that scrapes the server.
//!
//! k8s-openapi has no type for it, so this module declares the small typed subset the operator
//! writes. `schema = "disabled"`: the CRD belongs to the Prometheus Operator, never to us; the
//! derive only provides `kube::Resource` so the typed `Api<ServiceMonitor>` works. Unknown fields
//! of real objects are ignored when reading.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::{BuildError, METRICS_JOB, PORT_NAME, child_meta, name_and_namespace, selector_labels};
use crate::crd::SpotifyMcp;

/// Group of the ServiceMonitor API.
pub const GROUP: &str = "monitoring.coreos.com";
/// Version of the ServiceMonitor API.
pub const VERSION: &str = "v1";
/// Plural resource name, as in `servicemonitors.monitoring.coreos.com`.
pub const PLURAL: &str = "servicemonitors";

/// The subset of the ServiceMonitor spec the operator manages.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    plural = "servicemonitors",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Services to scrape.
    pub selector: LabelSelector,
    /// Namespaces to look for those Services in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Scrape endpoints.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// Namespaces a ServiceMonitor selects Services from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Namespace names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_names: Vec<String>,
}

/// One scrape endpoint of a ServiceMonitor.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Name of the Service port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// HTTP path to scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// http or https.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Scrape interval (Prometheus duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Scrape timeout (Prometheus duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    /// Relabelings of the targets before scraping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relabelings: Vec<RelabelConfig>,
}

/// One relabeling step of a scrape endpoint (the subset the operator sets).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RelabelConfig {
    /// What to do: `replace` sets `targetLabel` to `replacement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The label written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    /// The value written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// The desired ServiceMonitor of `smcp` (whether one should exist at all is the controller's call,
/// from `spec.metrics.serviceMonitor.enabled`).
pub fn build(smcp: &SpotifyMcp) -> Result<ServiceMonitor, BuildError> {
    let (name, namespace) = name_and_namespace(smcp)?;
    let sm = &smcp.spec.metrics.service_monitor;
    let metadata = child_meta(smcp, &sm.labels)?;
    Ok(ServiceMonitor {
        metadata,
        spec: ServiceMonitorSpec {
            selector: LabelSelector {
                match_labels: Some(selector_labels(name)),
                ..LabelSelector::default()
            },
            namespace_selector: Some(NamespaceSelector {
                match_names: vec![namespace.to_owned()],
            }),
            endpoints: vec![Endpoint {
                port: Some(PORT_NAME.to_owned()),
                path: Some("/metrics".to_owned()),
                scheme: Some("http".to_owned()),
                interval: Some(sm.interval.clone()),
                scrape_timeout: Some(sm.scrape_timeout.clone()),
                // The job the alert rules and the dashboard of infra/ select.
                relabelings: vec![RelabelConfig {
                    action: Some("replace".to_owned()),
                    target_label: Some("job".to_owned()),
                    replacement: Some(METRICS_JOB.to_owned()),
                }],
            }],
        },
    })
}

/// The `ApiResource` of ServiceMonitors, for discovery checks.
pub fn api_resource() -> kube::core::ApiResource {
    kube::core::ApiResource::erase::<ServiceMonitor>(&())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{MANAGED_BY_LABEL, service, testing::object};
    use serde_json::json;

    #[test]
    fn scrapes_the_service_port_at_the_configured_interval_with_extra_labels() {
        let smcp = object(json!({
            "sandbox": true,
            "metrics": {"serviceMonitor": {"enabled": true, "interval": "15s", "scrapeTimeout": "5s",
                        "labels": {"release": "kube-prometheus-stack", "app.kubernetes.io/name": "x"}}}
        }));
        let sm = build(&smcp).expect("builds");
        let labels = sm.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels["release"], "kube-prometheus-stack");
        assert_eq!(labels["app.kubernetes.io/name"], "spotify-mcp");
        assert_eq!(labels[MANAGED_BY_LABEL], "spotify-mcp-operator");
        let ep = &sm.spec.endpoints[0];
        assert_eq!(ep.interval.as_deref(), Some("15s"));
        assert_eq!(ep.scrape_timeout.as_deref(), Some("5s"));
        assert_eq!(ep.path.as_deref(), Some("/metrics"));
        assert_eq!(
            sm.spec
                .namespace_selector
                .as_ref()
                .map(|n| n.match_names.clone()),
            Some(vec!["media".to_owned()])
        );

        // It selects exactly the Service's own labels, on the Service's port name.
        let svc = service::build(&smcp).expect("service");
        let svc_labels = svc.metadata.labels.expect("labels");
        for (k, v) in sm.spec.selector.match_labels.as_ref().expect("selector") {
            assert_eq!(svc_labels.get(k), Some(v));
        }
        let port_name = svc.spec.and_then(|s| s.ports).expect("ports")[0]
            .name
            .clone();
        assert_eq!(ep.port, port_name);
    }

    #[test]
    fn serializes_with_the_prometheus_operator_api_version() {
        let sm = build(&object(json!({"sandbox": true}))).expect("builds");
        let value = serde_json::to_value(&sm).expect("json");
        assert_eq!(value["apiVersion"], "monitoring.coreos.com/v1");
        assert_eq!(value["kind"], "ServiceMonitor");
        assert_eq!(value["spec"]["endpoints"][0]["scrapeTimeout"], "10s");
        assert_eq!(api_resource().plural, PLURAL);
        assert_eq!(api_resource().group, GROUP);
        assert_eq!(api_resource().version, VERSION);
    }
}
