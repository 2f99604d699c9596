//! `completion/complete`: values for prompt arguments and resource-template parameters.
//!
//! - Prompts: moods and themes from fixed lists, set lengths and sizes, time ranges, and a
//!   playlist name derived from the theme already given (`context.arguments`).
//! - `spotify://playlist/{id}`: the IDs of the user's playlists whose name (or ID) matches the
//!   typed text, case-insensitively, prefix matches first.
//! - `spotify://{album,artist,track}/{id}`: the IDs Spotify search finds for the typed text;
//!   before anything is typed, those of the tracks, albums or artists played recently.
//! - `dj_set`'s `device`: the names of the user's devices, the active one first, without the
//!   restricted ones (Spotify takes no commands for them).
//!
//! Spotify is asked through the client (its response cache makes repeated completions cheap)
//! inside one call deadline; when it fails the answer is an empty list, never an error or a
//! hang. At most [`CompletionInfo::MAX_VALUES`] values; `total` and `hasMore` say what was
//! left out (`total` is absent when not known).

use rmcp::ErrorData;
use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};

use crate::spotify::SpotifyError;
use crate::spotify::api::Page;
use crate::spotify::models::search::{SearchRequest, SearchType};

use super::SpotifyMcp;
use super::resources;

/// Moods offered for `dj_set`'s `mood`.
const MOODS: &[&str] = &[
    "chill",
    "calm evening",
    "dinner party",
    "energetic",
    "feel-good",
    "focus",
    "happy",
    "high-energy workout",
    "late-night",
    "melancholic",
    "party",
    "rainy sunday morning",
    "road trip",
    "romantic",
    "sleep",
    "study",
    "summer",
    "sunset",
    "upbeat",
    "wind down",
];

/// Themes offered for `curate_playlist`'s `theme`: genres, eras and occasions.
const THEMES: &[&str] = &[
    "60s soul",
    "70s funk",
    "80s synth-pop",
    "90s hip-hop",
    "90s trip-hop for late-night coding",
    "2000s indie rock",
    "acoustic covers",
    "ambient",
    "afrobeats",
    "blues",
    "bossa nova",
    "classical piano",
    "country",
    "deep house",
    "disco",
    "drum and bass",
    "electronic",
    "folk",
    "french pop",
    "jazz",
    "k-pop",
    "latin",
    "lo-fi beats",
    "metal",
    "punk",
    "r&b",
    "reggae",
    "rock classics",
    "singer-songwriter",
    "soundtracks",
    "techno",
];

const SET_MINUTES: &[&str] = &["15", "20", "30", "45", "60", "90", "120"];
const PLAYLIST_SIZES: &[&str] = &["10", "20", "25", "30", "50", "100"];
const TIME_RANGES: &[&str] = &["short_term", "medium_term", "long_term"];

/// Pages of the user's playlists read for a completion (50 each).
const PLAYLIST_PAGES: u32 = 4;
/// Search results per completion (Spotify's cap per type).
const SEARCH_LIMIT: u32 = 10;

/// Where the values of one argument come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Fixed(&'static [&'static str]),
    /// A name for the playlist, from the theme in the context.
    PlaylistName,
    MyPlaylists,
    /// The names of the user's devices.
    Devices,
    Search(SearchType),
}

/// The source of a prompt argument the server declares (`None` for one it does not).
fn prompt_source(prompt: &str, argument: &str) -> Option<Source> {
    Some(match (prompt, argument) {
        ("dj_set", "mood") => Source::Fixed(MOODS),
        ("dj_set", "minutes") => Source::Fixed(SET_MINUTES),
        ("dj_set", "device") => Source::Devices,
        ("curate_playlist", "theme") => Source::Fixed(THEMES),
        ("curate_playlist", "size") => Source::Fixed(PLAYLIST_SIZES),
        ("curate_playlist", "name") => Source::PlaylistName,
        ("explain_my_taste", "time_range") => Source::Fixed(TIME_RANGES),
        _ => return None,
    })
}

/// The source of a resource template's parameter.
fn template_source(template: &str) -> Option<Source> {
    Some(match template {
        "spotify://playlist/{id}" => Source::MyPlaylists,
        "spotify://album/{id}" => Source::Search(SearchType::Album),
        "spotify://artist/{id}" => Source::Search(SearchType::Artist),
        "spotify://track/{id}" => Source::Search(SearchType::Track),
        _ => return None,
    })
}

