//! Fault injection: latency, 429 with Retry-After, and 502/503/504, with a seeded RNG; the
//! knobs can be changed at run time through `/sandbox/faults`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::SandboxState;
use super::error::ApiError;

/// The run-time knobs of the sandbox (JSON of `GET/PUT /sandbox/faults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knobs {
    /// Added to every Web API answer.
    pub latency_ms: u64,
    /// Probability (0..=1) of answering 429 with `Retry-After`.
    pub rate_limit_probability: f64,
    pub retry_after_secs: u64,
    /// Probability (0..=1) of answering 502, 503 or 504.
    pub server_error_probability: f64,
    /// Serve the endpoints Spotify kept for extended-quota apps.
    pub extended_quota: bool,
    /// Record every exchange for `GET /sandbox/requests`.
    pub record_requests: bool,
}

/// A partial update of [`Knobs`] (`PUT /sandbox/faults`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnobsPatch {
    pub latency_ms: Option<u64>,
    pub rate_limit_probability: Option<f64>,
    pub retry_after_secs: Option<u64>,
    pub server_error_probability: Option<f64>,
    pub extended_quota: Option<bool>,
    pub record_requests: Option<bool>,
}

fn probability(name: &str, p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{name} must be between 0 and 1, got {p}"))
    }
}

impl Knobs {
    /// Applies a patch, rejecting out-of-range probabilities (nothing changes then).
    pub fn apply(&self, patch: &KnobsPatch) -> Result<Knobs, String> {
        let mut k = self.clone();
        if let Some(v) = patch.latency_ms {
            if v > 60_000 {
                return Err(format!("latency_ms must be at most 60000, got {v}"));
            }
            k.latency_ms = v;
        }
        if let Some(p) = patch.rate_limit_probability {
            k.rate_limit_probability = probability("rate_limit_probability", p)?;
        }
        if let Some(v) = patch.retry_after_secs {
            k.retry_after_secs = v;
        }
        if let Some(p) = patch.server_error_probability {
            k.server_error_probability = probability("server_error_probability", p)?;
        }
        if let Some(v) = patch.extended_quota {
            k.extended_quota = v;
        }
        if let Some(v) = patch.record_requests {
            k.record_requests = v;
        }
        Ok(k)
    }

    /// Draws the fault (if any) for one request.
    pub fn draw(&self, rng: &mut StdRng) -> Option<ApiError> {
        if self.rate_limit_probability > 0.0 && rng.random_bool(self.rate_limit_probability) {
            return Some(ApiError::rate_limited(self.retry_after_secs));
        }
        if self.server_error_probability > 0.0 && rng.random_bool(self.server_error_probability) {
            let (status, message) = match rng.random_range(0..3) {
                0 => (StatusCode::BAD_GATEWAY, "Bad gateway."),
                1 => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
                _ => (StatusCode::GATEWAY_TIMEOUT, "Gateway timeout"),
            };
            return Some(ApiError::new(status, message));
        }
        None
    }
}

/// Middleware on the Web API routes: latency, then maybe a fault instead of the answer.
pub async fn inject(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let knobs = state.knobs();
    if knobs.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(knobs.latency_ms)).await;
    }
    let fault = {
        let mut rng = state.shared.fault_rng.lock();
        knobs.draw(&mut rng)
    };
    match fault {
        Some(e) => e.into_response(),
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn quiet() -> Knobs {
        Knobs {
            latency_ms: 0,
            rate_limit_probability: 0.0,
            retry_after_secs: 1,
            server_error_probability: 0.0,
            extended_quota: false,
            record_requests: false,
        }
    }

    #[test]
    fn no_faults_by_default_and_always_when_certain() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!((0..1000).all(|_| quiet().draw(&mut rng).is_none()));
        let k = quiet().apply(&KnobsPatch {
            rate_limit_probability: Some(1.0),
            retry_after_secs: Some(3),
            ..Default::default()
        });
        let e = k.ok().and_then(|k| k.draw(&mut rng));
        assert_eq!(
            e.as_ref().map(|e| e.status),
            Some(StatusCode::TOO_MANY_REQUESTS)
        );
        assert_eq!(e.and_then(|e| e.retry_after), Some(3));
    }

    #[test]
    fn server_errors_are_5xx_gateway_family_and_seeded() {
        let k = quiet()
            .apply(&KnobsPatch {
                server_error_probability: Some(0.5),
                ..Default::default()
            })
            .unwrap_or_else(|_| quiet());
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..200)
                .map(|_| k.draw(&mut rng).map(|e| e.status.as_u16()))
                .collect::<Vec<_>>()
        };
        let a = run(9);
        assert_eq!(a, run(9));
        let n = a.iter().flatten().count();
        assert!((50..150).contains(&n), "{n}");
        assert!(a.iter().flatten().all(|s| [502, 503, 504].contains(s)));
    }

    #[test]
    fn bad_probabilities_are_rejected() {
        assert!(
            quiet()
                .apply(&KnobsPatch {
                    rate_limit_probability: Some(1.5),
                    ..Default::default()
                })
                .is_err()
        );
        assert!(
            quiet()
                .apply(&KnobsPatch {
                    server_error_probability: Some(-0.1),
                    ..Default::default()
                })
                .is_err()
        );
        assert!(
            quiet()
                .apply(&KnobsPatch {
                    latency_ms: Some(1_000_000),
                    ..Default::default()
                })
                .is_err()
        );
    }
}
