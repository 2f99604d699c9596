//! Whole HTTP requests through the sandbox's router (the `spotify-mcp-sandbox` crate, `sandbox/`): the Web API under
//! `/v1`, the accounts service and the control endpoints, up to three requests per input on
//! one shared world (reset every few hundred inputs, and after any control request).
//!
//! Properties: an answer within the deadline; never a 5xx unless an input turned faults on;
//! a Web API error is Spotify's shape (`{"error": {"status": <the HTTP status>, "message"}}`)
//! and a 401 carries `WWW-Authenticate: Bearer`.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use http::Method;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use spotify_mcp_fuzz::env::env;
use spotify_mcp_fuzz::exchange::{Answer, Sent, parse_raw, send, try_send};
use spotify_mcp_fuzz::json;
use spotify_mcp_sandbox as sandbox;

/// Route templates of the sandbox (`{id}` is filled in).
const ROUTES: &[&str] = &[
    "/v1/albums",
    "/v1/albums/{id}",
    "/v1/albums/{id}/tracks",
    "/v1/artists",
    "/v1/artists/{id}",
    "/v1/artists/{id}/albums",
    "/v1/artists/{id}/related-artists",
    "/v1/artists/{id}/top-tracks",
    "/v1/audio-analysis/{id}",
    "/v1/audio-features",
    "/v1/audio-features/{id}",
    "/v1/audiobooks",
    "/v1/audiobooks/{id}",
    "/v1/audiobooks/{id}/chapters",
    "/v1/browse/categories",
    "/v1/browse/categories/{id}",
    "/v1/browse/categories/{id}/playlists",
    "/v1/browse/featured-playlists",
    "/v1/browse/new-releases",
    "/v1/chapters",
    "/v1/chapters/{id}",
    "/v1/episodes",
    "/v1/episodes/{id}",
    "/v1/markets",
    "/v1/me",
    "/v1/me/albums",
    "/v1/me/audiobooks",
    "/v1/me/episodes",
    "/v1/me/following",
    "/v1/me/library",
    "/v1/me/library/contains",
    "/v1/me/player",
    "/v1/me/player/currently-playing",
    "/v1/me/player/devices",
    "/v1/me/player/next",
    "/v1/me/player/pause",
    "/v1/me/player/play",
    "/v1/me/player/previous",
    "/v1/me/player/queue",
    "/v1/me/player/recently-played",
    "/v1/me/player/repeat",
    "/v1/me/player/seek",
    "/v1/me/player/shuffle",
    "/v1/me/player/volume",
    "/v1/me/playlists",
    "/v1/me/shows",
    "/v1/me/top/{id}",
    "/v1/me/tracks",
    "/v1/playlists/{id}",
    "/v1/playlists/{id}/items",
    "/v1/playlists/{id}/tracks",
    "/v1/playlists/{id}/images",
    "/v1/users/{id}/playlists",
    "/v1/recommendations",
    "/v1/recommendations/available-genre-seeds",
    "/v1/search",
    "/v1/shows",
    "/v1/shows/{id}",
    "/v1/shows/{id}/episodes",
    "/v1/tracks",
    "/v1/tracks/{id}",
    "/v1/users/{id}",
    "/api/token",
    "/authorize",
    "/sandbox/covers/{id}",
    "/sandbox/faults",
    "/sandbox/player/deactivate",
    "/sandbox/requests",
    "/sandbox/reset",
    // Not /sandbox/tokens/revoke: it would revoke the tokens every later input uses.
    "/sandbox/world",
];

/// Query parameter names the routes read.
const PARAMS: &[&str] = &[
    "ids",
    "limit",
    "offset",
    "market",
    "q",
    "type",
    "device_id",
    "position_ms",
    "uris",
    "uri",
    "state",
    "volume_percent",
    "include_groups",
    "after",
    "before",
    "time_range",
    "fields",
    "additional_types",
    "locale",
    "country",
    "seed_artists",
    "seed_tracks",
    "seed_genres",
    "include_external",
    "grant_type",
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "sandbox_user",
];

struct Tokens {
    premium: String,
    free: String,
}

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let env = env();
        let token = |refresh: &str| {
            let body = format!(
                "grant_type=refresh_token&refresh_token={refresh}&client_id={}&client_secret={}",
                sandbox::CLIENT_ID,
                sandbox::CLIENT_SECRET
            );
            let answer = env.runtime.block_on(send(
                &env.sandbox,
                Sent::post("/api/token", body.into_bytes())
                    .header("content-type", "application/x-www-form-urlencoded"),
            ));
            let value: Value = serde_json::from_slice(&answer.body).expect("token JSON");
            value["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned()
        };
        Tokens {
            premium: token(sandbox::PREMIUM_REFRESH_TOKEN),
            free: token(sandbox::FREE_REFRESH_TOKEN),
        }
    })
}

