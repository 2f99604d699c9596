//! One Spotify credential renewed once for all replicas.
//!
//! A refresh token that Spotify rotates (tokens of the PKCE flow) dies when it is used: if
//! every replica renewed on its own, the first would get a new pair and the others, still
//! holding the old refresh token, would get `invalid_grant` — "log in again" although nothing
//! is wrong. With a [`TokenShare`] (Redis, see `redis_cache::tokens`), a replica that must renew
//! first takes the credential's lock, then looks at what another replica stored: a token that is
//! still good (and not the one that just failed) is adopted without asking Spotify; otherwise it
//! renews with the newest refresh token it knows and stores the result for the others.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

/// What replicas share of one credential. Only ever stored encrypted.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SharedTokens {
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// The newest refresh token, when Spotify rotated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: String,
}

impl Debug for SharedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedTokens")
            .field("expires_at", &self.expires_at)
            .field("rotated", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Where replicas meet to renew a credential once. Failures degrade to renewing alone (the
/// behaviour without a share), never to an error of the call.
#[async_trait::async_trait]
pub trait TokenShare: Send + Sync + Debug {
    /// Waits (bounded) to be the only replica renewing `scope`; the lock's token, or `None`
    /// when no lock could be had (the caller renews anyway).
    async fn lock(&self, scope: &str) -> Option<String>;
    /// Releases a lock taken by [`Self::lock`] (only if still ours).
    async fn unlock(&self, scope: &str, token: &str);
    /// What another replica stored for `scope`, if anything readable.
    async fn load(&self, scope: &str) -> Option<SharedTokens>;
    /// Stores `tokens` for the other replicas.
    async fn store(&self, scope: &str, tokens: &SharedTokens);
}
