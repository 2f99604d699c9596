//! The request pipeline every Web API call goes through:
//! fixed rate limiter (per client ID, only with `--spotify-rate-limit N/s`) → the client ID's
//! 429 gate ([`hold`]: after a 429 nothing is sent before its `Retry-After` is over, by any
//! caller; a call waits for it when the wait is within `max_retry_wait`, else fails at once;
//! not with `--spotify-rate-limit off`) → bearer token → HTTP with timeout → 429 handling
//! (bounded retries) → retries of 502/503/504 and transport errors with jittered
//! exponential backoff, never shorter than a 503's `Retry-After` (operations declared
//! idempotent only, see [`ApiRequest::idempotent`]) → one
//! token refresh on 401 → error mapping. The token endpoint retries its own transient failures
//! ([`crate::spotify::auth::TokenEndpoint`]).

pub mod deadline;
pub mod errors;
pub mod events;
pub mod hold;
pub mod limiter;
pub mod request;
pub mod retry_after;

pub use request::{ApiRequest, Body};

use crate::spotify::auth::TokenManager;
use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use bytes::Bytes;
use hold::RateLimitHold;
use limiter::SharedLimiter;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waited when a 429 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// A successful answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

impl ApiResponse {
    /// Whether the answer carries a body (a 204 or an empty 200 does not).
    pub fn has_body(&self) -> bool {
        self.status != StatusCode::NO_CONTENT && !self.body.is_empty()
    }
}

/// Observes what the pipeline does (the metrics hook; tests count with it).
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
    /// The client ID's 429 gate is closed until `until` (for every caller).
    fn gate_closed(&self, _until: Instant) {}
    /// A request waited `waited` before it could be sent, for `cause`.
    fn waited(&self, _cause: WaitCause, _waited: Duration) {}
    /// A request to the token endpoint (refresh or client-credentials grant) finished.
    fn token_refreshed(&self, _success: bool) {}
}

/// Why a request waited before it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCause {
    /// The fixed rate limiter (`--spotify-rate-limit N/s`).
    Limiter,
    /// The 429 gate: Spotify's `Retry-After`, learnt by this or another call.
    Gate,
    /// One signed-in user's share of the budget (hosted mode, `--oauth-user-rate-limit`).
    UserShare,
}

impl WaitCause {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitCause::Limiter => "limiter",
            WaitCause::Gate => "gate",
            WaitCause::UserShare => "user_share",
        }
    }
}

/// The pipeline; see the module documentation.
#[derive(Debug, Clone)]
pub struct Pipeline {
    http: reqwest::Client,
    api_base: String,
    client_id: String,
    limiter: Option<SharedLimiter>,
    /// One user's share (hosted mode): the limiter and the user's key in it.
    user_share: Option<(SharedLimiter, String)>,
    /// "Rate limited until T" of this client ID, shared by every pipeline of the process;
    /// `None` with `--spotify-rate-limit off` (each call then waits out only its own 429s).
    hold: Option<Arc<RateLimitHold>>,
    auth: Arc<TokenManager>,
    timeout: Duration,
    call_timeout: Duration,
    max_retry_wait: Duration,
    max_retries: u32,
    retry_base_delay: Duration,
    observer: Option<Arc<dyn PipelineObserver>>,
}

impl Pipeline {
    pub fn new(http: reqwest::Client, cfg: &SpotifyConfig, auth: Arc<TokenManager>) -> Self {
        let api_base = cfg.api_base_url.trim_end_matches('/').to_owned();
        Self {
            hold: cfg
                .rate_limit
                .shares_429s()
                .then(|| hold::shared_hold(&api_base, &cfg.client_id)),
            http,
            api_base,
            client_id: cfg.client_id.clone(),
            limiter: cfg.rate_limit.fixed().map(limiter::shared_limiter),
            user_share: None,
            auth,
            timeout: cfg.request_timeout,
            call_timeout: cfg.call_timeout,
            max_retry_wait: cfg.max_retry_wait,
            max_retries: cfg.max_retries,
            retry_base_delay: cfg.retry_base_delay,
            observer: None,
        }
    }

    /// How long the client ID's 429 hold ("rate limited until T") still lasts, if one is in
    /// force; `None` without one (and with `--spotify-rate-limit off`, which keeps no hold).
    pub fn rate_limit_hold(&self) -> Option<Duration> {
        let now = Instant::now();
        self.hold
            .as_ref()
            .and_then(|hold| hold.current(now))
            .map(|held| held.until.saturating_duration_since(now))
    }

