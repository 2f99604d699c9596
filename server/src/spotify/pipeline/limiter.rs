//! One client-side rate limiter per Spotify client ID, shared by every [`SpotifyClient`] of
//! the process (Spotify counts requests per client ID over a rolling window, no matter which
//! user they act for).
//!
//! [`SpotifyClient`]: crate::spotify::SpotifyClient

use crate::spotify::config::RateLimit;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// A keyed (by client ID) limiter for one quota.
pub type SharedLimiter = Arc<DefaultKeyedRateLimiter<String>>;

static LIMITERS: LazyLock<Mutex<HashMap<RateLimitKey, SharedLimiter>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RateLimitKey {
    per_second: u32,
    burst: u32,
}

/// The process-wide limiter for this quota; callers key it by their client ID.
pub fn shared_limiter(limit: RateLimit) -> SharedLimiter {
    let key = RateLimitKey {
        per_second: limit.per_second.get(),
        burst: limit.burst.get(),
    };
    // A poisoned lock only means another thread panicked while inserting: the map is still usable.
    let mut map = LIMITERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(key)
        .or_insert_with(|| {
            Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_second(limit.per_second).allow_burst(limit.burst),
            ))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    #[test]
    fn clients_of_one_id_share_a_budget_and_ids_are_independent() {
        let limit = RateLimit {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        };
        let a = shared_limiter(limit);
        let b = shared_limiter(limit);
        assert!(Arc::ptr_eq(&a, &b));
        let id = "limiter-test-client".to_owned();
        for _ in 0..3 {
            assert!(a.check_key(&id).is_ok());
        }
        assert!(
            b.check_key(&id).is_err(),
            "second handle must see the same exhausted budget"
        );
        assert!(b.check_key(&"another-client".to_owned()).is_ok());
    }
}
