"""Meetings: scheduling before the cutoff, the agenda, the invitation, rescheduling, cancelling.

A meeting being scheduled is a draft carried in stored questions and button actions (never in
a process's memory); the meeting row is written only when the secretary confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, Quarter, cutoff_date, is_after_cutoff
from domain.dates import parse_local_datetime, parse_time_of_day
from domain.invites import deep_link, rsvp_payload
from domain.meetings import (
    DEFAULT_DURATION,
    MAX_AGENDA_ITEM_LENGTH,
    MAX_AGENDA_ITEMS,
    MAX_PLACE_LENGTH,
    REVIEW_ITEM,
    MeetingKind,
    MeetingStatus,
    Response,
    agenda_template,
    moved,
)
from domain.messages import N_, Button, Reply, Text, telegram_length
from domain.permissions import can_manage_cell
from services import actions, outbox, pending
from services.access import managed_meeting
from services.cells import managed_cell
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.minutes import review_lines
from services.papers import send_materials_to
from services.people import Caller, require_person
from services.views import KIND_TEXT, agenda_items, date_problem, item_title, summary
from storage.db import Database
from storage.models import AgendaItem, Cell, Invitation, Meeting, Organisation, Person
from storage.repositories import active_members

ASK_WHEN = "schedule.when"
ASK_TIME = "schedule.time"
ASK_PLACE = "schedule.place"
ASK_THEME = "schedule.theme"
ASK_AGENDA_ADD = "agenda.add"
ASK_AGENDA_EDIT = "agenda.edit"
ASK_PATTERN = "pattern"

QUICK_TIMES = ("07:30", "14:00", "19:30")
DAYS_OFFERED = 7


@dataclass(frozen=True)
class Draft:
    """A meeting being scheduled (or a new time for an existing one)."""

    cell_id: int
    kind: MeetingKind
    starts_at: datetime | None = None
    late_ok: bool = False
    place: str | None = None
    theme: str | None = None
    meeting_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "cell_id": self.cell_id,
            "kind": self.kind.value,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "late_ok": self.late_ok,
            "place": self.place,
            "theme": self.theme,
            "meeting_id": self.meeting_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        starts = data.get("starts_at")
        return cls(
            cell_id=int(data["cell_id"]),
            kind=MeetingKind(data["kind"]),
            # Stored and compared in UTC, whatever offset the moment was typed in.
            starts_at=datetime.fromisoformat(starts).astimezone(UTC) if starts else None,
            late_ok=bool(data.get("late_ok")),
            place=data.get("place"),
            theme=data.get("theme"),
            meeting_id=data.get("meeting_id"),
        )

    def but(self, **changes: Any) -> Draft:
        starts_at = changes.get("starts_at")
        if starts_at is not None:
            changes["starts_at"] = starts_at.astimezone(UTC)
        return replace(self, **changes)


# --- shared views ---------------------------------------------------------------------------


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


async def _cutoff_day(session: AsyncSession, cell: Cell) -> int:
    organisation = await session.get(Organisation, cell.organisation_id)
    assert organisation is not None
    return organisation.cutoff_day


# --- scheduling -----------------------------------------------------------------------------


async def start_scheduling(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None
) -> Reply:
    """/schedule: which kind of meeting."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "schedule.cell", now)
        if isinstance(cell, Reply):
            return cell
        rows = []
        for kind in MeetingKind:
            rows.append(
                (
                    await make_button(
                        Text(KIND_TEXT[kind]),
                        "schedule.draft",
                        draft=Draft(cell.id, kind).to_json(),
                        step="when",
                    ),
                )
            )
        return Reply(Text("schedule.ask_kind", {"cell": cell.name}), tuple(rows))


async def continue_draft(
    database: Database,
    caller: Caller,
    draft: Draft,
    step: str,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None = None,
) -> Reply:
    """Take the draft one step further: from a button (``answer`` None) or typed text."""
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await session.get(Cell, draft.cell_id)
        if cell is None or not can_manage_cell(actor, cell.id):
            raise refused("error.not_manager")
        if draft.meeting_id is not None:
            await managed_meeting(session, caller, draft.meeting_id)
        step_handler = _STEPS.get(step)
        if step_handler is None:
            raise refused("error.stale_button")
        return await step_handler(session, caller, cell, draft, now, settings, answer)


