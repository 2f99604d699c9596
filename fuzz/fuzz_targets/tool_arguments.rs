//! Argument validation and parsing of every tool (`server/src/mcp/{args,validate,schema}.rs`
//! and the handlers' own parsing), through the real rmcp server and the server's stdio
//! transport (`server/src/stdio.rs`) over an in-memory stream, against the sandbox.
//!
//! Arguments are built from each tool's input schema: every declared argument omitted, given a
//! plausible value (real URIs, bounds ±1, enum values, over-long text) or any JSON, plus
//! sometimes an undeclared one. Properties: the answer is a JSON-RPC response with the
//! request's id; an error answer has a specific code (never internal error); a result has
//! content, and an error result says something; an undeclared argument, text over its
//! `maxLength`, a number outside `minimum`/`maximum` and a list over `maxItems` are refused
//! as an error result (bounds are enforced, not only declared).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use rmcp::ServiceExt;
use serde_json::{Map, Value, json};
use spotify_mcp_fuzz::env::env;
use spotify_mcp_fuzz::json;
use spotify_mcp_fuzz::jsonrpc::{check_response, is_specific_error};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::Mutex;

/// The largest arguments sent: the stdio transport's default line bound less room for the
/// envelope (a longer line is answered by the transport, without the request's id, and is
/// covered by its own tests). Larger inputs also made the unoptimised build spend seconds per
/// input (CI reported slow units of over 10 s).
const ARGUMENTS_LIMIT: usize = spotify_mcp_server::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES - 4096;

struct Stdio {
    write: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    next_id: u64,
}

/// One initialised MCP session over a duplex stream, kept for the whole run.
fn session() -> &'static Mutex<Stdio> {
    static SESSION: OnceLock<Mutex<Stdio>> = OnceLock::new();
    SESSION.get_or_init(|| {
        let env = env();
        env.runtime.block_on(async {
            let (client, server) = tokio::io::duplex(8 << 20);
            let mcp = env.mcp.clone();
            let (server_read, server_write) = tokio::io::split(server);
            let transport = spotify_mcp_server::stdio::transport(
                server_read,
                server_write,
                spotify_mcp_server::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES,
            );
            tokio::spawn(async move {
                if let Ok(running) = mcp.serve(transport).await {
                    let _ = running.waiting().await;
                }
            });
            let (read, write) = tokio::io::split(client);
            let mut stdio = Stdio {
                write,
                lines: BufReader::new(read).lines(),
                next_id: 0,
            };
            let init = stdio
                .request(
                    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "fuzz", "version": "0"}}}),
                )
                .await;
            assert!(init.get("result").is_some(), "initialize failed: {init}");
            stdio
                .send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
                .await;
            Mutex::new(stdio)
        })
    })
}

impl Stdio {
    async fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.write
            .write_all(line.as_bytes())
            .await
            .expect("the server closed its input");
    }

    /// Sends a request (its id is set here) and waits for the answer with that id.
    async fn request(&mut self, mut message: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        message["id"] = id.clone();
        self.send(&message).await;
        let read = async {
            loop {
                let line = self
                    .lines
                    .next_line()
                    .await
                    .expect("reading the server's output")
                    .expect("the server closed its output");
                let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("the server wrote a line that is not JSON ({e}): {line}")
                });
                if value.get("id") == Some(&id) {
                    return value;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .unwrap_or_else(|_| panic!("no answer within 20 s to {message}"))
    }
}

/// A property's JSON types (`"type": "x"` or `["x", "null"]`).
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A value meant to be close to what the schema accepts, or just outside it.
fn plausible(u: &mut Unstructured, schema: &Value, hints: &[String]) -> Result<Value> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.is_empty()
    {
        return Ok(values[u.choose_index(values.len())?].clone());
    }
    let types = types(schema);
    let Some(&kind) = (!types.is_empty()).then(|| u.choose(&types)).transpose()? else {
        return json::any(u, hints, 2);
    };
    let bound = |name: &str| schema.get(name).and_then(Value::as_i64);
    Ok(match kind {
        "string" => match u.choose_index(4)? {
            0 => Value::String(json::hint(u, hints)?),
            1 => Value::String(u.arbitrary()?),
            2 => {
                let max = bound("maxLength").unwrap_or(100).clamp(0, 300_000) as usize;
                let n = max + u.int_in_range(0..=2usize)?;
                Value::String(std::iter::repeat_n('é', n.saturating_sub(1)).collect())
            }
            _ => Value::String(json::long_string(u)?),
        },
        "integer" | "number" => {
            let lo = bound("minimum").unwrap_or(0);
            let hi = bound("maximum").unwrap_or(100);
            match u.choose_index(4)? {
                0 => json!(lo.saturating_add(u.int_in_range(-1..=1)?)),
                1 => json!(hi.saturating_add(u.int_in_range(-1..=1)?)),
                2 => json!(u.int_in_range(lo..=hi.max(lo))?),
                _ => json!(u.arbitrary::<i64>()?),
            }
        }
        "boolean" => json!(u.arbitrary::<bool>()?),
        "array" => {
            let max = bound("maxItems").unwrap_or(5).clamp(0, 120) as usize;
            let n = u.int_in_range(0..=max + 1)?;
            let item = schema.get("items").cloned().unwrap_or(Value::Null);
            Value::Array(
                (0..n)
                    .map(|_| plausible(u, &item, hints))
                    .collect::<Result<_>>()?,
            )
        }
        "null" => Value::Null,
        _ => json::any(u, hints, 2)?,
    })
}

