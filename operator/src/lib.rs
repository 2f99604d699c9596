//! spotify-mcp-operator: runs Spotify MCP servers described by `SpotifyMcp` objects.
//!
//! Data flows one way: watch `SpotifyMcp` (and the children it owns) -> read the referenced Secrets
//! -> build the desired children (pure, [`resources`]) -> server-side apply -> compute the status
//! (pure, [`status`]) -> write it only if it changed.

pub mod apply;
pub mod config;
pub mod controller;
pub mod crd;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod quantity;
pub mod resources;
pub mod secrets;
pub mod status;
pub mod telemetry;
