//! The seeded, immutable catalog: artists, albums, tracks, shows, episodes, audiobooks, chapters.
//!
//! Generated once from a seed; identical seeds give identical catalogs. Items reference each
//! other by index; [`Catalog::lookup`] resolves a Spotify id.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::ids::base62_id;
use super::names;

/// What kind of catalog object an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Track,
    Album,
    Artist,
    Show,
    Episode,
    Audiobook,
    Chapter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Album => "album",
            Kind::Artist => "artist",
            Kind::Show => "show",
            Kind::Episode => "episode",
            Kind::Audiobook => "audiobook",
            Kind::Chapter => "chapter",
        }
    }

    /// The plural path segment of the Web API (`/tracks/{id}`, ...).
    pub fn path(self) -> &'static str {
        match self {
            Kind::Track => "tracks",
            Kind::Album => "albums",
            Kind::Artist => "artists",
            Kind::Show => "shows",
            Kind::Episode => "episodes",
            Kind::Audiobook => "audiobooks",
            Kind::Chapter => "chapters",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "track" => Kind::Track,
            "album" => Kind::Album,
            "artist" => Kind::Artist,
            "show" => Kind::Show,
            "episode" => Kind::Episode,
            "audiobook" => Kind::Audiobook,
            "chapter" => Kind::Chapter,
            _ => return None,
        })
    }
}

/// A typed reference to a catalog item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemRef {
    pub kind: Kind,
    pub index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlbumType {
    Album,
    Single,
    Compilation,
}

