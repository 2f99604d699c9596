//! The metric families: names, help texts, label names and buckets, registered once.

use prometheus::{
    Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry,
};

use super::MetricsError;

/// Latency buckets from 0.5 ms to 10 s (tool calls and Spotify API requests).
pub(super) const DURATION_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Buckets for the Retry-After values Spotify sends with 429 responses.
pub(super) const RETRY_AFTER_BUCKETS: [f64; 10] =
    [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 3600.0];

pub(super) const TOOL_CALLS: &str = "spotify_mcp_tool_calls_total";
pub(super) const TOOL_CALL_DURATION: &str = "spotify_mcp_tool_call_duration_seconds";
pub(super) const ACTIVE_REQUESTS: &str = "spotify_mcp_active_requests";
pub(super) const CACHE_HIT_RATE: &str = "spotify_mcp_cache_hit_rate";
pub(super) const CACHE_OPERATIONS: &str = "spotify_mcp_cache_operations_total";
pub(super) const CACHE_ENTRIES: &str = "spotify_mcp_cache_entries";
pub(super) const CACHE_BYTES: &str = "spotify_mcp_cache_bytes";
pub(super) const API_REQUESTS: &str = "spotify_mcp_spotify_api_requests_total";
pub(super) const API_REQUEST_DURATION: &str = "spotify_mcp_spotify_api_request_duration_seconds";
pub(super) const RATE_LIMITED: &str = "spotify_mcp_spotify_rate_limited_total";
pub(super) const RETRY_AFTER: &str = "spotify_mcp_spotify_retry_after_seconds";
pub(super) const RATE_LIMIT_WAIT: &str = "spotify_mcp_spotify_rate_limit_wait_seconds";
pub(super) const RATE_LIMIT_GATE_CLOSED: &str = "spotify_mcp_spotify_rate_limit_gate_closed";
pub(super) const TOKEN_REFRESHES: &str = "spotify_mcp_token_refreshes_total";
pub(super) const HTTP_AUTH_FAILURES: &str = "spotify_mcp_http_auth_failures_total";
pub(super) const OAUTH_EVENTS: &str = "spotify_mcp_oauth_events_total";
pub(super) const SERVER_INFO: &str = "spotify_mcp_server_info";
pub(super) const TOKEN_LAST_REFRESH_SUCCESS: &str = "spotify_mcp_token_last_refresh_success";
pub(super) const TOKEN_LAST_REFRESH: &str = "spotify_mcp_token_last_refresh_timestamp_seconds";
pub(super) const CREDENTIALS_AUTHORIZATION_KNOWN: &str =
    "spotify_mcp_credentials_authorization_known";
pub(super) const CREDENTIALS_AUTHORIZED: &str =
    "spotify_mcp_credentials_authorized_timestamp_seconds";
pub(super) const CREDENTIALS_EXPIRY: &str = "spotify_mcp_credentials_expiry_timestamp_seconds";

/// Every family of the server (process metrics come from the process collector).
pub(super) struct Families {
    pub registry: Registry,
    pub tool_calls: IntCounterVec,
    pub tool_call_duration: HistogramVec,
    pub active_requests: IntGauge,
    pub cache_hit_rate: Gauge,
    pub cache_operations: IntCounterVec,
    pub cache_entries: IntGauge,
    pub cache_bytes: IntGauge,
    pub api_requests: IntCounterVec,
    pub api_request_duration: HistogramVec,
    pub rate_limited: IntCounter,
    pub retry_after: Histogram,
    pub rate_limit_wait: HistogramVec,
    pub rate_limit_gate_closed: IntGauge,
    pub token_refreshes: IntCounterVec,
    pub http_auth_failures: IntCounterVec,
    pub oauth_events: IntCounterVec,
    // The gauges below have no labels and are vectors only so that they can be absent: a series
    // exists once its value is known (no refresh yet, no user credentials, unknown date).
    pub token_last_refresh_success: GaugeVec,
    pub token_last_refresh: GaugeVec,
    pub credentials_authorization_known: GaugeVec,
    pub credentials_authorized: GaugeVec,
    pub credentials_expiry: GaugeVec,
}

