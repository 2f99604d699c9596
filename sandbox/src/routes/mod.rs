//! HTTP routes of the sandbox, one module per domain, plus the extractors they share.

mod auth;
mod body;
mod catalog;
mod control;
mod extended;

mod library;
mod player;
mod playlists;
mod search;
mod users;

use std::collections::HashSet;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::SandboxState;
use super::allowlist;
use super::error::ApiError;
use super::faults;
use super::json::{Page, Render};
use super::record;
use super::tokens::Scopes;
use super::world::catalog::{Catalog, Kind};
use super::world::ids::is_base62_id;

pub use body::{MAX_BODY_BYTES, RawBody};

pub fn router(state: SandboxState) -> Router {
    let api = Router::new()
        .merge(catalog::routes())
        .merge(search::routes())
        .merge(player::routes())
        .merge(library::routes())
        .merge(playlists::routes())
        .merge(users::routes())
        .merge(extended::routes())
        .fallback(|| async { ApiError::not_found("Service not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        })
        .layer(from_fn_with_state(state.clone(), allowlist::enforce))
        .layer(from_fn_with_state(state.clone(), faults::inject));
    Router::new()
        .nest("/v1", api)
        .merge(auth::routes().route_layer(from_fn_with_state(state.clone(), faults::token_outage)))
        .merge(control::routes(state.clone()))
        // Paths the nested API does not see (`/v1/` itself, anything outside `/v1`) get
        // Spotify's JSON 404 too, not an empty body.
        .fallback(|| async { ApiError::not_found("Service not found") })
        .layer(from_fn_with_state(state.clone(), record::record))
        .with_state(state)
}

/// Query parameters, parsed leniently (bad values become Spotify-style 400s in handlers).
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("Missing required parameter: {key}")))
    }

    fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("Invalid {key}: {v:?} is not an integer"))
            }),
        }
    }

    /// `limit` with its default and bounds (400 outside them).
    pub fn limit(&self, default: usize, min: usize, max: usize) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(default),
            Some(n) if n >= min as i64 && n <= max as i64 => Ok(n as usize),
            Some(n) => Err(ApiError::bad_request(format!(
                "Invalid limit: {n} (must be between {min} and {max})"
            ))),
        }
    }

    /// `offset`, at least 0 and at most `max`.
    pub fn offset(&self, max: usize) -> Result<usize, ApiError> {
        match self.int("offset")? {
            None => Ok(0),
            Some(n) if n >= 0 && n <= max as i64 => Ok(n as usize),
            Some(n) => Err(ApiError::bad_request(format!(
                "Invalid offset: {n} (must be between 0 and {max})"
            ))),
        }
    }

    /// `limit` (1 to `max`, `default` when absent) and `offset` (0 to 100,000) of a paged list.
    pub fn page(&self, default: usize, max: usize) -> Result<Page, ApiError> {
        Ok(Page {
            limit: self.limit(default, 1, max)?,
            offset: self.offset(100_000)?,
        })
    }

    /// An optional integer parameter.
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.int(key)
    }

    /// A required integer parameter.
    pub fn req_int(&self, key: &str) -> Result<i64, ApiError> {
        self.required(key)?;
        self.int(key)?
            .ok_or_else(|| ApiError::bad_request(format!("Missing required parameter: {key}")))
    }

    /// Validates `market` (ISO 3166-1 alpha-2 or `from_token`).
    pub fn market(&self) -> Result<(), ApiError> {
        match self.get("market") {
            None => Ok(()),
            Some("from_token") => Ok(()),
            Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_uppercase()) => Ok(()),
            Some(m) => Err(ApiError::bad_request(format!("Invalid market code: {m:?}"))),
        }
    }
}

/// `http://host` of the request (links in answers point back at the sandbox).
pub struct Origin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("127.0.0.1");
        Ok(Origin(format!("http://{host}")))
    }
}

impl Origin {
    pub fn api(&self) -> String {
        format!("{}/v1", self.0)
    }
}

/// The token of an `Authorization: Bearer ...` header, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
}

/// A caller with a valid access token (user or client credentials).
pub struct Caller {
    pub user: Option<usize>,
    pub scopes: Scopes,
}

