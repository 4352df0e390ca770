"""Minutes (biên bản) recorded in chat after the roll: the editor, the chair and note-taker,
each agenda item's report and conclusion, finishing them; /minutes lists the cell's records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Button, Reply, Text
from services import actions, pending
from services.cells.common import managed_cell
from services.config import ServiceSettings
from services.errors import refused
from services.minutes.access import (
    managed_item,
    managed_minutes,
    minutes_number,
    opinions_of,
    question,
    resolution_of,
    typed_text,
    undecided_resolution,
)
from services.minutes.comments import ask_comments
from services.minutes.resolution import RESOLUTION_STATUS_TEXT, resolution_screen, vote
from services.people import Caller, require_person
from services.views import KIND_TEXT, agenda_items, item_title, summary
from storage.db import Database
from storage.models import AgendaItem, Cell, Meeting

ASK_FIELD = "minutes.field"
MINUTES_HISTORY = 12

# What the secretary types, and where it goes.
MEETING_FIELDS = {"chair": N_("minutes.ask.chair"), "note_taker": N_("minutes.ask.note_taker")}
ITEM_FIELDS = {
    "report": N_("minutes.ask.report"),
    "conclusion": N_("minutes.ask.conclusion"),
}
RESOLUTION_FIELDS = {
    "resolution": N_("minutes.ask.resolution"),
    "vote": N_("minutes.ask.vote"),
    "comments_until": N_("minutes.ask.comments_until"),
}
ITEM_BUTTONS = {
    "report": N_("minutes.report_button"),
    "conclusion": N_("minutes.conclusion_button"),
}


async def editor(
    database: Database, caller: Caller, meeting_id: int, now: datetime, notice: Text | None = None
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        await pending.forget(session, caller=caller)
        return await editor_screen(session, caller, meeting, cell, now, notice)


async def editor_screen(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    """The minutes so far: who chairs and takes notes, each item done or not, the resolution."""
    items = await agenda_items(session, meeting.id)
    resolution = await resolution_of(session, meeting, now)
    lines = [
        Text(
            "minutes.item_line",
            {
                "number": number,
                "title": item_title(item),
                "mark": "✅" if item.conclusion else "…",
            },
        )
        for number, item in enumerate(items, start=1)
    ]
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    return Reply(
        Text(
            "minutes.editor",
            {
                "summary": summary(meeting, cell.name),
                "chair": meeting.chair or "—",
                "note_taker": meeting.note_taker or "—",
                "items": lines or [Text("agenda.empty")],
                "resolution": Text(RESOLUTION_STATUS_TEXT[resolution.status]),
                "state": Text("minutes.state.recorded", {"when": meeting.minutes_recorded_at})
                if meeting.minutes_recorded_at
                else Text("minutes.state.open"),
            },
        ),
        await _editor_buttons(make_button, meeting, items),
        notice=notice,
    )


async def _editor_buttons(
    make_button: actions.ButtonMaker, meeting: Meeting, items: list[AgendaItem]
) -> tuple[tuple[Button, ...], ...]:
    about = make_button.about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = [
        (
            await about(Text("minutes.chair_button"), "minutes.ask", field="chair"),
            await about(Text("minutes.note_taker_button"), "minutes.ask", field="note_taker"),
        )
    ]
    for number, item in enumerate(items, start=1):
        rows.append(
            (
                await make_button(
                    Text("minutes.item_button", {"number": number, "title": item_title(item)}),
                    "minutes.item",
                    item_id=item.id,
                ),
            )
        )
    rows.append((await about(Text("minutes.resolution_button"), "resolution.open"),))
    last_row = [await about(Text("minutes.export"), "minutes.export")]
    if meeting.minutes_recorded_at is None:
        last_row.insert(0, await about(Text("minutes.finish"), "minutes.finish"))
    rows.append(tuple(last_row))
    return tuple(rows)


async def item_menu(database: Database, caller: Caller, item_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        meeting, item = await managed_item(session, caller, item_id)
        return await item_screen(session, caller, meeting, item, now, None)


async def item_screen(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    item: AgendaItem,
    now: datetime,
    notice: Text | None,
) -> Reply:
    """One agenda item's part of the minutes: the report, the opinions, the conclusion."""
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    buttons = [
        await make_button(
            Text(label), "minutes.ask", meeting_id=meeting.id, field=name, item_id=item.id
        )
        for name, label in ITEM_BUTTONS.items()
    ]
    buttons.insert(
        1, await make_button(Text("minutes.opinions_button"), "minutes.opinion", item_id=item.id)
    )
    back = await make_button(Text("common.back"), "minutes.open", meeting_id=meeting.id)
    # What was typed at once before opinions were recorded one speaker at a time, then each.
    opinions = [Text("minutes.opinions_typed", {"text": item.opinions})] if item.opinions else []
    opinions += [
        Text("minutes.opinion_line", {"speaker": o.speaker, "text": o.text})
        for o in await opinions_of(session, item.id)
    ]
    return Reply(
        Text(
            "minutes.item",
            {
                "title": item_title(item),
                "report": item.report or "—",
                "opinions": opinions or "—",
                "conclusion": item.conclusion or "—",
            },
        ),
        (tuple(buttons), (back,)),
        notice=notice,
    )


