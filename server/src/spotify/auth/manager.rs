//! [`TokenManager`]: hands out a valid access token, refreshing it in-process before it
//! expires.
//!
//! Single flight: the state sits behind one async mutex that is held across the refresh, so
//! when N callers find the token stale at once, the first refreshes and the others wait and
//! then reuse its result — one request to the token endpoint, not N. After a 401 the pipeline
//! calls [`TokenManager::invalidate`] with the generation of the token that failed; only the
//! first such caller refreshes, later ones see the newer generation and reuse it.
//!
//! A failed renewal is remembered: every caller that was waiting for it gets its outcome
//! instead of trying again itself, and for a backoff that doubles per consecutive failure
//! ([`FAILURE_BACKOFF_FIRST`] up to [`FAILURE_BACKOFF_MAX`], or longer when the endpoint said
//! `Retry-After`) callers get that error at once without asking the endpoint. So a failing
//! token endpoint costs one grant per backoff, not one per caller, and no caller queues
//! behind a chain of failing renewals. [`TokenManager::try_ready`] answers without waiting for
//! a renewal in progress (for `/readyz`).
//!
//! The manager also knows when the user authorised ([`TokenManager::authorization`]): from the
//! token file, or for a refresh token from the environment from `SPOTIFY_AUTHORIZED_AT`. A
//! refresh keeps that date, also when Spotify hands out a new refresh token.

use crate::spotify::auth::endpoint::{TokenEndpoint, TokenResponse};
use crate::spotify::auth::expiry::Authorization;
use crate::spotify::auth::store::{TokenSet, TokenStore, unix_now};
use crate::spotify::config::Credentials;
use crate::spotify::error::SpotifyError;
use crate::spotify::secret::Secret;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long callers get a failed renewal's error before the endpoint is asked again, after
/// the first consecutive failure; doubles per failure up to [`FAILURE_BACKOFF_MAX`].
pub const FAILURE_BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest backoff after consecutive failures.
pub const FAILURE_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The last renewal failed: its error, until when it stands, and how many failed in a row.
#[derive(Debug, Clone)]
struct Failure {
    error: SpotifyError,
    until: Instant,
    streak: u32,
}

/// An access token and the generation it belongs to.
#[derive(Debug, Clone)]
pub struct BearerToken {
    pub token: Secret,
    pub generation: u64,
}

#[derive(Debug)]
enum Source {
    ClientCredentials,
    RefreshToken,
    TokenFile(TokenStore),
}

#[derive(Debug, Default)]
struct State {
    access: Option<(Secret, Instant)>,
    refresh_token: Option<Secret>,
    scope: String,
    generation: u64,
    authorized_at: Option<DateTime<Utc>>,
    /// The last renewal's failure while its backoff runs (cleared by a success).
    failure: Option<Failure>,
    /// The access token Spotify last rejected (401): never adopted from another replica.
    rejected: Option<Secret>,
}

/// Hands out access tokens; see the module documentation.
#[derive(Debug)]
pub struct TokenManager {
    endpoint: TokenEndpoint,
    source: Source,
    margin: Duration,
    state: Mutex<State>,
    refreshes: AtomicU64,
    user_scope: String,
    /// Told about every token request (metrics).
    observer: std::sync::OnceLock<std::sync::Arc<dyn crate::spotify::pipeline::PipelineObserver>>,
    /// Where replicas renew a refresh-token credential once (see [`super::share`]).
    share: std::sync::OnceLock<std::sync::Arc<dyn super::share::TokenShare>>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// Build from the configured credentials. A token file is read now (missing is fine:
    /// calls then fail with a "log in" error until it appears).
    pub fn new(
        endpoint: TokenEndpoint,
        credentials: &Credentials,
        margin: Duration,
    ) -> Result<Self, SpotifyError> {
        let mut state = State::default();
        let (source, scope_seed) = match credentials {
            Credentials::ClientCredentials => {
                if !endpoint.has_secret() {
                    return Err(SpotifyError::Config {
                        message: "client-credentials mode needs SPOTIFY_CLIENT_SECRET (or log in as a user with `spotify-mcp-server auth login`)".into(),
                    });
                }
                (
                    Source::ClientCredentials,
                    format!("app:{}", endpoint.client_id()),
                )
            }
            Credentials::RefreshToken(token) => {
                if token.is_empty() {
                    return Err(SpotifyError::Config {
                        message: "SPOTIFY_REFRESH_TOKEN is empty".into(),
                    });
                }
                state.refresh_token = Some(token.clone());
                (
                    Source::RefreshToken,
                    format!("rt:{}:{}", endpoint.client_id(), token.expose()),
                )
            }
            Credentials::TokenFile(path) => {
                let store = TokenStore::new(path.clone());
                if let Some(tokens) = store.load()? {
                    Self::adopt_file(&mut state, &tokens, endpoint.client_id());
                }
                let seed = format!("file:{}:{}", endpoint.client_id(), path.display());
                (Source::TokenFile(store), seed)
            }
        };
        Ok(Self {
            endpoint,
            source,
            margin,
            state: Mutex::new(state),
            refreshes: AtomicU64::new(0),
            user_scope: short_hash(&scope_seed),
            observer: std::sync::OnceLock::new(),
            share: std::sync::OnceLock::new(),
        })
    }

