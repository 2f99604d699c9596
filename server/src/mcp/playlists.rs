//! Playlists toolset: the user's playlists, details, items, create, change details, add /
//! remove / reorder / replace items, read and upload the cover.

use base64::Engine;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{PlaylistDetails, ReorderItems};

use super::args::{
    COVER_MAX_BASE64_CHARS, DESCRIPTION_MAX_CHARS, ID_MAX_CHARS, MAX_OFFSET, NAME_MAX_CHARS,
    PLAYABLE, PageArgs, SNAPSHOT_MAX_CHARS, bounded, paging, parse_id, parse_ids, required_text,
};
use super::output::{
    Ack, Image, Images, Item, Items, Listed, PlaylistChange, PlaylistEntry, PlaylistItems,
    next_offset, playable,
};
use super::{SpotifyMcp, ToolError};

/// Spotify's limit of URIs per add / remove / replace call.
const MAX_ITEMS: usize = 100;
/// Spotify's limit for a cover image, base64-encoded.
const MAX_COVER_BASE64: usize = 256 * 1024;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PlaylistArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemsArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    #[schemars(extend("default" = 50))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Playlist name.
    #[schemars(length(max = NAME_MAX_CHARS))]
    pub name: String,
    /// Playlist description.
    #[schemars(length(max = DESCRIPTION_MAX_CHARS))]
    pub description: Option<String>,
    /// Default false.
    pub public: Option<bool>,
    /// Others can edit.
    pub collaborative: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DetailsArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    /// New name.
    #[schemars(length(max = NAME_MAX_CHARS))]
    pub name: Option<String>,
    /// Playlist description.
    #[schemars(length(max = DESCRIPTION_MAX_CHARS))]
    pub description: Option<String>,
    /// Public on the profile.
    pub public: Option<bool>,
    /// Others can edit.
    pub collaborative: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    #[schemars(length(min = 1, max = 100), inner(length(max = ID_MAX_CHARS)))]
    pub uris: Vec<String>,
    /// 0-based; default end.
    #[schemars(range(max = MAX_OFFSET))]
    pub position: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RemoveArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    #[schemars(length(min = 1, max = 100), inner(length(max = ID_MAX_CHARS)))]
    pub uris: Vec<String>,
    /// Playlist version to edit.
    #[schemars(length(max = SNAPSHOT_MAX_CHARS))]
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReorderArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    /// First position to move.
    #[schemars(range(max = MAX_OFFSET))]
    pub range_start: Option<u32>,
    /// Move them before this position.
    #[schemars(range(max = MAX_OFFSET))]
    pub insert_before: Option<u32>,
    /// How many; default 1.
    #[schemars(range(min = 1, max = MAX_OFFSET))]
    pub range_length: Option<u32>,
    /// Or replace all items (empty clears).
    #[schemars(length(max = 100), inner(length(max = ID_MAX_CHARS)))]
    pub replace_with: Option<Vec<String>>,
    /// Playlist version to edit.
    #[schemars(length(max = SNAPSHOT_MAX_CHARS))]
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CoverArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub playlist: String,
    /// Base64 JPEG, at most 256 KB.
    #[schemars(length(max = COVER_MAX_BASE64_CHARS))]
    pub jpeg_base64: String,
}

fn playlist_id(input: &str) -> Result<SpotifyId, ToolError> {
    parse_id("playlist", input, &[ItemKind::Playlist], None)
}