async def _ask_when(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None,
) -> Reply:
    """The date and time: typed, or a day from buttons then a time."""
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    if answer is not None:
        parsed = parse_local_datetime(answer, now, settings.zone)
        if parsed.problem is not None or parsed.value is None:
            raise Refused(date_problem(parsed))
        return await _check_when(
            session, caller, cell, draft.but(starts_at=parsed.value), now, settings
        )
    await _ask(session, caller, ASK_WHEN, draft, now)
    today = now.astimezone(settings.zone).date()
    days = [today + timedelta(days=n) for n in range(1, DAYS_OFFERED + 1)]
    buttons = [
        await make_button(
            Text("schedule.day_button", {"day": day}),
            "schedule.draft",
            draft=draft.to_json(),
            step="time",
            day=day.isoformat(),
        )
        for day in days
    ]
    rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
    key = N_("reschedule.ask_when") if draft.meeting_id else N_("schedule.ask_when")
    return Reply(Text(key, {"kind": Text(KIND_TEXT[draft.kind])}), rows)


async def ask_time_of_day(
    database: Database,
    caller: Caller,
    draft: Draft,
    day: date,
    now: datetime,
) -> Reply:
    """A day was picked from the buttons: now the time, typed or from quick buttons."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        if not can_manage_cell(actor, draft.cell_id):
            raise refused("error.not_manager")
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_TIME,
            payload={"draft": draft.to_json(), "day": day.isoformat()},
            now=now,
        )
        buttons = tuple(
            [
                await make_button(
                    Text("schedule.time_button", {"time": quick}),
                    "schedule.at",
                    draft=draft.to_json(),
                    day=day.isoformat(),
                    time=quick,
                )
                for quick in QUICK_TIMES
            ]
        )
        return Reply(Text("schedule.ask_time", {"day": day}), (buttons,))


async def at_time_of_day(
    database: Database,
    caller: Caller,
    draft: Draft,
    day: date,
    typed_time: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    moment = parse_time_of_day(typed_time)
    if moment is None:
        raise refused("schedule.bad_time")
    starts_at = datetime.combine(day, moment, tzinfo=settings.zone)
    if starts_at <= now:
        raise refused("date.past")
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await session.get(Cell, draft.cell_id)
        if cell is None or not can_manage_cell(actor, cell.id):
            raise refused("error.not_manager")
        return await _check_when(
            session, caller, cell, draft.but(starts_at=starts_at), now, settings
        )


async def _existing_regular(
    session: AsyncSession,
    cell_id: int,
    month: Month,
    zone: ZoneInfo,
    except_meeting: int | None,
) -> Meeting | None:
    start, end = month.bounds(zone)
    query = select(Meeting).where(
        Meeting.cell_id == cell_id,
        Meeting.kind == MeetingKind.REGULAR,
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )
    if except_meeting is not None:
        query = query.where(Meeting.id != except_meeting)
    return await session.scalar(query.limit(1))


async def _check_when(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """One regular meeting a month, and after the cutoff only knowingly."""
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    assert draft.starts_at is not None
    if draft.starts_at <= now:
        raise refused("date.past")
    if draft.kind is MeetingKind.REGULAR:
        month = Month.of(draft.starts_at, settings.zone)
        existing = await _existing_regular(session, cell.id, month, settings.zone, draft.meeting_id)
        if existing is not None:
            raise Refused(
                Text(
                    "schedule.duplicate_regular",
                    {
                        "month": month.label,
                        "when": existing.starts_at,
                    },
                )
            )
        cutoff_day = await _cutoff_day(session, cell)
        if not draft.late_ok and is_after_cutoff(draft.starts_at, cutoff_day, settings.zone):
            await pending.forget(session, caller=caller)
            late = draft.but(late_ok=True)
            yes = await make_button(
                Text("schedule.late_yes"), "schedule.draft", draft=late.to_json(), step="checked"
            )
            other = await make_button(
                Text("schedule.late_no"),
                "schedule.draft",
                draft=draft.but(starts_at=None).to_json(),
                step="when",
            )
            return Reply(
                Text(
                    "schedule.late_confirm",
                    {
                        "when": draft.starts_at,
                        "cutoff_day": cutoff_day,
                    },
                ),
                ((yes,), (other,)),
            )
    return await _after_when(session, caller, cell, draft, now, settings, None)


async def _after_when(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None,
) -> Reply:
    if draft.meeting_id is not None:
        return await _confirm_reschedule(session, caller, draft, now)
    if draft.place is not None and draft.kind is not MeetingKind.THEMATIC:
        return await _confirm(session, caller, cell, draft, now)
    return await _ask_place(session, caller, cell, draft, now, settings, None)


async def _check_step(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None,
) -> Reply:
    return await _check_when(session, caller, cell, draft, now, settings)


async def _ask_place(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    if answer is not None:
        place = _clean_text(answer, MAX_PLACE_LENGTH)
        if place is None:
            raise refused("schedule.bad_place", max=MAX_PLACE_LENGTH)
        draft = draft.but(place=place)
        if draft.kind is MeetingKind.THEMATIC:
            return await _ask_theme(session, caller, cell, draft, now, settings, None)
        return await _confirm(session, caller, cell, draft, now)
    await _ask(session, caller, ASK_PLACE, draft, now)
    suggestions = [p for p in (cell.pattern_place, await _last_place(session, cell.id)) if p]
    rows = []
    for place in dict.fromkeys(suggestions):
        rows.append(
            (
                await make_button(
                    Text("schedule.place_button", {"place": place}),
                    "schedule.draft",
                    draft=draft.to_json(),
                    step="place",
                    answer=place,
                ),
            )
        )
    return Reply(Text("schedule.ask_place"), tuple(rows))


async def _last_place(session: AsyncSession, cell_id: int) -> str | None:
    return await session.scalar(
        select(Meeting.place)
        .where(Meeting.cell_id == cell_id)
        .order_by(Meeting.created_at.desc())
        .limit(1)
    )


async def _ask_theme(
    session: AsyncSession,
    caller: Caller,
    cell: Cell,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    answer: str | None,
) -> Reply:
    if answer is not None:
        theme = _clean_text(answer, MAX_AGENDA_ITEM_LENGTH)
        if theme is None:
            raise refused("schedule.bad_theme", max=MAX_AGENDA_ITEM_LENGTH)
        return await _confirm(session, caller, cell, draft.but(theme=theme), now)
    await _ask(session, caller, ASK_THEME, draft, now)
    return Reply(Text("schedule.ask_theme"))


async def _confirm(
    session: AsyncSession, caller: Caller, cell: Cell, draft: Draft, now: datetime
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    await pending.forget(session, caller=caller)
    assert draft.starts_at is not None and draft.place is not None
    preview = Meeting(
        kind=draft.kind,
        starts_at=draft.starts_at,
        place=draft.place,
        theme=draft.theme,
        late=draft.late_ok,
    )
    create = await make_button(Text("schedule.create"), "schedule.create", draft=draft.to_json())
    cancel = await make_button(Text("common.cancel"), "schedule.abandon")
    return Reply(
        Text("schedule.confirm", {"summary": summary(preview, cell.name)}), ((create, cancel),)
    )


async def _ask(
    session: AsyncSession, caller: Caller, kind: str, draft: Draft, now: datetime
) -> None:
    await pending.ask(
        session,
        caller=caller,
        kind=kind,
        payload={"draft": draft.to_json()},
        now=now,
    )


def _clean_text(text: str, limit: int) -> str | None:
    cleaned = " ".join(text.split())
    if not cleaned or telegram_length(cleaned) > limit or cleaned.startswith("/"):
        return None
    return cleaned


_STEPS = {
    "when": _ask_when,
    "check": _check_step,
    "checked": _after_when,
    "place": _ask_place,
    "theme": _ask_theme,
}


async def abandon(database: Database, caller: Caller) -> Reply:
    async with database.transaction() as session:
        await pending.forget(session, caller=caller)
    return Reply(Text("schedule.abandoned"))


async def create(
    database: Database, caller: Caller, draft: Draft, now: datetime, settings: ServiceSettings
) -> Reply:
    """Write the meeting and its starting agenda, after checking the draft once more."""
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
        cell = await session.get(Cell, draft.cell_id)
        if cell is None or not can_manage_cell(actor, cell.id):
            raise refused("error.not_manager")
        if draft.starts_at is None or draft.place is None:
            raise refused("error.stale_button")
        if draft.starts_at <= now:
            raise refused("date.past")
        # One writer per cell at a time: two presses (or replicas) can't both pass the checks.
        await session.execute(select(Cell.id).where(Cell.id == cell.id).with_for_update())
        twin = await session.scalar(
            select(Meeting).where(
                Meeting.cell_id == cell.id,
                Meeting.kind == draft.kind,
                Meeting.starts_at == draft.starts_at,
                Meeting.status == MeetingStatus.SCHEDULED,
            )
        )
        if twin is not None:
            # The same confirmation pressed twice: show the meeting it already made.
            return await _card(session, caller, twin, cell, now, Text("schedule.created"))
        cutoff_day = await _cutoff_day(session, cell)
        late = draft.kind is MeetingKind.REGULAR and is_after_cutoff(
            draft.starts_at, cutoff_day, settings.zone
        )
        if draft.kind is MeetingKind.REGULAR:
            month = Month.of(draft.starts_at, settings.zone)
            existing = await _existing_regular(session, cell.id, month, settings.zone, None)
            if existing is not None:
                raise Refused(
                    Text(
                        "schedule.duplicate_regular",
                        {
                            "month": month.label,
                            "when": existing.starts_at,
                        },
                    )
                )
            if late and not draft.late_ok:
                raise refused("error.stale_button")
        meeting = Meeting(
            cell_id=cell.id,
            kind=draft.kind,
            status=MeetingStatus.SCHEDULED,
            starts_at=draft.starts_at,
            ends_at=draft.starts_at + DEFAULT_DURATION,
            place=draft.place,
            theme=draft.theme,
            late=late,
            version=1,
            created_by_person_id=person.id,
            created_at=now,
        )
        session.add(meeting)
        await session.flush()
        items = (
            [AgendaItem(meeting_id=meeting.id, position=0, title=draft.theme)]
            if draft.kind is MeetingKind.THEMATIC and draft.theme
            else []
        )
        items += [
            AgendaItem(meeting_id=meeting.id, position=len(items) + i, title_key=key)
            for i, key in enumerate(agenda_template(draft.kind))
        ]
        session.add_all(items)
        await session.flush()
        await pending.forget(session, caller=caller)
        return await _card(session, caller, meeting, cell, now, Text("schedule.created"))


# --- the meeting card and its agenda ---------------------------------------------------------


async def meeting_card(database: Database, caller: Caller, meeting_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        await pending.forget(session, caller=caller)
        return await _card(session, caller, meeting, cell, now, None)


async def _card(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    if meeting.status is MeetingStatus.CANCELLED:
        status: Text = Text("meeting.status.cancelled")
    elif meeting.broadcast_at is not None:
        status = Text("meeting.status.sent", {"when": meeting.broadcast_at})
    else:
        status = Text("meeting.status.draft")

    about_meeting = make_button.about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = []
    scheduled = meeting.status is MeetingStatus.SCHEDULED
    if scheduled and meeting.broadcast_at is None and meeting.starts_at > now:
        rows.append((await about_meeting(Text("meeting.edit_agenda"), "agenda.open"),))
        rows.append((await about_meeting(Text("meeting.broadcast"), "meeting.broadcast"),))
    if scheduled:
        rows.append(
            (
                await about_meeting(Text("meeting.papers"), "meeting.papers"),
                await about_meeting(Text("meeting.materials"), "meeting.materials"),
            )
        )
    if scheduled and (meeting.broadcast_at is not None or meeting.starts_at <= now):
        rows.append((await about_meeting(Text("meeting.attendance"), "attendance.meeting"),))
    if meeting.roll_closed_at is not None:
        rows.append((await about_meeting(Text("meeting.minutes"), "minutes.open"),))
    if scheduled and meeting.starts_at > now:
        rows.append(
            (
                await about_meeting(Text("meeting.reschedule"), "meeting.reschedule"),
                await about_meeting(Text("meeting.cancel"), "meeting.cancel.ask"),
            )
        )
    rows.append((await make_button(Text("meeting.back"), "meetings.cell", cell_id=cell.id),))
    return Reply(
        Text(
            "meeting.card",
            {
                "summary": summary(meeting, cell.name),
                "status": status,
                "agenda": await agenda_lines(session, meeting.id),
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def agenda_editor(
    database: Database,
    caller: Caller,
    meeting_id: int,
    now: datetime,
    notice: Text | None = None,
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        _require_editable(meeting)
        await pending.forget(session, caller=caller)
        return await _editor(session, caller, meeting, cell, now, notice)


def _require_editable(meeting: Meeting) -> None:
    if meeting.broadcast_at is not None or meeting.status is MeetingStatus.CANCELLED:
        raise refused("agenda.locked")


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
    _, _, meeting, cell = await managed_meeting(session, caller, item.meeting_id)
    _require_editable(meeting)
    return item, meeting, cell


async def agenda_item_menu(
    database: Database, caller: Caller, item_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        item, meeting, _ = await _managed_item(session, caller, item_id)
        items = await agenda_items(session, meeting.id)
        number = [i.id for i in items].index(item.id) + 1

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
            item, meeting, _ = await _managed_item(session, caller, item_id)
            number = [i.id for i in await agenda_items(session, meeting.id)].index(item.id) + 1
            await pending.ask(
                session,
                caller=caller,
                kind=ASK_AGENDA_EDIT,
                payload={"item_id": item.id},
                now=now,
            )
            return Reply(Text("agenda.ask_edit", {"number": number, "title": item_title(item)}))
        assert meeting_id is not None
        _, _, meeting, _ = await managed_meeting(session, caller, meeting_id)
        _require_editable(meeting)
        if len(await agenda_items(session, meeting.id)) >= MAX_AGENDA_ITEMS:
            raise refused("agenda.too_many", max=MAX_AGENDA_ITEMS)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_AGENDA_ADD,
            payload={"meeting_id": meeting.id},
            now=now,
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
    title = _clean_text(typed, MAX_AGENDA_ITEM_LENGTH)
    if title is None:
        raise refused("agenda.bad_item", max=MAX_AGENDA_ITEM_LENGTH)
    async with database.transaction() as session:
        if item_id is not None:
            item, meeting, cell = await _managed_item(session, caller, item_id)
            item.title, item.title_key = title, None
        else:
            assert meeting_id is not None
            _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
            _require_editable(meeting)
            count = len(await agenda_items(session, meeting.id))
            if count >= MAX_AGENDA_ITEMS:
                raise refused("agenda.too_many", max=MAX_AGENDA_ITEMS)
            session.add(AgendaItem(meeting_id=meeting.id, position=count, title=title))
        await session.flush()
        await pending.forget(session, caller=caller)
        return await _editor(session, caller, meeting, cell, now, Text("agenda.saved"))


# --- invitations -------------------------------------------------------------------------------


def invitation_text(meeting: Meeting, cell_name: str, agenda: list[Text]) -> Text:
    return Text("invitation.text", {"summary": summary(meeting, cell_name), "agenda": agenda})


async def rsvp_buttons(
    session: AsyncSession, meeting_id: int, telegram_user_id: int | None, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    """Attend / absent. In a group the buttons are anyone's; the handler checks the presser."""
    lifetime = timedelta(days=400)
    attend = await actions.issue(
        session,
        "rsvp",
        {"meeting_id": meeting_id, "response": Response.ATTEND.value},
        telegram_user_id=telegram_user_id,
        now=now,
        lifetime=lifetime,
    )
    absent = await actions.issue(
        session,
        "rsvp",
        {"meeting_id": meeting_id, "response": Response.ABSENT.value},
        telegram_user_id=telegram_user_id,
        now=now,
        lifetime=lifetime,
    )
    return ((Button(Text("rsvp.attend"), attend), Button(Text("rsvp.absent"), absent)),)