impl FromRequestParts<SandboxState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SandboxState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers);
        let grant = state
            .shared
            .tokens
            .lock()
            .check(token)
            .map_err(|r| ApiError::unauthorized(r.message()))?;
        Ok(Caller {
            user: grant.user,
            scopes: grant.scopes,
        })
    }
}

/// A caller acting for a user (client-credentials tokens get 401 like Spotify).
pub struct Me {
    pub user: usize,
    scopes: Scopes,
}

impl FromRequestParts<SandboxState> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SandboxState,
    ) -> Result<Self, Self::Rejection> {
        let c = Caller::from_request_parts(parts, state).await?;
        match c.user {
            Some(user) => Ok(Me {
                user,
                scopes: c.scopes,
            }),
            None => Err(ApiError::unauthorized("Valid user authentication required")),
        }
    }
}

fn has_scope(scopes: &Scopes, scope: &str) -> bool {
    scopes
        .as_ref()
        .is_none_or(|s: &std::sync::Arc<HashSet<String>>| s.contains(scope))
}

/// Path parameters, like axum's `Path`, but a path that cannot be read (percent-encoded bytes
/// that are not UTF-8, such as `/v1/albums/%FF`) is Spotify's 400 error object rather than
/// axum's plain-text rejection.
pub struct Path<T>(pub T);

impl<T> FromRequestParts<SandboxState> for Path<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SandboxState,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}

impl Me {
    /// 403 unless the token carries one of `scopes`.
    pub fn require(&self, scopes: &[&str]) -> Result<(), ApiError> {
        if scopes.iter().any(|s| has_scope(&self.scopes, s)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Insufficient client scope: needs {}",
                scopes.join(" or ")
            )))
        }
    }
}

/// Parses a JSON request body, which must be an object (Spotify answers "Error parsing JSON."
/// otherwise). Parsing into the map first matters: serde would read a struct from a JSON array
/// too (`[null, null]` as `{uris: null, position: null}`), accepting a body Spotify rejects.
pub fn json_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let parse_error = || ApiError::bad_request("Error parsing JSON.");
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|_| parse_error())?;
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|_| parse_error())
}

/// Resolves a catalog id from a path (400 malformed, 404 unknown).
pub fn find(cat: &Catalog, kind: Kind, id: &str) -> Result<usize, ApiError> {
    if !is_base62_id(id) {
        return Err(ApiError::bad_request("Invalid base62 id"));
    }
    cat.find(kind, id)
        .ok_or_else(|| ApiError::not_found("Resource not found"))
}

/// Splits `spotify:kind:id`.
pub fn split_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("spotify:")?;
    let (kind, id) = rest.split_once(':')?;
    is_base62_id(id).then_some((kind, id))
}

/// A comma-separated list parameter (`ids`, `uris`), with a maximum count.
pub fn list<'a>(value: &'a str, name: &str, max: usize) -> Result<Vec<&'a str>, ApiError> {
    let v: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if v.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Missing required parameter: {name}"
        )));
    }
    if v.len() > max {
        return Err(ApiError::bad_request(format!(
            "Too many {name}: at most {max} are allowed, got {}",
            v.len()
        )));
    }
    Ok(v)
}

/// 200 with a JSON body.
pub fn ok(v: serde_json::Value) -> Response {
    axum::Json(v).into_response()
}

/// 200 with an empty body (Spotify's answer to several writes).
pub fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

