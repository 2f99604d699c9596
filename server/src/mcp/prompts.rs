//! Prompts: ready-made tasks a user can pick in their MCP client.
//!
//! - `dj_set`: plan and start a set for a mood.
//! - `curate_playlist`: build a playlist around a theme.
//! - `explain_my_taste`: describe the user's taste from their top artists and tracks, which
//!   the prompt fetches and embeds so the model starts with the data.

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{GetPromptResult, PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::models::TimeRange;

use super::SpotifyMcp;
use super::profile::TopKind;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DjSetArgs {
    /// The mood or occasion, e.g. "rainy sunday morning" or "high-energy workout".
    pub mood: String,
    /// Length of the set in minutes (default 30).
    pub minutes: Option<String>,
    /// Device to play on, by name (default: the active one).
    pub device: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CurateArgs {
    /// What the playlist is about, e.g. "90s trip-hop for late-night coding".
    pub theme: String,
    /// Number of tracks (default 20).
    pub size: Option<String>,
    /// Playlist name (default: derived from the theme).
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TasteArgs {
    /// short_term (~4 weeks), medium_term (~6 months, default) or long_term (~1 year).
    pub time_range: Option<String>,
}

/// Parses a small positive count given as text, falling back to `default` and capping at `max`.
fn count(text: Option<&str>, default: u32, max: u32) -> u32 {
    text.and_then(|t| t.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .map_or(default, |n| n.min(max))
}

fn time_range(text: Option<&str>) -> TimeRange {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        Some("short_term" | "short") => TimeRange::ShortTerm,
        Some("long_term" | "long") => TimeRange::LongTerm,
        _ => TimeRange::MediumTerm,
    }
}

/// The prompt router of [`SpotifyMcp`].
pub(super) fn router() -> PromptRouter<SpotifyMcp> {
    SpotifyMcp::prompts_router()
}

#[prompt_router(router = "prompts_router", vis = "pub(super)")]
impl SpotifyMcp {
    /// Plan a DJ set for a mood and start playing it.
    #[prompt(name = "dj_set")]
    async fn dj_set(&self, Parameters(args): Parameters<DjSetArgs>) -> GetPromptResult {
        let minutes = count(args.minutes.as_deref(), 30, 240);
        let tracks = (minutes / 4).max(3);
        let text = format!(
            "Be my DJ. Mood: \"{mood}\". Build a set of about {minutes} minutes (~{tracks} tracks) \
             with a deliberate arc: open gently, build energy, land softly.\n\
             1. {device}\n\
             2. Use search (types track and playlist, limit 20) with several queries that fit the \
             mood; use get_top_items (tracks) to lean towards my taste.\n\
             3. Pick the tracks, then call play with the first track's URI and add_to_queue with \
             the rest in order.\n\
             4. Reply with the set list (title - artist, duration) and one line on why it fits.",
            mood = args.mood.trim(),
            device = match args
                .device
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                Some(name) => format!(
                    "Call get_devices and transfer_playback to the device named \"{name}\" \
                     (ask me if no device has that name)."
                ),
                None => "Call get_devices; if none is active, transfer_playback to the most \
                         likely device (ask me if unsure)."
                    .to_owned(),
            },
        );
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(format!("DJ set for \"{}\"", args.mood.trim()))
    }

    /// Curate a playlist around a theme and save it to the user's account.
    #[prompt(name = "curate_playlist")]
    async fn curate_playlist(&self, Parameters(args): Parameters<CurateArgs>) -> GetPromptResult {
        let size = count(args.size.as_deref(), 20, 100);
        let theme = args.theme.trim();
        let name = args
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or_else(
                || "a short, evocative name you choose".to_string(),
                |n| format!("\"{n}\""),
            );
        let text = format!(
            "Curate a Spotify playlist of {size} tracks on the theme \"{theme}\", named {name}.\n\
             1. Brainstorm more candidates than needed: classics and deeper cuts, varied artists \
             (at most two tracks per artist), a good flow of tempo and mood.\n\
             2. Call create_playlist_from_queries with one \"artist - title\" query per track and a \
             one-sentence description.\n\
             3. For queries reported as unmatched, search for an alternative and add it with \
             add_playlist_items.\n\
             4. Reply with the playlist link and the track list."
        );
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(format!("Playlist for \"{theme}\""))
    }

    /// Explain the user's music taste from their top artists and tracks.
    #[prompt(name = "explain_my_taste")]
    async fn explain_my_taste(&self, Parameters(args): Parameters<TasteArgs>) -> GetPromptResult {
        let range = time_range(args.time_range.as_deref());
        let artists = self.top_items(TopKind::Artists, range, 20, 0).await;
        let tracks = self.top_items(TopKind::Tracks, range, 20, 0).await;
        let data = match (artists, tracks) {
            (Ok(a), Ok(t)) => format!(
                "My top artists ({range}): {}\n\nMy top tracks ({range}): {}",
                serde_json::to_string(&a.items).unwrap_or_default(),
                serde_json::to_string(&t.items).unwrap_or_default(),
                range = range.as_str(),
            ),
            (Err(e), _) | (_, Err(e)) => format!(
                "(Fetching my top items failed: {}. Call get_top_items for artists and tracks \
                 with time_range {} first.)",
                e.message(),
                range.as_str()
            ),
        };
        let text = format!(
            "Explain my music taste.\n\n{data}\n\nDescribe the genres, eras and moods that \
             define it, what connects my favourite artists, and anything surprising. Then \
             suggest five artists I might not know yet (check them with search) and offer to \
             make a playlist of them."
        );
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(format!("Taste profile ({})", range.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ranges() {
        assert_eq!(count(None, 30, 240), 30);
        assert_eq!(count(Some(" 45 "), 30, 240), 45);
        assert_eq!(count(Some("0"), 30, 240), 30);
        assert_eq!(count(Some("lots"), 30, 240), 30);
        assert_eq!(count(Some("1000"), 30, 240), 240);
        assert_eq!(time_range(Some("SHORT_TERM")), TimeRange::ShortTerm);
        assert_eq!(time_range(Some("long")), TimeRange::LongTerm);
        assert_eq!(time_range(None), TimeRange::MediumTerm);
    }

    #[test]
    fn three_prompts_with_arguments() {
        let prompts = router().list_all();
        let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["curate_playlist", "dj_set", "explain_my_taste"]);
        for p in &prompts {
            assert!(p.description.as_deref().is_some_and(|d| !d.is_empty()));
            assert!(
                p.arguments.as_ref().is_some_and(|a| !a.is_empty()),
                "{}",
                p.name
            );
        }
        let dj = prompts.iter().find(|p| p.name == "dj_set").unwrap();
        let mood = dj
            .arguments
            .as_ref()
            .unwrap()
            .iter()
            .find(|a| a.name == "mood")
            .unwrap();
        assert_eq!(mood.required, Some(true));
    }
}
