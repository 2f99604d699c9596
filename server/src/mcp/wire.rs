//! A minimal MCP peer for tests: line-delimited JSON-RPC over an in-memory duplex stream to
//! the real `rmcp` server of a [`SpotifyMcp`]. It speaks the bytes a stdio client would, so
//! tests see exactly what a client gets (and how large it is).

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::task::JoinHandle;

use rmcp::ServiceExt;

use super::SpotifyMcp;

pub struct Wire {
    write: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    next_id: u64,
    server: JoinHandle<()>,
    /// Notifications the server sent while a request was pending, oldest first.
    notifications: Vec<Value>,
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Wire {
    /// Serves `server` and completes the `initialize` handshake (protocol 2025-11-25).
    pub async fn connect(server: SpotifyMcp) -> Self {
        let (client_io, server_io) = tokio::io::duplex(4 << 20);
        let (server_read, server_write) = tokio::io::split(server_io);
        let task = tokio::spawn(async move {
            if let Ok(running) = server.serve((server_read, server_write)).await {
                let _ = running.waiting().await;
            }
        });
        let (read, write) = tokio::io::split(client_io);
        let mut wire = Wire {
            write,
            lines: BufReader::new(read).lines(),
            next_id: 0,
            server: task,
            notifications: Vec::new(),
        };
        let init = wire
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "wire-test", "version": "0"}
                }),
            )
            .await;
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        wire.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        wire
    }

    async fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        if let Err(e) = self.write.write_all(line.as_bytes()).await {
            panic!("writing to the server: {e}");
        }
    }

    /// Sends a request; returns the response and the byte length of its line.
    pub async fn request_raw(&mut self, method: &str, params: Value) -> (Value, usize) {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let line = match self.lines.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the server closed the stream while {method} was pending"),
                Err(e) => panic!("reading from the server: {e}"),
            };
            let value: Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => panic!("the server wrote a line that is not JSON ({e}): {line}"),
            };
            if value.get("id") == Some(&json!(id)) {
                return (value, line.len());
            }
            if value.get("id").is_none() && value.get("method").is_some() {
                self.notifications.push(value);
            }
        }
    }

    /// The notifications received so far with `method`, taken out of the wire's memory.
    pub fn take_notifications(&mut self, method: &str) -> Vec<Value> {
        let (taken, kept) = std::mem::take(&mut self.notifications)
            .into_iter()
            .partition(|n| n.get("method") == Some(&json!(method)));
        self.notifications = kept;
        taken
    }

    /// Waits up to `within` for a notification with `method` (one received earlier counts),
    /// taking it out of the wire's memory; `None` if none came.
    pub async fn wait_notification(
        &mut self,
        method: &str,
        within: std::time::Duration,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(found) = self.take_notifications(method).into_iter().next() {
                return Some(found);
            }
            let line = match tokio::time::timeout_at(deadline, self.lines.next_line()).await {
                Err(_) => return None,
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => panic!("the server closed the stream while waiting for {method}"),
                Ok(Err(e)) => panic!("reading from the server: {e}"),
            };
            match serde_json::from_str::<Value>(&line) {
                Ok(value) if value.get("id").is_none() && value.get("method").is_some() => {
                    self.notifications.push(value);
                }
                Ok(_) => {}
                Err(e) => panic!("the server wrote a line that is not JSON ({e}): {line}"),
            }
        }
    }

    /// Sends a request; returns the response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_raw(method, params).await.0
    }

    /// Calls a tool; returns the `result` object (an `error` response fails the test).
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        match answer.get("result") {
            Some(result) => result.clone(),
            None => panic!("{tool}: JSON-RPC error {answer}"),
        }
    }
}
