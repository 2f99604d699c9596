//! MCP logging (`logging/setLevel`, `notifications/message`).
//!
//! A 2025-11-25 session sets its level with `logging/setLevel`; it is kept per session
//! ([`SessionLog`]). A 2026-07-28 request may carry its own level in `_meta`, which wins for that
//! request. **Default: nothing is sent until the client asks for a level**, then only messages
//! at that level or above.
//!
//! What is sent: the events of the client's own calls that explain a slow or failed answer —
//! a Spotify 429 and its wait (warning), a wait for the client ID's 429 gate (notice), a retry
//! after a transient failure (notice), a failed tool call with the advice the tool gives
//! (error), a completion whose Spotify lookup failed (warning). Every text passes through
//! [`redact`] first, so a token, an `Authorization` header or a client secret never reaches
//! the client even if an upstream message carried one.
//!
//! rmcp marks these types deprecated (SEP-2577 moves logging elsewhere in a later protocol
//! version); the 2025-11-25 protocol this server speaks still has them.
#![allow(deprecated)]

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use serde_json::json;

use crate::spotify::pipeline::events::CallEvent;

/// The `logger` of every message.
pub const LOGGER: &str = "spotify-mcp";

/// Every level, lowest first (the order of RFC 5424 severities, reversed).
pub const LEVELS: [LoggingLevel; 8] = [
    LoggingLevel::Debug,
    LoggingLevel::Info,
    LoggingLevel::Notice,
    LoggingLevel::Warning,
    LoggingLevel::Error,
    LoggingLevel::Critical,
    LoggingLevel::Alert,
    LoggingLevel::Emergency,
];

/// The position of `level` in [`LEVELS`] (higher is more severe).
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// The wire name of a level.
pub fn name(level: LoggingLevel) -> &'static str {
    match level {
        LoggingLevel::Debug => "debug",
        LoggingLevel::Info => "info",
        LoggingLevel::Notice => "notice",
        LoggingLevel::Warning => "warning",
        LoggingLevel::Error => "error",
        LoggingLevel::Critical => "critical",
        LoggingLevel::Alert => "alert",
        LoggingLevel::Emergency => "emergency",
    }
}

/// Whether a message at `level` goes to a client whose threshold is `threshold` (`None`: the
/// client asked for nothing, so nothing goes).
pub fn enabled(threshold: Option<LoggingLevel>, level: LoggingLevel) -> bool {
    threshold.is_some_and(|t| rank(level) >= rank(t))
}

/// The level one session asked for with `logging/setLevel` (none until it does).
#[derive(Debug, Default)]
pub struct SessionLog {
    /// 0: not set; else the level's rank + 1.
    level: AtomicU8,
}

