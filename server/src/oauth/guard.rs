//! The resource side: every `/mcp` request carries one of our access tokens, which becomes a
//! [`Principal`] (the grant and its own Spotify client) for the tools; anything else gets the
//! 401 challenge that points clients at the metadata (RFC 9728 §5.1, MCP authorization).
//!
//! Validated tokens are remembered in this process for [`CHECK_CACHE_TTL`] (at most one store
//! round trip per token per minute); a revocation made here forgets them at once, one made on
//! another replica is seen here within that time.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Authority;
use super::records::{AccessRecord, GrantRecord, from_json, key, now};
use super::secrets::{self, Kind};
use crate::spotify::SpotifyClient;

/// What is read of a refused request's body before answering (more, and the connection closes).
const DRAIN_LIMIT: usize = 64 * 1024;
/// How long reading it may take.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// How long a validated token is trusted without asking the store again.
pub const CHECK_CACHE_TTL: Duration = Duration::from_secs(60);

/// Who a `/mcp` request acts for; in the request's extensions.
#[derive(Clone)]
pub struct Principal {
    /// The grant the token belongs to.
    pub grant: String,
    /// A digest of the Spotify user ID (never the ID itself).
    pub user: String,
    pub client_id: String,
    pub scope: Vec<String>,
    /// The grant's Spotify client.
    pub client: SpotifyClient,
    expires_at: u64,
    authority: Authority,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("user", &self.user)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Principal {
    /// Spotify no longer accepts this grant's sign-in: revoke it, so the client's next request
    /// gets 401 and it signs the user in again.
    pub async fn spotify_refused(&self) {
        self.authority
            .revoke_grant(&self.grant, "spotify_refused")
            .await;
    }
}

/// Tokens validated lately, by digest.
pub struct Checked {
    cache: moka::future::Cache<String, Principal>,
}

impl Default for Checked {
    fn default() -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CHECK_CACHE_TTL)
                .support_invalidation_closures()
                .build(),
        }
    }
}

impl Checked {
    pub fn forget_grant(&self, grant: &str) {
        let grant = grant.to_owned();
        let _ = self
            .cache
            .invalidate_entries_if(move |_, p| p.grant == grant);
    }
}

/// Why a token was refused (a label of the token-check metric).
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Missing,
    Malformed,
    Unknown,
    Expired,
    WrongAudience,
    GrantRevoked,
    StoreDown,
}

impl Refusal {
    fn label(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Unknown => "unknown",
            Self::Expired => "expired",
            Self::WrongAudience => "wrong_audience",
            Self::GrantRevoked => "grant_revoked",
            Self::StoreDown => "store_unavailable",
        }
    }
}

impl Authority {
    async fn check(&self, token: &str) -> Result<Principal, Refusal> {
        if !secrets::is(Kind::Access, token) {
            return Err(Refusal::Malformed);
        }
        let digest = secrets::digest(token);
        if let Some(principal) = self.inner.checked.cache.get(&digest).await {
            if principal.expires_at > now() {
                return Ok(principal);
            }
            self.inner.checked.cache.invalidate(&digest).await;
            return Err(Refusal::Expired);
        }
        let store = self.store();
        let at_key = key::access(&digest);
        let access: AccessRecord = match store.get(&at_key).await {
            Ok(Some(text)) => from_json(&at_key, &text).ok_or(Refusal::Unknown)?,
            Ok(None) => return Err(Refusal::Unknown),
            Err(_) => return Err(Refusal::StoreDown),
        };
        if access.expires_at <= now() {
            return Err(Refusal::Expired);
        }
        if access.resource != self.config().resource() {
            return Err(Refusal::WrongAudience);
        }
        let grant_key = key::grant(&access.grant);
        let grant: GrantRecord = match store.get(&grant_key).await {
            Ok(Some(text)) => from_json(&grant_key, &text).ok_or(Refusal::GrantRevoked)?,
            Ok(None) => return Err(Refusal::GrantRevoked),
            Err(_) => return Err(Refusal::StoreDown),
        };
        let client = self
            .client_for(&access.grant, &grant.user)
            .await
            .ok_or(Refusal::GrantRevoked)?;
        let principal = Principal {
            grant: access.grant,
            user: grant.user,
            client_id: access.client_id,
            scope: access.scope,
            client,
            expires_at: access.expires_at,
            authority: self.clone(),
        };
        self.inner
            .checked
            .cache
            .insert(digest, principal.clone())
            .await;
        Ok(principal)
    }

    /// The challenge of a 401: where the metadata is, the scopes, and why the token failed.
    fn challenge(&self, refusal: Refusal) -> Response {
        let config = self.config();
        let scope = Self::scopes_supported().join(" ");
        let mut value = format!(
            "Bearer resource_metadata=\"{}\", scope=\"{scope}\"",
            config.resource_metadata_url()
        );
        let (status, message) = match refusal {
            Refusal::Missing => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized: sign in (this server uses MCP authorization; see WWW-Authenticate)",
            ),
            Refusal::StoreDown => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable: the sign-in store cannot be reached; try again shortly",
            ),
            _ => {
                let description = match refusal {
                    Refusal::Expired => "the access token expired",
                    Refusal::GrantRevoked => "the sign-in was revoked; sign in again",
                    Refusal::WrongAudience => "the access token was issued for another resource",
                    _ => "the access token is not one this server issued",
                };
                value.push_str(&format!(
                    ", error=\"invalid_token\", error_description=\"{description}\""
                ));
                (
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized: the access token is invalid, expired or revoked",
                )
            }
        };
        let mut response = (status, format!("{message}\n")).into_response();
        if status == StatusCode::UNAUTHORIZED
            && let Ok(v) = HeaderValue::from_str(&value)
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

/// The `/mcp` middleware; see the module documentation.
pub async fn require_token(
    State(authority): State<Authority>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let result = match token {
        None => Err(Refusal::Missing),
        Some(token) => authority.check(token).await,
    };
    match result {
        Ok(principal) => {
            authority.metrics().oauth_event("token_check", "ok");
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(refusal) => {
            authority
                .metrics()
                .oauth_event("token_check", refusal.label());
            tracing::debug!(
                reason = refusal.label(),
                "MCP request refused: no valid access token"
            );
            // The client retries on this connection once it has signed in: read what it sent
            // (a small, bounded amount), so the connection can be kept rather than closed
            // under its next request.
            let drain = axum::body::to_bytes(request.into_body(), DRAIN_LIMIT);
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
            authority.challenge(refusal)
        }
    }
}
