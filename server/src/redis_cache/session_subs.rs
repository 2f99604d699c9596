//! The resource subscriptions of 2025-11-25 sessions, kept in Redis so that every replica sees
//! them: `resources/subscribe` may reach one replica while the session's stream (its `GET
//! /mcp`) is held by another, and the replica that holds the stream is the one that can deliver
//! `notifications/resources/updated`. It reads the session's set here and polls what it lists
//! (see `mcp::relay`), so a subscription also outlives the replica it was made on.
//!
//! Keys are `spotify-mcp:v1:session-subs:{sha256(session id)}` (the session ID is not stored),
//! each a set of URIs, living as long as the session may idle (`--session-idle-timeout`),
//! renewed while a stream reads it or a subscription is added.

use std::time::Duration;

use super::keys::{session_key, ttl_ms};
use super::{RedisCache, RedisFailure};

/// Add a URI unless the set is full; answer the set's size, or -1 when it was full.
const ADD_SCRIPT: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('SCARD', KEYS[1])
";

/// Whether a subscription was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The session now watches the URI (also when it already did).
    Yes,
    /// The session already watches as many URIs as it may.
    Full,
}

/// See the module documentation. Cheap to clone.
#[derive(Clone)]
pub struct SharedSubscriptions {
    redis: RedisCache,
    ttl_ms: u64,
}

impl std::fmt::Debug for SharedSubscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSubscriptions")
            .field("ttl_ms", &self.ttl_ms)
            .finish_non_exhaustive()
    }
}

impl SharedSubscriptions {
    /// Subscriptions kept for `idle` after their session's stream last read them.
    pub fn new(redis: RedisCache, idle: Duration) -> Self {
        Self {
            redis,
            ttl_ms: ttl_ms(idle),
        }
    }

    fn key(session_id: &str) -> String {
        session_key("session-subs", session_id)
    }

    /// Records that `session_id` watches `uri`, unless it already watches `max` others.
    pub async fn add(
        &self,
        session_id: &str,
        uri: &str,
        max: usize,
    ) -> Result<Added, RedisFailure> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(ADD_SCRIPT)
            .arg(1)
            .arg(Self::key(session_id))
            .arg(uri)
            .arg(max)
            .arg(self.ttl_ms);
        let size: i64 = self.redis.command(cmd).await?;
        Ok(if size < 0 { Added::Full } else { Added::Yes })
    }

    /// Forgets that `session_id` watches `uri`; whether it did.
    pub async fn remove(&self, session_id: &str, uri: &str) -> Result<bool, RedisFailure> {
        let mut cmd = redis::cmd("SREM");
        cmd.arg(Self::key(session_id)).arg(uri);
        Ok(self.redis.command::<u32>(cmd).await? > 0)
    }

    /// What `session_id` watches, renewing the set's lifetime (a stream is reading it).
    pub async fn members(&self, session_id: &str) -> Result<Vec<String>, RedisFailure> {
        let key = Self::key(session_id);
        let mut pipe = redis::pipe();
        pipe.cmd("SMEMBERS")
            .arg(&key)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(self.ttl_ms)
            .ignore();
        let (members,): (Vec<String>,) = self.redis.pipeline(pipe).await?;
        Ok(members)
    }

    /// Forgets every subscription of `session_id` (the session ended).
    pub async fn forget(&self, session_id: &str) -> Result<(), RedisFailure> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(Self::key(session_id));
        self.redis.command::<u32>(cmd).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_session_id() {
        let key = SharedSubscriptions::key("3f1c2d4e-secret-session");
        assert!(key.starts_with("spotify-mcp:v1:session-subs:"), "{key}");
        assert!(!key.contains("secret"), "{key}");
    }
}
