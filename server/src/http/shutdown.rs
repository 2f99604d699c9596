//! Graceful shutdown: on SIGTERM/SIGINT stop accepting connections, let in-flight MCP
//! requests finish for a bounded grace period, then cancel what is left (open SSE streams,
//! sessions) so the process exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use tokio_util::sync::CancellationToken;

/// Number of MCP POST requests whose response has not been fully sent yet.
#[derive(Clone, Default, Debug)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(self.0.clone())
    }
}

/// Decrements the in-flight count when the response body is finished or dropped.
struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Middleware counting POSTs (JSON-RPC requests) until their response body completes.
/// Standalone GET event streams are not counted: they never finish on their own.
pub async fn track_in_flight(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let guard = in_flight.enter();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body = body.map_frame(move |frame| {
        let _keep_alive_until_body_ends = &guard;
        frame
    });
    Response::from_parts(parts, Body::new(body))
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// The graceful-shutdown future given to axum: resolves as soon as `stop` fires (axum then
/// stops accepting and waits for open connections), and in the background waits for in-flight
/// requests to drain (bounded by `grace`) before cancelling the MCP service's remaining streams.
pub async fn drain(
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    in_flight: InFlight,
    cancel: CancellationToken,
    grace: Duration,
) {
    stop.await;
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + grace;
        while in_flight.count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = in_flight.count();
        if left > 0 {
            tracing::warn!(
                in_flight = left,
                "grace period over, cancelling remaining MCP requests"
            );
        } else {
            tracing::info!("in-flight MCP requests finished");
        }
        cancel.cancel();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_decrements_on_drop() {
        let f = InFlight::default();
        let g1 = f.enter();
        let g2 = f.enter();
        assert_eq!(f.count(), 2);
        drop(g1);
        assert_eq!(f.count(), 1);
        drop(g2);
        assert_eq!(f.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn drain_cancels_after_grace_when_requests_hang() {
        let f = InFlight::default();
        let _hung = f.enter();
        let cancel = CancellationToken::new();
        drain(async {}, f.clone(), cancel.clone(), Duration::from_secs(3)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            !cancel.is_cancelled(),
            "cancelled before the grace period ended"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(cancel.is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn drain_cancels_as_soon_as_requests_finish() {
        let f = InFlight::default();
        let g = f.enter();
        let cancel = CancellationToken::new();
        drain(async {}, f.clone(), cancel.clone(), Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!cancel.is_cancelled());
        drop(g);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(cancel.is_cancelled());
    }
}