def answer_privately_button(
    bot_username: str, meeting_id: int
) -> tuple[tuple[Button, ...], ...]:
    link = deep_link(bot_username, rsvp_payload(meeting_id))
    return ((Button(Text("invitation.answer_privately"), url=link),),)


def _calendar_payload(
    meeting: Meeting,
    cell_name: str,
    agenda: list[Text],
    lang: str,
    now: datetime,
    cancelled: bool = False,
) -> dict[str, Any]:
    return {
        "lang": lang,
        "calendar": {
            "uid": f"meeting-{meeting.id}@chibo",
            "sequence": meeting.version,
            "starts_at": meeting.starts_at.astimezone(UTC).isoformat(),
            "ends_at": meeting.ends_at.astimezone(UTC).isoformat(),
            "location": meeting.place,
            "cancelled": cancelled,
            "stamp": now.isoformat(),
        },
        "summary": Text(
            "ics.summary",
            {
                "kind": Text(KIND_TEXT[meeting.kind]),
                "cell": cell_name,
            },
        ).to_json(),
        "description": Text("ics.description", {"agenda": agenda}).to_json(),
        "caption": Text("invitation.ics_caption").to_json(),
        "filename": f"chibo-{meeting.starts_at:%Y%m%d}-{meeting.id}.ics",
    }


