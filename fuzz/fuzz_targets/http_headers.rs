//! Header parsing: `Retry-After` (`server/src/spotify/pipeline/retry_after.rs`), the bearer
//! token list of `SPOTIFY_MCP_AUTH_TOKENS` and the `Authorization` header checked on `/mcp`
//! (`server/src/http/auth.rs`, through the real router), and the `WWW-Authenticate` challenge
//! a refusal carries.
//!
//! Properties: Retry-After delta-seconds is the number (huge ones saturate), anything else is
//! bounded (a fraction by 1e9 s, a date by how far away it is) and `from_headers` agrees with the
//! parser; a token list is refused exactly when it holds no token, and accepts each of its
//! tokens; a request passes the guard exactly when its header is `Bearer <listed token>` (scheme
//! in any case); a refusal is a 401 whose challenge is a well-formed `Bearer` challenge with an
//! RFC 6750 error code, and neither it nor the body repeats the token sent.
#![no_main]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use axum::Router;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use spotify_mcp_fuzz::env::env;
use spotify_mcp_fuzz::exchange::{Sent, try_send};
use spotify_mcp_server::http::{
    BearerAuth, BearerAuthError, ConnectionLimits, HttpOptions, InFlight, Readiness,
};
use spotify_mcp_server::metrics::Metrics;
use spotify_mcp_server::spotify::pipeline::retry_after::{from_headers, parse_retry_after};
use tokio_util::sync::CancellationToken;

/// Lines of an input: the Retry-After value, "now" in seconds, the token list, then the
/// Authorization value (the rest, any bytes). An Authorization of `@listed <n> <case>` sends
/// `Bearer <the n-th listed token>` with the scheme in one of four cases (tokens are compared
/// as digests, which coverage cannot see through).
#[derive(Debug)]
struct Input {
    retry_after: String,
    now_secs: u32,
    tokens: String,
    authorization: Vec<u8>,
    use_listed: Option<(u8, u8)>,
}

impl Input {
    fn parse(data: &[u8]) -> Input {
        let mut parts = data.splitn(4, |b| *b == b'\n');
        let mut next = || parts.next().unwrap_or_default();
        let retry_after = String::from_utf8_lossy(next()).into_owned();
        let now_secs = String::from_utf8_lossy(next()).trim().parse().unwrap_or(0);
        let tokens = String::from_utf8_lossy(next()).into_owned();
        let authorization = next().to_vec();
        let use_listed = authorization.strip_prefix(b"@listed ").map(|rest| {
            let mut n = rest
                .split(|b| *b == b' ')
                .map(|p| String::from_utf8_lossy(p).parse::<u8>().unwrap_or(0));
            (n.next().unwrap_or(0), n.next().unwrap_or(0))
        });
        Input {
            retry_after,
            now_secs,
            tokens,
            authorization,
            use_listed,
        }
    }
}

/// Seconds from the Unix epoch to 9999-12-31, the last date an HTTP-date can name.
const LAST_HTTP_DATE: u64 = 253_402_300_799;

fn check_retry_after(value: &str, now: SystemTime) {
    let parsed = parse_retry_after(value, now);
    // HTTP's optional whitespace: space and tab, not every Unicode space.
    let trimmed = value.trim_matches([' ', '\t']);
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let expected = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(parsed, Some(Duration::from_secs(expected)), "{value:?}");
    } else if let Some(wait) = parsed {
        assert!(
            wait <= Duration::from_secs(LAST_HTTP_DATE),
            "{value:?} asks to wait {wait:?}"
        );
    }
    if let Ok(header) = http::HeaderValue::from_str(value) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, header);
        let from = from_headers(&headers);
        // Agrees with the parser where "now" does not matter.
        if parse_retry_after(value, SystemTime::UNIX_EPOCH).is_none() {
            assert_eq!(from, None, "{value:?}");
        }
        if parsed.is_some() && httpdate::parse_http_date(value.trim_matches([' ', '\t'])).is_err() {
            assert_eq!(from, parsed, "{value:?}");
        }
    }
}

/// The tokens a comma-separated list holds (blank entries and `#` comments skipped).
fn listed(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with('#'))
        .collect()
}

/// The token of a `Bearer` credentials value, per RFC 6750/7235: the scheme in any case,
/// then whitespace, then the token (surrounding whitespace ignored).
fn bearer(value: &str) -> Option<&str> {
    let value = value.trim_start();
    let split = value.find([' ', '\t'])?;
    let (scheme, rest) = value.split_at(split);
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// Checks `Bearer realm="…", error="…", error_description="…"` (auth-params of quoted strings).
fn check_challenge(challenge: &str) -> String {
    let rest = challenge
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("not a Bearer challenge: {challenge}"));
    let mut error = None;
    for param in rest.split(", ") {
        let (name, value) = param
            .split_once('=')
            .unwrap_or_else(|| panic!("auth-param without '=': {challenge}"));
        assert!(
            value.len() >= 2
                && value.starts_with('"')
                && value.ends_with('"')
                && !value[1..value.len() - 1].contains(['"', '\\']),
            "auth-param {name} is not a plain quoted string: {challenge}"
        );
        if name == "error" {
            error = Some(value.trim_matches('"').to_owned());
        }
    }
    let error = error.unwrap_or_else(|| panic!("no error in the challenge: {challenge}"));
    assert!(
        ["invalid_request", "invalid_token", "insufficient_scope"].contains(&error.as_str()),
        "not an RFC 6750 error code: {challenge}"
    );
    error
}

