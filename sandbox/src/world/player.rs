//! Devices and the playback state machine: context, play order (with shuffle), user queue,
//! repeat, progress that advances with wall-clock time, and the recently-played history.

use std::collections::VecDeque;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::catalog::Catalog;
use super::playlists::Playable;

/// How many play records are kept (Spotify serves at most 50).
const HISTORY_CAP: usize = 50;
/// Within this position `previous` goes to the previous item instead of restarting.
const PREVIOUS_THRESHOLD_MS: u64 = 3_000;

#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub volume_percent: Option<u8>,
    pub supports_volume: bool,
    pub is_restricted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Off,
    Track,
    Context,
}

impl Repeat {
    pub fn as_str(self) -> &'static str {
        match self {
            Repeat::Off => "off",
            Repeat::Track => "track",
            Repeat::Context => "context",
        }
    }

    pub fn parse(s: &str) -> Option<Repeat> {
        match s {
            "off" => Some(Repeat::Off),
            "track" => Some(Repeat::Track),
            "context" => Some(Repeat::Context),
            _ => None,
        }
    }
}

/// The context playback started from (album, playlist, artist, show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// `album`, `playlist`, `artist` or `show`.
    pub kind: &'static str,
    pub id: String,
}

impl Context {
    pub fn uri(&self) -> String {
        format!("spotify:{}:{}", self.kind, self.id)
    }
}

/// One entry of the recently-played history.
#[derive(Debug, Clone)]
pub struct PlayRecord {
    pub track: usize,
    pub played_at: i64,
    pub context: Option<Context>,
}

/// Player command failures, with Spotify's reason codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlayerError {
    #[error("Player command failed: No active device found")]
    NoActiveDevice,
    #[error("Device not found")]
    DeviceNotFound,
    #[error("Player command failed: Restriction violated")]
    Restricted,
    #[error("Player command failed: Cannot control device volume")]
    VolumeControlDisallowed,
    #[error("Invalid volume_percent: must be between 0 and 100")]
    VolumeOutOfRange,
    #[error("Player command failed: No next track")]
    NoNextTrack,
    #[error("Player command failed: Nothing is loaded to resume")]
    NothingToPlay,
    #[error("Player command failed: Invalid offset")]
    InvalidOffset,
    #[error("position_ms must be a non-negative number")]
    InvalidPosition,
}

impl PlayerError {
    /// HTTP status Spotify answers with.
    pub fn status(&self) -> u16 {
        match self {
            PlayerError::NoActiveDevice | PlayerError::DeviceNotFound => 404,
            PlayerError::Restricted | PlayerError::NoNextTrack | PlayerError::NothingToPlay => 403,
            PlayerError::VolumeControlDisallowed
            | PlayerError::VolumeOutOfRange
            | PlayerError::InvalidOffset
            | PlayerError::InvalidPosition => 400,
        }
    }

    /// Spotify's `reason` field for player errors.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            PlayerError::NoActiveDevice => Some("NO_ACTIVE_DEVICE"),
            PlayerError::Restricted => Some("DEVICE_NOT_CONTROLLABLE"),
            PlayerError::VolumeControlDisallowed => Some("VOLUME_CONTROL_DISALLOW"),
            PlayerError::NoNextTrack => Some("NO_NEXT_TRACK"),
            PlayerError::NothingToPlay => Some("UNKNOWN"),
            _ => None,
        }
    }
}

/// What to start playing.
#[derive(Debug, Clone)]
pub struct Load {
    pub context: Option<Context>,
    pub items: Vec<Playable>,
    /// Index into `items` to start at.
    pub offset: usize,
    pub position_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Player {
    pub devices: Vec<Device>,
    active: Option<usize>,
    context: Option<Context>,
    items: Vec<Playable>,
    /// Play order: indices into `items` (a permutation when shuffling).
    order: Vec<usize>,
    /// Position in `order` of the current context item.
    pos: usize,
    current: Option<Playable>,
    queue: VecDeque<Playable>,
    is_playing: bool,
    progress_ms: u64,
    /// Wall-clock time (Unix ms) at which `progress_ms` was measured.
    anchor_ms: i64,
    pub repeat: Repeat,
    pub shuffle: bool,
    history: VecDeque<PlayRecord>,
    shuffle_rng: StdRng,
}

/// Read-only view of the playback state for rendering.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub device: Device,
    pub context: Option<Context>,
    pub item: Option<Playable>,
    pub is_playing: bool,
    pub progress_ms: u64,
    pub timestamp: i64,
    pub repeat: Repeat,
    pub shuffle: bool,
}

