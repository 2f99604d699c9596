//! Identical concurrent cache misses share one Spotify request (a single flight).
//!
//! An assistant often fires the same lookup several times at once, and two sessions of one
//! user ask for the same playlist; without this each miss is its own Spotify request, which
//! costs rate-limit budget for nothing. The first miss of a key starts the request in a task of
//! its own, and later misses of the same key wait for that answer.
//!
//! A miss joins only a flight started at the same invalidation epoch of its tag, so an answer
//! fetched across a write is never handed to a caller who came after the write. The request
//! runs to its end even when every caller has gone (its answer is still cached), and its entry
//! is removed when it ends, however it ends.

use crate::spotify::cache::CacheKey;
use crate::spotify::error::SpotifyError;
use crate::spotify::pipeline::ApiResponse;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

type Answer = Result<ApiResponse, SpotifyError>;
type Flight = Shared<BoxFuture<'static, Answer>>;
/// A cache key and the epoch of its tag when the flight started.
pub(crate) type FlightId = (CacheKey, u64);
type Flights = Arc<Mutex<HashMap<FlightId, Flight>>>;

/// The requests in flight, by cache key and epoch.
#[derive(Default)]
pub(crate) struct InFlight {
    flights: Flights,
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight")
            .field("flights", &self.flights.lock().len())
            .finish()
    }
}

/// Removes a flight's entry when its task ends (answer, error or panic).
struct Landing {
    flights: Flights,
    id: FlightId,
}

impl Drop for Landing {
    fn drop(&mut self) {
        self.flights.lock().remove(&self.id);
    }
}

impl InFlight {
    /// The answer of the flight `id`: joins the one in the air, or starts `fetch` as a new one.
    /// Must be called inside a Tokio runtime.
    pub(crate) async fn run<F>(&self, id: FlightId, fetch: F) -> Answer
    where
        F: Future<Output = Answer> + Send + 'static,
    {
        let flight = {
            let mut flights = self.flights.lock();
            match flights.get(&id) {
                Some(flight) => flight.clone(),
                None => {
                    // The lock is held until the entry is in, so the task's Landing (which
                    // takes the same lock) cannot remove it before it exists.
                    let landing = Landing {
                        flights: Arc::clone(&self.flights),
                        id: id.clone(),
                    };
                    let task = tokio::spawn(async move {
                        let _landing = landing;
                        fetch.await
                    });
                    let flight = async move {
                        task.await.unwrap_or_else(|e| {
                            Err(SpotifyError::Transport {
                                message: format!("the Spotify request task ended abnormally: {e}"),
                            })
                        })
                    }
                    .boxed()
                    .shared();
                    flights.insert(id, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// How many requests are in the air.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.flights.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spotify::cache::Tag;
    use bytes::Bytes;
    use reqwest::StatusCode;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn id(request: &str, epoch: u64) -> FlightId {
        let key = CacheKey {
            scope: "user".into(),
            tag: Tag::Catalog,
            request: request.into(),
        };
        (key, epoch)
    }

    fn fetch(
        calls: &Arc<AtomicUsize>,
        body: &'static str,
    ) -> impl Future<Output = Answer> + Send + use<> {
        let calls = Arc::clone(calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(ApiResponse {
                status: StatusCode::OK,
                body: Bytes::from_static(body.as_bytes()),
            })
        }
    }

    #[tokio::test]
    async fn same_key_and_epoch_share_one_fetch_and_the_entry_goes_when_it_lands() {
        let inflight = Arc::new(InFlight::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let answers = futures::future::join_all((0..8).map(|_| {
            let inflight = Arc::clone(&inflight);
            let calls = Arc::clone(&calls);
            async move { inflight.run(id("/tracks/a", 0), fetch(&calls, "a")).await }
        }))
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|a| a.as_ref().unwrap().body == "a"));
        assert_eq!(inflight.len(), 0);
        // A later miss starts a new flight.
        inflight
            .run(id("/tracks/a", 0), fetch(&calls, "a"))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn another_key_or_epoch_flies_alone() {
        let inflight = InFlight::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let (a, b, c) = tokio::join!(
            inflight.run(id("/tracks/a", 0), fetch(&calls, "a")),
            inflight.run(id("/tracks/b", 0), fetch(&calls, "b")),
            inflight.run(id("/tracks/a", 1), fetch(&calls, "a after a write")),
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(a.unwrap().body, "a");
        assert_eq!(b.unwrap().body, "b");
        assert_eq!(c.unwrap().body, "a after a write");
    }

    #[tokio::test]
    async fn errors_are_shared_and_a_caller_that_leaves_does_not_strand_the_others() {
        let inflight = Arc::new(InFlight::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = {
            let calls = Arc::clone(&calls);
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(SpotifyError::NotFound {
                    what: "track a".into(),
                })
            }
        };
        // The first caller starts the flight and is cancelled at once.
        let first = tokio::spawn({
            let inflight = Arc::clone(&inflight);
            async move { inflight.run(id("/tracks/a", 0), failing).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort();
        let joined = inflight
            .run(id("/tracks/a", 0), fetch(&calls, "never sent"))
            .await;
        assert!(
            matches!(joined, Err(SpotifyError::NotFound { .. })),
            "{joined:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(inflight.len(), 0);
    }

    #[tokio::test]
    async fn a_panicking_fetch_is_an_error_and_leaves_no_entry() {
        let inflight = InFlight::default();
        let answer = inflight
            .run(id("/tracks/a", 0), async { panic!("boom") })
            .await;
        assert!(
            matches!(&answer, Err(SpotifyError::Transport { message }) if message.contains("ended abnormally")),
            "{answer:?}"
        );
        assert_eq!(inflight.len(), 0);
    }
}
