//! Spotify identifiers: URIs (`spotify:track:ID`), bare base62 IDs and `open.spotify.com` links.
//!
//! Every tool accepts all three spellings; [`SpotifyId::parse`] and friends turn them into one
//! typed value ([`SpotifyId`]) whose [`SpotifyId::uri`] is what the Web API expects.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The kind of a Spotify item, as it appears in URIs and links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Track,
    Album,
    Artist,
    Playlist,
    Show,
    Episode,
    Audiobook,
    Chapter,
    User,
}

impl ItemKind {
    /// Every kind, in a stable order.
    pub const ALL: [ItemKind; 9] = [
        ItemKind::Track,
        ItemKind::Album,
        ItemKind::Artist,
        ItemKind::Playlist,
        ItemKind::Show,
        ItemKind::Episode,
        ItemKind::Audiobook,
        ItemKind::Chapter,
        ItemKind::User,
    ];

    /// The lowercase name used in URIs (`track`, `album`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Track => "track",
            ItemKind::Album => "album",
            ItemKind::Artist => "artist",
            ItemKind::Playlist => "playlist",
            ItemKind::Show => "show",
            ItemKind::Episode => "episode",
            ItemKind::Audiobook => "audiobook",
            ItemKind::Chapter => "chapter",
            ItemKind::User => "user",
        }
    }

    /// Whether it can be played directly (`uris` of play, queue, playlist items).
    pub fn is_playable_item(self) -> bool {
        matches!(self, ItemKind::Track | ItemKind::Episode)
    }

    /// Whether it can be a playback context (`context_uri` of play).
    pub fn is_context(self) -> bool {
        matches!(
            self,
            ItemKind::Album
                | ItemKind::Artist
                | ItemKind::Playlist
                | ItemKind::Show
                | ItemKind::Audiobook
        )
    }

    /// Whether `/me/library` accepts it (save / remove / contains).
    pub fn is_library_kind(self) -> bool {
        !matches!(self, ItemKind::Chapter)
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ItemKind {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == lower)
            .ok_or_else(|| IdError::UnknownKind { kind: truncate(s) })
    }
}

/// Why an input is not a usable Spotify ID, URI or link.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error(
        "empty Spotify ID: give a Spotify URI (spotify:track:ID), an open.spotify.com link or a 22-character ID"
    )]
    Empty,
    #[error(
        "unknown Spotify item type `{kind}`: expected one of track, album, artist, playlist, show, episode, audiobook, chapter, user"
    )]
    UnknownKind { kind: String },
    #[error("`{input}` is not a valid Spotify {kind} ID: expected 22 characters from [0-9A-Za-z]")]
    InvalidId { kind: ItemKind, input: String },
    #[error(
        "`{input}` is not a Spotify URI, open.spotify.com link or ID (examples: spotify:track:4uLU6hMCjMI75M1A2tKUQC, https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC)"
    )]
    Unrecognized { input: String },
    #[error(
        "`{input}` is a bare ID; say which kind of item it is, or pass a URI such as spotify:{example}:{input}"
    )]
    AmbiguousBareId { input: String, example: ItemKind },
    #[error("expected a {expected} but got a {actual} (`{input}`)")]
    WrongKind {
        expected: String,
        actual: ItemKind,
        input: String,
    },
    #[error(
        "local files (spotify:local:...) exist only on one device and cannot be used through the Web API"
    )]
    LocalFile,
    #[error(
        "short links (spotify.link/...) must be opened once to get the full open.spotify.com link; pass that link instead"
    )]
    ShortLink,
}

/// A typed Spotify ID: its kind plus the ID proper.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpotifyId {
    kind: ItemKind,
    id: String,
}

