"""The dashboard in a real browser (headless Chromium), opened as Telegram opens a Mini App:
the shell at /app with the signed launch data after "#", its script loading the pages.

One organisation is seeded with what a supervisor must read at a glance, against the
fixture's clock (Tuesday 1 December 2026, 09:00 in Hà Nội; the cutoff day is the 10th):

- "Chi bộ Phòng Tổng hợp", created 15 August (after August's cutoff): held September's
  meeting on the 5th (on time), October's on the 20th (late), none in November (missed);
  December's cutoff is still ahead. It existed for most of the third quarter, so owed its
  thematic meeting, and held none (missed); the fourth is not over (ahead).
- "Chi bộ Phòng Kế toán", created 20 November: owed nothing before December (not owed), nor
  the fourth quarter's thematic meeting (it exists for less than half of it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update

from bot.webhook import asgi_app
from domain.attendance import RollStatus
from emulator.driver import serving
from emulator.state import EmuUser
from storage.models import Cell as CellRow
from storage.models import Person
from tests.browser import Page
from tests.conftest import VIETNAM
from tests.harness import BotWith, RunningBot, choose_language, held_meeting
from tests.webapp import MAX_AGE, dashboard_app, signed, two_cells

MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]
NOT_OWED, ON_TIME, LATE, MISSED, AHEAD = "not_owed", "on_time", "late", "missed", "ahead"


def launched(base_url: str, path: str, init_data: str, theme: dict[str, str] | None = None) -> str:
    """The address Telegram opens: the page, then its launch parameters after "#"."""
    parameters = {"tgWebAppData": init_data, "tgWebAppVersion": "8.0"}
    if theme is not None:
        parameters["tgWebAppThemeParams"] = str(theme).replace("'", '"')
    return f"{base_url}/app{path}#{urlencode(parameters)}"


def local(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VIETNAM)


async def seeded(bot: RunningBot) -> tuple[EmuUser, EmuUser, EmuUser, int, int]:
    """The organisation above: its supervisor, the first cell's secretary, the second cell's
    secretary, and the two cells' ids."""
    supervisor, secretary, member, other_secretary, own, other = await two_cells(bot)
    async with bot.database.transaction() as session:
        await session.execute(
            update(CellRow).where(CellRow.id == own).values(created_at=local(8, 15))
        )
        await session.execute(
            update(CellRow).where(CellRow.id == other).values(created_at=local(11, 20))
        )
        people = {p.telegram_user_id: p.id for p in (await session.scalars(select(Person)))}
        marks = {
            local(9, 5): {secretary.id: RollStatus.PRESENT, member.id: RollStatus.EXCUSED},
            local(10, 20): {secretary.id: RollStatus.PRESENT, member.id: RollStatus.UNEXCUSED},
        }
        for starts_at, roll in marks.items():
            await held_meeting(
                session,
                own,
                starts_at,
                {people[user_id]: status for user_id, status in roll.items()},
            )
    return supervisor, secretary, other_secretary, own, other


async def squares(browser: Page, row: str) -> dict[str, str]:
    """Month (or quarter) → the state its square shows, for one row of the grid, read in
    one step."""
    found: dict[str, str] = await browser.call(
        browser.driver.execute_script,
        "return Object.fromEntries([...document.querySelectorAll(arguments[0])].map("
        "c => [c.dataset.month || c.dataset.quarter, c.dataset.state]));",
        f"{row} td.sq",
    )
    return found


