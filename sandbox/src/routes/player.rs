//! The player: playback state, devices, transfer, play/pause/next/previous/seek, volume, repeat,
//! shuffle, queue and recently played. Premium is checked first (403 PREMIUM_REQUIRED), then
//! the device (404 NO_ACTIVE_DEVICE when none is active).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Me, Origin, Params, RawBody, json_body, ok, render, split_uri};
use crate::SandboxState;
use crate::error::ApiError;
use crate::world::catalog::{Catalog, Kind};
use crate::world::player::{Context, Load, Repeat, Snapshot};
use crate::world::playlists::Playable;
use crate::world::{WorldState, now_ms};

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/me/player", get(state).put(transfer))
        .route("/me/player/devices", get(devices))
        .route("/me/player/currently-playing", get(currently_playing))
        .route("/me/player/play", put(play))
        .route("/me/player/pause", put(pause))
        .route("/me/player/next", post(next))
        .route("/me/player/previous", post(previous))
        .route("/me/player/seek", put(seek))
        .route("/me/player/repeat", put(repeat))
        .route("/me/player/volume", put(volume))
        .route("/me/player/shuffle", put(shuffle))
        .route("/me/player/recently-played", get(recently_played))
        .route("/me/player/queue", get(queue).post(add_to_queue))
}

type R = Result<Response, ApiError>;

const READ: &[&str] = &["user-read-playback-state"];
const MODIFY: &[&str] = &["user-modify-playback-state"];

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Player control needs Premium and the modify scope.
fn control(world: &WorldState, me: &Me) -> Result<(), ApiError> {
    me.require(MODIFY)?;
    if !world.accounts.get(me.user).is_some_and(|a| a.user.premium) {
        return Err(ApiError::premium_required());
    }
    Ok(())
}

/// Without `additional_types=episode` Spotify leaves out a playing episode (`item` absent,
/// `currently_playing_type` still says `episode`).
fn episodes_wanted(q: &Params) -> bool {
    q.get("additional_types")
        .is_some_and(|t| t.split(',').any(|x| x.trim() == "episode"))
}

fn hide_episode(mut snap: Snapshot, q: &Params) -> (Snapshot, bool) {
    let hidden = matches!(snap.item, Some(Playable::Episode(_))) && !episodes_wanted(q);
    if hidden {
        snap.item = None;
    }
    (snap, hidden)
}

fn with_type(mut v: Value, hidden: bool) -> Value {
    if hidden && let Some(o) = v.as_object_mut() {
        o.insert("currently_playing_type".into(), json!("episode"));
    }
    v
}

/// Drops null `context`/`item` fields, which the definition does not allow.
fn strip_nulls(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
    v
}

async fn state(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    me.require(READ)?;
    q.market()?;
    let cat = s.catalog();
    let mut w = s.shared.world.lock();
    let Some(snap) = w.accounts[me.user].player.snapshot(cat, now_ms()) else {
        return Ok(no_content());
    };
    let (snap, hidden) = hide_episode(snap, &q);
    let v = render(cat, &o.api()).playback(&snap);
    Ok(ok(strip_nulls(with_type(v, hidden))))
}

async fn currently_playing(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    me.require(&["user-read-currently-playing", "user-read-playback-state"])?;
    q.market()?;
    let cat = s.catalog();
    let mut w = s.shared.world.lock();
    match w.accounts[me.user].player.snapshot(cat, now_ms()) {
        Some(snap) if snap.item.is_some() => {
            let (snap, hidden) = hide_episode(snap, &q);
            let v = render(cat, &o.api()).currently_playing(&snap);
            Ok(ok(strip_nulls(with_type(v, hidden))))
        }
        _ => Ok(no_content()),
    }
}

async fn devices(State(s): State<SandboxState>, me: Me, o: Origin) -> R {
    me.require(READ)?;
    let w = s.shared.world.lock();
    let p = &w.accounts[me.user].player;
    let active = p.active_device().map(|d| d.id.clone());
    let r = render(s.catalog(), "");
    let _ = o;
    let list: Vec<Value> = p
        .devices
        .iter()
        .map(|d| r.device(d, active.as_deref() == Some(d.id.as_str())))
        .collect();
    Ok(ok(json!({ "devices": list })))
}

#[derive(Deserialize, Default)]
struct TransferBody {
    device_ids: Option<Vec<String>>,
    play: Option<bool>,
}

async fn transfer(State(s): State<SandboxState>, me: Me, RawBody(body): RawBody) -> R {
    let b: TransferBody = json_body(&body)?;
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let ids = b
        .device_ids
        .ok_or_else(|| ApiError::bad_request("Missing required field: device_ids"))?;
    if ids.len() != 1 {
        return Err(ApiError::bad_request(
            "device_ids must contain exactly one device id",
        ));
    }
    w.accounts[me.user]
        .player
        .transfer(s.catalog(), &ids[0], b.play.unwrap_or(false), now_ms())?;
    Ok(no_content())
}

