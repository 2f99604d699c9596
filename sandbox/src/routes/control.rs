//! Control endpoints for tests and benchmarks (not part of Spotify's API):
//! `GET/PUT /sandbox/faults`, `GET/DELETE /sandbox/requests`, `POST /sandbox/requests/drain`
//! (the log, emptied in the same step), `POST /sandbox/reset`,
//! `POST /sandbox/tokens/revoke`, `POST /sandbox/player/deactivate`,
//! `GET/PUT /sandbox/allowlist`, `GET /sandbox/world`, `GET /sandbox/covers/{id}`.
//!
//! # Who may call them
//! They change or reveal the fake's whole state, so they are guarded against web pages a
//! browser on the same machine or network has open ([`guard`]): a request with an `Origin`
//! that is not a loopback origin gets 403 (a page can `POST /sandbox/reset` as a "simple"
//! cross-origin request, which carries its `Origin`; tests and scripts send none), and so does
//! one whose `Host` is a DNS name other than `localhost` and the `--allowed-hosts` of
//! `spotify-mcp-server sandbox` (DNS rebinding always uses a name; IP literals are accepted, as
//! are requests without `Host`). The checked-in tests reach the control endpoints at
//! `127.0.0.1:PORT`; a sandbox behind a Kubernetes Service name (e.g. `spotify-fake.test.svc`)
//! serves its Web API and token endpoint under that name as before, and its control endpoints
//! once the name is passed with `--allowed-hosts`. Covers are content linked from Web API
//! answers under whatever name the client used, so they are not guarded.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{Path, RawBody, json_body, ok};
use crate::allowlist::AllowList;
use crate::error::ApiError;
use crate::faults::KnobsPatch;
use crate::host::Host;
use crate::world::{CURATOR, FREE, PREMIUM, SPOTIFY, sign_in_user, sign_in_user_names};
use crate::{CLIENT_ID, FREE_REFRESH_TOKEN, PREMIUM_REFRESH_TOKEN, SandboxState};

pub fn routes(state: SandboxState) -> Router<SandboxState> {
    Router::new()
        .route("/sandbox/faults", get(get_faults).put(put_faults))
        .route("/sandbox/requests", get(requests).delete(clear_requests))
        .route("/sandbox/requests/drain", post(drain_requests))
        .route("/sandbox/reset", post(reset))
        .route("/sandbox/tokens/revoke", post(revoke))
        .route("/sandbox/player/deactivate", post(deactivate))
        .route("/sandbox/allowlist", get(get_allowlist).put(put_allowlist))
        .route("/sandbox/world", get(world))
        .route_layer(from_fn_with_state(state, guard))
        .route("/sandbox/covers/{id}", get(cover))
}

/// Why a request may not use the control endpoints (see the module documentation), if so.
fn refusal(uri: &Uri, headers: &HeaderMap, allowed_hosts: &[String]) -> Option<ApiError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let loopback = origin
            .to_str()
            .ok()
            .and_then(|o| url::Url::parse(o).ok())
            .filter(|o| matches!(o.scheme(), "http" | "https"))
            .and_then(|o| o.host_str().map(Host::parse))
            .is_some_and(|host| host.is_ok_and(|h| h.is_loopback()));
        if !loopback {
            return Some(ApiError::forbidden(
                "the sandbox's control endpoints refuse cross-origin requests: only pages of \
                 a loopback origin (or clients that send no Origin) may call them",
            ));
        }
    }
    match Host::of_request(uri, headers) {
        Err(e) => Some(ApiError::bad_request(format!("Bad Request: {e}"))),
        Ok(Some(host))
            if !host.is_ip_literal()
                && !host.is_loopback()
                && !allowed_hosts
                    .iter()
                    .filter_map(|a| Host::parse(a).ok())
                    .any(|a| a == host) =>
        {
            Some(ApiError::forbidden(format!(
                "the Host name `{}` may not use the sandbox's control endpoints (possible DNS \
                 rebinding); use an IP address, or start the sandbox with --allowed-hosts {}",
                host.0, host.0
            )))
        }
        Ok(_) => None,
    }
}

/// Middleware of the control endpoints: see the module documentation.
async fn guard(State(s): State<SandboxState>, request: Request, next: Next) -> Response {
    match refusal(
        request.uri(),
        request.headers(),
        &s.shared.opts.allowed_hosts,
    ) {
        Some(error) => {
            tracing::warn!(
                path = request.uri().path(),
                reason = %error.message,
                "sandbox control request refused"
            );
            error.into_response()
        }
        None => next.run(request).await,
    }
}

