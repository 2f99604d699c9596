//! Artists: `ArtistObject`.

use super::common::{ExternalUrls, Followers, Image};
use super::de::null_default;
use serde::{Deserialize, Serialize};

/// `ArtistObject` (`GET /artists/{id}`, search, top artists, followed artists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Artist {
    pub external_urls: ExternalUrls,
    /// Removed in 2026.
    pub followers: Option<Followers>,
    /// Deprecated.
    pub genres: Option<Vec<String>>,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Removed in 2026.
    pub popularity: Option<u32>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
}
