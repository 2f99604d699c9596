//! A user's library: saved tracks, albums, shows, episodes, audiobooks, followed artists and
//! playlists, each newest first with the time it was added.

use std::collections::HashMap;

use super::catalog::{ItemRef, Kind};

/// Something `/me/library` can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LibraryItem {
    Catalog(ItemRef),
    Playlist(String),
}

/// A saved entry: what and when (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub index: usize,
    pub added_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Per kind, newest first. `Kind::Artist` holds followed artists.
    saved: HashMap<Kind, Vec<Saved>>,
    /// Followed playlists (ids), newest first.
    playlists: Vec<(String, i64)>,
}

impl Library {
    /// Adds an item (no-op when already present). Chapters cannot be saved.
    pub fn save(&mut self, item: &LibraryItem, now_ms: i64) {
        match item {
            LibraryItem::Catalog(r) => {
                let list = self.saved.entry(r.kind).or_default();
                if !list.iter().any(|s| s.index == r.index) {
                    list.insert(
                        0,
                        Saved {
                            index: r.index,
                            added_at: now_ms,
                        },
                    );
                }
            }
            LibraryItem::Playlist(id) => {
                if !self.playlists.iter().any(|(p, _)| p == id) {
                    self.playlists.insert(0, (id.clone(), now_ms));
                }
            }
        }
    }

    pub fn remove(&mut self, item: &LibraryItem) {
        match item {
            LibraryItem::Catalog(r) => {
                if let Some(list) = self.saved.get_mut(&r.kind) {
                    list.retain(|s| s.index != r.index);
                }
            }
            LibraryItem::Playlist(id) => self.playlists.retain(|(p, _)| p != id),
        }
    }

    pub fn contains(&self, item: &LibraryItem) -> bool {
        match item {
            LibraryItem::Catalog(r) => self
                .saved
                .get(&r.kind)
                .is_some_and(|l| l.iter().any(|s| s.index == r.index)),
            LibraryItem::Playlist(id) => self.playlists.iter().any(|(p, _)| p == id),
        }
    }

    /// Saved items of `kind`, newest first.
    pub fn list(&self, kind: Kind) -> &[Saved] {
        self.saved.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Followed playlist ids, newest first.
    pub fn playlists(&self) -> impl Iterator<Item = &str> {
        self.playlists.iter().map(|(p, _)| p.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(i: usize) -> LibraryItem {
        LibraryItem::Catalog(ItemRef {
            kind: Kind::Track,
            index: i,
        })
    }

    #[test]
    fn save_is_idempotent_and_newest_first() {
        let mut l = Library::default();
        l.save(&track(1), 10);
        l.save(&track(2), 20);
        l.save(&track(1), 30);
        let got: Vec<usize> = l.list(Kind::Track).iter().map(|s| s.index).collect();
        assert_eq!(got, vec![2, 1]);
        assert!(l.contains(&track(1)));
        l.remove(&track(1));
        assert!(!l.contains(&track(1)));
        assert!(l.list(Kind::Album).is_empty());
    }

    #[test]
    fn playlists_follow_and_unfollow() {
        let mut l = Library::default();
        let p = LibraryItem::Playlist("abc".into());
        l.save(&p, 1);
        assert!(l.contains(&p));
        assert_eq!(l.playlists().collect::<Vec<_>>(), vec!["abc"]);
        l.remove(&p);
        assert!(!l.contains(&p));
    }
}
