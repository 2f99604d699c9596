//! One deadline per tool call, however many Spotify requests the call makes.
//!
//! A tool such as `create_playlist_from_queries` or `add_to_queue` with several items sends
//! several requests; with a deadline per request the call could last several times
//! `--call-timeout-secs`. [`one_call`] marks a future as one call: the first request inside it
//! fixes the deadline (now + the call timeout) and every later request inside it gets what is
//! left. Outside [`one_call`] (the CLI, tests of the pipeline) each request has its own.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

tokio::task_local! {
    static CALL: OnceLock<Instant>;
}

/// Runs `call` with one deadline shared by every Spotify request made inside it (on this task).
pub async fn one_call<F: Future>(call: F) -> F::Output {
    CALL.scope(OnceLock::new(), call).await
}

/// The deadline of a request that starts now with `budget`: the call's, when inside
/// [`one_call`] (fixed by its first request), else its own.
pub fn for_request(budget: Duration) -> Instant {
    let own = Instant::now() + budget;
    CALL.try_with(|deadline| *deadline.get_or_init(|| own))
        .unwrap_or(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_inside_one_call_share_the_first_requests_deadline() {
        let budget = Duration::from_secs(5);
        let (first, later) = one_call(async {
            let first = for_request(budget);
            tokio::time::sleep(Duration::from_millis(30)).await;
            (first, for_request(budget))
        })
        .await;
        assert_eq!(first, later);

        // Outside a call, each request has its own.
        let a = for_request(budget);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(for_request(budget) > a);
        // And separate calls do not share.
        let b = one_call(async { for_request(budget) }).await;
        assert!(b > a);
    }
}
