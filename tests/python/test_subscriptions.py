"""Resource subscriptions through the official Python SDK against the real binary: a 2025-11-25
session's resources/subscribe (over HTTP and stdio) and a 2026-07-28 subscriptions/listen, told
of player and playlist changes; one shared poller per resource, whatever the subscribers."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from harness import STARTED, ServerProcess

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:resources/subscribe is removed"),
    pytest.mark.filterwarnings("ignore:resources/unsubscribe is removed"),
]

NOW_PLAYING = "spotify://player/now-playing"
QUEUE = "spotify://player/queue"
DEVICES = "spotify://player/devices"
POLL_MS = 300
CHANGE_SECONDS = 10.0


@pytest.fixture(scope="module")
def watched(launcher):
    """A sandbox of its own (these tests change the player) and a server polling every 300 ms."""
    spotify = launcher.sandbox(name="subscriptions-sandbox")
    server = launcher.http_server_on(
        spotify, "--subscription-poll-ms", str(POLL_MS), name="subscriptions-server"
    )
    yield spotify, server
    server.stop()
    spotify.stop()


def _updates(into: list):
    """A message handler that keeps resources/updated URIs and list_changed notifications."""

    async def handle(message) -> None:
        inner = getattr(message, "root", message)
        method = getattr(inner, "method", None)
        if method == "notifications/resources/updated":
            into.append(inner.params.uri)
        elif method == "notifications/resources/list_changed":
            into.append("list_changed")

    return handle


async def _wait_for(seen: list, item: str, timeout: float = CHANGE_SECONDS) -> bool:
    with anyio.move_on_after(timeout):
        while item not in seen:
            await asyncio.sleep(0.05)
        return True
    return False


async def test_a_session_hears_of_player_changes_and_stops_after_unsubscribe(watched):
    from mcp import Client

    spotify, server = watched
    seen: list = []
    async with Client(server.mcp_url, mode="legacy", read_timeout_seconds=60, message_handler=_updates(seen)) as client:
        caps = client.server_capabilities
        assert caps.resources.subscribe and caps.resources.list_changed, caps
        await client.call_tool("play", {})
        await client.subscribe_resource(NOW_PLAYING)
        await client.subscribe_resource(QUEUE)

        # The position moves, nothing else: no notification.
        await asyncio.sleep(POLL_MS * 4 / 1000)
        assert seen == [], seen
        paused = await client.call_tool("pause", {})
        assert not paused.is_error, paused
        assert await _wait_for(seen, NOW_PLAYING), f"no update of {NOW_PLAYING} after pause: {seen}"
        assert QUEUE not in seen, seen

        # Albums never change: a clear refusal.
        from mcp import MCPError

        with pytest.raises(MCPError) as refused:
            await client.subscribe_resource("spotify://album/4aawyAB9vmqN3uQ7FjRGTy")
        assert "do not change" in str(refused.value), refused.value

        await client.unsubscribe_resource(NOW_PLAYING)
        seen.clear()
        await client.call_tool("play", {})
        await asyncio.sleep(POLL_MS * 5 / 1000)
        assert NOW_PLAYING not in seen, seen


async def test_queue_devices_and_a_playlist_are_told_of_their_own_changes(watched):
    """A session subscribed to the queue, the devices and one playlist hears of each when that
    one changes: a track queued, playback moved to another device, an item added."""
    import json

    from mcp import Client

    def structured(result) -> dict:
        assert not result.is_error, result
        return result.structured_content or json.loads(result.content[0].text)

    _spotify, server = watched
    seen: list = []
    async with Client(server.mcp_url, mode="legacy", read_timeout_seconds=60, message_handler=_updates(seen)) as client:
        await client.call_tool("play", {})
        tracks = [t["uri"] for t in structured(await client.call_tool("search", {"query": "a", "types": ["track"], "limit": 3}))["tracks"]]
        playlist = structured(await client.call_tool("create_playlist", {"name": "watched playlist"}))["uri"]
        playlist_resource = "spotify://playlist/" + playlist.removeprefix("spotify:playlist:")
        for uri in (QUEUE, DEVICES, playlist_resource):
            await client.subscribe_resource(uri)
        await asyncio.sleep(POLL_MS * 3 / 1000)
        seen.clear()

        structured(await client.call_tool("add_to_queue", {"uris": tracks[:1]}))
        assert await _wait_for(seen, QUEUE), f"no update of {QUEUE} after add_to_queue: {seen}"
        assert DEVICES not in seen and playlist_resource not in seen, seen

        devices = structured(await client.call_tool("get_devices", {}))["devices"]
        target = next(d for d in devices if not d.get("active") and not d.get("restricted"))
        seen.clear()
        structured(await client.call_tool("transfer_playback", {"device_id": target["id"]}))
        assert await _wait_for(seen, DEVICES), f"no update of {DEVICES} after transfer_playback: {seen}"

        seen.clear()
        structured(await client.call_tool("add_playlist_items", {"playlist": playlist, "uris": tracks[1:]}))
        assert await _wait_for(seen, playlist_resource), f"no update of {playlist_resource} after adding items: {seen}"


async def test_listen_delivers_updates_and_playlist_list_changes_from_one_poller(watched):
    """2026-07-28: two subscriptions/listen streams on now-playing share one poller; creating a
    playlist changes the resource list."""
    from mcp import Client
    from mcp.client.subscriptions import ResourcesListChanged, ResourceUpdated

    spotify, server = watched
    events: list = []

    async def collect(sub) -> None:
        async for event in sub:
            if isinstance(event, ResourceUpdated):
                events.append(event.uri)
            elif isinstance(event, ResourcesListChanged):
                events.append("list_changed")

    async with Client(server.mcp_url, mode="auto", read_timeout_seconds=60) as client:
        async with Client(server.mcp_url, mode="auto", read_timeout_seconds=60) as other:
            await client.call_tool("play", {})
            async with client.listen(resource_subscriptions=[NOW_PLAYING], resources_list_changed=True) as sub:
                assert sub.honored.resource_subscriptions == [NOW_PLAYING], sub.honored
                assert sub.honored.resources_list_changed, sub.honored
                async with other.listen(resource_subscriptions=[NOW_PLAYING, "spotify://track/x"]) as sub2:
                    # The unwatchable URI is left out of what the server honours.
                    assert sub2.honored.resource_subscriptions == [NOW_PLAYING], sub2.honored
                    async with anyio.create_task_group() as tasks:
                        tasks.start_soon(collect, sub)
                        tasks.start_soon(collect, sub2)

                        before = spotify.count_requests("/me/player/currently-playing")
                        await asyncio.sleep(3.0)
                        polls = spotify.count_requests("/me/player/currently-playing") - before
                        assert polls <= 3000 // POLL_MS + 2, f"{polls} reads in 3 s: listeners multiplied the poller"
                        assert events == [], events

                        await client.call_tool("pause", {})
                        with anyio.move_on_after(CHANGE_SECONDS):
                            while events.count(NOW_PLAYING) < 2:
                                await asyncio.sleep(0.05)
                        assert events.count(NOW_PLAYING) == 2, f"both listeners are told once: {events}"

                        created = await client.call_tool("create_playlist", {"name": "subscriptions test"})
                        assert not created.is_error, created
                        assert await _wait_for(events, "list_changed"), f"no list_changed: {events}"
                        listed = await client.list_resources()
                        assert any(r.name == "subscriptions test" for r in listed.resources), listed
                        tasks.cancel_scope.cancel()


async def test_stdio_session_subscribes(launcher):
    from mcp import Client
    from mcp.client.stdio import stdio_client

    params, log_path = launcher.stdio_params("--subscription-poll-ms", str(POLL_MS))
    STARTED.append(ServerProcess("stdio", [params.command, *params.args], {}, log_path))
    seen: list = []
    with open(log_path, "w") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60, message_handler=_updates(seen)
        ) as client:
            await client.call_tool("play", {})
            await client.subscribe_resource(NOW_PLAYING)
            await client.call_tool("pause", {})
            assert await _wait_for(seen, NOW_PLAYING), f"no update over stdio: {seen}"


async def test_sigterm_ends_an_open_listen_at_once(launcher):
    """An open subscriptions/listen does not hold the shutdown grace period: SIGTERM ends it
    (the stream's final result) and the server exits well before the grace is over."""
    import signal
    import time

    from mcp import Client

    server = launcher.http_server("--shutdown-grace", "20", name="listen-shutdown")
    ended = anyio.Event()

    async def listen() -> None:
        try:
            async with Client(server.mcp_url, mode="auto", read_timeout_seconds=60) as client:
                async with client.listen(resource_subscriptions=[NOW_PLAYING]) as sub:
                    async for _event in sub:
                        pass
        except Exception:  # the stream's end, graceful or not; the exit time is what is checked
            pass
        ended.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(listen)
        await asyncio.sleep(1.0)
        assert not ended.is_set(), "the listen ended by itself"
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = await anyio.to_thread.run_sync(lambda: server.proc.wait(timeout=30))
        took = time.monotonic() - start
        with anyio.move_on_after(5):
            await ended.wait()
        tasks.cancel_scope.cancel()
    assert code == 0, f"exit {code}"
    assert took < 5, f"the server took {took:.1f} s to exit with a listen open (grace 20 s)"
