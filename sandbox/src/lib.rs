//! The built-in sandbox: a faithful fake of the current Spotify Web API and its accounts
//! service, served by axum over a seeded in-memory world.
//!
//! The server reaches it only over HTTP through the normal Spotify client, so it speaks the
//! real paths, parameters, status codes and JSON shapes of Spotify's OpenAPI definition
//! (`tests/python/test_sandbox_openapi.py` checks every operation against it). [`spawn`] serves
//! it on a loopback port for tests and `--sandbox`; [`router`] and [`serve`] give the app for
//! `spotify-mcp-server sandbox --bind ADDR`.
//!
//! It is a crate of its own that imports nothing from the server, which depends on it behind
//! its default-on `sandbox` feature (a build without the feature leaves it out); the server
//! makes its client configuration from the public constants below.
//!
//! # What it holds
//! - A catalog generated from [`SandboxOptions::seed`] (same seed, same catalog): about 90
//!   artists, 220 albums, 1,700 tracks, 30 shows with 450 episodes, 25 audiobooks with 300
//!   chapters; unique, searchable names (genre words like "Jazz" or "Synth" appear in names).
//! - The Premium user ([`PREMIUM_REFRESH_TOKEN`]): saved tracks, albums, shows, episodes and
//!   audiobooks, followed artists, four owned playlists, a collaborative one, a followed one of
//!   another user (readable, its items 403), Spotify editorial playlists (`37i9dQZF1DX…`, 404
//!   unless `extended_quota`), top items, a recently-played history, and four devices: a laptop
//!   (active at start, an album paused on it, unless [`SandboxOptions::active_device_at_start`]
//!   is off), a phone without volume control, a speaker, and a restricted TV.
//! - The free user ([`FREE_REFRESH_TOKEN`]): reads work, player control answers 403
//!   `PREMIUM_REQUIRED`.
//!
//! # Accounts
//! `POST /api/token` (client credentials, authorization code with PKCE S256 or the secret,
//! refresh token; the fixed refresh tokens never rotate, PKCE-issued ones do) and
//! `GET /authorize`, which approves at once and redirects to `redirect_uri` with `code` and
//! `state` (`sandbox_user=free` logs in the free user).
//!
//! # Control endpoints (not Spotify's)
//! `GET/PUT /sandbox/faults` (latency, 429 + Retry-After, 502/503/504 probabilities, lost
//! answers, token endpoint outage, extended quota, recording), `GET/DELETE /sandbox/requests`
//! and `POST /sandbox/requests/drain` (the exchange log),
//! `POST /sandbox/reset`, `POST /sandbox/tokens/revoke` (below),
//! `POST /sandbox/player/deactivate` (`{"user": "premium"|"free"}`),
//! `GET/PUT /sandbox/allowlist` (below), `GET /sandbox/world` (fixture ids),
//! `GET /sandbox/covers/{id}` (an uploaded cover). All but the covers refuse a
//! non-loopback `Origin` and a `Host` name other than `localhost` and
//! [`SandboxOptions::allowed_hosts`] (IP literals are fine); the Web API and the accounts
//! service answer under any name.
//!
//! # Revoking tokens
//! `POST /sandbox/tokens/revoke` takes any of `{"refresh_token": "...", "access_tokens": true,
//! "user": "premium"|"free"}`: the named refresh token is revoked (the next refresh answers 400
//! `{"error": "invalid_grant", "error_description": "Refresh token revoked"}`, as Spotify does);
//! `access_tokens` expires every access token (401 "The access token expired"); `user` revokes
//! what the authorization-code flow issued to that user, i.e. all their refresh tokens, rotated
//! ones included (the same `invalid_grant`), and their access tokens (401 "Invalid access
//! token"), as when a user removes the app's access. `user` spares the fixed
//! refresh tokens ([`PREMIUM_REFRESH_TOKEN`], [`FREE_REFRESH_TOKEN`]) and the access tokens
//! minted from them, since other tests may share the sandbox; name a fixed token in
//! `refresh_token` to revoke it too (`/sandbox/reset` restores them). An unknown user is a 400
//! naming the accepted ones. The answer is `{"refresh_token_revoked": bool,
//! "access_tokens_expired": bool, "refresh_tokens_revoked": n, "access_tokens_revoked": n}`,
//! the counts covering everything this request revoked.
//!
//! # Development Mode's allow-list
//! Spotify serves a Development-Mode app only to the users allow-listed in its Dashboard.
//! `PUT /sandbox/allowlist` with `{"users": ["premium"]}` (any of `premium` and `free`, or
//! none) sets the list and answers it; `GET /sandbox/allowlist` answers `{"users": [...]}`. A
//! user off the list still signs in (`/authorize`, the code exchange and refreshes succeed), but
//! every `/v1/...` call with their token answers 403 with Spotify's plain-text body (not a JSON
//! error object): `The user is not registered for this application. Please check your settings
//! on https://developer.spotify.com/dashboard.` Client-credentials tokens are not affected, and
//! a bad token still gets 401. Every user is listed by default and after `POST /sandbox/reset`;
//! an unknown name or a malformed body is a 400 and changes nothing.

