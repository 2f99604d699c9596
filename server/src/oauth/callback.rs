//! `GET /oauth/callback`: Spotify sends the user back here. The sign-in is taken by its `state`
//! (once), checked against the browser's cookie, Spotify's code is exchanged, the user's Spotify
//! ID read, the grant stored with the user's Spotify tokens sealed, and the browser sent back to
//! the client with our own code.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::authorize::{cookie, to_client};
use super::records::{CodeRecord, GrantRecord, SignIn, from_json, key, now, to_json};
use super::secrets::{self, Kind};
use super::{Authority, CODE_TTL, GRANT_TTL, grants, pages};
use crate::spotify::auth::share::SharedTokens;

/// What the callback needs of Spotify's profile answer.
#[derive(serde::Deserialize)]
struct Me {
    id: String,
}

/// Why the user's profile could not be read.
enum MeError {
    /// 403: the app is in Development Mode and this user is not on its allow-list.
    NotAllowListed,
    Other(String),
}

impl Authority {
    async fn spotify_user(&self, access_token: &str) -> Result<String, MeError> {
        let upstream = &self.inner.upstream;
        let response = upstream
            .http
            .get(format!("{}/me", upstream.api_base_url))
            .bearer_auth(access_token)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| MeError::Other(format!("Spotify could not be reached: {e}")))?;
        match response.status().as_u16() {
            200 => response.json::<Me>().await.map(|me| me.id).map_err(|e| {
                MeError::Other(format!("Spotify's profile answer is unreadable: {e}"))
            }),
            403 => Err(MeError::NotAllowListed),
            status => Err(MeError::Other(format!(
                "Spotify answered {status} to the profile request"
            ))),
        }
    }
}

fn failed(title: &str, message: &str) -> Response {
    pages::error(StatusCode::BAD_REQUEST, title, message)
}

/// `GET /oauth/callback`.
pub async fn callback(
    State(authority): State<Authority>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| q.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(state) = get("state").filter(|s| secrets::is(Kind::UpstreamState, s)) else {
        return failed(
            "This sign-in cannot continue",
            "Spotify's answer carries no sign-in this server started.",
        );
    };
    let signin_key = key::signin(&secrets::digest(state));
    let sealed = match authority.store().take(&signin_key).await {
        Ok(Some(sealed)) => sealed,
        Ok(None) => {
            authority.metrics().oauth_event("sign_in", "unknown_state");
            return failed(
                "This sign-in has expired",
                "It was already completed or waited too long.",
            );
        }
        Err(_) => {
            return pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "The sign-in store cannot be reached right now.",
            );
        }
    };
    let signin: Option<SignIn> = authority
        .keys()
        .open(&signin_key, &sealed)
        .ok()
        .and_then(|plain| from_json(&signin_key, &String::from_utf8_lossy(&plain)));
    let Some(SignIn { pending, verifier }) = signin else {
        return failed("This sign-in cannot continue", "Its record cannot be read.");
    };
    let browser = cookie(&headers, authority.config().cookie_name()).unwrap_or_default();
    if !secrets::same(&secrets::digest(&browser), &pending.browser) {
        authority.metrics().oauth_event("sign_in", "wrong_browser");
        return pages::error(
            StatusCode::FORBIDDEN,
            "Finish the sign-in where you started it",
            "This browser did not start this sign-in, so it is not completed here.",
        );
    }
    let state = pending.state.as_deref();
    if let Some(error) = get("error") {
        authority
            .metrics()
            .oauth_event("sign_in", "spotify_refused");
        tracing::info!(error, "Spotify sign-in was not completed");
        return to_client(
            &authority,
            &pending.redirect_uri,
            state,
            &[
                ("error", "access_denied"),
                ("error_description", "the Spotify sign-in was not completed"),
            ],
        );
    }
    let Some(code) = get("code") else {
        return failed("This sign-in cannot continue", "Spotify sent no code.");
    };
    let upstream = &authority.inner.upstream;
    let tokens = match upstream
        .endpoint
        .exchange_code(code, &authority.config().callback(), &verifier)
        .await
    {
        Ok(tokens) => tokens,
        Err(e) => {
            authority
                .metrics()
                .oauth_event("sign_in", "exchange_failed");
            tracing::warn!(error = %e, "Spotify's code could not be exchanged");
            return pages::error(
                StatusCode::BAD_GATEWAY,
                "Spotify did not complete the sign-in",
                "Spotify refused to exchange the sign-in code. Start again from your MCP client.",
            );
        }
    };
    let Some(refresh) = tokens.refresh_token.clone() else {
        return pages::error(
            StatusCode::BAD_GATEWAY,
            "Spotify did not complete the sign-in",
            "Spotify returned no refresh token.",
        );
    };
    let user_id = match authority.spotify_user(tokens.access_token.expose()).await {
        Ok(id) => id,
        Err(MeError::NotAllowListed) => {
            authority
                .metrics()
                .oauth_event("sign_in", "not_allow_listed");
            return pages::error(
                StatusCode::FORBIDDEN,
                "This Spotify account cannot use this server yet",
                "The Spotify app behind this server is in Development Mode, which serves only the accounts its owner added under Users Management in the Spotify Developer Dashboard (at most five). Ask the person who runs this server to add the email address of your Spotify account.",
            );
        }
        Err(MeError::Other(reason)) => {
            authority.metrics().oauth_event("sign_in", "profile_failed");
            tracing::warn!(%reason, "the signed-in user's profile could not be read");
            return pages::error(
                StatusCode::BAD_GATEWAY,
                "Spotify did not complete the sign-in",
                "Your Spotify profile could not be read. Try again in a moment.",
            );
        }
    };
    let grant_id = secrets::new_id();
    let issued = now();
    let grant = GrantRecord {
        client_id: pending.client_id.clone(),
        user: secrets::short_digest(&user_id),
        scope: pending.scope.clone(),
        resource: pending.resource.clone(),
        created_at: issued,
        authorized_at: issued,
    };
    let upstream_tokens = SharedTokens {
        access_token: tokens.access_token.expose().to_owned(),
        expires_at: issued + tokens.expires_in,
        refresh_token: Some(refresh.expose().to_owned()),
        scope: tokens.scope.clone().unwrap_or_default(),
    };
    let our_code = secrets::new(Kind::Code);
    let code = CodeRecord {
        grant: grant_id.clone(),
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        resource: pending.resource.clone(),
        scope: pending.scope.clone(),
    };
    let store = authority.store();
    let sealed = grants::seal(authority.keys(), &grant_id, &upstream_tokens);
    let stored = async {
        store
            .put(&key::upstream(&grant_id), &sealed, GRANT_TTL)
            .await?;
        store
            .put(&key::grant(&grant_id), &to_json(&grant), GRANT_TTL)
            .await?;
        store
            .put(
                &key::code(&secrets::digest(&our_code)),
                &to_json(&code),
                CODE_TTL,
            )
            .await
    };
    if stored.await.is_err() {
        return pages::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again",
            "The sign-in store cannot be reached right now.",
        );
    }
    authority.metrics().oauth_event("sign_in", "ok");
    tracing::info!(user = %grant.user, "a user signed in");
    to_client(
        &authority,
        &pending.redirect_uri,
        state,
        &[("code", &our_code)],
    )
}
