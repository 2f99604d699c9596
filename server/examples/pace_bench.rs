//! Does a user's run of calls go at Spotify's pace, not ours? In one run, against the sandbox as a
//! separate process at 0 ms and at 100 ms of added latency:
//!
//! - back-to-back uncached searches (p50/p99) and 1, 4 and 16 concurrent callers (calls/s),
//!   through stdio (the official Rust MCP SDK as client) and through streamable HTTP (2026-07-28
//!   stateless POSTs on keep-alive connections), with the same search sent as a raw GET to the
//!   sandbox measured beside them as the floor;
//! - cached `search` over HTTP against a bare axum handler that returns the same answer bytes,
//!   with 1, 4 and 64 connections: the handler in its own process (this binary re-run with
//!   `--serve-bare`, a multi-threaded runtime like the server's), the baseline of the MCP / bare
//!   ratio, and the same handler inside this process, beside the load generator;
//! - with `--balanced`: the same cached search through HAProxy (round-robin) over three replicas
//!   sharing one Redis, beside one replica with the memory cache and one with Redis, and the bare
//!   handler direct and behind the same HAProxy; Redis commands per call from its `INFO stats`.
//!
//! ```sh
//! cargo build --profile profiling -p spotify-mcp-server --bins --examples
//! target/profiling/examples/pace_bench --bin target/profiling/spotify-mcp-server
//! eval "$(scripts/infra-tools.sh)"   # HAProxy and redis-server from Debian
//! target/profiling/examples/pace_bench --bin target/profiling/spotify-mcp-server --balanced
//! ```

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use rmcp::model::CallToolRequestParams;
use rmcp::serve_client;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use spotify_mcp_sandbox::{CLIENT_ID, CLIENT_SECRET, PREMIUM_REFRESH_TOKEN};

#[path = "support/mod.rs"]
mod support;
use support::{
    BoxError, Killed, Sandbox, free_port, redis_commands, start_redis, wait_for_get, wait_until,
};
type StdioClient = RunningService<RoleClient, ()>;

#[derive(Parser)]
struct Args {
    /// The server binary (also serves the sandbox with `sandbox --bind`).
    #[arg(long, default_value = "target/profiling/spotify-mcp-server")]
    bin: PathBuf,
    /// Added latencies of the sandbox, in ms.
    #[arg(long, value_delimiter = ',', default_value = "0,100")]
    latency_ms: Vec<u64>,
    /// Back-to-back calls per path.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Seconds per concurrency level.
    #[arg(long, default_value_t = 4)]
    secs: u64,
    /// Concurrent callers for the uncached runs.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    callers: Vec<usize>,
    /// Only the cached HTTP run (e.g. to profile the server with perf; its pid is printed).
    #[arg(long)]
    only_cached: bool,
    /// Connections for the cached HTTP run against the bare handler.
    #[arg(long, value_delimiter = ',', default_value = "1,4,64")]
    connections: Vec<usize>,
    /// What the cached HTTP run sends: `search` (a cached search) or `prompts` (`prompts/list`,
    /// no tool and no Spotify request: the floor of the MCP transport itself).
    #[arg(long, default_value = "search")]
    cached_method: CachedMethod,
    /// Only the run through a load balancer: three replicas sharing Redis behind HAProxy.
    #[arg(long)]
    balanced: bool,
    /// HAProxy, for `--balanced` (scripts/infra-tools.sh exports it).
    #[arg(long, env = "SPOTIFY_MCP_HAPROXY", default_value = "haproxy")]
    haproxy: PathBuf,
    /// redis-server, for `--balanced` (scripts/infra-tools.sh exports it).
    #[arg(long, env = "SPOTIFY_MCP_REDIS_SERVER", default_value = "redis-server")]
    redis_server: PathBuf,
    /// Internal: serve the bare handler with the body in this file (on `--bare-port`) and nothing
    /// else; how the benchmark runs the bare handler as its own process.
    #[arg(long, hide = true, requires = "bare_port")]
    serve_bare: Option<PathBuf>,
    #[arg(long, hide = true)]
    bare_port: Option<u16>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CachedMethod {
    Search,
    Prompts,
}

/// A 2026-07-28 `prompts/list` request.
fn prompts_body() -> String {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "prompts/list",
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            }
        }
    })
    .to_string()
}