fn snapshot(snapshot_id: Option<String>) -> Option<String> {
    snapshot_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Strips an optional `data:image/jpeg;base64,` prefix and checks size, encoding and format.
pub fn cover_payload(input: &str) -> Result<String, ToolError> {
    let data = input.trim();
    let data = match data.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => data,
    };
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if data.is_empty() {
        return Err(ToolError::invalid("`jpeg_base64` is empty"));
    }
    if data.len() > MAX_COVER_BASE64 {
        return Err(ToolError::invalid(format!(
            "`jpeg_base64` is {} KB; Spotify accepts at most 256 KB of base64 (shrink the JPEG)",
            data.len() / 1024
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&data)
        .map_err(|e| ToolError::invalid(format!("`jpeg_base64` is not valid base64: {e}")))?;
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ToolError::invalid("`jpeg_base64` is not a JPEG image"));
    }
    Ok(data)
}

#[tool_router(router = playlists_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "The user's playlists (own and followed).",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_my_playlists(
        &self,
        Parameters(args): Parameters<PageArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let paging = args.paging()?;
        let page = self
            .call(self.client().get_my_playlists(paging.page()))
            .await?;
        Ok(Listed(Items::page(&page, paging.offset)))
    }

    #[tool(
        description = "Playlist details: name, owner, item count, visibility, description.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_playlist(
        &self,
        Parameters(args): Parameters<PlaylistArgs>,
    ) -> Result<Json<Item>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let playlist = self
            .call(self.client().get_playlist(&id, None, None))
            .await?;
        Ok(Json(Item::from(&playlist)))
    }

    #[tool(
        description = "Items of a playlist the user owns or collaborates on, with positions.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<PlaylistItems>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_playlist_items(
        &self,
        Parameters(args): Parameters<ItemsArgs>,
    ) -> Result<Listed<PlaylistItems>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let paging = paging(args.limit, args.offset, 50)?;
        let page = self
            .call(self.client().get_playlist_items(&id, None, paging.page()))
            .await?;
        let items = page
            .items
            .iter()
            .zip(paging.offset..)
            .filter_map(|(entry, position)| {
                let item = entry.item.as_ref().and_then(playable)?;
                Some(PlaylistEntry {
                    position,
                    item,
                    added_at: entry.added_at.clone(),
                })
            })
            .collect();
        Ok(Listed(PlaylistItems {
            items,
            total: Some(page.total),
            next: next_offset(paging.offset, page.items.len(), page.total),
        }))
    }

    #[tool(
        description = "Create a playlist for the user (private unless public=true).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_playlist(
        &self,
        Parameters(args): Parameters<CreateArgs>,
    ) -> Result<Json<Item>, ToolError> {
        let details = PlaylistDetails {
            name: Some(required_text("name", &args.name)?),
            public: Some(args.public.unwrap_or(false)),
            collaborative: args.collaborative,
            description: args.description,
        };
        let playlist = self.call(self.client().create_playlist(&details)).await?;
        Ok(Json(Item::from(&playlist)))
    }

    #[tool(
        description = "Change a playlist's name, description, public or collaborative flag.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn update_playlist_details(
        &self,
        Parameters(args): Parameters<DetailsArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let name = match args.name {
            Some(n) => Some(required_text("name", &n)?),
            None => None,
        };
        let details = PlaylistDetails {
            name,
            public: args.public,
            collaborative: args.collaborative,
            description: args.description,
        };
        if details == PlaylistDetails::default() {
            return Err(ToolError::invalid(
                "give at least one of name, description, public, collaborative",
            ));
        }
        self.call(self.client().change_playlist_details(&id, &details))
            .await?;
        Ok(Json(Ack::new(format!("Updated playlist {}", id.uri()))))
    }

    #[tool(
        description = "Add tracks/episodes to a playlist.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn add_playlist_items(
        &self,
        Parameters(args): Parameters<AddArgs>,
    ) -> Result<Json<PlaylistChange>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let uris = parse_ids("uris", &args.uris, &PLAYABLE, None, MAX_ITEMS)?;
        let snap = self
            .call(self.client().add_playlist_items(&id, &uris, args.position))
            .await?;
        Ok(Json(PlaylistChange {
            message: format!("Added {} item(s)", uris.len()),
            snapshot_id: Some(snap.snapshot_id),
        }))
    }

    #[tool(
        description = "Remove every occurrence of the given tracks/episodes from a playlist.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn remove_playlist_items(
        &self,
        Parameters(args): Parameters<RemoveArgs>,
    ) -> Result<Json<PlaylistChange>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let uris = parse_ids("uris", &args.uris, &PLAYABLE, None, MAX_ITEMS)?;
        let snapshot_id = snapshot(args.snapshot_id);
        let snap = self
            .call(
                self.client()
                    .remove_playlist_items(&id, &uris, snapshot_id.as_deref()),
            )
            .await?;
        Ok(Json(PlaylistChange {
            message: format!("Removed {} item(s)", uris.len()),
            snapshot_id: Some(snap.snapshot_id),
        }))
    }

    #[tool(
        description = "Move a range of items, or replace all items.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn reorder_playlist_items(
        &self,
        Parameters(args): Parameters<ReorderArgs>,
    ) -> Result<Json<PlaylistChange>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let reorder = args.range_start.is_some() || args.insert_before.is_some();
        match (args.replace_with, reorder) {
            (Some(_), true) => Err(ToolError::invalid(
                "give either replace_with or range_start/insert_before, not both",
            )),
            (Some(uris), false) => {
                let ids = if uris.is_empty() {
                    Vec::new()
                } else {
                    parse_ids("replace_with", &uris, &PLAYABLE, None, MAX_ITEMS)?
                };
                let snap = self
                    .call(self.client().replace_playlist_items(&id, &ids))
                    .await?;
                Ok(Json(PlaylistChange {
                    message: format!("Replaced the playlist's items with {} item(s)", ids.len()),
                    snapshot_id: Some(snap.snapshot_id),
                }))
            }
            (None, true) => {
                let (Some(range_start), Some(insert_before)) =
                    (args.range_start, args.insert_before)
                else {
                    return Err(ToolError::invalid(
                        "reordering needs both range_start and insert_before",
                    ));
                };
                let length = bounded("range_length", args.range_length, 1, 1, 10_000)?;
                let request = ReorderItems {
                    range_start,
                    insert_before,
                    range_length: Some(length),
                    snapshot_id: snapshot(args.snapshot_id),
                };
                let snap = self
                    .call(self.client().reorder_playlist_items(&id, &request))
                    .await?;
                Ok(Json(PlaylistChange {
                    message: format!(
                        "Moved {length} item(s) from position {range_start} to before {insert_before}"
                    ),
                    snapshot_id: Some(snap.snapshot_id),
                }))
            }
            (None, false) => Err(ToolError::invalid(
                "give range_start and insert_before (reorder) or replace_with (replace)",
            )),
        }
    }

    #[tool(
        description = "A playlist's cover image URLs.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_playlist_cover(
        &self,
        Parameters(args): Parameters<PlaylistArgs>,
    ) -> Result<Json<Images>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let images = self.call(self.client().get_playlist_cover(&id)).await?;
        Ok(Json(Images {
            images: images
                .iter()
                .map(|i| Image {
                    url: i.url.clone(),
                    width: i.width,
                    height: i.height,
                })
                .collect(),
        }))
    }

    #[tool(
        description = "Replace a playlist's cover with a JPEG.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn upload_playlist_cover(
        &self,
        Parameters(args): Parameters<CoverArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let id = playlist_id(&args.playlist)?;
        let payload = cover_payload(&args.jpeg_base64)?;
        self.call(self.client().upload_playlist_cover_base64(&id, payload))
            .await?;
        Ok(Json(Ack::new(format!(
            "Uploaded a new cover for {}",
            id.uri()
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_payload_checks() {
        let jpeg = base64::engine::general_purpose::STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 1, 2]);
        assert_eq!(cover_payload(&jpeg).unwrap(), jpeg);
        let data_url = format!("data:image/jpeg;base64,{jpeg}");
        assert_eq!(cover_payload(&data_url).unwrap(), jpeg);
        let png = base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G']);
        assert!(
            cover_payload(&png)
                .unwrap_err()
                .message()
                .contains("not a JPEG")
        );
        assert!(
            cover_payload("%%%")
                .unwrap_err()
                .message()
                .contains("base64")
        );
        assert!(cover_payload(" ").is_err());
        let big = "A".repeat(MAX_COVER_BASE64 + 4);
        assert!(
            cover_payload(&big)
                .unwrap_err()
                .message()
                .contains("256 KB")
        );
    }
}