async def broadcast(
    database: Database,
    caller: Caller,
    meeting_id: int,
    now: datetime,
    default_language: str,
    bot_username: str,
) -> Reply:
    """Send the invitation with the agenda, RSVP buttons and a calendar file to every member,
    and to the cell's group when it has one: there, a button opens the private chat, since
    an answer and its reason are nobody else's business."""
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if meeting.broadcast_at is not None:
            raise refused("broadcast.already")
        if meeting.starts_at <= now:
            raise refused("broadcast.started")
        members = await active_members(session, cell.id)
        if not members:
            raise refused("broadcast.no_members")
        agenda = await agenda_lines(session, meeting.id)
        text = invitation_text(meeting, cell.name, agenda)
        for membership in members:
            person = membership.person
            session.add(Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now))
            lang = person.language or default_language
            await outbox.enqueue_message(
                session,
                key=f"invite:{meeting.id}:{meeting.version}:{person.id}",
                chat_id=person.telegram_user_id,
                text=text,
                lang=lang,
                now=now,
                buttons=await rsvp_buttons(session, meeting.id, person.telegram_user_id, now),
            )
            await send_materials_to(
                session, person, cell.id, now, default_language, meeting_id=meeting.id
            )
            await outbox.enqueue(
                session,
                key=f"invite-ics:{meeting.id}:{meeting.version}:{person.id}",
                chat_id=person.telegram_user_id,
                method="sendDocument",
                payload=_calendar_payload(meeting, cell.name, agenda, lang, now),
                due_at=now,
                now=now,
            )
        if cell.group_chat_id is not None:
            await outbox.enqueue_message(
                session,
                key=f"invite-group:{meeting.id}:{meeting.version}",
                chat_id=cell.group_chat_id,
                text=text,
                lang=default_language,
                now=now,
                buttons=answer_privately_button(bot_username, meeting.id),
            )
            await outbox.enqueue(
                session,
                key=f"invite-group-ics:{meeting.id}:{meeting.version}",
                chat_id=cell.group_chat_id,
                method="sendDocument",
                payload=_calendar_payload(meeting, cell.name, agenda, default_language, now),
                due_at=now,
                now=now,
            )
        meeting.broadcast_at = now
        await session.flush()
        reply = await _card(session, caller, meeting, cell, now, None)
        return Reply(
            Text(
                "broadcast.done",
                {
                    "count": len(members),
                    "group": Text("broadcast.and_group") if cell.group_chat_id else "",
                    "card": reply.text,
                },
            ),
            reply.buttons,
        )


