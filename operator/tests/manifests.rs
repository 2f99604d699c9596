//! The committed manifests agree with the Rust types: the CRD file is what `crd` prints, and the
//! examples are valid `SpotifyMcp`s whose referenced Secrets ship alongside them.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use spotify_mcp_operator::crd::{self, SpotifyMcp, yaml};
use spotify_mcp_operator::secrets;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("operator/ has a parent")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn committed_crd_matches_the_rust_types() {
    let path = repo_root().join("crds/spotifymcp.dev_spotifymcps.yaml");
    let committed = read(&path);
    let generated = yaml::to_yaml(&crd::crd()).expect("CRD renders");
    assert!(
        committed == generated,
        "{} is out of date with the Rust types; regenerate it with\n  \
         cargo run -p spotify-mcp-operator -- crd > crds/spotifymcp.dev_spotifymcps.yaml",
        path.display()
    );
}

#[test]
fn examples_are_valid_and_ship_their_secrets() {
    let dir = repo_root().join("examples");
    for file in ["spotifymcp.yaml", "sandbox.yaml", "spotifymcp-hosted.yaml"] {
        let path = dir.join(file);
        let docs: Vec<serde_json::Value> = yaml::documents(&read(&path)).expect("examples parse");
        let mut objects = Vec::new();
        let mut secret_names = Vec::new();
        for doc in docs {
            match doc["kind"].as_str() {
                Some("SpotifyMcp") => objects.push(
                    serde_json::from_value::<SpotifyMcp>(doc)
                        .expect("example SpotifyMcp matches the types"),
                ),
                Some("Secret") => secret_names.push(
                    serde_json::from_value::<Secret>(doc)
                        .expect("example Secret parses")
                        .metadata
                        .name
                        .expect("Secret has a name"),
                ),
                other => panic!("{file}: unexpected kind {other:?}"),
            }
        }
        assert_eq!(objects.len(), 1, "{file} holds one SpotifyMcp");
        for name in secrets::references(&objects[0].spec).keys() {
            assert!(
                secret_names.contains(name),
                "{file} references Secret {name} but does not define it"
            );
        }
    }
}

#[test]
fn invalid_examples_name_the_message_they_must_fail_with() {
    let dir = repo_root().join("examples/invalid");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/invalid exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = read(&path);
        let message = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .unwrap_or_default();
        assert!(
            !message.is_empty()
                && read(&repo_root().join("crds/spotifymcp.dev_spotifymcps.yaml"))
                    .contains(message),
            "{}: first line must be `# <CEL message from the CRD>`",
            path.display()
        );
        count += 1;
    }
    assert!(
        count >= 5,
        "expected at least 5 invalid examples, found {count}"
    );
}

#[test]
fn committed_crd_has_the_scale_subresource_and_the_scaling_fields() {
    let text = read(&repo_root().join("crds/spotifymcp.dev_spotifymcps.yaml"));
    let docs: Vec<serde_json::Value> = yaml::documents(&text).expect("the CRD parses");
    let version = &docs[0]["spec"]["versions"][0];
    // What `kubectl scale` and a HorizontalPodAutoscaler read and write.
    assert_eq!(
        version["subresources"]["scale"],
        serde_json::json!({
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.selector"
        })
    );
    assert!(version["subresources"]["status"].is_object());
    let schema = &version["schema"]["openAPIV3Schema"]["properties"];
    assert_eq!(schema["status"]["properties"]["selector"]["type"], "string");
    assert_eq!(
        schema["status"]["properties"]["replicas"]["type"],
        "integer"
    );
    let spec = &schema["spec"]["properties"];
    for field in [
        "autoscaling",
        "topologySpreadConstraints",
        "networkPolicy",
        "ingress",
        "httpRoute",
    ] {
        assert!(spec[field].is_object(), "spec.{field} is missing");
    }
    // The combination rules sit on the objects they relate, with their messages.
    let rules = |field: &str| -> Vec<String> {
        spec[field]["x-kubernetes-validations"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .filter_map(|r| r["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(rules("autoscaling").len(), 3, "{:?}", rules("autoscaling"));
    assert!(
        rules("ingress")
            .iter()
            .any(|m| m.contains("ingress.host is required")),
        "{:?}",
        rules("ingress")
    );
    assert!(
        rules("httpRoute")
            .iter()
            .any(|m| m.contains("httpRoute.parentRefs")),
        "{:?}",
        rules("httpRoute")
    );
}
