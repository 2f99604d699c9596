//! "Rate limited until T": after Spotify answers 429 with `Retry-After`, no request of the
//! same client ID is sent before that moment, whichever [`SpotifyClient`] of the process
//! issues it (Spotify counts requests per client ID, not per user). Calls that may wait that
//! long wait for the same T; the others fail at once saying how long is left.
//!
//! The holds are keyed by API base URL and client ID: in production the base URL is fixed, so
//! this is per client ID; in tests every fake Spotify has its own base URL, so one test's 429
//! does not hold another's requests.
//!
//! [`SpotifyClient`]: crate::spotify::SpotifyClient

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The longest hold remembered: a `Retry-After` beyond a day is taken as a day, so a bogus
/// header cannot lock the app out for the life of the process (nor overflow an [`Instant`]).
pub const MAX_HOLD: Duration = Duration::from_secs(24 * 60 * 60);

/// When requests may go out again, and the wait Spotify asked for that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub until: Instant,
    pub asked: Duration,
}

/// The hold of one client ID (shared by every pipeline of that client ID).
#[derive(Debug, Default)]
pub struct RateLimitHold {
    state: Mutex<Option<Held>>,
    /// Where holds learnt from Spotify here are announced (to the other replicas, through
    /// Redis: see `redis_cache::holds`); none without a shared backend.
    announce: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Duration>>>,
}

impl RateLimitHold {
    /// Spotify answered 429 here with `asked`: hold, and tell the other replicas.
    pub fn learned(&self, now: Instant, asked: Duration) {
        self.hold(now, asked);
        let announce = self
            .announce
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(outbox) = announce.as_ref() {
            // A closed outbox means the sharing task stopped: the hold stays local.
            let _ = outbox.send(asked.min(MAX_HOLD));
        }
    }

    /// Sends every hold learnt from now on to `outbox` (replacing an earlier one).
    pub fn announce_to(&self, outbox: tokio::sync::mpsc::UnboundedSender<Duration>) {
        *self
            .announce
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(outbox);
    }

    /// Spotify asked to wait `asked` from `now`: hold until then, unless already held longer.
    pub fn hold(&self, now: Instant, asked: Duration) {
        let asked = asked.min(MAX_HOLD);
        let until = now.checked_add(asked).unwrap_or(now);
        let mut state = self.lock();
        if state.is_none_or(|held| held.until < until) {
            *state = Some(Held { until, asked });
        }
    }

    /// The hold in force at `now`, if any (an expired one is forgotten).
    pub fn current(&self, now: Instant) -> Option<Held> {
        let mut state = self.lock();
        match *state {
            Some(held) if held.until > now => Some(held),
            Some(_) => {
                *state = None;
                None
            }
            None => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Held>> {
        // A poisoned lock only means a thread panicked while holding it; the value is a plain
        // copy and still valid.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// API base URL and client ID.
type HoldKey = (String, String);

static HOLDS: LazyLock<Mutex<HashMap<HoldKey, Arc<RateLimitHold>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The process-wide hold for `client_id` at `api_base` (one entry per configured client ID).
pub fn shared_hold(api_base: &str, client_id: &str) -> Arc<RateLimitHold> {
    let mut map = HOLDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry((api_base.to_owned(), client_id.to_owned()))
        .or_default()
        .clone()
}

/// Forgets every hold of the API at `api_base`. For tests: a fake that stops frees its port,
/// and a later fake on the same port must not inherit its holds.
#[cfg(test)]
pub fn forget(api_base: &str) {
    let api_base = api_base.trim_end_matches('/');
    HOLDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .retain(|(base, _), _| base != api_base);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_until_its_end_and_only_grows() {
        let hold = RateLimitHold::default();
        let t0 = Instant::now();
        assert_eq!(hold.current(t0), None);
        hold.hold(t0, Duration::from_secs(10));
        let held = hold.current(t0 + Duration::from_secs(9)).unwrap();
        assert_eq!(held.until, t0 + Duration::from_secs(10));
        assert_eq!(held.asked, Duration::from_secs(10));
        // A shorter wait asked later does not shorten the hold.
        hold.hold(t0 + Duration::from_secs(1), Duration::from_secs(2));
        assert_eq!(
            hold.current(t0 + Duration::from_secs(5)).map(|h| h.until),
            Some(t0 + Duration::from_secs(10))
        );
        // A longer one extends it.
        hold.hold(t0 + Duration::from_secs(5), Duration::from_secs(20));
        assert_eq!(
            hold.current(t0 + Duration::from_secs(5)).map(|h| h.until),
            Some(t0 + Duration::from_secs(25))
        );
        assert_eq!(hold.current(t0 + Duration::from_secs(25)), None);
    }

    #[test]
    fn huge_waits_are_capped_and_do_not_overflow() {
        let hold = RateLimitHold::default();
        let t0 = Instant::now();
        hold.hold(t0, Duration::from_secs(u64::MAX));
        let held = hold.current(t0).unwrap();
        assert_eq!(held.until, t0 + MAX_HOLD);
        assert_eq!(held.asked, MAX_HOLD);
    }

    #[test]
    fn holds_are_shared_per_client_id_and_api_base() {
        let a = shared_hold("http://hold-test/v1", "hold-test-client");
        let b = shared_hold("http://hold-test/v1", "hold-test-client");
        assert!(Arc::ptr_eq(&a, &b));
        let other_id = shared_hold("http://hold-test/v1", "another-client");
        let other_base = shared_hold("http://other-hold-test/v1", "hold-test-client");
        assert!(!Arc::ptr_eq(&a, &other_id) && !Arc::ptr_eq(&a, &other_base));
        a.hold(Instant::now(), Duration::from_secs(60));
        assert!(b.current(Instant::now()).is_some());
        assert!(other_id.current(Instant::now()).is_none());
        forget("http://hold-test/v1/");
        let fresh = shared_hold("http://hold-test/v1", "hold-test-client");
        assert!(!Arc::ptr_eq(&a, &fresh) && fresh.current(Instant::now()).is_none());
    }
}