impl AlbumType {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbumType::Album => "album",
            AlbumType::Single => "single",
            AlbumType::Compilation => "compilation",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Artist {
    pub id: String,
    pub name: String,
    pub genres: Vec<&'static str>,
    pub popularity: u8,
    pub followers: u32,
    /// Albums where this artist is the primary artist.
    pub albums: Vec<usize>,
    /// Albums where this artist only appears on a track.
    pub appears_on: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Album {
    pub id: String,
    pub name: String,
    pub album_type: AlbumType,
    pub artists: Vec<usize>,
    pub tracks: Vec<usize>,
    pub release_date: String,
    pub genre: &'static str,
    pub label: String,
    pub popularity: u8,
    pub upc: String,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub album: usize,
    pub artists: Vec<usize>,
    pub duration_ms: u32,
    pub explicit: bool,
    pub track_number: u32,
    pub popularity: u8,
    pub isrc: String,
}

#[derive(Debug, Clone)]
pub struct Show {
    pub id: String,
    pub name: String,
    pub description: String,
    pub publisher: String,
    pub explicit: bool,
    pub episodes: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Episode {
    pub id: String,
    pub name: String,
    pub show: usize,
    pub description: String,
    pub duration_ms: u32,
    pub release_date: String,
    pub explicit: bool,
}

#[derive(Debug, Clone)]
pub struct Audiobook {
    pub id: String,
    pub name: String,
    pub authors: Vec<String>,
    pub narrators: Vec<String>,
    pub publisher: String,
    pub description: String,
    pub explicit: bool,
    pub chapters: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Chapter {
    pub id: String,
    pub name: String,
    pub audiobook: usize,
    pub chapter_number: u32,
    pub duration_ms: u32,
    pub description: String,
    pub release_date: String,
}

/// A browse category (one per genre), for the extended surface.
#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub genre: &'static str,
}

#[derive(Debug, Default)]
pub struct Catalog {
    pub artists: Vec<Artist>,
    pub albums: Vec<Album>,
    pub tracks: Vec<Track>,
    pub shows: Vec<Show>,
    pub episodes: Vec<Episode>,
    pub audiobooks: Vec<Audiobook>,
    pub chapters: Vec<Chapter>,
    pub categories: Vec<Category>,
    by_id: HashMap<String, ItemRef>,
    /// Lower-cased search text per kind, parallel to the item vectors.
    search_text: HashMap<Kind, Vec<String>>,
    /// Lower-cased names per kind, parallel to the item vectors.
    names_lower: HashMap<Kind, Vec<String>>,
}

/// Sizes of the generated catalog.
const ARTISTS: usize = 90;
const SHOWS: usize = 30;
const AUDIOBOOKS: usize = 25;

struct Gen {
    rng: StdRng,
    used: HashSet<String>,
    /// Names given so far per kind: names are unique within a kind, so an exact-name search
    /// finds the item.
    names: HashMap<Kind, HashSet<String>>,
}

impl Gen {
    fn unique_name(&mut self, kind: Kind, mut make: impl FnMut(&mut StdRng) -> String) -> String {
        let mut name = make(&mut self.rng);
        let taken = self.names.entry(kind).or_default();
        for _ in 0..30 {
            if !taken.contains(&name) {
                break;
            }
            name = make(&mut self.rng);
        }
        let base = name.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base} (Part {n})");
            n += 1;
        }
        taken.insert(name.clone());
        name
    }

    fn id(&mut self) -> String {
        loop {
            let id = base62_id(&mut self.rng);
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }

    fn date(&mut self, from_year: i32, to_year: i32) -> String {
        let y = self.rng.random_range(from_year..=to_year);
        let m = self.rng.random_range(1..=12);
        let d = self.rng.random_range(1..=28);
        format!("{y:04}-{m:02}-{d:02}")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }
}

impl Catalog {
    /// Generates the catalog for `seed`.
    pub fn generate(seed: u64) -> Catalog {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            used: HashSet::new(),
            names: HashMap::new(),
        };
        let mut c = Catalog::default();

        for _ in 0..ARTISTS {
            let genre = *names::GENRES.choose(&mut g.rng).unwrap_or(&"jazz");
            let mut genres = vec![genre];
            if g.rng.random_bool(0.4) {
                let second = *names::GENRES.choose(&mut g.rng).unwrap_or(&"folk");
                if second != genre {
                    genres.push(second);
                }
            }
            let name = g.unique_name(Kind::Artist, |r| names::artist(r, genre));
            let popularity = g.rng.random_range(5..=95);
            let followers = g.rng.random_range(100..5_000_000);
            c.artists.push(Artist {
                id: g.id(),
                name,
                genres,
                popularity,
                followers,
                albums: Vec::new(),
                appears_on: Vec::new(),
            });
        }

        for a in 0..ARTISTS {
            let n_albums = g.rng.random_range(1..=4);
            for _ in 0..n_albums {
                c.add_album(&mut g, a);
            }
        }

        for _ in 0..SHOWS {
            c.add_show(&mut g);
        }
        for _ in 0..AUDIOBOOKS {
            c.add_audiobook(&mut g);
        }
        for genre in names::GENRES {
            let id = genre.replace([' ', '-'], "");
            c.categories.push(Category {
                id,
                name: title_case(genre),
                genre,
            });
        }
        c.index();
        c
    }

    fn add_album(&mut self, g: &mut Gen, artist: usize) {
        let genre = self.artists[artist].genres[0];
        let album_type = match g.rng.random_range(0..10) {
            0..=5 => AlbumType::Album,
            6..=8 => AlbumType::Single,
            _ => AlbumType::Compilation,
        };
        let n_tracks = match album_type {
            AlbumType::Album => g.rng.random_range(7..=13),
            AlbumType::Single => g.rng.random_range(1..=3),
            AlbumType::Compilation => g.rng.random_range(10..=15),
        };
        let album_index = self.albums.len();
        let name = g.unique_name(Kind::Album, |r| names::album(r, genre));
        let release_date = g.date(1972, 2026);
        let label = format!("{} Records", names::person(&mut g.rng).replace(' ', " & "));
        let album_popularity = g
            .rng
            .random_range(0..=self.artists[artist].popularity.max(1));
        let upc = g.digits(12);
        let mut tracks = Vec::with_capacity(n_tracks);
        for n in 0..n_tracks {
            let mut artists = vec![artist];
            if g.rng.random_bool(0.12) {
                let featured = g.rng.random_range(0..self.artists.len());
                if featured != artist {
                    artists.push(featured);
                    if !self.artists[featured].appears_on.contains(&album_index) {
                        self.artists[featured].appears_on.push(album_index);
                    }
                }
            }
            let name = if album_type == AlbumType::Single && n == 0 {
                let title = name.clone();
                g.unique_name(Kind::Track, |_| title.clone())
            } else {
                g.unique_name(Kind::Track, names::track)
            };
            let id = g.id();
            let isrc = format!("QZ{}{}", g.digits(3), g.digits(7));
            let track = Track {
                id,
                name,
                album: album_index,
                artists,
                duration_ms: g.rng.random_range(95_000..420_000),
                explicit: g.rng.random_bool(0.15),
                track_number: u32::try_from(n + 1).unwrap_or(u32::MAX),
                popularity: g.rng.random_range(0..=album_popularity.max(1)),
                isrc,
            };
            tracks.push(self.tracks.len());
            self.tracks.push(track);
        }
        self.artists[artist].albums.push(album_index);
        let id = g.id();
        self.albums.push(Album {
            id,
            name,
            album_type,
            artists: vec![artist],
            tracks,
            release_date,
            genre,
            label,
            popularity: album_popularity,
            upc,
        });
    }

    fn add_show(&mut self, g: &mut Gen) {
        let topic = names::topic(&mut g.rng);
        let name = g.unique_name(Kind::Show, |r| names::show(r, topic));
        let publisher = names::person(&mut g.rng);
        let show_index = self.shows.len();
        let n = g.rng.random_range(8..=24);
        let mut episodes = Vec::with_capacity(n);
        for k in (1..=n).rev() {
            let name = g.unique_name(Kind::Episode, |r| names::episode(r, topic, k));
            let id = g.id();
            let release_date = g.date(2024, 2026);
            episodes.push(self.episodes.len());
            self.episodes.push(Episode {
                id,
                description: format!("{name}. A conversation about {topic}."),
                name,
                show: show_index,
                duration_ms: g.rng.random_range(900_000..5_400_000),
                release_date,
                explicit: g.rng.random_bool(0.1),
            });
        }
        let id = g.id();
        self.shows.push(Show {
            id,
            description: format!("{name}: a weekly show about {topic}, hosted by {publisher}."),
            name,
            publisher,
            explicit: g.rng.random_bool(0.1),
            episodes,
        });
    }

    fn add_audiobook(&mut self, g: &mut Gen) {
        let name = g.unique_name(Kind::Audiobook, names::audiobook);
        let authors = vec![names::person(&mut g.rng)];
        let narrators = vec![names::person(&mut g.rng)];
        let book_index = self.audiobooks.len();
        let n = g.rng.random_range(6..=18);
        let mut chapters = Vec::with_capacity(n);
        for k in 1..=n {
            let name = names::chapter(&mut g.rng, k);
            let id = g.id();
            let release_date = g.date(2018, 2026);
            chapters.push(self.chapters.len());
            self.chapters.push(Chapter {
                id,
                description: format!("{name} of {}", name.len()),
                name,
                audiobook: book_index,
                chapter_number: u32::try_from(k).unwrap_or(u32::MAX),
                duration_ms: g.rng.random_range(600_000..3_600_000),
                release_date,
            });
        }
        let id = g.id();
        let publisher = format!("{} House", names::person(&mut g.rng));
        self.audiobooks.push(Audiobook {
            id,
            description: format!("{name}, written by {}.", authors.join(", ")),
            name,
            authors,
            narrators,
            publisher,
            explicit: g.rng.random_bool(0.05),
            chapters,
        });
    }

    fn index(&mut self) {
        let mut by_id = HashMap::new();
        let mut put = |id: &str, kind: Kind, index: usize| {
            by_id.insert(id.to_string(), ItemRef { kind, index });
        };
        for (i, x) in self.artists.iter().enumerate() {
            put(&x.id, Kind::Artist, i);
        }
        for (i, x) in self.albums.iter().enumerate() {
            put(&x.id, Kind::Album, i);
        }
        for (i, x) in self.tracks.iter().enumerate() {
            put(&x.id, Kind::Track, i);
        }
        for (i, x) in self.shows.iter().enumerate() {
            put(&x.id, Kind::Show, i);
        }
        for (i, x) in self.episodes.iter().enumerate() {
            put(&x.id, Kind::Episode, i);
        }
        for (i, x) in self.audiobooks.iter().enumerate() {
            put(&x.id, Kind::Audiobook, i);
        }
        for (i, x) in self.chapters.iter().enumerate() {
            put(&x.id, Kind::Chapter, i);
        }
        self.by_id = by_id;

        let artist_names = |ids: &[usize], artists: &[Artist]| -> String {
            ids.iter()
                .filter_map(|&a| artists.get(a).map(|x| x.name.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut text = HashMap::new();
        text.insert(
            Kind::Artist,
            self.artists
                .iter()
                .map(|a| format!("{} {}", a.name, a.genres.join(" ")).to_lowercase())
                .collect(),
        );
        text.insert(
            Kind::Album,
            self.albums
                .iter()
                .map(|a| {
                    format!(
                        "{} {} {}",
                        a.name,
                        artist_names(&a.artists, &self.artists),
                        a.genre
                    )
                    .to_lowercase()
                })
                .collect(),
        );
        text.insert(
            Kind::Track,
            self.tracks
                .iter()
                .map(|t| {
                    let album = &self.albums[t.album];
                    format!(
                        "{} {} {} {}",
                        t.name,
                        artist_names(&t.artists, &self.artists),
                        album.name,
                        album.genre
                    )
                    .to_lowercase()
                })
                .collect(),
        );
        text.insert(
            Kind::Show,
            self.shows
                .iter()
                .map(|s| format!("{} {}", s.name, s.description).to_lowercase())
                .collect(),
        );
        text.insert(
            Kind::Episode,
            self.episodes
                .iter()
                .map(|e| format!("{} {}", e.name, self.shows[e.show].name).to_lowercase())
                .collect(),
        );
        text.insert(
            Kind::Audiobook,
            self.audiobooks
                .iter()
                .map(|b| {
                    format!(
                        "{} {} {}",
                        b.name,
                        b.authors.join(" "),
                        b.narrators.join(" ")
                    )
                    .to_lowercase()
                })
                .collect(),
        );
        text.insert(
            Kind::Chapter,
            self.chapters
                .iter()
                .map(|c| format!("{} {}", c.name, self.audiobooks[c.audiobook].name).to_lowercase())
                .collect(),
        );
        self.search_text = text;
        let lower = |it: &mut dyn Iterator<Item = &String>| {
            it.map(|n| n.to_lowercase()).collect::<Vec<_>>()
        };
        let mut names = HashMap::new();
        names.insert(
            Kind::Artist,
            lower(&mut self.artists.iter().map(|x| &x.name)),
        );
        names.insert(Kind::Album, lower(&mut self.albums.iter().map(|x| &x.name)));
        names.insert(Kind::Track, lower(&mut self.tracks.iter().map(|x| &x.name)));
        names.insert(Kind::Show, lower(&mut self.shows.iter().map(|x| &x.name)));
        names.insert(
            Kind::Episode,
            lower(&mut self.episodes.iter().map(|x| &x.name)),
        );
        names.insert(
            Kind::Audiobook,
            lower(&mut self.audiobooks.iter().map(|x| &x.name)),
        );
        names.insert(
            Kind::Chapter,
            lower(&mut self.chapters.iter().map(|x| &x.name)),
        );
        self.names_lower = names;
    }

    /// Lower-cased name of an item.
    pub fn name_lower(&self, item: ItemRef) -> &str {
        self.names_lower
            .get(&item.kind)
            .and_then(|v| v.get(item.index))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Resolves an id to the item it names (of any kind).
    pub fn lookup(&self, id: &str) -> Option<ItemRef> {
        self.by_id.get(id).copied()
    }

    /// Resolves an id that must be of `kind`.
    pub fn find(&self, kind: Kind, id: &str) -> Option<usize> {
        self.lookup(id).filter(|r| r.kind == kind).map(|r| r.index)
    }

    /// Number of items of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Track => self.tracks.len(),
            Kind::Album => self.albums.len(),
            Kind::Artist => self.artists.len(),
            Kind::Show => self.shows.len(),
            Kind::Episode => self.episodes.len(),
            Kind::Audiobook => self.audiobooks.len(),
            Kind::Chapter => self.chapters.len(),
        }
    }

    /// The id of an item.
    pub fn id_of(&self, item: ItemRef) -> &str {
        let id = match item.kind {
            Kind::Track => self.tracks.get(item.index).map(|x| x.id.as_str()),
            Kind::Album => self.albums.get(item.index).map(|x| x.id.as_str()),
            Kind::Artist => self.artists.get(item.index).map(|x| x.id.as_str()),
            Kind::Show => self.shows.get(item.index).map(|x| x.id.as_str()),
            Kind::Episode => self.episodes.get(item.index).map(|x| x.id.as_str()),
            Kind::Audiobook => self.audiobooks.get(item.index).map(|x| x.id.as_str()),
            Kind::Chapter => self.chapters.get(item.index).map(|x| x.id.as_str()),
        };
        id.unwrap_or("")
    }

    /// The `spotify:kind:id` URI of an item.
    pub fn uri_of(&self, item: ItemRef) -> String {
        format!("spotify:{}:{}", item.kind.as_str(), self.id_of(item))
    }

    /// Lower-cased searchable text of an item (name, artists, album, genre ...).
    pub fn search_text(&self, item: ItemRef) -> &str {
        self.search_text
            .get(&item.kind)
            .and_then(|v| v.get(item.index))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A popularity used to rank search results and top lists (0..=100).
    pub fn rank(&self, item: ItemRef) -> u8 {
        match item.kind {
            Kind::Track => self.tracks.get(item.index).map_or(0, |t| t.popularity),
            Kind::Album => self.albums.get(item.index).map_or(0, |a| a.popularity),
            Kind::Artist => self.artists.get(item.index).map_or(0, |a| a.popularity),
            _ => 50,
        }
    }

    /// Tracks of an artist (as primary or featured), most popular first.
    pub fn artist_top_tracks(&self, artist: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.artists.contains(&artist))
            .map(|(i, _)| i)
            .collect();
        v.sort_by(|a, b| {
            self.tracks[*b]
                .popularity
                .cmp(&self.tracks[*a].popularity)
                .then(a.cmp(b))
        });
        v
    }

    /// Artists sharing a genre with `artist`, most popular first.
    pub fn related_artists(&self, artist: usize) -> Vec<usize> {
        let Some(a) = self.artists.get(artist) else {
            return Vec::new();
        };
        let mut v: Vec<usize> = self
            .artists
            .iter()
            .enumerate()
            .filter(|(i, b)| *i != artist && b.genres.iter().any(|g| a.genres.contains(g)))
            .map(|(i, _)| i)
            .collect();
        v.sort_by(|x, y| {
            self.artists[*y]
                .popularity
                .cmp(&self.artists[*x].popularity)
                .then(x.cmp(y))
        });
        v.truncate(20);
        v
    }

    /// A deterministic sample of `n` distinct indices of `kind`.
    pub fn sample(&self, kind: Kind, n: usize, seed: u64) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.count(kind)).collect();
        all.shuffle(&mut StdRng::seed_from_u64(seed));
        all.truncate(n);
        all
    }
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::ids::is_base62_id;

    #[test]
    fn same_seed_same_catalog() {
        let a = Catalog::generate(11);
        let b = Catalog::generate(11);
        assert_eq!(a.tracks.len(), b.tracks.len());
        for (x, y) in a.tracks.iter().zip(&b.tracks) {
            assert_eq!((&x.id, &x.name), (&y.id, &y.name));
        }
        let c = Catalog::generate(12);
        assert_ne!(a.tracks[0].id, c.tracks[0].id);
    }

    #[test]
    fn catalog_is_large_and_ids_resolve() {
        let c = Catalog::generate(1);
        assert!(c.tracks.len() >= 300, "{}", c.tracks.len());
        assert!(c.albums.len() >= 100);
        assert!(c.episodes.len() >= 100);
        assert!(c.chapters.len() >= 100);
        for (i, t) in c.tracks.iter().enumerate() {
            assert!(is_base62_id(&t.id));
            assert_eq!(c.find(Kind::Track, &t.id), Some(i));
            assert!(c.albums[t.album].tracks.contains(&i));
        }
        assert_eq!(c.find(Kind::Album, &c.tracks[0].id), None);
    }

    #[test]
    fn names_are_unique_per_kind() {
        let c = Catalog::generate(6);
        let tracks: HashSet<&str> = c.tracks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tracks.len(), c.tracks.len());
        let artists: HashSet<&str> = c.artists.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(artists.len(), c.artists.len());
    }

    #[test]
    fn genre_words_are_searchable() {
        let c = Catalog::generate(5);
        let jazz = (0..c.artists.len())
            .filter(|&i| {
                c.search_text(ItemRef {
                    kind: Kind::Artist,
                    index: i,
                })
                .contains("jazz")
            })
            .count();
        assert!(jazz > 0);
    }

    #[test]
    fn related_and_top_tracks_are_consistent() {
        let c = Catalog::generate(2);
        let top = c.artist_top_tracks(0);
        assert!(!top.is_empty());
        assert!(
            top.windows(2)
                .all(|w| c.tracks[w[0]].popularity >= c.tracks[w[1]].popularity)
        );
        for r in c.related_artists(0) {
            assert!(
                c.artists[r]
                    .genres
                    .iter()
                    .any(|g| c.artists[0].genres.contains(g))
            );
        }
    }
}
