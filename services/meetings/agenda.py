"""The agenda as shown, and its editor: add, edit, move and remove items until the broadcast."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import (
    MAX_AGENDA_ITEM_LENGTH,
    MAX_AGENDA_ITEMS,
    REVIEW_ITEM,
    MeetingStatus,
    moved,
)
from domain.messages import Button, Reply, Text
from services import pending
from services.access import managed_meeting
from services.errors import refused
from services.meetings.common import OfMeeting, typed_line
from services.minutes.tasks import review_lines
from services.people import Caller
from services.request import Request
from services.routes import answer, button
from services.views import Titled, agenda_items, item_title, summary
from storage.models import AgendaItem, Cell, Meeting

ASK_AGENDA_ADD = "agenda.add"
ASK_AGENDA_EDIT = "agenda.edit"


async def agenda_lines(session: AsyncSession, meeting_id: int) -> list[Text]:
    """The agenda as shown; under the review of last month's tasks, the tasks themselves."""
    items = await agenda_items(session, meeting_id)
    return await agenda_lines_of(lambda: session, meeting_id, items)


async def agenda_lines_of(
    session_of: Callable[[], AsyncSession], meeting_id: int, items: Sequence[Titled]
) -> list[Text]:
    """The meeting's agenda ``items``, already read in their order, as shown; ``session_of``
    gives the session that reads the tasks under the review of last month's, only for an
    agenda that has that item."""
    if not items:
        return [Text("agenda.empty")]
    lines = []
    for number, item in enumerate(items, start=1):
        lines.append(Text("agenda.line", {"number": number, "title": item_title(item)}))
        if item.title_key == REVIEW_ITEM:
            reading = session_of()
            meeting = await reading.get(Meeting, meeting_id)
            assert meeting is not None
            lines += [
                Text("agenda.sub_line", {"line": line})
                for line in await review_lines(reading, meeting)
            ]
    return lines


@dataclass(frozen=True)
class OfItem:
    """A button about one agenda item (its menu, editing, removing): the item's meeting is
    checked afresh, still editable and the caller's to manage."""

    item_id: int


@dataclass(frozen=True)
class ItemMove:
    """The item menu's up and down buttons: ``step`` below 0 moves the item up one place,
    anything else down one."""

    item_id: int
    step: int


@dataclass(frozen=True)
class NewItem:
    """The text typed for a new item at the end of the meeting's agenda (the question
    keeps the meeting)."""

    meeting_id: int
    text: str


@dataclass(frozen=True)
class ItemText:
    """The new text typed for an item, which replaces its title whether it was typed or
    came from the kind's template."""

    item_id: int
    text: str


@button("agenda.open", OfMeeting)
async def agenda_editor(request: Request, about: OfMeeting) -> Reply:
    async with request.transaction() as session:
        meeting, cell = await _editable_meeting(session, request.caller, about.meeting_id)
        await pending.forget(session, caller=request.caller)
        return await _editor(request, session, meeting, cell, None)


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
    request: Request, session: AsyncSession, meeting: Meeting, cell: Cell, notice: Text | None
) -> Reply:
    """The agenda with a button for each item, to add one, and back to the card."""
    make_button = request.buttons(session)
    items = await agenda_items(session, meeting.id)
    rows: list[tuple[Button, ...]] = [
        (
            await make_button(
                Text("agenda.item_button", {"number": number, "title": item_title(item)}),
                "agenda.item",
                item_id=item.id,
            ),
        )
        for number, item in enumerate(items, start=1)
    ]
    done = await make_button(Text("agenda.done"), "meeting.card", meeting_id=meeting.id)
    add = await make_button(Text("agenda.add"), "agenda.add", meeting_id=meeting.id)
    rows.append((add, done))
    text = Text(
        "agenda.editor",
        {"summary": summary(meeting, cell.name), "agenda": await agenda_lines(session, meeting.id)},
    )
    return Reply(text, tuple(rows), notice=notice)


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


