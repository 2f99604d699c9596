//! Every tool has a current snapshot in `server/tools/`, and no snapshot names a tool that no
//! longer exists (regenerate with `scripts/generate.sh`).

use spotify_mcp_server::mcp::snapshots;

#[test]
fn every_tool_snapshot_is_current() {
    let drift = snapshots::drift(&snapshots::dir()).unwrap_or_else(|e| panic!("{e}"));
    let list: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(
        list.is_empty(),
        "server/tools/ differs from the code: {}; run scripts/generate.sh",
        list.join(", ")
    );
}