/// The first declared bound `args` breaks, if any: (argument, what).
fn broken_bound(schema: &Map<String, Value>, args: &Map<String, Value>) -> Option<String> {
    let props = schema.get("properties")?.as_object()?;
    for (name, value) in args {
        let Some(prop) = props.get(name) else {
            return Some(format!("undeclared `{name}`"));
        };
        let bound = |key: &str| prop.get(key).and_then(Value::as_u64);
        let broken = match value {
            Value::String(s) => bound("maxLength").is_some_and(|m| s.chars().count() as u64 > m),
            Value::Array(items) => bound("maxItems").is_some_and(|m| items.len() as u64 > m),
            Value::Number(n) => {
                let (min, max) = (
                    prop.get("minimum").and_then(Value::as_f64),
                    prop.get("maximum").and_then(Value::as_f64),
                );
                n.as_f64()
                    .is_some_and(|n| min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m))
            }
            _ => false,
        };
        if broken {
            return Some(format!("`{name}` out of bounds"));
        }
    }
    None
}

fn arguments(u: &mut Unstructured, schema: &Map<String, Value>, hints: &[String]) -> Result<Value> {
    if u.ratio(1, 16)? {
        return json::any(u, hints, 2);
    }
    let mut args = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            match u.choose_index(4)? {
                0 => {}
                1 => {
                    args.insert(name.clone(), json::any(u, hints, 2)?);
                }
                _ => {
                    args.insert(name.clone(), plausible(u, prop, hints)?);
                }
            }
        }
    }
    if u.ratio(1, 8)? {
        args.insert(u.arbitrary()?, json::any(u, hints, 1)?);
    }
    Ok(Value::Object(args))
}

/// A call written as JSON (`{"name": …, "arguments": …}`, the seeds), or built from the
/// input by `arbitrary` along the tool's schema.
fn call(u: &mut Unstructured, data: &[u8]) -> Result<(String, Value)> {
    let env = env();
    let tools = env.mcp.enabled_tools();
    if data.first() == Some(&b'{') {
        let value: Value =
            serde_json::from_slice(data).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let name = value["name"]
            .as_str()
            .ok_or(arbitrary::Error::IncorrectFormat)?;
        return Ok((
            name.to_owned(),
            value.get("arguments").cloned().unwrap_or(Value::Null),
        ));
    }
    let tool = &tools[u.choose_index(tools.len())?];
    let mut hints = env.uris.clone();
    hints.extend(env.devices.iter().cloned());
    let args = arguments(u, &tool.input_schema, &hints)?;
    Ok((tool.name.to_string(), args))
}

fn one_call(u: &mut Unstructured, data: &[u8]) -> Result<()> {
    let env = env();
    let (name, args) = call(u, data)?;
    let Some(tool) = env.mcp.enabled_tools().into_iter().find(|t| t.name == name) else {
        return Ok(());
    };
    if args.to_string().len() > ARGUMENTS_LIMIT {
        return Ok(());
    }
    let expect_refusal = args
        .as_object()
        .and_then(|args| broken_bound(&tool.input_schema, args));
    let session = session();
    env.runtime.block_on(async {
        env.tick().await;
        let mut stdio = session.lock().await;
        let answer = stdio
            .request(json!({"jsonrpc": "2.0", "method": "tools/call",
                             "params": {"name": name, "arguments": args}}))
            .await;
        let id = answer.get("id").cloned().unwrap_or(Value::Null);
        let context = format!("tools/call {name}");
        if let Some(code) = check_response(&answer, &id, &context) {
            assert!(
                is_specific_error(code),
                "{context}: unspecific error {answer}"
            );
            return;
        }
        let result = &answer["result"];
        let content = result["content"].as_array();
        assert!(
            content.is_some_and(|c| !c.is_empty()),
            "{context}: a result without content: {answer}"
        );
        let is_error = result["isError"] == json!(true);
        if is_error {
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(
                !text.trim().is_empty(),
                "{context}: an error result says nothing"
            );
            assert!(!text.contains("panicked"), "{context}: {text}");
        }
        if let Some(why) = expect_refusal {
            assert!(
                is_error,
                "{context}: accepted arguments with {why}: {answer}"
            );
        }
    });
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = one_call(&mut Unstructured::new(data), data);
});
