"""Hosted mode (`--oauth`) in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, provisioned by scripts/test-env.sh, driven with selenium: headless_chrome.py)
goes through the whole sign-in a person goes through, every hop a real navigation:

  the client's authorization URL -> our consent page -> a click on Approve (a form POST)
  -> the sandbox's fake Spotify /authorize (it approves at once) -> our /oauth/callback
  -> the client's loopback redirect URI, where a small HTTP listener of the test answers.

The code the browser brings back is then redeemed by hand (oauth_flow.RawClient) and the token
opens /mcp. Also in the browser: Deny goes back with access_denied; another site cannot frame the
consent page; the page works with the keyboard alone, fits a phone's screen (its viewport meta)
and has a heading and real buttons; a sign-in that cannot go back to its client ends on our
readable error page.

Screenshots of the consent page (desktop 1280x800 and phone 390x844, and the whole page where it
is taller than the screen), its HTML and a phone screenshot of the error page are kept in
$SPOTIFY_MCP_TEST_ARTIFACTS/hosted-browser, or in a pytest temporary directory; the directory is
printed at the end of the module."""

from __future__ import annotations

import base64
import html
import os
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from harness import free_port
from headless_chrome import DESKTOP, PHONE, start_chrome, viewport
from oauth_flow import RawClient, hosted_server, mcp_post, query
from rawhttp import ACCEPT, initialize_body, messages


class RedirectListener:
    """The client's side of the loopback redirect (RFC 8252 §7.3): an HTTP server on a free
    127.0.0.1 port that records each request's path and query and answers with a small page;
    `/frame?src=URL` is another site's page that frames URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                hits.append(self.path)
                body = b"<!doctype html><title>Signed in</title><h1>You can close this window</h1>"
                if self.path.startswith("/frame?"):
                    src = html.escape(query(self.path)["src"])
                    body = f'<!doctype html><title>Framer</title><iframe src="{src}" width="600" height="600"></iframe>'.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake_spotify(launcher):
    sb = launcher.sandbox(name="browser-sandbox")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def hosted(launcher, fake_spotify):
    server = hosted_server(launcher, fake_spotify, name="hosted-browser")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def artifacts(request, tmp_path_factory) -> Path:
    """Where the screenshots go, printed when the module is done (also with -q)."""
    root = os.environ.get("SPOTIFY_MCP_TEST_ARTIFACTS")
    path = Path(root) / "hosted-browser" if root else tmp_path_factory.mktemp("hosted-browser")
    path.mkdir(parents=True, exist_ok=True)
    yield path
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[hosted-browser] consent page screenshots and HTML: {path}")


@pytest.fixture
def listener():
    server = RedirectListener()
    yield server
    server.close()


@pytest.fixture
def chrome(request, launcher):
    browser = start_chrome(launcher.workdir / f"chromedriver-{request.node.name.replace('/', '_')}.log")
    yield browser
    browser.quit()


def wait_for_redirect(browser, listener: RedirectListener, timeout: float = 20) -> dict[str, str]:
    """Waits until the browser has landed on the client's redirect URI: its query."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(
        lambda b: b.current_url.startswith(listener.redirect_uri) and any(h.startswith("/callback") for h in listener.hits),
        message=f"the browser did not reach {listener.redirect_uri}",
    )
    # Once (the browser also asks the listener for /favicon.ico).
    callbacks = [hit for hit in listener.hits if hit.startswith("/callback")]
    assert len(callbacks) == 1 and callbacks[0].startswith("/callback?"), listener.hits
    return query(browser.current_url)


def open_consent(browser, raw: RawClient):
    from selenium.webdriver.common.by import By

    browser.get(raw.authorize_url())
    assert browser.current_url.startswith(f"{raw.server.base_url}/oauth/authorize?"), browser.current_url
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert "raw client" in heading.text, heading.text
    return browser.find_element(By.CSS_SELECTOR, 'button[value="approve"]'), browser.find_element(
        By.CSS_SELECTOR, 'button[value="deny"]'
    )


def call_tool(server, token: str, name: str, arguments: dict | None = None) -> dict:
    """initialize, notifications/initialized and one tools/call at 2025-11-25, all with the
    bearer token: the tool's structured result."""
    auth = {"authorization": f"Bearer {token}", "accept": ACCEPT, "content-type": "application/json"}
    r = mcp_post(server, token, initialize_body())
    assert r.status_code == 200, r.text
    session = {"mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    r = httpx.post(server.mcp_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                   headers={**auth, **session}, timeout=10)
    assert r.status_code == 202, r.text
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}}
    r = httpx.post(server.mcp_url, json=body, headers={**auth, **session}, timeout=30)
    assert r.status_code == 200, r.text
    result = next(m for m in messages(r) if m.get("id") == 2)
    assert "result" in result and not result["result"].get("isError"), result
    return result["result"]["structuredContent"]


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct rows) of a PNG: a blank page has a handful of distinct rows."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and color in (2, 6), (depth, color)
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = 1 + width * (3 if color == 2 else 4)
    rows = {raw[i + 1 : i + stride] for i in range(0, len(raw), stride)}
    return width, height, len(rows)


