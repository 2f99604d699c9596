//! [`SpotifyError`]: everything that can go wrong talking to Spotify, with messages a person
//! (or a model) can act on. No variant ever carries a token or secret.

use crate::spotify::ids::IdError;
use std::time::Duration;
use thiserror::Error;

/// An error from the Spotify client.
#[derive(Debug, Clone, Error)]
pub enum SpotifyError {
    /// 404 `NO_ACTIVE_DEVICE`: nothing is playing anywhere and no device was named.
    #[error(
        "no active Spotify device: open Spotify on a phone, computer or speaker, or transfer playback to one of the available devices first"
    )]
    NoActiveDevice,

    /// 403 `PREMIUM_REQUIRED`: player control needs a Premium account.
    #[error("this needs Spotify Premium: playback control is only available to Premium accounts")]
    PremiumRequired,

    /// 403 on a playlist the user neither owns nor collaborates on.
    #[error(
        "playlist {playlist_id} is not owned by you and you are not a collaborator: Spotify only allows reading items of and changing playlists you own or collaborate on"
    )]
    PlaylistNotOwned { playlist_id: String },

    /// Any other 403.
    #[error("Spotify refused the request (403): {message}")]
    Forbidden { message: String },

    /// 404 for a specific item.
    #[error("not found: {what}")]
    NotFound { what: String },

    /// 403/404 on an endpoint that only extended-quota apps may call.
    #[error(
        "`{endpoint}` is unavailable for development-mode Spotify apps (Spotify restricted it in 2024/2026); it works only for apps with extended quota"
    )]
    UnavailableForDevelopmentMode { endpoint: String },

    /// 429 with a wait longer than the configured bound (or too many 429s in a row).
    #[error("Spotify rate limit reached: try again in {} s", whole_seconds(*retry_after))]
    RateLimited { retry_after: Duration },

    /// An earlier 429 asked this client ID to wait, the wait is not over and is longer than a
    /// call may wait: the request was not sent.
    #[error(
        "Spotify rate-limited this app (it asked to wait {} s) and nothing is sent to Spotify until that wait is over: try again in {} s",
        whole_seconds(*asked),
        whole_seconds(*remaining)
    )]
    RateLimitHeld {
        remaining: Duration,
        asked: Duration,
    },

    /// The refresh token is no longer valid (expired after six months, revoked) or missing.
    #[error(
        "Spotify authorisation is no longer valid ({reason}): log in again with `spotify-mcp-server auth login`"
    )]
    ReauthRequired { reason: String },

    /// 401 that a token refresh did not cure, or a call that needs a user with app-only credentials.
    #[error("unauthorised: {message}")]
    Unauthorized { message: String },

    /// 403 naming a missing OAuth scope.
    #[error(
        "the Spotify token lacks a permission (scope) this needs: {message}; log in again with `spotify-mcp-server auth login` to grant it"
    )]
    MissingScope { message: String },

    /// A bad argument, detected before calling Spotify or reported by Spotify as 400.
    #[error("invalid argument: {message}")]
    InvalidArgument { message: String },

    /// The request did not complete within the configured timeout.
    #[error("Spotify did not answer `{endpoint}` within {} s; try again", seconds(*timeout))]
    Timeout { endpoint: String, timeout: Duration },

    /// The call's one deadline passed: its waits (rate-limit gate, access token), its requests
    /// and their retries together took longer than `--call-timeout-secs`.
    #[error(
        "gave up on `{endpoint}` after {} s, the time one call may take (waiting for Spotify's rate limit, the access token and retries included): {last}; try again",
        whole_seconds(*budget)
    )]
    DeadlineExceeded {
        endpoint: String,
        budget: Duration,
        last: String,
    },

    /// A write that is not safe to repeat was sent, but its answer was lost (timeout or a
    /// connection dropped after sending): Spotify may or may not have applied it.
    #[error(
        "Spotify did not confirm `{endpoint}` ({cause}); the change may have been applied anyway: check the current state (the playlist's items, the library or the player) before trying again, or it may be made twice"
    )]
    AnswerLost { endpoint: String, cause: String },

    /// Connection-level failure (DNS, TLS, reset).
    #[error(
        "could not reach Spotify: {message}; try again in a few seconds, and if it persists check the network between this server and Spotify (proxy, DNS, TLS trust)"
    )]
    Transport { message: String },

    /// A response body that does not match the expected shape.
    #[error("unexpected response from Spotify for `{endpoint}`: {message}")]
    Decode { endpoint: String, message: String },

    /// Any other error status from Spotify.
    #[error("Spotify answered {status}: {message}")]
    Api { status: u16, message: String },

    /// Invalid client configuration (base URL, missing client ID ...).
    #[error("Spotify client configuration: {message}")]
    Config { message: String },

    /// Reading or writing the token file, or the login flow.
    #[error("Spotify login: {message}")]
    Auth { message: String },
}

