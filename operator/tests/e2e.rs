//! End-to-end scenarios on a real control plane (etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler, kwok fake nodes): the operator binary runs as a host process, kubectl drives
//! the cluster. Needs `scripts/k8s-toolchain.sh` to have run (the tests fail, not skip, otherwise).
//!
//! Each test gets its own namespace and its own operator (`--namespace`), so tests run in parallel;
//! tests that add or remove the cluster-wide ServiceMonitor or PrometheusRule CRD serialise on a lock.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kube::ResourceExt;
use serde_json::{Value, json};
use spotify_mcp_operator::apply::{APPLIED_HASH_ANNOTATION, hash_of};
use spotify_mcp_operator::crd::SpotifyMcp;
use spotify_mcp_operator::resources::{BuildParams, SECRET_HASH_ANNOTATION, deployment};
use support::*;

const TIMEOUT: Duration = Duration::from_secs(90);
const E2E_IMAGE: &str = "ghcr.io/spotify-mcp/spotify-mcp-server:e2e";

fn example(name: &str) -> std::path::PathBuf {
    repo_root().join("examples").join(name)
}

fn wait_ready(c: &Cluster, ns: &str, name: &str) -> Value {
    wait_for(
        &format!("SpotifyMcp {ns}/{name} Ready=True for its generation"),
        TIMEOUT,
        || {
            let s = c.get(ns, &format!("smcp/{name}"))?;
            let ready = condition(&s, "Ready")?;
            (ready["status"] == "True"
                && s["status"]["observedGeneration"] == s["metadata"]["generation"])
                .then_some(s)
        },
    )
}

fn deployment_available(c: &Cluster, ns: &str, name: &str) -> Value {
    wait_for(
        &format!("Deployment {ns}/{name} Available"),
        TIMEOUT,
        || {
            let d = c.get(ns, &format!("deployment/{name}"))?;
            let available = d["status"]["conditions"]
                .as_array()?
                .iter()
                .any(|c| c["type"] == "Available" && c["status"] == "True");
            (available && d["status"]["observedGeneration"] == d["metadata"]["generation"])
                .then_some(d)
        },
    )
}

fn env_value(d: &Value, name: &str) -> Option<Value> {
    at(d, "spec.template.spec.containers.0.env")
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .cloned()
}

