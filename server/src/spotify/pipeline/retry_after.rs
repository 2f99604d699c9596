//! When to try again: the `Retry-After` header (delta-seconds or an HTTP-date, RFC 9110
//! §10.2.3) and the jittered exponential backoff used when a server does not say.

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use std::time::{Duration, SystemTime};

/// Up to `times` delays, the first about `first`, doubling with jitter up to `max`.
pub fn backoff(first: Duration, max: Duration, times: u32) -> ExponentialBackoff {
    ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(first)
        .with_max_delay(max)
        .with_max_times(times as usize)
        .build()
}

/// The wait a response's `Retry-After` header asks for, if it has a usable one.
pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// The wait a `Retry-After` value asks for, relative to `now`. A date in the past means
/// "now" (zero). Unparseable values give `None` (the caller picks a default).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    // HTTP's optional whitespace is space and tab only: `str::trim` would also drop Unicode
    // spaces (U+0085, U+00A0, ...), which make the value invalid.
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Huge numbers saturate rather than fail: they are "too long to wait" either way.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        // Not in the RFC, but some proxies send fractions.
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(1e9)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn only_http_whitespace_is_trimmed() {
        // Found by the http_headers fuzzer: "\u{85}99" parsed as 99 s, while the same header
        // read from a response (not visible ASCII) was no Retry-After at all.
        assert_eq!(parse_retry_after("\u{85}99", at(0)), None);
        assert_eq!(parse_retry_after("\u{a0}5", at(0)), None);
        assert_eq!(
            parse_retry_after("\t 5 \t", at(0)),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(parse_retry_after("0", at(0)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("7", at(0)), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 120 ", at(0)),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", at(0)),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("1.5", at(0)),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn http_dates_in_all_three_formats() {
        // 1994-11-06 08:49:37 UTC = 784111777
        let now = at(784_111_777 - 30);
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(value, now),
                Some(Duration::from_secs(30)),
                "{value}"
            );
        }
    }

    #[test]
    fn past_dates_mean_now() {
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 + 100)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage_is_rejected() {
        for value in [
            "",
            "  ",
            "-1",
            "soon",
            "NaN",
            "inf",
            "1e999",
            "Mon, 32 Foo 2026",
        ] {
            assert_eq!(parse_retry_after(value, at(0)), None, "{value:?}");
        }
    }
}
