//! Playlists: mine, details, items (`/playlists/{id}/items`, entries under `item`), create
//! (`POST /me/playlists`), change details, add / remove / reorder / replace items, cover.
//! Reading items and every write need a playlist the user owns or collaborates on.

use super::{Page, check_ids, check_limit, check_market, id_of};
use crate::spotify::cache::{CacheClass, Invalidation};
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{
    Image, Paging, Playlist, PlaylistDetails, PlaylistItem, ReorderItems, SimplifiedPlaylist,
    SnapshotId,
};
use crate::spotify::pipeline::ApiRequest;
use base64::Engine;
use serde_json::json;

/// Spotify's cap on items per add / remove / replace call.
pub const PLAYLIST_MAX_ITEMS: usize = 100;
/// Spotify's cap on a custom cover: 256 KB of base64-encoded JPEG.
pub const COVER_MAX_BASE64_BYTES: usize = 256 * 1024;

const PLAYABLE: [ItemKind; 2] = [ItemKind::Track, ItemKind::Episode];

fn playlist_id(id: &SpotifyId) -> Result<&str, SpotifyError> {
    id_of(id, ItemKind::Playlist)
}

fn check_details(details: &PlaylistDetails, creating: bool) -> Result<(), SpotifyError> {
    if let Some(name) = &details.name
        && name.trim().is_empty()
    {
        return Err(SpotifyError::invalid("the playlist name must not be empty"));
    }
    if creating && details.name.is_none() {
        return Err(SpotifyError::invalid("a new playlist needs a name"));
    }
    if !creating
        && details.name.is_none()
        && details.public.is_none()
        && details.collaborative.is_none()
        && details.description.is_none()
    {
        return Err(SpotifyError::invalid(
            "nothing to change: give a name, description, public or collaborative",
        ));
    }
    if details.collaborative == Some(true) && details.public == Some(true) {
        return Err(SpotifyError::invalid(
            "a collaborative playlist cannot be public",
        ));
    }
    if let Some(d) = &details.description
        && d.chars().count() > 300
    {
        return Err(SpotifyError::invalid(
            "the description must be at most 300 characters",
        ));
    }
    Ok(())
}

impl SpotifyClient {
    /// `GET /me/playlists` (limit 1..=50): playlists the user owns or follows.
    pub async fn get_my_playlists(
        &self,
        page: Page,
    ) -> Result<Paging<SimplifiedPlaylist>, SpotifyError> {
        let req = ApiRequest::get("/me/playlists", "/me/playlists")
            .query_opt("limit", check_limit(page.limit, 1, 50)?)
            .query_opt("offset", page.offset)
            .cache(CacheClass::Playlist);
        self.json(req).await
    }

