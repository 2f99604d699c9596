//! [`ApiRequest`]: one Web API call as the pipeline sees it — method, route template (for
//! metrics labels and error messages), concrete path, query, body, and its cache behaviour.

use crate::spotify::cache::{CacheClass, Invalidation};
use crate::spotify::error::SpotifyError;
use reqwest::Method;
use serde::Serialize;

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Body {
    #[default]
    None,
    /// `application/json`.
    Json(Vec<u8>),
    /// `image/jpeg` with base64 text (playlist cover upload).
    JpegBase64(String),
}

/// One call of the Web API.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// The route template, e.g. `/playlists/{playlist_id}/items`.
    pub template: &'static str,
    /// The concrete path below the API base, e.g. `/playlists/3cEY.../items`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Body,
    /// An extended-quota-only endpoint: 403/404 mean "unavailable for development mode".
    pub extended: bool,
    /// How long a GET answer may be cached.
    pub cache: CacheClass,
    /// What a write makes stale.
    pub invalidates: Vec<Invalidation>,
    /// Whether sending the request twice has the effect of sending it once, so a lost answer
    /// (transport error, 502/503/504) may be retried. Declared per operation by the typed
    /// endpoint call ([`ApiRequest::idempotent`]), not derived from the method: a reorder is a
    /// PUT that moves items again when repeated, a skip is a POST.
    pub idempotent: bool,
}

impl ApiRequest {
    pub fn new(method: Method, template: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            template,
            path: path.into(),
            query: Vec::new(),
            body: Body::None,
            extended: false,
            cache: CacheClass::None,
            invalidates: Vec::new(),
            idempotent: false,
        }
    }

    /// A read: always safe to repeat.
    pub fn get(template: &'static str, path: impl Into<String>) -> Self {
        Self::new(Method::GET, template, path).idempotent()
    }

    /// A PUT, not retried unless the operation declares [`ApiRequest::idempotent`].
    pub fn put(template: &'static str, path: impl Into<String>) -> Self {
        Self::new(Method::PUT, template, path)
    }

    /// A POST, not retried unless the operation declares [`ApiRequest::idempotent`].
    pub fn post(template: &'static str, path: impl Into<String>) -> Self {
        Self::new(Method::POST, template, path)
    }

    /// A DELETE, not retried unless the operation declares [`ApiRequest::idempotent`].
    pub fn delete(template: &'static str, path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, template, path)
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn query_opt<T: ToString>(self, name: &'static str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    pub fn json<T: Serialize>(mut self, body: &T) -> Result<Self, SpotifyError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| SpotifyError::invalid(format!("cannot encode request body: {e}")))?;
        self.body = Body::Json(bytes);
        Ok(self)
    }

    pub fn jpeg_base64(mut self, base64: String) -> Self {
        self.body = Body::JpegBase64(base64);
        self
    }

    /// Declares that repeating this operation cannot do harm (it sets a state rather than
    /// changing it relative to what is there), so a lost answer may be retried.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    pub fn extended(mut self) -> Self {
        self.extended = true;
        self
    }

    pub fn cache(mut self, class: CacheClass) -> Self {
        self.cache = class;
        self
    }

    pub fn invalidates(mut self, what: Invalidation) -> Self {
        self.invalidates.push(what);
        self
    }

    /// `GET /playlists/{playlist_id}/items`: method and template, for labels and messages.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// Whether repeating the request cannot do harm, as the operation declared it.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// The path with its query string, the request's identity within one user's cache.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            serializer.append_pair(k, v);
        }
        format!("{}?{}", self.path, serializer.finish())
    }

    /// Whether the call acts for a user (`/me/...`), which app-only credentials cannot do.
    pub fn needs_user(&self) -> bool {
        self.template.starts_with("/me")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_is_declared_per_operation_not_per_method() {
        assert!(ApiRequest::get("/me", "/me").is_idempotent());
        // Writes are not repeated unless the operation says so.
        assert!(!ApiRequest::put("/x", "/x").is_idempotent());
        assert!(!ApiRequest::delete("/x", "/x").is_idempotent());
        assert!(!ApiRequest::post("/x", "/x").is_idempotent());
        assert!(ApiRequest::put("/x", "/x").idempotent().is_idempotent());
    }

    #[test]
    fn path_and_query_encodes_values() {
        let req = ApiRequest::get("/search", "/search")
            .query("q", "artist:Miles Davis & co")
            .query("type", "track,album")
            .query_opt::<u32>("limit", None);
        assert_eq!(
            req.path_and_query(),
            "/search?q=artist%3AMiles+Davis+%26+co&type=track%2Calbum"
        );
        assert_eq!(req.endpoint(), "GET /search");
        assert!(!req.needs_user());
        assert!(ApiRequest::get("/me/player", "/me/player").needs_user());
    }
}
