//! The accounts service's token endpoint (`POST {accounts_base}/api/token`): client
//! credentials, refresh and authorization-code (PKCE) grants, with Spotify's OAuth errors
//! mapped to [`SpotifyError`]s.

use crate::spotify::error::SpotifyError;
use crate::spotify::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

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
}

impl TokenEndpoint {
    /// `accounts_base_url` without the `/api/token` suffix.
    pub fn new(
        http: reqwest::Client,
        accounts_base_url: &str,
        client_id: &str,
        client_secret: Option<Secret>,
    ) -> Self {
        Self {
            http,
            url: format!("{}/api/token", accounts_base_url.trim_end_matches('/')),
            client_id: client_id.to_owned(),
            client_secret,
        }
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
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.http.post(&self.url);
        match &self.client_secret {
            Some(secret) => request = request.basic_auth(&self.client_id, Some(secret.expose())),
            None => fields.push(("client_id", &self.client_id)),
        }
        let response = request
            .form(&fields)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            let token: TokenResponse =
                serde_json::from_slice(&body).map_err(|e| SpotifyError::Decode {
                    endpoint: "POST /api/token".into(),
                    message: e.to_string(),
                })?;
            if token.access_token.is_empty() {
                return Err(SpotifyError::Decode {
                    endpoint: "POST /api/token".into(),
                    message: "empty access_token".into(),
                });
            }
            return Ok(token);
        }
        Err(map_oauth_error(status.as_u16(), &body, grant))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    ClientCredentials,
    Refresh,
    Code,
}

fn transport_error(err: reqwest::Error) -> SpotifyError {
    if err.is_timeout() {
        SpotifyError::Timeout {
            endpoint: "POST /api/token".into(),
            timeout: Duration::ZERO,
        }
    } else {
        SpotifyError::Transport {
            message: format!("token endpoint: {}", err.without_url()),
        }
    }
}

fn map_oauth_error(status: u16, body: &[u8], grant: Grant) -> SpotifyError {
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
            retry_after: Duration::from_secs(1),
        },
        _ => SpotifyError::Api {
            status,
            message: format!(
                "token endpoint: {}",
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
        );
        assert!(matches!(err, SpotifyError::Config { .. }), "{err}");
        let err = map_oauth_error(500, b"<html>oops</html>", Grant::Refresh);
        assert!(
            matches!(err, SpotifyError::Api { status: 500, .. }),
            "{err}"
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
