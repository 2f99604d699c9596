//! Playlists: details, change details, items (read only for owners and collaborators, entries
//! under `item`), add/remove/reorder/replace with snapshot ids, the user's playlists, creating
//! one with `POST /me/playlists`, and cover images (base64 JPEG at most 256 KB).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Me, Origin, Params, Path, RawBody, empty_ok, json_body, list, ok, render, split_uri};
use crate::SandboxState;
use crate::error::ApiError;
use crate::fields;
use crate::world::catalog::{Catalog, Kind};
use crate::world::ids::{base62_id, is_base62_id};
use crate::world::library::LibraryItem;
use crate::world::playlists::{EditError, Playable, Playlist};
use crate::world::{WorldState, now_ms};

/// Most items per add/remove/replace call.
const MAX_ITEMS: usize = 100;
/// Largest custom cover (decoded JPEG).
const MAX_COVER_BYTES: usize = 256 * 1024;

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/playlists/{id}", get(get_playlist).put(change_details))
        .route(
            "/playlists/{id}/items",
            get(get_items)
                .post(add_items)
                .put(reorder_or_replace)
                .delete(remove_items),
        )
        .route("/playlists/{id}/images", get(get_cover).put(upload_cover))
        .route("/me/playlists", get(my_playlists).post(create))
}

type R = Result<Response, ApiError>;

const MODIFY: &[&str] = &["playlist-modify-public", "playlist-modify-private"];

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

/// Looks a playlist up as the caller sees it (editorial ones 404 for development-mode apps).
fn visible<'a>(w: &'a WorldState, id: &str, extended: bool) -> Result<&'a Playlist, ApiError> {
    if !is_base62_id(id) {
        return Err(ApiError::bad_request("Invalid base62 id"));
    }
    match w.playlists.get(id) {
        Some(p) if !p.editorial || extended => Ok(p),
        _ => Err(ApiError::not_found("Resource not found")),
    }
}

fn editable<'a>(
    w: &'a mut WorldState,
    id: &str,
    user: usize,
    extended: bool,
) -> Result<&'a mut Playlist, ApiError> {
    visible(w, id, extended)?;
    let p = w
        .playlists
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Resource not found"))?;
    if !p.editable_by(user) {
        return Err(ApiError::forbidden(
            "You cannot modify a playlist you do not own or collaborate on",
        ));
    }
    Ok(p)
}

