//! The 48 deprecated operations. Those Spotify kept for extended-quota apps (batch gets,
//! recommendations and genre seeds, audio features and analysis, related artists, artist top
//! tracks, new releases, browse categories, featured and category playlists, markets) answer
//! with data when the sandbox runs with `extended_quota`, and 403/404 saying so otherwise. The
//! per-type library and follow endpoints, `/users/{id}*` and `/playlists/{id}/tracks` are gone
//! for everyone and name their replacement.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::{Caller, Origin, Params, Path, find, list, ok, render};
use crate::SandboxState;
use crate::error::ApiError;
use crate::json::Render;
use crate::world::catalog::{Catalog, Kind};
use crate::world::ids::is_base62_id;
use crate::world::names::{GENRES, genre_word};
use crate::world::playlists::Playlist;

pub fn routes() -> Router<SandboxState> {
    let mut router = Router::new()
        .route("/albums", get(several_albums))
        .route("/artists", get(several_artists))
        .route("/tracks", get(several_tracks))
        .route("/shows", get(several_shows))
        .route("/episodes", get(several_episodes))
        .route("/audiobooks", get(several_audiobooks))
        .route("/chapters", get(several_chapters))
        .route("/artists/{id}/top-tracks", get(top_tracks))
        .route("/artists/{id}/related-artists", get(related_artists))
        .route("/audio-features", get(several_audio_features))
        .route("/audio-features/{id}", get(audio_features))
        .route("/audio-analysis/{id}", get(audio_analysis))
        .route("/recommendations", get(recommendations))
        .route("/recommendations/available-genre-seeds", get(genre_seeds))
        .route("/browse/new-releases", get(new_releases))
        .route("/browse/featured-playlists", get(featured_playlists))
        .route("/browse/categories", get(categories))
        .route("/browse/categories/{id}", get(category))
        .route("/browse/categories/{id}/playlists", get(category_playlists))
        .route("/markets", get(markets))
        .route("/users/{id}", get(removed_user))
        .route(
            "/users/{id}/playlists",
            get(removed_user_playlists).post(removed_user_playlists),
        )
        .route(
            "/playlists/{id}/tracks",
            get(removed_playlist_tracks)
                .post(removed_playlist_tracks)
                .put(removed_playlist_tracks)
                .delete(removed_playlist_tracks),
        );
    // Removed for development-mode apps; the replacement is named in the error.
    for path in [
        "/me/tracks",
        "/me/albums",
        "/me/episodes",
        "/me/shows",
        "/me/audiobooks",
        "/me/following",
        "/playlists/{id}/followers",
    ] {
        router = router
            .route(
                path,
                axum::routing::put(removed_library).delete(removed_library),
            )
            .route(&format!("{path}/contains"), get(removed_contains));
    }
    router
}

type R = Result<Response, ApiError>;

/// Allows the request only for extended-quota apps.
fn gate(s: &SandboxState, status: StatusCode, what: &str) -> Result<(), ApiError> {
    if s.knobs().extended_quota {
        Ok(())
    } else {
        Err(ApiError::unavailable_for_development_mode(status, what))
    }
}

/// 2026 removals answer 403, 2024 restrictions 404 (as Spotify does for new apps).
const GONE_2026: StatusCode = StatusCode::FORBIDDEN;
const GONE_2024: StatusCode = StatusCode::NOT_FOUND;

/// `ids` of a batch get: at most `max`, each a base62 id (unknown ones become `null`).
fn batch(
    s: &SandboxState,
    q: &Params,
    kind: Kind,
    max: usize,
    mut each: impl FnMut(usize) -> Value,
) -> Result<Vec<Value>, ApiError> {
    q.market()?;
    let ids = list(q.required("ids")?, "ids", max)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !is_base62_id(id) {
            return Err(ApiError::bad_request(format!("Invalid base62 id: {id}")));
        }
        out.push(s.catalog().find(kind, id).map_or(Value::Null, &mut each));
    }
    Ok(out)
}

