//! Search: `GET /search` (at most 10 results per type and request since 2026; callers page
//! with `offset`).

use super::{check_limit, check_market, check_offset};
use crate::spotify::cache::CacheClass;
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::models::{SearchRequest, SearchResults};
use crate::spotify::pipeline::ApiRequest;

/// Spotify's per-request cap on search results per type.
pub const SEARCH_MAX_LIMIT: u32 = 10;
/// Spotify's highest search offset.
pub const SEARCH_MAX_OFFSET: u32 = 1000;

impl SpotifyClient {
    /// `GET /search`: one page (limit 1..=10, offset 0..=1000) per requested type.
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchResults, SpotifyError> {
        let query = request.query.trim();
        if query.is_empty() {
            return Err(SpotifyError::invalid("the search query is empty"));
        }
        if request.types.is_empty() {
            return Err(SpotifyError::invalid(
                "give at least one type to search: album, artist, playlist, track, show, episode, audiobook",
            ));
        }
        let mut types: Vec<&str> = request.types.iter().map(|t| t.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        let req = ApiRequest::get("/search", "/search")
            .query("q", query)
            .query("type", types.join(","))
            .query_opt("market", check_market(request.market.as_deref())?)
            .query_opt("limit", check_limit(request.limit, 1, SEARCH_MAX_LIMIT)?)
            .query_opt("offset", check_offset(request.offset, SEARCH_MAX_OFFSET)?)
            .query_opt(
                "include_external",
                request.include_external_audio.then_some("audio"),
            )
            .cache(CacheClass::Search);
        self.json(req).await
    }
}
