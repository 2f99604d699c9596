//! Redis backend of the response cache (`--cache redis://host:port/db`), so replicas share one
//! cache. It implements the client's [`CacheBackend`] seam.
//!
//! - Keys: `spotify-mcp:v1:{scope}:{tag}:{request}`, scoped per Spotify user (the client's
//!   secret-free user scope), values are the raw response bodies with the class TTL (`PX`).
//! - Invalidation by tag: every entry is also listed in a tag set
//!   `spotify-mcp:v1:{scope}:tag:{tag}`; invalidating deletes the set's members and the set in
//!   one Lua script (atomic; single-node Redis, not Redis Cluster).
//! - Redis down: every operation is bounded by a short timeout and fails over to the origin
//!   (a get is a miss, a set is skipped), counted as `result="error"` in
//!   `spotify_mcp_cache_operations_total`. Invalidations that could not be applied are
//!   remembered and replayed before the cache is used again, so no stale entry is served when
//!   Redis comes back. The connection is re-established on the next operation after Redis
//!   returns.

pub mod holds;
pub(crate) mod keys;
pub mod oauth;
pub mod session_subs;
pub mod tokens;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::metrics::{CacheOperation, CacheResult, Metrics};
use crate::spotify::cache::{CacheBackend, CacheKey, Tag};

pub use keys::{entry_key, tag_set_key};

/// Connecting to Redis may take at most this long before the origin is used instead.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// A single Redis command may take at most this long.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the size gauges are refreshed from Redis (DBSIZE, INFO memory).
const SIZE_REFRESH: Duration = Duration::from_secs(10);
/// Unapplied invalidations remembered while Redis is down; past this, the whole namespace is
/// dropped when Redis returns.
const MAX_PENDING: usize = 10_000;

/// Set the entry and list it in its tag set; the set lives as long as its longest entry.
const INSERT_SCRIPT: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
";

/// Delete every entry listed in a tag set, and the set.
const INVALIDATE_SCRIPT: &str = r"
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1])
return #members
";

/// Why the Redis cache could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RedisCacheError {
    /// The URL does not parse. The URL itself is not repeated: it may hold a password.
    #[error(
        "invalid Redis URL for --cache (expected redis://[user:password@]host[:port][/db]): {reason}"
    )]
    InvalidUrl { reason: String },
    /// Only plain `redis://` (and `unix://`) are supported in this build.
    #[error("unsupported Redis URL scheme `{scheme}` for --cache: use redis://host:port/db")]
    UnsupportedScheme { scheme: String },
}

#[derive(Debug)]
enum Failure {
    Redis(redis::RedisError),
    Timeout,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // RedisError's Display carries no URL or credentials.
            Failure::Redis(e) => write!(f, "{e}"),
            Failure::Timeout => write!(f, "timed out after {COMMAND_TIMEOUT:?}"),
        }
    }
}

impl From<redis::RedisError> for Failure {
    fn from(e: redis::RedisError) -> Self {
        Failure::Redis(e)
    }
}

/// A Redis command that failed: what went wrong, never the URL.
#[derive(Debug, thiserror::Error)]
#[error("Redis: {0}")]
pub struct RedisFailure(String);

/// The Redis backend. Cheap to clone.
#[derive(Clone)]
pub struct RedisCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    connection: tokio::sync::OnceCell<ConnectionManager>,
    metrics: Metrics,
    insert: redis::Script,
    invalidate: redis::Script,
    /// Tag sets whose invalidation failed while Redis was unreachable.
    pending: Mutex<Pending>,
    has_pending: AtomicBool,
    healthy: AtomicBool,
    entries: AtomicU64,
    bytes: AtomicU64,
}

