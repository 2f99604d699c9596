//! [`SpotifyClient`]: the typed Web API client. The typed calls live in [`crate::spotify::api`],
//! one module per domain; this file holds construction and the generic send/decode helpers
//! that put the cache in front of the [`Pipeline`].

use crate::spotify::auth::{TokenEndpoint, TokenManager};
use crate::spotify::cache::{CacheClass, CacheKey, ResponseCache, tag_for};
use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use crate::spotify::inflight::{FlightId, InFlight};
use crate::spotify::pipeline::{ApiRequest, ApiResponse, Pipeline, PipelineObserver};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The Spotify Web API client. Cheap to clone (an `Arc` inside); share one per process.
#[derive(Clone, Debug)]
pub struct SpotifyClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    cache: Option<ResponseCache>,
    /// Cache misses in the air, so identical ones share one request.
    inflight: InFlight,
    config: SpotifyConfig,
}

/// Optional parts of a [`SpotifyClient`].
#[derive(Default)]
pub struct ClientOptions {
    /// Told about every HTTP exchange and 429 (metrics).
    pub observer: Option<Arc<dyn PipelineObserver>>,
    /// `Some(cache)` replaces the cache built from the configuration (`Some(None)` disables it).
    pub cache: Option<Option<ResponseCache>>,
}

pub(crate) use crate::spotify::transport::http_client;

fn validate_base_url(name: &str, value: &str) -> Result<(), SpotifyError> {
    let url = url::Url::parse(value).map_err(|e| SpotifyError::Config {
        message: format!("{name} `{value}` is not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(SpotifyError::Config {
            message: format!("{name} `{value}` must be an http(s) URL with a host"),
        });
    }
    Ok(())
}

impl SpotifyClient {
    /// Build a client. Fails on invalid configuration (bad base URL, empty client ID,
    /// client-credentials mode without a secret, unreadable token file); it does not call
    /// Spotify (use [`SpotifyClient::check_credentials`] for that).
    pub fn new(config: SpotifyConfig) -> Result<Self, SpotifyError> {
        Self::with_options(config, ClientOptions::default())
    }

