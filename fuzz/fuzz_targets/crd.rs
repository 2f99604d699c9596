//! The operator's `SpotifyMcp` deserialisation (`operator/src/crd.rs`, from JSON or a YAML
//! stream), then the pure reconcile steps for every object that deserialises: the referenced
//! Secrets (given fuzzed data and an authorisation annotation), the desired Deployment,
//! Service, ServiceMonitor and PrometheusRule, and the status.
//!
//! Properties: no panic for any spec that deserialises; the object round-trips through JSON;
//! building is deterministic (same hash twice, so a reconcile never re-applies for nothing); the
//! Deployment's selector matches its pod labels and the Service selects them; replicas are the
//! spec's; computing the status again from its own result changes nothing (no write loop).
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use libfuzzer_sys::fuzz_target;
use spotify_mcp_operator::apply::hash_of;
use spotify_mcp_operator::crd::SpotifyMcp;
use spotify_mcp_operator::crd::yaml::documents;
use spotify_mcp_operator::resources::{
    BuildError, BuildParams, autoscaler, deployment, disruption_budget, http_route, ingress,
    network_policy, prometheus_rule, selector_labels, selector_string, service, service_monitor,
};
use spotify_mcp_operator::secrets;
use spotify_mcp_operator::status::{self, MonitoringState, Observed};

/// A few fixed-size choices, then the object as text (the rest of the input), so a seed is
/// nine bytes and a manifest from examples/.
#[derive(Debug, Arbitrary)]
struct Input {
    /// Bit 0: the text is YAML (else JSON); bit 1: fill in name, namespace and uid when absent.
    flags: u8,
    /// Drop the referenced Secret with this index (a missing Secret); 255: none.
    drop_secret: u8,
    /// Which referenced keys are absent (bit i: the i-th key) or empty (bit i + 8).
    keys: u16,
    /// The credentials Secret's authorisation annotation: one of [`AUTHORIZED_AT`], or none.
    authorized_at: u8,
    now: i32,
    text: String,
}

const AUTHORIZED_AT: &[&str] = &[
    "2026-01-15T10:00:00Z",
    "2026-01-15T10:00:00.999999999+14:00",
    " ",
    "yesterday",
    "9999-12-31T23:59:59Z",
    "-009999-01-02T01:59:59Z",
    "1970-01-01T00:00:00Z",
    "2025-06-30T23:59:60Z",
];

fn parse(input: &Input) -> Vec<SpotifyMcp> {
    if input.flags & 1 != 0 {
        documents::<SpotifyMcp>(&input.text).unwrap_or_default()
    } else {
        serde_json::from_str::<SpotifyMcp>(&input.text)
            .into_iter()
            .collect()
    }
}

