//! `GET /oauth/authorize` (checks the request and shows the consent page) and
//! `POST /oauth/authorize/decision` (the user's answer: back to the client, or on to Spotify).
//!
//! Until the client and its redirect URI are known good, errors end on a page of ours and never
//! redirect (no open redirector). After that, they go back to the client as RFC 6749 §4.1.2.1
//! errors with `state` and `iss` (RFC 9207).

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::pages::{self, Consent};
use super::records::{Pending, SignIn, key, to_json};
use super::secrets::{self, Kind};
use super::{Authority, PENDING_TTL, redirect};

/// The client's redirect with `params`, `state` and `iss` added.
pub(crate) fn to_client(
    authority: &Authority,
    redirect_uri: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "The application's redirect address is not valid.",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &authority.config().issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

fn bad_request(message: &str) -> Response {
    pages::error(
        StatusCode::BAD_REQUEST,
        "This sign-in request is invalid",
        message,
    )
}

/// The cookie that binds a sign-in to a browser: the one the browser already has, or a new one.
fn browser_cookie(authority: &Authority, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let name = authority.config().cookie_name();
    if let Some(existing) = cookie(headers, name).filter(|v| secrets::is(Kind::Browser, v)) {
        return (existing, None);
    }
    let value = secrets::new(Kind::Browser);
    let set = ::cookie::Cookie::build((name, value.clone()))
        .path("/")
        .http_only(true)
        .same_site(::cookie::SameSite::Lax)
        .max_age(::cookie::time::Duration::seconds(
            i64::try_from(PENDING_TTL.as_secs()).unwrap_or(600),
        ))
        .secure(authority.config().secure_cookies)
        .build();
    (value, HeaderValue::from_str(&set.to_string()).ok())
}

/// The value of the cookie `name`, if the request has it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| ::cookie::Cookie::split_parse(h.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// `GET /oauth/authorize`.
pub async fn authorize(
    State(authority): State<Authority>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| q.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if !authority.admit_authorization() {
        let mut response = pages::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins right now",
            "This server is receiving more sign-in requests than it accepts. Wait a few seconds and try again.",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        return response;
    }
    let Some(client_id) = get("client_id") else {
        return bad_request("The request names no client (client_id is missing).");
    };
    let Some(client) = authority.find_client(client_id).await else {
        return bad_request(
            "The application is not registered with this server: its registration is unknown or expired, or its client ID metadata document could not be fetched or is not valid. Start again from your MCP client.",
        );
    };
    let redirect_uri = match get("redirect_uri") {
        Some(uri) => uri,
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].as_str(),
        None => return bad_request("The request names no redirect_uri."),
    };
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect::matches(r, redirect_uri))
    {
        return bad_request(
            "The redirect address is not one the application registered, so this server will not send you there.",
        );
    }
    let state = get("state");
    let fail = |error: &str, description: &str| {
        to_client(
            &authority,
            redirect_uri,
            state,
            &[("error", error), ("error_description", description)],
        )
    };
    if get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = get("code_challenge") else {
        return fail("invalid_request", "PKCE is required: send code_challenge");
    };
    if get("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not accepted)",
        );
    }
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return fail(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        );
    }
    let resource = authority.config().resource();
    if let Some(asked) = get("resource")
        && asked.trim_end_matches('/') != resource
    {
        return fail(
            "invalid_target",
            "this server issues tokens only for its own /mcp resource",
        );
    }
    let supported = Authority::scopes_supported();
    let scope: Vec<String> = match get("scope") {
        None => supported.iter().map(|s| (*s).to_owned()).collect(),
        Some(asked) => {
            let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
            if let Some(unknown) = asked.iter().find(|s| !supported.contains(&s.as_str())) {
                return fail(
                    "invalid_scope",
                    &format!("unknown scope {unknown:?}; see scopes_supported in the metadata"),
                );
            }
            asked
        }
    };
    let (browser, set_cookie) = browser_cookie(&authority, &headers);
    let csrf = secrets::new(Kind::Csrf);
    let pending_id = secrets::new_id();
    let pending = Pending {
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        scope,
        resource,
        csrf: secrets::digest(&csrf),
        browser: secrets::digest(&browser),
    };
    if authority
        .store()
        .put(&key::pending(&pending_id), &to_json(&pending), PENDING_TTL)
        .await
        .is_err()
    {
        return fail(
            "temporarily_unavailable",
            "the sign-in could not be stored; try again",
        );
    }
    let mut response = pages::consent(&Consent {
        client_name: pending.client_name.as_deref(),
        client_id: &pending.client_id,
        redirect_host: &redirect::host_of(&pending.redirect_uri),
        scopes: &pending.scope,
        pending: &pending_id,
        csrf: &csrf,
    });
    if let Some(set) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, set);
    }
    response
}

