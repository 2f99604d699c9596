//! The PodDisruptionBudget (policy/v1) of a server with more than one replica: voluntary
//! disruptions (node drains, cluster upgrades) take its pods down one at a time.

use std::collections::BTreeMap;

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{BuildError, child_meta, name_and_namespace, selector_labels};
use crate::crd::SpotifyMcp;

/// Whether `smcp` should have a PodDisruptionBudget: when it runs (or its autoscaler keeps) more
/// than one pod. With one pod, `maxUnavailable: 1` protects nothing and `0` would block every drain.
pub fn wanted(smcp: &SpotifyMcp) -> bool {
    let autoscaling = &smcp.spec.autoscaling;
    smcp.spec.replicas > 1 || (autoscaling.enabled && autoscaling.min_replicas > 1)
}

/// The desired PodDisruptionBudget of `smcp` (whether one should exist is [`wanted`]).
pub fn build(smcp: &SpotifyMcp) -> Result<PodDisruptionBudget, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    Ok(PodDisruptionBudget {
        metadata: child_meta(smcp, &BTreeMap::new())?,
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector_labels(name)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
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
    fn wanted_above_one_replica_or_one_autoscaled_minimum() {
        let cases = [
            (json!({"sandbox": true}), false),
            (json!({"sandbox": true, "replicas": 0}), false),
            (json!({"sandbox": true, "replicas": 2}), true),
            (
                json!({"sandbox": true, "autoscaling": {"enabled": true, "minReplicas": 2, "maxReplicas": 4, "targetCPUUtilizationPercentage": 80}}),
                true,
            ),
            (
                json!({"sandbox": true, "autoscaling": {"enabled": false, "minReplicas": 2, "maxReplicas": 4}}),
                false,
            ),
            (
                json!({"sandbox": true, "autoscaling": {"enabled": true, "minReplicas": 1, "maxReplicas": 4, "targetCPUUtilizationPercentage": 80}}),
                false,
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(wanted(&object(spec.clone())), want, "{spec}");
        }
    }

    #[test]
    fn one_pod_at_a_time_of_this_server() {
        let pdb = build(&object(json!({"sandbox": true, "replicas": 3}))).expect("builds");
        let spec = pdb.spec.expect("spec");
        assert_eq!(spec.max_unavailable, Some(IntOrString::Int(1)));
        assert!(spec.min_available.is_none());
        assert_eq!(
            spec.selector.and_then(|s| s.match_labels),
            Some(selector_labels("music"))
        );
    }
}