mod allowlist;
mod error;
mod faults;
mod fields;
mod host;
mod json;
mod record;
mod routes;
mod tokens;
pub mod world;

use axum::serve::ListenerExt;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::SandboxError;
pub use faults::{Knobs, KnobsPatch};
pub use record::Exchange;
pub use tokens::verify_pkce;

use allowlist::AllowList;
use tokens::TokenStore;
use world::catalog::Catalog;
use world::{WorldOptions, WorldState};

/// Client id the sandbox accepts.
pub const CLIENT_ID: &str = "sandbox-client-id";
/// Client secret the sandbox accepts.
pub const CLIENT_SECRET: &str = "sandbox-client-secret";
/// Refresh token of the Premium user.
pub const PREMIUM_REFRESH_TOKEN: &str = "sandbox-refresh-token";
/// Refresh token of the free (non-Premium) user.
pub const FREE_REFRESH_TOKEN: &str = "sandbox-free-refresh-token";
/// Spotify user id of the Premium user.
pub const PREMIUM_USER_ID: &str = "sandboxlistener";
/// Spotify user id of the free user.
pub const FREE_USER_ID: &str = "sandboxfree";

/// Seed of the world both the `sandbox` subcommand and the server's `--sandbox` serve by
/// default (one world: what a person sees in one is what they find in the other).
pub const DEFAULT_SEED: u64 = 2026;

/// How the sandbox behaves. `Default` has no faults.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxOptions {
    /// Seed of the catalog, the users' state and the fault RNG.
    pub seed: u64,
    pub latency: Duration,
    pub rate_limit_probability: f64,
    pub retry_after_secs: u64,
    pub server_error_probability: f64,
    /// Serve the endpoints Spotify kept only for extended-quota apps.
    pub extended_quota: bool,
    pub record_requests: bool,
    /// Spotify-like rolling window: 429 once more than `window_limit` requests arrived in the
    /// last `window_secs` seconds (0 = off).
    pub window_limit: u32,
    pub window_secs: u64,
    /// Lifetime of access tokens (`expires_in`).
    pub token_lifetime: Duration,
    /// Start with the Premium user's laptop active and an album paused on it (the default).
    /// Without it no device is active, as with Spotify after a while: player commands answer
    /// NO_ACTIVE_DEVICE until playback is started on, or transferred to, a device.
    pub active_device_at_start: bool,
    /// Host names (without port, any case) whose requests may use the control endpoints
    /// (`/sandbox/...`) besides `localhost` and IP literals, e.g. a Kubernetes Service name.
    pub allowed_hosts: Vec<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            seed: DEFAULT_SEED,
            latency: Duration::ZERO,
            rate_limit_probability: 0.0,
            retry_after_secs: 1,
            server_error_probability: 0.0,
            extended_quota: false,
            record_requests: false,
            window_limit: 0,
            window_secs: 0,
            token_lifetime: Duration::from_secs(3600),
            active_device_at_start: true,
            allowed_hosts: Vec::new(),
        }
    }
}

impl SandboxOptions {
    fn knobs(&self) -> Knobs {
        Knobs {
            latency_ms: u64::try_from(self.latency.as_millis()).unwrap_or(u64::MAX),
            rate_limit_probability: self.rate_limit_probability.clamp(0.0, 1.0),
            retry_after_secs: self.retry_after_secs,
            server_error_probability: self.server_error_probability.clamp(0.0, 1.0),
            extended_quota: self.extended_quota,
            record_requests: self.record_requests,
            window_limit: self.window_limit.min(faults::MAX_WINDOW_LIMIT),
            window_secs: self.window_secs.min(faults::MAX_WINDOW_SECS),
            lost_answer_probability: 0.0,
            token_endpoint_down: false,
        }
    }

