//! Argument pieces shared by several tools: item types and kind lists, ID lists, paging,
//! markets, bounds checks.
//!
//! Schemas advertise bounds, but clients do not have to honour them, so every bound is checked
//! again here and a violation is a tool error naming the argument.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::api::Page;
use crate::spotify::ids::{ItemKind, SpotifyId};

use super::ToolError;

/// Kinds that are played as items (not contexts): queued, added to playlists.
pub const PLAYABLE: [ItemKind; 2] = [ItemKind::Track, ItemKind::Episode];

/// Kinds with details of their own (get_item, get_several_items).
pub const DETAIL_KINDS: [ItemKind; 7] = [
    ItemKind::Track,
    ItemKind::Album,
    ItemKind::Artist,
    ItemKind::Show,
    ItemKind::Episode,
    ItemKind::Audiobook,
    ItemKind::Chapter,
];

// Bounds of free-text arguments, in characters: declared in the input schemas (`maxLength`)
// and enforced before a handler runs ([`super::validate::out_of_bounds`]), so no argument can
// make a request Spotify cannot take or the server cannot afford.

/// A Spotify URI, an open.spotify.com link (with its query) or a bare ID.
pub const ID_MAX_CHARS: u32 = 512;
/// A search query.
pub const QUERY_MAX_CHARS: u32 = 500;
/// A playlist name.
pub const NAME_MAX_CHARS: u32 = 200;
/// A playlist description (Spotify's own cap).
pub const DESCRIPTION_MAX_CHARS: u32 = 300;
/// A device ID as listed by get_devices.
pub const DEVICE_ID_MAX_CHARS: u32 = 128;
/// A market (two letters, surrounding blanks tolerated).
pub const MARKET_MAX_CHARS: u32 = 8;
/// A playlist snapshot ID.
pub const SNAPSHOT_MAX_CHARS: u32 = 256;
/// A paging cursor.
pub const CURSOR_MAX_CHARS: u32 = 64;
/// A category ID or genre seed.
pub const CATEGORY_MAX_CHARS: u32 = 128;
/// A playlist cover: Spotify's cap of 256 KB of base64-encoded JPEG.
pub const COVER_MAX_BASE64_CHARS: u32 = 256 * 1024;
/// A playback position: a day.
pub const MAX_POSITION_MS: u64 = 24 * 60 * 60 * 1000;

/// `limit` and `offset` of an offset-paged list with the default page size.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageArgs {
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

impl PageArgs {
    /// The checked page (default limit 20).
    pub fn paging(&self) -> Result<Paging, ToolError> {
        paging(self.limit, self.offset, 20)
    }
}

// A Spotify item type, for bare IDs (a plain comment: a doc comment would become the
// schema description of every `type` argument, which the server instructions explain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemType {
    Track,
    Album,
    Artist,
    Playlist,
    Show,
    Episode,
    Audiobook,
    Chapter,
}

impl From<ItemType> for ItemKind {
    fn from(t: ItemType) -> Self {
        match t {
            ItemType::Track => ItemKind::Track,
            ItemType::Album => ItemKind::Album,
            ItemType::Artist => ItemKind::Artist,
            ItemType::Playlist => ItemKind::Playlist,
            ItemType::Show => ItemKind::Show,
            ItemType::Episode => ItemKind::Episode,
            ItemType::Audiobook => ItemKind::Audiobook,
            ItemType::Chapter => ItemKind::Chapter,
        }
    }
}