#[derive(Debug, serde::Deserialize)]
pub struct Decision {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// `POST /oauth/authorize/decision`.
pub async fn decide(
    State(authority): State<Authority>,
    headers: HeaderMap,
    form: Result<Form<Decision>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(decision)) = form else {
        return bad_request("The form could not be read.");
    };
    let pending_key = key::pending(&decision.pending);
    let pending: Option<Pending> = match authority.store().take(&pending_key).await {
        Ok(Some(text)) => super::records::from_json(&pending_key, &text),
        Ok(None) => None,
        Err(_) => {
            return pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "The sign-in store cannot be reached right now.",
            );
        }
    };
    let Some(pending) = pending else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "It was already answered or waited too long.",
        );
    };
    let browser = cookie(&headers, authority.config().cookie_name()).unwrap_or_default();
    let csrf_ok = secrets::same(&secrets::digest(&decision.csrf), &pending.csrf);
    let browser_ok = secrets::same(&secrets::digest(&browser), &pending.browser);
    if !csrf_ok || !browser_ok {
        authority
            .metrics()
            .oauth_event("authorization", "csrf_failed");
        return pages::error(
            StatusCode::FORBIDDEN,
            "This answer was not accepted",
            "It did not come from the page this server showed in this browser.",
        );
    }
    let state = pending.state.clone();
    match decision.decision.as_str() {
        "approve" => {}
        "deny" => {
            authority.metrics().oauth_event("authorization", "denied");
            return to_client(
                &authority,
                &pending.redirect_uri,
                state.as_deref(),
                &[
                    ("error", "access_denied"),
                    ("error_description", "the user denied access"),
                ],
            );
        }
        _ => return bad_request("The answer must be approve or deny."),
    }
    // Our own PKCE pair and state toward Spotify, stored only now that the user approved.
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let upstream_state = secrets::new(Kind::UpstreamState);
    let signin_key = key::signin(&secrets::digest(&upstream_state));
    let scope = pending.scope.join(" ");
    let signin = SignIn { pending, verifier };
    let sealed = authority
        .keys()
        .seal(&signin_key, to_json(&signin).as_bytes());
    if authority
        .store()
        .put(&signin_key, &sealed, PENDING_TTL)
        .await
        .is_err()
    {
        return pages::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again",
            "The sign-in store cannot be reached right now.",
        );
    }
    let upstream = &authority.inner.upstream;
    let mut url = match url::Url::parse(&format!("{}/authorize", upstream.accounts_base_url)) {
        Ok(url) => url,
        Err(_) => {
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Misconfigured",
                "The Spotify accounts URL is not valid.",
            );
        }
    };
    {
        let callback = authority.config().callback();
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", &upstream.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &callback)
            .append_pair("scope", &scope)
            .append_pair("state", &upstream_state)
            .append_pair("code_challenge_method", "S256")
            .append_pair("code_challenge", &challenge);
        if authority.config().show_dialog {
            query.append_pair("show_dialog", "true");
        }
    }
    authority.metrics().oauth_event("authorization", "approved");
    // 303: the browser follows with a GET.
    Redirect::to(url.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_cookie_is_found_among_others_and_in_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; smcp-signin=x1"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, "smcp-signin").as_deref(), Some("x1"));
        assert_eq!(cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&headers, "smcp"), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("broken; smcp-signin=x2"),
        );
        assert_eq!(cookie(&headers, "smcp-signin").as_deref(), Some("x2"));
    }
}
