//! The accounts service's token endpoint (`POST {accounts_base}/api/token`): client
//! credentials, refresh and authorization-code (PKCE) grants, with Spotify's OAuth errors
//! mapped to [`SpotifyError`]s. Transient failures (no answer, 429, 500/502/503/504) are retried
//! a few times with jittered backoff, waiting at least what `Retry-After` asks for; OAuth errors
//! (`invalid_grant`, `invalid_client`, …) are final.

use crate::spotify::error::SpotifyError;
use crate::spotify::pipeline::retry_after;
use crate::spotify::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

/// Retries of a transient token endpoint failure, unless [`TokenEndpoint::with_retries`] says
/// otherwise.
const DEFAULT_RETRIES: u32 = 2;
/// First retry delay; doubles per retry (with jitter), at most [`MAX_RETRY_DELAY`].
const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(250);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);
/// A `Retry-After` longer than this is not waited out: the token is needed now.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A successful token answer.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: String,
    /// Lifetime in seconds (an hour at Spotify).
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
    /// Absent on client-credentials grants and often on refreshes: keep the old one then.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub scope: Option<String>,
}

fn default_expires_in() -> u64 {
    3600
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

/// `{"error": "invalid_grant", "error_description": "Refresh token revoked"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OAuthError {
    error: String,
    error_description: Option<String>,
}

/// A client of the token endpoint. Authenticates with HTTP Basic when a client secret is
/// configured, otherwise sends `client_id` in the form (PKCE public clients).
#[derive(Clone)]
pub struct TokenEndpoint {
    http: reqwest::Client,
    url: String,
    client_id: String,
    client_secret: Option<Secret>,
    /// Budget of one request (connect to last body byte); also what a timeout error reports.
    timeout: Duration,
    retries: u32,
    retry_delay: Duration,
}

/// How one request to the token endpoint failed.
enum Failure {
    /// Worth another try, after at least `retry_after` when the answer said so.
    Transient {
        error: SpotifyError,
        retry_after: Option<Duration>,
    },
    /// An answer that another try would not change.
    Final(SpotifyError),
}

