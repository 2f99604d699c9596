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

use crate::quantity;
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
        match difference(&wanted, &live) {
            None => {
                return Ok(Applied {
                    object: existing.clone(),
                    wrote: false,
                });
            }
            Some(path) => {
                tracing::debug!(kind = %kind, name = %desired.name_any(), field = %path, "re-applying: the live child differs");
            }
        }
    } else {
        tracing::debug!(kind = %kind, name = %desired.name_any(), "applying: no live child in the cache");
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
/// extra keys in `live`; lists must have the same length and match element by element. Resource
/// quantities (`resources.limits`/`resources.requests` values, `sizeLimit`) compare by value: the
/// API server stores them canonicalised (`0.5` reads back as `500m`).
pub fn is_subset(wanted: &Value, live: &Value) -> bool {
    difference(wanted, live).is_none()
}

/// The path of the first field of `wanted` that `live` does not match (as [`is_subset`]
/// compares), e.g. `spec.template.spec.containers[0].env`; values are not shown (they may be
/// secret).
pub fn difference(wanted: &Value, live: &Value) -> Option<String> {
    difference_at(wanted, live, Field::Other, "")
}

/// What kind of field a value is, as far as the comparison cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Other,
    /// A `resources` object (ResourceRequirements).
    Resources,
    /// Its `limits` or `requests` map.
    QuantityMap,
    /// A resource quantity.
    Quantity,
}

impl Field {
    fn child(self, key: &str) -> Self {
        match (self, key) {
            (Self::Resources, "limits" | "requests") => Self::QuantityMap,
            (Self::QuantityMap, _) | (_, "sizeLimit") => Self::Quantity,
            (_, "resources") => Self::Resources,
            _ => Self::Other,
        }
    }
}

