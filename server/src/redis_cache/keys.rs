//! Redis key layout of the cache.

use crate::spotify::cache::{CacheKey, Tag};

/// Prefix of every key the server writes (bump the version when the layout changes).
pub const PREFIX: &str = "spotify-mcp:v1:";

fn tag_name(tag: &Tag) -> String {
    match tag {
        Tag::Catalog => "catalog".to_owned(),
        Tag::Search => "search".to_owned(),
        Tag::Library => "library".to_owned(),
        Tag::Player => "player".to_owned(),
        Tag::MyPlaylists => "my-playlists".to_owned(),
        Tag::Playlist(id) => format!("playlist={id}"),
    }
}

/// `spotify-mcp:v1:{kind}:{sha256(session id)}`: a key of something a 2025-11-25 session keeps
/// for every replica. The ID itself, which lets a client act in the session, is not stored.
pub fn session_key(kind: &str, session_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(session_id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{kind}:{hex}")
}

/// `idle` as a Redis expiry in milliseconds (`PX`), at least 1.
pub fn ttl_ms(idle: std::time::Duration) -> u64 {
    u64::try_from(idle.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// `spotify-mcp:v1:{scope}:{tag}:{path?query}`.
pub fn entry_key(key: &CacheKey) -> String {
    format!(
        "{PREFIX}{}:{}:{}",
        key.scope,
        tag_name(&key.tag),
        key.request
    )
}

/// `spotify-mcp:v1:{scope}:tag:{tag}`: the set listing the entries of one tag.
pub fn tag_set_key(scope: &str, tag: &Tag) -> String {
    format!("{PREFIX}{scope}:tag:{}", tag_name(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_per_user_and_tag() {
        let key = CacheKey {
            scope: "u1".into(),
            tag: Tag::Playlist("37i9".into()),
            request: "/playlists/37i9/items?limit=50".into(),
        };
        assert_eq!(
            entry_key(&key),
            "spotify-mcp:v1:u1:playlist=37i9:/playlists/37i9/items?limit=50"
        );
        assert_eq!(
            tag_set_key("u1", &key.tag),
            "spotify-mcp:v1:u1:tag:playlist=37i9"
        );
        let other_user = CacheKey {
            scope: "u2".into(),
            ..key.clone()
        };
        assert_ne!(entry_key(&key), entry_key(&other_user));
        assert_ne!(
            tag_set_key("u1", &Tag::Library),
            tag_set_key("u2", &Tag::Library)
        );
        assert_ne!(
            tag_set_key("u1", &Tag::Library),
            tag_set_key("u1", &Tag::MyPlaylists)
        );
    }
}
