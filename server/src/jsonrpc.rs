//! JSON-RPC error objects for messages the MCP service cannot decode, shared by both
//! transports: streamable HTTP (`http::jsonrpc`, which puts them in a 4xx response) and stdio
//! ([`crate::stdio`], which writes them as a line). One classification, so a client gets the
//! same answer to the same bad message whichever transport it uses.

use serde_json::{Value, json};

/// Default bound of one message: a POST body on `/mcp` or a line on stdin. Room for the
/// largest argument (a 256 KiB base64 playlist cover) several times over, while a hundred
/// concurrent bodies stay small.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
/// Implementation-defined server error: no room for another session now.
pub const SERVER_BUSY: i64 = -32000;

/// A JSON-RPC error response object.
pub fn error_object(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message.into() },
    })
}

/// The id of a message, when it has a usable one (a string or a number); else `null`, as
/// JSON-RPC asks of an error answer to a message whose id cannot be determined.
pub fn request_id(message: &Value) -> Value {
    message
        .get("id")
        .filter(|id| id.is_string() || id.is_number())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The answer to a message that is not an MCP message: `-32700 Parse error` when it is not
/// JSON at all, `-32600 Invalid Request` (keeping its id) when it is JSON of the wrong shape.
pub fn undecodable(message: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(message) {
        Err(e) => error_object(
            Value::Null,
            PARSE_ERROR,
            format!("Parse error: the message is not valid JSON ({e})"),
        ),
        Ok(value) => {
            let reason = match &value {
                Value::Object(map) if map.get("jsonrpc") != Some(&Value::from("2.0")) => {
                    "the message must carry \"jsonrpc\": \"2.0\""
                }
                Value::Object(map)
                    if !map.contains_key("method")
                        && !map.contains_key("result")
                        && !map.contains_key("error") =>
                {
                    "a request needs a \"method\""
                }
                Value::Object(_) => {
                    "the message does not match any MCP request, notification or response shape (check \"method\", \"params\" and \"id\")"
                }
                Value::Array(_) => "batches are not supported; send one JSON-RPC message at a time",
                _ => "a JSON-RPC message must be a JSON object",
            };
            error_object(
                request_id(&value),
                INVALID_REQUEST,
                format!("Invalid Request: {reason}"),
            )
        }
    }
}

/// The answer to a message over the size bound; `setting` names the flag that sets it.
pub fn too_large(limit: usize, what: &str, setting: &str) -> Value {
    error_object(
        Value::Null,
        INVALID_REQUEST,
        format!("Invalid Request: the {what} exceeds the limit of {limit} bytes ({setting})"),
    )
}

/// The JSON type of a value, for messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `tools/call` whose `params`, `name` or `arguments` has the wrong JSON type. rmcp cannot
/// match it to the call request and answers `-32601 Method not found`, which sends the client
/// looking for a missing method; the method exists and its params are wrong: `-32602`, naming
/// the field. `None` for every other message (only messages that mention `tools/call` are
/// parsed, and a well-formed call only into borrowed slices: it is on every call's path).
pub fn invalid_tool_call(message: &[u8]) -> Option<Value> {
    const METHOD: &[u8] = b"tools/call";
    if !message.windows(METHOD.len()).any(|w| w == METHOD) {
        return None;
    }
    if well_formed_tool_call(message) {
        return None;
    }
    tool_call_problem(message)
}

/// The full reading of a message that mentions `tools/call`, behind [`invalid_tool_call`].
fn tool_call_problem(message: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(message).ok()?;
    if value.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let problem = match value.get("params") {
        None => "`params` is required: the tool's `name` and its `arguments`".to_owned(),
        Some(Value::Object(params)) => match (params.get("name"), params.get("arguments")) {
            (Some(Value::String(_)), None | Some(Value::Null | Value::Object(_))) => return None,
            (Some(Value::String(_)), Some(other)) => format!(
                "`arguments` must be an object of named arguments, not {}",
                json_kind(other)
            ),
            (None, _) => "`name` (the tool to call) is required".to_owned(),
            (Some(other), _) => format!("`name` must be a string, not {}", json_kind(other)),
        },
        Some(other) => format!("`params` must be an object, not {}", json_kind(other)),
    };
    Some(error_object(
        request_id(&value),
        INVALID_PARAMS,
        format!("Invalid params: {problem}"),
    ))
}

/// Whether `message` is a `tools/call` with a string `name` and object (or null or absent)
/// `arguments`, or no `tools/call` at all, read without building a [`Value`]. `false` means
/// "look closer": anything unusual (a duplicate key, an escaped method name, other types) takes
/// the full parse of [`invalid_tool_call`], which has the last word.
fn well_formed_tool_call(message: &[u8]) -> bool {
    use serde_json::value::RawValue;

    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        method: Option<&'a str>,
        #[serde(borrow)]
        params: Option<&'a RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Params<'a> {
        #[serde(borrow)]
        name: Option<&'a RawValue>,
        #[serde(borrow)]
        arguments: Option<&'a RawValue>,
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(message) else {
        return false;
    };
    if envelope.method != Some("tools/call") {
        return envelope.method.is_some();
    }
    let Some(Ok(params)) = envelope
        .params
        .map(|raw| serde_json::from_str::<Params>(raw.get()))
    else {
        return false;
    };
    let starts = |raw: &RawValue, with: char| raw.get().starts_with(with);
    params.name.is_some_and(|name| starts(name, '"'))
        && params
            .arguments
            .is_none_or(|args| starts(args, '{') || args.get() == "null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_json_is_a_parse_error_without_an_id() {
        let v = undecodable(br#"{"jsonrpc": "2.0", "id": 1, "method": "#);
        assert_eq!(v["error"]["code"], PARSE_ERROR);
        assert_eq!(v["id"], Value::Null);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not valid JSON")
        );
    }

    #[test]
    fn json_without_jsonrpc_is_an_invalid_request_keeping_the_id() {
        let v = undecodable(br#"{"id": 7, "method": "tools/list"}"#);
        assert_eq!(v["error"]["code"], INVALID_REQUEST);
        assert_eq!(v["id"], 7);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("\"jsonrpc\": \"2.0\"")
        );
    }

    #[test]
    fn ids_that_are_not_strings_or_numbers_become_null() {
        for id in ["null", "true", "[1]", "{}"] {
            let message = format!(r#"{{"jsonrpc":"2.0","id":{id}}}"#);
            assert_eq!(undecodable(message.as_bytes())["id"], Value::Null, "{id}");
        }
    }

    #[test]
    fn the_quick_reading_agrees_with_the_full_one() {
        let messages: &[&[u8]] = &[
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"query":"x"}}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_profile"}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":null}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":[]}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":1},"x":"tools/call"}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"se\u0061rch"}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":1}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"tools/call"}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"#,
        ];
        for message in messages {
            let text = String::from_utf8_lossy(message);
            let full = tool_call_problem(message);
            if well_formed_tool_call(message) {
                assert!(full.is_none(), "read as well formed: {text}");
            }
            assert_eq!(invalid_tool_call(message), full, "{text}");
        }
    }

    #[test]
    fn a_tools_call_with_arguments_of_the_wrong_type_names_the_field() {
        let v = invalid_tool_call(
            br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"search","arguments":[]}}"#,
        )
        .unwrap();
        assert_eq!(v["error"]["code"], INVALID_PARAMS);
        assert_eq!(v["id"], "a");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`arguments`")
        );
        assert!(
            invalid_tool_call(
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{}}}"#
            )
            .is_none()
        );
    }
}
