//! Serde models of the Web API's JSON, one module per domain, faithful to
//! `spotify-openapi.yml` (May 2026).
//!
//! Decoding is deliberately lenient: unknown fields are ignored, every field Spotify removed
//! or deprecated in 2024/2026 (`available_markets`, `popularity`, `followers`, `genres`,
//! `country`, `email`, `product`, `publisher`, `label`, `preview_url`, ...) is an `Option`, and
//! fields that Spotify documents as required but sometimes sends as `null` (images,
//! descriptions) decode to their default instead of failing the whole response.
//!
//! These are our own types rather than `rspotify::model`: rspotify 0.16 predates the 2026
//! changes (it requires `popularity`, reads playlist entries from `track` instead of `item`,
//! and has no `/me/library` types).

pub mod album;
pub mod artist;
pub mod audiobook;
pub mod common;
pub mod extended;
pub mod player;
pub mod playlist;
pub mod search;
pub mod show;
pub mod track;
pub mod user;

pub use album::*;
pub use artist::*;
pub use audiobook::*;
pub use common::*;
pub use extended::*;
pub use player::*;
pub use playlist::*;
pub use search::*;
pub use show::*;
pub use track::*;
pub use user::*;

/// Serde helpers shared by the models.
pub(crate) mod de {
    use serde::{Deserialize, Deserializer};

    /// Decode `null` as the type's default (Spotify sends `"images": null` on some playlists).
    pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Default + Deserialize<'de>,
    {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
    }

    /// Decode a list dropping `null` entries (search answers contain them for removed items).
    pub fn skip_nulls<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let items: Option<Vec<Option<T>>> = Option::deserialize(deserializer)?;
        Ok(items.unwrap_or_default().into_iter().flatten().collect())
    }
}
