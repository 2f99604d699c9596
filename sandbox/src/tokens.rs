//! OAuth state of the sandbox: issued access tokens, refresh tokens and PKCE authorization codes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::world::ids::base62_string;
use super::world::{FREE, PREMIUM};
use super::{FREE_REFRESH_TOKEN, PREMIUM_REFRESH_TOKEN};

/// Scopes granted to a token; `None` means every scope (the fixed sandbox refresh tokens).
pub type Scopes = Option<Arc<HashSet<String>>>;

/// Who a valid access token acts for.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The user, or `None` for a client-credentials token.
    pub user: Option<usize>,
    pub scopes: Scopes,
    /// Issued through the authorization-code flow (a code exchange, or a refresh of a token
    /// that flow issued), so [`TokenStore::revoke_user`] revokes it; false for client
    /// credentials and the fixed refresh tokens.
    pub issued: bool,
}

#[derive(Debug, Clone)]
struct AccessToken {
    grant: Grant,
    expires_at: Instant,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    user: usize,
    scopes: Scopes,
    /// Issued by the authorization-code flow: rotates on refresh and is revoked with its user
    /// ([`TokenStore::revoke_user`]); the fixed tokens are kept on refresh and stay.
    issued: bool,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub user: usize,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub scopes: Scopes,
    pub expires_at: Instant,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    Missing,
    Invalid,
    Expired,
}

impl TokenRejection {
    pub fn message(self) -> &'static str {
        match self {
            TokenRejection::Missing => "No token provided",
            TokenRejection::Invalid => "Invalid access token",
            TokenRejection::Expired => "The access token expired",
        }
    }
}

/// Why a refresh token was refused (400 `invalid_grant` either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRejection {
    /// Never issued (or forgotten).
    Invalid,
    /// Revoked through `/sandbox/tokens/revoke`, as when a user removes the app's access.
    Revoked,
}

impl RefreshRejection {
    /// Spotify's `error_description`.
    pub fn message(self) -> &'static str {
        match self {
            RefreshRejection::Invalid => "Invalid refresh token",
            RefreshRejection::Revoked => "Refresh token revoked",
        }
    }
}

/// Most expired (and, apart, revoked) tokens remembered for their answers; beyond that they
/// answer as invalid ones.
const REMEMBERED: usize = 100_000;

