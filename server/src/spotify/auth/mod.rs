//! Authorisation: the token endpoint ([`endpoint`]), the in-process token manager with
//! single-flight refresh ([`manager`]), the token file ([`store`]) and the interactive
//! PKCE login of `spotify-mcp-server auth login` ([`login`]), when user credentials stop
//! working ([`expiry`]) and the Kubernetes Secret `auth login --print-secret` prints
//! ([`manifest`]).

pub mod endpoint;
pub mod expiry;
pub mod login;
pub mod manager;
pub mod manifest;
pub mod share;
pub mod store;

pub use endpoint::{TokenEndpoint, TokenResponse};
pub use expiry::Authorization;
pub use login::{LoginOptions, login, redirect_uri};
pub use manager::{BearerToken, TokenManager};
pub use store::{TokenSet, TokenStatus, TokenStore};

/// Every scope the server's tools need, space-separated as the authorize URL wants them.
pub const DEFAULT_SCOPES: &[&str] = &[
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "user-read-recently-played",
    "user-top-read",
    "user-read-private",
    "user-library-read",
    "user-library-modify",
    "user-follow-read",
    "user-follow-modify",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-public",
    "playlist-modify-private",
    "ugc-image-upload",
];
