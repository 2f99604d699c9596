//! Toolsets: named groups of tools that `--toolsets` selects, and the options that shape the
//! tool surface a client sees.

use std::fmt;
use std::str::FromStr;

/// A named group of tools. Names are lowercase on the command line and in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Toolset {
    /// Player state and control: devices, transfer, play/pause/skip/seek, volume, modes, queue.
    Playback,
    /// Catalog search over every item type.
    Search,
    /// Details of one catalog item and its children (album tracks, artist albums, ...).
    Catalog,
    /// The user's library (`/me/library`, saved items) and followed artists.
    Library,
    /// The user's playlists: read, create, edit items, covers.
    Playlists,
    /// The user's profile and top items.
    Profile,
    /// Tools that combine several calls (search-and-play, playlist from queries).
    Composite,
    /// Endpoints only extended-quota apps still have (opt-in).
    Extended,
}

impl Toolset {
    /// Every toolset, in display order.
    pub const ALL: [Toolset; 8] = [
        Toolset::Playback,
        Toolset::Search,
        Toolset::Catalog,
        Toolset::Library,
        Toolset::Playlists,
        Toolset::Profile,
        Toolset::Composite,
        Toolset::Extended,
    ];

    /// The toolsets enabled when `--toolsets` is not given: all but `extended`.
    pub fn defaults() -> Vec<Toolset> {
        Self::ALL
            .into_iter()
            .filter(|t| *t != Toolset::Extended)
            .collect()
    }

    /// The lowercase name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Toolset::Playback => "playback",
            Toolset::Search => "search",
            Toolset::Catalog => "catalog",
            Toolset::Library => "library",
            Toolset::Playlists => "playlists",
            Toolset::Profile => "profile",
            Toolset::Composite => "composite",
            Toolset::Extended => "extended",
        }
    }

    /// Parses a comma-separated list such as `playback,search`. `default` stands for the
    /// default set and `all` for every toolset; duplicates are removed, order is canonical.
    pub fn parse_list(list: &str) -> Result<Vec<Toolset>, UnknownToolset> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "all" => out.extend(Self::ALL),
                "default" => out.extend(Self::defaults()),
                _ => out.push(part.parse()?),
            }
        }
        if out.is_empty() {
            return Err(UnknownToolset(list.to_string()));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

impl fmt::Display for Toolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A toolset name that is not one of [`Toolset::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown toolset `{0}`: expected a comma-separated list of playback, search, catalog, \
     library, playlists, profile, composite, extended (or `default`, `all`)"
)]
pub struct UnknownToolset(pub String);

impl FromStr for Toolset {
    type Err = UnknownToolset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| UnknownToolset(s.to_string()))
    }
}

/// What the MCP surface exposes: which toolsets, and whether only read-only tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOptions {
    /// Enabled toolsets (default: all but `extended`).
    pub toolsets: Vec<Toolset>,
    /// Expose only tools whose `readOnlyHint` is true.
    pub read_only: bool,
    /// How often a subscribed resource is re-read from Spotify.
    pub subscription_poll: std::time::Duration,
    /// Hosted mode: every request must carry a signed-in user, and acts for that user only.
    pub hosted: bool,
}

impl Default for McpOptions {
    fn default() -> Self {
        Self {
            toolsets: Toolset::defaults(),
            read_only: false,
            subscription_poll: DEFAULT_SUBSCRIPTION_POLL,
            hosted: false,
        }
    }
}

/// Default of [`McpOptions::subscription_poll`] (`--subscription-poll-ms`).
pub const DEFAULT_SUBSCRIPTION_POLL: std::time::Duration = std::time::Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Toolset::ALL {
            assert_eq!(t.to_string().parse::<Toolset>(), Ok(t));
            assert_eq!(t.to_string(), t.to_string().to_lowercase());
        }
        assert_eq!("  PlayBack ".parse::<Toolset>(), Ok(Toolset::Playback));
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = "podcasts".parse::<Toolset>().unwrap_err();
        assert_eq!(err, UnknownToolset("podcasts".into()));
        assert!(err.to_string().contains("unknown toolset `podcasts`"));
        assert!(err.to_string().contains("extended"));
    }

    #[test]
    fn defaults_are_all_but_extended() {
        let d = Toolset::defaults();
        assert_eq!(d.len(), 7);
        assert!(!d.contains(&Toolset::Extended));
        assert_eq!(McpOptions::default().toolsets, d);
        assert!(!McpOptions::default().read_only);
    }

    #[test]
    fn parse_list_handles_keywords_duplicates_and_errors() {
        assert_eq!(
            Toolset::parse_list("search, playback,search").unwrap(),
            vec![Toolset::Playback, Toolset::Search]
        );
        assert_eq!(Toolset::parse_list("all").unwrap(), Toolset::ALL.to_vec());
        let mut with_ext = Toolset::defaults();
        with_ext.push(Toolset::Extended);
        assert_eq!(Toolset::parse_list("default,extended").unwrap(), with_ext);
        assert!(Toolset::parse_list("playback,nope").is_err());
        assert!(Toolset::parse_list(" , ").is_err());
    }
}