    /// Attach an observer (metrics).
    pub fn set_observer(&mut self, observer: Arc<dyn PipelineObserver>) {
        self.observer = Some(observer);
    }

    pub fn auth(&self) -> &Arc<TokenManager> {
        &self.auth
    }

    /// The same pipeline (connections, rate budget, observer) acting with other credentials.
    pub fn with_auth(&self, auth: Arc<TokenManager>) -> Self {
        Self {
            auth,
            ..self.clone()
        }
    }

    /// Requests of this pipeline also keep to `limit` for `user` (one signed-in user's share of
    /// the client ID's budget, so one user cannot starve the others).
    pub fn with_user_share(
        mut self,
        limit: crate::spotify::config::RateLimit,
        user: String,
    ) -> Self {
        self.user_share = Some((limiter::shared_limiter(limit), user));
        self
    }

    /// The HTTP client requests go through.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The budget of one call, however many requests it makes (`--call-timeout-secs`).
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
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
        // The tool call's deadline when this request is one of several (see [`deadline`]).
        let deadline = deadline::for_request(self.call_timeout);
        let gave_up = |last: &str| SpotifyError::DeadlineExceeded {
            endpoint: request.endpoint(),
            budget: self.call_timeout,
            // The cause's own "try again" would be said twice.
            last: last.trim_end_matches("; try again").to_owned(),
        };
        let mut backoff = retry_after::backoff(
            self.retry_base_delay,
            Duration::from_secs(10),
            self.max_retries,
        );
        let mut rate_limited_retries = 0u32;
        let mut hold_waits = 0u32;
        let mut refreshed_after_401 = false;
        if Instant::now() >= deadline {
            return Err(gave_up(
                "the call's earlier Spotify requests used up its time before this one",
            ));
        }
        // Fail at once (before a token or a limiter slot) when a long hold is in force.
        self.wait_out_hold(&mut hold_waits, deadline).await?;
        let mut bearer = tokio::time::timeout_at(deadline.into(), self.auth.bearer())
            .await
            .map_err(|_| gave_up("still waiting for an access token"))??;
        if let Some((limiter, user)) = &self.user_share
            && limiter.check_key(user).is_err()
        {
            let waiting = Instant::now();
            tokio::time::timeout_at(deadline.into(), limiter.until_key_ready(user))
                .await
                .map_err(|_| gave_up("still waiting for this user's share of the rate budget"))?;
            self.observe_wait(WaitCause::UserShare, waiting.elapsed());
        }
        loop {
            if let Some(limiter) = &self.limiter
                && limiter.check_key(&self.client_id).is_err()
            {
                let waiting = Instant::now();
                tokio::time::timeout_at(deadline.into(), limiter.until_key_ready(&self.client_id))
                    .await
                    .map_err(|_| gave_up("still waiting for the client-side rate limit"))?;
                self.observe_wait(WaitCause::Limiter, waiting.elapsed());
            }
            // Right before sending: a 429 may have arrived for another caller meanwhile.
            self.wait_out_hold(&mut hold_waits, deadline).await?;
            // Each attempt gets the request timeout, or what is left of the call's deadline.
            let attempt_timeout = self
                .timeout
                .min(deadline.saturating_duration_since(Instant::now()));
            if attempt_timeout.is_zero() {
                return Err(gave_up("no time left for another attempt"));
            }
            let started = Instant::now();
            let outcome = self
                .send_once(request, bearer.token.expose(), attempt_timeout)
                .await;
            let status_label = outcome.as_ref().map(|(s, _, _)| s.as_u16()).unwrap_or(0);
            if let Some(observer) = &self.observer {
                observer.request_finished(
                    request.template,
                    request.method.as_str(),
                    status_label,
                    started.elapsed(),
                );
            }
            let (status, retry_after, body) = match outcome {
                Ok(parts) => parts,
                Err(error) => {
                    // Only a lost exchange is worth repeating; a request that could not even
                    // be built fails the same way every time.
                    if request.is_idempotent()
                        && matches!(
                            error,
                            SpotifyError::Transport { .. } | SpotifyError::Timeout { .. }
                        )
                        && let Some(delay) = backoff.next()
                    {
                        if Instant::now() + delay >= deadline {
                            return Err(gave_up(&error.to_string()));
                        }
                        tracing::debug!(endpoint = %request.endpoint(), error = %error, ?delay, "retrying after transport error");
                        events::report(|| events::CallEvent::Retry {
                            endpoint: request.endpoint(),
                            cause: error.to_string(),
                            delay,
                        });
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
                    let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                    if let Some(observer) = &self.observer {
                        observer.rate_limited(wait);
                    }
                    // Remembered for every caller of this client ID, not only this one.
                    if let Some(hold) = &self.hold {
                        hold.learned(Instant::now(), wait);
                        if let (Some(observer), Some(held)) =
                            (&self.observer, hold.current(Instant::now()))
                        {
                            observer.gate_closed(held.until);
                        }
                    }
                    if wait > self.max_retry_wait
                        || rate_limited_retries >= self.max_retries
                        || Instant::now() + wait >= deadline
                    {
                        return Err(SpotifyError::RateLimited { retry_after: wait });
                    }
                    rate_limited_retries += 1;
                    tracing::debug!(endpoint = %request.endpoint(), ?wait, "rate limited by Spotify, waiting");
                    events::report(|| events::CallEvent::RateLimited {
                        endpoint: request.endpoint(),
                        wait,
                    });
                    // With the gate the wait happens at the top of the loop, in `wait_out_hold`.
                    if self.hold.is_none() {
                        tokio::time::sleep(wait).await;
                    }
                }
                401 if !refreshed_after_401 => {
                    refreshed_after_401 = true;
                    bearer = tokio::time::timeout_at(
                        deadline.into(),
                        self.auth.invalidate(bearer.generation),
                    )
                    .await
                    .map_err(|_| gave_up("still renewing the access token after a 401"))??;
                }
                // A 503 may say when to come back: wait at least that, or give up at once when
                // it is longer than we would wait for a 429 or than the call has left.
                502..=504 if request.is_idempotent() => match backoff.next() {
                    Some(delay) if retry_after.is_none_or(|wait| wait <= self.max_retry_wait) => {
                        let delay = delay.max(retry_after.unwrap_or_default());
                        if Instant::now() + delay >= deadline {
                            return Err(errors::map_error(request, status.as_u16(), &body));
                        }
                        tracing::debug!(endpoint = %request.endpoint(), status = status.as_u16(), ?delay, "retrying");
                        events::report(|| events::CallEvent::Retry {
                            endpoint: request.endpoint(),
                            cause: format!("Spotify answered {}", status.as_u16()),
                            delay,
                        });
                        tokio::time::sleep(delay).await;
                    }
                    _ => return Err(errors::map_error(request, status.as_u16(), &body)),
                },
                // A gateway error on a write that is not safe to repeat: Spotify may have
                // applied it before the gateway lost the answer.
                code @ (502 | 504) => {
                    return Err(SpotifyError::AnswerLost {
                        endpoint: request.endpoint(),
                        cause: format!("its gateway answered {code}"),
                    });
                }
                code => return Err(errors::map_error(request, code, &body)),
            }
        }
    }

