//! Rendered results of read-only tool calls, kept while the cached Spotify answers they were
//! built from are.
//!
//! A cached `search` used to parse the cached ~18 KB Spotify body into models and render the
//! answer again on every call, most of the server's own time per call. Here a successful
//! read-only call whose every Spotify request was answered from the response cache is kept
//! under its tool name and arguments, with the cache key and entry generation of each of those
//! answers ([`crate::spotify::reads`]). The same call later gets the kept result only when
//! each of those entries is still the one the response cache holds
//! ([`ResponseCache::still_current`]): an invalidation by a write, an expiry or a replacement
//! makes it run again. So a kept result is never staler than what rendering it again from the
//! cache would give; it only saves the parsing and rendering.
//!
//! The rendered results take their own share of the cache budget
//! ([`crate::spotify::CacheConfig::rendered_bytes`]), weighed by an estimate of their heap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject};
use serde_json::Value;

use crate::spotify::cache::{CacheKey, ResponseCache};

/// Bytes counted per entry besides its key, reads and result (moka's bookkeeping, as for the
/// response cache).
const ENTRY_OVERHEAD: usize = 512;

struct Answer {
    reads: Vec<(CacheKey, u64)>,
    result: CallToolResult,
    weight: u32,
}

/// The kept results, bounded in bytes.
#[derive(Clone)]
pub(crate) struct Answers {
    kept: moka::future::Cache<String, Arc<Answer>>,
    /// Calls answered with a kept result.
    served: Arc<AtomicU64>,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers")
            .field("entries", &self.kept.entry_count())
            .field("bytes", &self.kept.weighted_size())
            .finish()
    }
}

impl Answers {
    /// Results kept up to `max_bytes`, none longer than `ttl` (each is also checked against
    /// the response cache when used).
    pub(crate) fn new(max_bytes: u64, ttl: Duration) -> Self {
        let kept = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, answer: &Arc<Answer>| {
                answer
                    .weight
                    .saturating_add(u32::try_from(key.len()).unwrap_or(u32::MAX))
            })
            .time_to_live(ttl.max(Duration::from_secs(1)))
            .build();
        Self {
            kept,
            served: Arc::default(),
        }
    }

    /// The key of a call: the tool and its arguments.
    pub(crate) fn key(tool: &str, arguments: Option<&JsonObject>) -> String {
        let mut key = String::with_capacity(tool.len() + 64);
        key.push_str(tool);
        key.push('\n');
        if let Some(arguments) = arguments {
            // Serialising a JSON object cannot fail.
            key.push_str(&serde_json::to_string(arguments).unwrap_or_default());
        }
        key
    }

    /// The result kept for `key`, if every answer it was built from is still current.
    pub(crate) async fn get(&self, key: &str, cache: &ResponseCache) -> Option<CallToolResult> {
        let answer = self.kept.get(key).await?;
        if cache.still_current(&answer.reads).await {
            self.served.fetch_add(1, Ordering::Relaxed);
            return Some(answer.result.clone());
        }
        self.kept.invalidate(key).await;
        None
    }

    /// Keeps `result` of the call `key`, built from the cached entries `reads` alone. Error
    /// results are not kept.
    pub(crate) async fn insert(
        &self,
        key: String,
        reads: Vec<(CacheKey, u64)>,
        result: &CallToolResult,
    ) {
        if result.is_error == Some(true) {
            return;
        }
        let weight = ENTRY_OVERHEAD
            + reads
                .iter()
                .map(|(k, _)| size_of::<(CacheKey, u64)>() + k.scope.len() + k.request.len())
                .sum::<usize>()
            + result_heap(result);
        let answer = Answer {
            reads,
            result: result.clone(),
            weight: u32::try_from(weight).unwrap_or(u32::MAX),
        };
        self.kept.insert(key, Arc::new(answer)).await;
        // As in the response cache: evict now, so the entries alive stay within the budget.
        self.kept.run_pending_tasks().await;
    }

    /// How many calls got a kept result.
    #[cfg(test)]
    pub(crate) fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// The results kept (pending evictions applied first).
    #[cfg(test)]
    pub(crate) async fn entries(&self) -> u64 {
        self.kept.run_pending_tasks().await;
        self.kept.entry_count()
    }
}

/// An estimate of the heap a result holds: its content blocks and structured content.
fn result_heap(result: &CallToolResult) -> usize {
    let content: usize = result
        .content
        .iter()
        .map(|block| {
            size_of::<rmcp::model::ContentBlock>()
                + block.as_text().map_or(64, |text| text.text.len())
        })
        .sum();
    content
        + result
            .structured_content
            .as_ref()
            .map_or(0, |v| size_of::<Value>() + value_heap(v))
}

