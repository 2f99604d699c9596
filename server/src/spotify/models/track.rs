//! Tracks: `TrackObject`, `SimplifiedTrackObject`, `LinkedTrackObject`, `SavedTrackObject`.

use super::album::SimplifiedAlbum;
use super::common::{ExternalIds, ExternalUrls, Restrictions, SimplifiedArtist};
use super::de::null_default;
use serde::{Deserialize, Serialize};

/// `TrackObject`. `id` is `null` for local files in playlists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Track {
    pub album: SimplifiedAlbum,
    #[serde(deserialize_with = "null_default")]
    pub artists: Vec<SimplifiedArtist>,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    pub disc_number: u32,
    pub duration_ms: u64,
    pub explicit: bool,
    pub external_ids: ExternalIds,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    pub id: Option<String>,
    pub is_playable: Option<bool>,
    /// Deprecated (track relinking).
    pub linked_from: Option<LinkedTrack>,
    pub restrictions: Option<Restrictions>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Removed in 2026.
    pub popularity: Option<u32>,
    /// Deprecated; `null` for development-mode apps.
    pub preview_url: Option<String>,
    pub track_number: u32,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub is_local: bool,
}

/// `SimplifiedTrackObject` (album tracks: no album inside).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimplifiedTrack {
    #[serde(deserialize_with = "null_default")]
    pub artists: Vec<SimplifiedArtist>,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    pub disc_number: u32,
    pub duration_ms: u64,
    pub explicit: bool,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    pub id: Option<String>,
    pub is_playable: Option<bool>,
    pub linked_from: Option<LinkedTrack>,
    pub restrictions: Option<Restrictions>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    pub preview_url: Option<String>,
    pub track_number: u32,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub is_local: bool,
}

/// `LinkedTrackObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkedTrack {
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    pub id: Option<String>,
    pub uri: Option<String>,
}

/// `SavedTrackObject` (`GET /me/tracks`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedTrack {
    #[serde(deserialize_with = "null_default")]
    pub added_at: String,
    pub track: Track,
}
