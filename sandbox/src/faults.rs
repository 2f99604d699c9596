//! Fault injection: latency, 429 with Retry-After, and 502/503/504, with a seeded RNG; the
//! knobs can be changed at run time through `/sandbox/faults`. Besides random 429s, a rolling
//! window behaves like Spotify's own limit: once more than `window_limit` requests arrived in the
//! last `window_secs` seconds, requests get 429 with a truthful `Retry-After` (the whole seconds
//! until the window has room again).
//!
//! Two faults model what a client cannot tell apart from a success or a refusal: a *lost answer*
//! (the request is applied, then the connection breaks before the answer arrives, as when a
//! gateway or the network drops it) and a *token endpoint outage* (`POST /api/token` answers
//! 503 while the Web API keeps working).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::SandboxState;
use super::error::{ApiError, OAuthError};

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
    /// Requests admitted per rolling window (0 = no window limit).
    #[serde(default)]
    pub window_limit: u32,
    /// Length of the rolling window in seconds (0 = no window limit).
    #[serde(default)]
    pub window_secs: u64,
    /// Probability (0..=1) that a Web API request is applied and its answer then lost (the
    /// connection breaks after the status line; the client sees no complete answer).
    #[serde(default)]
    pub lost_answer_probability: f64,
    /// The accounts service is down: `POST /api/token` answers 503.
    #[serde(default)]
    pub token_endpoint_down: bool,
}

/// Largest `window_limit`: the window remembers one instant per admitted request.
pub const MAX_WINDOW_LIMIT: u32 = 100_000;
/// Longest `window_secs` (Spotify's own window is 30 s).
pub const MAX_WINDOW_SECS: u64 = 3_600;

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
    pub window_limit: Option<u32>,
    pub window_secs: Option<u64>,
    pub lost_answer_probability: Option<f64>,
    pub token_endpoint_down: Option<bool>,
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
        if let Some(v) = patch.window_limit {
            if v > MAX_WINDOW_LIMIT {
                return Err(format!(
                    "window_limit must be at most {MAX_WINDOW_LIMIT}, got {v}"
                ));
            }
            k.window_limit = v;
        }
        if let Some(v) = patch.window_secs {
            if v > MAX_WINDOW_SECS {
                return Err(format!(
                    "window_secs must be at most {MAX_WINDOW_SECS}, got {v}"
                ));
            }
            k.window_secs = v;
        }
        if let Some(p) = patch.lost_answer_probability {
            k.lost_answer_probability = probability("lost_answer_probability", p)?;
        }
        if let Some(v) = patch.token_endpoint_down {
            k.token_endpoint_down = v;
        }
        Ok(k)
    }

    /// The rolling window, when both knobs are set.
    fn window(&self) -> Option<(usize, Duration)> {
        (self.window_limit > 0 && self.window_secs > 0).then(|| {
            (
                self.window_limit as usize,
                Duration::from_secs(self.window_secs),
            )
        })
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

    /// Whether the answer of a request that was just applied is lost.
    pub fn loses_answer(&self, rng: &mut StdRng) -> bool {
        self.lost_answer_probability > 0.0 && rng.random_bool(self.lost_answer_probability)
    }
}

/// A response (with the status the handler gave) whose body fails before its first byte: the
/// server aborts the connection after (at most) the status line, so the client gets no usable
/// answer.
pub fn lost_answer(status: StatusCode) -> Response {
    let broken = futures::stream::once(async {
        Err::<axum::body::Bytes, _>(std::io::Error::other("sandbox fault: the answer was lost"))
    });
    let mut response = Response::new(axum::body::Body::from_stream(broken));
    *response.status_mut() = status;
    response
}

/// The arrival times of the requests admitted in the current rolling window.
#[derive(Debug, Default)]
pub struct RollingWindow {
    admitted: VecDeque<Instant>,
}

