//! Profile toolset: the user's profile and top artists / tracks.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::api::Page;
use crate::spotify::models::TimeRange;

use super::args::{MAX_OFFSET, Paging, paging};
use super::output::{Items, Listed, Profile, non_empty};
use super::{SpotifyMcp, ToolError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopKind {
    Artists,
    Tracks,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // the names are Spotify's `time_range` values
pub enum Range {
    ShortTerm,
    MediumTerm,
    LongTerm,
}

impl From<Range> for TimeRange {
    fn from(r: Range) -> Self {
        match r {
            Range::ShortTerm => TimeRange::ShortTerm,
            Range::MediumTerm => TimeRange::MediumTerm,
            Range::LongTerm => TimeRange::LongTerm,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TopArgs {
    /// artists or tracks.
    #[serde(rename = "type")]
    pub kind: TopKind,
    /// ~4 weeks, ~6 months (default) or ~1 year.
    pub time_range: Option<Range>,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

impl SpotifyMcp {
    /// Top artists or tracks; shared with resources and prompts.
    pub(super) async fn top_items(
        &self,
        kind: TopKind,
        range: TimeRange,
        limit: u32,
        offset: u32,
    ) -> Result<Items, ToolError> {
        let c = self.client();
        Ok(match kind {
            TopKind::Artists => {
                let p = self
                    .call(c.get_top_artists(Some(range), Page::new(limit, offset)))
                    .await?;
                Items::page(&p, offset)
            }
            TopKind::Tracks => {
                let p = self
                    .call(c.get_top_tracks(Some(range), Page::new(limit, offset)))
                    .await?;
                Items::page(&p, offset)
            }
        })
    }
}

#[tool_router(router = profile_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "The user's Spotify profile.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_profile(&self) -> Result<Json<Profile>, ToolError> {
        let me = self.call(self.client().get_current_user()).await?;
        Ok(Json(Profile {
            id: me.id.clone(),
            name: me.display_name.as_deref().and_then(|n| non_empty(Some(n))),
            uri: me.uri.clone(),
            product: me.product.clone(),
            country: me.country.clone(),
        }))
    }

    #[tool(
        description = "The user's top artists or tracks over a time range.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_top_items(
        &self,
        Parameters(args): Parameters<TopArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let Paging { limit, offset } = paging(args.limit, args.offset, 20)?;
        let range = args.time_range.map(TimeRange::from).unwrap_or_default();
        Ok(Listed(
            self.top_items(args.kind, range, limit, offset).await?,
        ))
    }
}
