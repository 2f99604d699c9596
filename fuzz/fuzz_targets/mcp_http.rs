//! Whole HTTP requests through the server's real axum router (`server/src/http/mod.rs`
//! `router(...)`), with bearer auth on, backed by the sandbox; up to four requests per input so
//! a 2025-11-25 session can be opened and then used, and 2026-07-28 stateless calls.
//!
//! Properties: an answer within the deadline, never a 5xx (client garbage is a 4xx; only a full
//! session table may answer 503, with a JSON-RPC error saying so); every JSON answer on `/mcp`
//! is a JSON-RPC message; a JSON-RPC request that is answered 200 gets exactly one response
//! with its own id, and an error response carries a specific code.
#![no_main]

use std::sync::Arc;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use axum::Router;
use http::Method;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use spotify_mcp_fuzz::env::env;
use spotify_mcp_fuzz::exchange::{Answer, Sent, parse_raw, try_send};
use spotify_mcp_fuzz::json;
use spotify_mcp_fuzz::jsonrpc::{check_response, is_response, is_specific_error, sse_messages};
use spotify_mcp_server::http::{BearerAuth, ConnectionLimits, HttpOptions, InFlight, Readiness};
use spotify_mcp_server::metrics::Metrics;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "fuzz-token-8f3a0c";
const MAX_SESSIONS: usize = 64;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let env = env();
        let _guard = env.runtime.enter();
        let auth = BearerAuth::from_sources(Some(TOKEN), None)
            .expect("token list")
            .map(Arc::new);
        let opts = HttpOptions {
            addr: ([127, 0, 0, 1], 8000).into(),
            allowed_hosts: vec![
                "127.0.0.1".into(),
                "127.0.0.1:8000".into(),
                "localhost".into(),
                "mcp.internal".into(),
            ],
            allowed_origins: vec!["https://inspector.example".into()],
            auth,
            metrics: Metrics::disabled(),
            shutdown_grace: std::time::Duration::from_secs(1),
            max_body_bytes: spotify_mcp_server::http::DEFAULT_MAX_BODY_BYTES,
            limits: ConnectionLimits {
                max_sessions: MAX_SESSIONS,
                ..ConnectionLimits::default()
            },
            session_store: None,
            oauth: None,
        };
        let metrics = Metrics::new().expect("metrics registry");
        spotify_mcp_server::http::router(
            env.mcp.clone().with_metrics(metrics.clone()),
            Readiness::new(env.client.clone()),
            &opts,
            InFlight::default(),
            CancellationToken::new(),
            spotify_mcp_server::metrics::router(metrics),
        )
    })
}

