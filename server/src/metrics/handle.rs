//! [`Metrics`]: the handle every layer records into.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus::{Encoder, Histogram, IntCounter, IntGauge, TextEncoder};

use super::families::Families;
use super::{
    ApiStatus, AuthFailure, CacheOperation, CacheResult, MetricsError, TokenRefreshResult,
};
use crate::spotify::auth::Authorization;
use crate::spotify::auth::expiry::refresh_token_expiry;

/// The `tool` label used for names that were not registered with [`Metrics::register_tools`].
pub const UNKNOWN_TOOL: &str = "unknown";
/// At most this many tool names get their own series; the tool surface is far smaller.
const MAX_TOOLS: usize = 256;
const MAX_TOOL_NAME_LEN: usize = 64;
/// The label values of the label-less gauge vectors (gauges that can be absent).
const NO_LABELS: [&str; 0] = [];

/// The process's metrics. Cheap to clone; all clones record into the same registry.
///
/// [`Metrics::disabled`] gives a handle whose recording methods do nothing (used to measure the
/// cost of the bookkeeping, and by tests that do not care about metrics).
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

struct Inner {
    families: Families,
    tools: RwLock<HashMap<Box<str>, ToolSeries>>,
    unknown_tool: ToolSeries,
    cache_get_hit: IntCounter,
    cache_get_miss: IntCounter,
    /// Until when the 429 gate is closed (the gauge is computed from it at scrape time).
    gate_closed_until: std::sync::Mutex<Option<Instant>>,
}

/// The series of one tool, resolved once so a call touches no label maps.
#[derive(Clone)]
struct ToolSeries {
    success: IntCounter,
    error: IntCounter,
    duration: Histogram,
}

impl ToolSeries {
    fn new(families: &Families, tool: &str) -> Self {
        Self {
            success: families.tool_calls.with_label_values(&[tool, "success"]),
            error: families.tool_calls.with_label_values(&[tool, "error"]),
            duration: families.tool_call_duration.with_label_values(&[tool]),
        }
    }
}

/// The pairs of cache operation and result that can happen.
pub(super) fn valid_cache_pair(op: CacheOperation, result: CacheResult) -> bool {
    matches!(
        (op, result),
        (
            CacheOperation::Get,
            CacheResult::Hit | CacheResult::Miss | CacheResult::Error
        ) | (
            CacheOperation::Set | CacheOperation::Invalidate,
            CacheResult::Ok | CacheResult::Error
        )
    )
}

