//! Counting the operations of a cache backend that cannot fail (the in-memory one).
//! Backends that can fail (Redis) count their own operations, including errors.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::spotify::cache::{CacheBackend, CacheKey, Tag};

use super::{CacheOperation, CacheResult, Metrics};

/// Wraps a backend: every get is a hit or a miss, every insert and invalidation `ok`, and the
/// size gauges follow the backend's own counts.
#[derive(Debug)]
pub struct InstrumentedCache {
    inner: Arc<dyn CacheBackend>,
    metrics: Metrics,
}

impl InstrumentedCache {
    pub fn new(inner: Arc<dyn CacheBackend>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    fn report_size(&self) {
        self.metrics
            .set_cache_size(self.inner.entry_count(), self.inner.weighted_size());
    }
}

impl CacheBackend for InstrumentedCache {
    fn get<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let found = self.inner.get(key).await;
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
            self.report_size();
        })
    }

    fn invalidate<'a>(&'a self, scope: &'a str, tag: &'a Tag) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.inner.invalidate(scope, tag).await;
            self.metrics
                .record_cache(CacheOperation::Invalidate, CacheResult::Ok);
            self.report_size();
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
        assert!(cache.get(&key).await.is_some());
        assert!(cache.get(&key).await.is_some());
        memory.sync().await;
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
        assert!(value("spotify_mcp_cache_bytes").unwrap() > 0.0, "{text}");
    }
}