/// Reasons of the Events in `ns` that match a field selector.
fn event_reasons(c: &Cluster, ns: &str, selector: &str) -> Option<Vec<String>> {
    let out = c.kubectl_ok(&[
        "-n",
        ns,
        "get",
        "events",
        "--field-selector",
        selector,
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).ok()?;
    Some(
        v["items"]
            .as_array()?
            .iter()
            .filter_map(|e| e["reason"].as_str().map(str::to_owned))
            .collect(),
    )
}

#[test]
fn example_becomes_ready_and_the_service_monitor_follows_its_crd() {
    let c = cluster();
    let _crd = service_monitor_crd_lock();
    c.remove_service_monitor_crd();
    let ns = c.namespace("e2e-example");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);

    c.apply_file(ns, &example("spotifymcp.yaml"));
    let d = deployment_available(c, ns, "spotify-mcp");

    // The Deployment the example produced.
    assert_eq!(at(&d, "spec.template.spec.containers.0.image"), E2E_IMAGE);
    let hosts = env_value(&d, "SPOTIFY_MCP_ALLOWED_HOSTS").expect("allowed hosts")["value"].clone();
    let hosts = hosts.as_str().expect("string");
    assert!(
        hosts.contains(&format!("spotify-mcp.{ns}.svc.cluster.local:8000")),
        "{hosts}"
    );
    assert_eq!(
        env_value(&d, "SPOTIFY_MCP_BIND").expect("bind")["value"],
        "0.0.0.0"
    );
    assert_eq!(
        env_value(&d, "SPOTIFY_CLIENT_ID").expect("client id")["valueFrom"]["secretKeyRef"],
        json!({"name": "spotify-credentials", "key": "client-id"})
    );
    assert_eq!(
        at(
            &d,
            "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem"
        ),
        true
    );
    assert_eq!(at(&d, "metadata.ownerReferences.0.kind"), "SpotifyMcp");
    assert_eq!(at(&d, "metadata.ownerReferences.0.controller"), true);

    let svc = c.get(ns, "service/spotify-mcp").expect("Service exists");
    assert_eq!(at(&svc, "spec.ports.0.port"), 8000);
    assert_eq!(at(&svc, "spec.ports.0.name"), "mcp-metrics");

    // Ready with the endpoint; the missing CRD is reported, not fatal.
    let s = wait_ready(c, ns, "spotify-mcp");
    assert_eq!(
        s["status"]["endpoint"],
        format!("http://spotify-mcp.{ns}.svc:8000/mcp")
    );
    assert_eq!(s["status"]["readyReplicas"], 1);
    let sm = condition(&s, "ServiceMonitorReady").expect("ServiceMonitorReady condition");
    assert_eq!(
        (sm["status"].as_str(), sm["reason"].as_str()),
        (Some("False"), Some("CRDNotInstalled"))
    );
    assert!(
        sm["message"]
            .as_str()
            .unwrap_or_default()
            .contains("monitoring.coreos.com/v1")
    );
    wait_for(
        "a Warning Event with reason CRDNotInstalled",
        TIMEOUT,
        || {
            let reasons = event_reasons(c, ns, "type=Warning,reason=CRDNotInstalled")?;
            (!reasons.is_empty()).then_some(())
        },
    );
    // Becoming Ready is one Normal Event; the finished rollout is not told a second time.
    let normal_events = || event_reasons(c, ns, "type=Normal,involvedObject.kind=SpotifyMcp");
    wait_for("a Normal Event with reason Available", TIMEOUT, || {
        normal_events()?
            .iter()
            .any(|r| r == "Available")
            .then_some(())
    });
    // Events of one reconcile are published one after the other: give a second one (the old
    // RolloutComplete) time to arrive before counting.
    std::thread::sleep(Duration::from_secs(2));
    let normal = normal_events().expect("Events listed");
    assert_eq!(normal, ["Available"], "Normal Events: {normal:?}");

    // Installing the CRD makes the ServiceMonitor appear without touching the SpotifyMcp.
    c.install_service_monitor_crd();
    let monitor = wait_for(
        "ServiceMonitor created after its CRD appeared",
        TIMEOUT,
        || c.get(ns, "servicemonitor/spotify-mcp"),
    );
    assert_eq!(at(&monitor, "spec.endpoints.0.interval"), "30s");
    assert_eq!(at(&monitor, "spec.endpoints.0.port"), "mcp-metrics");
    assert_eq!(at(&monitor, "spec.endpoints.0.path"), "/metrics");
    assert_eq!(
        at(&monitor, "metadata.labels.release"),
        "kube-prometheus-stack"
    );
    assert_eq!(
        at(&monitor, "metadata.ownerReferences.0.name"),
        "spotify-mcp"
    );
    wait_for("ServiceMonitorReady=True", TIMEOUT, || {
        let s = c.get(ns, "smcp/spotify-mcp")?;
        (condition(&s, "ServiceMonitorReady")?["status"] == "True").then_some(())
    });

    // Spec change: interval.
    c.patch(
        ns,
        "smcp/spotify-mcp",
        &json!({"spec": {"metrics": {"serviceMonitor": {"interval": "15s", "scrapeTimeout": "5s"}}}}),
    );
    wait_for("ServiceMonitor interval 15s", TIMEOUT, || {
        let m = c.get(ns, "servicemonitor/spotify-mcp")?;
        (at(&m, "spec.endpoints.0.interval") == "15s"
            && at(&m, "spec.endpoints.0.scrapeTimeout") == "5s")
            .then_some(())
    });

    // Disabling deletes the ServiceMonitor the operator made.
    c.patch(
        ns,
        "smcp/spotify-mcp",
        &json!({"spec": {"metrics": {"serviceMonitor": {"enabled": false}}}}),
    );
    wait_for("ServiceMonitor deleted after disabling", TIMEOUT, || {
        c.get(ns, "servicemonitor/spotify-mcp")
            .is_none()
            .then_some(())
    });
    wait_for("ServiceMonitorReady=False/Disabled", TIMEOUT, || {
        let s = c.get(ns, "smcp/spotify-mcp")?;
        (condition(&s, "ServiceMonitorReady")?["reason"] == "Disabled").then_some(())
    });
}

#[test]
fn the_prometheus_rule_follows_its_crd_and_is_scoped_to_its_server() {
    let c = cluster();
    let _crd = service_monitor_crd_lock();
    c.remove_prometheus_rule_crd();
    let ns = c.namespace("e2e-rules");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    let cr = json!({
        "apiVersion": "spotifymcp.dev/v1alpha1",
        "kind": "SpotifyMcp",
        "metadata": {"name": "alerting"},
        "spec": {"sandbox": true,
                 "metrics": {"prometheusRule": {"enabled": true,
                                                "labels": {"release": "kube-prometheus-stack"}}}}
    });
    let out = c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&cr.to_string()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without the CRD: reported, not fatal.
    let s = wait_ready(c, ns, "alerting");
    let rule = condition(&s, "PrometheusRuleReady").expect("PrometheusRuleReady condition");
    assert_eq!(
        (rule["status"].as_str(), rule["reason"].as_str()),
        (Some("False"), Some("CRDNotInstalled"))
    );

    // The CRD appears: the PrometheusRule follows, accepted by the real CRD's schema.
    c.install_prometheus_rule_crd();
    let pr = wait_for(
        "PrometheusRule created after its CRD appeared",
        TIMEOUT,
        || c.get(ns, "prometheusrule/alerting"),
    );
    assert_eq!(at(&pr, "metadata.labels.release"), "kube-prometheus-stack");
    assert_eq!(at(&pr, "metadata.ownerReferences.0.name"), "alerting");
    let rules: Vec<&Value> = at(&pr, "spec.groups")
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules"))
        .collect();
    assert!(rules.len() >= 6, "{rules:?}");
    let scope = format!("job=\"spotify-mcp-server\", namespace=\"{ns}\", service=\"alerting\"");
    for rule in &rules {
        let expr = rule["expr"].as_str().expect("expr");
        assert!(expr.contains(&scope), "{expr}");
    }
    wait_for("PrometheusRuleReady=True", TIMEOUT, || {
        let s = c.get(ns, "smcp/alerting")?;
        (condition(&s, "PrometheusRuleReady")?["status"] == "True").then_some(())
    });

    // Disabling deletes it.
    c.patch(
        ns,
        "smcp/alerting",
        &json!({"spec": {"metrics": {"prometheusRule": {"enabled": false}}}}),
    );
    wait_for("PrometheusRule deleted after disabling", TIMEOUT, || {
        c.get(ns, "prometheusrule/alerting").is_none().then_some(())
    });
    wait_for("PrometheusRuleReady=False/Disabled", TIMEOUT, || {
        let s = c.get(ns, "smcp/alerting")?;
        (condition(&s, "PrometheusRuleReady")?["reason"] == "Disabled").then_some(())
    });
}