def test_a_person_signs_in_with_a_real_browser_and_the_code_opens_mcp(hosted, fake_spotify, chrome, listener):
    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    fake_spotify.clear_requests()
    approve, _ = open_consent(chrome, raw)
    assert "127.0.0.1" in chrome.page_source
    approve.click()
    q = wait_for_redirect(chrome, listener)
    # On the way the browser was at (fake) Spotify's /authorize, sent by us with our own PKCE
    # and our callback, and the server then redeemed Spotify's code.
    seen = [(e["method"], e["path"], e["status"]) for e in fake_spotify.requests()]
    assert seen[:2] == [("GET", "/authorize", 302), ("POST", "/api/token", 200)], seen
    upstream = query("?" + fake_spotify.requests()[0]["query"])
    assert upstream["redirect_uri"] == f"{hosted.base_url}/oauth/callback", upstream
    assert upstream["code_challenge_method"] == "S256" and upstream["code_challenge"] != raw.challenge, upstream
    assert set(q) == {"code", "state", "iss"}, q
    assert q["state"] == "client-state-1" and q["iss"] == hosted.base_url, q
    assert chrome.find_element("tag name", "h1").text == "You can close this window"
    r = raw.redeem(q["code"])
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["access_token"].startswith("smcp_at_") and tokens["refresh_token"].startswith("smcp_rt_")
    assert mcp_post(hosted, None).status_code == 401
    assert mcp_post(hosted, tokens["access_token"]).status_code == 200
    profile = call_tool(hosted, tokens["access_token"], "get_profile")
    assert profile["id"] == "sandboxlistener", profile
    # The code is single use.
    assert raw.redeem(q["code"]).json()["error"] == "invalid_grant"


def test_deny_in_the_browser_goes_back_with_access_denied(hosted, chrome, listener):
    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    _, deny = open_consent(chrome, raw)
    deny.click()
    q = wait_for_redirect(chrome, listener)
    assert q == {
        "error": "access_denied",
        "error_description": "the user denied access",
        "state": "client-state-1",
        "iss": hosted.base_url,
    }, q


def test_the_consent_page_works_with_the_keyboard_alone(hosted, chrome, listener):
    """Tab reaches Approve first and Deny next (both real buttons), Enter on Approve signs in."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    open_consent(chrome, raw)
    focused = lambda: chrome.execute_script(  # noqa: E731
        "const e = document.activeElement; return [e.tagName, e.type || null, e.value || null, e.textContent.trim()]"
    )
    assert focused()[0] == "BODY", focused()
    ActionChains(chrome).send_keys(Keys.TAB).perform()
    assert focused() == ["BUTTON", "submit", "approve", "Approve"], focused()
    ActionChains(chrome).send_keys(Keys.TAB).perform()
    assert focused() == ["BUTTON", "submit", "deny", "Deny"], focused()
    # A visible focus ring (the page's :focus-visible outline) on the focused button.
    outline = chrome.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    ActionChains(chrome).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert focused()[2] == "approve", focused()
    ActionChains(chrome).send_keys(Keys.ENTER).perform()
    q = wait_for_redirect(chrome, listener)
    assert "code" in q and q["state"] == "client-state-1", q
    assert raw.redeem(q["code"]).status_code == 200


def test_another_site_cannot_frame_the_consent_page(hosted, chrome, listener):
    """Clickjacking: a page of another origin frames the consent page, and Chromium refuses to
    render it there (X-Frame-Options DENY, CSP frame-ancestors 'none'), while the same page
    frames another origin's page that does not forbid it."""
    from selenium.webdriver.common.by import By
    from urllib.parse import quote

    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    framed: dict[str, str] = {}
    for name, src in (("own", f"{listener.redirect_uri}?control=1"), ("consent", raw.authorize_url())):
        # The framing page at http://localhost:P: another origin than both 127.0.0.1 pages.
        chrome.get(f"http://localhost:{listener.port}/frame?src={quote(src, safe='')}")
        chrome.switch_to.frame(chrome.find_element(By.TAG_NAME, "iframe"))
        framed[name] = chrome.execute_script("return location.href + ' ' + (document.body ? document.body.innerText : '')")
        chrome.switch_to.default_content()
    assert framed["own"].startswith(listener.redirect_uri) and "You can close this window" in framed["own"], framed
    # Chromium's own error page in the frame, not ours.
    assert framed["consent"].startswith("chrome-error://"), framed
    assert "Allow raw client" not in framed["consent"] and "Approve" not in framed["consent"], framed


