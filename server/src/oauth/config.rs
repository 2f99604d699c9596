//! The options of the hosted mode and the checks that refuse a configuration which would open
//! access by mistake.

use std::path::PathBuf;
use std::time::Duration;

/// Options of the hosted multi-user mode (HTTP only).
#[derive(Debug, Clone, clap::Args, Default)]
pub struct HostedArgs {
    /// Hosted multi-user mode: `/mcp` is an OAuth 2.1 protected resource and the server an
    /// authorization server that signs each user in with their own Spotify account (MCP
    /// authorization). Refused together with static MCP tokens or SPOTIFY_REFRESH_TOKEN.
    #[arg(long, env = "SPOTIFY_MCP_OAUTH", default_value_t = false)]
    pub oauth: bool,

    /// The URL clients reach this server at, e.g. https://spotify-mcp.example.com: the issuer;
    /// the resource is <url>/mcp and Spotify's redirect URI <url>/oauth/callback (register it
    /// in the Spotify Dashboard). HTTPS, unless a loopback IP or --sandbox.
    #[arg(long, env = "SPOTIFY_MCP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where grants, codes and client registrations live: `memory` (one replica only) or a
    /// redis:// URL shared by all replicas.
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_STORE", default_value = "memory")]
    pub oauth_store: String,

    /// File with lines `kid:base64(32 bytes)` keying the encryption of users' Spotify tokens;
    /// the first line encrypts, all decrypt. Required with a Redis store.
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_KEYS_FILE")]
    pub oauth_keys_file: Option<PathBuf>,

    /// Lifetime of the access tokens the server issues, in seconds.
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_ACCESS_TTL", default_value_t = 3600)]
    pub oauth_access_ttl: u64,

    /// Lifetime of a refresh token, in seconds (each refresh issues a new one).
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_REFRESH_TTL", default_value_t = 30 * 24 * 3600)]
    pub oauth_refresh_ttl: u64,

    /// Accept dynamic client registration (RFC 7591) at /oauth/register.
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_DCR", default_value_t = true, action = clap::ArgAction::Set)]
    pub oauth_dcr: bool,

    /// Accept Client ID Metadata Documents (an https URL as client_id).
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_CIMD", default_value_t = true, action = clap::ArgAction::Set)]
    pub oauth_cimd: bool,

    /// For tests only: let Client ID Metadata Documents come from loopback addresses, over plain
    /// http too. Never in production: it lets any client make this server fetch from its own
    /// host. Hidden from --help; off unless given.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OAUTH_CIMD_ALLOW_LOOPBACK",
        default_value_t = false,
        hide = true
    )]
    pub oauth_cimd_allow_loopback: bool,

    /// Make Spotify show its own dialog on every sign-in (it then offers "Not you?").
    #[arg(long, env = "SPOTIFY_MCP_OAUTH_SHOW_DIALOG", default_value_t = false)]
    pub oauth_show_dialog: bool,

    /// Each signed-in user's share of the Spotify app's budget, per replica: `N/s[,burst=M]`, or
    /// `off`. One user's burst of calls then cannot starve the others.
    #[arg(
        long,
        env = "SPOTIFY_MCP_OAUTH_USER_RATE_LIMIT",
        default_value = "10/s,burst=30"
    )]
    pub oauth_user_rate_limit: String,
}

