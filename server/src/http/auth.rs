//! Optional bearer-token access control for `/mcp`.
//!
//! Tokens come from `SPOTIFY_MCP_AUTH_TOKENS` (comma separated) and/or a file with one token
//! per line, such as a mounted Kubernetes Secret; the file is re-read when it changes. Only
//! SHA-256 digests of the tokens are kept in memory, and comparisons are constant time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::metrics::{AuthFailure, Metrics};

/// How often the tokens file's modification time is checked.
const FILE_CHECK_INTERVAL: Duration = Duration::from_secs(5);

type TokenDigest = [u8; 32];

#[derive(Debug, thiserror::Error)]
pub enum BearerAuthError {
    #[error("cannot read the auth tokens file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no MCP access token configured: the tokens file {0} is empty")]
    Empty(PathBuf),
    /// Set but without a token: failing open would serve `/mcp` to anyone, so refuse to start.
    #[error(
        "SPOTIFY_MCP_AUTH_TOKENS is set but holds no token (it is empty, blank or only comments); \
         set it to one or more comma-separated tokens, or unset it to run without access control"
    )]
    EmptyEnv,
}

#[derive(Debug)]
struct FileTokens {
    path: PathBuf,
    modified: Option<SystemTime>,
    checked: Instant,
    digests: HashSet<TokenDigest>,
}

/// The set of accepted bearer tokens.
#[derive(Debug)]
pub struct BearerAuth {
    env: HashSet<TokenDigest>,
    file: Option<RwLock<FileTokens>>,
}

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

fn parse_tokens(text: &str, sep: char) -> HashSet<TokenDigest> {
    text.split(sep)
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with('#'))
        .map(digest)
        .collect()
}

fn read_file(path: &Path) -> Result<(Option<SystemTime>, HashSet<TokenDigest>), BearerAuthError> {
    let read_err = |source| BearerAuthError::Read {
        path: path.to_owned(),
        source,
    };
    let modified = std::fs::metadata(path).map_err(read_err)?.modified().ok();
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    Ok((modified, parse_tokens(&text, '\n')))
}

impl BearerAuth {
    /// Builds the token set; `None` when no token source is configured (access control off).
    /// A source that is configured but yields no token is an error, never "access control
    /// off": `env_tokens` is `Some` as soon as the variable is set, even to an empty value.
    pub fn from_sources(
        env_tokens: Option<&str>,
        file: Option<&Path>,
    ) -> Result<Option<Self>, BearerAuthError> {
        let env = match env_tokens.map(|t| parse_tokens(t, ',')) {
            Some(tokens) if tokens.is_empty() => return Err(BearerAuthError::EmptyEnv),
            Some(tokens) => tokens,
            None => HashSet::new(),
        };
        let file = match file {
            Some(path) => {
                let (modified, digests) = read_file(path)?;
                if digests.is_empty() && env.is_empty() {
                    return Err(BearerAuthError::Empty(path.to_owned()));
                }
                Some(RwLock::new(FileTokens {
                    path: path.to_owned(),
                    modified,
                    checked: Instant::now(),
                    digests,
                }))
            }
            None => None,
        };
        if env.is_empty() && file.is_none() {
            return Ok(None);
        }
        Ok(Some(Self { env, file }))
    }

    /// Re-reads the file when its modification time changed (checked every few seconds).
    fn refresh_file(&self) {
        let Some(file) = &self.file else { return };
        let due = file
            .read()
            .map(|f| f.checked.elapsed() >= FILE_CHECK_INTERVAL)
            .unwrap_or(false);
        if !due {
            return;
        }
        let Ok(mut f) = file.write() else { return };
        f.checked = Instant::now();
        let modified = std::fs::metadata(&f.path)
            .ok()
            .and_then(|m| m.modified().ok());
        if modified == f.modified {
            return;
        }
        match read_file(&f.path) {
            // Same rule as at start-up: a file without tokens is a mistake (or a write caught
            // half-way), not a way to lock everyone out; replace the tokens to revoke them.
            // Said once per change of the file: the next write is read again.
            Ok((modified, digests)) if digests.is_empty() && self.env.is_empty() => {
                tracing::warn!(
                    path = %f.path.display(),
                    "the MCP access tokens file has no tokens now; keeping the previous ones"
                );
                f.modified = modified;
            }
            Ok((modified, digests)) => {
                tracing::info!(path = %f.path.display(), tokens = digests.len(), "reloaded MCP access tokens");
                f.modified = modified;
                f.digests = digests;
            }
            // Keep the last good set: a half-written Secret update must not lock everyone out.
            Err(e) => tracing::warn!(error = %e, "keeping the previous MCP access tokens"),
        }
    }