def test_a_sign_in_that_cannot_go_back_ends_on_a_readable_page(hosted, chrome, listener, artifacts):
    """An unknown client: our error page, on a phone, and the browser stays with us (never sent
    to a redirect URI nobody registered)."""
    from selenium.webdriver.common.by import By

    viewport(chrome, *PHONE, mobile=True)
    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    chrome.get(raw.authorize_url(client_id="smcp_client_unknown"))
    assert chrome.current_url.startswith(f"{hosted.base_url}/oauth/authorize?"), chrome.current_url
    assert not listener.hits, listener.hits
    headings = [h.text for h in chrome.find_elements(By.TAG_NAME, "h1")]
    body = chrome.find_element(By.TAG_NAME, "body").text
    assert len(headings) == 1 and headings[0], headings
    assert "not registered" in body and "start again from your MCP client" in body, body
    assert chrome.execute_script("return document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways"
    shot = artifacts / "error-unknown-client-phone.png"
    assert chrome.save_screenshot(str(shot))
    assert png_facts(shot)[:2] == PHONE


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_consent_page_is_readable_and_kept_as_a_screenshot(hosted, chrome, listener, artifacts, device):
    from selenium.webdriver.common.by import By

    width, height = DESKTOP if device == "desktop" else PHONE
    viewport(chrome, width, height, mobile=device == "phone")
    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    approve, deny = open_consent(chrome, raw)
    page = chrome.execute_script(
        """return {
          lang: document.documentElement.lang,
          title: document.title,
          viewport: document.querySelector('meta[name=viewport]')?.content ?? null,
          headings: [...document.querySelectorAll('h1')].map(h => h.textContent),
          innerWidth, scrollWidth: document.documentElement.scrollWidth,
          fontSize: parseFloat(getComputedStyle(document.body).fontSize),
          forms: document.forms.length,
          scripts: document.scripts.length,
        }"""
    )
    assert page["lang"] == "en" and "Spotify MCP" in page["title"], page
    assert page["viewport"] and "width=device-width" in page["viewport"], page
    assert len(page["headings"]) == 1, page
    assert page["forms"] == 1 and page["scripts"] == 0, page
    # The layout is the screen's width (the viewport meta at work on a phone) with nothing to
    # scroll sideways, and the text is at least 16 px.
    assert page["innerWidth"] == width and page["scrollWidth"] <= width, page
    assert page["fontSize"] >= 16, page
    for button, label in ((approve, "Approve"), (deny, "Deny")):
        assert button.tag_name == "button" and button.get_attribute("type") == "submit", button.tag_name
        assert button.text == label and button.is_displayed() and button.is_enabled(), button.text
        # Big enough to hit with a finger (WCAG 2.5.5's 44 px), and within the screen's width (on
        # a phone the scope list pushes them below the fold: a scroll down, never sideways).
        rect = button.rect
        assert rect["height"] >= 44 and rect["width"] >= 44, (label, rect)
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width, (label, rect)
    # What the scopes are for, in words.
    items = [li.text for li in chrome.find_elements(By.CSS_SELECTOR, "ul li")]
    assert "See your profile and subscription" in items, items

    # What a person sees first (the viewport), and the whole page (down to the buttons).
    (artifacts / f"consent-{device}.html").write_text(chrome.page_source)
    shot = artifacts / f"consent-{device}-{width}x{height}.png"
    assert chrome.save_screenshot(str(shot)), f"no screenshot at {shot}"
    got_w, got_h, rows = png_facts(shot)
    assert (got_w, got_h) == (width, height), (shot, got_w, got_h)
    assert shot.stat().st_size > 10_000, f"{shot}: {shot.stat().st_size} bytes, a blank page?"
    assert rows > 100, f"{shot}: only {rows} distinct rows of pixels, a blank page?"
    page_height = chrome.execute_script("return document.documentElement.scrollHeight")
    if page_height > height:
        full = artifacts / f"consent-{device}-{width}-full.png"
        png = chrome.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        full.write_bytes(base64.b64decode(png["data"]))
        got_w, got_h, rows = png_facts(full)
        assert got_w == width and got_h >= page_height, (full, got_w, got_h, page_height)
        assert rows > 100, f"{full}: only {rows} distinct rows of pixels"


def test_a_long_client_name_does_not_widen_the_consent_page_on_a_phone(hosted, chrome, listener):
    """A client chooses its own name (kept up to 100 characters): one long word must wrap, not
    push the page sideways."""
    viewport(chrome, *PHONE, mobile=True)
    raw = RawClient(hosted, redirect_uri=listener.redirect_uri)
    r = httpx.post(f"{hosted.base_url}/oauth/register", timeout=10,
                   json={"client_name": "W" * 100, "redirect_uris": [listener.redirect_uri]})
    assert r.status_code == 201, r.text
    raw.client_id = r.json()["client_id"]
    chrome.get(raw.authorize_url())
    assert "W" * 100 in chrome.find_element("tag name", "h1").text
    scroll_width = chrome.execute_script("return document.documentElement.scrollWidth")
    assert scroll_width <= PHONE[0], f"the page is {scroll_width} px wide on a {PHONE[0]} px phone"
