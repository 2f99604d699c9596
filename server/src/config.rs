//! Command line and environment configuration, parsed with clap and validated once at start.
//!
//! Every option has a flag and an environment variable so a Kubernetes Deployment (or the
//! operator) can configure the server without a config file. Secrets are only ever read from
//! the environment or from files, never from flags, so they do not show up in `ps`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::mcp::Toolset;
use crate::spotify::RateLimitPolicy;

/// Default port for `/mcp`, `/metrics`, `/healthz` and `/readyz`.
pub const DEFAULT_PORT: u16 = 8000;

/// A Spotify MCP server: streamable HTTP and stdio, with a built-in sandbox of the Spotify Web API.
///
/// The options every mode shares ([`CommonArgs`], with [`SpotifyArgs`]) are global: they may
/// come before or after the subcommand (`--sandbox stdio` and `stdio --sandbox` are the same).
/// Parse with [`Cli::parse_checked`], which also refuses an option the chosen mode does not use.
#[derive(Debug, Parser)]
#[command(name = "spotify-mcp-server", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Without a subcommand: serve MCP over streamable HTTP at /mcp. Its common part also
    /// holds the global options given with a subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdin/stdout, for desktop clients that launch the server themselves.
    Stdio(StdioArgs),
    /// Log in to Spotify (Authorization Code with PKCE) and manage the stored token.
    Auth {
        #[command(subcommand)]
        action: AuthAction,
    },
    /// Serve only the fake Spotify Web API (the sandbox), for any Spotify client to point at.
    Sandbox(SandboxArgs),
    /// Exit 0 when the server at --url answers /healthz (for container HEALTHCHECKs).
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Subcommand)]
pub enum AuthAction {
    /// Open the Spotify consent page, receive the callback on 127.0.0.1 and store the token.
    Login(LoginArgs),
    /// Show whether a token is stored and when it expires (never prints the token).
    Status,
    /// Delete the stored token file.
    Logout,
}

#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Loopback port for the OAuth callback; register http://127.0.0.1:PORT/callback in your Spotify app.
    #[arg(long, env = "SPOTIFY_REDIRECT_PORT", default_value_t = 8888)]
    pub redirect_port: u16,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// After logging in, print a Kubernetes Secret of this name to stdout (client ID, refresh
    /// token and the annotation spotifymcp.dev/authorized-at) for the operator or the chart.
    #[arg(long, value_name = "NAME", value_parser = crate::spotify::auth::manifest::parse_secret_name)]
    pub print_secret: Option<String>,
}

/// `stdio`: the stdio transport's own bound (the shared options are global, in [`CommonArgs`]).
#[derive(Debug, Clone, Args)]
pub struct StdioArgs {
    /// Largest JSON-RPC message (one line on stdin) accepted, in bytes; a longer line is
    /// answered with a -32600 error and skipped.
    #[arg(
        long,
        env = "SPOTIFY_MCP_MAX_MESSAGE_BYTES",
        default_value_t = crate::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES as u64
    )]
    pub max_message_bytes: u64,
}

impl StdioArgs {
    /// The line bound of stdin: at least 16 KiB, at most 64 MiB (as `--max-request-body-bytes`).
    pub fn max_message_bytes(&self) -> Result<usize, ConfigError> {
        let bytes = in_range(
            "--max-message-bytes",
            self.max_message_bytes,
            16 * 1024,
            64 * 1024 * 1024,
        )?;
        Ok(usize::try_from(bytes).unwrap_or(usize::MAX))
    }
}

/// Options shared by every mode that talks to Spotify (HTTP and stdio). Global: accepted before
/// and after a subcommand.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub spotify: SpotifyArgs,

    /// Run against the built-in sandbox (a fake Spotify Web API on an ephemeral loopback port).
    #[arg(long, global = true, env = "SPOTIFY_MCP_SANDBOX")]
    pub sandbox: bool,

    /// With --sandbox: record every exchange with the fake API (readable at its /sandbox/requests).
    #[arg(long, global = true, env = "SPOTIFY_MCP_SANDBOX_RECORD")]
    pub sandbox_record_requests: bool,

    /// With --sandbox: act as the sandbox's free (non-Premium) user.
    #[arg(long, global = true, env = "SPOTIFY_MCP_SANDBOX_FREE_USER")]
    pub sandbox_free_user: bool,

    /// Toolsets to expose, comma separated (playback, search, catalog, library, playlists,
    /// profile, composite, extended). Default: all but extended.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_TOOLSETS",
        value_delimiter = ','
    )]
    pub toolsets: Vec<Toolset>,

    /// Expose only tools that change nothing.
    #[arg(long, global = true, env = "SPOTIFY_MCP_READ_ONLY")]
    pub read_only: bool,

    /// How often a resource someone subscribed to is re-read from Spotify to find changes, in
    /// milliseconds (one read per resource, however many subscribers).
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_SUBSCRIPTION_POLL_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(200..=600_000)
    )]
    pub subscription_poll_ms: u64,

    /// Response cache: `memory`, `none`, or a `redis://` URL.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_CACHE",
        default_value = "memory"
    )]
    pub cache: CacheSetting,

    /// Upper bound of the in-memory cache, in MiB.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_CACHE_SIZE_MB",
        default_value_t = 64
    )]
    pub cache_size_mb: u64,

    /// When the user authorised SPOTIFY_REFRESH_TOKEN (RFC 3339, e.g. 2026-01-31T18:00:00Z; the
    /// operator sets it from the Secret's spotifymcp.dev/authorized-at annotation). The refresh
    /// token stops working six months later; the server exports the date as metrics. A token
    /// file's own date wins.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_AUTHORIZED_AT",
        value_name = "RFC3339",
        value_parser = crate::spotify::auth::expiry::parse_authorized_at
    )]
    pub authorized_at: Option<chrono::DateTime<chrono::Utc>>,

    #[command(flatten)]
    pub log: LogArgs,
}

