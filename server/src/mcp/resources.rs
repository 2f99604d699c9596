//! Resources: live views of the player and the user's playlists, and templates for any
//! playlist, album, artist or track. Contents are compact JSON (the same shapes the tools
//! return).

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde::Serialize;

use crate::spotify::SpotifyError;
use crate::spotify::api::Page;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::SimplifiedPlaylist;

use super::output::{
    Device, Devices, Item, Items, NowPlaying, PlaylistEntry, Queue, items, playable,
};
use super::{SpotifyMcp, ToolError};

const JSON: &str = "application/json";

pub const NOW_PLAYING: &str = "spotify://player/now-playing";
pub const DEVICES: &str = "spotify://player/devices";
pub const QUEUE: &str = "spotify://player/queue";
pub const MY_PLAYLISTS: &str = "spotify://me/playlists";

/// The fixed resources.
pub fn list() -> Vec<Resource> {
    [
        (
            NOW_PLAYING,
            "now-playing",
            "What is playing now, on which device, how far in.",
        ),
        (DEVICES, "devices", "The user's Spotify Connect devices."),
        (QUEUE, "queue", "The current item and the upcoming queue."),
        (
            MY_PLAYLISTS,
            "my-playlists",
            "The user's playlists (first 50).",
        ),
    ]
    .into_iter()
    .map(|(uri, name, description)| {
        Resource::new(uri, name)
            .with_description(description)
            .with_mime_type(JSON)
    })
    .collect()
}

/// The user's playlists as resources (`spotify://playlist/{id}`), listed after the fixed ones;
/// `notifications/resources/list_changed` tells a client when they change.
pub fn playlists(page: &crate::spotify::models::Paging<SimplifiedPlaylist>) -> Vec<Resource> {
    page.items
        .iter()
        .filter(|p| !p.id.is_empty())
        .map(|p| {
            let owner = p.owner.display_name.as_deref().unwrap_or(&p.owner.id);
            Resource::new(format!("spotify://playlist/{}", p.id), p.name.clone())
                .with_description(format!("Playlist by {owner}."))
                .with_mime_type(JSON)
        })
        .collect()
}

/// The resource templates.
pub fn templates() -> Vec<ResourceTemplate> {
    [
        (
            "spotify://playlist/{id}",
            "playlist",
            "A playlist's details and first 50 items.",
        ),
        (
            "spotify://album/{id}",
            "album",
            "An album's details and tracks.",
        ),
        (
            "spotify://artist/{id}",
            "artist",
            "An artist's details and albums.",
        ),
        ("spotify://track/{id}", "track", "A track's details."),
    ]
    .into_iter()
    .map(|(uri, name, description)| {
        ResourceTemplate::new(uri, name)
            .with_description(description)
            .with_mime_type(JSON)
    })
    .collect()
}

/// What a resource URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    NowPlaying,
    Devices,
    Queue,
    MyPlaylists,
    Item(SpotifyId),
}

/// The error `data` of a resource that does not exist: its URI, so a client can tell which one
/// of several reads failed (SEP-2164 asks for it).
fn about(uri: &str) -> Option<serde_json::Value> {
    Some(serde_json::json!({ "uri": uri }))
}

/// Parses a `spotify://` resource URI.
pub fn parse(uri: &str) -> Result<Target, ErrorData> {
    match uri {
        NOW_PLAYING => return Ok(Target::NowPlaying),
        DEVICES => return Ok(Target::Devices),
        QUEUE => return Ok(Target::Queue),
        MY_PLAYLISTS => return Ok(Target::MyPlaylists),
        _ => {}
    }
    let not_found = || {
        ErrorData::resource_not_found(
            format!(
                "unknown resource `{uri}`: expected spotify://player/now-playing, \
                 spotify://player/devices, spotify://player/queue, spotify://me/playlists or \
                 spotify://{{playlist,album,artist,track}}/{{id}}"
            ),
            about(uri),
        )
    };
    let rest = uri.strip_prefix("spotify://").ok_or_else(not_found)?;
    let (kind, id) = rest.split_once('/').ok_or_else(not_found)?;
    let kind = match kind {
        "playlist" => ItemKind::Playlist,
        "album" => ItemKind::Album,
        "artist" => ItemKind::Artist,
        "track" => ItemKind::Track,
        _ => return Err(not_found()),
    };
    // Clients may percent-escape a URI or link put in the `{id}` slot.
    let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
    SpotifyId::parse_as(&id, kind)
        .map(Target::Item)
        .map_err(|e| ErrorData::invalid_params(format!("resource `{uri}`: {e}"), about(uri)))
}

#[derive(Debug, Serialize)]
struct WithChildren<T: Serialize> {
    #[serde(flatten)]
    item: Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<T>,
}

fn tool_failure(err: ToolError) -> ErrorData {
    ErrorData::internal_error(err.message().to_string(), None)
}

fn json(uri: &str, value: &impl Serialize) -> Result<ReadResourceResult, ErrorData> {
    let text = serde_json::to_string(value)
        .map_err(|e| ErrorData::internal_error(format!("serialising {uri}: {e}"), None))?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(JSON),
    ]))
}

