//! One process-wide environment: a tokio runtime, the sandbox served on a loopback port (the
//! Spotify client reaches it over HTTP, as in `--sandbox`), and a [`SpotifyMcp`] handler with
//! every toolset enabled. Built once, on first use.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use spotify_mcp_sandbox::{self as sandbox, SandboxOptions, SandboxState};
use spotify_mcp_server::mcp::{McpOptions, SpotifyMcp, Toolset};
use spotify_mcp_server::spotify::{Credentials, Secret, SpotifyClient, SpotifyConfig};
use tokio::runtime::Runtime;

use crate::exchange::{Sent, send};

pub struct Env {
    pub runtime: Runtime,
    /// The sandbox's own router, sharing state with the served one (control calls in-process).
    pub sandbox: Router,
    pub client: SpotifyClient,
    pub mcp: SpotifyMcp,
    /// Real URIs of the sandbox world (tracks, albums, playlists, ...), for meaningful inputs.
    pub uris: Vec<String>,
    /// Device IDs of the sandbox world.
    pub devices: Vec<String>,
}

/// Inputs between two resets of the sandbox world (what tool calls create stays bounded).
const RESET_EVERY: u64 = 500;

static ENV: OnceLock<Env> = OnceLock::new();

pub fn env() -> &'static Env {
    ENV.get_or_init(build)
}

fn build() -> Env {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let state = SandboxState::new(SandboxOptions {
        extended_quota: true,
        ..SandboxOptions::default()
    });
    let sandbox = sandbox::router(state);
    let (client, world) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the sandbox");
        let addr = listener.local_addr().expect("local address");
        let served = sandbox.clone();
        tokio::spawn(async move { axum::serve(listener, served).await });
        let mut cfg = SpotifyConfig::new(
            sandbox::CLIENT_ID,
            Credentials::RefreshToken(Secret::new(sandbox::PREMIUM_REFRESH_TOKEN)),
        )
        .with_base_urls(format!("http://{addr}/v1"), format!("http://{addr}"))
        .with_client_secret(Secret::new(sandbox::CLIENT_SECRET));
        cfg.request_timeout = Duration::from_secs(5);
        cfg.call_timeout = Duration::from_secs(8);
        let client = SpotifyClient::new(cfg).expect("Spotify client for the sandbox");
        let world = send(
            &sandbox,
            Sent::get("/sandbox/world").header("host", "127.0.0.1"),
        )
        .await;
        (client, world)
    });
    let world: Value = serde_json::from_slice(&world.body).expect("sandbox world is JSON");
    let mut uris = Vec::new();
    if let Some(samples) = world.get("samples").and_then(Value::as_object) {
        for (kind, id) in samples {
            if let Some(id) = id.as_str() {
                uris.push(format!("spotify:{kind}:{id}"));
            }
        }
    }
    if let Some(lists) = world.get("playlists").and_then(Value::as_object) {
        for ids in lists.values() {
            collect(ids, &mut |id| uris.push(format!("spotify:playlist:{id}")));
        }
    }
    uris.sort();
    uris.dedup();
    let mut devices = Vec::new();
    if let Some(premium) = world.pointer("/devices/premium") {
        for device in premium.as_array().into_iter().flatten() {
            if let Some(id) = device.get("id").and_then(Value::as_str) {
                devices.push(id.to_owned());
            }
        }
    }
    let mcp = SpotifyMcp::new(
        client.clone(),
        McpOptions {
            toolsets: Toolset::ALL.to_vec(),
            read_only: false,
            ..McpOptions::default()
        },
    );
    Env {
        runtime,
        sandbox,
        client,
        mcp,
        uris,
        devices,
    }
}

fn collect(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => found(s),
        Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
        Value::Object(map) => map.values().for_each(|v| collect(v, found)),
        _ => {}
    }
}

impl Env {
    /// Restores the sandbox world every [`RESET_EVERY`] calls, so state created by tool calls
    /// (playlists, items, queue) cannot grow without bound over a long run.
    pub async fn tick(&self) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNT: AtomicU64 = AtomicU64::new(0);
        if COUNT.fetch_add(1, Ordering::Relaxed) % RESET_EVERY == RESET_EVERY - 1 {
            let reset = send(
                &self.sandbox,
                Sent::post("/sandbox/reset", Vec::new()).header("host", "127.0.0.1"),
            )
            .await;
            assert!(reset.status < 300, "sandbox reset failed: {}", reset.status);
        }
    }
}
