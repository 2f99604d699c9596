//! `spotify-mcp-server auth login`: Authorization Code with PKCE on a loopback callback.
//!
//! 1. rspotify's [`AuthCodePkceSpotify`] builds the authorize URL: it generates the code
//!    verifier (43–128 characters), its S256 challenge and the `state`. That is exactly the
//!    part of rspotify that fits here; its token exchange and refresh are not used, so that
//!    every token request (and its error mapping, e.g. `invalid_grant`) goes through one
//!    place, [`TokenEndpoint`].
//! 2. A one-shot axum server on `127.0.0.1:PORT` (Spotify requires a loopback IP literal,
//!    not `localhost`) waits for `/callback?code=..&state=..`, checking `state`.
//! 3. The code is exchanged with the verifier and the tokens are written to the token file
//!    atomically with mode 0600, with the moment of the exchange as `authorized_at` (the refresh
//!    token stops working six months later, see [`crate::spotify::auth::expiry`]).

use crate::spotify::auth::DEFAULT_SCOPES;
use crate::spotify::auth::endpoint::TokenEndpoint;
use crate::spotify::auth::store::{TokenSet, TokenStore, unix_now};
use crate::spotify::client::http_client;
use crate::spotify::config::SpotifyConfig;
use crate::spotify::error::SpotifyError;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::SubsecRound;
use rspotify::{
    AuthCodePkceSpotify, Config as RspotifyConfig, Credentials as RspotifyCredentials, OAuth,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Default loopback port of the callback (register `http://127.0.0.1:8888/callback`).
pub const DEFAULT_CALLBACK_PORT: u16 = 8888;

/// Options of [`login`].
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Port of the loopback callback; the redirect URI is `http://127.0.0.1:PORT/callback`.
    pub port: u16,
    /// Scopes to ask for (default: every scope the tools need).
    pub scopes: Vec<String>,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
    /// Where to store the tokens (default: the platform config dir).
    pub token_path: Option<PathBuf>,
    /// Length of the PKCE code verifier (43..=128).
    pub verifier_length: usize,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            port: DEFAULT_CALLBACK_PORT,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            timeout: Duration::from_secs(300),
            token_path: None,
            verifier_length: 64,
        }
    }
}

/// The redirect URI registered with the Spotify app for `port`.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}/callback")
}

