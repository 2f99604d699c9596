//! 2025-11-25 sessions that any replica can resume: what a session negotiated (its
//! `initialize` parameters) is kept in Redis, so a request that a load balancer sends to a
//! replica that never saw the session is served there: rmcp finds the session in this store,
//! replays the handshake into a fresh in-memory session with the same ID, and goes on.
//!
//! Why this design, rather than client-IP affinity: affinity breaks behind NAT, an ingress or a
//! restarted pod, and a replica that dies takes its sessions with it; a signed session ID would
//! also carry the negotiated state, but a client's capabilities and info can exceed what fits in
//! a header, and it could not be revoked by `DELETE`. Redis is already what replicas share
//! (cache, 429 holds).
//!
//! Keys are `spotify-mcp:v1:session:{sha256(session id)}`: the ID itself, which lets a client
//! act in the session, is not stored. An entry lives as long as the session may idle
//! (`--session-idle-timeout`), renewed on each use.

use std::time::Duration;

use crate::redis_cache::RedisCache;
use crate::redis_cache::keys::{session_key, ttl_ms};
use rmcp::transport::streamable_http_server::session::{
    SessionState, SessionStore, SessionStoreError,
};

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    redis: RedisCache,
    ttl_ms: u64,
}

impl RedisSessionStore {
    /// Sessions kept for `idle` after their last use.
    pub fn new(redis: RedisCache, idle: Duration) -> Self {
        Self {
            redis,
            ttl_ms: ttl_ms(idle),
        }
    }

    fn key(session_id: &str) -> String {
        session_key("session", session_id)
    }

    /// Whether the store knows `session_id` (for a `DELETE` of a session this replica never saw).
    pub async fn contains(&self, session_id: &str) -> bool {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(Self::key(session_id));
        self.redis.command::<u32>(cmd).await.is_ok_and(|n| n > 0)
    }
}

#[async_trait::async_trait]
impl SessionStore for RedisSessionStore {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let mut cmd = redis::cmd("GETEX");
        cmd.arg(Self::key(session_id)).arg("PX").arg(self.ttl_ms);
        let Some(text) = self.redis.command::<Option<String>>(cmd).await? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(&text)?))
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(Self::key(session_id))
            .arg(serde_json::to_string(state)?)
            .arg("PX")
            .arg(self.ttl_ms);
        self.redis.command::<()>(cmd).await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(Self::key(session_id));
        self.redis.command::<u32>(cmd).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_session_id() {
        let key = RedisSessionStore::key("3f1c2d4e-secret-session");
        assert!(key.starts_with("spotify-mcp:v1:session:"), "{key}");
        assert!(!key.contains("secret"), "{key}");
        assert_eq!(key.len(), "spotify-mcp:v1:session:".len() + 64);
    }
}
