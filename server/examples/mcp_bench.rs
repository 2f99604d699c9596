//! Measures the figures of BENCHMARKS.md against the sandbox, with the official Rust MCP SDK
//! as the load generator (so the client is not the bottleneck):
//!
//! ```sh
//! cargo build --release -p spotify-mcp-server --bins --examples
//! target/release/examples/mcp_bench --bin target/release/spotify-mcp-server
//! ```
//!
//! The server runs over stdio against a sandbox in a separate process (so the server's RSS is
//! the server's alone); the in-process `--sandbox` start-up is measured too.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::serve_client;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use spotify_mcp_sandbox::{CLIENT_ID, CLIENT_SECRET, PREMIUM_REFRESH_TOKEN};

type Client = RunningService<RoleClient, ()>;
#[path = "support/mod.rs"]
mod support;
use support::{BoxError, Sandbox, rss_kib};

struct Args {
    bin: PathBuf,
    startup_runs: usize,
    latency_calls: usize,
    concurrent_secs: u64,
    growth_calls: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        bin: PathBuf::from("target/release/spotify-mcp-server"),
        startup_runs: 20,
        latency_calls: 5000,
        concurrent_secs: 5,
        growth_calls: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--bin" => args.bin = PathBuf::from(value),
            "--startup-runs" => args.startup_runs = value.parse().unwrap_or(args.startup_runs),
            "--latency-calls" => args.latency_calls = value.parse().unwrap_or(args.latency_calls),
            "--concurrent-secs" => {
                args.concurrent_secs = value.parse().unwrap_or(args.concurrent_secs)
            }
            "--growth-calls" => args.growth_calls = value.parse().unwrap_or(args.growth_calls),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    args
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn server_command(
    bin: &Path,
    api: &str,
    accounts: &str,
    in_process_sandbox: bool,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("stdio")
        .stderr(Stdio::null())
        .env("SPOTIFY_MCP_LOG", "warn");
    if in_process_sandbox {
        cmd.arg("--sandbox");
    } else {
        cmd.env("SPOTIFY_CLIENT_ID", CLIENT_ID)
            .env("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
            .env("SPOTIFY_REFRESH_TOKEN", PREMIUM_REFRESH_TOKEN)
            .env("SPOTIFY_API_BASE_URL", api)
            .env("SPOTIFY_ACCOUNTS_BASE_URL", accounts)
            .env_remove("SPOTIFY_MCP_TOKEN_FILE");
    }
    cmd
}

async fn connect(cmd: tokio::process::Command) -> Result<(Client, u32), BoxError> {
    let transport = TokioChildProcess::new(cmd)?;
    let pid = transport.id().ok_or("child has no pid")?;
    let client = serve_client((), transport).await?;
    Ok((client, pid))
}

fn search_params(query: &str) -> CallToolRequestParams {
    let args = json!({ "query": query, "types": ["track"], "limit": 10 });
    CallToolRequestParams::new(Cow::Borrowed("search"))
        .with_arguments(args.as_object().cloned().unwrap_or_default())
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn call(client: &Client, params: CallToolRequestParams) -> Result<CallToolResult, BoxError> {
    let result = client.call_tool(params).await?;
    if result.is_error == Some(true) {
        return Err(format!("tool error: {}", text_of(&result)).into());
    }
    Ok(result)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args();
    if !args.bin.exists() {
        return Err(format!("{} does not exist: build it first", args.bin.display()).into());
    }

    // The sandbox in its own process.
    let sandbox = Sandbox::start(&args.bin).await?;
    let base = sandbox.base.clone();
    let api = format!("{base}/v1");
    let http = reqwest::Client::new();

    println!("## spotify-mcp-server benchmark ({})", args.bin.display());

    // 1. Start to first tools/list answered.
    for (label, in_process) in [("external sandbox", false), ("--sandbox in-process", true)] {
        let mut samples = Vec::new();
        for _ in 0..args.startup_runs {
            let start = Instant::now();
            let (client, _) = connect(server_command(&args.bin, &api, &base, in_process)).await?;
            client.list_all_tools().await?;
            samples.push(start.elapsed());
            client.cancel().await?;
        }
        samples.sort();
        println!(
            "start → first tools/list ({label}, {} runs): p50 {:.1} ms, max {:.1} ms",
            args.startup_runs,
            percentile(&samples, 0.5).as_secs_f64() * 1e3,
            samples
                .last()
                .map(|d| d.as_secs_f64() * 1e3)
                .unwrap_or_default()
        );
    }

    let (client, pid) = connect(server_command(&args.bin, &api, &base, false)).await?;
    let tools = client.list_all_tools().await?;
    let list_bytes = serde_json::to_vec(&json!({ "tools": tools }))?.len();
    println!(
        "tools/list: {} tools, {} bytes of JSON",
        tools.len(),
        list_bytes
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "idle RSS after initialize + tools/list: {:.1} MiB",
        rss_kib(pid)? as f64 / 1024.0
    );

    // 2. Search result size versus Spotify's raw JSON for the same request.
    let token: Value = http
        .post(format!("{base}/api/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", PREMIUM_REFRESH_TOKEN),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access = token["access_token"].as_str().ok_or("no access token")?;
    let raw = http
        .get(format!("{api}/search"))
        .bearer_auth(access)
        .query(&[("q", "night"), ("type", "track"), ("limit", "10")])
        .send()
        .await?
        .text()
        .await?;
    let result = call(&client, search_params("night")).await?;
    let text = text_of(&result);
    println!(
        "search text: {} bytes vs raw Spotify JSON {} bytes = {:.1}%",
        text.len(),
        raw.len(),
        100.0 * text.len() as f64 / raw.len().max(1) as f64
    );

    // 3. Cached search latency, sequential.
    for _ in 0..200 {
        call(&client, search_params("night")).await?;
    }
    let mut samples = Vec::with_capacity(args.latency_calls);
    for _ in 0..args.latency_calls {
        let start = Instant::now();
        call(&client, search_params("night")).await?;
        samples.push(start.elapsed());
    }
    samples.sort();
    println!(
        "cached search over stdio ({} calls): p50 {:.3} ms, p99 {:.3} ms",
        args.latency_calls,
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3
    );

    // 4. Four concurrent callers on one connection.
    let peer = client.peer().clone();
    let until = Instant::now() + Duration::from_secs(args.concurrent_secs);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let peer = peer.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                match peer.call_tool(search_params("night")).await {
                    Ok(r) if r.is_error != Some(true) => n += 1,
                    Ok(r) => return Err(format!("tool error: {}", text_of(&r))),
                    Err(e) => return Err(e.to_string()),
                }
            }
            Ok(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    println!(
        "4 concurrent callers, one connection, {} s: {} calls = {:.0} calls/s",
        args.concurrent_secs,
        total,
        total as f64 / args.concurrent_secs as f64
    );

    // 5. RSS growth over many calls (mixed queries so the cache fills too).
    let before = rss_kib(pid)?;
    for i in 0..args.growth_calls {
        let q = ["night", "summer", "garden", "signal", "window"][i % 5];
        call(&client, search_params(q)).await?;
    }
    let after = rss_kib(pid)?;
    println!(
        "RSS over {} calls: {:.1} MiB → {:.1} MiB (growth {:.2} MiB)",
        args.growth_calls,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after as f64 - before as f64) / 1024.0
    );

    client.cancel().await?;
    drop(sandbox);
    Ok(())
}
