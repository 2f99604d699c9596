//! The sandbox over HTTP, the way any Spotify client sees it: `spawn` on an ephemeral port,
//! tokens from its accounts service, then the Web API with reqwest — successes and error paths.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use spotify_mcp_sandbox::{
    self as sandbox, CLIENT_ID, CLIENT_SECRET, FREE_REFRESH_TOKEN, PREMIUM_REFRESH_TOKEN,
    SandboxHandle, SandboxOptions,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

struct Api {
    http: Client,
    base: String,
    accounts: String,
    token: String,
}

impl Api {
    async fn new(sb: &SandboxHandle, refresh: &str) -> Result<Api, reqwest::Error> {
        let http = Client::new();
        let accounts = sb.accounts_base_url();
        let token: Value = http
            .post(format!("{accounts}/api/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .send()
            .await?
            .json()
            .await?;
        Ok(Api {
            http,
            base: sb.api_base_url(),
            accounts,
            token: token["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str) -> Result<(StatusCode, Value), reqwest::Error> {
        self.call(Method::GET, path, None).await
    }

    async fn control(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.accounts))
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn catalog_search_and_auth() -> TestResult {
    let sb = sandbox::spawn(loopback(), SandboxOptions::default()).await?;
    assert_ne!(sb.addr().port(), 0);
    assert!(sb.api_base_url().ends_with("/v1"));
    let api = Api::new(&sb, PREMIUM_REFRESH_TOKEN).await?;
    let (st, res) = api
        .get("/search?q=jazz&type=track,artist,album&limit=10")
        .await?;
    assert_eq!(st, StatusCode::OK);
    let tracks = &res["tracks"];
    assert_eq!(tracks["limit"], 10);
    assert!(tracks["total"].as_u64().unwrap_or(0) > 10);
    assert!(
        tracks["next"]
            .as_str()
            .is_some_and(|n| n.contains("offset=10"))
    );
    let track = &tracks["items"][0];
    let id = s(&track["id"]);
    assert_eq!(id.len(), 22);
    assert_eq!(track["uri"], format!("spotify:track:{id}"));
    assert!(track.get("popularity").is_none() && track.get("available_markets").is_none());
    let (st, t) = api.get(&format!("/tracks/{id}")).await?;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t["name"], track["name"]);
    let album = s(&t["album"]["id"]);
    let (_, tr) = api
        .get(&format!("/albums/{album}/tracks?limit=1&offset=1"))
        .await?;
    assert_eq!(tr["offset"], 1);
    assert!(tr["previous"].as_str().is_some());
    let (st, e) = api.get("/search?q=jazz&type=track&limit=11").await?;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["status"], 400);
    let (st, _) = api.get("/tracks/abc").await?;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = api.get("/tracks/0123456789012345678901").await?;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // No token, a bad token, a client-credentials token on /me.
    let r = api.http.get(format!("{}/me", api.base)).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let cc: Value = api
        .http
        .post(format!("{}/api/token", api.accounts))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(cc["expires_in"], 3600);
    let r = api
        .http
        .get(format!("{}/me", api.base))
        .bearer_auth(s(&cc["access_token"]))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = api
        .http
        .get(format!("{}/tracks/{id}", api.base))
        .bearer_auth(s(&cc["access_token"]))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    let bad: Value = api
        .http
        .post(format!("{}/api/token", api.accounts))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "nope"),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(bad["error"], "invalid_grant");
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn player_state_machine_over_http() -> TestResult {
    let opts = SandboxOptions {
        active_device_at_start: false,
        ..SandboxOptions::default()
    };
    let sb = sandbox::spawn(loopback(), opts).await?;
    let api = Api::new(&sb, PREMIUM_REFRESH_TOKEN).await?;
    let r = api
        .http
        .get(format!("{}/me/player", api.base))
        .bearer_auth(&api.token)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (st, e) = api.call(Method::PUT, "/me/player/pause", None).await?;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["reason"], "NO_ACTIVE_DEVICE");
    let (_, devices) = api.get("/me/player/devices").await?;
    let devices = devices["devices"].as_array().cloned().unwrap_or_default();
    assert!(devices.len() >= 3);
    let laptop = s(&devices[0]["id"]);
    let (_, saved) = api.get("/me/albums?limit=1").await?;
    let album = &saved["items"][0]["album"];
    let album_uri = s(&album["uri"]);
    let tracks: Vec<String> = album["tracks"]["items"]
        .as_array()
        .map(|a| a.iter().map(|t| s(&t["uri"])).collect())
        .unwrap_or_default();
    assert!(tracks.len() >= 4);
    let body =
        json!({ "context_uri": album_uri, "offset": { "position": 1 }, "position_ms": 2000 });
    let (st, _) = api
        .call(
            Method::PUT,
            &format!("/me/player/play?device_id={laptop}"),
            Some(body),
        )
        .await?;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, p) = api.get("/me/player").await?;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["item"]["uri"], tracks[1]);
    assert_eq!(p["context"]["uri"], album_uri);
    assert_eq!(p["is_playing"], true);
    assert!(p["progress_ms"].as_u64().unwrap_or(0) >= 2000);
    assert_eq!(p["device"]["id"], laptop);