fn duration(cat: &Catalog, p: Playable) -> u64 {
    let d = match p {
        Playable::Track(i) => cat.tracks.get(i).map_or(0, |t| t.duration_ms),
        Playable::Episode(i) => cat.episodes.get(i).map_or(0, |e| e.duration_ms),
    };
    u64::from(d.max(1))
}

impl Player {
    pub fn new(devices: Vec<Device>, seed: u64) -> Player {
        Player {
            devices,
            active: None,
            context: None,
            items: Vec::new(),
            order: Vec::new(),
            pos: 0,
            current: None,
            queue: VecDeque::new(),
            is_playing: false,
            progress_ms: 0,
            anchor_ms: 0,
            repeat: Repeat::Off,
            shuffle: false,
            history: VecDeque::new(),
            shuffle_rng: StdRng::seed_from_u64(seed),
        }
    }

    pub fn active_device(&self) -> Option<&Device> {
        self.active.and_then(|i| self.devices.get(i))
    }

    pub fn device_index(&self, id: &str) -> Option<usize> {
        self.devices.iter().position(|d| d.id == id)
    }

    /// Seeds a history entry (used when the world is generated).
    pub fn push_history(&mut self, rec: PlayRecord) {
        self.history.push_front(rec);
        self.history.truncate(HISTORY_CAP);
    }

    /// Recently played tracks, newest first.
    pub fn history(&self) -> impl Iterator<Item = &PlayRecord> {
        self.history.iter()
    }

    /// Checks the optional `device_id` argument of a command and returns the device index.
    fn target(&self, device_id: Option<&str>) -> Result<usize, PlayerError> {
        match device_id {
            Some(id) => {
                let i = self.device_index(id).ok_or(PlayerError::DeviceNotFound)?;
                if self.devices[i].is_restricted {
                    return Err(PlayerError::Restricted);
                }
                Ok(i)
            }
            None => {
                let i = self.active.ok_or(PlayerError::NoActiveDevice)?;
                if self.devices[i].is_restricted {
                    return Err(PlayerError::Restricted);
                }
                Ok(i)
            }
        }
    }

    /// Checks a command that acts on the current playback (needs an active device).
    fn control(&self, device_id: Option<&str>) -> Result<usize, PlayerError> {
        let i = self.target(device_id)?;
        if self.active != Some(i) {
            return Err(PlayerError::NoActiveDevice);
        }
        Ok(i)
    }

    /// Advances progress by the wall-clock time elapsed since the last change, moving on to
    /// the next items when the current one has finished.
    pub fn settle(&mut self, cat: &Catalog, now_ms: i64) {
        if !self.is_playing {
            self.anchor_ms = now_ms;
            return;
        }
        let elapsed = u64::try_from(now_ms.saturating_sub(self.anchor_ms)).unwrap_or(0);
        self.anchor_ms = now_ms;
        self.progress_ms = self.progress_ms.saturating_add(elapsed);
        // Bounded: a long idle period skips through at most this many items.
        for _ in 0..10_000 {
            let Some(cur) = self.current else {
                self.is_playing = false;
                return;
            };
            let d = duration(cat, cur);
            if self.progress_ms < d {
                return;
            }
            let rest = self.progress_ms - d;
            let started_at = now_ms - i64::try_from(rest).unwrap_or(0);
            if self.repeat == Repeat::Track {
                self.progress_ms = rest;
                self.record(cur, started_at);
                continue;
            }
            if self.advance(started_at).is_err() {
                self.is_playing = false;
                self.progress_ms = 0;
                return;
            }
            self.progress_ms = rest;
        }
    }

    fn record(&mut self, item: Playable, at: i64) {
        if let Playable::Track(track) = item {
            self.push_history(PlayRecord {
                track,
                played_at: at,
                context: self.context.clone(),
            });
        }
    }

    fn start_current(&mut self, now_ms: i64) {
        if let Some(cur) = self.current {
            self.record(cur, now_ms);
        }
    }

    fn set_order(&mut self, keep_first: Option<usize>) {
        self.order = (0..self.items.len()).collect();
        if self.shuffle {
            self.order.shuffle(&mut self.shuffle_rng);
            if let Some(first) = keep_first
                && let Some(p) = self.order.iter().position(|&x| x == first)
            {
                self.order.swap(0, p);
            }
        }
    }

