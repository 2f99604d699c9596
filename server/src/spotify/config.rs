//! [`SpotifyConfig`]: everything the client needs, built by the server's configuration layer.

use crate::spotify::secret::Secret;
use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
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

/// How requests to Spotify are paced (`--spotify-rate-limit`).
///
/// Spotify limits each app over a rolling 30-second window, publishes no number and answers
/// 429 with `Retry-After`. So by default nothing waits on our side until Spotify has said 429;
/// then a gate closes for every caller of the client ID until that `Retry-After` has passed
/// ([`crate::spotify::pipeline::hold`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitPolicy {
    /// No proactive waiting; a 429 closes the shared gate until its `Retry-After`.
    #[default]
    Adaptive,
    /// No client-side pacing at all: no limiter and no shared gate. A call that gets a 429
    /// still waits out its own `Retry-After` before retrying.
    Off,
    /// At most `per_second` requests per second (bursts of `burst`) per client ID, plus the
    /// adaptive gate.
    Fixed(RateLimit),
}

/// Largest fixed rate accepted (requests per second or burst).
pub const MAX_FIXED_RATE: u32 = 100_000;

/// A `--spotify-rate-limit` value that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid Spotify rate limit {given:?}: {reason}; accepted forms: `adaptive` (the default), `off`, \
     or `N/s` with an optional `,burst=M` (e.g. `20/s` or `20/s,burst=40`; N and M from 1 to {MAX_FIXED_RATE})"
)]
pub struct RateLimitParseError {
    given: String,
    reason: &'static str,
}

impl RateLimitPolicy {
    /// The fixed rate, if any.
    pub fn fixed(self) -> Option<RateLimit> {
        match self {
            RateLimitPolicy::Fixed(limit) => Some(limit),
            RateLimitPolicy::Adaptive | RateLimitPolicy::Off => None,
        }
    }

    /// Whether a 429 holds every caller of the client ID (all policies but `off`).
    pub fn shares_429s(self) -> bool {
        !matches!(self, RateLimitPolicy::Off)
    }
}

impl FromStr for RateLimitPolicy {
    type Err = RateLimitParseError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let fail = |reason| RateLimitParseError {
            given: given.to_owned(),
            reason,
        };
        let value = given.trim();
        if value.eq_ignore_ascii_case("adaptive") {
            return Ok(RateLimitPolicy::Adaptive);
        }
        if value.eq_ignore_ascii_case("off") {
            return Ok(RateLimitPolicy::Off);
        }
        let number = |text: &str, what| -> Result<NonZeroU32, RateLimitParseError> {
            let n: u32 = text.trim().parse().map_err(|_| fail(what))?;
            if n > MAX_FIXED_RATE {
                return Err(fail("the number is too large"));
            }
            NonZeroU32::new(n).ok_or_else(|| fail("the number must be at least 1"))
        };
        let (rate, burst) = match value.split_once(',') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (value, None),
        };
        let per_second = rate
            .trim()
            .strip_suffix("/s")
            .ok_or_else(|| fail("not `adaptive`, `off` or a rate ending in `/s`"))?;
        let per_second = number(per_second, "the rate is not a whole number")?;
        let burst = match burst {
            None => per_second,
            Some(burst) => {
                let m = burst
                    .trim()
                    .strip_prefix("burst=")
                    .ok_or_else(|| fail("after the comma only `burst=M` is accepted"))?;
                number(m, "the burst is not a whole number")?
            }
        };
        Ok(RateLimitPolicy::Fixed(RateLimit { per_second, burst }))
    }
}

impl fmt::Display for RateLimitPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimitPolicy::Adaptive => f.write_str("adaptive"),
            RateLimitPolicy::Off => f.write_str("off"),
            RateLimitPolicy::Fixed(RateLimit { per_second, burst }) => {
                write!(f, "{per_second}/s,burst={burst}")
            }
        }
    }
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

impl CacheConfig {
    /// The part of `max_bytes` that holds Spotify's answers.
    pub fn body_bytes(&self) -> u64 {
        self.max_bytes - self.rendered_bytes()
    }

    /// The part of `max_bytes` (an eighth) that holds rendered results of read-only tools
    /// built from cached answers (a rendered search is about a sixth of its Spotify body).
    pub fn rendered_bytes(&self) -> u64 {
        self.max_bytes / 8
    }

    /// The longest TTL of any class.
    pub fn longest_ttl(&self) -> Duration {
        [
            self.catalog_ttl,
            self.playlist_ttl,
            self.library_ttl,
            self.search_ttl,
            self.player_ttl,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
    }
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
    /// The one deadline of a call: rate-limit and token waits, every request and retry.
    pub call_timeout: Duration,
    /// Longest `Retry-After` the client waits out before giving up with `RateLimited`.
    pub max_retry_wait: Duration,
    /// Retries after 429 and (for idempotent requests) 502/503/504 and transport errors.
    pub max_retries: u32,
    /// First delay of the jittered exponential backoff for 5xx retries.
    pub retry_base_delay: Duration,
    /// Refresh the access token this long before it expires.
    pub refresh_margin: Duration,
    /// How requests are paced; see [`RateLimitPolicy`].
    pub rate_limit: RateLimitPolicy,
    pub cache: CacheConfig,
    /// CAs trusted besides the system's trust store and Mozilla's roots (`--ca-file`).
    pub extra_root_certificates: Vec<reqwest::Certificate>,
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
            call_timeout: Duration::from_secs(30),
            max_retry_wait: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(200),
            refresh_margin: Duration::from_secs(60),
            rate_limit: RateLimitPolicy::Adaptive,
            cache: CacheConfig::default(),
            extra_root_certificates: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(per_second: u32, burst: u32) -> RateLimitPolicy {
        RateLimitPolicy::Fixed(RateLimit {
            per_second: NonZeroU32::new(per_second).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        })
    }

    #[test]
    fn accepted_forms_parse_and_print_back() {
        for (text, want) in [
            ("adaptive", RateLimitPolicy::Adaptive),
            (" Adaptive ", RateLimitPolicy::Adaptive),
            ("off", RateLimitPolicy::Off),
            ("OFF", RateLimitPolicy::Off),
            ("20/s", fixed(20, 20)),
            ("20/s,burst=40", fixed(20, 40)),
            (" 5/s , burst=1 ", fixed(5, 1)),
        ] {
            let got: RateLimitPolicy = text.parse().unwrap();
            assert_eq!(got, want, "{text}");
            assert_eq!(got.to_string().parse::<RateLimitPolicy>().unwrap(), want);
        }
        assert_eq!(RateLimitPolicy::default(), RateLimitPolicy::Adaptive);
        assert!(RateLimitPolicy::Adaptive.shares_429s() && !RateLimitPolicy::Off.shares_429s());
    }

    #[test]
    fn anything_else_is_refused_with_the_accepted_forms() {
        for (text, reason) in [
            ("", "ending in `/s`"),
            ("fast", "ending in `/s`"),
            ("20", "ending in `/s`"),
            ("20/m", "ending in `/s`"),
            ("0/s", "at least 1"),
            ("-1/s", "not a whole number"),
            ("1.5/s", "not a whole number"),
            ("20/s,burst=0", "at least 1"),
            ("20/s,40", "only `burst=M`"),
            ("20/s,burst=x", "burst is not a whole number"),
            ("100001/s", "too large"),
        ] {
            let e = text.parse::<RateLimitPolicy>().unwrap_err().to_string();
            assert!(e.contains(reason), "{text:?}: {e}");
            assert!(
                e.contains("`adaptive` (the default), `off`, or `N/s`"),
                "{text:?}: {e}"
            );
        }
    }
}