    /// Waits until the client ID's 429 hold is over, or fails at once with how long is left
    /// when that is longer than `max_retry_wait` (or the call already waited for holds more
    /// than `max_retries` times: the hold keeps being extended). Each wait is at most
    /// `max_retry_wait`, so the total is bounded.
    async fn wait_out_hold(&self, waits: &mut u32, deadline: Instant) -> Result<(), SpotifyError> {
        let Some(hold) = &self.hold else {
            return Ok(());
        };
        while let Some(held) = hold.current(Instant::now()) {
            let remaining = held.until.saturating_duration_since(Instant::now());
            // Also when the hold outlasts the call's deadline: say now how long is left.
            if remaining > self.max_retry_wait
                || *waits > self.max_retries
                || held.until >= deadline
            {
                return Err(SpotifyError::RateLimitHeld {
                    remaining,
                    asked: held.asked,
                });
            }
            *waits += 1;
            tracing::debug!(?remaining, "Spotify rate-limited this client ID, waiting");
            events::report(|| events::CallEvent::GateWait { remaining });
            let waiting = Instant::now();
            tokio::time::sleep_until(held.until.into()).await;
            self.observe_wait(WaitCause::Gate, waiting.elapsed());
        }
        Ok(())
    }

    fn observe_wait(&self, cause: WaitCause, waited: Duration) {
        if let Some(observer) = &self.observer {
            observer.waited(cause, waited);
        }
    }

