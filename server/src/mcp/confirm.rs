//! Confirmations for destructive tools: before removing playlist items, replacing a
//! playlist's items or removing saved items, the user is asked, when the client can ask
//! (elicitation in form mode). A client without elicitation gets the tool run as it asked.
//!
//! Two protocol revisions, two ways to ask:
//! - 2025-11-25: the server sends `elicitation/create` on the session and waits (bounded by
//!   [`ANSWER_TIMEOUT`]) for the user's answer.
//! - 2026-07-28 forbids server-to-client requests: the call answers `input_required` with the
//!   elicitation; the client asks the user and calls the tool again with the answer in
//!   `inputResponses` under [`INPUT_KEY`].
//!
//! Only an accepted form with `confirm: true` lets the tool run; decline, cancel, `false`, no
//! answer in time or a broken answer stop it with a result that says nothing was changed.

use std::time::Duration;

use std::collections::BTreeMap;

use rmcp::RoleServer;
use rmcp::model::{
    BooleanSchema, CallToolRequestParams, ElicitRequest, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationSchema, InputRequest, InputRequests, InputRequiredResult,
    JsonObject, PrimitiveSchemaDefinition,
};
use rmcp::service::RequestContext;

use super::SpotifyMcp;
use crate::spotify::ids::{ItemKind, SpotifyId};

/// How long a 2025-11-25 session's user has to answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);
/// The key of the confirmation in `inputRequests` / `inputResponses` (2026-07-28).
pub const INPUT_KEY: &str = "confirm";
/// The form's one field.
const FIELD: &str = "confirm";

/// What a destructive call is about to do, in the words the user is asked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    RemoveFromPlaylist { playlist: SpotifyId, count: usize },
    ReplacePlaylist { playlist: SpotifyId, count: usize },
    RemoveFromLibrary { count: usize },
}

/// The change `tool` would make with `args`, if it is one that needs a confirmation. Arguments
/// the tool would refuse anyway (a malformed playlist ID) need none: the tool says what is wrong.
pub fn change(tool: &str, args: Option<&JsonObject>) -> Option<Change> {
    let args = args?;
    let count = |key: &str| args.get(key).and_then(|v| v.as_array()).map(Vec::len);
    let playlist = || {
        args.get("playlist")
            .and_then(|v| v.as_str())
            .and_then(|p| SpotifyId::parse_as(p, ItemKind::Playlist).ok())
    };
    match tool {
        "remove_playlist_items" => Some(Change::RemoveFromPlaylist {
            playlist: playlist()?,
            count: count("uris")?,
        }),
        "reorder_playlist_items" => Some(Change::ReplacePlaylist {
            playlist: playlist()?,
            count: count("replace_with")?,
        }),
        "remove_from_library" => Some(Change::RemoveFromLibrary {
            count: count("uris")?,
        }),
        _ => None,
    }
}

impl Change {
    /// The question put to the user; `name` is the playlist's name when it could be looked up.
    pub fn question(&self, name: Option<&str>) -> String {
        let playlist = |id: &SpotifyId| match name {
            Some(name) => format!("playlist \"{name}\" ({})", id.uri()),
            None => format!("playlist {}", id.uri()),
        };
        match self {
            Self::RemoveFromPlaylist {
                playlist: id,
                count,
            } => format!(
                "Remove every occurrence of {count} item(s) from {}?",
                playlist(id)
            ),
            Self::ReplacePlaylist {
                playlist: id,
                count: 0,
            } => {
                format!("Remove all items of {}?", playlist(id))
            }
            Self::ReplacePlaylist {
                playlist: id,
                count,
            } => format!(
                "Replace all items of {} with {count} item(s)?",
                playlist(id)
            ),
            Self::RemoveFromLibrary { count } => format!(
                "Remove {count} item(s) from your Spotify library (unfollowing artists and \
                 playlists among them)?"
            ),
        }
    }

    fn playlist(&self) -> Option<&SpotifyId> {
        match self {
            Self::RemoveFromPlaylist { playlist, .. } | Self::ReplacePlaylist { playlist, .. } => {
                Some(playlist)
            }
            Self::RemoveFromLibrary { .. } => None,
        }
    }
}

/// What to do with the call.
#[derive(Debug)]
pub enum Decision {
    /// Run the tool: the user confirmed, or the client cannot ask.
    Proceed,
    /// Do not run it; the text says why (for the tool's error result).
    Stop(String),
    /// 2026-07-28: answer `input_required` with this; the client asks and calls again.
    Ask(InputRequiredResult),
}

fn form(question: String) -> ElicitRequestParams {
    let field = BooleanSchema::new()
        .title("Go ahead")
        .description("true to go ahead; anything else changes nothing");
    let schema = ElicitationSchema::new(BTreeMap::from([(
        FIELD.to_owned(),
        PrimitiveSchemaDefinition::Boolean(field),
    )]))
    .with_required(vec![FIELD.to_owned()]);
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question,
        requested_schema: schema,
    }
}

/// Whether an answer lets the change go ahead, or why not.
pub fn judge(answer: &ElicitResult) -> Result<(), String> {
    match answer.action {
        ElicitationAction::Accept => {
            let confirmed = answer
                .content
                .as_ref()
                .and_then(|c| c.get(FIELD))
                .and_then(|v| v.as_bool());
            match confirmed {
                Some(true) => Ok(()),
                Some(false) => Err("the user answered no".into()),
                None => Err(format!(
                    "the confirmation came back without a boolean `{FIELD}`"
                )),
            }
        }
        ElicitationAction::Decline => Err("the user declined".into()),
        ElicitationAction::Cancel => Err("the user dismissed the question".into()),
        _ => Err("the confirmation came back with an unknown action".into()),
    }
}