/// How the server logs (HTTP, stdio and the `sandbox` subcommand). Global, as [`CommonArgs`].
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter (tracing syntax, e.g. `info` or `spotify_mcp_server=debug`).
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_LOG",
        default_value = "info,rmcp=warn"
    )]
    pub log_level: String,

    /// Log format on stderr.
    #[arg(long, global = true, env = "SPOTIFY_MCP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Where Spotify is and who we are to it (HTTP, stdio and `auth`). Secrets come from the
/// environment only. Global, as [`CommonArgs`].
#[derive(Debug, Clone, Args)]
pub struct SpotifyArgs {
    /// Spotify app client ID.
    #[arg(long, global = true, env = "SPOTIFY_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Spotify Web API base URL.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_API_BASE_URL",
        default_value = "https://api.spotify.com/v1"
    )]
    pub api_base_url: String,

    /// Spotify accounts (OAuth) base URL.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_ACCOUNTS_BASE_URL",
        default_value = "https://accounts.spotify.com"
    )]
    pub accounts_base_url: String,

    /// Token file written by `auth login` (default: the platform config dir).
    #[arg(long, global = true, env = "SPOTIFY_MCP_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,

    /// Longest Retry-After wait honoured before a call fails as rate limited, in seconds.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_MAX_RETRY_WAIT",
        default_value_t = 10
    )]
    pub max_retry_wait_secs: u64,

    /// Timeout of each request to Spotify, in seconds.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_REQUEST_TIMEOUT",
        default_value_t = 10
    )]
    pub request_timeout_secs: u64,

    /// The one deadline of a call to Spotify, in seconds: rate-limit and token waits, every
    /// request and its retries together.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_CALL_TIMEOUT",
        default_value_t = 30
    )]
    pub call_timeout_secs: u64,

    /// How requests to Spotify are paced: `adaptive` (nothing waits until Spotify answers 429,
    /// then every call waits out its Retry-After), `off` (no client-side pacing), or a fixed
    /// `N/s` per client ID with an optional `,burst=M`.
    #[arg(
        long,
        global = true,
        env = "SPOTIFY_MCP_SPOTIFY_RATE_LIMIT",
        default_value = "adaptive",
        value_name = "adaptive|off|N/s[,burst=M]"
    )]
    pub spotify_rate_limit: RateLimitPolicy,

    /// A PEM file of CA certificates to trust for Spotify besides the system's trust store
    /// (`SSL_CERT_FILE`/`SSL_CERT_DIR` also work), e.g. a TLS-inspecting proxy's CA.
    #[arg(long, global = true, env = "SPOTIFY_MCP_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

/// Options of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Address to bind, `HOST` or `HOST:PORT` (as `sandbox --bind`). Loopback by default; use
    /// 0.0.0.0 in a container.
    #[arg(long, env = "SPOTIFY_MCP_BIND", default_value_t = BindAddr::default())]
    pub bind: BindAddr,

    /// Port for /mcp, /metrics, /healthz, /readyz and /status [default: 8000].
    #[arg(long, env = "SPOTIFY_MCP_PORT")]
    pub port: Option<u16>,

    /// Extra Host header names accepted (loopback names are always accepted), e.g. the Service
    /// DNS names of a pod. Other names get 403; /metrics, /healthz and /readyz also accept any
    /// IP literal (probes and scrapes by pod IP).
    #[arg(long, env = "SPOTIFY_MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Browser origins accepted on /mcp (scheme://host[:port], `:*` for any port). Requests
    /// with another Origin get 403; requests without an Origin header are accepted.
    #[arg(long, env = "SPOTIFY_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// File with accepted bearer tokens for /mcp, one per line (e.g. a mounted Kubernetes
    /// Secret; re-read when it changes). With this or SPOTIFY_MCP_AUTH_TOKENS set, /mcp
    /// requires `Authorization: Bearer <token>`.
    #[arg(long, env = "SPOTIFY_MCP_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,

    #[command(flatten)]
    pub hosted: crate::oauth::HostedArgs,

    /// How long in-flight calls may finish after SIGTERM/SIGINT, in seconds.
    #[arg(
        long = "shutdown-grace",
        alias = "shutdown-grace-secs",
        env = "SPOTIFY_MCP_SHUTDOWN_GRACE",
        default_value_t = 10
    )]
    pub shutdown_grace_secs: u64,

    /// Largest request body accepted on /mcp, in bytes (a larger one gets 413).
    #[arg(
        long,
        env = "SPOTIFY_MCP_MAX_REQUEST_BODY_BYTES",
        default_value_t = crate::http::DEFAULT_MAX_BODY_BYTES as u64
    )]
    pub max_request_body_bytes: u64,

    /// Seconds a client has to send a complete request head, counted from the connection's
    /// start or the end of its previous response: this is also how long an idle keep-alive
    /// connection stays open.
    #[arg(
        long = "header-read-timeout",
        env = "SPOTIFY_MCP_HEADER_READ_TIMEOUT",
        default_value_t = 10
    )]
    pub header_read_timeout_secs: u64,

    /// Seconds a client has to send a request body once its head arrived (408 after that).
    #[arg(
        long = "request-body-timeout",
        env = "SPOTIFY_MCP_REQUEST_BODY_TIMEOUT",
        default_value_t = 30
    )]
    pub request_body_timeout_secs: u64,

    /// Open connections served at once; one more is answered 503 and closed.
    #[arg(long, env = "SPOTIFY_MCP_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: u64,

    /// 2025-11-25 MCP sessions kept at once; a new one beyond is refused with 503.
    #[arg(long, env = "SPOTIFY_MCP_MAX_SESSIONS", default_value_t = 1000)]
    pub max_sessions: u64,

    /// Seconds without activity after which a session is closed and forgotten.
    #[arg(
        long = "session-idle-timeout",
        env = "SPOTIFY_MCP_SESSION_IDLE_TIMEOUT",
        default_value_t = 300
    )]
    pub session_idle_timeout_secs: u64,
}

