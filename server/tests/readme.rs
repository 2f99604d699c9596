//! The README's flag table is what the CLI defines (regenerate with `scripts/generate.sh`).

use std::path::Path;

#[test]
fn the_readme_flag_table_matches_the_cli() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table = spotify_mcp_server::docs::flag_table();
    let expected = spotify_mcp_server::docs::splice(&readme, &table)
        .unwrap_or_else(|| panic!("README.md has no flags markers"));
    assert!(
        expected == readme,
        "README.md's flag table is stale: run scripts/generate.sh (it writes the table from \
         server/src/config.rs)"
    );
}
