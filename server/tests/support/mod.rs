//! Shared by the integration tests: a real `redis-server` (the Debian package that
//! scripts/infra-tools.sh provisions) on a free loopback port.

#![allow(dead_code)] // each test binary uses part of this module

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn redis_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("SPOTIFY_MCP_REDIS_SERVER") {
        return PathBuf::from(path);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/infra-tools.sh");
    let out = Command::new(&script)
        .env("SPOTIFY_MCP_INFRA_SKIP_IMAGE", "1")
        .output()
        .expect("run scripts/infra-tools.sh");
    assert!(
        out.status.success(),
        "infra-tools.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("export SPOTIFY_MCP_REDIS_SERVER="))
        .map(PathBuf::from)
        .expect("infra-tools.sh exports SPOTIFY_MCP_REDIS_SERVER")
}

pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Redis {
    pub fn start() -> Self {
        let mut redis = Redis {
            port: free_port(),
            child: None,
            dir: tempfile::tempdir().unwrap(),
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn restart(&mut self) {
        let child = Command::new(redis_server_binary())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.command(&["PING"]).starts_with("+PONG") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// One command over RESP, the raw reply (empty if Redis is not reachable).
    pub fn command(&self, args: &[&str]) -> String {
        use std::io::{Read, Write};
        let Ok(mut s) = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], self.port))) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut payload = format!("*{}\r\n", args.len());
        for a in args {
            payload.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        if s.write_all(payload.as_bytes()).is_err() {
            return String::new();
        }
        let mut buf = [0u8; 65536];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
