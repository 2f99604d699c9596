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
//! caller has in progress: it then answers with the last known state.

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

/// The last readiness answer and when it was computed.
type LastCheck = Option<(Instant, Result<(), String>)>;

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
    pub async fn check(&self) -> Result<(), String> {
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
                None => Err("the Spotify access token is being obtained; not checked yet".into()),
            };
        };
        let result = result.map_err(|e| e.to_string());
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
    let spotify = match spotify {
        Ok(()) => serde_json::json!({"credentials": "usable"}),
        Err(reason) => serde_json::json!({"credentials": "unusable", "reason": reason}),
    };
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
        assert!(answer.unwrap_err().contains("being obtained"));
        renewing.await.unwrap().unwrap();
        assert_eq!(readiness.check().await, Ok(()));
    }
}
