//! Albums: `AlbumObject`, `SimplifiedAlbumObject`, `ArtistDiscographyAlbumObject`, `SavedAlbumObject`.

use super::common::{
    Copyright, ExternalIds, ExternalUrls, Image, Paging, Restrictions, SimplifiedArtist,
};
use super::de::null_default;
use super::track::SimplifiedTrack;
use serde::{Deserialize, Serialize};

/// `AlbumObject` (`GET /albums/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Album {
    /// `album`, `single` or `compilation`.
    #[serde(deserialize_with = "null_default")]
    pub album_type: String,
    pub total_tracks: u32,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub release_date: String,
    /// `year`, `month` or `day`.
    #[serde(deserialize_with = "null_default")]
    pub release_date_precision: String,
    pub restrictions: Option<Restrictions>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    #[serde(deserialize_with = "null_default")]
    pub artists: Vec<SimplifiedArtist>,
    pub tracks: Paging<SimplifiedTrack>,
    #[serde(deserialize_with = "null_default")]
    pub copyrights: Vec<Copyright>,
    pub external_ids: ExternalIds,
    /// Deprecated.
    pub genres: Option<Vec<String>>,
    /// Removed in 2026.
    pub label: Option<String>,
    /// Removed in 2026.
    pub popularity: Option<u32>,
}

/// `SimplifiedAlbumObject`; in an artist's discography also `album_group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimplifiedAlbum {
    #[serde(deserialize_with = "null_default")]
    pub album_type: String,
    pub total_tracks: u32,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    /// `null` for albums of local files.
    pub id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub release_date: String,
    #[serde(deserialize_with = "null_default")]
    pub release_date_precision: String,
    pub restrictions: Option<Restrictions>,
    pub uri: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub artists: Vec<SimplifiedArtist>,
    /// Only in `GET /artists/{id}/albums`: `album`, `single`, `compilation`, `appears_on` (deprecated).
    pub album_group: Option<String>,
}

/// `SavedAlbumObject` (`GET /me/albums`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedAlbum {
    #[serde(deserialize_with = "null_default")]
    pub added_at: String,
    pub album: Album,
}

/// `include_groups` values of `GET /artists/{id}/albums`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlbumGroup {
    Album,
    Single,
    AppearsOn,
    Compilation,
}

impl AlbumGroup {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlbumGroup::Album => "album",
            AlbumGroup::Single => "single",
            AlbumGroup::AppearsOn => "appears_on",
            AlbumGroup::Compilation => "compilation",
        }
    }
}