/// The default `sandbox --seed`: the sandbox's own default seed, stated here too so that the
/// command line (and the README's flag table) is the same in a build without the sandbox; a
/// unit test checks they agree.
const SANDBOX_SEED: u64 = 2026;

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address for the fake Spotify Web API.
    #[arg(long, default_value = "127.0.0.1:8900")]
    pub bind: SocketAddr,
    /// Seed of the generated catalog and user (the world of the server's --sandbox by default).
    #[arg(long, default_value_t = SANDBOX_SEED)]
    pub seed: u64,
    /// Serve the endpoints only extended-quota apps still have.
    #[arg(long)]
    pub extended_quota: bool,
    /// Record every exchange, readable at /sandbox/requests.
    #[arg(long)]
    pub record_requests: bool,
    /// Host names (e.g. a Kubernetes Service name) that may use the control endpoints
    /// (/sandbox/...) besides localhost and IP addresses; the Web API answers any name.
    #[arg(long, value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
}

impl SandboxArgs {
    /// What the `sandbox` subcommand serves.
    #[cfg(any(feature = "sandbox", test))]
    pub fn options(&self) -> crate::sandbox::SandboxOptions {
        crate::sandbox::SandboxOptions {
            seed: self.seed,
            extended_quota: self.extended_quota,
            record_requests: self.record_requests,
            allowed_hosts: self.allowed_hosts.clone(),
            ..crate::sandbox::SandboxOptions::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Health endpoint to probe.
    #[arg(long, default_value = "http://127.0.0.1:8000/healthz")]
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Validation failures of the configuration, reported before anything starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no Spotify credentials: set SPOTIFY_CLIENT_ID (plus SPOTIFY_CLIENT_SECRET and/or SPOTIFY_REFRESH_TOKEN), run `spotify-mcp-server auth login`, or try `--sandbox`"
    )]
    MissingClientId,
    #[error("invalid {name} URL {value:?}: {reason}")]
    InvalidUrl {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "invalid --cache value {0:?}: expected `memory`, `none` or a redis:// (or unix://) URL"
    )]
    InvalidCache(String),
    #[error("{0}")]
    UnsupportedCacheUrl(String),
    #[error("--cache-size-mb must be between 1 and 65536, got {0}")]
    InvalidCacheSize(u64),
    #[error(
        "invalid allowed origin {0:?}: it must include a scheme, e.g. https://app.example.com:443"
    )]
    InvalidOrigin(String),
    /// rmcp counts a session idle from its last message, also while a call in it is running:
    /// a session could be closed under its own call.
    #[error(
        "--session-idle-timeout ({idle} s) must be longer than --call-timeout-secs ({call} s): a session would be closed while a call in it is still running"
    )]
    SessionIdleNotAboveCallTimeout { idle: u64, call: u64 },
    #[error("--bind gives port {bind} and --port gives {port}: give the port once")]
    ConflictingPorts { bind: u16, port: u16 },
    #[error("{name} must be between {min} and {max}, got {value}")]
    OutOfRange {
        name: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
}

