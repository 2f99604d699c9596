//! The build step of the reconcile: a `SpotifyMcp` and what the operator dereferenced for it
//! (the Secrets' digest and authorisation date) in, every child it should have out. Pure: the
//! controller applies what [`build`] returns and deletes the optional children it leaves out.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::http_route::{self, HTTPRoute};
use super::prometheus_rule::{self, PrometheusRule};
use super::service_monitor::{self, ServiceMonitor};
use super::{
    BuildError, BuildParams, autoscaler, deployment, disruption_budget, ingress, network_policy,
    service,
};
use crate::crd::SpotifyMcp;
use crate::crd::yaml::{self, YamlError};
use crate::secrets::{self, Dereferenced};

/// Every child of one `SpotifyMcp`. An optional child is `None` when the spec does not want it
/// (the controller then deletes the one it made, if any).
#[derive(Clone, Debug)]
pub struct Children {
    /// The server Deployment.
    pub deployment: Deployment,
    /// The server Service.
    pub service: Service,
    /// `spec.metrics.serviceMonitor.enabled`.
    pub service_monitor: Option<ServiceMonitor>,
    /// `spec.metrics.prometheusRule.enabled`.
    pub prometheus_rule: Option<PrometheusRule>,
    /// `spec.httpRoute.enabled`.
    pub http_route: Option<HTTPRoute>,
    /// `spec.autoscaling.enabled`.
    pub autoscaler: Option<HorizontalPodAutoscaler>,
    /// More than one replica may run.
    pub disruption_budget: Option<PodDisruptionBudget>,
    /// `spec.networkPolicy.enabled`.
    pub network_policy: Option<NetworkPolicy>,
    /// `spec.ingress.enabled`.
    pub ingress: Option<Ingress>,
}

/// The children `smcp` should have, given the operator's `params` and what was dereferenced.
pub fn build(
    smcp: &SpotifyMcp,
    params: &BuildParams,
    inputs: &Dereferenced,
) -> Result<Children, BuildError> {
    let mut deployment = deployment::build(smcp, params, &inputs.digest.hash)?;
    secrets::pass_authorized_at(&mut deployment, &inputs.authorization);
    let spec = &smcp.spec;
    Ok(Children {
        deployment,
        service: service::build(smcp)?,
        service_monitor: when(
            spec.metrics.service_monitor.enabled,
            service_monitor::build,
            smcp,
        )?,
        prometheus_rule: when(
            spec.metrics.prometheus_rule.enabled,
            prometheus_rule::build,
            smcp,
        )?,
        http_route: when(http_route::wanted(smcp), http_route::build, smcp)?,
        autoscaler: when(autoscaler::wanted(smcp), autoscaler::build, smcp)?,
        disruption_budget: when(
            disruption_budget::wanted(smcp),
            disruption_budget::build,
            smcp,
        )?,
        network_policy: network_policy::wanted(smcp)
            .then(|| network_policy::build(smcp, params))
            .transpose()?,
        ingress: when(ingress::wanted(smcp), ingress::build, smcp)?,
    })
}

fn when<K>(
    wanted: bool,
    build: fn(&SpotifyMcp) -> Result<K, BuildError>,
    smcp: &SpotifyMcp,
) -> Result<Option<K>, BuildError> {
    wanted.then(|| build(smcp)).transpose()
}

impl Children {
    /// The children as a multi-document YAML stream, in a fixed order (Deployment, Service, then
    /// the optional ones present): what `kubectl apply -f` would take, and what the golden files
    /// of `operator/tests/golden/` hold.
    pub fn to_yaml(&self) -> Result<String, YamlError> {
        let mut out = String::new();
        out.push_str(&yaml::to_yaml(&self.deployment)?);
        out.push_str(&yaml::to_yaml(&self.service)?);
        let optional = [
            self.service_monitor.as_ref().map(yaml::to_yaml),
            self.prometheus_rule.as_ref().map(yaml::to_yaml),
            self.http_route.as_ref().map(yaml::to_yaml),
            self.autoscaler.as_ref().map(yaml::to_yaml),
            self.disruption_budget.as_ref().map(yaml::to_yaml),
            self.network_policy.as_ref().map(yaml::to_yaml),
            self.ingress.as_ref().map(yaml::to_yaml),
        ];
        for document in optional.into_iter().flatten() {
            out.push_str(&document?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use crate::secrets::{Authorization, SecretDigest};
    use serde_json::json;

    fn inputs() -> Dereferenced {
        Dereferenced {
            digest: SecretDigest {
                hash: "h".to_owned(),
                missing_secrets: Vec::new(),
            },
            authorization: Authorization::NotApplicable,
        }
    }

    #[test]
    fn the_smallest_object_gets_a_deployment_and_a_service_only() {
        let children = build(
            &object(json!({"sandbox": true})),
            &BuildParams::default(),
            &inputs(),
        )
        .expect("builds");
        assert!(children.service_monitor.is_none() && children.prometheus_rule.is_none());
        assert!(children.http_route.is_none() && children.autoscaler.is_none());
        assert!(children.disruption_budget.is_none() && children.network_policy.is_none());
        assert!(children.ingress.is_none());
        let yaml = children.to_yaml().expect("renders");
        assert_eq!(yaml.matches("---\n").count(), 2, "{yaml}");
        assert!(
            yaml.starts_with("---\napiVersion: apps/v1\nkind: Deployment\n"),
            "{yaml}"
        );
    }

    #[test]
    fn every_enabled_child_is_built_and_the_authorisation_date_reaches_the_server() {
        let smcp = object(json!({"sandbox": true, "replicas": 2,
            "metrics": {"serviceMonitor": {"enabled": true}, "prometheusRule": {"enabled": true}},
            "httpRoute": {"enabled": true, "parentRefs": [{"name": "gw"}], "hostnames": ["mcp.example.com"]},
            "autoscaling": {"enabled": true, "maxReplicas": 4, "targetCPUUtilizationPercentage": 70},
            "networkPolicy": {"enabled": true},
            "ingress": {"enabled": true, "host": "mcp.example.com"}}));
        let at: jiff::Timestamp = "2026-06-01T10:00:00Z".parse().expect("time");
        let dereferenced = Dereferenced {
            authorization: Authorization::At {
                secret: "spotify".to_owned(),
                at,
            },
            ..inputs()
        };
        let children = build(&smcp, &BuildParams::default(), &dereferenced).expect("builds");
        assert!(children.service_monitor.is_some() && children.prometheus_rule.is_some());
        assert!(children.http_route.is_some() && children.autoscaler.is_some());
        assert!(children.disruption_budget.is_some() && children.network_policy.is_some());
        assert!(children.ingress.is_some());
        assert_eq!(
            children
                .to_yaml()
                .expect("renders")
                .matches("---\n")
                .count(),
            9
        );
        let env = serde_json::to_value(&children.deployment).expect("json")["spec"]["template"]
            ["spec"]["containers"][0]["env"]
            .clone();
        assert!(
            env.as_array()
                .expect("env")
                .iter()
                .any(|e| e["name"] == secrets::AUTHORIZED_AT_ENV
                    && e["value"] == "2026-06-01T10:00:00Z"),
            "{env}"
        );
    }
}
