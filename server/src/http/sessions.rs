//! A bound on the 2025-11-25 sessions `/mcp` keeps in memory.
//!
//! rmcp's [`LocalSessionManager`] keeps every session until it is deleted or idle for its
//! keep-alive; one client opened 30,000 sessions (about 51 KB each) in six seconds. This wrapper
//! refuses a new session while `max` are open, and sets the idle expiry: an expired session
//! leaves the map, and its memory is freed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId};

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
    /// Serialises the count check and the insertion of concurrent creations.
    creating: tokio::sync::Mutex<()>,
}

impl BoundedSessions {
    pub fn new(max: usize, idle_timeout: Duration) -> Self {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = Some(idle_timeout);
        Self {
            inner,
            max,
            creating: tokio::sync::Mutex::new(()),
        }
    }

    /// Sessions open now.
    pub async fn len(&self) -> usize {
        self.inner.sessions.read().await.len()
    }
}

/// Middleware: `DELETE /mcp` of a session that does not exist (never did, ended or expired)
/// answers 404, as the transport specifies for unknown sessions, instead of rmcp's 202.
pub async fn unknown_session_delete(
    State(sessions): State<Arc<BoundedSessions>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::DELETE
        && let Some(id) = request
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        && !sessions
            .inner
            .has_session(&SessionId::from(id.to_owned()))
            .await
            .unwrap_or(false)
    {
        return (
            StatusCode::NOT_FOUND,
            "no such MCP session: it ended, expired or never existed\n",
        )
            .into_response();
    }
    next.run(request).await
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
        Ok(self.inner.create_stream(id, message).await?)
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
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}