/// What the authorize step produced: the URL to open and the secrets to finish with.
pub struct AuthorizeRequest {
    pub url: String,
    state: String,
    verifier: String,
    redirect_uri: String,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Build the authorize URL (PKCE S256) with rspotify's helper.
pub fn authorize_request(
    cfg: &SpotifyConfig,
    options: &LoginOptions,
) -> Result<AuthorizeRequest, SpotifyError> {
    if !(43..=128).contains(&options.verifier_length) {
        return Err(SpotifyError::invalid(
            "the PKCE code verifier must be 43 to 128 characters long",
        ));
    }
    let redirect_uri = redirect_uri(options.port);
    let oauth = OAuth {
        redirect_uri: redirect_uri.clone(),
        scopes: options.scopes.iter().cloned().collect(),
        ..OAuth::default()
    };
    let config = RspotifyConfig {
        auth_base_url: format!("{}/", cfg.accounts_base_url.trim_end_matches('/')),
        token_cached: false,
        token_refreshing: false,
        ..RspotifyConfig::default()
    };
    let mut pkce = AuthCodePkceSpotify::with_config(
        RspotifyCredentials::new_pkce(&cfg.client_id),
        oauth,
        config,
    );
    let url = pkce
        .get_authorize_url(Some(options.verifier_length))
        .map_err(|e| SpotifyError::Auth {
            message: format!("cannot build the authorize URL: {e}"),
        })?;
    let verifier = pkce.verifier.take().ok_or_else(|| SpotifyError::Auth {
        message: "no PKCE verifier was generated".into(),
    })?;
    Ok(AuthorizeRequest {
        url,
        state: pkce.oauth.state.clone(),
        verifier,
        redirect_uri,
    })
}

type CallbackResult = Result<String, SpotifyError>;

#[derive(Clone)]
struct CallbackState {
    expected_state: String,
    sender: Arc<Mutex<Option<oneshot::Sender<CallbackResult>>>>,
}

async fn callback(
    State(st): State<CallbackState>,
    Query(q): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    let result = if let Some(error) = q.get("error") {
        Err(SpotifyError::Auth {
            message: format!(
                "Spotify did not authorise the app ({}); run `spotify-mcp-server auth login` again and accept",
                error.chars().take(100).collect::<String>()
            ),
        })
    } else if q.get("state") != Some(&st.expected_state) {
        Err(SpotifyError::Auth {
            message: "the login callback carried a wrong `state` (possible cross-site request); run the login again".into(),
        })
    } else if let Some(code) = q.get("code").filter(|c| !c.is_empty()) {
        Ok(code.clone())
    } else {
        Err(SpotifyError::Auth {
            message: "the login callback carried no authorization code".into(),
        })
    };
    let ok = result.is_ok();
    let sender = st.sender.lock().ok().and_then(|mut s| s.take());
    if let Some(sender) = sender {
        let _ = sender.send(result);
    }
    Html(if ok {
        "<!doctype html><title>spotify-mcp</title><h1>Logged in</h1><p>You can close this window and return to the terminal.</p>"
    } else {
        "<!doctype html><title>spotify-mcp</title><h1>Login failed</h1><p>See the terminal for details.</p>"
    })
}

/// Run the whole PKCE login and store the tokens. `open_browser` tries the platform's URL
/// opener; the URL is printed to stderr either way.
pub async fn login(
    cfg: &SpotifyConfig,
    open_browser: bool,
    options: &LoginOptions,
) -> Result<TokenSet, SpotifyError> {
    login_with(cfg, options, |url| {
        eprintln!("Open this URL in a browser to authorise spotify-mcp:\n\n  {url}\n");
        if open_browser && let Err(e) = open_in_browser(url) {
            eprintln!("(could not open a browser automatically: {e})");
        }
    })
    .await
}

/// [`login`] with a custom way to present the authorize URL (tests drive the browser part).
pub async fn login_with(
    cfg: &SpotifyConfig,
    options: &LoginOptions,
    present: impl FnOnce(&str),
) -> Result<TokenSet, SpotifyError> {
    let store = TokenStore::at_or_default(options.token_path.as_deref())?;
    let request = authorize_request(cfg, options)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| SpotifyError::Auth {
            message: format!(
                "cannot listen on 127.0.0.1:{} for the login callback ({e}); free the port or pass another one (and register its redirect URI)",
                options.port
            ),
        })?;
    let (sender, receiver) = oneshot::channel();
    let state = CallbackState {
        expected_state: request.state.clone(),
        sender: Arc::new(Mutex::new(Some(sender))),
    };
    let app = axum::Router::new()
        .route("/callback", axum::routing::get(callback))
        .with_state(state);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    present(&request.url);
    let outcome = tokio::time::timeout(options.timeout, receiver).await;
    let _ = stop_tx.send(());
    let _ = server.await;
    let code = match outcome {
        Err(_) => {
            return Err(SpotifyError::Auth {
                message: format!(
                    "no answer from the browser within {} s; run `spotify-mcp-server auth login` again",
                    options.timeout.as_secs()
                ),
            });
        }
        Ok(Err(_)) => {
            return Err(SpotifyError::Auth {
                message: "the login callback server stopped unexpectedly".into(),
            });
        }
        Ok(Ok(result)) => result?,
    };
    let endpoint = TokenEndpoint::new(
        http_client(cfg)?,
        &cfg.accounts_base_url,
        &cfg.client_id,
        cfg.client_secret.clone(),
        cfg.request_timeout,
    );
    let response = endpoint
        .exchange_code(&code, &request.redirect_uri, &request.verifier)
        .await?;
    let tokens = TokenSet {
        client_id: cfg.client_id.clone(),
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        expires_at: unix_now() + response.expires_in,
        scope: response.scope.unwrap_or_else(|| options.scopes.join(" ")),
        authorized_at: Some(chrono::Utc::now().trunc_subsecs(0)),
    };
    store.save(&tokens)?;
    Ok(tokens)
}

fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::config::Credentials;
    use crate::spotify::test_support::Fake;

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn config(accounts: &str) -> SpotifyConfig {
        SpotifyConfig::new("test-client", Credentials::ClientCredentials)
            .with_base_urls(format!("{accounts}/v1"), accounts)
    }

    #[test]
    fn authorize_url_carries_pkce_s256_state_and_loopback_redirect() {
        let cfg = config("https://accounts.spotify.com");
        let request = authorize_request(&cfg, &LoginOptions::default()).unwrap();
        let url = url::Url::parse(&request.url).unwrap();
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://accounts.spotify.com/authorize")
        );
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "test-client");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8888/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], request.state);
        assert!(q["scope"].contains("user-modify-playback-state"));
        use base64::Engine;
        use sha2::Digest;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(request.verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
        assert_eq!(request.verifier.len(), 64);
        assert!(!format!("{request:?}").contains(&request.verifier));
        let short = LoginOptions {
            verifier_length: 42,
            ..LoginOptions::default()
        };
        assert!(authorize_request(&cfg, &short).is_err());
    }

    #[tokio::test]
    async fn full_login_against_a_fake_accounts_service_stores_the_tokens() {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let options = LoginOptions {
            port: free_port(),
            token_path: Some(dir.path().join("token.json")),
            timeout: Duration::from_secs(20),
            ..LoginOptions::default()
        };
        let cfg = config(&fake.accounts_base());
        let tokens = login_with(&cfg, &options, |url| {
            // Play the browser: the fake approves at once and redirects to our callback.
            let url = url.to_owned();
            tokio::spawn(async move {
                let body = reqwest::get(url).await.unwrap().text().await.unwrap();
                assert!(body.contains("Logged in"), "{body}");
            });
        })
        .await
        .unwrap();
        assert_eq!(
            tokens.refresh_token.as_ref().map(|t| t.expose()),
            Some("fresh-refresh-token")
        );
        let stored = TokenStore::new(dir.path().join("token.json"))
            .load()
            .unwrap()
            .unwrap();
        assert_eq!(stored, tokens);
        let authorized = tokens
            .authorized_at
            .expect("login records the date")
            .timestamp();
        let now = unix_now() as i64;
        assert!(
            (now - 60..=now).contains(&authorized),
            "{authorized} vs {now}"
        );
        let store = TokenStore::at_or_default(Some(&dir.path().join("token.json"))).unwrap();
        let st = store.status().unwrap();
        assert!(st.logged_in && st.has_refresh_token);
        assert!(store.delete().unwrap());
        assert!(!store.status().unwrap().logged_in);
    }

    #[tokio::test]
    async fn a_forged_state_is_rejected_and_nothing_is_stored() {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let options = LoginOptions {
            port,
            token_path: Some(dir.path().join("token.json")),
            timeout: Duration::from_secs(20),
            ..LoginOptions::default()
        };
        let err = login_with(&config(&fake.accounts_base()), &options, |_url| {
            tokio::spawn(async move {
                let _ = reqwest::get(format!(
                    "http://127.0.0.1:{port}/callback?code=x&state=forged"
                ))
                .await;
            });
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("state"), "{err}");
        assert!(!dir.path().join("token.json").exists());
    }

    #[tokio::test]
    async fn a_denied_authorisation_and_a_timeout_are_explained() {
        let fake = Fake::start().await;
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let options = LoginOptions {
            port,
            token_path: Some(dir.path().join("token.json")),
            timeout: Duration::from_secs(20),
            ..LoginOptions::default()
        };
        let cfg = config(&fake.accounts_base());
        let err = login_with(&cfg, &options, |url| {
            let state = url::Url::parse(url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            tokio::spawn(async move {
                let _ = reqwest::get(format!(
                    "http://127.0.0.1:{port}/callback?error=access_denied&state={state}"
                ))
                .await;
            });
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("access_denied"), "{err}");
        let quick = LoginOptions {
            port: free_port(),
            timeout: Duration::from_millis(100),
            ..options
        };
        let err = login_with(&cfg, &quick, |_| {}).await.unwrap_err();
        assert!(err.to_string().contains("auth login"), "{err}");
    }
}
