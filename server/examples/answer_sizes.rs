//! Prints how large the answers a model reads are, in bytes and in tokens (OpenAI's
//! `o200k_base` and `cl100k_base` encodings, from `tiktoken-rs`): the whole `tools/list` of the
//! default toolsets (and its parts: descriptions, input schemas, output schemas), and
//! `search` answers (the text content a client hands the model, and the structured content).
//!
//! ```sh
//! cargo run -p spotify-mcp-server --example answer_sizes [-- --dump DIR]
//! ```
//!
//! With `--dump DIR` it also writes each measured answer there as JSON (`tools_list.json`,
//! `search_1.json`, ...) to look at.
//!
//! The server is the real rmcp handler over an in-memory stdio-like stream, talking to the
//! built-in sandbox of the Spotify Web API (default seed), so the figures are those of the
//! bytes a stdio client receives and are the same on every run.

use serde_json::{Value, json};
use spotify_mcp_sandbox::{self as sandbox, SandboxOptions};
use spotify_mcp_server::mcp::{McpOptions, SpotifyMcp};
use spotify_mcp_server::spotify::{Credentials, Secret, SpotifyClient, SpotifyConfig};
use tiktoken_rs::CoreBPE;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf};
use tokio::io::{WriteHalf, split};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Line-delimited JSON-RPC to the server, as a stdio client speaks it.
struct Peer {
    write: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    next_id: u64,
}

impl Peer {
    async fn send(&mut self, message: &Value) -> Result<(), BoxError> {
        let mut line = message.to_string();
        line.push('\n');
        self.write.write_all(line.as_bytes()).await?;
        Ok(())
    }

    /// The `result` of a request, as the server wrote it.
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, BoxError> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        while let Some(line) = self.lines.next_line().await? {
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] == json!(id) {
                return match message.get("result") {
                    Some(result) => Ok(result.clone()),
                    None => Err(format!("{method} failed: {line}").into()),
                };
            }
        }
        Err(format!("the server closed the stream during {method}").into())
    }
}

struct Tokenizers {
    o200k: CoreBPE,
    cl100k: CoreBPE,
}

impl Tokenizers {
    /// `| what | bytes | o200k tokens | cl100k tokens |`
    fn row(&self, what: &str, text: &str) -> String {
        format!(
            "| {what} | {} | {} | {} |",
            text.len(),
            self.o200k.encode_with_special_tokens(text).len(),
            self.cl100k.encode_with_special_tokens(text).len()
        )
    }
}

/// The compact JSON of the `key` of every tool, concatenated as a JSON array.
fn part(tools: &[Value], key: &str) -> String {
    Value::Array(tools.iter().filter_map(|t| t.get(key).cloned()).collect()).to_string()
}

fn text_of(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = match args.as_slice() {
        [] => None,
        [flag, dir] if flag == "--dump" => Some(std::path::PathBuf::from(dir)),
        _ => return Err("usage: answer_sizes [--dump DIR]".into()),
    };
    let save = |name: &str, value: &Value| -> Result<(), BoxError> {
        if let Some(dir) = &dump {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(name), serde_json::to_string_pretty(value)?)?;
        }
        Ok(())
    };
    let sandbox = sandbox::spawn(([127, 0, 0, 1], 0).into(), SandboxOptions::default()).await?;
    let cfg = SpotifyConfig::new(
        sandbox::CLIENT_ID,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
    )
    .with_base_urls(sandbox.api_base_url(), sandbox.accounts_base_url())
    .with_client_secret(Secret::new(sandbox::CLIENT_SECRET));
    let server = SpotifyMcp::new(SpotifyClient::new(cfg)?, McpOptions::default());

    let (client_io, server_io) = tokio::io::duplex(4 << 20);
    let serving = tokio::spawn(async move {
        use rmcp::ServiceExt;
        if let Ok(running) = server.serve(split(server_io)).await {
            let _ = running.waiting().await;
        }
    });
    let (read, write) = split(client_io);
    let mut peer = Peer {
        write,
        lines: BufReader::new(read).lines(),
        next_id: 0,
    };
    let init = peer
        .request(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "answer-sizes", "version": "0"}
            }),
        )
        .await?;
    peer.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await?;

    let tok = Tokenizers {
        o200k: tiktoken_rs::o200k_base()?,
        cl100k: tiktoken_rs::cl100k_base()?,
    };

    let list = peer.request("tools/list", json!({})).await?;
    save("tools_list.json", &list)?;
    let tools = list["tools"].as_array().cloned().unwrap_or_default();
    println!("## tools/list, default toolsets ({} tools)\n", tools.len());
    println!("| part | bytes | o200k tokens | cl100k tokens |\n|---|---|---|---|");
    println!("{}", tok.row("whole `result`", &list.to_string()));
    println!("{}", tok.row("descriptions", &part(&tools, "description")));
    println!("{}", tok.row("input schemas", &part(&tools, "inputSchema")));
    println!(
        "{}",
        tok.row("output schemas", &part(&tools, "outputSchema"))
    );
    println!("{}", tok.row("annotations", &part(&tools, "annotations")));
    // Not part of tools/list, but also in the model's context (once, at initialisation).
    let instructions = init["instructions"].as_str().unwrap_or_default();
    println!("{}", tok.row("(server instructions)", instructions));
    let mut largest: Vec<(usize, &str)> = tools
        .iter()
        .map(|t| (t.to_string().len(), t["name"].as_str().unwrap_or_default()))
        .collect();
    largest.sort_by(|a, b| b.cmp(a));
    let largest: Vec<String> = largest
        .iter()
        .take(5)
        .map(|(bytes, name)| format!("{name} {bytes}"))
        .collect();
    println!("\nlargest tools (bytes): {}\n", largest.join(", "));

    let searches = [
        json!({"query": "night", "types": ["track"], "limit": 10}),
        json!({"query": "midnight", "types": ["track", "album", "artist", "playlist"], "limit": 5}),
    ];
    for (i, args) in searches.into_iter().enumerate() {
        let result = peer
            .request("tools/call", json!({"name": "search", "arguments": args}))
            .await?;
        if result["isError"] == json!(true) {
            return Err(format!("search failed: {result}").into());
        }
        save(&format!("search_{}.json", i + 1), &result)?;
        println!("## search {args}\n");
        println!("| part | bytes | o200k tokens | cl100k tokens |\n|---|---|---|---|");
        println!("{}", tok.row("text content", &text_of(&result)));
        println!(
            "{}",
            tok.row(
                "structuredContent",
                &result["structuredContent"].to_string()
            )
        );
        println!("{}\n", tok.row("whole `result`", &result.to_string()));
    }

    serving.abort();
    sandbox.shutdown().await;
    Ok(())
}
