//! `/healthz` (the process is alive), `/readyz` (this pod can serve) and `/status` (what it
//! knows about Spotify and Redis, as JSON).
//!
//! Readiness is about the pod, not Spotify: it is answered by the running listener once the
//! configuration has loaded, and fails only when a configured Redis is unreachable (every
//! replica shares sessions, cache and rate budget there). A Spotify outage or a revoked refresh
//! token is the same for every replica: failing readiness then would pull every pod out of its
//! Service at once, although each could still answer MCP clients with a clear error ("log in
//! again", "Spotify is unavailable"). Spotify's health shows instead in `/status`, in the
//! metrics (`spotify_mcp_token_refreshes_total{result="error"}`, the 429 gate gauge) and in the
//! tools' errors.
//!
//! `/status` asks the Spotify client for a valid token, remembering the answer briefly so
//! frequent polls do not hammer the accounts service. It never waits for a renewal another
//! caller has in progress: it then answers with the last known state. Its JSON:
//! `{"ready", "version", "spotify": {"credentials": "usable"|"unusable", "reason", "error",
//! "rateLimitedForSeconds"}, "redis": {...}}`, where `error` is the low-cardinality kind of the
//! failure (`reauth_required`: the refresh token or client credentials were refused;
//! `transport`/`timeout`: Spotify could not be reached; ...) and `rateLimitedForSeconds` is
//! present while Spotify's last 429 holds this client ID's requests back. The operator reads it
//! into the `SpotifyReachable` condition.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::Mutex;

use crate::redis_cache::RedisCache;
use crate::spotify::SpotifyClient;

/// How long a readiness answer is reused.
const READY_TTL: Duration = Duration::from_secs(5);

/// Why the Spotify credentials are not usable: [`crate::spotify::SpotifyError::kind`]
/// (`reauth_required`, `transport`, `rate_limited`, ...; `pending` while the first token is
/// being obtained), for a monitor to tell causes apart, and the message for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsProblem {
    pub kind: &'static str,
    pub message: String,
}

/// The last credentials answer and when it was computed.
type LastCheck = Option<(Instant, Result<(), CredentialsProblem>)>;

#[derive(Clone)]
pub struct Readiness {
    client: SpotifyClient,
    last: Arc<Mutex<LastCheck>>,
    redis: Option<RedisCache>,
}

impl Readiness {
    pub fn new(client: SpotifyClient) -> Self {
        Self {
            client,
            last: Arc::new(Mutex::new(None)),
            redis: None,
        }
    }

    /// Readiness also needs `redis` reachable.
    pub fn with_redis(mut self, redis: Option<RedisCache>) -> Self {
        self.redis = redis;
        self
    }

    /// `Ok` when this pod can serve: a configured Redis answers.
    pub async fn ready(&self) -> Result<(), String> {
        match &self.redis {
            Some(redis) => redis
                .ping()
                .await
                .map_err(|e| format!("Redis (--cache) is unreachable: {e}")),
            None => Ok(()),
        }
    }

    /// `Ok` when the client holds (or can obtain) a usable access token.
    pub async fn check(&self) -> Result<(), CredentialsProblem> {
        let mut last = self.last.lock().await;
        if let Some((at, result)) = last.as_ref()
            && at.elapsed() < READY_TTL
        {
            return result.clone();
        }
        let Some(result) = self.client.try_check_credentials().await else {
            // A renewal is in progress: the last answer stands (and is not refreshed, so the
            // next probe asks again).
            return match last.as_ref() {
                Some((_, result)) => result.clone(),
                None => Err(CredentialsProblem {
                    kind: "pending",
                    message: "the Spotify access token is being obtained; not checked yet".into(),
                }),
            };
        };
        let result = result.map_err(|e| CredentialsProblem {
            kind: e.kind(),
            message: e.to_string(),
        });
        *last = Some((Instant::now(), result.clone()));
        result
    }
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(readiness): State<Readiness>) -> Response {
    match readiness.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}

