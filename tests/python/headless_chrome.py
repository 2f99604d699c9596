"""Headless Chromium for the tests that need a real browser: Debian's `chromium` and
`chromium-driver` (scripts/test-env.sh installs them and exports their paths), driven with
selenium (scripts/requirements-test.txt)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DESKTOP = (1280, 800)
PHONE = (390, 844)


def browser_paths() -> tuple[str, str]:
    """Chromium and chromedriver from the environment (scripts/test-env.sh), else from PATH. A
    browser that is not there fails the test: it is never skipped."""
    chromium = os.environ.get("SPOTIFY_MCP_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("SPOTIFY_MCP_CHROMEDRIVER") or shutil.which("chromedriver")
    assert chromium and Path(chromium).exists(), (
        f"no Chromium ({chromium!r}): run `eval \"$(scripts/test-env.sh)\"`, which installs Debian's chromium"
    )
    assert driver and Path(driver).exists(), (
        f"no chromedriver ({driver!r}): run `eval \"$(scripts/test-env.sh)\"`, which installs chromium-driver"
    )
    return chromium, driver


def start_chrome(log: Path):
    """A fresh headless Chromium with a profile of its own (no cookies from another test), its
    viewport DESKTOP; chromedriver's log in `log`. The caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--lang=en-US", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver, log_output=str(log)), options=options)
    browser.set_page_load_timeout(30)
    viewport(browser, *DESKTOP)
    return browser


def viewport(browser, width: int, height: int, mobile: bool = False) -> None:
    """The page's viewport, exactly (a headless window's size is not). `mobile` makes Chromium
    honour <meta name="viewport">, as a phone's browser does: without the tag a phone lays the
    page out 980 px wide and shrinks it."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