async def ask(
    database: Database,
    caller: Caller,
    meeting_id: int,
    field: str,
    now: datetime,
    item_id: int | None = None,
) -> Reply:
    """Ask the secretary to type one part of the minutes or of the resolution."""
    asked = {**MEETING_FIELDS, **ITEM_FIELDS, **RESOLUTION_FIELDS}.get(field)
    if asked is None:
        raise refused("error.stale_button")
    async with database.transaction() as session:
        await managed_minutes(session, caller, meeting_id)
        payload = {"meeting_id": meeting_id, "field": field, "item_id": item_id}
        return await question(session, caller, ASK_FIELD, payload, now, Text(asked))


async def write(
    database: Database,
    caller: Caller,
    meeting_id: int,
    field: str,
    item_id: int | None,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """What the secretary typed for one part, put in its place (the vote and the comment
    deadline go on to their own use cases)."""
    text = typed_text(typed)
    if field == "vote":
        return await vote(database, caller, meeting_id, text, now, settings)
    if field == "comments_until":
        return await ask_comments(database, caller, meeting_id, text, now, settings)
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        if field in MEETING_FIELDS:
            setattr(meeting, field, " ".join(text.split())[:200])
        elif field in ITEM_FIELDS:
            item = await session.get(AgendaItem, item_id) if item_id is not None else None
            if item is None or item.meeting_id != meeting.id:
                raise refused("error.stale_button")
            setattr(item, field, text)
        elif field == "resolution":
            (await undecided_resolution(session, meeting, now)).text = text
        else:
            raise refused("error.stale_button")
        await pending.forget(session, caller=caller)
        await session.flush()
        if field == "resolution":
            return await resolution_screen(
                session, caller, meeting, cell, now, settings, Text("agenda.saved")
            )
        return await editor_screen(session, caller, meeting, cell, now, Text("agenda.saved"))


async def finish(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        if not meeting.chair or not meeting.note_taker:
            raise refused("minutes.need_chair")
        if meeting.minutes_recorded_at is None:
            meeting.minutes_recorded_at = now
        await minutes_number(session, meeting, settings)
        return await editor_screen(session, caller, meeting, cell, now, Text("minutes.finished"))


async def history(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None
) -> Reply:
    """/minutes: the cell's latest meetings with a closed roll, a button each to their minutes."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "minutes.cell", now)
        if isinstance(cell, Reply):
            return cell
        meetings = (
            await session.scalars(
                select(Meeting)
                .where(Meeting.cell_id == cell.id, Meeting.roll_closed_at.is_not(None))
                .order_by(Meeting.starts_at.desc())
                .limit(MINUTES_HISTORY)
            )
        ).all()
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
