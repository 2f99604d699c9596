//! JSON-RPC errors for bodies the MCP service cannot decode.
//!
//! rmcp answers an undecodable POST body with `415 fail to deserialize request body` in plain
//! text. A client deserves a JSON-RPC error object instead: `-32700 Parse error` when the body
//! is not JSON at all, `-32600 Invalid Request` when it is JSON but not a JSON-RPC message. The
//! body is buffered (bounded) so it can be classified after the fact; valid requests pass
//! through untouched.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};

/// Largest request body accepted on `/mcp` (rmcp's own default bound).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The prefix of rmcp's plain-text answer to an undecodable body.
const RMCP_DECODE_FAILURE: &[u8] = b"fail to deserialize request body";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;

/// A JSON-RPC error response with HTTP 400.
pub fn error_response(id: Value, code: i64, message: String) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// Classifies a body rmcp could not decode.
pub fn classify(body: &[u8]) -> Response {
    match serde_json::from_slice::<Value>(body) {
        Err(e) => error_response(
            Value::Null,
            PARSE_ERROR,
            format!("Parse error: the body is not valid JSON ({e})"),
        ),
        Ok(value) => {
            let id = value
                .get("id")
                .filter(|id| id.is_string() || id.is_number())
                .cloned()
                .unwrap_or(Value::Null);
            let reason = match &value {
                Value::Object(map) if map.get("jsonrpc") != Some(&Value::from("2.0")) => {
                    "the message must carry \"jsonrpc\": \"2.0\"".to_owned()
                }
                Value::Object(map) if !map.contains_key("method") && !map.contains_key("result") && !map.contains_key("error") => {
                    "a request needs a \"method\"".to_owned()
                }
                Value::Object(_) => "the message does not match any MCP request, notification or response shape (check \"method\", \"params\" and \"id\")".to_owned(),
                Value::Array(_) => "batches are not supported; send one JSON-RPC message per request".to_owned(),
                _ => "a JSON-RPC message must be a JSON object".to_owned(),
            };
            error_response(id, INVALID_REQUEST, format!("Invalid Request: {reason}"))
        }
    }
}

/// Middleware on `/mcp`: buffers POST bodies and turns rmcp's decode failures into JSON-RPC
/// errors.
pub async fn jsonrpc_errors(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match http_body_util::Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds {MAX_BODY_BYTES} bytes"),
            )
                .into_response();
        }
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
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

    async fn body_json(response: Response) -> (StatusCode, Value) {
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
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
