//! `/healthz` (the process is alive) and `/readyz` (configuration loaded and Spotify
//! credentials usable). Readiness asks the Spotify client for a valid token, remembering the
//! answer briefly so frequent probes do not hammer the accounts service.

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
        let result = self
            .client
            .check_credentials()
            .await
            .map_err(|e| e.to_string());
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
