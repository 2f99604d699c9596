//! Catalog: one item by ID (track, album, artist, show, episode, audiobook, chapter) and the
//! children of containers (album tracks, artist albums, show episodes, audiobook chapters).

use super::{Page, check_limit, check_market, id_of};
use crate::spotify::cache::CacheClass;
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{
    Album, AlbumGroup, Artist, Audiobook, Chapter, Episode, Paging, Show, SimplifiedAlbum,
    SimplifiedChapter, SimplifiedEpisode, SimplifiedTrack, Track,
};
use crate::spotify::pipeline::ApiRequest;

fn item(
    template: &'static str,
    collection: &str,
    id: &str,
    market: Option<&str>,
) -> Result<ApiRequest, SpotifyError> {
    Ok(ApiRequest::get(template, format!("/{collection}/{id}"))
        .query_opt("market", check_market(market)?)
        .cache(CacheClass::Catalog))
}

fn children(
    template: &'static str,
    path: String,
    market: Option<&str>,
    page: Page,
) -> Result<ApiRequest, SpotifyError> {
    Ok(ApiRequest::get(template, path)
        .query_opt("market", check_market(market)?)
        .query_opt("limit", check_limit(page.limit, 1, 50)?)
        .query_opt("offset", page.offset)
        .cache(CacheClass::Catalog))
}

impl SpotifyClient {
    /// `GET /tracks/{id}`.
    pub async fn get_track(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Track, SpotifyError> {
        self.json(item(
            "/tracks/{id}",
            "tracks",
            id_of(id, ItemKind::Track)?,
            market,
        )?)
        .await
    }

    /// `GET /albums/{id}` (includes the first page of tracks).
    pub async fn get_album(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Album, SpotifyError> {
        self.json(item(
            "/albums/{id}",
            "albums",
            id_of(id, ItemKind::Album)?,
            market,
        )?)
        .await
    }

    /// `GET /albums/{id}/tracks` (limit 1..=50).
    pub async fn get_album_tracks(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SimplifiedTrack>, SpotifyError> {
        let path = format!("/albums/{}/tracks", id_of(id, ItemKind::Album)?);
        self.json(children("/albums/{id}/tracks", path, market, page)?)
            .await
    }

    /// `GET /artists/{id}`.
    pub async fn get_artist(&self, id: &SpotifyId) -> Result<Artist, SpotifyError> {
        self.json(item(
            "/artists/{id}",
            "artists",
            id_of(id, ItemKind::Artist)?,
            None,
        )?)
        .await
    }

    /// `GET /artists/{id}/albums` (limit 1..=10 since 2026, `include_groups` filter).
    pub async fn get_artist_albums(
        &self,
        id: &SpotifyId,
        include_groups: &[AlbumGroup],
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SimplifiedAlbum>, SpotifyError> {
        let path = format!("/artists/{}/albums", id_of(id, ItemKind::Artist)?);
        let groups = (!include_groups.is_empty()).then(|| {
            include_groups
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(",")
        });
        let req = ApiRequest::get("/artists/{id}/albums", path)
            .query_opt("include_groups", groups)
            .query_opt("market", check_market(market)?)
            .query_opt("limit", check_limit(page.limit, 1, 10)?)
            .query_opt("offset", page.offset)
            .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /shows/{id}` (includes the first page of episodes).
    pub async fn get_show(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Show, SpotifyError> {
        self.json(item(
            "/shows/{id}",
            "shows",
            id_of(id, ItemKind::Show)?,
            market,
        )?)
        .await
    }

    /// `GET /shows/{id}/episodes` (limit 1..=50).
    pub async fn get_show_episodes(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SimplifiedEpisode>, SpotifyError> {
        let path = format!("/shows/{}/episodes", id_of(id, ItemKind::Show)?);
        self.json(children("/shows/{id}/episodes", path, market, page)?)
            .await
    }

    /// `GET /episodes/{id}`.
    pub async fn get_episode(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Episode, SpotifyError> {
        self.json(item(
            "/episodes/{id}",
            "episodes",
            id_of(id, ItemKind::Episode)?,
            market,
        )?)
        .await
    }

    /// `GET /audiobooks/{id}` (includes the first page of chapters).
    pub async fn get_audiobook(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Audiobook, SpotifyError> {
        self.json(item(
            "/audiobooks/{id}",
            "audiobooks",
            id_of(id, ItemKind::Audiobook)?,
            market,
        )?)
        .await
    }

    /// `GET /audiobooks/{id}/chapters` (limit 1..=50).
    pub async fn get_audiobook_chapters(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<SimplifiedChapter>, SpotifyError> {
        let path = format!("/audiobooks/{}/chapters", id_of(id, ItemKind::Audiobook)?);
        self.json(children("/audiobooks/{id}/chapters", path, market, page)?)
            .await
    }

    /// `GET /chapters/{id}`.
    pub async fn get_chapter(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Chapter, SpotifyError> {
        self.json(item(
            "/chapters/{id}",
            "chapters",
            id_of(id, ItemKind::Chapter)?,
            market,
        )?)
        .await
    }
}