#[derive(Debug, Arbitrary)]
enum Verb {
    Post,
    Get,
    Delete,
    Put,
    Options,
    Head,
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Path {
    Mcp,
    McpSlash,
    McpQuery(String),
    Healthz,
    Readyz,
    Metrics,
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Choice {
    Usual,
    Missing,
    Odd,
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
enum Version {
    Modern,
    Sessions,
    Missing,
    Old,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Session {
    Previous,
    Missing,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Id {
    Number(i64),
    Text(String),
    Null,
    Missing,
    Float,
}

#[derive(Debug, Arbitrary)]
enum Call {
    Initialize,
    Initialized,
    Ping,
    ToolsList,
    ToolsCall { tool: u8 },
    ResourcesList,
    ResourcesRead { uri: u8, raw: Option<String> },
    PromptsList,
    PromptsGet { name: String },
    Cancelled,
    Other { method: String },
}

#[derive(Debug, Arbitrary)]
enum Body {
    Message { id: Id, call: Call, params_mode: u8 },
    Raw(Vec<u8>),
    Json,
    Empty,
}

#[derive(Debug, Arbitrary)]
struct Req {
    verb: Verb,
    path: Path,
    auth: Choice,
    host: Choice,
    origin: Choice,
    accept: Choice,
    content_type: Choice,
    version: Version,
    session: Session,
    method_header: Choice,
    body: Body,
}

/// What a request expects back: the JSON-RPC id of a request (a message with a method and an
/// id), and whether it names a protocol revision.
struct Built {
    sent: Sent,
    id: Option<Value>,
    protocol: bool,
}

impl Built {
    fn new(sent: Sent) -> Built {
        let message: Option<Value> = serde_json::from_slice(&sent.body).ok();
        let id = message
            .as_ref()
            .filter(|m| m.get("method").is_some_and(Value::is_string))
            .and_then(|m| m.get("id"))
            .cloned();
        let protocol = sent
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("mcp-protocol-version"));
        Built { sent, id, protocol }
    }
}

fn protocol(version: &Version) -> Option<&'static str> {
    match version {
        Version::Modern => Some("2026-07-28"),
        Version::Sessions => Some("2025-11-25"),
        Version::Old => Some("2025-06-18"),
        _ => None,
    }
}

#[allow(clippy::type_complexity)]
fn message(
    u: &mut Unstructured,
    id: &Id,
    call: &Call,
    params_mode: u8,
    version: &Version,
) -> Result<(Value, Option<Value>, String, Option<String>)> {
    let env = env();
    let mut hints = env.uris.clone();
    hints.extend(env.devices.iter().cloned());
    let proto = protocol(version).unwrap_or("2026-07-28");
    let (method, mut params, name) = match call {
        Call::Initialize => (
            "initialize".to_owned(),
            json!({"protocolVersion": proto, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}),
            None,
        ),
        Call::Initialized => ("notifications/initialized".to_owned(), json!({}), None),
        Call::Ping => ("ping".to_owned(), json!({}), None),
        Call::ToolsList => ("tools/list".to_owned(), json!({}), None),
        Call::ToolsCall { tool } => {
            let tools = env.mcp.enabled_tools();
            let tool = &tools[*tool as usize % tools.len()];
            let mut args = serde_json::Map::new();
            if let Some(props) = tool
                .input_schema
                .get("properties")
                .and_then(Value::as_object)
            {
                for name in props.keys() {
                    if u.arbitrary()? {
                        args.insert(name.clone(), json::any(u, &hints, 1)?);
                    }
                }
            }
            let name = tool.name.to_string();
            (
                "tools/call".to_owned(),
                json!({"name": name, "arguments": args}),
                Some(name),
            )
        }
        Call::ResourcesList => ("resources/list".to_owned(), json!({}), None),
        Call::ResourcesRead { uri, raw } => {
            let uri = match raw {
                Some(raw) => raw.clone(),
                None => {
                    let fixed = [
                        "spotify://player/now-playing",
                        "spotify://player/devices",
                        "spotify://player/queue",
                        "spotify://me/playlists",
                    ];
                    let real = hints
                        .get(*uri as usize % hints.len().max(1))
                        .cloned()
                        .unwrap_or_default();
                    let templated = real.replacen("spotify:", "spotify://", 1).replace(':', "/");
                    match uri % 3 {
                        0 => fixed[*uri as usize % fixed.len()].to_owned(),
                        1 => templated,
                        _ => real,
                    }
                }
            };
            ("resources/read".to_owned(), json!({"uri": uri}), Some(uri))
        }
        Call::PromptsList => ("prompts/list".to_owned(), json!({}), None),
        Call::PromptsGet { name } => (
            "prompts/get".to_owned(),
            json!({"name": name, "arguments": {}}),
            Some(name.clone()),
        ),
        Call::Cancelled => (
            "notifications/cancelled".to_owned(),
            json!({"requestId": 1}),
            None,
        ),
        Call::Other { method } => (method.clone(), json::any(u, &hints, 2)?, None),
    };
    // 2026-07-28 requests carry the protocol version and capabilities in `_meta`.
    if params_mode % 4 != 3
        && proto == "2026-07-28"
        && let Some(p) = params.as_object_mut()
    {
        p.insert(
            "_meta".into(),
            json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "fuzz", "version": "0"}
            }),
        );
    }
    let mut msg = json!({"jsonrpc": "2.0", "method": method});
    if params_mode % 8 != 7 {
        msg["params"] = params;
    } else {
        msg["params"] = json::any(u, &hints, 1)?;
    }
    let id = match id {
        Id::Number(n) => Some(json!(n)),
        Id::Text(s) => Some(json!(s)),
        Id::Null => Some(Value::Null),
        Id::Missing => None,
        Id::Float => Some(json!(1.5)),
    };
    if let Some(id) = &id {
        msg["id"] = id.clone();
    }
    Ok((msg, id, method, name))
}

