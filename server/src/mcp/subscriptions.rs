//! Resource subscriptions: `notifications/resources/updated` when the player, the queue, the
//! devices or the user's playlists change, and `notifications/resources/list_changed` when the
//! playlists (which `resources/list` lists) change.
//!
//! Spotify pushes nothing to a Web API client, so changes are found by polling. One [`Hub`]
//! serves one Spotify user (it lives beside that user's client), and keeps **one poller per
//! resource**, shared by every subscriber of every session: a thousand subscribers of
//! now-playing cost Spotify the same requests as one. A poller reads the resource as
//! `resources/read` renders it (through the response cache, so playlists are re-read when their
//! cache entry expires or a write through this server drops it, the player every time), compares
//! it with what it read before (without the playback position, which moves every second), and
//! bumps a version that subscribers watch. A failed read doubles the wait (up to
//! [`MAX_BACKOFF`]); the client's 429 gate holds pollers like any caller. A poller stops as soon
//! as nobody watches it.
//!
//! Two ways to subscribe reach the same pollers: a 2025-11-25 session's `resources/subscribe`
//! ([`SessionSubscriptions`], ended by `resources/unsubscribe` or the session's end) and a
//! 2026-07-28 `subscriptions/listen` request ([`SpotifyMcp::listen`](super::SpotifyMcp), ended
//! when the request is cancelled).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::ResourceContents;
use rmcp::service::SubscriptionContext;
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

use super::SpotifyMcp;
use super::resources::{self, Target};
use crate::spotify::ids::ItemKind;

/// Longest wait between two reads of a resource that keeps failing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Resources polled at once for one user (distinct URIs; subscribers of one URI share it).
pub const MAX_POLLERS: usize = 64;
/// Resources one session (or one `subscriptions/listen` request) may watch.
pub const MAX_PER_SUBSCRIBER: usize = 32;

/// A resource that can be watched, or why it cannot.
pub fn watchable(uri: &str) -> Result<(), ErrorData> {
    match resources::parse(uri)? {
        Target::NowPlaying | Target::Devices | Target::Queue | Target::MyPlaylists => Ok(()),
        Target::Item(id) if id.kind() == ItemKind::Playlist => Ok(()),
        Target::Item(_) => Err(ErrorData::invalid_params(
            format!(
                "`{uri}` cannot be subscribed to: albums, artists and tracks do not change. \
                 Subscribable: spotify://player/now-playing, spotify://player/queue, \
                 spotify://player/devices, spotify://me/playlists, spotify://playlist/{{id}}"
            ),
            None,
        )),
    }
}

/// What is compared between two reads: the resource's text, without the playback position.
fn fingerprint(contents: &[ResourceContents]) -> String {
    let mut out = String::new();
    for content in contents {
        if let ResourceContents::TextResourceContents { text, .. } = content {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(mut map)) => {
                    map.remove("progress");
                    map.remove("progress_ms");
                    out.push_str(&serde_json::Value::Object(map).to_string());
                }
                _ => out.push_str(text),
            }
        }
    }
    out
}

/// One poller: its version channel, and an id that tells it apart from a successor that
/// replaced it under the same URI.
struct Poller {
    id: u64,
    changes: watch::Sender<u64>,
}

/// The pollers of one Spotify user, by resource URI.
pub struct Hub {
    interval: Duration,
    pollers: Mutex<HashMap<String, Poller>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("interval", &self.interval)
            .field("pollers", &self.active())
            .finish()
    }
}

