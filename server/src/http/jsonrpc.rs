//! JSON-RPC errors for bodies the MCP service cannot decode.
//!
//! rmcp answers an undecodable POST body with `415 fail to deserialize request body` in plain
//! text. A client deserves a JSON-RPC error object instead: `-32700 Parse error` when the body
//! is not JSON at all, `-32600 Invalid Request` when it is JSON but not a JSON-RPC message. The
//! body is buffered (bounded) so it can be classified after the fact; valid requests pass
//! through untouched.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};

pub use crate::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES as DEFAULT_MAX_BODY_BYTES;
use crate::jsonrpc::{INVALID_REQUEST, SERVER_BUSY, error_object, invalid_tool_call, request_id};

/// The prefix of rmcp's plain-text answer to an undecodable body.
const RMCP_DECODE_FAILURE: &[u8] = b"fail to deserialize request body";

/// A JSON-RPC error response with HTTP 400.
pub fn error_response(id: Value, code: i64, message: String) -> Response {
    bad_request(error_object(id, code, message))
}

fn bad_request(error: Value) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
}

/// Classifies a body rmcp could not decode (`crate::jsonrpc::undecodable`), with HTTP 400.
pub fn classify(body: &[u8]) -> Response {
    bad_request(crate::jsonrpc::undecodable(body))
}

/// `413` with a JSON-RPC error object naming the limit.
fn too_large(limit: usize) -> Response {
    let body = crate::jsonrpc::too_large(limit, "request body", "--max-request-body-bytes");
    (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response()
}

/// rmcp answers a session manager's refusal with a plain-text 500; a full session table is
/// the client's to handle (close a session, retry later), so it becomes a 503 JSON-RPC error.
async fn sessions_full(response: Response, request: &[u8]) -> Response {
    let (parts, body) = response.into_parts();
    let text = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text_str = String::from_utf8_lossy(&text);
    let Some(at) = text_str.find(super::sessions::SESSIONS_FULL) else {
        return Response::from_parts(parts, Body::from(text));
    };
    let id = serde_json::from_slice::<Value>(request)
        .map(|v| request_id(&v))
        .unwrap_or(Value::Null);
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": SERVER_BUSY,
            "message": format!(
                "{}: end one (DELETE /mcp with its Mcp-Session-Id) or retry later; idle sessions expire",
                text_str[at..].trim()
            ),
        },
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("5"),
    );
    response
}

/// Whether a body error is (caused by) the request body timeout.
fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// How much of a POST body `/mcp` buffers, and for how long it waits for all of it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// The whole body must arrive within this time from the end of the head
    /// (`--request-body-timeout`): a client dribbling a byte now and then does not reset it.
    pub timeout: Duration,
}

fn body_timed_out() -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": Value::Null,
        "error": {
            "code": INVALID_REQUEST,
            "message": "Invalid Request: the request body did not arrive in time (--request-body-timeout)",
        },
    });
    (StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response()
}