/// A hosted-mode configuration that must not start.
#[derive(Debug, thiserror::Error)]
pub enum HostedConfigError {
    #[error(
        "--oauth needs --public-url (SPOTIFY_MCP_PUBLIC_URL): the URL clients reach this server at"
    )]
    MissingPublicUrl,
    #[error("--public-url {0:?} is not a URL with a host")]
    InvalidPublicUrl(String),
    #[error(
        "--public-url {0:?} must be https:// (tokens and Spotify sign-ins cross it); plain http is accepted only for a loopback IP or with --sandbox"
    )]
    InsecurePublicUrl(String),
    #[error("--public-url {0:?} must be an origin with at most a path, without query or fragment")]
    PublicUrlWithQuery(String),
    #[error(
        "--oauth cannot be combined with static MCP tokens (SPOTIFY_MCP_AUTH_TOKENS or --auth-tokens-file): each user signs in instead"
    )]
    WithStaticTokens,
    #[error(
        "--oauth cannot be combined with SPOTIFY_REFRESH_TOKEN: in hosted mode every user signs in with their own Spotify account"
    )]
    WithRefreshToken,
    #[error(
        "--oauth needs SPOTIFY_CLIENT_ID (and SPOTIFY_CLIENT_SECRET) of the Spotify app users sign in to, or --sandbox"
    )]
    MissingClientId,
    #[error(
        "invalid --oauth-store {0:?}: expected `memory` or a redis:// (rediss://, unix://) URL"
    )]
    InvalidStore(String),
    #[error(
        "--oauth-store redis://… needs --oauth-keys-file: every replica must open the Spotify tokens the others stored"
    )]
    RedisWithoutKeys,
    #[error("{name} must be between {min} and {max} seconds, got {value}")]
    OutOfRange {
        name: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error(
        "--oauth with both --oauth-dcr=false and --oauth-cimd=false leaves clients no way to register"
    )]
    NoRegistration,
    #[error("invalid --oauth-user-rate-limit {0:?}: expected `N/s`, `N/s,burst=M` or `off`")]
    InvalidUserRateLimit(String),
    #[error(transparent)]
    Keys(#[from] super::keyring::KeyringError),
}

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    Memory,
    Redis(String),
}

/// The validated hosted-mode settings.
#[derive(Debug, Clone)]
pub struct HostedConfig {
    /// The issuer: the public URL without a trailing slash.
    pub issuer: String,
    /// The Host header value of the public URL (`host[:port]`), accepted on every route.
    pub host: String,
    pub store: StoreChoice,
    pub keys_file: Option<PathBuf>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub dcr: bool,
    pub cimd: bool,
    /// The test-only escape of `--oauth-cimd-allow-loopback`.
    pub cimd_allow_loopback: bool,
    pub show_dialog: bool,
    /// Cookies get `Secure` and the `__Host-` prefix (https public URL).
    pub secure_cookies: bool,
    /// Each user's share of the budget, per replica (`None`: no share).
    pub user_rate_limit: Option<crate::spotify::config::RateLimit>,
}

impl HostedConfig {
    /// `P/mcp`: the resource tokens are issued for.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.issuer)
    }

    /// `P/oauth/callback`: where Spotify sends the user back.
    pub fn callback(&self) -> String {
        format!("{}/oauth/callback", self.issuer)
    }

    /// Where the protected resource's metadata is (given in every 401 challenge).
    pub fn resource_metadata_url(&self) -> String {
        let url = url::Url::parse(&self.issuer).ok();
        let (origin, path) = match &url {
            Some(u) => (
                u.origin().ascii_serialization(),
                u.path().trim_end_matches('/').to_owned(),
            ),
            None => (self.issuer.clone(), String::new()),
        };
        format!("{origin}/.well-known/oauth-protected-resource{path}/mcp")
    }

    /// The name of the cookie binding a sign-in to its browser.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-smcp-signin"
        } else {
            "smcp-signin"
        }
    }
}

fn bounded(name: &'static str, value: u64, min: u64, max: u64) -> Result<u64, HostedConfigError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(HostedConfigError::OutOfRange {
            name,
            value,
            min,
            max,
        })
    }
}