impl Hub {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            pollers: Mutex::new(HashMap::new()),
            next_id: 0.into(),
        }
    }

    /// Resources polled now.
    pub fn active(&self) -> usize {
        self.pollers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|p| !p.changes.is_closed())
            .count()
    }

    /// A receiver whose version moves each time `uri` changes, from a poller shared with every
    /// other watcher of `uri` (started here if there is none). A new poller reads the resource
    /// once before this returns, so a change made after it returns is seen.
    pub async fn watch(
        &self,
        server: &SpotifyMcp,
        uri: &str,
    ) -> Result<watch::Receiver<u64>, ErrorData> {
        watchable(uri)?;
        let (id, changes) = {
            let mut pollers = self.pollers.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(poller) = pollers.get(uri)
                && !poller.changes.is_closed()
            {
                return Ok(poller.changes.subscribe());
            }
            pollers.retain(|_, p| !p.changes.is_closed());
            if pollers.len() >= MAX_POLLERS {
                return Err(ErrorData::invalid_request(
                    format!(
                        "too many resources watched at once ({MAX_POLLERS}); unsubscribe from \
                         some first"
                    ),
                    None,
                ));
            }
            let id = self
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (changes, _) = watch::channel(0);
            pollers.insert(
                uri.to_owned(),
                Poller {
                    id,
                    changes: changes.clone(),
                },
            );
            (id, changes)
        };
        let receiver = changes.subscribe();
        // The poller reads with a handler of its own: holding the caller's would keep that
        // session's subscriptions (and so this poller) alive after the session ended.
        let reader = server.for_session();
        let baseline = reader.poll_read(uri).await.ok();
        let mut poll = Poll {
            hub: server.subscriptions_hub(),
            id,
            server: reader,
            uri: uri.to_owned(),
            interval: self.interval,
            changes,
            last: baseline,
        };
        tokio::spawn(async move { poll.run().await });
        Ok(receiver)
    }

    /// Whether the poller `id` of `uri` may stop: nobody watches it. Checked under the lock
    /// [`Self::watch`] subscribes under, so a watcher never joins a poller that is stopping;
    /// the entry is removed unless a successor took its place.
    fn retire(&self, uri: &str, id: u64, changes: &watch::Sender<u64>) -> bool {
        let mut pollers = self.pollers.lock().unwrap_or_else(PoisonError::into_inner);
        if !changes.is_closed() {
            return false;
        }
        if pollers.get(uri).is_some_and(|p| p.id == id) {
            pollers.remove(uri);
        }
        true
    }
}

/// One resource's polling loop.
struct Poll {
    hub: Arc<Hub>,
    id: u64,
    server: SpotifyMcp,
    uri: String,
    interval: Duration,
    changes: watch::Sender<u64>,
    /// What the last successful read found (`None` before one succeeded).
    last: Option<String>,
}

impl Poll {
    async fn run(&mut self) {
        tracing::debug!(uri = %self.uri, "resource poller started");
        let mut wait = self.interval;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.changes.closed() => {
                    if self.hub.retire(&self.uri, self.id, &self.changes) {
                        break;
                    }
                    continue;
                }
            }
            match self.server.poll_read(&self.uri).await {
                Ok(now) => {
                    wait = self.interval;
                    let changed = self.last.as_ref().is_some_and(|last| *last != now);
                    self.last = Some(now);
                    if changed {
                        tracing::debug!(uri = %self.uri, "resource changed");
                        self.changes.send_modify(|version| *version += 1);
                    }
                }
                Err(e) => {
                    wait = (wait * 2).min(MAX_BACKOFF.max(self.interval));
                    tracing::debug!(uri = %self.uri, error = %e.message, next_in = ?wait,
                        "resource poll failed; backing off");
                }
            }
        }
        tracing::debug!(uri = %self.uri, "resource poller stopped: nobody watches");
    }
}

impl SpotifyMcp {
    /// Reads `uri` for a poller and returns what is compared between reads.
    async fn poll_read(&self, uri: &str) -> Result<String, ErrorData> {
        resources::read(self, uri)
            .await
            .map(|result| fingerprint(&result.contents))
    }
}

/// The answer to a `resources/subscribe` beyond [`MAX_PER_SUBSCRIBER`].
pub fn too_many() -> ErrorData {
    ErrorData::invalid_request(
        format!(
            "this session already watches {MAX_PER_SUBSCRIBER} resources, the most one session \
             may; unsubscribe from one first"
        ),
        None,
    )
}

/// The key of a session's `list_changed` forwarder among its URIs.
pub const LIST_CHANGED: &str = "notifications/resources/list_changed";

