//! Control endpoints for tests and benchmarks (not part of Spotify's API):
//! `GET/PUT /sandbox/faults`, `GET/DELETE /sandbox/requests`, `POST /sandbox/reset`,
//! `POST /sandbox/tokens/revoke`, `POST /sandbox/player/deactivate`, `GET /sandbox/world`,
//! `GET /sandbox/covers/{id}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{json_body, ok};
use crate::sandbox::error::ApiError;
use crate::sandbox::faults::KnobsPatch;
use crate::sandbox::world::{CURATOR, FREE, PREMIUM, SPOTIFY};
use crate::sandbox::{CLIENT_ID, FREE_REFRESH_TOKEN, PREMIUM_REFRESH_TOKEN, SandboxState};

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/sandbox/faults", get(get_faults).put(put_faults))
        .route("/sandbox/requests", get(requests).delete(clear_requests))
        .route("/sandbox/reset", post(reset))
        .route("/sandbox/tokens/revoke", post(revoke))
        .route("/sandbox/player/deactivate", post(deactivate))
        .route("/sandbox/world", get(world))
        .route("/sandbox/covers/{id}", get(cover))
}

async fn get_faults(State(s): State<SandboxState>) -> Response {
    axum::Json(s.knobs()).into_response()
}

async fn put_faults(State(s): State<SandboxState>, body: Bytes) -> Result<Response, ApiError> {
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
async fn revoke(State(s): State<SandboxState>, body: Bytes) -> Result<Response, ApiError> {
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
async fn deactivate(State(s): State<SandboxState>, body: Bytes) -> Result<Response, ApiError> {
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