impl RollingWindow {
    /// Admits a request arriving at `now`, or says how many whole seconds until the window
    /// has room (at least 1). Requests refused are not counted, as a retry after that many
    /// seconds is then admitted.
    pub fn admit(&mut self, now: Instant, limit: usize, window: Duration) -> Result<(), u64> {
        while let Some(&oldest) = self.admitted.front() {
            if now.saturating_duration_since(oldest) >= window {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        // The knobs may have shrunk since: forget the surplus oldest ones.
        while self.admitted.len() > limit {
            self.admitted.pop_front();
        }
        if self.admitted.len() < limit {
            self.admitted.push_back(now);
            return Ok(());
        }
        let oldest = self.admitted.front().copied().unwrap_or(now);
        let room_at = (oldest + window).saturating_duration_since(now);
        let whole_secs = room_at.as_secs() + u64::from(room_at.subsec_nanos() > 0);
        Err(whole_secs.max(1))
    }

    /// Forgets every admitted request (`/sandbox/reset`, or knobs turned off).
    pub fn clear(&mut self) {
        self.admitted.clear();
    }
}

/// Middleware on the Web API routes: latency, then maybe a fault instead of the answer.
pub async fn inject(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let knobs = state.knobs();
    if knobs.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(knobs.latency_ms)).await;
    }
    let over_window = {
        let mut window = state.shared.window.lock();
        match knobs.window() {
            Some((limit, length)) => window.admit(Instant::now(), limit, length).err(),
            None => {
                window.clear();
                None
            }
        }
    };
    if let Some(retry_after) = over_window {
        return ApiError::rate_limited(retry_after).into_response();
    }
    let fault = {
        let mut rng = state.shared.fault_rng.lock();
        knobs.draw(&mut rng)
    };
    if let Some(e) = fault {
        return e.into_response();
    }
    let response = next.run(req).await;
    let lost = {
        let mut rng = state.shared.fault_rng.lock();
        knobs.loses_answer(&mut rng)
    };
    if lost {
        tracing::debug!(
            status = response.status().as_u16(),
            "sandbox fault: answer lost"
        );
        return lost_answer(response.status());
    }
    response
}

