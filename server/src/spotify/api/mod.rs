//! Typed calls of the Web API, one module per domain; each method names its endpoint.
//!
//! Inputs are checked before anything is sent (kinds of IDs, page sizes, list lengths), so a
//! bad argument gets a specific [`SpotifyError::InvalidArgument`] instead of a Spotify 400.

pub mod catalog;
pub mod extended;
pub mod library;
pub mod player;
pub mod playlists;
pub mod search;
pub mod users;

use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};

/// Offset paging of list endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    /// Items per page (endpoint-specific bounds, usually 1..=50).
    pub limit: Option<u32>,
    /// Index of the first item.
    pub offset: Option<u32>,
}

impl Page {
    pub fn new(limit: u32, offset: u32) -> Self {
        Self {
            limit: Some(limit),
            offset: Some(offset),
        }
    }
}

/// Check a page size against the endpoint's bounds.
pub(crate) fn check_limit(
    limit: Option<u32>,
    min: u32,
    max: u32,
) -> Result<Option<u32>, SpotifyError> {
    match limit {
        Some(l) if l < min || l > max => Err(SpotifyError::invalid(format!(
            "limit must be between {min} and {max}, got {l}"
        ))),
        other => Ok(other),
    }
}

/// Check an offset against an upper bound.
pub(crate) fn check_offset(offset: Option<u32>, max: u32) -> Result<Option<u32>, SpotifyError> {
    match offset {
        Some(o) if o > max => Err(SpotifyError::invalid(format!(
            "offset must be at most {max}, got {o}"
        ))),
        other => Ok(other),
    }
}

/// Check a market: an ISO 3166-1 alpha-2 code or `from_token`.
pub(crate) fn check_market(market: Option<&str>) -> Result<Option<String>, SpotifyError> {
    match market.map(str::trim) {
        None | Some("") => Ok(None),
        Some("from_token") => Ok(Some("from_token".into())),
        Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(m.to_ascii_uppercase()))
        }
        Some(m) => Err(SpotifyError::invalid(format!(
            "market must be a two-letter country code such as US or DE (or from_token), got `{}`",
            m.chars().take(20).collect::<String>()
        ))),
    }
}

/// The bare ID of `id`, which must be of `kind`.
pub(crate) fn id_of(id: &SpotifyId, kind: ItemKind) -> Result<&str, SpotifyError> {
    if id.kind() == kind {
        Ok(id.id())
    } else {
        Err(SpotifyError::invalid(format!(
            "expected a {kind} but got a {} ({id})",
            id.kind()
        )))
    }
}

/// Check a list's length and that all its items are of allowed kinds.
pub(crate) fn check_ids(
    ids: &[SpotifyId],
    max: usize,
    kinds: &[ItemKind],
    what: &str,
) -> Result<(), SpotifyError> {
    if ids.is_empty() {
        return Err(SpotifyError::invalid(format!("give at least one {what}")));
    }
    if ids.len() > max {
        return Err(SpotifyError::invalid(format!(
            "at most {max} {what}s per call, got {}",
            ids.len()
        )));
    }
    if let Some(bad) = ids.iter().find(|id| !kinds.contains(&id.kind())) {
        let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        return Err(SpotifyError::invalid(format!(
            "{bad} is a {}, but only {} are accepted here",
            bad.kind(),
            allowed.join(", ")
        )));
    }
    Ok(())
}

/// Comma-joined bare IDs.
pub(crate) fn join_ids(ids: &[SpotifyId]) -> String {
    ids.iter().map(SpotifyId::id).collect::<Vec<_>>().join(",")
}

/// Comma-joined URIs.
pub(crate) fn join_uris(ids: &[SpotifyId]) -> String {
    ids.iter().map(SpotifyId::uri).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_checks() {
        assert!(check_limit(Some(0), 1, 50).is_err());
        assert!(check_limit(Some(51), 1, 50).is_err());
        assert_eq!(check_limit(Some(50), 1, 50).unwrap(), Some(50));
        assert_eq!(check_limit(None, 1, 50).unwrap(), None);
        assert!(check_offset(Some(1001), 1000).is_err());
        assert_eq!(check_market(Some("de")).unwrap().as_deref(), Some("DE"));
        assert_eq!(check_market(Some("")).unwrap(), None);
        assert!(check_market(Some("Germany")).is_err());
        let track = SpotifyId::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC").unwrap();
        let album = SpotifyId::parse("spotify:album:4uLU6hMCjMI75M1A2tKUQC").unwrap();
        assert_eq!(
            id_of(&track, ItemKind::Track).unwrap(),
            "4uLU6hMCjMI75M1A2tKUQC"
        );
        assert!(id_of(&album, ItemKind::Track).is_err());
        assert!(check_ids(&[], 5, &[ItemKind::Track], "track").is_err());
        assert!(
            check_ids(
                &[track.clone(), album.clone()],
                5,
                &[ItemKind::Track],
                "track"
            )
            .is_err()
        );
        assert!(check_ids(&vec![track.clone(); 6], 5, &[ItemKind::Track], "track").is_err());
        assert_eq!(
            join_uris(&[track.clone(), album]),
            "spotify:track:4uLU6hMCjMI75M1A2tKUQC,spotify:album:4uLU6hMCjMI75M1A2tKUQC"
        );
        assert_eq!(join_ids(&[track]), "4uLU6hMCjMI75M1A2tKUQC");
    }
}