/// Finds the source of what `params` asks to complete, or says precisely what is unknown.
fn source(server: &SpotifyMcp, params: &CompleteRequestParams) -> Result<Source, ErrorData> {
    let argument = params.argument.name.as_str();
    match &params.r#ref {
        Reference::Prompt(prompt) => {
            let prompts = server.inner.prompts.list_all();
            let Some(declared) = prompts.iter().find(|p| p.name == prompt.name) else {
                let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown prompt `{}`: the prompts are {}",
                        prompt.name,
                        names.join(", ")
                    ),
                    None,
                ));
            };
            let arguments: Vec<&str> = declared
                .arguments
                .iter()
                .flatten()
                .map(|a| a.name.as_str())
                .collect();
            if !arguments.contains(&argument) {
                return Err(ErrorData::invalid_params(
                    format!(
                        "prompt `{}` has no argument `{argument}`: its arguments are {}",
                        prompt.name,
                        arguments.join(", ")
                    ),
                    None,
                ));
            }
            Ok(prompt_source(&prompt.name, argument).unwrap_or(Source::Fixed(&[])))
        }
        Reference::Resource(resource) => {
            let templates = resources::templates();
            let Some(source) = template_source(&resource.uri) else {
                let uris: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown resource template `{}`: the templates are {}",
                        resource.uri,
                        uris.join(", ")
                    ),
                    None,
                ));
            };
            if argument != "id" {
                return Err(ErrorData::invalid_params(
                    format!(
                        "resource template `{}` has no parameter `{argument}`: its parameter is id",
                        resource.uri
                    ),
                    None,
                ));
            }
            Ok(source)
        }
        other => Err(ErrorData::invalid_params(
            format!(
                "cannot complete a `{}` reference: use ref/prompt or ref/resource",
                other.reference_type()
            ),
            None,
        )),
    }
}

/// The answer: the first [`CompletionInfo::MAX_VALUES`] of `values`, with how many there are
/// (`known_total` when the source knows more than it gave; `None` with `more` when unknown).
fn answer(mut values: Vec<String>, known_total: Option<usize>, more: bool) -> CompleteResult {
    let found = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    let total = known_total
        .map(|t| t.max(found))
        .or((!more).then_some(found));
    let has_more = more || total.is_some_and(|t| t > values.len());
    let mut info = CompletionInfo::default();
    info.total = total.map(|t| u32::try_from(t).unwrap_or(u32::MAX));
    info.has_more = Some(has_more);
    info.values = values;
    CompleteResult::new(info)
}

/// The answer when Spotify could not be asked: no values.
pub fn nothing() -> CompleteResult {
    answer(Vec::new(), Some(0), false)
}

/// `candidates` matching `typed`, case-insensitively: prefix matches first, then the others
/// that contain it, each group in the candidates' order. All of them for an empty `typed`.
fn matching<'a, T>(candidates: impl IntoIterator<Item = (&'a str, T)>, typed: &str) -> Vec<T> {
    let typed = typed.trim().to_lowercase();
    let mut prefix = Vec::new();
    let mut inside = Vec::new();
    for (text, value) in candidates {
        let text = text.to_lowercase();
        if text.starts_with(&typed) {
            prefix.push(value);
        } else if text.contains(&typed) {
            inside.push(value);
        }
    }
    prefix.extend(inside);
    prefix
}

/// Completes `params`: `Err` for a reference or argument the server does not have; an
/// upstream failure gives an empty answer and the error (for the client's log).
pub async fn complete(
    server: &SpotifyMcp,
    params: &CompleteRequestParams,
) -> Result<(CompleteResult, Option<SpotifyError>), ErrorData> {
    let typed = params.argument.value.as_str();
    let result = match source(server, params)? {
        Source::Fixed(values) => Ok(answer(
            matching(values.iter().map(|v| (*v, v.to_string())), typed),
            None,
            false,
        )),
        Source::PlaylistName => {
            let theme = params
                .context
                .as_ref()
                .and_then(|c| c.get_argument("theme"))
                .map(|t| t.trim())
                .filter(|t| !t.is_empty());
            let names = theme.map(playlist_names).unwrap_or_default();
            Ok(answer(
                matching(names.iter().map(|n| (n.as_str(), n.clone())), typed),
                None,
                false,
            ))
        }
        Source::MyPlaylists => my_playlists(server, typed).await,
        Source::Devices => devices(server, typed).await,
        Source::Search(kind) if typed.trim().is_empty() => recent(server, kind).await,
        Source::Search(kind) => search(server, kind, typed).await,
    };
    Ok(match result {
        Ok(result) => (result, None),
        Err(e) => (nothing(), Some(e)),
    })
}

/// Names for a playlist on `theme`.
fn playlist_names(theme: &str) -> Vec<String> {
    let title: String = theme
        .split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        title.clone(),
        format!("{title} Mix"),
        format!("{title} Essentials"),
    ]
}

/// The IDs of the user's playlists whose name or ID matches `typed`.
async fn my_playlists(server: &SpotifyMcp, typed: &str) -> Result<CompleteResult, SpotifyError> {
    let mut playlists = Vec::new();
    let mut complete_listing = false;
    for page in 0..PLAYLIST_PAGES {
        let got = server
            .client()
            .get_my_playlists(Page::new(50, page * 50))
            .await?;
        let last = got.next.is_none() || got.items.is_empty();
        playlists.extend(got.items.into_iter().map(|p| (p.name, p.id)));
        if last {
            complete_listing = true;
            break;
        }
    }
    let by_name = matching(
        playlists
            .iter()
            .map(|(name, id)| (name.as_str(), id.clone())),
        typed,
    );
    // A pasted ID (or its start) matches too.
    let by_id = matching(
        playlists.iter().map(|(_, id)| (id.as_str(), id.clone())),
        typed,
    )
    .into_iter()
    .filter(|_| !typed.trim().is_empty());
    let mut values = by_name;
    for id in by_id {
        if !values.contains(&id) {
            values.push(id);
        }
    }
    values.retain(|id| !id.is_empty());
    Ok(answer(values, None, !complete_listing))
}