#[test]
fn spec_changes_update_children_and_secret_changes_roll_pods() {
    let c = cluster();
    let ns = c.namespace("e2e-changes");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    c.apply_file(ns, &example("spotifymcp.yaml"));
    wait_ready(c, ns, "spotify-mcp");

    // replicas + image.
    c.patch(
        ns,
        "smcp/spotify-mcp",
        &json!({"spec": {"replicas": 3, "image": "ghcr.io/spotify-mcp/spotify-mcp-server:9.9.9"}}),
    );
    let d = wait_for(
        "Deployment with 3 replicas and the new image",
        TIMEOUT,
        || {
            let d = c.get(ns, "deployment/spotify-mcp")?;
            (at(&d, "spec.replicas") == 3
                && at(&d, "spec.template.spec.containers.0.image")
                    == "ghcr.io/spotify-mcp/spotify-mcp-server:9.9.9")
                .then_some(d)
        },
    );
    let s = wait_for("status with 3 ready replicas", TIMEOUT, || {
        let s = wait_ready(c, ns, "spotify-mcp");
        (s["status"]["readyReplicas"] == 3).then_some(s)
    });
    assert_eq!(
        condition(&s, "Progressing").expect("Progressing")["status"],
        "False"
    );

    // Secret rotation rolls every pod.
    let hash =
        |d: &Value| at(d, "spec.template.metadata.annotations")[SECRET_HASH_ANNOTATION].clone();
    let before = hash(&d);
    assert!(
        before.as_str().is_some_and(|h| h.len() == 64),
        "secret hash annotation: {before}"
    );
    let pods = |c: &Cluster| -> BTreeSet<String> {
        c.list(ns, "pods", "app.kubernetes.io/instance=spotify-mcp")
            .iter()
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_owned))
            .collect()
    };
    let old_pods = pods(c);
    assert_eq!(old_pods.len(), 3, "{old_pods:?}");

    // An unrelated key does not count.
    c.patch(
        ns,
        "secret/spotify-credentials",
        &json!({"stringData": {"note": "not referenced"}}),
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        hash(&c.get(ns, "deployment/spotify-mcp").expect("deployment")),
        before
    );

    c.patch(
        ns,
        "secret/spotify-credentials",
        &json!({"stringData": {"refresh-token": "rotated"}}),
    );
    wait_for("pod template secret hash changed", TIMEOUT, || {
        let d = c.get(ns, "deployment/spotify-mcp")?;
        (hash(&d) != before).then_some(())
    });
    wait_for(
        "every pod replaced after the Secret change",
        TIMEOUT,
        || {
            let now = pods(c);
            (now.len() == 3 && now.is_disjoint(&old_pods)).then_some(())
        },
    );
    deployment_available(c, ns, "spotify-mcp");
    wait_ready(c, ns, "spotify-mcp");
}

#[test]
fn drift_is_reverted() {
    let c = cluster();
    let ns = c.namespace("e2e-drift");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    c.apply_file(ns, &example("sandbox.yaml"));
    let name = "spotify-mcp-sandbox";
    let d = deployment_available(c, ns, name);
    wait_ready(c, ns, name);

    // Deleted Deployment is recreated.
    let uid = d["metadata"]["uid"].clone();
    c.kubectl_ok(&["-n", ns, "delete", "deployment", name, "--wait=true"]);
    wait_for("Deployment recreated", TIMEOUT, || {
        let d = c.get(ns, &format!("deployment/{name}"))?;
        (d["metadata"]["uid"] != uid).then_some(())
    });
    deployment_available(c, ns, name);

    // Hand edits are reverted.
    c.kubectl_ok(&["-n", ns, "scale", "deployment", name, "--replicas=4"]);
    c.kubectl_ok(&[
        "-n",
        ns,
        "set",
        "env",
        &format!("deployment/{name}"),
        "SPOTIFY_MCP_LOG=trace",
    ]);
    wait_for("Deployment edits reverted", TIMEOUT, || {
        let d = c.get(ns, &format!("deployment/{name}"))?;
        (at(&d, "spec.replicas") == 1 && env_value(&d, "SPOTIFY_MCP_LOG")?["value"] == "info")
            .then_some(())
    });
    c.patch(
        ns,
        &format!("service/{name}"),
        &json!({"spec": {"selector": {"app.kubernetes.io/instance": "someone-else"}}}),
    );
    wait_for("Service selector reverted", TIMEOUT, || {
        let s = c.get(ns, &format!("service/{name}"))?;
        (s["spec"]["selector"]["app.kubernetes.io/instance"] == name).then_some(())
    });
    wait_ready(c, ns, name);
}