const LETTERS: &[u8] = b"eaionrstlcdmhugpbykwfv";

/// The `n`th distinct query: a common letter at one of 900 offsets (full answers).
fn query(n: usize) -> (String, usize) {
    let letter = LETTERS[(n / 900) % LETTERS.len()] as char;
    (letter.to_string(), n % 900)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// One way of making a search call.
#[derive(Clone)]
enum Path {
    RawGet {
        http: reqwest::Client,
        base: String,
        token: String,
    },
    Stdio(Arc<StdioClient>),
    Http {
        http: reqwest::Client,
        url: String,
    },
}

impl Path {
    fn name(&self) -> &'static str {
        match self {
            Path::RawGet { .. } => "raw GET to the sandbox",
            Path::Stdio(_) => "MCP over stdio",
            Path::Http { .. } => "MCP over streamable HTTP",
        }
    }

    async fn call(&self, n: usize) -> Result<(), BoxError> {
        let (q, offset) = query(n);
        match self {
            Path::RawGet { http, base, token } => {
                let r = http
                    .get(format!("{base}/v1/search"))
                    .query(&[
                        ("q", q.as_str()),
                        ("type", "track"),
                        ("limit", "10"),
                        ("offset", &offset.to_string()),
                    ])
                    .bearer_auth(token)
                    .send()
                    .await?;
                if !r.status().is_success() {
                    return Err(format!("raw GET: HTTP {}", r.status()).into());
                }
                r.bytes().await?;
            }
            Path::Stdio(client) => {
                let args = json!({"query": q, "types": ["track"], "limit": 10, "offset": offset});
                let params = CallToolRequestParams::new(Cow::Borrowed("search"))
                    .with_arguments(args.as_object().cloned().unwrap_or_default());
                let result = client.call_tool(params).await?;
                if result.is_error == Some(true) {
                    return Err(format!("stdio search failed: {:?}", result.content).into());
                }
            }
            Path::Http { http, url } => {
                let body = search_body(&q, offset);
                let r = http
                    .post(url)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .header("MCP-Protocol-Version", "2026-07-28")
                    .header("Mcp-Method", "tools/call")
                    .header("Mcp-Name", "search")
                    .body(body)
                    .send()
                    .await?;
                let status = r.status();
                let text = r.text().await?;
                if !status.is_success() || text.contains("\"isError\":true") {
                    return Err(
                        format!("HTTP search: {status}: {}", &text[..text.len().min(300)]).into(),
                    );
                }
            }
        }
        Ok(())
    }
}

fn search_body(q: &str, offset: usize) -> String {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": "search",
            "arguments": {"query": q, "types": ["track"], "limit": 10, "offset": offset},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            }
        }
    })
    .to_string()
}

