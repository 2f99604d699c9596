//! What the store holds, by key. Every secret is kept as a digest ([`super::secrets::digest`])
//! or sealed ([`super::keyring`]); nothing here can be presented as a token.

use serde::{Deserialize, Serialize};

/// Store keys (the Redis store adds its own prefix).
pub mod key {
    pub fn client(id: &str) -> String {
        format!("client:{id}")
    }
    pub fn pending(id: &str) -> String {
        format!("pending:{id}")
    }
    pub fn signin(state_digest: &str) -> String {
        format!("signin:{state_digest}")
    }
    pub fn code(digest: &str) -> String {
        format!("code:{digest}")
    }
    pub fn code_used(digest: &str) -> String {
        format!("code-used:{digest}")
    }
    pub fn grant(id: &str) -> String {
        format!("grant:{id}")
    }
    pub fn upstream(grant: &str) -> String {
        format!("upstream:{grant}")
    }
    pub fn upstream_lock(grant: &str) -> String {
        format!("lock:upstream:{grant}")
    }
    pub fn access(digest: &str) -> String {
        format!("at:{digest}")
    }
    pub fn refresh(digest: &str) -> String {
        format!("rt:{digest}")
    }
    pub fn refresh_used(digest: &str) -> String {
        format!("rt-used:{digest}")
    }
}

/// A client that registered (RFC 7591) or whose metadata document was fetched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    #[serde(default)]
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub issued_at: u64,
}

/// An authorization request the user has not decided yet (the consent page is showing).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uri: String,
    /// The client's `state`, returned as given.
    pub state: Option<String>,
    pub code_challenge: String,
    pub scope: Vec<String>,
    pub resource: String,
    /// Digest of the consent form's CSRF token.
    pub csrf: String,
    /// Digest of the browser cookie set with the consent page.
    pub browser: String,
}

/// A sign-in sent to Spotify, waiting for its callback (sealed: it holds the PKCE verifier).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    pub pending: Pending,
    pub verifier: String,
}

/// A code issued to the client, until it is redeemed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CodeRecord {
    pub grant: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: Vec<String>,
}

/// One user's authorization of one client: what its tokens act for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GrantRecord {
    pub client_id: String,
    /// A digest of the Spotify user ID: the cache scope, and how logs name the user.
    pub user: String,
    pub scope: Vec<String>,
    pub resource: String,
    pub created_at: u64,
    /// When the user authorised at Spotify (Spotify's refresh tokens stop six months later).
    pub authorized_at: u64,
}

/// What an access token is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessRecord {
    pub grant: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub resource: String,
    pub expires_at: u64,
}

/// What a refresh token is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefreshRecord {
    pub grant: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub resource: String,
}

/// Serialises a record (records always serialise).
pub fn to_json<T: Serialize>(record: &T) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

/// Reads a record; a value that does not parse counts as absent (and is logged).
pub fn from_json<T: for<'de> Deserialize<'de>>(key: &str, text: &str) -> Option<T> {
    match serde_json::from_str(text) {
        Ok(record) => Some(record),
        Err(e) => {
            let kind = key.split(':').next().unwrap_or_default();
            tracing::warn!(kind, error = %e, "an OAuth record does not parse; treated as absent");
            None
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
