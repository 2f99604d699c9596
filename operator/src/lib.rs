//! spotify-mcp-operator: runs Spotify MCP servers described by `SpotifyMcp` objects.
//!
//! Data flows one way: watch `SpotifyMcp` (and the children it owns) -> read the referenced Secrets
//! (dereference) -> build every desired child (pure, [`resources::build`]) -> server-side apply
//! ([`apply`]) -> ask the ready server pods about Spotify ([`probe`]) -> compute the status (pure,
//! [`status`]) -> write it only if it changed.

pub mod apply;
pub mod config;
pub mod controller;
pub mod crd;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod probe;
pub mod quantity;
pub mod resources;
pub mod secrets;
pub mod status;
pub mod telemetry;
