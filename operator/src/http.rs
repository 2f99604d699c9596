//! The operator's own HTTP endpoints: /metrics (Prometheus), /healthz (process alive),
//! /readyz (caches synced, or a healthy standby replica waiting for the leader Lease).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;

/// Readiness inputs.
#[derive(Clone, Default)]
pub struct Health {
    /// The controller's caches are synced.
    pub synced: Arc<AtomicBool>,
    /// This replica waits for the leader Lease (ready: it is healthy, just not active).
    pub standby: Arc<AtomicBool>,
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    health: Health,
}

/// The router serving the three endpoints.
pub fn router(metrics: Metrics, health: Health) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, health })
}

async fn metrics_handler(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.health.synced.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok: caches synced\n")
    } else if state.health.standby.load(Ordering::SeqCst) {
        (
            StatusCode::OK,
            "ok: standby, waiting for the leader Lease\n",
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: caches are syncing\n",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str) -> (StatusCode, String) {
        let response = router
            .clone()
            .oneshot(
                axum::http::Request::get(path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("router answers");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn readiness_follows_cache_sync_and_standby() {
        let health = Health::default();
        let router = router(Metrics::new().expect("metrics"), health.clone());
        assert_eq!(get(&router, "/healthz").await.0, StatusCode::OK);
        assert_eq!(
            get(&router, "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        health.standby.store(true, Ordering::SeqCst);
        assert_eq!(
            get(&router, "/readyz").await,
            (
                StatusCode::OK,
                "ok: standby, waiting for the leader Lease\n".into()
            )
        );
        health.standby.store(false, Ordering::SeqCst);
        health.synced.store(true, Ordering::SeqCst);
        assert_eq!(
            get(&router, "/readyz").await,
            (StatusCode::OK, "ok: caches synced\n".into())
        );
    }

    #[tokio::test]
    async fn metrics_are_exposed_in_text_format() {
        let metrics = Metrics::new().expect("metrics");
        metrics
            .reconciliations
            .with_label_values(&["success"])
            .inc();
        let (status, body) = get(&router(metrics, Health::default()), "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("spotify_mcp_operator_reconciliations_total"));
    }
}
