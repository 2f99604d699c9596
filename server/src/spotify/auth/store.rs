//! The token file of `spotify-mcp-server auth login`: `<config dir>/spotify-mcp/token.json`,
//! written atomically (temporary file in the same directory, then rename) with mode 0600.

use crate::spotify::auth::expiry::refresh_token_expiry;
use crate::spotify::error::SpotifyError;
use crate::spotify::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// What the token file holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The client ID the tokens were issued to (refreshing needs the same one).
    pub client_id: String,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Expiry of the access token, Unix seconds.
    pub expires_at: u64,
    /// Granted scopes, space-separated.
    #[serde(default)]
    pub scope: String,
    /// When the user authorised (the end of `auth login`, RFC 3339); refreshes keep it, since
    /// they do not extend the refresh token's life. Absent in files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("client_id", &self.client_id)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("authorized_at", &self.authorized_at)
            .finish()
    }
}

/// What `auth status` reports: nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    pub path: PathBuf,
    pub logged_in: bool,
    pub client_id: Option<String>,
    pub has_refresh_token: bool,
    /// Seconds until the stored access token expires (negative = expired; it is refreshed on use).
    pub access_token_expires_in_secs: Option<i64>,
    pub scopes: Vec<String>,
    /// When the user authorised; `None` when the file does not say.
    pub authorized_at: Option<DateTime<Utc>>,
    /// When the refresh token stops working (six months after authorising); `None` when unknown.
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The token file at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The store at `path`, or at the default location when none is given.
    pub fn at_or_default(path: Option<&std::path::Path>) -> Result<Self, SpotifyError> {
        match path {
            Some(p) => Ok(Self::new(p)),
            None => Self::default_location(),
        }
    }

    /// The platform default: `dirs::config_dir()/spotify-mcp/token.json`.
    pub fn default_location() -> Result<Self, SpotifyError> {
        crate::spotify::config::SpotifyConfig::default_token_path()
            .map(Self::new)
            .ok_or_else(|| SpotifyError::Auth {
                message: "no platform configuration directory found (is HOME set?); pass a token file path".into(),
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the token file; `Ok(None)` when it does not exist.
    pub fn load(&self) -> Result<Option<TokenSet>, SpotifyError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SpotifyError::Auth {
                    message: format!("cannot read token file {}: {e}", self.path.display()),
                });
            }
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| SpotifyError::Auth {
            message: format!(
                "token file {} is not valid ({e}); log in again with `spotify-mcp-server auth login`",
                self.path.display()
            ),
        })
    }

    /// Write the token file atomically with mode 0600 (directory 0700 when created).
    pub fn save(&self, tokens: &TokenSet) -> Result<(), SpotifyError> {
        let io_err = |what: &str, e: std::io::Error| SpotifyError::Auth {
            message: format!("cannot {what} {}: {e}", self.path.display()),
        };
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(|e| io_err("create the directory of", e))?;
        }
        let json = serde_json::to_vec_pretty(tokens).map_err(|e| SpotifyError::Auth {
            message: format!("cannot encode tokens: {e}"),
        })?;
        let mut temp =
            tempfile_in(dir).map_err(|e| io_err("create a temporary file next to", e))?;
        temp.1.write_all(&json).map_err(|e| io_err("write", e))?;
        temp.1.sync_all().map_err(|e| io_err("flush", e))?;
        drop(temp.1);
        std::fs::rename(&temp.0, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&temp.0);
            io_err("replace", e)
        })
    }

    /// Delete the token file (`auth logout`). Returns whether a file was removed.
    pub fn delete(&self) -> Result<bool, SpotifyError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(SpotifyError::Auth {
                message: format!("cannot delete {}: {e}", self.path.display()),
            }),
        }
    }

    /// A secret-free summary for `auth status`.
    pub fn status(&self) -> Result<TokenStatus, SpotifyError> {
        let tokens = self.load()?;
        Ok(match tokens {
            None => TokenStatus {
                path: self.path.clone(),
                logged_in: false,
                client_id: None,
                has_refresh_token: false,
                access_token_expires_in_secs: None,
                scopes: Vec::new(),
                authorized_at: None,
                refresh_token_expires_at: None,
            },
            Some(t) => TokenStatus {
                path: self.path.clone(),
                logged_in: true,
                client_id: Some(t.client_id.clone()),
                has_refresh_token: t.refresh_token.is_some(),
                access_token_expires_in_secs: Some(t.expires_at as i64 - unix_now() as i64),
                scopes: t.scope.split_whitespace().map(str::to_owned).collect(),
                authorized_at: t.authorized_at,
                refresh_token_expires_at: t.authorized_at.map(refresh_token_expiry),
            },
        })
    }
}

/// Create a uniquely named file with mode 0600 in `dir`.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut last_err = None;
    for _ in 0..16 {
        let name = format!(".token.json.{}.tmp", uuid::Uuid::new_v4().simple());
        let path = dir.join(name);
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("could not create a temporary file")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenSet {
        TokenSet {
            client_id: "cid".into(),
            access_token: Secret::new("AT"),
            refresh_token: Some(Secret::new("RT")),
            expires_at: unix_now() + 3600,
            scope: "user-read-private playlist-read-private".into(),
            authorized_at: crate::spotify::auth::expiry::parse_authorized_at(
                "2026-01-31T12:00:00Z",
            )
            .ok(),
        }
    }

    #[test]
    fn save_load_status_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("nested/spotify-mcp/token.json"));
        assert_eq!(store.load().unwrap(), None);
        assert!(!store.status().unwrap().logged_in);
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
        let status = store.status().unwrap();
        assert!(status.logged_in && status.has_refresh_token);
        assert_eq!(status.scopes.len(), 2);
        let json = serde_json::to_string(&status).unwrap();
        assert!(!json.contains("\"AT\"") && !json.contains("RT"), "{json}");
        assert!(store.delete().unwrap());
        assert!(!store.delete().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_no_temp_files_remain() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("token.json"));
        store.save(&sample()).unwrap();
        store.save(&sample()).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn authorization_date_round_trips_and_old_files_have_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("token.json"));
        store.save(&sample()).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(
            text.contains(r#""authorized_at": "2026-01-31T12:00:00Z""#),
            "{text}"
        );
        let status = store.status().unwrap();
        let at = |s| crate::spotify::auth::expiry::parse_authorized_at(s).ok();
        assert_eq!(status.authorized_at, at("2026-01-31T12:00:00Z"));
        assert_eq!(status.refresh_token_expires_at, at("2026-07-31T12:00:00Z"));

        // A file from before the date was recorded: still valid, the date is unknown.
        std::fs::write(
            store.path(),
            r#"{"client_id":"cid","access_token":"AT","refresh_token":"RT","expires_at":1}"#,
        )
        .unwrap();
        let old = store.load().unwrap().unwrap();
        assert_eq!(old.authorized_at, None);
        let status = store.status().unwrap();
        assert_eq!(
            (status.authorized_at, status.refresh_token_expires_at),
            (None, None)
        );
        store.save(&old).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("authorized_at"), "no guessed date: {text}");
    }

    #[test]
    fn corrupt_file_gives_a_login_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = TokenStore::new(&path).load().unwrap_err();
        assert!(err.to_string().contains("auth login"), "{err}");
    }
}
