//! The response cache behind the client's GET calls.
//!
//! - Entries are raw response bodies keyed by (Spotify user scope, path + query), so a
//!   backend can store them anywhere (Redis, for one) and hits skip decoding nothing but
//!   the network.
//! - Every GET has a [`CacheClass`] that picks its TTL (catalog objects long, playlists and
//!   library minutes, search minutes, player state none by default) and a [`Tag`] that says
//!   which writes make it stale.
//! - Writes carry [`Invalidation`]s: adding to a playlist drops that playlist's entries (and the
//!   list of my playlists), saving to the library drops library lists and `contains` answers,
//!   player commands drop player state.
//! - [`CacheBackend`] is the seam for other stores; [`MemoryCache`] (moka, bounded by weighted
//!   size in bytes, per-entry TTL) is the default.

use crate::spotify::config::CacheConfig;
use bytes::Bytes;
use futures::future::BoxFuture;
use moka::Expiry;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a GET answer may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CacheClass {
    /// Never cached.
    #[default]
    None,
    /// Tracks, albums, artists, shows, episodes, audiobooks, chapters, their children.
    Catalog,
    /// A playlist, its items and cover; the list of my playlists.
    Playlist,
    /// Saved items, `contains`, followed artists, profile, top items.
    Library,
    /// Search results.
    Search,
    /// Playback state, devices, queue, recently played.
    Player,
}

/// Which writes make an entry stale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tag {
    Catalog,
    Search,
    Library,
    Player,
    MyPlaylists,
    Playlist(String),
}

/// What a write makes stale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Invalidation {
    /// One playlist (details, items, cover).
    Playlist(String),
    /// The list of my playlists.
    MyPlaylists,
    /// Library lists and `contains` answers, followed artists.
    Library,
    /// Player state, devices, queue.
    Player,
}

impl Invalidation {
    /// The tag whose entries this invalidation drops.
    pub fn tag(&self) -> Tag {
        match self {
            Invalidation::Playlist(id) => Tag::Playlist(id.clone()),
            Invalidation::MyPlaylists => Tag::MyPlaylists,
            Invalidation::Library => Tag::Library,
            Invalidation::Player => Tag::Player,
        }
    }
}

/// A cache key: whose answer, which group, which request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The Spotify user (or app) the answer belongs to; never a token.
    pub scope: String,
    pub tag: Tag,
    /// Path and query string below the API base.
    pub request: String,
}

/// A store for cached answers.
pub trait CacheBackend: Send + Sync + std::fmt::Debug {
    /// The cached body, if present and fresh.
    fn get<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<Bytes>>;
    /// Like [`CacheBackend::get`], with the generation of the entry: a number given to each
    /// stored body that no other insert gets, so whoever read it can later tell whether the
    /// entry there is still the one it read. `None` for backends without generations (then
    /// nothing built from the body is kept, see [`crate::spotify::reads`]).
    fn get_entry<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<(Bytes, Option<u64>)>> {
        Box::pin(async move { self.get(key).await.map(|body| (body, None)) })
    }
    /// Store a body for `ttl`.
    fn insert(&self, key: CacheKey, body: Bytes, ttl: Duration) -> BoxFuture<'_, ()>;
    /// Drop every entry of `scope` carrying `tag`.
    fn invalidate<'a>(&'a self, scope: &'a str, tag: &'a Tag) -> BoxFuture<'a, ()>;
    /// Approximate number of entries.
    fn entry_count(&self) -> u64;
    /// Approximate bytes held.
    fn weighted_size(&self) -> u64;
}

#[derive(Debug, Clone)]
struct Entry {
    body: Bytes,
    ttl: Duration,
    /// Unique per insert (see [`CacheBackend::get_entry`]).
    generation: u64,
}

/// The next entry generation, for every [`MemoryCache`] of the process.
static GENERATION: AtomicU64 = AtomicU64::new(1);

struct PerEntryTtl;

impl Expiry<CacheKey, Entry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &Entry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Bytes counted per entry besides its key and body.
const ENTRY_OVERHEAD: usize = 512;

/// What an entry costs: keys, the block its body takes, and moka's own bookkeeping per entry
/// (about 0.5 KiB measured with a counting allocator: its node, deque and timer-wheel links,
/// hash slot).
fn weigh(key: &CacheKey, entry: &Entry) -> u32 {
    let size = key.scope.len() + key.request.len() + block(entry.body.len()) + ENTRY_OVERHEAD;
    u32::try_from(size).unwrap_or(u32::MAX)
}