/// Parses one URI, link or ID of one of `kinds`. A bare ID needs `hint` unless `kinds` has
/// exactly one kind; `arg` names the argument in errors.
pub fn parse_id(
    arg: &str,
    input: &str,
    kinds: &[ItemKind],
    hint: Option<ItemType>,
) -> Result<SpotifyId, ToolError> {
    let result = match hint {
        Some(hint) if !input.contains(':') && !input.contains('/') => {
            let kind = ItemKind::from(hint);
            if !kinds.contains(&kind) {
                return Err(ToolError::invalid(format!(
                    "`{arg}`: type {} is not accepted here (expected {})",
                    kind.as_str(),
                    kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            SpotifyId::parse_as(input, kind)
        }
        _ => SpotifyId::parse_one_of(input, kinds),
    };
    result.map_err(|e| ToolError::invalid(format!("`{arg}`: {e}")))
}

/// Parses a list of URIs, links or IDs, each of one of `kinds`, with at most `max` entries.
pub fn parse_ids(
    arg: &str,
    inputs: &[String],
    kinds: &[ItemKind],
    hint: Option<ItemType>,
    max: usize,
) -> Result<Vec<SpotifyId>, ToolError> {
    if inputs.is_empty() {
        return Err(ToolError::invalid(format!("`{arg}` must not be empty")));
    }
    if inputs.len() > max {
        return Err(ToolError::invalid(format!(
            "`{arg}` has {} entries; at most {max} are allowed per call",
            inputs.len()
        )));
    }
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| parse_id(&format!("{arg}[{i}]"), input, kinds, hint))
        .collect()
}

/// Checks `value` (or `default` when absent) against `min..=max`.
pub fn bounded(
    arg: &str,
    value: Option<u32>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ToolError> {
    let v = value.unwrap_or(default);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ToolError::invalid(format!(
            "`{arg}` must be between {min} and {max}, got {v}"
        )))
    }
}

/// Highest `offset` accepted (Spotify's own cap on offset-paged lists is lower or equal).
pub const MAX_OFFSET: u32 = 100_000;

/// An `offset` argument (default 0), bounded so offset arithmetic cannot overflow.
pub fn offset(value: Option<u32>) -> Result<u32, ToolError> {
    bounded("offset", value, 0, 0, MAX_OFFSET)
}

/// Highest `limit` of an offset-paged list (Spotify's usual page-size cap).
pub const MAX_LIMIT: u32 = 50;

/// A checked `limit` and `offset` of an offset-paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    pub offset: u32,
}

impl Paging {
    /// The page to request from Spotify.
    pub fn page(self) -> Page {
        Page::new(self.limit, self.offset)
    }
}

/// Checks a `limit` (`default_limit` when absent, 1..=[`MAX_LIMIT`]) and then an `offset`
/// argument (see [`offset`]).
pub fn paging(
    limit: Option<u32>,
    offset_arg: Option<u32>,
    default_limit: u32,
) -> Result<Paging, ToolError> {
    Ok(Paging {
        limit: bounded("limit", limit, default_limit, 1, MAX_LIMIT)?,
        offset: offset(offset_arg)?,
    })
}

/// A `market` argument: absent or blank means none, else a two-letter country code
/// (returned upper-case).
pub fn market(value: Option<&str>) -> Result<Option<String>, ToolError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(m.to_ascii_uppercase()))
        }
        Some(m) => Err(ToolError::invalid(format!(
            "`market` must be a two-letter ISO 3166-1 country code, got `{m}`"
        ))),
    }
}

/// A non-empty, trimmed string argument.
pub fn required_text(arg: &str, value: &str) -> Result<String, ToolError> {
    let v = value.trim();
    if v.is_empty() {
        Err(ToolError::invalid(format!("`{arg}` must not be empty")))
    } else {
        Ok(v.to_string())
    }
}