    /// `GET /playlists/{playlist_id}` (`fields` filter optional).
    pub async fn get_playlist(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Playlist, SpotifyError> {
        let req = ApiRequest::get(
            "/playlists/{playlist_id}",
            format!("/playlists/{}", playlist_id(id)?),
        )
        .query_opt("market", check_market(market)?)
        .query_opt("fields", fields.filter(|f| !f.trim().is_empty()))
        .query("additional_types", "track,episode")
        .cache(CacheClass::Playlist);
        self.json(req).await
    }

    /// `GET /playlists/{playlist_id}/items` (limit 1..=50).
    pub async fn get_playlist_items(
        &self,
        id: &SpotifyId,
        market: Option<&str>,
        page: Page,
    ) -> Result<Paging<PlaylistItem>, SpotifyError> {
        let req = ApiRequest::get(
            "/playlists/{playlist_id}/items",
            format!("/playlists/{}/items", playlist_id(id)?),
        )
        .query_opt("market", check_market(market)?)
        .query_opt("limit", check_limit(page.limit, 1, 50)?)
        .query_opt("offset", page.offset)
        .query("additional_types", "track,episode")
        .cache(CacheClass::Playlist);
        self.json(req).await
    }

    /// `POST /me/playlists`: create a playlist for the current user. Not retried on 5xx.
    pub async fn create_playlist(
        &self,
        details: &PlaylistDetails,
    ) -> Result<Playlist, SpotifyError> {
        check_details(details, true)?;
        let req = ApiRequest::post("/me/playlists", "/me/playlists")
            .json(details)?
            .invalidates(Invalidation::MyPlaylists);
        self.json(req).await
    }

    /// `PUT /playlists/{playlist_id}`: change name, description, public, collaborative.
    pub async fn change_playlist_details(
        &self,
        id: &SpotifyId,
        details: &PlaylistDetails,
    ) -> Result<(), SpotifyError> {
        check_details(details, false)?;
        let pid = playlist_id(id)?;
        let req = ApiRequest::put("/playlists/{playlist_id}", format!("/playlists/{pid}"))
            .idempotent()
            .json(details)?
            .invalidates(Invalidation::Playlist(pid.to_owned()))
            .invalidates(Invalidation::MyPlaylists);
        self.unit(req).await
    }

    /// `POST /playlists/{playlist_id}/items`: add 1..=100 tracks/episodes at `position`
    /// (append when `None`). Not retried on 5xx (a repeat would add them twice).
    pub async fn add_playlist_items(
        &self,
        id: &SpotifyId,
        uris: &[SpotifyId],
        position: Option<u32>,
    ) -> Result<SnapshotId, SpotifyError> {
        check_ids(uris, PLAYLIST_MAX_ITEMS, &PLAYABLE, "track or episode")?;
        let pid = playlist_id(id)?;
        let mut body = json!({ "uris": uris.iter().map(SpotifyId::uri).collect::<Vec<_>>() });
        if let Some(position) = position {
            body["position"] = json!(position);
        }
        let req = ApiRequest::post(
            "/playlists/{playlist_id}/items",
            format!("/playlists/{pid}/items"),
        )
        .json(&body)?
        .invalidates(Invalidation::Playlist(pid.to_owned()))
        .invalidates(Invalidation::MyPlaylists);
        self.json(req).await
    }

    /// `DELETE /playlists/{playlist_id}/items`: remove every occurrence of 1..=100 items,
    /// optionally against a `snapshot_id`. Retried: removing what is gone changes nothing.
    pub async fn remove_playlist_items(
        &self,
        id: &SpotifyId,
        uris: &[SpotifyId],
        snapshot_id: Option<&str>,
    ) -> Result<SnapshotId, SpotifyError> {
        check_ids(uris, PLAYLIST_MAX_ITEMS, &PLAYABLE, "track or episode")?;
        let pid = playlist_id(id)?;
        let items: Vec<_> = uris.iter().map(|u| json!({ "uri": u.uri() })).collect();
        let mut body = json!({ "items": items });
        if let Some(snapshot) = snapshot_id.filter(|s| !s.trim().is_empty()) {
            body["snapshot_id"] = json!(snapshot);
        }
        let req = ApiRequest::delete(
            "/playlists/{playlist_id}/items",
            format!("/playlists/{pid}/items"),
        )
        .idempotent()
        .json(&body)?
        .invalidates(Invalidation::Playlist(pid.to_owned()))
        .invalidates(Invalidation::MyPlaylists);
        self.json(req).await
    }

    /// `PUT /playlists/{playlist_id}/items` (reorder form): move `range_length` items from
    /// `range_start` to before `insert_before`. Not retried on a lost answer: a second
    /// identical reorder moves the items again.
    pub async fn reorder_playlist_items(
        &self,
        id: &SpotifyId,
        reorder: &ReorderItems,
    ) -> Result<SnapshotId, SpotifyError> {
        if reorder.range_length == Some(0) {
            return Err(SpotifyError::invalid("range_length must be at least 1"));
        }
        let pid = playlist_id(id)?;
        let req = ApiRequest::put(
            "/playlists/{playlist_id}/items",
            format!("/playlists/{pid}/items"),
        )
        .json(reorder)?
        .invalidates(Invalidation::Playlist(pid.to_owned()));
        self.json(req).await
    }

    /// `PUT /playlists/{playlist_id}/items` (replace form): replace all items with 0..=100
    /// tracks/episodes (an empty list clears the playlist). Retried: the result is the same list.
    pub async fn replace_playlist_items(
        &self,
        id: &SpotifyId,
        uris: &[SpotifyId],
    ) -> Result<SnapshotId, SpotifyError> {
        if !uris.is_empty() {
            check_ids(uris, PLAYLIST_MAX_ITEMS, &PLAYABLE, "track or episode")?;
        }
        let pid = playlist_id(id)?;
        let body = json!({ "uris": uris.iter().map(SpotifyId::uri).collect::<Vec<_>>() });
        let req = ApiRequest::put(
            "/playlists/{playlist_id}/items",
            format!("/playlists/{pid}/items"),
        )
        .idempotent()
        .json(&body)?
        .invalidates(Invalidation::Playlist(pid.to_owned()))
        .invalidates(Invalidation::MyPlaylists);
        self.json(req).await
    }

    /// `GET /playlists/{playlist_id}/images`: the cover images.
    pub async fn get_playlist_cover(&self, id: &SpotifyId) -> Result<Vec<Image>, SpotifyError> {
        let pid = playlist_id(id)?;
        let req = ApiRequest::get(
            "/playlists/{playlist_id}/images",
            format!("/playlists/{pid}/images"),
        )
        .cache(CacheClass::Playlist);
        Ok(self.json_opt(req).await?.unwrap_or_default())
    }

    /// `PUT /playlists/{playlist_id}/images`: upload a JPEG cover (raw bytes; base64-encoded
    /// here, at most 256 KB encoded).
    pub async fn upload_playlist_cover(
        &self,
        id: &SpotifyId,
        jpeg: &[u8],
    ) -> Result<(), SpotifyError> {
        if jpeg.len() < 4 || jpeg[..3] != [0xFF, 0xD8, 0xFF] {
            return Err(SpotifyError::invalid("the cover must be a JPEG image"));
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
        self.upload_playlist_cover_base64(id, encoded).await
    }

    /// `PUT /playlists/{playlist_id}/images` with already base64-encoded JPEG data.
    pub async fn upload_playlist_cover_base64(
        &self,
        id: &SpotifyId,
        base64_jpeg: String,
    ) -> Result<(), SpotifyError> {
        let data: String = base64_jpeg.split_whitespace().collect();
        if data.is_empty() {
            return Err(SpotifyError::invalid("the cover image is empty"));
        }
        if data.len() > COVER_MAX_BASE64_BYTES {
            return Err(SpotifyError::invalid(format!(
                "the cover is {} KB base64-encoded; Spotify accepts at most 256 KB",
                data.len() / 1024
            )));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(data.as_bytes())
            .map_err(|e| SpotifyError::invalid(format!("the cover is not valid base64: {e}")))?;
        if decoded.len() < 4 || decoded[..3] != [0xFF, 0xD8, 0xFF] {
            return Err(SpotifyError::invalid("the cover must be a JPEG image"));
        }
        let pid = playlist_id(id)?;
        let req = ApiRequest::put(
            "/playlists/{playlist_id}/images",
            format!("/playlists/{pid}/images"),
        )
        .idempotent()
        .jpeg_base64(data)
        .invalidates(Invalidation::Playlist(pid.to_owned()))
        .invalidates(Invalidation::MyPlaylists);
        self.unit(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_validation() {
        let named = PlaylistDetails {
            name: Some("Road trip".into()),
            ..Default::default()
        };
        assert!(check_details(&named, true).is_ok());
        assert!(check_details(&PlaylistDetails::default(), true).is_err());
        assert!(check_details(&PlaylistDetails::default(), false).is_err());
        let blank = PlaylistDetails {
            name: Some("  ".into()),
            ..Default::default()
        };
        assert!(check_details(&blank, true).is_err());
        let contradictory = PlaylistDetails {
            name: Some("x".into()),
            public: Some(true),
            collaborative: Some(true),
            ..Default::default()
        };
        assert!(check_details(&contradictory, true).is_err());
        let body = serde_json::to_value(&named).unwrap();
        assert_eq!(body, json!({"name": "Road trip"}));
    }
}
