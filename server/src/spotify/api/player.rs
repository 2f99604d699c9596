//! Player: state, devices, transfer, play/pause/skip/seek/volume/repeat/shuffle, queue,
//! recently played. Commands need Premium (403 `PREMIUM_REQUIRED`) and an active device
//! (404 `NO_ACTIVE_DEVICE`) unless a `device_id` is given.

use super::{check_limit, check_market};
use crate::spotify::cache::{CacheClass, Invalidation};
use crate::spotify::client::SpotifyClient;
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::SpotifyId;
use crate::spotify::models::{
    CurrentlyPlaying, CursorPaging, Device, Devices, PlayHistory, PlayOffset, PlayRequest,
    PlaybackState, Queue, RepeatState, TimeCursor,
};
use crate::spotify::pipeline::ApiRequest;
use serde_json::{Map, Value, json};

fn check_device(device_id: Option<&str>) -> Result<Option<&str>, SpotifyError> {
    match device_id.map(str::trim) {
        None | Some("") => Ok(None),
        Some(d)
            if d.len() <= 128
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(d))
        }
        Some(_) => Err(SpotifyError::invalid(
            "device_id must be a device ID as listed by get_devices",
        )),
    }
}

fn command(request: ApiRequest, device_id: Option<&str>) -> Result<ApiRequest, SpotifyError> {
    Ok(request
        .query_opt("device_id", check_device(device_id)?)
        .invalidates(Invalidation::Player))
}

impl SpotifyClient {
    /// `GET /me/player`: playback state; `None` when nothing is playing anywhere (204).
    pub async fn get_playback_state(
        &self,
        market: Option<&str>,
    ) -> Result<Option<PlaybackState>, SpotifyError> {
        let req = ApiRequest::get("/me/player", "/me/player")
            .query_opt("market", check_market(market)?)
            .query("additional_types", "track,episode")
            .cache(CacheClass::Player);
        self.json_opt(req).await
    }

    /// `GET /me/player/currently-playing`: the current item; `None` when nothing plays (204).
    pub async fn get_currently_playing(
        &self,
        market: Option<&str>,
    ) -> Result<Option<CurrentlyPlaying>, SpotifyError> {
        let req = ApiRequest::get(
            "/me/player/currently-playing",
            "/me/player/currently-playing",
        )
        .query_opt("market", check_market(market)?)
        .query("additional_types", "track,episode")
        .cache(CacheClass::Player);
        self.json_opt(req).await
    }

    /// `GET /me/player/devices`: the user's available devices.
    pub async fn get_devices(&self) -> Result<Vec<Device>, SpotifyError> {
        let req =
            ApiRequest::get("/me/player/devices", "/me/player/devices").cache(CacheClass::Player);
        Ok(self
            .json_opt::<Devices>(req)
            .await?
            .map(|d| d.devices)
            .unwrap_or_default())
    }

    /// `PUT /me/player`: move playback to `device_id`; `play` = start playing there
    /// (`Some(false)`/`None` keep the current state).
    pub async fn transfer_playback(
        &self,
        device_id: &str,
        play: Option<bool>,
    ) -> Result<(), SpotifyError> {
        let Some(device) = check_device(Some(device_id))? else {
            return Err(SpotifyError::invalid(
                "device_id is required to transfer playback",
            ));
        };
        let mut body = json!({ "device_ids": [device] });
        if let Some(play) = play {
            body["play"] = Value::Bool(play);
        }
        let req = ApiRequest::put("/me/player", "/me/player")
            .idempotent()
            .json(&body)?
            .invalidates(Invalidation::Player);
        self.unit(req).await
    }

    /// `PUT /me/player/play`: start or resume playback. An empty [`PlayRequest`] resumes.
    pub async fn play(
        &self,
        request: &PlayRequest,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        let body = play_body(request)?;
        let req = command(
            ApiRequest::put("/me/player/play", "/me/player/play").idempotent(),
            device_id,
        )?;
        let req = if body.is_empty() {
            req
        } else {
            req.json(&Value::Object(body))?
        };
        self.unit(req).await
    }