    /// The manager of one signed-in user's tokens (hosted mode): `refresh_token` renews them,
    /// `user_scope` names the user (the cache scope), and `share` is where the newest tokens
    /// are kept for the other replicas and read from first.
    pub fn for_user(
        endpoint: TokenEndpoint,
        refresh_token: Secret,
        margin: Duration,
        user_scope: String,
        share: std::sync::Arc<dyn super::share::TokenShare>,
    ) -> Self {
        let state = State {
            refresh_token: Some(refresh_token),
            ..State::default()
        };
        let manager = Self {
            endpoint,
            source: Source::RefreshToken,
            margin,
            state: Mutex::new(state),
            refreshes: AtomicU64::new(0),
            user_scope,
            observer: std::sync::OnceLock::new(),
            share: std::sync::OnceLock::new(),
        };
        let _ = manager.share.set(share);
        manager
    }

    /// The token endpoint this manager renews with.
    pub fn endpoint(&self) -> &TokenEndpoint {
        &self.endpoint
    }

    /// When the user authorised, for credentials that carry no date of their own: a refresh
    /// token from the environment, or a token file written before dates were kept.
    pub fn with_authorized_at(mut self, authorized_at: Option<DateTime<Utc>>) -> Self {
        let state = self.state.get_mut();
        if state.authorized_at.is_none() {
            state.authorized_at = authorized_at;
        }
        self
    }

    /// When the user authorised the credentials in use (nothing expires for Client Credentials).
    pub async fn authorization(&self) -> Authorization {
        match self.source {
            Source::ClientCredentials => Authorization::AppOnly,
            Source::RefreshToken | Source::TokenFile(_) => {
                Authorization::of_user(self.state.lock().await.authorized_at)
            }
        }
    }

    /// A stable, secret-free key for the identity these credentials act as (the cache scopes
    /// entries per Spotify user with it).
    pub fn user_scope(&self) -> &str {
        &self.user_scope
    }

    /// Whether these credentials act for a user (rather than the app alone).
    pub fn has_user(&self) -> bool {
        !matches!(self.source, Source::ClientCredentials)
    }

    /// Report token requests to `observer` (metrics). Only the first observer set is kept.
    pub fn set_observer(
        &self,
        observer: std::sync::Arc<dyn crate::spotify::pipeline::PipelineObserver>,
    ) {
        let _ = self.observer.set(observer);
    }

    /// The observer told about token requests, if any.
    pub fn observer(
        &self,
    ) -> Option<std::sync::Arc<dyn crate::spotify::pipeline::PipelineObserver>> {
        self.observer.get().cloned()
    }

    /// Renews a refresh-token credential together with the other replicas through `share`.
    pub fn share_with(&self, share: std::sync::Arc<dyn super::share::TokenShare>) {
        let _ = self.share.set(share);
    }

    fn notify_refresh(&self, success: bool) {
        if let Some(observer) = self.observer.get() {
            observer.token_refreshed(success);
        }
    }

    /// Token grants asked of the token endpoint so far, successful or not (one grant may take
    /// several requests when the endpoint retries a transient failure).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// A valid access token, refreshed first when it expires within the margin.
    pub async fn bearer(&self) -> Result<BearerToken, SpotifyError> {
        let mut state = self.state.lock().await;
        self.current_or_renew(&mut state).await
    }

