//! The in-memory world behind the sandbox: an immutable seeded [`catalog::Catalog`] plus the
//! mutable state of its users (library, playlists, devices and playback).

pub mod catalog;
pub mod ids;
pub mod library;
pub mod names;
pub mod player;
pub mod playlists;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use catalog::{Catalog, ItemRef, Kind};
use library::{Library, LibraryItem};
use player::{Context, Device, Load, PlayRecord, Player};
use playlists::{Entry, Playable, Playlist, Playlists};

/// Index of the Premium user.
pub const PREMIUM: usize = 0;
/// Index of the free (non-Premium) user.
pub const FREE: usize = 1;
/// Index of another user who owns public playlists.
pub const CURATOR: usize = 2;
/// Index of the `spotify` user that owns editorial playlists.
pub const SPOTIFY: usize = 3;

/// The users who can sign in (`/authorize?sandbox_user=...`), by the names the control
/// endpoints take.
pub const SIGN_IN_USERS: [(&str, usize); 2] = [("premium", PREMIUM), ("free", FREE)];

/// The user who signs in as `name` (see [`SIGN_IN_USERS`]).
pub fn sign_in_user(name: &str) -> Option<usize> {
    SIGN_IN_USERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, user)| user)
}

/// The names [`sign_in_user`] accepts, for error messages: `premium, free`.
pub fn sign_in_user_names() -> String {
    SIGN_IN_USERS.map(|(name, _)| name).join(", ")
}

/// Seeded timestamps are spread before this instant (2026-06-01T00:00:00Z), in Unix ms.
pub const SEED_EPOCH_MS: i64 = 1_780_272_000_000;

/// The current wall-clock time in Unix ms.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub premium: bool,
}

/// Top items per time range: `short_term`, `medium_term`, `long_term`.
#[derive(Debug, Clone, Default)]
pub struct Top {
    pub artists: [Vec<usize>; 3],
    pub tracks: [Vec<usize>; 3],
}

