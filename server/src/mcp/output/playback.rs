//! Player state, devices, queue and history.

use schemars::JsonSchema;
use serde::Serialize;

use super::Item;

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Device {
    /// Pass as `device_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// Computer, Smartphone, Speaker...
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
    /// Takes no commands from this server (Spotify's restriction): pick another device.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restricted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Devices {
    pub devices: Vec<Device>,
}

/// The player. `active` is false when no device is playing anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct PlaybackState {
    pub active: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub playing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// m:ss into the item
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shuffle: Option<bool>,
    /// off, track or context
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<String>,
    /// URI of the album, playlist, artist or show playing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// What is playing; `item` is absent when nothing is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct NowPlaying {
    pub playing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Queue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Item>,
    pub queue: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Played {
    #[serde(flatten)]
    pub item: Item,
    pub played_at: String,
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RecentlyPlayed {
    pub items: Vec<Played>,
    /// Pass as `before` for older items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}
