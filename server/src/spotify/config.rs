//! [`SpotifyConfig`]: everything the client needs, built by the server's configuration layer.

use crate::spotify::secret::Secret;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

/// Spotify's Web API base URL.
pub const SPOTIFY_API_BASE_URL: &str = "https://api.spotify.com/v1";
/// Spotify's accounts service base URL (token endpoint, authorize page).
pub const SPOTIFY_ACCOUNTS_BASE_URL: &str = "https://accounts.spotify.com";

/// Where the client's user credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Client Credentials flow: catalog only, no user endpoints. Needs a client secret.
    ClientCredentials,
    /// A refresh token (e.g. `SPOTIFY_REFRESH_TOKEN` of a hosted server). Refreshed tokens live
    /// in memory only.
    RefreshToken(Secret),
    /// The token file written by `spotify-mcp-server auth login`; rotated refresh tokens are
    /// written back to it.
    TokenFile(PathBuf),
}

/// Client-side request rate: one limiter per client ID, shared by every client of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Requests allowed in a burst.
    pub burst: NonZeroU32,
}

/// Response cache settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// `false` disables caching altogether (benchmarks compare both).
    pub enabled: bool,
    /// Upper bound of cached response bytes.
    pub max_bytes: u64,
    /// TTL of catalog objects (tracks, albums, artists, shows ...).
    pub catalog_ttl: Duration,
    /// TTL of playlists and their items.
    pub playlist_ttl: Duration,
    /// TTL of the user's library, profile and top items.
    pub library_ttl: Duration,
    /// TTL of search results.
    pub search_ttl: Duration,
    /// TTL of playback state, devices and queue; zero (the default) = never cached.
    pub player_ttl: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_bytes: 32 * 1024 * 1024,
            catalog_ttl: Duration::from_secs(3600),
            playlist_ttl: Duration::from_secs(120),
            library_ttl: Duration::from_secs(120),
            search_ttl: Duration::from_secs(300),
            player_ttl: Duration::ZERO,
        }
    }
}

/// Configuration of a [`crate::spotify::SpotifyClient`].
#[derive(Debug, Clone)]
pub struct SpotifyConfig {
    /// `https://api.spotify.com/v1` or the sandbox's `http://127.0.0.1:PORT/v1`.
    pub api_base_url: String,
    /// `https://accounts.spotify.com` or the sandbox's `http://127.0.0.1:PORT`.
    pub accounts_base_url: String,
    pub client_id: String,
    /// Needed for Client Credentials and for refresh tokens of confidential apps; PKCE
    /// logins work without it.
    pub client_secret: Option<Secret>,
    pub credentials: Credentials,
    /// When the user authorised the refresh token (`SPOTIFY_AUTHORIZED_AT`), for credentials that
    /// carry no date of their own; a token file's own date wins. `None` = unknown.
    pub authorized_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Timeout of every HTTP request (connect + answer).
    pub request_timeout: Duration,
    /// Longest `Retry-After` the client waits out before giving up with `RateLimited`.
    pub max_retry_wait: Duration,
    /// Retries after 429 and (for idempotent requests) 502/503/504 and transport errors.
    pub max_retries: u32,
    /// First delay of the jittered exponential backoff for 5xx retries.
    pub retry_base_delay: Duration,
    /// Refresh the access token this long before it expires.
    pub refresh_margin: Duration,
    /// `None` = no client-side limit (Spotify's 429s still apply).
    pub rate_limit: Option<RateLimit>,
    pub cache: CacheConfig,
}

impl SpotifyConfig {
    /// Defaults for the real Spotify API with the given client ID and credentials.
    pub fn new(client_id: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            api_base_url: SPOTIFY_API_BASE_URL.to_owned(),
            accounts_base_url: SPOTIFY_ACCOUNTS_BASE_URL.to_owned(),
            client_id: client_id.into(),
            client_secret: None,
            credentials,
            authorized_at: None,
            request_timeout: Duration::from_secs(10),
            max_retry_wait: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(200),
            refresh_margin: Duration::from_secs(60),
            rate_limit: Some(RateLimit {
                per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
                burst: NonZeroU32::new(40).unwrap_or(NonZeroU32::MIN),
            }),
            cache: CacheConfig::default(),
        }
    }

    /// Point the client at other base URLs (the sandbox).
    pub fn with_base_urls(
        mut self,
        api_base_url: impl Into<String>,
        accounts_base_url: impl Into<String>,
    ) -> Self {
        self.api_base_url = api_base_url.into();
        self.accounts_base_url = accounts_base_url.into();
        self
    }

    /// Set the client secret.
    pub fn with_client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The default token file: `<platform config dir>/spotify-mcp/token.json`.
    pub fn default_token_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("spotify-mcp").join("token.json"))
    }
}
