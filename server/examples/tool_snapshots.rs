//! Writes or checks what is derived from the tool surface: one snapshot per tool in
//! `server/tools/` ([`spotify_mcp_server::mcp::snapshots`]), then the README's table of tools
//! read back from those files ([`spotify_mcp_server::docs::tools_table`]). Run by
//! `scripts/generate.sh` (`--write`) and `scripts/generate.sh --check` (`--check`, exit 1
//! naming what differs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use spotify_mcp_server::docs;
use spotify_mcp_server::mcp::snapshots;

type BoxError = Box<dyn std::error::Error>;

fn readme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")
}

/// The README as it should be, from the snapshots in `dir`.
fn readme_from(dir: &Path) -> Result<(String, String), BoxError> {
    let path = readme();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table = docs::tools_table(&snapshots::load(dir)?);
    let expected = docs::splice_between(&text, docs::TOOLS_BEGIN, docs::TOOLS_END, &table)
        .ok_or_else(|| format!("{} has no tools markers", path.display()))?;
    Ok((text, expected))
}

fn run(write: bool) -> Result<bool, BoxError> {
    let dir = snapshots::dir();
    if write {
        for change in snapshots::write(&dir)? {
            eprintln!("server/tools: {change}, rewritten");
        }
        let (text, expected) = readme_from(&dir)?;
        if text != expected {
            std::fs::write(readme(), expected)?;
        }
        return Ok(true);
    }
    let mut current = true;
    for drift in snapshots::drift(&dir)? {
        eprintln!("server/tools: {drift}; run scripts/generate.sh");
        current = false;
    }
    let (text, expected) = readme_from(&dir)?;
    if text != expected {
        eprintln!("README.md's table of tools differs from server/tools; run scripts/generate.sh");
        current = false;
    }
    Ok(current)
}

fn main() -> ExitCode {
    let write = match std::env::args().nth(1).as_deref() {
        Some("--write") => true,
        Some("--check") => false,
        _ => {
            eprintln!("usage: tool_snapshots --write|--check");
            return ExitCode::from(2);
        }
    };
    match run(write) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tool_snapshots: {e}");
            ExitCode::FAILURE
        }
    }
}
