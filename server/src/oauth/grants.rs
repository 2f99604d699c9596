//! Each grant's own Spotify client: its tokens renewed once across replicas, its answers cached
//! under its Spotify user.
//!
//! The user's Spotify tokens live sealed in the store under `upstream:<grant>`. [`GrantTokens`]
//! is the grant's [`TokenShare`]: a renewal takes the grant's lock in the store, adopts what
//! another replica renewed if it is still good, or renews with the newest refresh token and
//! writes the result back (only while the grant exists, so a revoked grant stays revoked).

use std::sync::Arc;
use std::time::Duration;

use super::records::key;
use super::store::Store;
use super::{Authority, keyring::Keyring};
use crate::spotify::auth::share::{SharedTokens, TokenShare};
use crate::spotify::{Secret, SpotifyClient};

/// Grants whose clients are kept in memory at once (the least recently used go first; they
/// are rebuilt from the store when needed again).
const REGISTRY_CAPACITY: u64 = 10_000;
/// How long a renewal may hold a grant's lock before it expires by itself.
const LOCK_TTL: Duration = Duration::from_secs(15);
/// How long a replica waits for another's renewal before renewing anyway.
const LOCK_WAIT: Duration = Duration::from_secs(10);
const LOCK_POLL: Duration = Duration::from_millis(50);

/// The clients of the grants in use.
pub struct Registry {
    template: SpotifyClient,
    clients: moka::future::Cache<String, SpotifyClient>,
}

impl Registry {
    pub fn new(template: SpotifyClient) -> Self {
        Self {
            template,
            clients: moka::future::Cache::builder()
                .max_capacity(REGISTRY_CAPACITY)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    pub async fn forget(&self, grant: &str) {
        self.clients.invalidate(grant).await;
    }
}

/// The sealed record of a grant's Spotify tokens.
fn aad(grant: &str) -> String {
    key::upstream(grant)
}

pub(crate) fn seal(keys: &Keyring, grant: &str, tokens: &SharedTokens) -> String {
    let json = serde_json::to_vec(tokens).unwrap_or_default();
    keys.seal(&aad(grant), &json)
}

fn open(keys: &Keyring, grant: &str, sealed: &str) -> Option<SharedTokens> {
    let plain = keys.open(&aad(grant), sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

/// A grant's Spotify tokens in the store; see the module documentation.
pub struct GrantTokens {
    authority: Authority,
    grant: String,
}

impl std::fmt::Debug for GrantTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantTokens").finish_non_exhaustive()
    }
}

impl GrantTokens {
    fn store(&self) -> &dyn Store {
        self.authority.store()
    }
}

#[async_trait::async_trait]
impl TokenShare for GrantTokens {
    async fn lock(&self, _scope: &str) -> Option<String> {
        let name = key::upstream_lock(&self.grant);
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match self.store().try_lock(&name, LOCK_TTL).await {
                Ok(Some(token)) => return Some(token),
                Ok(None) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Ok(None) => {
                    tracing::warn!("another replica's renewal of a grant did not finish in time");
                    return None;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "grant renewal not coordinated: store unavailable");
                    return None;
                }
            }
        }
    }

    async fn unlock(&self, _scope: &str, token: &str) {
        let _ = self
            .store()
            .unlock(&key::upstream_lock(&self.grant), token)
            .await;
    }

    async fn load(&self, _scope: &str) -> Option<SharedTokens> {
        let sealed = self.store().get(&key::upstream(&self.grant)).await.ok()??;
        open(self.authority.keys(), &self.grant, &sealed)
    }

    async fn store(&self, _scope: &str, tokens: &SharedTokens) {
        let sealed = seal(self.authority.keys(), &self.grant, tokens);
        match self
            .store()
            .replace(&key::upstream(&self.grant), &sealed)
            .await
        {
            Ok(true) => self
                .authority
                .metrics()
                .oauth_event("upstream_refresh", "stored"),
            Ok(false) => tracing::debug!("a grant was revoked during its renewal"),
            Err(e) => {
                tracing::warn!(error = %e, "a grant's renewed Spotify tokens were not stored")
            }
        }
    }
}

impl Authority {
    /// The Spotify client of `grant`, acting for `user` (a digest of the Spotify user ID).
    /// `None` when the grant's tokens are gone (revoked) or cannot be opened.
    pub(crate) async fn client_for(&self, grant: &str, user: &str) -> Option<SpotifyClient> {
        let registry = &self.inner.grants;
        let build = async {
            let sealed = self
                .store()
                .get(&key::upstream(grant))
                .await
                .map_err(|_| ())?
                .ok_or(())?;
            let tokens = open(self.keys(), grant, &sealed).ok_or_else(|| {
                tracing::warn!(
                    "a grant's Spotify tokens cannot be opened with the configured keys"
                );
            })?;
            let refresh = tokens.refresh_token.clone().ok_or(())?;
            let share = Arc::new(GrantTokens {
                authority: self.clone(),
                grant: grant.to_owned(),
            });
            Ok::<_, ()>(registry.template.for_user(
                Secret::new(refresh),
                format!("user-{user}"),
                self.config().user_rate_limit,
                share,
            ))
        };
        registry
            .clients
            .try_get_with(grant.to_owned(), build)
            .await
            .ok()
    }
}