fn register<C>(registry: &Registry, name: &'static str, collector: C) -> Result<C, MetricsError>
where
    C: prometheus::core::Collector + Clone + 'static,
{
    registry
        .register(Box::new(collector.clone()))
        .map_err(|source| MetricsError::Register { name, source })?;
    Ok(collector)
}

fn new<C>(name: &'static str, made: prometheus::Result<C>) -> Result<C, MetricsError> {
    made.map_err(|source| MetricsError::Register { name, source })
}

impl Families {
    pub fn new(version: &str) -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let r = &registry;
        let tool_calls = new(
            TOOL_CALLS,
            IntCounterVec::new(
                Opts::new(
                    TOOL_CALLS,
                    "MCP tool calls by tool and outcome (success|error).",
                ),
                &["tool", "status"],
            ),
        )?;
        let tool_call_duration = new(
            TOOL_CALL_DURATION,
            HistogramVec::new(
                HistogramOpts::new(TOOL_CALL_DURATION, "Duration of MCP tool calls in seconds.")
                    .buckets(DURATION_BUCKETS.to_vec()),
                &["tool"],
            ),
        )?;
        let active_requests = new(
            ACTIVE_REQUESTS,
            IntGauge::new(ACTIVE_REQUESTS, "MCP tool calls in flight."),
        )?;
        let cache_hit_rate = new(
            CACHE_HIT_RATE,
            Gauge::new(
                CACHE_HIT_RATE,
                "Share of cache lookups answered from the cache since the process started, 0..1 \
                 (0 before the first lookup). For a windowed ratio use rate() over \
                 spotify_mcp_cache_operations_total{operation=\"get\"}.",
            ),
        )?;
        let cache_operations = new(
            CACHE_OPERATIONS,
            IntCounterVec::new(
                Opts::new(
                    CACHE_OPERATIONS,
                    "Response cache operations (get|set|invalidate) by result (hit|miss|ok|error).",
                ),
                &["operation", "result"],
            ),
        )?;
        let cache_entries = new(
            CACHE_ENTRIES,
            IntGauge::new(CACHE_ENTRIES, "Entries in the response cache."),
        )?;
        let cache_bytes = new(
            CACHE_BYTES,
            IntGauge::new(
                CACHE_BYTES,
                "Approximate size of the cached responses in bytes.",
            ),
        )?;
        let api_requests = new(
            API_REQUESTS,
            IntCounterVec::new(
                Opts::new(
                    API_REQUESTS,
                    "Requests to the Spotify Web API by route template, method and HTTP status \
                     (or timeout|transport_error).",
                ),
                &["endpoint", "method", "status"],
            ),
        )?;
        let api_request_duration = new(
            API_REQUEST_DURATION,
            HistogramVec::new(
                HistogramOpts::new(
                    API_REQUEST_DURATION,
                    "Duration of Spotify Web API requests in seconds, by route template.",
                )
                .buckets(DURATION_BUCKETS.to_vec()),
                &["endpoint"],
            ),
        )?;
        let rate_limited = new(
            RATE_LIMITED,
            IntCounter::new(
                RATE_LIMITED,
                "Spotify responses with status 429 (rate limited).",
            ),
        )?;
        let retry_after = new(
            RETRY_AFTER,
            Histogram::with_opts(
                HistogramOpts::new(
                    RETRY_AFTER,
                    "Retry-After values (seconds) Spotify sent with 429 responses.",
                )
                .buckets(RETRY_AFTER_BUCKETS.to_vec()),
            ),
        )?;
        let rate_limit_wait = new(
            RATE_LIMIT_WAIT,
            HistogramVec::new(
                HistogramOpts::new(
                    RATE_LIMIT_WAIT,
                    "Time Spotify requests waited before being sent, in seconds, by cause: \
                     gate (a 429's Retry-After, learnt by this or another call) or limiter \
                     (a fixed --spotify-rate-limit). Only requests that waited are counted.",
                )
                .buckets(DURATION_BUCKETS.to_vec()),
                &["cause"],
            ),
        )?;
        let rate_limit_gate_closed = new(
            RATE_LIMIT_GATE_CLOSED,
            IntGauge::new(
                RATE_LIMIT_GATE_CLOSED,
                "1 while a 429's Retry-After holds every request to Spotify, else 0.",
            ),
        )?;
        let token_refreshes = new(
            TOKEN_REFRESHES,
            IntCounterVec::new(
                Opts::new(
                    TOKEN_REFRESHES,
                    "Access token refreshes by result (success|error).",
                ),
                &["result"],
            ),
        )?;
        let http_auth_failures = new(
            HTTP_AUTH_FAILURES,
            IntCounterVec::new(
                Opts::new(
                    HTTP_AUTH_FAILURES,
                    "Requests to /mcp refused by the bearer-token check, by reason \
                     (missing|wrong_scheme|invalid).",
                ),
                &["reason"],
            ),
        )?;
        let oauth_events = new(
            OAUTH_EVENTS,
            IntCounterVec::new(
                Opts::new(
                    OAUTH_EVENTS,
                    "Hosted mode (--oauth): sign-ins, token requests, token checks on /mcp, \
                     client registrations, grant revocations and Spotify token renewals of \
                     grants, by event and result. No user or client identity is a label.",
                ),
                &["event", "result"],
            ),
        )?;
        let optional_gauge =
            |name: &'static str, help: &str| new(name, GaugeVec::new(Opts::new(name, help), &[]));
        let token_last_refresh_success = optional_gauge(
            TOKEN_LAST_REFRESH_SUCCESS,
            "1 if the last access token refresh worked, 0 if it failed; absent before the first.",
        )?;
        let token_last_refresh = optional_gauge(
            TOKEN_LAST_REFRESH,
            "Unix time of the last access token refresh, successful or not; absent before the first.",
        )?;
        let credentials_authorization_known = optional_gauge(
            CREDENTIALS_AUTHORIZATION_KNOWN,
            "1 if the server knows when the user authorised its Spotify credentials, 0 if not \
             (SPOTIFY_AUTHORIZED_AT unset, or a token file from before dates were recorded); \
             absent for app-only credentials and the sandbox.",
        )?;
        let credentials_authorized = optional_gauge(
            CREDENTIALS_AUTHORIZED,
            "Unix time the user authorised the server's Spotify credentials; absent when unknown.",
        )?;
        let credentials_expiry = optional_gauge(
            CREDENTIALS_EXPIRY,
            "Unix time the refresh token stops working (six calendar months after the user \
             authorised; refreshing does not extend it); absent when unknown.",
        )?;
        let server_info = new(
            SERVER_INFO,
            IntGaugeVec::new(
                Opts::new(SERVER_INFO, "Build information of the server; always 1."),
                &["version"],
            ),
        )?;
        server_info.with_label_values(&[version]).set(1);

        // Series that dashboards and alerts divide by exist from the start (at 0), so
        // rate() has a baseline as soon as the first scrape happens.
        for op in super::CacheOperation::ALL {
            for result in super::CacheResult::ALL {
                if super::handle::valid_cache_pair(op, result) {
                    cache_operations.with_label_values(&[op.as_str(), result.as_str()]);
                }
            }
        }
        for result in ["success", "error"] {
            token_refreshes.with_label_values(&[result]);
        }
        for reason in super::AuthFailure::ALL {
            http_auth_failures.with_label_values(&[reason.as_str()]);
        }

        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .map_err(|source| MetricsError::Register {
                name: "process",
                source,
            })?;

        register(r, SERVER_INFO, server_info)?;

        Ok(Self {
            tool_calls: register(r, TOOL_CALLS, tool_calls)?,
            tool_call_duration: register(r, TOOL_CALL_DURATION, tool_call_duration)?,
            active_requests: register(r, ACTIVE_REQUESTS, active_requests)?,
            cache_hit_rate: register(r, CACHE_HIT_RATE, cache_hit_rate)?,
            cache_operations: register(r, CACHE_OPERATIONS, cache_operations)?,
            cache_entries: register(r, CACHE_ENTRIES, cache_entries)?,
            cache_bytes: register(r, CACHE_BYTES, cache_bytes)?,
            api_requests: register(r, API_REQUESTS, api_requests)?,
            api_request_duration: register(r, API_REQUEST_DURATION, api_request_duration)?,
            rate_limited: register(r, RATE_LIMITED, rate_limited)?,
            retry_after: register(r, RETRY_AFTER, retry_after)?,
            rate_limit_wait: register(r, RATE_LIMIT_WAIT, rate_limit_wait)?,
            rate_limit_gate_closed: register(r, RATE_LIMIT_GATE_CLOSED, rate_limit_gate_closed)?,
            token_refreshes: register(r, TOKEN_REFRESHES, token_refreshes)?,
            http_auth_failures: register(r, HTTP_AUTH_FAILURES, http_auth_failures)?,
            oauth_events: register(r, OAUTH_EVENTS, oauth_events)?,
            token_last_refresh_success: register(
                r,
                TOKEN_LAST_REFRESH_SUCCESS,
                token_last_refresh_success,
            )?,
            token_last_refresh: register(r, TOKEN_LAST_REFRESH, token_last_refresh)?,
            credentials_authorization_known: register(
                r,
                CREDENTIALS_AUTHORIZATION_KNOWN,
                credentials_authorization_known,
            )?,
            credentials_authorized: register(r, CREDENTIALS_AUTHORIZED, credentials_authorized)?,
            credentials_expiry: register(r, CREDENTIALS_EXPIRY, credentials_expiry)?,
            registry,
        })
    }
}