/// A batch get of one type (`GET /{key}?ids=...`), gone for development-mode apps in 2026.
fn several(
    (s, o, q): (&SandboxState, &Origin, &Params),
    key: &str,
    kind: Kind,
    max: usize,
    each: impl Fn(&Render<'_>, usize) -> Value,
) -> R {
    gate(s, GONE_2026, &format!("GET /{key}"))?;
    let base = o.api();
    let r = render(s.catalog(), &base);
    let items = batch(s, q, kind, max, |i| each(&r, i))?;
    Ok(ok(json!({ key: items })))
}

async fn several_albums(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "albums", Kind::Album, 20, |r, i| {
        r.album(i, 50)
    })
}

async fn several_artists(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "artists", Kind::Artist, 50, |r, i| {
        r.artist(i, true)
    })
}

async fn several_tracks(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "tracks", Kind::Track, 50, |r, i| r.track(i))
}

async fn several_shows(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "shows", Kind::Show, 50, |r, i| {
        r.simplified_show(i)
    })
}

async fn several_episodes(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "episodes", Kind::Episode, 50, |r, i| {
        r.episode(i)
    })
}

async fn several_audiobooks(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "audiobooks", Kind::Audiobook, 50, |r, i| {
        r.audiobook(i, 50)
    })
}

async fn several_chapters(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    several((&s, &o, &q), "chapters", Kind::Chapter, 50, |r, i| {
        r.chapter(i)
    })
}

async fn top_tracks(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    gate(&s, GONE_2026, "GET /artists/{id}/top-tracks")?;
    q.market()?;
    let cat = s.catalog();
    let i = find(cat, Kind::Artist, &id)?;
    let base = o.api();
    let r = render(cat, &base);
    let tracks: Vec<Value> = cat
        .artist_top_tracks(i)
        .into_iter()
        .take(10)
        .map(|t| r.track(t))
        .collect();
    Ok(ok(json!({ "tracks": tracks })))
}

async fn related_artists(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    Path(id): Path<String>,
) -> R {
    gate(&s, GONE_2024, "GET /artists/{id}/related-artists")?;
    let cat = s.catalog();
    let i = find(cat, Kind::Artist, &id)?;
    let base = o.api();
    let r = render(cat, &base);
    let artists: Vec<Value> = cat
        .related_artists(i)
        .into_iter()
        .map(|a| r.artist(a, true))
        .collect();
    Ok(ok(json!({ "artists": artists })))
}

fn features(r: &Render<'_>, cat: &Catalog, i: usize) -> Value {
    let Some(t) = cat.tracks.get(i) else {
        return Value::Null;
    };
    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0xFEA7);
    let mut unit = || (rng.random_range(0..1000) as f64) / 1000.0;
    let (acousticness, danceability, energy, instrumentalness, liveness, speechiness, valence) = (
        unit(),
        unit(),
        unit(),
        unit(),
        unit() * 0.5,
        unit() * 0.3,
        unit(),
    );
    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0x7E3);
    json!({
        "acousticness": acousticness,
        "analysis_url": format!("{}/audio-analysis/{}", r.base, t.id),
        "danceability": danceability,
        "duration_ms": t.duration_ms,
        "energy": energy,
        "id": t.id,
        "instrumentalness": instrumentalness,
        "key": rng.random_range(-1..12),
        "liveness": liveness,
        "loudness": -(rng.random_range(300..2000) as f64) / 100.0,
        "mode": rng.random_range(0..2),
        "speechiness": speechiness,
        "tempo": rng.random_range(60_000..180_000) as f64 / 1000.0,
        "time_signature": rng.random_range(3..8),
        "track_href": format!("{}/tracks/{}", r.base, t.id),
        "type": "audio_features",
        "uri": format!("spotify:track:{}", t.id),
        "valence": valence,
    })
}

async fn several_audio_features(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
) -> R {
    gate(&s, StatusCode::FORBIDDEN, "GET /audio-features")?;
    let base = o.api();
    let cat = s.catalog();
    let r = render(cat, &base);
    Ok(ok(
        json!({ "audio_features": batch(&s, &q, Kind::Track, 100, |i| features(&r, cat, i))? }),
    ))
}