#[test]
fn deleting_the_custom_resource_garbage_collects_its_children() {
    let c = cluster();
    let ns = c.namespace("e2e-gc");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    c.apply_file(ns, &example("sandbox.yaml"));
    let name = "spotify-mcp-sandbox";
    deployment_available(c, ns, name);
    assert!(c.get(ns, &format!("service/{name}")).is_some());

    c.kubectl_ok(&["-n", ns, "delete", "smcp", name, "--wait=true"]);
    wait_for(
        "Deployment, Service and pods garbage-collected",
        TIMEOUT,
        || {
            let gone = c.get(ns, &format!("deployment/{name}")).is_none()
                && c.get(ns, &format!("service/{name}")).is_none()
                && c.list(ns, "pods", &format!("app.kubernetes.io/instance={name}"))
                    .is_empty();
            gone.then_some(())
        },
    );
}

#[test]
fn invalid_objects_are_rejected_with_the_cel_messages() {
    let c = cluster();
    let ns = c.namespace("e2e-invalid");
    let ns = ns.name.as_str();
    let dir = repo_root().join("examples/invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/invalid") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let message = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .expect("message line");
        let out = c.kubectl(&["-n", ns, "apply", "-f", &path.to_string_lossy()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} was accepted", path.display());
        assert!(
            stderr.contains(message),
            "{}: expected {message:?} in:\n{stderr}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 5);
    // A valid object with defaults is accepted and the defaults are applied by the API server.
    c.kubectl_stdin(
        &["-n", ns, "apply", "-f", "-"],
        Some(&sandbox_cr("defaults")),
    );
    let s = c.get(ns, "smcp/defaults").expect("created");
    assert_eq!(s["spec"]["replicas"], 1);
    assert_eq!(s["spec"]["service"]["port"], 8000);
    assert_eq!(s["spec"]["metrics"]["serviceMonitor"]["interval"], "30s");
}

#[test]
fn a_resync_with_nothing_changed_writes_nothing() {
    let c = cluster();
    // The example enables a ServiceMonitor and a PrometheusRule: their CRDs must not come or go
    // during the quiet period.
    let _crd = service_monitor_crd_lock();
    let ns = c.namespace("e2e-resync");
    let ns = ns.name.as_str();
    let op = Operator::start(c, ns, &[]);
    c.apply_file(ns, &example("spotifymcp.yaml"));
    // Quantities as users write them; the API server stores the Deployment's as "500m" and "1Gi".
    let quantities = json!({
        "apiVersion": "spotifymcp.dev/v1alpha1",
        "kind": "SpotifyMcp",
        "metadata": {"name": "quantities"},
        "spec": {"sandbox": true,
                 "resources": {"requests": {"cpu": "0.5", "memory": "1073741824"}}}
    });
    let out = c.kubectl_stdin(
        &["-n", ns, "apply", "-f", "-"],
        Some(&quantities.to_string()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_ready(c, ns, "spotify-mcp");
    deployment_available(c, ns, "spotify-mcp");
    wait_ready(c, ns, "quantities");
    let d = deployment_available(c, ns, "quantities");
    assert_eq!(
        at(&d, "spec.template.spec.containers.0.resources.requests.cpu"),
        "500m",
        "the API server canonicalises quantities"
    );
    // Let the last status write and its watch events settle.
    std::thread::sleep(Duration::from_secs(3));

    let versions = |c: &Cluster| {
        [
            "smcp/spotify-mcp",
            "deployment/spotify-mcp",
            "service/spotify-mcp",
            "smcp/quantities",
            "deployment/quantities",
        ]
        .map(|what| resource_version(&c.get(ns, what).expect("object exists")))
    };
    let before = versions(c);
    let writes = op.metric_sum("spotify_mcp_operator_api_writes_total");
    let reconciles = op.metric_sum("spotify_mcp_operator_reconciliations_total");

    // --resync 2s: at least three full resyncs.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(versions(c), before, "a resync changed a resourceVersion");
    assert_eq!(
        op.metric_sum("spotify_mcp_operator_api_writes_total"),
        writes,
        "a resync sent writes"
    );
    assert!(
        op.metric_sum("spotify_mcp_operator_reconciliations_total") >= reconciles + 3.0,
        "resyncs did not run"
    );

    // Server-side apply of the identical object (what the operator would send) is a no-op too.
    let smcp: SpotifyMcp =
        serde_json::from_value(c.get(ns, "smcp/spotify-mcp").expect("smcp")).expect("typed");
    let live = c.get(ns, "deployment/spotify-mcp").expect("deployment");
    let secret_hash = at(&live, "spec.template.metadata.annotations")[SECRET_HASH_ANNOTATION]
        .as_str()
        .expect("secret hash")
        .to_owned();
    let params = BuildParams {
        default_image: E2E_IMAGE.to_owned(),
        cluster_domain: "cluster.local".to_owned(),
        operator_namespace: None,
    };
    let mut desired = deployment::build(&smcp, &params, &secret_hash).expect("builds");
    let applied_hash = hash_of(&desired).expect("hash");
    assert_eq!(
        live["metadata"]["annotations"][APPLIED_HASH_ANNOTATION],
        applied_hash.as_str(),
        "the live Deployment is the operator's last apply"
    );
    desired
        .annotations_mut()
        .insert(APPLIED_HASH_ANNOTATION.to_owned(), applied_hash);
    let body = serde_json::to_string(&desired).expect("json");
    let out = c.kubectl_stdin(
        &[
            "-n",
            ns,
            "apply",
            "--server-side",
            "--field-manager=spotify-mcp-operator",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&body),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        resource_version(&c.get(ns, "deployment/spotify-mcp").expect("deployment")),
        before[1],
        "server-side apply of an identical object bumped the resourceVersion"
    );
}

#[test]
fn an_operator_restarted_mid_way_converges_without_duplicates() {
    let c = cluster();
    let ns = c.namespace("e2e-restart");
    let ns = ns.name.as_str();
    // Enough objects, reconciled one at a time, that the first operator is killed mid-way.
    let names: Vec<String> = (0..60).map(|i| format!("server-{i}")).collect();
    let manifests: Vec<String> = names.iter().map(|n| sandbox_cr(n)).collect();
    c.kubectl_stdin(
        &["-n", ns, "apply", "-f", "-"],
        Some(&manifests.join("\n---\n")),
    );

    let mut first = Operator::start(c, ns, &["--concurrency", "1"]);
    wait_for("the first Deployment", TIMEOUT, || {
        (!c.list(
            ns,
            "deployments",
            "app.kubernetes.io/managed-by=spotify-mcp-operator",
        )
        .is_empty())
        .then_some(())
    });
    first.kill();
    let done_before = c
        .list(
            ns,
            "deployments",
            "app.kubernetes.io/managed-by=spotify-mcp-operator",
        )
        .len();
    assert!(
        0 < done_before && done_before < names.len(),
        "the first operator must be killed mid-way, but {done_before} of {} Deployments existed",
        names.len()
    );

    let mut second = Operator::start(c, ns, &[]);
    for name in &names {
        wait_ready(c, ns, name);
    }
    for name in &names {
        let selector = format!("app.kubernetes.io/instance={name}");
        let deployments = c.list(ns, "deployments", &selector);
        assert_eq!(
            deployments.len(),
            1,
            "{name}: {} Deployments",
            deployments.len()
        );
        assert_eq!(
            deployments[0]["metadata"]["ownerReferences"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(
            c.list(ns, "services", &selector).len(),
            1,
            "{name}: Services"
        );
        assert_eq!(
            c.list(ns, "replicasets", &selector).len(),
            1,
            "{name}: a second rollout happened"
        );
    }
    eprintln!(
        "restart: {done_before} of {} Deployments existed when the first operator was killed",
        names.len()
    );

    // Graceful shutdown on SIGTERM.
    let started = Instant::now();
    assert!(
        second.terminate(Duration::from_secs(15)),
        "operator did not exit cleanly on SIGTERM"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        second.log_text().contains("controller stopped"),
        "{}",
        second.log_text()
    );
}

#[test]
fn only_the_lease_holder_reconciles_and_a_standby_takes_over() {
    let c = cluster();
    let ns = c.namespace("e2e-leader");
    let ns = ns.name.as_str();
    let args = [
        "--leader-election",
        "--lease-namespace",
        ns,
        "--lease-name",
        "spotify-mcp-operator-e2e",
        "--lease-duration",
        "4",
    ];
    let a = Operator::start(c, ns, &args);
    let b = Operator::start(c, ns, &args);
    let is_leader = |o: &Operator| o.metric_sum("spotify_mcp_operator_leader") == 1.0;
    wait_for("exactly one leader", TIMEOUT, || {
        (usize::from(is_leader(&a)) + usize::from(is_leader(&b)) == 1).then_some(())
    });
    let (mut leader, standby) = if is_leader(&a) { (a, b) } else { (b, a) };
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&sandbox_cr("first")));
    wait_ready(c, ns, "first");
    assert_eq!(
        standby.metric_sum("spotify_mcp_operator_reconciliations_total"),
        0.0
    );

    leader.kill();
    wait_for("the standby takes the Lease", TIMEOUT, || {
        (standby.metric_sum("spotify_mcp_operator_leader") == 1.0).then_some(())
    });
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&sandbox_cr("second")));
    wait_ready(c, ns, "second");
}

/// `spec.replicas` of a SpotifyMcp, 0 when unreadable.
fn spec_replicas(c: &Cluster, ns: &str, name: &str) -> i64 {
    c.get(ns, &format!("smcp/{name}"))
        .and_then(|s| s["spec"]["replicas"].as_i64())
        .unwrap_or(0)
}

fn wait_deployment_replicas(c: &Cluster, ns: &str, name: &str, replicas: i64) {
    wait_for(
        &format!("Deployment {ns}/{name} with {replicas} replicas"),
        TIMEOUT,
        || {
            let d = c.get(ns, &format!("deployment/{name}"))?;
            (d["spec"]["replicas"] == replicas).then_some(())
        },
    );
}

fn wait_gone(c: &Cluster, ns: &str, what: &str) {
    wait_for(&format!("{what} deleted"), TIMEOUT, || {
        c.get(ns, what).is_none().then_some(())
    });
}

#[test]
fn kubectl_scale_scales_the_deployment_and_the_disruption_budget_follows() {
    let c = cluster();
    let ns = c.namespace("e2e-scale");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&sandbox_cr("scaled")));
    let s = wait_ready(c, ns, "scaled");
    assert_eq!(
        s["status"]["selector"],
        "app.kubernetes.io/instance=scaled,app.kubernetes.io/name=spotify-mcp"
    );
    assert!(c.get(ns, "pdb/scaled").is_none(), "no PDB at one replica");
    let d = c.get(ns, "deployment/scaled").expect("Deployment");
    let spread = at(&d, "spec.template.spec.topologySpreadConstraints.0");
    assert_eq!(spread["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(spread["whenUnsatisfiable"], "ScheduleAnyway");
    assert_eq!(
        spread["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"],
        "scaled"
    );

    c.kubectl_ok(&["-n", ns, "scale", "smcp/scaled", "--replicas=2"]);
    assert_eq!(spec_replicas(c, ns, "scaled"), 2);
    wait_deployment_replicas(c, ns, "scaled", 2);
    let pdb = wait_for("the PodDisruptionBudget at 2 replicas", TIMEOUT, || {
        c.get(ns, "pdb/scaled")
    });
    assert_eq!(at(&pdb, "spec.maxUnavailable"), 1);
    assert_eq!(
        at(&pdb, "spec.selector.matchLabels"),
        &json!({"app.kubernetes.io/instance": "scaled", "app.kubernetes.io/name": "spotify-mcp"})
    );
    assert_eq!(at(&pdb, "metadata.ownerReferences.0.kind"), "SpotifyMcp");
    // Two replicas without Redis: a warning condition says what that costs.
    let shared = wait_for("SharedState=False/NoRedis at 2 replicas", TIMEOUT, || {
        let smcp = c.get(ns, "smcp/scaled")?;
        let found = condition(&smcp, "SharedState")?.clone();
        (found["reason"] == "NoRedis").then_some(found)
    });
    assert_eq!(shared["status"], "False");
    assert!(
        shared["message"]
            .as_str()
            .is_some_and(|m| m.contains("spec.cache.redisUrl")),
        "{shared}"
    );

    // The scale subresource reports what an HPA reads: replicas and the pod selector.
    let scale = wait_for("the scale subresource at 2 replicas", TIMEOUT, || {
        let out = c.kubectl_ok(&[
            "get",
            "--raw",
            &format!("/apis/spotifymcp.dev/v1alpha1/namespaces/{ns}/spotifymcps/scaled/scale"),
        ]);
        let scale: Value = serde_json::from_str(&out).expect("Scale JSON");
        (scale["status"]["replicas"] == 2).then_some(scale)
    });
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 2);
    assert_eq!(
        scale["status"]["selector"],
        "app.kubernetes.io/instance=scaled,app.kubernetes.io/name=spotify-mcp"
    );

    // The CRD's bounds hold for the scale subresource too.
    let out = c.kubectl(&["-n", ns, "scale", "smcp/scaled", "--replicas=101"]);
    assert!(!out.status.success(), "101 replicas were accepted");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("replicas must be at most 100"), "{stderr}");

    c.kubectl_ok(&["-n", ns, "scale", "smcp/scaled", "--replicas=1"]);
    wait_deployment_replicas(c, ns, "scaled", 1);
    wait_gone(c, ns, "pdb/scaled");
}

