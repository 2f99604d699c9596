//! Dynamic client registration (RFC 7591), for public clients: deprecated by MCP 2026-07-28 in
//! favour of Client ID Metadata Documents, but what most clients still use.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::records::{ClientRecord, key, now, to_json};
use super::{Authority, CLIENT_TTL, redirect, secrets};

/// Redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest client name kept.
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
pub struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
}

fn refused(error: &str, description: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description.into() })),
    )
        .into_response()
}

/// `POST /oauth/register`.
pub async fn register(
    State(authority): State<Authority>,
    body: Result<Json<Registration>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if !authority.config().dcr {
        return refused(
            "invalid_request",
            "dynamic client registration is turned off here; use a Client ID Metadata Document",
        );
    }
    if !authority.admit_registration() {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({
                "error": "temporarily_unavailable",
                "error_description": "too many client registrations right now; try again in a few seconds",
            })),
        )
            .into_response();
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("2"),
        );
        return response;
    }
    let Json(reg) = match body {
        Ok(body) => body,
        Err(e) => return refused("invalid_client_metadata", e.body_text()),
    };
    if reg.redirect_uris.is_empty() || reg.redirect_uris.len() > MAX_REDIRECT_URIS {
        return refused(
            "invalid_redirect_uri",
            format!("register between 1 and {MAX_REDIRECT_URIS} redirect_uris"),
        );
    }
    if let Some(why) = reg.redirect_uris.iter().find_map(|u| redirect::refuse(u)) {
        return refused("invalid_redirect_uri", why);
    }
    match reg.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some(other) => {
            return refused(
                "invalid_client_metadata",
                format!(
                    "token_endpoint_auth_method {other:?} is not supported: this server registers public clients (\"none\") that use PKCE"
                ),
            );
        }
    }
    if let Some(types) = &reg.grant_types
        && let Some(other) = types
            .iter()
            .find(|t| !matches!(t.as_str(), "authorization_code" | "refresh_token"))
    {
        return refused(
            "invalid_client_metadata",
            format!("grant type {other:?} is not supported"),
        );
    }
    if let Some(types) = &reg.response_types
        && types.iter().any(|t| t != "code")
    {
        return refused("invalid_client_metadata", "only response type \"code\"");
    }
    let name = reg
        .client_name
        .map(|n| n.trim().chars().take(MAX_NAME_CHARS).collect::<String>())
        .filter(|n| !n.is_empty());
    let record = ClientRecord {
        client_id: format!("smcp_client_{}", secrets::new_id()),
        client_name: name,
        redirect_uris: reg.redirect_uris,
        issued_at: now(),
    };
    if let Err(e) = authority
        .store()
        .put(
            &key::client(&record.client_id),
            &to_json(&record),
            CLIENT_TTL,
        )
        .await
    {
        tracing::warn!(error = %e, "a client registration could not be stored");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "temporarily_unavailable", "error_description": "the registration could not be stored; try again" })),
        )
            .into_response();
    }
    authority.metrics().oauth_event("client_registered", "ok");
    (
        StatusCode::CREATED,
        Json(json!({
            "client_id": record.client_id,
            "client_id_issued_at": record.issued_at,
            "client_name": record.client_name,
            "redirect_uris": record.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response()
}

impl Authority {
    /// A client by ID: registered here, or (when enabled) a metadata document's URL.
    pub(crate) async fn find_client(&self, client_id: &str) -> Option<ClientRecord> {
        if super::cimd::is_document_url(client_id) {
            if !self.config().cimd {
                tracing::debug!(
                    client_id,
                    "a metadata document URL as client_id, but --oauth-cimd is off"
                );
                return None;
            }
            return match self.inner.cimd.client(client_id).await {
                Ok(record) => Some(record),
                Err(e) => {
                    tracing::debug!(client_id, error = %e, "client metadata document refused");
                    None
                }
            };
        }
        let key = key::client(client_id);
        let text = self.store().get(&key).await.ok()??;
        super::records::from_json(&key, &text)
    }
}
