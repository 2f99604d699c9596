//! Audiobooks: `AudiobookObject`/`SimplifiedAudiobookObject`, `ChapterObject`/`SimplifiedChapterObject`,
//! `SavedAudiobookObject`. As with shows, full and simplified share one struct.

use super::common::{Copyright, ExternalUrls, Image, Paging, Restrictions, ResumePoint};
use super::de::null_default;
use serde::{Deserialize, Serialize};

/// `AuthorObject` / `NarratorObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Person {
    #[serde(deserialize_with = "null_default")]
    pub name: String,
}

/// `AudiobookObject` (with `chapters`) and `SimplifiedAudiobookObject` (without).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Audiobook {
    #[serde(deserialize_with = "null_default")]
    pub authors: Vec<Person>,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    #[serde(deserialize_with = "null_default")]
    pub copyrights: Vec<Copyright>,
    #[serde(deserialize_with = "null_default")]
    pub description: String,
    #[serde(deserialize_with = "null_default")]
    pub html_description: String,
    pub edition: Option<String>,
    pub explicit: bool,
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub languages: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub narrators: Vec<Person>,
    /// Removed in 2026.
    pub publisher: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub total_chapters: u32,
    /// Only in the full `AudiobookObject`.
    pub chapters: Option<Paging<Chapter>>,
}

/// `SimplifiedAudiobookObject`.
pub type SimplifiedAudiobook = Audiobook;

/// `ChapterObject` (with `audiobook`) and `SimplifiedChapterObject` (without).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chapter {
    pub audio_preview_url: Option<String>,
    /// Removed in 2026.
    pub available_markets: Option<Vec<String>>,
    pub chapter_number: u32,
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
    pub is_playable: Option<bool>,
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
    /// Only in the full `ChapterObject`.
    pub audiobook: Option<Box<Audiobook>>,
}

/// `SimplifiedChapterObject`.
pub type SimplifiedChapter = Chapter;

/// `SavedAudiobookObject` (`GET /me/audiobooks`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedAudiobook {
    #[serde(deserialize_with = "null_default")]
    pub added_at: String,
    pub audiobook: Audiobook,
}