    /// Moves to the next item: user queue first, then the context (wrapping on repeat).
    fn advance(&mut self, now_ms: i64) -> Result<(), PlayerError> {
        if let Some(next) = self.queue.pop_front() {
            self.current = Some(next);
            self.start_current(now_ms);
            return Ok(());
        }
        if self.pos + 1 < self.order.len() {
            self.pos += 1;
        } else if self.repeat == Repeat::Context && !self.order.is_empty() {
            self.pos = 0;
        } else {
            return Err(PlayerError::NoNextTrack);
        }
        self.current = self
            .order
            .get(self.pos)
            .and_then(|&i| self.items.get(i))
            .copied();
        self.start_current(now_ms);
        Ok(())
    }

    /// `PUT /me/player/play` with a body: load items and start playing.
    pub fn play(
        &mut self,
        cat: &Catalog,
        load: Load,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        let dev = self.target(device_id)?;
        if load.offset >= load.items.len() {
            return Err(PlayerError::InvalidOffset);
        }
        self.settle(cat, now_ms);
        self.active = Some(dev);
        self.context = load.context;
        self.items = load.items;
        // Starting new playback replaces what was queued.
        self.queue.clear();
        self.set_order(Some(load.offset));
        self.pos = self
            .order
            .iter()
            .position(|&x| x == load.offset)
            .unwrap_or(0);
        self.current = self.items.get(load.offset).copied();
        let d = self.current.map_or(1, |c| duration(cat, c));
        self.progress_ms = load.position_ms.min(d.saturating_sub(1));
        self.is_playing = true;
        self.anchor_ms = now_ms;
        self.start_current(now_ms);
        Ok(())
    }

    /// `PUT /me/player/play` without a body: resume.
    pub fn resume(
        &mut self,
        cat: &Catalog,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        let dev = self.target(device_id)?;
        self.settle(cat, now_ms);
        if self.current.is_none() {
            return Err(PlayerError::NothingToPlay);
        }
        self.active = Some(dev);
        self.is_playing = true;
        self.anchor_ms = now_ms;
        Ok(())
    }

    pub fn pause(
        &mut self,
        cat: &Catalog,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.settle(cat, now_ms);
        if !self.is_playing {
            return Err(PlayerError::Restricted);
        }
        self.is_playing = false;
        Ok(())
    }

    pub fn next(
        &mut self,
        cat: &Catalog,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.settle(cat, now_ms);
        self.advance(now_ms)?;
        self.progress_ms = 0;
        self.anchor_ms = now_ms;
        Ok(())
    }

    pub fn previous(
        &mut self,
        cat: &Catalog,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.settle(cat, now_ms);
        if self.progress_ms <= PREVIOUS_THRESHOLD_MS && self.pos > 0 {
            self.pos -= 1;
            self.current = self
                .order
                .get(self.pos)
                .and_then(|&i| self.items.get(i))
                .copied();
            self.start_current(now_ms);
        }
        self.progress_ms = 0;
        self.anchor_ms = now_ms;
        Ok(())
    }

    /// Seeks; a position past the end moves on to the next item, as Spotify does.
    pub fn seek(
        &mut self,
        cat: &Catalog,
        position_ms: u64,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.settle(cat, now_ms);
        let Some(cur) = self.current else {
            return Err(PlayerError::NothingToPlay);
        };
        if position_ms >= duration(cat, cur) {
            if self.advance(now_ms).is_err() {
                self.is_playing = false;
            }
            self.progress_ms = 0;
        } else {
            self.progress_ms = position_ms;
        }
        self.anchor_ms = now_ms;
        Ok(())
    }

    pub fn set_volume(&mut self, volume: i64, device_id: Option<&str>) -> Result<(), PlayerError> {
        let dev = self.control(device_id)?;
        if !(0..=100).contains(&volume) {
            return Err(PlayerError::VolumeOutOfRange);
        }
        let d = &mut self.devices[dev];
        if !d.supports_volume {
            return Err(PlayerError::VolumeControlDisallowed);
        }
        d.volume_percent = u8::try_from(volume).ok();
        Ok(())
    }

    pub fn set_repeat(
        &mut self,
        repeat: Repeat,
        device_id: Option<&str>,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.repeat = repeat;
        Ok(())
    }

