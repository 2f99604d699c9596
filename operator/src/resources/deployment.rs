//! The server Deployment: restricted pod security, probes, credentials from Secrets as environment,
//! allowed hosts set to the Service DNS names, and a pod-template annotation that rolls the pods
//! when the referenced Secret data changes. In hosted mode (`spec.hosted`) the server gets the
//! OAuth settings and its keys file instead of a refresh token and static bearer tokens.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, HTTPGetAction, KeyToPath, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecretVolumeSource, SecurityContext,
    TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    BuildError, BuildParams, PORT_NAME, SECRET_HASH_ANNOTATION, child_meta, exposed_hosts,
    merged_labels, name_and_namespace, selector_labels, service_host_names,
};
use crate::crd::{CONTAINER_PORT, HostedSpec, SpotifyMcp};

/// User and group the server runs as (the image's non-root user).
pub const RUN_AS_USER: i64 = 65532;
/// Name of the server container.
pub const CONTAINER_NAME: &str = "server";
/// Where `spec.spotify.trustedCa` is mounted, and the file the server is told to read.
const TRUSTED_CA_DIR: &str = "/etc/spotify-mcp/trusted-ca";
const TRUSTED_CA_FILE: &str = "/etc/spotify-mcp/trusted-ca/ca.pem";
const TRUSTED_CA_VOLUME: &str = "trusted-ca";
/// Where `spec.hosted.keysSecretRef` is mounted, and the file the server is told to read.
const OAUTH_KEYS_DIR: &str = "/etc/spotify-mcp/oauth-keys";
const OAUTH_KEYS_FILE: &str = "/etc/spotify-mcp/oauth-keys/keys";
const OAUTH_KEYS_VOLUME: &str = "oauth-keys";
/// Mode of the projected keys file: read-only, owner and group (the pod's fsGroup) only.
const OAUTH_KEYS_MODE: i32 = 0o440;

/// The desired Deployment of `smcp`. `secret_hash` summarises the referenced Secret data
/// (see [`crate::secrets`]); it goes into a pod-template annotation.
pub fn build(
    smcp: &SpotifyMcp,
    params: &BuildParams,
    secret_hash: &str,
) -> Result<Deployment, BuildError> {
    let (name, _) = name_and_namespace(smcp)?;
    let spec = &smcp.spec;

    let mut pod_annotations = spec.pod_annotations.clone();
    pod_annotations.insert(SECRET_HASH_ANNOTATION.to_owned(), secret_hash.to_owned());

    let pod = PodSpec {
        containers: vec![container(smcp, params)?],
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(RUN_AS_USER),
            run_as_group: Some(RUN_AS_USER),
            fs_group: Some(RUN_AS_USER),
            seccomp_profile: Some(runtime_default_seccomp()),
            ..PodSecurityContext::default()
        }),
        node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
        tolerations: (!spec.tolerations.is_empty()).then(|| spec.tolerations.clone()),
        affinity: spec.affinity.clone(),
        topology_spread_constraints: topology_spread(smcp, name),
        volumes: Some(volumes(smcp)),
        ..PodSpec::default()
    };

    Ok(Deployment {
        metadata: child_meta(smcp, &BTreeMap::new())?,
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            revision_history_limit: Some(3),
            selector: LabelSelector {
                match_labels: Some(selector_labels(name)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(merged_labels(name, &spec.pod_labels)),
                    annotations: Some(pod_annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    })
}

fn container(smcp: &SpotifyMcp, params: &BuildParams) -> Result<Container, BuildError> {
    let spec = &smcp.spec;
    Ok(Container {
        name: CONTAINER_NAME.to_owned(),
        image: Some(smcp.image(&params.default_image).to_owned()),
        image_pull_policy: spec.image_pull_policy.map(|p| p.as_str().to_owned()),
        env: Some(environment(smcp, params)?),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.to_owned()),
            container_port: CONTAINER_PORT,
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        liveness_probe: Some(http_probe("/healthz", 10, 3)),
        readiness_probe: Some(http_probe("/readyz", 5, 3)),
        startup_probe: Some(http_probe("/healthz", 2, 30)),
        resources: Some(spec.resources.clone().unwrap_or_else(default_resources)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            privileged: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_owned()]),
                ..Capabilities::default()
            }),
            seccomp_profile: Some(runtime_default_seccomp()),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(volume_mounts(smcp)),
        ..Container::default()
    })
}

