"""The browser harness (tests/browser.py) on a page of its own: served from the test's event
loop, with a script file under a strict Content-Security-Policy, the way the dashboard is."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from domain.clock import FakeClock
from emulator.driver import serving
from storage import models
from storage.db import Database
from tests.browser import DESKTOP, Chromium, Page, screenshot_path, tab

CSP = "default-src 'none'; script-src 'self'"
GREETING_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thử</title></head>
<body>
<p id="greeting">Đang chờ script</p>
<p id="inline">Script nội tuyến bị chặn</p>
<button id="more">Thêm</button>
<ul id="pressed"></ul>
<script>document.getElementById("inline").textContent = "Script nội tuyến đã chạy";</script>
<script src="/static/greeting.js"></script>
</body></html>
"""
GREETING_SCRIPT = """
document.getElementById("greeting").textContent = "Xin chào từ script";
document.body.dataset.ready = "yes";
document.getElementById("more").addEventListener("click", () => {
  const item = document.createElement("li");
  item.textContent = "Lần " + (document.querySelectorAll("#pressed li").length + 1);
  document.getElementById("pressed").append(item);
});
"""


def greeting_app(static: Path) -> Starlette:
    (static / "greeting.js").write_text(GREETING_SCRIPT, encoding="utf-8")

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(GREETING_PAGE, headers={"Content-Security-Policy": CSP})

    return Starlette(
        routes=[Route("/", page), Mount("/static", StaticFiles(directory=static))],
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is no PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_a_script_file_changes_the_page_and_an_inline_one_is_refused(
    browser: Page, tmp_path: Path
) -> None:
    async with serving(greeting_app(tmp_path)) as base_url:
        await browser.open(base_url)
        assert await browser.text("#greeting") == "Xin chào từ script"
        assert await browser.attribute("body", "data-ready") == "yes"
        # The policy reached the browser: the inline script did not run.
        assert await browser.text("#inline") == "Script nội tuyến bị chặn"
        assert await browser.texts("#pressed li") == []
        await browser.click("#more")
        await browser.click("#more")
        assert await browser.texts("#pressed li") == ["Lần 1", "Lần 2"]


async def test_a_tab_is_phone_sized_unless_asked_for_a_desktop(
    browser: Page, tmp_path: Path
) -> None:
    async with serving(greeting_app(tmp_path)) as base_url:
        await browser.open(base_url)
        await browser.wait_for("body[data-ready]")
        phone = await browser.screenshot("phone")
        await browser.emulate(DESKTOP)
        await browser.open(base_url)
        await browser.wait_for("body[data-ready]")
        desktop = await browser.screenshot("desktop")
    assert phone.name == f"{browser.test_name}-phone.png"
    assert png_size(phone) == (390, 844)
    assert png_size(desktop) == (1280, 800)


@pytest.mark.parametrize("passes", [True, False], ids=["passed", "failed"])
async def test_a_tab_keeps_its_last_view_whether_the_test_passed_or_failed(
    chromium: Chromium, tmp_path: Path, passes: bool
) -> None:
    name = f"harness-check-{'passed' if passes else 'failed'}"
    screenshot_path(name).unlink(missing_ok=True)
    with nullcontext() if passes else pytest.raises(AssertionError):
        async with serving(greeting_app(tmp_path)) as base_url, tab(chromium, name) as page:
            await page.open(base_url)
            await page.wait_for("body[data-ready]")
            assert passes, "the test failed"
    assert png_size(screenshot_path(name)) == (390, 844)
    screenshot_path(name).unlink()


async def test_a_tab_sees_no_cookie_or_stored_data_of_an_earlier_one(
    chromium: Chromium, tmp_path: Path
) -> None:
    remembered = "return [document.cookie, localStorage.getItem('seen')]"
    async with serving(greeting_app(tmp_path)) as base_url:
        async with tab(chromium, "harness-check-earlier") as earlier:
            await earlier.open(base_url)
            await earlier.call(
                earlier.driver.execute_script,
                "document.cookie = 'seen=1; max-age=3600'; localStorage.setItem('seen', '1')",
            )
            assert await earlier.call(earlier.driver.execute_script, remembered) == ["seen=1", "1"]
        async with tab(chromium, "harness-check-later") as later:
            await later.open(base_url)
            assert await later.call(later.driver.execute_script, remembered) == ["", None]
    for name in ("harness-check-earlier", "harness-check-later"):
        screenshot_path(name).unlink()


async def test_an_app_that_cannot_start_fails_its_test_not_the_run() -> None:
    @asynccontextmanager
    async def unable_to_start(_: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError, match="the app did not start"):
        async with serving(Starlette(lifespan=unable_to_start)):
            pass


async def test_a_page_shows_what_the_database_holds(
    database: Database, clock: FakeClock, browser: Page
) -> None:
    async with database.transaction() as session:
        session.add(models.Organisation(name="Đảng bộ Văn phòng", created_at=clock.now()))

    async def organisations(_: Request) -> HTMLResponse:
        async with database.transaction() as session:
            names = (await session.scalars(select(models.Organisation.name))).all()
        items = "".join(f"<li>{name}</li>" for name in names)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><ul>{items}</ul>")

    async with serving(Starlette(routes=[Route("/", organisations)])) as base_url:
        await browser.open(base_url)
        assert await browser.texts("li") == ["Đảng bộ Văn phòng"]
