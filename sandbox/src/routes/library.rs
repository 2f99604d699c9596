//! The library: `/me/library` save/remove/contains by URI (at most 40), the saved-item lists of
//! every type, and followed artists (cursor paging).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use serde_json::{Value, json};

use super::{Me, Origin, Params, empty_ok, list, ok, render, split_uri};
use crate::SandboxState;
use crate::error::ApiError;
use crate::json::window;
use crate::world::catalog::{Catalog, ItemRef, Kind};
use crate::world::library::LibraryItem;
use crate::world::{WorldState, now_ms};

/// Most URIs per `/me/library` call.
const MAX_URIS: usize = 40;

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/me/library", put(save).delete(remove))
        .route("/me/library/contains", get(contains))
        .route("/me/tracks", get(saved_tracks))
        .route("/me/albums", get(saved_albums))
        .route("/me/shows", get(saved_shows))
        .route("/me/episodes", get(saved_episodes))
        .route("/me/audiobooks", get(saved_audiobooks))
        .route("/me/following", get(followed))
}

type R = Result<Response, ApiError>;

/// Parses one `/me/library` URI; `strict` (save/remove) also requires the item to exist.
fn library_item(
    cat: &Catalog,
    world: &WorldState,
    uri: &str,
    strict: bool,
) -> Result<(LibraryItem, &'static str), ApiError> {
    let (kind, id) =
        split_uri(uri).ok_or_else(|| ApiError::bad_request(format!("Invalid uri: {uri}")))?;
    if kind == "playlist" {
        if strict && world.playlists.get(id).is_none() {
            return Err(ApiError::not_found(format!("Resource not found: {uri}")));
        }
        return Ok((LibraryItem::Playlist(id.to_string()), "playlist"));
    }
    let k = match Kind::parse(kind) {
        Some(Kind::Chapter) | None => {
            return Err(ApiError::bad_request(format!(
                "Unsupported uri type in {uri}: use track, album, episode, show, audiobook, artist or playlist"
            )));
        }
        Some(k) => k,
    };
    match cat.find(k, id) {
        Some(index) => Ok((LibraryItem::Catalog(ItemRef { kind: k, index }), k.as_str())),
        None if strict => Err(ApiError::not_found(format!("Resource not found: {uri}"))),
        // Unknown ids are simply not in the library.
        None => Ok((
            LibraryItem::Catalog(ItemRef {
                kind: k,
                index: usize::MAX,
            }),
            k.as_str(),
        )),
    }
}

fn scope_for(kind: &str, write: bool) -> &'static [&'static str] {
    match (kind, write) {
        ("artist", true) => &["user-follow-modify"],
        ("artist", false) => &["user-follow-read"],
        ("playlist", true) => &["playlist-modify-public", "playlist-modify-private"],
        ("playlist", false) => &["playlist-read-private"],
        (_, true) => &["user-library-modify"],
        (_, false) => &["user-library-read"],
    }
}

/// The URIs of a `/me/library` call; its 400s use the definition's flat error body.
fn parse_uris(
    s: &SandboxState,
    world: &WorldState,
    me: &Me,
    q: &Params,
    strict: bool,
    write: bool,
) -> Result<Vec<LibraryItem>, ApiError> {
    parse_uris_inner(s, world, me, q, strict, write).map_err(|e| {
        if e.status == axum::http::StatusCode::BAD_REQUEST {
            e.flat()
        } else {
            e
        }
    })
}

fn parse_uris_inner(
    s: &SandboxState,
    world: &WorldState,
    me: &Me,
    q: &Params,
    strict: bool,
    write: bool,
) -> Result<Vec<LibraryItem>, ApiError> {
    let raw = q
        .get("uris")
        .ok_or_else(|| ApiError::bad_request("Missing required parameter: uris"))?;
    let uris = list(raw, "uris", MAX_URIS)?;
    let mut out = Vec::with_capacity(uris.len());
    for u in uris {
        let (item, kind) = library_item(s.catalog(), world, u, strict)?;
        me.require(scope_for(kind, write))?;
        out.push(item);
    }
    Ok(out)
}

async fn save(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    let items = parse_uris(&s, &w, &me, &q, true, true)?;
    let now = now_ms();
    for it in &items {
        w.accounts[me.user].library.save(it, now);
    }
    Ok(empty_ok())
}

