//! Composite toolset: tools that save the model round trips.
//!
//! - `play_best_match`: search, choose the best match sensibly among types, play it.
//! - `create_playlist_from_queries`: search each query, create a playlist, add the best match
//!   of each, and report which queries matched nothing.

use futures::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RequestContext};
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{PlayRequest, PlaylistDetails, SearchType};

use super::args::{
    DESCRIPTION_MAX_CHARS, DEVICE_ID_MAX_CHARS, NAME_MAX_CHARS, QUERY_MAX_CHARS, device,
    required_text,
};
use super::output::{Item, SearchResults};
use super::search::{Kind, Query};
use super::{SpotifyMcp, ToolError};

/// Candidates looked at per type.
const CANDIDATES: u32 = 5;
/// Queries searched at once by create_playlist_from_queries.
const CONCURRENCY: usize = 4;
const MAX_QUERIES: usize = 100;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BestMatchArgs {
    /// What to play, e.g. "bohemian rhapsody queen".
    #[schemars(length(max = QUERY_MAX_CHARS))]
    pub query: String,
    /// Only this type; default: best of track/album/artist/playlist.
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BestMatch {
    pub message: String,
    pub played: Item,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FromQueriesArgs {
    /// Playlist name.
    #[schemars(length(max = NAME_MAX_CHARS))]
    pub name: String,
    /// One search per track, e.g. "artist - title".
    #[schemars(length(min = 1, max = 100), inner(length(max = QUERY_MAX_CHARS)))]
    pub queries: Vec<String>,
    /// Playlist description.
    #[schemars(length(max = DESCRIPTION_MAX_CHARS))]
    pub description: Option<String>,
    /// Default false.
    pub public: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct QueryMatch {
    pub query: String,
    #[serde(flatten)]
    pub item: Item,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FromQueries {
    pub playlist: Item,
    pub added: Vec<QueryMatch>,
    /// Queries that matched nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
}

/// Lowercase, alphanumeric words only: "AC/DC" and "ac dc" compare equal.
fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The type a query names with a keyword ("the album ...", "... playlist", "podcast ...").
fn keyword_kind(query: &str) -> Option<Kind> {
    let words = normalize(query);
    let has = |w: &str| words.split(' ').any(|x| x == w);
    if has("playlist") {
        Some(Kind::Playlist)
    } else if has("album") || has("lp") {
        Some(Kind::Album)
    } else if has("podcast") || has("show") {
        Some(Kind::Show)
    } else if has("audiobook") {
        Some(Kind::Audiobook)
    } else if has("episode") {
        Some(Kind::Episode)
    } else {
        None
    }
}

fn list(results: &SearchResults, kind: Kind) -> &[Item] {
    match kind {
        Kind::Track => &results.tracks,
        Kind::Album => &results.albums,
        Kind::Artist => &results.artists,
        Kind::Playlist => &results.playlists,
        Kind::Show => &results.shows,
        Kind::Episode => &results.episodes,
        Kind::Audiobook => &results.audiobooks,
    }
}

/// The best of one type: an exact name match among the top candidates, else Spotify's first.
fn best_of(items: &[Item], query: &str) -> Option<Item> {
    let q = normalize(query);
    items
        .iter()
        .find(|i| normalize(&i.name) == q)
        .or_else(|| items.first())
        .cloned()
}

/// Chooses what to play for `query` among search results.
///
/// With a `preferred` type, the best of that type. Otherwise: an artist, album or playlist
/// whose name is exactly the query (in that order) wins, since someone who says "Radiohead"
/// or "Kind of Blue" means the whole thing; a type named by keyword ("... playlist") comes
/// next; otherwise Spotify's top track, then album, artist, playlist.
pub fn choose(
    results: &SearchResults,
    query: &str,
    preferred: Option<Kind>,
) -> Option<(Kind, Item)> {
    if let Some(kind) = preferred {
        return best_of(list(results, kind), query).map(|i| (kind, i));
    }
    let q = normalize(query);
    for kind in [Kind::Artist, Kind::Album, Kind::Playlist] {
        if let Some(hit) = list(results, kind)
            .iter()
            .take(3)
            .find(|i| normalize(&i.name) == q)
        {
            return Some((kind, hit.clone()));
        }
    }
    if let Some(kind) = keyword_kind(query)
        && let Some(item) = list(results, kind).first()
    {
        return Some((kind, item.clone()));
    }
    [Kind::Track, Kind::Album, Kind::Artist, Kind::Playlist]
        .into_iter()
        .find_map(|kind| best_of(list(results, kind), query).map(|i| (kind, i)))
}

/// The types searched when the caller does not name one.
fn search_types(query: &str, preferred: Option<Kind>) -> Vec<SearchType> {
    let mut kinds = match preferred {
        Some(k) => vec![k],
        None => vec![Kind::Track, Kind::Album, Kind::Artist, Kind::Playlist],
    };
    if preferred.is_none()
        && let Some(k) = keyword_kind(query)
        && !kinds.contains(&k)
    {
        kinds.push(k);
    }
    let mut types: Vec<SearchType> = kinds.into_iter().map(SearchType::from).collect();
    types.sort();
    types
}

/// `notifications/progress` for a call whose client sent a progress token: `total` steps, each
/// [`Progress::step`] one more. Without a token it only counts.
struct Progress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
    total: usize,
    done: AtomicUsize,
}

impl Progress {
    fn new(context: &RequestContext<RoleServer>, total: usize) -> Self {
        Self {
            peer: context.peer.clone(),
            token: context.meta.get_progress_token(),
            total,
            done: AtomicUsize::new(0),
        }
    }

    fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    async fn step(&self, what: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let Some(token) = &self.token else { return };
        let searches = self.total.saturating_sub(2);
        let message = if done <= searches {
            format!("{what} {done} of {searches} queries")
        } else {
            what.to_owned()
        };
        // Counts are far below 2^52, so they are exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let update = ProgressNotificationParam::new(token.clone(), done as f64)
            .with_total(self.total as f64)
            .with_message(message);
        if let Err(e) = self.peer.notify_progress(update).await {
            tracing::debug!(error = %e, "could not send progress");
        }
    }
}

impl SpotifyMcp {
    /// The best track for one query of create_playlist_from_queries.
    async fn best_track(&self, text: String) -> Result<Option<Item>, ToolError> {
        let query = Query {
            text,
            types: vec![SearchType::Track],
            limit: 3,
            offset: 0,
            market: None,
        };
        let results = self.search_paged(&query).await?;
        Ok(best_of(&results.tracks, &query.text))
    }
}

#[tool_router(router = composite_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "Search and play the best match: an exact artist/album/playlist name plays it whole, else the top track.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn play_best_match(
        &self,
        Parameters(args): Parameters<BestMatchArgs>,
    ) -> Result<Json<BestMatch>, ToolError> {
        let text = required_text("query", &args.query)?;
        let device_id = device(args.device_id)?;
        let query = Query {
            types: search_types(&text, args.kind),
            text: text.clone(),
            limit: CANDIDATES,
            offset: 0,
            market: None,
        };
        let results = self.search_paged(&query).await?;
        let Some((_, item)) = choose(&results, &text, args.kind) else {
            return Err(ToolError::invalid(format!(
                "Nothing on Spotify matches \"{text}\"; try other words or the search tool"
            )));
        };
        let id = SpotifyId::parse(&item.uri).map_err(|e| {
            ToolError::invalid(format!(
                "Spotify returned an unusable URI `{}`: {e}",
                item.uri
            ))
        })?;
        let request = if id.kind().is_playable_item() {
            PlayRequest {
                uris: vec![id],
                ..PlayRequest::default()
            }
        } else {
            PlayRequest {
                context: Some(id),
                ..PlayRequest::default()
            }
        };
        self.call_on(
            device_id.as_deref(),
            self.client().play(&request, device_id.as_deref()),
        )
        .await?;
        let by = if item.artists.is_empty() {
            String::new()
        } else {
            format!(" by {}", item.artists.join(", "))
        };
        Ok(Json(BestMatch {
            message: format!("Playing \"{}\"{by}", item.name),
            played: item,
        }))
    }

    #[tool(
        description = "Create a playlist of each query's top track; lists queries that matched nothing.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_playlist_from_queries(
        &self,
        Parameters(args): Parameters<FromQueriesArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<FromQueries>, ToolError> {
        let name = required_text("name", &args.name)?;
        if args.queries.is_empty() || args.queries.len() > MAX_QUERIES {
            return Err(ToolError::invalid(format!(
                "`queries` must have 1 to {MAX_QUERIES} entries, got {}",
                args.queries.len()
            )));
        }
        let queries: Vec<String> = args
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| required_text(&format!("queries[{i}]"), q))
            .collect::<Result<_, _>>()?;

        // Progress: one step per query searched, then the playlist's creation, then its items.
        let progress = Progress::new(&context, queries.len() + 2);
        let searches = futures::stream::iter(queries.clone())
            .map(|text| self.best_track(text))
            .buffered(CONCURRENCY)
            .then(|found| async {
                progress.step("searched").await;
                found
            })
            .collect::<Vec<Result<Option<Item>, ToolError>>>();
        // A cancelled call stops searching (no more Spotify requests) and creates nothing. Once
        // the playlist is created, its items are added too, so it is never left empty.
        let found = tokio::select! {
            found = searches => found,
            () = context.ct.cancelled() => {
                return Err(ToolError::invalid(format!(
                    "Cancelled after searching {} of {} queries; no playlist was created",
                    progress.done().min(queries.len()),
                    queries.len()
                )));
            }
        };

        let mut added = Vec::new();
        let mut unmatched = Vec::new();
        for (query, result) in queries.into_iter().zip(found) {
            match result? {
                Some(item) => added.push(QueryMatch { query, item }),
                None => unmatched.push(query),
            }
        }
        if added.is_empty() {
            return Err(ToolError::invalid(format!(
                "None of the {} queries matched a track; no playlist was created",
                unmatched.len()
            )));
        }
        let ids: Vec<SpotifyId> = added
            .iter()
            .filter_map(|m| SpotifyId::parse_as(&m.item.uri, ItemKind::Track).ok())
            .collect();

        let details = PlaylistDetails {
            name: Some(name),
            public: Some(args.public.unwrap_or(false)),
            collaborative: None,
            description: args.description,
        };
        let created = self.call(self.client().create_playlist(&details)).await?;
        progress.step("created the playlist").await;
        let playlist = Item::from(&created);
        let playlist_id = SpotifyId::parse_as(&created.uri, ItemKind::Playlist)
            .or_else(|_| SpotifyId::new(ItemKind::Playlist, &created.id))
            .map_err(|e| {
                ToolError::invalid(format!("Spotify returned an unusable playlist: {e}"))
            })?;
        if let Err(err) = self
            .client()
            .add_playlist_items(&playlist_id, &ids, None)
            .await
        {
            let err = self.fail(err).await;
            return Err(ToolError::invalid(format!(
                "Created playlist {} but adding its tracks failed: {}",
                playlist.uri,
                err.message()
            )));
        }
        progress.step("added the tracks").await;
        let mut playlist = playlist;
        playlist.total = Some(u32::try_from(ids.len()).unwrap_or(u32::MAX));
        Ok(Json(FromQueries {
            playlist,
            added,
            unmatched,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, uri: &str) -> Item {
        Item::new(name, uri)
    }

    fn results() -> SearchResults {
        SearchResults {
            tracks: vec![
                item("Karma Police", "spotify:track:t1"),
                item("Creep", "spotify:track:t2"),
            ],
            albums: vec![item("OK Computer", "spotify:album:a1")],
            artists: vec![item("Radiohead", "spotify:artist:r1")],
            playlists: vec![item("Radiohead Essentials", "spotify:playlist:p1")],
            ..SearchResults::default()
        }
    }

    #[test]
    fn exact_context_names_win() {
        let r = results();
        assert_eq!(choose(&r, "radiohead", None).unwrap().0, Kind::Artist);
        assert_eq!(choose(&r, "OK  computer!", None).unwrap().0, Kind::Album);
        assert_eq!(
            choose(&r, "radiohead essentials", None).unwrap().0,
            Kind::Playlist
        );
    }

    #[test]
    fn otherwise_top_track_or_keyword_type() {
        let r = results();
        let (kind, it) = choose(&r, "karma police radiohead", None).unwrap();
        assert_eq!((kind, it.uri.as_str()), (Kind::Track, "spotify:track:t1"));
        let (kind, _) = choose(&r, "some radiohead playlist", None).unwrap();
        assert_eq!(kind, Kind::Playlist);
        let (kind, it) = choose(&r, "creep", Some(Kind::Track)).unwrap();
        assert_eq!((kind, it.uri.as_str()), (Kind::Track, "spotify:track:t2"));
        assert!(choose(&SearchResults::default(), "x", None).is_none());
        assert!(choose(&r, "x", Some(Kind::Show)).is_none());
    }

    #[test]
    fn search_types_follow_keywords() {
        assert_eq!(search_types("x", Some(Kind::Show)), vec![SearchType::Show]);
        let t = search_types("my podcast", None);
        assert!(t.contains(&SearchType::Show) && t.contains(&SearchType::Track));
        assert_eq!(normalize("AC/DC  Back-in Black"), "ac dc back in black");
    }
}