    pub fn set_shuffle(
        &mut self,
        shuffle: bool,
        device_id: Option<&str>,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        if shuffle != self.shuffle {
            let current_index = self.order.get(self.pos).copied();
            self.shuffle = shuffle;
            self.set_order(current_index);
            self.pos = current_index
                .and_then(|c| self.order.iter().position(|&x| x == c))
                .unwrap_or(0);
        }
        Ok(())
    }

    pub fn add_to_queue(
        &mut self,
        item: Playable,
        device_id: Option<&str>,
    ) -> Result<(), PlayerError> {
        self.control(device_id)?;
        self.queue.push_back(item);
        Ok(())
    }

    /// `PUT /me/player`: move playback to `device_id`; `play` forces playing, otherwise the
    /// playing state is kept.
    pub fn transfer(
        &mut self,
        cat: &Catalog,
        device_id: &str,
        play: bool,
        now_ms: i64,
    ) -> Result<(), PlayerError> {
        let dev = self.target(Some(device_id))?;
        self.settle(cat, now_ms);
        self.active = Some(dev);
        if play && self.current.is_some() {
            self.is_playing = true;
        }
        self.anchor_ms = now_ms;
        Ok(())
    }

    /// Makes no device active (as Spotify does after a long idle period).
    pub fn deactivate(&mut self) {
        self.active = None;
        self.is_playing = false;
    }

    /// The state for `GET /me/player`; `None` when no device is active.
    pub fn snapshot(&mut self, cat: &Catalog, now_ms: i64) -> Option<Snapshot> {
        self.settle(cat, now_ms);
        let device = self.active_device()?.clone();
        Some(Snapshot {
            device,
            context: self.context.clone(),
            item: self.current,
            is_playing: self.is_playing,
            progress_ms: self.progress_ms,
            timestamp: now_ms,
            repeat: self.repeat,
            shuffle: self.shuffle,
        })
    }