fn router(auth: Arc<BearerAuth>) -> Router {
    static MCP: OnceLock<spotify_mcp_server::mcp::SpotifyMcp> = OnceLock::new();
    let env = env();
    let _guard = env.runtime.enter();
    let mcp = MCP.get_or_init(|| env.mcp.clone());
    let opts = HttpOptions {
        addr: ([127, 0, 0, 1], 8000).into(),
        allowed_hosts: vec!["127.0.0.1:8000".into()],
        allowed_origins: Vec::new(),
        auth: Some(auth),
        metrics: Metrics::disabled(),
        shutdown_grace: Duration::from_secs(1),
        max_body_bytes: 4096,
        limits: ConnectionLimits::default(),
        session_store: None,
        oauth: None,
    };
    spotify_mcp_server::http::router(
        mcp.clone(),
        Readiness::new(env.client.clone()),
        &opts,
        InFlight::default(),
        CancellationToken::new(),
        Router::new(),
    )
}

fn check_auth(input: &Input) {
    let tokens = listed(&input.tokens);
    let auth = match BearerAuth::from_sources(Some(&input.tokens), None) {
        Err(BearerAuthError::EmptyEnv) => {
            assert!(
                tokens.is_empty(),
                "{:?} was refused but lists {tokens:?}",
                input.tokens
            );
            return;
        }
        Err(e) => panic!("unexpected error for {:?}: {e}", input.tokens),
        Ok(None) => panic!(
            "a set token list turned access control off: {:?}",
            input.tokens
        ),
        Ok(Some(auth)) => auth,
    };
    assert!(
        !tokens.is_empty(),
        "{:?} holds no token but was accepted",
        input.tokens
    );
    for token in &tokens {
        assert!(auth.accepts(token), "listed token {token:?} refused");
    }
    let header = match input.use_listed {
        Some((n, case)) => {
            let scheme = ["Bearer", "bearer", "BEARER", "bEaReR"][case as usize % 4];
            format!("{scheme} {}", tokens[n as usize % tokens.len()]).into_bytes()
        }
        None => input.authorization.clone(),
    };
    let valid_header = http::HeaderValue::from_bytes(&header).ok();
    let text = valid_header.as_ref().and_then(|v| v.to_str().ok());
    let sent_token = text.and_then(bearer).filter(|t| !t.is_empty());
    let should_pass = sent_token.is_some_and(|t| tokens.contains(&t));
    let env = env();
    let router = router(Arc::new(auth));
    let mut sent = Sent::get("/mcp").header("host", "127.0.0.1:8000");
    if valid_header.is_some() {
        sent = sent.header("authorization", &header);
    }
    let Some(answer) = env.runtime.block_on(try_send(&router, &sent)) else {
        return;
    };
    if should_pass {
        assert_ne!(
            answer.status, 401,
            "Bearer with a listed token refused: {:?}",
            text
        );
        return;
    }
    assert_eq!(answer.status, 401, "passed the guard with {text:?}");
    let challenge = answer
        .header("www-authenticate")
        .expect("a 401 carries WWW-Authenticate");
    let error = check_challenge(challenge);
    let body: Value = serde_json::from_slice(&answer.body).expect("a 401 body is JSON");
    assert_eq!(
        body["error"].as_str(),
        Some(error.as_str()),
        "body and challenge disagree"
    );
    let expected = if sent_token.is_some() {
        "invalid_token"
    } else {
        "invalid_request"
    };
    assert_eq!(error, expected, "header {text:?}");
    // The refusal never depends on what was sent (so it cannot repeat a token): refusals come
    // from a fixed set of texts, one per reason (missing, empty, wrong scheme, rejected). Checking
    // that the token is absent is wrong: a "token" such as `realm="spotify-mcp"` is a substring of
    // the fixed text itself (a false crash of the 10-minute run).
    let shown = format!("{challenge}{}", String::from_utf8_lossy(&answer.body));
    static REFUSALS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut refusals = REFUSALS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    refusals.insert(shown);
    assert!(
        refusals.len() <= 4,
        "refusals depend on the request (header {text:?}): {refusals:#?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(input.now_secs) * 4);
    check_retry_after(&input.retry_after, now);
    check_auth(&input);
});
