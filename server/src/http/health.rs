//! `/healthz` (the process is alive) and `/readyz` (configuration loaded and Spotify
//! credentials usable). Readiness asks the Spotify client for a valid token, remembering the
//! answer briefly so frequent probes do not hammer the accounts service. It never waits for a
//! renewal another caller has in progress: it then answers with the last known state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::Mutex;

use crate::spotify::SpotifyClient;

/// How long a readiness answer is reused.
const READY_TTL: Duration = Duration::from_secs(5);

/// The last readiness answer and when it was computed.
type LastCheck = Option<(Instant, Result<(), String>)>;

#[derive(Clone)]
pub struct Readiness {
    client: SpotifyClient,
    last: Arc<Mutex<LastCheck>>,
}

impl Readiness {
    pub fn new(client: SpotifyClient) -> Self {
        Self {
            client,
            last: Arc::new(Mutex::new(None)),
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
    match readiness.check().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: Spotify credentials are not usable: {reason}\n"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::test_support::Fake;
    use crate::spotify::{Credentials, Secret, SpotifyConfig};

    /// Issue 10 #5: a probe during a slow renewal answers at once (with the last known state),
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