/// p50 and p99 of back-to-back calls with new queries (starting at query `first`).
async fn back_to_back(path: &Path, calls: usize, first: usize) -> Result<(f64, f64), BoxError> {
    let mut times = Vec::with_capacity(calls);
    for i in 0..calls {
        let started = Instant::now();
        path.call(first + i).await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

/// Calls per second with `callers` concurrent callers for `secs`, new queries from `first`.
async fn throughput(path: &Path, callers: usize, secs: u64, first: usize) -> Result<f64, BoxError> {
    let next = Arc::new(AtomicUsize::new(first));
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..callers {
        let (path, next, done) = (path.clone(), next.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                path.call(n).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// A sandbox process with `latency_ms` added to every Web API answer.
async fn start_sandbox(bin: &std::path::Path, latency_ms: u64) -> Result<Sandbox, BoxError> {
    let sandbox = Sandbox::start(bin).await?;
    let r = reqwest::Client::new()
        .put(format!("{}/sandbox/faults", sandbox.base))
        .json(&json!({ "latency_ms": latency_ms }))
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("PUT /sandbox/faults: {}", r.status()).into());
    }
    Ok(sandbox)
}

async fn start_http_server(
    bin: &std::path::Path,
    sandbox: &Sandbox,
    cache: &str,
) -> Result<(tokio::process::Child, String), BoxError> {
    let port = free_port()?;
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(["--port", &port.to_string(), "--cache", cache])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    sandbox.server_env(&mut cmd);
    let child = cmd.spawn()?;
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    wait_for_get("the HTTP server", &readyz, Duration::from_secs(30)).await?;
    Ok((child, format!("http://127.0.0.1:{port}/mcp")))
}

async fn token(base: &str) -> Result<String, BoxError> {
    let v: Value = reqwest::Client::new()
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
    Ok(v["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned())
}

async fn uncached(args: &Args, latency_ms: u64) -> Result<(), BoxError> {
    let sandbox = start_sandbox(&args.bin, latency_ms).await?;
    let base = sandbox.base.clone();
    let raw = Path::RawGet {
        http: reqwest::Client::new(),
        base: base.clone(),
        token: token(&base).await?,
    };
    let mut cmd = tokio::process::Command::new(&args.bin);
    cmd.args(["stdio", "--cache", "none"])
        .stderr(Stdio::null())
        .kill_on_drop(true);
    sandbox.server_env(&mut cmd);
    let stdio = Path::Stdio(Arc::new(
        serve_client((), TokioChildProcess::new(cmd)?).await?,
    ));
    let (_http_server, url) = start_http_server(&args.bin, &sandbox, "none").await?;
    let http = Path::Http {
        http: reqwest::Client::new(),
        url,
    };
    println!("\n## sandbox latency {latency_ms} ms, uncached searches (new query every call)\n");
    println!(
        "| path | p50 ms | p99 ms | {} |",
        args.callers
            .iter()
            .map(|c| format!("{c} caller(s) calls/s"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|---|---|{}", "---|".repeat(args.callers.len()));
    // Interleaved so that a noisy moment hits every path alike: each path's first query block
    // differs, so nothing is ever a repeat (the server runs with --cache none anyway).
    let mut first = 0;
    let calls = if latency_ms > 0 {
        args.calls.min(40)
    } else {
        args.calls
    };
    for path in [&raw, &stdio, &http] {
        path.call(first).await?; // warm-up: token, connection
        first += 1;
        let (p50, p99) = back_to_back(path, calls, first).await?;
        first += calls;
        let mut rates = Vec::new();
        for &callers in &args.callers {
            rates.push(throughput(path, callers, args.secs, first).await?);
            first += 20_000;
        }
        println!(
            "| {} | {p50:.2} | {p99:.2} | {} |",
            path.name(),
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    drop(sandbox);
    Ok(())
}

/// A bare axum handler answering every POST to `/mcp` with `body`: the floor of an HTTP answer.
fn bare_router(body: String) -> axum::Router {
    let body = Arc::new(body);
    axum::Router::new().route(
        "/mcp",
        axum::routing::post(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body.as_str().to_owned(),
                )
            }
        }),
    )
}

/// Serves [`bare_router`] on `listener`, with `TCP_NODELAY` like the server.
async fn serve_bare(listener: tokio::net::TcpListener, body: String) -> std::io::Result<()> {
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, bare_router(body)).await
}

/// The bare handler inside this process, on the load generator's runtime.
async fn bare_in_process(body: String) -> Result<String, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve_bare(listener, body));
    Ok(format!("http://{addr}/mcp"))
}

/// The bare handler in its own process (this binary with `--serve-bare`), as the server under
/// test runs: the baseline the MCP / bare ratio is taken against.
async fn bare_process(
    body: &str,
    dir: &std::path::Path,
) -> Result<(tokio::process::Child, String), BoxError> {
    let file = dir.join("bare-body.json");
    std::fs::write(&file, body)?;
    let port = free_port()?;
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--serve-bare")
        .arg(&file)
        .args(["--bare-port", &port.to_string()])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = reqwest::Client::new();
    wait_until("the bare handler", Duration::from_secs(10), || async {
        http.post(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await?;
    Ok((child, url))
}

async fn cached(args: &Args) -> Result<(), BoxError> {
    let sandbox = start_sandbox(&args.bin, 0).await?;
    let (server, url) = start_http_server(&args.bin, &sandbox, "memory").await?;
    eprintln!("cached run: server pid {}", server.id().unwrap_or_default());
    let http = reqwest::Client::new();
    let prompts = args.cached_method == CachedMethod::Prompts;
    let send = move |http: reqwest::Client, url: String| send_cached(http, url, prompts);
    let answer = send(http.clone(), url.clone()).await?;
    let dir = tempfile::tempdir()?;
    let (_bare_child, bare) = bare_process(&answer, dir.path()).await?;
    let bare_here = bare_in_process(answer.clone()).await?;
    println!(
        "\n## cached {} over streamable HTTP against a bare axum handler returning the same {} bytes\n",
        if prompts { "prompts/list" } else { "search" },
        answer.len()
    );
    println!(
        "| connections | MCP calls/s | p50 ms | p99 ms | bare calls/s | p99 ms | MCP / bare \
         | bare in the load generator's process: calls/s | MCP / that |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &connections in &args.connections {
        let mcp = load(&url, connections, args.secs, &send).await?;
        let bare = load(&bare, connections, args.secs, &send).await?;
        let here = load(&bare_here, connections, args.secs, &send).await?;
        println!(
            "| {connections} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} |",
            mcp.rate,
            mcp.p50_ms,
            mcp.p99_ms,
            bare.rate,
            bare.p99_ms,
            mcp.rate / bare.rate,
            here.rate,
            mcp.rate / here.rate
        );
    }
    drop(sandbox);
    Ok(())
}

/// One cached call: the fixed search (every call after the first is a cache hit), or with
/// `prompts` a `prompts/list`; the answer's text.
async fn send_cached(
    http: reqwest::Client,
    url: String,
    prompts: bool,
) -> Result<String, BoxError> {
    let request = http
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28");
    let (request, body) = if prompts {
        (request.header("Mcp-Method", "prompts/list"), prompts_body())
    } else {
        let request = request
            .header("Mcp-Method", "tools/call")
            .header("Mcp-Name", "search");
        (request, search_body("e", 0))
    };
    let r = request.body(body).send().await?;
    let ok = r.status().is_success();
    let text = r.text().await?;
    if !ok {
        return Err(format!("cached call failed: {text}").into());
    }
    Ok(text)
}

/// What one load level measured.
struct Load {
    calls: usize,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `connections` callers, each on its own keep-alive connection, sending to `target` back to
/// back for `secs` seconds.
async fn load<F, Fut>(
    target: &str,
    connections: usize,
    secs: u64,
    send: &F,
) -> Result<Load, BoxError>
where
    F: Fn(reqwest::Client, String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<String, BoxError>> + Send,
{
    let times = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        // One client per connection: each task keeps its own keep-alive connection.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (target, times, send) = (target.to_owned(), times.clone(), send.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                send(http.clone(), target.clone()).await?;
                mine.push(t.elapsed());
            }
            times.lock().extend(mine);
            Ok::<(), BoxError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut times = times.lock().clone();
    times.sort();
    Ok(Load {
        calls: times.len(),
        rate: times.len() as f64 / elapsed,
        p50_ms: percentile(&times, 0.50),
        p99_ms: percentile(&times, 0.99),
    })
}

/// HAProxy balancing round-robin over `backends` (as in tests/infra/tooling.py); its /mcp URL.
async fn start_haproxy(
    bin: &std::path::Path,
    dir: &std::path::Path,
    backends: &[String],
) -> Result<(Killed, String), BoxError> {
    let port = free_port()?;
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let hostport = url.trim_start_matches("http://").trim_end_matches("/mcp");
            format!("    server replica{i} {hostport}\n")
        })
        .collect();
    let config = dir.join(format!("haproxy-{port}.cfg"));
    std::fs::write(
        &config,
        format!(
            "global\n    maxconn 2000\ndefaults\n    mode http\n    timeout connect 2s\n    \
             timeout client 60s\n    timeout server 60s\nfrontend mcp\n    bind 127.0.0.1:{port}\n    \
             default_backend replicas\nbackend replicas\n    balance roundrobin\n{servers}"
        ),
    )?;
    let child = std::process::Command::new(bin)
        .arg("-f")
        .arg(&config)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let haproxy = Killed(child);
    wait_until("haproxy", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await?;
    Ok((haproxy, format!("http://127.0.0.1:{port}/mcp")))
}

/// Cached `search` through HAProxy over three replicas sharing Redis, in one run beside: one
/// replica with the memory cache, one with Redis, the bare handler direct and behind HAProxy.
async fn balanced(args: &Args) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let sandbox = start_sandbox(&args.bin, 0).await?;
    let (_redis, redis_url) = start_redis(&args.redis_server).await?;
    let (_memory, memory_url) = start_http_server(&args.bin, &sandbox, "memory").await?;
    let (_single, single_url) = start_http_server(&args.bin, &sandbox, &redis_url).await?;
    let mut replicas = Vec::new();
    let mut backends = Vec::new();
    for _ in 0..3 {
        let (child, url) = start_http_server(&args.bin, &sandbox, &redis_url).await?;
        replicas.push(child);
        backends.push(url);
    }
    let (_haproxy, balanced_url) = start_haproxy(&args.haproxy, dir.path(), &backends).await?;
    let send = |http: reqwest::Client, url: String| send_cached(http, url, false);
    // Warm every replica's cache (and Redis) with the one search.
    let http = reqwest::Client::new();
    let mut answer = String::new();
    for url in [
        &memory_url,
        &single_url,
        &balanced_url,
        &balanced_url,
        &balanced_url,
    ] {
        answer = send(http.clone(), url.clone()).await?;
    }
    let bare = bare_in_process(answer.clone()).await?;
    let (_bare_haproxy, bare_balanced) =
        start_haproxy(&args.haproxy, dir.path(), std::slice::from_ref(&bare)).await?;
    println!(
        "\n## cached search ({} bytes) through HAProxy over three replicas sharing Redis\n",
        answer.len()
    );
    println!("| connections | path | calls/s | p99 ms | Redis commands per call |");
    println!("|---|---|---|---|---|");
    for &connections in &args.connections {
        for (name, url, counted) in [
            ("bare handler", &bare, false),
            ("bare handler behind HAProxy", &bare_balanced, false),
            ("one replica, memory cache", &memory_url, false),
            ("one replica, Redis", &single_url, true),
            ("HAProxy, three replicas, Redis", &balanced_url, true),
        ] {
            let before = redis_commands(&redis_url).await?;
            let measured = load(url, connections, args.secs, &send).await?;
            // The two INFO commands of the count are not the calls'.
            let commands = redis_commands(&redis_url).await?.saturating_sub(before + 1);
            let per_call = if counted {
                format!("{:.2}", commands as f64 / measured.calls.max(1) as f64)
            } else {
                "—".to_owned()
            };
            println!(
                "| {connections} | {name} | {:.0} | {:.2} | {per_call} |",
                measured.rate, measured.p99_ms
            );
        }
    }
    drop(replicas);
    drop(sandbox);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    if let (Some(file), Some(port)) = (&args.serve_bare, args.bare_port) {
        let body = std::fs::read_to_string(file)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        serve_bare(listener, body).await?;
        return Ok(());
    }
    if !args.bin.exists() {
        return Err(format!("no server binary at {}", args.bin.display()).into());
    }
    println!(
        "# pace_bench: {} (calls {}, {} s per level)",
        args.bin.display(),
        args.calls,
        args.secs
    );
    if args.balanced {
        return balanced(&args).await;
    }
    if !args.only_cached {
        for &latency in &args.latency_ms {
            uncached(&args, latency).await?;
        }
    }
    cached(&args).await?;
    Ok(())
}