/// The spec's constraints when it sets them (an empty list: none); otherwise spread this server's
/// pods across nodes, as a preference, so that one node going away takes at most its share.
fn topology_spread(smcp: &SpotifyMcp, name: &str) -> Option<Vec<TopologySpreadConstraint>> {
    match &smcp.spec.topology_spread_constraints {
        Some(constraints) if constraints.is_empty() => None,
        Some(constraints) => Some(constraints.clone()),
        None => Some(vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "kubernetes.io/hostname".to_owned(),
            when_unsatisfiable: "ScheduleAnyway".to_owned(),
            label_selector: Some(LabelSelector {
                match_labels: Some(selector_labels(name)),
                ..LabelSelector::default()
            }),
            ..TopologySpreadConstraint::default()
        }]),
    }
}

fn trusted_ca(smcp: &SpotifyMcp) -> Option<&crate::crd::TrustedCa> {
    smcp.spec.spotify.as_ref()?.trusted_ca.as_ref()
}

/// A small `/tmp`, the trusted CA's key projected as `ca.pem` when there is one, and in hosted
/// mode the OAuth keys Secret's key projected as `keys` (nothing else of that Secret).
fn volumes(smcp: &SpotifyMcp) -> Vec<Volume> {
    let mut volumes = vec![Volume {
        name: "tmp".to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("64Mi".to_owned())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }];
    if let Some(ca) = trusted_ca(smcp) {
        let item = |key: &str| {
            Some(vec![KeyToPath {
                key: key.to_owned(),
                path: "ca.pem".to_owned(),
                mode: None,
            }])
        };
        let mut volume = Volume {
            name: TRUSTED_CA_VOLUME.to_owned(),
            ..Volume::default()
        };
        if let Some(cm) = &ca.config_map {
            volume.config_map = Some(ConfigMapVolumeSource {
                name: cm.name.clone(),
                items: item(&cm.key),
                ..ConfigMapVolumeSource::default()
            });
        } else if let Some(secret) = &ca.secret {
            volume.secret = Some(SecretVolumeSource {
                secret_name: Some(secret.name.clone()),
                items: item(&secret.key),
                ..SecretVolumeSource::default()
            });
        }
        volumes.push(volume);
    }
    if let Some(keys) = oauth_keys(smcp) {
        volumes.push(Volume {
            name: OAUTH_KEYS_VOLUME.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(keys.name.clone()),
                items: Some(vec![KeyToPath {
                    key: keys.key.clone(),
                    path: "keys".to_owned(),
                    mode: None,
                }]),
                default_mode: Some(OAUTH_KEYS_MODE),
                optional: None,
            }),
            ..Volume::default()
        });
    }
    volumes
}

/// The OAuth keys Secret key, in hosted mode.
fn oauth_keys(smcp: &SpotifyMcp) -> Option<&crate::crd::SecretKeyRef> {
    smcp.spec.hosted()?.keys_secret_ref.as_ref()
}

