//! Extended-quota-only endpoints (deprecated for development-mode apps): batch gets,
//! recommendations and genre seeds, audio features and analysis, related artists, artist top
//! tracks, new releases, browse categories and category playlists, featured playlists,
//! markets. A 403/404 from any of them becomes
//! [`SpotifyError::UnavailableForDevelopmentMode`].

use super::{Page, check_ids, check_limit, check_market, id_of, join_ids};
use crate::spotify::cache::CacheClass;
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{
    Album, Albums, Artist, Artists, AudioAnalysis, AudioFeatures, AudioFeaturesList, Audiobook,
    Audiobooks, Categories, Category, Chapter, Chapters, Episode, Episodes, FeaturedPlaylists,
    GenreSeeds, Markets, NewReleases, Paging, RECOMMENDATION_TUNABLES, Recommendations,
    RecommendationsRequest, Shows, SimplifiedAlbum, SimplifiedShow, Track, Tracks,
};
use crate::spotify::pipeline::ApiRequest;

fn batch(
    template: &'static str,
    ids: &[SpotifyId],
    kind: ItemKind,
    max: usize,
    market: Option<&str>,
) -> Result<ApiRequest, SpotifyError> {
    check_ids(ids, max, &[kind], kind.as_str())?;
    Ok(ApiRequest::get(template, template)
        .query("ids", join_ids(ids))
        .query_opt("market", check_market(market)?)
        .extended()
        .cache(CacheClass::Catalog))
}

fn check_locale(locale: Option<&str>) -> Result<Option<&str>, SpotifyError> {
    match locale.map(str::trim) {
        None | Some("") => Ok(None),
        Some(l)
            if l.len() == 5
                && l.as_bytes()[2] == b'_'
                && l.bytes()
                    .enumerate()
                    .all(|(i, b)| i == 2 || b.is_ascii_alphabetic()) =>
        {
            Ok(Some(l))
        }
        Some(_) => Err(SpotifyError::invalid(
            "locale must look like es_MX (language_COUNTRY)",
        )),
    }
}

fn check_category_id(id: &str) -> Result<&str, SpotifyError> {
    let id = id.trim();
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(id)
    } else {
        Err(SpotifyError::invalid(
            "category_id must be a category ID such as `dinner` (see get_categories)",
        ))
    }
}