    /// The items that will play next: user queue, then the rest of the context (max `n`).
    pub fn upcoming(
        &mut self,
        cat: &Catalog,
        now_ms: i64,
        n: usize,
    ) -> (Option<Playable>, Vec<Playable>) {
        self.settle(cat, now_ms);
        let mut out: Vec<Playable> = self.queue.iter().copied().take(n).collect();
        let mut p = self.pos + 1;
        while out.len() < n {
            if p >= self.order.len() {
                if self.repeat == Repeat::Context && !self.order.is_empty() {
                    p = 0;
                } else {
                    break;
                }
            }
            if let Some(item) = self.order.get(p).and_then(|&i| self.items.get(i)) {
                out.push(*item);
            }
            p += 1;
        }
        (self.current, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Catalog, Player) {
        let cat = Catalog::generate(4);
        let devices = vec![
            Device {
                id: "a".repeat(40),
                name: "Laptop".into(),
                kind: "Computer",
                volume_percent: Some(50),
                supports_volume: true,
                is_restricted: false,
            },
            Device {
                id: "b".repeat(40),
                name: "Phone".into(),
                kind: "Smartphone",
                volume_percent: Some(100),
                supports_volume: false,
                is_restricted: false,
            },
            Device {
                id: "c".repeat(40),
                name: "TV".into(),
                kind: "TV",
                volume_percent: Some(30),
                supports_volume: true,
                is_restricted: true,
            },
        ];
        (cat, Player::new(devices, 9))
    }

    fn album_load(cat: &Catalog, offset: usize) -> Load {
        let album = cat
            .albums
            .iter()
            .find(|a| a.tracks.len() >= 5)
            .expect("an album with 5 tracks");
        Load {
            context: Some(Context {
                kind: "album",
                id: album.id.clone(),
            }),
            items: album.tracks.iter().map(|&t| Playable::Track(t)).collect(),
            offset,
            position_ms: 0,
        }
    }

    #[test]
    fn commands_need_an_active_device() {
        let (cat, mut p) = setup();
        assert_eq!(p.pause(&cat, None, 0), Err(PlayerError::NoActiveDevice));
        assert_eq!(p.next(&cat, None, 0), Err(PlayerError::NoActiveDevice));
        assert!(p.snapshot(&cat, 0).is_none());
        let laptop = p.devices[0].id.clone();
        assert_eq!(
            p.play(&cat, album_load(&cat, 0), None, 0),
            Err(PlayerError::NoActiveDevice)
        );
        p.play(&cat, album_load(&cat, 0), Some(&laptop), 0)
            .expect("play");
        assert!(p.snapshot(&cat, 10).is_some_and(|s| s.is_playing));
    }

    #[test]
    fn next_previous_and_queue() {
        let (cat, mut p) = setup();
        let laptop = p.devices[0].id.clone();
        let load = album_load(&cat, 1);
        let items = load.items.clone();
        p.play(&cat, load, Some(&laptop), 0).expect("play");
        assert_eq!(p.snapshot(&cat, 0).and_then(|s| s.item), Some(items[1]));
        p.add_to_queue(Playable::Track(0), None).expect("queue");
        let (_, up) = p.upcoming(&cat, 0, 3);
        assert_eq!(up[0], Playable::Track(0));
        assert_eq!(up[1], items[2]);
        p.next(&cat, None, 0).expect("next");
        assert_eq!(
            p.snapshot(&cat, 0).and_then(|s| s.item),
            Some(Playable::Track(0))
        );
        p.next(&cat, None, 0).expect("next");
        assert_eq!(p.snapshot(&cat, 0).and_then(|s| s.item), Some(items[2]));
        p.previous(&cat, None, 0).expect("previous");
        assert_eq!(p.snapshot(&cat, 0).and_then(|s| s.item), Some(items[1]));
        assert!(p.history().count() >= 4);
    }

    #[test]
    fn progress_advances_with_time_and_stops_at_the_end() {
        let (cat, mut p) = setup();
        let laptop = p.devices[0].id.clone();
        let load = album_load(&cat, 0);
        let last = load.items.len() - 1;
        let items = load.items.clone();
        p.play(
            &cat,
            Load {
                offset: last,
                ..load
            },
            Some(&laptop),
            0,
        )
        .expect("play");
        let s = p.snapshot(&cat, 1_000).expect("state");
        assert_eq!(s.progress_ms, 1_000);
        let s = p.snapshot(&cat, 10_000_000).expect("state");
        assert!(!s.is_playing);
        assert_eq!(s.item, Some(items[last]));
        assert_eq!(
            p.next(&cat, None, 10_000_000),
            Err(PlayerError::NoNextTrack)
        );
        p.set_repeat(Repeat::Context, None).expect("repeat");
        p.next(&cat, None, 10_000_000).expect("wraps");
        assert_eq!(
            p.snapshot(&cat, 10_000_000).and_then(|s| s.item),
            Some(items[0])
        );
    }

    #[test]
    fn volume_rules() {
        let (cat, mut p) = setup();
        let phone = p.devices[1].id.clone();
        let tv = p.devices[2].id.clone();
        p.play(&cat, album_load(&cat, 0), Some(&phone), 0)
            .expect("play");
        assert_eq!(
            p.set_volume(50, None),
            Err(PlayerError::VolumeControlDisallowed)
        );
        assert_eq!(p.set_volume(101, None), Err(PlayerError::VolumeOutOfRange));
        assert_eq!(p.transfer(&cat, &tv, true, 0), Err(PlayerError::Restricted));
        let laptop = p.devices[0].id.clone();
        p.transfer(&cat, &laptop, false, 0).expect("transfer");
        p.set_volume(20, None).expect("volume");
        assert_eq!(p.active_device().and_then(|d| d.volume_percent), Some(20));
        assert_eq!(
            p.transfer(&cat, "nope", false, 0),
            Err(PlayerError::DeviceNotFound)
        );
    }

    #[test]
    fn shuffle_keeps_current_item_and_all_items() {
        let (cat, mut p) = setup();
        let laptop = p.devices[0].id.clone();
        let load = album_load(&cat, 2);
        let items = load.items.clone();
        p.play(&cat, load, Some(&laptop), 0).expect("play");
        p.set_shuffle(true, None).expect("shuffle");
        let (cur, up) = p.upcoming(&cat, 0, 100);
        assert_eq!(cur, Some(items[2]));
        let mut seen: Vec<Playable> = up.clone();
        seen.push(items[2]);
        assert!(up.len() < items.len());
        assert!(seen.iter().all(|x| items.contains(x)));
        p.seek(&cat, 5_000, None, 0).expect("seek");
        assert_eq!(p.snapshot(&cat, 0).map(|s| s.progress_ms), Some(5_000));
        p.pause(&cat, None, 0).expect("pause");
        assert_eq!(p.pause(&cat, None, 0), Err(PlayerError::Restricted));
        p.resume(&cat, None, 0).expect("resume");
    }
}
