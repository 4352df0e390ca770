"""The plan-by day end to end: a supervisor sets it in chat, /meetings shows it, secretaries
are warned before it once (whatever the ticks and restarts), and the digest names the cells
past it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update

from emulator import EmuUser
from storage.models import Organisation
from tests.conftest import VIETNAM
from tests.harness import BotWith, RunningBot, cell_with_members, join, link_in, plan_and_send
from tests.test_meetings_e2e import schedule_regular

ORGANISATION = "Đảng bộ Văn phòng UBND tỉnh"
CELL = "Chi bộ Phòng Tổng hợp"
# With the plan-by day the 20th, January is to be planned by 20 December.
JANUARY, DEADLINE = "01/2027", date(2026, 12, 20)


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


async def plan_due_day_set(bot: RunningBot, day: int | None) -> None:
    async with bot.database.transaction() as session:
        await session.execute(update(Organisation).values(plan_due_day=day))


def said_to(bot: RunningBot, user: EmuUser, text: str) -> int:
    """How many times the bot said exactly ``text`` to the user."""
    return sum(1 for m in bot.emulator.messages(user.id) if m.text == text)


def plan_warning(bot: RunningBot, cell: str = CELL) -> str:
    return bot.t("vi", "warn.plan_due", cell=cell, month=JANUARY, deadline=DEADLINE)


async def test_a_supervisor_sets_and_removes_the_plan_by_day_in_chat(
    bot: RunningBot, lang: str
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"], lang)
    hung = cell.supervisor

    def settings_text(plan_due: str) -> str:
        return t(lang, "org.settings", organisation=ORGANISATION, cutoff_day=10, plan_due=plan_due)

    overview = await bot.send(hung, "/cells")
    shown = await bot.press(
        hung, overview, t(lang, "org.settings.button", organisation=ORGANISATION)
    )
    assert shown.text == settings_text(t(lang, "org.settings.plan_due_none"))
    assert shown.button_texts() == [t(lang, "org.settings.plan_due_button"), t(lang, "common.back")]
    asked = await bot.press(hung, shown, t(lang, "org.settings.plan_due_button"))
    assert asked.text == t(lang, "org.plan_due.ask", organisation=ORGANISATION)
    # A day some month lacks is refused, and the question stays open.
    assert (await bot.send(hung, "31")).text == t(lang, "org.plan_due.bad")
    assert (await bot.send(hung, "ngày hai mươi")).text == t(lang, "org.plan_due.bad")
    saved = await bot.send(hung, "20")
    assert saved.text == t(
        lang,
        "common.notice_then",
        notice=t(lang, "org.plan_due.saved", day=20),
        text=settings_text(t(lang, "org.settings.plan_due_day", day=20)),
    )
    [organisation] = await bot.rows(Organisation)
    assert organisation.plan_due_day == 20

    removed = await bot.press(hung, saved, t(lang, "org.settings.plan_due_off_button"))
    assert removed.text == settings_text(t(lang, "org.settings.plan_due_none"))
    [organisation] = await bot.rows(Organisation)
    assert organisation.plan_due_day is None
    # A secretary is offered no organisation's settings.
    secretary_sees = await bot.send(cell.secretary, "/cells")
    assert not any("⚙️" in label for label in secretary_sees.button_texts())


async def test_meetings_shows_the_plan_by_day_only_where_there_is_one(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan = cell.secretary
    unplanned = t("vi", "meetings.plan_due.unplanned", month=JANUARY, deadline=DEADLINE)
    assert unplanned not in ((await bot.send(lan, "/meetings")).text or "")

    await plan_due_day_set(bot, 20)
    assert ((await bot.send(lan, "/meetings")).text or "").endswith(f"\n\n{unplanned}")
    bot.clock.set(local(12, 21, 9, 0))
    overdue = t("vi", "meetings.plan_due.overdue", month=JANUARY, deadline=DEADLINE)
    assert ((await bot.send(lan, "/meetings")).text or "").endswith(f"\n\n{overdue}")
    await schedule_regular(bot, lan, "vi", "08/01 19:30")
    planned = t(
        "vi",
        "meetings.plan_due.planned",
        month=JANUARY,
        deadline=DEADLINE,
        when=local(1, 8, 19, 30, year=2027),
    )
    assert ((await bot.send(lan, "/meetings")).text or "").endswith(f"\n\n{planned}")


async def test_the_plan_by_warning_comes_once_whatever_the_ticks_and_restarts(
    bot_with: BotWith,
) -> None:
    async with bot_with() as bot:
        cell = await cell_with_members(bot, ["Lê Văn Minh"])
        lan, warning = cell.secretary, plan_warning(bot)
        await plan_due_day_set(bot, 20)
        bot.clock.set(local(12, 17, 7, 59))
        await plan_and_send(bot)
        assert said_to(bot, lan, warning) == 0
        bot.clock.set(local(12, 17, 8, 0))  # three days before
        await plan_and_send(bot)
        await plan_and_send(bot)
        assert said_to(bot, lan, warning) == 1
    async with bot_with() as bot:  # the bot restarted: the outbox remembers
        bot.clock.set(local(12, 17, 8, 1))
        await plan_and_send(bot)
        assert said_to(bot, lan, warning) == 1
        bot.clock.set(local(12, 19, 8, 0))  # one day before
        await plan_and_send(bot)
        await plan_and_send(bot)
        assert said_to(bot, lan, warning) == 2
        bot.clock.set(local(12, 21, 8, 0))  # past it: the digest's business now
        await plan_and_send(bot)
        assert said_to(bot, lan, warning) == 2


async def test_no_plan_by_warning_once_next_month_is_planned(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan = cell.secretary
    await plan_due_day_set(bot, 20)
    await schedule_regular(bot, lan, "vi", "08/01 19:30")
    for moment in (local(12, 17, 8, 0), local(12, 19, 8, 0)):
        bot.clock.set(moment)
        await plan_and_send(bot)
    assert said_to(bot, lan, plan_warning(bot)) == 0


async def test_no_plan_by_warning_without_a_plan_by_day(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    before = bot.emulator.message_count(cell.secretary.id)
    for moment in (local(12, 17, 8, 0), local(12, 19, 8, 0)):
        bot.clock.set(moment)
        await plan_and_send(bot)
    assert bot.emulator.message_count(cell.secretary.id) == before


async def test_a_cell_without_a_secretary_is_listed_to_the_supervisor(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    await bot.send(cell.supervisor, "/newcell Chi bộ Khu phố 4")
    await plan_due_day_set(bot, 20)
    bot.clock.set(local(12, 17, 8, 0))
    await plan_and_send(bot)
    await plan_and_send(bot)
    listed = t(
        "vi",
        "warn.plan_due.leaderless",
        cells=t("vi", "warn.cell_line", cell="Chi bộ Khu phố 4"),
        month=JANUARY,
        deadline=DEADLINE,
    )
    assert said_to(bot, cell.supervisor, listed) == 1
    assert said_to(bot, cell.secretary, plan_warning(bot)) == 1


async def test_the_digest_names_the_cells_past_the_plan_by_day(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    planner = bot.emulator.user(20_100, "Phạm Thị Thu")
    await join(
        bot, planner, link_in(await bot.send(cell.supervisor, "/newcell Chi bộ Khu phố 4")), "vi"
    )
    await schedule_regular(bot, planner, "vi", "08/01 19:30")
    await plan_due_day_set(bot, 20)
    not_planned = t("vi", "digest.reason.not_planned", month=JANUARY, deadline=DEADLINE)

    async def digest_of_the_week() -> str:
        hung = cell.supervisor
        choose = await bot.send(hung, "/digest")
        before = bot.emulator.message_count(hung.id)
        await bot.press(hung, choose, t("vi", "digest.period.week"))
        return bot.emulator.messages(hung.id)[before].text or ""

    bot.clock.set(local(12, 20, 23, 0))  # not past it yet
    assert not_planned not in await digest_of_the_week()
    bot.clock.set(local(12, 21, 9, 0))
    summary = await digest_of_the_week()
    reasons = {block.split("\n")[0]: block for block in summary.split("\n• ")[1:]}
    assert f"\n   – {not_planned}" in reasons[CELL]
    # The cell with January's meeting scheduled is not named for it.
    assert not_planned not in reasons["Chi bộ Khu phố 4"]