impl SpotifyClient {
    /// `GET /tracks?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_tracks(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<Track>, SpotifyError> {
        Ok(self
            .json::<Tracks>(batch("/tracks", ids, ItemKind::Track, 50, market)?)
            .await?
            .tracks)
    }

    /// `GET /albums?ids=` (extended; 1..=20 IDs).
    pub async fn get_several_albums(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<Album>, SpotifyError> {
        Ok(self
            .json::<Albums>(batch("/albums", ids, ItemKind::Album, 20, market)?)
            .await?
            .albums)
    }

    /// `GET /artists?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_artists(
        &self,
        ids: &[SpotifyId],
    ) -> Result<Vec<Artist>, SpotifyError> {
        Ok(self
            .json::<Artists>(batch("/artists", ids, ItemKind::Artist, 50, None)?)
            .await?
            .artists)
    }

    /// `GET /shows?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_shows(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<SimplifiedShow>, SpotifyError> {
        Ok(self
            .json::<Shows>(batch("/shows", ids, ItemKind::Show, 50, market)?)
            .await?
            .shows)
    }

    /// `GET /episodes?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_episodes(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<Episode>, SpotifyError> {
        Ok(self
            .json::<Episodes>(batch("/episodes", ids, ItemKind::Episode, 50, market)?)
            .await?
            .episodes)
    }

    /// `GET /audiobooks?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_audiobooks(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<Audiobook>, SpotifyError> {
        Ok(self
            .json::<Audiobooks>(batch("/audiobooks", ids, ItemKind::Audiobook, 50, market)?)
            .await?
            .audiobooks)
    }

    /// `GET /chapters?ids=` (extended; 1..=50 IDs).
    pub async fn get_several_chapters(
        &self,
        ids: &[SpotifyId],
        market: Option<&str>,
    ) -> Result<Vec<Chapter>, SpotifyError> {
        Ok(self
            .json::<Chapters>(batch("/chapters", ids, ItemKind::Chapter, 50, market)?)
            .await?
            .chapters)
    }

    /// `GET /audio-features/{id}` (extended).
    pub async fn get_audio_features(
        &self,
        track: &SpotifyId,
    ) -> Result<AudioFeatures, SpotifyError> {
        let id = id_of(track, ItemKind::Track)?;
        let req = ApiRequest::get("/audio-features/{id}", format!("/audio-features/{id}"))
            .extended()
            .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /audio-features?ids=` (extended; 1..=100 IDs).
    pub async fn get_several_audio_features(
        &self,
        tracks: &[SpotifyId],
    ) -> Result<Vec<AudioFeatures>, SpotifyError> {
        let req = batch("/audio-features", tracks, ItemKind::Track, 100, None)?;
        Ok(self.json::<AudioFeaturesList>(req).await?.audio_features)
    }

    /// `GET /audio-analysis/{id}` (extended).
    pub async fn get_audio_analysis(
        &self,
        track: &SpotifyId,
    ) -> Result<AudioAnalysis, SpotifyError> {
        let id = id_of(track, ItemKind::Track)?;
        let req = ApiRequest::get("/audio-analysis/{id}", format!("/audio-analysis/{id}"))
            .extended()
            .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /recommendations` (extended): 1..=5 seeds in total, limit 1..=100.
    pub async fn get_recommendations(
        &self,
        request: &RecommendationsRequest,
    ) -> Result<Recommendations, SpotifyError> {
        let seeds =
            request.seed_artists.len() + request.seed_tracks.len() + request.seed_genres.len();
        if seeds == 0 || seeds > 5 {
            return Err(SpotifyError::invalid(format!(
                "recommendations need 1 to 5 seeds (artists, tracks and genres together), got {seeds}"
            )));
        }
        for (ids, kind) in [
            (&request.seed_artists, ItemKind::Artist),
            (&request.seed_tracks, ItemKind::Track),
        ] {
            if !ids.is_empty() {
                check_ids(ids, 5, &[kind], kind.as_str())?;
            }
        }
        let mut req = ApiRequest::get("/recommendations", "/recommendations")
            .query_opt("limit", check_limit(request.limit, 1, 100)?)
            .query_opt("market", check_market(request.market.as_deref())?)
            .extended()
            .cache(CacheClass::Catalog);
        if !request.seed_artists.is_empty() {
            req = req.query("seed_artists", join_ids(&request.seed_artists));
        }
        if !request.seed_tracks.is_empty() {
            req = req.query("seed_tracks", join_ids(&request.seed_tracks));
        }
        if !request.seed_genres.is_empty() {
            req = req.query("seed_genres", request.seed_genres.join(","));
        }
        for (name, tunable) in &request.tunables {
            let Some(&name) = RECOMMENDATION_TUNABLES
                .iter()
                .find(|t| **t == name.as_str())
            else {
                return Err(SpotifyError::invalid(format!(
                    "unknown tunable attribute `{name}`; known: {}",
                    RECOMMENDATION_TUNABLES.join(", ")
                )));
            };
            for (prefix, value) in [
                ("min", tunable.min),
                ("max", tunable.max),
                ("target", tunable.target),
            ] {
                if let Some(v) = value {
                    if !v.is_finite() {
                        return Err(SpotifyError::invalid(format!(
                            "{prefix}_{name} must be a finite number"
                        )));
                    }
                    req.query.push((tunable_key(prefix, name), v.to_string()));
                }
            }
        }
        self.json(req).await
    }

    /// `GET /recommendations/available-genre-seeds` (extended).
    pub async fn get_genre_seeds(&self) -> Result<Vec<String>, SpotifyError> {
        let req = ApiRequest::get(
            "/recommendations/available-genre-seeds",
            "/recommendations/available-genre-seeds",
        )
        .extended()
        .cache(CacheClass::Catalog);
        Ok(self.json::<GenreSeeds>(req).await?.genres)
    }

    /// `GET /artists/{id}/related-artists` (extended).
    pub async fn get_related_artists(
        &self,
        artist: &SpotifyId,
    ) -> Result<Vec<Artist>, SpotifyError> {
        let id = id_of(artist, ItemKind::Artist)?;
        let req = ApiRequest::get(
            "/artists/{id}/related-artists",
            format!("/artists/{id}/related-artists"),
        )
        .extended()
        .cache(CacheClass::Catalog);
        Ok(self.json::<Artists>(req).await?.artists)
    }

    /// `GET /artists/{id}/top-tracks` (extended).
    pub async fn get_artist_top_tracks(
        &self,
        artist: &SpotifyId,
        market: Option<&str>,
    ) -> Result<Vec<Track>, SpotifyError> {
        let id = id_of(artist, ItemKind::Artist)?;
        let req = ApiRequest::get(
            "/artists/{id}/top-tracks",
            format!("/artists/{id}/top-tracks"),
        )
        .query_opt("market", check_market(market)?)
        .extended()
        .cache(CacheClass::Catalog);
        Ok(self.json::<Tracks>(req).await?.tracks)
    }

    /// `GET /browse/new-releases` (extended; limit 1..=50).
    pub async fn get_new_releases(
        &self,
        page: Page,
    ) -> Result<Paging<SimplifiedAlbum>, SpotifyError> {
        let req = ApiRequest::get("/browse/new-releases", "/browse/new-releases")
            .query_opt("limit", check_limit(page.limit, 1, 50)?)
            .query_opt("offset", page.offset)
            .extended()
            .cache(CacheClass::Catalog);
        Ok(self.json::<NewReleases>(req).await?.albums)
    }

    /// `GET /browse/categories` (extended; limit 1..=50).
    pub async fn get_categories(
        &self,
        locale: Option<&str>,
        page: Page,
    ) -> Result<Paging<Category>, SpotifyError> {
        let req = ApiRequest::get("/browse/categories", "/browse/categories")
            .query_opt("locale", check_locale(locale)?)
            .query_opt("limit", check_limit(page.limit, 1, 50)?)
            .query_opt("offset", page.offset)
            .extended()
            .cache(CacheClass::Catalog);
        Ok(self.json::<Categories>(req).await?.categories)
    }

    /// `GET /browse/categories/{category_id}` (extended).
    pub async fn get_category(
        &self,
        category_id: &str,
        locale: Option<&str>,
    ) -> Result<Category, SpotifyError> {
        let id = check_category_id(category_id)?;
        let req = ApiRequest::get(
            "/browse/categories/{category_id}",
            format!("/browse/categories/{id}"),
        )
        .query_opt("locale", check_locale(locale)?)
        .extended()
        .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /browse/categories/{category_id}/playlists` (extended; limit 1..=50).
    pub async fn get_category_playlists(
        &self,
        category_id: &str,
        page: Page,
    ) -> Result<FeaturedPlaylists, SpotifyError> {
        let id = check_category_id(category_id)?;
        let req = ApiRequest::get(
            "/browse/categories/{category_id}/playlists",
            format!("/browse/categories/{id}/playlists"),
        )
        .query_opt("limit", check_limit(page.limit, 1, 50)?)
        .query_opt("offset", page.offset)
        .extended()
        .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /browse/featured-playlists` (extended; limit 1..=50).
    pub async fn get_featured_playlists(
        &self,
        locale: Option<&str>,
        page: Page,
    ) -> Result<FeaturedPlaylists, SpotifyError> {
        let req = ApiRequest::get("/browse/featured-playlists", "/browse/featured-playlists")
            .query_opt("locale", check_locale(locale)?)
            .query_opt("limit", check_limit(page.limit, 1, 50)?)
            .query_opt("offset", page.offset)
            .extended()
            .cache(CacheClass::Catalog);
        self.json(req).await
    }

    /// `GET /markets` (extended): markets where Spotify is available.
    pub async fn get_markets(&self) -> Result<Vec<String>, SpotifyError> {
        let req = ApiRequest::get("/markets", "/markets")
            .extended()
            .cache(CacheClass::Catalog);
        Ok(self.json::<Markets>(req).await?.markets)
    }
}

/// `min_tempo` style query names; the set is fixed, so they are `'static`.
fn tunable_key(prefix: &str, name: &'static str) -> &'static str {
    macro_rules! keys {
        ($($n:literal),*) => {
            match (prefix, name) {
                $(("min", $n) => concat!("min_", $n), ("max", $n) => concat!("max_", $n), ("target", $n) => concat!("target_", $n),)*
                _ => "unknown_tunable",
            }
        };
    }
    keys!(
        "acousticness",
        "danceability",
        "duration_ms",
        "energy",
        "instrumentalness",
        "key",
        "liveness",
        "loudness",
        "mode",
        "popularity",
        "speechiness",
        "tempo",
        "time_signature",
        "valence"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunable_keys_and_locale_checks() {
        for name in RECOMMENDATION_TUNABLES {
            assert_eq!(tunable_key("target", name), format!("target_{name}"));
            assert_eq!(tunable_key("min", name), format!("min_{name}"));
        }
        assert_eq!(check_locale(Some("es_MX")).unwrap(), Some("es_MX"));
        assert!(check_locale(Some("es-MX")).is_err());
        assert!(check_category_id("dinner").is_ok());
        assert!(check_category_id("../x").is_err());
    }
}
