//! Asks the server pods about Spotify: `GET http://<pod IP>:8000/status`, straight to the pod
//! (no `pods/proxy` permission, no Service), with a short timeout, a bounded body and a bounded
//! number of requests in flight. What the server answers becomes a [`PodReport`]; turning the
//! reports into the `SpotifyReachable` condition is [`crate::status`]'s (pure) job.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::crd::CONTAINER_PORT;
use crate::status::PodReport;

/// How long one pod has to answer, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The longest `/status` body read (the server's is a few hundred bytes).
pub const MAX_BODY: usize = 16 * 1024;
/// Requests in flight at once, across every object being reconciled.
pub const CONCURRENCY: usize = 8;

/// Sends the `/status` requests of every reconcile, at most [`CONCURRENCY`] at a time.
#[derive(Clone, Debug)]
pub struct Prober {
    permits: Arc<Semaphore>,
    port: u16,
    timeout: Duration,
}

impl Default for Prober {
    fn default() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
            port: u16::try_from(CONTAINER_PORT).unwrap_or(8000),
            timeout: TIMEOUT,
        }
    }
}

impl Prober {
    /// A prober of `port` (tests serve `/status` on a free local port).
    pub fn with_port(port: u16, timeout: Duration) -> Self {
        Self {
            port,
            timeout,
            ..Self::default()
        }
    }

