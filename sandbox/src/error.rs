//! Error bodies of the fake API: Spotify's `{"error":{"status","message","reason"}}` for the Web
//! API and OAuth's `{"error","error_description"}` for the token endpoint.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::world::player::PlayerError;

/// Errors the sandbox itself can fail with (binding, serving).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox to {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the sandbox's local address: {0}")]
    LocalAddr(std::io::Error),
    #[error("the sandbox server failed: {0}")]
    Serve(std::io::Error),
}

/// A Web API error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub reason: Option<&'static str>,
    pub retry_after: Option<u64>,
    /// Also repeat `status` and `message` at the top level of the body (see [`ApiError::flat`]).
    pub flat: bool,
}

impl ApiError {
    /// The definition documents the 400 answers of `/me/library` as a bare `ErrorObject`
    /// (`{"status","message"}`) while every other error is wrapped in `{"error": ...}`; a flat
    /// error carries both shapes, so it matches the definition and clients that parse the
    /// usual wrapper alike.
    pub fn flat(self) -> ApiError {
        ApiError { flat: true, ..self }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            reason: None,
            retry_after: None,
            flat: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn premium_required() -> ApiError {
        ApiError {
            reason: Some("PREMIUM_REQUIRED"),
            ..ApiError::forbidden("Player command failed: Premium required")
        }
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded")
        }
    }

    /// The answer of an endpoint that development-mode apps no longer have.
    pub fn unavailable_for_development_mode(status: StatusCode, what: &str) -> ApiError {
        ApiError::new(
            status,
            format!(
                "{what} is not available for development-mode apps: Spotify restricted this endpoint to apps with extended quota mode"
            ),
        )
    }

    /// The answer of an endpoint Spotify removed, naming its replacement.
    pub fn removed(what: &str, instead: &str) -> ApiError {
        ApiError::forbidden(format!(
            "{what} was removed from the Web API for development-mode apps; use {instead} instead"
        ))
    }
}

impl From<PlayerError> for ApiError {
    fn from(e: PlayerError) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            message: e.to_string(),
            reason: e.reason(),
            retry_after: None,
            flat: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "status": self.status.as_u16(), "message": self.message });
        if let (Some(reason), Some(obj)) = (self.reason, error.as_object_mut()) {
            obj.insert("reason".into(), reason.into());
        }
        let body = if self.flat {
            json!({ "error": error, "status": self.status.as_u16(), "message": self.message })
        } else {
            json!({ "error": error })
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"spotify\""),
            );
        }
        resp
    }
}

/// An error of the OAuth token endpoint.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[tokio::test]
    async fn player_errors_carry_reason() {
        let r = ApiError::from(PlayerError::NoActiveDevice).into_response();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let b = body(r).await;
        assert_eq!(b["error"]["reason"], "NO_ACTIVE_DEVICE");
        assert_eq!(b["error"]["status"], 404);
        let b = body(ApiError::premium_required().into_response()).await;
        assert_eq!(b["error"]["reason"], "PREMIUM_REQUIRED");
    }

    #[tokio::test]
    async fn rate_limit_sets_retry_after_and_plain_errors_have_no_reason() {
        let r = ApiError::rate_limited(7).into_response();
        assert_eq!(
            r.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("7")
        );
        let b = body(ApiError::not_found("x").into_response()).await;
        assert!(b["error"].get("reason").is_none());
        let b =
            body(OAuthError::new("invalid_grant", "Invalid refresh token").into_response()).await;
        assert_eq!(b["error"], "invalid_grant");
    }
}
