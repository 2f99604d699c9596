//! The Secrets a `SpotifyMcp` references, and the hash of their data that goes into the pod
//! template (so a changed credential rolls the pods). Only the referenced keys count: editing an
//! unrelated key of the same Secret does not restart the server. Values never leave this module
//! except as a SHA-256 digest.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret;
use sha2::{Digest, Sha256};

use crate::crd::SpotifyMcpSpec;

/// Secret name -> keys of it the spec references.
pub type References = BTreeMap<String, BTreeSet<String>>;

/// Every (Secret, key) pair the server's environment reads.
pub fn references(spec: &SpotifyMcpSpec) -> References {
    let mut refs = References::new();
    let mut add = |name: &str, key: &str| {
        refs.entry(name.to_owned())
            .or_default()
            .insert(key.to_owned());
    };
    if let Some(s) = &spec.spotify {
        add(&s.secret_name, &s.client_id_key);
        add(&s.secret_name, &s.client_secret_key);
        add(&s.secret_name, &s.refresh_token_key);
    }
    if let Some(t) = &spec.access_token {
        add(&t.name, &t.key);
    }
    if let Some(r) = &spec.cache.redis_url {
        add(&r.name, &r.key);
    }
    refs
}

/// Whether the spec reads the Secret called `name`.
pub fn references_secret(spec: &SpotifyMcpSpec, name: &str) -> bool {
    spec.spotify.as_ref().is_some_and(|s| s.secret_name == name)
        || spec.access_token.as_ref().is_some_and(|t| t.name == name)
        || spec
            .cache
            .redis_url
            .as_ref()
            .is_some_and(|r| r.name == name)
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

    #[test]
    fn the_hash_does_not_contain_the_values() {
        let refs = references(&spec());
        let found = BTreeMap::from([secret("spotify", &[("client-id", "supersecretvalue")])]);
        let d = digest(&refs, &found);
        assert!(!d.hash.contains("supersecretvalue"));
        assert!(!format!("{d:?}").contains("supersecretvalue"));
    }
}
