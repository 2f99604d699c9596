//! Extended toolset (opt-in): endpoints Spotify keeps only for extended-quota apps — batch
//! gets, recommendations and genre seeds, audio features and analysis, related artists,
//! artist top tracks, new releases, browse categories, featured and category playlists,
//! markets. A development-mode app gets a clear error saying so.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spotify::ids::ItemKind;
use crate::spotify::models::{self as m, RecommendationsRequest, Tunable};

use super::args::{
    CATEGORY_MAX_CHARS, DETAIL_KINDS, ID_MAX_CHARS, ItemType, MARKET_MAX_CHARS, MAX_OFFSET,
    PageArgs, bounded, market, paging, parse_id, parse_ids, required_text,
};
use super::output::{Items, Listed, format_duration, next_offset};
use super::{SpotifyMcp, ToolError};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SeveralArgs {
    /// URIs, links or IDs, all of one type (at most 20 albums, 50 of other types).
    #[schemars(length(min = 1, max = 50), inner(length(max = ID_MAX_CHARS)))]
    pub ids: Vec<String>,
    /// Type of bare IDs.
    #[serde(rename = "type")]
    pub kind: Option<ItemType>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecommendationArgs {
    /// Up to 5 seeds in total across artists, tracks and genres.
    #[schemars(length(max = 5), inner(length(max = ID_MAX_CHARS)))]
    pub seed_artists: Option<Vec<String>>,
    /// Track URIs/links/IDs.
    #[schemars(length(max = 5), inner(length(max = ID_MAX_CHARS)))]
    pub seed_tracks: Option<Vec<String>>,
    /// From get_genre_seeds.
    #[schemars(length(max = 5), inner(length(max = CATEGORY_MAX_CHARS)))]
    pub seed_genres: Option<Vec<String>>,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// 0.0-1.0
    #[schemars(range(min = 0.0, max = 1.0))]
    pub target_energy: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    /// 0.0-1.0 (sad to happy)
    pub target_valence: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    /// 0.0-1.0
    pub target_danceability: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    /// 0.0-1.0
    pub target_acousticness: Option<f64>,
    /// BPM
    #[schemars(range(min = 0.0, max = 300.0))]
    pub target_tempo: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TracksArgs {
    /// Track URIs, links or IDs.
    #[schemars(length(min = 1, max = 100), inner(length(max = ID_MAX_CHARS)))]
    pub tracks: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TrackArgs {
    /// Track URI, link or ID.
    #[schemars(length(max = ID_MAX_CHARS))]
    pub track: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ArtistArgs {
    /// Artist URI, link or ID.
    #[schemars(length(max = ID_MAX_CHARS))]
    pub artist: String,
    /// ISO country code; default the user's.
    #[schemars(length(max = MARKET_MAX_CHARS))]
    pub market: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CategoriesArgs {
    /// One category ID to look up; default: list them.
    #[schemars(length(max = CATEGORY_MAX_CHARS))]
    pub category: Option<String>,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CategoryArgs {
    /// Category ID from get_categories.
    #[schemars(length(max = CATEGORY_MAX_CHARS))]
    pub category: String,
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    #[schemars(range(max = MAX_OFFSET))]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Names {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Category {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Categories {
    pub categories: Vec<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Audio features of one track; 0.0-1.0 unless noted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Features {
    pub uri: String,
    /// BPM
    pub tempo: f64,
    /// e.g. "C# minor"
    pub key: String,
    pub time_signature: i32,
    /// dB
    pub loudness: f64,
    pub energy: f64,
    pub danceability: f64,
    pub valence: f64,
    pub acousticness: f64,
    pub instrumentalness: f64,
    pub speechiness: f64,
    pub liveness: f64,
    pub duration: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FeaturesList {
    pub features: Vec<Features>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SectionSummary {
    pub start_s: f64,
    pub duration_s: f64,
    pub tempo: f64,
    pub key: String,
    pub loudness: f64,
}

/// A summary of the audio analysis (segments and tatums omitted).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Analysis {
    pub tempo: f64,
    pub key: String,
    pub time_signature: i32,
    pub loudness: f64,
    pub duration: String,
    pub bars: usize,
    pub beats: usize,
    pub sections: Vec<SectionSummary>,
}

const PITCHES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// Spotify's pitch-class key and mode (1 major, 0 minor) as "C# minor"; "unknown" for -1.
pub fn key_name(key: i32, mode: i32) -> String {
    let Some(pitch) = usize::try_from(key).ok().and_then(|k| PITCHES.get(k)) else {
        return "unknown".into();
    };
    match mode {
        1 => format!("{pitch} major"),
        0 => format!("{pitch} minor"),
        _ => (*pitch).to_string(),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl From<&m::AudioFeatures> for Features {
    fn from(f: &m::AudioFeatures) -> Self {
        Features {
            uri: f.uri.clone(),
            tempo: round2(f.tempo),
            key: key_name(f.key, f.mode),
            time_signature: f.time_signature,
            loudness: round2(f.loudness),
            energy: round2(f.energy),
            danceability: round2(f.danceability),
            valence: round2(f.valence),
            acousticness: round2(f.acousticness),
            instrumentalness: round2(f.instrumentalness),
            speechiness: round2(f.speechiness),
            liveness: round2(f.liveness),
            duration: format_duration(f.duration_ms),
        }
    }
}

impl From<&m::AudioAnalysis> for Analysis {
    fn from(a: &m::AudioAnalysis) -> Self {
        Analysis {
            tempo: round2(a.track.tempo),
            key: key_name(a.track.key, a.track.mode),
            time_signature: a.track.time_signature,
            loudness: round2(a.track.loudness),
            duration: format_duration((a.track.duration.max(0.0) * 1000.0) as u64),
            bars: a.bars.len(),
            beats: a.beats.len(),
            sections: a
                .sections
                .iter()
                .map(|s| SectionSummary {
                    start_s: round2(s.start),
                    duration_s: round2(s.duration),
                    tempo: round2(s.tempo),
                    key: key_name(s.key, s.mode.round() as i32),
                    loudness: round2(s.loudness),
                })
                .collect(),
        }
    }
}

/// Validates seeds and tunables into a recommendations request.
pub fn recommendations_request(
    args: RecommendationArgs,
) -> Result<RecommendationsRequest, ToolError> {
    let seed_artists = match &args.seed_artists {
        Some(v) if !v.is_empty() => parse_ids("seed_artists", v, &[ItemKind::Artist], None, 5)?,
        _ => Vec::new(),
    };
    let seed_tracks = match &args.seed_tracks {
        Some(v) if !v.is_empty() => parse_ids("seed_tracks", v, &[ItemKind::Track], None, 5)?,
        _ => Vec::new(),
    };
    let seed_genres: Vec<String> = args
        .seed_genres
        .unwrap_or_default()
        .iter()
        .map(|g| g.trim().to_lowercase())
        .filter(|g| !g.is_empty())
        .collect();
    let seeds = seed_artists.len() + seed_tracks.len() + seed_genres.len();
    if seeds == 0 || seeds > 5 {
        return Err(ToolError::invalid(format!(
            "give 1 to 5 seeds in total across seed_artists, seed_tracks and seed_genres (got {seeds})"
        )));
    }
    let mut tunables = Vec::new();
    for (name, value, max) in [
        ("energy", args.target_energy, 1.0),
        ("valence", args.target_valence, 1.0),
        ("danceability", args.target_danceability, 1.0),
        ("acousticness", args.target_acousticness, 1.0),
        ("tempo", args.target_tempo, 300.0),
    ] {
        if let Some(v) = value {
            if !(0.0..=max).contains(&v) {
                return Err(ToolError::invalid(format!(
                    "`target_{name}` must be between 0 and {max}, got {v}"
                )));
            }
            tunables.push((
                name.to_string(),
                Tunable {
                    target: Some(v),
                    ..Tunable::default()
                },
            ));
        }
    }
    Ok(RecommendationsRequest {
        seed_artists,
        seed_tracks,
        seed_genres,
        limit: Some(bounded("limit", args.limit, 20, 1, 100)?),
        market: None,
        tunables,
    })
}

#[tool_router(router = extended_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "Several items of one type in one call (batch get). Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_several_items(
        &self,
        Parameters(args): Parameters<SeveralArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let ids = parse_ids("ids", &args.ids, &DETAIL_KINDS, args.kind, 50)?;
        let kind = ids[0].kind();
        if let Some(other) = ids.iter().find(|id| id.kind() != kind) {
            return Err(ToolError::invalid(format!(
                "`ids` must all be of one type: {} is a {}, {} is a {}",
                ids[0].uri(),
                kind.as_str(),
                other.uri(),
                other.kind().as_str()
            )));
        }
        if kind == ItemKind::Album && ids.len() > 20 {
            return Err(ToolError::invalid("at most 20 albums per call"));
        }
        let c = self.client();
        Ok(Listed(match kind {
            ItemKind::Track => Items::all(&self.call(c.get_several_tracks(&ids, None)).await?),
            ItemKind::Album => Items::all(&self.call(c.get_several_albums(&ids, None)).await?),
            ItemKind::Artist => Items::all(&self.call(c.get_several_artists(&ids)).await?),
            ItemKind::Show => Items::all(&self.call(c.get_several_shows(&ids, None)).await?),
            ItemKind::Episode => Items::all(&self.call(c.get_several_episodes(&ids, None)).await?),
            ItemKind::Audiobook => {
                Items::all(&self.call(c.get_several_audiobooks(&ids, None)).await?)
            }
            _ => Items::all(&self.call(c.get_several_chapters(&ids, None)).await?),
        }))
    }

    #[tool(
        description = "Track recommendations from up to 5 seeds (artists, tracks, genres) with optional targets. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_recommendations(
        &self,
        Parameters(args): Parameters<RecommendationArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let request = recommendations_request(args)?;
        let recs = self
            .call(self.client().get_recommendations(&request))
            .await?;
        Ok(Listed(Items::all(&recs.tracks)))
    }

    #[tool(
        description = "Genre names usable as seed_genres. Extended-quota apps only.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_genre_seeds(&self) -> Result<Json<Names>, ToolError> {
        let seeds = self.call(self.client().get_genre_seeds()).await?;
        Ok(Json(Names { names: seeds }))
    }

    #[tool(
        description = "Audio features (tempo, key, energy, valence...) of up to 100 tracks. Extended-quota apps only.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_audio_features(
        &self,
        Parameters(args): Parameters<TracksArgs>,
    ) -> Result<Json<FeaturesList>, ToolError> {
        let ids = parse_ids("tracks", &args.tracks, &[ItemKind::Track], None, 100)?;
        let features = match ids.as_slice() {
            [one] => vec![self.call(self.client().get_audio_features(one)).await?],
            _ => {
                self.call(self.client().get_several_audio_features(&ids))
                    .await?
            }
        };
        Ok(Json(FeaturesList {
            features: features.iter().map(Features::from).collect(),
        }))
    }

    #[tool(
        description = "Summary of a track's audio analysis: tempo, key, sections. Extended-quota apps only.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_audio_analysis(
        &self,
        Parameters(args): Parameters<TrackArgs>,
    ) -> Result<Json<Analysis>, ToolError> {
        let id = parse_id("track", &args.track, &[ItemKind::Track], None)?;
        let analysis = self.call(self.client().get_audio_analysis(&id)).await?;
        Ok(Json(Analysis::from(&analysis)))
    }

    #[tool(
        description = "Artists similar to an artist. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_related_artists(
        &self,
        Parameters(args): Parameters<ArtistArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let id = parse_id("artist", &args.artist, &[ItemKind::Artist], None)?;
        let artists = self.call(self.client().get_related_artists(&id)).await?;
        Ok(Listed(Items::all(&artists)))
    }

    #[tool(
        description = "An artist's most popular tracks. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_artist_top_tracks(
        &self,
        Parameters(args): Parameters<ArtistArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let id = parse_id("artist", &args.artist, &[ItemKind::Artist], None)?;
        let market = market(args.market.as_deref())?;
        let tracks = self
            .call(self.client().get_artist_top_tracks(&id, market.as_deref()))
            .await?;
        Ok(Listed(Items::all(&tracks)))
    }

    #[tool(
        description = "New album releases. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_new_releases(
        &self,
        Parameters(args): Parameters<PageArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let paging = args.paging()?;
        let page = self
            .call(self.client().get_new_releases(paging.page()))
            .await?;
        Ok(Listed(Items::page(&page, paging.offset)))
    }

    #[tool(
        description = "Browse categories (id, name), or one category by id. Extended-quota apps only.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_categories(
        &self,
        Parameters(args): Parameters<CategoriesArgs>,
    ) -> Result<Json<Categories>, ToolError> {
        if let Some(id) = args
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let c = self.call(self.client().get_category(id, None)).await?;
            return Ok(Json(Categories {
                categories: vec![Category {
                    id: c.id,
                    name: c.name,
                }],
                next: None,
            }));
        }
        let paging = paging(args.limit, args.offset, 20)?;
        let page = self
            .call(self.client().get_categories(None, paging.page()))
            .await?;
        Ok(Json(Categories {
            categories: page
                .items
                .iter()
                .map(|c| Category {
                    id: c.id.clone(),
                    name: c.name.clone(),
                })
                .collect(),
            next: next_offset(paging.offset, page.items.len(), page.total)
                .map(|end| end.to_string()),
        }))
    }

    #[tool(
        description = "Playlists of a browse category. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_category_playlists(
        &self,
        Parameters(args): Parameters<CategoryArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let category = required_text("category", &args.category)?;
        let paging = paging(args.limit, args.offset, 20)?;
        let page = self
            .call(
                self.client()
                    .get_category_playlists(&category, paging.page()),
            )
            .await?
            .playlists;
        Ok(Listed(Items::page(&page, paging.offset)))
    }

    #[tool(
        description = "Spotify's featured playlists. Extended-quota apps only.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Items>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_featured_playlists(
        &self,
        Parameters(args): Parameters<PageArgs>,
    ) -> Result<Listed<Items>, ToolError> {
        let paging = args.paging()?;
        let page = self
            .call(self.client().get_featured_playlists(None, paging.page()))
            .await?
            .playlists;
        Ok(Listed(Items::page(&page, paging.offset)))
    }

    #[tool(
        description = "Country codes where Spotify is available. Extended-quota apps only.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_markets(&self) -> Result<Json<Names>, ToolError> {
        let markets = self.call(self.client().get_markets()).await?;
        Ok(Json(Names { names: markets }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key_name(1, 0), "C# minor");
        assert_eq!(key_name(0, 1), "C major");
        assert_eq!(key_name(-1, 1), "unknown");
        assert_eq!(key_name(12, 1), "unknown");
    }

    #[test]
    fn recommendation_seeds_are_bounded() {
        let args = |genres: Vec<&str>| RecommendationArgs {
            seed_artists: None,
            seed_tracks: None,
            seed_genres: Some(genres.into_iter().map(String::from).collect()),
            limit: None,
            target_energy: None,
            target_valence: None,
            target_danceability: None,
            target_acousticness: None,
            target_tempo: None,
        };
        assert!(recommendations_request(args(vec![])).is_err());
        assert!(recommendations_request(args(vec!["a", "b", "c", "d", "e", "f"])).is_err());
        let ok = recommendations_request(args(vec![" Jazz "])).unwrap();
        assert_eq!(ok.seed_genres, vec!["jazz"]);
        assert_eq!(ok.limit, Some(20));
        let bad = RecommendationArgs {
            target_energy: Some(1.5),
            ..args(vec!["jazz"])
        };
        assert!(
            recommendations_request(bad)
                .unwrap_err()
                .message()
                .contains("target_energy")
        );
    }
}
