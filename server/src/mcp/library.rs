//! Library toolset: saved items of each type, save / remove / check through `/me/library`,
//! followed artists.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::ids::{ItemKind, SpotifyId};

use super::args::{
    CURSOR_MAX_CHARS, ID_MAX_CHARS, ItemType, MAX_OFFSET, bounded, paging, parse_ids,
};
use super::output::{Ack, Item, Items, LibraryCheck, Listed, Saved, items};
use super::{SpotifyMcp, ToolError};

/// `/me/library` takes at most 40 URIs per call.
const MAX_URIS: usize = 40;
const LIBRARY_KINDS: [ItemKind; 7] = [
    ItemKind::Track,
    ItemKind::Album,
    ItemKind::Episode,
    ItemKind::Show,
    ItemKind::Audiobook,
    ItemKind::Artist,
    ItemKind::Playlist,
];

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SavedKind {
    Tracks,
    Albums,
    Episodes,
    Shows,
    Audiobooks,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SavedArgs {
    /// What to list.
    #[serde(rename = "type")]
    pub kind: SavedKind,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LibraryType {
    Track,
    Album,
    Episode,
    Show,
    Audiobook,
    Artist,
    Playlist,
}

impl From<LibraryType> for ItemType {
    fn from(t: LibraryType) -> Self {
        match t {
            LibraryType::Track => ItemType::Track,
            LibraryType::Album => ItemType::Album,
            LibraryType::Episode => ItemType::Episode,
            LibraryType::Show => ItemType::Show,
            LibraryType::Audiobook => ItemType::Audiobook,
            LibraryType::Artist => ItemType::Artist,
            LibraryType::Playlist => ItemType::Playlist,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UrisArgs {
    #[schemars(length(min = 1, max = 40), inner(length(max = ID_MAX_CHARS)))]
    pub uris: Vec<String>,
    #[serde(rename = "type")]
    pub kind: Option<LibraryType>,
}

impl UrisArgs {
    /// The parsed library IDs (save, remove and contains take the same list).
    fn ids(&self) -> Result<Vec<SpotifyId>, ToolError> {
        parse_ids(
            "uris",
            &self.uris,
            &LIBRARY_KINDS,
            self.kind.map(ItemType::from),
            MAX_URIS,
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FollowedArgs {
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `next` of a previous answer.
    #[schemars(length(max = CURSOR_MAX_CHARS))]
    pub after: Option<String>,
}

#[tool_router(router = library_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "Saved tracks, albums, episodes, shows or audiobooks, newest first.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_saved_items(
        &self,
        Parameters(args): Parameters<SavedArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let paging = paging(args.limit, args.offset, 20)?;
        let (page, offset) = (paging.page(), paging.offset);
        let c = self.client();
        let items = match args.kind {
            SavedKind::Tracks => {
                let p = self.call(c.get_saved_tracks(None, page)).await?;
                Items::paged(
                    p.items.iter().map(|s| Item::from(&s.track)).collect(),
                    Some(p.total),
                    offset,
                )
            }
            SavedKind::Albums => {
                let p = self.call(c.get_saved_albums(None, page)).await?;
                Items::paged(
                    p.items.iter().map(|s| Item::from(&s.album)).collect(),
                    Some(p.total),
                    offset,
                )
            }
            SavedKind::Episodes => {
                let p = self.call(c.get_saved_episodes(None, page)).await?;
                Items::paged(
                    p.items.iter().map(|s| Item::from(&s.episode)).collect(),
                    Some(p.total),
                    offset,
                )
            }
            SavedKind::Shows => {
                let p = self.call(c.get_saved_shows(page)).await?;
                Items::paged(
                    p.items.iter().map(|s| Item::from(&s.show)).collect(),
                    Some(p.total),
                    offset,
                )
            }
            SavedKind::Audiobooks => {
                let p = self.call(c.get_saved_audiobooks(page)).await?;
                Items::paged(
                    p.items.iter().map(|s| Item::from(&s.audiobook)).collect(),
                    Some(p.total),
                    offset,
                )
            }
        };
        Ok(Listed(items))
    }

    #[tool(
        description = "Save items to the library (artists/playlists: follow).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn save_to_library(
        &self,
        Parameters(args): Parameters<UrisArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let ids = args.ids()?;
        self.call(self.client().save_to_library(&ids)).await?;
        Ok(Json(Ack::new(format!(
            "Saved {} item(s) to the library",
            ids.len()
        ))))
    }

    #[tool(
        description = "Remove items from the library (artists/playlists: unfollow).",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn remove_from_library(
        &self,
        Parameters(args): Parameters<UrisArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let ids = args.ids()?;
        self.call(self.client().remove_from_library(&ids)).await?;
        Ok(Json(Ack::new(format!(
            "Removed {} item(s) from the library",
            ids.len()
        ))))
    }

    #[tool(
        description = "Whether each item is saved (or followed).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn check_library(
        &self,
        Parameters(args): Parameters<UrisArgs>,
    ) -> Result<Json<LibraryCheck>, ToolError> {
        let ids = args.ids()?;
        let saved = self.call(self.client().check_library(&ids)).await?;
        if saved.len() != ids.len() {
            return Err(ToolError::invalid(format!(
                "Spotify answered {} results for {} items; try again",
                saved.len(),
                ids.len()
            )));
        }
        Ok(Json(LibraryCheck {
            results: ids
                .iter()
                .zip(saved)
                .map(|(id, saved)| Saved {
                    uri: id.uri(),
                    saved,
                })
                .collect(),
        }))
    }

    #[tool(
        description = "Artists the user follows.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_followed_artists(
        &self,
        Parameters(args): Parameters<FollowedArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let limit = bounded("limit", args.limit, 20, 1, 50)?;
        let after = args
            .after
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let page = self
            .call(self.client().get_followed_artists(after, Some(limit)))
            .await?;
        Ok(Listed(Items {
            items: items(&page.items),
            total: page.total,
            next: page
                .next
                .as_ref()
                .and(page.cursors.as_ref())
                .and_then(|c| c.after.clone()),
        }))
    }
}
