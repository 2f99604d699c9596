//! Catalog lookups: one album, artist, show, episode, audiobook, chapter or track, and the
//! children of albums, artists, shows and audiobooks.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Caller, Origin, Params, Path, find, ok, render};
use crate::SandboxState;
use crate::error::ApiError;
use crate::world::catalog::Kind;

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/albums/{id}", get(album))
        .route("/albums/{id}/tracks", get(album_tracks))
        .route("/artists/{id}", get(artist))
        .route("/artists/{id}/albums", get(artist_albums))
        .route("/shows/{id}", get(show))
        .route("/shows/{id}/episodes", get(show_episodes))
        .route("/episodes/{id}", get(episode))
        .route("/audiobooks/{id}", get(audiobook))
        .route("/audiobooks/{id}/chapters", get(audiobook_chapters))
        .route("/chapters/{id}", get(chapter))
        .route("/tracks/{id}", get(track))
}

type R = Result<Response, ApiError>;

async fn album(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Album, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).album(i, 50)))
}

async fn album_tracks(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let page = q.page(20, 50)?;
    let cat = s.catalog();
    let i = find(cat, Kind::Album, &id)?;
    let base = o.api();
    let r = render(cat, &base);
    Ok(ok(page.of(
        &format!("{base}/albums/{id}/tracks"),
        &cat.albums[i].tracks,
        |&t| r.simplified_track(t),
    )))
}

async fn artist(State(s): State<SandboxState>, _c: Caller, o: Origin, Path(id): Path<String>) -> R {
    let i = find(s.catalog(), Kind::Artist, &id)?;
    let extended = s.knobs().extended_quota;
    Ok(ok(render(s.catalog(), &o.api()).artist(i, extended)))
}

const GROUPS: [&str; 4] = ["album", "single", "appears_on", "compilation"];

async fn artist_albums(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let page = q.page(5, 10)?;
    let groups: Vec<&str> = match q.get("include_groups") {
        None | Some("") => GROUPS.to_vec(),
        Some(g) => {
            let v: Vec<&str> = g.split(',').map(str::trim).collect();
            if let Some(bad) = v.iter().find(|x| !GROUPS.contains(x)) {
                return Err(ApiError::bad_request(format!(
                    "Invalid include_groups value: {bad:?}"
                )));
            }
            v
        }
    };
    let cat = s.catalog();
    let i = find(cat, Kind::Artist, &id)?;
    let a = &cat.artists[i];
    let mut all: Vec<(usize, &str)> = Vec::new();
    for &g in &GROUPS {
        if !groups.contains(&g) {
            continue;
        }
        if g == "appears_on" {
            all.extend(a.appears_on.iter().map(|&x| (x, "appears_on")));
        } else {
            all.extend(
                a.albums
                    .iter()
                    .filter(|&&x| cat.albums[x].album_type.as_str() == g)
                    .map(|&x| (x, g)),
            );
        }
    }
    let base = o.api();
    let r = render(cat, &base);
    let extra = q
        .get("include_groups")
        .map(|g| format!("&include_groups={g}"))
        .unwrap_or_default();
    Ok(ok(page.of_with_query(
        &format!("{base}/artists/{id}/albums"),
        &extra,
        &all,
        |&(x, g)| r.discography_album(x, g),
    )))
}

async fn show(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Show, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).show(i, 50)))
}

async fn show_episodes(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let page = q.page(20, 50)?;
    let cat = s.catalog();
    let i = find(cat, Kind::Show, &id)?;
    let base = o.api();
    let r = render(cat, &base);
    Ok(ok(page.of(
        &format!("{base}/shows/{id}/episodes"),
        &cat.shows[i].episodes,
        |&e| r.simplified_episode(e),
    )))
}

async fn episode(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Episode, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).episode(i)))
}

async fn audiobook(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Audiobook, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).audiobook(i, 50)))
}

async fn audiobook_chapters(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let page = q.page(20, 50)?;
    let cat = s.catalog();
    let i = find(cat, Kind::Audiobook, &id)?;
    let base = o.api();
    let r = render(cat, &base);
    Ok(ok(page.of(
        &format!("{base}/audiobooks/{id}/chapters"),
        &cat.audiobooks[i].chapters,
        |&c| r.simplified_chapter(c),
    )))
}

async fn chapter(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Chapter, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).chapter(i)))
}

async fn track(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    q.market()?;
    let i = find(s.catalog(), Kind::Track, &id)?;
    Ok(ok(render(s.catalog(), &o.api()).track(i)))
}
