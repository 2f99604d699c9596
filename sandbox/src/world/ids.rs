//! Spotify-style identifiers: 22-character base62 ids, 40-hex device ids, opaque tokens.

use rand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh 22-character base62 id (the shape of every Spotify catalog id).
pub fn base62_id(rng: &mut impl Rng) -> String {
    base62_string(rng, 22)
}

/// A base62 string of `len` characters.
pub fn base62_string(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())]))
        .collect()
}

/// A 40-character lowercase hex string (the shape of Spotify device ids).
pub fn hex40(rng: &mut impl Rng) -> String {
    (0..40)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// Whether `s` has the shape of a Spotify catalog id.
pub fn is_base62_id(s: &str) -> bool {
    s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn ids_are_22_base62_chars_and_deterministic() {
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        let id = base62_id(&mut a);
        assert_eq!(id, base62_id(&mut b));
        assert!(is_base62_id(&id), "{id}");
    }

    #[test]
    fn rejects_malformed_ids() {
        assert!(!is_base62_id("short"));
        assert!(!is_base62_id("4aawyAB9vmqN3uQ7FjRGT-"));
        assert!(is_base62_id("4aawyAB9vmqN3uQ7FjRGTy"));
    }

    #[test]
    fn device_ids_are_hex() {
        let id = hex40(&mut StdRng::seed_from_u64(1));
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
