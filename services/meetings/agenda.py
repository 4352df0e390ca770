"""The agenda as shown, and its editor: add, edit, move and remove items until the broadcast."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import (
    MAX_AGENDA_ITEM_LENGTH,
    MAX_AGENDA_ITEMS,
    REVIEW_ITEM,
    MeetingStatus,
    moved,
)
from domain.messages import Button, Reply, Text
from services import actions, pending
from services.access import managed_meeting
from services.errors import refused
from services.meetings.common import typed_line
from services.minutes.tasks import review_lines
from services.people import Caller
from services.views import agenda_items, item_title, summary
from storage.db import Database
from storage.models import AgendaItem, Cell, Meeting

ASK_AGENDA_ADD = "agenda.add"
ASK_AGENDA_EDIT = "agenda.edit"


async def agenda_lines(session: AsyncSession, meeting_id: int) -> list[Text]:
    """The agenda as shown; under the review of last month's tasks, the tasks themselves."""
    items = await agenda_items(session, meeting_id)
    if not items:
        return [Text("agenda.empty")]
    lines = []
    for number, item in enumerate(items, start=1):
        lines.append(Text("agenda.line", {"number": number, "title": item_title(item)}))
        if item.title_key == REVIEW_ITEM:
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
            lines += [
                Text("agenda.sub_line", {"line": line})
                for line in await review_lines(session, meeting)
            ]
    return lines


async def agenda_editor(
    database: Database,
    caller: Caller,
    meeting_id: int,
    now: datetime,
    notice: Text | None = None,
) -> Reply:
    async with database.transaction() as session:
        meeting, cell = await _editable_meeting(session, caller, meeting_id)
        await pending.forget(session, caller=caller)
        return await _editor(session, caller, meeting, cell, now, notice)


def _require_editable(meeting: Meeting) -> None:
    if meeting.broadcast_at is not None or meeting.status is MeetingStatus.CANCELLED:
        raise refused("agenda.locked")


async def _editable_meeting(
    session: AsyncSession, caller: Caller, meeting_id: int
) -> tuple[Meeting, Cell]:
    _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
    _require_editable(meeting)
    return meeting, cell


async def _editor(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    items = await agenda_items(session, meeting.id)
    rows: list[tuple[Button, ...]] = []
    for number, item in enumerate(items, start=1):
        rows.append(
            (
                await make_button(
                    Text("agenda.item_button", {"number": number, "title": item_title(item)}),
                    "agenda.item",
                    item_id=item.id,
                ),
            )
        )
    done = await make_button(Text("agenda.done"), "meeting.card", meeting_id=meeting.id)
    add = await make_button(Text("agenda.add"), "agenda.add", meeting_id=meeting.id)
    rows.append((add, done))
    return Reply(
        Text(
            "agenda.editor",
            {
                "summary": summary(meeting, cell.name),
                "agenda": await agenda_lines(session, meeting.id),
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def _managed_item(
    session: AsyncSession, caller: Caller, item_id: int
) -> tuple[AgendaItem, Meeting, Cell]:
    item = await session.get(AgendaItem, item_id)
    if item is None:
        raise refused("error.stale_button")
    meeting, cell = await _editable_meeting(session, caller, item.meeting_id)
    return item, meeting, cell


async def _number_of(session: AsyncSession, item: AgendaItem) -> int:
    return [i.id for i in await agenda_items(session, item.meeting_id)].index(item.id) + 1


async def agenda_item_menu(
    database: Database, caller: Caller, item_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        item, meeting, _ = await _managed_item(session, caller, item_id)
        number = await _number_of(session, item)

        about_item = make_button.about(item_id=item.id)
        back = await make_button(Text("common.back"), "agenda.open", meeting_id=meeting.id)
        return Reply(
            Text("agenda.item_menu", {"number": number, "title": item_title(item)}),
            (
                (
                    await about_item(Text("agenda.up"), "agenda.move", step=-1),
                    await about_item(Text("agenda.down"), "agenda.move", step=1),
                ),
                (
                    await about_item(Text("agenda.edit"), "agenda.edit"),
                    await about_item(Text("agenda.remove"), "agenda.remove"),
                ),
                (back,),
            ),
        )


async def move_agenda_item(
    database: Database, caller: Caller, item_id: int, step: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        item, meeting, cell = await _managed_item(session, caller, item_id)
        items = await agenda_items(session, meeting.id)
        order = moved(
            [i.id for i in items], [i.id for i in items].index(item.id), 1 if step > 0 else -1
        )
        by_id = {i.id: i for i in items}
        for position, identifier in enumerate(order):
            by_id[identifier].position = position
        await session.flush()
        return await _editor(session, caller, meeting, cell, now, None)


async def remove_agenda_item(
    database: Database, caller: Caller, item_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        item, meeting, cell = await _managed_item(session, caller, item_id)
        await session.delete(item)
        await session.flush()
        for position, remaining in enumerate(await agenda_items(session, meeting.id)):
            remaining.position = position
        await session.flush()
        return await _editor(session, caller, meeting, cell, now, Text("agenda.removed"))


async def _room_for_one_more(session: AsyncSession, meeting: Meeting) -> int:
    """How many items the agenda has, refused when it can take no more."""
    count = len(await agenda_items(session, meeting.id))
    if count >= MAX_AGENDA_ITEMS:
        raise refused("agenda.too_many", max=MAX_AGENDA_ITEMS)
    return count


async def ask_agenda_text(
    database: Database,
    caller: Caller,
    now: datetime,
    *,
    meeting_id: int | None = None,
    item_id: int | None = None,
) -> Reply:
    """Ask for the text of a new item (``meeting_id``) or of an existing one (``item_id``)."""
    async with database.transaction() as session:
        if item_id is not None:
            item, _, _ = await _managed_item(session, caller, item_id)
            number = await _number_of(session, item)
            await pending.ask(
                session, caller=caller, kind=ASK_AGENDA_EDIT, payload={"item_id": item.id}, now=now
            )
            return Reply(Text("agenda.ask_edit", {"number": number, "title": item_title(item)}))
        assert meeting_id is not None
        meeting, _ = await _editable_meeting(session, caller, meeting_id)
        await _room_for_one_more(session, meeting)
        await pending.ask(
            session, caller=caller, kind=ASK_AGENDA_ADD, payload={"meeting_id": meeting.id}, now=now
        )
        return Reply(Text("agenda.ask_add"))


async def write_agenda_text(
    database: Database,
    caller: Caller,
    typed: str,
    now: datetime,
    *,
    meeting_id: int | None = None,
    item_id: int | None = None,
) -> Reply:
    title = typed_line(typed, MAX_AGENDA_ITEM_LENGTH)
    if title is None:
        raise refused("agenda.bad_item", max=MAX_AGENDA_ITEM_LENGTH)
    async with database.transaction() as session:
        if item_id is not None:
            item, meeting, cell = await _managed_item(session, caller, item_id)
            item.title, item.title_key = title, None
        else:
            assert meeting_id is not None
            meeting, cell = await _editable_meeting(session, caller, meeting_id)
            count = await _room_for_one_more(session, meeting)
            session.add(AgendaItem(meeting_id=meeting.id, position=count, title=title))
        await session.flush()
        await pending.forget(session, caller=caller)
        return await _editor(session, caller, meeting, cell, now, Text("agenda.saved"))