async fn audio_features(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    Path(id): Path<String>,
) -> R {
    gate(&s, StatusCode::FORBIDDEN, "GET /audio-features/{id}")?;
    let cat = s.catalog();
    let i = find(cat, Kind::Track, &id)?;
    let base = o.api();
    Ok(ok(features(&render(cat, &base), cat, i)))
}

async fn audio_analysis(State(s): State<SandboxState>, _c: Caller, Path(id): Path<String>) -> R {
    gate(&s, StatusCode::FORBIDDEN, "GET /audio-analysis/{id}")?;
    let cat = s.catalog();
    let i = find(cat, Kind::Track, &id)?;
    let t = &cat.tracks[i];
    let mut rng = StdRng::seed_from_u64(i as u64 ^ 0xA7A1);
    let duration = f64::from(t.duration_ms) / 1000.0;
    let tempo = rng.random_range(60_000..180_000) as f64 / 1000.0;
    let beat = 60.0 / tempo;
    let interval = |start: f64, len: f64, rng: &mut StdRng| json!({ "start": start, "duration": len, "confidence": rng.random_range(0..1000) as f64 / 1000.0 });
    let series = |step: f64, rng: &mut StdRng| {
        let mut v = Vec::new();
        let mut x = 0.0;
        while x < duration {
            v.push(interval(x, step.min(duration - x), rng));
            x += step;
        }
        v
    };
    let beats = series(beat, &mut rng);
    let bars = series(beat * 4.0, &mut rng);
    let tatums = series(beat / 2.0, &mut rng);
    let mut sections = Vec::new();
    let mut x = 0.0;
    while x < duration {
        let len = (30.0f64).min(duration - x);
        sections.push(json!({
            "start": x, "duration": len, "confidence": 0.8, "loudness": -8.5, "tempo": tempo,
            "tempo_confidence": 0.7, "key": rng.random_range(0..12), "key_confidence": 0.5,
            "mode": rng.random_range(0..2), "mode_confidence": 0.5, "time_signature": 4,
            "time_signature_confidence": 1.0,
        }));
        x += 30.0;
    }
    let mut segments = Vec::new();
    let mut x = 0.0;
    while x < duration {
        let len = (2.0f64).min(duration - x);
        let v12 = |rng: &mut StdRng| {
            (0..12)
                .map(|_| rng.random_range(0..1000) as f64 / 1000.0)
                .collect::<Vec<_>>()
        };
        segments.push(json!({
            "start": x, "duration": len, "confidence": 0.6, "loudness_start": -20.0, "loudness_max": -6.0,
            "loudness_max_time": 0.05, "loudness_end": 0.0, "pitches": v12(&mut rng), "timbre": v12(&mut rng),
        }));
        x += 2.0;
    }
    Ok(ok(json!({
        "meta": {
            "analyzer_version": "4.0.0", "platform": "Linux", "detailed_status": "OK", "status_code": 0,
            "timestamp": 1_700_000_000, "analysis_time": 6.9, "input_process": "libvorbisfile L+R 44100->22050",
        },
        "track": {
            "num_samples": (duration * 22050.0) as i64, "duration": duration, "sample_md5": "",
            "offset_seconds": 0, "window_seconds": 0, "analysis_sample_rate": 22050, "analysis_channels": 1,
            "end_of_fade_in": 0.0, "start_of_fade_out": (duration - 5.0).max(0.0), "loudness": -8.5,
            "tempo": tempo, "tempo_confidence": 0.7, "time_signature": 4, "time_signature_confidence": 1.0,
            "key": rng.random_range(0..12), "key_confidence": 0.5, "mode": rng.random_range(0..2),
            "mode_confidence": 0.5, "codestring": "", "code_version": 3.15, "echoprintstring": "",
            "echoprint_version": 4.12, "synchstring": "", "synch_version": 1.0, "rhythmstring": "",
            "rhythm_version": 1.0,
        },
        "bars": bars, "beats": beats, "sections": sections, "segments": segments, "tatums": tatums,
    })))
}