    async fn send_once(
        &self,
        request: &ApiRequest,
        token: &str,
        timeout: Duration,
    ) -> Result<(StatusCode, Option<Duration>, Bytes), SpotifyError> {
        let url = format!("{}{}", self.api_base, request.path);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .bearer_auth(token)
            .timeout(timeout);
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
            .map_err(|e| self.transport_error(request, &e, timeout))?;
        let status = response.status();
        let retry_after = retry_after::from_headers(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(request, &e, timeout))?;
        Ok((status, retry_after, body))
    }

    fn transport_error(
        &self,
        request: &ApiRequest,
        err: &reqwest::Error,
        timeout: Duration,
    ) -> SpotifyError {
        if err.is_builder() {
            // Nothing was sent: the URL (or a header) cannot be formed, e.g. a query too long
            // for a URL. A client-side error, never retried nor reported as a network fault.
            let reason = match std::error::Error::source(err) {
                Some(source) => source.to_string(),
                None => "invalid URL".to_owned(),
            };
            return SpotifyError::InvalidArgument {
                message: format!(
                    "the request to {} could not be built ({reason}): an argument is too long or malformed",
                    request.endpoint()
                ),
            };
        }
        // Sent (not a connection failure), not safe to repeat, and no answer: say it may
        // have been applied, so nobody repeats it blindly.
        if !request.is_idempotent() && !err.is_connect() {
            let cause = if err.is_timeout() {
                format!(
                    "no answer within {} s",
                    crate::spotify::error::seconds(timeout)
                )
            } else {
                crate::spotify::transport::chain(err)
            };
            return SpotifyError::AnswerLost {
                endpoint: request.endpoint(),
                cause,
            };
        }
        if err.is_timeout() {
            SpotifyError::Timeout {
                endpoint: request.endpoint(),
                timeout,
            }
        } else {
            // The whole cause chain (a TLS failure is only named deep in it), without the URL.
            SpotifyError::Transport {
                message: format!(
                    "{}: {}",
                    request.endpoint(),
                    crate::spotify::transport::chain(err)
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::spotify::config::{
        CacheConfig, Credentials, RateLimit, RateLimitPolicy, SpotifyConfig,
    };
    use crate::spotify::error::SpotifyError;
    use crate::spotify::ids::SpotifyId;
    use crate::spotify::test_support::{Fake, Reply};
    use crate::spotify::{Secret, SpotifyClient};
    use serde_json::json;
    use std::num::NonZeroU32;
    use std::time::{Duration, Instant};

    fn track() -> SpotifyId {
        SpotifyId::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC").unwrap()
    }

    fn config(fake: &Fake) -> SpotifyConfig {
        let mut cfg = SpotifyConfig::new(
            "test-client",
            Credentials::RefreshToken(Secret::new("rt-1")),
        )
        .with_base_urls(fake.api_base(), fake.accounts_base());
        cfg.retry_base_delay = Duration::from_millis(10);
        cfg.rate_limit = RateLimitPolicy::Adaptive;
        cfg.cache = CacheConfig {
            enabled: false,
            ..CacheConfig::default()
        };
        cfg
    }

    #[tokio::test]
    async fn get_is_retried_after_503_but_post_is_not() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state.push(Reply::json(
            503,
            json!({"error": {"status": 503, "message": "busy"}}),
        ));
        fake.state.push(Reply::json(502, json!({})));
        fake.state.push(Reply::json(
            200,
            json!({"name": "Song", "uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}),
        ));
        let t = client.get_track(&track(), None).await.unwrap();
        assert_eq!(t.name, "Song");
        assert_eq!(fake.state.seen().len(), 3);

        fake.state.push(Reply::json(
            503,
            json!({"error": {"status": 503, "message": "busy"}}),
        ));
        let err = client.skip_next(None).await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::Api { status: 503, .. }),
            "{err:?}"
        );
        assert_eq!(fake.state.seen().len(), 4, "a POST must not be repeated");
    }

    /// A request whose URL cannot be built (a query past the URL length limit)
    /// is a client-side error: not retried, not "could not reach Spotify".
    #[tokio::test]
    async fn a_request_that_cannot_be_built_is_not_retried() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        client.check_credentials().await.unwrap();
        let request = crate::spotify::models::SearchRequest {
            query: "a".repeat(70_000),
            types: vec![crate::spotify::models::SearchType::Track],
            ..Default::default()
        };
        let err = client.search(&request).await.unwrap_err();
        assert!(
            matches!(&err, SpotifyError::InvalidArgument { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("GET /search could not be built") && message.len() < 400,
            "{message}"
        );
        assert!(fake.state.seen().is_empty());
    }

    fn playlist() -> SpotifyId {
        SpotifyId::parse("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M").unwrap()
    }

    /// A reorder is a PUT, but sending it again moves the items again, so a lost
    /// answer (5xx, timeout) must not make the pipeline send it a second time.
    #[tokio::test]
    async fn a_reorder_whose_answer_was_lost_is_not_sent_again() {
        let reorder = crate::spotify::models::ReorderItems {
            range_start: 0,
            insert_before: 3,
            range_length: None,
            snapshot_id: None,
        };
        // A 502: Spotify may have applied it before the gateway lost the answer.
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state.push(Reply::json(502, json!({})));
        fake.state
            .push(Reply::json(200, json!({"snapshot_id": "s2"})));
        let result = client.reorder_playlist_items(&playlist(), &reorder).await;
        assert!(
            matches!(&result, Err(SpotifyError::AnswerLost { cause, .. }) if cause.contains("502")),
            "{result:?}"
        );
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("may have been applied") && message.contains("before trying again"),
            "{message}"
        );
        assert_eq!(fake.state.seen().len(), 1, "a reorder must not be repeated");

        // A timeout: the answer never came.
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.request_timeout = Duration::from_millis(200);
        let client = SpotifyClient::new(cfg).unwrap();
        client.check_credentials().await.unwrap();
        fake.state.push(
            Reply::json(200, json!({"snapshot_id": "s2"})).delayed(Duration::from_millis(500)),
        );
        fake.state
            .push(Reply::json(200, json!({"snapshot_id": "s3"})));
        let result = client.reorder_playlist_items(&playlist(), &reorder).await;
        assert!(
            matches!(&result, Err(SpotifyError::AnswerLost { cause, .. }) if cause.contains("no answer within 0.2 s")),
            "{result:?}"
        );
        assert_eq!(
            fake.state.seen().len(),
            1,
            "a timed-out reorder must not be repeated"
        );
    }

    /// Replacing the items with a list of URIs sets a state: repeating it is harmless, so it
    /// is retried.
    #[tokio::test]
    async fn a_replace_whose_answer_was_lost_is_retried() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state.push(Reply::json(502, json!({})));
        fake.state
            .push(Reply::json(200, json!({"snapshot_id": "s2"})));
        let snapshot = client
            .replace_playlist_items(&playlist(), &[track()])
            .await
            .unwrap();
        assert_eq!(snapshot.snapshot_id, "s2");
        assert_eq!(fake.state.seen().len(), 2);
    }

    #[tokio::test]
    async fn retries_give_up_after_the_configured_count() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.max_retries = 2;
        let client = SpotifyClient::new(cfg).unwrap();
        for _ in 0..5 {
            fake.state.push(Reply::json(504, json!({})));
        }
        let err = client.get_track(&track(), None).await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::Api { status: 504, .. }),
            "{err:?}"
        );
        assert_eq!(fake.state.seen().len(), 3, "one try and two retries");
    }

    #[tokio::test]
    async fn retry_after_is_waited_out_and_post_is_repeated_after_429() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "1"));
        let started = Instant::now();
        client.skip_next(None).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            fake.state.seen().len(),
            2,
            "429 means not processed: safe to repeat"
        );
    }

    #[tokio::test]
    async fn retry_after_on_a_503_sets_the_least_wait_and_a_long_one_gives_up() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.max_retry_wait = Duration::from_secs(5);
        let client = SpotifyClient::new(cfg).unwrap();
        client.check_credentials().await.unwrap();
        let busy = || Reply::json(503, json!({"error": {"status": 503, "message": "busy"}}));
        fake.state.push(busy().header("retry-after", "1"));
        let started = Instant::now();
        client.get_track(&track(), None).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(fake.state.seen().len(), 2);

        fake.state.push(busy().header("retry-after", "120"));
        let started = Instant::now();
        let err = client.get_track(&track(), None).await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::Api { status: 503, .. }),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(fake.state.seen().len(), 3, "not retried");
    }

    #[tokio::test]
    async fn long_retry_after_gives_up_at_once() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.max_retry_wait = Duration::from_secs(5);
        let client = SpotifyClient::new(cfg).unwrap();
        let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", date));
        let started = Instant::now();
        let err = client.get_track(&track(), None).await.unwrap_err();
        match err {
            SpotifyError::RateLimited { retry_after } => {
                assert!(
                    retry_after > Duration::from_secs(100)
                        && retry_after <= Duration::from_secs(120)
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(err_message_mentions_wait().await);
    }

    /// A short Retry-After holds every caller of the client ID, not only the one
    /// whose request got the 429: nothing reaches Spotify before the wait is over.
    #[tokio::test]
    async fn a_short_retry_after_holds_every_concurrent_caller() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        client.check_credentials().await.unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "2"));
        let first = tokio::spawn({
            let client = client.clone();
            async move { client.skip_next(None).await }
        });
        // Wait until the 429 has been answered and read, then a second caller comes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fake.state.seen().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = tokio::spawn({
            let client = client.clone();
            async move { client.skip_previous(None).await }
        });
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        let seen = fake.state.seen();
        assert_eq!(
            seen.len(),
            3,
            "the 429, the first call again, the second call"
        );
        let limited_at = seen[0].at;
        for later in &seen[1..] {
            let gap = later.at.duration_since(limited_at);
            assert!(
                gap >= Duration::from_secs(2),
                "{} {} was sent {gap:?} after the 429 asked for 2 s",
                later.method,
                later.path_and_query
            );
        }
    }

    /// A call held by the gate shows as a gate wait, and the gauge says the gate is
    /// closed while the Retry-After runs and open after it.
    #[tokio::test]
    async fn gate_waits_and_the_closed_gate_show_in_metrics() {
        let fake = Fake::start().await;
        let metrics = crate::metrics::Metrics::new().unwrap();
        let options = crate::spotify::ClientOptions {
            observer: Some(std::sync::Arc::new(metrics.clone())),
            ..Default::default()
        };
        let client = SpotifyClient::with_options(config(&fake), options).unwrap();
        client.check_credentials().await.unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "1"));
        let call = tokio::spawn({
            let client = client.clone();
            async move { client.skip_next(None).await }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while fake.state.seen().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let line = |text: &str, prefix: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::to_owned)
        };
        let during = metrics.render().unwrap();
        assert_eq!(
            line(&during, "spotify_mcp_spotify_rate_limit_gate_closed ").as_deref(),
            Some("1"),
            "{during}"
        );
        call.await.unwrap().unwrap();
        let after = metrics.render().unwrap();
        assert_eq!(
            line(&after, "spotify_mcp_spotify_rate_limit_gate_closed ").as_deref(),
            Some("0")
        );
        assert_eq!(
            line(
                &after,
                r#"spotify_mcp_spotify_rate_limit_wait_seconds_count{cause="gate"} "#
            )
            .as_deref(),
            Some("1"),
            "{after}"
        );
        let waited: f64 = line(
            &after,
            r#"spotify_mcp_spotify_rate_limit_wait_seconds_sum{cause="gate"} "#,
        )
        .unwrap()
        .parse()
        .unwrap();
        assert!((0.5..1.5).contains(&waited), "{waited}");
    }

    /// After a 429 with a long Retry-After, later calls of the client ID answer
    /// at once with how long is left, and Spotify is not asked again meanwhile.
    #[tokio::test]
    async fn a_long_retry_after_is_remembered_and_later_calls_fail_at_once() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "3600"));
        let err = client.get_track(&track(), None).await.unwrap_err();
        assert_eq!(err.kind(), "rate_limited", "{err:?}");
        // Another client of the same client ID (another user, say) is held too.
        let other = SpotifyClient::new(config(&fake)).unwrap();
        for c in [&client, &other] {
            let started = Instant::now();
            let err = c.skip_next(None).await.unwrap_err();
            assert!(started.elapsed() < Duration::from_millis(500));
            assert_eq!(err.kind(), "rate_limited", "{err:?}");
            let message = err.to_string();
            assert!(
                message.contains("try again in 3600 s") || message.contains("try again in 3599 s"),
                "{message}"
            );
        }
        assert_eq!(
            fake.state.seen().len(),
            1,
            "only the request that got the 429"
        );
    }

    /// On a fresh fake: the one above is now held and would not be asked again.
    async fn err_message_mentions_wait() -> bool {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "600"));
        let err = client.get_track(&track(), None).await.unwrap_err();
        err.to_string().contains("600 s")
    }

    #[tokio::test]
    async fn unauthorized_refreshes_once_then_asks_to_log_in() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state.push(Reply::json(
            401,
            json!({"error": {"status": 401, "message": "The access token expired"}}),
        ));
        client.get_track(&track(), None).await.unwrap();
        let seen = fake.state.seen();
        assert_eq!(seen[0].authorization, "Bearer access-1");
        assert_eq!(seen[1].authorization, "Bearer access-2");
        assert_eq!(fake.state.token_requests(), 2);

        fake.state.push(Reply::json(
            401,
            json!({"error": {"status": 401, "message": "Invalid access token"}}),
        ));
        fake.state.push(Reply::json(
            401,
            json!({"error": {"status": 401, "message": "Invalid access token"}}),
        ));
        let err = client.get_track(&track(), None).await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::ReauthRequired { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("auth login"));
        assert_eq!(
            fake.state.token_requests(),
            3,
            "exactly one refresh per failing call"
        );
    }

    #[tokio::test]
    async fn timeouts_are_reported_per_endpoint() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.request_timeout = Duration::from_millis(200);
        let client = SpotifyClient::new(cfg).unwrap();
        client.check_credentials().await.unwrap();
        for _ in 0..4 {
            fake.state
                .push(Reply::json(200, json!({})).delayed(Duration::from_secs(2)));
        }
        let err = client.get_track(&track(), None).await.unwrap_err();
        match &err {
            SpotifyError::Timeout { endpoint, timeout } => {
                assert_eq!(endpoint, "GET /tracks/{id}");
                assert_eq!(*timeout, Duration::from_millis(200));
            }
            other => panic!("{other:?}"),
        }
        // A write whose answer did not come may have been applied: it says so.
        fake.state
            .push(Reply::empty(204).delayed(Duration::from_secs(2)));
        let err = client.skip_previous(None).await.unwrap_err();
        match &err {
            SpotifyError::AnswerLost { endpoint, .. } => {
                assert_eq!(endpoint, "POST /me/player/previous")
            }
            other => panic!("{other:?}"),
        }
    }

    /// One deadline per call. Every attempt of an idempotent GET times out; the
    /// retries stop when the call's deadline comes, not after `max_retries` full timeouts, and
    /// the message says what happened (it said "within 10 s" after 42 s before).
    #[tokio::test]
    async fn retries_stop_at_the_calls_deadline_and_say_so() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.request_timeout = Duration::from_millis(400);
        cfg.call_timeout = Duration::from_millis(1000);
        cfg.max_retries = 10;
        let client = SpotifyClient::new(cfg).unwrap();
        client.check_credentials().await.unwrap();
        for _ in 0..12 {
            fake.state
                .push(Reply::json(200, json!({})).delayed(Duration::from_secs(3)));
        }
        let started = Instant::now();
        let err = client.get_track(&track(), None).await.unwrap_err();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1300), "{took:?}");
        assert!(
            matches!(err, SpotifyError::DeadlineExceeded { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("gave up on `GET /tracks/{id}` after 1 s")
                && message.contains("did not answer"),
            "{message}"
        );
        // Found by the soak: the cause's "try again" was repeated ("...; try again; try again").
        assert_eq!(message.matches("try again").count(), 1, "{message}");
        assert!(
            fake.state.seen().len() <= 3,
            "{:?}",
            fake.state.seen().len()
        );
    }

    /// A 429 whose Retry-After outlasts what is left of the call is not waited
    /// out: the call answers at once with how long to wait.
    #[tokio::test]
    async fn a_retry_after_beyond_the_deadline_is_not_waited_out() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.call_timeout = Duration::from_secs(2);
        cfg.max_retry_wait = Duration::from_secs(10);
        let client = SpotifyClient::new(cfg).unwrap();
        client.check_credentials().await.unwrap();
        fake.state
            .push(Reply::json(429, json!({})).header("retry-after", "5"));
        let started = Instant::now();
        let err = client.get_track(&track(), None).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(
            matches!(err, SpotifyError::RateLimited { retry_after } if retry_after == Duration::from_secs(5)),
            "{err:?}"
        );
        crate::spotify::pipeline::hold::forget(&fake.api_base());
    }

    #[tokio::test]
    async fn spotify_error_bodies_become_specific_errors() {
        let fake = Fake::start().await;
        let client = SpotifyClient::new(config(&fake)).unwrap();
        fake.state.push(Reply::json(
            404,
            json!({"error": {"status": 404, "message": "Player command failed: No active device found", "reason": "NO_ACTIVE_DEVICE"}}),
        ));
        assert!(matches!(
            client.pause(None).await,
            Err(SpotifyError::NoActiveDevice)
        ));
        fake.state.push(Reply::json(
            403,
            json!({"error": {"status": 403, "message": "Player command failed: Premium required", "reason": "PREMIUM_REQUIRED"}}),
        ));
        assert!(matches!(
            client.set_volume(10, None).await,
            Err(SpotifyError::PremiumRequired)
        ));
        fake.state.push(Reply::json(
            404,
            json!({"error": {"status": 404, "message": "Not found"}}),
        ));
        let request = crate::spotify::models::RecommendationsRequest {
            seed_genres: vec!["jazz".into()],
            ..Default::default()
        };
        let err = client.get_recommendations(&request).await;
        assert!(
            matches!(err, Err(SpotifyError::UnavailableForDevelopmentMode { .. })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn app_only_credentials_refuse_user_endpoints_without_calling_spotify() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.credentials = Credentials::ClientCredentials;
        cfg.client_secret = Some(Secret::new("s3cret"));
        let client = SpotifyClient::new(cfg).unwrap();
        let err = client.get_current_user().await.unwrap_err();
        assert!(matches!(err, SpotifyError::Unauthorized { .. }), "{err:?}");
        assert!(err.to_string().contains("auth login"));
        assert!(fake.state.seen().is_empty());
        client.get_track(&track(), None).await.unwrap();
        let form = fake.state.token_forms.lock().unwrap()[0].clone();
        assert_eq!(
            form.get("grant_type").map(String::as_str),
            Some("client_credentials")
        );
        assert!(
            !form.contains_key("client_secret"),
            "the secret goes in the Basic header"
        );
    }

    #[tokio::test]
    async fn the_limiter_spaces_requests_of_one_client_id() {
        let fake = Fake::start().await;
        let mut cfg = config(&fake);
        cfg.client_id = "limiter-spacing-test".into();
        cfg.rate_limit = RateLimitPolicy::Fixed(RateLimit {
            per_second: NonZeroU32::new(10).unwrap(),
            burst: NonZeroU32::new(1).unwrap(),
        });
        let a = SpotifyClient::new(cfg.clone()).unwrap();
        let b = SpotifyClient::new(cfg).unwrap();
        a.check_credentials().await.unwrap();
        b.check_credentials().await.unwrap();
        let started = Instant::now();
        for _ in 0..3 {
            a.get_track(&track(), None).await.unwrap();
            b.get_track(&track(), None).await.unwrap();
        }
        // 6 requests at 10/s with a burst of 1: at least 5 gaps of 100 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_users_share_holds_that_user_only() {
        let fake = Fake::start().await;
        let cfg = config(&fake);
        let share = RateLimit {
            per_second: NonZeroU32::new(10).unwrap(),
            burst: NonZeroU32::new(2).unwrap(),
        };
        let template = SpotifyClient::new(cfg).unwrap();
        let user = |name: &str| {
            template.for_user(
                crate::spotify::Secret::new(format!("refresh-{name}")),
                format!("share-test-{name}"),
                Some(share),
                std::sync::Arc::new(NoShare),
            )
        };
        let (busy, other) = (user("busy"), user("other"));
        busy.check_credentials().await.unwrap();
        other.check_credentials().await.unwrap();
        let started = Instant::now();
        for _ in 0..6 {
            busy.get_track(&track(), None).await.unwrap();
        }
        // 6 requests at 10/s with a burst of 2: at least 4 gaps of 100 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(350),
            "{:?}",
            started.elapsed()
        );
        // The busy user's share is used up; the other user's requests do not wait for it.
        let started = Instant::now();
        other.get_track(&track(), None).await.unwrap();
        other.get_track(&track(), None).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(90),
            "{:?}",
            started.elapsed()
        );
    }

    /// A token share that shares nothing (each renewal is its own).
    #[derive(Debug)]
    struct NoShare;

    #[async_trait::async_trait]
    impl crate::spotify::auth::share::TokenShare for NoShare {
        async fn lock(&self, _: &str) -> Option<String> {
            None
        }
        async fn unlock(&self, _: &str, _: &str) {}
        async fn load(&self, _: &str) -> Option<crate::spotify::auth::share::SharedTokens> {
            None
        }
        async fn store(&self, _: &str, _: &crate::spotify::auth::share::SharedTokens) {}
    }
}
