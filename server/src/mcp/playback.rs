//! Playback toolset: player state, devices, transfer, play/pause/skip/seek, volume, repeat and
//! shuffle, queue, recently played. Control needs Spotify Premium.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::spotify::ids::ItemKind;
use crate::spotify::models::{PlayOffset, PlayRequest, RepeatState, TimeCursor};

use super::args::{
    CURSOR_MAX_CHARS, DEVICE_ID_MAX_CHARS, ID_MAX_CHARS, MAX_POSITION_MS, PLAYABLE, bounded,
    device, parse_id, parse_ids,
};
use super::output::{
    Ack, Device, Devices, Listed, NowPlaying, PlaybackState, Played, Queue, RecentlyPlayed,
    playable,
};
use super::{SpotifyMcp, ToolError};

const CONTEXTS: [ItemKind; 5] = [
    ItemKind::Album,
    ItemKind::Artist,
    ItemKind::Playlist,
    ItemKind::Show,
    ItemKind::Audiobook,
];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeviceArgs {
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TransferArgs {
    /// Target device, from get_devices.
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: String,
    /// Start playing there; default: keep play/pause state.
    pub play: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PlayArgs {
    /// Tracks/episodes, in order.
    #[schemars(length(max = 100), inner(length(max = ID_MAX_CHARS)))]
    pub uris: Option<Vec<String>>,
    /// Album/playlist/artist/show/audiobook URI.
    #[schemars(length(max = ID_MAX_CHARS))]
    pub context: Option<String>,
    /// 0-based index to start at.
    #[schemars(range(max = 10000))]
    pub offset: Option<u32>,
    /// Or the URI to start at.
    #[schemars(length(max = ID_MAX_CHARS))]
    pub offset_uri: Option<String>,
    /// Start position in the first item.
    #[schemars(range(max = MAX_POSITION_MS))]
    pub position_ms: Option<u64>,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Next,
    Previous,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SkipArgs {
    /// Default next.
    pub direction: Option<Direction>,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SeekArgs {
    /// Position in ms.
    #[schemars(range(max = MAX_POSITION_MS))]
    pub position_ms: u64,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct VolumeArgs {
    /// 0-100.
    #[schemars(range(max = 100))]
    pub volume_percent: u32,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    Off,
    Track,
    Context,
}

impl From<Repeat> for RepeatState {
    fn from(r: Repeat) -> Self {
        match r {
            Repeat::Off => RepeatState::Off,
            Repeat::Track => RepeatState::Track,
            Repeat::Context => RepeatState::Context,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ModeArgs {
    /// off, track or context.
    pub repeat: Option<Repeat>,
    /// On or off.
    pub shuffle: Option<bool>,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct QueueArgs {
    /// In order.
    #[schemars(length(min = 1, max = 20), inner(length(max = ID_MAX_CHARS)))]
    pub uris: Vec<String>,
    #[schemars(length(max = DEVICE_ID_MAX_CHARS))]
    pub device_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecentArgs {
    #[schemars(extend("default" = 20))]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `before` of a previous answer (older items).
    #[schemars(length(max = CURSOR_MAX_CHARS))]
    pub before: Option<String>,
}

fn on(device: &Option<String>) -> String {
    match device {
        Some(id) => format!(" on device {id}"),
        None => String::new(),
    }
}

#[tool_router(router = playback_router, vis = "pub(super)")]
impl SpotifyMcp {
    #[tool(
        description = "The player: device, item, progress, shuffle, repeat, context.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_playback_state(&self) -> Result<Json<PlaybackState>, ToolError> {
        let state = self.call(self.client().get_playback_state(None)).await?;
        Ok(Json(
            state.as_ref().map(PlaybackState::from).unwrap_or_default(),
        ))
    }

    #[tool(
        description = "What is playing now and how far in (lighter than get_playback_state).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_currently_playing(&self) -> Result<Json<NowPlaying>, ToolError> {
        let now = self.call(self.client().get_currently_playing(None)).await?;
        Ok(Json(now.as_ref().map(NowPlaying::from).unwrap_or_default()))
    }

    #[tool(
        description = "The user's Spotify Connect devices with their device_id.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_devices(&self) -> Result<Json<Devices>, ToolError> {
        let devices = self.call(self.client().get_devices()).await?;
        Ok(Json(Devices {
            devices: devices.iter().map(Device::from).collect(),
        }))
    }

    #[tool(
        description = "Move playback to a device.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn transfer_playback(
        &self,
        Parameters(args): Parameters<TransferArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let Some(device_id) = device(Some(args.device_id))? else {
            return Err(ToolError::invalid("`device_id` is required"));
        };
        self.call_on(
            Some(&device_id),
            self.client().transfer_playback(&device_id, args.play),
        )
        .await?;
        Ok(Json(Ack::new(format!(
            "Playback transferred to device {device_id}"
        ))))
    }

    #[tool(
        description = "Play uris (tracks/episodes) or a context (album/playlist/artist/show); no args resumes. By name: play_best_match.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn play(&self, Parameters(args): Parameters<PlayArgs>) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        let uris = match &args.uris {
            Some(uris) if !uris.is_empty() => parse_ids("uris", uris, &PLAYABLE, None, 100)?,
            _ => Vec::new(),
        };
        let context = args
            .context
            .as_deref()
            .map(|c| parse_id("context", c, &CONTEXTS, None))
            .transpose()?;
        if context.is_some() && !uris.is_empty() {
            return Err(ToolError::invalid(
                "give either `uris` or `context`, not both",
            ));
        }
        let offset = match (args.offset, args.offset_uri.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ToolError::invalid(
                    "give either `offset` or `offset_uri`, not both",
                ));
            }
            (Some(position), None) => Some(PlayOffset::Position(position)),
            (None, Some(uri)) => Some(PlayOffset::Uri(parse_id(
                "offset_uri",
                uri,
                &PLAYABLE,
                None,
            )?)),
            (None, None) => None,
        };
        if offset.is_some() && context.is_none() && uris.is_empty() {
            return Err(ToolError::invalid(
                "`offset`/`offset_uri` need `context` or `uris`",
            ));
        }
        let what = match (&context, uris.len()) {
            (Some(c), _) => format!("Playing {}", c.uri()),
            (None, 0) => "Resumed playback".to_string(),
            (None, 1) => format!("Playing {}", uris[0].uri()),
            (None, n) => format!("Playing {n} items"),
        };
        let request = PlayRequest {
            context,
            uris,
            offset,
            position_ms: args.position_ms,
        };
        self.call_on(
            device_id.as_deref(),
            self.client().play(&request, device_id.as_deref()),
        )
        .await?;
        Ok(Json(Ack::new(format!("{what}{}", on(&device_id)))))
    }

    #[tool(
        description = "Pause what is playing.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn pause(
        &self,
        Parameters(args): Parameters<DeviceArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        self.call_on(
            device_id.as_deref(),
            self.client().pause(device_id.as_deref()),
        )
        .await?;
        Ok(Json(Ack::new(format!("Paused{}", on(&device_id)))))
    }

    #[tool(
        description = "Skip to the next or previous item.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn skip(&self, Parameters(args): Parameters<SkipArgs>) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        let direction = args.direction.unwrap_or_default();
        match direction {
            Direction::Next => {
                self.call_on(
                    device_id.as_deref(),
                    self.client().skip_next(device_id.as_deref()),
                )
                .await?
            }
            Direction::Previous => {
                self.call_on(
                    device_id.as_deref(),
                    self.client().skip_previous(device_id.as_deref()),
                )
                .await?
            }
        }
        let word = match direction {
            Direction::Next => "next",
            Direction::Previous => "previous",
        };
        Ok(Json(Ack::new(format!(
            "Skipped to {word}{}",
            on(&device_id)
        ))))
    }

    #[tool(
        description = "Seek to a position in the current item.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn seek(&self, Parameters(args): Parameters<SeekArgs>) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        self.call_on(
            device_id.as_deref(),
            self.client().seek(args.position_ms, device_id.as_deref()),
        )
        .await?;
        Ok(Json(Ack::new(format!(
            "Seeked to {}{}",
            super::output::format_duration(args.position_ms),
            on(&device_id)
        ))))
    }

    #[tool(
        description = "Set the volume (0-100).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn set_volume(
        &self,
        Parameters(args): Parameters<VolumeArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        let volume = bounded("volume_percent", Some(args.volume_percent), 0, 0, 100)?;
        let volume = u8::try_from(volume).unwrap_or(100);
        self.call_on(
            device_id.as_deref(),
            self.client().set_volume(volume, device_id.as_deref()),
        )
        .await?;
        Ok(Json(Ack::new(format!(
            "Volume set to {volume}%{}",
            on(&device_id)
        ))))
    }

    #[tool(
        description = "Set repeat (off/track/context) and/or shuffle.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn set_playback_mode(
        &self,
        Parameters(args): Parameters<ModeArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        if args.repeat.is_none() && args.shuffle.is_none() {
            return Err(ToolError::invalid("give `repeat`, `shuffle` or both"));
        }
        let mut done = Vec::new();
        if let Some(repeat) = args.repeat {
            let state = RepeatState::from(repeat);
            self.call_on(
                device_id.as_deref(),
                self.client().set_repeat(state, device_id.as_deref()),
            )
            .await?;
            done.push(format!("repeat {}", state.as_str()));
        }
        if let Some(shuffle) = args.shuffle {
            self.call_on(
                device_id.as_deref(),
                self.client().set_shuffle(shuffle, device_id.as_deref()),
            )
            .await?;
            done.push(format!("shuffle {}", if shuffle { "on" } else { "off" }));
        }
        Ok(Json(Ack::new(format!(
            "Set {}{}",
            done.join(", "),
            on(&device_id)
        ))))
    }

    #[tool(
        description = "The current item and the upcoming queue.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<Queue>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_queue(&self) -> Result<Listed<Queue>, ToolError> {
        let queue = self.call(self.client().get_queue()).await?;
        Ok(Listed(Queue {
            current: queue.currently_playing.as_ref().and_then(playable),
            queue: queue.queue.iter().filter_map(playable).collect(),
        }))
    }

    #[tool(
        description = "Append tracks/episodes to the queue.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn add_to_queue(
        &self,
        Parameters(args): Parameters<QueueArgs>,
    ) -> Result<Json<Ack>, ToolError> {
        let device_id = device(args.device_id)?;
        let ids = parse_ids("uris", &args.uris, &PLAYABLE, None, 20)?;
        for (done, id) in ids.iter().enumerate() {
            if let Err(err) = self.client().add_to_queue(id, device_id.as_deref()).await {
                let err = self.fail_on(device_id.as_deref(), err).await;
                return Err(if done == 0 {
                    err
                } else {
                    ToolError::invalid(format!(
                        "Queued {done} of {} items, then: {}",
                        ids.len(),
                        err.message()
                    ))
                });
            }
        }
        Ok(Json(Ack::new(format!(
            "Queued {} item(s){}",
            ids.len(),
            on(&device_id)
        ))))
    }

    #[tool(
        description = "Recently played tracks, newest first.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<RecentlyPlayed>(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_recently_played(
        &self,
        Parameters(args): Parameters<RecentArgs>,
    ) -> Result<Listed<RecentlyPlayed>, ToolError> {
        let limit = bounded("limit", args.limit, 20, 1, 50)?;
        let cursor = match args.before.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(b) => Some(TimeCursor::Before(b.parse::<i64>().map_err(|_| {
                ToolError::invalid("`before` must be the numeric cursor from a previous answer")
            })?)),
        };
        let page = self
            .call(self.client().get_recently_played(Some(limit), cursor))
            .await?;
        Ok(Listed(RecentlyPlayed {
            items: page
                .items
                .iter()
                .map(|h| Played {
                    item: (&h.track).into(),
                    played_at: h.played_at.clone(),
                })
                .collect(),
            before: page
                .next
                .as_ref()
                .and(page.cursors.as_ref())
                .and_then(|c| c.before.clone()),
        }))
    }
}