/// The heap block a body of `len` bytes takes. The server's allocator (mimalloc) serves a size
/// from classes four per power of two, so a typical 17.5 KB Spotify answer takes a 20 KiB block;
/// weighing the length alone let the cache's RSS end above its budget. Rounding up to a quarter
/// of the power of two below `len` is that class, and an upper bound for glibc's and musl's.
fn block(len: usize) -> usize {
    let quarter = (len.next_power_of_two() / 8).max(16);
    len.next_multiple_of(quarter)
}

/// In-memory backend: moka, bounded by the bytes of keys, bodies and per-entry bookkeeping.
#[derive(Clone)]
pub struct MemoryCache {
    inner: moka::future::Cache<CacheKey, Entry>,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("entries", &self.inner.entry_count())
            .field("bytes", &self.inner.weighted_size())
            .finish()
    }
}

impl MemoryCache {
    /// A cache holding at most `max_bytes` of keys and bodies.
    pub fn new(max_bytes: u64) -> Self {
        let inner = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(weigh)
            .expire_after(PerEntryTtl)
            .support_invalidation_closures()
            .build();
        Self { inner }
    }

    /// Apply pending evictions and invalidations (tests and metrics want exact counts).
    pub async fn sync(&self) {
        self.inner.run_pending_tasks().await;
    }
}

impl CacheBackend for MemoryCache {
    fn get<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async move { self.inner.get(key).await.map(|e| e.body) })
    }

    fn get_entry<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<(Bytes, Option<u64>)>> {
        Box::pin(async move {
            self.inner
                .get(key)
                .await
                .map(|e| (e.body, Some(e.generation)))
        })
    }

    fn insert(&self, key: CacheKey, body: Bytes, ttl: Duration) -> BoxFuture<'_, ()> {
        // A body from hyper is a slice of its connection read buffer (8 KiB and up): kept as is,
        // every cached answer would pin that whole buffer, uncounted by the weigher (the cache
        // of 16 MiB grew the RSS by 8 KiB per small answer without end). Keep an exact copy.
        let body = Bytes::copy_from_slice(&body);
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move {
            self.inner
                .insert(
                    key,
                    Entry {
                        body,
                        ttl,
                        generation,
                    },
                )
                .await;
            // moka applies evictions in batches (after 64 writes or on its housekeeping tick),
            // so a cache filling at the rate of misses held up to 64 answers beyond its budget
            // (1.1 MiB of 18 KB answers, over 7 % of a 16 MiB cache) and the heap kept that
            // high-water mark. Evict now: the entries alive never weigh more than the budget
            // plus the one just inserted. A miss already waited for Spotify; this costs less.
            self.inner.run_pending_tasks().await;
        })
    }

    fn invalidate<'a>(&'a self, scope: &'a str, tag: &'a Tag) -> BoxFuture<'a, ()> {
        let scope = scope.to_owned();
        let tag = tag.clone();
        Box::pin(async move {
            let result = self
                .inner
                .invalidate_entries_if(move |key, _| key.scope == scope && key.tag == tag);
            if let Err(e) = result {
                // Only possible without `support_invalidation_closures`, which is set above.
                tracing::warn!(error = %e, "cache invalidation failed; clearing the cache");
                self.inner.invalidate_all();
            }
        })
    }

    fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }

    fn weighted_size(&self) -> u64 {
        self.inner.weighted_size()
    }
}

/// Hit/miss counters of a [`ResponseCache`].
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidations: AtomicU64,
}

/// The cache as the client uses it: TTL classes, tags and a backend.
#[derive(Debug, Clone)]
pub struct ResponseCache {
    backend: Arc<dyn CacheBackend>,
    config: CacheConfig,
    stats: Arc<CacheStats>,
    /// Invalidation counters by tag: one for each fixed tag, and playlists hashed into the
    /// rest, so the memory stays bounded. Two playlists sharing a slot only make caching more
    /// cautious; a fixed tag never shares one (a play/pause never stops catalog caching).
    epochs: Arc<[AtomicU64; EPOCH_SLOTS]>,
}

const EPOCH_SLOTS: usize = 64;
/// Slots of the tags that are not playlists.
const FIXED_SLOTS: usize = 5;