fn volume_mounts(smcp: &SpotifyMcp) -> Vec<VolumeMount> {
    let mut mounts = vec![VolumeMount {
        name: "tmp".to_owned(),
        mount_path: "/tmp".to_owned(),
        ..VolumeMount::default()
    }];
    if trusted_ca(smcp).is_some() {
        mounts.push(VolumeMount {
            name: TRUSTED_CA_VOLUME.to_owned(),
            mount_path: TRUSTED_CA_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    if oauth_keys(smcp).is_some() {
        mounts.push(VolumeMount {
            name: OAUTH_KEYS_VOLUME.to_owned(),
            mount_path: OAUTH_KEYS_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    mounts
}

/// The server's configuration as environment variables (names from the server's CLI contract).
fn environment(smcp: &SpotifyMcp, params: &BuildParams) -> Result<Vec<EnvVar>, BuildError> {
    let (name, namespace) = name_and_namespace(smcp)?;
    let spec = &smcp.spec;
    let mut hosts = service_host_names(name, namespace, spec.service.port, &params.cluster_domain);
    if spec.service.port != CONTAINER_PORT {
        // kubelet probes and port-forwards reach the pod on the container port.
        hosts.extend(service_host_names(
            name,
            namespace,
            CONTAINER_PORT,
            &params.cluster_domain,
        ));
        hosts.sort();
        hosts.dedup();
    }
    hosts.extend(spec.extra_allowed_hosts.iter().map(|h| h.0.clone()));
    for host in exposed_hosts(smcp) {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }

    let mut env = vec![
        plain("SPOTIFY_MCP_BIND", "0.0.0.0"),
        plain("SPOTIFY_MCP_PORT", &CONTAINER_PORT.to_string()),
        plain("SPOTIFY_MCP_ALLOWED_HOSTS", &hosts.join(",")),
        plain("SPOTIFY_MCP_LOG", &spec.log_level),
        plain("SPOTIFY_MCP_LOG_FORMAT", "json"),
        plain("SPOTIFY_MCP_CACHE_SIZE_MB", &spec.cache.size_mb.to_string()),
    ];
    match &spec.cache.redis_url {
        Some(redis) => env.push(from_secret(
            "SPOTIFY_MCP_CACHE",
            &redis.name,
            &redis.key,
            false,
        )),
        None => env.push(plain("SPOTIFY_MCP_CACHE", "memory")),
    }
    if !spec.toolsets.is_empty() {
        let toolsets: Vec<&str> = spec.toolsets.iter().map(|t| t.as_str()).collect();
        env.push(plain("SPOTIFY_MCP_TOOLSETS", &toolsets.join(",")));
    }
    if spec.read_only {
        env.push(plain("SPOTIFY_MCP_READ_ONLY", "true"));
    }
    if spec.sandbox {
        env.push(plain("SPOTIFY_MCP_SANDBOX", "true"));
    }
    if let Some(spotify) = &spec.spotify {
        env.push(from_secret(
            "SPOTIFY_CLIENT_ID",
            &spotify.secret_name,
            &spotify.client_id_key,
            false,
        ));
        env.push(from_secret(
            "SPOTIFY_CLIENT_SECRET",
            &spotify.secret_name,
            &spotify.client_secret_key,
            true,
        ));
        // Hosted mode has no shared account: each user signs in, and the server refuses a
        // refresh token.
        if spec.hosted().is_none() {
            env.push(from_secret(
                "SPOTIFY_REFRESH_TOKEN",
                &spotify.secret_name,
                &spotify.refresh_token_key,
                true,
            ));
        }
        if let Some(url) = &spotify.api_base_url {
            env.push(plain("SPOTIFY_API_BASE_URL", url));
        }
        if let Some(url) = &spotify.accounts_base_url {
            env.push(plain("SPOTIFY_ACCOUNTS_BASE_URL", url));
        }
        if let Some(rate_limit) = &spotify.rate_limit {
            env.push(plain("SPOTIFY_MCP_SPOTIFY_RATE_LIMIT", rate_limit));
        }
        if spotify.trusted_ca.is_some() {
            env.push(plain("SPOTIFY_MCP_CA_FILE", TRUSTED_CA_FILE));
        }
    }
    match spec.hosted() {
        Some(hosted) => env.extend(hosted_environment(hosted)),
        // Static bearer tokens: outside hosted mode only (the server refuses them in it, and the
        // CRD refuses the combination).
        None => {
            if let Some(token) = &spec.access_token {
                env.push(from_secret(
                    "SPOTIFY_MCP_AUTH_TOKENS",
                    &token.name,
                    &token.key,
                    false,
                ));
            }
        }
    }
    Ok(env)
}

/// The hosted-mode settings: OAuth on, the public URL, the store (Redis from a Secret, else
/// memory), the keys file, and the switches that differ from the server's defaults.
fn hosted_environment(hosted: &HostedSpec) -> Vec<EnvVar> {
    let mut env = vec![plain("SPOTIFY_MCP_OAUTH", "true")];
    if let Some(url) = hosted.public_url() {
        env.push(plain("SPOTIFY_MCP_PUBLIC_URL", url));
    }
    env.push(match &hosted.store_redis_url {
        Some(redis) => from_secret("SPOTIFY_MCP_OAUTH_STORE", &redis.name, &redis.key, false),
        None => plain("SPOTIFY_MCP_OAUTH_STORE", "memory"),
    });
    if hosted.keys_secret_ref.is_some() {
        env.push(plain("SPOTIFY_MCP_OAUTH_KEYS_FILE", OAUTH_KEYS_FILE));
    }
    if !hosted.dynamic_client_registration {
        env.push(plain("SPOTIFY_MCP_OAUTH_DCR", "false"));
    }
    if !hosted.client_id_metadata_documents {
        env.push(plain("SPOTIFY_MCP_OAUTH_CIMD", "false"));
    }
    if hosted.show_dialog {
        env.push(plain("SPOTIFY_MCP_OAUTH_SHOW_DIALOG", "true"));
    }
    env
}

fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        value_from: None,
    }
}

fn from_secret(name: &str, secret: &str, key: &str, optional: bool) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
                optional: optional.then_some(true),
            }),
            ..EnvVarSource::default()
        }),
    }
}

