//! Where the hosted mode keeps its records: registered clients, sign-ins in progress, codes,
//! grants and the digests of the tokens it issued.
//!
//! [`Store`] is a small key-value interface with expiry and the two atomic operations the flows
//! rely on: [`Store::take`] (read and delete at once, so a code or a refresh token is redeemed
//! by one request only, whichever replica gets it) and [`Store::try_lock`]. [`MemoryStore`] is for
//! one replica; `redis_cache::oauth` is the shared one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::ops::compute::Op;

/// The store could not be reached or answered garbage.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the OAuth store is unavailable: {0}")]
pub struct StoreError(pub String);

/// See the module documentation. Keys are given without a prefix; values are opaque strings.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;
    /// The value under `key`, if any and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Reads and deletes `key` at once: of two concurrent calls only one gets the value.
    async fn take(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Replaces the value under `key` keeping its expiry, only if it is still there (a record
    /// deleted meanwhile is not brought back). Whether it was there.
    async fn replace(&self, key: &str, value: &str) -> Result<bool, StoreError>;
    /// Deletes `keys`.
    async fn delete(&self, keys: &[String]) -> Result<(), StoreError>;
    /// Takes the lock `key` for `ttl` unless someone holds it: the holder's token, or `None`.
    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError>;
    /// Releases a lock taken by [`Self::try_lock`], only if `token` still holds it.
    async fn unlock(&self, key: &str, token: &str) -> Result<(), StoreError>;
}

#[derive(Clone)]
struct Entry {
    value: Arc<str>,
    expires: Instant,
}

struct ByDeadline;

impl Expiry<String, Entry> for ByDeadline {
    fn expire_after_create(&self, _: &String, entry: &Entry, now: Instant) -> Option<Duration> {
        Some(entry.expires.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.expires.saturating_duration_since(now))
    }
}

/// The store of a single replica: bounded, lost at exit.
#[derive(Clone)]
pub struct MemoryStore {
    entries: moka::future::Cache<String, Entry>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

/// Records a memory store holds at most (beyond, the least recently used go first).
pub const MEMORY_STORE_CAPACITY: u64 = 200_000;

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(MEMORY_STORE_CAPACITY)
    }
}

impl MemoryStore {
    pub fn with_capacity(capacity: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(capacity)
                .expire_after(ByDeadline)
                .build(),
        }
    }

    fn live(entry: Option<Entry>) -> Option<String> {
        entry
            .filter(|e| e.expires > Instant::now())
            .map(|e| e.value.to_string())
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let entry = Entry {
            value: value.into(),
            expires: Instant::now() + ttl,
        };
        self.entries.insert(key.to_owned(), entry).await;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(Self::live(self.entries.get(key).await))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(Self::live(self.entries.remove(key).await))
    }

    async fn replace(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let value: Arc<str> = value.into();
        let result = self
            .entries
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let op = match current.map(moka::Entry::into_value) {
                    Some(old) if old.expires > Instant::now() => Op::Put(Entry {
                        value: value.clone(),
                        expires: old.expires,
                    }),
                    _ => Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
        Ok(matches!(
            result,
            moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }

    async fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        for key in keys {
            self.entries.invalidate(key).await;
        }
        Ok(())
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let token = crate::oauth::secrets::new_id();
        let entry = Entry {
            value: token.as_str().into(),
            expires: Instant::now() + ttl,
        };
        let result = self
            .entries
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let op = match current.map(moka::Entry::into_value) {
                    Some(held) if held.expires > Instant::now() => Op::Nop,
                    _ => Op::Put(entry),
                };
                std::future::ready(op)
            })
            .await;
        Ok(match result {
            moka::ops::compute::CompResult::Inserted(_)
            | moka::ops::compute::CompResult::ReplacedWith(_) => Some(token),
            _ => None,
        })
    }

    async fn unlock(&self, key: &str, token: &str) -> Result<(), StoreError> {
        self.entries
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let op = match current.map(moka::Entry::into_value) {
                    Some(held) if &*held.value == token => Op::Remove,
                    _ => Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
        Ok(())
    }
}

/// What every [`Store`] must do: run against the memory store here and against a real Redis
/// in `server/tests/oauth_redis_store.rs`. Panics (it is a test) on the first difference.
#[doc(hidden)]
pub async fn check_store_contract(store: &dyn Store, prefix: &str) {
    let key = |k: &str| format!("{prefix}{k}");
    let long = Duration::from_secs(60);
    assert_eq!(store.get(&key("a")).await.unwrap(), None);
    store.put(&key("a"), "1", long).await.unwrap();
    assert_eq!(store.get(&key("a")).await.unwrap().as_deref(), Some("1"));
    assert!(store.replace(&key("a"), "2").await.unwrap());
    assert_eq!(store.get(&key("a")).await.unwrap().as_deref(), Some("2"));
    assert!(!store.replace(&key("gone"), "x").await.unwrap());
    assert_eq!(store.get(&key("gone")).await.unwrap(), None);
    assert_eq!(store.take(&key("a")).await.unwrap().as_deref(), Some("2"));
    assert_eq!(store.take(&key("a")).await.unwrap(), None);

    store
        .put(&key("short"), "x", Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(store.get(&key("short")).await.unwrap(), None);

    store.put(&key("b"), "1", long).await.unwrap();
    store.put(&key("c"), "1", long).await.unwrap();
    store.delete(&[key("b"), key("c")]).await.unwrap();
    assert_eq!(store.get(&key("b")).await.unwrap(), None);
    assert_eq!(store.get(&key("c")).await.unwrap(), None);

    let held = store.try_lock(&key("lock"), long).await.unwrap().unwrap();
    assert_eq!(store.try_lock(&key("lock"), long).await.unwrap(), None);
    store.unlock(&key("lock"), "not-the-holder").await.unwrap();
    assert_eq!(store.try_lock(&key("lock"), long).await.unwrap(), None);
    store.unlock(&key("lock"), &held).await.unwrap();
    let again = store.try_lock(&key("lock"), long).await.unwrap();
    assert!(again.is_some());
    store.unlock(&key("lock"), &again.unwrap()).await.unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        check_store_contract(&MemoryStore::default(), "").await;
    }

    #[tokio::test]
    async fn of_concurrent_takes_only_one_gets_the_value() {
        let store = Arc::new(MemoryStore::default());
        store
            .put("code", "v", Duration::from_secs(60))
            .await
            .unwrap();
        let takes = (0..16).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take("code").await.unwrap() })
        });
        let got: Vec<_> = futures::future::join_all(takes)
            .await
            .into_iter()
            .filter_map(Result::unwrap)
            .collect();
        assert_eq!(got, vec!["v".to_owned()]);
    }
}