impl Cli {
    /// The process's command line, checked as [`Cli::try_parse_checked_from`]; on an error,
    /// prints clap's message and exits (status 2, or 0 for `--help` and `--version`).
    pub fn parse_checked() -> Self {
        Self::try_parse_checked_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the program name first), then refuses an option given on the command
    /// line that the chosen mode does not use: one of the HTTP server's own options with a
    /// subcommand (`--bind 0.0.0.0 stdio`), or a global option with a subcommand that would
    /// ignore it (`sandbox --read-only`). Values from the environment are never refused: one
    /// environment can serve several modes.
    pub fn try_parse_checked_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Self::checked_command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some(mode) = matches.subcommand_name() {
            let uses = Mode::of(mode).global_ids();
            let unused = command.get_arguments().find(|arg| {
                matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
                    && !(arg.is_global_set() && uses.contains(arg.get_id()))
            });
            if let Some(arg) = unused {
                let long = arg.get_long().unwrap_or(arg.get_id().as_str());
                let message = if arg.is_global_set() {
                    format!("the argument '--{long}' does nothing with the subcommand '{mode}'")
                } else {
                    let own = command
                        .find_subcommand(mode)
                        .is_some_and(|sc| sc.get_arguments().any(|a| a.get_long() == Some(long)));
                    let hint = if own {
                        format!(" ('{mode}' has its own '--{long}': give it after '{mode}')")
                    } else {
                        String::new()
                    };
                    format!(
                        "the argument '--{long}' is an option of the HTTP server (no subcommand), not of '{mode}'{hint}"
                    )
                };
                return Err(command.error(clap::error::ErrorKind::ArgumentConflict, message));
            }
        }
        let cli = Self::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        // Checked here, not with clap's `requires`: clap checks that of a global option on the
        // side of the subcommand it was given on, so `--sandbox-free-user stdio --sandbox`
        // would be refused.
        let common = &cli.serve.common;
        for (given, flag) in [
            (common.sandbox_record_requests, "--sandbox-record-requests"),
            (common.sandbox_free_user, "--sandbox-free-user"),
        ] {
            if given && !common.sandbox {
                return Err(command.error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    format!("{flag} needs --sandbox (or SPOTIFY_MCP_SANDBOX=true)"),
                ));
            }
        }
        Ok(cli)
    }
}

impl Cli {
    /// The command of [`Cli::try_parse_checked_from`]: each subcommand holds a hidden copy of
    /// the global options it does not use, so that its `--help` lists only what it uses (clap
    /// does not give a global option to a subcommand that has one of the same name). Given
    /// anyway, such an option is still parsed and its value still reaches the top, where the
    /// check refuses it.
    fn checked_command() -> clap::Command {
        let mut command = Self::command();
        let globals: Vec<clap::Arg> = command
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .cloned()
            .collect();
        let modes: Vec<String> = command
            .get_subcommands()
            .map(|sc| sc.get_name().to_owned())
            .collect();
        for mode in modes {
            let uses = Mode::of(&mode).global_ids();
            command = command.mut_subcommand(&mode, |mut sc| {
                for arg in globals.iter().filter(|arg| !uses.contains(arg.get_id())) {
                    sc = sc.arg(arg.clone().hide(true));
                }
                sc
            });
        }
        command
    }
}

/// A subcommand, for which global options it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Stdio,
    Auth,
    Sandbox,
    Other,
}

impl Mode {
    fn of(subcommand: &str) -> Self {
        match subcommand {
            "stdio" => Self::Stdio,
            "auth" => Self::Auth,
            "sandbox" => Self::Sandbox,
            _ => Self::Other,
        }
    }

    /// The ids of the global options this mode uses.
    fn global_ids(self) -> Vec<clap::Id> {
        let ids = |command: clap::Command| -> Vec<clap::Id> {
            command
                .get_arguments()
                .map(|a| a.get_id().clone())
                .collect()
        };
        let empty = || clap::Command::new("ids");
        match self {
            Self::Stdio => ids(CommonArgs::augment_args(empty())),
            Self::Auth => ids(SpotifyArgs::augment_args(empty())),
            Self::Sandbox => ids(LogArgs::augment_args(empty())),
            Self::Other => Vec::new(),
        }
    }
}

/// `value` when it is within `min..=max`, else an error naming the option.
fn in_range(name: &'static str, value: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange {
            name,
            value,
            min,
            max,
        })
    }
}

/// Which response cache backs the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheBackend {
    None,
    Memory,
    Redis(CacheSetting),
}

/// A `--cache` value as given. A Redis URL can carry a password (in its user part or, for
/// a socket, its query), so `Debug` shows the scheme alone: a debug dump of the parsed
/// arguments never holds the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CacheSetting(String);

impl CacheSetting {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for CacheSetting {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for CacheSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once("://") {
            Some((scheme, _)) => write!(f, "\"{scheme}://<redacted>\""),
            None => write!(f, "{:?}", self.0),
        }
    }
}

impl CommonArgs {
    /// The validated cache choice.
    pub fn cache_backend(&self) -> Result<CacheBackend, ConfigError> {
        if !(1..=65536).contains(&self.cache_size_mb) {
            return Err(ConfigError::InvalidCacheSize(self.cache_size_mb));
        }
        match self.cache.as_str() {
            "memory" => Ok(CacheBackend::Memory),
            "none" | "off" => Ok(CacheBackend::None),
            url if url.contains("://") => match crate::redis_cache::check_scheme(url) {
                Ok(()) => Ok(CacheBackend::Redis(self.cache.clone())),
                Err(e) => Err(ConfigError::UnsupportedCacheUrl(e.to_string())),
            },
            other => Err(ConfigError::InvalidCache(other.to_owned())),
        }
    }

    /// What the built-in sandbox of `--sandbox` serves: the default world.
    #[cfg(any(feature = "sandbox", test))]
    pub fn sandbox_options(&self) -> crate::sandbox::SandboxOptions {
        crate::sandbox::SandboxOptions {
            record_requests: self.sandbox_record_requests,
            ..crate::sandbox::SandboxOptions::default()
        }
    }

    /// The toolsets to expose: the given ones, or the default set.
    pub fn toolsets(&self) -> Vec<Toolset> {
        if self.toolsets.is_empty() {
            Toolset::defaults().to_vec()
        } else {
            self.toolsets.clone()
        }
    }
}

