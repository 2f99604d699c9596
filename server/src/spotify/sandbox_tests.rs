//! End-to-end tests of the client against the project's sandbox (a fake of the Spotify Web
//! API served over HTTP): every current operation is called through the real pipeline, its
//! answer decoded with our models, and the sandbox's error behaviours come back as the
//! specific [`SpotifyError`]s.

use crate::sandbox::{self, SandboxHandle, SandboxOptions};
use crate::spotify::api::Page;
use crate::spotify::auth::{LoginOptions, login::login_with};
use crate::spotify::config::{Credentials, SpotifyConfig};
use crate::spotify::error::SpotifyError;
use crate::spotify::ids::{ItemKind, SpotifyId};
use crate::spotify::models::{
    PlayOffset, PlayRequest, PlayableItem, PlaylistDetails, RecommendationsRequest, ReorderItems,
    RepeatState, SearchRequest, SearchType, TimeRange,
};
use crate::spotify::{Secret, SpotifyClient};
use std::time::Duration;

async fn sandbox(opts: SandboxOptions) -> SandboxHandle {
    sandbox::spawn("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .unwrap()
}

fn config(sb: &SandboxHandle, credentials: Credentials) -> SpotifyConfig {
    let mut cfg = SpotifyConfig::new(sandbox::CLIENT_ID, credentials)
        .with_base_urls(sb.api_base_url(), sb.accounts_base_url())
        .with_client_secret(sandbox::CLIENT_SECRET);
    cfg.rate_limit = crate::spotify::config::RateLimitPolicy::Adaptive;
    cfg.retry_base_delay = Duration::from_millis(5);
    cfg
}

/// Forgets the 429 holds of a sandbox's API when dropped (also when the test fails): a later
/// sandbox on the same port must not inherit them.
struct ForgetHolds(String);

impl ForgetHolds {
    fn of(sb: &SandboxHandle) -> Self {
        Self(sb.api_base_url())
    }
}

impl Drop for ForgetHolds {
    fn drop(&mut self) {
        crate::spotify::pipeline::hold::forget(&self.0);
    }
}

fn premium(sb: &SandboxHandle) -> SpotifyClient {
    SpotifyClient::new(config(
        sb,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    ))
    .unwrap()
}

fn id(kind: ItemKind, raw: &str) -> SpotifyId {
    SpotifyId::new(kind, raw).unwrap()
}

#[tokio::test]
async fn catalog_search_profile_and_library_reads() {
    let sb = sandbox(SandboxOptions::default()).await;
    let c = premium(&sb);
    c.check_credentials().await.unwrap();

    let me = c.get_current_user().await.unwrap();
    assert_eq!(me.id, sandbox::PREMIUM_USER_ID);

    let saved = c.get_saved_tracks(None, Page::new(5, 0)).await.unwrap();
    assert!(!saved.items.is_empty(), "the sandbox user has saved tracks");
    let track = &saved.items[0].track;
    let track_id = id(ItemKind::Track, track.id.as_deref().unwrap());
    let got = c.get_track(&track_id, None).await.unwrap();
    assert_eq!(got.name, track.name);
    assert!(
        got.popularity.is_none() && got.available_markets.is_none(),
        "2026 shapes"
    );

    let album_id = id(ItemKind::Album, got.album.id.as_deref().unwrap());
    let album = c.get_album(&album_id, Some("US")).await.unwrap();
    assert!(album.total_tracks >= 1);
    let album_tracks = c
        .get_album_tracks(&album_id, None, Page::new(50, 0))
        .await
        .unwrap();
    assert!(album_tracks.items.iter().any(|t| t.id == got.id));

    let artist_id = id(ItemKind::Artist, got.artists[0].id.as_deref().unwrap());
    let artist = c.get_artist(&artist_id).await.unwrap();
    assert_eq!(artist.id, artist_id.id());
    let albums = c
        .get_artist_albums(&artist_id, &[], None, Page::new(10, 0))
        .await
        .unwrap();
    assert!(!albums.items.is_empty());

    let shows = c.get_saved_shows(Page::new(5, 0)).await.unwrap();
    let show_id = id(ItemKind::Show, &shows.items[0].show.id);
    let show = c.get_show(&show_id, None).await.unwrap();
    assert_eq!(show.id, show_id.id());
    let episodes = c
        .get_show_episodes(&show_id, None, Page::new(5, 0))
        .await
        .unwrap();
    let episode_id = id(ItemKind::Episode, &episodes.items[0].id);
    let episode = c.get_episode(&episode_id, None).await.unwrap();
    assert_eq!(
        episode.show.as_ref().map(|s| s.id.as_str()),
        Some(show_id.id())
    );

    let books = c.get_saved_audiobooks(Page::new(5, 0)).await.unwrap();
    let book_id = id(ItemKind::Audiobook, &books.items[0].audiobook.id);
    c.get_audiobook(&book_id, None).await.unwrap();
    let chapters = c
        .get_audiobook_chapters(&book_id, None, Page::new(5, 0))
        .await
        .unwrap();
    let chapter = c
        .get_chapter(&id(ItemKind::Chapter, &chapters.items[0].id), None)
        .await
        .unwrap();
    assert_eq!(
        chapter.audiobook.as_ref().map(|b| b.id.as_str()),
        Some(book_id.id())
    );

    let results = c
        .search(&SearchRequest {
            query: got.name.clone(),
            types: SearchType::ALL.to_vec(),
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    let tracks = results.tracks.expect("tracks were asked for");
    assert!(
        tracks.items.iter().any(|t| t.name == got.name),
        "search finds the track by name"
    );
    assert!(tracks.limit <= 10);

    c.get_saved_albums(None, Page::new(5, 0)).await.unwrap();
    c.get_saved_episodes(None, Page::new(5, 0)).await.unwrap();
    c.get_followed_artists(None, Some(5)).await.unwrap();
    for range in [
        TimeRange::ShortTerm,
        TimeRange::MediumTerm,
        TimeRange::LongTerm,
    ] {
        c.get_top_artists(Some(range), Page::new(5, 0))
            .await
            .unwrap();
        c.get_top_tracks(Some(range), Page::new(5, 0))
            .await
            .unwrap();
    }

    let missing = id(ItemKind::Track, "0000000000000000000000");
    assert!(matches!(
        c.get_track(&missing, None).await,
        Err(SpotifyError::NotFound { .. })
    ));
    sb.shutdown().await;
}

#[tokio::test]
async fn library_writes_through_me_library() {
    let sb = sandbox(SandboxOptions::default()).await;
    let c = premium(&sb);
    let saved = c.get_saved_tracks(None, Page::new(1, 0)).await.unwrap();
    let track = id(ItemKind::Track, saved.items[0].track.id.as_deref().unwrap());
    assert_eq!(
        c.check_library(std::slice::from_ref(&track)).await.unwrap(),
        [true]
    );
    c.remove_from_library(std::slice::from_ref(&track))
        .await
        .unwrap();
    assert_eq!(
        c.check_library(std::slice::from_ref(&track)).await.unwrap(),
        [false],
        "cache invalidated"
    );
    c.save_to_library(std::slice::from_ref(&track))
        .await
        .unwrap();
    assert_eq!(c.check_library(&[track]).await.unwrap(), [true]);
    sb.shutdown().await;
}

#[tokio::test]
async fn player_commands_drive_the_sandbox_player() {
    let sb = sandbox(SandboxOptions::default()).await;
    let c = premium(&sb);
    let devices = c.get_devices().await.unwrap();
    assert!(!devices.is_empty());
    let device = devices[0].id.clone().unwrap();
    c.transfer_playback(&device, Some(false)).await.unwrap();

    let saved = c.get_saved_tracks(None, Page::new(2, 0)).await.unwrap();
    let t0 = id(ItemKind::Track, saved.items[0].track.id.as_deref().unwrap());
    let t1 = id(ItemKind::Track, saved.items[1].track.id.as_deref().unwrap());
    c.play(
        &PlayRequest {
            uris: vec![t0.clone(), t1.clone()],
            offset: Some(PlayOffset::Position(0)),
            ..Default::default()
        },
        Some(&device),
    )
    .await
    .unwrap();
    let state = c
        .get_playback_state(None)
        .await
        .unwrap()
        .expect("something plays");
    assert!(state.is_playing);
    assert_eq!(
        state.item.as_ref().and_then(PlayableItem::uri),
        Some(t0.uri().as_str())
    );

    c.pause(None).await.unwrap();
    assert!(
        !c.get_playback_state(None)
            .await
            .unwrap()
            .unwrap()
            .is_playing
    );
    c.play(&PlayRequest::default(), None).await.unwrap();
    c.skip_next(None).await.unwrap();
    let now = c.get_currently_playing(None).await.unwrap().unwrap();
    assert_eq!(
        now.item.as_ref().and_then(PlayableItem::uri),
        Some(t1.uri().as_str())
    );
    c.skip_previous(None).await.unwrap();
    c.seek(1_000, None).await.unwrap();
    c.set_volume(40, None).await.unwrap();
    c.set_repeat(RepeatState::Context, None).await.unwrap();
    c.set_shuffle(true, None).await.unwrap();
    let state = c.get_playback_state(None).await.unwrap().unwrap();
    assert_eq!(state.repeat_state, "context");
    assert!(state.shuffle_state);
    assert_eq!(state.device.and_then(|d| d.volume_percent), Some(40));

    c.add_to_queue(&t1, None).await.unwrap();
    let queue = c.get_queue().await.unwrap();
    assert!(
        queue
            .queue
            .iter()
            .any(|i| i.uri() == Some(t1.uri().as_str()))
    );

    let album = id(
        ItemKind::Album,
        saved.items[0].track.album.id.as_deref().unwrap(),
    );
    c.play(
        &PlayRequest {
            context: Some(album),
            offset: Some(PlayOffset::Position(0)),
            position_ms: Some(0),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let history = c.get_recently_played(Some(10), None).await.unwrap();
    assert!(!history.items.is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn playlist_lifecycle_and_foreign_playlists() {
    let sb = sandbox(SandboxOptions::default()).await;
    let c = premium(&sb);
    let me = c.get_current_user().await.unwrap();
    let mine_before = c.get_my_playlists(Page::new(50, 0)).await.unwrap();

    let created = c
        .create_playlist(&PlaylistDetails {
            name: Some("Client e2e".into()),
            description: Some("made by the client tests".into()),
            public: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.owner.id, me.id);
    let pl = id(ItemKind::Playlist, &created.id);
    let mine_after = c.get_my_playlists(Page::new(50, 0)).await.unwrap();
    assert_eq!(
        mine_after.total,
        mine_before.total + 1,
        "create invalidates my playlists"
    );

    c.change_playlist_details(
        &pl,
        &PlaylistDetails {
            name: Some("Client e2e renamed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.get_playlist(&pl, None, None).await.unwrap().name,
        "Client e2e renamed"
    );

    let saved = c.get_saved_tracks(None, Page::new(3, 0)).await.unwrap();
    let tracks: Vec<SpotifyId> = saved
        .items
        .iter()
        .map(|s| id(ItemKind::Track, s.track.id.as_deref().unwrap()))
        .collect();
    let empty = c
        .get_playlist_items(&pl, None, Page::new(50, 0))
        .await
        .unwrap();
    assert_eq!(empty.total, 0);
    c.add_playlist_items(&pl, &tracks[..2], None).await.unwrap();
    let items = c
        .get_playlist_items(&pl, None, Page::new(50, 0))
        .await
        .unwrap();
    let uris: Vec<_> = items
        .items
        .iter()
        .filter_map(|i| i.item.as_ref()?.uri().map(str::to_owned))
        .collect();
    assert_eq!(
        uris,
        [tracks[0].uri(), tracks[1].uri()],
        "entries come under `item`"
    );

    c.reorder_playlist_items(
        &pl,
        &ReorderItems {
            range_start: 1,
            insert_before: 0,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let items = c
        .get_playlist_items(&pl, None, Page::default())
        .await
        .unwrap();
    assert_eq!(
        items.items[0].item.as_ref().and_then(PlayableItem::uri),
        Some(tracks[1].uri().as_str())
    );
    c.remove_playlist_items(&pl, &tracks[1..2], None)
        .await
        .unwrap();
    assert_eq!(
        c.get_playlist_items(&pl, None, Page::default())
            .await
            .unwrap()
            .total,
        1
    );
    c.replace_playlist_items(&pl, &tracks[2..3]).await.unwrap();
    let full = c.get_playlist(&pl, None, None).await.unwrap();
    assert_eq!(full.items.map(|p| p.total), Some(1));

    let jpeg = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xFF, 0xD9,
    ];
    c.upload_playlist_cover(&pl, &jpeg).await.unwrap();
    let cover = c.get_playlist_cover(&pl).await.unwrap();
    assert!(!cover.is_empty());

    let foreign = mine_after
        .items
        .iter()
        .find(|p| p.owner.id != me.id && !p.collaborative)
        .expect("the sandbox user follows someone else's playlist");
    let foreign_id = id(ItemKind::Playlist, &foreign.id);
    let err = c
        .get_playlist_items(&foreign_id, None, Page::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SpotifyError::PlaylistNotOwned { playlist_id } if playlist_id == &foreign.id),
        "{err:?}"
    );
    let err = c
        .add_playlist_items(&foreign_id, &tracks[..1], None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SpotifyError::PlaylistNotOwned { .. }),
        "{err:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn spotify_error_behaviours_map_to_specific_errors() {
    let sb = sandbox(SandboxOptions {
        active_device_at_start: false,
        ..Default::default()
    })
    .await;
    let c = premium(&sb);
    assert!(matches!(
        c.pause(None).await,
        Err(SpotifyError::NoActiveDevice)
    ));
    let free = SpotifyClient::new(config(
        &sb,
        Credentials::RefreshToken(Secret::new(sandbox::FREE_REFRESH_TOKEN)),
    ))
    .unwrap();
    let devices = free.get_devices().await.unwrap_or_default();
    let device = devices.first().and_then(|d| d.id.clone());
    let err = free
        .play(&PlayRequest::default(), device.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(err, SpotifyError::PremiumRequired), "{err:?}");

    let track = id(ItemKind::Track, "4uLU6hMCjMI75M1A2tKUQC");
    let err = c
        .get_several_tracks(std::slice::from_ref(&track), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SpotifyError::UnavailableForDevelopmentMode { .. }),
        "{err:?}"
    );
    let err = c
        .get_recommendations(&RecommendationsRequest {
            seed_tracks: vec![track],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, SpotifyError::UnavailableForDevelopmentMode { .. }),
        "{err:?}"
    );
    assert!(matches!(
        c.get_markets().await,
        Err(SpotifyError::UnavailableForDevelopmentMode { .. })
    ));

    let dead = SpotifyClient::new(config(
        &sb,
        Credentials::RefreshToken(Secret::new("not-a-sandbox-token")),
    ))
    .unwrap();
    let err = dead.check_credentials().await.unwrap_err();
    assert!(
        matches!(err, SpotifyError::ReauthRequired { .. }),
        "{err:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn rate_limits_from_the_sandbox_are_bounded() {
    let sb = sandbox(SandboxOptions {
        rate_limit_probability: 1.0,
        retry_after_secs: 30,
        ..Default::default()
    })
    .await;
    let _forget = ForgetHolds::of(&sb);
    let mut cfg = config(
        &sb,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    );
    cfg.max_retry_wait = Duration::from_secs(2);
    let c = SpotifyClient::new(cfg).unwrap();
    let started = std::time::Instant::now();
    match c.get_current_user().await {
        Err(SpotifyError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(30))
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    sb.shutdown().await;
}

/// The sandbox answers 429 with `Retry-After: 3600`; a call a moment later gets
/// the clear error at once and the sandbox sees no second Web API request.
#[tokio::test]
async fn a_sandbox_retry_after_is_remembered_for_the_client_id() {
    let sb = sandbox(SandboxOptions {
        rate_limit_probability: 1.0,
        retry_after_secs: 3600,
        record_requests: true,
        ..Default::default()
    })
    .await;
    let _forget = ForgetHolds::of(&sb);
    let c = premium(&sb);
    let err = c.get_current_user().await.unwrap_err();
    assert_eq!(err.kind(), "rate_limited", "{err:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let err = c.get_current_user().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), "rate_limited", "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("rate") && message.contains("try again in 3600 s"),
        "{message}"
    );
    let api_requests = recorded_api_requests(&sb).await;
    assert_eq!(api_requests.len(), 1, "{api_requests:?}");
    assert_eq!(api_requests[0].0, 429);
    sb.shutdown().await;
}

/// The Web API exchanges the sandbox recorded: (status, path) of each `/v1/` request.
async fn recorded_api_requests(sb: &SandboxHandle) -> Vec<(u64, String)> {
    let log: serde_json::Value =
        reqwest::get(format!("{}/sandbox/requests", sb.accounts_base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let path = e["path"].as_str()?;
            path.starts_with("/v1/")
                .then(|| (e["status"].as_u64().unwrap_or(0), path.to_owned()))
        })
        .collect()
}

/// Against a Spotify-like rolling window (50 requests per 5 s), four callers making
/// 150 searches with the default (adaptive) policy all succeed, and at most a tenth of the
/// requests that reached the sandbox got 429: the first 429 closes the gate for every caller
/// until its Retry-After, instead of each caller spending its own retries into the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_callers_fit_a_rolling_window_with_few_429s() {
    let sb = sandbox(SandboxOptions {
        window_limit: 50,
        window_secs: 5,
        record_requests: true,
        ..Default::default()
    })
    .await;
    let _forget = ForgetHolds::of(&sb);
    let mut cfg = config(
        &sb,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    );
    cfg.cache.enabled = false;
    assert_eq!(cfg.rate_limit, crate::spotify::RateLimitPolicy::default());
    let client = SpotifyClient::new(cfg).unwrap();
    let callers = (0..4).map(|caller| {
        let client = client.clone();
        tokio::spawn(async move {
            let mut failures = Vec::new();
            for i in (caller..150).step_by(4) {
                let request = SearchRequest {
                    query: format!("window {i}"),
                    types: vec![SearchType::Track],
                    market: None,
                    limit: Some(1),
                    offset: None,
                    include_external_audio: false,
                };
                if let Err(e) = client.search(&request).await {
                    failures.push(format!("search {i}: {e}"));
                }
            }
            failures
        })
    });
    let mut failures = Vec::new();
    for caller in callers {
        failures.extend(caller.await.unwrap());
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let requests = recorded_api_requests(&sb).await;
    let limited = requests.iter().filter(|(status, _)| *status == 429).count();
    let ok = requests.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(ok, 150, "{requests:?}");
    assert!(
        limited * 10 <= requests.len(),
        "{limited} of {} upstream requests got 429",
        requests.len()
    );
    sb.shutdown().await;
}

/// `--spotify-rate-limit off`: a 429 holds only the call that got it.
#[tokio::test]
async fn with_rate_limiting_off_a_429_holds_no_other_call() {
    let sb = sandbox(SandboxOptions {
        rate_limit_probability: 1.0,
        retry_after_secs: 3600,
        ..Default::default()
    })
    .await;
    let _forget = ForgetHolds::of(&sb);
    let mut cfg = config(
        &sb,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    );
    cfg.rate_limit = crate::spotify::RateLimitPolicy::Off;
    let c = SpotifyClient::new(cfg).unwrap();
    let err = c.get_current_user().await.unwrap_err();
    assert!(matches!(err, SpotifyError::RateLimited { .. }), "{err:?}");
    let put = reqwest::Client::new()
        .put(format!("{}/sandbox/faults", sb.accounts_base_url()))
        .json(&serde_json::json!({ "rate_limit_probability": 0.0 }))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    c.get_current_user().await.unwrap();
    sb.shutdown().await;
}

#[tokio::test]
async fn pkce_login_against_the_sandbox_then_use_the_token_file() {
    let sb = sandbox(SandboxOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config(&sb, Credentials::TokenFile(path.clone()));
    cfg.client_secret = None;
    let options = LoginOptions {
        port,
        token_path: Some(path.clone()),
        timeout: Duration::from_secs(20),
        ..LoginOptions::default()
    };
    let tokens = login_with(&cfg, &options, |url| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let _ = reqwest::get(url).await;
        });
    })
    .await
    .unwrap();
    assert!(tokens.refresh_token.is_some());
    let c = SpotifyClient::new(cfg).unwrap();
    assert_eq!(
        c.get_current_user().await.unwrap().id,
        sandbox::PREMIUM_USER_ID
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn extended_endpoints_decode_for_extended_quota_apps() {
    let sb = sandbox(SandboxOptions {
        extended_quota: true,
        ..Default::default()
    })
    .await;
    let c = premium(&sb);
    let saved = c.get_saved_tracks(None, Page::new(3, 0)).await.unwrap();
    let tracks: Vec<SpotifyId> = saved
        .items
        .iter()
        .map(|s| id(ItemKind::Track, s.track.id.as_deref().unwrap()))
        .collect();
    let first = &saved.items[0].track;
    let album = id(ItemKind::Album, first.album.id.as_deref().unwrap());
    let artist = id(ItemKind::Artist, first.artists[0].id.as_deref().unwrap());

    assert_eq!(
        c.get_several_tracks(&tracks, None).await.unwrap().len(),
        tracks.len()
    );
    assert_eq!(
        c.get_several_albums(std::slice::from_ref(&album), None)
            .await
            .unwrap()[0]
            .id,
        album.id()
    );
    assert_eq!(
        c.get_several_artists(std::slice::from_ref(&artist))
            .await
            .unwrap()[0]
            .id,
        artist.id()
    );

    let show = c.get_saved_shows(Page::new(1, 0)).await.unwrap().items[0]
        .show
        .id
        .clone();
    let shows = c
        .get_several_shows(&[id(ItemKind::Show, &show)], None)
        .await
        .unwrap();
    assert_eq!(shows[0].id, show);
    let episode = c
        .get_show_episodes(&id(ItemKind::Show, &show), None, Page::new(1, 0))
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    assert_eq!(
        c.get_several_episodes(&[id(ItemKind::Episode, &episode)], None)
            .await
            .unwrap()[0]
            .id,
        episode
    );
    let book = c.get_saved_audiobooks(Page::new(1, 0)).await.unwrap().items[0]
        .audiobook
        .id
        .clone();
    let book_id = id(ItemKind::Audiobook, &book);
    assert_eq!(
        c.get_several_audiobooks(std::slice::from_ref(&book_id), None)
            .await
            .unwrap()[0]
            .id,
        book
    );
    let chapter = c
        .get_audiobook_chapters(&book_id, None, Page::new(1, 0))
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    assert_eq!(
        c.get_several_chapters(&[id(ItemKind::Chapter, &chapter)], None)
            .await
            .unwrap()[0]
            .id,
        chapter
    );

    let features = c.get_audio_features(&tracks[0]).await.unwrap();
    assert_eq!(features.id, tracks[0].id());
    assert_eq!(
        c.get_several_audio_features(&tracks).await.unwrap().len(),
        tracks.len()
    );
    let analysis = c.get_audio_analysis(&tracks[0]).await.unwrap();
    assert!(analysis.track.tempo > 0.0);

    let genres = c.get_genre_seeds().await.unwrap();
    assert!(!genres.is_empty());
    let recs = c
        .get_recommendations(&RecommendationsRequest {
            seed_tracks: vec![tracks[0].clone()],
            seed_genres: vec![genres[0].clone()],
            limit: Some(5),
            tunables: vec![(
                "energy".into(),
                crate::spotify::models::Tunable {
                    min: Some(0.0),
                    max: Some(1.0),
                    target: None,
                },
            )],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!recs.seeds.is_empty());
    assert!(recs.tracks.len() <= 5);

    c.get_related_artists(&artist).await.unwrap();
    c.get_artist_top_tracks(&artist, Some("US")).await.unwrap();
    assert!(
        !c.get_new_releases(Page::new(5, 0))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    c.get_featured_playlists(None, Page::new(5, 0))
        .await
        .unwrap();
    let categories = c
        .get_categories(Some("en_US"), Page::new(5, 0))
        .await
        .unwrap();
    let category = &categories.items[0].id;
    assert_eq!(&c.get_category(category, None).await.unwrap().id, category);
    c.get_category_playlists(category, Page::new(5, 0))
        .await
        .unwrap();
    assert!(!c.get_markets().await.unwrap().is_empty());
    sb.shutdown().await;
}
