//! The secrets the hosted mode hands out: opaque random values with a prefix that names their
//! kind (so a secret scanner, or a person, can tell one from another) and of which only a
//! SHA-256 digest is ever stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The kinds of secret, by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An access token for `/mcp`.
    Access,
    /// A refresh token for `/oauth/token`.
    Refresh,
    /// An authorization code.
    Code,
    /// The CSRF token of a consent page.
    Csrf,
    /// What the browser's cookie holds, binding a sign-in to the browser that started it.
    Browser,
    /// The `state` sent to Spotify.
    UpstreamState,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Access => "smcp_at_",
            Self::Refresh => "smcp_rt_",
            Self::Code => "smcp_ac_",
            Self::Csrf => "smcp_cs_",
            Self::Browser => "smcp_br_",
            Self::UpstreamState => "smcp_st_",
        }
    }
}

/// A new secret of `kind`: the prefix and 256 random bits.
pub fn new(kind: Kind) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `value` looks like a secret of `kind` (checked before any store lookup).
pub fn is(kind: Kind, value: &str) -> bool {
    value
        .strip_prefix(kind.prefix())
        .is_some_and(|rest| rest.len() == 43 && URL_SAFE_NO_PAD.decode(rest).is_ok())
}

/// The digest under which a secret is stored (hex SHA-256).
pub fn digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// A short, stable, secret-free name for a value (a Spotify user ID in keys and logs).
pub fn short_digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes())[..12])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two digests.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A new random identifier (grants, pending sign-ins): not a secret, but unguessable.
pub fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_recognised_only_as_their_kind() {
        let a = new(Kind::Access);
        let b = new(Kind::Access);
        assert_ne!(a, b);
        assert!(a.starts_with("smcp_at_"));
        assert!(is(Kind::Access, &a));
        assert!(!is(Kind::Refresh, &a));
        assert!(!is(Kind::Access, "smcp_at_short"));
        assert!(!is(Kind::Access, "BQD-a-spotify-access-token"));
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
        assert!(same(&digest(&a), &digest(&a)));
        assert!(!same(&digest(&a), &digest(&b)));
    }
}
