//! The user: profile, library checks, playlist contents and changes.

use schemars::JsonSchema;
use serde::Serialize;

use super::Item;

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Profile {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub uri: String,
    /// premium or free, when Spotify says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Saved {
    pub uri: String,
    pub saved: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LibraryCheck {
    pub results: Vec<Saved>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PlaylistEntry {
    /// 0-based, for remove/reorder.
    pub position: u32,
    #[serde(flatten)]
    pub item: Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PlaylistItems {
    pub items: Vec<PlaylistEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    /// Pass as `offset` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<u32>,
}

/// A playlist change.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PlaylistChange {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Image {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Images {
    pub images: Vec<Image>,
}
