//! What the hosted mode (`--oauth`) costs, in one run against the sandbox as its own process:
//!
//! - a cached `search` (2026-07-28, keep-alive) with a static bearer token, with one of the
//!   hosted mode's access tokens (memory store), and with one (Redis store), interleaved in
//!   rounds so drift hits all three alike: p50 and p99 on one connection, calls/s on 16; the p50
//!   the hosted mode adds over static tokens;
//! - Redis commands per call in the Redis run (the token check is cached per replica for a
//!   minute: one check per token per minute, nothing per call in between);
//! - a full sign-in (registration, consent, the sandbox's /authorize, callback, code exchange)
//!   as a client and browser do it, p50 and p99 over `--sign-ins`;
//! - Redis bytes per grant: `MEMORY USAGE` of every hosted-mode key after the sign-ins, divided by
//!   the sign-ins (each registers its own client, so that is counted too).
//!
//! ```sh
//! cargo build --profile profiling -p spotify-mcp-server --bins --examples
//! eval "$(scripts/infra-tools.sh)"   # redis-server from Debian
//! target/profiling/examples/hosted_bench --bin target/profiling/spotify-mcp-server
//! ```

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[path = "support/mod.rs"]
mod support;
use support::{BoxError, Killed, Sandbox, free_port, redis_commands, start_redis, wait_for_get};

#[derive(Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/profiling/spotify-mcp-server")]
    bin: PathBuf,
    /// redis-server (scripts/infra-tools.sh exports it).
    #[arg(long, env = "SPOTIFY_MCP_REDIS_SERVER", default_value = "redis-server")]
    redis_server: PathBuf,
    /// Rounds of the interleaved per-call measurement.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Calls per server per round on one connection.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Seconds per server per round at 16 connections.
    #[arg(long, default_value_t = 2)]
    secs: u64,
    /// Sign-ins timed.
    #[arg(long, default_value_t = 20)]
    sign_ins: usize,
}

const STATIC_TOKEN: &str = "bench-static-token-aaaaaaaaaaaaaaaa";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

struct Server {
    _child: tokio::process::Child,
    base: String,
}

async fn start_server(
    bin: &std::path::Path,
    sandbox: &Sandbox,
    hosted: Option<(&str, &std::path::Path)>,
) -> Result<Server, BoxError> {
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(["--port", &port.to_string(), "--cache", "memory"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    sandbox.server_env(&mut cmd);
    match hosted {
        None => {
            cmd.env("SPOTIFY_MCP_AUTH_TOKENS", STATIC_TOKEN);
        }
        Some((store, keys)) => {
            cmd.env_remove("SPOTIFY_REFRESH_TOKEN")
                .args(["--oauth", "--public-url", &base, "--oauth-store", store])
                .arg("--oauth-keys-file")
                .arg(keys);
        }
    }
    let child = cmd.spawn()?;
    wait_for_get(
        "a server",
        &format!("{base}/readyz"),
        Duration::from_secs(30),
    )
    .await?;
    Ok(Server {
        _child: child,
        base,
    })
}

fn hidden(page: &str, name: &str) -> Result<String, BoxError> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .ok_or("no such field on the consent page")?
        + marker.len();
    let end = page[start..].find('"').ok_or("unterminated field")? + start;
    Ok(page[start..end].to_owned())
}

fn location(r: &reqwest::Response) -> Result<String, BoxError> {
    Ok(r.headers()
        .get(LOCATION)
        .ok_or_else(|| format!("no Location on HTTP {}", r.status()))?
        .to_str()?
        .to_owned())
}

/// A whole sign-in as a client and its browser do it; the access token.
async fn sign_in(base: &str) -> Result<String, BoxError> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let client: Value = http
        .post(format!("{base}/oauth/register"))
        .json(&json!({ "client_name": "hosted_bench", "redirect_uris": [REDIRECT] }))
        .send()
        .await?
        .json()
        .await?;
    let client_id = client["client_id"]
        .as_str()
        .ok_or("no client_id")?
        .to_owned();
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let consent = http
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "bench"),
        ])
        .send()
        .await?;
    let cookie = consent
        .headers()
        .get(SET_COOKIE)
        .ok_or("no cookie with the consent page")?
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let page = consent.text().await?;
    let form = [
        ("pending", hidden(&page, "pending")?),
        ("csrf", hidden(&page, "csrf")?),
        ("decision", "approve".to_owned()),
    ];
    let decided = http
        .post(format!("{base}/oauth/authorize/decision"))
        .header(COOKIE, &cookie)
        .form(&form)
        .send()
        .await?;
    let spotify = http.get(location(&decided)?).send().await?;
    let back = http
        .get(location(&spotify)?)
        .header(COOKIE, &cookie)
        .send()
        .await?;
    let to_client = url::Url::parse(&location(&back)?)?;
    let code = to_client
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    let tokens: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(tokens["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned())
}

/// The cached search, with `token` as the bearer.
async fn call(http: &reqwest::Client, base: &str, token: &str) -> Result<(), BoxError> {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": "search",
            "arguments": { "query": "e", "types": ["track"], "limit": 5 },
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": { "name": "hosted_bench", "version": "0" },
                "io.modelcontextprotocol/clientCapabilities": {}
            }
        }
    });
    let r = http
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "search")
        .json(&body)
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("call failed: HTTP {}: {}", r.status(), r.text().await?).into());
    }
    r.bytes().await?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// Calls/s of `connections` callers for `secs`.
