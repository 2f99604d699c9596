//! The hosted multi-user mode: `/mcp` as an OAuth 2.1 protected resource, and the server as the
//! authorization server its clients sign in with, federating each user's sign-in to Spotify
//! (MCP authorization, 2025-11-25 and 2026-07-28).
//!
//! A sign-in, end to end:
//! 1. The client finds the metadata ([`metadata`]), registers ([`register`]: RFC 7591, or a
//!    Client ID Metadata Document, [`cimd`]) and sends the user's browser to `/oauth/authorize`.
//! 2. [`authorize`] checks the client, the exact redirect URI, PKCE S256 and the `resource`, and
//!    shows the consent page ([`pages`]): which client, which Spotify scopes, approve or deny.
//!    A cookie binds the sign-in to that browser; the form carries a CSRF token.
//! 3. On approval the browser goes to Spotify with our own PKCE pair and a fresh `state`.
//! 4. [`callback`] takes the `state` (once), checks the browser's cookie, exchanges Spotify's
//!    code, reads the user's Spotify ID, stores the grant with the user's Spotify tokens sealed
//!    ([`keyring`]), and sends the browser back to the client with our own code.
//! 5. [`token`] redeems the code for our access and refresh tokens (only their digests are
//!    stored; refresh tokens rotate, and a reused one revokes the grant), and revokes them.
//! 6. [`guard`] turns each `/mcp` request's bearer token into a [`Principal`]: the grant, and a
//!    Spotify client of its own ([`grants`]) whose cache scope is the Spotify user.
//!
//! Spotify's tokens never leave the server, and our tokens are never sent to Spotify.

pub mod authorize;
pub mod callback;
pub mod cimd;
pub mod config;
pub mod grants;
pub mod guard;
pub mod keyring;
pub mod metadata;
pub mod pages;
pub mod records;
pub mod redirect;
pub mod register;
pub mod secrets;
pub mod store;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use config::{HostedArgs, HostedConfig, HostedConfigError, StoreChoice};
pub use guard::Principal;

use crate::metrics::Metrics;
use crate::spotify::SpotifyClient;
use records::key;
use store::Store;

/// How long a sign-in may sit on the consent page or at Spotify.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// How long an authorization code can be redeemed.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long a registered client is kept.
pub const CLIENT_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long a grant is kept: Spotify's refresh tokens stop working six months after the user
/// authorised, and a refresh does not extend that.
pub const GRANT_TTL: Duration = Duration::from_secs(182 * 24 * 3600);

/// The Spotify app the users sign in to.
#[derive(Clone)]
pub struct Upstream {
    pub accounts_base_url: String,
    pub api_base_url: String,
    pub client_id: String,
    pub endpoint: crate::spotify::auth::TokenEndpoint,
    pub http: reqwest::Client,
}

/// The authorization server and resource guard: cheap to clone.
#[derive(Clone)]
pub struct Authority {
    inner: Arc<Inner>,
}

struct Inner {
    config: HostedConfig,
    store: Arc<dyn Store>,
    keys: keyring::Keyring,
    upstream: Upstream,
    grants: grants::Registry,
    checked: guard::Checked,
    metrics: Metrics,
    /// Client ID Metadata Documents: the fetcher and its cache.
    cimd: cimd::Documents,
    /// What this replica accepts of the requests that create records (registrations, sign-ins
    /// in progress), so a flood cannot fill the store.
    admission: Admission,
}

/// Bounds on the requests that create records, per replica: a client registration creates one
/// for 90 days, an authorization request one for 10 minutes (and maybe a metadata fetch).
struct Admission {
    registrations: governor::DefaultDirectRateLimiter,
    authorizations: governor::DefaultDirectRateLimiter,
}

/// Registrations accepted per second per replica, and in a burst.
const REGISTRATIONS_PER_SECOND: u32 = 5;
const REGISTRATIONS_BURST: u32 = 50;
/// Authorization requests accepted per second per replica, and in a burst.
const AUTHORIZATIONS_PER_SECOND: u32 = 20;
const AUTHORIZATIONS_BURST: u32 = 200;