#[derive(Deserialize, Default)]
struct Offset {
    position: Option<i64>,
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
struct PlayBody {
    context_uri: Option<String>,
    uris: Option<Vec<String>>,
    offset: Option<Offset>,
    position_ms: Option<i64>,
}

/// Resolves a context URI to its playable items.
fn context_items(
    cat: &Catalog,
    world: &WorldState,
    me: usize,
    uri: &str,
    extended: bool,
) -> Result<(Context, Vec<Playable>), ApiError> {
    let (kind, id) = split_uri(uri)
        .ok_or_else(|| ApiError::bad_request(format!("Invalid context uri: {uri}")))?;
    let missing = || ApiError::not_found(format!("Context not found: {uri}"));
    let items: Vec<Playable> = match kind {
        "album" => cat.albums[cat.find(Kind::Album, id).ok_or_else(missing)?]
            .tracks
            .iter()
            .map(|&t| Playable::Track(t))
            .collect(),
        "artist" => cat
            .artist_top_tracks(cat.find(Kind::Artist, id).ok_or_else(missing)?)
            .into_iter()
            .take(10)
            .map(Playable::Track)
            .collect(),
        "show" => cat.shows[cat.find(Kind::Show, id).ok_or_else(missing)?]
            .episodes
            .iter()
            .map(|&e| Playable::Episode(e))
            .collect(),
        "playlist" => {
            let p = world.playlists.get(id).ok_or_else(missing)?;
            if p.editorial && !extended {
                return Err(missing());
            }
            let _ = me;
            p.entries.iter().map(|e| e.item).collect()
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "Unsupported context uri: {uri}"
            )));
        }
    };
    let kind: &'static str = match kind {
        "album" => "album",
        "artist" => "artist",
        "show" => "show",
        _ => "playlist",
    };
    Ok((
        Context {
            kind,
            id: id.to_string(),
        },
        items,
    ))
}

/// Resolves a track or episode URI.
fn playable(cat: &Catalog, uri: &str) -> Result<Playable, ApiError> {
    let bad = || ApiError::bad_request(format!("Invalid track uri: {uri}"));
    let (kind, id) = split_uri(uri).ok_or_else(bad)?;
    match kind {
        "track" => cat
            .find(Kind::Track, id)
            .map(Playable::Track)
            .ok_or_else(|| ApiError::not_found(format!("Track not found: {uri}"))),
        "episode" => cat
            .find(Kind::Episode, id)
            .map(Playable::Episode)
            .ok_or_else(|| ApiError::not_found(format!("Episode not found: {uri}"))),
        _ => Err(bad()),
    }
}

fn uri_of(cat: &Catalog, p: Playable) -> String {
    match p {
        Playable::Track(i) => cat.tracks.get(i).map(|t| format!("spotify:track:{}", t.id)),
        Playable::Episode(i) => cat
            .episodes
            .get(i)
            .map(|e| format!("spotify:episode:{}", e.id)),
    }
    .unwrap_or_default()
}

async fn play(State(s): State<SandboxState>, me: Me, q: Params, RawBody(body): RawBody) -> R {
    let b: PlayBody = json_body(&body)?;
    let device = q.get("device_id").filter(|d| !d.is_empty());
    let cat = s.catalog();
    let extended = s.knobs().extended_quota;
    let mut guard = s.shared.world.lock();
    let w = &mut *guard;
    control(w, &me)?;
    let position_ms = match b.position_ms {
        Some(p) if p < 0 => {
            return Err(ApiError::bad_request(
                "position_ms must be a non-negative number",
            ));
        }
        Some(p) => p as u64,
        None => 0,
    };
    let load = match (&b.context_uri, &b.uris) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "Only one of context_uri and uris may be given",
            ));
        }
        (None, None) => {
            if b.offset.is_some() {
                return Err(ApiError::bad_request("offset needs context_uri or uris"));
            }
            w.accounts[me.user].player.resume(cat, device, now_ms())?;
            return Ok(no_content());
        }
        (Some(ctx), None) => {
            let (context, items) = context_items(cat, w, me.user, ctx, extended)?;
            Load {
                context: Some(context),
                items,
                offset: 0,
                position_ms,
            }
        }
        (None, Some(uris)) => {
            if uris.is_empty() {
                return Err(ApiError::bad_request("uris must not be empty"));
            }
            let items = uris
                .iter()
                .map(|u| playable(cat, u))
                .collect::<Result<Vec<_>, _>>()?;
            Load {
                context: None,
                items,
                offset: 0,
                position_ms,
            }
        }
    };
    let offset = match b.offset {
        None => 0,
        Some(Offset {
            position: Some(p), ..
        }) => {
            if p < 0 || p as usize >= load.items.len() {
                return Err(ApiError::bad_request(format!(
                    "Invalid offset position {p}: the context has {} items",
                    load.items.len()
                )));
            }
            p as usize
        }
        Some(Offset { uri: Some(u), .. }) => load
            .items
            .iter()
            .position(|&x| uri_of(cat, x) == u)
            .ok_or_else(|| {
            ApiError::bad_request(format!("Offset uri {u} is not part of the context"))
        })?,
        Some(_) => return Err(ApiError::bad_request("offset must have position or uri")),
    };
    w.accounts[me.user]
        .player
        .play(cat, Load { offset, ..load }, device, now_ms())?;
    Ok(no_content())
}

