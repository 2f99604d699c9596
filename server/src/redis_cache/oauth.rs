//! The hosted mode's [`Store`] in Redis, shared by every replica: keys under
//! `spotify-mcp:v1:oauth:`, expiry by `PX`, [`Store::take`] by `GETDEL` (Redis ≥ 6.2), replace
//! by `SET XX KEEPTTL`, and locks by `SET NX PX` released by compare-and-delete.

use std::time::Duration;

use super::RedisCache;
use super::keys::PREFIX;
use crate::oauth::store::{Store, StoreError};

const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// See the module documentation.
#[derive(Clone)]
pub struct RedisStore {
    redis: RedisCache,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

fn name(key: &str) -> String {
    format!("{PREFIX}oauth:{key}")
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn failed(e: super::RedisFailure) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    pub fn new(redis: RedisCache) -> Self {
        Self { redis }
    }
}

#[async_trait::async_trait]
impl Store for RedisStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(name(key)).arg(value).arg("PX").arg(millis(ttl));
        self.redis.command::<()>(cmd).await.map_err(failed)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(name(key));
        self.redis.command(cmd).await.map_err(failed)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(name(key));
        self.redis.command(cmd).await.map_err(failed)
    }

    async fn replace(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(name(key)).arg(value).arg("XX").arg("KEEPTTL");
        let done: Option<String> = self.redis.command(cmd).await.map_err(failed)?;
        Ok(done.is_some())
    }

    async fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("DEL");
        for key in keys {
            cmd.arg(name(key));
        }
        self.redis.command::<()>(cmd).await.map_err(failed)
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let token = crate::oauth::secrets::new_id();
        let mut cmd = redis::cmd("SET");
        cmd.arg(name(key))
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl));
        let taken: Option<String> = self.redis.command(cmd).await.map_err(failed)?;
        Ok(taken.map(|_| token))
    }

    async fn unlock(&self, key: &str, token: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(UNLOCK).arg(1).arg(name(key)).arg(token);
        self.redis.command::<()>(cmd).await.map_err(failed)
    }
}
