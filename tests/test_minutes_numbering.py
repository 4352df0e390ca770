"""Two exports at once never give two meetings the same minutes number, nor one meeting two."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import select

from domain.meetings import MeetingKind, MeetingStatus
from services.config import ServiceSettings
from services.minutes.access import minutes_number
from storage.db import Database
from storage.models import Cell, Meeting, Organisation
from tests.conftest import VIETNAM

SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)


async def two_meetings(database: Database) -> list[int]:
    created = datetime(2026, 1, 1, tzinfo=VIETNAM)
    async with database.transaction() as session:
        organisation = Organisation(name="Đảng bộ", cutoff_day=10, created_at=created)
        session.add(organisation)
        await session.flush()
        cell = Cell(organisation_id=organisation.id, name="Chi bộ", created_at=created)
        session.add(cell)
        await session.flush()
        ids = []
        for day in (5, 20):
            meeting = Meeting(
                cell_id=cell.id,
                kind=MeetingKind.REGULAR,
                status=MeetingStatus.SCHEDULED,
                starts_at=datetime(2026, 11, day, 19, tzinfo=VIETNAM),
                ends_at=datetime(2026, 11, day, 21, tzinfo=VIETNAM),
                place="Hội trường",
                late=False,
                version=1,
                created_at=created,
            )
            session.add(meeting)
            await session.flush()
            ids.append(meeting.id)
    return ids


async def number_slowly(database: Database, meeting_id: int) -> int:
    """Number the meeting's minutes, lingering after each read as a loaded server might."""
    async with database.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        read = session.scalar

        async def lingering(*args: Any, **kwargs: Any) -> Any:
            found = await read(*args, **kwargs)
            await asyncio.sleep(0.2)
            return found

        session.scalar = lingering  # type: ignore[method-assign]
        return await minutes_number(session, meeting, SETTINGS)


async def stored_numbers(database: Database) -> list[int | None]:
    async with database.transaction() as session:
        return list(await session.scalars(select(Meeting.minutes_number).order_by(Meeting.id)))


async def test_two_meetings_numbered_at_once_get_two_numbers(database: Database) -> None:
    first, second = await two_meetings(database)
    given = await asyncio.gather(number_slowly(database, first), number_slowly(database, second))
    assert sorted(given) == [1, 2]
    assert sorted(n for n in await stored_numbers(database) if n is not None) == [1, 2]


async def test_one_meeting_numbered_twice_at_once_keeps_one_number(database: Database) -> None:
    first, _ = await two_meetings(database)
    given = await asyncio.gather(number_slowly(database, first), number_slowly(database, first))
    assert given == [1, 1]
    assert (await stored_numbers(database))[0] == 1
