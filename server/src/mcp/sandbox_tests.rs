//! The handler against the built-in fake of the Spotify Web API: the real rmcp server over an
//! in-memory stream, the real client over HTTP, the sandbox's seeded world. Effects are checked
//! through what the tools report and, where it matters, through the sandbox's own state.

use serde_json::{Value, json};

use super::wire::Wire;
use super::{McpOptions, SpotifyMcp, Toolset};
use crate::sandbox::{self, SandboxHandle, SandboxOptions};
use crate::spotify::{SpotifyClient, SpotifyConfig};

struct Env {
    sandbox: SandboxHandle,
    /// The handler `wire` is a session of; more sessions: `Wire::connect(server.for_session())`.
    server: SpotifyMcp,
    wire: Wire,
    world: Value,
}

async fn env_with(opts: SandboxOptions, refresh_token: &str, mcp: McpOptions) -> Env {
    env_configured(opts, refresh_token, mcp, |_| {}).await
}

/// [`env_with`], with `configure` applied to the client's configuration first.
async fn env_configured(
    opts: SandboxOptions,
    refresh_token: &str,
    mcp: McpOptions,
    configure: impl FnOnce(&mut SpotifyConfig),
) -> Env {
    let sandbox = match sandbox::spawn(([127, 0, 0, 1], 0).into(), opts).await {
        Ok(s) => s,
        Err(e) => panic!("sandbox: {e}"),
    };
    let mut cfg = sandbox::client_config(&sandbox, refresh_token);
    configure(&mut cfg);
    let client = match SpotifyClient::new(cfg) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let world = control(&sandbox, "world").await;
    let server = SpotifyMcp::new(client, mcp);
    let wire = Wire::connect(server.for_session()).await;
    Env {
        sandbox,
        server,
        wire,
        world,
    }
}

async fn env() -> Env {
    env_with(
        SandboxOptions::default(),
        sandbox::PREMIUM_REFRESH_TOKEN,
        McpOptions::default(),
    )
    .await
}

