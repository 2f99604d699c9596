//! Turns failures into tool results a model can act on: `isError: true` with a message that
//! says what went wrong and what to do next (which devices exist, log in again, wait N s...).

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, ErrorCode};

use crate::spotify::SpotifyError;
use crate::spotify::ids::IdError;

use super::output::Device;

/// A failed tool call, reported to the client as a tool result with `isError: true`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// A bad argument the model can fix.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// A Spotify error with no extra context.
    pub fn spotify(err: &SpotifyError) -> Self {
        Self::from_spotify(err, &Hints::default())
    }

    /// A Spotify error, with the context the call site knows (devices, toolset).
    pub fn from_spotify(err: &SpotifyError, hints: &Hints) -> Self {
        let message = match err {
            SpotifyError::NoActiveDevice => no_active_device(hints.devices.as_deref()),
            SpotifyError::PremiumRequired => "Spotify Premium is required to control playback \
                 (play, pause, skip, seek, volume, modes, queue, transfer). Reading playback \
                 state, search, library and playlists work without it."
                .to_string(),
            SpotifyError::UnavailableForDevelopmentMode { .. } => format!(
                "{err}. The `extended` toolset only works when SPOTIFY_CLIENT_ID belongs to an \
                 app with extended quota mode; use the default tools (search, get_item, \
                 get_item_children, get_top_items) instead."
            ),
            SpotifyError::NotFound { .. } => {
                format!("{err}. Check the ID, URI or link (the `search` tool finds items by name).")
            }
            SpotifyError::InvalidArgument { message } => format!("Invalid argument: {message}"),
            // A 5xx (Web API or accounts service) that was not, or could not be, retried.
            SpotifyError::Api { status, .. } if *status >= 500 => format!(
                "{err}. This is a temporary failure at Spotify; try again in a few seconds."
            ),
            other => other.to_string(),
        };
        Self { message }
    }
}

impl ToolError {
    /// A player command named a device Spotify does not know (any more).
    pub fn device_not_found(id: &str, devices: Option<&[Device]>) -> Self {
        let known = match devices {
            Some([]) => " The account has no available device right now.".to_string(),
            Some(devices) => format!(" Available devices: {}.", device_list(devices)),
            None => " Call get_devices for the current device_id values.".to_string(),
        };
        Self {
            message: format!("Device `{id}` was not found or is offline.{known}"),
        }
    }
}

impl From<IdError> for ToolError {
    fn from(err: IdError) -> Self {
        Self::invalid(err.to_string())
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.message)]).into())
    }
}

/// The longest method name an error message repeats (a method is a short path like
/// `tools/call`; a longer one is cut with `…`).
const SHOWN_METHOD_CHARS: usize = 64;

/// `-32601 Method not found` for a request whose method the server does not serve, with a
/// message that says so. rmcp's default message is the method name alone, which is empty (and
/// says nothing) for `"method": ""`; control characters are escaped, a long name is cut.
pub fn method_not_found(method: &str) -> ErrorData {
    const SERVED: &str = "this server serves tools/list, tools/call, resources/list, \
resources/templates/list, resources/read, prompts/list, prompts/get and completion/complete; at \
2025-11-25 also initialize, ping, resources/subscribe, resources/unsubscribe and \
logging/setLevel; at 2026-07-28 also server/discover and subscriptions/listen";
    let message = if method.trim().is_empty() {
        format!("Method not found: the request's \"method\" is empty; {SERVED}")
    } else {
        let mut shown: String = method
            .chars()
            .take(SHOWN_METHOD_CHARS)
            .flat_map(char::escape_debug)
            .collect();
        if method.chars().nth(SHOWN_METHOD_CHARS).is_some() {
            shown.push('…');
        }
        format!("Method not found: `{shown}` is not an MCP method; {SERVED}")
    };
    ErrorData::new(ErrorCode::METHOD_NOT_FOUND, message, None)
}

/// `-32601 Method not found` for `logging/setLevel` in a 2026-07-28 request: that revision
/// removed the method (rmcp answers it with HTTP 404, as the revision asks), and a client of it
/// sends its level with each request instead.
pub fn set_level_removed() -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        "Method not found: MCP 2026-07-28 has no logging/setLevel; send the level with each \
         request, as `io.modelcontextprotocol/logLevel` in its `_meta`",
        None,
    )
}

/// What a call site knows that makes an error message more useful.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// The user's devices, fetched after a `NO_ACTIVE_DEVICE` answer.
    pub devices: Option<Vec<Device>>,
}

fn no_active_device(devices: Option<&[Device]>) -> String {
    match devices {
        Some([]) => "No Spotify device is available: open Spotify on a phone, computer or \
             speaker (signed in to this account), then call get_devices."
            .to_string(),
        Some(devices) => {
            let list = device_list(devices);
            format!(
                "No active Spotify device. Available devices: {list}. Call transfer_playback \
                 with one of these device_id values, or pass device_id to this tool."
            )
        }
        None => "No active Spotify device. Call get_devices to list devices, then \
             transfer_playback to one, or pass device_id to this tool."
            .to_string(),
    }
}

