"""The tool surface the server promises (CONTRACTS.md, issue 2): the 35 default tools grouped by
toolset, and which of them change nothing. Tests compare the live `tools/list` against this."""

from __future__ import annotations

TOOLSETS: dict[str, list[str]] = {
    "playback": [
        "get_playback_state",
        "get_currently_playing",
        "get_devices",
        "transfer_playback",
        "play",
        "pause",
        "skip",
        "seek",
        "set_volume",
        "set_playback_mode",
        "get_queue",
        "add_to_queue",
        "get_recently_played",
    ],
    "search": ["search"],
    "catalog": ["get_item", "get_item_children"],
    "library": [
        "get_saved_items",
        "save_to_library",
        "remove_from_library",
        "check_library",
        "get_followed_artists",
    ],
    "playlists": [
        "get_my_playlists",
        "get_playlist",
        "get_playlist_items",
        "create_playlist",
        "update_playlist_details",
        "add_playlist_items",
        "remove_playlist_items",
        "reorder_playlist_items",
        "get_playlist_cover",
        "upload_playlist_cover",
    ],
    "profile": ["get_profile", "get_top_items"],
    "composite": ["play_best_match", "create_playlist_from_queries"],
}

DEFAULT_TOOLS: list[str] = [t for tools in TOOLSETS.values() for t in tools]
assert len(DEFAULT_TOOLS) == 35, len(DEFAULT_TOOLS)

# Tools that only read: they must say readOnlyHint=true, and are all that --read-only keeps.
READ_ONLY_TOOLS: set[str] = {
    "get_playback_state",
    "get_currently_playing",
    "get_devices",
    "get_queue",
    "get_recently_played",
    "search",
    "get_item",
    "get_item_children",
    "get_saved_items",
    "check_library",
    "get_followed_artists",
    "get_my_playlists",
    "get_playlist",
    "get_playlist_items",
    "get_playlist_cover",
    "get_profile",
    "get_top_items",
}

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
