//! The metrics as the Spotify client's [`PipelineObserver`]: API requests, 429s, token refreshes.

use std::time::{Duration, Instant};

use crate::spotify::pipeline::{PipelineObserver, WaitCause};

use super::{ApiStatus, Metrics, TokenRefreshResult};

impl PipelineObserver for Metrics {
    fn request_finished(
        &self,
        template: &'static str,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        // The pipeline reports 0 when no answer arrived (timeout or connection failure).
        let status = if status == 0 {
            ApiStatus::Transport
        } else {
            ApiStatus::Http(status)
        };
        self.record_spotify_request(template, method, status, elapsed);
    }

    fn rate_limited(&self, retry_after: Duration) {
        self.record_rate_limited(Some(retry_after));
    }

    fn gate_closed(&self, until: Instant) {
        self.record_gate_closed(until);
    }

    fn waited(&self, cause: WaitCause, waited: Duration) {
        self.record_rate_limit_wait(cause.as_str(), waited);
    }

    fn token_refreshed(&self, success: bool) {
        self.record_token_refresh(if success {
            TokenRefreshResult::Success
        } else {
            TokenRefreshResult::Error
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observer_calls_land_in_the_families() {
        let m = Metrics::new().unwrap();
        let observer: &dyn PipelineObserver = &m;
        observer.request_finished("/albums/{id}", "GET", 200, Duration::from_millis(2));
        observer.request_finished("/albums/{id}", "GET", 0, Duration::from_millis(2));
        observer.rate_limited(Duration::from_secs(3));
        observer.token_refreshed(true);
        observer.token_refreshed(false);
        let text = m.render().unwrap();
        for line in [
            r#"spotify_mcp_spotify_api_requests_total{endpoint="/albums/{id}",method="GET",status="200"} 1"#,
            r#"spotify_mcp_spotify_api_requests_total{endpoint="/albums/{id}",method="GET",status="transport_error"} 1"#,
            "spotify_mcp_spotify_rate_limited_total 1",
            "spotify_mcp_spotify_retry_after_seconds_sum 3",
            r#"spotify_mcp_token_refreshes_total{result="error"} 1"#,
            r#"spotify_mcp_token_refreshes_total{result="success"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }

    #[test]
    fn the_gate_gauge_follows_the_clock_and_waits_are_histograms_by_cause() {
        let m = Metrics::new().unwrap();
        let observer: &dyn PipelineObserver = &m;
        let gauge = |m: &Metrics| {
            m.render()
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("spotify_mcp_spotify_rate_limit_gate_closed "))
                .map(str::to_owned)
        };
        assert_eq!(gauge(&m).as_deref(), Some("0"));
        observer.gate_closed(Instant::now() + Duration::from_secs(60));
        assert_eq!(gauge(&m).as_deref(), Some("1"));
        // A shorter hold learnt later does not reopen it early; a past one reads as open.
        observer.gate_closed(Instant::now());
        assert_eq!(gauge(&m).as_deref(), Some("1"));
        let past = Metrics::new().unwrap();
        (&past as &dyn PipelineObserver).gate_closed(Instant::now() - Duration::from_millis(1));
        assert_eq!(gauge(&past).as_deref(), Some("0"));

        observer.waited(WaitCause::Gate, Duration::from_millis(1500));
        observer.waited(WaitCause::Limiter, Duration::from_millis(20));
        let text = m.render().unwrap();
        for line in [
            r#"spotify_mcp_spotify_rate_limit_wait_seconds_count{cause="gate"} 1"#,
            r#"spotify_mcp_spotify_rate_limit_wait_seconds_sum{cause="gate"} 1.5"#,
            r#"spotify_mcp_spotify_rate_limit_wait_seconds_count{cause="limiter"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }
}
