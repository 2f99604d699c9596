//! Development Mode's allow-list. A Spotify app in Development Mode serves only the users
//! allow-listed in its Dashboard (Settings, User Management): anyone else can still sign in
//! (`/authorize` and the token exchange succeed), but every Web API call made with their token
//! answers 403 with a plain-text body, not the usual JSON error object (see [`NotRegistered`]).
//! `GET/PUT /sandbox/allowlist` read and set the list; every user is on it by default and after
//! `POST /sandbox/reset`.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::SandboxState;
use super::routes::bearer_token;
use super::world::SIGN_IN_USERS;

/// Which of the users who can sign in ([`SIGN_IN_USERS`]) the app serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    /// Indexed like [`SIGN_IN_USERS`].
    allowed: [bool; SIGN_IN_USERS.len()],
}

impl Default for AllowList {
    /// Every user (an app with extended quota, or all its users listed).
    fn default() -> Self {
        AllowList {
            allowed: [true; SIGN_IN_USERS.len()],
        }
    }
}

impl AllowList {
    /// A list of exactly `users` (user indices; others are ignored).
    pub fn of(users: &[usize]) -> AllowList {
        AllowList {
            allowed: SIGN_IN_USERS.map(|(_, user)| users.contains(&user)),
        }
    }

    /// Whether the app serves `user`. Users who cannot sign in hold no tokens, so the list
    /// never refuses them.
    pub fn allows(&self, user: usize) -> bool {
        SIGN_IN_USERS
            .iter()
            .zip(self.allowed)
            .all(|(&(_, u), allowed)| u != user || allowed)
    }

    /// The names of the users on the list, in [`SIGN_IN_USERS`] order.
    pub fn names(&self) -> Vec<&'static str> {
        SIGN_IN_USERS
            .iter()
            .zip(self.allowed)
            .filter(|(_, allowed)| *allowed)
            .map(|(&(name, _), _)| name)
            .collect()
    }
}

/// Spotify's answer to a Web API call for a user the app's Dashboard does not list: 403 with
/// this sentence as a plain-text body (no `{"error": ...}` object, no `reason`). Observed from
/// clients that print the raw body (`response.text`) in 2026; earlier wordings were "User not
/// approved for app" (2021), "User not registered in the Developer Dashboard" (2021-2023) and
/// "Check settings on developer.spotify.com/dashboard, the user may not be registered."
/// (2024-2026).
#[derive(Debug, Clone, Copy)]
pub struct NotRegistered;

impl NotRegistered {
    pub const MESSAGE: &'static str = "The user is not registered for this application. Please \
        check your settings on https://developer.spotify.com/dashboard.";
}

impl IntoResponse for NotRegistered {
    fn into_response(self) -> Response {
        (StatusCode::FORBIDDEN, NotRegistered::MESSAGE).into_response()
    }
}

/// Middleware on the Web API routes: 403 [`NotRegistered`] for a valid token of a user off the
/// list. Other requests (no token, a bad or expired one, client credentials) go on to the
/// handler, which answers them as before.
pub async fn enforce(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let user = bearer_token(req.headers())
        .and_then(|token| state.shared.tokens.lock().check(Some(token)).ok())
        .and_then(|grant| grant.user);
    if let Some(user) = user
        && !state.shared.allowlist.read().allows(user)
    {
        return NotRegistered.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{CURATOR, FREE, PREMIUM};

    #[test]
    fn the_list_holds_exactly_the_users_given_and_never_refuses_others() {
        let all = AllowList::default();
        assert!(all.allows(PREMIUM) && all.allows(FREE));
        assert_eq!(all.names(), ["premium", "free"]);
        let premium_only = AllowList::of(&[PREMIUM]);
        assert!(premium_only.allows(PREMIUM) && !premium_only.allows(FREE));
        assert!(premium_only.allows(CURATOR));
        assert_eq!(premium_only.names(), ["premium"]);
        let nobody = AllowList::of(&[]);
        assert!(!nobody.allows(PREMIUM) && !nobody.allows(FREE));
        assert!(nobody.names().is_empty());
        assert_eq!(AllowList::of(&[FREE, PREMIUM]), all);
    }
}
