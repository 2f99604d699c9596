//! Discovery: the protected resource's metadata (RFC 9728) and the authorization server's
//! (RFC 8414), every URL built from the configured public URL, never from request headers.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::Authority;

/// `GET /.well-known/oauth-protected-resource[/mcp]`.
pub async fn protected_resource(State(authority): State<Authority>) -> Json<Value> {
    let config = authority.config();
    Json(json!({
        "resource": config.resource(),
        "authorization_servers": [config.issuer],
        "scopes_supported": Authority::scopes_supported(),
        "bearer_methods_supported": ["header"],
        "resource_name": "Spotify MCP",
    }))
}

/// `GET /.well-known/oauth-authorization-server`.
pub async fn authorization_server(State(authority): State<Authority>) -> Json<Value> {
    let config = authority.config();
    let issuer = &config.issuer;
    let mut metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": Authority::scopes_supported(),
        "client_id_metadata_document_supported": config.cimd,
        "authorization_response_iss_parameter_supported": true,
    });
    if config.dcr {
        metadata["registration_endpoint"] = json!(format!("{issuer}/oauth/register"));
    }
    Json(metadata)
}