impl SpotifyId {
    /// Build from a kind and a bare ID, validating the ID's alphabet and length.
    pub fn new(kind: ItemKind, id: &str) -> Result<Self, IdError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(IdError::Empty);
        }
        if valid_id(kind, id) {
            Ok(Self {
                kind,
                id: id.to_owned(),
            })
        } else {
            Err(IdError::InvalidId {
                kind,
                input: truncate(id),
            })
        }
    }

    /// Parse a URI (`spotify:track:ID`) or an `open.spotify.com` link. A bare ID is
    /// rejected because its kind is unknown: use [`SpotifyId::parse_as`] for that.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(IdError::Empty);
        }
        if let Some(parsed) = parse_qualified(input)? {
            return Ok(parsed);
        }
        if is_base62_22(input) {
            return Err(IdError::AmbiguousBareId {
                input: input.to_owned(),
                example: ItemKind::Track,
            });
        }
        Err(IdError::Unrecognized {
            input: truncate(input),
        })
    }

    /// Parse a URI, link or bare ID that must be of `kind`.
    pub fn parse_as(input: &str, kind: ItemKind) -> Result<Self, IdError> {
        Self::parse_one_of(input, &[kind])
    }

    /// Parse a URI, link or bare ID whose kind must be one of `kinds`. A bare ID is accepted
    /// only when `kinds` names exactly one kind (otherwise the kind would be a guess).
    pub fn parse_one_of(input: &str, kinds: &[ItemKind]) -> Result<Self, IdError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(IdError::Empty);
        }
        let expected = || {
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match parse_qualified(input)? {
            Some(parsed) if kinds.is_empty() || kinds.contains(&parsed.kind) => Ok(parsed),
            Some(parsed) => Err(IdError::WrongKind {
                expected: expected(),
                actual: parsed.kind,
                input: truncate(input),
            }),
            None => match kinds {
                [only] => Self::new(*only, input),
                _ if is_base62_22(input) => Err(IdError::AmbiguousBareId {
                    input: input.to_owned(),
                    example: kinds.first().copied().unwrap_or(ItemKind::Track),
                }),
                _ => Err(IdError::Unrecognized {
                    input: truncate(input),
                }),
            },
        }
    }

    /// The item kind.
    pub fn kind(&self) -> ItemKind {
        self.kind
    }

    /// The bare ID (what path parameters take).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The Spotify URI, e.g. `spotify:track:4uLU6hMCjMI75M1A2tKUQC`.
    pub fn uri(&self) -> String {
        format!("spotify:{}:{}", self.kind.as_str(), self.id)
    }

    /// The `open.spotify.com` link.
    pub fn url(&self) -> String {
        format!(
            "https://open.spotify.com/{}/{}",
            self.kind.as_str(),
            self.id
        )
    }
}

impl fmt::Display for SpotifyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spotify:{}:{}", self.kind.as_str(), self.id)
    }
}

impl FromStr for SpotifyId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for SpotifyId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SpotifyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        SpotifyId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Parse the self-describing forms (URI, link). `Ok(None)` means "looks like neither".
fn parse_qualified(input: &str) -> Result<Option<SpotifyId>, IdError> {
    if let Some(rest) = strip_prefix_ci(input, "spotify:") {
        return parse_uri_body(input, rest).map(Some);
    }
    let lower = input.to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    if without_scheme.starts_with("spotify.link/")
        || without_scheme.starts_with("spotify.app.link/")
    {
        return Err(IdError::ShortLink);
    }
    if without_scheme.starts_with("open.spotify.com/")
        || without_scheme.starts_with("play.spotify.com/")
    {
        return parse_link(input).map(Some);
    }
    Ok(None)
}

fn parse_uri_body(input: &str, rest: &str) -> Result<SpotifyId, IdError> {
    let parts: Vec<&str> = rest.split(':').collect();
    match parts.as_slice() {
        [kind, ..] if kind.eq_ignore_ascii_case("local") => Err(IdError::LocalFile),
        // Legacy playlist URIs: spotify:user:NAME:playlist:ID
        [user, _, playlist, id]
            if user.eq_ignore_ascii_case("user") && playlist.eq_ignore_ascii_case("playlist") =>
        {
            SpotifyId::new(ItemKind::Playlist, id)
        }
        [kind, id] => {
            let kind: ItemKind = kind.parse()?;
            SpotifyId::new(kind, id)
        }
        _ => Err(IdError::Unrecognized {
            input: truncate(input),
        }),
    }
}

fn parse_link(input: &str) -> Result<SpotifyId, IdError> {
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let unrecognized = || IdError::Unrecognized {
        input: truncate(input),
    };
    let url = url::Url::parse(&with_scheme).map_err(|_| unrecognized())?;
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|seg| !seg.is_empty()).collect())
        .unwrap_or_default();
    // Locale prefix (`intl-de`, `intl-pt-br`) and the embed player (`embed/track/ID`).
    if segments
        .first()
        .is_some_and(|s| s.to_ascii_lowercase().starts_with("intl-"))
    {
        segments.remove(0);
    }
    if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("embed"))
    {
        segments.remove(0);
    }
    match segments.as_slice() {
        // Legacy: /user/NAME/playlist/ID
        [user, _, playlist, id]
            if user.eq_ignore_ascii_case("user") && playlist.eq_ignore_ascii_case("playlist") =>
        {
            SpotifyId::new(ItemKind::Playlist, id)
        }
        [kind, id] => {
            let kind: ItemKind = kind.parse().map_err(|_| unrecognized())?;
            SpotifyId::new(kind, id)
        }
        _ => Err(unrecognized()),
    }
}

fn strip_prefix_ci<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    if input.len() >= prefix.len()
        && input.is_char_boundary(prefix.len())
        && input[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&input[prefix.len()..])
    } else {
        None
    }
}

