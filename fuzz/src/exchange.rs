//! One HTTP request through an axum router with `tower::ServiceExt::oneshot`, its answer read
//! with a deadline. Server-sent event streams are read only until they carry a JSON-RPC
//! response (a 2025-11-25 POST's stream) and not at all for GET (a standalone stream stays open).

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::jsonrpc::sse_messages;

/// A request to send; invalid header names or values are dropped (no client can send them).
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: Method,
    pub uri: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body was still open at the deadline (an event stream without a response).
    pub open: bool,
}

/// Longest a request may take, answer included, before the target reports a hang.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// How long an event stream is read for a response before it is left open.
const STREAM_WAIT: Duration = Duration::from_secs(10);

impl Sent {
    pub fn new(method: Method, uri: impl Into<String>, body: Vec<u8>) -> Self {
        Sent {
            method,
            uri: uri.into(),
            headers: Vec::new(),
            body,
        }
    }

    pub fn get(uri: &str) -> Self {
        Self::new(Method::GET, uri, Vec::new())
    }

    pub fn post(uri: &str, body: Vec<u8>) -> Self {
        Self::new(Method::POST, uri, body)
    }

    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// The http request, or `None` when the method or URI cannot be sent at all.
    fn request(&self) -> Option<Request<Body>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                builder = builder.header(name, value);
            }
        }
        builder.body(Body::from(self.body.clone())).ok()
    }
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_event_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"))
    }

    pub fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    }
}

/// Sends `sent` through `router`. Panics (a fuzz finding) when the router fails or the answer
/// does not come within [`DEADLINE`].
pub async fn send(router: &Router, sent: Sent) -> Answer {
    try_send(router, &sent)
        .await
        .unwrap_or_else(|| panic!("unsendable request in a harness call: {sent:?}"))
}

/// Like [`send`]; `None` when the request cannot be built (bad method or URI).
pub async fn try_send(router: &Router, sent: &Sent) -> Option<Answer> {
    let request = sent.request()?;
    let is_get = sent.method == Method::GET;
    let exchange = async {
        let response = router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let (parts, mut body) = response.into_parts();
        let mut answer = Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: Vec::new(),
            open: false,
        };
        let stream = answer.is_event_stream();
        if stream && is_get {
            answer.open = true;
            return answer;
        }
        let mut data = Vec::new();
        let read = async {
            while let Some(frame) = body.frame().await {
                let Ok(frame) = frame else { break };
                if let Ok(chunk) = frame.into_data() {
                    data.extend_from_slice(&chunk);
                }
                if stream && sse_messages(&data).iter().any(crate::jsonrpc::is_response) {
                    break;
                }
            }
        };
        let wait = if stream { STREAM_WAIT } else { DEADLINE };
        answer.open = tokio::time::timeout(wait, read).await.is_err();
        answer.body = data;
        answer
    };
    match tokio::time::timeout(DEADLINE, exchange).await {
        Ok(answer) => Some(answer),
        Err(_) => panic!("no answer within {DEADLINE:?} to {sent:?}"),
    }
}

/// Separates requests in a raw input.
pub const RAW_SEPARATOR: &[u8] = b"\n---\n";

/// Requests written as HTTP/1.1 text (`METHOD /path HTTP/1.1`, header lines, a blank line, the
/// body), separated by [`RAW_SEPARATOR`]: the framing of the committed seeds, so they read as
/// the requests they are. Line ends may be `\n` or `\r\n`. At most `max` requests.
pub fn parse_raw(data: &[u8], max: usize) -> Vec<Sent> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() && out.len() < max {
        let (one, next) = match find(rest, RAW_SEPARATOR) {
            Some(i) => (&rest[..i], &rest[i + RAW_SEPARATOR.len()..]),
            None => (rest, &[][..]),
        };
        rest = next;
        let (head, body) = match find(one, b"\r\n\r\n") {
            Some(i) => (&one[..i], &one[i + 4..]),
            None => match find(one, b"\n\n") {
                Some(i) => (&one[..i], &one[i + 2..]),
                None => (one, &[][..]),
            },
        };
        let text = String::from_utf8_lossy(head);
        let mut lines = text.lines();
        let Some(request_line) = lines.next() else {
            continue;
        };
        let mut parts = request_line.split(' ');
        let (Some(method), Some(uri)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            continue;
        };
        let mut sent = Sent::new(method, uri, body.to_vec());
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                sent.headers
                    .push((name.trim().to_owned(), value.trim().as_bytes().to_vec()));
            }
        }
        out.push(sent);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