impl SpotifyArgs {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout_secs.max(1))
    }

    pub fn max_retry_wait(&self) -> Duration {
        Duration::from_secs(self.max_retry_wait_secs)
    }

    /// Checks that both base URLs parse as http(s) URLs.
    pub fn validate_urls(&self) -> Result<(), ConfigError> {
        for (name, value) in [
            ("SPOTIFY_API_BASE_URL", &self.api_base_url),
            ("SPOTIFY_ACCOUNTS_BASE_URL", &self.accounts_base_url),
        ] {
            let parsed = url::Url::parse(value).map_err(|e| ConfigError::InvalidUrl {
                name,
                value: value.clone(),
                reason: e.to_string(),
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::InvalidUrl {
                    name,
                    value: value.clone(),
                    reason: "the scheme must be http or https".into(),
                });
            }
        }
        Ok(())
    }
}

/// `--bind`: an IP address, with a port or without one (`127.0.0.1`, `0.0.0.0:8000`, `::1`,
/// `[::1]:8000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindAddr {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

impl Default for BindAddr {
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
        }
    }
}

impl std::str::FromStr for BindAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self { ip, port: None });
        }
        // `[::1]`: an IPv6 host written as in a URL, without a port.
        if let Some(Ok(ip @ IpAddr::V6(_))) = s
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .map(str::parse::<IpAddr>)
        {
            return Ok(Self { ip, port: None });
        }
        s.parse::<SocketAddr>()
            .map(|a| Self {
                ip: a.ip(),
                port: Some(a.port()),
            })
            .map_err(|_| {
                format!(
                    "{s:?} is not an IP address or IP:PORT (e.g. 0.0.0.0, 0.0.0.0:8000, [::1]:8000)"
                )
            })
    }
}

impl fmt::Display for BindAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => SocketAddr::new(self.ip, port).fmt(f),
            None => self.ip.fmt(f),
        }
    }
}

impl ServeArgs {
    /// The port: from `--bind HOST:PORT`, else `--port`, else 8000.
    pub fn port(&self) -> u16 {
        self.bind.port.or(self.port).unwrap_or(DEFAULT_PORT)
    }