/// Middleware on `POST /api/token`: 503 while `token_endpoint_down` is set.
pub async fn token_outage(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    if state.knobs().token_endpoint_down {
        return OAuthError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "temporarily_unavailable",
            description: "The accounts service is temporarily unavailable (sandbox fault)".into(),
        }
        .into_response();
    }
    next.run(req).await
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
            window_limit: 0,
            window_secs: 0,
            lost_answer_probability: 0.0,
            token_endpoint_down: false,
        }
    }

    #[test]
    fn the_window_admits_its_limit_then_says_truthfully_when_there_is_room() {
        let mut w = RollingWindow::default();
        let t0 = Instant::now();
        let window = Duration::from_secs(5);
        for i in 0..3 {
            assert_eq!(
                w.admit(t0 + Duration::from_millis(i * 100), 3, window),
                Ok(())
            );
        }
        // Full: the oldest (t0) leaves at t0 + 5 s; asked at t0 + 1.5 s that is 3.5 s -> 4.
        assert_eq!(w.admit(t0 + Duration::from_millis(1500), 3, window), Err(4));
        // Refused requests are not counted; just before t0 + 5 s still full, at it room again.
        assert_eq!(w.admit(t0 + Duration::from_millis(4999), 3, window), Err(1));
        assert_eq!(w.admit(t0 + window, 3, window), Ok(()));
        assert_eq!(w.admit(t0 + window, 3, window), Err(1));
        // A smaller limit applies at once (only the newest, admitted at t0 + 5 s, counts: room
        // at t0 + 10 s); a cleared window starts over.
        assert_eq!(w.admit(t0 + window, 1, window), Err(5));
        w.clear();
        assert_eq!(w.admit(t0 + window, 1, window), Ok(()));
    }

    #[test]
    fn window_knobs_are_bounded_and_off_unless_both_set() {
        let k = quiet()
            .apply(&KnobsPatch {
                window_limit: Some(50),
                ..Default::default()
            })
            .unwrap_or_else(|_| quiet());
        assert_eq!(k.window(), None);
        let k = k
            .apply(&KnobsPatch {
                window_secs: Some(5),
                ..Default::default()
            })
            .unwrap_or_else(|_| quiet());
        assert_eq!(k.window(), Some((50, Duration::from_secs(5))));
        for patch in [
            KnobsPatch {
                window_limit: Some(MAX_WINDOW_LIMIT + 1),
                ..Default::default()
            },
            KnobsPatch {
                window_secs: Some(MAX_WINDOW_SECS + 1),
                ..Default::default()
            },
        ] {
            let e = quiet().apply(&patch).unwrap_err();
            assert!(e.contains("must be at most"), "{e}");
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

    mod over_http {
        use axum::body::{Body, to_bytes};
        use axum::http::Request;
        use base64::Engine;
        use serde_json::{Value, json};
        use tower::ServiceExt;

        use crate::{
            CLIENT_ID, CLIENT_SECRET, PREMIUM_REFRESH_TOKEN, SandboxOptions, SandboxState, router,
        };

        async fn send(
            app: &axum::Router,
            method: &str,
            uri: &str,
            headers: &[(&str, &str)],
            body: String,
        ) -> (u16, Result<Value, String>) {
            let mut request = Request::builder().method(method).uri(uri);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = app
                .clone()
                .oneshot(request.body(Body::from(body)).expect("request"))
                .await
                .expect("infallible");
            let status = response.status().as_u16();
            let body = to_bytes(response.into_body(), 1 << 20)
                .await
                .map_err(|e| e.to_string())
                .map(|b| serde_json::from_slice(&b).unwrap_or(Value::Null));
            (status, body)
        }

        async fn token(app: &axum::Router) -> (u16, Value) {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
            let (status, body) = send(
                app,
                "POST",
                "/api/token",
                &[
                    ("authorization", &format!("Basic {basic}")),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                format!("grant_type=refresh_token&refresh_token={PREMIUM_REFRESH_TOKEN}"),
            )
            .await;
            (status, body.unwrap_or(Value::Null))
        }

        async fn knobs(app: &axum::Router, patch: Value) -> u16 {
            let (status, _) = send(app, "PUT", "/sandbox/faults", &[], patch.to_string()).await;
            status
        }

        /// A lost answer is applied by the fake, reaches the client as a broken body, and is
        /// recorded with the handler's status and `answer_lost`; draining the log hands it
        /// over and empties it.
        #[tokio::test]
        async fn a_lost_answer_is_applied_recorded_and_never_delivered() {
            let app = router(SandboxState::new(SandboxOptions {
                record_requests: true,
                ..SandboxOptions::default()
            }));
            let (status, body) = token(&app).await;
            assert_eq!(status, 200, "{body}");
            let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap_or(""));
            let auth = [("authorization", bearer.as_str())];
            assert_eq!(
                knobs(&app, json!({"lost_answer_probability": 1.0})).await,
                200
            );
            let (_, body) = send(
                &app,
                "PUT",
                "/v1/me/player/volume?volume_percent=37",
                &auth,
                String::new(),
            )
            .await;
            assert!(body.is_err(), "the answer must be lost, got {body:?}");
            assert_eq!(
                knobs(&app, json!({"lost_answer_probability": 0.0})).await,
                200
            );
            let (status, body) = send(&app, "GET", "/v1/me/player", &auth, String::new()).await;
            assert_eq!(status, 200);
            assert_eq!(body.unwrap_or_default()["device"]["volume_percent"], 37);

            let (status, body) =
                send(&app, "POST", "/sandbox/requests/drain", &[], String::new()).await;
            assert_eq!(status, 200);
            let log = body.unwrap_or_default()["requests"].clone();
            let lost: Vec<_> = log
                .as_array()
                .into_iter()
                .flatten()
                .filter(|x| x["answer_lost"] == true)
                .collect();
            assert_eq!(lost.len(), 1, "{log}");
            assert_eq!(lost[0]["path"], "/v1/me/player/volume");
            assert_eq!(lost[0]["status"], 204);
            let (_, body) = send(&app, "POST", "/sandbox/requests/drain", &[], String::new()).await;
            assert_eq!(body.unwrap_or_default()["requests"], json!([]));
            assert_eq!(
                knobs(&app, json!({"lost_answer_probability": 1.5})).await,
                400
            );
        }

        /// While the accounts service is down the token endpoint answers 503 in OAuth's shape;
        /// afterwards it issues tokens again.
        #[tokio::test]
        async fn the_token_endpoint_can_be_down() {
            let app = router(SandboxState::new(SandboxOptions::default()));
            assert_eq!(knobs(&app, json!({"token_endpoint_down": true})).await, 200);
            let (status, body) = token(&app).await;
            assert_eq!(status, 503, "{body}");
            assert_eq!(body["error"], "temporarily_unavailable");
            assert_eq!(
                knobs(&app, json!({"token_endpoint_down": false})).await,
                200
            );
            let (status, body) = token(&app).await;
            assert_eq!(status, 200, "{body}");
        }
    }
}
