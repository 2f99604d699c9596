//! What the benchmark examples share: a sandbox in its own process, the server's environment
//! pointed at it, a free port, a process's RSS, and a redis-server with its command count. Included with `#[path]` by each example.

#![allow(dead_code)] // each example uses a part

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use spotify_mcp_sandbox::{CLIENT_ID, CLIENT_SECRET, PREMIUM_REFRESH_TOKEN};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Asks `ready` every 20 ms until it says yes, for at most `within`; `what` names the process
/// that did not start in the error.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut ready: F) -> Result<(), BoxError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !ready().await {
        if Instant::now() > deadline {
            return Err(format!("{what} did not start").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// [`wait_until`] a GET of `url` answers 2xx (a server's `/readyz`, the sandbox's control API).
pub async fn wait_for_get(what: &str, url: &str, within: Duration) -> Result<(), BoxError> {
    let http = reqwest::Client::new();
    wait_until(what, within, || async {
        http.get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
}

pub fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Resident set size of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc status".into())
}

/// `BIN sandbox` on a free loopback port, killed when dropped.
pub struct Sandbox {
    _child: tokio::process::Child,
    /// `http://127.0.0.1:PORT` (the Web API is at `{base}/v1`).
    pub base: String,
}

impl Sandbox {
    /// Starts it and waits until its control endpoint answers.
    pub async fn start(bin: &Path) -> Result<Sandbox, BoxError> {
        let port = free_port()?;
        let child = tokio::process::Command::new(bin)
            .args(["sandbox", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let faults = format!("{base}/sandbox/faults");
        wait_for_get("the sandbox", &faults, Duration::from_secs(30)).await?;
        Ok(Sandbox {
            _child: child,
            base,
        })
    }

    /// The environment of a server acting for the sandbox's Premium user through it.
    pub fn server_env(&self, cmd: &mut tokio::process::Command) {
        cmd.env("SPOTIFY_MCP_LOG", "warn")
            .env("SPOTIFY_CLIENT_ID", CLIENT_ID)
            .env("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
            .env("SPOTIFY_REFRESH_TOKEN", PREMIUM_REFRESH_TOKEN)
            .env("SPOTIFY_API_BASE_URL", format!("{}/v1", self.base))
            .env("SPOTIFY_ACCOUNTS_BASE_URL", &self.base)
            .env_remove("SPOTIFY_MCP_TOKEN_FILE");
    }
}

/// A child process that is killed when dropped.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A redis-server on a free loopback port, without persistence; its URL.
pub async fn start_redis(bin: &std::path::Path) -> Result<(Killed, String), BoxError> {
    let port = free_port()?;
    let child = std::process::Command::new(bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let redis = Killed(child);
    let url = format!("redis://127.0.0.1:{port}");
    wait_until("redis-server", Duration::from_secs(10), || async {
        redis_commands(&url).await.is_ok()
    })
    .await?;
    Ok((redis, url))
}

/// Commands Redis has processed so far (`INFO stats`), this one included.
pub async fn redis_commands(url: &str) -> Result<u64, BoxError> {
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| "no total_commands_processed in INFO stats".into())
}