async fn remove(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let mut w = s.shared.world.lock();
    let items = parse_uris(&s, &w, &me, &q, true, true)?;
    for it in &items {
        w.accounts[me.user].library.remove(it);
    }
    Ok(empty_ok())
}

async fn contains(State(s): State<SandboxState>, me: Me, q: Params) -> R {
    let w = s.shared.world.lock();
    let items = parse_uris(&s, &w, &me, &q, false, false)?;
    let lib = &w.accounts[me.user].library;
    Ok(ok(json!(
        items.iter().map(|i| lib.contains(i)).collect::<Vec<_>>()
    )))
}

/// A saved-items page: `key` names the wrapped object, `object` renders it.
fn saved_page(
    (s, me, o, q): (&SandboxState, &Me, &Origin, &Params),
    kind: Kind,
    path: &str,
    key: &str,
    object: impl Fn(&super::super::json::Render<'_>, usize) -> Value,
) -> R {
    me.require(&["user-library-read"])?;
    q.market()?;
    let page = q.page(20, 50)?;
    let w = s.shared.world.lock();
    let saved = w.accounts[me.user].library.list(kind);
    let base = o.api();
    let r = render(s.catalog(), &base);
    Ok(ok(page.of(&format!("{base}{path}"), saved, |x| {
        r.saved(key, x.added_at, object(&r, x.index))
    })))
}

async fn saved_tracks(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    saved_page(
        (&s, &me, &o, &q),
        Kind::Track,
        "/me/tracks",
        "track",
        |r, i| r.track(i),
    )
}

async fn saved_albums(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    saved_page(
        (&s, &me, &o, &q),
        Kind::Album,
        "/me/albums",
        "album",
        |r, i| r.album(i, 50),
    )
}

async fn saved_shows(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    saved_page(
        (&s, &me, &o, &q),
        Kind::Show,
        "/me/shows",
        "show",
        |r, i| r.simplified_show(i),
    )
}

async fn saved_episodes(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    saved_page(
        (&s, &me, &o, &q),
        Kind::Episode,
        "/me/episodes",
        "episode",
        |r, i| r.episode(i),
    )
}

async fn saved_audiobooks(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    saved_page(
        (&s, &me, &o, &q),
        Kind::Audiobook,
        "/me/audiobooks",
        "audiobook",
        |r, i| r.audiobook(i, 50),
    )
}

async fn followed(State(s): State<SandboxState>, me: Me, o: Origin, q: Params) -> R {
    me.require(&["user-follow-read"])?;
    match q.get("type") {
        Some("artist") => {}
        Some(t) => {
            return Err(ApiError::bad_request(format!(
                "Invalid type {t:?}: only artist is supported"
            )));
        }
        None => return Err(ApiError::bad_request("Missing required parameter: type")),
    }
    let limit = q.limit(20, 1, 50)?;
    let w = s.shared.world.lock();
    let cat = s.catalog();
    let all = w.accounts[me.user].library.list(Kind::Artist);
    let start = match q.get("after").filter(|a| !a.is_empty()) {
        None => 0,
        Some(after) => {
            let idx = cat
                .find(Kind::Artist, after)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid after cursor: {after}")))?;
            all.iter()
                .position(|x| x.index == idx)
                .map_or(all.len(), |p| p + 1)
        }
    };
    let page = &all[window(all.len(), limit, start)];
    let base = o.api();
    let r = render(cat, &base);
    let url = format!("{base}/me/following?type=artist");
    let href = match q.get("after") {
        Some(a) => format!("{url}&after={a}&limit={limit}"),
        None => format!("{url}&limit={limit}"),
    };
    let mut v = json!({
        "href": href,
        "limit": limit,
        "total": all.len(),
        "items": page.iter().map(|x| r.artist(x.index, false)).collect::<Vec<_>>(),
        "cursors": {},
    });
    if start + page.len() < all.len()
        && let Some(last) = page.last()
    {
        let id = &cat.artists[last.index].id;
        v["cursors"] = json!({ "after": id });
        v["next"] = json!(format!("{url}&after={id}&limit={limit}"));
    }
    Ok(ok(json!({ "artists": v })))
}
