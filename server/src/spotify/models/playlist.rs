//! Playlists: `PlaylistObject`, `SimplifiedPlaylistObject`, `PlaylistTrackObject` (entries carry
//! their track or episode under `item`; the pre-2026 `track` key is not read), owners, and the
//! request bodies of the playlist writes.

use super::common::{ExternalUrls, Followers, Image, Paging};
use super::de::null_default;
use super::player::PlayableItem;
use serde::{Deserialize, Serialize};

/// `PlaylistUserObject` / `PlaylistOwnerObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaylistUser {
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    /// Only on owners.
    pub display_name: Option<String>,
}

/// `PlaylistTrackObject`: one entry of a playlist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaylistItem {
    pub added_at: Option<String>,
    pub added_by: Option<PlaylistUser>,
    pub is_local: bool,
    /// The track or episode; `null` when it is no longer available.
    pub item: Option<PlayableItem>,
}

/// `PlaylistTracksRefObject`: how many items and where to get them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaylistItemsRef {
    pub href: Option<String>,
    pub total: u32,
}

/// `PlaylistObject` (`GET /playlists/{id}`, `POST /me/playlists`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Playlist {
    pub collaborative: bool,
    pub description: Option<String>,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    pub owner: PlaylistUser,
    /// `null` when the playlist is neither explicitly public nor private.
    pub public: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub snapshot_id: String,
    /// The first page of entries.
    pub items: Option<Paging<PlaylistItem>>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    /// Removed in 2026.
    pub followers: Option<Followers>,
}

/// `SimplifiedPlaylistObject` (`GET /me/playlists`, search).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimplifiedPlaylist {
    pub collaborative: bool,
    pub description: Option<String>,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    pub owner: PlaylistUser,
    pub public: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub snapshot_id: String,
    pub items: Option<PlaylistItemsRef>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
}

/// Body of `POST /me/playlists` and `PUT /playlists/{id}`: only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaylistDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collaborative: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Body of `PUT /playlists/{id}/items` when reordering a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorderItems {
    pub range_start: u32,
    pub insert_before: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
}
