//! Which cached answers a call was built from.
//!
//! The MCP layer keeps the rendered result of a read-only tool call (without it, a cache hit
//! parsed the cached 18 KB Spotify body and rendered the answer again on every call). That is
//! only right while every Spotify answer the result was built from is still the one the
//! response cache would serve: [`recording`] runs a call and collects, for each request the
//! client sends inside it, the cache key and entry generation of the body it was answered
//! from ([`crate::spotify::cache::CacheBackend::get_entry`]). A request that was not answered
//! from the cache (a miss, an uncached GET, a write, a backend without generations) makes the
//! record incomplete, and nothing built in that call is kept.
//!
//! The record follows the call's own task: a call that spawned a task sending requests would
//! escape it, so the tools must not (none does; the single-flight task of a miss is already
//! covered, since a miss makes the record incomplete).

use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::spotify::cache::CacheKey;

tokio::task_local! {
    static READS: Arc<Mutex<Reads>>;
}

/// What a call read: the cached entries, and whether that was all it sent.
#[derive(Debug, Default)]
pub struct Reads {
    entries: Vec<(CacheKey, u64)>,
    other: bool,
}

impl Reads {
    /// The cached entries read, when every request of the call was answered from one and
    /// there was at least one; `None` otherwise.
    pub fn from_cache_only(self) -> Option<Vec<(CacheKey, u64)>> {
        (!self.other && !self.entries.is_empty()).then_some(self.entries)
    }
}

/// Runs `call`, recording its reads when `enabled` (else the record is empty and incomplete).
pub async fn recording<F: Future>(enabled: bool, call: F) -> (F::Output, Reads) {
    if !enabled {
        let out = call.await;
        return (
            out,
            Reads {
                entries: Vec::new(),
                other: true,
            },
        );
    }
    let reads = Arc::new(Mutex::new(Reads::default()));
    let out = READS.scope(reads.clone(), call).await;
    let reads = std::mem::take(&mut *reads.lock());
    (out, reads)
}

/// A request answered from the cached entry `generation` of `key` (`None`: the backend has no
/// generations, so the answer cannot be checked later).
pub(crate) fn cached(key: &CacheKey, generation: Option<u64>) {
    let _ = READS.try_with(|reads| {
        let mut reads = reads.lock();
        match generation {
            Some(generation) => reads.entries.push((key.clone(), generation)),
            None => reads.other = true,
        }
    });
}

/// A request that was not answered from the cache.
pub(crate) fn not_cached() {
    let _ = READS.try_with(|reads| reads.lock().other = true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::cache::Tag;

    fn key(request: &str) -> CacheKey {
        CacheKey {
            scope: "u".into(),
            tag: Tag::Search,
            request: request.into(),
        }
    }

    #[tokio::test]
    async fn only_calls_answered_wholly_from_the_cache_are_complete() {
        let ((), reads) = recording(true, async {
            cached(&key("/a"), Some(1));
            cached(&key("/b"), Some(2));
        })
        .await;
        assert_eq!(
            reads.from_cache_only(),
            Some(vec![(key("/a"), 1), (key("/b"), 2)])
        );
        let ((), reads) = recording(true, async {
            cached(&key("/a"), Some(1));
            not_cached();
        })
        .await;
        assert_eq!(reads.from_cache_only(), None, "one request was sent");
        let ((), reads) = recording(true, async { cached(&key("/a"), None) }).await;
        assert_eq!(reads.from_cache_only(), None, "no generation to check");
        let ((), reads) = recording(true, async {}).await;
        assert_eq!(reads.from_cache_only(), None, "no request at all");
        let ((), reads) = recording(false, async { cached(&key("/a"), Some(1)) }).await;
        assert_eq!(reads.from_cache_only(), None, "not recording");
        // Outside a recording nothing happens.
        cached(&key("/a"), Some(1));
        not_cached();
    }
}
