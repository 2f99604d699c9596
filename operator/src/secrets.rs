//! The Secrets a `SpotifyMcp` references, and the hash of their data that goes into the pod
//! template (so a changed credential rolls the pods). Only the referenced keys count: editing an
//! unrelated key of the same Secret does not restart the server. Values never leave this module
//! except as a SHA-256 digest.
//!
//! Also read here: when the user authorised the credentials (the annotation
//! [`AUTHORIZED_AT_ANNOTATION`], not a secret), which the server gets as `SPOTIFY_AUTHORIZED_AT`
//! and the status shows as the `CredentialsExpiring` condition.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{EnvVar, Secret};
use sha2::{Digest, Sha256};

use crate::crd::SpotifyMcpSpec;
use crate::resources::deployment::CONTAINER_NAME;

/// Annotation of the credentials Secret: when the user authorised, RFC 3339
/// (`spotify-mcp-server auth login --print-secret NAME` writes it).
pub const AUTHORIZED_AT_ANNOTATION: &str = "spotifymcp.dev/authorized-at";
/// The server's environment variable for the authorisation date.
pub const AUTHORIZED_AT_ENV: &str = "SPOTIFY_AUTHORIZED_AT";

/// What the credentials Secret says about when the user authorised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// Sandbox, or no `spec.spotify`: no Spotify credentials that could expire.
    NotApplicable,
    /// The credentials Secret does not exist.
    SecretMissing {
        /// Secret name.
        secret: String,
    },
    /// The Secret holds no refresh token: app-only credentials, which do not expire.
    NoRefreshToken {
        /// Secret name.
        secret: String,
    },
    /// The Secret has no (or an empty) authorisation annotation.
    Unknown {
        /// Secret name.
        secret: String,
    },
    /// The annotation is not an RFC 3339 instant.
    Invalid {
        /// Secret name.
        secret: String,
    },
    /// Authorised at this instant.
    At {
        /// Secret name.
        secret: String,
        /// When the user authorised.
        at: jiff::Timestamp,
    },
}

/// When the user authorised the credentials of `spec`, from the Secrets in `found`. Hosted mode
/// has no shared refresh token (each user signs in), so nothing there can expire.
pub fn authorization(spec: &SpotifyMcpSpec, found: &BTreeMap<String, Secret>) -> Authorization {
    let shared_account = !spec.sandbox && spec.hosted().is_none();
    let Some(spotify) = spec.spotify.as_ref().filter(|_| shared_account) else {
        return Authorization::NotApplicable;
    };
    let secret = spotify.secret_name.clone();
    let Some(object) = found.get(&secret) else {
        return Authorization::SecretMissing { secret };
    };
    if value(object, &spotify.refresh_token_key).is_none_or(|v| v.trim_ascii().is_empty()) {
        return Authorization::NoRefreshToken { secret };
    }
    let annotation = object
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(AUTHORIZED_AT_ANNOTATION))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    match annotation.map(str::parse::<jiff::Timestamp>) {
        None => Authorization::Unknown { secret },
        Some(Ok(at)) => Authorization::At { secret, at },
        Some(Err(_)) => Authorization::Invalid { secret },
    }
}

/// Sets `SPOTIFY_AUTHORIZED_AT` on the server container when the date is known. The Deployment
/// builder only sees the Secrets' hash; an annotation cannot be read with `valueFrom`, so the
/// operator passes this one non-secret value itself (normalised to UTC, whole seconds).
pub fn pass_authorized_at(deployment: &mut Deployment, authorization: &Authorization) {
    let Authorization::At { at, .. } = authorization else {
        return;
    };
    let value = at.round(jiff::Unit::Second).unwrap_or(*at).to_string();
    let containers = deployment
        .spec
        .iter_mut()
        .filter_map(|spec| spec.template.spec.as_mut())
        .flat_map(|pod| pod.containers.iter_mut())
        .filter(|c| c.name == CONTAINER_NAME);
    for container in containers {
        let env = container.env.get_or_insert_with(Vec::new);
        env.retain(|e| e.name != AUTHORIZED_AT_ENV);
        env.push(EnvVar {
            name: AUTHORIZED_AT_ENV.to_owned(),
            value: Some(value.clone()),
            value_from: None,
        });
    }
}

