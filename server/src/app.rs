//! Wiring: builds the Spotify client (against Spotify or the built-in sandbox), the MCP
//! handler, and runs the mode the command line chose.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{
    AuthAction, CacheBackend, Cli, Command, CommonArgs, ConfigError, LogFormat, SpotifyArgs,
};
use crate::http::{self, BearerAuth, HttpOptions, Readiness};
use crate::mcp::{McpOptions, SpotifyMcp};
use crate::metrics::{InstrumentedCache, Metrics};
use crate::redis_cache::{RedisCache, RedisCacheError};
#[cfg(feature = "sandbox")]
use crate::sandbox;
use crate::sandbox::SandboxHandle;
use crate::spotify::auth::TokenStore;
use crate::spotify::auth::expiry::format_rfc3339;
use crate::spotify::auth::manifest::secret_manifest;
use crate::spotify::cache::{MemoryCache, ResponseCache};
use crate::spotify::pipeline::PipelineObserver;
use crate::spotify::{self, ClientOptions};
use crate::spotify::{Credentials, Secret, SpotifyClient, SpotifyConfig, SpotifyError};

/// Everything that can stop the process, with a message for a person.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Spotify(#[from] SpotifyError),
    #[error(transparent)]
    Http(#[from] http::HttpError),
    #[error(transparent)]
    Auth(#[from] http::BearerAuthError),
    #[cfg(feature = "sandbox")]
    #[error("sandbox: {0}")]
    Sandbox(#[from] sandbox::SandboxError),
    /// `--sandbox` or the `sandbox` subcommand in a build without the `sandbox` feature.
    #[error(
        "{0} needs the built-in sandbox, which this build leaves out (it was built without the `sandbox` cargo feature); use a default build"
    )]
    SandboxLeftOut(&'static str),
    #[error("MCP over stdio failed: {0}")]
    Stdio(String),
    #[error(transparent)]
    Cache(#[from] RedisCacheError),
    #[error(transparent)]
    CaFile(#[from] crate::spotify::transport::CaFileError),
    #[error("metrics: {0}")]
    Metrics(#[from] crate::metrics::MetricsError),
    #[error(transparent)]
    Hosted(#[from] crate::oauth::HostedConfigError),
    #[error(
        "SPOTIFY_MCP_OAUTH (hosted mode) serves HTTP only: stdio acts for the one account its environment configures; unset it for stdio"
    )]
    HostedStdio,
    #[error("health check of {url} failed: {reason}")]
    Unhealthy { url: String, reason: String },
    /// The request itself failed; the causes (DNS, connect, timeout) are its sources, which the
    /// command prints ("caused by: ...") since reqwest's own message leaves them out.
    #[error("health check of {url} failed")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), AppError> {
    let Cli { command, serve } = cli;
    // The global options (`serve.common`) are there whichever mode runs.
    match command {
        None => serve_http(serve).await,
        // MCP authorization is for HTTP; stdio takes its credentials from the environment.
        Some(Command::Stdio(_)) if serve.hosted.oauth => Err(AppError::HostedStdio),
        Some(Command::Stdio(args)) => serve_stdio(&serve.common, &args).await,
        Some(Command::Auth { action }) => auth(action, &serve.common.spotify).await,
        Some(Command::Sandbox(args)) => serve_sandbox(&serve.common, &args).await,
        Some(Command::Healthcheck(args)) => healthcheck(&args.url).await,
    }
}

/// The `sandbox` subcommand: serves the fake Spotify Web API until a shutdown signal.
#[cfg(feature = "sandbox")]
async fn serve_sandbox(
    common: &CommonArgs,
    args: &crate::config::SandboxArgs,
) -> Result<(), AppError> {
    init_logging(&common.log.log_level, common.log.log_format);
    let handle = sandbox::spawn(args.bind, args.options()).await?;
    tracing::info!(
        api = %handle.api_base_url(),
        accounts = %handle.accounts_base_url(),
        client_id = sandbox::CLIENT_ID,
        "sandbox Spotify Web API is up"
    );
    http::shutdown_signal().await;
    handle.shutdown().await;
    Ok(())
}

#[cfg(not(feature = "sandbox"))]
async fn serve_sandbox(_: &CommonArgs, _: &crate::config::SandboxArgs) -> Result<(), AppError> {
    Err(AppError::SandboxLeftOut("the `sandbox` subcommand"))
}

/// `--sandbox`: a sandbox on an ephemeral loopback port, and the client configuration for it.
#[cfg(feature = "sandbox")]
async fn sandbox_client(common: &CommonArgs) -> Result<(SpotifyConfig, SandboxHandle), AppError> {
    let handle = sandbox::spawn(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        common.sandbox_options(),
    )
    .await?;
    tracing::info!(api = %handle.api_base_url(), "running against the built-in sandbox");
    let refresh = if common.sandbox_free_user {
        sandbox::FREE_REFRESH_TOKEN
    } else {
        sandbox::PREMIUM_REFRESH_TOKEN
    };
    Ok((sandbox::client_config(&handle, refresh), handle))
}

#[cfg(not(feature = "sandbox"))]
async fn sandbox_client(_: &CommonArgs) -> Result<(SpotifyConfig, SandboxHandle), AppError> {
    Err(AppError::SandboxLeftOut("--sandbox"))
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second initialisation (tests running several servers in one process) is harmless.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The Spotify client for the configured credentials, or for a freshly spawned sandbox.
/// The sandbox handle must live as long as the client is used.
/// What [`build_client`] starts: the client, the sandbox it talks to (`--sandbox`) and the
/// Redis backend of its cache (`--cache redis://…`), which readiness checks.
pub struct Built {
    pub client: SpotifyClient,
    pub sandbox: Option<SandboxHandle>,
    pub redis: Option<RedisCache>,
}

pub async fn build_client(common: &CommonArgs, metrics: &Metrics) -> Result<Built, AppError> {
    let cache = common.cache_backend()?;
    let spotify_args = &common.spotify;
    spotify_args.validate_urls()?;
    let (mut cfg, handle) = if common.sandbox {
        let (cfg, handle) = sandbox_client(common).await?;
        (cfg, Some(handle))
    } else {
        let client_id = spotify_args
            .client_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .ok_or(ConfigError::MissingClientId)?;
        let secret = env_secret("SPOTIFY_CLIENT_SECRET");
        let token_file = spotify_args
            .token_file
            .clone()
            .or_else(SpotifyConfig::default_token_path);
        let credentials = match (env_secret("SPOTIFY_REFRESH_TOKEN"), token_file) {
            (Some(refresh), _) => Credentials::RefreshToken(refresh),
            (None, Some(path)) if path.exists() => Credentials::TokenFile(path),
            _ if secret.is_some() => Credentials::ClientCredentials,
            _ => return Err(ConfigError::MissingClientId.into()),
        };
        let mut cfg = SpotifyConfig::new(client_id, credentials)
            .with_base_urls(&spotify_args.api_base_url, &spotify_args.accounts_base_url);
        cfg.client_secret = secret;
        cfg.authorized_at = common.authorized_at;
        (cfg, None)
    };
    cfg.request_timeout = spotify_args.request_timeout();
    cfg.call_timeout = spotify_args.call_timeout();
    cfg.max_retry_wait = spotify_args.max_retry_wait();
    cfg.rate_limit = spotify_args.spotify_rate_limit;
    if let Some(path) = &spotify_args.ca_file {
        cfg.extra_root_certificates = crate::spotify::transport::load_ca_file(path)?;
    }
    cfg.cache.max_bytes = common.cache_size_mb * 1024 * 1024;
    let mut redis = None;
    let backend: Option<Arc<dyn spotify::cache::CacheBackend>> = match cache {
        CacheBackend::None => None,
        CacheBackend::Memory => Some(Arc::new(InstrumentedCache::new(
            // The rest of the budget holds rendered tool results (`CacheConfig::rendered_bytes`).
            Arc::new(MemoryCache::new(cfg.cache.body_bytes())),
            metrics.clone(),
        ))),
        CacheBackend::Redis(url) => {
            let cache = RedisCache::new(url.as_str(), metrics.clone())?;
            redis = Some(cache.clone());
            Some(Arc::new(cache))
        }
    };
    cfg.cache.enabled = backend.is_some();
    let options = ClientOptions {
        observer: metrics
            .is_enabled()
            .then(|| Arc::new(metrics.clone()) as Arc<dyn PipelineObserver>),
        cache: Some(backend.map(|b| ResponseCache::with_backend(b, cfg.cache.clone()))),
    };
    // With Redis, a 429 one replica gets holds every replica (one rate budget per client ID).
    if let Some(redis) = &redis
        && cfg.rate_limit.shares_429s()
    {
        let hold = crate::spotify::pipeline::hold::shared_hold(
            cfg.api_base_url.trim_end_matches('/'),
            &cfg.client_id,
        );
        crate::redis_cache::holds::share(redis, hold, &cfg.client_id);
    }
    // With Redis, replicas renew a refresh-token credential once (a rotated refresh token is
    // otherwise dead for every replica but the one that used it).
    let token_share = match (&redis, &cfg.credentials) {
        (Some(redis), Credentials::RefreshToken(token)) => {
            match crate::redis_cache::tokens::RedisTokenShare::new(
                redis.clone(),
                token,
                &cfg.client_id,
            ) {
                Ok(share) => Some(Arc::new(share)),
                Err(e) => {
                    tracing::warn!(error = %e, "token renewals are not coordinated across replicas");
                    None
                }
            }
        }
        _ => None,
    };
    let client = SpotifyClient::with_options(cfg, options)?;
    if let Some(share) = token_share {
        client.share_tokens_with(share);
    }
    Ok(Built {
        client,
        sandbox: handle,
        redis,
    })
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

fn mcp_options(common: &CommonArgs) -> McpOptions {
    McpOptions {
        toolsets: common.toolsets(),
        read_only: common.read_only,
        subscription_poll: std::time::Duration::from_millis(common.subscription_poll_ms),
        hosted: false,
    }
}

/// The hosted mode's authorization server, from its validated settings.
fn authority(
    config: crate::oauth::HostedConfig,
    template: &SpotifyClient,
    metrics: &Metrics,
) -> Result<crate::oauth::Authority, AppError> {
    use crate::oauth::{StoreChoice, keyring::Keyring, store::Store};
    let keys = match &config.keys_file {
        Some(path) => Keyring::from_file(path).map_err(crate::oauth::HostedConfigError::from)?,
        None => {
            tracing::warn!(
                "no --oauth-keys-file: users' Spotify tokens are sealed with a key that dies with this process"
            );
            Keyring::ephemeral()
        }
    };
    let store: Arc<dyn Store> = match &config.store {
        StoreChoice::Memory => {
            tracing::warn!(
                "--oauth-store memory: sign-ins live in this process only (one replica; lost at restart); use a redis:// store to run several replicas"
            );
            Arc::new(crate::oauth::store::MemoryStore::default())
        }
        StoreChoice::Redis(url) => Arc::new(crate::redis_cache::oauth::RedisStore::new(
            RedisCache::new(url, metrics.clone())?,
        )),
    };
    tracing::info!(
        issuer = %config.issuer,
        redirect_uri = %config.callback(),
        "hosted mode: users sign in with their own Spotify accounts (register the redirect URI in the Spotify Dashboard)"
    );
    Ok(crate::oauth::Authority::new(
        config,
        store,
        keys,
        template.clone(),
        metrics.clone(),
    ))
}

async fn serve_http(args: crate::config::ServeArgs) -> Result<(), AppError> {
    init_logging(&args.common.log.log_level, args.common.log.log_format);
    let addr = args.addr()?;
    let allowed_origins = args.allowed_origins()?;
    let max_body_bytes = args.max_request_body_bytes()?;
    let limits = args.connection_limits()?;
    let auth = BearerAuth::from_sources(
        std::env::var("SPOTIFY_MCP_AUTH_TOKENS").ok().as_deref(),
        args.auth_tokens_file.as_deref(),
    )?
    .map(std::sync::Arc::new);
    let hosted = args.hosted.validate(
        auth.is_some(),
        env_secret("SPOTIFY_REFRESH_TOKEN").is_some(),
        args.common.sandbox,
    )?;
    if auth.is_none() && hosted.is_none() && !args.bind.ip.is_loopback() {
        tracing::warn!(
            "listening on a non-loopback address without MCP access tokens: anyone who reaches this port controls the Spotify account"
        );
    }
    let metrics = Metrics::new()?;
    let Built {
        client,
        sandbox,
        redis,
    } = build_client(&args.common, &metrics).await?;
    // The sandbox's credentials never expire, so it exports no authorisation date at all.
    if sandbox.is_none() {
        metrics.set_credentials_authorization(client.authorization().await);
    }
    let mut allowed_hosts = args.allowed_hosts();
    let oauth = match hosted {
        Some(config) => {
            allowed_hosts.push(config.host.clone());
            Some(authority(config, &client, &metrics)?)
        }
        None => None,
    };
    let options = McpOptions {
        hosted: oauth.is_some(),
        ..mcp_options(&args.common)
    };
    let mut mcp = SpotifyMcp::new(client.clone(), options).with_metrics(metrics.clone());
    // With Redis, a session's subscriptions are delivered by whichever replica holds its stream
    // (not in hosted mode: the relay would poll as the configured account, not the session's
    // user; there a session's subscriptions stay with the replica that took them).
    if let Some(redis) = redis.as_ref().filter(|_| oauth.is_none()) {
        mcp = mcp.with_shared_subscriptions(
            crate::redis_cache::session_subs::SharedSubscriptions::new(
                redis.clone(),
                limits.session_idle_timeout,
            ),
        );
    }
    let opts = HttpOptions {
        addr,
        allowed_hosts,
        allowed_origins,
        auth,
        metrics: metrics.clone(),
        shutdown_grace: args.shutdown_grace(),
        max_body_bytes,
        limits,
        // With Redis, any replica can serve any 2025-11-25 session.
        session_store: redis
            .clone()
            .map(|r| http::RedisSessionStore::new(r, limits.session_idle_timeout)),
        oauth,
    };
    http::serve(
        mcp,
        Readiness::new(client).with_redis(redis),
        opts,
        crate::metrics::router(metrics.clone()),
        http::shutdown_signal(),
    )
    .await?;
    if let Some(handle) = sandbox {
        handle.shutdown().await;
    }
    Ok(())
}

async fn serve_stdio(common: &CommonArgs, args: &crate::config::StdioArgs) -> Result<(), AppError> {
    use rmcp::ServiceExt;
    init_logging(&common.log.log_level, common.log.log_format);
    let max_message_bytes = args.max_message_bytes()?;
    let Built {
        client, sandbox, ..
    } = build_client(common, &Metrics::disabled()).await?;
    let transport =
        crate::stdio::transport(tokio::io::stdin(), tokio::io::stdout(), max_message_bytes);
    let mcp = SpotifyMcp::new(client, mcp_options(common)).closing_with(transport.input_ended());
    let service = mcp
        .serve(transport)
        .await
        .map_err(|e| AppError::Stdio(e.to_string()))?;
    tokio::select! {
        done = service.waiting() => {
            done.map_err(|e| AppError::Stdio(e.to_string()))?;
        }
        () = http::shutdown_signal() => {}
    }
    if let Some(handle) = sandbox {
        handle.shutdown().await;
    }
    Ok(())
}

async fn auth(action: AuthAction, spotify: &SpotifyArgs) -> Result<(), AppError> {
    init_logging("warn", LogFormat::Text);
    match action {
        AuthAction::Login(args) => {
            let client_id = spotify
                .client_id
                .clone()
                .filter(|id| !id.trim().is_empty())
                .ok_or(ConfigError::MissingClientId)?;
            spotify.validate_urls()?;
            let store = TokenStore::at_or_default(spotify.token_file.as_deref())?;
            let cfg =
                SpotifyConfig::new(client_id, Credentials::TokenFile(store.path().to_owned()))
                    .with_base_urls(&spotify.api_base_url, &spotify.accounts_base_url);
            let options = crate::spotify::auth::login::LoginOptions {
                port: args.redirect_port,
                token_path: Some(store.path().to_owned()),
                ..Default::default()
            };
            let tokens =
                crate::spotify::auth::login::login(&cfg, !args.no_browser, &options).await?;
            let stored = format!("Logged in. Token stored in {}", store.path().display());
            match (
                &args.print_secret,
                &tokens.refresh_token,
                tokens.authorized_at,
            ) {
                (None, _, _) => println!("{stored}"),
                // stdout carries the manifest alone, so it can be piped to kubectl.
                (Some(name), Some(refresh), Some(at)) => {
                    eprintln!("{stored}");
                    print!("{}", secret_manifest(name, &cfg.client_id, refresh, at));
                }
                (Some(_), _, _) => {
                    return Err(SpotifyError::Auth {
                        message:
                            "Spotify returned no refresh token, so there is no Secret to print"
                                .into(),
                    }
                    .into());
                }
            }
        }
        AuthAction::Status => {
            let status = TokenStore::at_or_default(spotify.token_file.as_deref())?.status()?;
            if !status.logged_in {
                println!(
                    "Not logged in (no token at {}). Run `spotify-mcp-server auth login`.",
                    status.path.display()
                );
            } else {
                println!("Logged in; token file {}", status.path.display());
                if let Some(id) = &status.client_id {
                    println!("client ID: {id}");
                }
                println!("refresh token stored: {}", status.has_refresh_token);
                if let Some(secs) = status.access_token_expires_in_secs {
                    if secs > 0 {
                        println!("access token expires in {secs} s");
                    } else {
                        println!(
                            "access token expired {} s ago (refreshed on next use)",
                            -secs
                        );
                    }
                }
                println!("scopes: {}", status.scopes.join(" "));
                match (status.authorized_at, status.refresh_token_expires_at) {
                    (Some(at), Some(expires)) => {
                        println!("authorised at: {}", format_rfc3339(at));
                        println!(
                            "refresh token stops working at: {} (six months after authorising; run `auth login` before then)",
                            format_rfc3339(expires)
                        );
                    }
                    _ => println!(
                        "authorised at: unknown (this login predates recorded dates); the refresh token stops working six months after it was authorised, so run `auth login` again to know when"
                    ),
                }
            }
        }
        AuthAction::Logout => {
            let store = TokenStore::at_or_default(spotify.token_file.as_deref())?;
            if store.delete()? {
                println!("Removed {}", store.path().display());
            } else {
                println!("No stored token at {}.", store.path().display());
            }
        }
    }
    Ok(())
}

async fn healthcheck(url: &str) -> Result<(), AppError> {
    let unreachable = |source| AppError::Unreachable {
        url: url.to_owned(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(unreachable)?;
    let response = client.get(url).send().await.map_err(unreachable)?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(AppError::Unhealthy {
            url: url.to_owned(),
            reason: format!("HTTP {}", response.status()),
        })
    }
}

// It runs the sandbox.
#[cfg(all(test, feature = "sandbox"))]
mod tests {
    use super::*;
    use crate::spotify::api::Page;
    use crate::spotify::models::{SearchRequest, SearchType};

    /// What a Premium client of the sandbox finds first: saved tracks and a search.
    async fn first_things(client: &SpotifyClient) -> (Vec<Option<String>>, Vec<Option<String>>) {
        let saved = client
            .get_saved_tracks(None, Page::new(5, 0))
            .await
            .unwrap();
        let found = client
            .search(&SearchRequest {
                query: "the".into(),
                types: vec![SearchType::Track],
                limit: Some(5),
                ..Default::default()
            })
            .await
            .unwrap();
        let tracks = found.tracks.expect("tracks were asked for");
        (
            saved.items.into_iter().map(|s| s.track.id).collect(),
            tracks.items.into_iter().map(|t| t.id).collect(),
        )
    }

    /// The `sandbox` subcommand served seed 42 and `--sandbox` seed 2026, so what
    /// one showed could not be found in the other. Both now serve one default world.
    #[tokio::test]
    async fn the_sandbox_subcommand_and_sandbox_mode_serve_one_world() {
        let parse = |args: &[&str]| {
            Cli::try_parse_checked_from([&["spotify-mcp-server"], args].concat()).unwrap()
        };
        let Some(Command::Sandbox(args)) = parse(&["sandbox"]).command else {
            panic!("not the sandbox subcommand");
        };
        let standalone = sandbox::spawn(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            args.options(),
        )
        .await
        .unwrap();
        let of_subcommand = SpotifyClient::new(sandbox::client_config(
            &standalone,
            sandbox::PREMIUM_REFRESH_TOKEN,
        ))
        .unwrap();
        // `--sandbox` the way the server starts it.
        let built = build_client(&parse(&["--sandbox"]).serve.common, &Metrics::disabled())
            .await
            .unwrap();

        let (saved, found) = first_things(&of_subcommand).await;
        assert!(saved.len() == 5 && found.len() == 5, "{saved:?} {found:?}");
        assert_eq!(first_things(&built.client).await, (saved, found));

        standalone.shutdown().await;
        if let Some(embedded) = built.sandbox {
            embedded.shutdown().await;
        }
    }
}

/// A build without the sandbox: `--sandbox` and the `sandbox` subcommand are start-up errors
/// that say why (`cargo test -p spotify-mcp-server --no-default-features --lib app::`).
#[cfg(all(test, not(feature = "sandbox")))]
mod without_sandbox {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_checked_from([&["spotify-mcp-server"], args].concat())
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[tokio::test]
    async fn sandbox_mode_and_the_sandbox_subcommand_say_the_build_leaves_it_out() {
        let built = build_client(&parse(&["--sandbox"]).serve.common, &Metrics::disabled()).await;
        let Err(err) = built else {
            panic!("--sandbox started in a build without the sandbox");
        };
        assert!(
            matches!(err, AppError::SandboxLeftOut("--sandbox")),
            "{err}"
        );
        assert!(err.to_string().contains("`sandbox` cargo feature"), "{err}");
        let err = run(parse(&["sandbox"])).await.err();
        assert!(
            matches!(
                err,
                Some(AppError::SandboxLeftOut("the `sandbox` subcommand"))
            ),
            "{err:?}"
        );
    }
}
