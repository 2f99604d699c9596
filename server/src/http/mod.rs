//! The HTTP face of the server: MCP over streamable HTTP at `/mcp`, plus `/healthz` and
//! `/readyz`, on one port. Bearer-token access control guards `/mcp` only, so probes and
//! scrapes stay open. Every route checks `Host` against DNS rebinding: `/mcp` accepts only
//! the allowed names, the probe and scrape routes also any IP literal (see [`host`]).

mod auth;
mod health;
pub mod host;
mod jsonrpc;
mod session_store;
mod sessions;
mod shared;
mod shutdown;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use auth::{BearerAuth, BearerAuthError};
pub use health::Readiness;
pub use jsonrpc::DEFAULT_MAX_BODY_BYTES;
pub use session_store::RedisSessionStore;
pub use shutdown::{InFlight, shutdown_signal};

use crate::mcp::SpotifyMcp;
use crate::metrics::Metrics;

/// Everything the HTTP layer needs, already validated.
#[derive(Clone)]
pub struct HttpOptions {
    pub addr: SocketAddr,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub auth: Option<Arc<BearerAuth>>,
    /// Where the HTTP layer counts what it refuses ([`Metrics::disabled`] counts nothing).
    pub metrics: Metrics,
    pub shutdown_grace: Duration,
    /// Largest request body accepted on `/mcp`, in bytes.
    pub max_body_bytes: usize,
    pub limits: ConnectionLimits,
    /// Where 2025-11-25 sessions are kept for the other replicas (`--cache redis://`); `None`:
    /// a session lives in this process only.
    pub session_store: Option<RedisSessionStore>,
    /// The hosted mode (`--oauth`): `/mcp` takes the access tokens it issues, and its
    /// authorization server and metadata routes are served.
    pub oauth: Option<crate::oauth::Authority>,
}

/// Bounds on what one connection may hold: slow or idle sockets are closed, and the number of
/// open ones is capped so they cannot exhaust file descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a complete request head, from the connection's start or the end of its
    /// previous response (so also the idle keep-alive limit of HTTP/1).
    pub header_read_timeout: Duration,
    /// Time to receive a request body once its head arrived.
    pub request_body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// 2025-11-25 sessions kept at once.
    pub max_sessions: usize,
    /// A session without activity for this long is closed and forgotten.
    pub session_idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_body_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_sessions: 1000,
            session_idle_timeout: Duration::from_secs(300),
        }
    }
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
    sessions: Arc<sessions::BoundedSessions>,
    cancel: CancellationToken,
) -> shared::Shared<SpotifyMcp, sessions::BoundedSessions> {
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
        // A stateless (2026-07-28) call whose first message is its answer gets one plain JSON
        // body instead of an SSE stream with a task pumping it; a call that notifies first
        // (progress, logging) still streams, so nothing is lost.
        .with_json_response(true)
        .with_cancellation_token(cancel);
    let mut config = config;
    config.session_store = opts.session_store.clone().map(|store| {
        Arc::new(store) as Arc<dyn rmcp::transport::streamable_http_server::session::SessionStore>
    });
    // Each session gets its own handler state (its log level).
    shared::Shared::new(StreamableHttpService::new(
        move || Ok(mcp.for_session()),
        sessions,
        config,
    ))
}

/// The whole router. `extra` lets other layers (metrics) add routes; they get the Host check
/// of `/healthz` and `/readyz`.
pub fn router(
    mcp: SpotifyMcp,
    readiness: Readiness,
    opts: &HttpOptions,
    in_flight: InFlight,
    cancel: CancellationToken,
    extra: Router,
) -> Router {
    let sessions = Arc::new(
        sessions::BoundedSessions::new(opts.limits.max_sessions, opts.limits.session_idle_timeout)
            .with_store(opts.session_store.clone())
            .with_relay(&mcp),
    );
    let mcp_routes = Router::new()
        .nest_service("/mcp", mcp_service(mcp, opts, sessions.clone(), cancel))
        .layer(axum::middleware::from_fn_with_state(
            sessions,
            sessions::session_delete,
        ))
        .layer(axum::middleware::from_fn_with_state(
            jsonrpc::BodyLimits {
                max_bytes: opts.max_body_bytes,
                timeout: opts.limits.request_body_timeout,
            },
            jsonrpc::jsonrpc_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            in_flight,
            shutdown::track_in_flight,
        ));
    let mcp_routes = match (&opts.oauth, &opts.auth) {
        (Some(authority), _) => mcp_routes
            .layer(axum::middleware::from_fn_with_state(
                authority.clone(),
                crate::oauth::guard::require_token,
            ))
            .merge(authority.router()),
        (None, Some(auth)) => mcp_routes.layer(axum::middleware::from_fn_with_state(
            auth::BearerGuard {
                auth: auth.clone(),
                metrics: opts.metrics.clone(),
            },
            auth::require_bearer,
        )),
        (None, None) => mcp_routes,
    };
    let mcp_routes = mcp_routes.layer(axum::middleware::from_fn(host::require_host));
    let probe_routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(readiness.clone()))
        .route("/status", get(health::status).with_state(readiness))
        .merge(extra)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(host::AllowedHosts::new(&opts.allowed_hosts)),
            host::probe_host,
        ));
    probe_routes.merge(mcp_routes)
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
    serve_on(listener, mcp, readiness, opts, extra, stop).await
}