    /// Whether `token` is accepted.
    pub fn accepts(&self, token: &str) -> bool {
        self.refresh_file();
        let candidate = digest(token);
        let in_set = |set: &HashSet<TokenDigest>| {
            // Constant-time over every stored digest, so timing says nothing about which matched.
            set.iter()
                .fold(false, |found, d| found | ct_eq(d, &candidate))
        };
        let from_file = self
            .file
            .as_ref()
            .and_then(|f| f.read().ok().map(|f| in_set(&f.digests)))
            .unwrap_or(false);
        in_set(&self.env) | from_file
    }
}

fn ct_eq(a: &TokenDigest, b: &TokenDigest) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(error: &'static str, description: &'static str) -> Response {
    let challenge = format!(
        "Bearer realm=\"spotify-mcp\", error=\"{error}\", error_description=\"{description}\""
    );
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// What [`require_bearer`] checks against, and where it counts what it refuses.
#[derive(Clone)]
pub struct BearerGuard {
    pub auth: Arc<BearerAuth>,
    pub metrics: Metrics,
}

/// Middleware: `/mcp` requires `Authorization: Bearer <token>` with an accepted token. A
/// refusal is logged (at info: a client without its token is routine, a flood shows in the
/// counter) and counted in `spotify_mcp_http_auth_failures_total{reason}`; neither ever holds
/// the token or the header's value, only which rule it broke.
pub async fn require_bearer(
    State(guard): State<BearerGuard>,
    request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (reason, error, description) = match header.map(bearer_token) {
        Some(Some(token)) if !token.is_empty() && guard.auth.accepts(token) => {
            return next.run(request).await;
        }
        None => (
            AuthFailure::Missing,
            "invalid_request",
            "missing Authorization: Bearer token",
        ),
        // RFC 6750: a request without its token is invalid_request, not a rejected token.
        Some(Some("")) => (
            AuthFailure::Missing,
            "invalid_request",
            "the Authorization header names the Bearer scheme but holds no token",
        ),
        Some(None) => (
            AuthFailure::WrongScheme,
            "invalid_request",
            "the Authorization header must use the Bearer scheme",
        ),
        Some(Some(_)) => (
            AuthFailure::Invalid,
            "invalid_token",
            "the bearer token is not accepted",
        ),
    };
    tracing::info!(
        reason = reason.as_str(),
        "MCP request refused: {description}"
    );
    guard.metrics.record_auth_failure(reason);
    unauthorized(error, description)
}

/// The credentials of a `Bearer` Authorization value; the scheme is case-insensitive
/// (RFC 7235 section 2.1), so `BEARER x` and `bearer x` work too.
/// `Some("")` is the Bearer scheme without a token.
fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, token) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The auth scheme is case-insensitive.
    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in [
            "Bearer tok",
            "bearer tok",
            "BEARER tok",
            "bEaReR  tok ",
            "Bearer\ttok",
        ] {
            assert_eq!(bearer_token(value), Some("tok"), "{value:?}");
        }
        for value in ["Basic tok", "Bearertok", "tok", "Basic"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
        // Found by the http_headers fuzzer: the scheme without a token is a missing token
        // (invalid_request), not a wrong scheme or a rejected token.
        for value in ["Bearer", "bearer ", "Bearer\t ", " BEARER  "] {
            assert_eq!(bearer_token(value), Some(""), "{value:?}");
        }
    }

    /// Collects what the tracing subscriber of the current thread writes.
    #[derive(Clone, Default)]
    struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for LogBuffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Every refused request is counted by reason and logged, and neither the
    /// metrics nor the log hold the token that was sent.
    #[tokio::test]
    async fn refusals_are_counted_and_logged_by_reason_without_the_token() {
        use axum::body::Body;
        use tower::ServiceExt;

        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _log = tracing::subscriber::set_default(subscriber);

        let metrics = Metrics::new().unwrap();
        let guard = BearerGuard {
            auth: Arc::new(
                BearerAuth::from_sources(Some("right-token"), None)
                    .unwrap()
                    .unwrap(),
            ),
            metrics: metrics.clone(),
        };
        let app = axum::Router::new()
            .route("/mcp", axum::routing::post(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(guard, require_bearer));
        let call = |authorization: Option<&str>| {
            let mut request = Request::post("/mcp");
            if let Some(value) = authorization {
                request = request.header(header::AUTHORIZATION, value);
            }
            app.clone().oneshot(request.body(Body::empty()).unwrap())
        };
        let cases = [
            (None, StatusCode::UNAUTHORIZED),
            (Some("Basic c2VjcmV0LWJhc2ljOng="), StatusCode::UNAUTHORIZED),
            (Some("Bearer wrong-token-1"), StatusCode::UNAUTHORIZED),
            (Some("Bearer wrong-token-2"), StatusCode::UNAUTHORIZED),
            (Some("Bearer "), StatusCode::UNAUTHORIZED),
            (Some("Bearer right-token"), StatusCode::OK),
        ];
        for (authorization, status) in cases {
            let response = call(authorization).await.unwrap();
            assert_eq!(response.status(), status, "{authorization:?}");
        }

        let text = metrics.render().unwrap();
        let count = |reason: &str| {
            let series = format!("spotify_mcp_http_auth_failures_total{{reason=\"{reason}\"}} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&series)?.parse::<f64>().ok())
        };
        // `Bearer ` without a token counts as missing, like no header.
        assert_eq!(count("missing"), Some(2.0), "{text}");
        assert_eq!(count("wrong_scheme"), Some(1.0), "{text}");
        assert_eq!(count("invalid"), Some(2.0), "{text}");

        let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert_eq!(logged.matches("MCP request refused").count(), 5, "{logged}");
        for reason in ["missing", "wrong_scheme", "invalid"] {
            assert!(logged.contains(&format!("reason=\"{reason}\"")), "{logged}");
        }
        for secret in ["wrong-token", "right-token", "c2VjcmV0", "secret-basic"] {
            assert!(!logged.contains(secret), "{secret} in the log: {logged}");
            assert!(!text.contains(secret), "{secret} in the metrics");
        }
    }

    #[test]
    fn no_sources_means_no_access_control() {
        assert!(BearerAuth::from_sources(None, None).unwrap().is_none());
    }

    /// A set variable that yields no token must not turn access control off.
    #[test]
    fn a_set_but_empty_env_variable_is_a_start_up_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "file-token\n").unwrap();
        for value in ["", "   ", " , ", "# only a comment", ",#a, #b ,"] {
            for file in [None, Some(path.as_path())] {
                let result = BearerAuth::from_sources(Some(value), file);
                assert!(
                    matches!(result, Err(BearerAuthError::EmptyEnv)),
                    "{value:?} with file {file:?}: {result:?}"
                );
            }
        }
        let message = BearerAuthError::EmptyEnv.to_string();
        assert!(
            message.contains("SPOTIFY_MCP_AUTH_TOKENS") && message.contains("unset it"),
            "{message}"
        );
    }

    #[test]
    fn env_tokens_are_accepted_and_others_rejected() {
        let auth = BearerAuth::from_sources(Some("alpha, beta"), None)
            .unwrap()
            .unwrap();
        assert!(auth.accepts("alpha"));
        assert!(auth.accepts("beta"));
        assert!(!auth.accepts("gamma"));
        assert!(!auth.accepts(""));
    }

    #[test]
    fn file_tokens_reload_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "# comment\nfirst\n").unwrap();
        let auth = BearerAuth::from_sources(None, Some(&path))
            .unwrap()
            .unwrap();
        assert!(auth.accepts("first"));
        assert!(!auth.accepts("# comment"));

        std::fs::write(&path, "second\n").unwrap();
        touch_later(&auth, &path, 10);
        assert!(auth.accepts("second"));
        assert!(!auth.accepts("first"));

        // Truncated (a Secret update caught half-way): the last good set stays.
        std::fs::write(&path, "").unwrap();
        touch_later(&auth, &path, 20);
        assert!(auth.accepts("second"));
        // ...and the empty file is not read (and warned about) again until it changes.
        let on_disk = std::fs::metadata(&path).unwrap().modified().ok();
        assert_eq!(
            auth.file.as_ref().unwrap().read().unwrap().modified,
            on_disk
        );
        std::fs::write(&path, "third\n").unwrap();
        touch_later(&auth, &path, 30);
        assert!(auth.accepts("third"));
    }

    /// Moves the file's mtime `secs` ahead and makes the next `accepts` re-check it.
    fn touch_later(auth: &BearerAuth, path: &Path, secs: u64) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(SystemTime::now() + Duration::from_secs(secs))
            .unwrap();
        if let Some(f) = &auth.file {
            f.write().unwrap().checked = Instant::now() - FILE_CHECK_INTERVAL;
        }
    }

    #[test]
    fn empty_file_is_an_error_and_missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "\n\n").unwrap();
        assert!(matches!(
            BearerAuth::from_sources(None, Some(&path)),
            Err(BearerAuthError::Empty(_))
        ));
        let missing = dir.path().join("nope");
        let err = BearerAuth::from_sources(None, Some(&missing)).unwrap_err();
        assert!(err.to_string().contains("nope"));
    }
}
