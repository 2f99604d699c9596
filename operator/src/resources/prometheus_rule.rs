//! The Prometheus Operator PrometheusRule (monitoring.coreos.com/v1) with the server's alert rules.
//!
//! The rules are the repository's `infra/prometheus/alerts.yml`, compiled in, so the compose setup,
//! the charts (which ship copies made by `scripts/generate.sh`) and the operator alert alike. Each
//! `job="spotify-mcp-server"` selector is narrowed to the SpotifyMcp's namespace and Service (labels
//! the Prometheus Operator puts on every target of a ServiceMonitor), so the rules of one server
//! never fire for another.
//!
//! As for the ServiceMonitor, the type is a typed subset with `schema = "disabled"`: the CRD belongs
//! to the Prometheus Operator.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::{BuildError, METRICS_JOB, child_meta, name_and_namespace};
use crate::crd::SpotifyMcp;

/// Group of the PrometheusRule API.
pub const GROUP: &str = "monitoring.coreos.com";
/// Version of the PrometheusRule API.
pub const VERSION: &str = "v1";
/// Plural resource name, as in `prometheusrules.monitoring.coreos.com`.
pub const PLURAL: &str = "prometheusrules";

/// `infra/prometheus/alerts.yml`, the one source of the alert rules.
pub const ALERT_RULES: &str = include_str!("../../../infra/prometheus/alerts.yml");

/// The subset of the PrometheusRule spec the operator manages.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    plural = "prometheusrules",
    namespaced,
    schema = "disabled"
)]
pub struct PrometheusRuleSpec {
    /// Rule groups, as in a Prometheus rule file.
    #[serde(default)]
    pub groups: Vec<RuleGroup>,
}

/// A group of rules, evaluated together (the fields of a Prometheus rule file's group).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct RuleGroup {
    /// Group name, unique within the PrometheusRule.
    pub name: String,
    /// Evaluation interval; unset means Prometheus's global one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// An alerting or recording rule. The field names are Prometheus's (`for`, `keep_firing_for`),
/// which the PrometheusRule CRD keeps.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Rule {
    /// Name of the alert (alerting rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// Name of the recorded series (recording rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// PromQL expression.
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// How long the alert keeps firing after the expression stopped holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<String>,
    /// Labels added to the alert.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations of the alert (Go templates, evaluated by Prometheus).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A Prometheus rule file: what `infra/prometheus/alerts.yml` is.
#[derive(Deserialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

/// The selector every rule of the alert file uses for the server's series.
fn job_selector() -> String {
    format!("job=\"{METRICS_JOB}\"")
}

/// [`ALERT_RULES`] parsed once; an error is a broken source file (the unit tests parse it too).
static GROUPS: LazyLock<Result<Vec<RuleGroup>, String>> = LazyLock::new(|| {
    let file: RuleFile = serde_norway::from_str(ALERT_RULES).map_err(|e| e.to_string())?;
    let selector = job_selector();
    match file
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .find(|r| !r.expr.contains(&selector))
    {
        // A rule without the job selector cannot be narrowed to one server.
        Some(rule) => Err(format!(
            "rule {} does not select {selector}",
            rule.alert
                .as_deref()
                .or(rule.record.as_deref())
                .unwrap_or("?")
        )),
        None => Ok(file.groups),
    }
});

/// `expr` with every job selector narrowed to the server `service` in `namespace`.
fn scoped(expr: &str, namespace: &str, service: &str) -> String {
    let selector = job_selector();
    expr.replace(
        &selector,
        &format!("{selector}, namespace=\"{namespace}\", service=\"{service}\""),
    )
}