fn slot(tag: &Tag) -> usize {
    use std::hash::{BuildHasher, RandomState};
    // One hasher for the process: every thread must map a playlist to the same slot.
    static STATE: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    match tag {
        Tag::Catalog => 0,
        Tag::Search => 1,
        Tag::Library => 2,
        Tag::Player => 3,
        Tag::MyPlaylists => 4,
        Tag::Playlist(id) => {
            let hash = STATE.get_or_init(RandomState::new).hash_one(id);
            FIXED_SLOTS + (hash % (EPOCH_SLOTS - FIXED_SLOTS) as u64) as usize
        }
    }
}

impl ResponseCache {
    /// `None` when caching is disabled.
    pub fn from_config(config: &CacheConfig) -> Option<Self> {
        config.enabled.then(|| {
            Self::with_backend(
                Arc::new(MemoryCache::new(config.body_bytes())),
                config.clone(),
            )
        })
    }

    /// Use another backend (Redis, a test double).
    pub fn with_backend(backend: Arc<dyn CacheBackend>, config: CacheConfig) -> Self {
        Self {
            backend,
            config,
            stats: Arc::new(CacheStats::default()),
            epochs: Arc::new(std::array::from_fn(|_| AtomicU64::new(0))),
        }
    }

    /// The configuration (budget and TTLs) the cache was built with.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    pub fn backend(&self) -> &Arc<dyn CacheBackend> {
        &self.backend
    }

    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    /// The TTL of a class; zero = not cached.
    pub fn ttl(&self, class: CacheClass) -> Duration {
        match class {
            CacheClass::None => Duration::ZERO,
            CacheClass::Catalog => self.config.catalog_ttl,
            CacheClass::Playlist => self.config.playlist_ttl,
            CacheClass::Library => self.config.library_ttl,
            CacheClass::Search => self.config.search_ttl,
            CacheClass::Player => self.config.player_ttl,
        }
    }

    pub async fn get(&self, key: &CacheKey) -> Option<Bytes> {
        self.get_entry(key).await.map(|(body, _)| body)
    }

    /// The cached body with its entry's generation (see [`CacheBackend::get_entry`]).
    pub async fn get_entry(&self, key: &CacheKey) -> Option<(Bytes, Option<u64>)> {
        let hit = self.backend.get_entry(key).await;
        let counter = if hit.is_some() {
            &self.stats.hits
        } else {
            &self.stats.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Whether each `(key, generation)` read earlier is still the entry a GET of that key
    /// would be answered from now: present, fresh, and not replaced (an invalidation or an
    /// expiry drops it, a new insert gets a new generation). Then something built from those
    /// bodies alone is what building it again would give; each entry counts as a hit.
    pub async fn still_current(&self, reads: &[(CacheKey, u64)]) -> bool {
        for (key, generation) in reads {
            match self.backend.get_entry(key).await {
                Some((_, Some(now))) if now == *generation => {}
                _ => return false,
            }
        }
        self.stats
            .hits
            .fetch_add(reads.len() as u64, Ordering::Relaxed);
        true
    }

    pub async fn insert(&self, key: CacheKey, body: Bytes, class: CacheClass) {
        let ttl = self.ttl(class);
        if !ttl.is_zero() {
            self.backend.insert(key, body, ttl).await;
        }
    }

    pub async fn invalidate(&self, scope: &str, what: &Invalidation) {
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
        let tag = what.tag();
        self.epochs[slot(&tag)].fetch_add(1, Ordering::SeqCst);
        self.backend.invalidate(scope, &tag).await;
    }

    /// Counter of invalidations of `tag`, read before a GET is sent: an answer fetched while a
    /// write invalidated its tag may predate that write, so it must not be cached. Writes to
    /// other tags (a play/pause during a catalog GET) do not matter.
    pub fn epoch(&self, tag: &Tag) -> u64 {
        self.epochs[slot(tag)].load(Ordering::SeqCst)
    }

    /// Store an answer fetched when the epoch of its tag was `epoch`, unless that tag was
    /// invalidated meanwhile (then the answer may be stale). Returns whether it was stored.
    pub async fn insert_if_current(
        &self,
        key: CacheKey,
        body: Bytes,
        class: CacheClass,
        epoch: u64,
    ) -> bool {
        if self.epoch(&key.tag) != epoch || self.ttl(class).is_zero() {
            return false;
        }
        let (scope, tag) = (key.scope.clone(), key.tag.clone());
        self.insert(key, body, class).await;
        if self.epoch(&tag) != epoch {
            // An invalidation raced with the insert: drop what may have survived it.
            self.backend.invalidate(&scope, &tag).await;
            return false;
        }
        true
    }
}

/// The tag of a cached GET: which writes make it stale.
pub fn tag_for(class: CacheClass, template: &str, path: &str) -> Tag {
    match class {
        CacheClass::Playlist if template == "/me/playlists" => Tag::MyPlaylists,
        CacheClass::Playlist => Tag::Playlist(
            path.split('/')
                .filter(|s| !s.is_empty())
                .nth(1)
                .unwrap_or_default()
                .to_owned(),
        ),
        CacheClass::Library => Tag::Library,
        CacheClass::Search => Tag::Search,
        CacheClass::Player => Tag::Player,
        CacheClass::Catalog | CacheClass::None => Tag::Catalog,
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;

    /// A cached body must not keep a larger buffer alive (hyper hands out bodies as
    /// slices of its read buffer): the cache stores its own exact copy.
    #[tokio::test]
    async fn a_cached_body_does_not_pin_the_buffer_it_was_sliced_from() {
        let cache = MemoryCache::new(1 << 20);
        let read_buffer = Bytes::from(vec![b'x'; 64 * 1024]);
        let body = read_buffer.slice(100..1100);
        let key = CacheKey {
            scope: "u".into(),
            tag: Tag::Search,
            request: "/search?q=x".into(),
        };
        cache
            .insert(key.clone(), body.clone(), Duration::from_secs(60))
            .await;
        let cached = cache.get(&key).await.expect("cached");
        assert_eq!(cached, body);
        let buffer = read_buffer.as_ptr_range();
        assert!(
            !buffer.contains(&cached.as_ptr()),
            "the cached body points into the 64 KiB read buffer"
        );
        cache.sync().await;
        assert_eq!(
            cache.weighted_size(),
            (key.scope.len() + key.request.len() + block(body.len()) + ENTRY_OVERHEAD) as u64
        );
    }

    #[test]
    fn a_body_weighs_the_block_the_allocator_gives_it() {
        // mimalloc's classes: 16 KiB, 20 KiB, 24 KiB, 28 KiB, 32 KiB, 40 KiB...
        assert_eq!(block(16_384), 16_384);
        assert_eq!(block(16_385), 20_480);
        assert_eq!(block(17_526), 20_480);
        assert_eq!(block(20_481), 24_576);
        assert_eq!(block(32_769), 40_960);
        // Small bodies round to 16 bytes.
        assert_eq!(block(0), 0);
        assert_eq!(block(1), 16);
        assert_eq!(block(100), 112);
        for len in [1, 17, 1000, 17_526, 70_000, 1 << 20] {
            let b = block(len);
            assert!(b >= len && b * 4 <= len * 5 + 64, "{len} -> {b}");
        }
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    /// The entries alive (inserted and not yet evicted, whatever moka has applied)
    /// never weigh more than the budget plus the entry just inserted, also while the cache
    /// fills at the rate of misses. moka evicts in batches of 64 writes unless told to.
    #[tokio::test]
    async fn the_entries_alive_never_weigh_more_than_the_budget_plus_one() {
        const BUDGET: u64 = 64 * 1024;
        const BODY: usize = 4 * 1024;
        let cache = MemoryCache::new(BUDGET);
        let mut largest_overshoot = 0;
        for i in 0..200 {
            let key = CacheKey {
                scope: "u".into(),
                tag: Tag::Search,
                request: format!("/search?q=x&offset={i}"),
            };
            let entry = Entry {
                body: Bytes::from(vec![b'x'; BODY]),
                ttl: Duration::from_secs(60),
                generation: 0,
            };
            let one = u64::from(weigh(&key, &entry));
            cache.insert(key, entry.body, entry.ttl).await;
            let alive: u64 = cache
                .inner
                .iter()
                .map(|(key, entry)| u64::from(weigh(&key, &entry)))
                .sum();
            largest_overshoot = largest_overshoot.max(alive.saturating_sub(BUDGET + one));
        }
        assert_eq!(
            largest_overshoot, 0,
            "the entries alive weighed up to {largest_overshoot} bytes more than the budget plus one entry"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scope: &str, tag: Tag, request: &str) -> CacheKey {
        CacheKey {
            scope: scope.into(),
            tag,
            request: request.into(),
        }
    }

    fn config() -> CacheConfig {
        CacheConfig {
            catalog_ttl: Duration::from_secs(60),
            playlist_ttl: Duration::from_millis(150),
            ..CacheConfig::default()
        }
    }

    #[tokio::test]
    async fn entries_expire_after_their_class_ttl() {
        let cache = ResponseCache::with_backend(Arc::new(MemoryCache::new(1 << 20)), config());
        let catalog = key("u1", Tag::Catalog, "/tracks/a");
        let playlist = key("u1", Tag::Playlist("p".into()), "/playlists/p");
        cache
            .insert(
                catalog.clone(),
                Bytes::from_static(b"track"),
                CacheClass::Catalog,
            )
            .await;
        cache
            .insert(
                playlist.clone(),
                Bytes::from_static(b"pl"),
                CacheClass::Playlist,
            )
            .await;
        assert_eq!(cache.get(&playlist).await.as_deref(), Some(&b"pl"[..]));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(cache.get(&playlist).await, None, "playlist TTL is 150 ms");
        assert_eq!(cache.get(&catalog).await.as_deref(), Some(&b"track"[..]));
        assert_eq!(cache.stats().hits.load(Ordering::Relaxed), 2);
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn uncached_classes_are_not_stored() {
        let cache = ResponseCache::with_backend(Arc::new(MemoryCache::new(1 << 20)), config());
        let k = key("u1", Tag::Player, "/me/player");
        cache
            .insert(k.clone(), Bytes::from_static(b"state"), CacheClass::Player)
            .await;
        cache
            .insert(k.clone(), Bytes::from_static(b"state"), CacheClass::None)
            .await;
        assert_eq!(cache.get(&k).await, None);
    }

    #[tokio::test]
    async fn invalidation_drops_only_the_tag_of_that_user() {
        let memory = Arc::new(MemoryCache::new(1 << 20));
        let cache = ResponseCache::with_backend(memory.clone(), config());
        let p1 = key("u1", Tag::Playlist("p1".into()), "/playlists/p1/items");
        let p2 = key("u1", Tag::Playlist("p2".into()), "/playlists/p2/items");
        let other_user = key("u2", Tag::Playlist("p1".into()), "/playlists/p1/items");
        let lib = key("u1", Tag::Library, "/me/tracks");
        for k in [&p1, &p2, &other_user, &lib] {
            cache
                .insert(k.clone(), Bytes::from_static(b"x"), CacheClass::Catalog)
                .await;
        }
        cache
            .invalidate("u1", &Invalidation::Playlist("p1".into()))
            .await;
        assert_eq!(cache.get(&p1).await, None);
        assert!(cache.get(&p2).await.is_some());
        assert!(cache.get(&other_user).await.is_some());
        cache.invalidate("u1", &Invalidation::Library).await;
        assert_eq!(cache.get(&lib).await, None);
        memory.sync().await;
        assert_eq!(memory.entry_count(), 2);
    }

    #[tokio::test]
    async fn size_bound_evicts() {
        let memory = Arc::new(MemoryCache::new(10_000));
        let cache = ResponseCache::with_backend(memory.clone(), config());
        for i in 0..100 {
            let k = key("u", Tag::Catalog, &format!("/tracks/{i}"));
            cache
                .insert(k, Bytes::from(vec![0u8; 1000]), CacheClass::Catalog)
                .await;
        }
        memory.sync().await;
        assert!(
            memory.weighted_size() <= 10_000,
            "{}",
            memory.weighted_size()
        );
        assert!(memory.entry_count() < 100);
    }

    #[tokio::test]
    async fn answers_fetched_across_an_invalidation_are_not_cached() {
        let cache = ResponseCache::with_backend(Arc::new(MemoryCache::new(1 << 20)), config());
        let k = key("u1", Tag::Playlist("p".into()), "/playlists/p/items");
        let before = cache.epoch(&k.tag);
        cache
            .invalidate("u1", &Invalidation::Playlist("p".into()))
            .await;
        let stored = cache
            .insert_if_current(
                k.clone(),
                Bytes::from_static(b"old"),
                CacheClass::Playlist,
                before,
            )
            .await;
        assert!(!stored);
        assert_eq!(cache.get(&k).await, None);
        let now = cache.epoch(&k.tag);
        assert!(
            cache
                .insert_if_current(
                    k.clone(),
                    Bytes::from_static(b"new"),
                    CacheClass::Playlist,
                    now
                )
                .await
        );
        assert_eq!(cache.get(&k).await.as_deref(), Some(&b"new"[..]));
    }

    /// What was built from cached entries is current only while each entry is the
    /// one read: a replacement (another generation), an invalidation or an expiry ends it.
    #[tokio::test]
    async fn entries_read_are_current_until_replaced_invalidated_or_expired() {
        let cache = ResponseCache::with_backend(Arc::new(MemoryCache::new(1 << 20)), config());
        let track = key("u1", Tag::Catalog, "/tracks/t");
        let items = key("u1", Tag::Playlist("p".into()), "/playlists/p/items");
        let read = |k: &CacheKey| {
            let cache = cache.clone();
            let k = k.clone();
            async move {
                let (_, generation) = cache.get_entry(&k).await.expect("cached");
                (k, generation.expect("the memory cache has generations"))
            }
        };
        cache
            .insert(
                track.clone(),
                Bytes::from_static(b"t1"),
                CacheClass::Catalog,
            )
            .await;
        cache
            .insert(
                items.clone(),
                Bytes::from_static(b"i1"),
                CacheClass::Playlist,
            )
            .await;
        let reads = vec![read(&track).await, read(&items).await];
        assert!(cache.still_current(&reads).await);

        // The same body stored again is another entry.
        cache
            .insert(
                track.clone(),
                Bytes::from_static(b"t1"),
                CacheClass::Catalog,
            )
            .await;
        assert!(!cache.still_current(&reads).await);
        let reads = vec![read(&track).await, read(&items).await];
        assert!(cache.still_current(&reads).await);

        cache
            .invalidate("u1", &Invalidation::Playlist("p".into()))
            .await;
        assert!(!cache.still_current(&reads).await);

        cache
            .insert(
                items.clone(),
                Bytes::from_static(b"i2"),
                CacheClass::Playlist,
            )
            .await;
        let reads = vec![read(&items).await];
        assert!(cache.still_current(&reads).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!cache.still_current(&reads).await, "playlist TTL is 150 ms");
    }

    #[tokio::test]
    async fn writes_to_other_tags_do_not_stop_caching() {
        let cache = ResponseCache::with_backend(Arc::new(MemoryCache::new(1 << 20)), config());
        let track = key("u1", Tag::Catalog, "/tracks/t");
        let before = cache.epoch(&track.tag);
        // A play/pause while the track was being fetched.
        cache.invalidate("u1", &Invalidation::Player).await;
        assert_eq!(cache.epoch(&Tag::Catalog), before);
        assert!(
            cache
                .insert_if_current(
                    track.clone(),
                    Bytes::from_static(b"{}"),
                    CacheClass::Catalog,
                    before
                )
                .await
        );
        assert!(cache.get(&track).await.is_some());
    }

    #[test]
    fn fixed_tags_never_share_an_epoch_slot() {
        let fixed = [
            Tag::Catalog,
            Tag::Search,
            Tag::Library,
            Tag::Player,
            Tag::MyPlaylists,
        ];
        let slots: std::collections::HashSet<_> = fixed.iter().map(slot).collect();
        assert_eq!(slots.len(), fixed.len());
        for i in 0..10_000 {
            let s = slot(&Tag::Playlist(format!("playlist{i}")));
            assert!((FIXED_SLOTS..EPOCH_SLOTS).contains(&s), "{s}");
        }
    }

    #[test]
    fn tags_follow_the_request() {
        assert_eq!(
            tag_for(
                CacheClass::Playlist,
                "/playlists/{playlist_id}/items",
                "/playlists/abc/items"
            ),
            Tag::Playlist("abc".into())
        );
        assert_eq!(
            tag_for(CacheClass::Playlist, "/me/playlists", "/me/playlists"),
            Tag::MyPlaylists
        );
        assert_eq!(
            tag_for(CacheClass::Library, "/me/tracks", "/me/tracks"),
            Tag::Library
        );
        assert_eq!(
            tag_for(CacheClass::Catalog, "/tracks/{id}", "/tracks/x"),
            Tag::Catalog
        );
    }
}
