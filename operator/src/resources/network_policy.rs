//! The NetworkPolicy (networking.k8s.io/v1) of `spec.networkPolicy`: the server pods accept
//! connections on their port only from the listed peers, the monitoring namespace and the
//! operator's own pods (which read each server's `/status` for the `SpotifyReachable` condition).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{BuildError, BuildParams, child_meta, name_and_namespace, selector_labels};
use crate::crd::{CONTAINER_PORT, SpotifyMcp};

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Labels of the operator's pods as its chart (charts/spotify-mcp-operator) sets them, whatever
/// the release is called: the NetworkPolicy admits pods with these labels in the operator's
/// namespace.
pub const OPERATOR_POD_LABELS: [(&str, &str); 2] = [
    ("app.kubernetes.io/component", "operator"),
    ("app.kubernetes.io/part-of", "spotify-mcp"),
];

fn match_labels(labels: impl IntoIterator<Item = (String, String)>) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: Some(labels.into_iter().collect()),
        ..LabelSelector::default()
    })
}

/// Whether `smcp` should have a NetworkPolicy.
pub fn wanted(smcp: &SpotifyMcp) -> bool {
    smcp.spec.network_policy.enabled
}

/// The desired NetworkPolicy of `smcp` (whether one should exist is [`wanted`]).
pub fn build(smcp: &SpotifyMcp, params: &BuildParams) -> Result<NetworkPolicy, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec.network_policy;
    let mut from: Vec<NetworkPolicyPeer> = spec
        .from
        .iter()
        .map(|peer| NetworkPolicyPeer {
            namespace_selector: peer.namespace_selector.clone(),
            pod_selector: peer.pod_selector.clone(),
            ip_block: None,
        })
        .collect();
    if !spec.monitoring_namespace.is_empty() {
        from.push(NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    NAMESPACE_NAME_LABEL.to_owned(),
                    spec.monitoring_namespace.clone(),
                )])),
                ..LabelSelector::default()
            }),
            ..NetworkPolicyPeer::default()
        });
    }
    if let Some(namespace) = &params.operator_namespace {
        from.push(NetworkPolicyPeer {
            namespace_selector: match_labels([(
                NAMESPACE_NAME_LABEL.to_owned(),
                namespace.clone(),
            )]),
            pod_selector: match_labels(
                OPERATOR_POD_LABELS.map(|(k, v)| (k.to_owned(), v.to_owned())),
            ),
            ip_block: None,
        });
    }
    // No peer at all: no rule, which with policyTypes [Ingress] denies all ingress. (An empty
    // `from` would mean "from anywhere", and an empty `ingress: []` is not stored by the API
    // server, so the applied object would never match the live one.)
    let ingress = if from.is_empty() {
        None
    } else {
        Some(vec![NetworkPolicyIngressRule {
            from: Some(from),
            ports: Some(vec![NetworkPolicyPort {
                port: Some(IntOrString::Int(CONTAINER_PORT)),
                protocol: Some("TCP".to_owned()),
                end_port: None,
            }]),
        }])
    };
    Ok(NetworkPolicy {
        metadata: child_meta(smcp, &BTreeMap::new())?,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector_labels(name)),
                ..LabelSelector::default()
            }),
            policy_types: Some(vec!["Ingress".to_owned()]),
            ingress,
            egress: None,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use serde_json::json;

    fn rule(np: &NetworkPolicy) -> NetworkPolicyIngressRule {
        np.spec
            .as_ref()
            .and_then(|s| s.ingress.clone())
            .expect("ingress")[0]
            .clone()
    }

    #[test]
    fn only_the_chosen_peers_and_the_monitoring_namespace_reach_port_8000() {
        let smcp = object(
            json!({"sandbox": true, "networkPolicy": {"enabled": true, "from": [
                {"namespaceSelector": {"matchLabels": {"team": "agents"}}},
                {"podSelector": {"matchLabels": {"app": "assistant"}}}
            ]}}),
        );
        assert!(wanted(&smcp));
        let np = build(&smcp, &BuildParams::default()).expect("builds");
        let spec = np.spec.as_ref().expect("spec");
        assert_eq!(
            spec.pod_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(selector_labels("music"))
        );
        assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned()]));
        let rule = rule(&np);
        let ports = rule.ports.expect("ports");
        assert_eq!(ports[0].port, Some(IntOrString::Int(8000)));
        let from = rule.from.expect("from");
        assert_eq!(from.len(), 3);
        let labels = |s: &Option<LabelSelector>| s.as_ref().and_then(|s| s.match_labels.clone());
        assert_eq!(
            labels(&from[0].namespace_selector),
            Some(BTreeMap::from([("team".into(), "agents".into())]))
        );
        assert!(from[0].pod_selector.is_none());
        assert_eq!(
            labels(&from[1].pod_selector),
            Some(BTreeMap::from([("app".into(), "assistant".into())]))
        );
        assert_eq!(
            labels(&from[2].namespace_selector),
            Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                "monitoring".into()
            )]))
        );
    }

    #[test]
    fn the_monitoring_namespace_is_configurable_and_can_be_left_out() {
        let smcp = object(json!({"sandbox": true, "networkPolicy": {"enabled": true,
            "monitoringNamespace": "observability"}}));
        let from = rule(&build(&smcp, &BuildParams::default()).expect("builds"))
            .from
            .expect("from");
        assert_eq!(from.len(), 1);
        assert_eq!(
            from[0]
                .namespace_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                "observability".into()
            )]))
        );
        let closed = object(json!({"sandbox": true, "networkPolicy": {"enabled": true,
            "monitoringNamespace": ""}}));
        let np = build(&closed, &BuildParams::default()).expect("builds");
        let spec = np.spec.expect("spec");
        assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned()]));
        assert_eq!(spec.ingress, None, "no rule: denies all ingress");
        assert!(!wanted(&object(json!({"sandbox": true}))));
    }

    #[test]
    fn the_operator_pods_are_admitted_when_the_operator_knows_its_namespace() {
        let params = BuildParams {
            operator_namespace: Some("spotify-mcp-system".to_owned()),
            ..BuildParams::default()
        };
        let closed = object(json!({"sandbox": true, "networkPolicy": {"enabled": true,
            "monitoringNamespace": ""}}));
        let from = rule(&build(&closed, &params).expect("builds"))
            .from
            .expect("from");
        assert_eq!(from.len(), 1);
        let labels = |s: &Option<LabelSelector>| s.as_ref().and_then(|s| s.match_labels.clone());
        assert_eq!(
            labels(&from[0].namespace_selector),
            Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                "spotify-mcp-system".into()
            )]))
        );
        // Both selectors in one peer: those pods in that namespace, not either.
        assert_eq!(
            labels(&from[0].pod_selector),
            Some(BTreeMap::from([
                ("app.kubernetes.io/component".into(), "operator".into()),
                ("app.kubernetes.io/part-of".into(), "spotify-mcp".into())
            ]))
        );
        let ports = rule(&build(&closed, &params).expect("builds"))
            .ports
            .expect("ports");
        assert_eq!(ports[0].port, Some(IntOrString::Int(8000)));
    }
}