async fn get_faults(State(s): State<SandboxState>) -> Response {
    axum::Json(s.knobs()).into_response()
}

async fn put_faults(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let patch: KnobsPatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid faults JSON: {e}")))?;
    let mut knobs = s.shared.knobs.write();
    let next = knobs.apply(&patch).map_err(ApiError::bad_request)?;
    *knobs = next.clone();
    Ok(axum::Json(next).into_response())
}

async fn requests(State(s): State<SandboxState>) -> Response {
    let log: Vec<_> = s.shared.log.lock().iter().cloned().collect();
    axum::Json(json!({ "requests": log })).into_response()
}

/// The log so far, which is emptied in the same step (nothing recorded meanwhile is lost).
async fn drain_requests(State(s): State<SandboxState>) -> Response {
    let log: Vec<_> = std::mem::take(&mut *s.shared.log.lock()).into();
    axum::Json(json!({ "requests": log })).into_response()
}

async fn clear_requests(State(s): State<SandboxState>) -> Response {
    s.shared.log.lock().clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn reset(State(s): State<SandboxState>) -> Response {
    s.reset();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Revoke {
    refresh_token: Option<String>,
    #[serde(default)]
    access_tokens: bool,
    user: Option<String>,
}

/// Revokes a refresh token (the next refresh gets `invalid_grant`), everything the
/// authorization-code flow issued to a user (`user`: their refresh tokens, rotated ones
/// included, get `invalid_grant` and their access tokens 401), and/or expires all access tokens
/// (the next API call gets 401 "expired"). `user` leaves the fixed refresh tokens
/// ([`PREMIUM_REFRESH_TOKEN`], [`FREE_REFRESH_TOKEN`]) and the access tokens minted from them
/// alone, since other tests may share the sandbox: name one in `refresh_token` to revoke it
/// too. The answer counts the refresh and access tokens this request revoked.
async fn revoke(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let r: Revoke = json_body(&body)?;
    let user = r.user.as_deref().map(named_user).transpose()?;
    let mut tokens = s.shared.tokens.lock();
    let revoked = r
        .refresh_token
        .as_deref()
        .is_some_and(|t| tokens.revoke_refresh(t));
    let (mut refresh_revoked, mut access_revoked) =
        user.map_or((0, 0), |user| tokens.revoke_user(user));
    refresh_revoked += usize::from(revoked);
    if r.access_tokens {
        access_revoked += tokens.expire_all_access();
    }
    Ok(ok(json!({
        "refresh_token_revoked": revoked,
        "access_tokens_expired": r.access_tokens,
        "refresh_tokens_revoked": refresh_revoked,
        "access_tokens_revoked": access_revoked,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Deactivate {
    user: Option<String>,
}

/// The user a control request names (`premium` or `free`), or 400 listing the names.
fn named_user(name: &str) -> Result<usize, ApiError> {
    sign_in_user(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "user must be one of {}, got {name:?}",
            sign_in_user_names()
        ))
    })
}

/// Leaves the user without an active device (player commands answer NO_ACTIVE_DEVICE).
async fn deactivate(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let d: Deactivate = json_body(&body)?;
    let user = d.user.as_deref().map_or(Ok(PREMIUM), named_user)?;
    s.shared.world.lock().accounts[user].player.deactivate();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowListBody {
    users: Vec<String>,
}

fn allowlist_answer(list: &AllowList) -> Response {
    ok(json!({ "users": list.names() }))
}

/// The Development-Mode allow-list: `{"users": [...]}`, the names of the users the app serves.
async fn get_allowlist(State(s): State<SandboxState>) -> Response {
    allowlist_answer(&s.shared.allowlist.read())
}

/// Replaces the allow-list with `{"users": [...]}` (names, possibly none); a user off the list
/// gets 403 on every Web API call (see `allowlist`). Answers the new list.
async fn put_allowlist(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let invalid = |e: serde_json::Error| {
        ApiError::bad_request(format!(
            "Invalid allow-list JSON: {e} (expected {{\"users\": [names]}})"
        ))
    };
    // An object first: serde would read the struct from an array too.
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&body).map_err(invalid)?;
    let body: AllowListBody =
        serde_json::from_value(serde_json::Value::Object(object)).map_err(invalid)?;
    let users = body
        .users
        .iter()
        .map(String::as_str)
        .map(named_user)
        .collect::<Result<Vec<_>, _>>()?;
    let list = AllowList::of(&users);
    *s.shared.allowlist.write() = list.clone();
    Ok(allowlist_answer(&list))
}

/// Ids of interesting fixtures, so tests need not discover them.
async fn world(State(s): State<SandboxState>) -> Response {
    let w = s.shared.world.lock();
    let ids = |f: &dyn Fn(&crate::world::playlists::Playlist) -> bool| {
        w.playlists
            .iter()
            .filter(|p| f(p))
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    let devices = |u: usize| {
        w.accounts[u]
            .player
            .devices
            .iter()
            .map(|d| json!({ "id": d.id, "name": d.name, "type": d.kind, "supports_volume": d.supports_volume, "is_restricted": d.is_restricted }))
            .collect::<Vec<_>>()
    };
    let cat = s.catalog();
    axum::Json(json!({
        "client_id": CLIENT_ID,
        "refresh_tokens": { "premium": PREMIUM_REFRESH_TOKEN, "free": FREE_REFRESH_TOKEN },
        "users": { "premium": w.accounts[PREMIUM].user.id, "free": w.accounts[FREE].user.id, "other": w.accounts[CURATOR].user.id },
        "playlists": {
            "owned": ids(&|p| p.owner == PREMIUM),
            "collaborative": ids(&|p| p.collaborators.contains(&PREMIUM)),
            "not_owned": ids(&|p| p.owner == CURATOR && !p.collaborators.contains(&PREMIUM)),
            "editorial": ids(&|p| p.owner == SPOTIFY),
            "free_owned": ids(&|p| p.owner == FREE),
        },
        "devices": { "premium": devices(PREMIUM), "free": devices(FREE) },
        "counts": {
            "artists": cat.artists.len(), "albums": cat.albums.len(), "tracks": cat.tracks.len(),
            "shows": cat.shows.len(), "episodes": cat.episodes.len(), "audiobooks": cat.audiobooks.len(),
            "chapters": cat.chapters.len(),
        },
        "samples": {
            "track": cat.tracks.first().map(|x| x.id.clone()),
            "album": cat.albums.first().map(|x| x.id.clone()),
            "artist": cat.artists.first().map(|x| x.id.clone()),
            "show": cat.shows.first().map(|x| x.id.clone()),
            "episode": cat.episodes.first().map(|x| x.id.clone()),
            "audiobook": cat.audiobooks.first().map(|x| x.id.clone()),
            "chapter": cat.chapters.first().map(|x| x.id.clone()),
        },
    }))
    .into_response()
}

/// Serves an uploaded custom cover.
async fn cover(
    State(s): State<SandboxState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let w = s.shared.world.lock();
    let bytes = w
        .playlists
        .get(&id)
        .and_then(|p| p.cover.clone())
        .ok_or_else(|| ApiError::not_found("No custom cover for this playlist"))?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use base64::Engine;
    use tower::ServiceExt;

    use serde_json::json;

    use crate::allowlist::NotRegistered;
    use crate::{
        CLIENT_ID, CLIENT_SECRET, FREE_REFRESH_TOKEN, FREE_USER_ID, PREMIUM_REFRESH_TOKEN,
        SandboxOptions, SandboxState, router,
    };

    /// A web page cannot drive the control endpoints, neither cross-origin nor
    /// through DNS rebinding, while tests (no Origin, an IP or allowed name) and every client
    /// of the Web API and token endpoint keep working.
    #[tokio::test]
    async fn control_endpoints_refuse_foreign_origins_and_host_names() {
        let app = router(SandboxState::new(SandboxOptions {
            allowed_hosts: vec!["Spotify-Fake.test.svc".into()],
            ..SandboxOptions::default()
        }));
        let send = |method: &str, path: &str, headers: &[(&str, &str)], body: &str| {
            let mut request = Request::builder().method(method).uri(path);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            app.clone()
                .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        };
        let status = |response: axum::response::Response| response.status().as_u16();
        let status_of = |response: &axum::response::Response| response.status().as_u16();

        for origin in [
            "https://evil.example",
            "http://evil.example:8900",
            "null",
            "file://",
        ] {
            let response = send("POST", "/sandbox/reset", &[("origin", origin)], "")
                .await
                .unwrap();
            assert_eq!(status(response), 403, "Origin {origin}");
        }
        for origin in [
            "http://localhost:3000",
            "http://127.0.0.1:8900",
            "http://[::1]",
        ] {
            let response = send("POST", "/sandbox/reset", &[("origin", origin)], "")
                .await
                .unwrap();
            assert_eq!(status(response), 204, "Origin {origin}");
        }
        let response = send("POST", "/sandbox/reset", &[], "").await.unwrap();
        assert_eq!(status(response), 204, "no Origin");

        for host in ["evil.example", "evil.example:8900", "127.0.0.1.nip.io"] {
            let response = send("GET", "/sandbox/world", &[("host", host)], "")
                .await
                .unwrap();
            assert_eq!(status_of(&response), 403, "Host {host}");
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains("--allowed-hosts"), "{body}");
        }
        for host in [
            "10.1.2.3:8900",
            "[fd00::5]:8900",
            "localhost:8900",
            "spotify-fake.test.svc:8900",
            "SPOTIFY-FAKE.TEST.SVC",
        ] {
            let response = send("GET", "/sandbox/world", &[("host", host)], "")
                .await
                .unwrap();
            assert_eq!(status(response), 200, "Host {host}");
        }

        // The fake Spotify answers under any name and to any page.
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let authorization = format!("Basic {basic}");
        let response = send(
            "POST",
            "/api/token",
            &[
                ("host", "api.example.internal"),
                ("origin", "https://evil.example"),
                ("authorization", &authorization),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "grant_type=client_credentials",
        )
        .await
        .unwrap();
        assert_eq!(status(response), 200);
        let response = send(
            "GET",
            "/v1/tracks/4iV5W9uYEdYUVa79Axb7Rh",
            &[
                ("host", "api.example.internal"),
                ("origin", "https://evil.example"),
            ],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status(response), 401, "no token, but not refused by name");
        let response = send(
            "GET",
            "/sandbox/covers/nope",
            &[("host", "evil.example")],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status(response), 404, "covers are content, not control");
    }

    /// What one exchange answered: status, `Content-Type`, body and `Location`.
    struct Answer {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        location: Option<String>,
    }

    impl Answer {
        fn json(&self) -> serde_json::Value {
            serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.body).into_owned()
        }
    }

    async fn send(
        app: &axum::Router,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body.to_owned())).expect("request"))
            .await
            .expect("infallible");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(axum::http::header::CONTENT_TYPE).unwrap_or_default();
        let location = header(axum::http::header::LOCATION);
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body")
            .to_vec();
        Answer {
            status,
            content_type,
            body,
            location,
        }
    }

    /// `POST /api/token` with the app's secret.
    async fn token_request(app: &axum::Router, form: &str) -> Answer {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        send(
            app,
            "POST",
            "/api/token",
            &[
                ("authorization", &format!("Basic {basic}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form,
        )
        .await
    }

    /// Signs `user` in through `/authorize` and the code exchange: (access, refresh token).
    async fn sign_in(app: &axum::Router, user: &str) -> (String, String) {
        let redirect = "http://127.0.0.1:9/callback";
        let authorize = send(
            app,
            "GET",
            &format!(
                "/authorize?client_id={CLIENT_ID}&response_type=code&redirect_uri={redirect}\
                 &scope=user-read-private&sandbox_user={user}"
            ),
            &[],
            "",
        )
        .await;
        assert_eq!(authorize.status, 302, "{}", authorize.text());
        let location = url::Url::parse(&authorize.location.unwrap_or_default()).expect("URL");
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code");
        let exchange = token_request(
            app,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={redirect}"),
        )
        .await;
        assert_eq!(exchange.status, 200, "{}", exchange.text());
        let tokens = exchange.json();
        (
            tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            tokens["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// `grant_type=refresh_token`: the answer (200 with tokens, or the OAuth error).
    async fn refresh(app: &axum::Router, refresh_token: &str) -> Answer {
        token_request(
            app,
            &format!("grant_type=refresh_token&refresh_token={refresh_token}"),
        )
        .await
    }

    fn access_token(answer: &Answer) -> String {
        answer.json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn get_as(app: &axum::Router, path: &str, access: &str) -> Answer {
        let bearer = format!("Bearer {access}");
        send(app, "GET", path, &[("authorization", &bearer)], "").await
    }

    async fn revoke(app: &axum::Router, body: &str) -> Answer {
        send(app, "POST", "/sandbox/tokens/revoke", &[], body).await
    }

    /// Revoking a user takes every refresh token the authorization-code flow issued to them
    /// (rotated ones too) and their access tokens; the other user's tokens and the fixed refresh
    /// tokens, with the access tokens minted from them, keep working.
    #[tokio::test]
    async fn revoking_a_user_takes_their_issued_tokens_and_leaves_the_rest() {
        let app = router(SandboxState::new(SandboxOptions::default()));
        let (premium_access, premium_refresh) = sign_in(&app, "premium").await;
        let rotation = refresh(&app, &premium_refresh).await;
        assert_eq!(rotation.status, 200, "{}", rotation.text());
        let rotated_access = access_token(&rotation);
        let rotated_refresh = rotation.json()["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!rotated_refresh.is_empty(), "issued refresh tokens rotate");
        let (free_access, free_refresh) = sign_in(&app, "free").await;
        let fixed_access = access_token(&refresh(&app, PREMIUM_REFRESH_TOKEN).await);

        let answer = revoke(&app, r#"{"user": "premium"}"#).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(
            answer.json(),
            json!({
                "refresh_token_revoked": false,
                "access_tokens_expired": false,
                "refresh_tokens_revoked": 2,
                "access_tokens_revoked": 2,
            })
        );

        for token in [&premium_refresh, &rotated_refresh] {
            let answer = refresh(&app, token).await;
            assert_eq!(answer.status, 400, "{}", answer.text());
            assert_eq!(
                answer.json(),
                json!({"error": "invalid_grant", "error_description": "Refresh token revoked"})
            );
        }
        let unknown = refresh(&app, "AQnever-issued").await;
        assert_eq!(unknown.json()["error_description"], "Invalid refresh token");
        for token in [&premium_access, &rotated_access] {
            let answer = get_as(&app, "/v1/me", token).await;
            assert_eq!(answer.status, 401, "{}", answer.text());
            assert_eq!(answer.json()["error"]["status"], 401);
        }
        assert_eq!(get_as(&app, "/v1/me", &fixed_access).await.status, 200);
        assert_eq!(refresh(&app, PREMIUM_REFRESH_TOKEN).await.status, 200);
        assert_eq!(refresh(&app, FREE_REFRESH_TOKEN).await.status, 200);
        let me = get_as(&app, "/v1/me", &free_access).await;
        assert_eq!(me.status, 200, "{}", me.text());
        assert_eq!(me.json()["id"], FREE_USER_ID);
        assert_eq!(refresh(&app, &free_refresh).await.status, 200);

        // Named explicitly, a fixed refresh token goes too; the fields combine.
        let answer = revoke(
            &app,
            r#"{"user": "free", "refresh_token": "sandbox-refresh-token"}"#,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.json()["refresh_token_revoked"], true);
        // The free user's rotated refresh token and the original, plus the fixed one named.
        assert_eq!(answer.json()["refresh_tokens_revoked"], 3);
        assert_eq!(refresh(&app, PREMIUM_REFRESH_TOKEN).await.status, 400);
        assert_eq!(get_as(&app, "/v1/me", &free_access).await.status, 401);
    }

    #[tokio::test]
    async fn revoking_an_unknown_user_is_a_clear_400() {
        let app = router(SandboxState::new(SandboxOptions::default()));
        let (access, refresh_token) = sign_in(&app, "premium").await;
        for body in [r#"{"user": "curator"}"#, r#"{"user": "Premium"}"#] {
            let answer = revoke(&app, body).await;
            assert_eq!(answer.status, 400, "{body}");
            let message = answer.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(message.contains("premium, free"), "{message}");
        }
        let answer = revoke(&app, r#"{"user": "premium", "everyone": true}"#).await;
        assert_eq!(answer.status, 400, "unknown fields are refused");
        // Nothing was revoked by the refused requests.
        assert_eq!(get_as(&app, "/v1/me", &access).await.status, 200);
        assert_eq!(refresh(&app, &refresh_token).await.status, 200);
    }

    /// A Development-Mode app serves only allow-listed users: one off the list signs in, then
    /// gets Spotify's plain-text 403 on every Web API call; reset lists everyone again.
    #[tokio::test]
    async fn users_off_the_allowlist_sign_in_but_get_403_until_reset() {
        let app = router(SandboxState::new(SandboxOptions::default()));
        let list = send(&app, "GET", "/sandbox/allowlist", &[], "").await;
        assert_eq!(list.status, 200);
        assert_eq!(list.json(), json!({ "users": ["premium", "free"] }));
        let (free_before, _) = sign_in(&app, "free").await;

        let set = send(
            &app,
            "PUT",
            "/sandbox/allowlist",
            &[],
            r#"{"users": ["premium"]}"#,
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.text());
        assert_eq!(set.json(), json!({ "users": ["premium"] }));
        let list = send(&app, "GET", "/sandbox/allowlist", &[], "").await;
        assert_eq!(list.json(), json!({ "users": ["premium"] }));

        let (free_after, free_refresh) = sign_in(&app, "free").await;
        let refreshed = refresh(&app, &free_refresh).await;
        assert_eq!(
            refreshed.status, 200,
            "the token endpoint still serves them"
        );
        let world = send(&app, "GET", "/sandbox/world", &[], "").await.json();
        let track = format!(
            "/v1/tracks/{}",
            world["samples"]["track"].as_str().unwrap_or_default()
        );
        for token in [&free_before, &free_after, &access_token(&refreshed)] {
            for path in ["/v1/me", track.as_str(), "/v1/me/player/devices"] {
                let answer = get_as(&app, path, token).await;
                assert_eq!(answer.status, 403, "{path}: {}", answer.text());
                assert_eq!(answer.text(), NotRegistered::MESSAGE, "{path}");
                assert!(
                    answer.content_type.starts_with("text/plain"),
                    "{path}: {}",
                    answer.content_type
                );
            }
        }
        // A bad token is still a 401, and the listed user and client credentials are served.
        assert_eq!(get_as(&app, "/v1/me", "BQnope").await.status, 401);
        let (premium, _) = sign_in(&app, "premium").await;
        assert_eq!(get_as(&app, "/v1/me", &premium).await.status, 200);
        let app_token = access_token(&token_request(&app, "grant_type=client_credentials").await);
        assert_eq!(get_as(&app, &track, &app_token).await.status, 200);

        // An empty list refuses everyone; reset lists everyone again.
        let set = send(&app, "PUT", "/sandbox/allowlist", &[], r#"{"users": []}"#).await;
        assert_eq!(set.json(), json!({ "users": [] }));
        assert_eq!(get_as(&app, "/v1/me", &premium).await.status, 403);
        assert_eq!(
            send(&app, "POST", "/sandbox/reset", &[], "").await.status,
            204
        );
        let list = send(&app, "GET", "/sandbox/allowlist", &[], "").await;
        assert_eq!(list.json(), json!({ "users": ["premium", "free"] }));
        assert_eq!(get_as(&app, "/v1/me", &premium).await.status, 200);
        assert_eq!(get_as(&app, "/v1/me", &free_after).await.status, 200);
    }

    #[tokio::test]
    async fn bad_allowlists_are_refused_and_change_nothing() {
        let app = router(SandboxState::new(SandboxOptions::default()));
        for body in [
            r#"{"users": ["premium", "nobody"]}"#,
            r#"{"users": "premium"}"#,
            r#"{"users": ["premium"], "extra": 1}"#,
            r#"{}"#,
            r#"[["premium"]]"#,
            "",
        ] {
            let answer = send(&app, "PUT", "/sandbox/allowlist", &[], body).await;
            assert_eq!(answer.status, 400, "{body}: {}", answer.text());
            assert_eq!(answer.json()["error"]["status"], 400, "{body}");
        }
        let answer = send(
            &app,
            "PUT",
            "/sandbox/allowlist",
            &[],
            r#"{"users": ["nobody"]}"#,
        )
        .await;
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains("premium, free"), "{message}");
        let list = send(&app, "GET", "/sandbox/allowlist", &[], "").await;
        assert_eq!(list.json(), json!({ "users": ["premium", "free"] }));

        // The control endpoints' guard covers the allow-list too.
        for headers in [
            [("origin", "https://evil.example")],
            [("host", "evil.example")],
        ] {
            for (method, body) in [("GET", ""), ("PUT", r#"{"users": []}"#)] {
                let answer = send(&app, method, "/sandbox/allowlist", &headers, body).await;
                assert_eq!(answer.status, 403, "{method} {headers:?}");
            }
        }
        let list = send(&app, "GET", "/sandbox/allowlist", &[], "").await;
        assert_eq!(list.json(), json!({ "users": ["premium", "free"] }));
    }
}
