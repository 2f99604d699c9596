//! What a call's Spotify requests go through on the way (a 429 wait, a retry), told to whoever
//! asked: the MCP handler runs a tool call inside [`reporting`] when its client wants log
//! messages and sends each [`CallEvent`] as `notifications/message`. Outside [`reporting`]
//! (the CLI, a client that set no level) [`report`] does nothing.
//!
//! Events carry only the endpoint template and durations, never a token or a header.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

tokio::task_local! {
    static SINK: Option<UnboundedSender<CallEvent>>;
}

/// Something a call waited for or repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// Spotify answered 429; the request is sent again after `wait` (its `Retry-After`).
    RateLimited { endpoint: String, wait: Duration },
    /// The client ID's 429 gate is closed (a 429 of this or another call): the request waits
    /// `remaining` before it is sent.
    GateWait { remaining: Duration },
    /// A transient failure (`cause`: a 5xx status or a transport error); the request is sent
    /// again after `delay`.
    Retry {
        endpoint: String,
        cause: String,
        delay: Duration,
    },
}

/// Runs `call` with every [`CallEvent`] of its Spotify requests (on this task) sent to `sink`.
pub async fn reporting<F: Future>(sink: UnboundedSender<CallEvent>, call: F) -> F::Output {
    SINK.scope(Some(sink), call).await
}

/// The sink of the surrounding [`reporting`] scope, to carry into a task the call spawns
/// (with [`reporting_to`]).
pub fn current() -> Option<UnboundedSender<CallEvent>> {
    SINK.try_with(Option::clone).ok().flatten()
}

/// Runs `call` reporting to `sink` when there is one (see [`current`]).
pub async fn reporting_to<F: Future>(
    sink: Option<UnboundedSender<CallEvent>>,
    call: F,
) -> F::Output {
    SINK.scope(sink, call).await
}

/// Tells the surrounding [`reporting`] scope, if any, about `event` (built only then).
pub fn report(event: impl FnOnce() -> CallEvent) {
    let _ = SINK.try_with(|sink| {
        if let Some(sink) = sink {
            // The receiver is gone only when the call is already being dropped.
            let _ = sink.send(event());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_reach_the_surrounding_scope_only() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // Outside a scope nothing happens (and nothing is built).
        report(|| panic!("built outside a reporting scope"));
        reporting(tx, async {
            report(|| CallEvent::GateWait {
                remaining: Duration::from_secs(2),
            });
        })
        .await;
        assert_eq!(
            rx.recv().await,
            Some(CallEvent::GateWait {
                remaining: Duration::from_secs(2)
            })
        );
        // The scope dropped its sender: the channel is closed.
        assert_eq!(rx.recv().await, None);

        // A spawned task reports to the scope that spawned it when given its sink.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        reporting(tx, async {
            let sink = current();
            let task = tokio::spawn(reporting_to(sink, async {
                report(|| CallEvent::GateWait {
                    remaining: Duration::from_secs(1),
                });
            }));
            let _ = task.await;
        })
        .await;
        assert!(rx.recv().await.is_some());
        assert_eq!(rx.recv().await, None);
    }
}