async def _notify_invitees(
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    key: str,
    text: Text,
    now: datetime,
    default_language: str,
    calendar: bool,
    ask_again: bool = False,
) -> None:
    """Tell everyone invited (and the group) what changed, once per change; ``ask_again``
    attaches the answer buttons (a new time needs a new answer)."""
    invitees = (
        await session.scalars(
            select(Person)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.meeting_id == meeting.id)
        )
    ).all()
    agenda = await agenda_lines(session, meeting.id)
    for person in invitees:
        lang = person.language or default_language
        await outbox.enqueue_message(
            session,
            key=f"{key}:{person.id}",
            chat_id=person.telegram_user_id,
            text=text,
            lang=lang,
            now=now,
            buttons=await rsvp_buttons(session, meeting.id, person.telegram_user_id, now)
            if ask_again
            else (),
        )
        if calendar:
            await outbox.enqueue(
                session,
                key=f"{key}-ics:{person.id}",
                chat_id=person.telegram_user_id,
                method="sendDocument",
                payload=_calendar_payload(
                    meeting,
                    cell.name,
                    agenda,
                    lang,
                    now,
                    cancelled=meeting.status is MeetingStatus.CANCELLED,
                ),
                due_at=now,
                now=now,
            )
    if cell.group_chat_id is not None and meeting.broadcast_at is not None:
        await outbox.enqueue_message(
            session,
            key=f"{key}:group",
            chat_id=cell.group_chat_id,
            text=text,
            lang=default_language,
            now=now,
        )


