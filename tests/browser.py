"""A real browser for the dashboard's tests: Debian's Chromium driven by selenium, offline.

tests/conftest.py's ``browser`` fixture hands a test a :class:`Page`: a fresh tab, phone-sized
(390×844, touch, the layout a phone gives a page), its language Vietnamese. The test serves
its pages with ``emulator.driver.serving`` inside its own event loop, so a page's handler awaits the
test's database like the real app does; selenium's calls block, so ``Page`` runs each one in
a thread and the server goes on answering meanwhile::

    async def test_the_page_greets(browser: Page, database: Database) -> None:
        async with serving(dashboard_app(database)) as base_url:
            await browser.open(f"{base_url}/dashboard")
            assert await browser.text("h1") == "Tổng quan"

Every test's last view is saved as ``test-artifacts/screenshots/<test name>.png``, passed or
failed. No driver is ever downloaded: the driver and the browser are Debian's, named by path.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
WAIT_TIMEOUT = 10.0
PAGE_LOAD_TIMEOUT = 30.0
# A page taller than this is cut in its screenshot: a picture to look at, not an archive.
SCREENSHOT_MAX_HEIGHT = 8000
HOST = "127.0.0.1"

T = TypeVar("T")


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    mobile: bool


# A common phone in Telegram's in-app browser, and Telegram Desktop's window.
PHONE = Viewport(390, 844, mobile=True)
DESKTOP = Viewport(1280, 800, mobile=False)
# The browser's language (Accept-Language, navigator.language, Intl), the users' own.
LOCALE = "vi-VN"


def missing_browser() -> list[Path]:
    """Of Chromium and its driver, those not installed."""
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]


def start_chromium() -> WebDriver:
    """Headless Chromium under its driver, both named by path, so selenium never looks for
    (or downloads) another."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    # A page that never finishes loading fails its test soon, not after selenium's 5 minutes.
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
    return driver


@dataclass
class Chromium:
    """One browser for the whole session (starting one costs about a second); each test has
    a tab of its own, with no cookie or stored data left by an earlier test."""

    driver: WebDriver
    opened_origins: set[str] = field(default_factory=set)

    def fresh_tab(self) -> None:
        earlier = self.driver.window_handles
        self.driver.switch_to.new_window("tab")
        fresh = self.driver.current_window_handle
        for handle in earlier:
            self.driver.switch_to.window(handle)
            self.driver.close()
        self.driver.switch_to.window(fresh)
        # What the earlier test's pages kept (cookies too) goes: a later server may be given
        # the same port, so the same origin.
        for origin in self.opened_origins:
            self.driver.execute_cdp_cmd(
                "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
            )
        self.opened_origins.clear()
        self.emulate(PHONE, LOCALE)

    def emulate(self, viewport: Viewport, locale: str) -> None:
        cdp = self.driver.execute_cdp_cmd
        cdp(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            },
        )
        cdp("Emulation.setTouchEmulationEnabled", {"enabled": viewport.mobile})
        user_agent = cdp("Browser.getVersion", {})["userAgent"]
        cdp("Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": locale})
        cdp("Emulation.setLocaleOverride", {"locale": locale})

    def save_screenshot(self, path: Path) -> Path:
        """The whole page as drawn (beyond the window too, up to a limit), as PNG."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": min(size["height"], SCREENSHOT_MAX_HEIGHT),
                    "scale": 1,
                },
            },
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextmanager
def running_chromium() -> Iterator[Chromium]:
    driver = start_chromium()
    try:
        yield Chromium(driver)
    finally:
        driver.quit()


def screenshot_path(test_name: str) -> Path:
    return SCREENSHOTS / f"{test_name.replace(os.sep, '_')}.png"


@asynccontextmanager
async def tab(chromium: Chromium, test_name: str) -> AsyncIterator[Page]:
    """A fresh phone-sized tab for the test (``browser``); whatever became of the test, its
    last view is saved as ``screenshot_path(test_name)``."""
    await asyncio.to_thread(chromium.fresh_tab)
    try:
        yield Page(chromium, test_name)
    finally:
        await asyncio.to_thread(chromium.save_screenshot, screenshot_path(test_name))


class Page:
    """The test's tab, driven as a user would: each call runs in a thread, off the event
    loop that serves the pages. ``text``, ``attribute`` and ``click`` wait (up to
    ``WAIT_TIMEOUT``) for their element; ``texts`` takes what is there at once."""

    def __init__(self, chromium: Chromium, test_name: str) -> None:
        self.chromium = chromium
        self.driver = chromium.driver
        self.test_name = test_name

    async def call(self, blocking: Callable[..., T], *args: Any) -> T:
        """Any other selenium call, off the loop: ``await page.call(page.driver.back)``."""
        return await asyncio.to_thread(blocking, *args)

    async def open(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            self.chromium.opened_origins.add(f"{parts.scheme}://{parts.netloc}")
        await self.call(self.driver.get, url)

    async def wait_for(self, css: str) -> WebElement:
        """The first element ``css`` selects, once it is shown."""
        return await self.call(self._until, expected_conditions.visibility_of_element_located, css)

    async def text(self, css: str) -> str:
        element = await self.wait_for(css)
        return await self.call(lambda: element.text)

    async def texts(self, css: str) -> list[str]:
        def read() -> list[str]:
            return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, css)]

        return await self.call(read)

    async def attribute(self, css: str, name: str) -> str | None:
        element = await self.call(self._until, expected_conditions.presence_of_element_located, css)
        return await self.call(element.get_attribute, name)

    async def click(self, css: str) -> None:
        element = await self.call(self._until, expected_conditions.element_to_be_clickable, css)
        await self.call(element.click)

    async def emulate(self, viewport: Viewport = PHONE, locale: str = LOCALE) -> None:
        """Another window (``DESKTOP``) or language for what the tab opens next."""
        await self.call(self.chromium.emulate, viewport, locale)

    async def screenshot(self, name: str) -> Path:
        """The page now, beside the test's last view: ``<test name>-<name>.png``."""
        return await self.call(
            self.chromium.save_screenshot, screenshot_path(f"{self.test_name}-{name}")
        )

    def _until(self, condition: Callable[[tuple[str, str]], Any], css: str) -> Any:
        return WebDriverWait(self.driver, WAIT_TIMEOUT).until(
            condition((By.CSS_SELECTOR, css)), f"nothing shown for {css!r}"
        )