/// Device IDs are opaque; only reject obviously empty ones.
pub fn device(value: Option<String>) -> Result<Option<String>, ToolError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(ToolError::invalid(
            "`device_id` must not be empty: omit it to use the active device",
        )),
        Some(v) => Ok(Some(v.trim().to_string())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4uLU6hMCjMI75M1A2tKUQC";

    #[test]
    fn ids_in_every_spelling() {
        let kinds = [ItemKind::Track, ItemKind::Episode];
        let uri = parse_id("uri", &format!("spotify:track:{ID}"), &kinds, None).unwrap();
        let link = parse_id(
            "uri",
            &format!("https://open.spotify.com/intl-de/track/{ID}?si=abc"),
            &kinds,
            None,
        )
        .unwrap();
        let bare = parse_id("uri", ID, &kinds, Some(ItemType::Track)).unwrap();
        assert_eq!(uri, link);
        assert_eq!(uri, bare);
        assert_eq!(uri.uri(), format!("spotify:track:{ID}"));
        let single_kind = parse_id("album", ID, &[ItemKind::Album], None).unwrap();
        assert_eq!(single_kind.kind(), ItemKind::Album);
    }

    #[test]
    fn id_errors_name_the_argument() {
        let kinds = [ItemKind::Track, ItemKind::Episode];
        let ambiguous = parse_id("uri", ID, &kinds, None).unwrap_err();
        assert!(
            ambiguous.message().starts_with("`uri`:"),
            "{}",
            ambiguous.message()
        );
        let wrong = parse_id("uri", &format!("spotify:album:{ID}"), &kinds, None).unwrap_err();
        assert!(wrong.message().contains("album"), "{}", wrong.message());
        let hint = parse_id("uri", ID, &kinds, Some(ItemType::Album)).unwrap_err();
        assert!(
            hint.message().contains("not accepted"),
            "{}",
            hint.message()
        );
        let list = parse_ids(
            "uris",
            &[format!("spotify:track:{ID}"), "nope".into()],
            &kinds,
            None,
            5,
        )
        .unwrap_err();
        assert!(
            list.message().starts_with("`uris[1]`"),
            "{}",
            list.message()
        );
        assert!(parse_ids("uris", &[], &kinds, None, 5).is_err());
        let too_many = vec![format!("spotify:track:{ID}"); 6];
        assert!(
            parse_ids("uris", &too_many, &kinds, None, 5)
                .unwrap_err()
                .message()
                .contains("at most 5")
        );
    }

    #[test]
    fn bounds_and_text() {
        assert_eq!(bounded("limit", None, 20, 1, 50).unwrap(), 20);
        assert_eq!(bounded("limit", Some(50), 20, 1, 50).unwrap(), 50);
        let err = bounded("limit", Some(51), 20, 1, 50).unwrap_err();
        assert_eq!(err.message(), "`limit` must be between 1 and 50, got 51");
        assert_eq!(offset(None).unwrap(), 0);
        assert!(
            offset(Some(u32::MAX))
                .unwrap_err()
                .message()
                .contains("`offset`")
        );
        assert!(required_text("name", "  ").is_err());
        assert_eq!(required_text("name", " x ").unwrap(), "x");
        assert!(device(Some(" ".into())).is_err());
        assert_eq!(device(None).unwrap(), None);
    }

    #[test]
    fn paging_and_market() {
        assert_eq!(
            paging(None, None, 20).unwrap(),
            Paging {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(
            paging(Some(5), Some(7), 50).unwrap().page(),
            Page::new(5, 7)
        );
        assert_eq!(
            paging(Some(0), Some(u32::MAX), 20).unwrap_err().message(),
            "`limit` must be between 1 and 50, got 0"
        );
        assert_eq!(
            paging(None, Some(MAX_OFFSET + 1), 20)
                .unwrap_err()
                .message(),
            format!(
                "`offset` must be between 0 and {MAX_OFFSET}, got {}",
                MAX_OFFSET + 1
            )
        );
        let args = PageArgs {
            limit: None,
            offset: Some(3),
        };
        assert_eq!(args.paging().unwrap().offset, 3);
        assert_eq!(market(None).unwrap(), None);
        assert_eq!(market(Some(" ")).unwrap(), None);
        assert_eq!(market(Some(" se ")).unwrap().as_deref(), Some("SE"));
        assert_eq!(
            market(Some("Sweden")).unwrap_err().message(),
            "`market` must be a two-letter ISO 3166-1 country code, got `Sweden`"
        );
    }
}