impl TokenEndpoint {
    /// `accounts_base_url` without the `/api/token` suffix. Each request may take `timeout`
    /// (set on the request, so it holds whatever the client's own default is).
    pub fn new(
        http: reqwest::Client,
        accounts_base_url: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            url: format!("{}/api/token", accounts_base_url.trim_end_matches('/')),
            client_id: client_id.to_owned(),
            client_secret,
            timeout,
            retries: DEFAULT_RETRIES,
            retry_delay: DEFAULT_RETRY_DELAY,
        }
    }

    /// Retry a transient failure up to `retries` times, the first after about `first_delay`.
    pub fn with_retries(mut self, retries: u32, first_delay: Duration) -> Self {
        self.retries = retries;
        self.retry_delay = first_delay;
        self
    }

    /// The client ID this endpoint authenticates as.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Whether a client secret is configured.
    pub fn has_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// Client Credentials grant (needs the client secret).
    pub async fn client_credentials(&self) -> Result<TokenResponse, SpotifyError> {
        if self.client_secret.is_none() {
            return Err(SpotifyError::Config {
                message:
                    "the client credentials flow needs a client secret: set SPOTIFY_CLIENT_SECRET"
                        .into(),
            });
        }
        self.post(
            &[("grant_type", "client_credentials")],
            Grant::ClientCredentials,
        )
        .await
    }

    /// Refresh-token grant.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, SpotifyError> {
        self.post(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ],
            Grant::Refresh,
        )
        .await
    }

    /// Authorization-code grant with the PKCE verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<TokenResponse, SpotifyError> {
        self.post(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ],
            Grant::Code,
        )
        .await
    }

    async fn post(
        &self,
        form: &[(&str, &str)],
        grant: Grant,
    ) -> Result<TokenResponse, SpotifyError> {
        let mut backoff = retry_after::backoff(self.retry_delay, MAX_RETRY_DELAY, self.retries);
        loop {
            let (error, retry_after) = match self.post_once(form, grant).await {
                Ok(token) => return Ok(token),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Transient { error, retry_after }) => (error, retry_after),
            };
            if retry_after.is_some_and(|wait| wait > MAX_RETRY_AFTER) {
                return Err(error);
            }
            let Some(delay) = backoff.next() else {
                return Err(error);
            };
            let delay = delay.max(retry_after.unwrap_or_default());
            tracing::debug!(error = %error, ?delay, "token endpoint failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn post_once(
        &self,
        form: &[(&str, &str)],
        grant: Grant,
    ) -> Result<TokenResponse, Failure> {
        // A timeout has already spent the whole request budget, and an authorization code
        // works once: a code request whose answer was lost may have used it up. Neither is
        // tried again.
        let transport = |e: reqwest::Error| {
            let again = !e.is_timeout() && grant != Grant::Code;
            let error = transport_error(e, self.timeout);
            if again {
                Failure::Transient {
                    error,
                    retry_after: None,
                }
            } else {
                Failure::Final(error)
            }
        };
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.http.post(&self.url).timeout(self.timeout);
        match &self.client_secret {
            Some(secret) => request = request.basic_auth(&self.client_id, Some(secret.expose())),
            None => fields.push(("client_id", &self.client_id)),
        }
        let response = request.form(&fields).send().await.map_err(transport)?;
        let status = response.status();
        let retry_after = retry_after::from_headers(response.headers());
        let body = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            let token: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                Failure::Final(SpotifyError::Decode {
                    endpoint: "POST /api/token".into(),
                    message: e.to_string(),
                })
            })?;
            if token.access_token.is_empty() {
                return Err(Failure::Final(SpotifyError::Decode {
                    endpoint: "POST /api/token".into(),
                    message: "empty access_token".into(),
                }));
            }
            return Ok(token);
        }
        let error = map_oauth_error(status.as_u16(), &body, grant, retry_after);
        Err(match status.as_u16() {
            // Told to come back: the request was not handled.
            429 | 503 => Failure::Transient { error, retry_after },
            // Failed somewhere: safe to repeat unless it was a one-time code.
            500 | 502 | 504 if grant != Grant::Code => Failure::Transient { error, retry_after },
            _ => Failure::Final(error),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    ClientCredentials,
    Refresh,
    Code,
}

fn transport_error(err: reqwest::Error, timeout: Duration) -> SpotifyError {
    if err.is_timeout() {
        SpotifyError::Timeout {
            endpoint: "POST /api/token".into(),
            timeout,
        }
    } else {
        SpotifyError::Transport {
            message: format!("token endpoint: {}", crate::spotify::transport::chain(&err)),
        }
    }
}

fn map_oauth_error(
    status: u16,
    body: &[u8],
    grant: Grant,
    retry_after: Option<Duration>,
) -> SpotifyError {
    let parsed: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    let description = parsed
        .error_description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| parsed.error.clone());
    let description: String = description.chars().take(200).collect();
    match (parsed.error.as_str(), grant) {
        ("invalid_grant", Grant::Refresh) => SpotifyError::ReauthRequired {
            reason: if description.is_empty() {
                "the refresh token was rejected".into()
            } else {
                format!("Spotify rejected the refresh token: {description}")
            },
        },
        ("invalid_grant", Grant::Code) => SpotifyError::Auth {
            message: format!(
                "the authorization code was rejected ({description}); run the login again"
            ),
        },
        ("invalid_client", _) => SpotifyError::Config {
            message: format!(
                "Spotify rejected the client ID or secret ({description}); check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET"
            ),
        },
        _ if status == 429 => SpotifyError::RateLimited {
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        _ => SpotifyError::Api {
            status,
            message: format!(
                "the accounts service could not renew the access token: {}",
                if description.is_empty() {
                    "no details"
                } else {
                    &description
                }
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_grant_on_refresh_asks_to_log_in_again() {
        let err = map_oauth_error(
            400,
            br#"{"error":"invalid_grant","error_description":"Refresh token revoked"}"#,
            Grant::Refresh,
            None,
        );
        assert!(matches!(err, SpotifyError::ReauthRequired { .. }));
        assert!(err.to_string().contains("auth login"), "{err}");
        assert!(err.to_string().contains("Refresh token revoked"));
    }

    #[test]
    fn invalid_client_is_a_configuration_error_and_garbage_is_an_api_error() {
        let err = map_oauth_error(
            400,
            br#"{"error":"invalid_client"}"#,
            Grant::ClientCredentials,
            None,
        );
        assert!(matches!(err, SpotifyError::Config { .. }), "{err}");
        let err = map_oauth_error(500, b"<html>oops</html>", Grant::Refresh, None);
        assert!(
            matches!(err, SpotifyError::Api { status: 500, .. }),
            "{err}"
        );
    }

    use crate::spotify::test_support::{Fake, Reply};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn endpoint(fake: &Fake) -> TokenEndpoint {
        TokenEndpoint::new(
            reqwest::Client::new(),
            &fake.accounts_base(),
            "test-client",
            None,
            Duration::from_secs(10),
        )
        .with_retries(2, Duration::from_millis(10))
    }

    fn busy(status: u16) -> Reply {
        Reply::json(status, serde_json::json!({"error": "server_error"}))
    }

    /// A refresh against `fake`, with how long it took.
    async fn refresh(fake: &Fake, token: &str) -> (Result<TokenResponse, SpotifyError>, Duration) {
        let started = Instant::now();
        let result = endpoint(fake).refresh(&Secret::new(token)).await;
        (result, started.elapsed())
    }

    fn is_api(result: &Result<TokenResponse, SpotifyError>, code: u16) -> bool {
        matches!(result, Err(SpotifyError::Api { status, .. }) if *status == code)
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_oauth_errors_are_not() {
        let fake = Fake::start().await;
        fake.state.push_token([busy(503), Reply::empty(502)]);
        let (token, _) = refresh(&fake, "rt-1").await;
        assert_eq!(token.unwrap().access_token.expose(), "access-3");
        assert_eq!(fake.state.token_requests(), 3);

        fake.state
            .dead_refresh_tokens
            .lock()
            .unwrap()
            .push("rt-dead".into());
        let (result, _) = refresh(&fake, "rt-dead").await;
        assert!(
            matches!(result, Err(SpotifyError::ReauthRequired { .. })),
            "{result:?}"
        );
        assert_eq!(fake.state.token_requests(), 4, "invalid_grant is final");
    }

    #[tokio::test]
    async fn retries_run_out_with_the_last_error() {
        let fake = Fake::start().await;
        fake.state
            .push_token([busy(500), busy(504), busy(503), busy(503)]);
        let (result, _) = refresh(&fake, "rt-1").await;
        assert!(is_api(&result, 503), "{result:?}");
        assert_eq!(fake.state.token_requests(), 3, "one try and two retries");
    }

    #[tokio::test]
    async fn retry_after_is_waited_out_unless_it_is_long() {
        let fake = Fake::start().await;
        fake.state
            .push_token([busy(429).header("retry-after", "1")]);
        let (result, took) = refresh(&fake, "rt-1").await;
        assert!(
            result.is_ok() && took >= Duration::from_millis(950),
            "{took:?}"
        );
        assert_eq!(fake.state.token_requests(), 2);

        fake.state
            .push_token([busy(503).header("retry-after", "60")]);
        let (result, took) = refresh(&fake, "rt-1").await;
        assert!(is_api(&result, 503), "{result:?}");
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert_eq!(
            fake.state.token_requests(),
            3,
            "a long Retry-After is not waited out"
        );

        fake.state
            .push_token([busy(429).header("retry-after", "90")]);
        let (result, _) = refresh(&fake, "rt-1").await;
        assert!(
            matches!(result, Err(SpotifyError::RateLimited { retry_after }) if retry_after == Duration::from_secs(90)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_endpoint_that_does_not_answer_is_retried_then_reported() {
        // A port nobody listens on: every attempt fails to connect.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let endpoint = TokenEndpoint::new(
            reqwest::Client::new(),
            &format!("http://{addr}"),
            "test-client",
            None,
            Duration::from_secs(10),
        )
        .with_retries(2, Duration::from_millis(10));
        let err = endpoint.refresh(&Secret::new("rt-1")).await.unwrap_err();
        assert!(matches!(err, SpotifyError::Transport { .. }), "{err:?}");
        assert!(!err.to_string().contains("rt-1"), "{err}");
    }

    /// A token endpoint that accepts connections and counts them; it closes each at once, or
    /// holds it without answering.
    fn mute_endpoint(hold: bool) -> (String, Arc<AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                if hold {
                    held.push(stream);
                }
            }
        });
        (url, accepted)
    }

    /// The timeout is the endpoint's own: the client has none.
    fn endpoint_at(url: &str, timeout: Duration) -> TokenEndpoint {
        TokenEndpoint::new(reqwest::Client::new(), url, "test-client", None, timeout)
            .with_retries(2, Duration::from_millis(10))
    }

    #[tokio::test]
    async fn a_lost_answer_is_retried_for_a_refresh_but_never_for_a_one_time_code() {
        let (url, accepted) = mute_endpoint(false);
        let endpoint = endpoint_at(&url, Duration::from_secs(5));
        let err = endpoint.refresh(&Secret::new("rt-1")).await.unwrap_err();
        assert!(matches!(err, SpotifyError::Transport { .. }), "{err:?}");
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            3,
            "one try and two retries"
        );

        let err = endpoint
            .exchange_code("code-1", "http://127.0.0.1/callback", "verifier")
            .await
            .unwrap_err();
        assert!(matches!(err, SpotifyError::Transport { .. }), "{err:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 4, "the code is sent once");
    }

    #[tokio::test]
    async fn a_code_is_sent_again_only_when_the_server_says_it_did_not_handle_it() {
        let fake = Fake::start().await;
        let endpoint = endpoint(&fake);
        fake.state.push_token([busy(500)]);
        let result = endpoint
            .exchange_code("code-1", "http://127.0.0.1/callback", "verifier")
            .await;
        assert!(is_api(&result, 500), "{result:?}");
        assert_eq!(
            fake.state.token_requests(),
            1,
            "a 500 may have used the code"
        );

        fake.state.push_token([busy(503), busy(503), busy(503)]);
        let result = endpoint
            .exchange_code("code-2", "http://127.0.0.1/callback", "verifier")
            .await;
        assert!(is_api(&result, 503), "{result:?}");
        assert_eq!(
            fake.state.token_requests(),
            4,
            "503 means not handled: retried"
        );
    }

    /// The error names the timeout the endpoint waited, not "0 s".
    #[tokio::test]
    async fn a_timeout_is_not_tried_again_and_reports_the_real_timeout() {
        let (url, accepted) = mute_endpoint(true);
        let endpoint = endpoint_at(&url, Duration::from_millis(200));
        let started = Instant::now();
        let err = endpoint.refresh(&Secret::new("rt-1")).await.unwrap_err();
        assert!(
            matches!(err, SpotifyError::Timeout { timeout, .. } if timeout == Duration::from_millis(200)),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("`POST /api/token` within 0.2 s"),
            "{message}"
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn token_response_debug_is_redacted() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"AT-secret","expires_in":3600,"refresh_token":"RT-secret"}"#,
        )
        .unwrap();
        let dbg = format!("{t:?}");
        assert!(
            !dbg.contains("AT-secret") && !dbg.contains("RT-secret"),
            "{dbg}"
        );
    }
}