fn valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TOOL_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// A fresh registry with every family of the server and the process metrics.
    pub fn new() -> Result<Self, MetricsError> {
        let families = Families::new(env!("CARGO_PKG_VERSION"))?;
        let unknown_tool = ToolSeries::new(&families, UNKNOWN_TOOL);
        let cache_get_hit = families.cache_operations.with_label_values(&["get", "hit"]);
        let cache_get_miss = families
            .cache_operations
            .with_label_values(&["get", "miss"]);
        Ok(Self {
            inner: Some(Arc::new(Inner {
                families,
                tools: RwLock::new(HashMap::new()),
                unknown_tool,
                cache_get_hit,
                cache_get_miss,
                gate_closed_until: std::sync::Mutex::new(None),
            })),
        })
    }

    /// A handle that records nothing and renders an empty exposition.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Declares the tool names that get their own `tool` label value, and creates their
    /// series at 0. Calls of other names are counted under `tool="unknown"`. Names that are
    /// not `[A-Za-z0-9_-]{1,64}` are ignored (and logged), as is anything past 256 names.
    pub fn register_tools<I, S>(&self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let Some(inner) = &self.inner else { return };
        let Ok(mut tools) = inner.tools.write() else {
            return;
        };
        for name in names {
            let name = name.as_ref();
            if !valid_tool_name(name) || name == UNKNOWN_TOOL {
                tracing::warn!(
                    tool = name,
                    "tool name not usable as a metric label; ignored"
                );
                continue;
            }
            if tools.len() >= MAX_TOOLS {
                tracing::warn!(
                    max = MAX_TOOLS,
                    "too many tool names for metrics; ignoring the rest"
                );
                break;
            }
            if !tools.contains_key(name) {
                tools.insert(name.into(), ToolSeries::new(&inner.families, name));
            }
        }
    }

    /// Starts timing a tool call and counts it as in flight until the guard is finished or
    /// dropped. A guard dropped without [`ToolCallGuard::finish`] (the call was cancelled)
    /// counts as an error.
    pub fn start_tool_call(&self, tool: &str) -> ToolCallGuard {
        let Some(inner) = &self.inner else {
            return ToolCallGuard { armed: None };
        };
        let series = inner
            .tools
            .read()
            .ok()
            .and_then(|tools| tools.get(tool).cloned())
            .unwrap_or_else(|| inner.unknown_tool.clone());
        inner.families.active_requests.inc();
        ToolCallGuard {
            armed: Some(Armed {
                series,
                active: inner.families.active_requests.clone(),
                start: Instant::now(),
            }),
        }
    }

    /// Counts one cache operation.
    pub fn record_cache(&self, op: CacheOperation, result: CacheResult) {
        let Some(inner) = &self.inner else { return };
        match (op, result) {
            (CacheOperation::Get, CacheResult::Hit) => inner.cache_get_hit.inc(),
            (CacheOperation::Get, CacheResult::Miss) => inner.cache_get_miss.inc(),
            _ => inner
                .families
                .cache_operations
                .with_label_values(&[op.as_str(), result.as_str()])
                .inc(),
        }
    }

    /// Reports the current size of the cache (entries and approximate bytes).
    pub fn set_cache_size(&self, entries: u64, bytes: u64) {
        let Some(inner) = &self.inner else { return };
        inner
            .families
            .cache_entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
        inner
            .families
            .cache_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// Counts one request to the Spotify Web API. `endpoint` is the route template as written
    /// in the API reference (e.g. `/tracks/{id}`), never a path with IDs in it.
    pub fn record_spotify_request(
        &self,
        endpoint: &'static str,
        method: &str,
        status: ApiStatus,
        elapsed: Duration,
    ) {
        let Some(inner) = &self.inner else { return };
        inner
            .families
            .api_requests
            .with_label_values(&[endpoint, method_label(method), status.label()])
            .inc();
        inner
            .families
            .api_request_duration
            .with_label_values(&[endpoint])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a 429 from Spotify and the Retry-After it asked for (if it sent one).
    pub fn record_rate_limited(&self, retry_after: Option<Duration>) {
        let Some(inner) = &self.inner else { return };
        inner.families.rate_limited.inc();
        if let Some(wait) = retry_after {
            inner.families.retry_after.observe(wait.as_secs_f64());
        }
    }

    /// A request waited `waited` before it was sent (`cause`: `gate` or `limiter`).
    pub fn record_rate_limit_wait(&self, cause: &'static str, waited: Duration) {
        let Some(inner) = &self.inner else { return };
        inner
            .families
            .rate_limit_wait
            .with_label_values(&[cause])
            .observe(waited.as_secs_f64());
    }

    /// The 429 gate is closed until `until`.
    pub fn record_gate_closed(&self, until: Instant) {
        let Some(inner) = &self.inner else { return };
        let mut closed = inner
            .gate_closed_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if closed.is_none_or(|known| known < until) {
            *closed = Some(until);
        }
    }

    /// Counts an access-token refresh and remembers it as the last one (outcome and time).
    pub fn record_token_refresh(&self, result: TokenRefreshResult) {
        let Some(inner) = &self.inner else { return };
        let families = &inner.families;
        families
            .token_refreshes
            .with_label_values(&[result.as_str()])
            .inc();
        let success = matches!(result, TokenRefreshResult::Success);
        families
            .token_last_refresh_success
            .with_label_values(&NO_LABELS)
            .set(if success { 1.0 } else { 0.0 });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        families
            .token_last_refresh
            .with_label_values(&NO_LABELS)
            .set(now);
    }

    /// Counts an event of the hosted mode; both labels come from fixed sets in `oauth`.
    pub fn oauth_event(&self, event: &'static str, result: &'static str) {
        let Some(inner) = &self.inner else { return };
        inner
            .families
            .oauth_events
            .with_label_values(&[event, result])
            .inc();
    }

    /// Counts a request to `/mcp` that the bearer check refused.
    pub fn record_auth_failure(&self, reason: AuthFailure) {
        let Some(inner) = &self.inner else { return };
        inner
            .families
            .http_auth_failures
            .with_label_values(&[reason.as_str()])
            .inc();
    }

    /// Reports when the user authorised the credentials in use. App-only credentials (and the
    /// sandbox, which callers do not report) have no series; an unknown date has only
    /// `spotify_mcp_credentials_authorization_known 0`, never a guessed timestamp.
    pub fn set_credentials_authorization(&self, authorization: Authorization) {
        let Some(inner) = &self.inner else { return };
        let families = &inner.families;
        let gauges = [
            &families.credentials_authorization_known,
            &families.credentials_authorized,
            &families.credentials_expiry,
        ];
        for gauge in gauges {
            let _ = gauge.remove_label_values(&NO_LABELS);
        }
        let at = match authorization {
            Authorization::AppOnly => return,
            Authorization::Unknown => None,
            Authorization::At(at) => Some(at),
        };
        families
            .credentials_authorization_known
            .with_label_values(&NO_LABELS)
            .set(if at.is_some() { 1.0 } else { 0.0 });
        if let Some(at) = at {
            let seconds = |t: chrono::DateTime<chrono::Utc>| t.timestamp() as f64;
            families
                .credentials_authorized
                .with_label_values(&NO_LABELS)
                .set(seconds(at));
            families
                .credentials_expiry
                .with_label_values(&NO_LABELS)
                .set(seconds(refresh_token_expiry(at)));
        }
    }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> Result<String, MetricsError> {
        let Some(inner) = &self.inner else {
            return Ok(String::new());
        };
        let hits = inner.cache_get_hit.get();
        let lookups = hits + inner.cache_get_miss.get();
        let ratio = if lookups == 0 {
            0.0
        } else {
            hits as f64 / lookups as f64
        };
        inner.families.cache_hit_rate.set(ratio);
        let gate_closed = inner
            .gate_closed_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_some_and(|until| until > Instant::now());
        inner
            .families
            .rate_limit_gate_closed
            .set(i64::from(gate_closed));
        let mut out = Vec::with_capacity(16 * 1024);
        TextEncoder::new()
            .encode(&inner.families.registry.gather(), &mut out)
            .map_err(MetricsError::Encode)?;
        String::from_utf8(out)
            .map_err(|e| MetricsError::Encode(prometheus::Error::Msg(format!("not UTF-8: {e}"))))
    }
}

struct Armed {
    series: ToolSeries,
    active: IntGauge,
    start: Instant,
}

/// A tool call in flight (see [`Metrics::start_tool_call`]).
#[must_use = "finish the guard with the call's outcome"]
pub struct ToolCallGuard {
    armed: Option<Armed>,
}

impl ToolCallGuard {
    /// Records the call's outcome and duration.
    pub fn finish(mut self, success: bool) {
        if let Some(armed) = self.armed.take() {
            armed.record(success);
        }
    }

    /// Ends a call that only asked the client for input (2026-07-28 `input_required`): the
    /// retry that carries the answer is the call counted.
    pub fn suspend(mut self) {
        if let Some(armed) = self.armed.take() {
            armed.active.dec();
        }
    }
}

impl Armed {
    fn record(self, success: bool) {
        let counter = if success {
            &self.series.success
        } else {
            &self.series.error
        };
        counter.inc();
        self.series
            .duration
            .observe(self.start.elapsed().as_secs_f64());
        self.active.dec();
    }
}

impl Drop for ToolCallGuard {
    fn drop(&mut self) {
        if let Some(armed) = self.armed.take() {
            armed.record(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of one sample line `name{labels} value` in an exposition, if present.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    fn label_values(text: &str, metric: &str, label: &str) -> Vec<String> {
        let needle = format!("{label}=\"");
        let mut values: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with(metric) && !l.starts_with('#'))
            .filter_map(|l| {
                let rest = &l[l.find(&needle)? + needle.len()..];
                Some(rest[..rest.find('"')?].to_owned())
            })
            .collect();
        values.sort();
        values.dedup();
        values
    }

    #[test]
    fn renders_every_family_of_the_issue() {
        let m = Metrics::new().unwrap();
        m.register_tools(["search"]);
        let text = m.render().unwrap();
        for name in [
            "spotify_mcp_tool_calls_total",
            "spotify_mcp_tool_call_duration_seconds",
            "spotify_mcp_active_requests",
            "spotify_mcp_cache_hit_rate",
            "spotify_mcp_cache_operations_total",
            "spotify_mcp_cache_entries",
            "spotify_mcp_cache_bytes",
            "spotify_mcp_spotify_rate_limited_total",
            "spotify_mcp_spotify_retry_after_seconds",
            "spotify_mcp_token_refreshes_total",
            "spotify_mcp_http_auth_failures_total",
            "spotify_mcp_server_info",
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} missing:\n{text}"
            );
        }
        let version = format!(
            "spotify_mcp_server_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &version), Some(1.0));
        assert_eq!(
            sample(
                &text,
                r#"spotify_mcp_tool_calls_total{status="error",tool="search"}"#
            ),
            Some(0.0)
        );
    }

    #[test]
    fn tool_calls_count_outcomes_durations_and_requests_in_flight() {
        let m = Metrics::new().unwrap();
        m.register_tools(["search", "get_item"]);
        let first = m.start_tool_call("search");
        let second = m.start_tool_call("get_item");
        let text = m.render().unwrap();
        assert_eq!(sample(&text, "spotify_mcp_active_requests"), Some(2.0));
        first.finish(true);
        second.finish(false);
        drop(m.start_tool_call("search")); // cancelled: counted as an error
        let text = m.render().unwrap();
        assert_eq!(sample(&text, "spotify_mcp_active_requests"), Some(0.0));
        let ok = r#"spotify_mcp_tool_calls_total{status="success",tool="search"}"#;
        let err = r#"spotify_mcp_tool_calls_total{status="error",tool="search"}"#;
        assert_eq!(sample(&text, ok), Some(1.0));
        assert_eq!(sample(&text, err), Some(1.0));
        let err = r#"spotify_mcp_tool_calls_total{status="error",tool="get_item"}"#;
        assert_eq!(sample(&text, err), Some(1.0));
        let count = r#"spotify_mcp_tool_call_duration_seconds_count{tool="search"}"#;
        assert_eq!(sample(&text, count), Some(2.0));
        let smallest =
            r#"spotify_mcp_tool_call_duration_seconds_bucket{tool="search",le="0.0005"}"#;
        assert!(sample(&text, smallest).is_some(), "0.5 ms bucket missing");
        let largest = r#"spotify_mcp_tool_call_duration_seconds_bucket{tool="search",le="10"}"#;
        assert_eq!(sample(&text, largest), Some(2.0));
    }

    #[test]
    fn tool_label_is_bounded_to_registered_names() {
        let m = Metrics::new().unwrap();
        m.register_tools(["search", "bad name", "x".repeat(65).as_str(), "unknown"]);
        for i in 0..1000 {
            m.start_tool_call(&format!("spotify:track:{i}"))
                .finish(true);
        }
        m.start_tool_call("search").finish(true);
        let text = m.render().unwrap();
        assert_eq!(
            label_values(&text, "spotify_mcp_tool_calls_total", "tool"),
            ["search", "unknown"]
        );
        let unknown = r#"spotify_mcp_tool_calls_total{status="success",tool="unknown"}"#;
        assert_eq!(sample(&text, unknown), Some(1000.0));
        // registering past the cap is refused
        m.register_tools((0..400).map(|i| format!("tool_{i}")));
        let text = m.render().unwrap();
        let tools = label_values(&text, "spotify_mcp_tool_calls_total", "tool");
        assert_eq!(tools.len(), MAX_TOOLS + 1, "cap plus `unknown`");
    }

    #[test]
    fn cache_hit_rate_is_a_ratio_of_gets() {
        let m = Metrics::new().unwrap();
        let text = m.render().unwrap();
        assert_eq!(sample(&text, "spotify_mcp_cache_hit_rate"), Some(0.0));
        m.record_cache(CacheOperation::Get, CacheResult::Miss);
        m.record_cache(CacheOperation::Set, CacheResult::Ok);
        for _ in 0..3 {
            m.record_cache(CacheOperation::Get, CacheResult::Hit);
        }
        m.record_cache(CacheOperation::Get, CacheResult::Error);
        m.record_cache(CacheOperation::Invalidate, CacheResult::Ok);
        m.set_cache_size(4, 2048);
        let text = m.render().unwrap();
        assert_eq!(sample(&text, "spotify_mcp_cache_hit_rate"), Some(0.75));
        let hit = r#"spotify_mcp_cache_operations_total{operation="get",result="hit"}"#;
        assert_eq!(sample(&text, hit), Some(3.0));
        let err = r#"spotify_mcp_cache_operations_total{operation="get",result="error"}"#;
        assert_eq!(sample(&text, err), Some(1.0));
        let inv = r#"spotify_mcp_cache_operations_total{operation="invalidate",result="ok"}"#;
        assert_eq!(sample(&text, inv), Some(1.0));
        assert_eq!(sample(&text, "spotify_mcp_cache_entries"), Some(4.0));
        assert_eq!(sample(&text, "spotify_mcp_cache_bytes"), Some(2048.0));
    }

    #[test]
    fn spotify_requests_rate_limits_and_refreshes() {
        let m = Metrics::new().unwrap();
        let ms = Duration::from_millis(3);
        m.record_spotify_request("/tracks/{id}", "GET", ApiStatus::Http(200), ms);
        m.record_spotify_request("/tracks/{id}", "GET", ApiStatus::Http(429), ms);
        m.record_spotify_request("/me/player/play", "PUT", ApiStatus::Timeout, ms);
        m.record_spotify_request("/me", "BREW", ApiStatus::Http(1000), ms);
        m.record_rate_limited(Some(Duration::from_secs(7)));
        m.record_rate_limited(None);
        m.record_token_refresh(TokenRefreshResult::Success);
        m.record_token_refresh(TokenRefreshResult::Error);
        m.record_token_refresh(TokenRefreshResult::Error);
        let text = m.render().unwrap();
        let s = |series: &str| sample(&text, series);
        assert_eq!(
            s(
                r#"spotify_mcp_spotify_api_requests_total{endpoint="/tracks/{id}",method="GET",status="429"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            s(
                r#"spotify_mcp_spotify_api_requests_total{endpoint="/me/player/play",method="PUT",status="timeout"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            s(
                r#"spotify_mcp_spotify_api_requests_total{endpoint="/me",method="OTHER",status="invalid"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            s(r#"spotify_mcp_spotify_api_request_duration_seconds_count{endpoint="/tracks/{id}"}"#),
            Some(2.0)
        );
        assert_eq!(s("spotify_mcp_spotify_rate_limited_total"), Some(2.0));
        assert_eq!(
            s("spotify_mcp_spotify_retry_after_seconds_count"),
            Some(1.0)
        );
        assert_eq!(s("spotify_mcp_spotify_retry_after_seconds_sum"), Some(7.0));
        assert_eq!(
            s(r#"spotify_mcp_token_refreshes_total{result="error"}"#),
            Some(2.0)
        );
        assert_eq!(
            s(r#"spotify_mcp_token_refreshes_total{result="success"}"#),
            Some(1.0)
        );
    }

    #[test]
    fn last_refresh_outcome_and_time_appear_with_the_first_refresh() {
        let m = Metrics::new().unwrap();
        let text = m.render().unwrap();
        assert!(!text.contains("spotify_mcp_token_last_refresh"), "{text}");
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        m.record_token_refresh(TokenRefreshResult::Success);
        let text = m.render().unwrap();
        assert_eq!(
            sample(&text, "spotify_mcp_token_last_refresh_success"),
            Some(1.0)
        );
        let at = sample(&text, "spotify_mcp_token_last_refresh_timestamp_seconds").unwrap();
        assert!((before..before + 60.0).contains(&at), "{at} vs {before}");
        m.record_token_refresh(TokenRefreshResult::Error);
        let text = m.render().unwrap();
        assert_eq!(
            sample(&text, "spotify_mcp_token_last_refresh_success"),
            Some(0.0)
        );
        m.record_token_refresh(TokenRefreshResult::Success);
        let text = m.render().unwrap();
        assert_eq!(
            sample(&text, "spotify_mcp_token_last_refresh_success"),
            Some(1.0)
        );
    }

    #[test]
    fn credentials_authorization_is_exported_only_when_known() {
        let known = "spotify_mcp_credentials_authorization_known";
        let authorized = "spotify_mcp_credentials_authorized_timestamp_seconds";
        let expiry = "spotify_mcp_credentials_expiry_timestamp_seconds";
        let m = Metrics::new().unwrap();
        let text = m.render().unwrap();
        assert!(!text.contains("spotify_mcp_credentials_"), "{text}");

        let at = crate::spotify::auth::expiry::parse_authorized_at("2026-01-31T00:00:00Z").unwrap();
        m.set_credentials_authorization(Authorization::At(at));
        let text = m.render().unwrap();
        assert_eq!(sample(&text, known), Some(1.0));
        assert_eq!(sample(&text, authorized), Some(1_769_817_600.0));
        // 2026-07-31T00:00:00Z: six calendar months later
        assert_eq!(sample(&text, expiry), Some(1_785_456_000.0));

        m.set_credentials_authorization(Authorization::Unknown);
        let text = m.render().unwrap();
        assert_eq!(sample(&text, known), Some(0.0));
        assert!(
            !text.contains(authorized) && !text.contains(expiry),
            "{text}"
        );

        m.set_credentials_authorization(Authorization::AppOnly);
        let text = m.render().unwrap();
        assert!(!text.contains("spotify_mcp_credentials_"), "{text}");
    }

    #[test]
    fn disabled_handle_records_nothing() {
        let m = Metrics::disabled();
        assert!(!m.is_enabled());
        m.register_tools(["search"]);
        m.start_tool_call("search").finish(true);
        m.record_cache(CacheOperation::Get, CacheResult::Hit);
        m.record_rate_limited(Some(Duration::from_secs(1)));
        assert_eq!(m.render().unwrap(), "");
    }

    #[test]
    fn clones_share_one_registry_and_instances_are_independent() {
        let a = Metrics::new().unwrap();
        let b = Metrics::new().unwrap();
        a.clone().record_rate_limited(None);
        let text = a.render().unwrap();
        assert_eq!(
            sample(&text, "spotify_mcp_spotify_rate_limited_total"),
            Some(1.0)
        );
        let text = b.render().unwrap();
        assert_eq!(
            sample(&text, "spotify_mcp_spotify_rate_limited_total"),
            Some(0.0)
        );
    }
}
