//! Errors of the metrics module.

/// Registering or encoding metrics failed. Both are programming errors in practice (a
/// duplicate metric name); they are reported, never panicked on.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("could not register metric {name}: {source}")]
    Register {
        name: &'static str,
        #[source]
        source: prometheus::Error,
    },
    #[error("could not encode the metrics in the Prometheus text format: {0}")]
    Encode(#[source] prometheus::Error),
}
