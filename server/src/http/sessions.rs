//! A bound on the 2025-11-25 sessions `/mcp` keeps in memory.
//!
//! rmcp's [`LocalSessionManager`] keeps every session until it is deleted or idle for its
//! keep-alive; one client opened 30,000 sessions (about 51 KB each) in six seconds. This wrapper
//! refuses a new session while `max` are open, and sets the idle expiry: an expired session
//! leaves the map, and its memory is freed.
//!
//! It also cancels a session's request whose HTTP response stream the client dropped before
//! the answer came (the client went away): rmcp would otherwise run it to the end, so a read-only
//! tool kept calling Spotify for nobody. The cancellation is the same `notifications/cancelled`
//! a client sends, so the tool sees it through its request's cancellation token.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, JsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionHandle, LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId,
};

/// The start of the message of [`SessionError::Full`]; the JSON-RPC layer recognises it in
/// rmcp's plain-text 500 and answers 503 instead.
pub const SESSIONS_FULL: &str = "too many open MCP sessions";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("too many open MCP sessions ({max}, --max-sessions)")]
    Full { max: usize },
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

/// [`LocalSessionManager`] with at most `max` sessions.
#[derive(Debug)]
pub struct BoundedSessions {
    inner: LocalSessionManager,
    max: usize,
    /// Where sessions of every replica are kept, when shared (`--cache redis://`).
    store: Option<super::session_store::RedisSessionStore>,
    /// Serialises the count check and the insertion of concurrent creations.
    creating: tokio::sync::Mutex<()>,
    /// With subscriptions shared by replicas: the handler whose relay feeds a session's stream
    /// held here (see `mcp::relay`).
    relay: Option<crate::mcp::SpotifyMcp>,
}

impl BoundedSessions {
    pub fn new(max: usize, idle_timeout: Duration) -> Self {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = Some(idle_timeout);
        Self {
            inner,
            max,
            store: None,
            creating: tokio::sync::Mutex::new(()),
            relay: None,
        }
    }

    /// A session's stream held here carries the notifications of its subscriptions kept in
    /// Redis, whichever replica they were made on (when `mcp` shares subscriptions).
    pub fn with_relay(mut self, mcp: &crate::mcp::SpotifyMcp) -> Self {
        self.relay = Some(mcp.clone());
        self
    }

    /// `stream` with the relay of session `id` merged in when `wanted` and there is one.
    fn relayed<S>(&self, id: &SessionId, stream: S, wanted: bool) -> WithRelay<S> {
        WithRelay {
            inner: Box::pin(stream),
            relay: self
                .relay
                .as_ref()
                .filter(|_| wanted)
                .and_then(|mcp| crate::mcp::relay::relay(mcp, id)),
        }
    }

    /// Sessions are also known to the other replicas through `store`.
    pub fn with_store(mut self, store: Option<super::session_store::RedisSessionStore>) -> Self {
        self.store = store;
        self
    }

    /// Whether `id` is a session here or, when shared, of another replica.
    async fn exists(&self, id: &str) -> bool {
        if self
            .inner
            .has_session(&SessionId::from(id.to_owned()))
            .await
            .unwrap_or(false)
        {
            return true;
        }
        match &self.store {
            Some(store) => store.contains(id).await,
            None => false,
        }
    }

    /// Sessions open now.
    pub async fn len(&self) -> usize {
        self.inner.sessions.read().await.len()
    }
}

/// Middleware for `DELETE /mcp`: a session that does not exist (never did, ended or expired)
/// answers 404, as the transport specifies for unknown sessions, instead of rmcp's 202; a session
/// that was closed answers 204 No Content instead of 202 (the request is done, not accepted for
/// later; the official Python SDK logs "Session termination failed: 202" for anything but 200
/// or 204).
pub async fn session_delete(
    State(sessions): State<Arc<BoundedSessions>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::DELETE
        && let Some(id) = request
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        && !sessions.exists(id).await
    {
        return (
            StatusCode::NOT_FOUND,
            "no such MCP session: it ended, expired or never existed\n",
        )
            .into_response();
    }
    let delete = (request.method() == Method::DELETE)
        .then(|| request.headers().get("mcp-session-id").cloned())
        .flatten();
    let mut response = next.run(request).await;
    if let Some(id) = delete
        && response.status() == StatusCode::ACCEPTED
    {
        *response.status_mut() = StatusCode::NO_CONTENT;
        *response.body_mut() = axum::body::Body::empty();
        sessions.forget_subscriptions(&id).await;
    }
    response
}

impl BoundedSessions {
    /// Forgets the shared subscriptions of session `id`, which its client ended. (Only then: a
    /// replica that stops or lets a session idle out closes it here, but the session may go on
    /// on another replica; the subscriptions' own expiry covers the rest.)
    async fn forget_subscriptions(&self, id: &axum::http::HeaderValue) {
        if let Some(shared) = self
            .relay
            .as_ref()
            .and_then(|mcp| mcp.shared_subscriptions())
            && let Ok(id) = id.to_str()
            && let Err(e) = shared.forget(id).await
        {
            tracing::debug!(error = %e, "the ended session's subscriptions stay until they expire");
        }
    }
}