/// An estimate of the heap a JSON value owns (its own slot not counted): string bytes, array
/// slots, and the B-tree slots of objects (counted at two thirds full).
fn value_heap(value: &Value) -> usize {
    const SLOT: usize = size_of::<Value>();
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(|v| SLOT + value_heap(v)).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (size_of::<String>() + SLOT) * 3 / 2 + k.len() + value_heap(v))
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::wire::Wire;
    use super::super::{McpOptions, SpotifyMcp};
    use crate::sandbox::{self, SandboxHandle, SandboxOptions};
    use crate::spotify::SpotifyClient;

    async fn server() -> (SandboxHandle, SpotifyMcp) {
        let sandbox = sandbox::spawn(([127, 0, 0, 1], 0).into(), SandboxOptions::default())
            .await
            .expect("sandbox");
        let cfg = sandbox::client_config(&sandbox, sandbox::PREMIUM_REFRESH_TOKEN);
        let client = SpotifyClient::new(cfg).expect("client");
        (sandbox, SpotifyMcp::new(client, McpOptions::default()))
    }

    async fn ok(wire: &mut Wire, tool: &str, args: Value) -> Value {
        let result = wire.call(tool, args.clone()).await;
        assert_ne!(result["isError"], json!(true), "{tool}({args}): {result}");
        result
    }

    fn uris(result: &Value) -> Vec<String> {
        result["structuredContent"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["uri"].as_str().map(str::to_owned))
            .collect()
    }

    /// A read-only call answered from the response cache is rendered once and then
    /// served as rendered, as long as the cached answers hold; a write through the server
    /// (which invalidates them) is seen by the next call.
    #[tokio::test]
    async fn a_kept_result_is_served_until_a_write_invalidates_what_it_was_built_from() {
        let (sandbox, mcp) = server().await;
        let answers = mcp.account.answers.clone().expect("the cache is on");
        let mut w = Wire::connect(mcp).await;
        let search = json!({"query": "e", "limit": 3});
        let first = ok(&mut w, "search", search.clone()).await;
        assert_eq!(answers.entries().await, 0, "a miss: nothing kept");
        let second = ok(&mut w, "search", search.clone()).await;
        assert_eq!(
            answers.entries().await,
            1,
            "a cache hit: its rendering kept"
        );
        let third = ok(&mut w, "search", search.clone()).await;
        assert_eq!(answers.served(), 1, "the third call got the kept result");
        assert_eq!(first, second);
        assert_eq!(second, third);
        let tracks: Vec<String> = third["structuredContent"]["tracks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["uri"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(tracks.len(), 3, "{third}");

        let created = ok(&mut w, "create_playlist", json!({"name": "kept"})).await;
        let playlist = created["structuredContent"]["uri"].clone();
        let add = |uri: &str| json!({"playlist": playlist, "uris": [uri]});
        ok(&mut w, "add_playlist_items", add(&tracks[0])).await;
        let items = json!({"playlist": playlist});
        ok(&mut w, "get_playlist_items", items.clone()).await;
        let before = ok(&mut w, "get_playlist_items", items.clone()).await;
        assert_eq!(uris(&before), vec![tracks[0].clone()]);
        let served = answers.served();
        assert_eq!(
            ok(&mut w, "get_playlist_items", items.clone()).await,
            before
        );
        assert_eq!(answers.served(), served + 1, "served as kept");

        ok(&mut w, "add_playlist_items", add(&tracks[1])).await;
        let after = ok(&mut w, "get_playlist_items", items.clone()).await;
        assert_eq!(
            uris(&after),
            vec![tracks[0].clone(), tracks[1].clone()],
            "the write is seen"
        );
        assert_eq!(answers.served(), served + 1, "not served after the write");
        sandbox.shutdown().await;
    }

    /// A call that sent a request the cache did not answer (player state is never cached by
    /// default) is rendered every time.
    #[tokio::test]
    async fn results_built_from_uncached_answers_are_not_kept() {
        let (sandbox, mcp) = server().await;
        let answers = mcp.account.answers.clone().expect("the cache is on");
        let mut w = Wire::connect(mcp).await;
        for _ in 0..3 {
            ok(&mut w, "get_devices", json!({})).await;
        }
        assert_eq!(answers.entries().await, 0);
        assert_eq!(answers.served(), 0);
        sandbox.shutdown().await;
    }
}
