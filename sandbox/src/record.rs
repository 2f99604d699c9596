//! The exchange log behind `GET /sandbox/requests`: method, path, query, request body, status
//! and response body of every Web API and accounts call while recording is on.
//! `POST /sandbox/requests/drain` hands the log over and empties it in one step, so a long run
//! can read it piecemeal without losing an exchange between a read and a clear.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::SandboxState;
use super::error::ApiError;

/// Most exchanges kept; older ones are dropped.
const LOG_CAP: usize = 10_000;
/// Largest body buffered for recording (a cover upload is at most ~350 KB of base64).
const BODY_LIMIT: usize = super::routes::MAX_BODY_BYTES;

/// One recorded request/response pair.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request_body: Value,
    pub status: u16,
    pub response_body: Value,
    /// The request was handled but its answer never reached the client (the `lost_answer`
    /// fault): `status` is what the handler answered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub answer_lost: bool,
}

fn body_value(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| match std::str::from_utf8(bytes) {
        Ok(s) if s.len() <= 4096 => Value::String(s.to_string()),
        _ => Value::String(format!("<{} bytes>", bytes.len())),
    })
}

/// Token endpoint bodies carry secrets: keep their shape, hide their values.
fn redact(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        for key in ["access_token", "refresh_token"] {
            if let Some(x) = obj.get_mut(key) {
                *x = Value::String("<redacted>".into());
            }
        }
    }
    v
}

pub async fn record(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !state.knobs().record_requests || path.starts_with("/sandbox/") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let query = req.uri().query().map(str::to_string);
    let (parts, body) = req.into_parts();
    let Ok(req_bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large",
        )
        .into_response();
    };
    let token_endpoint = path == "/api/token";
    let request_body = if token_endpoint {
        Value::String("<redacted>".into())
    } else {
        body_value(&req_bytes)
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(req_bytes)))
        .await;
    let (parts, body) = resp.into_parts();
    // A body that fails is a lost answer: recorded as such and lost again for the client.
    let (resp_bytes, answer_lost) = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let mut response_body = body_value(&resp_bytes);
    if token_endpoint {
        response_body = redact(response_body);
    }
    let exchange = Exchange {
        method,
        path,
        query,
        request_body,
        status: parts.status.as_u16(),
        response_body,
        answer_lost,
    };
    {
        let mut log = state.shared.log.lock();
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(exchange);
    }
    if answer_lost {
        return super::faults::lost_answer(parts.status);
    }
    Response::from_parts(parts, Body::from(resp_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_become_json_or_text() {
        assert_eq!(body_value(&Bytes::from_static(b"")), Value::Null);
        assert_eq!(body_value(&Bytes::from_static(b"{\"a\":1}"))["a"], 1);
        assert_eq!(
            body_value(&Bytes::from_static(b"abc")),
            Value::String("abc".into())
        );
    }

    #[test]
    fn token_values_are_redacted() {
        let v = redact(serde_json::json!({"access_token": "secret", "expires_in": 3600}));
        assert_eq!(v["access_token"], "<redacted>");
        assert_eq!(v["expires_in"], 3600);
    }
}
