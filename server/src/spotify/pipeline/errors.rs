//! Mapping of Spotify's error answers (`{"error":{"status","message","reason"}}`) to
//! [`SpotifyError`]s that say what to do.

use super::request::ApiRequest;
use crate::spotify::error::SpotifyError;
use crate::spotify::models::{ErrorBody, ErrorObject};

/// Map a non-success answer (other than 429, handled by the retry loop) to an error.
pub fn map_error(request: &ApiRequest, status: u16, body: &[u8]) -> SpotifyError {
    let (message, reason) = match parse_error_object(body) {
        Some(e) => (clean(&e.message), e.reason.unwrap_or_default()),
        None => (String::new(), String::new()),
    };
    let lower = message.to_ascii_lowercase();
    let endpoint = request.endpoint();
    match status {
        400 => SpotifyError::InvalidArgument {
            message: if message.is_empty() {
                format!("Spotify rejected the request to {endpoint}")
            } else {
                format!("{message} ({endpoint})")
            },
        },
        401 => SpotifyError::ReauthRequired {
            reason: if message.is_empty() {
                "Spotify rejected the access token".into()
            } else {
                format!("Spotify rejected the access token: {message}")
            },
        },
        403 if reason == "PREMIUM_REQUIRED" || lower.contains("premium required") => {
            SpotifyError::PremiumRequired
        }
        403 if request.extended => SpotifyError::UnavailableForDevelopmentMode { endpoint },
        403 if lower.contains("scope") => SpotifyError::MissingScope {
            message: message.clone(),
        },
        403 if request.template.starts_with("/playlists/{playlist_id}") => {
            SpotifyError::PlaylistNotOwned {
                playlist_id: path_segment(&request.path, 1).unwrap_or_default(),
            }
        }
        403 => SpotifyError::Forbidden {
            message: if message.is_empty() {
                format!("{endpoint} is not allowed")
            } else {
                message
            },
        },
        404 if reason == "NO_ACTIVE_DEVICE" || lower.contains("no active device") => {
            SpotifyError::NoActiveDevice
        }
        404 if request.extended => SpotifyError::UnavailableForDevelopmentMode { endpoint },
        404 => SpotifyError::NotFound {
            what: describe_target(request),
        },
        429 => SpotifyError::RateLimited {
            retry_after: std::time::Duration::from_secs(1),
        },
        _ => SpotifyError::Api {
            status,
            message: if message.is_empty() {
                format!("{endpoint} failed")
            } else {
                format!("{message} ({endpoint})")
            },
        },
    }
}

/// Spotify's error object, wrapped (`{"error": {...}}`, the usual shape) or flat
/// (`{"status", "message"}`, what the definition gives for `/me/library` 400s).
fn parse_error_object(body: &[u8]) -> Option<ErrorObject> {
    if let Ok(wrapped) = serde_json::from_slice::<ErrorBody>(body)
        && !wrapped.error.message.is_empty()
    {
        return Some(wrapped.error);
    }
    serde_json::from_slice::<ErrorObject>(body)
        .ok()
        .filter(|e| !e.message.is_empty())
}

/// "the track 4uLU..." style description of what a 404 was about.
fn describe_target(request: &ApiRequest) -> String {
    let mut template = request.template.split('/').filter(|s| !s.is_empty());
    let collection = template.next().unwrap_or_default();
    let has_id = template.next().is_some_and(|s| s.starts_with('{'));
    match (has_id, path_segment(&request.path, 1)) {
        (true, Some(id)) => {
            let kind = collection.trim_end_matches('s');
            let kind = if kind == "playlist" {
                "playlist (Spotify-owned editorial playlists are unavailable to development-mode apps)"
            } else {
                kind
            };
            format!("{kind} `{id}` ({})", request.endpoint())
        }
        _ => format!("nothing at {}", request.endpoint()),
    }
}

fn path_segment(path: &str, index: usize) -> Option<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .nth(index)
        .map(str::to_owned)
}

/// Bound the length of a server-provided message.
fn clean(message: &str) -> String {
    message.trim().chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: u16, message: &str, reason: Option<&str>) -> Vec<u8> {
        serde_json::to_vec(
            &serde_json::json!({"error": {"status": status, "message": message, "reason": reason}}),
        )
        .unwrap()
    }

    #[test]
    fn player_reasons() {
        let play = ApiRequest::put("/me/player/play", "/me/player/play");
        let e = map_error(
            &play,
            404,
            &body(
                404,
                "Player command failed: No active device found",
                Some("NO_ACTIVE_DEVICE"),
            ),
        );
        assert!(matches!(e, SpotifyError::NoActiveDevice));
        let e = map_error(
            &play,
            403,
            &body(
                403,
                "Player command failed: Premium required",
                Some("PREMIUM_REQUIRED"),
            ),
        );
        assert!(matches!(e, SpotifyError::PremiumRequired));
    }

    #[test]
    fn flat_error_objects_are_read_too() {
        let req = ApiRequest::put("/me/library", "/me/library");
        let e = map_error(
            &req,
            400,
            br#"{"status":400,"message":"Too many ids requested"}"#,
        );
        assert!(e.to_string().contains("Too many ids requested"), "{e}");
        let e = map_error(&req, 400, br#"{"error":"invalid"}"#);
        assert!(matches!(e, SpotifyError::InvalidArgument { .. }), "{e:?}");
    }

    #[test]
    fn playlist_not_owned() {
        let req = ApiRequest::get(
            "/playlists/{playlist_id}/items",
            "/playlists/37i9dQZF1DXcBWIGoYBM5M/items",
        );
        let e = map_error(&req, 403, &body(403, "Forbidden", None));
        match e {
            SpotifyError::PlaylistNotOwned { playlist_id } => {
                assert_eq!(playlist_id, "37i9dQZF1DXcBWIGoYBM5M")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn extended_endpoints_are_explained() {
        let req = ApiRequest::get("/recommendations", "/recommendations").extended();
        for status in [403, 404] {
            let e = map_error(&req, status, &body(status, "", None));
            assert!(
                matches!(&e, SpotifyError::UnavailableForDevelopmentMode { endpoint } if endpoint == "GET /recommendations"),
                "{e:?}"
            );
        }
    }

    #[test]
    fn not_found_names_the_item_and_other_statuses_keep_the_message() {
        let req = ApiRequest::get("/tracks/{id}", "/tracks/4uLU6hMCjMI75M1A2tKUQC");
        let e = map_error(&req, 404, &body(404, "Resource not found", None));
        assert!(
            e.to_string().contains("track `4uLU6hMCjMI75M1A2tKUQC`"),
            "{e}"
        );
        let e = map_error(&req, 400, &body(400, "invalid id", None));
        assert!(
            matches!(e, SpotifyError::InvalidArgument { .. })
                && e.to_string().contains("invalid id")
        );
        let e = map_error(&req, 500, b"<html>");
        assert!(matches!(e, SpotifyError::Api { status: 500, .. }));
        let e = map_error(&req, 403, &body(403, "Insufficient client scope", None));
        assert!(matches!(e, SpotifyError::MissingScope { .. }));
        let e = map_error(&req, 401, &body(401, "The access token expired", None));
        assert!(e.to_string().contains("auth login"));
    }
}
