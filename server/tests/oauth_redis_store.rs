//! The hosted mode's store in a real `redis-server` keeps the contract of the memory store
//! (expiry, single-use take, replace-if-present, locks) and keeps nothing readable as a token.

use std::time::Duration;

use spotify_mcp_server::metrics::Metrics;
use spotify_mcp_server::oauth::store::{Store, check_store_contract};
use spotify_mcp_server::redis_cache::RedisCache;
use spotify_mcp_server::redis_cache::oauth::RedisStore;

mod support;

use support::Redis;

#[tokio::test]
async fn the_redis_store_keeps_the_store_contract_under_its_prefix() {
    let redis = Redis::start();
    let store = RedisStore::new(RedisCache::new(&redis.url(), Metrics::disabled()).unwrap());
    check_store_contract(&store, "contract:").await;
    store
        .put("grant:g1", "{}", Duration::from_secs(60))
        .await
        .unwrap();
    let keys = redis.command(&["KEYS", "*"]);
    assert!(keys.contains("spotify-mcp:v1:oauth:grant:g1"), "{keys}");
    let ttl: i64 = redis
        .command(&["PTTL", "spotify-mcp:v1:oauth:grant:g1"])
        .trim()
        .trim_start_matches(':')
        .parse()
        .unwrap();
    assert!(ttl > 50_000 && ttl <= 60_000, "{ttl}");
}

#[tokio::test]
async fn of_two_stores_on_one_redis_only_one_takes_a_code() {
    let redis = Redis::start();
    let a = RedisStore::new(RedisCache::new(&redis.url(), Metrics::disabled()).unwrap());
    let b = RedisStore::new(RedisCache::new(&redis.url(), Metrics::disabled()).unwrap());
    a.put("code:x", "grant", Duration::from_secs(60))
        .await
        .unwrap();
    let (ta, tb) = tokio::join!(a.take("code:x"), b.take("code:x"));
    let got: Vec<_> = [ta.unwrap(), tb.unwrap()].into_iter().flatten().collect();
    assert_eq!(got, vec!["grant".to_owned()]);
}