pub fn render<'a>(cat: &'a Catalog, base: &'a str) -> Render<'a> {
    Render { cat, base }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params(
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Found by the sandbox_http fuzzer: `PUT /v1/` answered 404 with an empty body (the
    /// nested API's fallback does not see it); Spotify answers a JSON error object.
    #[tokio::test]
    async fn unknown_paths_get_a_json_404() {
        use tower::ServiceExt;
        let app = router(SandboxState::new(crate::SandboxOptions::default()));
        for (method, path) in [
            ("PUT", "/v1/"),
            ("GET", "/v1"),
            ("GET", "/nope"),
            ("GET", "/v1/nope"),
        ] {
            let request = axum::http::Request::builder()
                .method(method)
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            let value: serde_json::Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e})"));
            assert_eq!(value["error"]["status"], 404, "{method} {path}");
        }
    }

    #[test]
    fn limits_and_offsets_are_checked() {
        assert_eq!(params("").limit(5, 1, 10).ok(), Some(5));
        assert_eq!(params("limit=10").limit(5, 1, 10).ok(), Some(10));
        assert!(params("limit=11").limit(5, 1, 10).is_err());
        assert!(params("limit=0").limit(5, 1, 10).is_err());
        assert!(params("limit=x").limit(5, 1, 10).is_err());
        assert!(params("offset=-1").offset(100).is_err());
        assert_eq!(params("offset=7").offset(100).ok(), Some(7));
        assert!(params("market=es").market().is_err());
        assert!(params("market=ES").market().is_ok());
    }

    #[derive(serde::Deserialize, Default, Debug)]
    struct Body {
        uris: Option<Vec<String>>,
        position: Option<i64>,
    }

    #[test]
    fn json_bodies_must_be_objects() {
        let b: Body = json_body(br#"{"uris":["a"],"position":null}"#).expect("an object");
        assert_eq!(b.uris, Some(vec!["a".to_owned()]));
        assert_eq!(b.position, None);
        assert!(json_body::<Body>(b" \n").is_ok_and(|b| b.uris.is_none()));
        // A struct must not be read from an array (found by schemathesis: `[null, null]`
        // added items from the query string with 201), nor from null, a number or a string.
        for bad in [
            &b"[null, null]"[..],
            b"[]",
            b"null",
            b"3",
            b"\"x\"",
            b"{nope",
        ] {
            let err = json_body::<Body>(bad).expect_err("not an object");
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert_eq!(err.message, "Error parsing JSON.");
        }
        assert!(json_body::<Body>(br#"{"position":"first"}"#).is_err());
    }

    /// Found by the hostile-input sweep (tests/python/test_sandbox_schemathesis.py): a path
    /// parameter that is not UTF-8 got axum's plain-text "Invalid URL: ..." instead of
    /// Spotify's JSON error object.
    #[tokio::test]
    async fn unreadable_path_parameters_are_spotify_errors() {
        use axum::body::{Body, to_bytes};
        use axum::http::Request;
        use base64::Engine;
        use tower::ServiceExt;

        use crate::{CLIENT_ID, CLIENT_SECRET, PREMIUM_REFRESH_TOKEN, SandboxOptions, router};

        let app = router(SandboxState::new(SandboxOptions::default()));
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let token = app
            .clone()
            .oneshot(
                Request::post("/api/token")
                    .header("authorization", format!("Basic {basic}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "grant_type=refresh_token&refresh_token={PREMIUM_REFRESH_TOKEN}"
                    )))
                    .expect("request"),
            )
            .await
            .expect("token answer");
        let token: serde_json::Value =
            serde_json::from_slice(&to_bytes(token.into_body(), 1 << 16).await.expect("body"))
                .expect("token JSON");
        let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
        for path in [
            "/v1/tracks/%FF%FE",
            "/v1/albums/%ED%A0%80/tracks",
            "/v1/playlists/%C3/images",
            "/v1/browse/categories/%FF",
        ] {
            let response = app
                .clone()
                .oneshot(
                    Request::get(path)
                        .header("authorization", &bearer)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("answer");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
            let body = to_bytes(response.into_body(), 1 << 16).await.expect("body");
            let body: serde_json::Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body:?}"));
            assert_eq!(body["error"]["status"], 400, "{path}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("UTF-8"), "{path}: {message}");
        }
    }

    #[test]
    fn uris_and_lists() {
        assert_eq!(
            split_uri("spotify:track:4aawyAB9vmqN3uQ7FjRGTy"),
            Some(("track", "4aawyAB9vmqN3uQ7FjRGTy"))
        );
        assert_eq!(split_uri("spotify:track:bad"), None);
        assert_eq!(split_uri("track:4aawyAB9vmqN3uQ7FjRGTy"), None);
        assert_eq!(list("a,b", "ids", 2).ok(), Some(vec!["a", "b"]));
        assert!(list("a,b,c", "ids", 2).is_err());
        assert!(list(",", "ids", 2).is_err());
    }
}
