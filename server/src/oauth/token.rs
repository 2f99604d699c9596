//! `POST /oauth/token` (authorization code with PKCE, refresh with rotation) and
//! `POST /oauth/revoke` (RFC 7009).
//!
//! Codes and refresh tokens are redeemed with [`super::store::Store::take`], so of two requests
//! with the same one only one succeeds, on whichever replica. A redeemed one leaves a marker:
//! presenting it again (a stolen code, a replayed refresh token) revokes the whole grant
//! (OAuth 2.1 §4.3.1 and RFC 6749 §4.1.2).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::records::{AccessRecord, CodeRecord, RefreshRecord, from_json, key, now, to_json};
use super::secrets::{self, Kind};
use super::{Authority, PENDING_TTL};

/// An RFC 6749 §5.2 error.
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl TokenError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else if error == "temporarily_unavailable" {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

fn unavailable<E>(_: E) -> TokenError {
    TokenError::new(
        "temporarily_unavailable",
        "the token store cannot be reached; try again",
    )
}

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, TokenError> {
    param(p, name).ok_or_else(|| TokenError::new("invalid_request", format!("{name} is missing")))
}

/// `POST /oauth/token`.
pub async fn token(
    State(authority): State<Authority>,
    form: Result<Form<Params>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(params)) = form else {
        return TokenError::new(
            "invalid_request",
            "send an application/x-www-form-urlencoded body",
        )
        .into_response();
    };
    let result = match param(&params, "grant_type") {
        Some("authorization_code") => authority.redeem_code(&params).await,
        Some("refresh_token") => authority.redeem_refresh(&params).await,
        Some(other) => Err(TokenError::new(
            "unsupported_grant_type",
            format!("grant_type {other:?} is not supported"),
        )),
        None => Err(TokenError::new("invalid_request", "grant_type is missing")),
    };
    let label = match param(&params, "grant_type") {
        Some("refresh_token") => "refresh_token",
        _ => "authorization_code",
    };
    match result {
        Ok(body) => {
            authority.metrics().oauth_event(label, "ok");
            Json(body).into_response()
        }
        Err(e) => {
            authority.metrics().oauth_event(label, e.error);
            e.into_response()
        }
    }
}

impl Authority {
    /// `resource`, when sent, must name this server's resource (RFC 8707).
    fn check_resource(&self, params: &Params, granted: &str) -> Result<(), TokenError> {
        match param(params, "resource") {
            Some(asked) if asked.trim_end_matches('/') != granted => Err(TokenError::new(
                "invalid_target",
                "this server issues tokens only for its own /mcp resource",
            )),
            _ => Ok(()),
        }
    }