pub fn time_range_index(s: &str) -> Option<usize> {
    match s {
        "short_term" => Some(0),
        "medium_term" => Some(1),
        "long_term" => Some(2),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub library: Library,
    pub player: Player,
    pub top: Top,
}

/// All mutable state of the sandbox.
#[derive(Debug, Clone)]
pub struct WorldState {
    pub accounts: Vec<Account>,
    pub playlists: Playlists,
    /// Seeded generator for ids created at run time (new playlists).
    pub rng: StdRng,
}

/// Options of world generation.
#[derive(Debug, Clone, Copy)]
pub struct WorldOptions {
    pub seed: u64,
    /// Start with the Premium user's first device active (an album paused on it).
    pub active_device_at_start: bool,
}

fn device(
    rng: &mut StdRng,
    name: &str,
    kind: &'static str,
    volume: Option<u8>,
    supports_volume: bool,
    restricted: bool,
) -> Device {
    Device {
        id: ids::hex40(rng),
        name: name.to_string(),
        kind,
        volume_percent: volume,
        supports_volume,
        is_restricted: restricted,
    }
}

fn tracks_of(rng: &mut StdRng, cat: &Catalog, n: usize) -> Vec<Playable> {
    (0..n)
        .map(|_| Playable::Track(rng.random_range(0..cat.tracks.len())))
        .collect()
}

impl WorldState {
    /// Generates the users' state over `cat`, deterministically from the seed.
    pub fn generate(cat: &Catalog, opts: WorldOptions) -> WorldState {
        let mut rng = StdRng::seed_from_u64(opts.seed ^ 0x05EE_D0F5_7A7E);
        let seed = opts.seed;
        let users = [
            ("sandboxlistener", "Sandbox Listener", true),
            ("sandboxfree", "Free Sandbox User", false),
            ("sandboxcurator", "Sandbox Curator", true),
            ("spotify", "Spotify", true),
        ];
        let mut accounts: Vec<Account> = users
            .iter()
            .enumerate()
            .map(|(i, (id, name, premium))| Account {
                user: User {
                    id: (*id).into(),
                    display_name: (*name).into(),
                    premium: *premium,
                },
                library: Library::default(),
                player: Player::new(Vec::new(), seed.wrapping_add(i as u64)),
                top: Top::default(),
            })
            .collect();

        // Libraries.
        let sizes: [(Kind, usize, usize); 6] = [
            (Kind::Track, 40, 10),
            (Kind::Album, 12, 3),
            (Kind::Artist, 15, 3),
            (Kind::Show, 5, 1),
            (Kind::Episode, 8, 0),
            (Kind::Audiobook, 4, 0),
        ];
        for (k, (kind, premium_n, free_n)) in sizes.iter().enumerate() {
            for (user, n) in [(PREMIUM, *premium_n), (FREE, *free_n)] {
                let mut picks = cat.sample(*kind, n * 3, seed.wrapping_add((k * 10 + user) as u64));
                if *kind == Kind::Album {
                    // Saved albums are full albums (at least four tracks).
                    picks.retain(|&a| cat.albums.get(a).is_some_and(|a| a.tracks.len() >= 4));
                }
                picks.truncate(n);
                // Oldest first so the newest ends up on top.
                for (j, index) in picks.iter().enumerate().rev() {
                    let added =
                        SEED_EPOCH_MS - (j as i64) * 86_400_000 - rng.random_range(0..86_400_000);
                    accounts[user].library.save(
                        &LibraryItem::Catalog(ItemRef {
                            kind: *kind,
                            index: *index,
                        }),
                        added,
                    );
                }
            }
        }

        // Top items.
        for acc in accounts.iter_mut().take(2) {
            for r in 0..3 {
                acc.top.artists[r] =
                    cat.sample(Kind::Artist, 30, seed.wrapping_add(100 + r as u64));
                acc.top.tracks[r] = cat.sample(Kind::Track, 50, seed.wrapping_add(200 + r as u64));
            }
        }

        // Playlists.
        let mut playlists = Playlists::default();
        let make = |rng: &mut StdRng,
                    id: String,
                    name: String,
                    owner: usize,
                    n: usize,
                    public: bool,
                    collaborative: bool,
                    editorial: bool| {
            let items = tracks_of(rng, cat, n);
            let entries = items
                .into_iter()
                .enumerate()
                .map(|(j, item)| Entry {
                    item,
                    added_at: SEED_EPOCH_MS - 3_600_000 * (n - j) as i64,
                    added_by: owner,
                })
                .collect();
            Playlist {
                id,
                name,
                description: Some(format!("A sandbox playlist by {}", users[owner].1)),
                owner,
                public,
                collaborative,
                collaborators: Vec::new(),
                editorial,
                entries,
                version: 1,
                followers: rng.random_range(0..10_000),
                cover: None,
            }
        };
        let premium_names = ["Road Trip", "Deep Focus", "Sunday Morning", "Workout Mix"];
        let mut premium_ids = Vec::new();
        for (j, name) in premium_names.iter().enumerate() {
            let id = ids::base62_id(&mut rng);
            let n = rng.random_range(12..40);
            let mut p = make(
                &mut rng,
                id.clone(),
                (*name).into(),
                PREMIUM,
                n,
                j != 1,
                false,
                false,
            );
            if j == 2 {
                // A playlist mixing tracks and podcast episodes.
                let e = rng.random_range(0..cat.episodes.len());
                p.entries.push(Entry {
                    item: Playable::Episode(e),
                    added_at: SEED_EPOCH_MS,
                    added_by: PREMIUM,
                });
            }
            premium_ids.push(id);
            playlists.insert(p);
        }
        // A collaborative playlist owned by the curator, editable by the Premium user.
        let collab_id = ids::base62_id(&mut rng);
        let mut collab = make(
            &mut rng,
            collab_id.clone(),
            "Band Practice (collab)".into(),
            CURATOR,
            15,
            false,
            true,
            false,
        );
        collab.collaborators.push(PREMIUM);
        playlists.insert(collab);
        // Public playlists of another user: readable, items not readable, not editable.
        let mut curator_ids = Vec::new();
        for _ in 0..6 {
            let genre = *names::GENRES.choose(&mut rng).unwrap_or(&"jazz");
            let id = ids::base62_id(&mut rng);
            let name = names::playlist(&mut rng, genre);
            let p = make(&mut rng, id.clone(), name, CURATOR, 25, true, false, false);
            curator_ids.push(id);
            playlists.insert(p);
        }
        // Spotify editorial playlists (404 for development-mode apps).
        for genre in names::GENRES {
            let id = format!("37i9dQZF1DX{}", ids::base62_string(&mut rng, 11));
            let name = names::playlist(&mut rng, genre);
            playlists.insert(make(&mut rng, id, name, SPOTIFY, 30, true, false, true));
        }
        for name in ["Free Favourites", "Chill"] {
            let id = ids::base62_id(&mut rng);
            playlists.insert(make(
                &mut rng,
                id,
                name.into(),
                FREE,
                10,
                true,
                false,
                false,
            ));
        }
        let followed: Vec<&String> = premium_ids
            .iter()
            .chain([&collab_id, &curator_ids[0]])
            .collect();
        for (j, id) in followed.into_iter().enumerate().rev() {
            accounts[PREMIUM].library.save(
                &LibraryItem::Playlist(id.clone()),
                SEED_EPOCH_MS - j as i64 * 1000,
            );
        }
        if let Some(id) = curator_ids.get(1) {
            accounts[FREE]
                .library
                .save(&LibraryItem::Playlist(id.clone()), SEED_EPOCH_MS);
        }

        // Devices and playback.
        accounts[PREMIUM].player.devices = vec![
            device(
                &mut rng,
                "Sandbox Laptop",
                "Computer",
                Some(65),
                true,
                false,
            ),
            device(
                &mut rng,
                "Sandbox Phone",
                "Smartphone",
                Some(100),
                false,
                false,
            ),
            device(
                &mut rng,
                "Kitchen Speaker",
                "Speaker",
                Some(40),
                true,
                false,
            ),
            device(&mut rng, "Living Room TV", "TV", Some(30), true, true),
        ];
        accounts[FREE].player.devices = vec![device(
            &mut rng,
            "Free Phone",
            "Smartphone",
            Some(100),
            false,
            false,
        )];

        // Seeded recently-played history (oldest pushed first).
        let history: Vec<usize> = (0..30)
            .map(|_| rng.random_range(0..cat.tracks.len()))
            .collect();
        for (j, track) in history.iter().enumerate() {
            let album = cat.tracks.get(*track).map(|t| t.album).unwrap_or(0);
            accounts[PREMIUM].player.push_history(PlayRecord {
                track: *track,
                played_at: SEED_EPOCH_MS - (30 - j as i64) * 240_000,
                context: cat.albums.get(album).map(|a| Context {
                    kind: "album",
                    id: a.id.clone(),
                }),
            });
        }

        let world = WorldState {
            accounts,
            playlists,
            rng,
        };
        let mut world = world;
        for user in [PREMIUM, FREE] {
            if !opts.active_device_at_start && user == PREMIUM {
                continue;
            }
            let Some(album) = cat.albums.iter().find(|a| a.tracks.len() > 3) else {
                continue;
            };
            let load = Load {
                context: Some(Context {
                    kind: "album",
                    id: album.id.clone(),
                }),
                items: album.tracks.iter().map(|&t| Playable::Track(t)).collect(),
                offset: 0,
                position_ms: 42_000,
            };
            let player = &mut world.accounts[user].player;
            let Some(dev) = player.devices.first().map(|d| d.id.clone()) else {
                continue;
            };
            if player.play(cat, load, Some(&dev), SEED_EPOCH_MS).is_ok() {
                let _ = player.pause(cat, None, SEED_EPOCH_MS);
            }
        }
        world
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_is_deterministic() {
        let cat = Catalog::generate(3);
        let a = WorldState::generate(
            &cat,
            WorldOptions {
                seed: 3,
                active_device_at_start: true,
            },
        );
        let b = WorldState::generate(
            &cat,
            WorldOptions {
                seed: 3,
                active_device_at_start: true,
            },
        );
        let ids = |w: &WorldState| w.playlists.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(
            a.accounts[PREMIUM].player.devices[0].id,
            b.accounts[PREMIUM].player.devices[0].id
        );
    }

    #[test]
    fn premium_user_has_library_playlists_and_a_paused_device() {
        let cat = Catalog::generate(3);
        let mut w = WorldState::generate(
            &cat,
            WorldOptions {
                seed: 3,
                active_device_at_start: true,
            },
        );
        let acc = &mut w.accounts[PREMIUM];
        assert_eq!(acc.library.list(Kind::Track).len(), 40);
        assert!(acc.library.playlists().count() >= 5);
        let s = acc
            .player
            .snapshot(&cat, SEED_EPOCH_MS + 5_000)
            .expect("active device");
        assert!(!s.is_playing);
        assert_eq!(s.progress_ms, 42_000);
        assert!(
            w.playlists
                .iter()
                .any(|p| p.editorial && p.id.starts_with("37i9dQZF1DX") && p.id.len() == 22)
        );
        assert!(
            w.playlists
                .iter()
                .any(|p| p.owner == CURATOR && p.collaborators.contains(&PREMIUM))
        );
    }

    #[test]
    fn without_an_active_device_at_start_none_is_active() {
        let cat = Catalog::generate(3);
        let mut w = WorldState::generate(
            &cat,
            WorldOptions {
                seed: 3,
                active_device_at_start: false,
            },
        );
        assert!(
            w.accounts[PREMIUM]
                .player
                .snapshot(&cat, SEED_EPOCH_MS)
                .is_none()
        );
    }
}