fn difference_at(wanted: &Value, live: &Value, field: Field, path: &str) -> Option<String> {
    let here = || (if path.is_empty() { "." } else { path }).to_owned();
    match (wanted, live) {
        (Value::Object(w), Value::Object(l)) => w.iter().find_map(|(k, wv)| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match l.get(k) {
                Some(lv) => difference_at(wv, lv, field.child(k), &at),
                None => (!wv.is_null()).then_some(at),
            }
        }),
        (Value::Array(w), Value::Array(l)) => {
            if w.len() != l.len() {
                return Some(format!("{} (length {} vs {})", here(), w.len(), l.len()));
            }
            w.iter().zip(l).enumerate().find_map(|(i, (wv, lv))| {
                difference_at(wv, lv, Field::Other, &format!("{path}[{i}]"))
            })
        }
        (Value::String(w), Value::String(l)) if field == Field::Quantity => {
            (w != l && !quantity::same_value(w, l)).then(here)
        }
        _ => (wanted != live).then(here),
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
    fn resource_quantities_compare_by_value() {
        let resources = |cpu: &str, memory: &str| {
            json!({"spec": {"template": {"spec": {"containers": [{"name": "s",
                "resources": {"requests": {"cpu": cpu, "memory": memory},
                              "limits": {"cpu": cpu, "memory": memory}}}]}}}})
        };
        // What the user wrote vs what the API server stores.
        assert!(is_subset(
            &resources("0.5", "1073741824"),
            &resources("500m", "1Gi")
        ));
        assert!(is_subset(
            &resources("0.5", "1Gi"),
            &resources("500m", "1073741824")
        ));
        assert!(is_subset(&resources("1", "1e3"), &resources("1000m", "1k")));
        assert!(!is_subset(
            &resources("0.5", "1G"),
            &resources("500m", "1Gi")
        ));
        assert!(!is_subset(
            &resources("100m", "1Gi"),
            &resources("200m", "1Gi")
        ));
        let volume = |size: &str| json!({"volumes": [{"emptyDir": {"sizeLimit": size}}]});
        assert!(is_subset(&volume("0.0625Gi"), &volume("64Mi")));
        assert!(!is_subset(&volume("64M"), &volume("64Mi")));
    }

    #[test]
    fn only_quantity_fields_compare_by_value() {
        // An env value or label that happens to look like a quantity is still a plain string.
        assert!(!is_subset(
            &json!({"env": [{"name": "A", "value": "0.5"}]}),
            &json!({"env": [{"name": "A", "value": "500m"}]})
        ));
        assert!(!is_subset(
            &json!({"metadata": {"labels": {"cpu": "1k"}}}),
            &json!({"metadata": {"labels": {"cpu": "1000"}}})
        ));
        assert!(!is_subset(
            &json!({"resources": {"claims": [{"name": "1k"}]}}),
            &json!({"resources": {"claims": [{"name": "1000"}]}})
        ));
    }

    mod mocked_api {
        use super::super::*;
        use crate::resources::{service, testing::object};
        use http::{Request, Response};
        use k8s_openapi::api::core::v1::Service;
        use kube::client::Body;
        use std::pin::pin;
        use tower_test::mock;

        fn desired() -> Service {
            service::build(&object(serde_json::json!({"sandbox": true}))).expect("builds")
        }

        /// Echoes the applied object back with server-side additions, like the API server does.
        async fn serve_one_apply(
            handle: mock::Handle<Request<Body>, Response<Body>>,
        ) -> serde_json::Value {
            let mut handle = pin!(handle);
            let (request, send) = handle.next_request().await.expect("one request");
            assert_eq!(request.method(), http::Method::PATCH);
            assert_eq!(
                request
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/apply-patch+yaml")
            );
            let uri = request.uri().to_string();
            assert!(
                uri.starts_with("/api/v1/namespaces/media/services/music?"),
                "{uri}"
            );
            assert!(uri.contains("fieldManager=spotify-mcp-operator"), "{uri}");
            assert!(uri.contains("force=true"), "{uri}");
            let body = request.into_body().collect_bytes().await.expect("body");
            let mut object: serde_json::Value =
                serde_json::from_slice(&body).expect("JSON apply body");
            object["metadata"]["resourceVersion"] = "42".into();
            object["spec"]["clusterIP"] = "10.0.0.7".into();
            send.send_response(Response::new(Body::from(
                serde_json::to_vec(&object).expect("json"),
            )));
            object
        }

        #[tokio::test]
        async fn applies_a_missing_child_with_the_field_manager_and_hash() {
            let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
            let server = tokio::spawn(serve_one_apply(handle));
            let api: Api<Service> = Api::namespaced(kube::Client::new(svc, "default"), "media");
            let applied = ensure(&api, desired(), None).await.expect("applied");
            assert!(applied.wrote);
            let sent = server.await.expect("server task");
            let hash = hash_of(&desired()).expect("hash");
            assert_eq!(
                sent["metadata"]["annotations"][APPLIED_HASH_ANNOTATION],
                hash.as_str()
            );
            assert_eq!(applied.object.annotations()[APPLIED_HASH_ANNOTATION], hash);
        }

        #[tokio::test]
        async fn sends_nothing_when_the_live_child_already_matches() {
            let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
            let server = tokio::spawn(serve_one_apply(handle));
            let api: Api<Service> = Api::namespaced(kube::Client::new(svc, "default"), "media");
            let first = ensure(&api, desired(), None).await.expect("applied");
            server.await.expect("server task");

            // The mock has no more responses: a second request would hang, so time-box it.
            let (svc, mut handle) = mock::pair::<Request<Body>, Response<Body>>();
            handle.allow(0);
            let api: Api<Service> = Api::namespaced(kube::Client::new(svc, "default"), "media");
            let again = tokio::time::timeout(
                std::time::Duration::from_secs(2),
                ensure(&api, desired(), Some(&first.object)),
            )
            .await
            .expect("no request was attempted")
            .expect("no error");
            assert!(!again.wrote);
            assert_eq!(again.object, first.object);
        }

        #[tokio::test]
        async fn re_applies_when_the_live_child_was_edited() {
            let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
            let server = tokio::spawn(serve_one_apply(handle));
            let api: Api<Service> = Api::namespaced(kube::Client::new(svc, "default"), "media");
            let mut edited = desired();
            if let Some(spec) = edited.spec.as_mut() {
                spec.selector = Some(std::collections::BTreeMap::from([(
                    "app".to_owned(),
                    "other".to_owned(),
                )]));
            }
            edited.annotations_mut().insert(
                APPLIED_HASH_ANNOTATION.to_owned(),
                hash_of(&desired()).expect("hash"),
            );
            let applied = ensure(&api, desired(), Some(&edited))
                .await
                .expect("applied");
            assert!(applied.wrote);
            server.await.expect("server task");
        }
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a = hash_of(&json!({"x": 1})).expect("hash");
        assert_eq!(a, hash_of(&json!({"x": 1})).expect("hash"));
        assert_ne!(a, hash_of(&json!({"x": 2})).expect("hash"));
        assert_eq!(a.len(), 64);
    }
}
