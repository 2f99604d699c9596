//! The raw request body of a sandbox route, bounded, with Spotify's JSON error object when it
//! cannot be read (axum's `Bytes` extractor answers a plain-text 413 instead).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use crate::error::ApiError;

/// The largest request body the sandbox reads (a base64 cover image is at most 256 KiB).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// A request body of at most [`MAX_BODY_BYTES`].
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let e = match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
            Ok(bytes) => return Ok(RawBody(bytes)),
            Err(e) => e.into_inner(),
        };
        if e.downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body too large: at most {MAX_BODY_BYTES} bytes are accepted"),
            ));
        }
        Err(ApiError::bad_request("The request body could not be read"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::response::IntoResponse;

    async fn extract(body: Vec<u8>) -> Result<Bytes, serde_json::Value> {
        let req = Request::post("/v1/playlists/x/items")
            .body(Body::from(body))
            .expect("request");
        match RawBody::from_request(req, &()).await {
            Ok(RawBody(bytes)) => Ok(bytes),
            Err(e) => {
                let response = e.into_response();
                assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
                    .await
                    .expect("error body");
                Err(serde_json::from_slice(&bytes).expect("a JSON error body"))
            }
        }
    }

    /// Found by the sandbox_http fuzzer: a body over axum's 2 MiB default answered the
    /// plain-text "Failed to buffer the request body: length limit exceeded".
    #[tokio::test]
    async fn over_long_bodies_get_spotify_errors() {
        let ok = extract(vec![b' '; 3 << 20])
            .await
            .expect("3 MiB is accepted");
        assert_eq!(ok.len(), 3 << 20);
        let err = extract(vec![b' '; MAX_BODY_BYTES + 1])
            .await
            .expect_err("over the limit");
        assert_eq!(err["error"]["status"], 413, "{err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("at most 4194304 bytes"), "{message}");
    }
}