/// Secret name -> keys of it the spec references.
pub type References = BTreeMap<String, BTreeSet<String>>;

/// Every (Secret, key) pair the server's environment and volumes read (what the Deployment builder
/// passes: in hosted mode the OAuth keys and store instead of the refresh token and bearer tokens).
pub fn references(spec: &SpotifyMcpSpec) -> References {
    let mut refs = References::new();
    let mut add = |name: &str, key: &str| {
        refs.entry(name.to_owned())
            .or_default()
            .insert(key.to_owned());
    };
    let hosted = spec.hosted();
    if let Some(s) = &spec.spotify {
        add(&s.secret_name, &s.client_id_key);
        add(&s.secret_name, &s.client_secret_key);
        if hosted.is_none() {
            add(&s.secret_name, &s.refresh_token_key);
        }
    }
    if let Some(t) = spec.access_token.as_ref().filter(|_| hosted.is_none()) {
        add(&t.name, &t.key);
    }
    if let Some(r) = &spec.cache.redis_url {
        add(&r.name, &r.key);
    }
    if let Some(hosted) = hosted {
        // A new first key line (rotation) rolls the pods, so every replica encrypts with it.
        for r in [&hosted.keys_secret_ref, &hosted.store_redis_url]
            .into_iter()
            .flatten()
        {
            add(&r.name, &r.key);
        }
    }
    refs
}

/// Whether the spec reads the Secret called `name`.
pub fn references_secret(spec: &SpotifyMcpSpec, name: &str) -> bool {
    references(spec).contains_key(name)
}

/// What the hash saw: the digest and the Secrets that do not exist (for the status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDigest {
    /// Hex SHA-256 over every referenced (Secret, key, value), missing ones included as such.
    pub hash: String,
    /// Referenced Secrets that were not found.
    pub missing_secrets: Vec<String>,
}

/// Hashes the referenced keys of `found` (Secrets fetched by name; absent = not found).
pub fn digest(refs: &References, found: &BTreeMap<String, Secret>) -> SecretDigest {
    let mut hasher = Sha256::new();
    let mut missing_secrets = Vec::new();
    for (name, keys) in refs {
        hasher.update(b"secret\0");
        hasher.update(name.as_bytes());
        hasher.update(b"\0");
        let Some(secret) = found.get(name) else {
            hasher.update(b"missing\0");
            missing_secrets.push(name.clone());
            continue;
        };
        for key in keys {
            hasher.update(key.as_bytes());
            hasher.update(b"\0");
            match value(secret, key) {
                Some(bytes) => {
                    hasher.update((bytes.len() as u64).to_be_bytes());
                    hasher.update(&bytes);
                }
                None => hasher.update(b"absent\0"),
            }
        }
    }
    SecretDigest {
        hash: hex::encode(hasher.finalize()),
        missing_secrets,
    }
}

/// What the reconcile dereferences of a `SpotifyMcp` before it builds the children: the digest
/// of the referenced Secret keys (and which Secrets are missing), and when the user authorised
/// the credentials. No Secret value is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dereferenced {
    /// The referenced keys' digest and the missing Secrets.
    pub digest: SecretDigest,
    /// When the user authorised the Spotify credentials.
    pub authorization: Authorization,
}

/// [`Dereferenced`] from the Secrets `spec` references, as found (fetched by name; absent = not
/// found).
pub fn dereference(spec: &SpotifyMcpSpec, found: &BTreeMap<String, Secret>) -> Dereferenced {
    Dereferenced {
        digest: digest(&references(spec), found),
        authorization: authorization(spec, found),
    }
}