fn playable(cat: &Catalog, uri: &str) -> Result<Playable, ApiError> {
    let bad = || ApiError::bad_request(format!("Invalid track uri: {uri}"));
    let (kind, id) = split_uri(uri).ok_or_else(bad)?;
    match kind {
        "track" => cat
            .find(Kind::Track, id)
            .map(Playable::Track)
            .ok_or_else(bad),
        "episode" => cat
            .find(Kind::Episode, id)
            .map(Playable::Episode)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn playables(cat: &Catalog, uris: &[&str]) -> Result<Vec<Playable>, ApiError> {
    if uris.len() > MAX_ITEMS {
        return Err(ApiError::bad_request(format!(
            "Too many uris: at most {MAX_ITEMS} per request, got {}",
            uris.len()
        )));
    }
    uris.iter().map(|u| playable(cat, u)).collect()
}

fn snapshot(p: &Playlist) -> Response {
    ok(json!({ "snapshot_id": p.snapshot_id() }))
}

/// Applies the optional `fields` filter.
fn filtered(q: &Params, v: Value) -> Result<Value, ApiError> {
    match q.get("fields").filter(|f| !f.trim().is_empty()) {
        None => Ok(v),
        Some(expr) => {
            let f = fields::parse(expr).map_err(|e| ApiError::bad_request(e.to_string()))?;
            Ok(fields::apply(v, &f))
        }
    }
}

async fn get_playlist(
    State(s): State<SandboxState>,
    me: Me,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let w = s.shared.world.lock();
    let extended = s.knobs().extended_quota;
    let p = visible(&w, &id, extended)?;
    let items_visible = p.editable_by(me.user) || (p.editorial && extended);
    let v = render(s.catalog(), &o.api()).playlist(&w, p, &o.0, items_visible);
    Ok(ok(filtered(&q, v)?))
}

#[derive(Deserialize, Default)]
struct Details {
    name: Option<String>,
    public: Option<bool>,
    collaborative: Option<bool>,
    description: Option<String>,
}

fn check_details(d: &Details, public: bool, collaborative: bool) -> Result<(), ApiError> {
    if d.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    if public && collaborative {
        return Err(ApiError::bad_request(
            "You can only set collaborative to true on non-public playlists",
        ));
    }
    Ok(())
}

async fn change_details(
    State(s): State<SandboxState>,
    me: Me,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> R {
    me.require(MODIFY)?;
    let d: Details = json_body(&body)?;
    let extended = s.knobs().extended_quota;
    let mut w = s.shared.world.lock();
    let p = editable(&mut w, &id, me.user, extended)?;
    if p.owner != me.user {
        return Err(ApiError::forbidden(
            "Only the owner can change a playlist's details",
        ));
    }
    check_details(
        &d,
        d.public.unwrap_or(p.public),
        d.collaborative.unwrap_or(p.collaborative),
    )?;
    if let Some(n) = d.name {
        p.name = n;
    }
    if let Some(v) = d.public {
        p.public = v;
    }
    if let Some(v) = d.collaborative {
        p.collaborative = v;
    }
    if let Some(v) = d.description {
        p.description = Some(v);
    }
    p.version += 1;
    Ok(empty_ok())
}

async fn get_items(
    State(s): State<SandboxState>,
    me: Me,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    me.require(&["playlist-read-private", "playlist-read-collaborative"])?;
    q.market()?;
    let page = q.page(20, 50)?;
    let extended = s.knobs().extended_quota;
    let w = s.shared.world.lock();
    let p = visible(&w, &id, extended)?;
    if !(p.editable_by(me.user) || (p.editorial && extended)) {
        return Err(ApiError::forbidden(
            "You can only read the items of playlists you own or collaborate on",
        ));
    }
    let base = o.api();
    let r = render(s.catalog(), &base);
    let v = page.of(&format!("{base}/playlists/{id}/items"), &p.entries, |e| {
        r.playlist_entry(&w, e)
    });
    Ok(ok(filtered(&q, v)?))
}

#[derive(Deserialize, Default)]
struct AddBody {
    uris: Option<Vec<String>>,
    position: Option<i64>,
}

async fn add_items(
    State(s): State<SandboxState>,
    me: Me,
    q: Params,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> R {
    me.require(MODIFY)?;
    let b: AddBody = json_body(&body)?;
    let cat = s.catalog();
    let uris: Vec<&str> = match (q.get("uris"), &b.uris) {
        (Some(u), _) => list(u, "uris", MAX_ITEMS)?,
        (None, Some(u)) => u.iter().map(String::as_str).collect(),
        (None, None) => return Err(ApiError::bad_request("Missing required parameter: uris")),
    };
    if uris.is_empty() {
        return Err(ApiError::bad_request("uris must not be empty"));
    }
    let items = playables(cat, &uris)?;
    let position = match (q.opt_int("position")?, b.position) {
        (Some(p), _) | (None, Some(p)) if p < 0 => {
            return Err(ApiError::bad_request("position must not be negative"));
        }
        (Some(p), _) | (None, Some(p)) => Some(p as usize),
        (None, None) => None,
    };
    let extended = s.knobs().extended_quota;
    let mut w = s.shared.world.lock();
    let p = editable(&mut w, &id, me.user, extended)?;
    p.add(&items, position, me.user, now_ms())?;
    let mut resp = snapshot(p);
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

#[derive(Deserialize, Default)]
struct ReorderBody {
    uris: Option<Vec<String>>,
    range_start: Option<i64>,
    insert_before: Option<i64>,
    range_length: Option<i64>,
    snapshot_id: Option<String>,
}

async fn reorder_or_replace(
    State(s): State<SandboxState>,
    me: Me,
    q: Params,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> R {
    me.require(MODIFY)?;
    let b: ReorderBody = json_body(&body)?;
    let cat = s.catalog();
    let extended = s.knobs().extended_quota;
    let replace: Option<Vec<&str>> = match (q.get("uris"), &b.uris) {
        (Some(""), _) => Some(Vec::new()),
        (Some(u), _) => Some(list(u, "uris", MAX_ITEMS)?),
        (None, Some(u)) => Some(u.iter().map(String::as_str).collect()),
        (None, None) => None,
    };
    let mut w = s.shared.world.lock();
    if let Some(uris) = replace {
        let items = playables(cat, &uris)?;
        let p = editable(&mut w, &id, me.user, extended)?;
        p.replace(&items, me.user, now_ms());
        return Ok(snapshot(p));
    }
    let (Some(start), Some(before)) = (b.range_start, b.insert_before) else {
        return Err(ApiError::bad_request(
            "Either uris, or range_start and insert_before, must be given",
        ));
    };
    let length = b.range_length.unwrap_or(1);
    if start < 0 || before < 0 || length < 1 {
        return Err(ApiError::bad_request(
            "range_start and insert_before must be non-negative and range_length positive",
        ));
    }
    let p = editable(&mut w, &id, me.user, extended)?;
    p.reorder(
        start as usize,
        before as usize,
        length as usize,
        b.snapshot_id.as_deref(),
    )?;
    Ok(snapshot(p))
}

#[derive(Deserialize)]
struct UriRef {
    uri: String,
}

#[derive(Deserialize, Default)]
struct RemoveBody {
    items: Option<Vec<UriRef>>,
    tracks: Option<Vec<UriRef>>,
    snapshot_id: Option<String>,
}

async fn remove_items(
    State(s): State<SandboxState>,
    me: Me,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> R {
    me.require(MODIFY)?;
    let b: RemoveBody = json_body(&body)?;
    let refs = b
        .items
        .or(b.tracks)
        .ok_or_else(|| ApiError::bad_request("Missing required field: items"))?;
    if refs.is_empty() {
        return Err(ApiError::bad_request("items must not be empty"));
    }
    let uris: Vec<&str> = refs.iter().map(|r| r.uri.as_str()).collect();
    let items = playables(s.catalog(), &uris)?;
    let extended = s.knobs().extended_quota;
    let mut w = s.shared.world.lock();
    let p = editable(&mut w, &id, me.user, extended)?;
    p.remove(&items, b.snapshot_id.as_deref())?;
    Ok(snapshot(p))
}

async fn my_playlists(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    me.require(&["playlist-read-private", "playlist-read-collaborative"])?;
    let page = q.page(20, 50)?;
    let w = s.shared.world.lock();
    let mut ids: Vec<&str> = w.accounts[me.user].library.playlists().collect();
    for p in w.playlists.iter() {
        if p.owner == me.user && !ids.contains(&p.id.as_str()) {
            ids.push(&p.id);
        }
    }
    let lists: Vec<&Playlist> = ids.iter().filter_map(|id| w.playlists.get(id)).collect();
    let base = o.api();
    let r = render(s.catalog(), &base);
    Ok(ok(page.of(&format!("{base}/me/playlists"), &lists, |p| {
        r.simplified_playlist(&w, p, &o.0)
    })))
}

async fn create(State(s): State<SandboxState>, me: Me, o: Origin, RawBody(body): RawBody) -> R {
    me.require(MODIFY)?;
    let d: Details = json_body(&body)?;
    let name = d
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing required field: name"))?;
    let public = d.public.unwrap_or(true);
    let collaborative = d.collaborative.unwrap_or(false);
    check_details(&d, public, collaborative)?;
    let mut w = s.shared.world.lock();
    let id = loop {
        let id = base62_id(&mut w.rng);
        if w.playlists.get(&id).is_none() && s.catalog().lookup(&id).is_none() {
            break id;
        }
    };
    w.playlists.insert(Playlist {
        id: id.clone(),
        name,
        description: d.description,
        owner: me.user,
        public,
        collaborative,
        collaborators: Vec::new(),
        editorial: false,
        entries: Vec::new(),
        version: 1,
        followers: 0,
        cover: None,
    });
    w.accounts[me.user]
        .library
        .save(&LibraryItem::Playlist(id.clone()), now_ms());
    let p = w
        .playlists
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Resource not found"))?;
    let v = render(s.catalog(), &o.api()).playlist(&w, p, &o.0, true);
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn get_cover(State(s): State<SandboxState>, _me: Me, o: Origin, Path(id): Path<String>) -> R {
    let w = s.shared.world.lock();
    let p = visible(&w, &id, s.knobs().extended_quota)?;
    let v: Value = render(s.catalog(), &o.api()).cover_images(&w, p, &o.0);
    Ok(ok(v))
}

async fn upload_cover(
    State(s): State<SandboxState>,
    me: Me,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> R {
    me.require(&["ugc-image-upload"])?;
    // Base64 of 256 KB is about 342 KB: anything beyond 1 MiB is refused before buffering it all.
    let body = axum::body::to_bytes(body, 1 << 20).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The image is larger than 256 KB",
        )
    })?;
    let text: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return Err(ApiError::bad_request(
            "The request body must be a base64 encoded JPEG image",
        ));
    }
    let jpeg = STANDARD.decode(&text).map_err(|_| {
        ApiError::bad_request("The request body must be a base64 encoded JPEG image")
    })?;
    if jpeg.len() > MAX_COVER_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The image is larger than 256 KB",
        ));
    }
    if !jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ApiError::bad_request("The image must be a JPEG"));
    }
    let extended = s.knobs().extended_quota;
    let mut w = s.shared.world.lock();
    let p = editable(&mut w, &id, me.user, extended)?;
    p.cover = Some(jpeg);
    p.version += 1;
    Ok(StatusCode::ACCEPTED.into_response())
}
