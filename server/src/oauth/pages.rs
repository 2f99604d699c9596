//! The pages a person sees during a sign-in: the consent page and the error pages. Small,
//! readable on a phone, no JavaScript, and never framed (clickjacking) or cached.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1.5rem;color:#111;background:#fafafa}\
main{max-width:32rem;margin:0 auto;background:#fff;border:1px solid #ddd;border-radius:12px;padding:1.5rem}\
h1{font-size:1.35rem;margin-top:0;overflow-wrap:anywhere}code{word-break:break-all}p,li{overflow-wrap:anywhere}ul{padding-left:1.2rem}\
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}\
button{font:inherit;padding:.7rem 1.4rem;border-radius:8px;border:1px solid #444;background:#fff;cursor:pointer;min-width:8rem}\
button.approve{background:#1db954;border-color:#168d40;color:#000;font-weight:600}\
button:focus-visible{outline:3px solid #0a58ca;outline-offset:2px}.note{color:#555;font-size:.9rem}";

/// Every `/oauth` and metadata response: not cached, not framed, no referrer leaks.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ));
    response
}

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon: browsers would ask for /favicon.ico, which is not served.
                link rel="icon" href="data:,";
                title { (title) " · Spotify MCP" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// What the consent page shows.
pub struct Consent<'a> {
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    pub redirect_host: &'a str,
    pub scopes: &'a [String],
    pub pending: &'a str,
    pub csrf: &'a str,
}

/// A Spotify scope in words.
fn describe(scope: &str) -> &str {
    match scope {
        "user-read-playback-state" => "See what is playing and on which device",
        "user-modify-playback-state" => "Control playback: play, pause, skip, volume, queue",
        "user-read-currently-playing" => "See the track playing now",
        "user-read-recently-played" => "See what you played recently",
        "user-top-read" => "See your top artists and tracks",
        "user-read-private" => "See your profile and subscription",
        "user-library-read" => "See your saved tracks, albums, shows and episodes",
        "user-library-modify" => "Save and remove items in your library",
        "user-follow-read" => "See whom you follow",
        "user-follow-modify" => "Follow and unfollow artists and users",
        "playlist-read-private" => "See your private playlists",
        "playlist-read-collaborative" => "See your collaborative playlists",
        "playlist-modify-public" => "Create and edit your public playlists",
        "playlist-modify-private" => "Create and edit your private playlists",
        "ugc-image-upload" => "Upload playlist cover images",
        other => other,
    }
}

/// The consent page: which client asks, for what, approve or deny.
pub fn consent(c: &Consent<'_>) -> Response {
    let name = c.client_name.unwrap_or("An unnamed application");
    let localhost = matches!(c.redirect_host, "localhost" | "127.0.0.1" | "::1" | "[::1]");
    // A metadata document's URL vouches for a web host, not for an app on this computer.
    let document = super::cimd::is_document_url(c.client_id);
    let markup = page(
        "Allow access",
        html! {
            h1 { "Allow " strong { (name) } " to use your Spotify account?" }
            p { "It will act for you through this Spotify MCP server and can:" }
            ul { @for scope in c.scopes { li { (describe(scope)) } } }
            p class="note" {
                "Client ID: " code { (c.client_id) } br;
                "After you decide, your browser goes back to " strong { (c.redirect_host) } "."
                @if localhost { " That is an app on your own computer." }
                @if localhost && document {
                    " Any app there can present this client ID, so the name above does not prove which app it is."
                }
            }
            p class="note" { "Only approve if you started this sign-in from that app. You then sign in at Spotify." }
            form method="post" action="authorize/decision" {
                input type="hidden" name="pending" value=(c.pending);
                input type="hidden" name="csrf" value=(c.csrf);
                div class="actions" {
                    button class="approve" type="submit" name="decision" value="approve" { "Approve" }
                    button type="submit" name="decision" value="deny" { "Deny" }
                }
            }
        },
    );
    html_response(StatusCode::OK, markup)
}

/// An error page: the request cannot go back to the client (unknown client, wrong redirect,
/// expired sign-in), so it ends here.
pub fn error(status: StatusCode, title: &str, message: &str) -> Response {
    let markup = page(
        title,
        html! {
            h1 { (title) }
            p { (message) }
            p class="note" { "You can close this page and start again from your MCP client." }
        },
    );
    html_response(status, markup)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(response: Response) -> String {
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_consent_page_escapes_what_the_client_chose() {
        let scopes = vec!["user-read-private".to_owned(), "made-up".to_owned()];
        let page = consent(&Consent {
            client_name: Some("<script>alert(1)</script>"),
            client_id: "smcp_client_x\"><b>",
            redirect_host: "127.0.0.1",
            scopes: &scopes,
            pending: "p1",
            csrf: "c1",
        });
        let body = text(page).await;
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(body.contains("&lt;script&gt;"), "{body}");
        assert!(!body.contains("\"><b>"), "{body}");
        assert!(body.contains("See your profile and subscription"));
        assert!(body.contains("made-up"));
        assert!(body.contains("your own computer"));
        assert!(body.contains(r#"name="csrf" value="c1""#));
        assert!(!body.contains("does not prove"), "{body}");
    }

    #[tokio::test]
    async fn a_metadata_document_client_returning_to_this_computer_is_flagged() {
        let scopes = vec!["user-read-private".to_owned()];
        let show = |client_id, redirect_host| {
            consent(&Consent {
                client_name: Some("Example"),
                client_id,
                redirect_host,
                scopes: &scopes,
                pending: "p1",
                csrf: "c1",
            })
        };
        let url = "https://app.example.com/oauth/client.json";
        let local = text(show(url, "127.0.0.1")).await;
        assert!(local.contains(url), "{local}");
        assert!(local.contains("does not prove which app"), "{local}");
        let web = text(show(url, "app.example.com")).await;
        assert!(!web.contains("does not prove"), "{web}");
    }
}