fn is_base62_22(s: &str) -> bool {
    s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// User IDs are usernames (older accounts) or base62 strings: letters, digits, `.`, `_`, `-`.
/// Not only dots: `.` and `..` are path segments, so `/users/../playlists` would reach another
/// endpoint, and their open.spotify.com link would not point at a user.
fn valid_id(kind: ItemKind, id: &str) -> bool {
    match kind {
        ItemKind::User => {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                && !id.bytes().all(|b| b == b'.')
        }
        _ => is_base62_22(id),
    }
}

/// Keep error messages short when someone pastes a page of text.
fn truncate(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACK: &str = "4uLU6hMCjMI75M1A2tKUQC";

    #[test]
    fn parses_uris_of_every_kind() {
        for kind in ItemKind::ALL {
            let id = SpotifyId::parse(&format!("spotify:{kind}:{TRACK}")).unwrap();
            assert_eq!(id.kind(), kind);
            assert_eq!(id.id(), TRACK);
            assert_eq!(id.uri(), format!("spotify:{kind}:{TRACK}"));
        }
    }

    #[test]
    fn parses_uri_case_insensitively_for_scheme_and_kind_but_keeps_id_case() {
        let id = SpotifyId::parse("Spotify:TRACK:4uLU6hMCjMI75M1A2tKUQC").unwrap();
        assert_eq!(id.kind(), ItemKind::Track);
        assert_eq!(id.id(), TRACK);
    }

    #[test]
    fn parses_links_with_locale_query_and_trailing_slash() {
        let cases = [
            format!("https://open.spotify.com/track/{TRACK}"),
            format!("https://open.spotify.com/track/{TRACK}?si=abc123&context=x"),
            format!("https://open.spotify.com/intl-de/track/{TRACK}?si=1"),
            format!("https://open.spotify.com/intl-pt-br/track/{TRACK}"),
            format!("http://open.spotify.com/track/{TRACK}/"),
            format!("open.spotify.com/track/{TRACK}"),
            format!("https://open.spotify.com/embed/track/{TRACK}"),
            format!("https://open.spotify.com/track/{TRACK}#fragment"),
            format!("  https://open.spotify.com/track/{TRACK}  "),
        ];
        for case in cases {
            let id = SpotifyId::parse(&case).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(
                id,
                SpotifyId::new(ItemKind::Track, TRACK).unwrap(),
                "{case}"
            );
        }
    }

    #[test]
    fn parses_links_of_every_kind() {
        for kind in ItemKind::ALL {
            let id =
                SpotifyId::parse(&format!("https://open.spotify.com/{kind}/{TRACK}?si=x")).unwrap();
            assert_eq!(id.kind(), kind);
            assert_eq!(id.url(), format!("https://open.spotify.com/{kind}/{TRACK}"));
        }
    }

    #[test]
    fn parses_user_ids_that_are_usernames() {
        let id = SpotifyId::parse("spotify:user:smedjan").unwrap();
        assert_eq!(id.kind(), ItemKind::User);
        assert_eq!(id.id(), "smedjan");
        let id = SpotifyId::parse("https://open.spotify.com/user/john.doe_1-2?si=x").unwrap();
        assert_eq!(id.id(), "john.doe_1-2");
    }

    /// Found by the spotify_ids fuzzer: `spotify:user:.` was a valid user, whose link did not
    /// parse back and whose API path `/users/./playlists` (or `/users/../playlists`) is another
    /// endpoint.
    #[test]
    fn user_ids_of_only_dots_are_refused() {
        for input in ["spotify:user:.", "spotify:user:..", "spotify:user:...."] {
            assert!(
                matches!(SpotifyId::parse(input), Err(IdError::InvalidId { .. })),
                "{input}"
            );
        }
        assert!(SpotifyId::new(ItemKind::User, "..").is_err());
        assert_eq!(SpotifyId::parse("spotify:user:a.b").unwrap().id(), "a.b");
        assert_eq!(SpotifyId::parse("spotify:user:.x").unwrap().id(), ".x");
    }

    #[test]
    fn parses_legacy_user_playlist_forms() {
        let pl = "37i9dQZF1DXcBWIGoYBM5M";
        let id = SpotifyId::parse(&format!("spotify:user:spotify:playlist:{pl}")).unwrap();
        assert_eq!((id.kind(), id.id()), (ItemKind::Playlist, pl));
        let id = SpotifyId::parse(&format!(
            "https://open.spotify.com/user/spotify/playlist/{pl}"
        ))
        .unwrap();
        assert_eq!((id.kind(), id.id()), (ItemKind::Playlist, pl));
    }

    #[test]
    fn bare_ids_need_a_kind_hint() {
        assert!(matches!(
            SpotifyId::parse(TRACK),
            Err(IdError::AmbiguousBareId { .. })
        ));
        let id = SpotifyId::parse_as(TRACK, ItemKind::Album).unwrap();
        assert_eq!(id.uri(), format!("spotify:album:{TRACK}"));
        let err =
            SpotifyId::parse_one_of(TRACK, &[ItemKind::Track, ItemKind::Episode]).unwrap_err();
        assert!(matches!(err, IdError::AmbiguousBareId { .. }));
        assert!(err.to_string().contains("spotify:track:"));
    }

    #[test]
    fn kind_hint_rejects_a_uri_of_another_kind() {
        let err =
            SpotifyId::parse_as(&format!("spotify:album:{TRACK}"), ItemKind::Track).unwrap_err();
        assert_eq!(
            err,
            IdError::WrongKind {
                expected: "track".into(),
                actual: ItemKind::Album,
                input: format!("spotify:album:{TRACK}")
            }
        );
        let ok = SpotifyId::parse_one_of(
            &format!("https://open.spotify.com/episode/{TRACK}"),
            &[ItemKind::Track, ItemKind::Episode],
        )
        .unwrap();
        assert_eq!(ok.kind(), ItemKind::Episode);
        let err = SpotifyId::parse_one_of(
            &format!("spotify:album:{TRACK}"),
            &[ItemKind::Track, ItemKind::Episode],
        )
        .unwrap_err();
        assert!(err.to_string().contains("track or episode"), "{err}");
    }

    #[test]
    fn rejects_bad_inputs_with_specific_errors() {
        assert_eq!(SpotifyId::parse(""), Err(IdError::Empty));
        assert_eq!(SpotifyId::parse("   "), Err(IdError::Empty));
        assert_eq!(
            SpotifyId::parse_as(" ", ItemKind::Track),
            Err(IdError::Empty)
        );
        assert!(matches!(
            SpotifyId::parse("spotify:song:4uLU6hMCjMI75M1A2tKUQC"),
            Err(IdError::UnknownKind { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:track:short"),
            Err(IdError::InvalidId {
                kind: ItemKind::Track,
                ..
            })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQ!"),
            Err(IdError::InvalidId { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQCX"),
            Err(IdError::InvalidId { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:track"),
            Err(IdError::Unrecognized { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:track:a:b"),
            Err(IdError::Unrecognized { .. })
        ));
        assert_eq!(
            SpotifyId::parse("spotify:local:Artist:Album:Title:180"),
            Err(IdError::LocalFile)
        );
        assert_eq!(
            SpotifyId::parse("https://spotify.link/abcdef"),
            Err(IdError::ShortLink)
        );
        assert!(matches!(
            SpotifyId::parse("https://open.spotify.com/"),
            Err(IdError::Unrecognized { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("https://open.spotify.com/genre/4uLU6hMCjMI75M1A2tKUQC"),
            Err(IdError::Unrecognized { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("https://example.com/track/4uLU6hMCjMI75M1A2tKUQC"),
            Err(IdError::Unrecognized { .. })
        ));
        assert!(matches!(
            SpotifyId::parse("never gonna give you up"),
            Err(IdError::Unrecognized { .. })
        ));
        assert!(matches!(
            SpotifyId::parse_as("not an id", ItemKind::Track),
            Err(IdError::InvalidId {
                kind: ItemKind::Track,
                ..
            })
        ));
        assert!(matches!(
            SpotifyId::parse("spotify:user:bad user"),
            Err(IdError::InvalidId { .. })
        ));
    }

    #[test]
    fn non_ascii_and_huge_inputs_do_not_panic_and_are_truncated_in_errors() {
        let long = "ü".repeat(10_000);
        let err = SpotifyId::parse(&long).unwrap_err();
        assert!(err.to_string().chars().count() < 400);
        assert!(SpotifyId::parse("spötify:track:x").is_err());
        assert!(SpotifyId::parse("spotify:trück:4uLU6hMCjMI75M1A2tKUQC").is_err());
        assert!(SpotifyId::parse_as("ääääääääääääääääääääää", ItemKind::Track).is_err());
    }

    #[test]
    fn display_fromstr_and_serde_round_trip() {
        let id: SpotifyId = format!("spotify:show:{TRACK}").parse().unwrap();
        assert_eq!(id.to_string(), format!("spotify:show:{TRACK}"));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<SpotifyId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<SpotifyId>("\"nope\"").is_err());
    }

    #[test]
    fn kind_helpers() {
        assert_eq!("Playlist".parse::<ItemKind>().unwrap(), ItemKind::Playlist);
        assert!("podcast".parse::<ItemKind>().is_err());
        assert!(ItemKind::Track.is_playable_item() && ItemKind::Episode.is_playable_item());
        assert!(!ItemKind::Album.is_playable_item());
        assert!(ItemKind::Album.is_context() && !ItemKind::Track.is_context());
        assert!(!ItemKind::Chapter.is_library_kind() && ItemKind::Artist.is_library_kind());
    }
}