    /// Whether a usable access token is at hand or can be obtained, without waiting for a
    /// renewal another caller has in progress (`None` then): for readiness probes.
    pub async fn try_ready(&self) -> Option<Result<(), SpotifyError>> {
        let mut state = self.state.try_lock().ok()?;
        Some(self.current_or_renew(&mut state).await.map(|_| ()))
    }

    async fn current_or_renew(&self, state: &mut State) -> Result<BearerToken, SpotifyError> {
        if let Some((token, expires)) = &state.access
            && Instant::now() + self.margin < *expires
        {
            return Ok(BearerToken {
                token: token.clone(),
                generation: state.generation,
            });
        }
        self.renew(state).await
    }

    /// The token of `generation` was rejected (401): refresh unless someone already did.
    pub async fn invalidate(&self, generation: u64) -> Result<BearerToken, SpotifyError> {
        let mut state = self.state.lock().await;
        if state.generation != generation
            && let Some((token, expires)) = &state.access
            && Instant::now() + self.margin < *expires
        {
            return Ok(BearerToken {
                token: token.clone(),
                generation: state.generation,
            });
        }
        state.rejected = state.access.take().map(|(token, _)| token);
        self.renew(&mut state).await
    }

    /// Renews the access token, unless a failed renewal's backoff is still running (its error
    /// then, at once). Remembers a failure and clears it on success.
    async fn renew(&self, state: &mut State) -> Result<BearerToken, SpotifyError> {
        if let Some(failure) = &state.failure
            && Instant::now() < failure.until
        {
            tracing::debug!(
                retry_in = ?failure.until.saturating_duration_since(Instant::now()),
                "token renewal failed moments ago; not asking the endpoint again yet"
            );
            return Err(failure.error.clone());
        }
        let asked_before = self.refresh_count();
        let result = self.renew_now(state).await;
        match &result {
            Ok(_) => state.failure = None,
            // Failures found without asking the endpoint (no login saved yet) cost nothing to
            // check again, and a login made meanwhile must be picked up at once.
            Err(_) if self.refresh_count() == asked_before => {}
            Err(error) => {
                let streak = state.failure.as_ref().map_or(1, |f| f.streak + 1);
                let doubling = FAILURE_BACKOFF_FIRST
                    .saturating_mul(1 << (streak - 1).min(10))
                    .min(FAILURE_BACKOFF_MAX);
                let asked = match error {
                    SpotifyError::RateLimited { retry_after } => *retry_after,
                    _ => Duration::ZERO,
                };
                state.failure = Some(Failure {
                    error: error.clone(),
                    until: Instant::now() + doubling.max(asked),
                    streak,
                });
            }
        }
        result
    }

    async fn renew_now(&self, state: &mut State) -> Result<BearerToken, SpotifyError> {
        match (&self.source, self.share.get()) {
            (Source::RefreshToken, Some(share)) => {
                let share = share.clone();
                let lock = share.lock(&self.user_scope).await;
                let result = self.renew_shared(state, share.as_ref()).await;
                if let Some(lock) = lock {
                    share.unlock(&self.user_scope, &lock).await;
                }
                result
            }
            _ => self.renew_alone(state).await,
        }
    }

    /// Under the shared lock: adopt what another replica stored if it is still good and not
    /// the token that brought us here, else renew with the newest refresh token and store it.
    async fn renew_shared(
        &self,
        state: &mut State,
        share: &dyn super::share::TokenShare,
    ) -> Result<BearerToken, SpotifyError> {
        if let Some(shared) = share.load(&self.user_scope).await {
            if let Some(rotated) = shared.refresh_token.as_deref().filter(|t| !t.is_empty()) {
                state.refresh_token = Some(Secret::new(rotated));
            }
            let known_bad = [
                state.access.as_ref().map(|(token, _)| token),
                state.rejected.as_ref(),
            ]
            .into_iter()
            .flatten()
            .any(|token| token.expose() == shared.access_token);
            let left = shared.expires_at.saturating_sub(unix_now());
            if !known_bad && Duration::from_secs(left) > self.margin {
                tracing::debug!("adopted the access token another replica renewed");
                if !shared.scope.is_empty() {
                    state.scope = shared.scope.clone();
                }
                let token = Secret::new(shared.access_token);
                state.access = Some((token.clone(), Instant::now() + Duration::from_secs(left)));
                state.generation += 1;
                return Ok(BearerToken {
                    token,
                    generation: state.generation,
                });
            }
        }
        let renewed = self.renew_alone(state).await?;
        if let Some((token, expires)) = &state.access {
            let left = expires.saturating_duration_since(Instant::now()).as_secs();
            let tokens = super::share::SharedTokens {
                access_token: token.expose().to_owned(),
                expires_at: unix_now() + left,
                refresh_token: state.refresh_token.as_ref().map(|t| t.expose().to_owned()),
                scope: state.scope.clone(),
            };
            share.store(&self.user_scope, &tokens).await;
        }
        Ok(renewed)
    }