async def test_the_supervisors_grid_shows_each_months_state_as_stored(
    bot: RunningBot, browser: Page
) -> None:
    supervisor, _, _, own, other = await seeded(bot)
    async with serving(dashboard_app(bot)) as base_url:
        await browser.open(launched(base_url, "/", signed(supervisor, bot.clock.now())))
        await browser.wait_for("#grid")
        first = await squares(browser, f'tr[data-cell="{own}"]')
        second = await squares(browser, f'tr[data-cell="{other}"]')
        names = await browser.texts("#grid tbody th.cell-name")
        title = await browser.text("h1")
    assert title == "Đảng bộ Văn phòng UBND tỉnh"
    assert first == {
        **{month: NOT_OWED for month in MONTHS[:8]},
        "2026-09": ON_TIME,
        "2026-10": LATE,
        "2026-11": MISSED,
        "2026-12": AHEAD,
        "2026-1": NOT_OWED,
        "2026-2": NOT_OWED,
        "2026-3": MISSED,
        "2026-4": AHEAD,
    }
    assert second == {
        **{month: NOT_OWED for month in MONTHS[:11]},
        "2026-12": AHEAD,
        **{f"2026-{q}": NOT_OWED for q in range(1, 5)},
    }
    # The cell to look at first (it missed November and the third quarter) is on top.
    assert names == ["Chi bộ Phòng Tổng hợp", "Chi bộ Phòng Kế toán"]


async def test_a_cells_page_counts_its_meetings_and_members_as_stored(
    bot: RunningBot, browser: Page
) -> None:
    supervisor, _, _, own, _ = await seeded(bot)
    async with serving(dashboard_app(bot)) as base_url:
        await browser.open(launched(base_url, "/", signed(supervisor, bot.clock.now())))
        await browser.wait_for("#grid")
        # Into the cell from the grid, as a supervisor taps it: the script loads the page.
        await browser.click(f'tr[data-cell="{own}"] th a')
        await browser.wait_for("#meetings")
        meetings = [await browser.texts(f"#meetings tbody tr:nth-child({n}) td") for n in (1, 2)]
        members = await browser.texts("#members tbody tr")
        attendance = await browser.text("#attendance")
        path = await browser.call(lambda: browser.driver.current_url)
    assert path.endswith(f"/app/cells/{own}?year=2026")
    # Latest first: when, kind, present, excused, unexcused, expected, quorum, minutes.
    assert meetings[0][:7] == [
        "20/10/2026 08:00",
        "Sinh hoạt thường kỳ",
        "1",
        "0",
        "1",
        "2",
        "Không",
    ]
    assert meetings[1][:7] == [
        "05/09/2026 08:00",
        "Sinh hoạt thường kỳ",
        "1",
        "1",
        "0",
        "2",
        "Không",
    ]
    # Each roll had one of two present: 50%, under the 2/3 quorum.
    assert attendance == "50%"
    assert members == ["Lê Văn Minh 0 1 1 2 0%", "Nguyễn Thị Lan 2 0 0 2 100%"]


async def test_forged_and_expired_launch_data_get_the_refusal_page(
    bot: RunningBot, browser: Page
) -> None:
    supervisor, *_ = await seeded(bot)
    now = bot.clock.now()
    forged = signed(supervisor, now).replace("hash=", "hash=f")
    expired = signed(supervisor, now - MAX_AGE - timedelta(minutes=1))
    seen = {}
    async with serving(dashboard_app(bot)) as base_url:
        # Each a launch of its own, as Telegram opens a new view each time; none first, as a
        # view keeps the launch data it was opened with.
        for name, init_data in (("none", ""), ("forged", forged), ("expired", expired)):
            await browser.open("about:blank")
            await browser.open(launched(base_url, "/", init_data))
            await browser.wait_for(".denied")
            seen[name] = (
                await browser.attribute("#page", "data-status"),
                await browser.text(".denied p"),
            )
            assert await browser.texts("#grid") == []
    assert seen == {
        "forged": ("401", bot.t("vi", "dashboard.refused.forged")),
        "expired": ("401", bot.t("vi", "dashboard.refused.expired")),
        "none": ("401", bot.t("vi", "dashboard.refused.missing")),
    }


