//! The current user: profile (`GET /me`) and top artists / tracks.

use super::{Page, check_limit};
use crate::spotify::cache::CacheClass;
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::models::{Artist, Paging, PrivateUser, TimeRange, Track};
use crate::spotify::pipeline::ApiRequest;

fn top(
    template: &'static str,
    time_range: Option<TimeRange>,
    page: Page,
) -> Result<ApiRequest, SpotifyError> {
    Ok(ApiRequest::get(template, template)
        .query_opt("time_range", time_range.map(TimeRange::as_str))
        .query_opt("limit", check_limit(page.limit, 1, 50)?)
        .query_opt("offset", page.offset)
        .cache(CacheClass::Library))
}

impl SpotifyClient {
    /// `GET /me`: the current user's profile.
    pub async fn get_current_user(&self) -> Result<PrivateUser, SpotifyError> {
        self.json(ApiRequest::get("/me", "/me").cache(CacheClass::Library))
            .await
    }

    /// `GET /me/top/artists` (limit 1..=50).
    pub async fn get_top_artists(
        &self,
        time_range: Option<TimeRange>,
        page: Page,
    ) -> Result<Paging<Artist>, SpotifyError> {
        self.json(top("/me/top/artists", time_range, page)?).await
    }

    /// `GET /me/top/tracks` (limit 1..=50).
    pub async fn get_top_tracks(
        &self,
        time_range: Option<TimeRange>,
        page: Page,
    ) -> Result<Paging<Track>, SpotifyError> {
        self.json(top("/me/top/tracks", time_range, page)?).await
    }
}
