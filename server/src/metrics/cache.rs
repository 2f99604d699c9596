//! Counting the operations of the in-memory cache, which cannot fail.
//! Backends that can fail (Redis) count their own operations, including errors.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::spotify::cache::{CacheBackend, CacheKey, MemoryCache, Tag};

use super::{CacheOperation, CacheResult, Metrics};

/// Wraps the in-memory cache: every get is a hit or a miss, every insert and invalidation `ok`,
/// and after each change the size gauges follow the cache's counts (pending evictions applied
/// first, so they are exact; a write already paid for a Spotify request).
#[derive(Debug)]
pub struct InstrumentedCache {
    inner: Arc<MemoryCache>,
    metrics: Metrics,
}

impl InstrumentedCache {
    pub fn new(inner: Arc<MemoryCache>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    async fn report_size(&self) {
        if self.metrics.is_enabled() {
            self.inner.sync().await;
            self.metrics
                .set_cache_size(self.inner.entry_count(), self.inner.weighted_size());
        }
    }
}

impl CacheBackend for InstrumentedCache {
    fn get<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async move { self.get_entry(key).await.map(|(body, _)| body) })
    }

    fn get_entry<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<(Bytes, Option<u64>)>> {
        Box::pin(async move {
            let found = self.inner.get_entry(key).await;
            let result = if found.is_some() {
                CacheResult::Hit
            } else {
                CacheResult::Miss
            };
            self.metrics.record_cache(CacheOperation::Get, result);
            found
        })
    }

    fn insert(&self, key: CacheKey, body: Bytes, ttl: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.inner.insert(key, body, ttl).await;
            self.metrics
                .record_cache(CacheOperation::Set, CacheResult::Ok);
            self.report_size().await;
        })
    }

    fn invalidate<'a>(&'a self, scope: &'a str, tag: &'a Tag) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.inner.invalidate(scope, tag).await;
            self.metrics
                .record_cache(CacheOperation::Invalidate, CacheResult::Ok);
            self.report_size().await;
        })
    }

    fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }

    fn weighted_size(&self) -> u64 {
        self.inner.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::cache::MemoryCache;

    #[tokio::test]
    async fn counts_hits_misses_sets_invalidations_and_size() {
        let metrics = Metrics::new().unwrap();
        let memory = Arc::new(MemoryCache::new(1 << 20));
        let cache = InstrumentedCache::new(memory.clone(), metrics.clone());
        let key = CacheKey {
            scope: "u".into(),
            tag: Tag::Library,
            request: "/me/tracks".into(),
        };
        assert!(cache.get(&key).await.is_none());
        cache
            .insert(
                key.clone(),
                Bytes::from_static(b"{}"),
                Duration::from_secs(60),
            )
            .await;
        let entries = |m: &Metrics| {
            m.render().unwrap().lines().find_map(|l| {
                l.strip_prefix("spotify_mcp_cache_entries ")?
                    .parse::<f64>()
                    .ok()
            })
        };
        assert_eq!(
            entries(&metrics),
            Some(1.0),
            "size is exact right after the insert"
        );
        assert!(cache.get(&key).await.is_some());
        assert!(cache.get(&key).await.is_some());
        cache.invalidate("u", &Tag::Library).await;
        assert!(cache.get(&key).await.is_none());
        let text = metrics.render().unwrap();
        let value = |series: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(series)?
                    .strip_prefix(' ')?
                    .parse::<f64>()
                    .ok()
            })
        };
        let op = |o: &str, r: &str| {
            value(&format!(
                "spotify_mcp_cache_operations_total{{operation=\"{o}\",result=\"{r}\"}}"
            ))
        };
        assert_eq!(op("get", "hit"), Some(2.0));
        assert_eq!(op("get", "miss"), Some(2.0));
        assert_eq!(op("set", "ok"), Some(1.0));
        assert_eq!(op("invalidate", "ok"), Some(1.0));
        assert_eq!(value("spotify_mcp_cache_hit_rate"), Some(0.5));
        assert_eq!(value("spotify_mcp_cache_entries"), Some(0.0), "{text}");
    }
}
