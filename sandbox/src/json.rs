//! Rendering of the world as Spotify JSON objects, shaped by the response schemas of
//! Spotify's OpenAPI definition. Fields Spotify removed in 2026 are omitted where the
//! definition marks them optional and kept (empty or neutral) where it still requires them.

use serde_json::{Value, json};

use super::world::catalog::{Catalog, Kind};
use super::world::player::{Context, Device, PlayRecord, Snapshot};
use super::world::playlists::{Entry, Playable, Playlist};
use super::world::{User, WorldState};

/// Formats Unix ms as Spotify's ISO 8601 timestamp (`2026-06-01T12:00:00Z`).
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// A paging object over an already-sliced page.
fn paging(
    url: &str,
    extra_query: &str,
    items: Vec<Value>,
    total: usize,
    limit: usize,
    offset: usize,
) -> Value {
    let link = |o: usize| format!("{url}?offset={o}&limit={limit}{extra_query}");
    let next = (offset + limit < total).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link(offset.saturating_sub(limit)));
    json!({
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": next,
        "offset": offset,
        "previous": previous,
        "total": total,
    })
}

/// The page of `total` elements starting at `offset`.
pub fn window(total: usize, limit: usize, offset: usize) -> std::ops::Range<usize> {
    let start = offset.min(total);
    start..(start + limit).min(total)
}

/// The `limit` and `offset` a request asked for (already validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

/// The first page of `limit` items: how an object embeds the start of its children.
fn first(limit: usize) -> Page {
    Page { limit, offset: 0 }
}

impl Page {
    /// The paging object at `url` for this page of `all`, each element rendered by `item`.
    pub fn of<T>(self, url: &str, all: &[T], item: impl FnMut(&T) -> Value) -> Value {
        self.of_with_query(url, "", all, item)
    }

    /// [`Page::of`] with more query parameters (`&name=value...`) kept in the links.
    pub fn of_with_query<T>(
        self,
        url: &str,
        extra_query: &str,
        all: &[T],
        item: impl FnMut(&T) -> Value,
    ) -> Value {
        let items = all[window(all.len(), self.limit, self.offset)]
            .iter()
            .map(item)
            .collect();
        paging(url, extra_query, items, all.len(), self.limit, self.offset)
    }
}

fn images(kind: &str, id: &str) -> Value {
    let prefix = match kind {
        "artist" => "ab6761610000",
        "show" | "episode" => "ab6765630000",
        "audiobook" | "chapter" => "ab676663000022",
        _ => "ab67616d0000",
    };
    json!([
        { "url": format!("https://i.scdn.co/image/{prefix}b273{id}"), "height": 640, "width": 640 },
        { "url": format!("https://i.scdn.co/image/{prefix}1e02{id}"), "height": 300, "width": 300 },
        { "url": format!("https://i.scdn.co/image/{prefix}4851{id}"), "height": 64, "width": 64 },
    ])
}

fn open_url(kind: &str, id: &str) -> Value {
    json!({ "spotify": format!("https://open.spotify.com/{kind}/{id}") })
}

fn date_precision(date: &str) -> &'static str {
    match date.len() {
        4 => "year",
        7 => "month",
        _ => "day",
    }
}

/// Renders against one catalog and one public base URL (`http://host/v1`).
pub struct Render<'a> {
    pub cat: &'a Catalog,
    pub base: &'a str,
}

