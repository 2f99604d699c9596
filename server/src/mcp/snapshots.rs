//! The tool surface stated once: one JSON file per tool under `server/tools/`, holding what the
//! server serves of it (name, title, description, input and output schemas, after compaction),
//! the annotations its source declares (all four hints, before compaction), and its toolset.
//!
//! `scripts/generate.sh` writes the files (the `tool_snapshots` example); `server/tests/
//! tool_snapshots.rs` and `scripts/generate.sh --check` fail when one is missing, differs from
//! the code, or is left over for a tool that no longer exists. What is derived from the tool
//! surface (the tool lists of the tests, the README's table and counts) reads these files, so
//! adding a tool touches its module and the regenerated files only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{SpotifyMcp, Toolset, compact_tool};

/// The directory of the snapshots in the server crate.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools")
}

/// Reading or writing the snapshot directory failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a tool snapshot: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How the directory differs from the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A tool has no snapshot.
    Missing(String),
    /// A tool's snapshot says something else than the code.
    Stale(String),
    /// A snapshot names no tool of the code (a `.json` file name).
    LeftOver(String),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing(name) => write!(f, "{name}.json is missing"),
            Drift::Stale(name) => write!(f, "{name}.json differs from the code"),
            Drift::LeftOver(file) => write!(f, "{file} is left over: no tool has that name"),
        }
    }
}

/// The snapshot of every tool the server has (every toolset, enabled by default or not), by
/// tool name.
pub fn snapshots() -> BTreeMap<String, Value> {
    let defaults = Toolset::defaults();
    let mut out = BTreeMap::new();
    for toolset in Toolset::ALL {
        for route in SpotifyMcp::router_for(toolset) {
            let declared = route.attr.annotations.clone();
            let mut served = route.attr;
            compact_tool(&mut served);
            let name = served.name.to_string();
            let mut snapshot = match serde_json::to_value(&served) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            snapshot.insert("annotations".into(), serde_json::json!(declared));
            snapshot.insert("toolset".into(), Value::from(toolset.name()));
            snapshot.insert(
                "defaultToolset".into(),
                Value::from(defaults.contains(&toolset)),
            );
            out.insert(name, Value::Object(snapshot));
        }
    }
    out
}

/// The text of a snapshot file: pretty JSON (keys sorted) and a final newline.
pub fn render(snapshot: &Value) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).unwrap_or_default();
    text.push('\n');
    text
}

/// The `.json` files of `dir`, by file name (none when `dir` does not exist).
fn files(dir: &Path) -> Result<BTreeMap<String, PathBuf>, SnapshotError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(file) = path.file_name().and_then(|f| f.to_str())
        {
            out.insert(file.to_string(), path);
        }
    }
    Ok(out)
}

/// How `dir` differs from the code; empty when every snapshot is current.
pub fn drift(dir: &Path) -> Result<Vec<Drift>, SnapshotError> {
    let mut on_disk = files(dir)?;
    let mut out = Vec::new();
    for (name, snapshot) in snapshots() {
        match on_disk.remove(&format!("{name}.json")) {
            None => out.push(Drift::Missing(name)),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                if text != render(&snapshot) {
                    out.push(Drift::Stale(name));
                }
            }
        }
    }
    out.extend(on_disk.into_keys().map(Drift::LeftOver));
    Ok(out)
}

/// Brings `dir` up to date: writes every missing or stale snapshot and removes left-over
/// ones. Answers what it changed.
pub fn write(dir: &Path) -> Result<Vec<Drift>, SnapshotError> {
    let changed = drift(dir)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let current = snapshots();
    for drift in &changed {
        match drift {
            Drift::Missing(name) | Drift::Stale(name) => {
                let path = dir.join(format!("{name}.json"));
                let text = current.get(name).map(render).unwrap_or_default();
                std::fs::write(&path, text).map_err(io(&path))?;
            }
            Drift::LeftOver(file) => {
                let path = dir.join(file);
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
        }
    }
    Ok(changed)
}

/// Every snapshot of `dir`, as written there, in file-name order.
pub fn load(dir: &Path) -> Result<Vec<Value>, SnapshotError> {
    files(dir)?
        .into_values()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            serde_json::from_str(&text).map_err(|source| SnapshotError::Json { path, source })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_names_missing_stale_and_left_over_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let all = snapshots();
        assert!(all.len() > 40, "{} tools", all.len());
        let missing = drift(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(missing.len(), all.len());
        assert!(missing.iter().all(|d| matches!(d, Drift::Missing(_))));

        assert_eq!(write(dir.path()).ok(), Some(missing));
        assert_eq!(drift(dir.path()).ok(), Some(vec![]));

        let search = dir.path().join("search.json");
        let edited = std::fs::read_to_string(&search)
            .unwrap_or_default()
            .replace("\"search\"", "\"find\"");
        std::fs::write(&search, edited).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("gone.json"), "{}\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(dir.path().join("pause.json")).unwrap_or_else(|e| panic!("{e}"));
        let found = drift(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            found,
            vec![
                Drift::Missing("pause".into()),
                Drift::Stale("search".into()),
                Drift::LeftOver("gone.json".into()),
            ]
        );
        write(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(drift(dir.path()).ok(), Some(vec![]));
        assert!(!dir.path().join("gone.json").exists());
    }

    #[test]
    fn a_snapshot_holds_the_declared_hints_and_the_served_schemas() {
        let all = snapshots();
        let search = &all["search"];
        assert_eq!(search["toolset"], "search");
        assert_eq!(search["defaultToolset"], true);
        // Declared: all four hints, including those the served form leaves out.
        assert_eq!(search["annotations"]["readOnlyHint"], true);
        assert_eq!(search["annotations"]["openWorldHint"], true);
        assert_eq!(search["inputSchema"]["type"], "object");
        assert!(search["inputSchema"].get("$schema").is_none(), "compacted");
        assert_eq!(all["get_recommendations"]["defaultToolset"], false);
    }
}
