//! Podcasts: `ShowObject`/`SimplifiedShowObject`, `EpisodeObject`/`SimplifiedEpisodeObject`,
//! `SavedShowObject`, `SavedEpisodeObject`.
//!
//! The full and simplified shapes differ only by one nested field (`episodes` of a show,
//! `show` of an episode), so each pair shares one struct with that field optional.

use super::common::{Copyright, ExternalUrls, Image, Paging, Restrictions, ResumePoint};
use super::de::null_default;
use serde::{Deserialize, Serialize};

/// `ShowObject` (with `episodes`) and `SimplifiedShowObject` (without).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Show {
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    #[serde(deserialize_with = "null_default")]
    pub copyrights: Vec<Copyright>,
    #[serde(deserialize_with = "null_default")]
    pub description: String,
    #[serde(deserialize_with = "null_default")]
    pub html_description: String,
    pub explicit: bool,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    pub is_externally_hosted: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub languages: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Removed in 2026.
    pub publisher: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub total_episodes: u32,
    /// Only in the full `ShowObject`.
    pub episodes: Option<Paging<Episode>>,
}

/// `SimplifiedShowObject`.
pub type SimplifiedShow = Show;

/// `EpisodeObject` (with `show`) and `SimplifiedEpisodeObject` (without).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Episode {
    /// Deprecated.
    pub audio_preview_url: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub description: String,
    #[serde(deserialize_with = "null_default")]
    pub html_description: String,
    pub duration_ms: u64,
    pub explicit: bool,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    pub is_externally_hosted: Option<bool>,
    pub is_playable: Option<bool>,
    /// Deprecated (use `languages`).
    pub language: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub languages: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub release_date: String,
    #[serde(deserialize_with = "null_default")]
    pub release_date_precision: String,
    pub resume_point: Option<ResumePoint>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub restrictions: Option<Restrictions>,
    /// Only in the full `EpisodeObject`.
    pub show: Option<Box<Show>>,
}

/// `SimplifiedEpisodeObject`.
pub type SimplifiedEpisode = Episode;

/// `SavedShowObject` (`GET /me/shows`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedShow {
    #[serde(deserialize_with = "null_default")]
    pub added_at: String,
    pub show: Show,
}

/// `SavedEpisodeObject` (`GET /me/episodes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedEpisode {
    #[serde(deserialize_with = "null_default")]
    pub added_at: String,
    pub episode: Episode,
}