#[derive(Default)]
struct Pending {
    tag_sets: HashSet<String>,
    overflowed: bool,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addr = &self.inner.client.get_connection_info().addr();
        f.debug_struct("RedisCache")
            .field("addr", &addr.to_string())
            .field("entries", &self.inner.entries.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Whether this build can talk to `url` (plain `redis://` or a Unix socket; no TLS). The error
/// names only the scheme, never the URL (it may carry a password).
pub fn check_scheme(url: &str) -> Result<(), RedisCacheError> {
    let scheme = url.split("://").next().unwrap_or_default();
    if matches!(scheme, "redis" | "unix" | "redis+unix") {
        Ok(())
    } else {
        Err(RedisCacheError::UnsupportedScheme {
            scheme: scheme.to_owned(),
        })
    }
}

impl RedisCache {
    /// A backend for `url`. Does not connect yet (Redis may come up later); the first
    /// operation does. Must be called inside a Tokio runtime (it starts the size refresher).
    pub fn new(url: &str, metrics: Metrics) -> Result<Self, RedisCacheError> {
        check_scheme(url)?;
        let client = redis::Client::open(url).map_err(|e| RedisCacheError::InvalidUrl {
            reason: e.to_string().replace(url, "<url>"),
        })?;
        let cache = Self {
            inner: Arc::new(Inner {
                client,
                connection: tokio::sync::OnceCell::new(),
                metrics,
                insert: redis::Script::new(INSERT_SCRIPT),
                invalidate: redis::Script::new(INVALIDATE_SCRIPT),
                pending: Mutex::new(Pending::default()),
                has_pending: AtomicBool::new(false),
                healthy: AtomicBool::new(true),
                entries: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
            }),
        };
        tokio::spawn(refresh_size(Arc::downgrade(&cache.inner)));
        Ok(cache)
    }

    /// Whether the last operation reached Redis.
    pub fn is_healthy(&self) -> bool {
        self.inner.healthy.load(Ordering::Relaxed)
    }

    /// Runs one command on the cache's connection (bounded by the command timeout); the error
    /// names what failed, never the URL.
    pub async fn command<T: redis::FromRedisValue>(
        &self,
        cmd: redis::Cmd,
    ) -> Result<T, RedisFailure> {
        self.query("command", |mut conn| async move {
            cmd.query_async(&mut conn).await
        })
        .await
    }

    /// Runs `pipe` (as one round trip) on the cache's connection, bounded like [`Self::command`].
    pub async fn pipeline<T: redis::FromRedisValue>(
        &self,
        pipe: redis::Pipeline,
    ) -> Result<T, RedisFailure> {
        self.query("pipeline", |mut conn| async move {
            pipe.query_async(&mut conn).await
        })
        .await
    }

    /// Runs `op` on the cache's connection and notes whether Redis answered.
    async fn query<T, F, Fut>(&self, what: &str, op: F) -> Result<T, RedisFailure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let result = self.inner.run(op).await;
        self.inner.note(result.is_ok(), what, result.as_ref().err());
        result.map_err(|e| RedisFailure(e.to_string()))
    }

    /// Asks Redis for a `PONG` on a connection of its own (the cache's connection is left to
    /// the cache: it is made on the first cache operation, and a probe must not change when),
    /// bounded by the connect and command timeouts. The error names what failed, never the URL.
    pub async fn ping(&self) -> Result<(), String> {
        let ping = async {
            let mut conn = self
                .inner
                .client
                .get_multiplexed_async_connection()
                .await
                .map_err(Failure::Redis)?;
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map_err(Failure::Redis)
        };
        match tokio::time::timeout(CONNECT_TIMEOUT + COMMAND_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(Failure::Timeout.to_string()),
        }
    }
}

impl Inner {
    async fn connection(&self) -> Result<ConnectionManager, Failure> {
        let connect = async {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(COMMAND_TIMEOUT))
                // Reconnect once per failed command instead of backing off while a tool
                // call waits: with Redis down the origin answers instead.
                .set_number_of_retries(0);
            ConnectionManager::new_with_config(self.client.clone(), config).await
        };
        let manager = self
            .connection
            .get_or_try_init(|| async {
                tokio::time::timeout(CONNECT_TIMEOUT, connect)
                    .await
                    .map_err(|_| Failure::Timeout)?
                    .map_err(Failure::Redis)
            })
            .await?;
        Ok(manager.clone())
    }

