//! Resource notifications of a 2025-11-25 session whose requests are spread over replicas.
//!
//! With Redis, a session's `resources/subscribe` and `resources/unsubscribe` only change the
//! session's set in Redis ([`SharedSubscriptions`]), whichever replica they reach. The replica
//! that holds the session's stream (its `GET /mcp`) runs a relay for it: every poll interval it
//! reads the set, watches what it lists through this process's shared pollers ([`Hub`]), and
//! sends `notifications/resources/updated` (and `list_changed`) into that stream. A replica that
//! dies takes only its relay along: the client's next `GET` on another replica starts one there
//! from the same set.
//!
//! [`Hub`]: super::subscriptions::Hub

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use rmcp::model::ServerJsonRpcMessage;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::SpotifyMcp;
use super::resources;
use super::subscriptions::{self, LIST_CHANGED, MAX_PER_SUBSCRIBER};
use crate::redis_cache::session_subs::SharedSubscriptions;

/// Notifications waiting for the stream; a relay waits when the client reads slower.
const QUEUE: usize = 16;

/// The notifications of one session's shared subscriptions, while this stream is held.
pub struct Relay {
    received: mpsc::Receiver<ServerJsonRpcMessage>,
    _task: AbortOnDropHandle<()>,
}

impl Stream for Relay {
    type Item = ServerJsonRpcMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.received.poll_recv(cx)
    }
}

/// The relay of `session_id`, when `server` keeps subscriptions in Redis.
pub fn relay(server: &SpotifyMcp, session_id: &str) -> Option<Relay> {
    let shared = server.shared_subs.clone()?;
    let (send, received) = mpsc::channel(QUEUE);
    let task = tokio::spawn(run(server.clone(), shared, session_id.to_owned(), send));
    Some(Relay {
        received,
        _task: AbortOnDropHandle::new(task),
    })
}

/// The JSON-RPC notification for a change of what `key` names.
fn notification(key: &str) -> Option<ServerJsonRpcMessage> {
    let message = if key == LIST_CHANGED {
        serde_json::json!({"jsonrpc": "2.0", "method": LIST_CHANGED})
    } else {
        serde_json::json!({
            "jsonrpc": "2.0",
            "method": "notifications/resources/updated",
            "params": {"uri": key},
        })
    };
    serde_json::from_value(message).ok()
}

async fn run(
    server: SpotifyMcp,
    shared: SharedSubscriptions,
    session_id: String,
    send: mpsc::Sender<ServerJsonRpcMessage>,
) {
    tracing::debug!("relaying the session's shared subscriptions to its stream");
    let hub = server.subscriptions_hub();
    let mut forwarders: HashMap<String, AbortOnDropHandle<()>> = HashMap::new();
    let mut tick = tokio::time::interval(server.options().subscription_poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = send.closed() => break,
            _ = tick.tick() => {}
        }
        let wanted = match shared.members(&session_id).await {
            Ok(wanted) => wanted,
            Err(e) => {
                // Keep what runs; the next tick asks again.
                tracing::debug!(error = %e, "could not read the session's subscriptions");
                continue;
            }
        };
        forwarders.retain(|key, forwarder| wanted.contains(key) && !forwarder.is_finished());
        for key in wanted.into_iter().take(MAX_PER_SUBSCRIBER + 1) {
            if forwarders.contains_key(&key) {
                continue;
            }
            tracing::debug!(uri = %key, "relaying a shared subscription");
            let watched = if key == LIST_CHANGED {
                resources::MY_PLAYLISTS
            } else {
                key.as_str()
            };
            let changes = match hub.watch(&server, watched).await {
                Ok(changes) => changes,
                Err(e) => {
                    tracing::debug!(uri = %key, error = %e.message, "not watchable; ignored");
                    continue;
                }
            };
            let Some(message) = notification(&key) else {
                continue;
            };
            let send = send.clone();
            let task = tokio::spawn(subscriptions::forward(changes, move || {
                let (send, message) = (send.clone(), message.clone());
                async move { send.send(message).await.map_err(|e| e.to_string()) }
            }));
            forwarders.insert(key, AbortOnDropHandle::new(task));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_name_what_changed() {
        let updated = serde_json::to_value(notification(resources::NOW_PLAYING).unwrap()).unwrap();
        assert_eq!(updated["method"], "notifications/resources/updated");
        assert_eq!(updated["params"]["uri"], resources::NOW_PLAYING);
        let listed = serde_json::to_value(notification(LIST_CHANGED).unwrap()).unwrap();
        assert_eq!(listed["method"], LIST_CHANGED);
    }
}
