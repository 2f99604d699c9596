//! Prometheus metrics of the server, served at `/metrics` on the HTTP port.
//!
//! One [`Metrics`] value is created per process (cheap to clone, an `Arc` inside) and handed to
//! the layers that record into it: the MCP tool handler (tool calls, durations, requests in
//! flight), the Spotify client (API requests, 429s, token refreshes) and the response cache
//! (operations, entries, bytes), and the HTTP layer (requests refused by the bearer check). [`router`] serves the registry in the Prometheus text format.
//!
//! Label values are bounded by construction: tool names must be registered up front (anything
//! else is counted as `unknown`), Spotify endpoints are `&'static str` route templates, and
//! every other label comes from a closed enum. No user IDs, URIs or free text reach a label.

mod cache;
mod error;
mod families;
mod handle;
mod labels;
mod observer;
mod route;

pub use cache::InstrumentedCache;
pub use error::MetricsError;
pub use handle::{Metrics, ToolCallGuard};
pub use labels::{ApiStatus, AuthFailure, CacheOperation, CacheResult, TokenRefreshResult};
pub use route::{CONTENT_TYPE, router};
