//! The operator's own Prometheus metrics. Labels are bounded: outcomes, error kinds and child
//! kinds, never object names (a thousand SpotifyMcps must not make a thousand series).

use kube::runtime::watcher;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// All metrics, registered in one registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Reconciles by result (`success` | `error`).
    pub reconciliations: IntCounterVec,
    /// Reconcile duration by result.
    pub reconcile_duration: HistogramVec,
    /// Failed reconciles by error kind.
    pub failures: IntCounterVec,
    /// Write requests sent to the API server, by resource and verb (apply, delete, status, event).
    pub writes: IntCounterVec,
    /// 1 while this replica holds the leader Lease (or runs without leader election).
    pub leader: IntGauge,
    /// Failed list/watch requests by watched resource and reason (see [`watch_error_reason`]);
    /// every one is retried with backoff.
    pub watch_errors: IntCounterVec,
}

/// A metric could not be registered (duplicate name: a bug).
#[derive(Debug, thiserror::Error)]
#[error("cannot register operator metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new_custom(Some("spotify_mcp_operator".to_owned()), None)?;
        let reconciliations = IntCounterVec::new(
            Opts::new(
                "reconciliations_total",
                "Reconciles of SpotifyMcp objects by result",
            ),
            &["result"],
        )?;
        let reconcile_duration = HistogramVec::new(
            HistogramOpts::new(
                "reconcile_duration_seconds",
                "Duration of one SpotifyMcp reconcile",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["result"],
        )?;
        let failures = IntCounterVec::new(
            Opts::new(
                "reconcile_failures_total",
                "Failed reconciles by error kind",
            ),
            &["kind"],
        )?;
        let writes = IntCounterVec::new(
            Opts::new(
                "api_writes_total",
                "Write requests sent to the Kubernetes API by resource and verb",
            ),
            &["resource", "verb"],
        )?;
        let leader = IntGauge::new("leader", "1 while this replica is the active controller")?;
        let watch_errors = IntCounterVec::new(
            Opts::new(
                "watch_errors_total",
                "Failed list or watch requests by watched resource and reason (retried with backoff)",
            ),
            &["resource", "reason"],
        )?;
        registry.register(Box::new(reconciliations.clone()))?;
        registry.register(Box::new(reconcile_duration.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(writes.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        registry.register(Box::new(watch_errors.clone()))?;
        Ok(Self {
            registry,
            reconciliations,
            reconcile_duration,
            failures,
            writes,
            leader,
            watch_errors,
        })
    }

    /// Records one write request.
    pub fn wrote(&self, resource: &str, verb: &str) {
        self.writes.with_label_values(&[resource, verb]).inc();
    }

    /// Records one failed list or watch of `resource`.
    pub fn watch_failed(&self, resource: &str, error: &watcher::Error) {
        self.watch_errors
            .with_label_values(&[resource, watch_error_reason(error)])
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "cannot encode metrics");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// Bounded reason of a failed list or watch: `expired` (410 Gone: the resource version the watch
/// resumed from is no longer held, so the watcher lists again), `forbidden` (401/403: RBAC),
/// `not_found` (404: the API is not served), `api` (another API server status), `transport`
/// (connection refused, reset or timed out: the API server is unreachable), `decode` (an answer
/// that could not be read).
pub fn watch_error_reason(error: &watcher::Error) -> &'static str {
    fn client(e: &kube::Error) -> &'static str {
        match e {
            kube::Error::Api(status) => code(status.code),
            kube::Error::SerdeError(_) => "decode",
            _ => "transport",
        }
    }
    fn code(code: u16) -> &'static str {
        match code {
            410 => "expired",
            401 | 403 => "forbidden",
            404 => "not_found",
            _ => "api",
        }
    }
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => client(e),
        watcher::Error::WatchError(status) => code(status.code),
        watcher::Error::NoResourceVersion => "decode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prefixed_metrics_without_object_names() {
        let m = Metrics::new().expect("metrics");
        m.reconciliations.with_label_values(&["success"]).inc();
        m.failures.with_label_values(&["apply"]).inc();
        m.wrote("deployments", "apply");
        m.reconcile_duration
            .with_label_values(&["success"])
            .observe(0.02);
        let text = m.render();
        assert!(text.contains("spotify_mcp_operator_reconciliations_total{result=\"success\"} 1"));
        assert!(text.contains("spotify_mcp_operator_reconcile_failures_total{kind=\"apply\"} 1"));
        assert!(text.contains(
            "spotify_mcp_operator_api_writes_total{resource=\"deployments\",verb=\"apply\"} 1"
        ));
        assert!(text.contains("spotify_mcp_operator_reconcile_duration_seconds_bucket"));
    }

    #[test]
    fn watch_errors_are_counted_by_resource_and_bounded_reason() {
        let status = |code: u16, reason: &str| {
            Box::new(kube::core::Status::failure("x", reason).with_code(code))
        };
        let gone = watcher::Error::WatchError(status(410, "Expired"));
        assert_eq!(watch_error_reason(&gone), "expired");
        let list_gone = watcher::Error::InitialListFailed(kube::Error::Api(status(410, "Gone")));
        assert_eq!(watch_error_reason(&list_gone), "expired");
        let forbidden =
            watcher::Error::WatchStartFailed(kube::Error::Api(status(403, "Forbidden")));
        assert_eq!(watch_error_reason(&forbidden), "forbidden");
        let unavailable = watcher::Error::WatchError(status(503, "ServiceUnavailable"));
        assert_eq!(watch_error_reason(&unavailable), "api");
        let decode = watcher::Error::WatchFailed(kube::Error::SerdeError(
            serde_json::from_str::<u8>("x").expect_err("not a number"),
        ));
        assert_eq!(watch_error_reason(&decode), "decode");
        assert_eq!(
            watch_error_reason(&watcher::Error::NoResourceVersion),
            "decode"
        );

        let m = Metrics::new().expect("metrics");
        m.watch_failed("spotifymcps", &gone);
        assert!(m.render().contains(
            "spotify_mcp_operator_watch_errors_total{reason=\"expired\",resource=\"spotifymcps\"} 1"
        ));
    }
}