/// Middleware on `/mcp`: buffers POST bodies up to `max_bytes` (a larger one is refused with
/// 413, by its `Content-Length` before reading when it has one) within `timeout` (else 408),
/// and turns rmcp's decode failures into JSON-RPC errors.
pub async fn jsonrpc_errors(
    State(BodyLimits {
        max_bytes: max_body,
        timeout,
    }): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body as u64) {
        return too_large(max_body);
    }
    let (parts, body) = request.into_parts();
    let collect = http_body_util::Limited::new(body, max_body).collect();
    let Ok(collected) = tokio::time::timeout(timeout, collect).await else {
        return body_timed_out();
    };
    let bytes: Bytes = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(max_body),
        Err(e) if is_timeout(e.as_ref()) => return body_timed_out(),
        // The client stopped sending.
        Err(e) => {
            return error_response(
                Value::Null,
                INVALID_REQUEST,
                format!("Invalid Request: the request body could not be read ({e})"),
            );
        }
    };
    if let Some(refused) = invalid_tool_call(&bytes) {
        return bad_request(refused);
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return sessions_full(response, &bytes).await;
    }
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE
        || response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.as_bytes().starts_with(b"application/json"))
    {
        return response;
    }
    // Only rewrite rmcp's decode failure, not its content-type check (a 415 that is right).
    let (parts, body) = response.into_parts();
    let text = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    if text.starts_with(RMCP_DECODE_FAILURE) {
        classify(&bytes)
    } else {
        Response::from_parts(parts, Body::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{INVALID_PARAMS, PARSE_ERROR};

    async fn body_json(response: Response) -> (StatusCode, Value) {
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn app(max_body: usize) -> axum::Router {
        axum::Router::new()
            .route(
                "/mcp",
                axum::routing::post(|body: Bytes| async move { body.len().to_string() }),
            )
            .layer(axum::middleware::from_fn_with_state(
                BodyLimits {
                    max_bytes: max_body,
                    timeout: Duration::from_secs(30),
                },
                jsonrpc_errors,
            ))
    }

    async fn post(app: axum::Router, body: Body, length: Option<usize>) -> Response {
        use tower::ServiceExt;
        let mut request = Request::post("/mcp").header(header::CONTENT_TYPE, "application/json");
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        app.oneshot(request.body(body).unwrap()).await.unwrap()
    }

    /// Non-object `arguments` (and a malformed `params`/`name`) of a tools/call
    /// are -32602 Invalid params naming the field; rmcp said -32601 Method not found.
    #[tokio::test]
    async fn a_tools_call_with_wrongly_typed_params_is_invalid_params() {
        let call = |params: &str| {
            format!(r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{params}}}"#)
        };
        for (params, needle) in [
            (
                r#"{"name":"search","arguments":[]}"#,
                "`arguments` must be an object of named arguments, not an array",
            ),
            (r#"{"name":"search","arguments":"x"}"#, "not a string"),
            (r#"{"name":"search","arguments":5}"#, "not a number"),
            (
                r#"{"name":3,"arguments":{}}"#,
                "`name` must be a string, not a number",
            ),
            (
                r#"{"arguments":{}}"#,
                "`name` (the tool to call) is required",
            ),
            ("[]", "`params` must be an object, not an array"),
        ] {
            let body = call(params);
            let (status, v) =
                body_json(post(app(4096), Body::from(body.clone()), None).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(v["id"], 7, "{body}");
            assert_eq!(v["error"]["code"], INVALID_PARAMS, "{body}");
            let message = v["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with("Invalid params: ") && message.contains(needle),
                "{body}: {message}"
            );
        }
        // Well-typed calls, and other methods that mention tools/call, pass through untouched.
        for body in [
            call(r#"{"name":"search","arguments":{"query":"x"}}"#),
            call(r#"{"name":"get_profile"}"#),
            call(r#"{"name":"get_profile","arguments":null}"#),
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"note":"tools/call"}}"#.to_owned(),
        ] {
            let response = post(app(4096), Body::from(body.clone()), None).await;
            assert_eq!(response.status(), StatusCode::OK, "{body}");
        }
    }

    /// The body cap is the configured one (it was a fixed 4 MiB), answered with a
    /// JSON-RPC error; with or without a Content-Length.
    #[tokio::test]
    async fn bodies_over_the_configured_cap_are_refused_with_413() {
        let limit = 64 * 1024;
        let big = vec![b' '; 2 * 1024 * 1024];
        let declared = post(app(limit), Body::from(big.clone()), Some(big.len())).await;
        let streamed = post(
            app(limit),
            Body::from_stream(futures::stream::iter(
                big.chunks(8192)
                    .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                    .collect::<Vec<_>>(),
            )),
            None,
        )
        .await;
        for response in [declared, streamed] {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["error"]["code"], INVALID_REQUEST);
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("65536 bytes"),
                "{v}"
            );
        }
        let small = post(app(limit), Body::from("{}"), Some(2)).await;
        assert_eq!(small.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn truncated_json_is_a_parse_error() {
        let (status, v) = body_json(classify(br#"{"jsonrpc": "2.0", "id": 1, "method": "#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["code"], PARSE_ERROR);
        assert_eq!(v["id"], Value::Null);
    }

    #[tokio::test]
    async fn json_without_jsonrpc_is_an_invalid_request_keeping_the_id() {
        let (_, v) = body_json(classify(br#"{"id": 7, "method": "tools/list"}"#)).await;
        assert_eq!(v["error"]["code"], INVALID_REQUEST);
        assert_eq!(v["id"], 7);
        assert!(v["error"]["message"].as_str().unwrap().contains("jsonrpc"));
    }

    #[tokio::test]
    async fn other_json_shapes_are_invalid_requests() {
        for body in [
            &br#"{"hello": "world"}"#[..],
            b"[1,2]",
            b"42",
            br#"{"jsonrpc":"2.0","id":1,"method":5}"#,
        ] {
            let (_, v) = body_json(classify(body)).await;
            assert_eq!(
                v["error"]["code"],
                INVALID_REQUEST,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