fn ok_or_metadata<T>(built: Result<T, BuildError>, what: &str) -> Option<T> {
    match built {
        Ok(t) => Some(t),
        Err(BuildError::MissingMetadata(_)) => None,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn reconcile(mut smcp: SpotifyMcp, input: &Input) {
    if input.flags & 2 != 0 {
        smcp.metadata.name.get_or_insert_with(|| "music".to_owned());
        smcp.metadata
            .namespace
            .get_or_insert_with(|| "media".to_owned());
        smcp.metadata
            .uid
            .get_or_insert_with(|| "2b1e6f7e-0000-4000-8000-000000000001".to_owned());
    }
    let json = serde_json::to_value(&smcp).expect("a SpotifyMcp serialises");
    let back: SpotifyMcp = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("does not read back ({e}): {json}"));
    assert_eq!(back, smcp, "JSON round trip changed the object");

    // Secrets: every referenced one exists (but one), with fuzzed values.
    let refs = secrets::references(&smcp.spec);
    let mut key_index = 0;
    let mut found = BTreeMap::new();
    for (i, (name, keys)) in refs.iter().enumerate() {
        if usize::from(input.drop_secret) == i {
            continue;
        }
        let data: BTreeMap<String, ByteString> = keys
            .iter()
            .filter_map(|key| {
                let bit = key_index % 8;
                key_index += 1;
                let value = if input.keys & (1 << (bit + 8)) != 0 {
                    Vec::new()
                } else {
                    format!("value-of-{key}").into_bytes()
                };
                (input.keys & (1 << bit) == 0).then(|| (key.clone(), ByteString(value)))
            })
            .collect();
        let annotations = AUTHORIZED_AT
            .get(usize::from(input.authorized_at))
            .map(|at| {
                BTreeMap::from([(
                    secrets::AUTHORIZED_AT_ANNOTATION.to_owned(),
                    (*at).to_owned(),
                )])
            });
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                annotations,
                ..ObjectMeta::default()
            },
            data: Some(data),
            ..Secret::default()
        };
        found.insert(name.clone(), secret);
    }
    let digest = secrets::digest(&refs, &found);
    assert_eq!(
        digest,
        secrets::digest(&refs, &found),
        "the Secret digest is not stable"
    );
    let authorization = secrets::authorization(&smcp.spec, &found);
    let now = jiff::Timestamp::from_second(1_780_000_000 + i64::from(input.now) * 16)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let _ = status::next_credentials_change(&authorization, now);

    let params = BuildParams::default();
    let Some(mut dep) = ok_or_metadata(
        deployment::build(&smcp, &params, &digest.hash),
        "deployment",
    ) else {
        return;
    };
    secrets::pass_authorized_at(&mut dep, &authorization);
    let mut again = deployment::build(&smcp, &params, &digest.hash).expect("built once");
    secrets::pass_authorized_at(&mut again, &authorization);
    assert_eq!(
        hash_of(&dep).ok(),
        hash_of(&again).ok(),
        "the Deployment is not deterministic"
    );

    let name = smcp.metadata.name.clone().unwrap_or_default();
    let spec = dep.spec.as_ref().expect("a Deployment spec");
    assert_eq!(spec.replicas, Some(smcp.spec.replicas), "replicas");
    let selector = spec.selector.match_labels.clone().unwrap_or_default();
    assert_eq!(selector, selector_labels(&name), "Deployment selector");
    let pod_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    for (k, v) in &selector {
        assert_eq!(
            pod_labels.get(k),
            Some(v),
            "pod template lacks selector label {k}"
        );
    }

    let svc = service::build(&smcp).expect("a Service for an object with metadata");
    let svc_selector = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    assert_eq!(svc_selector, selector, "the Service selects other pods");
    assert_eq!(
        hash_of(&svc).ok(),
        service::build(&smcp).ok().and_then(|s| hash_of(&s).ok())
    );
    let sm = service_monitor::build(&smcp).expect("a ServiceMonitor");
    assert_eq!(
        hash_of(&sm).ok(),
        service_monitor::build(&smcp)
            .ok()
            .and_then(|s| hash_of(&s).ok())
    );
    let pr = prometheus_rule::build(&smcp).expect("a PrometheusRule");
    assert_eq!(
        hash_of(&pr).ok(),
        prometheus_rule::build(&smcp)
            .ok()
            .and_then(|s| hash_of(&s).ok())
    );

    // The optional children (HPA, PDB, NetworkPolicy, Ingress, HTTPRoute) build without
    // panicking, and the same way twice (a spec the CEL rules would refuse may fail to build).
    macro_rules! deterministic {
        ($module:ident $(, $arg:expr)*) => {
            if $module::wanted(&smcp) {
                let hash = || $module::build(&smcp $(, $arg)*).ok().and_then(|b| hash_of(&b).ok());
                assert_eq!(hash(), hash());
            }
        };
    }
    deterministic!(autoscaler);
    deterministic!(disruption_budget);
    deterministic!(
        network_policy,
        &spotify_mcp_operator::resources::BuildParams::default()
    );
    deterministic!(ingress);
    deterministic!(http_route);

    let observed = Observed {
        generation: smcp.metadata.generation,
        desired_replicas: smcp.spec.replicas,
        deployment: Some(&dep),
        missing_secrets: &digest.missing_secrets,
        apply_error: None,
        service_monitor: MonitoringState::Applied,
        prometheus_rule: MonitoringState::Disabled,
        http_route: MonitoringState::Disabled,
        selector: selector_string(&name),
        max_replicas: smcp.spec.replicas,
        redis: smcp.spec.cache.redis_url.is_some(),
        endpoint: spotify_mcp_operator::resources::endpoint_url(
            &name,
            "media",
            smcp.spec.service.port,
        ),
        credentials: &authorization,
        redirect_uri: spotify_mcp_operator::resources::redirect_uri(&smcp),
        spotify: None,
    };
    let time = Time(now);
    let first = status::compute(smcp.status.as_ref(), &observed, &time);
    let second = status::compute(Some(&first), &observed, &time);
    assert_eq!(
        first, second,
        "the status changes when computed from itself"
    );
}

fuzz_target!(|input: Input| {
    for smcp in parse(&input).into_iter().take(4) {
        reconcile(smcp, &input);
    }
});