    /// One report per address, in the same order.
    pub async fn ask(&self, pods: &[IpAddr]) -> Vec<PodReport> {
        let asks: Vec<_> = pods
            .iter()
            .map(|ip| {
                let prober = self.clone();
                let ip = *ip;
                async move { prober.ask_one(ip).await }
            })
            .collect();
        futures::stream::iter(asks)
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    async fn ask_one(&self, ip: IpAddr) -> PodReport {
        let Ok(_permit) = self.permits.acquire().await else {
            return PodReport::NoAnswer;
        };
        let addr = SocketAddr::new(ip, self.port);
        match tokio::time::timeout(self.timeout, fetch(addr)).await {
            Ok(Ok(body)) => parse(&body),
            Ok(Err(e)) => {
                tracing::debug!(%addr, error = %e, "server /status did not answer");
                PodReport::NoAnswer
            }
            Err(_) => {
                tracing::debug!(%addr, "server /status did not answer in time");
                PodReport::NoAnswer
            }
        }
    }
}

/// Why a pod's `/status` could not be read.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("connecting: {0}")]
    Connect(#[source] std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("building the request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("answered HTTP {0}")]
    Status(hyper::StatusCode),
    #[error("reading the body (at most {MAX_BODY} bytes): {0}")]
    Body(String),
}

/// One HTTP/1.1 `GET /status` to `addr` (the Host is the address: the server's probe routes
/// accept IP literals), its body read up to [`MAX_BODY`].
async fn fetch(addr: SocketAddr) -> Result<Bytes, FetchError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(FetchError::Connect)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let request = hyper::Request::get("/status")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())?;
    let exchange = async {
        let response = sender.send_request(request).await?;
        if response.status() != hyper::StatusCode::OK {
            return Err(FetchError::Status(response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| FetchError::Body(e.to_string()))?;
        Ok(body.to_bytes())
    };
    // The connection is driven beside the exchange and dropped with it. When it ends first
    // (the server closed after answering), what it delivered is still read.
    tokio::pin!(connection, exchange);
    tokio::select! {
        biased;
        result = &mut exchange => result,
        closed = &mut connection => {
            closed?;
            exchange.await
        }
    }
}

/// The parts of the server's `/status` JSON the operator reads.
#[derive(Deserialize)]
struct Status {
    spotify: Spotify,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spotify {
    credentials: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    rate_limited_for_seconds: Option<u64>,
}

/// The report a `/status` body makes. An unusable answer without an error kind (a server from
/// before the kinds) is `unknown`; a body that is not the server's JSON is no answer.
pub fn parse(body: &[u8]) -> PodReport {
    let Ok(status) = serde_json::from_slice::<Status>(body) else {
        return PodReport::NoAnswer;
    };
    let spotify = status.spotify;
    match spotify.credentials.as_str() {
        "usable" => PodReport::Usable {
            rate_limited_for: spotify.rate_limited_for_seconds,
        },
        "unusable" => PodReport::Unusable {
            error: spotify
                .error
                .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .unwrap_or_else(|| "unknown".to_owned()),
            rate_limited_for: spotify.rate_limited_for_seconds,
        },
        _ => PodReport::NoAnswer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_server_status_json_becomes_a_report() {
        assert_eq!(
            parse(br#"{"ready":true,"version":"0.1.0","spotify":{"credentials":"usable"},"redis":{"configured":false}}"#),
            PodReport::Usable {
                rate_limited_for: None
            }
        );
        assert_eq!(
            parse(br#"{"spotify":{"credentials":"usable","rateLimitedForSeconds":42}}"#),
            PodReport::Usable {
                rate_limited_for: Some(42)
            }
        );
        assert_eq!(
            parse(
                br#"{"spotify":{"credentials":"unusable","reason":"Spotify authorisation is no longer valid","error":"reauth_required"}}"#
            ),
            PodReport::Unusable {
                error: "reauth_required".to_owned(),
                rate_limited_for: None
            }
        );
        // An older server names no kind; an odd kind is not copied into the status.
        for body in [
            r#"{"spotify":{"credentials":"unusable","reason":"x"}}"#,
            r#"{"spotify":{"credentials":"unusable","error":"Bearer abc.def"}}"#,
        ] {
            assert_eq!(
                parse(body.as_bytes()),
                PodReport::Unusable {
                    error: "unknown".to_owned(),
                    rate_limited_for: None
                },
                "{body}"
            );
        }
        assert_eq!(parse(b"not json"), PodReport::NoAnswer);
        assert_eq!(
            parse(br#"{"spotify":{"credentials":"maybe"}}"#),
            PodReport::NoAnswer
        );
    }

    /// Serves one connection per answer: reads the request, writes `answer` (or nothing).
    async fn serve(answers: Vec<Option<Vec<u8>>>) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let mut requests = Vec::new();
            for answer in answers {
                let (mut socket, _) = listener.accept().await.expect("accept");
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.expect("read");
                requests.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                match answer {
                    Some(bytes) => {
                        let _ = socket.write_all(&bytes).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            }
            requests
        });
        (port, task)
    }

    fn ok_response(body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn asks_the_pod_address_and_reads_its_answer() {
        let (port, server) = serve(vec![Some(ok_response(
            r#"{"spotify":{"credentials":"unusable","error":"transport"}}"#,
        ))])
        .await;
        let prober = Prober::with_port(port, Duration::from_secs(2));
        let reports = prober.ask(&[IpAddr::V4(Ipv4Addr::LOCALHOST)]).await;
        assert_eq!(
            reports,
            [PodReport::Unusable {
                error: "transport".to_owned(),
                rate_limited_for: None
            }]
        );
        let requests = server.await.expect("server");
        assert!(
            requests[0].starts_with("GET /status HTTP/1.1\r\n"),
            "{requests:?}"
        );
        assert!(
            requests[0]
                .to_ascii_lowercase()
                .contains(&format!("host: 127.0.0.1:{port}\r\n")),
            "{requests:?}"
        );
    }

    #[tokio::test]
    async fn a_slow_pod_an_error_status_and_a_huge_body_are_no_answer() {
        let huge = format!(
            r#"{{"spotify":{{"credentials":"usable"}},"pad":"{}"}}"#,
            "x".repeat(MAX_BODY)
        );
        let (port, _server) = serve(vec![
            None,
            Some(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n".to_vec()),
            Some(ok_response(&huge)),
        ])
        .await;
        let prober = Prober::with_port(port, Duration::from_millis(300));
        let started = std::time::Instant::now();
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..3 {
            assert_eq!(prober.ask(&[localhost]).await, [PodReport::NoAnswer]);
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        // Nothing listens: no answer either, at once.
        let closed = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let prober = Prober::with_port(closed, Duration::from_secs(2));
        assert_eq!(prober.ask(&[localhost]).await, [PodReport::NoAnswer]);
    }
}
