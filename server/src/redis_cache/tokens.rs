//! [`TokenShare`] in Redis: one lock and one encrypted token set per credential.
//!
//! - `spotify-mcp:v1:tokens-lock:{scope}`: `SET NX PX` with a random value, released only by
//!   its holder (compare-and-delete); it expires by itself if a replica dies holding it.
//! - `spotify-mcp:v1:tokens:{scope}`: the access token, its expiry, the newest refresh token and
//!   the scope, sealed with AES-256-GCM (ring). The key is derived (HKDF-SHA256) from the
//!   configured refresh token and client ID, which every replica has from its Secret and Redis
//!   never sees: someone who can read Redis cannot read the tokens. A replica configured with
//!   another credential derives another key and finds nothing it can open.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};

use super::RedisCache;
use super::keys::PREFIX;
use crate::spotify::Secret;
use crate::spotify::auth::share::{SharedTokens, TokenShare};

/// How long a renewal may hold the lock before it expires by itself.
const LOCK_TTL: Duration = Duration::from_secs(15);
/// How long a replica waits for another's renewal before renewing anyway.
const LOCK_WAIT: Duration = Duration::from_secs(10);
const LOCK_POLL: Duration = Duration::from_millis(50);

const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// See the module documentation.
pub struct RedisTokenShare {
    redis: RedisCache,
    key: LessSafeKey,
}

impl std::fmt::Debug for RedisTokenShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTokenShare").finish_non_exhaustive()
    }
}

/// The sealing key could not be derived (ring refused; not expected with these sizes).
#[derive(Debug, thiserror::Error)]
#[error("cannot derive the key that seals shared tokens")]
pub struct KeyError;

/// The sealing key of a credential.
fn derive_key(refresh_token: &Secret, client_id: &str) -> Result<LessSafeKey, KeyError> {
    let salt = Salt::new(HKDF_SHA256, b"spotify-mcp token share v1");
    let prk = salt.extract(refresh_token.expose().as_bytes());
    let info = [client_id.as_bytes()];
    let okm = prk.expand(&info, &AES_256_GCM).map_err(|_| KeyError)?;
    let key = UnboundKey::from(okm);
    Ok(LessSafeKey::new(key))
}

impl RedisTokenShare {
    pub fn new(
        redis: RedisCache,
        refresh_token: &Secret,
        client_id: &str,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            redis,
            key: derive_key(refresh_token, client_id)?,
        })
    }

    fn key_name(scope: &str) -> String {
        format!("{PREFIX}tokens:{scope}")
    }

    fn lock_name(scope: &str) -> String {
        format!("{PREFIX}tokens-lock:{scope}")
    }

    fn seal(&self, name: &str, tokens: &SharedTokens) -> Option<String> {
        let mut data = serde_json::to_vec(tokens).ok()?;
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::assume_unique_for_key(nonce_bytes);
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(name.as_bytes()), &mut data)
            .ok()?;
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&data);
        Some(STANDARD.encode(sealed))
    }

    fn open(&self, name: &str, text: &str) -> Option<SharedTokens> {
        let mut sealed = STANDARD.decode(text).ok()?;
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let mut data = sealed.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&sealed).ok()?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut data)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }
}

#[async_trait::async_trait]
impl TokenShare for RedisTokenShare {
    async fn lock(&self, scope: &str) -> Option<String> {
        let token = uuid::Uuid::new_v4().to_string();
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            let mut cmd = redis::cmd("SET");
            cmd.arg(Self::lock_name(scope))
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(u64::try_from(LOCK_TTL.as_millis()).unwrap_or(15_000));
            match self.redis.command::<Option<String>>(cmd).await {
                Ok(Some(_)) => return Some(token),
                Ok(None) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Ok(None) => {
                    tracing::warn!(
                        "another replica's token renewal did not finish in time; renewing here"
                    );
                    return None;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "token renewal not coordinated: Redis unavailable");
                    return None;
                }
            }
        }
    }

    async fn unlock(&self, scope: &str, token: &str) {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(UNLOCK)
            .arg(1)
            .arg(Self::lock_name(scope))
            .arg(token);
        let result: Result<i64, _> = self.redis.command(cmd).await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "token renewal lock not released; it expires by itself");
        }
    }

    async fn load(&self, scope: &str) -> Option<SharedTokens> {
        let name = Self::key_name(scope);
        let mut cmd = redis::cmd("GET");
        cmd.arg(&name);
        let text = self.redis.command::<Option<String>>(cmd).await.ok()??;
        let opened = self.open(&name, &text);
        if opened.is_none() {
            tracing::debug!("shared tokens could not be opened (another credential's); ignored");
        }
        opened
    }

    async fn store(&self, scope: &str, tokens: &SharedTokens) {
        let name = Self::key_name(scope);
        let Some(sealed) = self.seal(&name, tokens) else {
            return;
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(&name).arg(sealed);
        if let Err(e) = self.redis.command::<()>(cmd).await {
            tracing::debug!(error = %e, "renewed tokens not shared: Redis unavailable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(refresh: &str) -> RedisTokenShare {
        // No connection is made until a command runs.
        let redis =
            match RedisCache::new("redis://127.0.0.1:9", crate::metrics::Metrics::disabled()) {
                Ok(r) => r,
                Err(e) => panic!("{e}"),
            };
        match RedisTokenShare::new(redis, &Secret::new(refresh), "client") {
            Ok(share) => share,
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn tokens_are_sealed_for_the_credential_and_key_that_stored_them() {
        let tokens = SharedTokens {
            access_token: "access-secret".into(),
            expires_at: 1_900_000_000,
            refresh_token: Some("rotated-secret".into()),
            scope: "user-read-private".into(),
        };
        let one = share("refresh-one");
        let name = RedisTokenShare::key_name("scope");
        let sealed = one.seal(&name, &tokens).unwrap_or_default();
        assert!(!sealed.contains("secret"), "{sealed}");
        assert_eq!(one.open(&name, &sealed), Some(tokens.clone()));
        // Another credential cannot open it; nor can the same one under another key name.
        assert_eq!(share("refresh-two").open(&name, &sealed), None);
        assert_eq!(one.open(&RedisTokenShare::key_name("other"), &sealed), None);
        assert_eq!(one.open(&name, "bm90IHNlYWxlZA=="), None);
    }
}