#[test]
fn horizontal_pod_autoscalers_scale_the_custom_resource() {
    let c = cluster();
    let ns = c.namespace("e2e-hpa");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&sandbox_cr("auto")));
    wait_ready(c, ns, "auto");

    // An HPA of the user's own that targets the SpotifyMcp is accepted, and the cluster's HPA
    // controller scales it through the scale subresource (below minReplicas it needs no metrics).
    let own = json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "users-own"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp", "name": "auto"},
            "minReplicas": 2, "maxReplicas": 3,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}}]
        }
    });
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&own.to_string()));
    wait_for("the user's HPA raising spec.replicas to 2", TIMEOUT, || {
        (spec_replicas(c, ns, "auto") == 2).then_some(())
    });
    wait_deployment_replicas(c, ns, "auto", 2);
    c.kubectl_ok(&["-n", ns, "delete", "hpa/users-own", "--wait=true"]);

    // spec.autoscaling: the operator's own HPA, pointing at the SpotifyMcp.
    c.patch(
        ns,
        "smcp/auto",
        &json!({"spec": {"autoscaling": {"enabled": true, "minReplicas": 3, "maxReplicas": 4,
            "targetCPUUtilizationPercentage": 70}}}),
    );
    let hpa = wait_for("the operator's HPA", TIMEOUT, || c.get(ns, "hpa/auto"));
    assert_eq!(
        at(&hpa, "spec.scaleTargetRef"),
        &json!({"apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp", "name": "auto"})
    );
    assert_eq!(at(&hpa, "spec.minReplicas"), 3);
    assert_eq!(at(&hpa, "spec.maxReplicas"), 4);
    assert_eq!(at(&hpa, "spec.metrics.0.resource.name"), "cpu");
    assert_eq!(at(&hpa, "metadata.ownerReferences.0.controller"), true);
    wait_for(
        "the operator's HPA raising spec.replicas to 3",
        TIMEOUT,
        || (spec_replicas(c, ns, "auto") == 3).then_some(()),
    );
    wait_deployment_replicas(c, ns, "auto", 3);
    assert!(c.get(ns, "pdb/auto").is_some(), "a PDB above one replica");

    // Turning autoscaling off deletes the HPA; the replicas it set stay.
    c.patch(
        ns,
        "smcp/auto",
        &json!({"spec": {"autoscaling": {"enabled": false}}}),
    );
    wait_gone(c, ns, "hpa/auto");
    assert_eq!(spec_replicas(c, ns, "auto"), 3);
}