fn device(q: &Params) -> Option<&str> {
    q.get("device_id").filter(|d| !d.is_empty())
}

async fn pause(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    w.accounts[me.user]
        .player
        .pause(s.catalog(), device(&q), now_ms())?;
    Ok(no_content())
}

async fn next(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    w.accounts[me.user]
        .player
        .next(s.catalog(), device(&q), now_ms())?;
    Ok(no_content())
}

async fn previous(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    w.accounts[me.user]
        .player
        .previous(s.catalog(), device(&q), now_ms())?;
    Ok(no_content())
}

async fn seek(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let pos = q.req_int("position_ms")?;
    if pos < 0 {
        return Err(ApiError::bad_request(
            "position_ms must be a non-negative number",
        ));
    }
    w.accounts[me.user]
        .player
        .seek(s.catalog(), pos as u64, device(&q), now_ms())?;
    Ok(no_content())
}

async fn repeat(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let state = q.required("state")?;
    let r = Repeat::parse(state)
        .ok_or_else(|| ApiError::bad_request("state must be track, context or off"))?;
    w.accounts[me.user].player.set_repeat(r, device(&q))?;
    Ok(no_content())
}

async fn volume(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let v = q.req_int("volume_percent")?;
    w.accounts[me.user].player.set_volume(v, device(&q))?;
    Ok(no_content())
}

async fn shuffle(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let state = match q.required("state")? {
        "true" => true,
        "false" => false,
        _ => return Err(ApiError::bad_request("state must be true or false")),
    };
    w.accounts[me.user].player.set_shuffle(state, device(&q))?;
    Ok(no_content())
}

async fn queue(State(s): State<SandboxState>, me: Me, o: Origin) -> R {
    me.require(&["user-read-currently-playing", "user-read-playback-state"])?;
    let cat = s.catalog();
    let mut w = s.shared.world.lock();
    let player = &mut w.accounts[me.user].player;
    let (current, upcoming) = if player.active_device().is_some() {
        player.upcoming(cat, now_ms(), 20)
    } else {
        (None, Vec::new())
    };
    let base = o.api();
    let r = render(cat, &base);
    let mut v = json!({ "queue": upcoming.into_iter().map(|p| r.playable(p)).collect::<Vec<_>>() });
    if let (Some(c), Some(obj)) = (current, v.as_object_mut()) {
        obj.insert("currently_playing".into(), r.playable(c));
    }
    Ok(ok(v))
}

async fn add_to_queue(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let cat = s.catalog();
    let mut w = s.shared.world.lock();
    control(&w, &me)?;
    let uri = q.required("uri")?;
    let item = playable(cat, uri)?;
    w.accounts[me.user].player.add_to_queue(item, device(&q))?;
    Ok(no_content())
}

async fn recently_played(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    me.require(&["user-read-recently-played"])?;
    let limit = q.limit(20, 1, 50)?;
    let after = q.opt_int("after")?;
    let before = q.opt_int("before")?;
    if after.is_some() && before.is_some() {
        return Err(ApiError::bad_request(
            "Only one of after and before may be given",
        ));
    }
    let cat = s.catalog();
    let mut w = s.shared.world.lock();
    let player = &mut w.accounts[me.user].player;
    player.settle(cat, now_ms());
    let all: Vec<_> = player.history().cloned().collect(); // newest first
    let page: Vec<_> = match (after, before) {
        (Some(a), _) => {
            let newer: Vec<_> = all.iter().filter(|r| r.played_at > a).cloned().collect();
            let skip = newer.len().saturating_sub(limit);
            newer.into_iter().skip(skip).collect()
        }
        (_, Some(b)) => all
            .iter()
            .filter(|r| r.played_at < b)
            .take(limit)
            .cloned()
            .collect(),
        _ => all.iter().take(limit).cloned().collect(),
    };
    let base = o.api();
    let r = render(cat, &base);
    let url = format!("{base}/me/player/recently-played");
    let mut cursors = serde_json::Map::new();
    let mut v = json!({
        "href": match (after, before) {
            (Some(a), _) => format!("{url}?after={a}&limit={limit}"),
            (_, Some(b)) => format!("{url}?before={b}&limit={limit}"),
            _ => format!("{url}?limit={limit}"),
        },
        "limit": limit,
        "items": page.iter().map(|rec| strip_nulls(r.play_history(rec))).collect::<Vec<_>>(),
    });
    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        cursors.insert("after".into(), json!(newest.played_at.to_string()));
        cursors.insert("before".into(), json!(oldest.played_at.to_string()));
        let older_exists = all.iter().any(|x| x.played_at < oldest.played_at);
        if older_exists && let Some(o) = v.as_object_mut() {
            o.insert(
                "next".into(),
                json!(format!("{url}?before={}&limit={limit}", oldest.played_at)),
            );
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("cursors".into(), Value::Object(cursors));
    }
    Ok(ok(v))
}
