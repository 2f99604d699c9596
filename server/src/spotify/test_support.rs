//! A tiny local fake of Spotify's accounts service and Web API for the client's unit tests:
//! a counting token endpoint (client credentials, refresh, PKCE code exchange with S256
//! verification), an authorize page that redirects straight back, and API routes that
//! answer from a script and record what they were asked.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted API answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request the fake API saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path_and_query: String,
    pub authorization: String,
    pub body: String,
    /// When the request arrived.
    pub at: std::time::Instant,
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub token_requests: AtomicUsize,
    pub token_forms: Mutex<Vec<HashMap<String, String>>>,
    /// Delay of the token endpoint (to make concurrent refreshes overlap).
    pub token_delay: Mutex<Duration>,
    /// `expires_in` handed out.
    pub expires_in: Mutex<u64>,
    /// Refresh token returned by refreshes (`None` = omit the field).
    pub rotate_refresh_to: Mutex<Option<String>>,
    /// Refresh tokens answered with `invalid_grant`.
    pub dead_refresh_tokens: Mutex<Vec<String>>,
    /// PKCE: code -> (challenge, redirect_uri).
    pub codes: Mutex<HashMap<String, (String, String)>>,
    pub script: Mutex<VecDeque<Reply>>,
    /// Answers the token endpoint gives (in order) before it answers normally again.
    pub token_script: Mutex<VecDeque<Reply>>,
    pub seen: Mutex<Vec<Seen>>,
}

impl FakeState {
    pub fn push(&self, reply: Reply) {
        self.script.lock().unwrap().push_back(reply);
    }

    /// Script the token endpoint's next answers.
    pub fn push_token(&self, replies: impl IntoIterator<Item = Reply>) {
        self.token_script.lock().unwrap().extend(replies);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }
}

/// A running fake.
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        // Its port may be reused by a later fake: do not let that one inherit 429 holds.
        crate::spotify::pipeline::hold::forget(&self.api_base());
        self.task.abort();
    }
}

impl Fake {
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        *state.expires_in.lock().unwrap() = 3600;
        let app = Router::new()
            .route("/api/token", post(token))
            .route("/authorize", get(authorize))
            .fallback(api)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn api_base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn accounts_base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn token(State(state): State<Arc<FakeState>>, headers: HeaderMap, body: String) -> Response {
    let n = state.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let delay = *state.token_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let scripted = state.token_script.lock().unwrap().pop_front();
    if let Some(reply) = scripted {
        return reply.into_response();
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    state.token_forms.lock().unwrap().push(form.clone());
    let has_client = headers.contains_key("authorization") || form.contains_key("client_id");
    if !has_client {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let expires_in = *state.expires_in.lock().unwrap();
    let grant = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    let mut answer = serde_json::json!({
        "access_token": format!("access-{n}"),
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "user-read-private",
    });
    match grant {
        "client_credentials" => {}
        "refresh_token" => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            if state.dead_refresh_tokens.lock().unwrap().contains(&rt) {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": "invalid_grant", "error_description": "Refresh token revoked"})),
                )
                    .into_response();
            }
            if let Some(next) = state.rotate_refresh_to.lock().unwrap().clone() {
                answer["refresh_token"] = next.into();
            }
        }
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let Some((challenge, redirect)) = state.codes.lock().unwrap().remove(&code) else {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": "invalid_grant"})),
                )
                    .into_response();
            };
            if !crate::sandbox::verify_pkce(&verifier, &challenge)
                || form.get("redirect_uri") != Some(&redirect)
            {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": "invalid_grant", "error_description": "code_verifier mismatch"})),
                )
                    .into_response();
            }
            answer["refresh_token"] = "fresh-refresh-token".into();
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"error": "unsupported_grant_type"})),
            )
                .into_response();
        }
    }
    axum::Json(answer).into_response()
}

async fn authorize(
    State(state): State<Arc<FakeState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("client_id").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorize request").into_response();
    }
    let code = format!("code-{}", state.codes.lock().unwrap().len() + 1);
    state
        .codes
        .lock()
        .unwrap()
        .insert(code.clone(), (get("code_challenge"), get("redirect_uri")));
    let mut target = url::Url::parse(&get("redirect_uri")).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &get("state"));
    Redirect::to(target.as_str()).into_response()
}

async fn api(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    state.seen.lock().unwrap().push(Seen {
        method,
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body,
        at: std::time::Instant::now(),
    });
    let reply = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::json(200, serde_json::json!({})));
    tokio::time::sleep(reply.delay).await;
    reply.into_response()
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::from_u16(self.status).unwrap(), self.body).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        response
    }
}
