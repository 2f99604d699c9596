//! The Redis cache backend against a real `redis-server` (Debian package provisioned by
//! scripts/infra-tools.sh): sharing between clients, per-user keys, invalidation, outage
//! fallback with error counting, recovery, and replay of invalidations missed during an outage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use spotify_mcp_sandbox::{self as sandbox, SandboxOptions};
use spotify_mcp_server::metrics::Metrics;
use spotify_mcp_server::redis_cache::RedisCache;
use spotify_mcp_server::spotify::cache::{CacheBackend, CacheKey, ResponseCache, Tag};
use spotify_mcp_server::spotify::{
    ClientOptions, Credentials, Page, Secret, SpotifyClient, SpotifyConfig, SpotifyId,
};

mod support;

use support::Redis;

// ---- helpers ---------------------------------------------------------------------------------

fn sample(metrics: &Metrics, series: &str) -> f64 {
    let text = metrics.render().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

fn cache_ops(metrics: &Metrics, op: &str, result: &str) -> f64 {
    sample(
        metrics,
        &format!("spotify_mcp_cache_operations_total{{operation=\"{op}\",result=\"{result}\"}}"),
    )
}

fn key(scope: &str, tag: Tag, request: &str) -> CacheKey {
    CacheKey {
        scope: scope.into(),
        tag,
        request: request.into(),
    }
}

// ---- backend level ---------------------------------------------------------------------------

#[tokio::test]
async fn entries_are_shared_scoped_per_user_invalidated_by_tag_and_expire() {
    let redis = Redis::start();
    let (ma, mb) = (Metrics::new().unwrap(), Metrics::new().unwrap());
    let a = RedisCache::new(&redis.url(), ma.clone()).unwrap();
    let b = RedisCache::new(&redis.url(), mb.clone()).unwrap();

    let items = key("u1", Tag::Playlist("p1".into()), "/playlists/p1/items");
    let track = key("u1", Tag::Catalog, "/tracks/t1");
    a.insert(
        items.clone(),
        Bytes::from_static(b"items"),
        Duration::from_secs(60),
    )
    .await;
    a.insert(
        track.clone(),
        Bytes::from_static(b"track"),
        Duration::from_millis(300),
    )
    .await;
    // another process sees it; another user does not
    assert_eq!(b.get(&items).await.as_deref(), Some(&b"items"[..]));
    assert_eq!(
        b.get(&key(
            "u2",
            Tag::Playlist("p1".into()),
            "/playlists/p1/items"
        ))
        .await,
        None
    );
    assert_eq!(cache_ops(&mb, "get", "hit"), 1.0);
    assert_eq!(cache_ops(&mb, "get", "miss"), 1.0);
    assert_eq!(cache_ops(&ma, "set", "ok"), 2.0);

    // invalidating the playlist on one process drops it for both, and only that tag
    b.invalidate("u1", &Tag::Playlist("p1".into())).await;
    assert_eq!(a.get(&items).await, None);
    assert_eq!(a.get(&track).await.as_deref(), Some(&b"track"[..]));
    assert_eq!(cache_ops(&mb, "invalidate", "ok"), 1.0);
    // TTL
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(a.get(&track).await, None);
    assert!(
        redis.command(&["KEYS", "*p1*"]).starts_with("*0"),
        "tag set deleted too"
    );
}

#[tokio::test]
async fn outage_falls_back_counts_errors_and_recovers() {
    let mut redis = Redis::start();
    let metrics = Metrics::new().unwrap();
    let cache = RedisCache::new(&redis.url(), metrics.clone()).unwrap();
    let k = key("u1", Tag::Library, "/me/tracks");
    cache
        .insert(k.clone(), Bytes::from_static(b"x"), Duration::from_secs(60))
        .await;
    assert!(cache.get(&k).await.is_some());

    redis.stop();
    let started = Instant::now();
    assert_eq!(
        cache.get(&k).await,
        None,
        "down: a miss, the origin answers"
    );
    cache
        .insert(k.clone(), Bytes::from_static(b"y"), Duration::from_secs(60))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert!(!cache.is_healthy());
    assert_eq!(cache_ops(&metrics, "get", "error"), 1.0);
    assert_eq!(cache_ops(&metrics, "set", "error"), 1.0);

    redis.restart(); // same port, empty (no persistence)
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        cache
            .insert(k.clone(), Bytes::from_static(b"z"), Duration::from_secs(60))
            .await;
        if cache.get(&k).await.as_deref() == Some(&b"z"[..]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cache did not recover after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cache.is_healthy());
    assert!(cache_ops(&metrics, "get", "hit") >= 2.0);
}

#[tokio::test]
async fn invalidations_missed_during_an_outage_are_replayed() {
    let redis = Redis::start();
    let metrics = Metrics::new().unwrap();
    let cache = RedisCache::new(&redis.url(), metrics.clone()).unwrap();
    let k = key("u1", Tag::Playlist("p9".into()), "/playlists/p9");
    cache
        .insert(
            k.clone(),
            Bytes::from_static(b"old"),
            Duration::from_secs(60),
        )
        .await;
    // Redis stops answering (data kept) while a write invalidates the playlist
    assert!(
        redis
            .command(&["CLIENT", "PAUSE", "1500", "ALL"])
            .starts_with("+OK")
    );
    cache.invalidate("u1", &Tag::Playlist("p9".into())).await;
    assert_eq!(cache_ops(&metrics, "invalidate", "error"), 1.0);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    // the stale entry is still in Redis, but is never served: the invalidation is replayed first
    assert!(
        redis
            .command(&["EXISTS", "spotify-mcp:v1:u1:playlist=p9:/playlists/p9"])
            .starts_with(":1")
    );
    assert_eq!(cache.get(&k).await, None);
    assert!(
        redis
            .command(&["EXISTS", "spotify-mcp:v1:u1:playlist=p9:/playlists/p9"])
            .starts_with(":0")
    );
}

#[tokio::test]
async fn bad_urls_are_rejected_without_echoing_secrets() {
    let metrics = Metrics::disabled();
    let err = RedisCache::new("rediss://:hunter2@example.com", metrics.clone()).unwrap_err();
    assert!(err.to_string().contains("rediss"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = RedisCache::new("redis://:hunter2@[::1", metrics).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

// ---- two Spotify clients sharing Redis, against the sandbox -----------------------------------

fn client(sandbox: &sandbox::SandboxHandle, redis_url: &str, metrics: &Metrics) -> SpotifyClient {
    let cfg = SpotifyConfig::new(
        sandbox::CLIENT_ID,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN.to_owned())),
    )
    .with_base_urls(sandbox.api_base_url(), sandbox.accounts_base_url())
    .with_client_secret(Secret::new(sandbox::CLIENT_SECRET.to_owned()));
    let backend = Arc::new(RedisCache::new(redis_url, metrics.clone()).unwrap());
    let cache = ResponseCache::with_backend(backend, cfg.cache.clone());
    SpotifyClient::with_options(
        cfg,
        ClientOptions {
            observer: Some(Arc::new(metrics.clone())),
            cache: Some(Some(cache)),
        },
    )
    .unwrap()
}

fn api_calls(metrics: &Metrics, endpoint: &str) -> f64 {
    sample(
        metrics,
        &format!(
            "spotify_mcp_spotify_api_requests_total{{endpoint=\"{endpoint}\",method=\"GET\",status=\"200\"}}"
        ),
    )
}

#[tokio::test]
async fn a_call_on_one_client_is_a_hit_on_the_other_and_writes_invalidate_both() {
    let redis = Redis::start();
    let sandbox = sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxOptions::default())
        .await
        .unwrap();
    let (ma, mb) = (Metrics::new().unwrap(), Metrics::new().unwrap());
    let a = client(&sandbox, &redis.url(), &ma);
    let b = client(&sandbox, &redis.url(), &mb);

    let first = a.get_my_playlists(Page::default()).await.unwrap();
    let second = b.get_my_playlists(Page::default()).await.unwrap();
    assert_eq!(first.total, second.total);
    assert_eq!(api_calls(&ma, "/me/playlists"), 1.0);
    assert_eq!(
        api_calls(&mb, "/me/playlists"),
        0.0,
        "b was served from Redis"
    );
    assert_eq!(cache_ops(&mb, "get", "hit"), 1.0);
    assert_eq!(
        sample(
            &ma,
            r#"spotify_mcp_token_refreshes_total{result="success"}"#
        ),
        1.0
    );

    // a playlist the user owns: its items are cached by a, changed by b, fresh again on a
    let me = a.get_current_user().await.unwrap();
    let owned = first
        .items
        .iter()
        .find(|p| p.owner.id == me.id)
        .expect("the sandbox user owns a playlist");
    let pid = SpotifyId::parse(&owned.uri).unwrap();
    let before = a
        .get_playlist_items(&pid, None, Page::default())
        .await
        .unwrap();
    let track_uri = before
        .items
        .iter()
        .find_map(|i| match &i.item {
            Some(spotify_mcp_server::spotify::models::PlayableItem::Track(t)) => {
                Some(t.uri.clone())
            }
            _ => None,
        })
        .expect("the playlist has a track");
    b.add_playlist_items(&pid, &[SpotifyId::parse(&track_uri).unwrap()], None)
        .await
        .unwrap();
    let after = a
        .get_playlist_items(&pid, None, Page::default())
        .await
        .unwrap();
    assert_eq!(
        after.total,
        before.total + 1,
        "a saw b's write: the entry was invalidated"
    );
    assert_eq!(api_calls(&ma, "/playlists/{playlist_id}/items"), 2.0);
    sandbox.shutdown().await;
}
