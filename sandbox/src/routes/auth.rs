//! The accounts service: `POST /api/token` (client credentials, authorization code with PKCE
//! or secret, refresh token) and `GET /authorize`, which in the sandbox approves at once and
//! redirects back with a code, so a login flow can be tested without a browser.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::{Params, RawBody};
use crate::error::{ApiError, OAuthError};
use crate::tokens::{AuthCode, Grant, Scopes, verify_pkce};
use crate::world::{FREE, PREMIUM};
use crate::{CLIENT_ID, CLIENT_SECRET, SandboxState};

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/api/token", post(token))
        .route("/authorize", get(authorize))
}

/// How the client authenticated: id, and whether a correct secret was presented.
struct ClientAuth {
    id: String,
    secret_ok: bool,
}

fn client_auth(headers: &HeaderMap, form: &Form) -> Result<ClientAuth, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "));
    let (id, secret) = match basic {
        Some(b) => {
            let decoded = STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| OAuthError::new("invalid_client", "Invalid client"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::new("invalid_client", "Invalid client"))?;
            (id.to_string(), Some(secret.to_string()))
        }
        None => (
            form.get("client_id")
                .map(str::to_string)
                .ok_or_else(|| OAuthError::new("invalid_client", "Invalid client"))?,
            form.get("client_secret").map(str::to_string),
        ),
    };
    if id != CLIENT_ID {
        return Err(OAuthError::new("invalid_client", "Invalid client"));
    }
    let secret_ok = match secret {
        Some(s) if s == CLIENT_SECRET => true,
        Some(_) => return Err(OAuthError::new("invalid_client", "Invalid client secret")),
        None => false,
    };
    Ok(ClientAuth { id, secret_ok })
}

struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn scope_string(scopes: &Scopes) -> String {
    match scopes {
        None => ALL_SCOPES.join(" "),
        Some(s) => {
            let mut v: Vec<&str> = s.iter().map(String::as_str).collect();
            v.sort_unstable();
            v.join(" ")
        }
    }
}

const ALL_SCOPES: &[&str] = &[
    "playlist-modify-private",
    "playlist-modify-public",
    "playlist-read-collaborative",
    "playlist-read-private",
    "ugc-image-upload",
    "user-follow-modify",
    "user-follow-read",
    "user-library-modify",
    "user-library-read",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "user-read-email",
    "user-read-playback-position",
    "user-read-playback-state",
    "user-read-private",
    "user-read-recently-played",
    "user-top-read",
];