    /// Like [`SpotifyClient::new`], with a metrics observer and/or another cache.
    pub fn with_options(
        config: SpotifyConfig,
        options: ClientOptions,
    ) -> Result<Self, SpotifyError> {
        if config.client_id.trim().is_empty() {
            return Err(SpotifyError::Config {
                message: "no Spotify client ID: set SPOTIFY_CLIENT_ID (create an app at https://developer.spotify.com/dashboard)".into(),
            });
        }
        validate_base_url("SPOTIFY_API_BASE_URL", &config.api_base_url)?;
        validate_base_url("SPOTIFY_ACCOUNTS_BASE_URL", &config.accounts_base_url)?;
        let http = http_client(&config)?;
        let endpoint = TokenEndpoint::new(
            http.clone(),
            &config.accounts_base_url,
            &config.client_id,
            config.client_secret.clone(),
            config.request_timeout,
        )
        .with_retries(config.max_retries, config.retry_base_delay);
        let auth = Arc::new(
            TokenManager::new(endpoint, &config.credentials, config.refresh_margin)?
                .with_authorized_at(config.authorized_at),
        );
        if let Some(observer) = &options.observer {
            auth.set_observer(observer.clone());
        }
        let mut pipeline = Pipeline::new(http, &config, auth);
        if let Some(observer) = options.observer {
            pipeline.set_observer(observer);
        }
        let cache = match options.cache {
            Some(cache) => cache,
            None => ResponseCache::from_config(&config.cache),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                pipeline,
                cache,
                inflight: InFlight::default(),
                config,
            }),
        })
    }

    /// A client acting for one signed-in user (hosted mode), sharing this one's connections,
    /// cache, rate budget and metrics; see [`TokenManager::for_user`].
    pub fn for_user(
        &self,
        refresh_token: crate::spotify::Secret,
        user_scope: String,
        user_share: Option<crate::spotify::config::RateLimit>,
        share: Arc<dyn crate::spotify::auth::share::TokenShare>,
    ) -> Self {
        let current = self.inner.pipeline.auth();
        let auth = Arc::new(TokenManager::for_user(
            current.endpoint().clone(),
            refresh_token,
            self.inner.config.refresh_margin,
            user_scope.clone(),
            share,
        ));
        if let Some(observer) = current.observer() {
            auth.set_observer(observer);
        }
        let mut pipeline = self.inner.pipeline.with_auth(auth);
        if let Some(limit) = user_share {
            pipeline = pipeline.with_user_share(limit, user_scope);
        }
        Self {
            inner: Arc::new(Inner {
                pipeline,
                cache: self.inner.cache.clone(),
                inflight: InFlight::default(),
                config: self.inner.config.clone(),
            }),
        }
    }

    /// The token endpoint of the configured Spotify app.
    pub fn token_endpoint(&self) -> TokenEndpoint {
        self.inner.pipeline.auth().endpoint().clone()
    }

    /// The HTTP client requests to Spotify go through.
    pub fn http(&self) -> reqwest::Client {
        self.inner.pipeline.http().clone()
    }

    /// For `/readyz`: obtain (or refresh) an access token. No catalog call is made.
    pub async fn check_credentials(&self) -> Result<(), SpotifyError> {
        self.inner.pipeline.auth().bearer().await.map(|_| ())
    }

    /// Renews this client's refresh-token credential together with other replicas (Redis).
    pub fn share_tokens_with(
        &self,
        share: std::sync::Arc<dyn crate::spotify::auth::share::TokenShare>,
    ) {
        self.inner.pipeline.auth().share_with(share);
    }

    /// Like [`SpotifyClient::check_credentials`], but `None` instead of waiting when another
    /// caller is renewing the token (readiness probes must not queue behind renewals).
    pub async fn try_check_credentials(&self) -> Option<Result<(), SpotifyError>> {
        self.inner.pipeline.auth().try_ready().await
    }

    /// How long Spotify's last 429 still holds this client ID's requests back, if it does.
    pub fn rate_limit_hold(&self) -> Option<std::time::Duration> {
        self.inner.pipeline.rate_limit_hold()
    }

    /// The token manager, for tests that drive renewals directly.
    #[cfg(test)]
    pub(crate) fn inner_auth_for_tests(
        &self,
    ) -> std::sync::Arc<crate::spotify::auth::TokenManager> {
        self.inner.pipeline.auth().clone()
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &SpotifyConfig {
        &self.inner.config
    }

    /// The response cache, when enabled.
    pub fn cache(&self) -> Option<&ResponseCache> {
        self.inner.cache.as_ref()
    }

    /// When the user authorised the credentials in use (see [`crate::spotify::auth::expiry`]).
    pub async fn authorization(&self) -> crate::spotify::auth::Authorization {
        self.inner.pipeline.auth().authorization().await
    }

    /// The budget of one call, however many requests it makes (`--call-timeout-secs`).
    pub fn call_timeout(&self) -> std::time::Duration {
        self.inner.pipeline.call_timeout()
    }

    /// Whether the credentials act for a user (otherwise only catalog calls work).
    pub fn has_user(&self) -> bool {
        self.inner.pipeline.auth().has_user()
    }

    /// Send a request and return the raw body, through the cache for cacheable GETs, and
    /// invalidating what a successful write made stale. Identical concurrent misses share one
    /// request (see [`crate::spotify::inflight`]).
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<Option<Bytes>, SpotifyError> {
        let cache = self.inner.cache.as_ref().filter(|c| {
            request.method == reqwest::Method::GET
                && request.cache != CacheClass::None
                && !c.ttl(request.cache).is_zero()
        });
        let response = match cache {
            Some(cache) => {
                let key = CacheKey {
                    scope: self.inner.pipeline.auth().user_scope().to_owned(),
                    tag: tag_for(request.cache, request.template, &request.path),
                    request: request.path_and_query(),
                };
                if let Some((body, generation)) = cache.get_entry(&key).await {
                    crate::spotify::reads::cached(&key, generation);
                    return Ok(Some(body));
                }
                crate::spotify::reads::not_cached();
                let epoch = cache.epoch(&key.tag);
                let flight: FlightId = (key, epoch);
                let (client, store) = (self.clone(), flight.clone());
                // The flight runs in a task of its own: what its request goes through (429
                // waits, retries) is told to the call that started it.
                let events = crate::spotify::pipeline::events::current();
                // Boxed: the flight's future is large and is moved into a task.
                let fetch = Box::pin(crate::spotify::pipeline::events::reporting_to(
                    events,
                    async move { client.fetch(&request, Some(store)).await },
                ));
                self.inner.inflight.run(flight, fetch).await?
            }
            None => {
                crate::spotify::reads::not_cached();
                self.fetch(&request, None).await?
            }
        };
        Ok(response.has_body().then_some(response.body))
    }

    /// One request to Spotify: what a write made stale is dropped, and a GET answer is
    /// stored under `store` unless its tag was invalidated since the epoch recorded there.
    async fn fetch(
        &self,
        request: &ApiRequest,
        store: Option<FlightId>,
    ) -> Result<ApiResponse, SpotifyError> {
        let response = self.inner.pipeline.execute(request).await?;
        if let Some(cache) = &self.inner.cache {
            let scope = self.inner.pipeline.auth().user_scope();
            for what in &request.invalidates {
                cache.invalidate(scope, what).await;
            }
            if let Some((key, epoch)) = store
                && response.has_body()
            {
                cache
                    .insert_if_current(key, response.body.clone(), request.cache, epoch)
                    .await;
            }
        }
        Ok(response)
    }

    /// Send and decode a JSON answer; an empty answer is an error.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, SpotifyError> {
        let endpoint = request.endpoint();
        match self.send(request).await? {
            Some(body) => decode(&endpoint, &body),
            None => Err(SpotifyError::Decode {
                endpoint,
                message: "empty answer where JSON was expected".into(),
            }),
        }
    }

    /// Send and decode a JSON answer; 204 / empty = `None`.
    pub(crate) async fn json_opt<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<Option<T>, SpotifyError> {
        let endpoint = request.endpoint();
        match self.send(request).await? {
            Some(body) => decode(&endpoint, &body).map(Some),
            None => Ok(None),
        }
    }

    /// Send a request whose answer carries nothing we need.
    pub(crate) async fn unit(&self, request: ApiRequest) -> Result<(), SpotifyError> {
        self.send(request).await.map(|_| ())
    }
}

fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, SpotifyError> {
    serde_json::from_slice(body).map_err(|e| SpotifyError::Decode {
        endpoint: endpoint.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::api::Page;
    use crate::spotify::config::Credentials;
    use crate::spotify::ids::SpotifyId;
    use crate::spotify::models::{SearchRequest, SearchType};
    use crate::spotify::secret::Secret;
    use crate::spotify::test_support::{Fake, Reply};
    use reqwest::Method;
    use serde_json::json;
    use std::time::Duration;

    const PLAYLIST: &str = "spotify:playlist:3cEYpjA9oz9GiPac4AsH4n";
    const TRACK: &str = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";

    fn client(fake: &Fake, refresh_token: &str, cache: bool) -> SpotifyClient {
        let mut cfg = SpotifyConfig::new(
            "test-client",
            Credentials::RefreshToken(Secret::new(refresh_token)),
        )
        .with_base_urls(fake.api_base(), fake.accounts_base());
        cfg.rate_limit = crate::spotify::config::RateLimitPolicy::Adaptive;
        cfg.cache.enabled = cache;
        SpotifyClient::new(cfg).unwrap()
    }

    fn id(s: &str) -> SpotifyId {
        SpotifyId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn catalog_answers_are_cached_per_user() {
        let fake = Fake::start().await;
        let alice = client(&fake, "rt-alice", true);
        let bob = client(&fake, "rt-bob", true);
        alice.get_track(&id(TRACK), None).await.unwrap();
        alice.get_track(&id(TRACK), None).await.unwrap();
        assert_eq!(fake.state.seen().len(), 1, "second call is a hit");
        alice.get_track(&id(TRACK), Some("DE")).await.unwrap();
        assert_eq!(fake.state.seen().len(), 2, "another query is another entry");
        bob.get_track(&id(TRACK), None).await.unwrap();
        assert_eq!(fake.state.seen().len(), 3, "users do not share entries");
        let stats = alice.cache().unwrap().stats();
        assert_eq!(stats.hits.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn identical_concurrent_misses_share_one_request_but_not_across_a_write() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", true);
        let slow = || Reply::json(200, json!({})).delayed(Duration::from_millis(150));
        fake.state.push(slow());
        let playlist = id(PLAYLIST);
        let lookups = (0..8).map(|_| c.get_playlist_items(&playlist, None, Page::default()));
        for answer in futures::future::join_all(lookups).await {
            answer.unwrap();
        }
        assert_eq!(fake.state.seen().len(), 1, "eight misses, one request");

        // A lookup still in flight when a write lands is not joined by a lookup after it.
        let other = id("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M");
        fake.state.push(slow());
        let before = c.get_playlist_items(&other, None, Page::default());
        let write_then_read = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            fake.state
                .push(Reply::json(201, json!({"snapshot_id": "s2"})));
            c.add_playlist_items(&other, &[id(TRACK)], None)
                .await
                .unwrap();
            c.get_playlist_items(&other, None, Page::default()).await
        };
        let (before, after) = tokio::join!(before, write_then_read);
        before.unwrap();
        after.unwrap();
        let methods: Vec<_> = fake.state.seen().iter().map(|s| s.method.clone()).collect();
        assert_eq!(
            methods,
            [Method::GET, Method::GET, Method::POST, Method::GET]
        );
    }

    #[tokio::test]
    async fn adding_to_a_playlist_invalidates_its_items_but_not_other_playlists() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", true);
        let other = id("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M");
        c.get_playlist_items(&id(PLAYLIST), None, Page::default())
            .await
            .unwrap();
        c.get_playlist_items(&other, None, Page::default())
            .await
            .unwrap();
        c.get_playlist_items(&id(PLAYLIST), None, Page::default())
            .await
            .unwrap();
        assert_eq!(fake.state.seen().len(), 2);
        fake.state
            .push(Reply::json(201, json!({"snapshot_id": "s2"})));
        let snap = c
            .add_playlist_items(&id(PLAYLIST), &[id(TRACK)], Some(0))
            .await
            .unwrap();
        assert_eq!(snap.snapshot_id, "s2");
        c.get_playlist_items(&id(PLAYLIST), None, Page::default())
            .await
            .unwrap();
        c.get_playlist_items(&other, None, Page::default())
            .await
            .unwrap();
        let seen = fake.state.seen();
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(seen[2].method, Method::POST);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&seen[2].body).unwrap(),
            json!({"uris": [TRACK], "position": 0})
        );
        assert!(
            seen[3]
                .path_and_query
                .starts_with("/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items")
        );
    }

    #[tokio::test]
    async fn saving_to_the_library_invalidates_contains_answers() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", true);
        fake.state.push(Reply::json(200, json!([false])));
        assert_eq!(c.check_library(&[id(TRACK)]).await.unwrap(), [false]);
        assert_eq!(c.check_library(&[id(TRACK)]).await.unwrap(), [false]);
        fake.state.push(Reply::empty(200));
        c.save_to_library(&[id(TRACK), id("spotify:album:4aawyAB9vmqN3uQ7FjRGTy")])
            .await
            .unwrap();
        fake.state.push(Reply::json(200, json!([true])));
        assert_eq!(c.check_library(&[id(TRACK)]).await.unwrap(), [true]);
        let seen = fake.state.seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1].method, Method::PUT);
        assert_eq!(
            seen[1].path_and_query,
            "/v1/me/library?uris=spotify%3Atrack%3A4uLU6hMCjMI75M1A2tKUQC%2Cspotify%3Aalbum%3A4aawyAB9vmqN3uQ7FjRGTy"
        );
    }

    #[tokio::test]
    async fn player_state_is_not_cached_and_204_means_nothing_playing() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", true);
        fake.state.push(Reply::empty(204));
        assert_eq!(c.get_playback_state(None).await.unwrap(), None);
        fake.state.push(Reply::json(
            200,
            json!({"is_playing": true, "item": {"type": "track", "name": "Now"}}),
        ));
        let state = c.get_playback_state(None).await.unwrap().unwrap();
        assert!(state.is_playing);
        assert_eq!(
            state
                .item
                .and_then(|i| i.name().map(str::to_owned))
                .as_deref(),
            Some("Now")
        );
        assert_eq!(fake.state.seen().len(), 2);
    }

    #[tokio::test]
    async fn disabled_cache_always_asks_spotify() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", false);
        assert!(c.cache().is_none());
        c.get_track(&id(TRACK), None).await.unwrap();
        c.get_track(&id(TRACK), None).await.unwrap();
        assert_eq!(fake.state.seen().len(), 2);
    }

    #[tokio::test]
    async fn search_sends_spotify_parameters_and_bad_arguments_never_leave() {
        let fake = Fake::start().await;
        let c = client(&fake, "rt", false);
        fake.state.push(Reply::json(
            200,
            json!({"tracks": {"href": "h", "limit": 10, "next": null, "offset": 0, "previous": null, "total": 1,
                   "items": [{"type": "track", "name": "So What", "uri": TRACK, "album": {"name": "Kind of Blue"}}]},
                   "playlists": {"items": [null]}}),
        ));
        let results = c
            .search(&SearchRequest {
                query: "miles davis".into(),
                types: vec![SearchType::Track, SearchType::Playlist, SearchType::Track],
                limit: Some(10),
                offset: Some(20),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(results.tracks.unwrap().items[0].album.name, "Kind of Blue");
        assert!(results.playlists.unwrap().items.is_empty());
        assert_eq!(
            fake.state.seen()[0].path_and_query,
            "/v1/search?q=miles+davis&type=playlist%2Ctrack&limit=10&offset=20"
        );
        let too_many = SearchRequest {
            query: "x".into(),
            types: vec![SearchType::Album],
            limit: Some(50),
            ..Default::default()
        };
        assert!(matches!(
            c.search(&too_many).await,
            Err(SpotifyError::InvalidArgument { .. })
        ));
        assert!(
            c.get_track(&id("spotify:album:4aawyAB9vmqN3uQ7FjRGTy"), None)
                .await
                .is_err()
        );
        assert!(c.add_to_queue(&id(PLAYLIST), None).await.is_err());
        assert!(c.set_volume(101, None).await.is_err());
        assert_eq!(
            fake.state.seen().len(),
            1,
            "invalid calls are refused locally"
        );
    }

    #[test]
    fn debug_output_of_a_client_holds_no_secret() {
        let mut cfg = SpotifyConfig::new(
            "id",
            Credentials::RefreshToken(Secret::new("RT-top-secret")),
        );
        cfg.client_secret = Some(Secret::new("CS-top-secret"));
        let client = SpotifyClient::new(cfg).unwrap();
        let text = format!("{client:?} {:?}", client.config());
        assert!(!text.contains("top-secret"), "{text}");
    }

    #[test]
    fn bad_configuration_is_rejected_with_a_hint() {
        let cfg = SpotifyConfig::new(" ", Credentials::RefreshToken(Secret::new("rt")));
        assert!(
            SpotifyClient::new(cfg)
                .unwrap_err()
                .to_string()
                .contains("SPOTIFY_CLIENT_ID")
        );
        let cfg = SpotifyConfig::new("id", Credentials::RefreshToken(Secret::new("rt")))
            .with_base_urls("ftp://x", "https://accounts.spotify.com");
        assert!(
            SpotifyClient::new(cfg)
                .unwrap_err()
                .to_string()
                .contains("SPOTIFY_API_BASE_URL")
        );
        let cfg = SpotifyConfig::new("id", Credentials::ClientCredentials);
        assert!(
            SpotifyClient::new(cfg)
                .unwrap_err()
                .to_string()
                .contains("SPOTIFY_CLIENT_SECRET")
        );
    }
}
