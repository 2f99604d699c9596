//! Checks of JSON-RPC 2.0 answers: one message per request, the request's id, exactly one of
//! `result` and `error`, an integer error code with a message.

use serde_json::Value;

/// The JSON messages in the `data:` fields of a server-sent event stream (events split on a
/// blank line; multi-line data joined with newlines, as the SSE spec says).
pub fn sse_messages(stream: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stream).replace("\r\n", "\n");
    let mut out = Vec::new();
    for event in text.split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        if let Ok(value) = serde_json::from_str(&data.join("\n")) {
            out.push(value);
        }
    }
    out
}

/// Whether a message is a response (not a request or notification).
pub fn is_response(message: &Value) -> bool {
    message.get("result").is_some() || message.get("error").is_some()
}

/// Asserts that `message` is a well-formed JSON-RPC 2.0 response to the request with `id`,
/// and returns its error code if it is an error.
pub fn check_response(message: &Value, id: &Value, context: &str) -> Option<i64> {
    assert_eq!(
        message.get("jsonrpc"),
        Some(&Value::from("2.0")),
        "{context}: not JSON-RPC 2.0: {message}"
    );
    assert_eq!(
        message.get("id"),
        Some(id),
        "{context}: answer with another id: {message}"
    );
    match (message.get("result"), message.get("error")) {
        (Some(_), None) => None,
        (None, Some(error)) => {
            let code = error.get("code").and_then(Value::as_i64);
            let text = error.get("message").and_then(Value::as_str);
            assert!(
                code.is_some() && text.is_some_and(|t| !t.is_empty()),
                "{context}: error without an integer code and a message: {message}"
            );
            code
        }
        _ => panic!("{context}: a response needs exactly one of result and error: {message}"),
    }
}

/// The codes a client can act on: the JSON-RPC standard errors except internal error, and the
/// implementation-defined server errors (-32000..-32099, e.g. "no room for another session").
pub fn is_specific_error(code: i64) -> bool {
    matches!(code, -32700 | -32600 | -32601 | -32602) || (-32099..=-32000).contains(&code)
}
