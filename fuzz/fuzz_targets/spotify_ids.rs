//! Spotify URI / ID / link parsing (`server/src/spotify/ids.rs`).
//!
//! Properties: whatever parses round-trips through its canonical URI, its open.spotify.com
//! link, its bare ID (with its kind) and serde to the same typed ID; a kind-restricted parse
//! never returns another kind; every error message is short (inputs are truncated in it).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spotify_mcp_server::spotify::{ItemKind, SpotifyId};

#[derive(Debug, Arbitrary)]
struct Input {
    /// Which kinds a restricted parse accepts (bit i: `ItemKind::ALL[i]`).
    kinds: u16,
    text: String,
}

/// Error messages name the input truncated to 80 characters, plus fixed text.
const MAX_ERROR_BYTES: usize = 1024;

fn check_error(context: &str, input: &str, err: &dyn std::fmt::Display) {
    let message = err.to_string();
    assert!(!message.is_empty(), "{context}: empty error for {input:?}");
    assert!(
        message.len() <= MAX_ERROR_BYTES,
        "{context}: {}-byte error for a {}-byte input",
        message.len(),
        input.len()
    );
}

fn check_canonical(id: &SpotifyId) {
    let uri = id.uri();
    assert_eq!(id.to_string(), uri);
    assert_eq!(SpotifyId::parse(&uri).as_ref(), Ok(id), "URI {uri}");
    assert_eq!(
        SpotifyId::parse(&id.url()).as_ref(),
        Ok(id),
        "link {}",
        id.url()
    );
    assert_eq!(
        SpotifyId::parse_as(id.id(), id.kind()).as_ref(),
        Ok(id),
        "bare {}",
        id.id()
    );
    assert_eq!(SpotifyId::new(id.kind(), id.id()).as_ref(), Ok(id));
    let json = serde_json::to_string(id).expect("a SpotifyId serialises");
    let back: SpotifyId = serde_json::from_str(&json).expect("its JSON parses back");
    assert_eq!(&back, id);
    assert!(!id.id().is_empty() && id.id().len() <= 64, "{uri}");
}

fuzz_target!(|input: Input| {
    let text = input.text.as_str();
    match SpotifyId::parse(text) {
        Ok(id) => check_canonical(&id),
        Err(e) => check_error("parse", text, &e),
    }
    let kinds: Vec<ItemKind> = ItemKind::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| input.kinds & (1 << i) != 0)
        .map(|(_, k)| k)
        .collect();
    match SpotifyId::parse_one_of(text, &kinds) {
        Ok(id) => {
            assert!(
                kinds.is_empty() || kinds.contains(&id.kind()),
                "{text:?} parsed as {} outside {kinds:?}",
                id.kind()
            );
            check_canonical(&id);
        }
        Err(e) => check_error("parse_one_of", text, &e),
    }
    if let Some(&kind) = kinds.first() {
        match SpotifyId::parse_as(text, kind) {
            Ok(id) => {
                assert_eq!(id.kind(), kind);
                check_canonical(&id);
            }
            Err(e) => check_error("parse_as", text, &e),
        }
    }
    match text.parse::<ItemKind>() {
        Ok(kind) => assert!(kind.as_str().eq_ignore_ascii_case(text.trim())),
        Err(e) => check_error("ItemKind", text, &e),
    }
});
