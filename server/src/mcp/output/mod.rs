//! Compact output types the tools return as structured content.
//!
//! Every type carries the fields people ask about (name, URI, artists, album, duration in
//! milliseconds — `m:ss` in the text renderings of lists —, release year, ...) and never raw
//! Spotify JSON: no
//! `available_markets`, no image arrays, no `external_urls`. Optional fields are skipped when
//! absent so both the text content and the output schemas stay small.

mod catalog;
mod convert;
mod playback;
mod text;
mod user;

pub use catalog::*;
pub use convert::{items, playable};
pub use playback::*;
pub use text::{Listed, Render};
pub use user::*;

use schemars::JsonSchema;
use serde::Serialize;

/// A short confirmation of a change.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Ack {
    /// What was done.
    pub message: String,
}

impl Ack {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Formats a duration in milliseconds as `m:ss`, or `h:mm:ss` from one hour on.
pub fn format_duration(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The year of a Spotify release date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), if it has one.
pub fn release_year(date: &str) -> Option<i32> {
    let year = date.get(..4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    (year > 0).then_some(year)
}

/// Shortens free text (descriptions) to at most `max` characters, on a char boundary.
pub fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
    }
}

/// `None` for an empty or whitespace-only string.
pub fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0:00");
        assert_eq!(format_duration(59_999), "0:59");
        assert_eq!(format_duration(225_000), "3:45");
        assert_eq!(format_duration(3_600_000), "1:00:00");
        assert_eq!(format_duration(3_723_000), "1:02:03");
    }

    #[test]
    fn years() {
        assert_eq!(release_year("1997-05-21"), Some(1997));
        assert_eq!(release_year("1997-05"), Some(1997));
        assert_eq!(release_year("1997"), Some(1997));
        assert_eq!(release_year("0000"), None);
        assert_eq!(release_year("97"), None);
        assert_eq!(release_year("abcd-01-01"), None);
        assert_eq!(release_year(""), None);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééééé", 3), "ééé…");
        assert_eq!(truncate("  a b c  ", 3), "a b…");
    }
}
