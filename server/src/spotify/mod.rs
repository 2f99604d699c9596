//! The Spotify Web API client: typed calls for every current operation of Spotify's OpenAPI
//! definition (and the extended-quota ones), on a pipeline with auth, a per-client-ID rate
//! limiter, `Retry-After` handling, retries of idempotent requests, timeouts, error mapping
//! and a response cache. Knows nothing about MCP.
//!
//! ## Where rspotify fits
//! rspotify 0.16 is a dependency, but it predates Spotify's 2026 changes (`/me/library`,
//! `/playlists/{id}/items` with `item`, optional `popularity`/`followers`/...), so its client
//! methods and models would call removed endpoints or fail to decode current answers. The
//! typed calls here therefore go through our own reqwest pipeline with our own models; see
//! [`auth`] for what rspotify is used for.
//!
//! Layout: [`config`] (settings), [`ids`] (URIs, IDs, links), [`models`] (JSON shapes),
//! [`api`] (typed calls by domain), [`pipeline`] (limiter, retries, errors), [`auth`]
//! (tokens), [`cache`] (response cache), [`error`].

pub mod api;
pub mod auth;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod ids;
mod inflight;
pub mod models;
pub mod pipeline;
pub mod reads;
#[cfg(test)]
mod sandbox_tests;
pub mod secret;
#[cfg(test)]
pub(crate) mod test_support;
pub mod transport;

pub use api::Page;
pub use client::{ClientOptions, SpotifyClient};
pub use config::{CacheConfig, Credentials, RateLimit, RateLimitPolicy, SpotifyConfig};
pub use error::SpotifyError;
pub use ids::{IdError, ItemKind, SpotifyId};
pub use secret::Secret;
