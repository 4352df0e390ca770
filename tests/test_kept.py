"""Figures kept between requests (services/dashboard/kept.py), without a database: reused
while current, worked out once for requests that arrive together, and never making one
organisation's request wait for another's."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from services.dashboard.kept import Currency, Earlier, Kept
from tests.conftest import VIETNAM

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=VIETNAM)


def currency(revision: int, parts: dict[int, int], at: datetime = NOW) -> Currency:
    return Currency(revision, parts, at, NOW + timedelta(hours=1))


async def test_requests_arriving_together_work_the_figures_out_once() -> None:
    kept: Kept[str] = Kept()
    started, release = asyncio.Event(), asyncio.Event()
    worked_out: list[Earlier[str] | None] = []

    async def slow(earlier: Earlier[str] | None) -> str:
        worked_out.append(earlier)
        started.set()
        await release.wait()
        return "figures"

    first = asyncio.create_task(kept.value("A", currency(1, {1: 1}), slow))
    await started.wait()
    second = asyncio.create_task(kept.value("A", currency(1, {1: 1}), slow))

    async def other(_: Earlier[str] | None) -> str:
        return "other figures"

    # Another organisation's figures are not held up by the first's working out.
    assert await kept.value("B", currency(1, {2: 1}), other) == "other figures"
    release.set()
    assert await first == await second == "figures"
    assert worked_out == [None]


async def test_a_changed_part_is_handed_over_and_a_changed_whole_is_not() -> None:
    kept: Kept[str] = Kept()
    handed: list[Earlier[str] | None] = []

    async def work_out(earlier: Earlier[str] | None) -> str:
        handed.append(earlier)
        return f"figures {len(handed)}"

    assert await kept.value("A", currency(1, {1: 1, 2: 1}), work_out) == "figures 1"
    assert await kept.value("A", currency(1, {1: 1, 2: 1}), work_out) == "figures 1"
    assert await kept.value("A", currency(1, {1: 1, 2: 2}), work_out) == "figures 2"
    assert handed[-1] == Earlier("figures 1", {2})
    assert await kept.value("A", currency(2, {1: 1, 2: 2}), work_out) == "figures 3"
    assert handed[-1] is None
    # Past the moment it was good until, or asked for before it was worked out: afresh.
    later = NOW + timedelta(hours=2)
    assert await kept.value("A", Currency(2, {1: 1, 2: 2}, later, later), work_out) == "figures 4"
    assert handed[-1] is None
    earlier = NOW - timedelta(minutes=1)
    assert await kept.value("A", currency(2, {1: 1, 2: 2}, earlier), work_out) == "figures 5"