#[test]
fn network_policy_ingress_and_http_route_follow_the_spec() {
    let c = cluster();
    let _crd = http_route_crd_lock();
    c.remove_http_route_crd();
    let ns = c.namespace("e2e-expose");
    let ns = ns.name.as_str();
    let _op = Operator::start(c, ns, &[]);
    let cr = json!({
        "apiVersion": "spotifymcp.dev/v1alpha1",
        "kind": "SpotifyMcp",
        "metadata": {"name": "exposed"},
        "spec": {
            "sandbox": true,
            "networkPolicy": {"enabled": true, "from": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
            ]},
            "ingress": {"enabled": true, "className": "nginx", "host": "mcp.example.com",
                        "tlsSecretName": "mcp-tls"},
            "httpRoute": {"enabled": true, "parentRefs": [{"name": "public", "namespace": "gateways"}],
                          "hostnames": ["mcp.example.org"]}
        }
    });
    c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&cr.to_string()));

    let np = wait_for("the NetworkPolicy", TIMEOUT, || {
        c.get(ns, "networkpolicy/exposed")
    });
    assert_eq!(at(&np, "spec.policyTypes"), &json!(["Ingress"]));
    assert_eq!(at(&np, "spec.ingress.0.ports.0.port"), 8000);
    assert_eq!(
        at(&np, "spec.ingress.0.from"),
        &json!([
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ])
    );
    let ing = wait_for("the Ingress", TIMEOUT, || c.get(ns, "ingress/exposed"));
    assert_eq!(at(&ing, "spec.ingressClassName"), "nginx");
    assert_eq!(at(&ing, "spec.rules.0.host"), "mcp.example.com");
    assert_eq!(at(&ing, "spec.rules.0.http.paths.0.path"), "/mcp");
    assert_eq!(
        at(&ing, "spec.rules.0.http.paths.0.backend.service"),
        &json!({"name": "exposed", "port": {"number": 8000}})
    );
    assert_eq!(at(&ing, "spec.tls.0.secretName"), "mcp-tls");

    // Both hosts are allowed hosts of the server.
    let d = c.get(ns, "deployment/exposed").expect("Deployment");
    let hosts = env_value(&d, "SPOTIFY_MCP_ALLOWED_HOSTS").expect("allowed hosts")["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let hosts: Vec<&str> = hosts.split(',').collect();
    assert!(hosts.contains(&"mcp.example.com"), "{hosts:?}");
    assert!(hosts.contains(&"mcp.example.org"), "{hosts:?}");

    // No Gateway API in the cluster: said in HTTPRouteReady, created once the CRD appears. It
    // does not keep the server from Ready (which also waits for the rollout, so both are awaited
    // together: the condition can be written before the pods are ready).
    let s = wait_for(
        "HTTPRouteReady=False CRDNotInstalled, and Ready",
        TIMEOUT,
        || {
            let s = c.get(ns, "smcp/exposed")?;
            (condition(&s, "HTTPRouteReady")?["reason"] == "CRDNotInstalled"
                && condition(&s, "Ready")?["status"] == "True")
                .then_some(s)
        },
    );
    let message = condition(&s, "HTTPRouteReady").expect("condition")["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("gateway.networking.k8s.io/v1"),
        "{message}"
    );
    assert_eq!(condition(&s, "Ready").expect("Ready")["status"], "True");
    c.install_http_route_crd();
    let route = wait_for("the HTTPRoute once its CRD exists", TIMEOUT, || {
        c.get(ns, "httproute/exposed")
    });
    assert_eq!(
        at(&route, "spec.rules.0.matches.0.path"),
        &json!({"type": "PathPrefix", "value": "/mcp"})
    );
    assert_eq!(
        at(&route, "spec.rules.0.backendRefs.0"),
        &json!({"name": "exposed", "port": 8000})
    );
    assert_eq!(at(&route, "spec.hostnames"), &json!(["mcp.example.org"]));
    wait_for("HTTPRouteReady=True", TIMEOUT, || {
        let s = c.get(ns, "smcp/exposed")?;
        (condition(&s, "HTTPRouteReady")?["status"] == "True").then_some(())
    });

    // Turned off: all three go, and so do their hosts.
    c.patch(
        ns,
        "smcp/exposed",
        &json!({"spec": {"networkPolicy": {"enabled": false}, "ingress": {"enabled": false},
            "httpRoute": {"enabled": false}}}),
    );
    wait_gone(c, ns, "networkpolicy/exposed");
    wait_gone(c, ns, "ingress/exposed");
    wait_gone(c, ns, "httproute/exposed");
    wait_for("the hosts leaving the allowed hosts", TIMEOUT, || {
        let d = c.get(ns, "deployment/exposed")?;
        let hosts = env_value(&d, "SPOTIFY_MCP_ALLOWED_HOSTS")?["value"]
            .as_str()?
            .to_owned();
        (!hosts.contains("mcp.example")).then_some(())
    });
    c.remove_http_route_crd();
}