/// The answer to a connection over `--max-connections`, written before closing it.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 68\r\n\r\n\
too many open connections to this server (--max-connections); retry\n";

/// Waits until a new connection has sent enough to tell HTTP/1 from HTTP/2 (hyper's protocol
/// detection has no timer of its own), at most `within`; `false` when it did not, or closed.
async fn first_bytes_arrive(stream: &tokio::net::TcpStream, within: Duration) -> bool {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let detect = async {
        let mut buf = [0u8; PREFACE.len()];
        loop {
            match stream.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) if n == PREFACE.len() || buf[..n] != PREFACE[..n] => return true,
                // A prefix of the HTTP/2 preface: wait for more (peek does not consume).
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    tokio::time::timeout(within, detect).await.unwrap_or(false)
}

/// Like [`serve`], on a listener already bound.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    mcp: SpotifyMcp,
    readiness: Readiness,
    opts: HttpOptions,
    extra: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;
    use tokio::io::AsyncWriteExt;

    let local = listener.local_addr().map_err(HttpError::Serve)?;
    tracing::info!(addr = %local, "serving MCP at http://{local}/mcp");

    let cancel = CancellationToken::new();
    // Open `subscriptions/listen` requests end (with their final result) as soon as the server
    // is told to stop, so they do not hold the grace period the other calls get.
    let stopping = CancellationToken::new();
    let mcp = mcp.closing_with(stopping.clone());
    let stop = async move {
        stop.await;
        stopping.cancel();
    };
    let in_flight = InFlight::default();
    let app = router(
        mcp,
        readiness,
        &opts,
        in_flight.clone(),
        cancel.clone(),
        extra,
    );

    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        opts.limits.request_body_timeout,
    ));

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.limits.header_read_timeout);
    // HTTP/2 has no request head to time: pings find dead peers instead.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(opts.limits.header_read_timeout)
        .keep_alive_timeout(opts.limits.header_read_timeout);
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();

    let drain = shutdown::drain(stop, in_flight, cancel, opts.shutdown_grace);
    tokio::pin!(drain);
    loop {
        tokio::select! {
            () = &mut drain => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (mut stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, typically: wait for connections to close.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, limit = opts.limits.max_connections, "connection refused: too many open connections");
                    connections.spawn(async move {
                        let refuse = async {
                            stream.write_all(TOO_MANY_CONNECTIONS).await?;
                            stream.shutdown().await
                        };
                        let _ = tokio::time::timeout(Duration::from_secs(1), refuse).await;
                    });
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (app, builder, watcher) = (app.clone(), builder.clone(), graceful.watcher());
                let header_timeout = opts.limits.header_read_timeout;
                connections.spawn(async move {
                    let _permit = permit;
                    if !first_bytes_arrive(&stream, header_timeout).await {
                        tracing::debug!(%peer, "connection closed: no request within the header read timeout");
                        return;
                    }
                    let service = TowerToHyperService::new(app);
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(connection).await {
                        tracing::debug!(%peer, error = %e, "connection closed with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    // Idle connections (and those still sending a request head) close now; the others end
    // with their response, or when the drain cancels the open streams after the grace period.
    let left = tokio::time::timeout(
        opts.shutdown_grace + Duration::from_secs(2),
        graceful.shutdown(),
    )
    .await;
    if left.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing the connections still open after the grace period"
        );
    }
    connections.shutdown().await;
    tracing::info!("HTTP server stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Connection limits over real TCP sockets: each case takes a second or two.

    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::mcp::McpOptions;
    use crate::spotify::{Credentials, SpotifyClient, SpotifyConfig};

    struct Server {
        addr: SocketAddr,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        task: tokio::task::JoinHandle<Result<(), HttpError>>,
    }

    /// A server with an offline Spotify client (nothing here calls Spotify).
    async fn start(limits: ConnectionLimits, grace: Duration) -> Server {
        let mut cfg = SpotifyConfig::new("test-client", Credentials::ClientCredentials);
        cfg.client_secret = Some("test-secret".into());
        cfg.api_base_url = "http://127.0.0.1:9/v1".into();
        cfg.accounts_base_url = "http://127.0.0.1:9".into();
        let client = SpotifyClient::new(cfg).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let opts = HttpOptions {
            addr,
            allowed_hosts: vec!["127.0.0.1".into(), addr.to_string(), "mcp.internal".into()],
            allowed_origins: vec![],
            auth: None,
            metrics: Metrics::disabled(),
            shutdown_grace: grace,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            limits,
            session_store: None,
            oauth: None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mcp = SpotifyMcp::new(client.clone(), McpOptions::default());
        let task = tokio::spawn(serve_on(
            listener,
            mcp,
            Readiness::new(client),
            opts,
            crate::metrics::router(Metrics::new().unwrap()),
            async move {
                let _ = rx.await;
            },
        ));
        Server {
            addr,
            stop: Some(tx),
            task,
        }
    }

    fn limits(header: u64, body: u64, connections: usize) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(header),
            request_body_timeout: Duration::from_millis(body),
            max_connections: connections,
            ..ConnectionLimits::default()
        }
    }

    /// Reads until the server closes the socket (or 5 s pass); returns what was read and when.
    async fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
        let started = Instant::now();
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the server kept the connection open for 5 s");
        (
            String::from_utf8_lossy(&out).into_owned(),
            started.elapsed(),
        )
    }

    #[tokio::test]
    async fn silent_slow_and_idle_connections_are_closed() {
        let server = start(limits(400, 5_000, 64), Duration::from_secs(1)).await;
        // Connected, never sends a byte.
        let mut silent = TcpStream::connect(server.addr).await.unwrap();
        // Sends half a request head.
        let mut slow = TcpStream::connect(server.addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        // One complete request, then idles on keep-alive.
        let mut idle = TcpStream::connect(server.addr).await.unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        for (name, stream) in [
            ("silent", &mut silent),
            ("slow", &mut slow),
            ("idle", &mut idle),
        ] {
            let (text, _) = read_to_close(stream).await;
            if name == "idle" {
                assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            }
        }
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_gets_408() {
        let server = start(limits(5_000, 400, 64), Duration::from_secs(1)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"jsonrpc\"",
            server.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (text, elapsed) = read_to_close(&mut stream).await;
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("--request-body-timeout"), "{text}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    }

    /// Found by the soak (tests/soak): the body timeout was per read (tower-http's
    /// `TimeoutBody` restarts after each frame), so a client sending a byte every 100 ms kept a
    /// request open for as long as it liked. The whole body must arrive within the timeout.
    #[tokio::test]
    async fn a_body_dribbled_byte_by_byte_gets_408_within_the_timeout() {
        let server = start(limits(5_000, 400, 64), Duration::from_secs(1)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\nConnection: close\r\n\r\n",
            server.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let mut out = Vec::new();
        // 30 bytes, one per 100 ms: 3 s, far beyond the 400 ms the body may take.
        for _ in 0..30 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            let mut buf = [0u8; 4096];
            match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        let (rest, _) = read_to_close(&mut stream).await;
        let text = String::from_utf8_lossy(&out).into_owned() + &rest;
        let elapsed = started.elapsed();
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(elapsed < Duration::from_millis(2_000), "{elapsed:?}");
    }

    #[tokio::test]
    async fn connections_over_the_limit_are_answered_503_and_closed() {
        let server = start(limits(5_000, 5_000, 2), Duration::from_secs(1)).await;
        let _a = TcpStream::connect(server.addr).await.unwrap();
        let _b = TcpStream::connect(server.addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut third = TcpStream::connect(server.addr).await.unwrap();
        let (text, elapsed) = read_to_close(&mut third).await;
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        assert!(text.contains("--max-connections"), "{text}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        // A slot frees up when a connection closes.
        drop(_a);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut next = TcpStream::connect(server.addr).await.unwrap();
        next.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (text, _) = read_to_close(&mut next).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }

    #[tokio::test]
    async fn shutdown_closes_idle_and_half_sent_connections() {
        // Timeouts far longer than the test: only shutdown can close these sockets.
        let mut server = start(limits(60_000, 60_000, 64), Duration::from_millis(500)).await;
        let mut idle = TcpStream::connect(server.addr).await.unwrap();
        let mut half_head = TcpStream::connect(server.addr).await.unwrap();
        half_head
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let mut half_body = TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{{",
            server.addr
        );
        half_body.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let _ = server.stop.take().map(|tx| tx.send(()));
        let stopped = tokio::time::timeout(Duration::from_secs(5), &mut server.task).await;
        assert!(stopped.is_ok(), "the server did not stop within 5 s");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        for stream in [&mut idle, &mut half_head, &mut half_body] {
            read_to_close(stream).await;
        }
    }

    /// Sends one raw HTTP/1.x request head (`Connection: close`) and returns the answer.
    async fn raw(addr: SocketAddr, head: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        read_to_close(&mut stream).await.0
    }

    /// `/metrics`, `/healthz` and `/readyz` refuse unknown DNS names (DNS
    /// rebinding) but keep answering probes and scrapes addressed by IP.
    #[tokio::test]
    async fn probe_routes_refuse_unknown_host_names_but_accept_ip_literals() {
        let server = start(ConnectionLimits::default(), Duration::from_secs(1)).await;
        let get = |path: &str, host: Option<&str>| {
            let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
            format!("GET {path} HTTP/1.1\r\n{host}Connection: close\r\n\r\n")
        };
        for path in ["/healthz", "/metrics"] {
            for host in [
                "10.1.2.3:8000",
                "198.18.0.5:8000",
                "[fd00::5]:8000",
                "127.0.0.1",
                "mcp.internal",
                "MCP.internal:8000",
            ] {
                let text = raw(server.addr, &get(path, Some(host))).await;
                assert!(
                    text.starts_with("HTTP/1.1 200"),
                    "{path} Host {host}: {text}"
                );
            }
        }
        for path in ["/healthz", "/readyz", "/metrics"] {
            for host in [
                "evil.example.com",
                "evil.example.com:8000",
                "10.1.2.3.nip.io",
            ] {
                let text = raw(server.addr, &get(path, Some(host))).await;
                assert!(
                    text.starts_with("HTTP/1.1 403"),
                    "{path} Host {host}: {text}"
                );
                assert!(text.contains("text/plain"), "{text}");
                assert!(
                    text.contains("is not allowed (possible DNS rebinding)")
                        && text.contains("--allowed-hosts"),
                    "{text}"
                );
            }
        }
        // HTTP/1.0 tools may send no Host; a browser always does.
        let text = raw(server.addr, "GET /healthz HTTP/1.0\r\n\r\n").await;
        assert!(text.starts_with("HTTP/1.0 200"), "{text}");
    }

    /// `/mcp` refuses an empty Host, and a missing one on HTTP/1.1, saying why.
    #[tokio::test]
    async fn mcp_refuses_an_empty_or_missing_host_clearly() {
        let server = start(ConnectionLimits::default(), Duration::from_secs(1)).await;
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let post = |host: &str| {
            format!(
                "POST /mcp HTTP/1.1\r\n{host}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let text = raw(server.addr, &post("Host: \r\n")).await;
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(text.contains("the Host header is empty"), "{text}");
        let text = raw(server.addr, &post("")).await;
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(
            text.contains("HTTP/1.1 requests need a Host header"),
            "{text}"
        );
        // A foreign name is still rmcp's 403, an IP literal that is not allowed too: on /mcp
        // only the allowed names work.
        let text = raw(server.addr, &post("Host: evil.example.com\r\n")).await;
        assert!(text.starts_with("HTTP/1.1 403"), "{text}");
        let text = raw(server.addr, &post("Host: 10.1.2.3:8000\r\n")).await;
        assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    }

    /// POSTs an initialize of protocol 2025-11-25 (a session); returns status, session ID, body.
    async fn initialize(addr: SocketAddr) -> (u16, Option<String>, String) {
        let response = reqwest::Client::new()
            .post(format!("http://{addr}/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 7, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "1"}}
            }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let id = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, id, response.text().await.unwrap_or_default())
    }

    /// Sessions are capped (a clear 503 when full) and idle ones expire, which
    /// makes room again.
    #[tokio::test]
    async fn sessions_are_capped_and_idle_ones_expire() {
        let server = start(
            ConnectionLimits {
                max_sessions: 2,
                session_idle_timeout: Duration::from_millis(700),
                ..ConnectionLimits::default()
            },
            Duration::from_secs(1),
        )
        .await;
        for _ in 0..2 {
            let (status, id, body) = initialize(server.addr).await;
            assert_eq!(status, 200, "{body}");
            assert!(id.is_some(), "{body}");
        }
        let (status, id, body) = initialize(server.addr).await;
        assert_eq!(status, 503, "{body}");
        assert!(id.is_none());
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["id"], 7, "{body}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("too many open MCP sessions (2, --max-sessions)"),
            "{message}"
        );
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let (status, id, body) = initialize(server.addr).await;
        assert_eq!(status, 200, "expired sessions must make room: {body}");

        // DELETE of a live session is done (204), of an unknown one is 404.
        let delete = |id: String| async move {
            reqwest::Client::new()
                .delete(format!("http://{}/mcp", server.addr))
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", "2025-11-25")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        let id = id.unwrap();
        assert_eq!(delete(id.clone()).await, 204);
        assert_eq!(delete(id).await, 404);
        assert_eq!(delete("no-such-session".into()).await, 404);
    }
}