    async fn renew_alone(&self, state: &mut State) -> Result<BearerToken, SpotifyError> {
        let response = match &self.source {
            Source::ClientCredentials => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                let result = self.endpoint.client_credentials().await;
                self.notify_refresh(result.is_ok());
                result?
            }
            Source::RefreshToken | Source::TokenFile(_) => {
                if state.refresh_token.is_none()
                    && let Source::TokenFile(store) = &self.source
                {
                    // Someone may have logged in since start: look again.
                    if let Some(tokens) = store.load()? {
                        Self::adopt_file(state, &tokens, self.endpoint.client_id());
                        if let Some((token, expires)) = &state.access
                            && Instant::now() + self.margin < *expires
                        {
                            state.generation += 1;
                            return Ok(BearerToken {
                                token: token.clone(),
                                generation: state.generation,
                            });
                        }
                    }
                }
                let Some(refresh_token) = state.refresh_token.clone() else {
                    let reason = match &self.source {
                        Source::TokenFile(store) => {
                            format!("no saved login at {}", store.path().display())
                        }
                        _ => "no refresh token configured".to_owned(),
                    };
                    return Err(SpotifyError::ReauthRequired { reason });
                };
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                let result = self.endpoint.refresh(&refresh_token).await;
                self.notify_refresh(result.is_ok());
                if let Err(SpotifyError::ReauthRequired { .. }) = &result {
                    // Do not hammer the endpoint with a dead refresh token.
                    state.access = None;
                }
                result?
            }
        };
        self.apply(state, response)
    }

    fn apply(
        &self,
        state: &mut State,
        response: TokenResponse,
    ) -> Result<BearerToken, SpotifyError> {
        let lifetime = Duration::from_secs(response.expires_in.max(1));
        state.access = Some((response.access_token.clone(), Instant::now() + lifetime));
        if let Some(new_refresh) = response.refresh_token.filter(|t| !t.is_empty()) {
            state.refresh_token = Some(new_refresh);
        }
        if let Some(scope) = response.scope {
            state.scope = scope;
        }
        state.generation += 1;
        if let Source::TokenFile(store) = &self.source {
            let tokens = TokenSet {
                client_id: self.endpoint.client_id().to_owned(),
                access_token: response.access_token.clone(),
                refresh_token: state.refresh_token.clone(),
                expires_at: unix_now() + lifetime.as_secs(),
                scope: state.scope.clone(),
                authorized_at: state.authorized_at,
            };
            if let Err(e) = store.save(&tokens) {
                tracing::warn!(error = %e, "could not persist refreshed Spotify tokens");
            }
        }
        Ok(BearerToken {
            token: response.access_token,
            generation: state.generation,
        })
    }

    fn adopt_file(state: &mut State, tokens: &TokenSet, client_id: &str) {
        if tokens.client_id != client_id {
            tracing::warn!(
                file_client_id = %tokens.client_id,
                configured_client_id = %client_id,
                "the token file was issued to another client ID; refreshing it will fail"
            );
        }
        state.refresh_token = tokens.refresh_token.clone();
        state.scope = tokens.scope.clone();
        if tokens.authorized_at.is_some() {
            state.authorized_at = tokens.authorized_at;
        }
        let now = unix_now();
        if tokens.expires_at > now {
            state.access = Some((
                tokens.access_token.clone(),
                Instant::now() + Duration::from_secs(tokens.expires_at - now),
            ));
        }
    }
}