/// The desired PrometheusRule of `smcp` (whether one should exist at all is the controller's call,
/// from `spec.metrics.prometheusRule.enabled`).
pub fn build(smcp: &SpotifyMcp) -> Result<PrometheusRule, BuildError> {
    let (name, namespace) = name_and_namespace(smcp)?;
    let metadata = child_meta(smcp, &smcp.spec.metrics.prometheus_rule.labels)?;
    let mut groups = GROUPS.clone().map_err(BuildError::AlertRules)?;
    for rule in groups.iter_mut().flat_map(|g| &mut g.rules) {
        rule.expr = scoped(&rule.expr, namespace, name);
    }
    Ok(PrometheusRule {
        metadata,
        spec: PrometheusRuleSpec { groups },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{MANAGED_BY_LABEL, service_monitor, testing::object};
    use serde_json::json;

    fn rules(pr: &PrometheusRule) -> Vec<&Rule> {
        pr.spec.groups.iter().flat_map(|g| &g.rules).collect()
    }

    #[test]
    fn carries_every_alert_of_the_alert_file_unchanged_but_for_the_scope() {
        let source: serde_json::Value = serde_norway::from_str(ALERT_RULES).expect("alerts.yml");
        let pr = build(&object(json!({"sandbox": true}))).expect("builds");
        // Nothing of the file is lost in the typed subset: with the scope undone, the groups are
        // the file's groups, field for field.
        let mut unscoped = serde_json::to_value(&pr.spec.groups).expect("json");
        for group in unscoped.as_array_mut().expect("groups") {
            for rule in group["rules"].as_array_mut().expect("rules") {
                let expr = rule["expr"]
                    .as_str()
                    .expect("expr")
                    .replace(", namespace=\"media\", service=\"music\"", "");
                rule["expr"] = expr.into();
            }
        }
        assert_eq!(unscoped, source["groups"]);
        assert!(
            rules(&pr).iter().all(|r| r.alert.is_some()),
            "alerting rules only"
        );
    }

    #[test]
    fn every_selector_is_narrowed_to_the_servers_namespace_and_service() {
        let pr = build(&object(json!({"sandbox": true}))).expect("builds");
        let scoped = "job=\"spotify-mcp-server\", namespace=\"media\", service=\"music\"";
        for rule in rules(&pr) {
            let selectors = rule.expr.matches("job=\"spotify-mcp-server\"").count();
            assert!(selectors > 0, "{:?} has no job selector", rule.alert);
            assert_eq!(
                rule.expr.matches(scoped).count(),
                selectors,
                "{:?}: every selector is scoped: {}",
                rule.alert,
                rule.expr
            );
        }
        let down = rules(&pr)[0];
        assert_eq!(
            down.expr,
            "up{job=\"spotify-mcp-server\", namespace=\"media\", service=\"music\"} == 0"
        );
        assert_eq!(down.for_.as_deref(), Some("1m"));
        assert_eq!(down.labels["severity"], "critical");
    }

    #[test]
    fn the_service_monitor_gives_its_targets_the_job_the_rules_select() {
        let smcp =
            object(json!({"sandbox": true, "metrics": {"serviceMonitor": {"enabled": true}}}));
        let sm = service_monitor::build(&smcp).expect("builds");
        let relabel = &sm.spec.endpoints[0].relabelings;
        assert!(
            relabel
                .iter()
                .any(|r| r.target_label.as_deref() == Some("job")
                    && r.replacement.as_deref() == Some(METRICS_JOB)),
            "{relabel:?}"
        );
    }

    #[test]
    fn labels_owner_and_api_version() {
        let smcp = object(json!({
            "sandbox": true,
            "metrics": {"prometheusRule": {"enabled": true,
                        "labels": {"release": "kube-prometheus-stack", "app.kubernetes.io/name": "x"}}}
        }));
        let pr = build(&smcp).expect("builds");
        let labels = pr.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels["release"], "kube-prometheus-stack");
        assert_eq!(labels["app.kubernetes.io/name"], "spotify-mcp");
        assert_eq!(labels[MANAGED_BY_LABEL], "spotify-mcp-operator");
        assert_eq!(pr.metadata.name.as_deref(), Some("music"));
        assert_eq!(pr.metadata.namespace.as_deref(), Some("media"));
        let owner = &pr.metadata.owner_references.as_ref().expect("owner")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("SpotifyMcp", Some(true))
        );
        let value = serde_json::to_value(&pr).expect("json");
        assert_eq!(value["apiVersion"], "monitoring.coreos.com/v1");
        assert_eq!(value["kind"], "PrometheusRule");
        assert_eq!(value["spec"]["groups"][0]["rules"][0]["for"], "1m");
        let resource = kube::core::ApiResource::erase::<PrometheusRule>(&());
        assert_eq!(
            (
                resource.group.as_str(),
                resource.version.as_str(),
                resource.plural.as_str()
            ),
            (GROUP, VERSION, PLURAL)
        );
    }
}
