"""Secretaries are warned of what will count against them, and only once they can act."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from emulator import EmuUser
from storage.models import Cell
from tests.conftest import VIETNAM
from tests.harness import (
    RunningBot,
    cell_with_members,
    cells_created_on,
    join,
    link_in,
    plan_and_send,
)


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def warnings(bot: RunningBot, user: EmuUser) -> list[str]:
    return [m.text or "" for m in bot.emulator.messages(user.id) if (m.text or "").startswith("⚠️")]


async def test_a_meeting_planned_after_the_cutoff_is_warned_of_before_it(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan = cell.secretary
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    late = await bot.send(lan, "15/12 19:30")
    place = await bot.press(lan, late, t("vi", "schedule.late_yes"))
    assert place.text
    confirm = await bot.send(lan, "Hội trường tầng 2")
    await bot.press(lan, confirm, t("vi", "schedule.create"))

    bot.clock.set(local(12, 9, 8, 0))  # the day before the cutoff (the 10th)
    await plan_and_send(bot)
    assert t(
        "vi",
        "warn.cutoff.after",
        cell="Chi bộ Phòng Tổng hợp",
        month="12/2026",
        when=local(12, 15, 19, 30),
        cutoff=local(12, 10).date(),
    ) in warnings(bot, lan)
    await plan_and_send(bot)
    assert len([w for w in warnings(bot, lan) if "15/12/2026" in w]) == 1


async def test_the_quarter_warning_waits_for_the_cell_to_have_members(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, [])
    await cells_created_on(bot, local(9, 1))
    lan = cell.secretary
    bot.clock.set(local(12, 2, 8, 0))  # 30 days left in the quarter
    await plan_and_send(bot)
    assert warnings(bot, lan) == []  # alone in the cell, nothing to meet with yet

    member = bot.emulator.user(20_100, "Lê Văn Minh")
    await join(bot, member, link_in(await bot.send(lan, "/invite")), "vi")
    bot.clock.set(local(12, 2, 8, 1))
    await plan_and_send(bot)
    await plan_and_send(bot)
    assert warnings(bot, lan) == [
        t("vi", "warn.quarter", cell="Chi bộ Phòng Tổng hợp", quarter="4/2026", days=30)
    ]


async def test_a_cell_created_too_late_in_the_quarter_is_not_warned(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    async with bot.database.transaction() as session:
        await session.execute(update(Cell).values(created_at=local(12, 10, 9, 0)))
    bot.clock.set(local(12, 18, 8, 0))  # 14 days left: the cell existed for 8 days of it
    await plan_and_send(bot)
    assert not [w for w in warnings(bot, cell.secretary) if "quý" in w]