    async fn run<T, F, Fut>(&self, op: F) -> Result<T, Failure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        tokio::time::timeout(COMMAND_TIMEOUT, op(conn))
            .await
            .map_err(|_| Failure::Timeout)?
            .map_err(Failure::Redis)
    }

    fn note(&self, ok: bool, what: &str, failure: Option<&Failure>) {
        let was = self.healthy.swap(ok, Ordering::Relaxed);
        match (was, ok, failure) {
            (true, false, Some(e)) => {
                tracing::warn!(error = %e, operation = what, "Redis cache unreachable; serving from Spotify until it returns")
            }
            (false, true, _) => tracing::info!("Redis cache reachable again"),
            _ => {}
        }
    }

    /// Replays invalidations that failed while Redis was down. `Err` = still down.
    async fn replay_pending(&self) -> Result<(), Failure> {
        if !self.has_pending.load(Ordering::Acquire) {
            return Ok(());
        }
        let (sets, overflowed) = {
            let Ok(mut pending) = self.pending.lock() else {
                return Err(Failure::Timeout);
            };
            let sets: Vec<String> = pending.tag_sets.drain().collect();
            let overflowed = std::mem::take(&mut pending.overflowed);
            self.has_pending.store(false, Ordering::Release);
            (sets, overflowed)
        };
        let result = async {
            if overflowed {
                self.flush_namespace().await?;
            } else {
                for set in &sets {
                    self.run(|mut c| async move {
                        self.invalidate.key(set).invoke_async::<i64>(&mut c).await
                    })
                    .await?;
                }
            }
            Ok::<(), Failure>(())
        }
        .await;
        if result.is_err() {
            // Put them back; nothing was lost.
            if let Ok(mut pending) = self.pending.lock() {
                pending.overflowed |= overflowed;
                pending.tag_sets.extend(sets);
                self.has_pending.store(true, Ordering::Release);
            }
        } else {
            tracing::info!(
                count = sets.len(),
                overflowed,
                "replayed cache invalidations after a Redis outage"
            );
        }
        result
    }

    /// Drops every key of this server's namespace (after too many missed invalidations).
    async fn flush_namespace(&self) -> Result<(), Failure> {
        let pattern = format!("{}*", keys::PREFIX);
        let mut cursor: u64 = 0;
        loop {
            let pattern = &pattern;
            let (next, found): (u64, Vec<String>) = self
                .run(|mut c| async move {
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            if !found.is_empty() {
                self.run(|mut c| async move {
                    redis::cmd("DEL")
                        .arg(&found)
                        .query_async::<i64>(&mut c)
                        .await
                })
                .await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    fn remember(&self, tag_set: String) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.tag_sets.len() >= MAX_PENDING {
                pending.overflowed = true;
                pending.tag_sets.clear();
            } else if !pending.overflowed {
                pending.tag_sets.insert(tag_set);
            }
            self.has_pending.store(true, Ordering::Release);
        }
    }

    async fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let redis_key = keys::entry_key(key);
        let result = async {
            self.replay_pending().await?;
            self.run(|mut c| async move {
                redis::cmd("GET")
                    .arg(&redis_key)
                    .query_async::<Option<Vec<u8>>>(&mut c)
                    .await
            })
            .await
        }
        .await;
        match result {
            Ok(found) => {
                self.note(true, "get", None);
                let outcome = if found.is_some() {
                    CacheResult::Hit
                } else {
                    CacheResult::Miss
                };
                self.metrics.record_cache(CacheOperation::Get, outcome);
                found.map(Bytes::from)
            }
            Err(e) => {
                self.note(false, "get", Some(&e));
                self.metrics
                    .record_cache(CacheOperation::Get, CacheResult::Error);
                None
            }
        }
    }

    async fn insert(&self, key: CacheKey, body: Bytes, ttl: Duration) {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let entry = keys::entry_key(&key);
        let set = keys::tag_set_key(&key.scope, &key.tag);
        let result = async {
            self.replay_pending().await?;
            self.run(|mut c| async move {
                self.insert
                    .key(&entry)
                    .key(&set)
                    .arg(body.as_ref())
                    .arg(ttl_ms)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await
        }
        .await;
        let outcome = match result {
            Ok(_) => {
                self.note(true, "set", None);
                CacheResult::Ok
            }
            Err(e) => {
                self.note(false, "set", Some(&e));
                CacheResult::Error
            }
        };
        self.metrics.record_cache(CacheOperation::Set, outcome);
    }

    async fn invalidate(&self, scope: &str, tag: &Tag) {
        let set = keys::tag_set_key(scope, tag);
        let result = async {
            self.replay_pending().await?;
            self.run(|mut c| {
                let set = &set;
                async move { self.invalidate.key(set).invoke_async::<i64>(&mut c).await }
            })
            .await
        }
        .await;
        let outcome = match result {
            Ok(_) => {
                self.note(true, "invalidate", None);
                CacheResult::Ok
            }
            Err(e) => {
                self.note(false, "invalidate", Some(&e));
                self.remember(set);
                CacheResult::Error
            }
        };
        self.metrics
            .record_cache(CacheOperation::Invalidate, outcome);
    }

    async fn refresh_size_once(&self) -> Result<(), Failure> {
        let (keys, info): (u64, String) = self
            .run(|mut c| async move {
                redis::pipe()
                    .cmd("DBSIZE")
                    .cmd("INFO")
                    .arg("memory")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let used = info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        self.entries.store(keys, Ordering::Relaxed);
        self.bytes.store(used, Ordering::Relaxed);
        self.metrics.set_cache_size(keys, used);
        Ok(())
    }
}

/// Refreshes the size gauges until the cache is dropped.
async fn refresh_size(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(SIZE_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        // Before the first cache operation there is no connection; do not force one.
        if inner.connection.initialized() {
            let _ = inner.refresh_size_once().await;
        }
    }
}

impl CacheBackend for RedisCache {
    fn get<'a>(&'a self, key: &'a CacheKey) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(self.inner.get(key))
    }

    fn insert(&self, key: CacheKey, body: Bytes, ttl: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.inner.insert(key, body, ttl))
    }

    fn invalidate<'a>(&'a self, scope: &'a str, tag: &'a Tag) -> BoxFuture<'a, ()> {
        Box::pin(self.inner.invalidate(scope, tag))
    }

    /// Keys in the Redis database (refreshed every 10 s).
    fn entry_count(&self) -> u64 {
        self.inner.entries.load(Ordering::Relaxed)
    }

    /// Redis `used_memory` (refreshed every 10 s).
    fn weighted_size(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }
}
