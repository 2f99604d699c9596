//! Playback: devices, playback state, currently playing, queue, play history, and the bodies
//! and parameters of player commands.

use super::common::Context;
use super::de::null_default;
use super::show::Episode;
use super::track::Track;
use crate::spotify::ids::SpotifyId;
use serde::{Deserialize, Serialize};

/// A track or an episode (`oneOf` in the definition), told apart by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PlayableItem {
    Track(Box<Track>),
    Episode(Box<Episode>),
    /// An item type this client does not know (e.g. an ad); its fields are dropped.
    #[serde(other)]
    Unknown,
}

impl PlayableItem {
    /// The item's name, when known.
    pub fn name(&self) -> Option<&str> {
        match self {
            PlayableItem::Track(t) => Some(&t.name),
            PlayableItem::Episode(e) => Some(&e.name),
            PlayableItem::Unknown => None,
        }
    }

    /// The item's URI, when known.
    pub fn uri(&self) -> Option<&str> {
        match self {
            PlayableItem::Track(t) => Some(&t.uri),
            PlayableItem::Episode(e) => Some(&e.uri),
            PlayableItem::Unknown => None,
        }
    }

    /// Duration in milliseconds, when known.
    pub fn duration_ms(&self) -> Option<u64> {
        match self {
            PlayableItem::Track(t) => Some(t.duration_ms),
            PlayableItem::Episode(e) => Some(e.duration_ms),
            PlayableItem::Unknown => None,
        }
    }
}

/// `DeviceObject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Device {
    /// May be `null` for restricted devices.
    pub id: Option<String>,
    pub is_active: bool,
    pub is_private_session: bool,
    pub is_restricted: bool,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `computer`, `smartphone`, `speaker`, ...
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub device_type: String,
    pub volume_percent: Option<u32>,
    pub supports_volume: Option<bool>,
}

/// `{"devices": [...]}` of `GET /me/player/devices`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Devices {
    #[serde(deserialize_with = "null_default")]
    pub devices: Vec<Device>,
}

/// `DisallowsObject`: which actions are not possible now. Spotify has sent these both flat and
/// nested under `disallows`; both are read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Actions {
    pub interrupting_playback: Option<bool>,
    pub pausing: Option<bool>,
    pub resuming: Option<bool>,
    pub seeking: Option<bool>,
    pub skipping_next: Option<bool>,
    pub skipping_prev: Option<bool>,
    pub toggling_repeat_context: Option<bool>,
    pub toggling_shuffle: Option<bool>,
    pub toggling_repeat_track: Option<bool>,
    pub transferring_playback: Option<bool>,
    pub disallows: Option<Box<Actions>>,
}

/// `CurrentlyPlayingContextObject` (`GET /me/player`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaybackState {
    pub device: Option<Device>,
    /// `off`, `track` or `context`.
    #[serde(deserialize_with = "null_default")]
    pub repeat_state: String,
    pub shuffle_state: bool,
    pub context: Option<Context>,
    pub timestamp: i64,
    pub progress_ms: Option<u64>,
    pub is_playing: bool,
    pub item: Option<PlayableItem>,
    /// `track`, `episode`, `ad` or `unknown`.
    #[serde(deserialize_with = "null_default")]
    pub currently_playing_type: String,
    pub actions: Option<Actions>,
}

/// `CurrentlyPlayingObject` (`GET /me/player/currently-playing`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CurrentlyPlaying {
    pub context: Option<Context>,
    pub timestamp: i64,
    pub progress_ms: Option<u64>,
    pub is_playing: bool,
    pub item: Option<PlayableItem>,
    #[serde(deserialize_with = "null_default")]
    pub currently_playing_type: String,
    pub actions: Option<Actions>,
}

/// `QueueObject` (`GET /me/player/queue`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    pub currently_playing: Option<PlayableItem>,
    #[serde(deserialize_with = "super::de::skip_nulls")]
    pub queue: Vec<PlayableItem>,
}

/// `PlayHistoryObject` (`GET /me/player/recently-played`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlayHistory {
    pub track: Track,
    #[serde(deserialize_with = "null_default")]
    pub played_at: String,
    pub context: Option<Context>,
}

/// Repeat mode of `PUT /me/player/repeat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepeatState {
    /// Repeat the current track.
    Track,
    /// Repeat the current context (album, playlist ...).
    Context,
    /// No repeat.
    Off,
}

impl RepeatState {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RepeatState::Track => "track",
            RepeatState::Context => "context",
            RepeatState::Off => "off",
        }
    }
}

/// Where to start in a context (`offset` of `PUT /me/player/play`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayOffset {
    /// Zero-based index into the context.
    Position(u32),
    /// The URI of an item of the context.
    Uri(SpotifyId),
}

/// What to play (`PUT /me/player/play`). Empty = resume the current playback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayRequest {
    /// An album, artist, playlist, show or audiobook to play.
    pub context: Option<SpotifyId>,
    /// Tracks or episodes to play (instead of a context).
    pub uris: Vec<SpotifyId>,
    /// Where to start within the context (or within `uris`).
    pub offset: Option<PlayOffset>,
    /// Where to start within the first item, in milliseconds.
    pub position_ms: Option<u64>,
}

/// Cursor of `GET /me/player/recently-played`: Unix timestamps in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeCursor {
    /// Items played after this instant.
    After(i64),
    /// Items played before this instant.
    Before(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playable_item_is_told_apart_by_type() {
        let q: Queue = serde_json::from_str(
            r#"{"currently_playing":{"type":"track","name":"T","uri":"spotify:track:1","duration_ms":1000,
                  "album":{"name":"A"},"artists":[{"name":"X"}],"available_markets":["SE"]},
                "queue":[{"type":"episode","name":"E","uri":"spotify:episode:2","duration_ms":5,"show":{"name":"S"}},
                         {"type":"ad"}, null]}"#,
        )
        .unwrap();
        assert_eq!(
            q.currently_playing.as_ref().and_then(|i| i.name()),
            Some("T")
        );
        assert_eq!(q.queue.len(), 2);
        assert_eq!(q.queue[0].uri(), Some("spotify:episode:2"));
        assert_eq!(q.queue[1], PlayableItem::Unknown);
    }

    #[test]
    fn playback_state_tolerates_nulls_and_nested_disallows() {
        let s: PlaybackState = serde_json::from_str(
            r#"{"device":{"id":null,"is_active":true,"name":"Kitchen","type":"Speaker","volume_percent":null},
                "repeat_state":"off","shuffle_state":false,"context":null,"timestamp":1,"progress_ms":null,
                "is_playing":false,"item":null,"currently_playing_type":"unknown",
                "actions":{"disallows":{"resuming":true}}}"#,
        )
        .unwrap();
        assert_eq!(s.device.as_ref().map(|d| d.name.as_str()), Some("Kitchen"));
        assert_eq!(
            s.actions.and_then(|a| a.disallows).and_then(|d| d.resuming),
            Some(true)
        );
    }
}