async fn token(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Result<RawBody, ApiError>,
) -> Response {
    // The token endpoint answers OAuth's error shape, also for a body it cannot read.
    let body = match body {
        Ok(RawBody(body)) => body,
        Err(e) => {
            return OAuthError {
                status: e.status,
                error: "invalid_request",
                description: e.message,
            }
            .into_response();
        }
    };
    match token_inner(&state, &headers, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn token_inner(
    state: &SandboxState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let form = Form(url::form_urlencoded::parse(body).into_owned().collect());
    let grant_type = form.get("grant_type").ok_or_else(|| {
        OAuthError::new("unsupported_grant_type", "grant_type parameter is missing")
    })?;
    let client = client_auth(headers, &form)?;
    let mut tokens = state.shared.tokens.lock();
    let expires_in = tokens.lifetime().as_secs().max(1);
    match grant_type {
        "client_credentials" => {
            if !client.secret_ok {
                return Err(OAuthError::new("invalid_client", "Invalid client secret"));
            }
            let access = tokens.issue_access(Grant {
                user: None,
                scopes: Some(Arc::new(HashSet::new())),
                issued: false,
            });
            Ok(axum::Json(
                json!({ "access_token": access, "token_type": "Bearer", "expires_in": expires_in }),
            )
            .into_response())
        }
        "authorization_code" => {
            let code = form
                .get("code")
                .ok_or_else(|| OAuthError::new("invalid_request", "code must be supplied"))?;
            let redirect = form.get("redirect_uri").ok_or_else(|| {
                OAuthError::new("invalid_request", "redirect_uri must be supplied")
            })?;
            let c = tokens
                .take_code(code)
                .ok_or_else(|| OAuthError::new("invalid_grant", "Invalid authorization code"))?;
            if c.client_id != client.id {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "Invalid authorization code",
                ));
            }
            if c.redirect_uri != redirect {
                return Err(OAuthError::new("invalid_grant", "Invalid redirect URI"));
            }
            match (&c.code_challenge, form.get("code_verifier")) {
                (Some(ch), Some(v)) if verify_pkce(v, ch) => {}
                (Some(_), Some(_)) => {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "code_verifier was incorrect",
                    ));
                }
                (Some(_), None) if !client.secret_ok => {
                    return Err(OAuthError::new("invalid_request", "code_verifier required"));
                }
                (None, _) if !client.secret_ok => {
                    return Err(OAuthError::new("invalid_client", "Invalid client secret"));
                }
                _ => {}
            }
            let grant = Grant {
                user: Some(c.user),
                scopes: c.scopes.clone(),
                issued: true,
            };
            let access = tokens.issue_access(grant);
            let refresh = tokens.issue_refresh(c.user, c.scopes.clone());
            Ok(axum::Json(json!({
                "access_token": access,
                "token_type": "Bearer",
                "scope": scope_string(&c.scopes),
                "expires_in": expires_in,
                "refresh_token": refresh,
            }))
            .into_response())
        }
        "refresh_token" => {
            let rt = form.get("refresh_token").ok_or_else(|| {
                OAuthError::new("invalid_request", "refresh_token must be supplied")
            })?;
            let (grant, next) = tokens
                .redeem_refresh(rt)
                .map_err(|r| OAuthError::new("invalid_grant", r.message()))?;
            let scope = scope_string(&grant.scopes);
            let access = tokens.issue_access(grant);
            let mut v = json!({ "access_token": access, "token_type": "Bearer", "scope": scope, "expires_in": expires_in });
            if let (Some(next), Some(o)) = (next, v.as_object_mut()) {
                o.insert("refresh_token".into(), json!(next));
            }
            Ok(axum::Json(v).into_response())
        }
        other => Err(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "grant_type must be client_credentials, authorization_code or refresh_token, got {other:?}"
            ),
        )),
    }
}

fn bad_authorize(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!("INVALID_REQUEST: {message}"),
    )
        .into_response()
}

/// Approves the request at once for the Premium user (or the free one with
/// `sandbox_user=free`) and redirects to `redirect_uri` with `code` and `state`.
async fn authorize(State(state): State<SandboxState>, q: Params) -> Response {
    if q.get("client_id") != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "INVALID_CLIENT: Invalid client").into_response();
    }
    if q.get("response_type") != Some("code") {
        return bad_authorize("response_type must be code");
    }
    let Some(redirect) = q.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return bad_authorize("redirect_uri must be supplied");
    };
    let Ok(mut target) = url::Url::parse(redirect) else {
        return (
            StatusCode::BAD_REQUEST,
            "INVALID_CLIENT: Invalid redirect URI",
        )
            .into_response();
    };
    if target.host_str() == Some("localhost") {
        return (
            StatusCode::BAD_REQUEST,
            "INVALID_CLIENT: Insecure redirect URI (use a loopback IP literal, not localhost)",
        )
            .into_response();
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method")) {
        (Some(c), Some("S256")) if c.len() == 43 => Some(c.to_string()),
        (Some(_), Some("S256")) => {
            return bad_authorize("code_challenge must be a base64url SHA-256 digest");
        }
        (Some(_), _) => return bad_authorize("code_challenge_method must be S256"),
        (None, _) => None,
    };
    let user = if q.get("sandbox_user") == Some("free") {
        FREE
    } else {
        PREMIUM
    };
    let scopes: Scopes = Some(Arc::new(
        q.get("scope")
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    ));
    let code = state.shared.tokens.lock().insert_code(AuthCode {
        user,
        client_id: CLIENT_ID.to_string(),
        redirect_uri: redirect.to_string(),
        code_challenge: challenge,
        scopes,
        expires_at: Instant::now() + Duration::from_secs(600),
    });
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(s) = q.get("state") {
            pairs.append_pair("state", s);
        }
    }
    let mut resp = Redirect::to(target.as_str()).into_response();
    *resp.status_mut() = StatusCode::FOUND;
    resp
}