fn stopped(why: &str) -> Decision {
    Decision::Stop(format!(
        "Nothing was changed: {why}. Ask the user before trying again."
    ))
}

impl SpotifyMcp {
    /// Asks the user to confirm `change` when the client can ask (see the module docs).
    pub(crate) async fn confirm(
        &self,
        change: &Change,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Decision {
        if super::speaks_2026_07_28(context) {
            if let Some(answer) = request
                .input_responses
                .as_ref()
                .and_then(|responses| responses.get(INPUT_KEY))
            {
                return match serde_json::from_value::<ElicitResult>(answer.clone()) {
                    Ok(answer) => match judge(&answer) {
                        Ok(()) => Decision::Proceed,
                        Err(why) => stopped(&why),
                    },
                    Err(e) => stopped(&format!("the confirmation could not be read ({e})")),
                };
            }
            let can_ask = context
                .meta
                .client_capabilities()
                .and_then(|caps| caps.elicitation)
                .is_some_and(|e| e.form.is_some() || e.url.is_none());
            if !can_ask {
                return Decision::Proceed;
            }
            let question = change.question(self.playlist_name(change).await.as_deref());
            let mut asks = InputRequests::new();
            asks.insert(
                INPUT_KEY.to_owned(),
                InputRequest::Elicitation(ElicitRequest::new(form(question))),
            );
            return Decision::Ask(InputRequiredResult::new(Some(asks), None));
        }
        let modes = context.peer.supported_elicitation_modes();
        if !modes.contains(&rmcp::service::ElicitationMode::Form) {
            return Decision::Proceed;
        }
        let question = change.question(self.playlist_name(change).await.as_deref());
        let asked = context
            .peer
            .create_elicitation_with_timeout(form(question), Some(ANSWER_TIMEOUT));
        let answer = tokio::select! {
            answer = asked => answer,
            () = context.ct.cancelled() => return stopped("the call was cancelled"),
        };
        match answer {
            Ok(answer) => match judge(&answer) {
                Ok(()) => Decision::Proceed,
                Err(why) => stopped(&why),
            },
            Err(e) => stopped(&format!("no answer to the confirmation ({e})")),
        }
    }

    /// The name of the playlist `change` is about, from the cache when it is there.
    async fn playlist_name(&self, change: &Change) -> Option<String> {
        let id = change.playlist()?;
        let lookup = self.client().get_playlist(id, None, Some("name"));
        match tokio::time::timeout(Duration::from_secs(5), lookup).await {
            Ok(Ok(playlist)) => Some(playlist.name).filter(|n| !n.is_empty()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PLAYLIST: &str = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M";

    fn args(value: serde_json::Value) -> JsonObject {
        match value {
            serde_json::Value::Object(map) => map,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn only_destructive_changes_need_a_confirmation() {
        let remove = args(json!({"playlist": PLAYLIST, "uris": ["a", "b"]}));
        let Some(removal) = change("remove_playlist_items", Some(&remove)) else {
            panic!("remove_playlist_items needs a confirmation")
        };
        assert_eq!(
            removal.question(Some("Road trip")),
            format!(
                "Remove every occurrence of 2 item(s) from playlist \"Road trip\" ({PLAYLIST})?"
            )
        );
        let replace = args(json!({"playlist": PLAYLIST, "replace_with": []}));
        let Some(replacement) = change("reorder_playlist_items", Some(&replace)) else {
            panic!("replacing needs a confirmation")
        };
        assert_eq!(
            replacement.question(None),
            format!("Remove all items of playlist {PLAYLIST}?")
        );
        // Moving items, adding items and a malformed playlist need none.
        let reorder = args(json!({"playlist": PLAYLIST, "range_start": 0, "insert_before": 3}));
        assert_eq!(change("reorder_playlist_items", Some(&reorder)), None);
        assert_eq!(change("add_playlist_items", Some(&remove)), None);
        let bad = args(json!({"playlist": "spotify:album:x", "uris": ["a"]}));
        assert_eq!(change("remove_playlist_items", Some(&bad)), None);
        let library = args(json!({"uris": ["a"]}));
        assert!(matches!(
            change("remove_from_library", Some(&library)),
            Some(Change::RemoveFromLibrary { count: 1 })
        ));
    }

    #[test]
    fn only_an_accepted_true_goes_ahead() {
        let answer = |action, content: Option<serde_json::Value>| {
            let mut result = ElicitResult::new(action);
            result.content = content;
            judge(&result)
        };
        assert_eq!(
            answer(ElicitationAction::Accept, Some(json!({"confirm": true}))),
            Ok(())
        );
        assert!(answer(ElicitationAction::Accept, Some(json!({"confirm": false}))).is_err());
        assert!(answer(ElicitationAction::Accept, Some(json!({"confirm": "yes"}))).is_err());
        assert!(answer(ElicitationAction::Accept, None).is_err());
        assert!(answer(ElicitationAction::Decline, None).is_err());
        assert!(answer(ElicitationAction::Cancel, None).is_err());
    }
}