/// Reads one resource.
pub async fn read(server: &SpotifyMcp, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let target = parse(uri)?;
    let c = server.client();
    let spotify = |e: SpotifyError| async move {
        match e {
            SpotifyError::NotFound { .. } => ErrorData::resource_not_found(
                ToolError::spotify(&e).message().to_string(),
                about(uri),
            ),
            other => tool_failure(server.fail(other).await),
        }
    };
    match target {
        Target::NowPlaying => {
            let now = match c.get_currently_playing(None).await {
                Ok(now) => now,
                Err(e) => return Err(spotify(e).await),
            };
            json(uri, &now.as_ref().map(NowPlaying::from).unwrap_or_default())
        }
        Target::Devices => {
            let devices = match c.get_devices().await {
                Ok(d) => d,
                Err(e) => return Err(spotify(e).await),
            };
            json(
                uri,
                &Devices {
                    devices: devices.iter().map(Device::from).collect(),
                },
            )
        }
        Target::Queue => {
            let queue = match c.get_queue().await {
                Ok(q) => q,
                Err(e) => return Err(spotify(e).await),
            };
            json(
                uri,
                &Queue {
                    current: queue.currently_playing.as_ref().and_then(playable),
                    queue: queue.queue.iter().filter_map(playable).collect(),
                },
            )
        }
        Target::MyPlaylists => {
            let page = match c.get_my_playlists(Page::new(50, 0)).await {
                Ok(p) => p,
                Err(e) => return Err(spotify(e).await),
            };
            json(uri, &Items::page(&page, 0))
        }
        Target::Item(id) => match id.kind() {
            ItemKind::Playlist => {
                let playlist = match c.get_playlist(&id, None, None).await {
                    Ok(p) => p,
                    Err(e) => return Err(spotify(e).await),
                };
                // Items are readable only for playlists the user owns or collaborates on.
                let items = match c.get_playlist_items(&id, None, Page::new(50, 0)).await {
                    Ok(page) => Some(
                        page.items
                            .iter()
                            .zip(0u32..)
                            .filter_map(|(entry, position)| {
                                Some(PlaylistEntry {
                                    position,
                                    item: entry.item.as_ref().and_then(playable)?,
                                    added_at: entry.added_at.clone(),
                                })
                            })
                            .collect::<Vec<_>>(),
                    ),
                    Err(SpotifyError::PlaylistNotOwned { .. } | SpotifyError::Forbidden { .. }) => {
                        None
                    }
                    Err(e) => return Err(spotify(e).await),
                };
                json(
                    uri,
                    &WithChildren {
                        item: Item::from(&playlist),
                        items,
                    },
                )
            }
            ItemKind::Album => {
                let album = match c.get_album(&id, None).await {
                    Ok(a) => a,
                    Err(e) => return Err(spotify(e).await),
                };
                let tracks = items(&album.tracks.items);
                json(
                    uri,
                    &WithChildren {
                        item: Item::from(&album),
                        items: Some(tracks),
                    },
                )
            }
            ItemKind::Artist => {
                let artist = match c.get_artist(&id).await {
                    Ok(a) => a,
                    Err(e) => return Err(spotify(e).await),
                };
                let albums = match c.get_artist_albums(&id, &[], None, Page::new(10, 0)).await {
                    Ok(p) => items(&p.items),
                    Err(e) => return Err(spotify(e).await),
                };
                json(
                    uri,
                    &WithChildren {
                        item: Item::from(&artist),
                        items: Some(albums),
                    },
                )
            }
            _ => {
                let track = match c.get_track(&id, None).await {
                    Ok(t) => t,
                    Err(e) => return Err(spotify(e).await),
                };
                json(uri, &Item::from(&track))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4uLU6hMCjMI75M1A2tKUQC";

    #[test]
    fn fixed_and_templated_uris() {
        assert_eq!(parse(NOW_PLAYING).unwrap(), Target::NowPlaying);
        assert_eq!(parse(MY_PLAYLISTS).unwrap(), Target::MyPlaylists);
        let Target::Item(id) = parse(&format!("spotify://album/{ID}")).unwrap() else {
            panic!("expected an item")
        };
        assert_eq!(id.uri(), format!("spotify:album:{ID}"));
        let escaped = format!("spotify://track/spotify%3Atrack%3A{ID}");
        assert!(matches!(parse(&escaped).unwrap(), Target::Item(t) if t.kind() == ItemKind::Track));
    }

    #[test]
    fn bad_uris_are_clear_errors() {
        let unknown = parse("spotify://player/lyrics").unwrap_err();
        assert!(unknown.message.contains("unknown resource"));
        assert_eq!(
            unknown.data,
            Some(serde_json::json!({"uri": "spotify://player/lyrics"}))
        );
        let wrong_kind = parse(&format!("spotify://track/spotify:album:{ID}")).unwrap_err();
        assert!(
            wrong_kind.message.contains("album"),
            "{}",
            wrong_kind.message
        );
        assert!(parse("https://example.com").is_err());
    }

    #[test]
    fn listings() {
        assert_eq!(list().len(), 4);
        let t = templates();
        assert_eq!(t.len(), 4);
        assert!(t.iter().all(|t| t.uri_template.ends_with("/{id}")));
    }
}