async def test_a_secretary_sees_their_cell_and_cannot_open_another(
    bot: RunningBot, browser: Page
) -> None:
    _, secretary, _, own, other = await seeded(bot)
    init_data = signed(secretary, bot.clock.now())
    async with serving(dashboard_app(bot)) as base_url:
        await browser.open(launched(base_url, "/", init_data))
        await browser.wait_for("#meetings")
        home = await browser.text("h1")
        back_links = await browser.texts("a.back")
        await browser.open(launched(base_url, f"/cells/{other}", init_data))
        await browser.wait_for(".denied")
        refused = (await browser.attribute("#page", "data-status"), await browser.text(".denied p"))
    assert home == "Chi bộ Phòng Tổng hợp" and back_links == []
    assert refused == ("403", bot.t("vi", "dashboard.denied.not_yours"))
    assert own != other


async def test_the_page_speaks_the_language_the_person_chose(
    bot: RunningBot, browser: Page
) -> None:
    supervisor, *_ = await seeded(bot)
    async with serving(dashboard_app(bot)) as base_url:
        url = launched(base_url, "/", signed(supervisor, bot.clock.now()))
        await browser.open(url)
        await browser.wait_for("#grid")
        before = await browser.text(".grid-box h2")
        await choose_language(bot, supervisor, "en")
        # Opened again: the page was drawn in the language of when it was opened.
        await browser.call(browser.driver.refresh)
        await browser.wait_for("#grid")
        after = await browser.text(".grid-box h2")
    assert before.startswith(bot.t("vi", "dashboard.label.grid"))
    assert after.startswith(bot.t("en", "dashboard.label.grid"))


async def test_telegrams_theme_colours_are_the_pages(bot: RunningBot, browser: Page) -> None:
    supervisor, *_ = await seeded(bot)
    dark = {"bg_color": "#17212b", "text_color": "#f5f5f5", "secondary_bg_color": "#232e3c"}
    async with serving(dashboard_app(bot)) as base_url:
        await browser.open(launched(base_url, "/", signed(supervisor, bot.clock.now()), theme=dark))
        await browser.wait_for("#grid")
        colours = await browser.call(
            lambda: browser.driver.execute_script(
                "const s = getComputedStyle(document.body);return [s.backgroundColor, s.color];"
            )
        )
    assert colours == ["rgb(23, 33, 43)", "rgb(245, 245, 245)"]


async def test_a_supervisor_opens_the_dashboard_from_the_bots_buttons(
    bot_with: BotWith, browser: Page
) -> None:
    """From /digest's button to the overview, and from /cells' button to a cell's page, as
    Telegram opens them: the address the button holds, the launch data after "#"; served
    here at 127.0.0.1 as the proxy would serve the public address."""
    public = "https://chibo.example.org"
    async with bot_with(web_url=public) as bot:
        supervisor, _, _, own, _ = await seeded(bot)
        digest = await bot.send(supervisor, "/digest")
        overview = bot.open_web_app(
            supervisor, bot.web_app_of(digest, bot.t("vi", "dashboard.open"))
        )
        cells = await bot.send(supervisor, "/cells")
        cell_menu = await bot.press(
            supervisor, cells, bot.t("vi", "common.cell_button", cell="Chi bộ Phòng Tổng hợp")
        )
        cell_page = bot.open_web_app(
            supervisor,
            bot.web_app_of(
                cell_menu, bot.t("vi", "dashboard.open_cell", cell="Chi bộ Phòng Tổng hợp")
            ),
        )
        async with serving(asgi_app(bot.application, bot.database, bot.settings)) as base_url:
            await browser.open(overview.replace(public, base_url, 1))
            await browser.wait_for("#grid")
            rows = await browser.texts("#grid tbody th.cell-name")
            await browser.open("about:blank")
            await browser.open(cell_page.replace(public, base_url, 1))
            await browser.wait_for("#meetings")
            title = await browser.text("h1")
    assert rows == ["Chi bộ Phòng Tổng hợp", "Chi bộ Phòng Kế toán"]
    assert cell_page.startswith(f"{public}/app/cells/{own}#tgWebAppData=")
    assert title == "Chi bộ Phòng Tổng hợp"
