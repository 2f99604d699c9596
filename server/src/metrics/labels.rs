//! Closed sets of label values, so no caller can put free text into a label.

use std::fmt;

/// What the cache was asked to do (`operation` label of `spotify_mcp_cache_operations_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheOperation {
    /// A lookup before calling Spotify.
    Get,
    /// Storing a fresh response.
    Set,
    /// Dropping entries after a write changed them.
    Invalidate,
}

impl CacheOperation {
    pub const ALL: [CacheOperation; 3] = [Self::Get, Self::Set, Self::Invalidate];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Set => "set",
            Self::Invalidate => "invalidate",
        }
    }
}

/// How a cache operation ended (`result` label). `Hit`/`Miss` are for gets; `Ok` for sets and
/// invalidations; `Error` when the backend (e.g. Redis) failed and the origin was used instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheResult {
    Hit,
    Miss,
    Ok,
    Error,
}

impl CacheResult {
    pub const ALL: [CacheResult; 4] = [Self::Hit, Self::Miss, Self::Ok, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// Outcome of an access-token refresh (`result` label of `spotify_mcp_token_refreshes_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenRefreshResult {
    Success,
    Error,
}

impl TokenRefreshResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
        }
    }
}

/// Why the bearer check refused a request to `/mcp` (`reason` label of
/// `spotify_mcp_http_auth_failures_total`). Never the token: only which rule it broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthFailure {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header of another scheme than `Bearer`.
    WrongScheme,
    /// A bearer token that is empty or not among the accepted ones.
    Invalid,
}

impl AuthFailure {
    pub const ALL: [AuthFailure; 3] = [Self::Missing, Self::WrongScheme, Self::Invalid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::WrongScheme => "wrong_scheme",
            Self::Invalid => "invalid",
        }
    }
}

/// The `status` label of a Spotify API request: the HTTP status code, or why there was none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiStatus {
    /// An HTTP response arrived with this status code.
    Http(u16),
    /// The request timed out before a response arrived.
    Timeout,
    /// Connecting or transferring failed (DNS, TLS, reset ...).
    Transport,
}

impl ApiStatus {
    /// The label value. Codes outside 100..=599 are not HTTP and are reported as `invalid`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Http(code) => status_code_label(code),
            Self::Timeout => "timeout",
            Self::Transport => "transport_error",
        }
    }
}

impl fmt::Display for ApiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Static strings for every status code, so labels never allocate and stay bounded.
fn status_code_label(code: u16) -> &'static str {
    static LABELS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if !(100..=599).contains(&code) {
        return "invalid";
    }
    let labels = LABELS.get_or_init(|| (100..=599u16).map(|c| c.to_string()).collect());
    labels
        .get(usize::from(code - 100))
        .map_or("invalid", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_codes_or_a_closed_set() {
        assert_eq!(ApiStatus::Http(200).label(), "200");
        assert_eq!(ApiStatus::Http(429).label(), "429");
        assert_eq!(ApiStatus::Http(599).label(), "599");
        assert_eq!(ApiStatus::Http(99).label(), "invalid");
        assert_eq!(ApiStatus::Http(600).label(), "invalid");
        assert_eq!(ApiStatus::Http(u16::MAX).label(), "invalid");
        assert_eq!(ApiStatus::Timeout.to_string(), "timeout");
        assert_eq!(ApiStatus::Transport.label(), "transport_error");
    }

    #[test]
    fn cache_labels() {
        let ops: Vec<_> = CacheOperation::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(ops, ["get", "set", "invalidate"]);
        let results: Vec<_> = CacheResult::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(results, ["hit", "miss", "ok", "error"]);
        assert_eq!(TokenRefreshResult::Error.as_str(), "error");
    }
}
