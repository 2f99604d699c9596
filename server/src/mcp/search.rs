//! Search toolset: one `search` tool over every item type. Spotify returns at most 10 items
//! per type per request; the tool pages for the model, up to 50.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::models::{self as m, SearchRequest, SearchType};

use super::args::{MARKET_MAX_CHARS, QUERY_MAX_CHARS, bounded, market, required_text};
use super::output::{Item, Listed, SearchResults, items};
use super::{SpotifyMcp, ToolError};

/// Spotify's per-request search limit.
pub const PAGE: u32 = 10;
/// Spotify's highest search offset.
pub const MAX_OFFSET: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Track,
    Album,
    Artist,
    Playlist,
    Show,
    Episode,
    Audiobook,
}

impl From<Kind> for SearchType {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Track => SearchType::Track,
            Kind::Album => SearchType::Album,
            Kind::Artist => SearchType::Artist,
            Kind::Playlist => SearchType::Playlist,
            Kind::Show => SearchType::Show,
            Kind::Episode => SearchType::Episode,
            Kind::Audiobook => SearchType::Audiobook,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Free text; filters like artist:, album:, year:1990-1999, genre: work.
    #[schemars(length(max = QUERY_MAX_CHARS))]
    pub query: String,
    /// Default [track].
    #[schemars(length(max = 7))]
    pub types: Option<Vec<Kind>>,
    /// Per type.
    #[schemars(extend("default" = 10))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = 1000))]
    pub offset: Option<u32>,
    /// ISO country code.
    #[schemars(length(max = MARKET_MAX_CHARS))]
    pub market: Option<String>,
}

/// What one search pass needs; shared with the composite tools.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub types: Vec<SearchType>,
    pub limit: u32,
    pub offset: u32,
    pub market: Option<String>,
}

impl SpotifyMcp {
    /// Searches, paging over Spotify's 10-per-request cap until `limit` items per type are in
    /// or Spotify has no more.
    pub(super) async fn search_paged(&self, q: &Query) -> Result<SearchResults, ToolError> {
        let mut out = SearchResults::default();
        let mut fetched = 0;
        while fetched < q.limit {
            let offset = q.offset + fetched;
            if offset >= MAX_OFFSET {
                break;
            }
            let n = PAGE.min(q.limit - fetched).min(MAX_OFFSET - offset);
            let request = SearchRequest {
                query: q.text.clone(),
                types: q.types.clone(),
                market: q.market.clone(),
                limit: Some(n),
                offset: Some(offset),
                include_external_audio: false,
            };
            let page = self.call(self.client().search(&request)).await?;
            let more = [
                append(&mut out.tracks, page.tracks.as_ref(), n),
                append(&mut out.albums, page.albums.as_ref(), n),
                append(&mut out.artists, page.artists.as_ref(), n),
                append(&mut out.playlists, page.playlists.as_ref(), n),
                append(&mut out.shows, page.shows.as_ref(), n),
                append(&mut out.episodes, page.episodes.as_ref(), n),
                append(&mut out.audiobooks, page.audiobooks.as_ref(), n),
            ];
            fetched += n;
            if !more.contains(&true) {
                break;
            }
        }
        Ok(out)
    }
}

/// Appends the page of one type (if the answer has one); true when Spotify has more of it.
fn append<T>(dst: &mut Vec<Item>, page: Option<&m::Paging<T>>, requested: u32) -> bool
where
    for<'a> Item: From<&'a T>,
{
    let Some(p) = page else {
        return false;
    };
    dst.extend(items(&p.items));
    p.next.is_some() && p.items.len() as u32 >= requested
}

/// Validates the search arguments into a [`Query`].
pub fn query(args: SearchArgs) -> Result<Query, ToolError> {
    let text = required_text("query", &args.query)?;
    let mut types: Vec<SearchType> = args
        .types
        .unwrap_or_else(|| vec![Kind::Track])
        .into_iter()
        .map(SearchType::from)
        .collect();
    types.sort();
    types.dedup();
    if types.is_empty() {
        types.push(SearchType::Track);
    }
    let limit = bounded("limit", args.limit, PAGE, 1, 50)?;
    let offset = bounded("offset", args.offset, 0, 0, MAX_OFFSET)?;
    let market = market(args.market.as_deref())?;
    Ok(Query {
        text,
        types,
        limit,
        offset,
        market,
    })
}

#[tool_router(router = search_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "Search the catalog (every item type).",
        output_schema = rmcp::handler::server::tool::schema_for_output::<SearchResults>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Listed<SearchResults>, ToolError> {
        let q = query(args)?;
        Ok(Listed(self.search_paged(&q).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(query: &str) -> SearchArgs {
        SearchArgs {
            query: query.into(),
            types: None,
            limit: None,
            offset: None,
            market: None,
        }
    }

    #[test]
    fn defaults_and_validation() {
        let q = query(args(" radiohead ")).unwrap();
        assert_eq!(q.text, "radiohead");
        assert_eq!(q.types, vec![SearchType::Track]);
        assert_eq!((q.limit, q.offset, q.market), (10, 0, None));

        assert!(query(args("  ")).is_err());
        let too_many = SearchArgs {
            limit: Some(51),
            ..args("x")
        };
        assert!(query(too_many).unwrap_err().message().contains("`limit`"));
        let bad_market = SearchArgs {
            market: Some("Sweden".into()),
            ..args("x")
        };
        assert!(
            query(bad_market)
                .unwrap_err()
                .message()
                .contains("`market`")
        );
        let dupes = SearchArgs {
            types: Some(vec![Kind::Album, Kind::Track, Kind::Album]),
            market: Some("se".into()),
            ..args("x")
        };
        let q = query(dupes).unwrap();
        assert_eq!(q.types.len(), 2);
        assert_eq!(q.market.as_deref(), Some("SE"));
    }
}