/// `/status`: 200 with what the pod knows, whatever it is (a monitor reads the fields).
pub async fn status(State(readiness): State<Readiness>) -> Response {
    let (ready, spotify) = tokio::join!(readiness.ready(), readiness.check());
    let redis = match (&readiness.redis, &ready) {
        (None, _) => serde_json::json!({"configured": false}),
        (Some(_), Ok(())) => serde_json::json!({"configured": true, "reachable": true}),
        (Some(_), Err(e)) => {
            serde_json::json!({"configured": true, "reachable": false, "error": e})
        }
    };
    let mut spotify = match spotify {
        Ok(()) => serde_json::json!({"credentials": "usable"}),
        Err(problem) => serde_json::json!({
            "credentials": "unusable",
            "reason": problem.message,
            "error": problem.kind,
        }),
    };
    // Spotify's last 429 holds every request of this client ID back until it is over.
    if let Some(wait) = readiness.client.rate_limit_hold() {
        spotify["rateLimitedForSeconds"] =
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).into();
    }
    axum::Json(serde_json::json!({
        "ready": ready.is_ok(),
        "version": env!("CARGO_PKG_VERSION"),
        "spotify": spotify,
        "redis": redis,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::test_support::Fake;
    use crate::spotify::{Credentials, Secret, SpotifyConfig};

    /// A probe during a slow renewal answers at once (with the last known state),
    /// instead of queueing behind it.
    #[tokio::test]
    async fn readiness_answers_at_once_during_a_slow_renewal() {
        let fake = Fake::start().await;
        let cfg = SpotifyConfig::new(
            "readiness-test",
            Credentials::RefreshToken(Secret::new("rt")),
        )
        .with_base_urls(fake.api_base(), fake.accounts_base());
        let client = SpotifyClient::new(cfg).unwrap();
        let readiness = Readiness::new(client.clone());
        assert_eq!(readiness.check().await, Ok(()));
        // The token is refreshed again on a 401; make that renewal slow.
        *fake.state.token_delay.lock().unwrap() = Duration::from_secs(2);
        *readiness.last.lock().await = None;
        let auth = client.inner_auth_for_tests();
        let generation = auth.bearer().await.unwrap().generation;
        let renewing = tokio::spawn(async move { auth.invalidate(generation).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let asked = Instant::now();
        let answer = readiness.check().await;
        assert!(
            asked.elapsed() < Duration::from_millis(500),
            "{:?}",
            asked.elapsed()
        );
        let problem = answer.unwrap_err();
        assert!(problem.message.contains("being obtained"), "{problem:?}");
        assert_eq!(problem.kind, "pending");
        renewing.await.unwrap().unwrap();
        assert_eq!(readiness.check().await, Ok(()));
    }

    async fn status_json(readiness: Readiness) -> serde_json::Value {
        let response = status(State(readiness)).await;
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// A refused refresh token is named by a stable kind besides the message, and a 429 hold
    /// shows how long it lasts.
    #[tokio::test]
    async fn status_names_the_kind_of_failure_and_the_rate_limit_hold() {
        let fake = Fake::start().await;
        fake.state
            .dead_refresh_tokens
            .lock()
            .unwrap()
            .push("revoked".to_owned());
        let cfg = SpotifyConfig::new(
            "status-kind-test",
            Credentials::RefreshToken(Secret::new("revoked")),
        )
        .with_base_urls(fake.api_base(), fake.accounts_base());
        let client = SpotifyClient::new(cfg).unwrap();
        let body = status_json(Readiness::new(client)).await;
        assert_eq!(body["spotify"]["credentials"], "unusable", "{body}");
        assert_eq!(body["spotify"]["error"], "reauth_required", "{body}");
        assert!(
            body["spotify"].get("rateLimitedForSeconds").is_none(),
            "{body}"
        );

        let cfg = SpotifyConfig::new(
            "status-hold-test",
            Credentials::RefreshToken(Secret::new("rt")),
        )
        .with_base_urls(fake.api_base(), fake.accounts_base());
        let client = SpotifyClient::new(cfg).unwrap();
        crate::spotify::pipeline::hold::shared_hold(
            fake.api_base().trim_end_matches('/'),
            "status-hold-test",
        )
        .hold(Instant::now(), Duration::from_secs(90));
        let body = status_json(Readiness::new(client)).await;
        assert_eq!(body["spotify"]["credentials"], "usable", "{body}");
        let held = body["spotify"]["rateLimitedForSeconds"].as_u64().unwrap();
        assert!((89..=90).contains(&held), "{body}");
    }
}