impl HostedArgs {
    /// The validated settings, or `None` when the hosted mode is off. `static_tokens` and
    /// `refresh_token` say whether those other credentials are configured; `sandbox` whether
    /// the server runs against its sandbox (which holds no real account).
    pub fn validate(
        &self,
        static_tokens: bool,
        refresh_token: bool,
        sandbox: bool,
    ) -> Result<Option<HostedConfig>, HostedConfigError> {
        if !self.oauth {
            return Ok(None);
        }
        if static_tokens {
            return Err(HostedConfigError::WithStaticTokens);
        }
        if refresh_token && !sandbox {
            return Err(HostedConfigError::WithRefreshToken);
        }
        let raw = self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or(HostedConfigError::MissingPublicUrl)?;
        let url = url::Url::parse(raw)
            .ok()
            .filter(|u| u.host().is_some() && matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| HostedConfigError::InvalidPublicUrl(raw.to_owned()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(HostedConfigError::PublicUrlWithQuery(raw.to_owned()));
        }
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        let https = url.scheme() == "https";
        if !https && !loopback && !sandbox {
            return Err(HostedConfigError::InsecurePublicUrl(raw.to_owned()));
        }
        let store = match self.oauth_store.trim() {
            "memory" => StoreChoice::Memory,
            s if ["redis://", "rediss://", "unix://"]
                .iter()
                .any(|p| s.starts_with(p)) =>
            {
                StoreChoice::Redis(s.to_owned())
            }
            other => return Err(HostedConfigError::InvalidStore(other.to_owned())),
        };
        if matches!(store, StoreChoice::Redis(_)) && self.oauth_keys_file.is_none() {
            return Err(HostedConfigError::RedisWithoutKeys);
        }
        if !self.oauth_dcr && !self.oauth_cimd {
            return Err(HostedConfigError::NoRegistration);
        }
        let access = bounded("--oauth-access-ttl", self.oauth_access_ttl, 1, 24 * 3600)?;
        let refresh = bounded(
            "--oauth-refresh-ttl",
            self.oauth_refresh_ttl,
            60,
            182 * 24 * 3600,
        )?;
        use crate::spotify::config::RateLimitPolicy;
        let user_rate_limit = match self.oauth_user_rate_limit.trim() {
            "off" => None,
            text => match text
                .parse::<RateLimitPolicy>()
                .ok()
                .and_then(RateLimitPolicy::fixed)
            {
                Some(limit) => Some(limit),
                None => return Err(HostedConfigError::InvalidUserRateLimit(text.to_owned())),
            },
        };
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        Ok(Some(HostedConfig {
            issuer: url.as_str().trim_end_matches('/').to_owned(),
            host,
            store,
            keys_file: self.oauth_keys_file.clone(),
            access_ttl: Duration::from_secs(access),
            refresh_ttl: Duration::from_secs(refresh),
            dcr: self.oauth_dcr,
            cimd: self.oauth_cimd,
            cimd_allow_loopback: self.oauth_cimd_allow_loopback,
            show_dialog: self.oauth_show_dialog,
            secure_cookies: https,
            user_rate_limit,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str) -> HostedArgs {
        HostedArgs {
            oauth: true,
            public_url: Some(url.into()),
            oauth_store: "memory".into(),
            oauth_access_ttl: 3600,
            oauth_refresh_ttl: 3600,
            oauth_dcr: true,
            oauth_cimd: true,
            oauth_user_rate_limit: "10/s,burst=30".into(),
            ..HostedArgs::default()
        }
    }

    #[test]
    fn off_unless_asked() {
        let off = HostedArgs::default();
        assert!(off.validate(true, true, false).unwrap().is_none());
    }

    #[test]
    fn the_public_url_gives_issuer_resource_callback_and_metadata_url() {
        let c = args("https://music.example.com/").validate(false, false, false);
        let c = c.unwrap().unwrap();
        assert_eq!(c.issuer, "https://music.example.com");
        assert_eq!(c.resource(), "https://music.example.com/mcp");
        assert_eq!(c.callback(), "https://music.example.com/oauth/callback");
        assert_eq!(
            c.resource_metadata_url(),
            "https://music.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(c.host, "music.example.com");
        assert!(c.secure_cookies);
        assert_eq!(c.cookie_name(), "__Host-smcp-signin");
        let c = args("https://example.com:8443/spotify").validate(false, false, false);
        let c = c.unwrap().unwrap();
        assert_eq!(c.resource(), "https://example.com:8443/spotify/mcp");
        assert_eq!(
            c.resource_metadata_url(),
            "https://example.com:8443/.well-known/oauth-protected-resource/spotify/mcp"
        );
        assert_eq!(c.host, "example.com:8443");
    }

    #[test]
    fn configurations_that_would_open_access_are_refused() {
        let e = |a: HostedArgs, tokens, refresh, sandbox| {
            a.validate(tokens, refresh, sandbox)
                .unwrap_err()
                .to_string()
        };
        assert!(e(args("https://a.example"), true, false, false).contains("static MCP tokens"));
        assert!(e(args("https://a.example"), false, true, false).contains("SPOTIFY_REFRESH_TOKEN"));
        assert!(e(args("http://a.example"), false, false, false).contains("https://"));
        assert!(e(args("ftp://a.example"), false, false, false).contains("not a URL"));
        assert!(e(args("https://a.example/?x=1"), false, false, false).contains("query"));
        let mut no_url = args("https://a.example");
        no_url.public_url = None;
        assert!(e(no_url, false, false, false).contains("--public-url"));
        let mut redis = args("https://a.example");
        redis.oauth_store = "redis://r:6379".into();
        assert!(e(redis, false, false, false).contains("--oauth-keys-file"));
        let mut bad_store = args("https://a.example");
        bad_store.oauth_store = "postgres://x".into();
        assert!(e(bad_store, false, false, false).contains("--oauth-store"));
        let mut none = args("https://a.example");
        none.oauth_dcr = false;
        none.oauth_cimd = false;
        assert!(e(none, false, false, false).contains("no way to register"));
        let mut ttl = args("https://a.example");
        ttl.oauth_access_ttl = 0;
        assert!(e(ttl, false, false, false).contains("--oauth-access-ttl"));
        for bad in ["adaptive", "fast", "0/s"] {
            let mut share = args("https://a.example");
            share.oauth_user_rate_limit = bad.into();
            assert!(
                e(share, false, false, false).contains("--oauth-user-rate-limit"),
                "{bad}"
            );
        }
        let mut off = args("https://a.example");
        off.oauth_user_rate_limit = "off".into();
        let c = off.validate(false, false, false).unwrap().unwrap();
        assert!(c.user_rate_limit.is_none());
        let c = args("https://a.example")
            .validate(false, false, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            c.user_rate_limit
                .map(|l| (l.per_second.get(), l.burst.get())),
            Some((10, 30))
        );
    }

    #[test]
    fn the_loopback_escape_for_tests_is_off_and_hidden_unless_given() {
        use clap::{CommandFactory, Parser};
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            hosted: HostedArgs,
        }
        let off = Cli::try_parse_from(["x", "--oauth"]).unwrap().hosted;
        assert!(!off.oauth_cimd_allow_loopback);
        let c = args("https://a.example").validate(false, false, false);
        assert!(!c.unwrap().unwrap().cimd_allow_loopback);
        let on = Cli::try_parse_from(["x", "--oauth-cimd-allow-loopback"]).unwrap();
        assert!(on.hosted.oauth_cimd_allow_loopback);
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--oauth-cimd"), "{help}");
        assert!(!help.contains("allow-loopback"), "{help}");
    }

    #[test]
    fn plain_http_only_on_loopback_or_with_the_sandbox() {
        let c = args("http://127.0.0.1:8000").validate(false, false, false);
        let c = c.unwrap().unwrap();
        assert!(!c.secure_cookies);
        assert_eq!(c.cookie_name(), "smcp-signin");
        assert_eq!(c.host, "127.0.0.1:8000");
        assert!(
            args("http://[::1]:8000")
                .validate(false, false, false)
                .is_ok()
        );
        assert!(
            args("http://localhost:8000")
                .validate(false, false, false)
                .is_err()
        );
        assert!(
            args("http://198.18.0.7:8000")
                .validate(false, false, true)
                .is_ok()
        );
    }
}
