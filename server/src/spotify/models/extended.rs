//! Shapes of the extended-quota-only (deprecated for development-mode apps) endpoints:
//! batch gets, recommendations, audio features and analysis, categories, featured playlists,
//! new releases, markets.

use super::album::{Album, SimplifiedAlbum};
use super::artist::Artist;
use super::audiobook::{Audiobook, Chapter};
use super::common::{Image, Paging};
use super::de::{null_default, skip_nulls};
use super::playlist::SimplifiedPlaylist;
use super::show::{Episode, SimplifiedShow};
use super::track::Track;
use crate::spotify::ids::SpotifyId;
use serde::{Deserialize, Serialize};

/// `{"tracks": [...]}` of `GET /tracks` and `GET /artists/{id}/top-tracks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tracks {
    #[serde(deserialize_with = "skip_nulls")]
    pub tracks: Vec<Track>,
}

/// `{"albums": [...]}` of `GET /albums`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Albums {
    #[serde(deserialize_with = "skip_nulls")]
    pub albums: Vec<Album>,
}

/// `{"artists": [...]}` of `GET /artists` and `GET /artists/{id}/related-artists`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Artists {
    #[serde(deserialize_with = "skip_nulls")]
    pub artists: Vec<Artist>,
}

/// `{"shows": [...]}` of `GET /shows`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shows {
    #[serde(deserialize_with = "skip_nulls")]
    pub shows: Vec<SimplifiedShow>,
}

/// `{"episodes": [...]}` of `GET /episodes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Episodes {
    #[serde(deserialize_with = "skip_nulls")]
    pub episodes: Vec<Episode>,
}

/// `{"audiobooks": [...]}` of `GET /audiobooks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Audiobooks {
    #[serde(deserialize_with = "skip_nulls")]
    pub audiobooks: Vec<Audiobook>,
}

/// `{"chapters": [...]}` of `GET /chapters`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chapters {
    #[serde(deserialize_with = "skip_nulls")]
    pub chapters: Vec<Chapter>,
}

/// `AudioFeaturesObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioFeatures {
    pub acousticness: f64,
    pub analysis_url: Option<String>,
    pub danceability: f64,
    pub duration_ms: u64,
    pub energy: f64,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    pub instrumentalness: f64,
    /// Pitch class (0 = C ... 11 = B), -1 if unknown.
    pub key: i32,
    pub liveness: f64,
    pub loudness: f64,
    /// 1 = major, 0 = minor.
    pub mode: i32,
    pub speechiness: f64,
    pub tempo: f64,
    pub time_signature: i32,
    pub track_href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
    pub valence: f64,
}

/// `{"audio_features": [...]}` of `GET /audio-features`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioFeaturesList {
    #[serde(deserialize_with = "skip_nulls")]
    pub audio_features: Vec<AudioFeatures>,
}

/// `TimeIntervalObject` (bars, beats, tatums).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeInterval {
    pub start: f64,
    pub duration: f64,
    pub confidence: f64,
}

/// `SectionObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Section {
    pub start: f64,
    pub duration: f64,
    pub confidence: f64,
    pub loudness: f64,
    pub tempo: f64,
    pub tempo_confidence: f64,
    pub key: i32,
    pub key_confidence: f64,
    pub mode: f64,
    pub mode_confidence: f64,
    pub time_signature: i32,
    pub time_signature_confidence: f64,
}

/// `SegmentObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Segment {
    pub start: f64,
    pub duration: f64,
    pub confidence: f64,
    pub loudness_start: f64,
    pub loudness_max: f64,
    pub loudness_max_time: f64,
    pub loudness_end: f64,
    #[serde(deserialize_with = "null_default")]
    pub pitches: Vec<f64>,
    #[serde(deserialize_with = "null_default")]
    pub timbre: Vec<f64>,
}

/// The `track` summary of an audio analysis (the fingerprint strings are not kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisTrack {
    pub num_samples: u64,
    pub duration: f64,
    pub end_of_fade_in: f64,
    pub start_of_fade_out: f64,
    pub loudness: f64,
    pub tempo: f64,
    pub tempo_confidence: f64,
    pub time_signature: i32,
    pub time_signature_confidence: f64,
    pub key: i32,
    pub key_confidence: f64,
    pub mode: i32,
    pub mode_confidence: f64,
}

/// `AudioAnalysisObject` (`GET /audio-analysis/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioAnalysis {
    pub meta: Option<serde_json::Value>,
    pub track: AnalysisTrack,
    #[serde(deserialize_with = "null_default")]
    pub bars: Vec<TimeInterval>,
    #[serde(deserialize_with = "null_default")]
    pub beats: Vec<TimeInterval>,
    #[serde(deserialize_with = "null_default")]
    pub sections: Vec<Section>,
    #[serde(deserialize_with = "null_default")]
    pub segments: Vec<Segment>,
    #[serde(deserialize_with = "null_default")]
    pub tatums: Vec<TimeInterval>,
}

/// `RecommendationSeedObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecommendationSeed {
    #[serde(rename = "afterFilteringSize")]
    pub after_filtering_size: u32,
    #[serde(rename = "afterRelinkingSize")]
    pub after_relinking_size: u32,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(rename = "initialPoolSize")]
    pub initial_pool_size: u32,
    /// `artist`, `track` or `genre`.
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub kind: String,
}

/// `RecommendationsObject` (`GET /recommendations`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recommendations {
    #[serde(deserialize_with = "null_default")]
    pub seeds: Vec<RecommendationSeed>,
    #[serde(deserialize_with = "skip_nulls")]
    pub tracks: Vec<Track>,
}

/// One tunable attribute of `GET /recommendations` (`min_`, `max_`, `target_` prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tunable {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub target: Option<f64>,
}

/// Parameters of `GET /recommendations`: up to five seeds in total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecommendationsRequest {
    pub seed_artists: Vec<SpotifyId>,
    pub seed_tracks: Vec<SpotifyId>,
    pub seed_genres: Vec<String>,
    /// 1..=100.
    pub limit: Option<u32>,
    pub market: Option<String>,
    /// Tunable attributes by name without prefix: `acousticness`, `danceability`,
    /// `duration_ms`, `energy`, `instrumentalness`, `key`, `liveness`, `loudness`, `mode`,
    /// `popularity`, `speechiness`, `tempo`, `time_signature`, `valence`.
    pub tunables: Vec<(String, Tunable)>,
}

/// The tunable attribute names `GET /recommendations` accepts.
pub const RECOMMENDATION_TUNABLES: [&str; 14] = [
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
    "valence",
];

/// `{"genres": [...]}` of `GET /recommendations/available-genre-seeds`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenreSeeds {
    #[serde(deserialize_with = "null_default")]
    pub genres: Vec<String>,
}

/// `CategoryObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Category {
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub icons: Vec<Image>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
}

/// `{"categories": Paging<Category>}` of `GET /browse/categories`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Categories {
    pub categories: Paging<Category>,
}

/// `PagingFeaturedPlaylistObject` (featured and category playlists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeaturedPlaylists {
    pub message: Option<String>,
    pub playlists: Paging<SimplifiedPlaylist>,
}

/// `{"albums": Paging<SimplifiedAlbum>}` of `GET /browse/new-releases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewReleases {
    pub albums: Paging<SimplifiedAlbum>,
}

/// `{"markets": [...]}` of `GET /markets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Markets {
    #[serde(deserialize_with = "null_default")]
    pub markets: Vec<String>,
}
