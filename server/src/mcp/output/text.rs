//! The text content of list results: one line per item instead of JSON.
//!
//! Clients hand a tool result's text to the model, so for lists the text is a terse rendering
//! of the same data (`Name - Artists | Album (1993) | 3:45 | spotify:track:…`) while
//! `structuredContent` carries the full compact JSON that the output schema describes. A search
//! answer's text is then about 5% of Spotify's JSON for the same request instead of 10%.

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;

use super::{Item, Items, PlaylistItems, Queue, RecentlyPlayed, SearchResults};

/// Renders a result as text for the model.
pub trait Render {
    fn render(&self) -> String;
}

/// A tool result whose structured content is `T` and whose text is `T::render()`.
pub struct Listed<T>(pub T);

impl<T: Serialize + Render> IntoCallToolResult for Listed<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let value = serde_json::to_value(&self.0)
            .map_err(|e| ErrorData::internal_error(format!("serialising the result: {e}"), None))?;
        let mut result = CallToolResult::structured(value);
        result.content = vec![ContentBlock::text(self.0.render())];
        Ok(result.into())
    }
}

/// One line for an item: `Name - Artists | Album (year) | m:ss | uri`, parts present only when
/// they apply.
pub fn line(item: &Item) -> String {
    line_with(item, true)
}

/// [`line`], optionally without the duration (search results: people pick by name, artist,
/// album and year; the duration stays in the structured content).
fn line_with(item: &Item, duration: bool) -> String {
    let mut out = item.name.clone();
    let by = if !item.artists.is_empty() {
        item.artists.join(", ")
    } else if !item.authors.is_empty() {
        item.authors.join(", ")
    } else {
        item.owner.clone().unwrap_or_default()
    };
    if !by.is_empty() {
        out.push_str(" - ");
        out.push_str(&by);
    }
    if let Some(within) = item.album.as_ref().or(item.show.as_ref()) {
        out.push_str(" | ");
        out.push_str(within);
    }
    if let Some(year) = item.year {
        out.push_str(&format!(" ({year})"));
    }
    if !item.genres.is_empty() {
        out.push_str(" | ");
        out.push_str(
            &item
                .genres
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(total) = item.total {
        out.push_str(&format!(" | {total} items"));
    }
    if let Some(d) = item.duration.as_ref().filter(|_| duration) {
        out.push_str(" | ");
        out.push_str(d);
    }
    if item.explicit {
        out.push_str(" | explicit");
    }
    out.push_str(" | ");
    out.push_str(&item.uri);
    out
}

fn section(out: &mut String, title: &str, items: &[Item]) {
    if items.is_empty() {
        return;
    }
    out.push_str(title);
    out.push_str(":\n");
    for item in items {
        out.push_str(&line_with(item, false));
        out.push('\n');
    }
}

impl Render for SearchResults {
    fn render(&self) -> String {
        let mut out = String::new();
        section(&mut out, "tracks", &self.tracks);
        section(&mut out, "albums", &self.albums);
        section(&mut out, "artists", &self.artists);
        section(&mut out, "playlists", &self.playlists);
        section(&mut out, "shows", &self.shows);
        section(&mut out, "episodes", &self.episodes);
        section(&mut out, "audiobooks", &self.audiobooks);
        if out.is_empty() {
            out.push_str("No results.");
        }
        out.trim_end().to_string()
    }
}

fn paging(out: &mut String, shown: usize, total: Option<u32>, next: Option<String>) {
    match (total, next) {
        (Some(total), Some(next)) => {
            out.push_str(&format!("({shown} of {total}; next page: offset {next})"))
        }
        (None, Some(next)) => out.push_str(&format!("(more: next = {next})")),
        (Some(total), None) => out.push_str(&format!("({shown} of {total})")),
        (None, None) => {}
    }
}

impl Render for Items {
    fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            out.push_str(&line(item));
            out.push('\n');
        }
        if self.items.is_empty() {
            out.push_str("No items.\n");
        }
        paging(&mut out, self.items.len(), self.total, self.next.clone());
        out.trim_end().to_string()
    }
}

impl Render for PlaylistItems {
    fn render(&self) -> String {
        let mut out = String::new();
        for entry in &self.items {
            out.push_str(&format!("{}. {}\n", entry.position, line(&entry.item)));
        }
        if self.items.is_empty() {
            out.push_str("No items.\n");
        }
        paging(
            &mut out,
            self.items.len(),
            self.total,
            self.next.map(|n| n.to_string()),
        );
        out.trim_end().to_string()
    }
}

impl Render for Queue {
    fn render(&self) -> String {
        let mut out = match &self.current {
            Some(item) => format!("Now: {}\n", line(item)),
            None => "Nothing is playing.\n".to_string(),
        };
        if self.queue.is_empty() {
            out.push_str("The queue is empty.");
        } else {
            out.push_str("Up next:\n");
            for (i, item) in self.queue.iter().enumerate() {
                out.push_str(&format!("{}. {}\n", i + 1, line(item)));
            }
        }
        out.trim_end().to_string()
    }
}

impl Render for RecentlyPlayed {
    fn render(&self) -> String {
        let mut out = String::new();
        for played in &self.items {
            out.push_str(&format!(
                "{} | played {}\n",
                line(&played.item),
                played.played_at
            ));
        }
        if self.items.is_empty() {
            out.push_str("Nothing played recently.\n");
        }
        if let Some(before) = &self.before {
            out.push_str(&format!("(older: before = {before})"));
        }
        out.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_line_has_what_people_ask_about() {
        let item = Item {
            artists: vec!["Radiohead".into()],
            album: Some("OK Computer".into()),
            year: Some(1997),
            ..Item::new("Karma Police", "spotify:track:63OQupATfueTdZMWTxzI6D")
                .with_duration(264_000)
        };
        assert_eq!(
            line(&item),
            "Karma Police - Radiohead | OK Computer (1997) | 4:24 | spotify:track:63OQupATfueTdZMWTxzI6D"
        );
    }

    #[test]
    fn lists_render_sections_and_paging() {
        let results = SearchResults {
            tracks: vec![Item::new("A", "spotify:track:a")],
            artists: vec![Item {
                genres: vec!["jazz".into()],
                ..Item::new("B", "spotify:artist:b")
            }],
            ..SearchResults::default()
        };
        assert_eq!(
            results.render(),
            "tracks:\nA | spotify:track:a\nartists:\nB | jazz | spotify:artist:b"
        );
        assert_eq!(SearchResults::default().render(), "No results.");
        let items = Items::paged(vec![Item::new("A", "u:a")], Some(5), 0);
        assert_eq!(items.render(), "A | u:a\n(1 of 5; next page: offset 1)");
    }

    #[test]
    fn structured_content_is_the_json_and_text_the_rendering() {
        let items = Items::paged(vec![Item::new("A", "u:a")], None, 0);
        let Ok(CallToolResponse::Complete(result)) = Listed(items).into_call_tool_result() else {
            panic!("expected a complete result")
        };
        assert_eq!(
            result.structured_content,
            Some(serde_json::json!({"items": [{"name": "A", "uri": "u:a"}]}))
        );
        assert_eq!(
            result.content[0].as_text().map(|t| t.text.as_str()),
            Some("A | u:a")
        );
        assert_eq!(result.is_error, Some(false));
    }
}
