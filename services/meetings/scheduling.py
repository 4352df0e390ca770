"""/schedule: the dialogue that makes a meeting (kind, day, time, place, theme, a late regular
meeting confirmed knowingly) and the meeting it creates; a new time for a meeting walks the
same steps to its own confirmation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import is_after_cutoff
from domain.dates import parse_local_datetime, parse_time_of_day
from domain.meetings import (
    DEFAULT_DURATION,
    MAX_AGENDA_ITEM_LENGTH,
    MAX_PLACE_LENGTH,
    MeetingKind,
    MeetingStatus,
    agenda_template,
)
from domain.messages import N_, Button, Reply, Text
from domain.permissions import can_manage_cell
from services import actions, pending
from services.access import managed_meeting
from services.cells.common import managed_cell
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.meetings.card import card
from services.meetings.common import (
    Draft,
    cell_managed_by,
    cutoff_day,
    is_late,
    refuse_second_regular,
    typed_line,
)
from services.people import Caller, require_person
from services.views import KIND_TEXT, date_problem, summary
from storage.db import Database
from storage.models import AgendaItem, Cell, Meeting, Person

ASK_WHEN = "schedule.when"
ASK_TIME = "schedule.time"
ASK_PLACE = "schedule.place"
ASK_THEME = "schedule.theme"

QUICK_TIMES = ("07:30", "14:00", "19:30")
DAYS_OFFERED = 7


async def draft_button(
    make_button: actions.ButtonMaker, label: Text, draft: Draft, step: str, **payload: Any
) -> Button:
    """A button that takes the draft to ``step`` of the dialogue."""
    return await make_button(label, "schedule.draft", draft=draft.to_json(), step=step, **payload)


async def _ask_about(
    session: AsyncSession,
    caller: Caller,
    kind: str,
    draft: Draft,
    now: datetime,
    **payload: Any,
) -> None:
    await pending.ask(
        session, caller=caller, kind=kind, payload={"draft": draft.to_json(), **payload}, now=now
    )


@dataclass(frozen=True)
class Step:
    """What each step of the dialogue works in: one transaction, for a manager of the cell."""

    session: AsyncSession
    caller: Caller
    cell: Cell
    now: datetime
    settings: ServiceSettings

    @property
    def make_button(self) -> actions.ButtonMaker:
        return actions.ButtonMaker(self.session, self.caller.telegram_user_id, self.now)

    async def ask(self, kind: str, draft: Draft) -> None:
        """Wait for the answer to ``kind`` typed by the caller."""
        await _ask_about(self.session, self.caller, kind, draft, self.now)


StepHandler = Callable[[Step, Draft, str | None], Awaitable[Reply]]


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
        rows = [
            (await draft_button(make_button, Text(KIND_TEXT[kind]), Draft(cell.id, kind), "when"),)
            for kind in MeetingKind
        ]
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
        _, cell = await cell_managed_by(session, caller, draft.cell_id)
        if draft.meeting_id is not None:
            await managed_meeting(session, caller, draft.meeting_id)
        step_handler = _STEPS.get(step)
        if step_handler is None:
            raise refused("error.stale_button")
        return await step_handler(Step(session, caller, cell, now, settings), draft, answer)


async def ask_when(step: Step, draft: Draft, answer: str | None) -> Reply:
    """The date and time: typed, or a day from buttons then a time."""
    if answer is not None:
        parsed = parse_local_datetime(answer, step.now, step.settings.zone)
        if parsed.problem is not None or parsed.value is None:
            raise Refused(date_problem(parsed))
        return await _check_when(step, draft.but(starts_at=parsed.value))
    await step.ask(ASK_WHEN, draft)
    today = step.now.astimezone(step.settings.zone).date()
    days = [today + timedelta(days=n) for n in range(1, DAYS_OFFERED + 1)]
    buttons = [
        await draft_button(
            step.make_button,
            Text("schedule.day_button", {"day": day}),
            draft,
            "time",
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
        await _ask_about(session, caller, ASK_TIME, draft, now, day=day.isoformat())
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
        _, cell = await cell_managed_by(session, caller, draft.cell_id)
        step = Step(session, caller, cell, now, settings)
        return await _check_when(step, draft.but(starts_at=starts_at))


async def _check_when(step: Step, draft: Draft, answer: str | None = None) -> Reply:
    """One regular meeting a month, and after the cutoff only knowingly (a step pressed from
    a button: nothing is typed for it)."""
    assert draft.starts_at is not None
    if draft.starts_at <= step.now:
        raise refused("date.past")
    if draft.kind is MeetingKind.REGULAR:
        zone = step.settings.zone
        await refuse_second_regular(
            step.session, step.cell.id, draft.starts_at, zone, draft.meeting_id
        )
        cutoff = await cutoff_day(step.session, step.cell)
        if not draft.late_ok and is_after_cutoff(draft.starts_at, cutoff, zone):
            await pending.forget(step.session, caller=step.caller)
            return await _ask_late(step, draft, cutoff)
    return await _after_when(step, draft, None)


async def _ask_late(step: Step, draft: Draft, cutoff: int) -> Reply:
    assert draft.starts_at is not None
    yes = await draft_button(
        step.make_button, Text("schedule.late_yes"), draft.but(late_ok=True), "checked"
    )
    other = await draft_button(
        step.make_button, Text("schedule.late_no"), draft.but(starts_at=None), "when"
    )
    return Reply(
        Text("schedule.late_confirm", {"when": draft.starts_at, "cutoff_day": cutoff}),
        ((yes,), (other,)),
    )


async def _after_when(step: Step, draft: Draft, answer: str | None) -> Reply:
    if draft.meeting_id is not None:
        return await _confirm_reschedule(step, draft)
    if draft.place is not None and draft.kind is not MeetingKind.THEMATIC:
        return await _confirm(step, draft)
    return await _ask_place(step, draft, None)


async def _ask_place(step: Step, draft: Draft, answer: str | None) -> Reply:
    if answer is not None:
        place = typed_line(answer, MAX_PLACE_LENGTH)
        if place is None:
            raise refused("schedule.bad_place", max=MAX_PLACE_LENGTH)
        draft = draft.but(place=place)
        if draft.kind is MeetingKind.THEMATIC:
            return await _ask_theme(step, draft, None)
        return await _confirm(step, draft)
    await step.ask(ASK_PLACE, draft)
    cell = step.cell
    suggestions = [p for p in (cell.pattern_place, await _last_place(step.session, cell.id)) if p]
    rows = [
        (
            await draft_button(
                step.make_button,
                Text("schedule.place_button", {"place": place}),
                draft,
                "place",
                answer=place,
            ),
        )
        for place in dict.fromkeys(suggestions)
    ]
    return Reply(Text("schedule.ask_place"), tuple(rows))


async def _last_place(session: AsyncSession, cell_id: int) -> str | None:
    return await session.scalar(
        select(Meeting.place)
        .where(Meeting.cell_id == cell_id)
        .order_by(Meeting.created_at.desc())
        .limit(1)
    )


async def _ask_theme(step: Step, draft: Draft, answer: str | None) -> Reply:
    if answer is not None:
        theme = typed_line(answer, MAX_AGENDA_ITEM_LENGTH)
        if theme is None:
            raise refused("schedule.bad_theme", max=MAX_AGENDA_ITEM_LENGTH)
        return await _confirm(step, draft.but(theme=theme))
    await step.ask(ASK_THEME, draft)
    return Reply(Text("schedule.ask_theme"))


async def _confirm(step: Step, draft: Draft) -> Reply:
    await pending.forget(step.session, caller=step.caller)
    assert draft.starts_at is not None and draft.place is not None
    preview = Meeting(
        kind=draft.kind,
        starts_at=draft.starts_at,
        place=draft.place,
        theme=draft.theme,
        late=draft.late_ok,
    )
    make_button = step.make_button
    create = await make_button(Text("schedule.create"), "schedule.create", draft=draft.to_json())
    cancel = await make_button(Text("common.cancel"), "schedule.abandon")
    return Reply(
        Text("schedule.confirm", {"summary": summary(preview, step.cell.name)}),
        ((create, cancel),),
    )


async def _confirm_reschedule(step: Step, draft: Draft) -> Reply:
    await pending.forget(step.session, caller=step.caller)
    assert draft.starts_at is not None and draft.meeting_id is not None
    make_button = step.make_button
    go = await make_button(Text("reschedule.confirm_button"), "meeting.move", draft=draft.to_json())
    keep = await make_button(Text("common.cancel"), "meeting.card", meeting_id=draft.meeting_id)
    return Reply(Text("reschedule.confirm", {"when": draft.starts_at}), ((go, keep),))


_STEPS: dict[str, StepHandler] = {
    "when": ask_when,
    "check": _check_when,
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
        person, cell = await cell_managed_by(session, caller, draft.cell_id)
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
            return await card(session, caller, twin, cell, now, Text("schedule.created"))
        late = await is_late(session, cell, draft.kind, draft.starts_at, settings.zone)
        if draft.kind is MeetingKind.REGULAR:
            await refuse_second_regular(session, cell.id, draft.starts_at, settings.zone, None)
            if late and not draft.late_ok:
                raise refused("error.stale_button")
        meeting = await _write_meeting(session, draft, draft.starts_at, cell, person, late, now)
        await pending.forget(session, caller=caller)
        return await card(session, caller, meeting, cell, now, Text("schedule.created"))


async def _write_meeting(
    session: AsyncSession,
    draft: Draft,
    starts_at: datetime,
    cell: Cell,
    person: Person,
    late: bool,
    now: datetime,
) -> Meeting:
    """The meeting row and its starting agenda: the theme first, then the kind's template."""
    meeting = Meeting(
        cell_id=cell.id,
        kind=draft.kind,
        status=MeetingStatus.SCHEDULED,
        starts_at=starts_at,
        ends_at=starts_at + DEFAULT_DURATION,
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
    return meeting