impl Admission {
    fn new() -> Self {
        let quota = |per_second: u32, burst: u32| {
            let per_second =
                std::num::NonZeroU32::new(per_second).unwrap_or(std::num::NonZeroU32::MIN);
            let burst = std::num::NonZeroU32::new(burst).unwrap_or(std::num::NonZeroU32::MIN);
            governor::Quota::per_second(per_second).allow_burst(burst)
        };
        Self {
            registrations: governor::RateLimiter::direct(quota(
                REGISTRATIONS_PER_SECOND,
                REGISTRATIONS_BURST,
            )),
            authorizations: governor::RateLimiter::direct(quota(
                AUTHORIZATIONS_PER_SECOND,
                AUTHORIZATIONS_BURST,
            )),
        }
    }
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("issuer", &self.inner.config.issuer)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// `template` is the process's Spotify client: grants' clients share its connections,
    /// cache and rate budget.
    pub fn new(
        config: HostedConfig,
        store: Arc<dyn Store>,
        keys: keyring::Keyring,
        template: SpotifyClient,
        metrics: Metrics,
    ) -> Self {
        let spotify = template.config();
        let upstream = Upstream {
            accounts_base_url: spotify.accounts_base_url.trim_end_matches('/').to_owned(),
            api_base_url: spotify.api_base_url.trim_end_matches('/').to_owned(),
            client_id: spotify.client_id.clone(),
            endpoint: template.token_endpoint(),
            http: template.http(),
        };
        if config.cimd && config.cimd_allow_loopback {
            tracing::warn!(
                "--oauth-cimd-allow-loopback: client metadata documents may come from this host (for tests only)"
            );
        }
        Self {
            inner: Arc::new(Inner {
                cimd: cimd::Documents::new(config.cimd_allow_loopback),
                checked: guard::Checked::default(),
                admission: Admission::new(),
                grants: grants::Registry::new(template),
                config,
                store,
                keys,
                upstream,
                metrics,
            }),
        }
    }

    pub fn config(&self) -> &HostedConfig {
        &self.inner.config
    }

    fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    fn keys(&self) -> &keyring::Keyring {
        &self.inner.keys
    }

    fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Whether this replica takes one more client registration now.
    fn admit_registration(&self) -> bool {
        let ok = self.inner.admission.registrations.check().is_ok();
        if !ok {
            self.metrics()
                .oauth_event("client_registered", "rate_limited");
        }
        ok
    }

    /// Whether this replica takes one more authorization request now.
    fn admit_authorization(&self) -> bool {
        let ok = self.inner.admission.authorizations.check().is_ok();
        if !ok {
            self.metrics().oauth_event("authorization", "rate_limited");
        }
        ok
    }

    /// The scopes a client may ask for: the Spotify scopes the tools use.
    pub fn scopes_supported() -> &'static [&'static str] {
        crate::spotify::auth::DEFAULT_SCOPES
    }

    /// The routes of the authorization server and the metadata (no `/mcp`: the guard wraps it).
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/.well-known/oauth-protected-resource",
                get(metadata::protected_resource),
            )
            .route(
                "/.well-known/oauth-protected-resource/{*path}",
                get(metadata::protected_resource),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(metadata::authorization_server),
            )
            .route(
                "/.well-known/oauth-authorization-server/{*path}",
                get(metadata::authorization_server),
            )
            .route("/oauth/register", post(register::register))
            .route("/oauth/authorize", get(authorize::authorize))
            .route("/oauth/authorize/decision", post(authorize::decide))
            .route("/oauth/callback", get(callback::callback))
            .route("/oauth/token", post(token::token))
            .route("/oauth/revoke", post(token::revoke))
            .layer(axum::middleware::from_fn(pages::no_store))
            .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
            .with_state(self.clone())
    }

    /// Revokes a grant: its records go, so every token issued for it stops working (at once
    /// on this replica; within [`guard::CHECK_CACHE_TTL`] on the others).
    pub async fn revoke_grant(&self, grant: &str, why: &'static str) {
        let keys = [key::grant(grant), key::upstream(grant)];
        if let Err(e) = self.store().delete(&keys).await {
            tracing::warn!(error = %e, "could not delete a revoked grant");
        }
        self.inner.checked.forget_grant(grant);
        self.inner.grants.forget(grant).await;
        self.metrics().oauth_event("grant_revoked", why);
        tracing::info!(reason = why, "grant revoked");
    }
}