#[test]
fn invalid_scaling_and_exposure_combinations_are_refused_by_cel() {
    let c = cluster();
    let ns = c.namespace("e2e-scale-cel");
    let ns = ns.name.as_str();
    for (spec, message) in [
        (
            json!({"autoscaling": {"enabled": true, "minReplicas": 4, "maxReplicas": 2,
                "targetCPUUtilizationPercentage": 80}}),
            "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas",
        ),
        (
            json!({"autoscaling": {"enabled": true, "maxReplicas": 2}}),
            "autoscaling needs at least one metric",
        ),
        (
            json!({"autoscaling": {"enabled": true, "targetMemoryUtilizationPercentage": 80}}),
            "autoscaling.maxReplicas is required when autoscaling is enabled",
        ),
        (
            json!({"autoscaling": {"enabled": true, "maxReplicas": 101,
                "targetCPUUtilizationPercentage": 80}}),
            "autoscaling.maxReplicas must be between 1 and 100",
        ),
        (
            json!({"ingress": {"enabled": true}}),
            "ingress.host is required when the ingress is enabled",
        ),
        (
            json!({"ingress": {"enabled": true, "host": "*.example.com"}}),
            "ingress.host must be a DNS name without scheme, port or wildcard",
        ),
        (
            json!({"httpRoute": {"enabled": true, "hostnames": ["mcp.example.com"]}}),
            "httpRoute.parentRefs needs at least one Gateway",
        ),
        (
            json!({"networkPolicy": {"enabled": true, "from": [{}]}}),
            "each networkPolicy.from entry needs a namespaceSelector, a podSelector or both",
        ),
    ] {
        let mut full = json!({"sandbox": true});
        for (k, v) in spec.as_object().expect("object") {
            full[k] = v.clone();
        }
        let cr = json!({
            "apiVersion": "spotifymcp.dev/v1alpha1",
            "kind": "SpotifyMcp",
            "metadata": {"name": "refused"},
            "spec": full
        });
        let out = c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(&cr.to_string()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{spec} was accepted");
        assert!(
            stderr.contains(message),
            "{spec}: expected {message:?} in:\n{stderr}"
        );
    }
    assert!(c.get(ns, "smcp/refused").is_none());
}

#[test]
fn a_resync_with_the_scaling_and_exposure_children_writes_nothing() {
    let c = cluster();
    let ns = c.namespace("e2e-scale-resync");
    let ns = ns.name.as_str();
    let op = Operator::start(c, ns, &[]);
    let cr = |name: &str, spec: Value| {
        json!({
            "apiVersion": "spotifymcp.dev/v1alpha1",
            "kind": "SpotifyMcp",
            "metadata": {"name": name},
            "spec": spec
        })
        .to_string()
    };
    // Every optional built-in child, the default topology spread, and a closed NetworkPolicy (no
    // peer at all) beside an open one.
    let open = cr(
        "open",
        json!({"sandbox": true, "replicas": 2,
            "autoscaling": {"enabled": true, "minReplicas": 2, "maxReplicas": 3,
                            "targetCPUUtilizationPercentage": 80, "targetMemoryUtilizationPercentage": 90},
            "networkPolicy": {"enabled": true, "from": [{"podSelector": {"matchLabels": {"app": "agent"}}}]},
            "ingress": {"enabled": true, "host": "mcp.example.com", "tlsSecretName": "tls",
                        "annotations": {"a": "b"}}}),
    );
    let closed = cr(
        "closed",
        json!({"sandbox": true,
            "networkPolicy": {"enabled": true, "monitoringNamespace": ""},
            "topologySpreadConstraints": [{"maxSkew": 2, "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": "closed"}}}]}),
    );
    for manifest in [&open, &closed] {
        let out = c.kubectl_stdin(&["-n", ns, "apply", "-f", "-"], Some(manifest));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wait_ready(c, ns, "open");
    wait_ready(c, ns, "closed");
    let children = [
        "hpa/open",
        "pdb/open",
        "networkpolicy/open",
        "ingress/open",
        "deployment/open",
        "networkpolicy/closed",
        "deployment/closed",
    ];
    for what in children {
        wait_for(what, TIMEOUT, || c.get(ns, what));
    }
    let np = c.get(ns, "networkpolicy/closed").expect("NetworkPolicy");
    assert_eq!(at(&np, "spec.policyTypes"), &json!(["Ingress"]));
    assert!(
        at(&np, "spec.ingress").is_null(),
        "no rule: nothing may connect"
    );
    // Let the last writes and their watch events settle.
    std::thread::sleep(Duration::from_secs(3));

    let specs = |c: &Cluster| {
        children.map(|what| {
            let v = c.get(ns, what).expect("object exists");
            (v["metadata"]["generation"].clone(), v["spec"].clone())
        })
    };
    let before = specs(c);
    let writes = op.metric_sum("spotify_mcp_operator_api_writes_total");
    let reconciles = op.metric_sum("spotify_mcp_operator_reconciliations_total");
    // --resync 2s: at least three full resyncs. (The HPA controller writes the HPA's status, so
    // compare generations and specs rather than resourceVersions.)
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(specs(c), before, "a resync changed a child's spec");
    assert_eq!(
        op.metric_sum("spotify_mcp_operator_api_writes_total"),
        writes,
        "a resync sent writes"
    );
    assert!(
        op.metric_sum("spotify_mcp_operator_reconciliations_total") >= reconciles + 3.0,
        "resyncs did not run"
    );
}