/// Serves one 2026-07-28 `subscriptions/listen` request until it is cancelled: the accepted
/// resources' changes as `notifications/resources/updated`, the playlists' as
/// `notifications/resources/list_changed`, on the request's own stream.
pub async fn listen(server: &SpotifyMcp, context: SubscriptionContext) -> Result<(), ErrorData> {
    let accepted = context.accepted().clone();
    let hub = server.subscriptions_hub();
    let mut forwarders = tokio::task::JoinSet::new();
    for uri in accepted.resource_subscriptions.unwrap_or_default() {
        let changes = hub.watch(server, &uri).await?;
        let sink = context.sink().clone();
        forwarders.spawn(forward(changes, move || {
            let (sink, uri) = (sink.clone(), uri.clone());
            async move {
                sink.notify_resource_updated(uri)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
    }
    if accepted.resources_list_changed == Some(true) {
        let changes = hub.watch(server, resources::MY_PLAYLISTS).await?;
        let sink = context.sink().clone();
        forwarders.spawn(forward(changes, move || {
            let sink = sink.clone();
            async move {
                sink.notify_resource_list_changed()
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
    }
    // Dropping the set when the request ends stops the forwarders (and idle pollers after them).
    tokio::select! {
        () = context.cancelled() => {}
        () = server.closing.cancelled() => {}
    }
    drop(forwarders);
    Ok(())
}

/// Sends one notification per change of `changes` until the poller is gone or a send fails
/// (the client or its stream went away).
pub(crate) async fn forward<F, Fut>(mut changes: watch::Receiver<u64>, send: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    while changes.changed().await.is_ok() {
        if let Err(e) = send().await {
            tracing::debug!(error = %e, "subscriber gone; its notifications end");
            break;
        }
    }
}

/// A 2025-11-25 session's subscriptions: one forwarding task per URI, each turning the
/// poller's changes into `notifications/resources/updated` on the session. Dropping this (the
/// session ended) stops them all, and the pollers nobody else watches stop after them.
#[derive(Default)]
pub struct SessionSubscriptions {
    forwarders: Mutex<HashMap<String, AbortOnDropHandle<()>>>,
}

impl std::fmt::Debug for SessionSubscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSubscriptions")
            .field("uris", &self.len())
            .finish()
    }
}

impl SessionSubscriptions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, AbortOnDropHandle<()>>> {
        self.forwarders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// URIs subscribed to.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether `uri` is subscribed to (its forwarder still runs).
    pub fn contains(&self, uri: &str) -> bool {
        self.lock().get(uri).is_some_and(|f| !f.is_finished())
    }

    /// Whether one more URI may be added.
    pub fn has_room(&self) -> bool {
        let mut forwarders = self.lock();
        forwarders.retain(|_, f| !f.is_finished());
        forwarders.len() < MAX_PER_SUBSCRIBER
    }

    /// Starts forwarding `changes` of `uri` to `peer` (replacing an earlier subscription).
    pub fn add(
        &self,
        uri: &str,
        changes: watch::Receiver<u64>,
        peer: rmcp::service::Peer<rmcp::RoleServer>,
    ) {
        let owned = uri.to_owned();
        let task = tokio::spawn(forward(changes, move || {
            let (peer, uri) = (peer.clone(), owned.clone());
            async move {
                let update = rmcp::model::ResourceUpdatedNotificationParam::new(uri);
                peer.notify_resource_updated(update)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
        self.lock()
            .insert(uri.to_owned(), AbortOnDropHandle::new(task));
    }

    /// Starts sending `notifications/resources/list_changed` to `peer` on each of `changes`.
    pub fn add_list_changed(
        &self,
        changes: watch::Receiver<u64>,
        peer: rmcp::service::Peer<rmcp::RoleServer>,
    ) {
        let task = tokio::spawn(forward(changes, move || {
            let peer = peer.clone();
            async move {
                peer.notify_resource_list_changed()
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
        self.lock()
            .insert(LIST_CHANGED.to_owned(), AbortOnDropHandle::new(task));
    }

    /// Stops forwarding `uri`; whether it was subscribed to.
    pub fn remove(&self, uri: &str) -> bool {
        self.lock().remove(uri).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changing_resources_are_watchable() {
        for uri in [
            resources::NOW_PLAYING,
            resources::QUEUE,
            resources::DEVICES,
            resources::MY_PLAYLISTS,
            "spotify://playlist/37i9dQZF1DXcBWIGoYBM5M",
        ] {
            assert!(watchable(uri).is_ok(), "{uri}");
        }
        let album = watchable("spotify://album/4aawyAB9vmqN3uQ7FjRGTy").unwrap_err();
        assert!(album.message.contains("do not change"), "{}", album.message);
        assert!(watchable("spotify://player/lyrics").is_err());
    }

    #[test]
    fn the_playback_position_is_not_a_change() {
        let read = |text: &str| vec![ResourceContents::text(text, resources::NOW_PLAYING)];
        let at_10 =
            read(r#"{"playing":true,"item":{"uri":"a"},"progress":"0:10","progress_ms":10000}"#);
        let at_20 =
            read(r#"{"playing":true,"item":{"uri":"a"},"progress":"0:20","progress_ms":20000}"#);
        let paused =
            read(r#"{"playing":false,"item":{"uri":"a"},"progress":"0:20","progress_ms":20000}"#);
        assert_eq!(fingerprint(&at_10), fingerprint(&at_20));
        assert_ne!(fingerprint(&at_20), fingerprint(&paused));
    }
}