impl SpotifyError {
    /// A bad-argument error.
    pub fn invalid(message: impl Into<String>) -> Self {
        SpotifyError::InvalidArgument {
            message: message.into(),
        }
    }

    /// A short, stable, low-cardinality name for metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            SpotifyError::NoActiveDevice => "no_active_device",
            SpotifyError::PremiumRequired => "premium_required",
            SpotifyError::PlaylistNotOwned { .. } => "playlist_not_owned",
            SpotifyError::Forbidden { .. } => "forbidden",
            SpotifyError::NotFound { .. } => "not_found",
            SpotifyError::UnavailableForDevelopmentMode { .. } => {
                "unavailable_for_development_mode"
            }
            SpotifyError::RateLimited { .. } | SpotifyError::RateLimitHeld { .. } => "rate_limited",
            SpotifyError::ReauthRequired { .. } => "reauth_required",
            SpotifyError::Unauthorized { .. } => "unauthorized",
            SpotifyError::MissingScope { .. } => "missing_scope",
            SpotifyError::InvalidArgument { .. } => "invalid_argument",
            SpotifyError::Timeout { .. } | SpotifyError::DeadlineExceeded { .. } => "timeout",
            SpotifyError::AnswerLost { .. } => "answer_lost",
            SpotifyError::Transport { .. } => "transport",
            SpotifyError::Decode { .. } => "decode",
            SpotifyError::Api { .. } => "api",
            SpotifyError::Config { .. } => "config",
            SpotifyError::Auth { .. } => "auth",
        }
    }

    /// Whether retrying the same call later may succeed without the user changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SpotifyError::RateLimited { .. }
            | SpotifyError::RateLimitHeld { .. }
            | SpotifyError::Timeout { .. }
            | SpotifyError::DeadlineExceeded { .. }
            | SpotifyError::Transport { .. } => true,
            SpotifyError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Seconds to tell a person: rounded up (waiting 0.4 s less than asked is waiting too little),
/// and at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

impl From<IdError> for SpotifyError {
    fn from(err: IdError) -> Self {
        SpotifyError::InvalidArgument {
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_actionable() {
        let msg = SpotifyError::ReauthRequired {
            reason: "refresh token expired".into(),
        }
        .to_string();
        assert!(msg.contains("spotify-mcp-server auth login"), "{msg}");
        assert!(
            SpotifyError::NoActiveDevice
                .to_string()
                .contains("transfer playback")
        );
        let msg = SpotifyError::RateLimited {
            retry_after: Duration::from_millis(200),
        }
        .to_string();
        assert!(msg.contains("1 s"), "{msg}");
        let msg = SpotifyError::RateLimited {
            retry_after: Duration::from_millis(2_100),
        }
        .to_string();
        assert!(msg.contains("try again in 3 s"), "{msg}");
        let msg = SpotifyError::RateLimitHeld {
            remaining: Duration::from_millis(3_540_200),
            asked: Duration::from_secs(3600),
        }
        .to_string();
        assert!(
            msg.contains("rate-limited this app")
                && msg.contains("asked to wait 3600 s")
                && msg.contains("try again in 3541 s"),
            "{msg}"
        );
        let msg = SpotifyError::UnavailableForDevelopmentMode {
            endpoint: "GET /recommendations".into(),
        }
        .to_string();
        assert!(
            msg.contains("GET /recommendations") && msg.contains("extended quota"),
            "{msg}"
        );
    }

    #[test]
    fn id_errors_become_invalid_argument() {
        let err: SpotifyError = IdError::Empty.into();
        assert_eq!(err.kind(), "invalid_argument");
        assert!(!err.is_transient());
        assert!(
            SpotifyError::Api {
                status: 503,
                message: "x".into()
            }
            .is_transient()
        );
    }
}

/// A duration for a message: whole seconds, or one decimal below 10 s ("0.2 s", "1.5 s", "30 s"),
/// never a float's full precision ("0.9786204 s").
pub fn seconds(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 10.0 || (secs.fract() == 0.0 && secs >= 1.0) {
        format!("{}", secs.round() as u64)
    } else {
        format!("{:.1}", (secs * 10.0).round() / 10.0)
    }
}

#[cfg(test)]
mod seconds_tests {
    use super::seconds;
    use std::time::Duration;

    #[test]
    fn durations_in_messages_are_short() {
        assert_eq!(seconds(Duration::from_secs_f64(0.9786204)), "1.0");
        assert_eq!(seconds(Duration::from_millis(200)), "0.2");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
        assert_eq!(seconds(Duration::from_secs(30)), "30");
        assert_eq!(seconds(Duration::from_secs(2)), "2");
        assert_eq!(seconds(Duration::from_secs_f64(12.6)), "13");
    }
}
