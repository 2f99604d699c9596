//! Does the memory cache keep to its byte budget? Drives the server over stdio (the official
//! Rust MCP SDK as client) with many distinct searches against a sandbox in a separate process,
//! and samples the server's RSS as the cache fills and then churns (evicting as it inserts):
//!
//! ```sh
//! cargo build --release -p spotify-mcp-server --bins --examples
//! target/release/examples/cache_rss --bin target/release/spotify-mcp-server --cache-size-mb 64
//! target/release/examples/cache_rss --bin target/release/spotify-mcp-server --cache-size-mb 16
//! ```
//!
//! It prints one line per sample (calls, RSS, the cache's own byte count from /metrics is not
//! reachable over stdio, so the bound is checked against RSS), then the two figures of the
//! issue: RSS at the end against `idle + 1.25 × budget`, and the growth over the last half.

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use rmcp::model::CallToolRequestParams;
use rmcp::serve_client;
use rmcp::transport::TokioChildProcess;
use serde_json::json;

#[path = "support/mod.rs"]
mod support;
use support::{BoxError, Sandbox};

#[derive(Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/spotify-mcp-server")]
    bin: PathBuf,
    /// `--cache-size-mb` of the server.
    #[arg(long, default_value_t = 64)]
    cache_size_mb: u64,
    /// `--cache` of the server (`none` gives the baseline without a cache).
    #[arg(long, default_value = "memory")]
    cache: String,
    /// Distinct searches to make.
    #[arg(long, default_value_t = 20_000)]
    calls: usize,
    /// Sample RSS every this many calls.
    #[arg(long, default_value_t = 1_000)]
    every: usize,
}

fn rss_mib(pid: u32) -> Result<f64, BoxError> {
    Ok(support::rss_kib(pid)? as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let sandbox = Sandbox::start(&args.bin).await?;
    let mut cmd = tokio::process::Command::new(&args.bin);
    cmd.args(["stdio", "--cache", &args.cache])
        .args(["--cache-size-mb", &args.cache_size_mb.to_string()])
        .stderr(Stdio::null());
    sandbox.server_env(&mut cmd);
    let transport = TokioChildProcess::new(cmd)?;
    let pid = transport.id().ok_or("child has no pid")?;
    let client = serve_client((), transport).await?;
    // Distinct requests with full answers (about 18 KB each from the sandbox): a common letter
    // (the sandbox matches substrings) at one of 910 offsets.
    const LETTERS: &[u8] = b"eaionrstlcdmhugpbykwfv";
    let search = |i: usize| {
        let letter = LETTERS[(i / 910) % LETTERS.len()] as char;
        let args = json!({
            "query": letter.to_string(),
            "types": ["track"],
            "limit": 10,
            "offset": i % 910,
        });
        CallToolRequestParams::new(Cow::Borrowed("search"))
            .with_arguments(args.as_object().cloned().unwrap_or_default())
    };
    // Warm-up: code paths, the token, the HTTP pool; then the idle figure.
    client.call_tool(search(910 * LETTERS.len() + 1)).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = rss_mib(pid)?;
    println!(
        "cache {} ({} MiB), {} distinct searches; idle RSS {idle:.1} MiB",
        args.cache, args.cache_size_mb, args.calls
    );
    println!("{:>8} {:>10}", "calls", "RSS MiB");
    let mut samples = vec![(0usize, idle)];
    let started = Instant::now();
    for i in 0..args.calls {
        let result = client.call_tool(search(i)).await?;
        if result.is_error == Some(true) {
            return Err(format!("search {i} failed: {:?}", result.content).into());
        }
        if (i + 1) % args.every == 0 {
            let rss = rss_mib(pid)?;
            println!("{:>8} {rss:>10.1}", i + 1);
            samples.push((i + 1, rss));
        }
    }
    let elapsed = started.elapsed();
    let end = samples.last().map_or(idle, |s| s.1);
    let half = samples
        .iter()
        .find(|(calls, _)| *calls >= args.calls / 2)
        .map_or(idle, |s| s.1);
    let budget = args.cache_size_mb as f64;
    let bound = idle + 1.25 * budget;
    println!(
        "end RSS {end:.1} MiB vs bound idle + 1.25 x budget = {bound:.1} MiB ({}); growth over the last half {:+.1} MiB ({}); {:.0} calls/s",
        if end <= bound { "within" } else { "OVER" },
        end - half,
        if end - half < 1.0 {
            "under 1 MiB"
        } else {
            "1 MiB or more"
        },
        args.calls as f64 / elapsed.as_secs_f64()
    );
    client.cancel().await?;
    drop(sandbox);
    Ok(())
}
