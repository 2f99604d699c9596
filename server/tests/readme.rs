//! The README's flag table is what the CLI defines, and its table of tools is what the tool
//! snapshots hold (regenerate both with `scripts/generate.sh`).

use std::path::Path;

use spotify_mcp_server::docs;
use spotify_mcp_server::mcp::snapshots;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_readme_flag_table_matches_the_cli() {
    let readme = readme();
    let table = docs::flag_table();
    let expected =
        docs::splice(&readme, &table).unwrap_or_else(|| panic!("README.md has no flags markers"));
    assert!(
        expected == readme,
        "README.md's flag table is stale: run scripts/generate.sh (it writes the table from \
         server/src/config.rs)"
    );
}

#[test]
fn the_readme_tools_table_matches_the_snapshots() {
    let readme = readme();
    let loaded = snapshots::load(&snapshots::dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !loaded.is_empty(),
        "no snapshots in server/tools: run scripts/generate.sh"
    );
    let table = docs::tools_table(&loaded);
    let expected = docs::splice_between(&readme, docs::TOOLS_BEGIN, docs::TOOLS_END, &table)
        .unwrap_or_else(|| panic!("README.md has no tools markers"));
    assert!(
        expected == readme,
        "README.md's table of tools is stale: run scripts/generate.sh (it writes the table from \
         server/tools/*.json)"
    );
}
