//! The HTTP face of the server: MCP over streamable HTTP at `/mcp`, plus `/healthz` and
//! `/readyz`, on one port. Bearer-token access control guards `/mcp` only, so probes and
//! scrapes stay open.

mod auth;
mod health;
mod jsonrpc;
mod shutdown;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use auth::{BearerAuth, BearerAuthError};
pub use health::Readiness;
pub use jsonrpc::DEFAULT_MAX_BODY_BYTES;
pub use shutdown::{InFlight, shutdown_signal};

use crate::mcp::SpotifyMcp;

/// Everything the HTTP layer needs, already validated.
#[derive(Clone)]
pub struct HttpOptions {
    pub addr: SocketAddr,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub auth: Option<Arc<BearerAuth>>,
    pub shutdown_grace: Duration,
    /// Largest request body accepted on `/mcp`, in bytes.
    pub max_body_bytes: usize,
}

/// Errors that stop the HTTP server from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Browser origins always accepted: pages served from this machine.
const LOOPBACK_ORIGINS: &[&str] = &["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// Builds the MCP service: sessions for 2025-11-25 clients, stateless for 2026-07-28 (which
/// rmcp always serves statelessly, so any replica can answer).
fn mcp_service(
    mcp: SpotifyMcp,
    opts: &HttpOptions,
    cancel: CancellationToken,
) -> StreamableHttpService<SpotifyMcp, LocalSessionManager> {
    // Origin validation is always on: browsers on loopback pages (local inspectors) and the
    // configured origins may call; any other page a browser has open gets 403.
    let origins = LOOPBACK_ORIGINS
        .iter()
        .map(|o| (*o).to_owned())
        .chain(opts.allowed_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(opts.allowed_hosts.clone())
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_max_request_body_bytes(opts.max_body_bytes)
        .with_legacy_session_mode(true)
        .with_cancellation_token(cancel);
    StreamableHttpService::new(
        move || Ok(mcp.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// The whole router. `extra` lets other layers (metrics) add routes.
pub fn router(
    mcp: SpotifyMcp,
    readiness: Readiness,
    opts: &HttpOptions,
    in_flight: InFlight,
    cancel: CancellationToken,
    extra: Router,
) -> Router {
    let mcp_routes = Router::new()
        .nest_service("/mcp", mcp_service(mcp, opts, cancel))
        .layer(axum::middleware::from_fn_with_state(
            opts.max_body_bytes,
            jsonrpc::jsonrpc_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            in_flight,
            shutdown::track_in_flight,
        ));
    let mcp_routes = match &opts.auth {
        Some(auth) => mcp_routes.layer(axum::middleware::from_fn_with_state(
            auth.clone(),
            auth::require_bearer,
        )),
        None => mcp_routes,
    };
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(readiness))
        .merge(mcp_routes)
        .merge(extra)
}

/// Serves until SIGTERM/SIGINT (or `stop` fires), then drains: stops accepting, lets in-flight
/// MCP calls finish for up to the grace period, then closes open streams.
pub async fn serve(
    mcp: SpotifyMcp,
    readiness: Readiness,
    opts: HttpOptions,
    extra: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|source| HttpError::Bind {
            addr: opts.addr,
            source,
        })?;
    let local = listener.local_addr().map_err(HttpError::Serve)?;
    tracing::info!(addr = %local, "serving MCP at http://{local}/mcp");

    let cancel = CancellationToken::new();
    let in_flight = InFlight::default();
    let app = router(
        mcp,
        readiness,
        &opts,
        in_flight.clone(),
        cancel.clone(),
        extra,
    );

    let drain = shutdown::drain(stop, in_flight, cancel, opts.shutdown_grace);
    axum::serve(listener, app)
        .with_graceful_shutdown(drain)
        .await
        .map_err(HttpError::Serve)?;
    tracing::info!("HTTP server stopped");
    Ok(())
}