    /// The address to listen on; `--bind HOST:PORT` and a different `--port` are refused.
    pub fn addr(&self) -> Result<SocketAddr, ConfigError> {
        if let (Some(bound), Some(port)) = (self.bind.port, self.port)
            && bound != port
        {
            return Err(ConfigError::ConflictingPorts { bind: bound, port });
        }
        Ok(SocketAddr::new(self.bind.ip, self.port()))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// Connection limits, each checked against a sane range.
    pub fn connection_limits(&self) -> Result<crate::http::ConnectionLimits, ConfigError> {
        let secs = |name, value| in_range(name, value, 1, 3600).map(Duration::from_secs);
        Ok(crate::http::ConnectionLimits {
            header_read_timeout: secs("--header-read-timeout", self.header_read_timeout_secs)?,
            request_body_timeout: secs("--request-body-timeout", self.request_body_timeout_secs)?,
            max_connections: usize::try_from(in_range(
                "--max-connections",
                self.max_connections,
                1,
                1_000_000,
            )?)
            .unwrap_or(usize::MAX),
            max_sessions: usize::try_from(in_range(
                "--max-sessions",
                self.max_sessions,
                1,
                1_000_000,
            )?)
            .unwrap_or(usize::MAX),
            session_idle_timeout: self.session_idle_timeout()?,
        })
    }

    /// The idle expiry of 2025-11-25 sessions: longer than the call deadline, as rmcp counts a
    /// session idle from its last message, also while a call in it is running (found by the
    /// soak: with both at 5 s, sessions ended under their calls).
    fn session_idle_timeout(&self) -> Result<Duration, ConfigError> {
        let idle = in_range(
            "--session-idle-timeout",
            self.session_idle_timeout_secs,
            1,
            7 * 24 * 3600,
        )?;
        let call = self.common.spotify.call_timeout().as_secs();
        if idle <= call {
            return Err(ConfigError::SessionIdleNotAboveCallTimeout { idle, call });
        }
        Ok(Duration::from_secs(idle))
    }

    /// The request body bound of /mcp: at least 16 KiB, at most 64 MiB.
    pub fn max_request_body_bytes(&self) -> Result<usize, ConfigError> {
        let bytes = in_range(
            "--max-request-body-bytes",
            self.max_request_body_bytes,
            16 * 1024,
            64 * 1024 * 1024,
        )?;
        Ok(usize::try_from(bytes).unwrap_or(usize::MAX))
    }

    /// Host header values accepted on /mcp: loopback names plus the configured ones, each
    /// with and without the port.
    pub fn allowed_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        for host in self
            .allowed_hosts
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
        {
            hosts.push(host.to_owned());
        }
        let mut with_ports: Vec<String> = hosts
            .iter()
            .filter(|h| !h.contains(':') || h.starts_with('['))
            .map(|h| format!("{h}:{}", self.port()))
            .collect();
        hosts.append(&mut with_ports);
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// Allowed browser origins, validated to carry a scheme.
    pub fn allowed_origins(&self) -> Result<Vec<String>, ConfigError> {
        self.allowed_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(|o| {
                if o == "null" || o.contains("://") {
                    Ok(o.to_owned())
                } else {
                    Err(ConfigError::InvalidOrigin(o.to_owned()))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn try_parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut full = vec!["spotify-mcp-server"];
        full.extend_from_slice(args);
        Cli::try_parse_checked_from(full)
    }

    fn parse(args: &[&str]) -> Cli {
        try_parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn the_default_sandbox_seed_is_the_sandboxs() {
        assert_eq!(SANDBOX_SEED, crate::sandbox::DEFAULT_SEED);
        let Some(Command::Sandbox(args)) = parse(&["sandbox"]).command else {
            panic!("not the sandbox subcommand");
        };
        assert_eq!(args.options().seed, crate::sandbox::DEFAULT_SEED);
    }

    /// `--sandbox stdio` works as `stdio --sandbox` does: the options every mode shares are
    /// global, before, after or around the subcommand.
    #[test]
    fn shared_options_work_before_and_after_the_subcommand() {
        for args in [
            &["--sandbox", "--read-only", "--toolsets", "search", "stdio"][..],
            &["stdio", "--sandbox", "--read-only", "--toolsets", "search"],
            &["--sandbox", "stdio", "--toolsets", "search", "--read-only"],
        ] {
            let cli = parse(args);
            assert!(matches!(cli.command, Some(Command::Stdio(_))), "{args:?}");
            let common = &cli.serve.common;
            assert!(common.sandbox && common.read_only, "{args:?}");
            assert_eq!(common.toolsets(), vec![Toolset::Search], "{args:?}");
        }
        // `--sandbox-free-user` requires `--sandbox`, also when they are on either side.
        let cli = parse(&["--sandbox-free-user", "stdio", "--sandbox"]);
        assert!(cli.serve.common.sandbox && cli.serve.common.sandbox_free_user);
        let cli = parse(&["--sandbox", "stdio", "--sandbox-record-requests"]);
        assert!(cli.serve.common.sandbox && cli.serve.common.sandbox_record_requests);
        for args in [
            &["--sandbox-free-user", "stdio"][..],
            &["stdio", "--sandbox-record-requests"],
            &["--sandbox-free-user"],
        ] {
            let err = try_parse(args).unwrap_err().to_string();
            assert!(err.contains("needs --sandbox"), "{args:?}: {err}");
        }
        // The stdio bound stays an option of `stdio`.
        let Some(Command::Stdio(stdio)) = parse(&[
            "--log-format",
            "json",
            "stdio",
            "--max-message-bytes",
            "65536",
        ])
        .command
        else {
            panic!("not stdio");
        };
        assert_eq!(stdio.max_message_bytes().unwrap(), 65536);
        assert!(try_parse(&["--max-message-bytes", "65536", "stdio"]).is_err());
        // The Spotify options also reach `auth`, and the log options `sandbox`.
        for args in [
            &["--token-file", "/tmp/t.json", "auth", "status"][..],
            &["auth", "--token-file", "/tmp/t.json", "status"],
            &["auth", "status", "--token-file", "/tmp/t.json"],
            &[
                "auth",
                "login",
                "--no-browser",
                "--token-file",
                "/tmp/t.json",
            ],
        ] {
            let cli = parse(args);
            assert!(
                matches!(cli.command, Some(Command::Auth { .. })),
                "{args:?}"
            );
            let token_file = cli.serve.common.spotify.token_file;
            assert_eq!(token_file, Some(PathBuf::from("/tmp/t.json")), "{args:?}");
        }
        for args in [
            &["--log-level", "debug", "sandbox", "--seed", "7"][..],
            &["sandbox", "--seed", "7", "--log-level", "debug"],
        ] {
            let cli = parse(args);
            assert!(matches!(cli.command, Some(Command::Sandbox(_))), "{args:?}");
            assert_eq!(cli.serve.common.log.log_level, "debug", "{args:?}");
        }
        // Without a subcommand nothing changed.
        let cli = parse(&["--sandbox", "--bind", "0.0.0.0:9000"]);
        assert!(cli.command.is_none() && cli.serve.common.sandbox);
    }

    /// Accepting options on both sides must not make an option silently do nothing.
    #[test]
    fn options_a_mode_does_not_use_are_refused() {
        let refused = |args: &[&str]| match try_parse(args) {
            Ok(cli) => panic!("{args:?} accepted: {cli:?}"),
            Err(e) => e.to_string(),
        };
        for args in [
            &["--bind", "0.0.0.0", "stdio"][..],
            &["--port", "9000", "stdio", "--sandbox"],
            &["--max-sessions", "5", "auth", "status"],
        ] {
            let message = refused(args);
            assert!(
                message.contains(&format!(
                    "the argument '{}' is an option of the HTTP server (no subcommand), not of",
                    args[0]
                )),
                "{args:?}: {message}"
            );
        }
        assert!(refused(&["stdio", "--bind", "0.0.0.0"]).contains("unexpected argument"));
        // Hidden from the help of a subcommand that does not use them, refused all the same.
        let help = |args: &[&str]| refused(&[args, &["--help"]].concat());
        let sandbox = help(&["sandbox"]);
        assert!(
            sandbox.contains("--seed") && sandbox.contains("--log-level"),
            "{sandbox}"
        );
        assert!(!sandbox.contains("--read-only"), "{sandbox}");
        let login = help(&["auth", "login"]);
        assert!(
            login.contains("--token-file") && !login.contains("--cache"),
            "{login}"
        );
        let stdio = help(&["stdio"]);
        assert!(
            stdio.contains("--read-only") && stdio.contains("--token-file"),
            "{stdio}"
        );
        let message = refused(&["--allowed-hosts", "mcp.svc", "sandbox"]);
        assert!(
            message.contains("'sandbox' has its own '--allowed-hosts': give it after 'sandbox'"),
            "{message}"
        );
        for (args, mode) in [
            (&["sandbox", "--read-only"][..], "sandbox"),
            (&["--cache", "none", "sandbox"], "sandbox"),
            (&["healthcheck", "--log-level", "debug"], "healthcheck"),
            (&["auth", "status", "--sandbox"], "auth"),
            (&["--toolsets", "search", "auth", "login"], "auth"),
        ] {
            let message = refused(args);
            assert!(
                message.contains(&format!("does nothing with the subcommand '{mode}'")),
                "{args:?}: {message}"
            );
        }
    }

    #[test]
    fn defaults_bind_loopback_on_8000() {
        let cli = parse(&[]);
        assert_eq!(cli.serve.addr().unwrap(), "127.0.0.1:8000".parse().unwrap());
        assert!(cli.command.is_none());
    }

    #[test]
    fn bind_takes_a_host_or_host_and_port() {
        let addr = |args: &[&str]| parse(args).serve.addr();
        assert_eq!(
            addr(&["--bind", "0.0.0.0"]).unwrap(),
            "0.0.0.0:8000".parse().unwrap()
        );
        assert_eq!(
            addr(&["--bind", "0.0.0.0:9000"]).unwrap(),
            "0.0.0.0:9000".parse().unwrap()
        );
        assert_eq!(
            addr(&["--bind", "[::1]:9000"]).unwrap(),
            "[::1]:9000".parse().unwrap()
        );
        assert_eq!(
            addr(&["--bind", "::1", "--port", "9001"]).unwrap(),
            "[::1]:9001".parse().unwrap()
        );
        assert_eq!(
            addr(&["--bind", "[::1]", "--port", "9001"]).unwrap(),
            "[::1]:9001".parse().unwrap()
        );
        assert!(try_parse(&["--bind", "[127.0.0.1]"]).is_err());
        assert_eq!(
            addr(&["--bind", "127.0.0.1:9000", "--port", "9000"]).unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        let conflict = addr(&["--bind", "127.0.0.1:9000", "--port", "9001"]).unwrap_err();
        assert!(
            conflict.to_string().contains("give the port once"),
            "{conflict}"
        );
        let bad =
            Cli::try_parse_from(["spotify-mcp-server", "--bind", "localhost:80"]).unwrap_err();
        assert!(bad.to_string().contains("IP:PORT"), "{bad}");
        // The port of --bind counts for the Host names accepted too.
        let hosts = parse(&["--bind", "127.0.0.1:9000", "--allowed-hosts", "smcp.svc"])
            .serve
            .allowed_hosts();
        assert!(hosts.contains(&"smcp.svc:9000".to_owned()), "{hosts:?}");
    }

    #[test]
    fn allowed_hosts_include_loopback_and_configured_names_with_port() {
        let cli = parse(&[
            "--allowed-hosts",
            "smcp.music.svc,smcp.music.svc.cluster.local",
        ]);
        let hosts = cli.serve.allowed_hosts();
        for h in [
            "localhost",
            "127.0.0.1:8000",
            "smcp.music.svc",
            "smcp.music.svc:8000",
            "smcp.music.svc.cluster.local:8000",
        ] {
            assert!(hosts.iter().any(|x| x == h), "{h} missing from {hosts:?}");
        }
    }

    #[test]
    fn origins_without_scheme_are_rejected() {
        let cli = parse(&["--allowed-origins", "app.example.com"]);
        assert!(matches!(
            cli.serve.allowed_origins(),
            Err(ConfigError::InvalidOrigin(_))
        ));
        let cli = parse(&["--allowed-origins", "https://app.example.com:443"]);
        assert_eq!(cli.serve.allowed_origins().unwrap().len(), 1);
    }

    #[test]
    fn cache_values_are_validated() {
        let cli = parse(&["--cache", "redis://127.0.0.1:6379"]);
        assert_eq!(
            cli.serve.common.cache_backend().unwrap(),
            CacheBackend::Redis(String::from("redis://127.0.0.1:6379").into())
        );
        let cli = parse(&["--cache", "memcached://x"]);
        assert!(cli.serve.common.cache_backend().is_err());
        // TLS is not built in: refused at start-up with the scheme named, never the password.
        let cli = parse(&["--cache", "rediss://:hunter2@cache.example.com"]);
        let err = cli.serve.common.cache_backend().unwrap_err().to_string();
        assert!(err.contains("rediss") && !err.contains("hunter2"), "{err}");
        let cli = parse(&["--cache", "unix:///run/redis.sock"]);
        assert!(cli.serve.common.cache_backend().is_ok());
        let cli = parse(&["--cache-size-mb", "0"]);
        assert!(cli.serve.common.cache_backend().is_err());
    }

    #[test]
    fn debug_output_never_holds_the_cache_password() {
        for url in [
            "redis://:hunter2@cache.example.com:6379/0",
            "redis://app:hunter2@cache.example.com",
            "unix:///run/redis.sock?pass=hunter2",
        ] {
            let cli = parse(&["--cache", url]);
            let parsed = format!("{cli:?}");
            let backend = format!("{:?}", cli.serve.common.cache_backend().unwrap());
            for dump in [parsed, backend] {
                assert!(!dump.contains("hunter2"), "{dump}");
                assert!(dump.contains("://<redacted>"), "{dump}");
            }
        }
        let cli = parse(&["--cache", "memory"]);
        assert!(format!("{cli:?}").contains(r#"cache: "memory""#));
    }

    #[test]
    fn base_urls_must_be_http() {
        let cli = parse(&["--api-base-url", "ftp://example.com"]);
        assert!(cli.serve.common.spotify.validate_urls().is_err());
        let cli = parse(&["--api-base-url", "not a url"]);
        assert!(cli.serve.common.spotify.validate_urls().is_err());
    }

    /// The README documents `--shutdown-grace`; the flag was `--shutdown-grace-secs`.
    #[test]
    fn shutdown_grace_is_the_documented_flag() {
        let cli = parse(&["--shutdown-grace", "3"]);
        assert_eq!(cli.serve.shutdown_grace(), Duration::from_secs(3));
        let cli = parse(&["--shutdown-grace-secs", "4"]);
        assert_eq!(cli.serve.shutdown_grace(), Duration::from_secs(4));
    }

    #[test]
    fn connection_limits_have_defaults_and_ranges() {
        let limits = parse(&[]).serve.connection_limits().unwrap();
        assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
        assert_eq!(limits.request_body_timeout, Duration::from_secs(30));
        assert_eq!(limits.max_connections, 512);
        assert_eq!(limits.max_sessions, 1000);
        assert_eq!(limits.session_idle_timeout, Duration::from_secs(300));
        let err = parse(&["--max-connections", "0"])
            .serve
            .connection_limits()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--max-connections must be between 1 and 1000000, got 0"
        );
        assert!(
            parse(&["--header-read-timeout", "0"])
                .serve
                .connection_limits()
                .is_err()
        );
        let err = parse(&["--session-idle-timeout", "5", "--call-timeout-secs", "5"])
            .serve
            .connection_limits()
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "--session-idle-timeout (5 s) must be longer than --call-timeout-secs (5 s)"
            ),
            "{err}"
        );
        assert!(
            parse(&["--session-idle-timeout", "6", "--call-timeout-secs", "5"])
                .serve
                .connection_limits()
                .is_ok()
        );
    }

    #[test]
    fn the_request_body_bound_is_checked() {
        assert_eq!(
            parse(&[]).serve.max_request_body_bytes().unwrap(),
            crate::http::DEFAULT_MAX_BODY_BYTES
        );
        let err = parse(&["--max-request-body-bytes", "10"])
            .serve
            .max_request_body_bytes()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--max-request-body-bytes must be between 16384 and 67108864, got 10"
        );
    }

    #[test]
    fn the_stdio_message_bound_is_checked() {
        let stdio = |args: &[&str]| match parse(args).command {
            Some(Command::Stdio(args)) => args,
            other => panic!("not stdio: {other:?}"),
        };
        assert_eq!(
            stdio(&["stdio"]).max_message_bytes().unwrap(),
            crate::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES
        );
        assert_eq!(
            stdio(&["stdio", "--max-message-bytes", "65536"])
                .max_message_bytes()
                .unwrap(),
            65536
        );
        let err = stdio(&["stdio", "--max-message-bytes", "100"])
            .max_message_bytes()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--max-message-bytes must be between 16384 and 67108864, got 100"
        );
    }

    #[test]
    fn unknown_toolset_is_an_error() {
        let r = Cli::try_parse_from(["spotify-mcp-server", "--toolsets", "playback,nope"]);
        assert!(r.is_err());
    }

    #[test]
    fn subcommands_parse() {
        assert!(matches!(
            parse(&["stdio", "--sandbox"]).command,
            Some(Command::Stdio(_))
        ));
        assert!(matches!(
            parse(&["sandbox", "--bind", "127.0.0.1:9999"]).command,
            Some(Command::Sandbox(_))
        ));
        assert!(matches!(
            parse(&["auth", "login", "--no-browser"]).command,
            Some(Command::Auth { .. })
        ));
    }

    #[test]
    fn authorization_date_and_secret_name_are_validated() {
        let cli = parse(&["--authorized-at", "2026-01-31T20:00:00+02:00"]);
        assert_eq!(
            cli.serve.common.authorized_at.map(|t| t.to_rfc3339()),
            Some("2026-01-31T18:00:00+00:00".to_owned())
        );
        assert!(parse(&[]).serve.common.authorized_at.is_none());
        assert!(Cli::try_parse_from(["spotify-mcp-server", "--authorized-at", "January"]).is_err());
        let login = parse(&["auth", "login", "--print-secret", "spotify-credentials"]);
        let Some(Command::Auth {
            action: AuthAction::Login(args),
        }) = login.command
        else {
            panic!("not a login: {login:?}");
        };
        assert_eq!(args.print_secret.as_deref(), Some("spotify-credentials"));
        let bad = [
            "spotify-mcp-server",
            "auth",
            "login",
            "--print-secret",
            "Bad_Name",
        ];
        assert!(Cli::try_parse_from(bad).is_err());
    }
}
