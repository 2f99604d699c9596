//! The request pipeline every Web API call goes through:
//! rate limiter (per client ID) → bearer token → HTTP with timeout → 429 handling
//! (`Retry-After`, bounded) → retries of 502/503/504 and transport errors with jittered
//! exponential backoff (idempotent methods only) → one token refresh on 401 → error mapping.

pub mod errors;
pub mod limiter;
pub mod request;
pub mod retry_after;

pub use request::{ApiRequest, Body, is_idempotent};

use crate::spotify::auth::TokenManager;
use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use limiter::SharedLimiter;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Waited when a 429 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// A successful answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Observes what the pipeline does (metrics hook for issue 3; tests count with it).
pub trait PipelineObserver: Send + Sync + std::fmt::Debug {
    /// One HTTP exchange finished (`status` 0 = no answer).
    fn request_finished(
        &self,
        _template: &'static str,
        _method: &str,
        _status: u16,
        _elapsed: Duration,
    ) {
    }
    /// Spotify answered 429 and asked to wait `retry_after`.
    fn rate_limited(&self, _retry_after: Duration) {}
}

/// The pipeline; see the module documentation.
#[derive(Debug)]
pub struct Pipeline {
    http: reqwest::Client,
    api_base: String,
    client_id: String,
    limiter: Option<SharedLimiter>,
    auth: Arc<TokenManager>,
    timeout: Duration,
    max_retry_wait: Duration,
    max_retries: u32,
    retry_base_delay: Duration,
    observer: Option<Arc<dyn PipelineObserver>>,
}

impl Pipeline {
    pub fn new(http: reqwest::Client, cfg: &SpotifyConfig, auth: Arc<TokenManager>) -> Self {
        Self {
            http,
            api_base: cfg.api_base_url.trim_end_matches('/').to_owned(),
            client_id: cfg.client_id.clone(),
            limiter: cfg.rate_limit.map(limiter::shared_limiter),
            auth,
            timeout: cfg.request_timeout,
            max_retry_wait: cfg.max_retry_wait,
            max_retries: cfg.max_retries,
            retry_base_delay: cfg.retry_base_delay,
            observer: None,
        }
    }

    /// Attach an observer (metrics).
    pub fn set_observer(&mut self, observer: Arc<dyn PipelineObserver>) {
        self.observer = Some(observer);
    }

    pub fn auth(&self) -> &Arc<TokenManager> {
        &self.auth
    }

    /// Run a request to completion; see the module documentation for the policy.
    pub async fn execute(&self, request: &ApiRequest) -> Result<ApiResponse, SpotifyError> {
        if request.needs_user() && !self.auth.has_user() {
            return Err(SpotifyError::Unauthorized {
                message: format!(
                    "{} acts for a Spotify user, but the server runs with app-only (client credentials) access; log in with `spotify-mcp-server auth login` or set SPOTIFY_REFRESH_TOKEN",
                    request.endpoint()
                ),
            });
        }
        let mut backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.retry_base_delay)
            .with_max_delay(Duration::from_secs(10))
            .with_max_times(self.max_retries as usize)
            .build();
        let mut rate_limited_retries = 0u32;
        let mut refreshed_after_401 = false;
        let mut bearer = self.auth.bearer().await?;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.until_key_ready(&self.client_id).await;
            }
            let started = std::time::Instant::now();
            let outcome = self.send_once(request, bearer.token.expose()).await;
            let status_label = outcome.as_ref().map(|(s, _, _)| s.as_u16()).unwrap_or(0);
            if let Some(observer) = &self.observer {
                observer.request_finished(
                    request.template,
                    request.method.as_str(),
                    status_label,
                    started.elapsed(),
                );
            }
            let (status, headers, body) = match outcome {
                Ok(parts) => parts,
                Err(error) => {
                    if request.is_idempotent()
                        && let Some(delay) = backoff.next()
                    {
                        tracing::debug!(endpoint = %request.endpoint(), error = %error, ?delay, "retrying after transport error");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(error);
                }
            };
            if status.is_success() {
                return Ok(ApiResponse { status, body });
            }
            match status.as_u16() {
                429 => {
                    let wait = headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry_after::parse_retry_after(v, SystemTime::now()))
                        .unwrap_or(DEFAULT_RETRY_AFTER);
                    if let Some(observer) = &self.observer {
                        observer.rate_limited(wait);
                    }
                    if wait > self.max_retry_wait || rate_limited_retries >= self.max_retries {
                        return Err(SpotifyError::RateLimited { retry_after: wait });
                    }
                    rate_limited_retries += 1;
                    tracing::debug!(endpoint = %request.endpoint(), ?wait, "rate limited by Spotify, waiting");
                    tokio::time::sleep(wait).await;
                }
                401 if !refreshed_after_401 => {
                    refreshed_after_401 = true;
                    bearer = self.auth.invalidate(bearer.generation).await?;
                }
                502..=504 if request.is_idempotent() => match backoff.next() {
                    Some(delay) => {
                        tracing::debug!(endpoint = %request.endpoint(), status = status.as_u16(), ?delay, "retrying");
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(errors::map_error(request, status.as_u16(), &body)),
                },
                code => return Err(errors::map_error(request, code, &body)),
            }
        }
    }

    async fn send_once(
        &self,
        request: &ApiRequest,
        token: &str,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Bytes), SpotifyError> {
        let url = format!("{}{}", self.api_base, request.path);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .bearer_auth(token)
            .timeout(self.timeout);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match &request.body {
            // Spotify answers 411 to a PUT/POST without Content-Length: send an empty body.
            Body::None
                if matches!(request.method, reqwest::Method::PUT | reqwest::Method::POST) =>
            {
                builder.body(Bytes::new())
            }
            Body::None => builder,
            Body::Json(bytes) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::JpegBase64(text) => builder
                .header(reqwest::header::CONTENT_TYPE, "image/jpeg")
                .body(text.clone()),
        };
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport_error(request, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(request, &e))?;
        Ok((status, headers, body))
    }

    fn transport_error(&self, request: &ApiRequest, err: &reqwest::Error) -> SpotifyError {
        if err.is_timeout() {
            SpotifyError::Timeout {
                endpoint: request.endpoint(),
                timeout: self.timeout,
            }
        } else {
            // The URL carries no secret, but keep messages short and stable.
            let mut message = err.to_string();
            if let Some(url) = err.url() {
                message = message.replace(url.as_str(), request.template);
            }
            SpotifyError::Transport {
                message: format!("{}: {message}", request.endpoint()),
            }
        }
    }
}
