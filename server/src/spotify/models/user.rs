//! Users: `PrivateUserObject` (`GET /me`), top items time ranges.

use super::common::{ExternalUrls, Followers, Image};
use super::de::null_default;
use serde::{Deserialize, Serialize};

/// `ExplicitContentSettingsObject` (removed in 2026).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExplicitContent {
    pub filter_enabled: bool,
    pub filter_locked: bool,
}

/// `PrivateUserObject`. `country`, `email`, `product`, `followers`, `explicit_content` were
/// removed in 2026.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivateUser {
    pub account_id: Option<String>,
    pub country: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub explicit_content: Option<ExplicitContent>,
    pub external_urls: ExternalUrls,
    pub followers: Option<Followers>,
    pub href: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub images: Vec<Image>,
    /// `premium`, `free`, ... (removed in 2026).
    pub product: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub uri: String,
}

/// `time_range` of `GET /me/top/{type}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeRange {
    /// About the last four weeks.
    ShortTerm,
    /// About the last six months (Spotify's default).
    #[default]
    MediumTerm,
    /// About a year.
    LongTerm,
}

impl TimeRange {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeRange::ShortTerm => "short_term",
            TimeRange::MediumTerm => "medium_term",
            TimeRange::LongTerm => "long_term",
        }
    }
}
