//! Catalog items in one flat, compact shape: tracks, episodes, albums, artists, shows,
//! audiobooks, chapters and playlists. The URI says which kind an item is; fields that do not
//! apply to a kind are absent.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

/// A Spotify item; fields that do not apply to its kind are absent.
///
/// Its output schema is written by hand: an object that always has `name` and `uri`; the
/// optional fields are listed once, in the server instructions ([`ITEM_FIELDS`]). Items appear
/// in most tools' results, and a full property list in every output schema would cost ~8 KB of
/// `tools/list` (model context) and tell a model nothing the result itself does not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Item {
    pub name: String,
    pub uri: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub artists: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    // Show of an episode, audiobook of a chapter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show: Option<String>,
    // Playlist owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    // Audiobook authors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    // m:ss, for text renderings only: the JSON has `duration_ms`, and both would say the
    // same thing twice in every item of a structured result.
    #[serde(skip)]
    pub duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    // Tracks, episodes, chapters or playlist items it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub genres: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub explicit: bool,
    // Details only: label, publisher, release date, description...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

impl JsonSchema for Item {
    fn schema_name() -> Cow<'static, str> {
        "Item".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "required": ["name", "uri"]
        })
    }
}

/// The optional fields of [`Item`], named in the server instructions.
pub const ITEM_FIELDS: &str = "artists, album, show (of an episode or chapter), owner (of a \
     playlist), authors, duration_ms, year, total (tracks, episodes, chapters or \
     items it holds), genres, explicit, info (details: label, publisher, description...)";

impl Item {
    /// An item with just a name and URI; the other fields are filled by the caller.
    pub fn new(name: impl Into<String>, uri: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            uri: uri.into(),
            ..Self::default()
        }
    }

    /// Sets `duration_ms` and its `m:ss` form.
    pub fn with_duration(mut self, ms: u64) -> Self {
        self.duration = Some(super::format_duration(ms));
        self.duration_ms = Some(ms);
        self
    }
}

/// A list of items, with paging when the list has more.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Items {
    pub items: Vec<Item>,
    /// Items in the whole list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    /// Pass as `offset` (or `after`/`before` for cursor lists) to get the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The offset of the page after `count` items fetched at `offset` of a list of `total`: set
/// when the page was not empty and `offset + count < total`.
pub fn next_offset(offset: u32, count: usize, total: u32) -> Option<u32> {
    let end = offset.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
    (end < total && count > 0).then_some(end)
}

impl Items {
    /// An offset-paged list; `next` is set as [`next_offset`] says.
    pub fn paged(items: Vec<Item>, total: Option<u32>, offset: u32) -> Self {
        let next = total
            .and_then(|total| next_offset(offset, items.len(), total))
            .map(|end| end.to_string());
        Self { items, total, next }
    }
}

/// Search results grouped by type; only types with matches are present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct SearchResults {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub albums: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub artists: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub playlists: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shows: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiobooks: Vec<Item>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_not_serialized() {
        let item = Item::new("Song", "spotify:track:1").with_duration(225_000);
        let json = serde_json::to_string(&item).unwrap();
        assert_eq!(
            json,
            r#"{"name":"Song","uri":"spotify:track:1","duration_ms":225000}"#
        );
    }

    #[test]
    fn item_schema_names_every_optional_field() {
        let value = serde_json::to_value(Item {
            artists: vec!["a".into()],
            album: Some("b".into()),
            show: Some("c".into()),
            owner: Some("d".into()),
            authors: vec!["e".into()],
            genres: vec!["f".into()],
            total: Some(1),
            year: Some(2000),
            explicit: true,
            info: Some("g".into()),
            ..Item::new("n", "u").with_duration(1000)
        })
        .unwrap();
        for key in value.as_object().unwrap().keys() {
            assert!(
                key == "name" || key == "uri" || ITEM_FIELDS.contains(key.as_str()),
                "{key}"
            );
        }
    }

    #[test]
    fn paging() {
        let two = vec![Item::new("a", "u:a"), Item::new("b", "u:b")];
        assert_eq!(
            Items::paged(two.clone(), Some(5), 2).next.as_deref(),
            Some("4")
        );
        assert_eq!(Items::paged(two.clone(), Some(4), 2).next, None);
        assert_eq!(Items::paged(two, None, 0).next, None);
        assert_eq!(Items::paged(vec![], Some(9), 0).next, None);
        assert_eq!(next_offset(2, 2, 5), Some(4));
        assert_eq!(next_offset(2, 2, 4), None);
        assert_eq!(next_offset(0, 0, 9), None);
        assert_eq!(next_offset(u32::MAX - 1, 5, u32::MAX), None);
    }
}