impl Render<'_> {
    fn href(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.base, kind.path())
    }

    pub fn simplified_artist(&self, i: usize) -> Value {
        let Some(a) = self.cat.artists.get(i) else {
            return Value::Null;
        };
        json!({
            "external_urls": open_url("artist", &a.id),
            "href": self.href(Kind::Artist, &a.id),
            "id": a.id,
            "name": a.name,
            "type": "artist",
            "uri": format!("spotify:artist:{}", a.id),
        })
    }

    /// Full artist; `extended` adds the fields development-mode apps no longer get.
    pub fn artist(&self, i: usize, extended: bool) -> Value {
        let Some(a) = self.cat.artists.get(i) else {
            return Value::Null;
        };
        let mut v = json!({
            "external_urls": open_url("artist", &a.id),
            "href": self.href(Kind::Artist, &a.id),
            "id": a.id,
            "images": images("artist", &a.id),
            "name": a.name,
            "type": "artist",
            "uri": format!("spotify:artist:{}", a.id),
        });
        if extended && let Some(o) = v.as_object_mut() {
            o.insert("genres".into(), json!(a.genres));
            o.insert("popularity".into(), json!(a.popularity));
            o.insert(
                "followers".into(),
                json!({ "href": null, "total": a.followers }),
            );
        }
        v
    }

    fn artists(&self, ids: &[usize]) -> Vec<Value> {
        ids.iter().map(|&a| self.simplified_artist(a)).collect()
    }

    pub fn simplified_album(&self, i: usize) -> Value {
        let Some(a) = self.cat.albums.get(i) else {
            return Value::Null;
        };
        json!({
            "album_type": a.album_type.as_str(),
            "total_tracks": a.tracks.len(),
            "available_markets": [],
            "external_urls": open_url("album", &a.id),
            "href": self.href(Kind::Album, &a.id),
            "id": a.id,
            "images": images("album", &a.id),
            "name": a.name,
            "release_date": a.release_date,
            "release_date_precision": date_precision(&a.release_date),
            "type": "album",
            "uri": format!("spotify:album:{}", a.id),
            "artists": self.artists(&a.artists),
        })
    }

    /// An artist's album with its `album_group` relative to that artist.
    pub fn discography_album(&self, i: usize, group: &str) -> Value {
        let mut v = self.simplified_album(i);
        if let Some(o) = v.as_object_mut() {
            o.insert("album_group".into(), json!(group));
        }
        v
    }

    pub fn album(&self, i: usize, tracks_limit: usize) -> Value {
        let Some(a) = self.cat.albums.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_album(i);
        let url = format!("{}/tracks", self.href(Kind::Album, &a.id));
        let tracks = first(tracks_limit).of(&url, &a.tracks, |&t| self.simplified_track(t));
        if let Some(o) = v.as_object_mut() {
            o.insert("tracks".into(), tracks);
            o.insert(
                "copyrights".into(),
                json!([
                    { "text": format!("{} {}", &a.release_date[..4.min(a.release_date.len())], a.label), "type": "C" },
                    { "text": format!("{} {}", &a.release_date[..4.min(a.release_date.len())], a.label), "type": "P" },
                ]),
            );
            o.insert("external_ids".into(), json!({ "upc": a.upc }));
            // Deprecated but still required by the definition.
            o.insert("genres".into(), json!([]));
            o.insert("label".into(), json!(a.label));
            o.insert("popularity".into(), json!(a.popularity));
        }
        v
    }

    pub fn simplified_track(&self, i: usize) -> Value {
        let Some(t) = self.cat.tracks.get(i) else {
            return Value::Null;
        };
        json!({
            "artists": self.artists(&t.artists),
            "disc_number": 1,
            "duration_ms": t.duration_ms,
            "explicit": t.explicit,
            "external_urls": open_url("track", &t.id),
            "href": self.href(Kind::Track, &t.id),
            "id": t.id,
            "is_playable": true,
            "name": t.name,
            "track_number": t.track_number,
            "type": "track",
            "uri": format!("spotify:track:{}", t.id),
            "is_local": false,
        })
    }

    pub fn track(&self, i: usize) -> Value {
        let Some(t) = self.cat.tracks.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_track(i);
        if let Some(o) = v.as_object_mut() {
            o.insert("album".into(), self.simplified_album(t.album));
            o.insert("external_ids".into(), json!({ "isrc": t.isrc }));
        }
        v
    }

    pub fn simplified_show(&self, i: usize) -> Value {
        let Some(s) = self.cat.shows.get(i) else {
            return Value::Null;
        };
        json!({
            "available_markets": [],
            "copyrights": [],
            "description": s.description,
            "html_description": format!("<p>{}</p>", s.description),
            "explicit": s.explicit,
            "external_urls": open_url("show", &s.id),
            "href": self.href(Kind::Show, &s.id),
            "id": s.id,
            "images": images("show", &s.id),
            "is_externally_hosted": false,
            "languages": ["en"],
            "media_type": "audio",
            "name": s.name,
            "publisher": s.publisher,
            "type": "show",
            "uri": format!("spotify:show:{}", s.id),
            "total_episodes": s.episodes.len(),
        })
    }

    pub fn show(&self, i: usize, episodes_limit: usize) -> Value {
        let Some(s) = self.cat.shows.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_show(i);
        let url = format!("{}/episodes", self.href(Kind::Show, &s.id));
        let episodes = first(episodes_limit).of(&url, &s.episodes, |&e| self.simplified_episode(e));
        if let Some(o) = v.as_object_mut() {
            o.insert("episodes".into(), episodes);
        }
        v
    }

    pub fn simplified_episode(&self, i: usize) -> Value {
        let Some(e) = self.cat.episodes.get(i) else {
            return Value::Null;
        };
        json!({
            "audio_preview_url": null,
            "description": e.description,
            "html_description": format!("<p>{}</p>", e.description),
            "duration_ms": e.duration_ms,
            "explicit": e.explicit,
            "external_urls": open_url("episode", &e.id),
            "href": self.href(Kind::Episode, &e.id),
            "id": e.id,
            "images": images("episode", &e.id),
            "is_externally_hosted": false,
            "is_playable": true,
            "languages": ["en"],
            "name": e.name,
            "release_date": e.release_date,
            "release_date_precision": date_precision(&e.release_date),
            "resume_point": { "fully_played": false, "resume_position_ms": 0 },
            "type": "episode",
            "uri": format!("spotify:episode:{}", e.id),
        })
    }

    pub fn episode(&self, i: usize) -> Value {
        let Some(e) = self.cat.episodes.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_episode(i);
        if let Some(o) = v.as_object_mut() {
            o.insert("show".into(), self.simplified_show(e.show));
        }
        v
    }

    pub fn simplified_audiobook(&self, i: usize) -> Value {
        let Some(b) = self.cat.audiobooks.get(i) else {
            return Value::Null;
        };
        let names = |v: &[String]| v.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>();
        json!({
            "authors": names(&b.authors),
            "available_markets": [],
            "copyrights": [],
            "description": b.description,
            "html_description": format!("<p>{}</p>", b.description),
            "edition": "Unabridged",
            "explicit": b.explicit,
            "external_urls": open_url("audiobook", &b.id),
            "href": self.href(Kind::Audiobook, &b.id),
            "id": b.id,
            "images": images("audiobook", &b.id),
            "languages": ["English"],
            "media_type": "audio",
            "name": b.name,
            "narrators": names(&b.narrators),
            "publisher": b.publisher,
            "type": "audiobook",
            "uri": format!("spotify:audiobook:{}", b.id),
            "total_chapters": b.chapters.len(),
        })
    }

    pub fn audiobook(&self, i: usize, chapters_limit: usize) -> Value {
        let Some(b) = self.cat.audiobooks.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_audiobook(i);
        let url = format!("{}/chapters", self.href(Kind::Audiobook, &b.id));
        let chapters = first(chapters_limit).of(&url, &b.chapters, |&c| self.simplified_chapter(c));
        if let Some(o) = v.as_object_mut() {
            o.insert("chapters".into(), chapters);
        }
        v
    }

    pub fn simplified_chapter(&self, i: usize) -> Value {
        let Some(c) = self.cat.chapters.get(i) else {
            return Value::Null;
        };
        json!({
            "audio_preview_url": null,
            "chapter_number": c.chapter_number,
            "description": c.description,
            "html_description": format!("<p>{}</p>", c.description),
            "duration_ms": c.duration_ms,
            "explicit": false,
            "external_urls": open_url("chapter", &c.id),
            "href": self.href(Kind::Chapter, &c.id),
            "id": c.id,
            "images": images("chapter", &c.id),
            "is_playable": true,
            "languages": ["en"],
            "name": c.name,
            "release_date": c.release_date,
            "release_date_precision": date_precision(&c.release_date),
            "resume_point": { "fully_played": false, "resume_position_ms": 0 },
            // The definition's ChapterBase only allows "episode" here.
            "type": "episode",
            "uri": format!("spotify:chapter:{}", c.id),
        })
    }

    pub fn chapter(&self, i: usize) -> Value {
        let Some(c) = self.cat.chapters.get(i) else {
            return Value::Null;
        };
        let mut v = self.simplified_chapter(i);
        if let Some(o) = v.as_object_mut() {
            o.insert("audiobook".into(), self.simplified_audiobook(c.audiobook));
        }
        v
    }

    pub fn playable(&self, p: Playable) -> Value {
        match p {
            Playable::Track(i) => self.track(i),
            Playable::Episode(i) => self.episode(i),
        }
    }

    pub fn user_ref(&self, user: &User) -> Value {
        json!({
            "external_urls": { "spotify": format!("https://open.spotify.com/user/{}", user.id) },
            "href": format!("{}/users/{}", self.base, user.id),
            "id": user.id,
            "type": "user",
            "uri": format!("spotify:user:{}", user.id),
        })
    }

    pub fn owner(&self, user: &User) -> Value {
        let mut v = self.user_ref(user);
        if let Some(o) = v.as_object_mut() {
            o.insert("display_name".into(), json!(user.display_name));
        }
        v
    }

    /// `GET /me`: fields removed in 2026 (country, email, product, followers) are absent.
    pub fn private_user(&self, user: &User) -> Value {
        let mut v = self.owner(user);
        if let Some(o) = v.as_object_mut() {
            o.insert("images".into(), json!([]));
        }
        v
    }

    fn playlist_images(&self, world: &WorldState, p: &Playlist, origin: &str) -> Value {
        if p.cover.is_some() {
            return json!([{ "url": format!("{origin}/sandbox/covers/{}?v={}", p.id, p.version), "height": null, "width": null }]);
        }
        let _ = world;
        match p.entries.first() {
            None => json!([]),
            Some(e) => {
                let id = match e.item {
                    Playable::Track(t) => self
                        .cat
                        .tracks
                        .get(t)
                        .and_then(|t| self.cat.albums.get(t.album))
                        .map(|a| a.id.as_str()),
                    Playable::Episode(x) => self.cat.episodes.get(x).map(|e| e.id.as_str()),
                };
                if p.entries.len() >= 4 {
                    let mosaic =
                        |size: u32| format!("https://mosaic.scdn.co/{size}/{}{}", p.id, p.version);
                    json!([
                        { "url": mosaic(640), "height": 640, "width": 640 },
                        { "url": mosaic(300), "height": 300, "width": 300 },
                        { "url": mosaic(60), "height": 60, "width": 60 },
                    ])
                } else {
                    json!([{ "url": format!("https://i.scdn.co/image/ab67616d0000b273{}", id.unwrap_or("")), "height": 640, "width": 640 }])
                }
            }
        }
    }

    /// Cover images of a playlist (`GET /playlists/{id}/images`).
    pub fn cover_images(&self, world: &WorldState, p: &Playlist, origin: &str) -> Value {
        self.playlist_images(world, p, origin)
    }

    fn owner_of(&self, world: &WorldState, p: &Playlist) -> Value {
        world
            .accounts
            .get(p.owner)
            .map_or(Value::Null, |a| self.owner(&a.user))
    }

    pub fn simplified_playlist(&self, world: &WorldState, p: &Playlist, origin: &str) -> Value {
        let href = format!("{}/playlists/{}", self.base, p.id);
        json!({
            "collaborative": p.collaborative,
            "description": p.description.clone().unwrap_or_default(),
            "external_urls": open_url("playlist", &p.id),
            "href": href,
            "id": p.id,
            "images": self.playlist_images(world, p, origin),
            "name": p.name,
            "owner": self.owner_of(world, p),
            "public": p.public,
            "snapshot_id": p.snapshot_id(),
            "items": { "href": format!("{href}/items"), "total": p.entries.len() },
            "type": "playlist",
            "uri": format!("spotify:playlist:{}", p.id),
        })
    }

    pub fn playlist_entry(&self, world: &WorldState, e: &Entry) -> Value {
        let added_by = world
            .accounts
            .get(e.added_by)
            .map_or(Value::Null, |a| self.user_ref(&a.user));
        json!({
            "added_at": iso(e.added_at),
            "added_by": added_by,
            "is_local": false,
            "item": self.playable(e.item),
        })
    }

    /// Full playlist; `items_visible` is false for playlists the caller neither owns nor
    /// collaborates on (their items are not served to development-mode apps).
    pub fn playlist(
        &self,
        world: &WorldState,
        p: &Playlist,
        origin: &str,
        items_visible: bool,
    ) -> Value {
        let href = format!("{}/playlists/{}", self.base, p.id);
        let mut v = json!({
            "collaborative": p.collaborative,
            "description": p.description,
            "external_urls": open_url("playlist", &p.id),
            "href": href,
            "id": p.id,
            "images": self.playlist_images(world, p, origin),
            "name": p.name,
            "owner": self.owner_of(world, p),
            "public": p.public,
            "snapshot_id": p.snapshot_id(),
            "type": "playlist",
            "uri": format!("spotify:playlist:{}", p.id),
            "followers": { "href": null, "total": p.followers },
        });
        if items_visible && let Some(o) = v.as_object_mut() {
            let items = first(100).of(&format!("{href}/items"), &p.entries, |e| {
                self.playlist_entry(world, e)
            });
            o.insert("items".into(), items);
        }
        v
    }

    pub fn device(&self, d: &Device, active: bool) -> Value {
        json!({
            "id": d.id,
            "is_active": active,
            "is_private_session": false,
            "is_restricted": d.is_restricted,
            "name": d.name,
            "type": d.kind,
            "volume_percent": d.volume_percent,
            "supports_volume": d.supports_volume,
        })
    }

    pub fn context(&self, c: &Context) -> Value {
        json!({
            "type": c.kind,
            "href": format!("{}/{}s/{}", self.base, c.kind, c.id),
            "external_urls": open_url(c.kind, &c.id),
            "uri": c.uri(),
        })
    }

    fn actions(s: &Snapshot) -> Value {
        json!({
            "interrupting_playback": false,
            "pausing": !s.is_playing,
            "resuming": s.is_playing,
            "seeking": false,
            "skipping_next": false,
            "skipping_prev": false,
            "toggling_repeat_context": false,
            "toggling_shuffle": false,
            "toggling_repeat_track": false,
            "transferring_playback": false,
        })
    }

    /// `GET /me/player/currently-playing`.
    pub fn currently_playing(&self, s: &Snapshot) -> Value {
        let kind = match s.item {
            Some(Playable::Track(_)) => "track",
            Some(Playable::Episode(_)) => "episode",
            None => "unknown",
        };
        json!({
            "context": s.context.as_ref().map(|c| self.context(c)),
            "timestamp": s.timestamp,
            "progress_ms": s.progress_ms,
            "is_playing": s.is_playing,
            "item": s.item.map(|p| self.playable(p)),
            "currently_playing_type": kind,
            "actions": Self::actions(s),
        })
    }

    /// `GET /me/player`.
    pub fn playback(&self, s: &Snapshot) -> Value {
        let mut v = self.currently_playing(s);
        if let Some(o) = v.as_object_mut() {
            o.insert("device".into(), self.device(&s.device, true));
            o.insert("repeat_state".into(), json!(s.repeat.as_str()));
            o.insert("shuffle_state".into(), json!(s.shuffle));
        }
        v
    }

    pub fn play_history(&self, r: &PlayRecord) -> Value {
        json!({
            "track": self.track(r.track),
            "played_at": iso(r.played_at),
            "context": r.context.as_ref().map(|c| self.context(c)),
        })
    }

    /// A saved-item wrapper (`{"added_at", "<key>": object}`).
    pub fn saved(&self, key: &str, added_at: i64, object: Value) -> Value {
        json!({ "added_at": iso(added_at), key: object })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links() {
        let p = paging("http://h/v1/x", "", vec![], 25, 10, 10);
        assert_eq!(p["href"], "http://h/v1/x?offset=10&limit=10");
        assert_eq!(p["next"], "http://h/v1/x?offset=20&limit=10");
        assert_eq!(p["previous"], "http://h/v1/x?offset=0&limit=10");
        let p = paging("http://h/v1/x", "&q=a", vec![], 25, 10, 20);
        assert!(p["next"].is_null());
        assert_eq!(p["href"], "http://h/v1/x?offset=20&limit=10&q=a");
        assert!(paging("u", "", vec![], 5, 10, 0)["previous"].is_null());
    }

    #[test]
    fn pages_render_their_window_and_links() {
        let page = Page {
            limit: 2,
            offset: 1,
        };
        let v = page.of("http://x/v1/things", &[10, 20, 30, 40], |n| json!(n));
        assert_eq!(v["items"], json!([20, 30]));
        assert_eq!(v["total"], 4);
        assert_eq!(v["next"], "http://x/v1/things?offset=3&limit=2");
        let past = Page {
            limit: 2,
            offset: 9,
        };
        assert_eq!(past.of("u", &[1], |n| json!(n))["items"], json!([]));
    }

    #[test]
    fn windows_clamp() {
        assert_eq!(window(5, 10, 0), 0..5);
        assert_eq!(window(5, 2, 4), 4..5);
        assert_eq!(window(5, 2, 9), 5..5);
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(
            iso(super::super::world::SEED_EPOCH_MS),
            "2026-06-01T00:00:00Z"
        );
    }

    #[test]
    fn track_has_current_fields_only() {
        let cat = Catalog::generate(1);
        let r = Render {
            cat: &cat,
            base: "http://h/v1",
        };
        let t = r.track(0);
        assert_eq!(t["type"], "track");
        assert!(t.get("popularity").is_none());
        assert!(t.get("available_markets").is_none());
        assert_eq!(t["uri"], format!("spotify:track:{}", cat.tracks[0].id));
        assert_eq!(t["album"]["type"], "album");
        assert!(r.artist(0, false).get("followers").is_none());
        assert!(r.artist(0, true).get("followers").is_some());
    }
}