#[derive(Debug, Arbitrary)]
enum Auth {
    Premium,
    Free,
    Missing,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Segment {
    Real(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Payload {
    None,
    Json,
    Form(Vec<(u8, String)>),
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Req {
    method: u8,
    route: u16,
    id: Segment,
    query: Vec<(u8, Segment)>,
    auth: Auth,
    host: Option<String>,
    origin: Option<String>,
    content_type: Option<String>,
    payload: Payload,
}

const METHODS: [Method; 6] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
];

fn segment(seg: &Segment, hints: &[String]) -> String {
    match seg {
        Segment::Real(i) if !hints.is_empty() => hints[*i as usize % hints.len()].clone(),
        Segment::Real(i) => i.to_string(),
        Segment::Raw(s) => s.clone(),
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn build(u: &mut Unstructured, req: &Req) -> Result<Sent> {
    let env = env();
    // Bare IDs and URIs of the world, and device IDs.
    let mut hints: Vec<String> = env
        .uris
        .iter()
        .filter_map(|u| u.rsplit(':').next().map(str::to_owned))
        .collect();
    hints.extend(env.uris.iter().cloned());
    hints.extend(env.devices.iter().cloned());
    let route = ROUTES[req.route as usize % ROUTES.len()];
    let mut path = route.replace("{id}", &enc(&segment(&req.id, &hints)));
    let query: Vec<String> = req
        .query
        .iter()
        .take(6)
        .map(|(k, v)| {
            format!(
                "{}={}",
                PARAMS[*k as usize % PARAMS.len()],
                enc(&segment(v, &hints))
            )
        })
        .collect();
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let body = match &req.payload {
        Payload::None => Vec::new(),
        Payload::Json => json::any(u, &hints, 3)?.to_string().into_bytes(),
        Payload::Form(pairs) => pairs
            .iter()
            .map(|(k, v)| format!("{}={}", PARAMS[*k as usize % PARAMS.len()], enc(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes(),
        Payload::Raw(raw) => raw.clone(),
    };
    let mut sent = Sent::new(
        METHODS[req.method as usize % METHODS.len()].clone(),
        path,
        body,
    );
    let tokens = tokens();
    match &req.auth {
        Auth::Premium => sent = sent.header("authorization", format!("Bearer {}", tokens.premium)),
        Auth::Free => sent = sent.header("authorization", format!("Bearer {}", tokens.free)),
        Auth::Missing => {}
        Auth::Raw(raw) => sent = sent.header("authorization", raw),
    }
    sent = sent.header("host", req.host.as_deref().unwrap_or("127.0.0.1"));
    if let Some(origin) = &req.origin {
        sent = sent.header("origin", origin);
    }
    let content_type = match (&req.content_type, &req.payload) {
        (Some(t), _) => t.as_str(),
        (None, Payload::Form(_)) => "application/x-www-form-urlencoded",
        (None, _) => "application/json",
    };
    Ok(sent.header("content-type", content_type))
}

/// `{premium}` and `{free}` in a raw header stand for the users' access tokens.
fn with_tokens(sent: &Sent) -> Sent {
    let mut sent = sent.clone();
    let tokens = tokens();
    for (_, value) in &mut sent.headers {
        let text = String::from_utf8_lossy(value);
        if text.contains("{premium}") || text.contains("{free}") {
            *value = text
                .replace("{premium}", &tokens.premium)
                .replace("{free}", &tokens.free)
                .into_bytes();
        }
    }
    sent
}

fn check(sent: &Sent, answer: &Answer, faults_possible: bool) {
    let context = format!("{} {} → {}", sent.method, sent.uri, answer.status);
    let body = String::from_utf8_lossy(&answer.body);
    assert!(!answer.open, "{context}: the answer did not end");
    if !faults_possible {
        assert!(answer.status < 500, "{context}: server error: {body}");
    }
    if sent.uri.starts_with("/v1/") && answer.status >= 400 && sent.method != Method::HEAD {
        let value: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
            panic!("{context}: a Web API error that is not JSON ({e}): {body}")
        });
        assert_eq!(
            value.pointer("/error/status").and_then(Value::as_u64),
            Some(u64::from(answer.status)),
            "{context}: error.status differs from the HTTP status: {body}"
        );
        assert!(
            value
                .pointer("/error/message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            "{context}: an error without a message: {body}"
        );
    }
    if answer.status == 401 && sent.uri.starts_with("/v1/") {
        assert!(
            answer
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{context}: a 401 without a Bearer challenge"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let env = env();
    tokens();
    // HTTP/1.1 text when the input starts like a request line (the seeds), else structured.
    let sents = if data.first().is_some_and(u8::is_ascii_uppercase) {
        parse_raw(data, 3)
    } else {
        let mut u = Unstructured::new(data);
        let mut reqs = Vec::new();
        if let Ok(n) = u.int_in_range(1..=3u8) {
            for _ in 0..n {
                match Req::arbitrary(&mut u) {
                    Ok(req) => reqs.push(req),
                    Err(_) => break,
                }
            }
        }
        let mut sents = Vec::new();
        for req in &reqs {
            match build(&mut u, req) {
                Ok(sent) => sents.push(sent),
                Err(_) => break,
            }
        }
        sents
    };
    env.runtime.block_on(async {
        env.tick().await;
        let mut control = false;
        for sent in &sents {
            let sent = with_tokens(sent);
            let Some(answer) = try_send(&env.sandbox, &sent).await else {
                continue;
            };
            check(&sent, &answer, control);
            // A control request may turn on faults or latency: nothing more in this input.
            if sent.uri.starts_with("/sandbox/") && sent.method != Method::GET {
                control = true;
                break;
            }
        }
        if control {
            let reset = send(
                &env.sandbox,
                Sent::post("/sandbox/reset", Vec::new()).header("host", "127.0.0.1"),
            )
            .await;
            assert!(reset.status < 300, "reset: {}", reset.status);
        }
    });
});