fn build(u: &mut Unstructured, req: &Req, session: Option<&str>) -> Result<Sent> {
    let verb = match &req.verb {
        Verb::Post => Method::POST,
        Verb::Get => Method::GET,
        Verb::Delete => Method::DELETE,
        Verb::Put => Method::PUT,
        Verb::Options => Method::OPTIONS,
        Verb::Head => Method::HEAD,
        Verb::Other(m) => Method::from_bytes(m.as_bytes()).unwrap_or(Method::PATCH),
    };
    let uri = match &req.path {
        Path::Mcp => "/mcp".to_owned(),
        Path::McpSlash => "/mcp/".to_owned(),
        Path::McpQuery(q) => format!("/mcp?{q}"),
        Path::Healthz => "/healthz".to_owned(),
        Path::Readyz => "/readyz".to_owned(),
        Path::Metrics => "/metrics".to_owned(),
        Path::Other(p) => p.clone(),
    };
    let (body, method, name) = match &req.body {
        Body::Message {
            id,
            call,
            params_mode,
        } => {
            let (msg, _, method, name) = message(u, id, call, *params_mode, &req.version)?;
            (msg.to_string().into_bytes(), Some(method), name)
        }
        Body::Raw(bytes) => (bytes.clone(), None, None),
        Body::Json => (json::any(u, &[], 3)?.to_string().into_bytes(), None, None),
        Body::Empty => (Vec::new(), None, None),
    };
    let mut sent = Sent::new(verb, uri, body);
    let mut set = |name: &str, choice: &Choice, usual: &str, odd: &str| match choice {
        Choice::Usual => sent.headers.push((name.into(), usual.as_bytes().to_vec())),
        Choice::Odd => sent.headers.push((name.into(), odd.as_bytes().to_vec())),
        Choice::Raw(raw) => sent.headers.push((name.into(), raw.clone())),
        Choice::Missing => {}
    };
    set(
        "authorization",
        &req.auth,
        &format!("Bearer {TOKEN}"),
        "bearer wrong-token",
    );
    set("host", &req.host, "127.0.0.1:8000", "evil.example.com");
    set(
        "origin",
        &req.origin,
        "http://localhost:6274",
        "https://evil.example.com",
    );
    set(
        "accept",
        &req.accept,
        "application/json, text/event-stream",
        "text/html",
    );
    set(
        "content-type",
        &req.content_type,
        "application/json",
        "text/plain",
    );
    set(
        "mcp-method",
        &req.method_header,
        method.as_deref().unwrap_or("ping"),
        "tools/list",
    );
    if let Some(name) = &name
        && matches!(req.method_header, Choice::Usual)
    {
        sent.headers
            .push(("mcp-name".into(), name.as_bytes().to_vec()));
    }
    match &req.version {
        Version::Raw(v) => sent
            .headers
            .push(("mcp-protocol-version".into(), v.as_bytes().to_vec())),
        v => {
            if let Some(p) = protocol(v) {
                sent.headers
                    .push(("mcp-protocol-version".into(), p.as_bytes().to_vec()));
            }
        }
    }
    match (&req.session, session) {
        (Session::Previous, Some(id)) => sent
            .headers
            .push(("mcp-session-id".into(), id.as_bytes().to_vec())),
        (Session::Raw(raw), _) => sent
            .headers
            .push(("mcp-session-id".into(), raw.as_bytes().to_vec())),
        _ => {}
    }
    Ok(sent)
}

