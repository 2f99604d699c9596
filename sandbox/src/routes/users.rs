//! The current user: `GET /me` and top artists/tracks.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Me, Origin, Params, Path, ok, render};
use crate::SandboxState;
use crate::error::ApiError;
use crate::world::time_range_index;

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/top/{kind}", get(top))
}

async fn me(State(s): State<SandboxState>, me: Me, o: Origin) -> Result<Response, ApiError> {
    me.require(&["user-read-private", "user-read-email"])?;
    let w = s.shared.world.lock();
    Ok(ok(
        render(s.catalog(), &o.api()).private_user(&w.accounts[me.user].user)
    ))
}

async fn top(
    State(s): State<SandboxState>,
    me: Me,
    o: Origin,
    q: Params,
    Path(kind): Path<String>,
) -> Result<Response, ApiError> {
    if kind != "artists" && kind != "tracks" {
        return Err(ApiError::not_found("Service not found"));
    }
    me.require(&["user-top-read"])?;
    let range = q.get("time_range").unwrap_or("medium_term");
    let r_idx = time_range_index(range).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Invalid time_range {range:?}: use short_term, medium_term or long_term"
        ))
    })?;
    let page = q.page(20, 50)?;
    let w = s.shared.world.lock();
    let top = &w.accounts[me.user].top;
    let list = if kind == "artists" {
        &top.artists[r_idx]
    } else {
        &top.tracks[r_idx]
    };
    let base = o.api();
    let r = render(s.catalog(), &base);
    let extra = format!("&time_range={range}");
    Ok(ok(page.of_with_query(
        &format!("{base}/me/top/{kind}"),
        &extra,
        list,
        |&i| {
            if kind == "artists" {
                r.artist(i, false)
            } else {
                r.track(i)
            }
        },
    )))
}
