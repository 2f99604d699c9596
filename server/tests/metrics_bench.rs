//! Benchmarks of the metrics and the cache (run in release; numbers go to BENCHMARKS.md):
//!
//!     cargo test --release -p spotify-mcp-server --test metrics_bench -- --ignored --nocapture --test-threads 1
//!
//! - bookkeeping: a cached call with metrics (tool-call guard, cache operation counters, size
//!   gauges) switched on vs off, same process, interleaved batches;
//! - Redis: a cache hit served by a real redis-server vs by the in-memory cache;
//! - /metrics: rendering the registry after every tool name and every Spotify endpoint of
//!   the client has series.
//!
//! They are `#[ignore]`d because timings of a debug build under a shared CPU mean nothing; each
//! still asserts its budget when run.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::Redis;

use spotify_mcp_sandbox::{self as sandbox, SandboxOptions};
use spotify_mcp_server::metrics::{ApiStatus, InstrumentedCache, Metrics};
use spotify_mcp_server::redis_cache::RedisCache;
use spotify_mcp_server::spotify::cache::{CacheBackend, MemoryCache, ResponseCache};
use spotify_mcp_server::spotify::pipeline::PipelineObserver;
use spotify_mcp_server::spotify::{
    ClientOptions, Credentials, Secret, SpotifyClient, SpotifyConfig,
};

fn client(
    sandbox: &sandbox::SandboxHandle,
    backend: Arc<dyn CacheBackend>,
    metrics: &Metrics,
) -> SpotifyClient {
    let cfg = SpotifyConfig::new(
        sandbox::CLIENT_ID,
        Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN.to_owned())),
    )
    .with_base_urls(sandbox.api_base_url(), sandbox.accounts_base_url())
    .with_client_secret(Secret::new(sandbox::CLIENT_SECRET.to_owned()));
    let cache = ResponseCache::with_backend(backend, cfg.cache.clone());
    let observer = metrics
        .is_enabled()
        .then(|| Arc::new(metrics.clone()) as Arc<dyn PipelineObserver>);
    SpotifyClient::with_options(
        cfg,
        ClientOptions {
            observer,
            cache: Some(Some(cache)),
        },
    )
    .unwrap()
}

/// One "cached tool call" the way the MCP handler makes it: the tool-call guard around a client
/// call answered by the cache (GET /me: decode included).
async fn cached_call(client: &SpotifyClient, metrics: &Metrics) {
    let guard = metrics.start_tool_call("get_profile");
    let me = client.get_current_user().await.unwrap();
    std::hint::black_box(me);
    guard.finish(true);
}

/// Mean duration of one call over `n` calls.
async fn batch(client: &SpotifyClient, metrics: &Metrics, n: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        cached_call(client, metrics).await;
    }
    start.elapsed() / n
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
async fn bookkeeping_overhead_on_a_cached_call() {
    let sandbox = sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxOptions::default())
        .await
        .unwrap();
    let off = Metrics::disabled();
    let on = Metrics::new().unwrap();
    on.register_tools(["get_profile"]);
    let plain = client(&sandbox, Arc::new(MemoryCache::new(32 << 20)), &off);
    let instrumented = client(
        &sandbox,
        Arc::new(InstrumentedCache::new(
            Arc::new(MemoryCache::new(32 << 20)),
            on.clone(),
        )),
        &on,
    );
    // warm: the first call fetches and caches
    for _ in 0..1000 {
        cached_call(&plain, &off).await;
        cached_call(&instrumented, &on).await;
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..41 {
        a.push(batch(&plain, &off, 2000).await);
        b.push(batch(&instrumented, &on, 2000).await);
    }
    let (off_t, on_t) = (median(a), median(b));
    let overhead = on_t.saturating_sub(off_t);
    println!(
        "BENCH cached call: metrics off {off_t:?}, on {on_t:?}, overhead {overhead:?} (median of 41 x 2000 calls)"
    );
    let hits = on.render().unwrap();
    assert!(hits.contains("spotify_mcp_cache_operations_total{operation=\"get\",result=\"hit\"}"));
    assert!(
        overhead <= Duration::from_micros(5),
        "budget 5 µs, got {overhead:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
async fn redis_hit_vs_memory_hit() {
    let server = Redis::start();
    let sandbox = sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxOptions::default())
        .await
        .unwrap();
    let metrics = Metrics::new().unwrap();
    let memory = client(
        &sandbox,
        Arc::new(InstrumentedCache::new(
            Arc::new(MemoryCache::new(32 << 20)),
            metrics.clone(),
        )),
        &metrics,
    );
    let url = server.url();
    let shared = client(
        &sandbox,
        Arc::new(RedisCache::new(&url, metrics.clone()).unwrap()),
        &metrics,
    );
    for _ in 0..500 {
        cached_call(&memory, &metrics).await;
        cached_call(&shared, &metrics).await;
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..21 {
        a.push(batch(&memory, &metrics, 500).await);
        b.push(batch(&shared, &metrics, 500).await);
    }
    let (mem_t, redis_t) = (median(a), median(b));
    let extra = redis_t.saturating_sub(mem_t);
    println!(
        "BENCH cache hit: memory {mem_t:?}, redis {redis_t:?}, redis adds {extra:?} (median of 21 x 500 calls)"
    );
    let text = metrics.render().unwrap();
    let errors: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with("spotify_mcp_cache_operations_total{") && l.contains("result=\"error\"}")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(errors, 0.0, "no Redis errors during the run");
    assert!(
        extra <= Duration::from_millis(1),
        "budget 1 ms, got {extra:?}"
    );
    sandbox.shutdown().await;
}

/// Every route template the client uses, taken from its source (they are `&'static str`s).
fn endpoint_templates() -> Vec<&'static str> {
    let api = concat!(env!("CARGO_MANIFEST_DIR"), "/src/spotify/api");
    let mut found = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(api).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for piece in text.split('"').skip(1).step_by(2) {
            if piece.starts_with('/') && !piece.contains(' ') && piece.len() > 1 {
                found.insert(piece.to_owned());
            }
        }
    }
    found
        .into_iter()
        .map(|s| &*Box::leak(s.into_boxed_str()))
        .collect()
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn metrics_render_after_every_tool_and_endpoint() {
    let metrics = Metrics::new().unwrap();
    let tools: Vec<String> = std::env::var("SPOTIFY_MCP_BENCH_TOOLS")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|_| (0..60).map(|i| format!("tool_{i:02}")).collect());
    metrics.register_tools(&tools);
    for tool in &tools {
        metrics.start_tool_call(tool).finish(true);
        metrics.start_tool_call(tool).finish(false);
    }
    let endpoints = endpoint_templates();
    assert!(endpoints.len() > 40, "{endpoints:?}");
    for e in &endpoints {
        for (method, status) in [("GET", 200), ("PUT", 204), ("GET", 429), ("GET", 404)] {
            metrics.record_spotify_request(
                e,
                method,
                ApiStatus::Http(status),
                Duration::from_millis(3),
            );
        }
    }
    metrics.record_rate_limited(Some(Duration::from_secs(2)));
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..200 {
        let start = Instant::now();
        size = metrics.render().unwrap().len();
        times.push(start.elapsed());
    }
    let p50 = median(times.clone());
    times.sort();
    let p99 = times[times.len() * 99 / 100];
    println!(
        "BENCH /metrics render: {} tools, {} endpoints, {size} bytes: p50 {p50:?}, p99 {p99:?}",
        tools.len(),
        endpoints.len()
    );
    assert!(p99 <= Duration::from_millis(5), "budget 5 ms, got {p99:?}");
}
