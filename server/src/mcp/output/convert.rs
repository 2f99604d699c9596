//! Conversions from the client's Spotify models to the compact output types.

use crate::spotify::models as m;

use super::{
    Device, Item, Items, NowPlaying, PlaybackState, format_duration, non_empty, release_year,
    truncate,
};

/// Every element of `list` as an [`Item`].
pub fn items<'a, T: 'a>(list: impl IntoIterator<Item = &'a T>) -> Vec<Item>
where
    Item: From<&'a T>,
{
    list.into_iter().map(Item::from).collect()
}

impl Items {
    /// A whole list, without paging.
    pub fn all<'a, T: 'a>(list: impl IntoIterator<Item = &'a T>) -> Self
    where
        Item: From<&'a T>,
    {
        Self {
            items: items(list),
            ..Self::default()
        }
    }

    /// One page of a Spotify offset-paged list, fetched at `offset`.
    pub fn page<T>(page: &m::Paging<T>, offset: u32) -> Self
    where
        for<'a> Item: From<&'a T>,
    {
        Self::paged(items(&page.items), Some(page.total), offset)
    }
}

/// Longest description kept in item details.
const DESCRIPTION_CHARS: usize = 300;

fn names(artists: &[m::SimplifiedArtist]) -> Vec<String> {
    artists
        .iter()
        .map(|a| a.name.clone())
        .filter(|n| !n.is_empty())
        .collect()
}

fn people(people: &[m::Person]) -> Vec<String> {
    people
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Joins the non-empty parts with `; `.
fn info(parts: &[Option<String>]) -> Option<String> {
    let joined = parts
        .iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    (!joined.is_empty()).then_some(joined)
}

fn description(text: &str) -> Option<String> {
    non_empty(Some(text)).map(|t| truncate(&t, DESCRIPTION_CHARS))
}

impl From<&m::Track> for Item {
    fn from(t: &m::Track) -> Self {
        Item {
            artists: names(&t.artists),
            album: non_empty(Some(&t.album.name)),
            year: release_year(&t.album.release_date),
            explicit: t.explicit,
            ..Item::new(&t.name, &t.uri).with_duration(t.duration_ms)
        }
    }
}

impl From<&m::SimplifiedTrack> for Item {
    fn from(t: &m::SimplifiedTrack) -> Self {
        Item {
            artists: names(&t.artists),
            explicit: t.explicit,
            ..Item::new(&t.name, &t.uri).with_duration(t.duration_ms)
        }
    }
}

impl From<&m::Episode> for Item {
    fn from(e: &m::Episode) -> Self {
        Item {
            show: e.show.as_ref().and_then(|s| non_empty(Some(&s.name))),
            year: release_year(&e.release_date),
            explicit: e.explicit,
            ..Item::new(&e.name, &e.uri).with_duration(e.duration_ms)
        }
    }
}

impl From<&m::PlayableItem> for Option<Item> {
    fn from(p: &m::PlayableItem) -> Self {
        match p {
            m::PlayableItem::Track(t) => Some(Item::from(t.as_ref())),
            m::PlayableItem::Episode(e) => Some(Item::from(e.as_ref())),
            m::PlayableItem::Unknown => None,
        }
    }
}

/// A playable item in compact form, `None` for unknown kinds (ads, local files).
pub fn playable(p: &m::PlayableItem) -> Option<Item> {
    p.into()
}

impl From<&m::SimplifiedAlbum> for Item {
    fn from(a: &m::SimplifiedAlbum) -> Self {
        Item {
            artists: names(&a.artists),
            year: release_year(&a.release_date),
            total: Some(a.total_tracks),
            ..Item::new(&a.name, a.uri.clone().unwrap_or_default())
        }
    }
}

impl From<&m::Album> for Item {
    fn from(a: &m::Album) -> Self {
        Item {
            artists: names(&a.artists),
            year: release_year(&a.release_date),
            total: Some(a.total_tracks),
            genres: a.genres.clone().unwrap_or_default(),
            info: info(&[
                non_empty(Some(&a.album_type)),
                non_empty(Some(&a.release_date)).map(|d| format!("released {d}")),
                a.label
                    .as_deref()
                    .and_then(|l| non_empty(Some(l)))
                    .map(|l| format!("label {l}")),
            ]),
            ..Item::new(&a.name, &a.uri)
        }
    }
}

impl From<&m::Artist> for Item {
    fn from(a: &m::Artist) -> Self {
        Item {
            genres: a.genres.clone().unwrap_or_default(),
            ..Item::new(&a.name, &a.uri)
        }
    }
}

impl From<&m::Show> for Item {
    fn from(s: &m::Show) -> Self {
        Item {
            total: Some(s.total_episodes),
            explicit: s.explicit,
            info: info(&[
                s.publisher
                    .as_deref()
                    .and_then(|p| non_empty(Some(p)))
                    .map(|p| format!("by {p}")),
                description(&s.description),
            ]),
            ..Item::new(&s.name, &s.uri)
        }
    }
}

impl From<&m::Audiobook> for Item {
    fn from(b: &m::Audiobook) -> Self {
        let narrators = people(&b.narrators);
        Item {
            authors: people(&b.authors),
            total: Some(b.total_chapters),
            explicit: b.explicit,
            info: info(&[
                (!narrators.is_empty()).then(|| format!("narrated by {}", narrators.join(", "))),
                b.publisher
                    .as_deref()
                    .and_then(|p| non_empty(Some(p)))
                    .map(|p| format!("publisher {p}")),
                description(&b.description),
            ]),
            ..Item::new(&b.name, &b.uri)
        }
    }
}

impl From<&m::Chapter> for Item {
    fn from(c: &m::Chapter) -> Self {
        Item {
            show: c.audiobook.as_ref().and_then(|b| non_empty(Some(&b.name))),
            explicit: c.explicit,
            info: Some(format!("chapter {}", c.chapter_number)),
            ..Item::new(&c.name, &c.uri).with_duration(c.duration_ms)
        }
    }
}

impl From<&m::SimplifiedPlaylist> for Item {
    fn from(p: &m::SimplifiedPlaylist) -> Self {
        Item {
            owner: owner(&p.owner),
            total: p.items.as_ref().map(|i| i.total),
            ..Item::new(&p.name, &p.uri)
        }
    }
}

impl From<&m::Playlist> for Item {
    fn from(p: &m::Playlist) -> Self {
        let visibility = match (p.public, p.collaborative) {
            (_, true) => Some("collaborative".to_string()),
            (Some(true), _) => Some("public".to_string()),
            (Some(false), _) => Some("private".to_string()),
            (None, false) => None,
        };
        Item {
            owner: owner(&p.owner),
            total: p.items.as_ref().map(|i| i.total),
            info: info(&[visibility, p.description.as_deref().and_then(description)]),
            ..Item::new(&p.name, &p.uri)
        }
    }
}

fn owner(user: &m::PlaylistUser) -> Option<String> {
    user.display_name
        .as_deref()
        .and_then(|n| non_empty(Some(n)))
        .or_else(|| non_empty(Some(&user.id)))
}

impl From<&m::Device> for Device {
    fn from(d: &m::Device) -> Self {
        Device {
            id: d.id.clone(),
            name: d.name.clone(),
            kind: d.device_type.clone(),
            active: d.is_active,
            restricted: d.is_restricted,
            volume: d.volume_percent,
        }
    }
}

impl From<&m::PlaybackState> for PlaybackState {
    fn from(s: &m::PlaybackState) -> Self {
        PlaybackState {
            active: s.device.is_some() || s.item.is_some(),
            playing: s.is_playing,
            item: s.item.as_ref().and_then(playable),
            progress: s.progress_ms.map(format_duration),
            progress_ms: s.progress_ms,
            device: s.device.as_ref().map(Device::from),
            shuffle: Some(s.shuffle_state),
            repeat: non_empty(Some(&s.repeat_state)),
            context: s.context.as_ref().and_then(|c| non_empty(Some(&c.uri))),
        }
    }
}

impl From<&m::CurrentlyPlaying> for NowPlaying {
    fn from(s: &m::CurrentlyPlaying) -> Self {
        NowPlaying {
            playing: s.is_playing,
            item: s.item.as_ref().and_then(playable),
            progress: s.progress_ms.map(format_duration),
            progress_ms: s.progress_ms,
            context: s.context.as_ref().and_then(|c| non_empty(Some(&c.uri))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track_json() -> serde_json::Value {
        serde_json::json!({
            "album": {"album_type": "album", "name": "OK Computer", "release_date": "1997-05-21",
                      "total_tracks": 12, "uri": "spotify:album:6dVIqQ8qmQ5GBnJ9shOYGE",
                      "available_markets": ["SE", "GB", "US"], "images": [{"url": "https://i", "width": 640, "height": 640}],
                      "artists": [{"name": "Radiohead"}]},
            "artists": [{"name": "Radiohead", "id": "4Z8W4fKeB5YxbusRsdQVPb", "uri": "spotify:artist:4Z8W4fKeB5YxbusRsdQVPb"}],
            "available_markets": ["SE", "GB", "US"],
            "duration_ms": 284_000, "explicit": false, "name": "Paranoid Android",
            "uri": "spotify:track:6LgJvl0Xdtc73RJ1mmpotq", "popularity": 80,
            "external_ids": {"isrc": "GBAYE9700109"}, "track_number": 2, "disc_number": 1
        })
    }

    #[test]
    fn track_is_compact() {
        let track: m::Track = serde_json::from_value(track_json()).unwrap();
        let item = Item::from(&track);
        assert_eq!(item.name, "Paranoid Android");
        assert_eq!(item.artists, vec!["Radiohead"]);
        assert_eq!(item.album.as_deref(), Some("OK Computer"));
        assert_eq!(item.year, Some(1997));
        assert_eq!(item.duration.as_deref(), Some("4:44"));
        assert_eq!(item.duration_ms, Some(284_000));
        let text = serde_json::to_string(&item).unwrap();
        assert!(
            !text.contains("available_markets") && !text.contains("images"),
            "{text}"
        );
        assert!(text.len() < 200, "{text}");
    }

    #[test]
    fn playable_unknown_is_skipped_and_episode_has_show() {
        let ep: m::PlayableItem = serde_json::from_value(serde_json::json!({
            "type": "episode", "name": "Ep 1", "uri": "spotify:episode:1", "duration_ms": 3_725_000,
            "release_date": "2024-02-01", "show": {"name": "The Show"}
        }))
        .unwrap();
        let item = playable(&ep).unwrap();
        assert_eq!(item.show.as_deref(), Some("The Show"));
        assert_eq!(item.duration.as_deref(), Some("1:02:05"));
        let ad: m::PlayableItem =
            serde_json::from_value(serde_json::json!({"type": "ad"})).unwrap();
        assert_eq!(playable(&ad), None);
    }

    #[test]
    fn playlist_owner_falls_back_to_id_and_visibility_is_described() {
        let p: m::Playlist = serde_json::from_value(serde_json::json!({
            "name": "Mix", "uri": "spotify:playlist:1", "public": false, "collaborative": false,
            "owner": {"id": "alice", "display_name": null}, "description": "",
            "items": {"total": 7, "items": []}
        }))
        .unwrap();
        let item = Item::from(&p);
        assert_eq!(item.owner.as_deref(), Some("alice"));
        assert_eq!(item.total, Some(7));
        assert_eq!(item.info.as_deref(), Some("private"));
    }

    #[test]
    fn inactive_playback_state() {
        let s = m::PlaybackState::default();
        let out = PlaybackState::from(&s);
        assert!(!out.active && !out.playing && out.item.is_none());
    }
}