fn check(built: &Built, answer: &Answer) {
    let context = format!(
        "{} {} → {}",
        built.sent.method, built.sent.uri, answer.status
    );
    let body = String::from_utf8_lossy(&answer.body);
    if answer.status >= 500 {
        // The one 5xx a client may see: no room for another session (a JSON-RPC error).
        let full = answer.status == 503 && body.contains("--max-sessions");
        assert!(
            full,
            "{context}: server error for a client's request: {body}"
        );
    }
    let on_mcp = built.sent.uri.starts_with("/mcp");
    if answer.status == 401 {
        // The bearer guard answers as OAuth does (RFC 6750), not in JSON-RPC.
        assert!(
            answer
                .header("www-authenticate")
                .is_some_and(|c| c.starts_with("Bearer ")),
            "{context}: a 401 without a Bearer challenge"
        );
        return;
    }
    let messages: Vec<Value> = if answer.is_event_stream() {
        sse_messages(&answer.body)
    } else if answer.is_json() && on_mcp {
        let value: Value = serde_json::from_slice(&answer.body)
            .unwrap_or_else(|e| panic!("{context}: JSON answer that does not parse ({e}): {body}"));
        vec![value]
    } else {
        Vec::new()
    };
    for message in &messages {
        assert!(
            message.get("jsonrpc") == Some(&json!("2.0")),
            "{context}: a JSON answer on /mcp that is not JSON-RPC: {message}"
        );
        if is_response(message)
            && let Some(id) = message.get("id")
            && let Some(expected) = &built.id
            && !id.is_null()
        {
            assert_eq!(
                id, expected,
                "{context}: a response to another request: {message}"
            );
        }
        if let Some(code) = message.pointer("/error/code") {
            let code = code
                .as_i64()
                .unwrap_or_else(|| panic!("{context}: non-integer code: {message}"));
            assert!(
                is_specific_error(code),
                "{context}: unspecific error code: {message}"
            );
        }
    }
    // A JSON-RPC request answered 200 gets exactly its own response.
    if answer.status == 200
        && on_mcp
        && built.sent.method == Method::POST
        && let Some(id) = &built.id
        && (id.is_string() || id.is_number())
        && built.protocol
        && !answer.open
    {
        let responses: Vec<&Value> = messages.iter().filter(|m| is_response(m)).collect();
        assert_eq!(
            responses.len(),
            1,
            "{context}: expected one response: {body}"
        );
        check_response(responses[0], id, &context);
    }
}

/// The requests of an input: HTTP/1.1 text when it starts like a request line (the seeds),
/// otherwise structured by `arbitrary`. `{session}` in a raw header stands for the session ID
/// the previous answers gave.
enum Requests {
    Raw(Vec<Sent>),
    Structured(Vec<Req>),
}

fn requests(u: &mut Unstructured, data: &[u8]) -> Requests {
    if data.first().is_some_and(u8::is_ascii_uppercase) {
        return Requests::Raw(parse_raw(data, 4));
    }
    let mut reqs = Vec::new();
    let Ok(n) = u.int_in_range(1..=4u8) else {
        return Requests::Structured(reqs);
    };
    for _ in 0..n {
        match Req::arbitrary(u) {
            Ok(req) => reqs.push(req),
            Err(_) => break,
        }
    }
    Requests::Structured(reqs)
}

fn with_session(mut sent: Sent, session: Option<&str>) -> Sent {
    for (_, value) in &mut sent.headers {
        if value.as_slice() == b"{session}" {
            *value = session.unwrap_or_default().as_bytes().to_vec();
        }
    }
    sent
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let requests = requests(&mut u, data);
    let count = match &requests {
        Requests::Raw(r) => r.len(),
        Requests::Structured(r) => r.len(),
    };
    let env = env();
    let router = router();
    env.runtime.block_on(async {
        env.tick().await;
        let mut sessions: Vec<String> = Vec::new();
        for i in 0..count {
            let session = sessions.last().map(String::as_str);
            let sent = match &requests {
                Requests::Raw(r) => with_session(r[i].clone(), session),
                Requests::Structured(r) => match build(&mut u, &r[i], session) {
                    Ok(sent) => sent,
                    Err(_) => break,
                },
            };
            let built = Built::new(sent);
            let Some(answer) = try_send(router, &built.sent).await else {
                continue;
            };
            check(&built, &answer);
            if let Some(id) = answer.header("mcp-session-id") {
                sessions.push(id.to_owned());
            }
        }
        // Sessions end with the input, so the table never fills across inputs.
        for id in sessions {
            let end = Sent::new(Method::DELETE, "/mcp", Vec::new())
                .header("host", "127.0.0.1:8000")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("mcp-protocol-version", "2025-11-25")
                .header("mcp-session-id", id);
            if let Some(answer) = try_send(router, &end).await {
                assert!(
                    answer.status < 500,
                    "DELETE of a session: {}",
                    answer.status
                );
            }
        }
    });
});
