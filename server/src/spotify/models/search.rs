//! Search: item types and the answer of `GET /search`.

use super::album::SimplifiedAlbum;
use super::artist::Artist;
use super::audiobook::SimplifiedAudiobook;
use super::common::Paging;
use super::playlist::SimplifiedPlaylist;
use super::show::{SimplifiedEpisode, SimplifiedShow};
use super::track::Track;
use serde::{Deserialize, Serialize};

/// The `type` values of `GET /search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchType {
    Album,
    Artist,
    Playlist,
    Track,
    Show,
    Episode,
    Audiobook,
}

impl SearchType {
    /// Every search type.
    pub const ALL: [SearchType; 7] = [
        SearchType::Album,
        SearchType::Artist,
        SearchType::Playlist,
        SearchType::Track,
        SearchType::Show,
        SearchType::Episode,
        SearchType::Audiobook,
    ];

    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Album => "album",
            SearchType::Artist => "artist",
            SearchType::Playlist => "playlist",
            SearchType::Track => "track",
            SearchType::Show => "show",
            SearchType::Episode => "episode",
            SearchType::Audiobook => "audiobook",
        }
    }
}

/// Parameters of `GET /search`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    /// The query, with optional field filters (`artist:`, `album:`, `year:` ...).
    pub query: String,
    /// Item types to search (at least one).
    pub types: Vec<SearchType>,
    /// ISO 3166-1 alpha-2 market.
    pub market: Option<String>,
    /// Results per type, 1..=10 (Spotify's 2026 cap).
    pub limit: Option<u32>,
    /// Index of the first result, 0..=1000.
    pub offset: Option<u32>,
    /// Mark externally hosted audio as playable (`include_external=audio`).
    pub include_external_audio: bool,
}

/// The answer of `GET /search`: one page per requested type (`null` entries dropped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchResults {
    pub tracks: Option<Paging<Track>>,
    pub artists: Option<Paging<Artist>>,
    pub albums: Option<Paging<SimplifiedAlbum>>,
    pub playlists: Option<Paging<SimplifiedPlaylist>>,
    pub shows: Option<Paging<SimplifiedShow>>,
    pub episodes: Option<Paging<SimplifiedEpisode>>,
    pub audiobooks: Option<Paging<SimplifiedAudiobook>>,
}
