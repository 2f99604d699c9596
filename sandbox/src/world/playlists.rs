//! Playlists: owned, collaborative, other users' and Spotify-editorial ones, with entries,
//! snapshot ids that change on every edit, and custom covers.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// An item a playlist or the player can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Playable {
    Track(usize),
    Episode(usize),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub item: Playable,
    pub added_at: i64,
    pub added_by: usize,
}

#[derive(Debug, Clone)]
pub struct Playlist {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Index into the world's users.
    pub owner: usize,
    pub public: bool,
    pub collaborative: bool,
    /// Users (other than the owner) allowed to edit and read items.
    pub collaborators: Vec<usize>,
    /// Spotify-owned editorial playlist: 404 for development-mode apps.
    pub editorial: bool,
    pub entries: Vec<Entry>,
    pub version: u64,
    pub followers: u32,
    pub cover: Option<Vec<u8>>,
}

/// Errors of playlist edits, mapped to HTTP 400 by the routes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("Index out of bounds")]
    IndexOutOfBounds,
    #[error("Invalid range")]
    InvalidRange,
    #[error("Snapshot id does not match the playlist's current snapshot")]
    SnapshotMismatch,
}

impl Playlist {
    pub fn snapshot_id(&self) -> String {
        STANDARD.encode(format!("{},{}", self.version, self.id))
    }

    /// Whether `user` may read the items and edit this playlist.
    pub fn editable_by(&self, user: usize) -> bool {
        self.owner == user || self.collaborators.contains(&user)
    }

    fn touch(&mut self) {
        self.version += 1;
    }

    fn check_snapshot(&self, snapshot: Option<&str>) -> Result<(), EditError> {
        match snapshot {
            Some(s) if s != self.snapshot_id() => {
                // Spotify applies edits against the named snapshot; the sandbox accepts
                // the current one or any earlier snapshot of this playlist.
                let decoded = STANDARD
                    .decode(s)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                match decoded.as_deref().and_then(|d| d.split_once(',')) {
                    Some((v, id))
                        if id == self.id && v.parse::<u64>().is_ok_and(|v| v <= self.version) =>
                    {
                        Ok(())
                    }
                    _ => Err(EditError::SnapshotMismatch),
                }
            }
            _ => Ok(()),
        }
    }

    /// Inserts items at `position` (end when `None`).
    pub fn add(
        &mut self,
        items: &[Playable],
        position: Option<usize>,
        user: usize,
        now_ms: i64,
    ) -> Result<(), EditError> {
        let at = position.unwrap_or(self.entries.len());
        if at > self.entries.len() {
            return Err(EditError::IndexOutOfBounds);
        }
        let new = items.iter().map(|&item| Entry {
            item,
            added_at: now_ms,
            added_by: user,
        });
        self.entries.splice(at..at, new);
        self.touch();
        Ok(())
    }

    /// Removes every occurrence of the given items.
    pub fn remove(&mut self, items: &[Playable], snapshot: Option<&str>) -> Result<(), EditError> {
        self.check_snapshot(snapshot)?;
        self.entries.retain(|e| !items.contains(&e.item));
        self.touch();
        Ok(())
    }

    /// Moves `range_length` entries starting at `range_start` to before `insert_before`.
    pub fn reorder(
        &mut self,
        range_start: usize,
        insert_before: usize,
        range_length: usize,
        snapshot: Option<&str>,
    ) -> Result<(), EditError> {
        self.check_snapshot(snapshot)?;
        let len = self.entries.len();
        let end = range_start.saturating_add(range_length);
        if range_length == 0 || range_start >= len || end > len {
            return Err(EditError::InvalidRange);
        }
        if insert_before > len {
            return Err(EditError::IndexOutOfBounds);
        }
        if insert_before < range_start || insert_before > end {
            let moved: Vec<Entry> = self.entries.drain(range_start..end).collect();
            let at = if insert_before > range_start {
                insert_before - range_length
            } else {
                insert_before
            };
            self.entries.splice(at..at, moved);
        }
        self.touch();
        Ok(())
    }

    /// Replaces all entries.
    pub fn replace(&mut self, items: &[Playable], user: usize, now_ms: i64) {
        self.entries = items
            .iter()
            .map(|&item| Entry {
                item,
                added_at: now_ms,
                added_by: user,
            })
            .collect();
        self.touch();
    }
}

#[derive(Debug, Clone, Default)]
pub struct Playlists {
    list: Vec<Playlist>,
    by_id: HashMap<String, usize>,
}

impl Playlists {
    pub fn insert(&mut self, p: Playlist) {
        self.by_id.insert(p.id.clone(), self.list.len());
        self.list.push(p);
    }

    pub fn get(&self, id: &str) -> Option<&Playlist> {
        self.by_id.get(id).and_then(|&i| self.list.get(i))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Playlist> {
        self.by_id.get(id).and_then(|&i| self.list.get_mut(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Playlist> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pl(n: usize) -> Playlist {
        let mut p = Playlist {
            id: "p1".into(),
            name: "x".into(),
            description: None,
            owner: 0,
            public: true,
            collaborative: false,
            collaborators: vec![],
            editorial: false,
            entries: vec![],
            version: 1,
            followers: 0,
            cover: None,
        };
        let items: Vec<Playable> = (0..n).map(Playable::Track).collect();
        p.add(&items, None, 0, 0).ok();
        p
    }

    fn order(p: &Playlist) -> Vec<usize> {
        p.entries
            .iter()
            .map(|e| match e.item {
                Playable::Track(i) | Playable::Episode(i) => i,
            })
            .collect()
    }

    #[test]
    fn every_edit_changes_the_snapshot() {
        let mut p = pl(3);
        let s1 = p.snapshot_id();
        p.add(&[Playable::Track(9)], Some(0), 0, 1).ok();
        let s2 = p.snapshot_id();
        assert_ne!(s1, s2);
        assert_eq!(order(&p), vec![9, 0, 1, 2]);
        p.remove(&[Playable::Track(9)], Some(&s2)).ok();
        assert_ne!(p.snapshot_id(), s2);
        assert_eq!(order(&p), vec![0, 1, 2]);
    }

    #[test]
    fn reorder_moves_ranges_both_ways() {
        let mut p = pl(5);
        p.reorder(0, 3, 2, None).ok();
        assert_eq!(order(&p), vec![2, 0, 1, 3, 4]);
        let mut p = pl(5);
        p.reorder(3, 0, 2, None).ok();
        assert_eq!(order(&p), vec![3, 4, 0, 1, 2]);
        let mut p = pl(5);
        p.reorder(1, 5, 1, None).ok();
        assert_eq!(order(&p), vec![0, 2, 3, 4, 1]);
        assert_eq!(p.reorder(4, 0, 2, None), Err(EditError::InvalidRange));
        assert_eq!(p.reorder(0, 9, 1, None), Err(EditError::IndexOutOfBounds));
        assert_eq!(
            p.reorder(1, 0, usize::MAX, None),
            Err(EditError::InvalidRange)
        );
        assert_eq!(
            p.reorder(usize::MAX, 0, 1, None),
            Err(EditError::InvalidRange)
        );
    }

    #[test]
    fn bad_snapshot_and_position_are_rejected() {
        let mut p = pl(2);
        assert_eq!(
            p.remove(&[], Some("bogus")),
            Err(EditError::SnapshotMismatch)
        );
        assert_eq!(
            p.add(&[Playable::Track(1)], Some(7), 0, 0),
            Err(EditError::IndexOutOfBounds)
        );
        p.replace(&[Playable::Episode(4)], 0, 0);
        assert_eq!(p.entries.len(), 1);
    }
}