impl SessionLog {
    pub fn set(&self, level: LoggingLevel) {
        self.level.store(rank(level) + 1, Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<LoggingLevel> {
        match self.level.load(Ordering::Relaxed) {
            0 => None,
            n => LEVELS.get(usize::from(n - 1)).copied(),
        }
    }
}

/// The `-32602` message for a `logging/setLevel` whose level is not one of MCP's.
pub fn invalid_level_message(params: Option<&serde_json::Value>) -> String {
    let expected = LEVELS.map(name).join(", ");
    match params.and_then(|p| p.get("level")) {
        None => format!("logging/setLevel needs `level`, one of: {expected}"),
        Some(serde_json::Value::String(level)) => {
            format!("invalid logging level `{level}`: expected one of {expected}")
        }
        Some(other) => {
            format!("invalid logging level {other}: expected a string, one of {expected}")
        }
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

fn message(
    level: LoggingLevel,
    what: &str,
    text: &str,
    details: serde_json::Value,
) -> LoggingMessageNotificationParam {
    let mut data = json!({ "event": what, "message": redact(text) });
    if let (Some(map), serde_json::Value::Object(extra)) = (data.as_object_mut(), details) {
        map.extend(extra);
    }
    LoggingMessageNotificationParam::new(level, data).with_logger(LOGGER)
}

/// The message for something a Spotify request of `call` (a tool, a completion) went through.
pub fn event_message(call: &str, event: &CallEvent) -> LoggingMessageNotificationParam {
    match event {
        CallEvent::RateLimited { endpoint, wait } => message(
            LoggingLevel::Warning,
            "rate_limited",
            &format!(
                "{call}: Spotify rate-limited {endpoint} (429); waiting {} before trying again",
                seconds(*wait)
            ),
            json!({ "call": call, "endpoint": redact(endpoint), "wait_ms": millis(*wait) }),
        ),
        CallEvent::GateWait { remaining } => message(
            LoggingLevel::Notice,
            "rate_limit_wait",
            &format!(
                "{call}: Spotify rate-limited this server's client ID; waiting {} before the next request",
                seconds(*remaining)
            ),
            json!({ "call": call, "wait_ms": millis(*remaining) }),
        ),
        CallEvent::Retry {
            endpoint,
            cause,
            delay,
        } => message(
            LoggingLevel::Notice,
            "retry",
            &format!(
                "{call}: {endpoint} failed ({cause}); trying again in {}",
                seconds(*delay)
            ),
            json!({ "call": call, "endpoint": redact(endpoint), "delay_ms": millis(*delay) }),
        ),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The message for a tool call that failed; `text` is what the tool answered (the error and
/// its advice).
pub fn tool_error_message(tool: &str, text: &str) -> LoggingMessageNotificationParam {
    message(
        LoggingLevel::Error,
        "tool_error",
        &format!("{tool} failed: {text}"),
        json!({ "tool": tool }),
    )
}

/// The message for a completion whose Spotify lookup failed (it answered no values).
pub fn completion_failed_message(what: &str, error: &str) -> LoggingMessageNotificationParam {
    message(
        LoggingLevel::Warning,
        "completion_failed",
        &format!("completion of {what} returned no values: {error}"),
        json!({ "completion": what }),
    )
}

/// The message for a `resources/list` that could not add the user's playlists.
pub fn resources_partial_message(error: &str) -> LoggingMessageNotificationParam {
    message(
        LoggingLevel::Warning,
        "resources_partial",
        &format!("resources/list lists only the fixed resources: the playlists failed: {error}"),
        json!({}),
    )
}

/// Keys whose value is a secret, wherever they appear (`key=value`, `"key": "value"`,
/// `key: value`); `bearer`/`basic` are the schemes of an `Authorization` value.
const SECRET_KEYS: [&str; 9] = [
    "authorization",
    "access_token",
    "refresh_token",
    "client_secret",
    "id_token",
    "code_verifier",
    "password",
    "bearer",
    "basic",
];

/// Replaces the secret in `text` after each of [`SECRET_KEYS`] with `[redacted]`.
pub fn redact(text: &str) -> String {
    const SECRET_END: &[u8] = b" \t\r\n\"',&;}])";
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // bytes of `text` already in `out`
    let mut i = 0;
    while i < bytes.len() {
        let Some(key) = SECRET_KEYS
            .iter()
            .find(|key| bytes[i..].starts_with(key.as_bytes()))
        else {
            i += 1;
            continue;
        };
        // A key must start a word: `basic` in `nonbasic` is not one.
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            i += 1;
            continue;
        }
        let mut j = i + key.len();
        // Separators between the key and its value.
        while j < bytes.len() && matches!(bytes[j], b' ' | b'"' | b'\'' | b':' | b'=') {
            j += 1;
        }
        // `Authorization: Bearer xyz`: the scheme is kept, the credential after it redacted.
        for scheme in ["bearer ", "basic "] {
            if bytes[j..].starts_with(scheme.as_bytes()) {
                j += scheme.len();
                while j < bytes.len() && bytes[j] == b' ' {
                    j += 1;
                }
            }
        }
        let start = j;
        while j < bytes.len() && !SECRET_END.contains(&bytes[j]) {
            j += 1;
        }
        if j > start {
            // All boundaries are at ASCII bytes, so they are char boundaries of `text`.
            out.push_str(&text[copied..start]);
            out.push_str("[redacted]");
            copied = j;
        }
        i = j.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "BQDx9-secretAccessToken_123";

    #[test]
    fn levels_filter_and_nothing_goes_before_a_level_is_set() {
        assert!(!enabled(None, LoggingLevel::Emergency));
        assert!(enabled(Some(LoggingLevel::Warning), LoggingLevel::Error));
        assert!(enabled(Some(LoggingLevel::Warning), LoggingLevel::Warning));
        assert!(!enabled(Some(LoggingLevel::Warning), LoggingLevel::Notice));
        let session = SessionLog::default();
        assert_eq!(session.get(), None);
        for level in LEVELS {
            session.set(level);
            assert_eq!(session.get(), Some(level));
        }
    }

    #[test]
    fn an_invalid_level_is_named_with_the_valid_ones() {
        let msg = invalid_level_message(Some(&json!({"level": "verbose"})));
        assert!(
            msg.contains("`verbose`") && msg.contains("debug, info, notice"),
            "{msg}"
        );
        assert!(invalid_level_message(None).contains("needs `level`"));
    }

    #[test]
    fn secrets_are_redacted_wherever_they_appear() {
        for text in [
            format!("Authorization: Bearer {TOKEN}"),
            format!("authorization=Basic {TOKEN}"),
            format!("{{\"access_token\":\"{TOKEN}\",\"expires_in\":3600}}"),
            format!("refresh_token={TOKEN}&grant_type=refresh_token"),
            format!("client_secret: {TOKEN}"),
            format!("sent bearer {TOKEN}, refused"),
        ] {
            let redacted = redact(&text);
            assert!(!redacted.contains(TOKEN), "{text} -> {redacted}");
            assert!(redacted.contains("[redacted]"), "{redacted}");
        }
        // Ordinary text is left alone, also multi-byte text.
        let plain = "Spotify answered 503 for GET /me/player — café; try again";
        assert_eq!(redact(plain), plain);
        assert_eq!(redact("nonbasic tokens"), "nonbasic tokens");
    }

    #[test]
    fn a_message_built_from_an_error_carrying_a_token_does_not_contain_it() {
        let err = crate::spotify::SpotifyError::Transport {
            message: format!("connection reset; request had Authorization: Bearer {TOKEN}"),
        };
        let tool = tool_error_message("play", &err.to_string());
        let event = event_message(
            "search",
            &CallEvent::Retry {
                endpoint: "GET /search".into(),
                cause: format!("{{\"access_token\": \"{TOKEN}\"}}"),
                delay: Duration::from_millis(250),
            },
        );
        let failed = completion_failed_message("spotify://playlist/{id}", &err.to_string());
        for msg in [tool, event, failed] {
            let wire = serde_json::to_string(&msg).unwrap_or_default();
            assert!(!wire.contains(TOKEN), "{wire}");
            assert!(wire.contains("[redacted]"), "{wire}");
            assert_eq!(msg.logger.as_deref(), Some(LOGGER));
        }
    }

    #[test]
    fn events_have_their_levels() {
        let limited = event_message(
            "search",
            &CallEvent::RateLimited {
                endpoint: "GET /search".into(),
                wait: Duration::from_secs(2),
            },
        );
        assert_eq!(limited.level, LoggingLevel::Warning);
        assert_eq!(limited.data["wait_ms"], json!(2000));
        assert!(
            limited.data["message"]
                .as_str()
                .is_some_and(|m| m.contains("429") && m.contains("2.0 s")),
            "{}",
            limited.data
        );
        assert_eq!(
            tool_error_message("play", "no active device").level,
            LoggingLevel::Error
        );
    }
}