async def _withdraw_reminders(session: AsyncSession, meeting_id: int) -> None:
    """Reminders queued for the old time (or a cancelled meeting) never go out."""
    await outbox.withdraw(session, prefix=f"reminder:{meeting_id}:")


# --- rescheduling and cancelling --------------------------------------------------------------


async def ask_new_time(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        _require_ahead(meeting, now)
        draft = Draft(cell.id, meeting.kind, meeting_id=meeting.id, place=meeting.place)
        return await _ask_when(session, caller, cell, draft, now, settings, None)


def _require_ahead(meeting: Meeting, now: datetime) -> None:
    """Only a meeting still ahead can be moved or cancelled (an old card's buttons included)."""
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    if meeting.starts_at <= now:
        raise refused("meeting.past")


async def _confirm_reschedule(
    session: AsyncSession, caller: Caller, draft: Draft, now: datetime
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    await pending.forget(session, caller=caller)
    assert draft.starts_at is not None and draft.meeting_id is not None
    go = await make_button(Text("reschedule.confirm_button"), "meeting.move", draft=draft.to_json())
    keep = await make_button(Text("common.cancel"), "meeting.card", meeting_id=draft.meeting_id)
    return Reply(Text("reschedule.confirm", {"when": draft.starts_at}), ((go, keep),))


async def reschedule(
    database: Database,
    caller: Caller,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    default_language: str,
) -> Reply:
    async with database.transaction() as session:
        assert draft.meeting_id is not None and draft.starts_at is not None
        _, _, meeting, cell = await managed_meeting(
            session, caller, draft.meeting_id, for_update=True
        )
        _require_ahead(meeting, now)
        if draft.starts_at <= now:
            raise refused("date.past")
        late = meeting.kind is MeetingKind.REGULAR and is_after_cutoff(
            draft.starts_at, await _cutoff_day(session, cell), settings.zone
        )
        if meeting.kind is MeetingKind.REGULAR:
            month = Month.of(draft.starts_at, settings.zone)
            if await _existing_regular(session, cell.id, month, settings.zone, meeting.id):
                raise refused("error.stale_button")
            if late and not draft.late_ok:
                raise refused("error.stale_button")
        old_start = meeting.starts_at
        if old_start == draft.starts_at:
            return await _card(session, caller, meeting, cell, now, None)
        meeting.starts_at = draft.starts_at
        meeting.ends_at = draft.starts_at + DEFAULT_DURATION
        meeting.late = late
        meeting.version += 1
        await _withdraw_reminders(session, meeting.id)
        # A new time is a new question: whoever could not come then may come now.
        await session.execute(
            update(Invitation)
            .where(Invitation.meeting_id == meeting.id)
            .values(response=None, reason=None, reason_note=None, responded_at=None)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
        await _notify_invitees(
            session,
            meeting,
            cell,
            f"moved:{meeting.id}:{meeting.version}",
            Text(
                "meeting.moved",
                {
                    "kind": Text(KIND_TEXT[meeting.kind]),
                    "cell": cell.name,
                    "old": old_start,
                    "new": meeting.starts_at,
                    "place": meeting.place,
                },
            ),
            now,
            default_language,
            calendar=True,
            ask_again=True,
        )
        return await _card(session, caller, meeting, cell, now, Text("reschedule.done"))


async def ask_cancel(database: Database, caller: Caller, meeting_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        _require_ahead(meeting, now)
        yes = await make_button(
            Text("meeting.cancel_confirm_button"), "meeting.cancel", meeting_id=meeting.id
        )
        no = await make_button(Text("common.back"), "meeting.card", meeting_id=meeting.id)
        return Reply(
            Text("meeting.cancel_confirm", {"summary": summary(meeting, cell.name)}), ((yes, no),)
        )


async def cancel(
    database: Database, caller: Caller, meeting_id: int, now: datetime, default_language: str
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
        if meeting.status is MeetingStatus.CANCELLED:
            return await _card(session, caller, meeting, cell, now, None)
        _require_ahead(meeting, now)
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancelled_at = now
        await _withdraw_reminders(session, meeting.id)
        # Invitations still waiting (a flood wait, a retry) would arrive after the cancellation.
        await outbox.withdraw(session, prefix=f"invite:{meeting.id}:")
        await outbox.withdraw(session, prefix=f"invite-ics:{meeting.id}:")
        await session.flush()
        await _notify_invitees(
            session,
            meeting,
            cell,
            f"cancelled:{meeting.id}",
            Text(
                "meeting.cancelled_notice",
                {
                    "kind": Text(KIND_TEXT[meeting.kind]),
                    "cell": cell.name,
                    "when": meeting.starts_at,
                },
            ),
            now,
            default_language,
            calendar=True,
        )
        return await _card(session, caller, meeting, cell, now, Text("meeting.cancelled_done"))


# --- the cell's plan --------------------------------------------------------------------------


async def plan(
    database: Database,
    caller: Caller,
    now: datetime,
    settings: ServiceSettings,
    cell_id: int | None = None,
) -> Reply:
    """/meetings: this month's regular meeting against the cutoff, this quarter's thematic
    meeting, and what is coming."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "meetings.cell", now)
        if isinstance(cell, Reply):
            return cell
        await pending.forget(session, caller=caller)
        zone = settings.zone
        cutoff_day = await _cutoff_day(session, cell)
        month, quarter = Month.of(now, zone), Quarter.of(now, zone)
        regular = await _existing_regular(session, cell.id, month, zone, None)
        q_start, q_end = quarter.bounds(zone)
        thematic = await session.scalar(
            select(Meeting)
            .where(
                Meeting.cell_id == cell.id,
                Meeting.kind == MeetingKind.THEMATIC,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at >= q_start,
                Meeting.starts_at < q_end,
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
        upcoming = (
            await session.scalars(
                select(Meeting)
                .where(
                    Meeting.cell_id == cell.id,
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.ends_at > now,
                )
                .order_by(Meeting.starts_at)
                .limit(10)
            )
        ).all()
        if regular is None:
            regular_text = Text("meetings.regular.none")
        elif regular.late:
            regular_text = Text("meetings.regular.late", {"when": regular.starts_at})
        else:
            regular_text = Text("meetings.regular.on_time", {"when": regular.starts_at})
        rows: list[tuple[Button, ...]] = []
        for meeting in upcoming:
            rows.append(
                (
                    await make_button(
                        Text(
                            "meetings.open",
                            {
                                "when": meeting.starts_at,
                                "kind": Text(KIND_TEXT[meeting.kind]),
                            },
                        ),
                        "meeting.card",
                        meeting_id=meeting.id,
                    ),
                )
            )
        proposal = await _proposal(session, cell, now, zone)
        if proposal is not None:
            draft = Draft(
                cell.id, MeetingKind.REGULAR, starts_at=proposal, place=cell.pattern_place
            )
            rows.append(
                (
                    await make_button(
                        Text(
                            "meetings.propose",
                            {"when": proposal, "place": cell.pattern_place or ""},
                        ),
                        "schedule.draft",
                        draft=draft.to_json(),
                        step="check",
                    ),
                )
            )
        rows.append(
            (
                await make_button(Text("meetings.schedule"), "schedule.cell", cell_id=cell.id),
                await make_button(Text("meetings.set_pattern"), "pattern.ask", cell_id=cell.id),
            )
        )
        return Reply(
            Text(
                "meetings.overview",
                {
                    "cell": cell.name,
                    "month": month.label,
                    "cutoff": cutoff_date(month, cutoff_day),
                    "regular": regular_text,
                    "quarter": quarter.label,
                    "thematic": Text("meetings.thematic.planned", {"when": thematic.starts_at})
                    if thematic
                    else Text("meetings.thematic.none"),
                    "upcoming": [
                        Text(
                            "meetings.upcoming.line",
                            {
                                "when": m.starts_at,
                                "kind": Text(KIND_TEXT[m.kind]),
                            },
                        )
                        for m in upcoming
                    ]
                    or [Text("meetings.upcoming.none")],
                },
            ),
            tuple(rows),
        )


async def _proposal(
    session: AsyncSession, cell: Cell, now: datetime, zone: ZoneInfo
) -> datetime | None:
    """The next regular meeting by the cell's usual pattern, if that month has none yet."""
    if cell.pattern_day is None or cell.pattern_time is None or cell.pattern_place is None:
        return None
    at = parse_time_of_day(cell.pattern_time) or time(8, 0)
    month = Month.of(now, zone)
    for candidate_month in (month, month.next()):
        moment = datetime.combine(
            date(candidate_month.year, candidate_month.month, cell.pattern_day), at, tzinfo=zone
        )
        if moment > now and not await _existing_regular(
            session, cell.id, candidate_month, zone, None
        ):
            return moment
    return None


async def ask_pattern(database: Database, caller: Caller, cell_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        if not can_manage_cell(actor, cell_id):
            raise refused("error.not_manager")
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_PATTERN,
            payload={"cell_id": cell_id},
            now=now,
        )
        return Reply(Text("pattern.ask"))


async def set_pattern(
    database: Database,
    caller: Caller,
    cell_id: int,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """`5 19:30 Hội trường`: the usual day of the month, time and place."""
    parts = typed.split(maxsplit=2)
    at = parse_time_of_day(parts[1]) if len(parts) == 3 else None
    place = _clean_text(parts[2], MAX_PLACE_LENGTH) if len(parts) == 3 else None
    if at is None or place is None or not parts[0].isdigit() or not 1 <= int(parts[0]) <= 28:
        raise refused("pattern.bad")
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await session.get(Cell, cell_id)
        if cell is None or not can_manage_cell(actor, cell_id):
            raise refused("error.not_manager")
        cell.pattern_day, cell.pattern_time, cell.pattern_place = (
            int(parts[0]),
            f"{at:%H:%M}",
            place,
        )
        await pending.forget(session, caller=caller)
    reply = await plan(database, caller, now, settings, cell_id=cell_id)
    # Typed, so answered by a message, which has no notice: the confirmation heads it.
    saved = Text("pattern.saved", {"day": int(parts[0]), "time": f"{at:%H:%M}", "place": place})
    return Reply(Text("common.notice_then", {"notice": saved, "text": reply.text}), reply.buttons)
