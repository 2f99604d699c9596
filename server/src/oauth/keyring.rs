//! The keys of the hosted mode: AES-256-GCM for what is stored encrypted (the users' Spotify
//! tokens, the upstream PKCE verifier of a sign-in in progress).
//!
//! The keys file holds one key per line, `kid:base64(32 bytes)` (blank lines and `#` comments
//! are ignored). The first key encrypts; every key decrypts, so a key is rotated by putting the
//! new one first and removing the old one once what it sealed has expired (grants are resealed
//! with the first key whenever their Spotify tokens are renewed). The stored key is never used
//! directly: HKDF-SHA256 derives the sealing key from it, so the same file can later key other
//! purposes without reusing a key.
//!
//! A sealed value is `kid.base64url(nonce ‖ ciphertext ‖ tag)`, sealed with associated data
//! naming where it is stored (e.g. `upstream:<grant id>`): a value copied to another record
//! does not open there.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read the OAuth keys file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the OAuth keys file {path}, line {line}: expected `kid:base64(32 random bytes)` (e.g. `k1:` followed by the output of `head -c32 /dev/urandom | base64`)"
    )]
    Malformed { path: PathBuf, line: usize },
    #[error("the OAuth keys file {path}, line {line}: the key id {kid:?} appears twice")]
    DuplicateKid {
        path: PathBuf,
        line: usize,
        kid: String,
    },
    #[error("the OAuth keys file {0} holds no key")]
    Empty(PathBuf),
}

/// A value could not be opened: unknown key id, damaged, or sealed for another record.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a stored secret could not be decrypted (unknown key id, damaged, or moved)")]
pub struct OpenError;

struct Key {
    kid: String,
    aead: LessSafeKey,
}

/// See the module documentation.
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("Keyring").field("kids", &kids).finish()
    }
}

fn derive(master: &[u8]) -> LessSafeKey {
    let prk = Salt::new(HKDF_SHA256, b"spotify-mcp oauth").extract(master);
    // Expanding 32 bytes for AES-256 cannot fail (far below HKDF's 255 × 32 limit).
    let okm = prk
        .expand(&[b"aead-v1"], &AES_256_GCM)
        .unwrap_or_else(|_| unreachable!("HKDF-SHA256 expands 32 bytes"));
    LessSafeKey::new(UnboundKey::from(okm))
}

impl Keyring {
    /// Reads the keys file (see the module documentation).
    pub fn from_file(path: &Path) -> Result<Self, KeyringError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyringError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, KeyringError> {
        let mut keys: Vec<Key> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = || KeyringError::Malformed {
                path: path.to_owned(),
                line: index + 1,
            };
            let (kid, material) = line.split_once(':').ok_or_else(malformed)?;
            let kid = kid.trim();
            let valid_kid = !kid.is_empty()
                && kid.len() <= 32
                && kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            let bytes = STANDARD.decode(material.trim()).map_err(|_| malformed())?;
            if !valid_kid || bytes.len() != 32 {
                return Err(malformed());
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(KeyringError::DuplicateKid {
                    path: path.to_owned(),
                    line: index + 1,
                    kid: kid.to_owned(),
                });
            }
            keys.push(Key {
                kid: kid.to_owned(),
                aead: derive(&bytes),
            });
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty(path.to_owned()));
        }
        Ok(Self { keys })
    }

    /// A key that lives as long as the process (a memory store loses everything at exit anyway).
    pub fn ephemeral() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self {
            keys: vec![Key {
                kid: "ephemeral".into(),
                aead: derive(&bytes),
            }],
        }
    }

    /// The id of the key that seals.
    pub fn current_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// Seals `plain` for the record named `aad`.
    pub fn seal(&self, aad: &str, plain: &[u8]) -> String {
        let key = &self.keys[0];
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = plain.to_vec();
        // Sealing only fails for inputs longer than AES-GCM allows (64 GiB).
        key.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad.as_bytes()),
                &mut data,
            )
            .unwrap_or_else(|_| unreachable!("sealed values are small"));
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&data);
        format!("{}.{}", key.kid, URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what [`Self::seal`] sealed for the record named `aad`, with whichever key sealed it.
    pub fn open(&self, aad: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let (kid, body) = sealed.split_once('.').ok_or(OpenError)?;
        let key = self.keys.iter().find(|k| k.kid == kid).ok_or(OpenError)?;
        let mut data = URL_SAFE_NO_PAD.decode(body).map_err(|_| OpenError)?;
        if data.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let mut rest = data.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&data).map_err(|_| OpenError)?;
        let plain = key
            .aead
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut rest)
            .map_err(|_| OpenError)?;
        Ok(plain.to_vec())
    }

    /// Whether `sealed` was sealed with another key than the current one (to reseal it).
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed.split_once('.').map(|(kid, _)| kid) != Some(self.current_kid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kid: &str, byte: u8) -> String {
        format!("{kid}:{}\n", STANDARD.encode([byte; 32]))
    }

    fn ring(text: &str) -> Result<Keyring, KeyringError> {
        Keyring::parse(text, Path::new("keys"))
    }

    #[test]
    fn sealed_values_open_only_for_their_record_and_their_keys() {
        let keys = ring(&line("k1", 1)).unwrap();
        let sealed = keys.seal("upstream:g1", b"refresh-token");
        assert!(sealed.starts_with("k1."), "{sealed}");
        assert!(!sealed.contains("refresh-token"));
        assert_eq!(keys.open("upstream:g1", &sealed).unwrap(), b"refresh-token");
        assert_eq!(keys.open("upstream:g2", &sealed), Err(OpenError));
        let other = ring(&line("k1", 2)).unwrap();
        assert_eq!(other.open("upstream:g1", &sealed), Err(OpenError));
        let mut damaged = sealed.clone();
        damaged.push('A');
        assert_eq!(keys.open("upstream:g1", &damaged), Err(OpenError));
        assert_eq!(keys.open("upstream:g1", "no-dot"), Err(OpenError));
    }

    #[test]
    fn the_first_key_seals_and_every_key_opens() {
        let old = ring(&line("old", 1)).unwrap();
        let sealed_old = old.seal("a", b"x");
        let rotated = ring(&(line("new", 2) + &line("old", 1))).unwrap();
        assert_eq!(rotated.open("a", &sealed_old).unwrap(), b"x");
        assert!(rotated.is_stale(&sealed_old));
        let sealed_new = rotated.seal("a", b"y");
        assert!(sealed_new.starts_with("new."));
        assert!(!rotated.is_stale(&sealed_new));
        assert_eq!(old.open("a", &sealed_new), Err(OpenError));
    }

    #[test]
    fn a_bad_keys_file_is_refused_with_its_line() {
        let short = format!("k1:{}\n", STANDARD.encode([1u8; 16]));
        for (text, expected) in [
            ("", "holds no key"),
            ("# only a comment\n\n", "holds no key"),
            ("k1\n", "line 1"),
            (short.as_str(), "line 1"),
            ("k1:not base64!\n", "line 1"),
        ] {
            let e = ring(text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        let twice = line("k1", 1) + &line("k1", 2);
        let e = ring(&twice).unwrap_err().to_string();
        assert!(e.contains("appears twice") && e.contains("line 2"), "{e}");
        let bad_kid = format!("bad kid:{}\n", STANDARD.encode([1u8; 32]));
        assert!(ring(&bad_kid).is_err());
    }
}
