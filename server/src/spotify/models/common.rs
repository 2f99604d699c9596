//! Shapes shared by every domain: images, links, paging.

use super::de::{null_default, skip_nulls};
use serde::{Deserialize, Serialize};

/// `ImageObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Image {
    #[serde(deserialize_with = "null_default")]
    pub url: String,
    pub height: Option<u32>,
    pub width: Option<u32>,
}

/// `ExternalUrlObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalUrls {
    pub spotify: Option<String>,
}

/// `ExternalIdObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalIds {
    pub isrc: Option<String>,
    pub ean: Option<String>,
    pub upc: Option<String>,
}

/// `FollowersObject` (removed from artists and users in 2026).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Followers {
    pub href: Option<String>,
    pub total: u64,
}

/// `CopyrightObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Copyright {
    #[serde(deserialize_with = "null_default")]
    pub text: String,
    /// `C` (copyright) or `P` (performance copyright).
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub kind: String,
}

/// `TrackRestrictionObject` and friends: why an item is unavailable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Restrictions {
    pub reason: Option<String>,
}

/// `ResumePointObject` (episodes, chapters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResumePoint {
    pub fully_played: bool,
    pub resume_position_ms: u64,
}

/// `SimplifiedArtistObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimplifiedArtist {
    pub external_urls: ExternalUrls,
    pub href: Option<String>,
    /// `null` for artists of local files.
    pub id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    pub uri: Option<String>,
}

/// `ContextObject`: what playback was started from (album, playlist, artist, show ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Context {
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    pub href: Option<String>,
    pub external_urls: ExternalUrls,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
}

/// `PagingObject` with its `items`. `null` entries are dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Paging<T> {
    #[serde(default, deserialize_with = "null_default")]
    pub href: String,
    #[serde(default)]
    pub limit: u32,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub offset: u32,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub total: u32,
    #[serde(default = "Vec::new", deserialize_with = "skip_nulls")]
    pub items: Vec<T>,
}

impl<T> Default for Paging<T> {
    fn default() -> Self {
        Self {
            href: String::new(),
            limit: 0,
            next: None,
            offset: 0,
            previous: None,
            total: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Paging<T> {
    /// Whether Spotify has more items after this page.
    pub fn has_more(&self) -> bool {
        self.next.is_some()
    }
}

/// `CursorObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cursors {
    pub after: Option<String>,
    pub before: Option<String>,
}

/// `CursorPagingObject` with its `items` (recently played, followed artists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct CursorPaging<T> {
    #[serde(default, deserialize_with = "null_default")]
    pub href: String,
    #[serde(default)]
    pub limit: u32,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub total: Option<u32>,
    #[serde(default = "Vec::new", deserialize_with = "skip_nulls")]
    pub items: Vec<T>,
}

impl<T> Default for CursorPaging<T> {
    fn default() -> Self {
        Self {
            href: String::new(),
            limit: 0,
            next: None,
            cursors: None,
            total: None,
            items: Vec::new(),
        }
    }
}

/// `{"snapshot_id": ...}` returned by playlist item changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotId {
    #[serde(deserialize_with = "null_default")]
    pub snapshot_id: String,
}

/// Spotify's error body: `{"error": {"status": 404, "message": "...", "reason": "NO_ACTIVE_DEVICE"}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

/// `ErrorObject` (`reason` is the player's error reason, e.g. `PREMIUM_REQUIRED`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorObject {
    pub status: u16,
    #[serde(deserialize_with = "null_default")]
    pub message: String,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_drops_null_items_and_tolerates_missing_fields() {
        let page: Paging<Image> = serde_json::from_str(
            r#"{"href":"h","limit":2,"next":null,"offset":0,"previous":null,"total":3,
                "items":[{"url":"a","height":null,"width":640},null,{"url":"b","height":1,"width":1}],
                "unknown":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].width, Some(640));
        assert!(!page.has_more());
        let empty: Paging<Image> = serde_json::from_str(r#"{"items":null}"#).unwrap();
        assert!(empty.items.is_empty());
    }

    #[test]
    fn error_body_parses_reason() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":{"status":404,"message":"Player command failed: No active device found","reason":"NO_ACTIVE_DEVICE"}}"#,
        )
        .unwrap();
        assert_eq!(body.error.status, 404);
        assert_eq!(body.error.reason.as_deref(), Some("NO_ACTIVE_DEVICE"));
    }
}
