"""The tool surface the server promises, read from the tool snapshots (server/tools/*.json, one
per tool, written by scripts/generate.sh from the code): the default tools grouped by toolset,
and which of them change nothing. Tests compare the live `tools/list` against this."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "server" / "tools"

# Every tool the server has (default toolsets or not), by name: what it serves of the tool
# (inputSchema, outputSchema, description), the annotations its source declares (all four hints),
# its toolset and whether that toolset is on by default.
SNAPSHOTS: dict[str, dict[str, Any]] = {
    s["name"]: s for s in (json.loads(p.read_text()) for p in sorted(SNAPSHOT_DIR.glob("*.json")))
}
assert SNAPSHOTS, f"no tool snapshots in {SNAPSHOT_DIR}: run scripts/generate.sh"

TOOLSETS: dict[str, list[str]] = {}
for _name, _snapshot in SNAPSHOTS.items():
    if _snapshot["defaultToolset"]:
        TOOLSETS.setdefault(_snapshot["toolset"], []).append(_name)

DEFAULT_TOOLS: list[str] = [t for tools in TOOLSETS.values() for t in tools]

# Tools that only read: they must say readOnlyHint=true, and are all that --read-only keeps.
READ_ONLY_TOOLS: set[str] = {t for t in DEFAULT_TOOLS if SNAPSHOTS[t]["annotations"].get("readOnlyHint") is True}

# The tools of the opt-in toolsets.
OPT_IN_TOOLS: set[str] = set(SNAPSHOTS) - set(DEFAULT_TOOLS)

# What a reviewer expects of particular tools' hints, checked against what they serve (a new tool
# need not be listed here; its snapshot's annotations are reviewed with it).

# Writes that delete or overwrite what the user had: destructiveHint must be true.
DESTRUCTIVE_TOOLS: set[str] = {"remove_from_library", "remove_playlist_items", "reorder_playlist_items"}

# Writes that only add: destructiveHint must be false.
ADDITIVE_TOOLS: set[str] = {
    "save_to_library",
    "create_playlist",
    "add_playlist_items",
    "add_to_queue",
    "create_playlist_from_queries",
}

# Repeating the call changes the world again: idempotentHint must be false.
NON_IDEMPOTENT_TOOLS: set[str] = {
    "skip",
    "add_to_queue",
    "create_playlist",
    "add_playlist_items",
    "create_playlist_from_queries",
}

# Repeating the call leaves the same state: idempotentHint must be true.
IDEMPOTENT_WRITES: set[str] = {
    "pause",
    "seek",
    "set_volume",
    "set_playback_mode",
    "transfer_playback",
    "save_to_library",
    "remove_from_library",
    "update_playlist_details",
    "upload_playlist_cover",
}

# The extended toolset (extended-quota apps only) must not be in the default set and must
# carry at least these capabilities; names are the tools engineer's, checked by keyword.
EXTENDED_KEYWORDS = ["recommend", "audio_features", "related", "top_tracks", "new_releases", "categor", "market"]

TOOLS_LIST_MAX_BYTES = 20 * 1024

# Arguments many tools share: the server instructions explain them once, so their schemas may
# go undescribed (SpotifyMcp's COMMON_ARGS).
COMMON_ARGS = frozenset({"id", "playlist", "uris", "type", "device_id", "limit", "offset"})