    /// `PUT /me/player/pause`.
    pub async fn pause(&self, device_id: Option<&str>) -> Result<(), SpotifyError> {
        self.unit(command(
            ApiRequest::put("/me/player/pause", "/me/player/pause").idempotent(),
            device_id,
        )?)
        .await
    }

    /// `POST /me/player/next`. Not retried on a lost answer: a repeat skips twice.
    pub async fn skip_next(&self, device_id: Option<&str>) -> Result<(), SpotifyError> {
        self.unit(command(
            ApiRequest::post("/me/player/next", "/me/player/next"),
            device_id,
        )?)
        .await
    }

    /// `POST /me/player/previous`. Not retried on a lost answer: a repeat skips twice.
    pub async fn skip_previous(&self, device_id: Option<&str>) -> Result<(), SpotifyError> {
        self.unit(command(
            ApiRequest::post("/me/player/previous", "/me/player/previous"),
            device_id,
        )?)
        .await
    }

    /// `PUT /me/player/seek?position_ms=`.
    pub async fn seek(
        &self,
        position_ms: u64,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        let req = ApiRequest::put("/me/player/seek", "/me/player/seek")
            .idempotent()
            .query("position_ms", position_ms);
        self.unit(command(req, device_id)?).await
    }

    /// `PUT /me/player/repeat?state=track|context|off`.
    pub async fn set_repeat(
        &self,
        state: RepeatState,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        let req = ApiRequest::put("/me/player/repeat", "/me/player/repeat")
            .idempotent()
            .query("state", state.as_str());
        self.unit(command(req, device_id)?).await
    }

    /// `PUT /me/player/volume?volume_percent=` (0..=100).
    pub async fn set_volume(
        &self,
        volume_percent: u8,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        if volume_percent > 100 {
            return Err(SpotifyError::invalid(format!(
                "volume_percent must be between 0 and 100, got {volume_percent}"
            )));
        }
        let req = ApiRequest::put("/me/player/volume", "/me/player/volume")
            .idempotent()
            .query("volume_percent", volume_percent);
        self.unit(command(req, device_id)?).await
    }

    /// `PUT /me/player/shuffle?state=true|false`.
    pub async fn set_shuffle(
        &self,
        state: bool,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        let req = ApiRequest::put("/me/player/shuffle", "/me/player/shuffle")
            .idempotent()
            .query("state", state);
        self.unit(command(req, device_id)?).await
    }

    /// `GET /me/player/recently-played` (limit 1..=50, cursor = Unix ms).
    pub async fn get_recently_played(
        &self,
        limit: Option<u32>,
        cursor: Option<TimeCursor>,
    ) -> Result<CursorPaging<PlayHistory>, SpotifyError> {
        let mut req = ApiRequest::get("/me/player/recently-played", "/me/player/recently-played")
            .query_opt("limit", check_limit(limit, 1, 50)?)
            .cache(CacheClass::Player);
        req = match cursor {
            Some(TimeCursor::After(ms)) => req.query("after", ms),
            Some(TimeCursor::Before(ms)) => req.query("before", ms),
            None => req,
        };
        self.json(req).await
    }

    /// `GET /me/player/queue`: the current item and what comes next.
    pub async fn get_queue(&self) -> Result<Queue, SpotifyError> {
        let req = ApiRequest::get("/me/player/queue", "/me/player/queue").cache(CacheClass::Player);
        Ok(self.json_opt(req).await?.unwrap_or_default())
    }

    /// `POST /me/player/queue?uri=`: add a track or episode. Not retried on 5xx (POST).
    pub async fn add_to_queue(
        &self,
        item: &SpotifyId,
        device_id: Option<&str>,
    ) -> Result<(), SpotifyError> {
        if !item.kind().is_playable_item() {
            return Err(SpotifyError::invalid(format!(
                "only tracks and episodes can be queued, got a {} ({item})",
                item.kind()
            )));
        }
        let req = ApiRequest::post("/me/player/queue", "/me/player/queue").query("uri", item.uri());
        self.unit(command(req, device_id)?).await
    }
}