fn short_hash(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::test_support::{Fake, Reply};
    use std::sync::Arc;

    fn manager(fake: &Fake, credentials: &Credentials, margin: Duration) -> TokenManager {
        let endpoint = TokenEndpoint::new(
            reqwest::Client::new(),
            &fake.accounts_base(),
            "test-client",
            None,
            Duration::from_secs(10),
        );
        TokenManager::new(endpoint, credentials, margin).unwrap()
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let fake = Fake::start().await;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(200);
        let mgr = Arc::new(manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt")),
            Duration::from_secs(60),
        ));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let mgr = mgr.clone();
                tokio::spawn(async move { mgr.bearer().await.map(|b| b.token.expose().to_owned()) })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "access-1");
        }
        assert_eq!(fake.state.token_requests(), 1);
        assert_eq!(mgr.refresh_count(), 1);
    }

    /// A slow failing token endpoint. Twenty callers waiting for the renewal all
    /// get its outcome (one request to the endpoint, all done in about one renewal's time, not
    /// twenty); during the backoff a new caller gets the error at once; after it, the endpoint
    /// is asked again.
    #[tokio::test]
    async fn a_failed_renewal_is_shared_with_every_waiter_and_backed_off() {
        let fake = Fake::start().await;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(400);
        fake.state.push_token(
            (0..10).map(|_| Reply::json(400, serde_json::json!({"error": "invalid_request"}))),
        );
        let mgr = Arc::new(manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt")),
            Duration::from_secs(60),
        ));
        let started = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let mgr = mgr.clone();
                tokio::spawn(async move { mgr.bearer().await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_err());
        }
        assert!(
            started.elapsed() < Duration::from_millis(1200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(fake.state.token_requests(), 1);
        let at_once = Instant::now();
        assert!(mgr.bearer().await.is_err());
        assert!(at_once.elapsed() < Duration::from_millis(100));
        assert_eq!(
            fake.state.token_requests(),
            1,
            "asked again within the backoff"
        );
        tokio::time::sleep(FAILURE_BACKOFF_FIRST).await;
        *fake.state.token_delay.lock().unwrap() = Duration::ZERO;
        fake.state.token_script.lock().unwrap().clear();
        assert!(mgr.bearer().await.is_ok());
        assert_eq!(fake.state.token_requests(), 2);
    }

    /// Readiness never queues behind a renewal in progress.
    #[tokio::test]
    async fn readiness_does_not_wait_for_a_renewal_in_progress() {
        let fake = Fake::start().await;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(800);
        let mgr = Arc::new(manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt")),
            Duration::from_secs(60),
        ));
        let renewing = tokio::spawn({
            let mgr = mgr.clone();
            async move { mgr.bearer().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let asked = Instant::now();
        assert!(mgr.try_ready().await.is_none(), "a renewal is in progress");
        assert!(asked.elapsed() < Duration::from_millis(50));
        renewing.await.unwrap().unwrap();
        assert!(matches!(mgr.try_ready().await, Some(Ok(()))));
    }

    #[tokio::test]
    async fn refreshes_before_expiry_once_for_many_callers() {
        let fake = Fake::start().await;
        // Valid for 1 s beyond the 60 s margin.
        *fake.state.expires_in.lock().unwrap() = 61;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(100);
        let mgr = Arc::new(manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt")),
            Duration::from_secs(60),
        ));
        assert_eq!(mgr.bearer().await.unwrap().token.expose(), "access-1");
        assert_eq!(mgr.bearer().await.unwrap().token.expose(), "access-1");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let mgr = mgr.clone();
                tokio::spawn(async move { mgr.bearer().await.unwrap().token.expose().to_owned() })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "access-2");
        }
        assert_eq!(fake.state.token_requests(), 2);
    }

    #[tokio::test]
    async fn invalidate_refreshes_only_for_the_stale_generation() {
        let fake = Fake::start().await;
        let mgr = manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt")),
            Duration::from_secs(60),
        );
        let first = mgr.bearer().await.unwrap();
        let second = mgr.invalidate(first.generation).await.unwrap();
        assert_ne!(first.token, second.token);
        // A second caller that also saw the first token's 401 reuses the new one.
        let third = mgr.invalidate(first.generation).await.unwrap();
        assert_eq!(second.token, third.token);
        assert_eq!(fake.state.token_requests(), 2);
    }

    /// A [`super::super::share::TokenShare`] in memory, as Redis would be for two replicas
    /// (the managers are driven one after the other here, so the lock has nothing to exclude).
    #[derive(Debug, Default)]
    struct MemoryShare {
        stored: std::sync::Mutex<Option<super::super::share::SharedTokens>>,
    }

    #[async_trait::async_trait]
    impl super::super::share::TokenShare for std::sync::Arc<MemoryShare> {
        async fn lock(&self, _scope: &str) -> Option<String> {
            Some("held".into())
        }
        async fn unlock(&self, _scope: &str, _token: &str) {}
        async fn load(&self, _scope: &str) -> Option<super::super::share::SharedTokens> {
            self.stored.lock().unwrap().clone()
        }
        async fn store(&self, _scope: &str, tokens: &super::super::share::SharedTokens) {
            *self.stored.lock().unwrap() = Some(tokens.clone());
        }
    }

    /// The refresh tokens presented to the token endpoint so far, in order.
    fn refresh_tokens_used(fake: &Fake) -> Vec<String> {
        fake.state
            .token_forms
            .lock()
            .unwrap()
            .iter()
            .map(|f| f.get("refresh_token").cloned().unwrap_or_default())
            .collect()
    }

    /// Two replicas of one rotating credential: the second adopts the first's renewal (the
    /// token endpoint is asked once), and after a 401 the rejected token is never adopted:
    /// the renewal uses the rotated refresh token.
    #[tokio::test]
    async fn replicas_renew_a_rotating_credential_once() {
        let fake = Fake::start().await;
        let share = std::sync::Arc::new(MemoryShare::default());
        let credentials = Credentials::RefreshToken(Secret::new("rt-1"));
        let one = manager(&fake, &credentials, Duration::from_secs(60));
        let two = manager(&fake, &credentials, Duration::from_secs(60));
        one.share_with(std::sync::Arc::new(share.clone()));
        two.share_with(std::sync::Arc::new(share.clone()));
        *fake.state.rotate_refresh_to.lock().unwrap() = Some("rt-2".into());
        let first = one.bearer().await.unwrap();
        let adopted = two.bearer().await.unwrap();
        assert_eq!(first.token.expose(), adopted.token.expose());
        assert_eq!(
            fake.state.token_forms.lock().unwrap().len(),
            1,
            "one renewal"
        );
        // Spotify rejects the shared token on the second replica: it renews with rt-2 (rt-1 is
        // dead), not with the rejected token.
        *fake.state.rotate_refresh_to.lock().unwrap() = Some("rt-3".into());
        let renewed = two.invalidate(adopted.generation).await.unwrap();
        assert_ne!(renewed.token.expose(), adopted.token.expose());
        let used = refresh_tokens_used(&fake);
        assert_eq!(used, ["rt-1", "rt-2"]);
        // The first replica adopts that renewal after its own 401.
        let again = one.invalidate(first.generation).await.unwrap();
        assert_eq!(again.token.expose(), renewed.token.expose());
        assert_eq!(fake.state.token_forms.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn keeps_the_old_refresh_token_unless_a_new_one_comes_back() {
        let fake = Fake::start().await;
        let mgr = manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt-old")),
            Duration::from_secs(60),
        );
        let b = mgr.bearer().await.unwrap();
        let b = mgr.invalidate(b.generation).await.unwrap();
        *fake.state.rotate_refresh_to.lock().unwrap() = Some("rt-new".into());
        let b = mgr.invalidate(b.generation).await.unwrap();
        *fake.state.rotate_refresh_to.lock().unwrap() = None;
        mgr.invalidate(b.generation).await.unwrap();
        let used = refresh_tokens_used(&fake);
        assert_eq!(used, ["rt-old", "rt-old", "rt-old", "rt-new"]);
        let form = fake.state.token_forms.lock().unwrap()[0].clone();
        assert_eq!(
            form.get("client_id").map(String::as_str),
            Some("test-client"),
            "public client: id in the form"
        );
    }

    #[tokio::test]
    async fn invalid_grant_asks_to_log_in_again() {
        let fake = Fake::start().await;
        fake.state
            .dead_refresh_tokens
            .lock()
            .unwrap()
            .push("rt-dead".into());
        let mgr = manager(
            &fake,
            &Credentials::RefreshToken(Secret::new("rt-dead")),
            Duration::from_secs(60),
        );
        let err = mgr.bearer().await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::ReauthRequired { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("log in again with `spotify-mcp-server auth login`"),
            "{text}"
        );
        assert!(!text.contains("rt-dead"), "{text}");
    }

    #[tokio::test]
    async fn token_file_is_read_reused_and_rewritten_on_refresh() {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        let missing = manager(
            &fake,
            &Credentials::TokenFile(path.clone()),
            Duration::from_secs(60),
        );
        let err = missing.bearer().await.unwrap_err();
        assert!(err.to_string().contains("no saved login"), "{err}");
        assert_eq!(missing.authorization().await, Authorization::Unknown);
        let authorized =
            crate::spotify::auth::expiry::parse_authorized_at("2026-02-01T00:00:00Z").ok();

        let store = TokenStore::new(&path);
        store
            .save(&TokenSet {
                client_id: "test-client".into(),
                access_token: Secret::new("stored-access"),
                refresh_token: Some(Secret::new("stored-refresh")),
                expires_at: unix_now() + 3600,
                scope: "user-read-private".into(),
                authorized_at: authorized,
            })
            .unwrap();
        // The manager created before the login picks the file up without a restart.
        assert_eq!(
            missing.bearer().await.unwrap().token.expose(),
            "stored-access"
        );
        assert_eq!(fake.state.token_requests(), 0);

        *fake.state.rotate_refresh_to.lock().unwrap() = Some("rotated-refresh".into());
        let g = missing.bearer().await.unwrap().generation;
        assert_eq!(
            missing.invalidate(g).await.unwrap().token.expose(),
            "access-1"
        );
        let saved = store.load().unwrap().unwrap();
        assert_eq!(saved.access_token.expose(), "access-1");
        assert_eq!(saved.refresh_token.unwrap().expose(), "rotated-refresh");
        // A refresh, even one that rotates the refresh token, keeps the authorisation date.
        assert_eq!(saved.authorized_at, authorized);
        assert_eq!(
            missing.authorization().await,
            Authorization::of_user(authorized)
        );
    }

    #[tokio::test]
    async fn authorization_of_each_credential_kind() {
        let fake = Fake::start().await;
        let at = crate::spotify::auth::expiry::parse_authorized_at("2026-03-04T05:06:07Z").ok();
        let rt = Credentials::RefreshToken(Secret::new("rt"));
        let mgr = manager(&fake, &rt, Duration::from_secs(60));
        assert_eq!(mgr.authorization().await, Authorization::Unknown);
        let mgr = manager(&fake, &rt, Duration::from_secs(60)).with_authorized_at(at);
        *fake.state.rotate_refresh_to.lock().unwrap() = Some("rt-new".into());
        mgr.bearer().await.unwrap();
        assert_eq!(mgr.authorization().await, Authorization::of_user(at));

        let endpoint = TokenEndpoint::new(
            reqwest::Client::new(),
            &fake.accounts_base(),
            "test-client",
            Some(Secret::new("client-secret")),
            Duration::from_secs(10),
        );
        let app = TokenManager::new(endpoint, &Credentials::ClientCredentials, Duration::ZERO)
            .unwrap()
            .with_authorized_at(at);
        assert_eq!(app.authorization().await, Authorization::AppOnly);

        // A token file's own date wins over the configured one.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        let own = crate::spotify::auth::expiry::parse_authorized_at("2026-01-01T00:00:00Z").ok();
        TokenStore::new(&path)
            .save(&TokenSet {
                client_id: "test-client".into(),
                access_token: Secret::new("a"),
                refresh_token: Some(Secret::new("r")),
                expires_at: 0,
                scope: String::new(),
                authorized_at: own,
            })
            .unwrap();
        let file =
            manager(&fake, &Credentials::TokenFile(path), Duration::ZERO).with_authorized_at(at);
        assert_eq!(file.authorization().await, Authorization::of_user(own));
    }

    #[test]
    fn user_scope_is_stable_and_secret_free() {
        let a = short_hash("rt:client:secret-token");
        assert_eq!(a, short_hash("rt:client:secret-token"));
        assert_ne!(a, short_hash("rt:client:other"));
        assert_eq!(a.len(), 16);
        assert!(!a.contains("secret"));
    }
}
