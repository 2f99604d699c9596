//! [`SpotifyClient`]: the typed Web API client. The typed calls live in [`crate::spotify::api`],
//! one module per domain; this file holds construction and the generic send/decode helpers
//! that put the cache in front of the [`Pipeline`].

use crate::spotify::auth::{TokenEndpoint, TokenManager};
use crate::spotify::cache::{CacheClass, CacheKey, ResponseCache, tag_for};
use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use crate::spotify::pipeline::{ApiRequest, Pipeline, PipelineObserver};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// The Spotify Web API client. Cheap to clone (an `Arc` inside); share one per process.
#[derive(Clone, Debug)]
pub struct SpotifyClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    cache: Option<ResponseCache>,
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

/// Build the shared HTTP client: rustls, HTTP/2 where offered, pooled connections.
pub(crate) fn http_client(cfg: &SpotifyConfig) -> Result<reqwest::Client, SpotifyError> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(cfg.request_timeout)
        .connect_timeout(cfg.request_timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("spotify-mcp-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SpotifyError::Config {
            message: format!("cannot build the HTTP client: {e}"),
        })
}

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
        );
        let auth = Arc::new(TokenManager::new(
            endpoint,
            &config.credentials,
            config.refresh_margin,
        )?);
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
                config,
            }),
        })
    }

    /// For `/readyz`: obtain (or refresh) an access token. No catalog call is made.
    pub async fn check_credentials(&self) -> Result<(), SpotifyError> {
        self.inner.pipeline.auth().bearer().await.map(|_| ())
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &SpotifyConfig {
        &self.inner.config
    }

    /// The response cache, when enabled.
    pub fn cache(&self) -> Option<&ResponseCache> {
        self.inner.cache.as_ref()
    }

    /// Whether the credentials act for a user (otherwise only catalog calls work).
    pub fn has_user(&self) -> bool {
        self.inner.pipeline.auth().has_user()
    }

    /// Token endpoint requests made so far (refreshes and client-credentials grants).
    pub fn token_requests(&self) -> u64 {
        self.inner.pipeline.auth().refresh_count()
    }

    /// Send a request and return the raw body, through the cache for cacheable GETs, and
    /// invalidating what a successful write made stale.
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<Option<Bytes>, SpotifyError> {
        let scope = self.inner.pipeline.auth().user_scope();
        let cache = self.inner.cache.as_ref().filter(|c| {
            request.method == reqwest::Method::GET
                && request.cache != CacheClass::None
                && !c.ttl(request.cache).is_zero()
        });
        let key = cache.map(|_| CacheKey {
            scope: scope.to_owned(),
            tag: tag_for(request.cache, request.template, &request.path),
            request: request.path_and_query(),
        });
        if let (Some(cache), Some(key)) = (cache, &key)
            && let Some(body) = cache.get(key).await
        {
            return Ok(Some(body));
        }
        let response = self.inner.pipeline.execute(&request).await?;
        if let Some(cache) = &self.inner.cache {
            for what in &request.invalidates {
                cache.invalidate(scope, what).await;
            }
        }
        if response.status == reqwest::StatusCode::NO_CONTENT || response.body.is_empty() {
            return Ok(None);
        }
        if let (Some(cache), Some(key)) = (cache, key) {
            cache
                .insert(key, response.body.clone(), request.cache)
                .await;
        }
        Ok(Some(response.body))
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