    fn world(&self) -> WorldOptions {
        WorldOptions {
            seed: self.seed,
            active_device_at_start: self.active_device_at_start,
        }
    }
}

/// Shared state of one sandbox (cheap to clone).
#[derive(Clone)]
pub struct SandboxState {
    shared: Arc<Shared>,
}

struct Shared {
    opts: SandboxOptions,
    catalog: Arc<Catalog>,
    world: Mutex<WorldState>,
    tokens: Mutex<TokenStore>,
    knobs: RwLock<Knobs>,
    allowlist: RwLock<AllowList>,
    fault_rng: Mutex<StdRng>,
    window: Mutex<faults::RollingWindow>,
    log: Mutex<VecDeque<Exchange>>,
}

impl SandboxState {
    /// Generates the world for `opts`.
    pub fn new(opts: SandboxOptions) -> SandboxState {
        let catalog = Arc::new(Catalog::generate(opts.seed));
        let world = WorldState::generate(&catalog, opts.world());
        SandboxState {
            shared: Arc::new(Shared {
                catalog,
                world: Mutex::new(world),
                tokens: Mutex::new(TokenStore::new(opts.token_lifetime)),
                knobs: RwLock::new(opts.knobs()),
                allowlist: RwLock::default(),
                fault_rng: Mutex::new(StdRng::seed_from_u64(opts.seed ^ 0xFA17)),
                window: Mutex::default(),
                log: Mutex::new(VecDeque::new()),
                opts,
            }),
        }
    }

    fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }

    fn knobs(&self) -> Knobs {
        self.shared.knobs.read().clone()
    }

    /// Restores the world, the knobs, the allow-list (every user) and the fault RNG to their
    /// initial state, makes the fixed refresh tokens valid again and clears the request log.
    /// Issued tokens stay valid.
    fn reset(&self) {
        let opts = &self.shared.opts;
        let world = WorldState::generate(&self.shared.catalog, opts.world());
        *self.shared.world.lock() = world;
        self.shared.tokens.lock().restore_fixed_refresh_tokens();
        *self.shared.knobs.write() = opts.knobs();
        *self.shared.allowlist.write() = AllowList::default();
        *self.shared.fault_rng.lock() = StdRng::seed_from_u64(opts.seed ^ 0xFA17);
        self.shared.window.lock().clear();
        self.shared.log.lock().clear();
    }
}

/// The sandbox's axum app: `/v1/...` (Web API), `/api/token` and `/authorize` (accounts),
/// `/sandbox/...` (control).
pub fn router(state: SandboxState) -> axum::Router {
    routes::router(state)
}

/// A running sandbox.
pub struct SandboxHandle {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), std::io::Error>>,
}

impl SandboxHandle {
    /// Base URL of the Web API, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn api_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL of the accounts service, e.g. `http://127.0.0.1:PORT`.
    pub fn accounts_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "sandbox server ended with an error"),
            Err(e) => tracing::warn!(error = %e, "sandbox server task failed"),
        }
    }
}

/// Answers go out at once rather than waiting for the client's delayed ACK (Nagle), which
/// stalls a keep-alive connection ~40 ms whenever a response is written in pieces.
fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// Serves a sandbox on `addr` (port 0 picks an ephemeral port).
///
/// Returns as soon as the port is bound: the world is generated on a blocking thread in the
/// background, and connections made meanwhile wait in the listen backlog until it is ready.
pub async fn spawn(addr: SocketAddr, opts: SandboxOptions) -> Result<SandboxHandle, SandboxError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let addr = listener.local_addr().map_err(SandboxError::LocalAddr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let state = tokio::task::spawn_blocking(move || SandboxState::new(opts))
            .await
            .map_err(std::io::Error::other)?;
        axum::serve(listener.tap_io(no_delay), router(state))
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "sandbox Spotify Web API listening");
    Ok(SandboxHandle { addr, stop, task })
}

/// Serves a sandbox on `addr` until `shutdown` completes (for `sandbox --bind ADDR`).
pub async fn serve(
    addr: SocketAddr,
    opts: SandboxOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(SandboxError::LocalAddr)?;
    tracing::info!(addr = %local, "sandbox Spotify Web API listening");
    axum::serve(listener.tap_io(no_delay), router(SandboxState::new(opts)))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(SandboxError::Serve)
}