/// A key's value, from `data` or (for objects not yet normalised by the API server) `stringData`.
fn value(secret: &Secret, key: &str) -> Option<Vec<u8>> {
    if let Some(v) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return Some(v.0.clone());
    }
    secret
        .string_data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|s| s.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use serde_json::json;

    fn spec() -> SpotifyMcpSpec {
        serde_json::from_value(json!({
            "spotify": {"secretName": "spotify"},
            "accessToken": {"name": "token", "key": "t"}
        }))
        .expect("spec")
    }

    fn secret(name: &str, data: &[(&str, &str)]) -> (String, Secret) {
        let mut s = Secret::default();
        s.metadata.name = Some(name.to_owned());
        s.data = Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        );
        (name.to_owned(), s)
    }

    #[test]
    fn references_list_every_secret_key_the_environment_reads() {
        let refs = references(&spec());
        assert_eq!(refs.len(), 2);
        assert_eq!(
            refs["spotify"]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["client-id", "client-secret", "refresh-token"]
        );
        assert!(references_secret(&spec(), "token"));
        assert!(!references_secret(&spec(), "other"));
    }

    fn hosted_spec() -> SpotifyMcpSpec {
        serde_json::from_value(json!({
            "spotify": {"secretName": "spotify"},
            "accessToken": {"name": "token", "key": "t"},
            "hosted": {"enabled": true, "publicUrl": "https://mcp.example.com",
                       "keysSecretRef": {"name": "oauth", "key": "keys"},
                       "storeRedisUrl": {"name": "redis", "key": "url"}}
        }))
        .expect("spec")
    }

    #[test]
    fn hosted_mode_references_the_oauth_secrets_instead_of_the_shared_credentials() {
        let refs = references(&hosted_spec());
        let keys = |name: &str| -> Vec<&str> { refs[name].iter().map(String::as_str).collect() };
        assert_eq!(keys("spotify"), ["client-id", "client-secret"]);
        assert_eq!(keys("oauth"), ["keys"]);
        assert_eq!(keys("redis"), ["url"]);
        assert!(!refs.contains_key("token"), "static tokens are not passed");
        assert!(references_secret(&hosted_spec(), "oauth"));
        assert!(references_secret(&hosted_spec(), "redis"));
        assert!(!references_secret(&hosted_spec(), "token"));
        let mut off = hosted_spec();
        off.hosted.enabled = false;
        assert!(!references_secret(&off, "oauth"));
        assert!(references_secret(&off, "token"));
    }

    #[test]
    fn hosted_mode_has_no_shared_refresh_token_to_expire() {
        let found = credentials(Some("2026-01-31T18:00:00Z"), "r");
        assert_eq!(
            authorization(&hosted_spec(), &found),
            Authorization::NotApplicable
        );
    }

    #[test]
    fn hash_changes_with_referenced_values_only() {
        let refs = references(&spec());
        let base = BTreeMap::from([
            secret("spotify", &[("client-id", "a"), ("refresh-token", "r")]),
            secret("token", &[("t", "x")]),
        ]);
        let h0 = digest(&refs, &base);
        assert!(h0.missing_secrets.is_empty());
        assert_eq!(h0.hash.len(), 64);

        let mut changed = base.clone();
        changed.extend([secret(
            "spotify",
            &[("client-id", "a"), ("refresh-token", "r2")],
        )]);
        assert_ne!(digest(&refs, &changed).hash, h0.hash);

        let mut unrelated = base.clone();
        unrelated.extend([secret(
            "spotify",
            &[("client-id", "a"), ("refresh-token", "r"), ("note", "z")],
        )]);
        assert_eq!(digest(&refs, &unrelated).hash, h0.hash);
    }

    #[test]
    fn missing_secret_is_reported_and_hashed_distinctly() {
        let refs = references(&spec());
        let only_spotify = BTreeMap::from([secret("spotify", &[("client-id", "a")])]);
        let d = digest(&refs, &only_spotify);
        assert_eq!(d.missing_secrets, ["token"]);
        let empty_token = BTreeMap::from([
            secret("spotify", &[("client-id", "a")]),
            secret("token", &[]),
        ]);
        assert_ne!(digest(&refs, &empty_token).hash, d.hash);
    }

    fn credentials(annotation: Option<&str>, refresh_token: &str) -> BTreeMap<String, Secret> {
        let (name, mut s) = secret(
            "spotify",
            &[("client-id", "a"), ("refresh-token", refresh_token)],
        );
        s.metadata.annotations = annotation
            .map(|v| BTreeMap::from([(AUTHORIZED_AT_ANNOTATION.to_owned(), v.to_owned())]));
        BTreeMap::from([(name, s)])
    }

    #[test]
    fn authorization_comes_from_the_annotation_of_the_credentials_secret() {
        let secret = || "spotify".to_owned();
        let at: jiff::Timestamp = "2026-01-31T18:00:00Z".parse().expect("time");
        let read = |annotation, rt| authorization(&spec(), &credentials(annotation, rt));
        assert_eq!(
            read(Some("2026-01-31T20:00:00+02:00"), "r"),
            Authorization::At {
                secret: secret(),
                at
            }
        );
        assert_eq!(read(None, "r"), Authorization::Unknown { secret: secret() });
        assert_eq!(
            read(Some(" "), "r"),
            Authorization::Unknown { secret: secret() }
        );
        assert_eq!(
            read(Some("last tuesday"), "r"),
            Authorization::Invalid { secret: secret() }
        );
        assert_eq!(
            read(Some("2026-01-31T18:00:00Z"), ""),
            Authorization::NoRefreshToken { secret: secret() }
        );
        assert_eq!(
            authorization(&spec(), &BTreeMap::new()),
            Authorization::SecretMissing { secret: secret() }
        );
        let mut sandbox = spec();
        sandbox.sandbox = true;
        let found = credentials(Some("2026-01-31T18:00:00Z"), "r");
        assert_eq!(
            authorization(&sandbox, &found),
            Authorization::NotApplicable
        );
        let mut no_spotify = spec();
        no_spotify.spotify = None;
        assert_eq!(
            authorization(&no_spotify, &found),
            Authorization::NotApplicable
        );
    }

    #[test]
    fn the_known_date_reaches_the_server_container_only() {
        use k8s_openapi::api::apps::v1::DeploymentSpec;
        use k8s_openapi::api::core::v1::{Container, PodSpec};
        let container = |name: &str| Container {
            name: name.to_owned(),
            env: Some(vec![EnvVar {
                name: "SPOTIFY_MCP_PORT".to_owned(),
                value: Some("8000".to_owned()),
                value_from: None,
            }]),
            ..Container::default()
        };
        let mut d = Deployment {
            spec: Some(DeploymentSpec {
                template: k8s_openapi::api::core::v1::PodTemplateSpec {
                    metadata: None,
                    spec: Some(PodSpec {
                        containers: vec![container(CONTAINER_NAME), container("sidecar")],
                        ..PodSpec::default()
                    }),
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        };
        let env = |d: &Deployment, i: usize| -> Vec<(String, Option<String>)> {
            d.spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref())
                .expect("pod")
                .containers[i]
                .env
                .iter()
                .flatten()
                .map(|e| (e.name.clone(), e.value.clone()))
                .collect()
        };
        let before = d.clone();
        pass_authorized_at(&mut d, &Authorization::Unknown { secret: "s".into() });
        assert_eq!(d, before, "an unknown date sets nothing");
        let at = "2026-01-31T20:00:00.4+02:00".parse().expect("time");
        let known = Authorization::At {
            secret: "s".into(),
            at,
        };
        pass_authorized_at(&mut d, &known);
        pass_authorized_at(&mut d, &known);
        assert_eq!(
            env(&d, 0),
            [
                ("SPOTIFY_MCP_PORT".to_owned(), Some("8000".to_owned())),
                (
                    AUTHORIZED_AT_ENV.to_owned(),
                    Some("2026-01-31T18:00:00Z".to_owned())
                ),
            ]
        );
        assert_eq!(env(&d, 1).len(), 1, "the sidecar is left alone");
    }

    #[test]
    fn the_hash_does_not_contain_the_values() {
        let refs = references(&spec());
        let found = BTreeMap::from([secret("spotify", &[("client-id", "supersecretvalue")])]);
        let d = digest(&refs, &found);
        assert!(!d.hash.contains("supersecretvalue"));
        assert!(!format!("{d:?}").contains("supersecretvalue"));
    }
}