/// The JSON body of `PUT /me/player/play`, validated.
pub(crate) fn play_body(request: &PlayRequest) -> Result<Map<String, Value>, SpotifyError> {
    let mut body = Map::new();
    if request.context.is_some() && !request.uris.is_empty() {
        return Err(SpotifyError::invalid(
            "give either a context (album, playlist, artist, show, audiobook) or a list of track/episode URIs, not both",
        ));
    }
    if let Some(context) = &request.context {
        if !context.kind().is_context() {
            return Err(SpotifyError::invalid(format!(
                "{context} is a {}; a context must be an album, artist, playlist, show or audiobook (play tracks and episodes through `uris`)",
                context.kind()
            )));
        }
        body.insert("context_uri".into(), Value::String(context.uri()));
    }
    if !request.uris.is_empty() {
        if request.uris.len() > 100 {
            return Err(SpotifyError::invalid(format!(
                "at most 100 URIs can be played at once, got {}",
                request.uris.len()
            )));
        }
        if let Some(bad) = request.uris.iter().find(|u| !u.kind().is_playable_item()) {
            return Err(SpotifyError::invalid(format!(
                "{bad} is a {}; `uris` takes tracks and episodes (use it as the context instead)",
                bad.kind()
            )));
        }
        body.insert(
            "uris".into(),
            Value::Array(
                request
                    .uris
                    .iter()
                    .map(|u| Value::String(u.uri()))
                    .collect(),
            ),
        );
    }
    match &request.offset {
        None => {}
        Some(_) if request.context.is_none() && request.uris.is_empty() => {
            return Err(SpotifyError::invalid(
                "an offset needs a context or a list of URIs to start in",
            ));
        }
        Some(PlayOffset::Position(p)) => {
            body.insert("offset".into(), json!({ "position": p }));
        }
        Some(PlayOffset::Uri(uri)) => {
            if !uri.kind().is_playable_item() {
                return Err(SpotifyError::invalid(format!(
                    "the offset must be a track or episode of the context, got a {}",
                    uri.kind()
                )));
            }
            body.insert("offset".into(), json!({ "uri": uri.uri() }));
        }
    }
    if let Some(position) = request.position_ms {
        body.insert("position_ms".into(), json!(position));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::ids::ItemKind;

    fn id(kind: ItemKind) -> SpotifyId {
        SpotifyId::new(kind, "4uLU6hMCjMI75M1A2tKUQC").unwrap()
    }

    #[test]
    fn play_body_shapes() {
        assert!(play_body(&PlayRequest::default()).unwrap().is_empty());
        let body = play_body(&PlayRequest {
            context: Some(id(ItemKind::Album)),
            offset: Some(PlayOffset::Position(3)),
            position_ms: Some(1000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"context_uri": "spotify:album:4uLU6hMCjMI75M1A2tKUQC", "offset": {"position": 3}, "position_ms": 1000})
        );
        let body = play_body(&PlayRequest {
            uris: vec![id(ItemKind::Track), id(ItemKind::Episode)],
            offset: Some(PlayOffset::Uri(id(ItemKind::Episode))),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            body["offset"],
            json!({"uri": "spotify:episode:4uLU6hMCjMI75M1A2tKUQC"})
        );
    }

    #[test]
    fn play_body_rejects_mixups() {
        let both = PlayRequest {
            context: Some(id(ItemKind::Album)),
            uris: vec![id(ItemKind::Track)],
            ..Default::default()
        };
        assert!(play_body(&both).is_err());
        let track_context = PlayRequest {
            context: Some(id(ItemKind::Track)),
            ..Default::default()
        };
        assert!(
            play_body(&track_context)
                .unwrap_err()
                .to_string()
                .contains("uris")
        );
        let album_in_uris = PlayRequest {
            uris: vec![id(ItemKind::Album)],
            ..Default::default()
        };
        assert!(play_body(&album_in_uris).is_err());
        let lone_offset = PlayRequest {
            offset: Some(PlayOffset::Position(1)),
            ..Default::default()
        };
        assert!(play_body(&lone_offset).is_err());
        assert!(check_device(Some("abc def")).is_err());
        assert_eq!(
            check_device(Some("0d1841b0976bae2a3a310dd74c0f3df354899bc8")).unwrap(),
            Some("0d1841b0976bae2a3a310dd74c0f3df354899bc8")
        );
    }
}