fn device_list(devices: &[Device]) -> String {
    devices
        .iter()
        .map(|d| match &d.id {
            Some(id) if d.restricted => format!(
                "{} ({}, device_id {id}, restricted: takes no commands)",
                d.name, d.kind
            ),
            Some(id) => format!("{} ({}, device_id {id})", d.name, d.kind),
            None => format!("{} ({}, no device_id: cannot be targeted)", d.name, d.kind),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn device(id: Option<&str>, name: &str) -> Device {
        Device {
            id: id.map(String::from),
            name: name.into(),
            kind: "Speaker".into(),
            active: false,
            restricted: false,
            volume: None,
        }
    }

    fn text(err: ToolError) -> String {
        match err.into_call_tool_result() {
            Ok(CallToolResponse::Complete(r)) => {
                assert_eq!(r.is_error, Some(true));
                r.content
                    .first()
                    .and_then(|c| c.as_text())
                    .map(|t| t.text.clone())
                    .unwrap_or_default()
            }
            other => panic!("expected a complete error result, got {other:?}"),
        }
    }

    /// Found by the mcp_http fuzzer: `"method": ""` got `-32601` with an empty message.
    #[test]
    fn method_not_found_always_says_what_is_wrong() {
        let empty = method_not_found("");
        assert_eq!(empty.code, ErrorCode::METHOD_NOT_FOUND);
        assert!(
            empty
                .message
                .starts_with("Method not found: the request's \"method\" is empty"),
            "{}",
            empty.message
        );
        assert!(method_not_found(" \t").message.contains("is empty"));

        let odd = method_not_found("A \u{5}\0;;");
        assert!(
            odd.message
                .starts_with("Method not found: `A \\u{5}\\0;;` is not an MCP method"),
            "{}",
            odd.message
        );
        assert!(odd.message.contains("tools/call"), "{}", odd.message);

        let long = method_not_found(&"x".repeat(10_000));
        assert!(
            long.message.contains(&format!("`{}…`", "x".repeat(64))),
            "{}",
            long.message
        );
        assert!(long.message.len() < 500, "{} bytes", long.message.len());
    }

    #[test]
    fn no_active_device_lists_devices_and_next_steps() {
        let tv = Device {
            restricted: true,
            ..device(Some("tv1"), "TV")
        };
        let hints = Hints {
            devices: Some(vec![
                device(Some("abc123"), "Kitchen"),
                device(None, "Car"),
                tv,
            ]),
        };
        let msg = text(ToolError::from_spotify(
            &SpotifyError::NoActiveDevice,
            &hints,
        ));
        assert!(msg.contains("Kitchen (Speaker, device_id abc123)"), "{msg}");
        assert!(
            msg.contains("TV (Speaker, device_id tv1, restricted: takes no commands)"),
            "{msg}"
        );
        assert!(msg.contains("Car (Speaker, no device_id"), "{msg}");
        assert!(
            msg.contains("transfer_playback") && msg.contains("device_id"),
            "{msg}"
        );

        let none = text(ToolError::from_spotify(
            &SpotifyError::NoActiveDevice,
            &Hints {
                devices: Some(vec![]),
            },
        ));
        assert!(none.contains("No Spotify device is available"), "{none}");
        let unknown = text(ToolError::spotify(&SpotifyError::NoActiveDevice));
        assert!(unknown.contains("get_devices"), "{unknown}");
    }

    #[test]
    fn unknown_device_lists_the_known_ones() {
        let devices = [device(Some("abc123"), "Kitchen")];
        let msg = text(ToolError::device_not_found("gone-1", Some(&devices)));
        assert!(msg.contains("Device `gone-1` was not found"), "{msg}");
        assert!(msg.contains("Kitchen (Speaker, device_id abc123)"), "{msg}");
        let unknown = text(ToolError::device_not_found("gone-1", None));
        assert!(unknown.contains("get_devices"), "{unknown}");
    }

    #[test]
    fn actionable_messages_per_kind() {
        let premium = text(ToolError::spotify(&SpotifyError::PremiumRequired));
        assert!(premium.contains("Premium"), "{premium}");

        let dev = text(ToolError::spotify(
            &SpotifyError::UnavailableForDevelopmentMode {
                endpoint: "GET /recommendations".into(),
            },
        ));
        assert!(dev.contains("GET /recommendations"), "{dev}");
        assert!(dev.contains("extended quota"), "{dev}");

        let limited = text(ToolError::spotify(&SpotifyError::RateLimited {
            retry_after: Duration::from_secs(42),
        }));
        assert!(limited.contains("42 s"), "{limited}");

        let reauth = text(ToolError::spotify(&SpotifyError::ReauthRequired {
            reason: "refresh token expired".into(),
        }));
        assert!(reauth.contains("spotify-mcp-server auth login"), "{reauth}");

        let not_owned = text(ToolError::spotify(&SpotifyError::PlaylistNotOwned {
            playlist_id: "37i9dQZF1DXcBWIGoYBM5M".into(),
        }));
        assert!(not_owned.contains("own or collaborate"), "{not_owned}");

        // Found by the 30-minute soak: a connection Spotify closed said nothing to do.
        let unreachable = text(ToolError::spotify(&SpotifyError::Transport {
            message:
                "GET /search: error sending request: connection closed before message completed"
                    .into(),
        }));
        assert!(
            unreachable.contains("try again in a few seconds"),
            "{unreachable}"
        );

        let missing = text(ToolError::spotify(&SpotifyError::NotFound {
            what: "track 4uLU6hMCjMI75M1A2tKUQC".into(),
        }));
        assert!(missing.contains("search"), "{missing}");

        // Found by the soak: a 503 said only "Spotify answered 503: Service unavailable".
        let unavailable = text(ToolError::spotify(&SpotifyError::Api {
            status: 503,
            message: "Service unavailable (POST /me/player/queue)".into(),
        }));
        assert!(unavailable.contains("503"), "{unavailable}");
        assert!(
            unavailable.contains("try again in a few seconds"),
            "{unavailable}"
        );
    }

    #[test]
    fn id_errors_are_tool_errors_with_the_parser_message() {
        let err: ToolError = IdError::Empty.into();
        assert!(text(err).contains("Spotify URI"));
    }
}