/// `GET /sandbox/{what}` of the sandbox's control API.
async fn control(sandbox: &SandboxHandle, what: &str) -> Value {
    let url = format!("{}/sandbox/{what}", sandbox.accounts_base_url());
    match reqwest::get(&url).await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

fn sample(world: &Value, kind: &str) -> String {
    match world["samples"][kind].as_str() {
        Some(id) => format!("spotify:{kind}:{id}"),
        None => panic!("the sandbox world has no sample {kind}: {world}"),
    }
}

/// The structured content of a successful call.
async fn ok(wire: &mut Wire, tool: &str, args: Value) -> Value {
    let result = wire.call(tool, args.clone()).await;
    assert_ne!(
        result["isError"],
        json!(true),
        "{tool}({args}) failed: {result}"
    );
    let structured = result["structuredContent"].clone();
    assert!(
        structured.is_object(),
        "{tool}: no structuredContent: {result}"
    );
    // The text is the structured content as JSON, or for lists a line per item.
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(!text.trim().is_empty(), "{tool}: no text content");
    if let Ok(parsed) = serde_json::from_str::<Value>(text) {
        assert_eq!(
            parsed, structured,
            "{tool}: text JSON differs from structuredContent"
        );
    } else {
        for uri in uris(&structured, "") {
            assert!(text.contains(&uri), "{tool}: text lacks {uri}: {text}");
        }
    }
    assert!(
        !text.contains("available_markets"),
        "{tool}: raw JSON leaked"
    );
    structured
}

/// The text of a failed call (a tool result with isError).
async fn err(wire: &mut Wire, tool: &str, args: Value) -> String {
    let result = wire.call(tool, args.clone()).await;
    assert_eq!(
        result["isError"],
        json!(true),
        "{tool}({args}) should fail: {result}"
    );
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// URIs of `kind` anywhere in `value` (every `spotify:` URI for an empty kind).
fn uris(value: &Value, kind: &str) -> Vec<String> {
    let prefix = if kind.is_empty() {
        "spotify:".to_string()
    } else {
        format!("spotify:{kind}:")
    };
    let mut out = Vec::new();
    collect_uris(value, &prefix, &mut out);
    out
}

fn collect_uris(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(uri) = map.get("uri").and_then(Value::as_str)
                && uri.starts_with(prefix)
            {
                out.push(uri.to_string());
            }
            map.values().for_each(|v| collect_uris(v, prefix, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_uris(v, prefix, out)),
        _ => {}
    }
}

#[tokio::test]
async fn catalog_search_and_library_tools_answer_compactly() {
    let mut e = env().await;
    let w = &mut e.wire;

    // Paging over Spotify's cap of 10 per request.
    let many = ok(
        w,
        "search",
        json!({"query": "a", "types": ["track"], "limit": 25}),
    )
    .await;
    let tracks = uris(&many["tracks"], "track");
    assert_eq!(tracks.len(), 25, "{many}");
    let distinct: std::collections::BTreeSet<_> = tracks.iter().collect();
    assert_eq!(distinct.len(), 25, "pages overlap: {tracks:?}");

    let track = sample(&e.world, "track");
    let item = ok(w, "get_item", json!({"id": track})).await;
    assert_eq!(item["uri"], json!(track));
    assert!(item["duration_ms"].as_u64().is_some(), "{item}");
    assert!(
        item.get("duration").is_none(),
        "m:ss only in text renderings: {item}"
    );
    // The same item by open.spotify.com link and by bare ID with its type.
    let id = track.rsplit(':').next().unwrap_or_default().to_string();
    let by_link = ok(
        w,
        "get_item",
        json!({"id": format!("https://open.spotify.com/track/{id}?si=x")}),
    )
    .await;
    assert_eq!(by_link, item);
    let by_id = ok(w, "get_item", json!({"id": id, "type": "track"})).await;
    assert_eq!(by_id, item);

    for (kind, child) in [
        ("album", "track"),
        ("show", "episode"),
        ("audiobook", "chapter"),
    ] {
        let parent = sample(&e.world, kind);
        let children = ok(w, "get_item_children", json!({"id": parent, "limit": 5})).await;
        assert!(!uris(&children, child).is_empty(), "{kind}: {children}");
    }
    let artist = sample(&e.world, "artist");
    let albums = ok(w, "get_item_children", json!({"id": artist, "limit": 15})).await;
    let total = albums["total"].as_u64().unwrap_or(0) as usize;
    assert_eq!(uris(&albums, "album").len(), total.min(15), "{albums}");

    for kind in ["tracks", "albums", "episodes", "shows", "audiobooks"] {
        let saved = ok(w, "get_saved_items", json!({"type": kind, "limit": 3})).await;
        assert!(saved["items"].is_array(), "{kind}: {saved}");
    }
    let first = tracks[0].clone();
    ok(w, "save_to_library", json!({"uris": [first]})).await;
    let check = ok(w, "check_library", json!({"uris": [first]})).await;
    assert_eq!(check["results"][0]["saved"], json!(true), "{check}");
    ok(w, "remove_from_library", json!({"uris": [first]})).await;
    let check = ok(w, "check_library", json!({"uris": [first]})).await;
    assert_eq!(check["results"][0]["saved"], json!(false), "{check}");
    ok(w, "get_followed_artists", json!({"limit": 5})).await;

    let profile = ok(w, "get_profile", json!({})).await;
    assert_eq!(profile["id"], json!(sandbox::PREMIUM_USER_ID));
    let top = ok(w, "get_top_items", json!({"type": "artists", "limit": 5})).await;
    assert!(!uris(&top, "artist").is_empty(), "{top}");
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn playback_and_composite_tools_change_the_player() {
    let mut e = env().await;
    let w = &mut e.wire;
    let found = ok(w, "search", json!({"query": "a", "limit": 3})).await;
    let tracks = uris(&found["tracks"], "track");
    assert_eq!(tracks.len(), 3);

    ok(w, "play", json!({"uris": tracks})).await;
    let state = ok(w, "get_playback_state", json!({})).await;
    assert_eq!(state["item"]["uri"], json!(tracks[0]), "{state}");
    assert_eq!(state["playing"], json!(true));
    ok(w, "skip", json!({})).await;
    let now = ok(w, "get_currently_playing", json!({})).await;
    assert_eq!(now["item"]["uri"], json!(tracks[1]), "{now}");
    ok(w, "pause", json!({})).await;
    let state = ok(w, "get_playback_state", json!({})).await;
    assert_ne!(state["playing"], json!(true), "{state}");
    ok(w, "seek", json!({"position_ms": 5000})).await;
    ok(w, "set_volume", json!({"volume_percent": 40})).await;
    ok(
        w,
        "set_playback_mode",
        json!({"repeat": "track", "shuffle": false}),
    )
    .await;
    let episode = sample(&e.world, "episode");
    ok(w, "add_to_queue", json!({"uris": [tracks[2], episode]})).await;
    let queue = ok(w, "get_queue", json!({})).await;
    assert!(
        uris(&queue["queue"], "episode").contains(&episode),
        "{queue}"
    );
    ok(w, "get_recently_played", json!({"limit": 5})).await;

    let devices = ok(w, "get_devices", json!({})).await;
    let other = devices["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["active"] != json!(true) && d["id"].is_string())
        .cloned()
        .unwrap_or_else(|| panic!("no second device: {devices}"));
    ok(
        w,
        "transfer_playback",
        json!({"device_id": other["id"], "play": true}),
    )
    .await;
    let state = ok(w, "get_playback_state", json!({})).await;
    assert_eq!(state["device"]["id"], other["id"], "{state}");

    // play_best_match: an exact album name plays the album as a context.
    let album = ok(w, "get_item", json!({"id": sample(&e.world, "album")})).await;
    let played = ok(w, "play_best_match", json!({"query": album["name"]})).await;
    let state = ok(w, "get_playback_state", json!({})).await;
    assert!(state["item"]["uri"].is_string(), "{played} / {state}");

    // create_playlist_from_queries: matched names in order, unmatched reported.
    let names: Vec<Value> = found["tracks"]
        .as_array()
        .into_iter()
        .flatten()
        .take(2)
        .map(|t| t["name"].clone())
        .collect();
    let mut queries = names.clone();
    queries.push(json!("zqxjv wkpfy matches nothing"));
    let made = ok(
        w,
        "create_playlist_from_queries",
        json!({"name": "from queries", "queries": queries}),
    )
    .await;
    assert_eq!(
        made["unmatched"],
        json!(["zqxjv wkpfy matches nothing"]),
        "{made}"
    );
    let playlist = made["playlist"]["uri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let items = ok(w, "get_playlist_items", json!({"playlist": playlist})).await;
    let got: Vec<Value> = items["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["name"].clone())
        .collect();
    assert_eq!(got, names, "{items}");
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn playlist_tools_edit_an_owned_playlist() {
    let mut e = env().await;
    let w = &mut e.wire;
    let created = ok(
        w,
        "create_playlist",
        json!({"name": "scratch", "description": "tools test"}),
    )
    .await;
    let pl = created["uri"].as_str().unwrap_or_default().to_string();
    assert!(pl.starts_with("spotify:playlist:"), "{created}");
    let found = ok(w, "search", json!({"query": "e", "limit": 3})).await;
    let tracks = uris(&found["tracks"], "track");
    let added = ok(
        w,
        "add_playlist_items",
        json!({"playlist": pl, "uris": tracks}),
    )
    .await;
    assert!(added["snapshot_id"].is_string(), "{added}");
    ok(
        w,
        "reorder_playlist_items",
        json!({"playlist": pl, "range_start": 0, "insert_before": 3}),
    )
    .await;
    let items = ok(w, "get_playlist_items", json!({"playlist": pl})).await;
    assert_eq!(
        uris(&items, "track"),
        vec![tracks[1].clone(), tracks[2].clone(), tracks[0].clone()]
    );
    ok(
        w,
        "remove_playlist_items",
        json!({"playlist": pl, "uris": [tracks[1]]}),
    )
    .await;
    ok(
        w,
        "update_playlist_details",
        json!({"playlist": pl, "name": "renamed"}),
    )
    .await;
    let details = ok(w, "get_playlist", json!({"playlist": pl})).await;
    assert_eq!(details["name"], json!("renamed"));
    assert_eq!(details["total"], json!(2), "{details}");
    ok(
        w,
        "reorder_playlist_items",
        json!({"playlist": pl, "replace_with": []}),
    )
    .await;
    // A 1x1 JPEG.
    let jpeg = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=";
    ok(
        w,
        "upload_playlist_cover",
        json!({"playlist": pl, "jpeg_base64": jpeg}),
    )
    .await;
    let cover = ok(w, "get_playlist_cover", json!({"playlist": pl})).await;
    assert!(cover["images"][0]["url"].is_string(), "{cover}");
    let mine = ok(w, "get_my_playlists", json!({"limit": 50})).await;
    assert!(uris(&mine, "playlist").contains(&pl), "{mine}");

    let foreign = e.world["playlists"]["not_owned"][0]
        .as_str()
        .map(|id| format!("spotify:playlist:{id}"))
        .unwrap_or_else(|| panic!("no foreign playlist: {}", e.world));
    let msg = err(w, "get_playlist_items", json!({"playlist": foreign})).await;
    assert!(msg.contains("own") && msg.contains("collaborat"), "{msg}");
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn no_active_device_names_the_devices() {
    let opts = SandboxOptions {
        active_device_at_start: false,
        ..SandboxOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, McpOptions::default()).await;
    let msg = err(&mut e.wire, "pause", json!({})).await;
    assert!(msg.contains("No active Spotify device"), "{msg}");
    assert!(msg.contains("transfer_playback"), "{msg}");
    let devices = e.world["devices"]["premium"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!devices.is_empty());
    for d in devices {
        let name = d["name"].as_str().unwrap_or_default();
        assert!(msg.contains(name), "{msg} should name {name}");
    }
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_device_id_is_named_with_the_known_devices() {
    let mut e = env().await;
    for (tool, args) in [
        (
            "transfer_playback",
            json!({"device_id": "no-such-device-0000"}),
        ),
        ("pause", json!({"device_id": "no-such-device-0000"})),
    ] {
        let msg = err(&mut e.wire, tool, args).await;
        assert!(
            msg.contains("Device `no-such-device-0000` was not found"),
            "{tool}: {msg}"
        );
        let first = e.world["devices"]["premium"][0]["name"]
            .as_str()
            .unwrap_or_default();
        assert!(msg.contains(first), "{tool}: {msg} should name {first}");
    }
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn free_users_are_told_premium_is_needed() {
    let mut e = env_with(
        SandboxOptions::default(),
        sandbox::FREE_REFRESH_TOKEN,
        McpOptions::default(),
    )
    .await;
    let track = sample(&e.world, "track");
    let msg = err(&mut e.wire, "play", json!({"uris": [track]})).await;
    assert!(msg.contains("Premium"), "{msg}");
    // Reading still works.
    ok(&mut e.wire, "get_item", json!({"id": track})).await;
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn extended_tools_explain_development_mode_and_work_with_extended_quota() {
    let all = McpOptions {
        toolsets: vec![Toolset::Extended],
        read_only: false,
        ..McpOptions::default()
    };
    let mut dev = env_with(
        SandboxOptions::default(),
        sandbox::PREMIUM_REFRESH_TOKEN,
        all.clone(),
    )
    .await;
    let msg = err(&mut dev.wire, "get_genre_seeds", json!({})).await;
    assert!(msg.contains("extended quota"), "{msg}");
    dev.sandbox.shutdown().await;

    let opts = SandboxOptions {
        extended_quota: true,
        ..SandboxOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, all).await;
    let w = &mut e.wire;
    let track = sample(&e.world, "track");
    let artist = sample(&e.world, "artist");
    let genres = ok(w, "get_genre_seeds", json!({})).await;
    assert!(genres["names"].as_array().is_some_and(|g| !g.is_empty()));
    let recs = ok(
        w,
        "get_recommendations",
        json!({"seed_tracks": [track], "limit": 5}),
    )
    .await;
    assert!(!uris(&recs, "track").is_empty(), "{recs}");
    let features = ok(w, "get_audio_features", json!({"tracks": [track]})).await;
    assert!(features["features"][0]["key"].is_string(), "{features}");
    ok(w, "get_audio_analysis", json!({"track": track})).await;
    ok(w, "get_related_artists", json!({"artist": artist})).await;
    ok(w, "get_artist_top_tracks", json!({"artist": artist})).await;
    ok(w, "get_several_items", json!({"ids": [track]})).await;
    ok(w, "get_new_releases", json!({"limit": 3})).await;
    let cats = ok(w, "get_categories", json!({"limit": 3})).await;
    let cat = cats["categories"][0]["id"].clone();
    ok(w, "get_categories", json!({"category": cat})).await;
    ok(
        w,
        "get_category_playlists",
        json!({"category": cat, "limit": 3}),
    )
    .await;
    ok(w, "get_featured_playlists", json!({"limit": 3})).await;
    ok(w, "get_markets", json!({})).await;
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn search_text_is_a_small_fraction_of_spotify_json() {
    let opts = SandboxOptions {
        record_requests: true,
        ..SandboxOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, McpOptions::default()).await;
    let result = e
        .wire
        .call(
            "search",
            json!({"query": "a", "types": ["track"], "limit": 10}),
        )
        .await;
    let text = result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .len();
    let log = control(&e.sandbox, "requests").await;
    let raw: usize = log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["path"].as_str().is_some_and(|p| p.ends_with("/search")))
        .map(|x| x["response_body"].to_string().len())
        .sum();
    assert!(raw > 0, "no search exchange recorded: {log}");
    let share = text as f64 / raw as f64;
    println!(
        "search: text {text} bytes, Spotify JSON {raw} bytes ({:.1}%)",
        share * 100.0
    );
    assert!(
        share <= 0.06,
        "text is {:.1}% of the raw JSON",
        share * 100.0
    );
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn resources_and_prompts() {
    let mut e = env().await;
    let w = &mut e.wire;
    let listed = w.request("resources/list", json!({})).await;
    let listed = listed["result"]["resources"].as_array().cloned();
    let listed = listed.unwrap_or_default();
    // The four fixed resources, then the user's playlists.
    let uris: Vec<&str> = listed.iter().filter_map(|r| r["uri"].as_str()).collect();
    assert_eq!(
        uris[..4],
        super::resources::list()
            .iter()
            .map(|r| r.uri.as_str())
            .collect::<Vec<_>>()[..]
    );
    let playlists = ok(w, "get_my_playlists", json!({"limit": 50})).await;
    let names: Vec<&str> = listed[4..]
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    let expected: Vec<&str> = playlists["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(!expected.is_empty(), "{playlists}");
    assert_eq!(names, expected, "{listed:?}");
    assert!(
        uris[4..]
            .iter()
            .all(|u| u.starts_with("spotify://playlist/")),
        "{uris:?}"
    );
    let templates = w.request("resources/templates/list", json!({})).await;
    assert_eq!(
        templates["result"]["resourceTemplates"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "{templates}"
    );
    for uri in [
        "spotify://player/now-playing".to_string(),
        "spotify://player/devices".to_string(),
        "spotify://player/queue".to_string(),
        "spotify://me/playlists".to_string(),
        format!(
            "spotify://album/{}",
            e.world["samples"]["album"].as_str().unwrap_or_default()
        ),
        format!(
            "spotify://artist/{}",
            e.world["samples"]["artist"].as_str().unwrap_or_default()
        ),
        format!(
            "spotify://track/{}",
            e.world["samples"]["track"].as_str().unwrap_or_default()
        ),
        format!(
            "spotify://playlist/{}",
            e.world["playlists"]["owned"][0]
                .as_str()
                .unwrap_or_default()
        ),
    ] {
        let read = w.request("resources/read", json!({"uri": uri})).await;
        let contents = &read["result"]["contents"][0];
        assert_eq!(
            contents["mimeType"],
            json!("application/json"),
            "{uri}: {read}"
        );
        let text = contents["text"].as_str().unwrap_or_default();
        assert!(serde_json::from_str::<Value>(text).is_ok(), "{uri}: {text}");
    }
    let missing = w
        .request("resources/read", json!({"uri": "spotify://player/lyrics"}))
        .await;
    assert!(missing["error"].is_object(), "{missing}");

    let prompts = w.request("prompts/list", json!({})).await;
    assert_eq!(
        prompts["result"]["prompts"].as_array().map(Vec::len),
        Some(3)
    );
    let taste = w
        .request(
            "prompts/get",
            json!({"name": "explain_my_taste", "arguments": {"time_range": "short_term"}}),
        )
        .await;
    let text = taste["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("spotify:artist:"),
        "the prompt embeds top artists: {text}"
    );
    let dj = w
        .request(
            "prompts/get",
            json!({"name": "dj_set", "arguments": {"mood": "rainy sunday", "minutes": "20"}}),
        )
        .await;
    let text = dj["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("rainy sunday") && text.contains("20 minutes"),
        "{text}"
    );
    let missing_arg = w
        .request("prompts/get", json!({"name": "dj_set", "arguments": {}}))
        .await;
    assert!(missing_arg["error"].is_object(), "{missing_arg}");
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn resource_templates_complete_to_ids_from_spotify() {
    let mut e = env().await;
    let w = &mut e.wire;
    let mine = ok(w, "get_my_playlists", json!({"limit": 50})).await;
    let first = &mine["items"][0];
    let name = first["name"].as_str().unwrap_or_default().to_string();
    let uri = first["uri"].as_str().unwrap_or_default();
    let id = uri.rsplit(':').next().unwrap_or_default().to_string();
    assert!(!name.is_empty() && !id.is_empty(), "{mine}");
    // A middle part of the name, in other case, finds the playlist's ID.
    let chars: Vec<char> = name.chars().collect();
    let part: String = chars[1..chars.len().min(5)]
        .iter()
        .collect::<String>()
        .to_uppercase();
    let playlist = json!({"type": "ref/resource", "uri": "spotify://playlist/{id}"});
    let found = w
        .request(
            "completion/complete",
            json!({"ref": playlist, "argument": {"name": "id", "value": part}}),
        )
        .await;
    let completion = &found["result"]["completion"];
    let values = completion["values"].as_array().cloned().unwrap_or_default();
    assert!(values.contains(&json!(id)), "{part} -> {found}");
    assert_eq!(completion["total"], json!(values.len()), "{found}");
    assert_eq!(completion["hasMore"], json!(false));
    // Nothing typed: every playlist (the listing is complete).
    let all = w
        .request(
            "completion/complete",
            json!({"ref": playlist, "argument": {"name": "id", "value": ""}}),
        )
        .await;
    let listed = mine["items"].as_array().map_or(0, Vec::len);
    assert_eq!(
        all["result"]["completion"]["values"]
            .as_array()
            .map(Vec::len),
        Some(listed.min(100)),
        "{all}"
    );

    // Tracks by search: IDs, with Spotify's total.
    let track = json!({"type": "ref/resource", "uri": "spotify://track/{id}"});
    let searched = w
        .request(
            "completion/complete",
            json!({"ref": track, "argument": {"name": "id", "value": "a"}}),
        )
        .await;
    let completion = &searched["result"]["completion"];
    let values = completion["values"].as_array().cloned().unwrap_or_default();
    assert!(!values.is_empty(), "{searched}");
    assert!(
        values.iter().all(|v| v
            .as_str()
            .is_some_and(|s| s.len() == 22 && !s.contains(':'))),
        "{searched}"
    );
    let total = completion["total"].as_u64().unwrap_or_default();
    assert!(total >= values.len() as u64, "{searched}");
    assert_eq!(completion["hasMore"], json!(total > values.len() as u64));

    // Nothing typed: what was played recently, most recent first, each once.
    let history = ok(w, "get_recently_played", json!({"limit": 50})).await;
    let played: Vec<String> = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["uri"].as_str())
        .filter_map(|u| u.strip_prefix("spotify:track:").map(str::to_owned))
        .fold(Vec::new(), |mut seen, id| {
            if !seen.contains(&id) {
                seen.push(id);
            }
            seen
        });
    assert!(!played.is_empty(), "{history}");
    let recent = w
        .request(
            "completion/complete",
            json!({"ref": track, "argument": {"name": "id", "value": ""}}),
        )
        .await;
    assert_eq!(
        recent["result"]["completion"]["values"],
        json!(played),
        "{recent}"
    );
    let artist = json!({"type": "ref/resource", "uri": "spotify://artist/{id}"});
    let artists = w
        .request(
            "completion/complete",
            json!({"ref": artist, "argument": {"name": "id", "value": ""}}),
        )
        .await;
    assert!(
        artists["result"]["completion"]["values"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{artists}"
    );

    // dj_set's device: the user's device names, the active one first, not the restricted one.
    let devices = ok(w, "get_devices", json!({})).await;
    let all = devices["devices"].as_array().cloned().unwrap_or_default();
    let (restricted, list): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|d| d["restricted"] == json!(true));
    assert_eq!(
        restricted.len(),
        1,
        "the sandbox has one restricted device: {devices}"
    );
    let active = list.iter().find(|d| d["active"] == json!(true));
    let dj = json!({"type": "ref/prompt", "name": "dj_set"});
    let named = w
        .request(
            "completion/complete",
            json!({"ref": dj, "argument": {"name": "device", "value": ""}}),
        )
        .await;
    let names = named["result"]["completion"]["values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(names.len(), list.len(), "{named} vs {devices}");
    let Some(active) = active else {
        panic!("the sandbox starts with an active device: {devices}")
    };
    assert_eq!(names[0], active["name"], "{named}");
    assert!(!names.contains(&restricted[0]["name"]), "{named}");
    let some = list[list.len() - 1]["name"].as_str().unwrap_or_default();
    let typed: String = some.chars().take(3).collect::<String>().to_lowercase();
    let narrowed = w
        .request(
            "completion/complete",
            json!({"ref": dj, "argument": {"name": "device", "value": typed}}),
        )
        .await;
    assert!(
        narrowed["result"]["completion"]["values"]
            .as_array()
            .is_some_and(|v| v.contains(&json!(some))),
        "{typed} -> {narrowed}"
    );
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_429_wait_is_logged_to_the_client_that_asked() {
    // Spotify's rolling window: more than one request a second gets 429 with a short wait.
    let opts = SandboxOptions {
        window_limit: 1,
        window_secs: 1,
        ..SandboxOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, McpOptions::default()).await;
    let w = &mut e.wire;
    let set = w
        .request("logging/setLevel", json!({"level": "warning"}))
        .await;
    assert!(set["result"].is_object(), "{set}");
    for query in ["first query", "second query", "third query"] {
        let _ = ok(w, "search", json!({"query": query, "limit": 3})).await;
    }
    let logged = w.take_notifications("notifications/message");
    let limited: Vec<&Value> = logged
        .iter()
        .filter(|n| n["params"]["data"]["event"] == json!("rate_limited"))
        .collect();
    assert!(!limited.is_empty(), "no 429 was logged: {logged:?}");
    for n in &limited {
        assert_eq!(n["params"]["level"], json!("warning"));
        assert_eq!(n["params"]["data"]["call"], json!("search"));
        assert!(n["params"]["data"]["wait_ms"].as_u64().is_some(), "{n}");
    }
    // Below the level: the gate waits (notice) were not sent.
    assert!(
        logged
            .iter()
            .all(|n| n["params"]["level"] != json!("notice")),
        "{logged:?}"
    );
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_slow_spotify_completes_to_nothing_within_the_call_timeout() {
    let opts = SandboxOptions {
        latency: std::time::Duration::from_millis(1500),
        ..SandboxOptions::default()
    };
    let e = env_configured(
        opts,
        sandbox::PREMIUM_REFRESH_TOKEN,
        McpOptions::default(),
        |cfg| cfg.call_timeout = std::time::Duration::from_millis(400),
    )
    .await;
    let (sandbox, mut w) = (e.sandbox, e.wire);
    let _ = w
        .request("logging/setLevel", json!({"level": "warning"}))
        .await;
    let started = std::time::Instant::now();
    let answer = w
        .request(
            "completion/complete",
            json!({
                "ref": {"type": "ref/resource", "uri": "spotify://playlist/{id}"},
                "argument": {"name": "id", "value": "a"}
            }),
        )
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1400),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        answer["result"]["completion"],
        json!({"values": [], "total": 0, "hasMore": false}),
        "{answer}"
    );
    let logged = w.take_notifications("notifications/message");
    assert!(
        logged
            .iter()
            .any(|n| n["params"]["data"]["event"] == json!("completion_failed")),
        "{logged:?}"
    );
    sandbox.shutdown().await;
}

/// Requests the sandbox recorded whose path ends with `suffix`.
async fn recorded(sandbox: &SandboxHandle, suffix: &str) -> usize {
    let log = control(sandbox, "requests").await;
    log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
        .count()
}

#[tokio::test]
async fn subscribers_share_one_poller_and_hear_of_changes() {
    use std::time::Duration;
    const UPDATED: &str = "notifications/resources/updated";
    let poll = Duration::from_millis(200);
    let opts = SandboxOptions {
        record_requests: true,
        ..SandboxOptions::default()
    };
    let mcp = McpOptions {
        subscription_poll: poll,
        ..McpOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, mcp).await;
    let mut second = Wire::connect(e.server.for_session()).await;
    let now_playing = json!({"uri": "spotify://player/now-playing"});

    // Albums never change: refused, with what can be subscribed to.
    let album = sample(&e.world, "album").replace("spotify:album:", "spotify://album/");
    let refused = e
        .wire
        .request("resources/subscribe", json!({"uri": album}))
        .await;
    assert_eq!(refused["error"]["code"], json!(-32602), "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("spotify://player/now-playing")),
        "{refused}"
    );

    ok(&mut e.wire, "play", json!({})).await;
    for wire in [&mut e.wire, &mut second] {
        let answer = wire
            .request("resources/subscribe", now_playing.clone())
            .await;
        assert_eq!(answer["result"], json!({}), "{answer}");
    }
    let answer = second
        .request(
            "resources/subscribe",
            json!({"uri": "spotify://player/queue"}),
        )
        .await;
    assert_eq!(answer["result"], json!({}), "{answer}");
    assert_eq!(e.server.account.hub.active(), 2, "one poller per resource");

    // Two sessions watch now-playing: Spotify is asked as often as for one.
    let before = recorded(&e.sandbox, "/me/player/currently-playing").await;
    let window = Duration::from_millis(2000);
    tokio::time::sleep(window).await;
    let polls = recorded(&e.sandbox, "/me/player/currently-playing").await - before;
    let one_poller = (window.as_millis() / poll.as_millis()) as usize;
    assert!(
        polls >= one_poller / 2 && polls <= one_poller + 2,
        "{polls} reads of now-playing in {window:?} at one per {poll:?}: two subscribers \
         must share one poller"
    );
    // Nothing changed while the position moved: no notification.
    assert!(e.wire.take_notifications(UPDATED).is_empty());

    // A change reaches both sessions; the queue (unchanged) is not announced.
    ok(&mut e.wire, "pause", json!({})).await;
    for wire in [&mut e.wire, &mut second] {
        let update = wire
            .wait_notification(UPDATED, Duration::from_secs(5))
            .await;
        let Some(update) = update else {
            panic!("no {UPDATED} within 5 s of pausing")
        };
        assert_eq!(update["params"]["uri"], now_playing["uri"], "{update}");
    }
    let queue_updates: Vec<_> = second.take_notifications(UPDATED);
    assert!(
        queue_updates
            .iter()
            .all(|n| n["params"]["uri"] == now_playing["uri"]),
        "{queue_updates:?}"
    );

    // After unsubscribing, the first session hears nothing; the second still does.
    let answer = e
        .wire
        .request("resources/unsubscribe", now_playing.clone())
        .await;
    assert_eq!(answer["result"], json!({}), "{answer}");
    ok(&mut second, "play", json!({})).await;
    let update = second
        .wait_notification(UPDATED, Duration::from_secs(5))
        .await;
    assert!(
        update.is_some(),
        "the second session was not told of the resume"
    );
    assert_eq!(
        e.wire
            .wait_notification(UPDATED, poll * 4)
            .await
            .map(|n| n["params"]["uri"].clone()),
        None,
        "an unsubscribed session was notified"
    );

    // The sessions end: their pollers stop, and Spotify is asked no more.
    drop(second);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while e.server.account.hub.active() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        e.server.account.hub.active(),
        0,
        "pollers outlived their subscribers"
    );
    let stopped = recorded(&e.sandbox, "/me/player/currently-playing").await;
    tokio::time::sleep(poll * 3).await;
    assert_eq!(
        recorded(&e.sandbox, "/me/player/currently-playing").await,
        stopped,
        "a stopped poller still reads"
    );
    e.sandbox.shutdown().await;
}

#[tokio::test]
async fn create_playlist_from_queries_reports_progress_and_stops_when_cancelled() {
    use std::time::Duration;
    let opts = SandboxOptions {
        record_requests: true,
        latency: Duration::from_millis(40),
        ..SandboxOptions::default()
    };
    let mut e = env_with(opts, sandbox::PREMIUM_REFRESH_TOKEN, McpOptions::default()).await;
    let found = ok(
        &mut e.wire,
        "search",
        json!({"query": "a", "types": ["track"], "limit": 6}),
    )
    .await;
    let queries: Vec<String> = found["tracks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(queries.len(), 6, "{found}");
    let call = json!({
        "name": "create_playlist_from_queries",
        "arguments": {"name": "progress", "queries": queries},
        "_meta": {"progressToken": "p-1"},
    });
    let id = e.wire.start("tools/call", call).await;
    let (answer, _) = e.wire.answer_raw(id, "tools/call").await;
    assert_ne!(answer["result"]["isError"], json!(true), "{answer}");
    let progress = e.wire.take_notifications("notifications/progress");
    let steps: Vec<(f64, f64)> = progress
        .iter()
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], json!("p-1"), "{n}");
            (
                n["params"]["progress"].as_f64().unwrap_or(-1.0),
                n["params"]["total"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    let expected: Vec<(f64, f64)> = (1..=8).map(|i| (f64::from(i), 8.0)).collect();
    assert_eq!(steps, expected, "{progress:?}");
    assert!(
        progress[0]["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 of 6")),
        "{progress:?}"
    );

    // 100 queries at 40 ms each, 4 at a time, take about a second: cancel early.
    let searches_before = recorded(&e.sandbox, "/search").await;
    let playlists_before = recorded(&e.sandbox, "/playlists").await;
    let queries: Vec<String> = (0..100).map(|i| format!("song {i}")).collect();
    let call = json!({
        "name": "create_playlist_from_queries",
        "arguments": {"name": "cancelled", "queries": queries},
    });
    let id = e.wire.start("tools/call", call).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    e.wire
        .notify(
            "notifications/cancelled",
            json!({"requestId": id, "reason": "test"}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let searched = recorded(&e.sandbox, "/search").await - searches_before;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = recorded(&e.sandbox, "/search").await - searches_before;
    assert!(
        searched < 60,
        "{searched} of 100 searches went out although the call was cancelled"
    );
    assert_eq!(searched, later, "searches went on after the cancellation");
    assert_eq!(
        recorded(&e.sandbox, "/playlists").await,
        playlists_before,
        "a cancelled call created a playlist"
    );
    // The session still works.
    ok(&mut e.wire, "get_devices", json!({})).await;
    e.sandbox.shutdown().await;
}
