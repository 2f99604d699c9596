//! The built-in sandbox of the Spotify Web API: the `spotify-mcp-sandbox` crate, behind the
//! default-on `sandbox` feature, and the client configuration the server uses to reach it.
//!
//! A build without the feature has the same command line; `--sandbox` and the `sandbox`
//! subcommand stop at start-up with [`crate::app::AppError::SandboxLeftOut`]. Here it has only
//! [`SandboxHandle`], a type without values, so that the wiring reads the same in both builds.
//! The server's own unit tests always have the sandbox (it is also a dev-dependency).

#[cfg(any(feature = "sandbox", test))]
pub use spotify_mcp_sandbox::*;

#[cfg(any(feature = "sandbox", test))]
use crate::spotify::{Credentials, Secret, SpotifyConfig};

/// A client configuration for `sandbox`: its app, acting for the user of `refresh_token`
/// ([`PREMIUM_REFRESH_TOKEN`] or [`FREE_REFRESH_TOKEN`]).
#[cfg(any(feature = "sandbox", test))]
pub fn client_config(sandbox: &SandboxHandle, refresh_token: &str) -> SpotifyConfig {
    SpotifyConfig::new(
        CLIENT_ID,
        Credentials::RefreshToken(Secret::new(refresh_token)),
    )
    .with_base_urls(sandbox.api_base_url(), sandbox.accounts_base_url())
    .with_client_secret(Secret::new(CLIENT_SECRET))
}

/// A running sandbox, in a build that has none: it never exists.
#[cfg(not(any(feature = "sandbox", test)))]
#[derive(Debug)]
pub enum SandboxHandle {}

#[cfg(not(any(feature = "sandbox", test)))]
impl SandboxHandle {
    pub async fn shutdown(self) {
        match self {}
    }
}