    let (st, _) = api
        .call(
            Method::POST,
            &format!("/me/player/queue?uri={}", tracks[3]),
            None,
        )
        .await?;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, q) = api.get("/me/player/queue").await?;
    assert_eq!(q["currently_playing"]["uri"], tracks[1]);
    assert_eq!(q["queue"][0]["uri"], tracks[3]);
    assert_eq!(q["queue"][1]["uri"], tracks[2]);
    api.call(Method::POST, "/me/player/next", None).await?;
    let (_, c) = api.get("/me/player/currently-playing").await?;
    assert_eq!(c["item"]["uri"], tracks[3]);
    api.call(Method::POST, "/me/player/next", None).await?;
    let (_, c) = api.get("/me/player/currently-playing").await?;
    assert_eq!(c["item"]["uri"], tracks[2]);
    let (_, rp) = api.get("/me/player/recently-played?limit=3").await?;
    assert_eq!(rp["items"][0]["track"]["uri"], tracks[2]);
    let before = s(&rp["cursors"]["before"]);
    let (_, older) = api
        .get(&format!(
            "/me/player/recently-played?limit=3&before={before}"
        ))
        .await?;
    assert_eq!(older["items"].as_array().map(Vec::len), Some(3));

    for (path, status) in [
        ("/me/player/seek?position_ms=12000", StatusCode::NO_CONTENT),
        (
            "/me/player/volume?volume_percent=33",
            StatusCode::NO_CONTENT,
        ),
        (
            "/me/player/volume?volume_percent=120",
            StatusCode::BAD_REQUEST,
        ),
        ("/me/player/repeat?state=track", StatusCode::NO_CONTENT),
        ("/me/player/shuffle?state=true", StatusCode::NO_CONTENT),
        ("/me/player/pause", StatusCode::NO_CONTENT),
    ] {
        let (st, _) = api.call(Method::PUT, path, None).await?;
        assert_eq!(st, status, "{path}");
    }
    let (_, p) = api.get("/me/player").await?;
    assert_eq!(
        (
            p["repeat_state"].clone(),
            p["shuffle_state"].clone(),
            p["is_playing"].clone()
        ),
        (json!("track"), json!(true), json!(false))
    );
    assert_eq!(p["device"]["volume_percent"], 33);
    let progress = p["progress_ms"].as_u64().unwrap_or(0);
    assert!((12_000..13_000).contains(&progress), "{progress}");

    // Transfer: exactly one device; restricted and unknown devices refused.
    let phone = s(&devices[1]["id"]);
    let (st, _) = api
        .call(
            Method::PUT,
            "/me/player",
            Some(json!({ "device_ids": [laptop, phone] })),
        )
        .await?;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = api
        .call(
            Method::PUT,
            "/me/player",
            Some(json!({ "device_ids": [phone], "play": true })),
        )
        .await?;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, e) = api
        .call(Method::PUT, "/me/player/volume?volume_percent=10", None)
        .await?;
    assert_eq!(
        (st, e["error"]["reason"].clone()),
        (StatusCode::BAD_REQUEST, json!("VOLUME_CONTROL_DISALLOW"))
    );
    if let Some(tv) = devices.iter().find(|d| d["is_restricted"] == true) {
        let (st, _) = api
            .call(
                Method::PUT,
                "/me/player",
                Some(json!({ "device_ids": [tv["id"]] })),
            )
            .await?;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }

    // A playing episode is only shown with additional_types=episode, as Spotify does.
    let (_, eps) = api.get("/me/episodes?limit=1").await?;
    let episode = s(&eps["items"][0]["episode"]["uri"]);
    let (st, _) = api
        .call(
            Method::PUT,
            "/me/player/play",
            Some(json!({ "uris": [episode] })),
        )
        .await?;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, p) = api.get("/me/player").await?;
    assert!(p.get("item").is_none());
    assert_eq!(p["currently_playing_type"], "episode");
    let (_, p) = api
        .get("/me/player/currently-playing?additional_types=track,episode")
        .await?;
    assert_eq!(p["item"]["uri"], episode);
    assert_eq!(p["item"]["type"], "episode");

    // The free user may read but not control.
    let free = Api::new(&sb, FREE_REFRESH_TOKEN).await?;
    let (st, _) = free.get("/me/player/devices").await?;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = free.call(Method::POST, "/me/player/next", None).await?;
    assert_eq!(
        (st, e["error"]["reason"].clone()),
        (StatusCode::FORBIDDEN, json!("PREMIUM_REQUIRED"))
    );
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn library_and_playlists() -> TestResult {
    let sb = sandbox::spawn(loopback(), SandboxOptions::default()).await?;
    let api = Api::new(&sb, PREMIUM_REFRESH_TOKEN).await?;
    let (_, res) = api.get("/search?q=the&type=track&limit=10").await?;
    let uris: Vec<String> = res["tracks"]["items"]
        .as_array()
        .map(|a| a.iter().map(|t| s(&t["uri"])).collect())
        .unwrap_or_default();
    let joined = uris.join(",");
    api.call(Method::DELETE, &format!("/me/library?uris={joined}"), None)
        .await?;
    let (st, _) = api
        .call(Method::PUT, &format!("/me/library?uris={}", uris[0]), None)
        .await?;
    assert_eq!(st, StatusCode::OK);
    let (_, flags) = api
        .get(&format!(
            "/me/library/contains?uris={},{}",
            uris[0], uris[1]
        ))
        .await?;
    assert_eq!(flags, json!([true, false]));
    let (_, saved) = api.get("/me/tracks?limit=1").await?;
    assert_eq!(saved["items"][0]["track"]["uri"], uris[0]);
    let many = vec![uris[0].clone(); 41].join(",");
    let (st, _) = api
        .call(Method::PUT, &format!("/me/library?uris={many}"), None)
        .await?;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    let (st, created) = api
        .call(
            Method::POST,
            "/me/playlists",
            Some(json!({ "name": "Integration", "public": false })),
        )
        .await?;
    assert_eq!(st, StatusCode::CREATED);
    let pid = s(&created["id"]);
    let snap0 = s(&created["snapshot_id"]);
    let (st, snap) = api
        .call(
            Method::POST,
            &format!("/playlists/{pid}/items"),
            Some(json!({ "uris": uris[..4] })),
        )
        .await?;
    assert_eq!(st, StatusCode::CREATED);
    let snap1 = s(&snap["snapshot_id"]);
    assert_ne!(snap0, snap1);
    let (_, snap) = api
        .call(
            Method::PUT,
            &format!("/playlists/{pid}/items"),
            Some(json!({ "range_start": 0, "insert_before": 4, "range_length": 2 })),
        )
        .await?;
    assert_ne!(s(&snap["snapshot_id"]), snap1);
    let (_, items) = api.get(&format!("/playlists/{pid}/items")).await?;
    let got: Vec<String> = items["items"]
        .as_array()
        .map(|a| a.iter().map(|e| s(&e["item"]["uri"])).collect())
        .unwrap_or_default();
    assert_eq!(
        got,
        vec![
            uris[2].clone(),
            uris[3].clone(),
            uris[0].clone(),
            uris[1].clone()
        ]
    );
    assert!(items["items"][0].get("track").is_none());
    api.call(
        Method::DELETE,
        &format!("/playlists/{pid}/items"),
        Some(json!({ "items": [{ "uri": uris[0] }] })),
    )
    .await?;
    let (_, p) = api.get(&format!("/playlists/{pid}")).await?;
    assert_eq!(p["items"]["total"], 3);
    let (_, mine) = api.get("/me/playlists?limit=50").await?;
    assert!(
        mine["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == pid.as_str()))
    );

    let (_, world) = api
        .control(Method::GET, "/sandbox/world", Value::Null)
        .await?;
    let foreign = s(&world["playlists"]["not_owned"][0]);
    let editorial = s(&world["playlists"]["editorial"][0]);
    let (st, fp) = api.get(&format!("/playlists/{foreign}")).await?;
    assert_eq!(st, StatusCode::OK);
    assert!(fp.get("items").is_none());
    let (st, _) = api.get(&format!("/playlists/{foreign}/items")).await?;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = api.get(&format!("/playlists/{editorial}")).await?;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = api.get(&format!("/playlists/{pid}/tracks")).await?;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Reset restores the seeded world.
    let (st, _) = api
        .control(Method::POST, "/sandbox/reset", Value::Null)
        .await?;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = api.get(&format!("/playlists/{pid}")).await?;
    assert_eq!(st, StatusCode::NOT_FOUND);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_recording_and_token_expiry() -> TestResult {
    let opts = SandboxOptions {
        token_lifetime: Duration::from_millis(1500),
        rate_limit_probability: 1.0,
        retry_after_secs: 9,
        ..SandboxOptions::default()
    };
    let sb = sandbox::spawn(loopback(), opts).await?;
    let api = Api::new(&sb, PREMIUM_REFRESH_TOKEN).await?;
    let r = api
        .http
        .get(format!("{}/me", api.base))
        .bearer_auth(&api.token)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("9")
    );
    let (st, knobs) = api
        .control(
            Method::PUT,
            "/sandbox/faults",
            json!({ "rate_limit_probability": 0.0, "record_requests": true }),
        )
        .await?;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(knobs["record_requests"], true);
    let (st, me) = api.get("/me").await?;
    assert_eq!(st, StatusCode::OK);
    let (_, log) = api
        .control(Method::GET, "/sandbox/requests", Value::Null)
        .await?;
    let last = &log["requests"][0];
    assert_eq!(
        (
            last["method"].clone(),
            last["path"].clone(),
            last["status"].clone()
        ),
        (json!("GET"), json!("/v1/me"), json!(200))
    );
    assert_eq!(last["response_body"], me);
    let (st, _) = api
        .control(
            Method::PUT,
            "/sandbox/faults",
            json!({ "server_error_probability": 3 }),
        )
        .await?;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (st, e) = api.get("/me").await?;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(s(&e["error"]["message"]).contains("expired"));

    // Many concurrent callers: no lock is held across awaits, everything answers.
    let fresh = Api::new(&sb, PREMIUM_REFRESH_TOKEN).await?;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..64 {
        let (http, base, token) = (fresh.http.clone(), fresh.base.clone(), fresh.token.clone());
        set.spawn(async move {
            let path = if i % 2 == 0 {
                "/me/player/devices"
            } else {
                "/search?q=a&type=track&limit=10"
            };
            http.get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status())
        });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r??, StatusCode::OK);
    }
    sb.shutdown().await;
    Ok(())
}
