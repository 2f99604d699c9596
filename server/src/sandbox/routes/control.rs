//! Control endpoints for tests and benchmarks (not part of Spotify's API):
//! `GET/PUT /sandbox/faults`, `GET/DELETE /sandbox/requests`, `POST /sandbox/requests/drain`
//! (the log, emptied in the same step), `POST /sandbox/reset`,
//! `POST /sandbox/tokens/revoke`, `POST /sandbox/player/deactivate`, `GET /sandbox/world`,
//! `GET /sandbox/covers/{id}`.
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
use crate::http::host::Authority;
use crate::sandbox::error::ApiError;
use crate::sandbox::faults::KnobsPatch;
use crate::sandbox::world::{CURATOR, FREE, PREMIUM, SPOTIFY};
use crate::sandbox::{CLIENT_ID, FREE_REFRESH_TOKEN, PREMIUM_REFRESH_TOKEN, SandboxState};

pub fn routes(state: SandboxState) -> Router<SandboxState> {
    Router::new()
        .route("/sandbox/faults", get(get_faults).put(put_faults))
        .route("/sandbox/requests", get(requests).delete(clear_requests))
        .route("/sandbox/requests/drain", post(drain_requests))
        .route("/sandbox/reset", post(reset))
        .route("/sandbox/tokens/revoke", post(revoke))
        .route("/sandbox/player/deactivate", post(deactivate))
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
            .and_then(|o| o.host_str().map(Authority::parse))
            .is_some_and(|host| host.is_ok_and(|h| h.is_loopback()));
        if !loopback {
            return Some(ApiError::forbidden(
                "the sandbox's control endpoints refuse cross-origin requests: only pages of \
                 a loopback origin (or clients that send no Origin) may call them",
            ));
        }
    }
    match Authority::of_request(uri, headers) {
        Err(e) => Some(ApiError::bad_request(format!("Bad Request: {e}"))),
        Ok(Some(host))
            if !host.is_ip_literal()
                && !host.is_loopback()
                && !allowed_hosts
                    .iter()
                    .filter_map(|a| Authority::parse(a).ok())
                    .any(|a| a.host == host.host) =>
        {
            Some(ApiError::forbidden(format!(
                "the Host name `{}` may not use the sandbox's control endpoints (possible DNS \
                 rebinding); use an IP address, or start the sandbox with --allowed-hosts {}",
                host.host, host.host
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
}

/// Revokes a refresh token (the next refresh gets `invalid_grant`) and/or expires all access
/// tokens (the next API call gets 401).
async fn revoke(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let r: Revoke = json_body(&body)?;
    let mut tokens = s.shared.tokens.lock();
    let revoked = r
        .refresh_token
        .as_deref()
        .is_some_and(|t| tokens.revoke_refresh(t));
    if r.access_tokens {
        tokens.expire_all_access();
    }
    Ok(ok(
        json!({ "refresh_token_revoked": revoked, "access_tokens_expired": r.access_tokens }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Deactivate {
    user: Option<String>,
}

fn user_index(name: Option<&str>) -> Result<usize, ApiError> {
    match name {
        None | Some("premium") => Ok(PREMIUM),
        Some("free") => Ok(FREE),
        Some(other) => Err(ApiError::bad_request(format!(
            "user must be premium or free, got {other:?}"
        ))),
    }
}

/// Leaves the user without an active device (player commands answer NO_ACTIVE_DEVICE).
async fn deactivate(
    State(s): State<SandboxState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let d: Deactivate = json_body(&body)?;
    let user = user_index(d.user.as_deref())?;
    s.shared.world.lock().accounts[user].player.deactivate();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Ids of interesting fixtures, so tests need not discover them.
async fn world(State(s): State<SandboxState>) -> Response {
    let w = s.shared.world.lock();
    let ids = |f: &dyn Fn(&crate::sandbox::world::playlists::Playlist) -> bool| {
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

    use crate::sandbox::{CLIENT_ID, CLIENT_SECRET, SandboxOptions, SandboxState, router};

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
}