/// Genre seeds as Spotify spells them (`indie-rock`, `k-pop`, ...).
fn seed_names() -> Vec<String> {
    let mut v: Vec<String> = GENRES.iter().map(|g| g.replace(' ', "-")).collect();
    v.sort();
    v
}

async fn genre_seeds(State(s): State<SandboxState>, _c: Caller) -> R {
    gate(&s, GONE_2024, "GET /recommendations/available-genre-seeds")?;
    Ok(ok(json!({ "genres": seed_names() })))
}

async fn recommendations(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    gate(&s, GONE_2024, "GET /recommendations")?;
    q.market()?;
    let limit = q.limit(20, 1, 100)?;
    let cat = s.catalog();
    let split = |k: &str| -> Vec<String> {
        q.get(k)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (artists, tracks, genres) = (
        split("seed_artists"),
        split("seed_tracks"),
        split("seed_genres"),
    );
    let n = artists.len() + tracks.len() + genres.len();
    if n == 0 {
        return Err(ApiError::bad_request(
            "At least one of seed_artists, seed_tracks or seed_genres is required",
        ));
    }
    if n > 5 {
        return Err(ApiError::bad_request(format!(
            "At most 5 seeds in total are allowed, got {n}"
        )));
    }
    let base = o.api();
    let mut seeds = Vec::new();
    let mut wanted_genres: Vec<&'static str> = Vec::new();
    let mut pool_artists: Vec<usize> = Vec::new();
    for a in &artists {
        let i = cat
            .find(Kind::Artist, a)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid seed artist: {a}")))?;
        pool_artists.push(i);
        pool_artists.extend(cat.related_artists(i));
        seeds.push(("ARTIST", a.clone(), format!("{base}/artists/{a}")));
    }
    for t in &tracks {
        let i = cat
            .find(Kind::Track, t)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid seed track: {t}")))?;
        for &a in &cat.tracks[i].artists {
            pool_artists.push(a);
            pool_artists.extend(cat.related_artists(a));
        }
        seeds.push(("TRACK", t.clone(), format!("{base}/tracks/{t}")));
    }
    for g in &genres {
        let genre = GENRES
            .iter()
            .find(|x| x.replace(' ', "-") == *g)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid seed genre: {g} (see /recommendations/available-genre-seeds)"
                ))
            })?;
        wanted_genres.push(genre);
        seeds.push(("GENRE", g.clone(), String::new()));
    }
    let mut pool: Vec<usize> = cat
        .tracks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.artists.iter().any(|a| pool_artists.contains(a))
                || cat
                    .albums
                    .get(t.album)
                    .is_some_and(|al| wanted_genres.contains(&al.genre))
        })
        .map(|(i, _)| i)
        .collect();
    let pool_size = pool.len();
    let seed_hash = seeds.iter().fold(0u64, |h, (_, id, _)| {
        id.bytes()
            .fold(h, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    });
    rand::seq::SliceRandom::shuffle(pool.as_mut_slice(), &mut StdRng::seed_from_u64(seed_hash));
    pool.truncate(limit);
    let r = render(cat, &base);
    let seeds: Vec<Value> = seeds
        .into_iter()
        .map(|(ty, id, href)| {
            json!({ "afterFilteringSize": pool_size, "afterRelinkingSize": pool_size, "href": href, "id": id, "initialPoolSize": pool_size, "type": ty })
        })
        .collect();
    Ok(ok(
        json!({ "seeds": seeds, "tracks": pool.into_iter().map(|t| r.track(t)).collect::<Vec<_>>() }),
    ))
}

async fn new_releases(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    gate(&s, GONE_2026, "GET /browse/new-releases")?;
    let page = q.page(20, 50)?;
    let cat = s.catalog();
    let mut albums: Vec<usize> = (0..cat.albums.len()).collect();
    albums.sort_by(|a, b| {
        cat.albums[*b]
            .release_date
            .cmp(&cat.albums[*a].release_date)
            .then(a.cmp(b))
    });
    albums.truncate(100);
    let base = o.api();
    let r = render(cat, &base);
    let albums = page.of(&format!("{base}/browse/new-releases"), &albums, |&a| {
        r.simplified_album(a)
    });
    Ok(ok(json!({ "albums": albums })))
}

