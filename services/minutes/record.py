"""Minutes (biên bản) recorded in chat after the roll: the editor, the chair and note-taker,
each agenda item's report and conclusion, finishing them; /minutes lists the cell's records."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Reply, Text
from services import pending
from services.actions import ButtonMaker
from services.cells.common import asks_which_cell, cell_of_manager, which_cell
from services.errors import refused
from services.minutes.access import (
    AboutItem,
    AboutMeeting,
    managed_item,
    managed_minutes,
    minutes_number,
    question,
    typed_text,
    undecided_resolution,
)
from services.minutes.comments import Deadline, ask_comments
from services.minutes.resolution import TypedVote, vote
from services.minutes.screens import editor_screen, item_screen, resolution_screen
from services.people import require_person
from services.request import Request
from services.routes import answer, button
from services.views import KIND_TEXT
from storage.models import AgendaItem, Cell, Meeting
from storage.queries.minutes import latest_meetings_with_closed_roll

ASK_FIELD = "minutes.field"
MINUTES_HISTORY = 12
MAX_NAME = 200


class Part(StrEnum):
    """A part of the minutes or of the resolution the secretary types."""

    CHAIR = "chair"
    NOTE_TAKER = "note_taker"
    REPORT = "report"
    CONCLUSION = "conclusion"
    RESOLUTION = "resolution"
    VOTE = "vote"
    COMMENTS_UNTIL = "comments_until"


MEETING_PARTS = (Part.CHAIR, Part.NOTE_TAKER)
ITEM_PARTS = (Part.REPORT, Part.CONCLUSION)
# What the secretary is asked to type for each part.
QUESTIONS = {
    Part.CHAIR: N_("minutes.ask.chair"),
    Part.NOTE_TAKER: N_("minutes.ask.note_taker"),
    Part.REPORT: N_("minutes.ask.report"),
    Part.CONCLUSION: N_("minutes.ask.conclusion"),
    Part.RESOLUTION: N_("minutes.ask.resolution"),
    Part.VOTE: N_("minutes.ask.vote"),
    Part.COMMENTS_UNTIL: N_("minutes.ask.comments_until"),
}


@button("minutes.open", AboutMeeting)
async def editor(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, about.meeting_id)
        await pending.forget(session, caller=request.caller)
        return await editor_screen(request, session, meeting, cell, None)


@button("minutes.item", AboutItem)
async def item_menu(request: Request, about: AboutItem) -> Reply:
    async with request.transaction() as session:
        meeting, item = await managed_item(session, request.caller, about.item_id)
        return await item_screen(request, session, meeting, item, None)


@dataclass(frozen=True)
class PartChoice:
    meeting_id: int
    field: Part
    item_id: int | None = None


@button("minutes.ask", PartChoice)
async def ask(request: Request, chosen: PartChoice) -> Reply:
    """Ask the secretary to type one part of the minutes or of the resolution."""
    async with request.transaction() as session:
        await managed_minutes(session, request.caller, chosen.meeting_id)
        return await question(request, session, ASK_FIELD, chosen, Text(QUESTIONS[chosen.field]))


@dataclass(frozen=True)
class TypedPart(PartChoice):
    text: str = dataclasses.field(kw_only=True)


@answer(ASK_FIELD, TypedPart)
async def write(request: Request, typed: TypedPart) -> Reply:
    """What the secretary typed for one part, put in its place (the vote and the comment
    deadline go on to their own use cases)."""
    text = typed_text(typed.text)
    if typed.field is Part.VOTE:
        return await vote(request, TypedVote(typed.meeting_id, text=text))
    if typed.field is Part.COMMENTS_UNTIL:
        return await ask_comments(request, Deadline(typed.meeting_id, text=text))
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, typed.meeting_id)
        await _put(session, request, meeting, typed, text)
        await pending.forget(session, caller=request.caller)
        await session.flush()
        saved = Text("agenda.saved")
        if typed.field is Part.RESOLUTION:
            return await resolution_screen(request, session, meeting, cell, saved)
        return await editor_screen(request, session, meeting, cell, saved)


async def _put(
    session: AsyncSession, request: Request, meeting: Meeting, typed: TypedPart, text: str
) -> None:
    """The part typed, in its place: the meeting's, an item's of it, or the resolution's."""
    if typed.field in MEETING_PARTS:
        setattr(meeting, typed.field.value, " ".join(text.split())[:MAX_NAME])
    elif typed.field in ITEM_PARTS:
        item = await session.get(AgendaItem, typed.item_id) if typed.item_id is not None else None
        if item is None or item.meeting_id != meeting.id:
            raise refused("error.stale_button")
        setattr(item, typed.field.value, text)
    else:
        (await undecided_resolution(session, meeting, request.now)).text = text


@button("minutes.finish", AboutMeeting)
async def finish(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, about.meeting_id)
        if not meeting.chair or not meeting.note_taker:
            raise refused("minutes.need_chair")
        if meeting.minutes_recorded_at is None:
            meeting.minutes_recorded_at = request.now
        await minutes_number(session, meeting, request.settings)
        return await editor_screen(request, session, meeting, cell, Text("minutes.finished"))


@dataclass(frozen=True)
class CellChoice:
    """The cell whose records to list; none: the one the caller manages (asked if several)."""

    cell_id: int | None = None


@button("minutes.cell", CellChoice)
async def history(request: Request, chosen: CellChoice) -> Reply:
    """/minutes: the cell's latest meetings with a closed roll, a button each to their minutes."""
    caller = request.caller
    async with request.transaction() as session:
        _, actor = await require_person(session, caller)
        if asks_which_cell(actor, chosen.cell_id):
            return await which_cell(request.buttons(session), session, actor, "minutes.cell")
        cell = await cell_of_manager(session, actor, chosen.cell_id)
        meetings = await latest_meetings_with_closed_roll(session, cell.id, MINUTES_HISTORY)
        return await _history_reply(request.buttons(session), cell, meetings)


async def _history_reply(make_button: ButtonMaker, cell: Cell, meetings: list[Meeting]) -> Reply:
    if not meetings:
        return Reply(Text("minutes.none", {"cell": cell.name}))
    rows = []
    for meeting in meetings:
        label = Text(
            "minutes.history_button",
            {
                "when": meeting.starts_at,
                "kind": Text(KIND_TEXT[meeting.kind]),
                "mark": "✅" if meeting.minutes_recorded_at else "…",
            },
        )
        rows.append((await make_button(label, "minutes.open", meeting_id=meeting.id),))
    return Reply(Text("minutes.history", {"cell": cell.name}), tuple(rows))
