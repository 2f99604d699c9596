//! The HorizontalPodAutoscaler (autoscaling/v2) of `spec.autoscaling`. It targets the SpotifyMcp
//! itself through its scale subresource, so the autoscaler writes `spec.replicas` and the operator
//! keeps deriving the Deployment's replicas from that one field (an HPA on the Deployment would
//! fight the operator's apply of `replicas`).

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};

use super::{BuildError, child_meta, name_and_namespace};
use crate::crd::{GROUP, SpotifyMcp, VERSION};

/// Whether `smcp` should have a HorizontalPodAutoscaler.
pub fn wanted(smcp: &SpotifyMcp) -> bool {
    smcp.spec.autoscaling.enabled
}

/// The desired HorizontalPodAutoscaler of `smcp` (whether one should exist is [`wanted`]).
pub fn build(smcp: &SpotifyMcp) -> Result<HorizontalPodAutoscaler, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec.autoscaling;
    let utilization = |resource: &str, percent: i32| MetricSpec {
        type_: "Resource".to_owned(),
        resource: Some(ResourceMetricSource {
            name: resource.to_owned(),
            target: MetricTarget {
                type_: "Utilization".to_owned(),
                average_utilization: Some(percent),
                ..MetricTarget::default()
            },
        }),
        ..MetricSpec::default()
    };
    let metrics: Vec<MetricSpec> = [
        ("cpu", spec.target_cpu_utilization_percentage),
        ("memory", spec.target_memory_utilization_percentage),
    ]
    .into_iter()
    .filter_map(|(resource, percent)| percent.map(|p| utilization(resource, p)))
    .collect();
    Ok(HorizontalPodAutoscaler {
        metadata: child_meta(smcp, &BTreeMap::new())?,
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(format!("{GROUP}/{VERSION}")),
                kind: "SpotifyMcp".to_owned(),
                name: name.to_owned(),
            },
            min_replicas: Some(spec.min_replicas),
            // The CRD requires maxReplicas once enabled; min is the safe reading of an object
            // that predates that rule.
            max_replicas: spec.max_replicas.unwrap_or(spec.min_replicas),
            metrics: Some(metrics),
            behavior: None,
        },
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use serde_json::json;

    #[test]
    fn scales_the_spotify_mcp_itself_on_the_chosen_metrics() {
        let smcp = object(json!({"sandbox": true, "autoscaling": {
            "enabled": true, "minReplicas": 2, "maxReplicas": 6,
            "targetCPUUtilizationPercentage": 70, "targetMemoryUtilizationPercentage": 80}}));
        assert!(wanted(&smcp));
        let hpa = build(&smcp).expect("builds");
        assert_eq!(hpa.metadata.name.as_deref(), Some("music"));
        let spec = hpa.spec;
        assert_eq!(
            spec.scale_target_ref,
            CrossVersionObjectReference {
                api_version: Some("spotifymcp.dev/v1alpha1".into()),
                kind: "SpotifyMcp".into(),
                name: "music".into(),
            }
        );
        assert_eq!((spec.min_replicas, spec.max_replicas), (Some(2), 6));
        let metrics: Vec<(String, Option<i32>)> = spec
            .metrics
            .expect("metrics")
            .into_iter()
            .map(|m| {
                let r = m.resource.expect("resource metric");
                assert_eq!(r.target.type_, "Utilization");
                (r.name, r.target.average_utilization)
            })
            .collect();
        assert_eq!(
            metrics,
            [("cpu".into(), Some(70)), ("memory".into(), Some(80))]
        );
    }

    #[test]
    fn only_the_metrics_that_are_set() {
        let smcp = object(json!({"sandbox": true, "autoscaling": {
            "enabled": true, "maxReplicas": 3, "targetMemoryUtilizationPercentage": 75}}));
        let spec = build(&smcp).expect("builds").spec;
        assert_eq!(spec.min_replicas, Some(1));
        let metrics = spec.metrics.expect("metrics");
        assert_eq!(metrics.len(), 1);
        assert_eq!(
            metrics[0].resource.as_ref().map(|r| r.name.as_str()),
            Some("memory")
        );
        assert!(!wanted(&object(json!({"sandbox": true}))));
    }
}