    async fn redeem_code(&self, params: &Params) -> Result<serde_json::Value, TokenError> {
        let code = required(params, "code")?;
        let client_id = required(params, "client_id")?;
        let verifier = required(params, "code_verifier")?;
        let digest = secrets::digest(code);
        let store = self.store();
        let code_key = key::code(&digest);
        let Some(text) = store.take(&code_key).await.map_err(unavailable)? else {
            if let Ok(Some(grant)) = store.get(&key::code_used(&digest)).await {
                self.revoke_grant(&grant, "code_reused").await;
            }
            return Err(TokenError::new(
                "invalid_grant",
                "the code is unknown, expired or already used",
            ));
        };
        let record: CodeRecord = from_json(&code_key, &text)
            .ok_or_else(|| TokenError::new("invalid_grant", "the code cannot be read"))?;
        let _ = store
            .put(&key::code_used(&digest), &record.grant, PENDING_TTL)
            .await;
        if record.client_id != client_id {
            return Err(TokenError::new(
                "invalid_grant",
                "the code was issued to another client",
            ));
        }
        match param(params, "redirect_uri") {
            Some(uri) if uri == record.redirect_uri => {}
            _ => {
                return Err(TokenError::new(
                    "invalid_grant",
                    "redirect_uri differs from the authorization request's",
                ));
            }
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if !secrets::same(&computed, &record.code_challenge) {
            return Err(TokenError::new(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            ));
        }
        self.check_resource(params, &record.resource)?;
        self.issue(&record.grant, client_id, record.scope, record.resource)
            .await
    }

    async fn redeem_refresh(&self, params: &Params) -> Result<serde_json::Value, TokenError> {
        let token = required(params, "refresh_token")?;
        let client_id = required(params, "client_id")?;
        if !secrets::is(Kind::Refresh, token) {
            return Err(TokenError::new(
                "invalid_grant",
                "not a refresh token this server issued",
            ));
        }
        let digest = secrets::digest(token);
        let store = self.store();
        let rt_key = key::refresh(&digest);
        let Some(text) = store.take(&rt_key).await.map_err(unavailable)? else {
            if let Ok(Some(grant)) = store.get(&key::refresh_used(&digest)).await {
                self.revoke_grant(&grant, "refresh_token_reused").await;
                return Err(TokenError::new(
                    "invalid_grant",
                    "this refresh token was already used; the sign-in is revoked, sign in again",
                ));
            }
            return Err(TokenError::new(
                "invalid_grant",
                "the refresh token is unknown, expired or revoked",
            ));
        };
        let record: RefreshRecord = from_json(&rt_key, &text)
            .ok_or_else(|| TokenError::new("invalid_grant", "the refresh token cannot be read"))?;
        let _ = store
            .put(
                &key::refresh_used(&digest),
                &record.grant,
                self.config().refresh_ttl,
            )
            .await;
        if record.client_id != client_id {
            self.revoke_grant(&record.grant, "refresh_token_wrong_client")
                .await;
            return Err(TokenError::new(
                "invalid_grant",
                "the refresh token was issued to another client",
            ));
        }
        if store
            .get(&key::grant(&record.grant))
            .await
            .map_err(unavailable)?
            .is_none()
        {
            return Err(TokenError::new(
                "invalid_grant",
                "the sign-in was revoked; sign in again",
            ));
        }
        self.check_resource(params, &record.resource)?;
        let scope = match param(params, "scope") {
            None => record.scope,
            Some(asked) => {
                let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
                if asked.iter().any(|s| !record.scope.contains(s)) {
                    return Err(TokenError::new(
                        "invalid_scope",
                        "a refresh can only narrow the granted scope",
                    ));
                }
                asked
            }
        };
        self.issue(&record.grant, client_id, scope, record.resource)
            .await
    }

    /// A new access and refresh token for `grant`.
    async fn issue(
        &self,
        grant: &str,
        client_id: &str,
        scope: Vec<String>,
        resource: String,
    ) -> Result<serde_json::Value, TokenError> {
        let config = self.config();
        let access = secrets::new(Kind::Access);
        let refresh = secrets::new(Kind::Refresh);
        let access_record = AccessRecord {
            grant: grant.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            resource: resource.clone(),
            expires_at: now() + config.access_ttl.as_secs(),
        };
        let refresh_record = RefreshRecord {
            grant: grant.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            resource,
        };
        let store = self.store();
        store
            .put(
                &key::access(&secrets::digest(&access)),
                &to_json(&access_record),
                config.access_ttl,
            )
            .await
            .map_err(unavailable)?;
        store
            .put(
                &key::refresh(&secrets::digest(&refresh)),
                &to_json(&refresh_record),
                config.refresh_ttl,
            )
            .await
            .map_err(unavailable)?;
        Ok(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": config.access_ttl.as_secs(),
            "refresh_token": refresh,
            "scope": scope.join(" "),
        }))
    }
}

/// `POST /oauth/revoke`: revokes the grant of an access or refresh token. Always 200, whether
/// the token was known or not (RFC 7009 §2.2).
pub async fn revoke(
    State(authority): State<Authority>,
    form: Result<Form<Params>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(params)) = form else {
        return TokenError::new("invalid_request", "send a form with `token`").into_response();
    };
    let Some(token) = param(&params, "token") else {
        return TokenError::new("invalid_request", "token is missing").into_response();
    };
    let digest = secrets::digest(token);
    let store = authority.store();
    let grant = if secrets::is(Kind::Access, token) {
        let k = key::access(&digest);
        store
            .get(&k)
            .await
            .ok()
            .flatten()
            .and_then(|t| from_json::<AccessRecord>(&k, &t))
            .map(|r| r.grant)
    } else if secrets::is(Kind::Refresh, token) {
        let k = key::refresh(&digest);
        store
            .get(&k)
            .await
            .ok()
            .flatten()
            .and_then(|t| from_json::<RefreshRecord>(&k, &t))
            .map(|r| r.grant)
    } else {
        None
    };
    if let Some(grant) = grant {
        let _ = store
            .delete(&[key::access(&digest), key::refresh(&digest)])
            .await;
        authority.revoke_grant(&grant, "client_revoked").await;
    }
    StatusCode::OK.into_response()
}
