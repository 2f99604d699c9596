//! Catalog toolset: details of one item of any kind, and its children.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::api::Page;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::AlbumGroup;

use super::args::{DETAIL_KINDS, ID_MAX_CHARS, ItemType, MAX_OFFSET, Paging, paging, parse_id};
use super::output::{self, Item, Items, Listed};
use super::{SpotifyMcp, ToolError};

/// Spotify's page-size cap of `GET /artists/{id}/albums`.
const ARTIST_ALBUMS_PAGE: u32 = 10;
const PARENT_KINDS: [ItemKind; 4] = [
    ItemKind::Album,
    ItemKind::Artist,
    ItemKind::Show,
    ItemKind::Audiobook,
];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<ItemType>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Album,
    Single,
    AppearsOn,
    Compilation,
}

impl From<Group> for AlbumGroup {
    fn from(g: Group) -> Self {
        match g {
            Group::Album => AlbumGroup::Album,
            Group::Single => AlbumGroup::Single,
            Group::AppearsOn => AlbumGroup::AppearsOn,
            Group::Compilation => AlbumGroup::Compilation,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParentType {
    Album,
    Artist,
    Show,
    Audiobook,
}

impl From<ParentType> for ItemType {
    fn from(t: ParentType) -> Self {
        match t {
            ParentType::Album => ItemType::Album,
            ParentType::Artist => ItemType::Artist,
            ParentType::Show => ItemType::Show,
            ParentType::Audiobook => ItemType::Audiobook,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChildrenArgs {
    #[schemars(length(max = ID_MAX_CHARS))]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<ParentType>,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
    /// Artist albums only; default all.
    #[schemars(length(max = 4))]
    pub groups: Option<Vec<Group>>,
}

impl SpotifyMcp {
    /// One item of any detail kind, in compact form.
    pub(super) async fn item_details(&self, id: &SpotifyId) -> Result<Item, ToolError> {
        let c = self.client();
        Ok(match id.kind() {
            ItemKind::Track => Item::from(&self.call(c.get_track(id, None)).await?),
            ItemKind::Album => Item::from(&self.call(c.get_album(id, None)).await?),
            ItemKind::Artist => Item::from(&self.call(c.get_artist(id)).await?),
            ItemKind::Show => Item::from(&self.call(c.get_show(id, None)).await?),
            ItemKind::Episode => Item::from(&self.call(c.get_episode(id, None)).await?),
            ItemKind::Audiobook => Item::from(&self.call(c.get_audiobook(id, None)).await?),
            ItemKind::Chapter => Item::from(&self.call(c.get_chapter(id, None)).await?),
            ItemKind::Playlist => Item::from(&self.call(c.get_playlist(id, None, None)).await?),
            ItemKind::User => {
                return Err(ToolError::invalid(
                    "user profiles other than your own are not available (get_profile)",
                ));
            }
        })
    }
}

#[tool_router(router = catalog_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "Details of a track, album, artist, show, episode, audiobook or chapter.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_item(
        &self,
        Parameters(args): Parameters<ItemArgs>,
    ) -> Result<Json<Item>, ToolError> {
        let id = parse_id("id", &args.id, &DETAIL_KINDS, args.kind)?;
        Ok(Json(self.item_details(&id).await?))
    }

    #[tool(
        description = "Album tracks, artist albums, show episodes or audiobook chapters.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_item_children(
        &self,
        Parameters(args): Parameters<ChildrenArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let id = parse_id("id", &args.id, &PARENT_KINDS, args.kind.map(ItemType::from))?;
        let Paging { limit, offset } = paging(args.limit, args.offset, 20)?;
        let page = Page::new(limit, offset);
        let c = self.client();
        let items = match id.kind() {
            ItemKind::Album => {
                let p = self.call(c.get_album_tracks(&id, None, page)).await?;
                Items::page(&p, offset)
            }
            ItemKind::Artist => {
                let groups: Vec<AlbumGroup> = args
                    .groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(AlbumGroup::from)
                    .collect();
                // Spotify serves at most 10 artist albums per request: page for the model.
                let mut items = Vec::new();
                let mut total = None;
                while (items.len() as u32) < limit {
                    let at = offset + items.len() as u32;
                    let n = ARTIST_ALBUMS_PAGE.min(limit - items.len() as u32);
                    let p = self
                        .call(c.get_artist_albums(&id, &groups, None, Page::new(n, at)))
                        .await?;
                    total = Some(p.total);
                    let got = p.items.len() as u32;
                    items.extend(output::items(&p.items));
                    if got < n || p.next.is_none() {
                        break;
                    }
                }
                Items::paged(items, total, offset)
            }
            ItemKind::Show => {
                let p = self.call(c.get_show_episodes(&id, None, page)).await?;
                Items::page(&p, offset)
            }
            _ => {
                let p = self.call(c.get_audiobook_chapters(&id, None, page)).await?;
                Items::page(&p, offset)
            }
        };
        Ok(Listed(items))
    }
}