fn editorial_for<'a>(w: &'a crate::world::WorldState, genre: Option<&str>) -> Vec<&'a Playlist> {
    w.playlists
        .iter()
        .filter(|p| p.editorial)
        .filter(|p| genre.is_none_or(|g| p.name.contains(genre_word(g))))
        .collect()
}

async fn featured_playlists(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    gate(&s, GONE_2024, "GET /browse/featured-playlists")?;
    let page = q.page(20, 50)?;
    let w = s.shared.world.lock();
    let lists = editorial_for(&w, None);
    let base = o.api();
    let r = render(s.catalog(), &base);
    let playlists = page.of(&format!("{base}/browse/featured-playlists"), &lists, |p| {
        r.simplified_playlist(&w, p, &o.0)
    });
    Ok(ok(
        json!({ "message": "Popular Playlists", "playlists": playlists }),
    ))
}

fn category_json(base: &str, id: &str, name: &str) -> Value {
    json!({
        "href": format!("{base}/browse/categories/{id}"),
        "icons": [{ "url": format!("https://t.scdn.co/media/derived/{id}_274x274.jpg"), "height": 274, "width": 274 }],
        "id": id,
        "name": name,
    })
}

async fn categories(State(s): State<SandboxState>, _c: Caller, o: Origin, q: Params) -> R {
    gate(&s, GONE_2026, "GET /browse/categories")?;
    let page = q.page(20, 50)?;
    let cats = &s.catalog().categories;
    let base = o.api();
    let categories = page.of(&format!("{base}/browse/categories"), cats, |c| {
        category_json(&base, &c.id, &c.name)
    });
    Ok(ok(json!({ "categories": categories })))
}

async fn category(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    Path(id): Path<String>,
) -> R {
    gate(&s, GONE_2026, "GET /browse/categories/{id}")?;
    let c = s
        .catalog()
        .categories
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("Resource not found"))?;
    Ok(ok(category_json(&o.api(), &c.id, &c.name)))
}

async fn category_playlists(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    q: Params,
    Path(id): Path<String>,
) -> R {
    gate(&s, GONE_2024, "GET /browse/categories/{id}/playlists")?;
    let page = q.page(20, 50)?;
    let c = s
        .catalog()
        .categories
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("Resource not found"))?;
    let w = s.shared.world.lock();
    let lists = editorial_for(&w, Some(c.genre));
    let base = o.api();
    let r = render(s.catalog(), &base);
    let playlists = page.of(
        &format!("{base}/browse/categories/{id}/playlists"),
        &lists,
        |p| r.simplified_playlist(&w, p, &o.0),
    );
    Ok(ok(json!({ "message": c.name, "playlists": playlists })))
}

const MARKETS: &[&str] = &[
    "AD", "AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CO", "CZ", "DE", "DK", "ES", "FI", "FR",
    "GB", "IE", "IN", "IT", "JP", "KR", "MX", "NL", "NO", "NZ", "PL", "PT", "SE", "US", "ZA",
];

async fn markets(State(s): State<SandboxState>, _c: Caller) -> R {
    gate(&s, GONE_2026, "GET /markets")?;
    Ok(ok(json!({ "markets": MARKETS })))
}

async fn removed_library(_c: Caller) -> ApiError {
    ApiError::removed(
        "This library/follow endpoint",
        "PUT/DELETE /me/library?uris=...",
    )
}

async fn removed_contains(_c: Caller) -> ApiError {
    ApiError::removed(
        "This per-type contains endpoint",
        "GET /me/library/contains?uris=...",
    )
}

async fn removed_user(_c: Caller) -> ApiError {
    ApiError::removed("GET /users/{id}", "GET /me")
}

async fn removed_user_playlists(_c: Caller) -> ApiError {
    ApiError::removed(
        "/users/{id}/playlists",
        "GET /me/playlists or POST /me/playlists",
    )
}

async fn removed_playlist_tracks(_c: Caller) -> ApiError {
    ApiError::removed("/playlists/{id}/tracks", "/playlists/{id}/items")
}
