//! spotify-mcp-server: a Spotify MCP server with a built-in sandbox of the Spotify Web API.
//!
//! Data flows one way: [`http`] or [`stdio`] (transport) → [`mcp`] (tool handlers) → [`spotify`] (typed Web API
//! client with auth, limiter, retries and cache) → Spotify or the [`sandbox`].

pub mod app;
pub mod config;
pub mod docs;
pub mod http;
pub mod jsonrpc;
pub mod mcp;
pub mod metrics;
pub mod oauth;
pub mod redis_cache;
pub mod sandbox;
pub mod spotify;
pub mod stdio;