async fn rate(base: &str, token: &str, connections: usize, secs: u64) -> Result<f64, BoxError> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (base, token, done) = (base.to_owned(), token.to_owned(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                call(&http, &base, &token).await?;
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok::<(), BoxError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(done.load(std::sync::atomic::Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

async fn redis_oauth_bytes(url: &str) -> Result<(u64, usize), BoxError> {
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("spotify-mcp:v1:oauth:*")
        .query_async(&mut conn)
        .await?;
    let mut bytes = 0u64;
    for key in &keys {
        let used: Option<u64> = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .query_async(&mut conn)
            .await?;
        bytes += used.unwrap_or_default();
    }
    Ok((bytes, keys.len()))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    if !args.bin.exists() {
        return Err(format!("no server binary at {}", args.bin.display()).into());
    }
    let dir = tempfile::tempdir()?;
    let keys = dir.path().join("oauth-keys");
    std::fs::write(
        &keys,
        format!(
            "k1:{}\n",
            base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
        ),
    )?;
    let sandbox = Sandbox::start(&args.bin).await?;
    let (_redis, redis_url): (Killed, String) = start_redis(&args.redis_server).await?;
    let plain = start_server(&args.bin, &sandbox, None).await?;
    let memory = start_server(&args.bin, &sandbox, Some(("memory", &keys))).await?;
    let shared = start_server(&args.bin, &sandbox, Some((&redis_url, &keys))).await?;

    println!("# hosted_bench: {}\n", args.bin.display());
    let mut sign_in_times = Vec::new();
    for i in 0..args.sign_ins {
        let base = if i % 2 == 0 {
            &memory.base
        } else {
            &shared.base
        };
        let t = Instant::now();
        sign_in(base).await?;
        sign_in_times.push(t.elapsed());
    }
    sign_in_times.sort();
    let redis_sign_ins = args.sign_ins / 2;
    let (bytes, keys_count) = redis_oauth_bytes(&redis_url).await?;

    let servers = [
        ("static bearer token", &plain.base, STATIC_TOKEN.to_owned()),
        (
            "hosted, memory store",
            &memory.base,
            sign_in(&memory.base).await?,
        ),
        (
            "hosted, Redis store",
            &shared.base,
            sign_in(&shared.base).await?,
        ),
    ];
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    for (_, base, token) in &servers {
        call(&http, base, token).await?; // warm: the search is cached from here on
    }
    let mut one: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    let mut many: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    let mut redis_per_call = 0.0;
    for _ in 0..args.rounds {
        for (i, (_, base, token)) in servers.iter().enumerate() {
            let before = redis_commands(&redis_url).await?;
            for _ in 0..args.calls {
                let t = Instant::now();
                call(&http, base, token).await?;
                one[i].push(t.elapsed());
            }
            if i == 2 {
                let commands = redis_commands(&redis_url).await?.saturating_sub(before + 1);
                redis_per_call += commands as f64 / (args.calls * args.rounds) as f64;
            }
            many[i].push(rate(base, token, 16, args.secs).await?);
        }
    }
    println!(
        "## a cached search: {} rounds × {} calls on one connection, {} s at 16 connections\n",
        args.rounds, args.calls, args.secs
    );
    println!("| bearer | p50 µs | p99 µs | added p50 µs | calls/s at 16 connections |");
    println!("|---|---|---|---|---|");
    let mut base_p50 = 0.0;
    for (i, (name, _, _)) in servers.iter().enumerate() {
        one[i].sort();
        let p50 = percentile(&one[i], 0.5);
        if i == 0 {
            base_p50 = p50;
        }
        let rates = &many[i];
        let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
        println!(
            "| {name} | {p50:.0} | {:.0} | {:+.0} | {mean:.0} |",
            percentile(&one[i], 0.99),
            p50 - base_p50
        );
    }
    println!("\nRedis commands per call (hosted, Redis store): {redis_per_call:.4}");
    println!(
        "\n## sign-in (register, consent, Spotify, callback, token), {} sign-ins\n\np50 {:.1} ms, p99 {:.1} ms",
        args.sign_ins,
        percentile(&sign_in_times, 0.5) / 1000.0,
        percentile(&sign_in_times, 0.99) / 1000.0
    );
    println!(
        "\n## Redis bytes per grant\n\n{keys_count} keys, {bytes} bytes after {redis_sign_ins} sign-ins: {:.0} bytes per sign-in (grant, sealed Spotify tokens, access and refresh token records, used-code marker, client registration)",
        bytes as f64 / redis_sign_ins.max(1) as f64
    );
    drop(sandbox);
    Ok(())
}