@button("agenda.item", OfItem)
async def agenda_item_menu(request: Request, about: OfItem) -> Reply:
    async with request.transaction() as session:
        make_button = request.buttons(session)
        item, meeting, _ = await _managed_item(session, request.caller, about.item_id)
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


@button("agenda.move", ItemMove)
async def move_agenda_item(request: Request, move: ItemMove) -> Reply:
    async with request.transaction() as session:
        item, meeting, cell = await _managed_item(session, request.caller, move.item_id)
        items = await agenda_items(session, meeting.id)
        order = moved(
            [i.id for i in items], [i.id for i in items].index(item.id), 1 if move.step > 0 else -1
        )
        by_id = {i.id: i for i in items}
        for position, identifier in enumerate(order):
            by_id[identifier].position = position
        await session.flush()
        return await _editor(request, session, meeting, cell, None)


@button("agenda.remove", OfItem)
async def remove_agenda_item(request: Request, about: OfItem) -> Reply:
    async with request.transaction() as session:
        item, meeting, cell = await _managed_item(session, request.caller, about.item_id)
        await session.delete(item)
        await session.flush()
        for position, remaining in enumerate(await agenda_items(session, meeting.id)):
            remaining.position = position
        await session.flush()
        return await _editor(request, session, meeting, cell, Text("agenda.removed"))


async def _room_for_one_more(session: AsyncSession, meeting: Meeting) -> int:
    """How many items the agenda has, refused when it can take no more."""
    count = len(await agenda_items(session, meeting.id))
    if count >= MAX_AGENDA_ITEMS:
        raise refused("agenda.too_many", max=MAX_AGENDA_ITEMS)
    return count


@button("agenda.edit", OfItem)
async def ask_item_text(request: Request, about: OfItem) -> Reply:
    """Ask for the new text of an item."""
    caller = request.caller
    async with request.transaction() as session:
        item, _, _ = await _managed_item(session, caller, about.item_id)
        number = await _number_of(session, item)
        await request.ask(session, ASK_AGENDA_EDIT, {"item_id": item.id})
        return Reply(Text("agenda.ask_edit", {"number": number, "title": item_title(item)}))


@button("agenda.add", OfMeeting)
async def ask_new_item(request: Request, about: OfMeeting) -> Reply:
    """Ask for the text of a new item."""
    caller = request.caller
    async with request.transaction() as session:
        meeting, _ = await _editable_meeting(session, caller, about.meeting_id)
        await _room_for_one_more(session, meeting)
        await request.ask(session, ASK_AGENDA_ADD, {"meeting_id": meeting.id})
        return Reply(Text("agenda.ask_add"))


def _title(typed: str) -> str:
    title = typed_line(typed, MAX_AGENDA_ITEM_LENGTH)
    if title is None:
        raise refused("agenda.bad_item", max=MAX_AGENDA_ITEM_LENGTH)
    return title


async def _saved(request: Request, session: AsyncSession, meeting: Meeting, cell: Cell) -> Reply:
    await session.flush()
    await pending.forget(session, caller=request.caller)
    return await _editor(request, session, meeting, cell, Text("agenda.saved"))


@answer(ASK_AGENDA_EDIT, ItemText)
async def write_item_text(request: Request, typed: ItemText) -> Reply:
    title = _title(typed.text)
    async with request.transaction() as session:
        item, meeting, cell = await _managed_item(session, request.caller, typed.item_id)
        item.title, item.title_key = title, None
        return await _saved(request, session, meeting, cell)


@answer(ASK_AGENDA_ADD, NewItem)
async def write_new_item(request: Request, typed: NewItem) -> Reply:
    title = _title(typed.text)
    async with request.transaction() as session:
        meeting, cell = await _editable_meeting(session, request.caller, typed.meeting_id)
        count = await _room_for_one_more(session, meeting)
        session.add(AgendaItem(meeting_id=meeting.id, position=count, title=title))
        return await _saved(request, session, meeting, cell)