fn http_probe(path: &str, period_seconds: i32, failure_threshold: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String(PORT_NAME.to_owned()),
            scheme: Some("HTTP".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period_seconds),
        failure_threshold: Some(failure_threshold),
        timeout_seconds: Some(2),
        ..Probe::default()
    }
}

fn runtime_default_seccomp() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".to_owned(),
        ..SeccompProfile::default()
    }
}

fn default_resources() -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), Quantity("50m".to_owned())),
            ("memory".to_owned(), Quantity("64Mi".to_owned())),
        ])),
        limits: Some(BTreeMap::from([(
            "memory".to_owned(),
            Quantity("256Mi".to_owned()),
        )])),
        ..ResourceRequirements::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::object;
    use serde_json::json;

    fn params() -> BuildParams {
        BuildParams {
            default_image: "ghcr.io/spotify-mcp/spotify-mcp-server:9.9.9".to_owned(),
            cluster_domain: "cluster.local".to_owned(),
            operator_namespace: None,
        }
    }

    fn env_map(d: &Deployment) -> BTreeMap<String, EnvVar> {
        container_of(d)
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect()
    }

    fn container_of(d: &Deployment) -> &Container {
        &d.spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .expect("pod spec")
            .containers[0]
    }

    fn secret_ref(e: &EnvVar) -> (String, String, Option<bool>) {
        let s = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
            .expect("secret ref");
        (s.name.clone(), s.key.clone(), s.optional)
    }

    fn full() -> SpotifyMcp {
        object(json!({
            "replicas": 2,
            "spotify": {"secretName": "spotify", "apiBaseUrl": "http://sandbox:9000/v1", "rateLimit": "50/s,burst=100"},
            "accessToken": {"name": "mcp-token", "key": "token"},
            "toolsets": ["playback", "search"],
            "readOnly": true,
            "cache": {"sizeMb": 128, "redisUrl": {"name": "redis", "key": "url"}},
            "service": {"port": 80},
            "logLevel": "debug",
            "extraAllowedHosts": ["mcp.example.com"],
            "podAnnotations": {"team": "audio"},
            "podLabels": {"tier": "backend", "app.kubernetes.io/name": "evil"},
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "dedicated", "operator": "Exists"}]
        }))
    }

    #[test]
    fn runs_the_default_image_unless_the_spec_sets_one() {
        let d = build(&object(json!({"sandbox": true})), &params(), "h").expect("builds");
        assert_eq!(
            container_of(&d).image.as_deref(),
            Some("ghcr.io/spotify-mcp/spotify-mcp-server:9.9.9")
        );
        let d = build(
            &object(json!({"sandbox": true, "image": "reg/x:1"})),
            &params(),
            "h",
        )
        .expect("builds");
        assert_eq!(container_of(&d).image.as_deref(), Some("reg/x:1"));
    }

    #[test]
    fn a_trusted_ca_is_mounted_read_only_and_named_to_the_server() {
        let d = build(&full(), &params(), "h").expect("builds");
        assert!(!env_map(&d).contains_key("SPOTIFY_MCP_CA_FILE"));
        for (source, want_config_map) in [
            (
                json!({"configMap": {"name": "corp-ca", "key": "bundle.pem"}}),
                true,
            ),
            (
                json!({"secret": {"name": "corp-ca", "key": "bundle.pem"}}),
                false,
            ),
        ] {
            let smcp = object(json!({
                "spotify": {"secretName": "spotify", "trustedCa": source},
            }));
            let d = build(&smcp, &params(), "h").expect("builds");
            let env = env_map(&d);
            assert_eq!(
                env["SPOTIFY_MCP_CA_FILE"].value.as_deref(),
                Some("/etc/spotify-mcp/trusted-ca/ca.pem")
            );
            let pod = d.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
            let volume = pod
                .volumes
                .as_ref()
                .unwrap()
                .iter()
                .find(|v| v.name == "trusted-ca")
                .expect("trusted-ca volume");
            let items = if want_config_map {
                let cm = volume.config_map.as_ref().expect("from the ConfigMap");
                assert_eq!(cm.name, "corp-ca");
                cm.items.clone()
            } else {
                let secret = volume.secret.as_ref().expect("from the Secret");
                assert_eq!(secret.secret_name.as_deref(), Some("corp-ca"));
                secret.items.clone()
            };
            let items = items.unwrap();
            assert_eq!(
                (items[0].key.as_str(), items[0].path.as_str()),
                ("bundle.pem", "ca.pem")
            );
            let mount = container_of(&d)
                .volume_mounts
                .as_ref()
                .unwrap()
                .iter()
                .find(|m| m.name == "trusted-ca")
                .cloned()
                .expect("mounted");
            assert_eq!(mount.mount_path, "/etc/spotify-mcp/trusted-ca");
            assert_eq!(mount.read_only, Some(true));
        }
    }

    #[test]
    fn environment_follows_the_server_contract() {
        let d = build(&full(), &params(), "h").expect("builds");
        let env = env_map(&d);
        let value = |k: &str| {
            env[k]
                .value
                .clone()
                .unwrap_or_else(|| panic!("{k} has a value"))
        };
        assert_eq!(value("SPOTIFY_MCP_BIND"), "0.0.0.0");
        assert_eq!(value("SPOTIFY_MCP_PORT"), "8000");
        assert_eq!(value("SPOTIFY_MCP_LOG"), "debug");
        assert_eq!(value("SPOTIFY_MCP_TOOLSETS"), "playback,search");
        assert_eq!(value("SPOTIFY_MCP_READ_ONLY"), "true");
        assert_eq!(value("SPOTIFY_MCP_CACHE_SIZE_MB"), "128");
        assert_eq!(value("SPOTIFY_API_BASE_URL"), "http://sandbox:9000/v1");
        assert_eq!(value("SPOTIFY_MCP_SPOTIFY_RATE_LIMIT"), "50/s,burst=100");
        assert!(!env.contains_key("SPOTIFY_MCP_SANDBOX"));
        assert_eq!(
            secret_ref(&env["SPOTIFY_CLIENT_ID"]),
            ("spotify".into(), "client-id".into(), None)
        );
        assert_eq!(
            secret_ref(&env["SPOTIFY_CLIENT_SECRET"]),
            ("spotify".into(), "client-secret".into(), Some(true))
        );
        assert_eq!(
            secret_ref(&env["SPOTIFY_REFRESH_TOKEN"]),
            ("spotify".into(), "refresh-token".into(), Some(true))
        );
        assert_eq!(
            secret_ref(&env["SPOTIFY_MCP_AUTH_TOKENS"]),
            ("mcp-token".into(), "token".into(), None)
        );
        assert_eq!(
            secret_ref(&env["SPOTIFY_MCP_CACHE"]),
            ("redis".into(), "url".into(), None)
        );
        // No secret value ever appears inline.
        assert!(
            env.values()
                .all(|e| e.value.is_some() != e.value_from.is_some())
        );
    }

    #[test]
    fn allowed_hosts_are_the_service_names_on_both_ports_plus_extras() {
        let d = build(&full(), &params(), "h").expect("builds");
        let hosts = env_map(&d)["SPOTIFY_MCP_ALLOWED_HOSTS"]
            .value
            .clone()
            .expect("value");
        let hosts: Vec<&str> = hosts.split(',').collect();
        for h in [
            "music",
            "music:80",
            "music:8000",
            "music.media",
            "music.media.svc",
            "music.media.svc:80",
            "music.media.svc.cluster.local",
            "music.media.svc.cluster.local:80",
            "music.media.svc.cluster.local:8000",
            "mcp.example.com",
        ] {
            assert!(hosts.contains(&h), "{h} missing from {hosts:?}");
        }
        assert_eq!(hosts.len(), 8 + 4 + 1, "{hosts:?}");
    }

    #[test]
    fn ingress_and_route_hosts_are_allowed_hosts() {
        let smcp = object(
            json!({"sandbox": true, "extraAllowedHosts": ["mcp.example.com"],
            "ingress": {"enabled": true, "host": "mcp.example.com"},
            "httpRoute": {"enabled": true, "parentRefs": [{"name": "gw"}], "hostnames": ["mcp.example.org"]}}),
        );
        let d = build(&smcp, &params(), "h").expect("builds");
        let hosts = env_map(&d)["SPOTIFY_MCP_ALLOWED_HOSTS"]
            .value
            .clone()
            .expect("value");
        let hosts: Vec<&str> = hosts.split(',').collect();
        assert_eq!(
            hosts.iter().filter(|h| **h == "mcp.example.com").count(),
            1,
            "{hosts:?}"
        );
        assert!(hosts.contains(&"mcp.example.org"), "{hosts:?}");
        assert_eq!(hosts.len(), 8 + 2, "{hosts:?}");
    }

    #[test]
    fn pods_spread_across_nodes_unless_the_spec_says_otherwise() {
        let spread = |spec: serde_json::Value| {
            let d = build(&object(spec), &params(), "h").expect("builds");
            d.spec
                .and_then(|s| s.template.spec)
                .and_then(|p| p.topology_spread_constraints)
        };
        let default = spread(json!({"sandbox": true})).expect("a default constraint");
        assert_eq!(default.len(), 1);
        let c = &default[0];
        assert_eq!(
            (
                c.max_skew,
                c.topology_key.as_str(),
                c.when_unsatisfiable.as_str()
            ),
            (1, "kubernetes.io/hostname", "ScheduleAnyway")
        );
        assert_eq!(
            c.label_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(selector_labels("music"))
        );
        assert_eq!(
            spread(json!({"sandbox": true, "topologySpreadConstraints": []})),
            None
        );
        let zones = spread(json!({"sandbox": true, "topologySpreadConstraints": [{
            "maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": "music"}}}]}))
        .expect("the spec's constraint");
        assert_eq!(zones.len(), 1);
        assert_eq!(zones[0].topology_key, "topology.kubernetes.io/zone");
    }

    #[test]
    fn sandbox_mode_without_credentials() {
        let d = build(&object(json!({"sandbox": true})), &params(), "h").expect("builds");
        let env = env_map(&d);
        assert_eq!(env["SPOTIFY_MCP_SANDBOX"].value.as_deref(), Some("true"));
        assert_eq!(env["SPOTIFY_MCP_CACHE"].value.as_deref(), Some("memory"));
        assert!(!env.contains_key("SPOTIFY_CLIENT_ID"));
        assert!(!env.contains_key("SPOTIFY_MCP_AUTH_TOKENS"));
        assert!(!env.contains_key("SPOTIFY_MCP_TOOLSETS"));
    }

    fn hosted(extra: serde_json::Value) -> SpotifyMcp {
        let mut spec = json!({
            "spotify": {"secretName": "spotify"},
            "cache": {"redisUrl": {"name": "redis", "key": "url"}},
            "hosted": {"enabled": true, "publicUrl": "https://mcp.example.com/",
                       "keysSecretRef": {"name": "oauth", "key": "keys.txt"}}
        });
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                spec.insert(k.clone(), v.clone());
            }
        }
        object(spec)
    }

    fn pod_of(d: &Deployment) -> &PodSpec {
        d.spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .expect("pod spec")
    }

    #[test]
    fn hosted_mode_sets_the_oauth_contract_and_no_shared_credentials() {
        let d = build(&hosted(json!({})), &params(), "h").expect("builds");
        let env = env_map(&d);
        let value = |k: &str| env[k].value.as_deref();
        assert_eq!(value("SPOTIFY_MCP_OAUTH"), Some("true"));
        assert_eq!(
            value("SPOTIFY_MCP_PUBLIC_URL"),
            Some("https://mcp.example.com"),
            "without the trailing slash the server would append its paths to"
        );
        assert_eq!(value("SPOTIFY_MCP_OAUTH_STORE"), Some("memory"));
        assert_eq!(
            value("SPOTIFY_MCP_OAUTH_KEYS_FILE"),
            Some("/etc/spotify-mcp/oauth-keys/keys")
        );
        // The server's defaults: registration and metadata documents on, no forced dialog.
        for unset in [
            "SPOTIFY_MCP_OAUTH_DCR",
            "SPOTIFY_MCP_OAUTH_CIMD",
            "SPOTIFY_MCP_OAUTH_SHOW_DIALOG",
            "SPOTIFY_REFRESH_TOKEN",
            "SPOTIFY_MCP_AUTH_TOKENS",
        ] {
            assert!(!env.contains_key(unset), "{unset} is set");
        }
        // The app credentials and the response cache stay as outside hosted mode.
        assert_eq!(
            secret_ref(&env["SPOTIFY_CLIENT_ID"]),
            ("spotify".into(), "client-id".into(), None)
        );
        assert!(env.contains_key("SPOTIFY_CLIENT_SECRET"));
        assert_eq!(
            secret_ref(&env["SPOTIFY_MCP_CACHE"]),
            ("redis".into(), "url".into(), None)
        );
        assert!(
            env.values()
                .all(|e| e.value.is_some() != e.value_from.is_some())
        );
    }

    #[test]
    fn hosted_mode_mounts_only_the_keys_of_the_keys_secret_read_only() {
        let d = build(&hosted(json!({})), &params(), "h").expect("builds");
        let volume = pod_of(&d)
            .volumes
            .as_ref()
            .expect("volumes")
            .iter()
            .find(|v| v.name == "oauth-keys")
            .expect("oauth-keys volume");
        let secret = volume.secret.as_ref().expect("a Secret volume");
        assert_eq!(secret.secret_name.as_deref(), Some("oauth"));
        assert_eq!(secret.default_mode, Some(0o440));
        let items = secret.items.as_ref().expect("only the referenced key");
        assert_eq!(
            items
                .iter()
                .map(|i| (i.key.as_str(), i.path.as_str()))
                .collect::<Vec<_>>(),
            [("keys.txt", "keys")]
        );
        let mount = container_of(&d)
            .volume_mounts
            .as_ref()
            .expect("mounts")
            .iter()
            .find(|m| m.name == "oauth-keys")
            .expect("mounted");
        assert_eq!(mount.mount_path, "/etc/spotify-mcp/oauth-keys");
        assert_eq!(mount.read_only, Some(true));
        assert!(
            mount.sub_path.is_none(),
            "a subPath mount would never see a rotation"
        );
    }

    #[test]
    fn hosted_mode_with_a_redis_store_and_every_switch_flipped() {
        let smcp = hosted(json!({"replicas": 3, "hosted": {
            "enabled": true, "publicUrl": "https://mcp.example.com",
            "keysSecretRef": {"name": "oauth", "key": "keys"},
            "storeRedisUrl": {"name": "redis", "key": "url"},
            "showDialog": true, "dynamicClientRegistration": false,
            "clientIdMetadataDocuments": false}}));
        let d = build(&smcp, &params(), "h").expect("builds");
        let env = env_map(&d);
        assert_eq!(
            secret_ref(&env["SPOTIFY_MCP_OAUTH_STORE"]),
            ("redis".into(), "url".into(), None)
        );
        assert_eq!(env["SPOTIFY_MCP_OAUTH_DCR"].value.as_deref(), Some("false"));
        assert_eq!(
            env["SPOTIFY_MCP_OAUTH_CIMD"].value.as_deref(),
            Some("false")
        );
        assert_eq!(
            env["SPOTIFY_MCP_OAUTH_SHOW_DIALOG"].value.as_deref(),
            Some("true")
        );
    }

    #[test]
    fn hosted_mode_drops_static_tokens_even_if_the_spec_still_has_them() {
        // The CRD refuses the combination; an object stored before that rule still must not
        // hand the server something it refuses to start with.
        let smcp = hosted(json!({"accessToken": {"name": "mcp-token", "key": "token"}}));
        let env = env_map(&build(&smcp, &params(), "h").expect("builds"));
        assert!(!env.contains_key("SPOTIFY_MCP_AUTH_TOKENS"));
        assert!(!env.contains_key("SPOTIFY_REFRESH_TOKEN"));
    }

    #[test]
    fn hosted_settings_are_ignored_while_hosted_mode_is_off() {
        let mut smcp = hosted(json!({"accessToken": {"name": "mcp-token", "key": "token"}}));
        smcp.spec.hosted.enabled = false;
        let d = build(&smcp, &params(), "h").expect("builds");
        let env = env_map(&d);
        assert!(
            !env.keys().any(|k| k.starts_with("SPOTIFY_MCP_OAUTH")),
            "{env:?}"
        );
        assert!(!env.contains_key("SPOTIFY_MCP_PUBLIC_URL"));
        assert!(env.contains_key("SPOTIFY_REFRESH_TOKEN"));
        assert!(env.contains_key("SPOTIFY_MCP_AUTH_TOKENS"));
        assert!(
            !pod_of(&d)
                .volumes
                .iter()
                .flatten()
                .any(|v| v.name == "oauth-keys")
        );
    }

    #[test]
    fn pod_security_is_restricted() {
        let d = build(&full(), &params(), "h").expect("builds");
        let pod = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .expect("pod");
        let psc = pod.security_context.as_ref().expect("pod security context");
        assert_eq!(psc.run_as_non_root, Some(true));
        assert_eq!(psc.run_as_user, Some(65532));
        assert_eq!(
            psc.seccomp_profile.as_ref().map(|s| s.type_.as_str()),
            Some("RuntimeDefault")
        );
        let sc = container_of(&d)
            .security_context
            .as_ref()
            .expect("container security context");
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.run_as_non_root, Some(true));
        assert_eq!(
            sc.capabilities.as_ref().and_then(|c| c.drop.clone()),
            Some(vec!["ALL".to_owned()])
        );
        assert_eq!(pod.automount_service_account_token, Some(false));
    }

    #[test]
    fn probes_hit_healthz_and_readyz_on_the_named_port() {
        let d = build(&full(), &params(), "h").expect("builds");
        let c = container_of(&d);
        let path = |p: &Option<Probe>| {
            let get = p
                .as_ref()
                .and_then(|p| p.http_get.as_ref())
                .expect("http probe");
            assert_eq!(get.port, IntOrString::String(PORT_NAME.to_owned()));
            get.path.clone().expect("path")
        };
        assert_eq!(path(&c.liveness_probe), "/healthz");
        assert_eq!(path(&c.readiness_probe), "/readyz");
        let port = &c.ports.as_ref().expect("ports")[0];
        assert_eq!(
            (port.name.as_deref(), port.container_port),
            (Some(PORT_NAME), 8000)
        );
    }

    #[test]
    fn template_carries_the_secret_hash_user_annotations_and_labels() {
        let d = build(&full(), &params(), "abc123").expect("builds");
        let spec = d.spec.as_ref().expect("spec");
        let meta = spec.template.metadata.as_ref().expect("template meta");
        let annotations = meta.annotations.as_ref().expect("annotations");
        assert_eq!(annotations[SECRET_HASH_ANNOTATION], "abc123");
        assert_eq!(annotations["team"], "audio");
        let labels = meta.labels.as_ref().expect("labels");
        assert_eq!(labels["tier"], "backend");
        assert_eq!(labels["app.kubernetes.io/name"], "spotify-mcp");
        // The selector is a subset of the template labels, or the API server rejects the Deployment.
        for (k, v) in spec.selector.match_labels.as_ref().expect("selector") {
            assert_eq!(labels.get(k), Some(v));
        }
        assert_eq!(spec.replicas, Some(2));
        let pod = spec.template.spec.as_ref().expect("pod");
        assert_eq!(
            pod.node_selector.as_ref().map(|n| n["disk"].as_str()),
            Some("ssd")
        );
        assert_eq!(pod.tolerations.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn a_different_secret_hash_changes_only_the_annotation() {
        let a = build(&full(), &params(), "one").expect("builds");
        let mut b = build(&full(), &params(), "two").expect("builds");
        assert_ne!(a, b);
        if let Some(ann) = b
            .spec
            .as_mut()
            .and_then(|s| s.template.metadata.as_mut())
            .and_then(|m| m.annotations.as_mut())
        {
            ann.insert(SECRET_HASH_ANNOTATION.to_owned(), "one".to_owned());
        }
        assert_eq!(a, b);
    }

    #[test]
    fn default_resources_apply_only_when_unset() {
        let d = build(&object(json!({"sandbox": true})), &params(), "h").expect("builds");
        let r = container_of(&d).resources.clone().expect("resources");
        assert_eq!(
            r.requests.expect("requests")["memory"],
            Quantity("64Mi".into())
        );
        let d = build(
            &object(json!({"sandbox": true, "resources": {"limits": {"cpu": "1"}}})),
            &params(),
            "h",
        )
        .expect("builds");
        let r = container_of(&d).resources.clone().expect("resources");
        assert!(r.requests.is_none());
        assert_eq!(r.limits.expect("limits")["cpu"], Quantity("1".into()));
    }
}
