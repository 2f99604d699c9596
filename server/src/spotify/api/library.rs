//! Library: saved items per type, save / remove / contains through `/me/library` (the 2026
//! replacement of the per-type endpoints; at most 40 URIs per call), followed artists.

use super::{Page, check_ids, check_limit, check_market, join_uris};
use crate::spotify::cache::{CacheClass, Invalidation};
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{
    Artist, CursorPaging, Paging, SavedAlbum, SavedAudiobook, SavedEpisode, SavedShow, SavedTrack,
};
use crate::spotify::pipeline::ApiRequest;
use serde::Deserialize;

/// Spotify's cap on URIs per `/me/library` call.
pub const LIBRARY_MAX_URIS: usize = 40;

/// Kinds `/me/library` accepts (`contains` also takes artists).
const LIBRARY_KINDS: [ItemKind; 7] = [
    ItemKind::Track,
    ItemKind::Album,
    ItemKind::Episode,
    ItemKind::Show,
    ItemKind::Audiobook,
    ItemKind::Artist,
    ItemKind::Playlist,
];
const LIBRARY_CONTAINS_KINDS: [ItemKind; 8] = [
    ItemKind::Track,
    ItemKind::Album,
    ItemKind::Episode,
    ItemKind::Show,
    ItemKind::Audiobook,
    ItemKind::Artist,
    ItemKind::User,
    ItemKind::Playlist,
];

fn saved(
    template: &'static str,
    market: Option<&str>,
    page: Page,
) -> Result<ApiRequest, SpotifyError> {
    Ok(ApiRequest::get(template, template)
        .query_opt("market", check_market(market)?)
        .query_opt("limit", check_limit(page.limit, 1, 50)?)
        .query_opt("offset", page.offset)
        .cache(CacheClass::Library))
}

#[derive(Deserialize)]
struct FollowedArtists {
    artists: CursorPaging<Artist>,
}

impl SpotifyClient {
    /// `GET /me/tracks` (limit 1..=50).
    pub async fn get_saved_tracks(
        &self,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SavedTrack>, SpotifyError> {
        self.json(saved("/me/tracks", market, page)?).await
    }

    /// `GET /me/albums` (limit 1..=50).
    pub async fn get_saved_albums(
        &self,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SavedAlbum>, SpotifyError> {
        self.json(saved("/me/albums", market, page)?).await
    }

    /// `GET /me/episodes` (limit 1..=50).
    pub async fn get_saved_episodes(
        &self,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SavedEpisode>, SpotifyError> {
        self.json(saved("/me/episodes", market, page)?).await
    }

    /// `GET /me/shows` (limit 1..=50).
    pub async fn get_saved_shows(&self, page: Page) -> Result<Paging<SavedShow>, SpotifyError> {
        self.json(saved("/me/shows", None, page)?).await
    }

    /// `GET /me/audiobooks` (limit 1..=50).
    pub async fn get_saved_audiobooks(
        &self,
        page: Page,
    ) -> Result<Paging<SavedAudiobook>, SpotifyError> {
        self.json(saved("/me/audiobooks", None, page)?).await
    }

    /// `PUT /me/library?uris=` (1..=40 URIs of tracks, albums, episodes, shows, audiobooks,
    /// artists (follow) or playlists (follow)).
    pub async fn save_to_library(&self, uris: &[SpotifyId]) -> Result<(), SpotifyError> {
        check_ids(uris, LIBRARY_MAX_URIS, &LIBRARY_KINDS, "URI")?;
        let req = ApiRequest::put("/me/library", "/me/library")
            .idempotent()
            .query("uris", join_uris(uris))
            .invalidates(Invalidation::Library)
            .invalidates(Invalidation::MyPlaylists);
        self.unit(req).await
    }

    /// `DELETE /me/library?uris=` (1..=40 URIs, same kinds as saving).
    pub async fn remove_from_library(&self, uris: &[SpotifyId]) -> Result<(), SpotifyError> {
        check_ids(uris, LIBRARY_MAX_URIS, &LIBRARY_KINDS, "URI")?;
        let req = ApiRequest::delete("/me/library", "/me/library")
            .idempotent()
            .query("uris", join_uris(uris))
            .invalidates(Invalidation::Library)
            .invalidates(Invalidation::MyPlaylists);
        self.unit(req).await
    }

    /// `GET /me/library/contains?uris=` (1..=40 URIs): one boolean per URI, in order.
    pub async fn check_library(&self, uris: &[SpotifyId]) -> Result<Vec<bool>, SpotifyError> {
        check_ids(uris, LIBRARY_MAX_URIS, &LIBRARY_CONTAINS_KINDS, "URI")?;
        let req = ApiRequest::get("/me/library/contains", "/me/library/contains")
            .query("uris", join_uris(uris))
            .cache(CacheClass::Library);
        let answer: Vec<bool> = self.json(req).await?;
        if answer.len() != uris.len() {
            return Err(SpotifyError::Decode {
                endpoint: "GET /me/library/contains".into(),
                message: format!(
                    "asked about {} URIs, got {} answers",
                    uris.len(),
                    answer.len()
                ),
            });
        }
        Ok(answer)
    }

    /// `GET /me/following?type=artist` (cursor `after` = last artist ID, limit 1..=50).
    pub async fn get_followed_artists(
        &self,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<CursorPaging<Artist>, SpotifyError> {
        let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(SpotifyId::parse_as(a, ItemKind::Artist)?.id().to_owned()),
            None => None,
        };
        let req = ApiRequest::get("/me/following", "/me/following")
            .query("type", "artist")
            .query_opt("after", after)
            .query_opt("limit", check_limit(limit, 1, 50)?)
            .cache(CacheClass::Library);
        Ok(self.json::<FollowedArtists>(req).await?.artists)
    }
}