/// Verifies an RFC 7636 S256 code verifier against its challenge.
pub fn verify_pkce(verifier: &str, challenge: &str) -> bool {
    let ok_len = (43..=128).contains(&verifier.len());
    let ok_chars = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    ok_len && ok_chars && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

#[derive(Debug)]
pub struct TokenStore {
    lifetime: Duration,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    codes: HashMap<String, AuthCode>,
    /// Expired tokens remembered so they answer "expired" rather than "invalid".
    expired: HashSet<String>,
    /// Revoked refresh tokens remembered so they answer "revoked" rather than "invalid".
    revoked: HashSet<String>,
}

impl TokenStore {
    pub fn new(lifetime: Duration) -> TokenStore {
        let mut store = TokenStore {
            lifetime,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            expired: HashSet::new(),
            revoked: HashSet::new(),
        };
        store.restore_fixed_refresh_tokens();
        store
    }

    /// Makes the fixed sandbox refresh tokens valid again (after a revocation).
    pub fn restore_fixed_refresh_tokens(&mut self) {
        for (token, user) in [(PREMIUM_REFRESH_TOKEN, PREMIUM), (FREE_REFRESH_TOKEN, FREE)] {
            self.revoked.remove(token);
            self.refresh.insert(
                token.to_string(),
                RefreshToken {
                    user,
                    scopes: None,
                    issued: false,
                },
            );
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    fn prune(&mut self, now: Instant) {
        let dead: Vec<String> = self
            .access
            .iter()
            .filter(|(_, t)| t.expires_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in dead {
            self.access.remove(&k);
            if self.expired.len() < REMEMBERED {
                self.expired.insert(k);
            }
        }
        self.codes.retain(|_, c| c.expires_at > now);
    }

    /// Issues a fresh access token.
    pub fn issue_access(&mut self, grant: Grant) -> String {
        let now = Instant::now();
        self.prune(now);
        let token = format!("BQ{}", base62_string(&mut rand::rng(), 118));
        self.access.insert(
            token.clone(),
            AccessToken {
                grant,
                expires_at: now + self.lifetime,
            },
        );
        token
    }

    /// Checks a bearer token.
    pub fn check(&self, token: Option<&str>) -> Result<Grant, TokenRejection> {
        let token = token.ok_or(TokenRejection::Missing)?;
        match self.access.get(token) {
            Some(t) if t.expires_at > Instant::now() => Ok(t.grant.clone()),
            Some(_) => Err(TokenRejection::Expired),
            None if self.expired.contains(token) => Err(TokenRejection::Expired),
            None => Err(TokenRejection::Invalid),
        }
    }

    /// Issues a refresh token for a user (after a code exchange).
    pub fn issue_refresh(&mut self, user: usize, scopes: Scopes) -> String {
        let token = format!("AQ{}", base62_string(&mut rand::rng(), 130));
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                user,
                scopes,
                issued: true,
            },
        );
        token
    }

    /// Redeems a refresh token: the grant, and a new refresh token when this one rotates.
    pub fn redeem_refresh(
        &mut self,
        token: &str,
    ) -> Result<(Grant, Option<String>), RefreshRejection> {
        let Some(r) = self.refresh.get(token).cloned() else {
            return Err(if self.revoked.contains(token) {
                RefreshRejection::Revoked
            } else {
                RefreshRejection::Invalid
            });
        };
        let grant = Grant {
            user: Some(r.user),
            scopes: r.scopes.clone(),
            issued: r.issued,
        };
        let next = r.issued.then(|| self.issue_refresh(r.user, r.scopes));
        Ok((grant, next))
    }

    /// Revokes a refresh token (it then answers [`RefreshRejection::Revoked`]); false if it
    /// was not valid.
    pub fn revoke_refresh(&mut self, token: &str) -> bool {
        let known = self.refresh.remove(token).is_some();
        if known && self.revoked.len() < REMEMBERED {
            self.revoked.insert(token.to_string());
        }
        known
    }

    /// Revokes what the authorization-code flow issued to `user`: its refresh tokens (the next
    /// refresh gets `invalid_grant`) and its access tokens (the next Web API call gets 401
    /// "Invalid access token"). The fixed refresh tokens and the access tokens minted from
    /// them stay, so other clients of a shared sandbox are not disturbed. Returns how many
    /// refresh and access tokens were revoked.
    pub fn revoke_user(&mut self, user: usize) -> (usize, usize) {
        let revoked = |issued: bool, of: Option<usize>| issued && of == Some(user);
        let refresh: Vec<String> = self
            .refresh
            .iter()
            .filter(|(_, r)| revoked(r.issued, Some(r.user)))
            .map(|(k, _)| k.clone())
            .collect();
        for token in &refresh {
            self.revoke_refresh(token);
        }
        let access_before = self.access.len();
        self.access
            .retain(|_, t| !revoked(t.grant.issued, t.grant.user));
        (refresh.len(), access_before - self.access.len())
    }

    /// Expires every access token now (clients must refresh); returns how many were live.
    pub fn expire_all_access(&mut self) -> usize {
        let now = Instant::now();
        let tokens: Vec<(String, bool)> = self
            .access
            .drain()
            .map(|(k, t)| (k, t.expires_at > now))
            .collect();
        let live = tokens.iter().filter(|(_, live)| *live).count();
        self.expired.extend(tokens.into_iter().map(|(k, _)| k));
        live
    }

    pub fn insert_code(&mut self, code: AuthCode) -> String {
        let c = base62_string(&mut rand::rng(), 64);
        self.codes.insert(c.clone(), code);
        c
    }

    /// Takes an authorization code (single use).
    pub fn take_code(&mut self, code: &str) -> Option<AuthCode> {
        let c = self.codes.remove(code)?;
        (c.expires_at > Instant::now()).then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(verify_pkce(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!verify_pkce(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cX"
        ));
        assert!(!verify_pkce("short", "x"));
    }

    #[test]
    fn tokens_expire() {
        let mut s = TokenStore::new(Duration::from_millis(30));
        let t = s.issue_access(Grant {
            user: Some(PREMIUM),
            scopes: None,
            issued: false,
        });
        assert!(s.check(Some(&t)).is_ok());
        assert_eq!(s.check(None).err(), Some(TokenRejection::Missing));
        assert_eq!(s.check(Some("nope")).err(), Some(TokenRejection::Invalid));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(s.check(Some(&t)).err(), Some(TokenRejection::Expired));
        let _ = s.issue_access(Grant {
            user: None,
            scopes: None,
            issued: false,
        });
        assert_eq!(s.check(Some(&t)).err(), Some(TokenRejection::Expired));
    }

    #[test]
    fn fixed_refresh_tokens_do_not_rotate_issued_ones_do() {
        let mut s = TokenStore::new(Duration::from_secs(60));
        let (g, next) = s.redeem_refresh(PREMIUM_REFRESH_TOKEN).expect("known");
        assert_eq!(g.user, Some(PREMIUM));
        assert!(next.is_none());
        let r = s.issue_refresh(FREE, None);
        let (_, next) = s.redeem_refresh(&r).expect("known");
        assert!(next.is_some());
        assert!(s.revoke_refresh(&r));
        assert_eq!(s.redeem_refresh(&r).err(), Some(RefreshRejection::Revoked));
        assert!(!s.revoke_refresh(&r), "already revoked");
        assert_eq!(
            s.redeem_refresh("AQnever").err(),
            Some(RefreshRejection::Invalid)
        );
        assert!(s.revoke_refresh(PREMIUM_REFRESH_TOKEN));
        assert_eq!(
            s.redeem_refresh(PREMIUM_REFRESH_TOKEN).err(),
            Some(RefreshRejection::Revoked)
        );
        s.restore_fixed_refresh_tokens();
        assert!(s.redeem_refresh(PREMIUM_REFRESH_TOKEN).is_ok());
    }

    #[test]
    fn revoking_a_user_takes_what_the_code_flow_issued_to_them_and_nothing_else() {
        let mut s = TokenStore::new(Duration::from_secs(60));
        let issued = |user| Grant {
            user: Some(user),
            scopes: None,
            issued: true,
        };
        let first = s.issue_refresh(PREMIUM, None);
        let (grant, rotated) = s.redeem_refresh(&first).expect("known");
        assert!(grant.issued);
        let rotated = rotated.expect("issued refresh tokens rotate");
        let free_refresh = s.issue_refresh(FREE, None);
        let premium_access = s.issue_access(issued(PREMIUM));
        let (fixed_grant, _) = s.redeem_refresh(PREMIUM_REFRESH_TOKEN).expect("fixed");
        assert!(!fixed_grant.issued);
        let fixed_access = s.issue_access(fixed_grant);
        let free_access = s.issue_access(issued(FREE));

        assert_eq!(s.revoke_user(PREMIUM), (2, 1));
        for token in [&first, &rotated] {
            assert_eq!(
                s.redeem_refresh(token).err(),
                Some(RefreshRejection::Revoked)
            );
        }
        assert_eq!(
            s.check(Some(&premium_access)).err(),
            Some(TokenRejection::Invalid)
        );
        assert!(s.redeem_refresh(PREMIUM_REFRESH_TOKEN).is_ok());
        assert!(s.check(Some(&fixed_access)).is_ok());
        assert!(s.redeem_refresh(&free_refresh).is_ok());
        assert!(s.check(Some(&free_access)).is_ok());
        assert_eq!(s.revoke_user(PREMIUM), (0, 0));
    }

    #[test]
    fn codes_are_single_use() {
        let mut s = TokenStore::new(Duration::from_secs(60));
        let c = s.insert_code(AuthCode {
            user: PREMIUM,
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            code_challenge: None,
            scopes: None,
            expires_at: Instant::now() + Duration::from_secs(60),
        });
        assert!(s.take_code(&c).is_some());
        assert!(s.take_code(&c).is_none());
    }
}
