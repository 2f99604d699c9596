//! "Rate limited until T", shared by every replica through Redis.
//!
//! Spotify limits a client ID, not a process: after one replica gets a 429 with `Retry-After`,
//! the others must not spend the same exhausted budget. Each replica keeps its process-wide
//! [`RateLimitHold`] (checked before every request without a Redis round trip) and mirrors it:
//! - a hold learnt here is written to `spotify-mcp:v1:hold:{client_id}` (the end, Unix ms, kept
//!   only if later than what is there, expiring with the hold) and published on
//!   `spotify-mcp:v1:holds`;
//! - every replica subscribes to that channel and applies what others publish, and reads the
//!   key when it (re)connects, so one that starts during a hold honours it too.
//!
//! Redis being down costs nothing but the sharing: each replica then holds on its own 429s, as
//! without Redis. Times cross processes as Unix milliseconds (the replicas' clocks are assumed
//! NTP-close; a skew of a few ms only shifts when requests resume).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;

use super::RedisCache;
use super::keys::PREFIX;
use crate::spotify::pipeline::hold::{MAX_HOLD, RateLimitHold};

/// Sets the key to the later of its value and ARGV[1] (ms), expiring ARGV[2] ms from now.
const SET_LATER: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 1
";

/// Longest wait between two attempts to (re)subscribe.
const MAX_RECONNECT: Duration = Duration::from_secs(30);

fn key(client_id: &str) -> String {
    format!("{PREFIX}hold:{client_id}")
}

fn channel() -> String {
    format!("{PREFIX}holds")
}

fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `{client_id} {until_ms}`: what is published.
fn message(client_id: &str, until_ms: u64) -> String {
    format!("{client_id} {until_ms}")
}

/// The hold a message announces for `client_id`, if it is about that client ID.
fn parse(message: &str, client_id: &str) -> Option<u64> {
    let (id, until) = message.rsplit_once(' ')?;
    (id == client_id).then(|| until.parse().ok()).flatten()
}

/// Holds `hold` until `until_ms` (Unix ms), if that is still ahead.
fn apply(hold: &RateLimitHold, until_ms: u64) {
    let now = unix_ms(SystemTime::now());
    if until_ms > now {
        let left = Duration::from_millis(until_ms - now).min(MAX_HOLD);
        hold.hold(Instant::now(), left);
    }
}

/// Shares `hold` (the process-wide hold of `client_id`) with the other replicas through
/// `redis`, for as long as the process runs.
pub fn share(redis: &RedisCache, hold: Arc<RateLimitHold>, client_id: &str) {
    let (outbox, mut learnt) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    hold.announce_to(outbox);
    let publisher = redis.clone();
    let id = client_id.to_owned();
    tokio::spawn(async move {
        let script = redis::Script::new(SET_LATER);
        while let Some(asked) = learnt.recv().await {
            let until = unix_ms(SystemTime::now() + asked);
            let (keys, text) = ([key(&id), channel()], message(&id, until));
            let ttl = u64::try_from(asked.as_millis()).unwrap_or(u64::MAX).max(1);
            let script = &script;
            let published: Result<i64, _> = publisher
                .inner
                .run(|mut conn| async move {
                    script
                        .key(&keys[0])
                        .key(&keys[1])
                        .arg(until)
                        .arg(ttl)
                        .arg(text)
                        .invoke_async(&mut conn)
                        .await
                })
                .await;
            if let Err(e) = published {
                tracing::warn!(error = %e, "could not share a 429 hold through Redis; it holds this replica only");
            }
        }
    });
    let subscriber = redis.clone();
    let id = client_id.to_owned();
    tokio::spawn(async move {
        let mut wait = Duration::from_millis(250);
        loop {
            match listen(&subscriber, &hold, &id).await {
                Ok(()) => wait = Duration::from_millis(250),
                Err(e) => {
                    tracing::debug!(error = %e, retry_in = ?wait, "429 holds of other replicas: not subscribed");
                }
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_RECONNECT);
        }
    });
}

/// Subscribes, applies the hold in force, then every announced one until the connection ends.
async fn listen(
    redis: &RedisCache,
    hold: &RateLimitHold,
    client_id: &str,
) -> redis::RedisResult<()> {
    let mut pubsub = redis.inner.client.get_async_pubsub().await?;
    pubsub.subscribe(channel()).await?;
    // Subscribed first, then read: a hold published in between is not missed. On a connection
    // of its own: these retries must not disturb the cache's connection while Redis is away.
    let mut conn = redis
        .inner
        .client
        .get_multiplexed_async_connection()
        .await?;
    let current: Option<u64> = redis::cmd("GET")
        .arg(key(client_id))
        .query_async(&mut conn)
        .await?;
    drop(conn);
    if let Some(until) = current {
        apply(hold, until);
    }
    tracing::debug!("sharing 429 holds with the other replicas through Redis");
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let Ok(text) = message.get_payload::<String>() else {
            continue;
        };
        if let Some(until) = parse(&text, client_id) {
            apply(hold, until);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_their_client_id() {
        let text = message("abc 123", 1_700_000_000_000);
        assert_eq!(parse(&text, "abc 123"), Some(1_700_000_000_000));
        assert_eq!(parse(&text, "other"), None);
        assert_eq!(parse("garbage", "abc"), None);
        assert_eq!(parse("abc notanumber", "abc"), None);
    }

    #[test]
    fn only_a_hold_still_ahead_is_applied() {
        let hold = RateLimitHold::default();
        apply(&hold, unix_ms(SystemTime::now()) - 1000);
        assert!(hold.current(Instant::now()).is_none());
        apply(&hold, unix_ms(SystemTime::now() + Duration::from_secs(3)));
        let held = hold
            .current(Instant::now())
            .map(|h| h.until - Instant::now());
        assert!(
            held.is_some_and(|left| left > Duration::from_secs(2) && left <= Duration::from_secs(3)),
            "{held:?}"
        );
    }
}
