//! The thin apply layer: server-side apply with one field manager, skipped entirely when the
//! cached child already matches what we would apply.
//!
//! "Matches" means two things: the child carries the hash of the exact object we last applied
//! (so a field we *stopped* setting still triggers an apply that removes it), and every field we
//! set has our value in the live object (so hand edits are reverted). Fields others add (API server
//! defaults, other controllers' labels) do not count. When in doubt we apply: an identical apply is
//! a no-op on the server that does not bump resourceVersion; skipping it only saves the request.

use std::fmt::Debug;

use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::resources::MANAGER;

/// Annotation on every child: SHA-256 of the object as the operator last applied it.
pub const APPLIED_HASH_ANNOTATION: &str = "spotifymcp.dev/applied-hash";

/// A child could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The desired object does not serialize (a bug, reported instead of panicking).
    #[error("cannot serialize the desired {kind}: {source}")]
    Serialize {
        /// Kind of the child.
        kind: String,
        /// Serialization error.
        #[source]
        source: serde_json::Error,
    },
    /// The API server refused or could not be reached.
    #[error("applying {kind} {name}: {source}")]
    Kube {
        /// Kind of the child.
        kind: String,
        /// Name of the child.
        name: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

impl ApplyError {
    /// The underlying API error, if any.
    pub fn kube_error(&self) -> Option<&kube::Error> {
        match self {
            Self::Kube { source, .. } => Some(source),
            Self::Serialize { .. } => None,
        }
    }
}

/// Outcome of [`ensure`].
#[derive(Debug)]
pub struct Applied<K> {
    /// The child as it now stands (the API server's response, or the cached object).
    pub object: K,
    /// Whether a request was sent.
    pub wrote: bool,
}

/// Stamps `desired` with its hash and applies it unless `existing` already matches.
pub async fn ensure<K>(
    api: &Api<K>,
    mut desired: K,
    existing: Option<&K>,
) -> Result<Applied<K>, ApplyError>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let kind = K::kind(&()).into_owned();
    let hash = hash_of(&desired).map_err(|source| ApplyError::Serialize {
        kind: kind.clone(),
        source,
    })?;
    desired
        .annotations_mut()
        .insert(APPLIED_HASH_ANNOTATION.to_owned(), hash);
    if let Some(existing) = existing {
        let wanted = serde_json::to_value(&desired).map_err(|source| ApplyError::Serialize {
            kind: kind.clone(),
            source,
        })?;
        let live = serde_json::to_value(existing).map_err(|source| ApplyError::Serialize {
            kind: kind.clone(),
            source,
        })?;
        if is_subset(&wanted, &live) {
            return Ok(Applied {
                object: existing.clone(),
                wrote: false,
            });
        }
    }
    let name = desired.name_any();
    let object = api
        .patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&desired),
        )
        .await
        .map_err(|source| ApplyError::Kube { kind, name, source })?;
    Ok(Applied {
        object,
        wrote: true,
    })
}

/// Hex SHA-256 of the JSON form of `object`.
pub fn hash_of<T: Serialize>(object: &T) -> Result<String, serde_json::Error> {
    let bytes = serde_json::to_vec(object)?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// Whether every field of `wanted` is present in `live` with the same value. Objects may have
/// extra keys in `live`; lists must have the same length and match element by element.
pub fn is_subset(wanted: &Value, live: &Value) -> bool {
    match (wanted, live) {
        (Value::Object(w), Value::Object(l)) => w.iter().all(|(k, wv)| match l.get(k) {
            Some(lv) => is_subset(wv, lv),
            None => wv.is_null(),
        }),
        (Value::Array(w), Value::Array(l)) => {
            w.len() == l.len() && w.iter().zip(l).all(|(wv, lv)| is_subset(wv, lv))
        }
        _ => wanted == live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_added_by_the_server_do_not_count() {
        let wanted = json!({"spec": {"replicas": 1, "template": {"containers": [{"name": "s", "image": "a"}]}}});
        let live = json!({"spec": {"replicas": 1, "progressDeadlineSeconds": 600,
            "template": {"containers": [{"name": "s", "image": "a", "terminationMessagePath": "/dev/termination-log"}]}},
            "status": {"replicas": 1}});
        assert!(is_subset(&wanted, &live));
    }

    #[test]
    fn hand_edits_are_detected() {
        let wanted = json!({"spec": {"replicas": 1, "containers": [{"image": "a"}]}});
        assert!(!is_subset(
            &wanted,
            &json!({"spec": {"replicas": 5, "containers": [{"image": "a"}]}})
        ));
        assert!(!is_subset(
            &wanted,
            &json!({"spec": {"replicas": 1, "containers": [{"image": "b"}]}})
        ));
        assert!(!is_subset(
            &wanted,
            &json!({"spec": {"replicas": 1, "containers": []}})
        ));
        assert!(!is_subset(
            &wanted,
            &json!({"spec": {"containers": [{"image": "a"}]}})
        ));
    }

    #[test]
    fn an_extra_list_element_is_a_difference() {
        let wanted = json!({"env": [{"name": "A"}]});
        assert!(!is_subset(
            &wanted,
            &json!({"env": [{"name": "A"}, {"name": "B"}]})
        ));
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a = hash_of(&json!({"x": 1})).expect("hash");
        assert_eq!(a, hash_of(&json!({"x": 1})).expect("hash"));
        assert_ne!(a, hash_of(&json!({"x": 2})).expect("hash"));
        assert_eq!(a.len(), 64);
    }
}
