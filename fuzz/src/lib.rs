//! What the fuzz targets share: one tokio runtime with an in-process sandbox and a server
//! handler wired to it ([`env`]), requests sent through an axum router ([`exchange`]), checks
//! of JSON-RPC answers ([`jsonrpc`]) and JSON values built from fuzz input ([`json`]).

pub mod env;
pub mod exchange;
pub mod json;
pub mod jsonrpc;
