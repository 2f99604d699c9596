//! Serves the sandbox Spotify Web API on its own (what `spotify-mcp-server sandbox --bind ADDR`
//! does), for trying clients against it and for the OpenAPI faithfulness test.
//!
//! `cargo run -p spotify-mcp-server --example sandbox -- --bind 127.0.0.1:8899 [--seed N] [--extended-quota]`

use std::net::SocketAddr;

use clap::Parser;
use spotify_mcp_sandbox::{SandboxOptions, serve};

#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8899")]
    bind: SocketAddr,
    /// Seed of the generated world.
    #[arg(long, default_value_t = SandboxOptions::default().seed)]
    seed: u64,
    /// Serve the endpoints Spotify kept only for extended-quota apps.
    #[arg(long)]
    extended_quota: bool,
    /// Record exchanges for GET /sandbox/requests.
    #[arg(long)]
    record_requests: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let args = Args::parse();
    let opts = SandboxOptions {
        seed: args.seed,
        extended_quota: args.extended_quota,
        record_requests: args.record_requests,
        ..SandboxOptions::default()
    };
    serve(args.bind, opts, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