/// The names of the user's devices matching `typed`, the active one first.
async fn devices(server: &SpotifyMcp, typed: &str) -> Result<CompleteResult, SpotifyError> {
    let mut devices = server.client().get_devices().await?;
    // A restricted device takes no commands: a DJ set could not play there.
    devices.retain(|d| !d.is_restricted);
    devices.sort_by_key(|d| !d.is_active);
    let names = matching(
        devices.iter().map(|d| (d.name.as_str(), d.name.clone())),
        typed,
    );
    Ok(answer(names, None, false))
}

/// Before anything is typed: the IDs of what the user played recently (tracks, their albums
/// or their artists), most recent first, each once.
async fn recent(server: &SpotifyMcp, kind: SearchType) -> Result<CompleteResult, SpotifyError> {
    let played = server.client().get_recently_played(Some(50), None).await?;
    let mut ids: Vec<String> = Vec::new();
    for entry in &played.items {
        let track = &entry.track;
        let found: Vec<&Option<String>> = match kind {
            SearchType::Album => vec![&track.album.id],
            SearchType::Artist => track.artists.iter().map(|a| &a.id).collect(),
            _ => vec![&track.id],
        };
        for id in found.into_iter().flatten() {
            if !id.is_empty() && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    Ok(answer(ids, None, false))
}

/// The IDs Spotify search finds for `typed`.
async fn search(
    server: &SpotifyMcp,
    kind: SearchType,
    typed: &str,
) -> Result<CompleteResult, SpotifyError> {
    let query = typed.trim();
    if query.is_empty() {
        return Ok(answer(Vec::new(), None, false));
    }
    let request = SearchRequest {
        query: query.to_owned(),
        types: vec![kind],
        limit: Some(SEARCH_LIMIT),
        ..SearchRequest::default()
    };
    let found = server.client().search(&request).await?;
    let (ids, total): (Vec<String>, u32) = match kind {
        SearchType::Album => found.albums.map_or((Vec::new(), 0), |p| {
            (p.items.into_iter().filter_map(|a| a.id).collect(), p.total)
        }),
        SearchType::Artist => found.artists.map_or((Vec::new(), 0), |p| {
            (p.items.into_iter().map(|a| a.id).collect(), p.total)
        }),
        _ => found.tracks.map_or((Vec::new(), 0), |p| {
            (p.items.into_iter().filter_map(|t| t.id).collect(), p.total)
        }),
    };
    let ids: Vec<String> = ids.into_iter().filter(|id| !id.is_empty()).collect();
    Ok(answer(ids, Some(total as usize), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_prompt_argument_has_values() {
        for prompt in super::super::prompts::router().list_all() {
            for argument in prompt.arguments.iter().flatten() {
                assert!(
                    prompt_source(&prompt.name, &argument.name).is_some(),
                    "{}.{} has no completion source",
                    prompt.name,
                    argument.name
                );
            }
        }
        for template in resources::templates() {
            assert!(
                template_source(&template.uri_template).is_some(),
                "{}",
                template.uri_template
            );
        }
    }

    #[test]
    fn prefix_matches_come_first_and_case_is_ignored() {
        let got = matching(MOODS.iter().map(|m| (*m, *m)), "SUN");
        assert_eq!(got.first(), Some(&"sunset"));
        assert!(got.contains(&"rainy sunday morning"));
        assert_eq!(
            matching(MOODS.iter().map(|m| (*m, *m)), "").len(),
            MOODS.len()
        );
    }

    #[test]
    fn answers_cap_at_100_and_say_so() {
        let many: Vec<String> = (0..150).map(|i| i.to_string()).collect();
        let capped = answer(many, None, false).completion;
        assert_eq!(capped.values.len(), 100);
        assert_eq!(capped.total, Some(150));
        assert_eq!(capped.has_more, Some(true));
        let few = answer(vec!["a".into()], None, false).completion;
        assert_eq!((few.total, few.has_more), (Some(1), Some(false)));
        // An unfinished listing: the total is not known.
        let partial = answer(vec!["a".into()], None, true).completion;
        assert_eq!((partial.total, partial.has_more), (None, Some(true)));
        // Search knows its total.
        let searched = answer(vec!["a".into(); 10], Some(240), false).completion;
        assert_eq!((searched.total, searched.has_more), (Some(240), Some(true)));
    }

    #[test]
    fn playlist_names_come_from_the_theme() {
        assert_eq!(
            playlist_names("90s trip-hop")[0],
            "90s Trip-hop".to_string()
        );
    }
}