impl SessionManager for BoundedSessions {
    type Error = SessionError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let _creating = self.creating.lock().await;
        if self.len().await >= self.max {
            tracing::warn!(
                max = self.max,
                "new MCP session refused: too many open sessions"
            );
            return Err(SessionError::Full { max: self.max });
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let request_id = match &message {
            JsonRpcMessage::Request(request) => Some(request.id.clone()),
            _ => None,
        };
        let handle = self.inner.sessions.read().await.get(id).cloned();
        let stream = self.inner.create_stream(id, message).await?;
        Ok(CancelIfDropped {
            inner: Box::pin(stream),
            pending: request_id.zip(handle),
        })
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_standalone_stream(id).await?;
        Ok(self.relayed(id, stream, true))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        // An event ID without `/{request}` is one of the session's own stream (its GET).
        let standalone = !last_event_id.contains('/');
        let stream = self.inner.resume(id, last_event_id).await?;
        Ok(self.relayed(id, stream, standalone))
    }

    /// A session another replica began (found in the session store): re-created here, within
    /// the same bound as new ones.
    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        let _creating = self.creating.lock().await;
        if !self.inner.has_session(&id).await? && self.len().await >= self.max {
            tracing::warn!(
                max = self.max,
                "MCP session not restored: too many open sessions"
            );
            return Err(SessionError::Full { max: self.max });
        }
        let restored = self.inner.restore_session(id).await?;
        if matches!(restored, RestoreOutcome::Restored(_)) {
            tracing::debug!("restored an MCP session begun on another replica");
        }
        Ok(restored)
    }
}

/// A session's stream (its `GET`) with the notifications of its shared subscriptions merged
/// in; it ends when the session's stream ends.
pub struct WithRelay<S> {
    inner: Pin<Box<S>>,
    relay: Option<crate::mcp::relay::Relay>,
}

impl<S: Stream<Item = ServerSseMessage>> Stream for WithRelay<S> {
    type Item = ServerSseMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(next) = self.inner.as_mut().poll_next(cx) {
            return Poll::Ready(next);
        }
        let Some(relay) = self.relay.as_mut() else {
            return Poll::Pending;
        };
        match Pin::new(relay).poll_next(cx) {
            Poll::Ready(Some(message)) => {
                let mut sse = ServerSseMessage::default();
                sse.message = Some(Arc::new(message));
                Poll::Ready(Some(sse))
            }
            Poll::Ready(None) => {
                self.relay = None;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A request's response stream that sends `notifications/cancelled` for the request into its
/// session when it is dropped before the answer went out (the client closed the connection).
struct CancelIfDropped<S> {
    inner: Pin<Box<S>>,
    /// The request and its session while the answer is outstanding.
    pending: Option<(RequestId, LocalSessionHandle)>,
}

/// Whether `message` answers the request `id` (a result or an error).
fn answers(message: &ServerJsonRpcMessage, id: &RequestId) -> bool {
    match message {
        JsonRpcMessage::Response(response) => &response.id == id,
        JsonRpcMessage::Error(error) => error.id.as_ref() == Some(id),
        _ => false,
    }
}

/// The `notifications/cancelled` a client would send for `id`.
fn cancelled(id: &RequestId) -> Option<ClientJsonRpcMessage> {
    serde_json::from_value(serde_json::json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": id, "reason": "the client closed the connection"},
    }))
    .ok()
}

impl<S: Stream<Item = ServerSseMessage>> Stream for CancelIfDropped<S> {
    type Item = ServerSseMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(None) => self.pending = None,
            Poll::Ready(Some(sse)) => {
                if let (Some(message), Some((id, _))) = (&sse.message, &self.pending)
                    && answers(message, id)
                {
                    self.pending = None;
                }
            }
            Poll::Pending => {}
        }
        next
    }
}

impl<S> Drop for CancelIfDropped<S> {
    fn drop(&mut self) {
        if let Some((id, handle)) = self.pending.take()
            && let Some(message) = cancelled(&id)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            tracing::debug!(request = %id, "client closed the connection; cancelling its request");
            runtime.spawn(async move {
                // The session may have ended meanwhile: then there is nothing to cancel.
                let _ = handle.push_message(message, None).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ErrorData, ServerResult};

    #[test]
    fn a_result_or_an_error_with_the_id_answers_the_request() {
        let id = RequestId::Number(7);
        let result = ServerJsonRpcMessage::response(ServerResult::empty(()), id.clone());
        assert!(answers(&result, &id));
        assert!(!answers(&result, &RequestId::Number(8)));
        let error =
            ServerJsonRpcMessage::error(ErrorData::internal_error("x", None), Some(id.clone()));
        assert!(answers(&error, &id));
        let message = cancelled(&id).expect("a valid notification");
        let text = serde_json::to_string(&message).expect("json");
        assert!(
            text.contains("notifications/cancelled") && text.contains("\"requestId\":7"),
            "{text}"
        );
    }
}
