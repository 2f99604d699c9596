//! `GET /search`: every item type, Spotify's field filters, `limit` at most 10 (default 5) and
//! `offset` paging up to 1000.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value};

use super::{Caller, Origin, Params, ok, render};
use crate::SandboxState;
use crate::error::ApiError;
use crate::json::Page;
use crate::world::catalog::{Catalog, ItemRef, Kind};

pub fn routes() -> Router<SandboxState> {
    Router::new().route("/search", get(search))
}

const TYPES: [&str; 7] = [
    "album",
    "artist",
    "playlist",
    "track",
    "show",
    "episode",
    "audiobook",
];

/// A parsed query: free words and `field:value` filters, all lower-cased.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    words: Vec<String>,
    filters: Vec<(String, String)>,
}

impl Query {
    pub fn parse(q: &str) -> Query {
        let mut out = Query::default();
        let lower = q.to_lowercase();
        let mut tokens: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for ch in lower.chars() {
            match ch {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if !cur.is_empty() {
                        tokens.push(std::mem::take(&mut cur));
                    }
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
        for t in tokens {
            match t.split_once(':') {
                Some((f, v))
                    if [
                        "artist", "album", "track", "year", "genre", "isrc", "upc", "tag",
                    ]
                    .contains(&f) =>
                {
                    out.filters.push((f.to_string(), v.to_string()));
                }
                _ => out.words.push(t),
            }
        }
        out
    }
}

fn artist_names(cat: &Catalog, ids: &[usize]) -> String {
    ids.iter()
        .filter_map(|&a| cat.artists.get(a))
        .map(|a| a.name.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn year_ok(date: &str, spec: &str) -> bool {
    let Ok(y) = date.get(..4).unwrap_or("").parse::<u32>() else {
        return false;
    };
    match spec.split_once('-') {
        Some((a, b)) => {
            a.parse::<u32>().is_ok_and(|a| a <= y) && b.parse::<u32>().is_ok_and(|b| y <= b)
        }
        None => spec.parse::<u32>().is_ok_and(|s| s == y),
    }
}

/// Whether a filter holds for a catalog item (`None` when the filter does not apply to its kind).
fn filter_ok(cat: &Catalog, item: ItemRef, field: &str, value: &str) -> bool {
    match (item.kind, field) {
        (Kind::Track, "artist") => cat
            .tracks
            .get(item.index)
            .is_some_and(|t| artist_names(cat, &t.artists).contains(value)),
        (Kind::Track, "album") => cat
            .tracks
            .get(item.index)
            .and_then(|t| cat.albums.get(t.album))
            .is_some_and(|a| a.name.to_lowercase().contains(value)),
        (Kind::Track, "track") => cat
            .tracks
            .get(item.index)
            .is_some_and(|t| t.name.to_lowercase().contains(value)),
        (Kind::Track, "year") => cat
            .tracks
            .get(item.index)
            .and_then(|t| cat.albums.get(t.album))
            .is_some_and(|a| year_ok(&a.release_date, value)),
        (Kind::Track, "isrc") => cat
            .tracks
            .get(item.index)
            .is_some_and(|t| t.isrc.to_lowercase() == value),
        (Kind::Track, "genre") => cat
            .tracks
            .get(item.index)
            .and_then(|t| cat.albums.get(t.album))
            .is_some_and(|a| a.genre.contains(value)),
        (Kind::Album, "artist") => cat
            .albums
            .get(item.index)
            .is_some_and(|a| artist_names(cat, &a.artists).contains(value)),
        (Kind::Album, "album") => cat
            .albums
            .get(item.index)
            .is_some_and(|a| a.name.to_lowercase().contains(value)),
        (Kind::Album, "year") => cat
            .albums
            .get(item.index)
            .is_some_and(|a| year_ok(&a.release_date, value)),
        (Kind::Album, "upc") => cat.albums.get(item.index).is_some_and(|a| a.upc == value),
        (Kind::Album, "genre") => cat
            .albums
            .get(item.index)
            .is_some_and(|a| a.genre.contains(value)),
        (Kind::Album, "tag") => {
            value == "new"
                && cat
                    .albums
                    .get(item.index)
                    .is_some_and(|a| a.release_date.starts_with("2026"))
        }
        (Kind::Artist, "artist") => cat
            .artists
            .get(item.index)
            .is_some_and(|a| a.name.to_lowercase().contains(value)),
        (Kind::Artist, "genre") => cat
            .artists
            .get(item.index)
            .is_some_and(|a| a.genres.iter().any(|g| g.contains(value))),
        (_, _) => false,
    }
}

/// Matching catalog items of `kind`, best first.
pub fn matches(cat: &Catalog, kind: Kind, q: &Query) -> Vec<usize> {
    let phrase = q.words.join(" ");
    let mut hits: Vec<(u8, u8, usize)> = (0..cat.count(kind))
        .filter_map(|index| {
            let item = ItemRef { kind, index };
            let text = cat.search_text(item);
            if !q.words.iter().all(|w| text.contains(w.as_str())) {
                return None;
            }
            if !q.filters.iter().all(|(f, v)| filter_ok(cat, item, f, v)) {
                return None;
            }
            let name = cat.name_lower(item);
            let tier = if !phrase.is_empty() && name == phrase {
                0
            } else if !phrase.is_empty() && name.starts_with(&phrase) {
                1
            } else if !phrase.is_empty() && name.contains(&phrase) {
                2
            } else {
                3
            };
            Some((tier, 100 - cat.rank(item).min(100), index))
        })
        .collect();
    hits.sort_unstable();
    hits.into_iter().map(|(_, _, i)| i).collect()
}

async fn search(
    State(s): State<SandboxState>,
    _c: Caller,
    o: Origin,
    p: Params,
) -> Result<Response, ApiError> {
    let q = p
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("No search query"))?;
    let types_raw = p
        .get("type")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing parameter type"))?;
    let mut types: Vec<&str> = Vec::new();
    for t in types_raw.split(',').map(str::trim) {
        if !TYPES.contains(&t) {
            return Err(ApiError::bad_request(format!("Bad search type field {t}")));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    p.market()?;
    if let Some(ie) = p.get("include_external")
        && ie != "audio"
    {
        return Err(ApiError::bad_request("include_external must be audio"));
    }
    let page = Page {
        limit: p.limit(5, 1, 10)?,
        offset: p.offset(1000)?,
    };
    let query = Query::parse(q);
    let cat = s.catalog();
    let base = o.api();
    let r = render(cat, &base);
    let url = format!("{base}/search");
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut out = Map::new();
    for t in types {
        let extra = format!("&query={}&type={t}", enc(q));
        let (key, paged) = if t == "playlist" {
            let world = s.shared.world.lock();
            let phrase = query.words.join(" ");
            let hits: Vec<&crate::world::playlists::Playlist> = world
                .playlists
                .iter()
                .filter(|pl| pl.public && query.filters.is_empty())
                .filter(|pl| {
                    let text = format!("{} {}", pl.name, pl.description.as_deref().unwrap_or(""))
                        .to_lowercase();
                    !phrase.is_empty() && query.words.iter().all(|w| text.contains(w.as_str()))
                })
                .collect();
            let paged = page.of_with_query(&url, &extra, &hits, |pl| {
                r.simplified_playlist(&world, pl, &o.0)
            });
            ("playlists", paged)
        } else {
            let (key, kind) = match t {
                "album" => ("albums", Kind::Album),
                "artist" => ("artists", Kind::Artist),
                "track" => ("tracks", Kind::Track),
                "show" => ("shows", Kind::Show),
                "episode" => ("episodes", Kind::Episode),
                _ => ("audiobooks", Kind::Audiobook),
            };
            let hits = matches(cat, kind, &query);
            let paged = page.of_with_query(&url, &extra, &hits, |&i| match kind {
                Kind::Album => r.simplified_album(i),
                Kind::Artist => r.artist(i, false),
                Kind::Track => r.track(i),
                Kind::Show => r.simplified_show(i),
                Kind::Episode => r.simplified_episode(i),
                _ => r.simplified_audiobook(i),
            });
            (key, paged)
        };
        out.insert(key.to_string(), paged);
    }
    Ok(ok(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_quoted_words() {
        let q = Query::parse("Velvet artist:\"the wolves\" year:1990-2000");
        assert_eq!(q.words, vec!["velvet"]);
        assert_eq!(
            q.filters,
            vec![
                ("artist".to_string(), "the wolves".to_string()),
                ("year".to_string(), "1990-2000".to_string())
            ]
        );
    }

    #[test]
    fn artist_names_and_genres_are_found() {
        let cat = Catalog::generate(8);
        let name = cat.artists[3].name.clone();
        let hits = matches(&cat, Kind::Artist, &Query::parse(&name));
        assert_eq!(
            hits.first(),
            Some(&3)
                .filter(|_| cat.artists.iter().filter(|a| a.name == name).count() == 1)
                .or(hits.first())
        );
        assert!(hits.contains(&3));
        let tracks = matches(
            &cat,
            Kind::Track,
            &Query::parse(&format!("artist:\"{}\"", name.to_lowercase())),
        );
        assert!(!tracks.is_empty());
        assert!(tracks.iter().all(|&t| {
            cat.tracks[t]
                .artists
                .iter()
                .any(|&a| cat.artists[a].name == name)
                || cat.tracks[t].artists.iter().any(|&a| {
                    cat.artists[a]
                        .name
                        .to_lowercase()
                        .contains(&name.to_lowercase())
                })
        }));
        assert!(!matches(&cat, Kind::Track, &Query::parse("jazz")).is_empty());
        assert!(matches(&cat, Kind::Track, &Query::parse("zzqqxx")).is_empty());
    }

    #[test]
    fn year_ranges() {
        assert!(year_ok("1995-02-01", "1990-2000"));
        assert!(!year_ok("2001-02-01", "1990-2000"));
        assert!(year_ok("2001-02-01", "2001"));
    }
}
