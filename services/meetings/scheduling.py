"""/schedule: the dialogue that makes a meeting (kind, day, time, place, theme, a late regular
meeting confirmed knowingly) and the meeting it creates; a new time for a meeting walks the
same steps to its own confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

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
from services import actions, pending
from services.access import managed_meeting
from services.cells.common import asks_which_cell, cell_of_manager, which_cell
from services.errors import Refused, refused
from services.meetings.card import card
from services.meetings.common import (
    Draft,
    Drafted,
    ForCell,
    cell_managed_by,
    cutoff_day,
    is_late,
    refuse_second_regular,
    typed_line,
)
from services.people import require_person
from services.request import Request
from services.routes import answer, button
from services.views import KIND_TEXT, date_problem, summary
from storage.models import AgendaItem, Cell, Meeting, Person
from storage.queries.meetings import last_place_of_cell, lock_cell, scheduled_meeting_at

ASK_WHEN = "schedule.when"
ASK_TIME = "schedule.time"
ASK_PLACE = "schedule.place"
ASK_THEME = "schedule.theme"

QUICK_TIMES = ("07:30", "14:00", "19:30")
DAYS_OFFERED = 7


class StepName(StrEnum):
    """Where a button of the dialogue takes the draft."""

    WHEN = "when"
    TIME = "time"
    CHECK = "check"
    CHECKED = "checked"
    PLACE = "place"
    THEME = "theme"


@dataclass(frozen=True)
class DraftStep:
    """A button of the dialogue: the draft, the step it goes to, and what the button chose
    (a day for the time step, a suggested place)."""

    draft: Draft
    step: StepName
    day: date | None = None
    answer: str | None = None


@dataclass(frozen=True)
class TypedForDraft:
    """The date, place or theme typed for a draft, which the question keeps until it is
    answered."""

    draft: Draft
    text: str


@dataclass(frozen=True)
class QuickTime:
    """One of the quick times pressed, for the day picked (stored as ``time``, as the
    buttons were issued)."""

    draft: Draft
    day: date
    time: str


@dataclass(frozen=True)
class TypedTime:
    """A time of day typed for the day picked, which the question keeps until it is
    answered."""

    draft: Draft
    day: date
    text: str


async def draft_button(
    make_button: actions.ButtonMaker, label: Text, draft: Draft, step: str, **payload: Any
) -> Button:
    """A button that takes the draft to ``step`` of the dialogue."""
    return await make_button(
        label, "schedule.draft", draft=draft.to_json(), step=str(step), **payload
    )


@dataclass(frozen=True)
class Step:
    """What each step of the dialogue works in: one transaction, for a manager of the cell."""

    request: Request
    session: AsyncSession
    cell: Cell

    @property
    def now(self) -> datetime:
        return self.request.now

    @property
    def make_button(self) -> actions.ButtonMaker:
        return self.request.buttons(self.session)

    async def ask(self, kind: str, draft: Draft, **payload: Any) -> None:
        """Wait for the answer to ``kind`` typed by the caller."""
        await self.request.ask(self.session, kind, {"draft": draft.to_json(), **payload})

    async def forget(self) -> None:
        """No answer is awaited any more."""
        await pending.forget(self.session, caller=self.request.caller)

    async def draft_button(
        self, label: Text, draft: Draft, step: StepName, **payload: Any
    ) -> Button:
        return await draft_button(self.make_button, label, draft, step, **payload)

    async def choices(
        self, draft: Draft, step: StepName, offered: Iterable[tuple[Text, dict[str, Any]]]
    ) -> list[Button]:
        """A button for each choice offered, each taking the draft to ``step`` with it."""
        return [await self.draft_button(label, draft, step, **chosen) for label, chosen in offered]


StepHandler = Callable[[Step, Draft, str | None], Awaitable[Reply]]


@asynccontextmanager
async def _step(request: Request, draft: Draft) -> AsyncIterator[Step]:
    """One step's transaction, the caller checked afresh as a manager of the draft's cell
    (and of the meeting it moves)."""
    async with request.transaction() as session:
        _, cell = await cell_managed_by(session, request.caller, draft.cell_id)
        if draft.meeting_id is not None:
            await managed_meeting(session, request.caller, draft.meeting_id)
        yield Step(request, session, cell)


@button("schedule.cell", ForCell)
async def start_scheduling(request: Request, chosen: ForCell) -> Reply:
    """/schedule: which kind of meeting."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        if asks_which_cell(actor, chosen.cell_id):
            return await which_cell(request.buttons(session), session, actor, "schedule.cell")
        cell = await cell_of_manager(session, actor, chosen.cell_id)
        make_button = request.buttons(session)
        rows = [
            (await draft_button(make_button, Text(KIND_TEXT[kind]), Draft(cell.id, kind), "when"),)
            for kind in MeetingKind
        ]
        return Reply(Text("schedule.ask_kind", {"cell": cell.name}), tuple(rows))


@button("schedule.draft", DraftStep)
async def take_step(request: Request, pressed: DraftStep) -> Reply:
    """Take the draft one step further, as its button says."""
    async with _step(request, pressed.draft) as step:
        if pressed.step is StepName.TIME:
            if pressed.day is None:
                raise refused("error.stale_button")
            return await _ask_time_of_day(step, pressed.draft, pressed.day)
        return await _STEPS[pressed.step](step, pressed.draft, pressed.answer)


@answer(ASK_WHEN, TypedForDraft)
async def typed_when(request: Request, typed: TypedForDraft) -> Reply:
    async with _step(request, typed.draft) as step:
        return await ask_when(step, typed.draft, typed.text)


@answer(ASK_PLACE, TypedForDraft)
async def typed_place(request: Request, typed: TypedForDraft) -> Reply:
    async with _step(request, typed.draft) as step:
        return await _ask_place(step, typed.draft, typed.text)


@answer(ASK_THEME, TypedForDraft)
async def typed_theme(request: Request, typed: TypedForDraft) -> Reply:
    async with _step(request, typed.draft) as step:
        return await _ask_theme(step, typed.draft, typed.text)


async def ask_when(step: Step, draft: Draft, answer: str | None) -> Reply:
    """The date and time: typed, or a day from buttons then a time."""
    zone = step.request.settings.zone
    if answer is not None:
        parsed = parse_local_datetime(answer, step.now, zone)
        if parsed.problem is not None or parsed.value is None:
            raise Refused(date_problem(parsed))
        return await _check_when(step, draft.but(starts_at=parsed.value))
    await step.ask(ASK_WHEN, draft)
    today = step.now.astimezone(zone).date()
    days = [today + timedelta(days=n) for n in range(1, DAYS_OFFERED + 1)]
    buttons = await step.choices(
        draft,
        StepName.TIME,
        [(Text("schedule.day_button", {"day": day}), {"day": day.isoformat()}) for day in days],
    )
    rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
    key = N_("reschedule.ask_when") if draft.meeting_id else N_("schedule.ask_when")
    return Reply(Text(key, {"kind": Text(KIND_TEXT[draft.kind])}), rows)


async def _ask_time_of_day(step: Step, draft: Draft, day: date) -> Reply:
    """A day was picked from the buttons: now the time, typed or from quick buttons."""
    await step.ask(ASK_TIME, draft, day=day.isoformat())
    buttons = tuple(
        [
            await step.make_button(
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


@button("schedule.at", QuickTime)
async def quick_time(request: Request, picked: QuickTime) -> Reply:
    return await _at_time_of_day(request, picked.draft, picked.day, picked.time)


@answer(ASK_TIME, TypedTime)
async def typed_time(request: Request, typed: TypedTime) -> Reply:
    return await _at_time_of_day(request, typed.draft, typed.day, typed.text)


async def _at_time_of_day(request: Request, draft: Draft, day: date, typed_time: str) -> Reply:
    moment = parse_time_of_day(typed_time)
    if moment is None:
        raise refused("schedule.bad_time")
    starts_at = datetime.combine(day, moment, tzinfo=request.settings.zone)
    if starts_at <= request.now:
        raise refused("date.past")
    async with _step(request, draft) as step:
        return await _check_when(step, draft.but(starts_at=starts_at))


async def _check_when(step: Step, draft: Draft, answer: str | None = None) -> Reply:
    """One regular meeting a month, and after the cutoff only knowingly (a step pressed from
    a button: nothing is typed for it)."""
    assert draft.starts_at is not None
    if draft.starts_at <= step.now:
        raise refused("date.past")
    if draft.kind is MeetingKind.REGULAR:
        zone = step.request.settings.zone
        await refuse_second_regular(
            step.session, step.cell.id, draft.starts_at, zone, draft.meeting_id
        )
        cutoff = await cutoff_day(step.session, step.cell)
        if not draft.late_ok and is_after_cutoff(draft.starts_at, cutoff, zone):
            await step.forget()
            return await _ask_late(step, draft, cutoff)
    return await _after_when(step, draft, None)


async def _ask_late(step: Step, draft: Draft, cutoff: int) -> Reply:
    assert draft.starts_at is not None
    yes = await step.draft_button(
        Text("schedule.late_yes"), draft.but(late_ok=True), StepName.CHECKED
    )
    other = await step.draft_button(
        Text("schedule.late_no"), draft.but(starts_at=None), StepName.WHEN
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
    last = await last_place_of_cell(step.session, cell.id)
    suggestions = dict.fromkeys(p for p in (cell.pattern_place, last) if p)
    buttons = await step.choices(
        draft,
        StepName.PLACE,
        [(Text("schedule.place_button", {"place": p}), {"answer": p}) for p in suggestions],
    )
    return Reply(Text("schedule.ask_place"), tuple((b,) for b in buttons))


async def _ask_theme(step: Step, draft: Draft, answer: str | None) -> Reply:
    if answer is not None:
        theme = typed_line(answer, MAX_AGENDA_ITEM_LENGTH)
        if theme is None:
            raise refused("schedule.bad_theme", max=MAX_AGENDA_ITEM_LENGTH)
        return await _confirm(step, draft.but(theme=theme))
    await step.ask(ASK_THEME, draft)
    return Reply(Text("schedule.ask_theme"))


async def _confirm(step: Step, draft: Draft) -> Reply:
    await step.forget()
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
    await step.forget()
    assert draft.starts_at is not None and draft.meeting_id is not None
    make_button = step.make_button
    go = await make_button(Text("reschedule.confirm_button"), "meeting.move", draft=draft.to_json())
    keep = await make_button(Text("common.cancel"), "meeting.card", meeting_id=draft.meeting_id)
    return Reply(Text("reschedule.confirm", {"when": draft.starts_at}), ((go, keep),))


_STEPS: dict[StepName, StepHandler] = {
    StepName.WHEN: ask_when,
    StepName.CHECK: _check_when,
    StepName.CHECKED: _after_when,
    StepName.PLACE: _ask_place,
    StepName.THEME: _ask_theme,
}


@button("schedule.abandon")
async def abandon(request: Request) -> Reply:
    async with request.transaction() as session:
        await pending.forget(session, caller=request.caller)
    return Reply(Text("schedule.abandoned"))


@button("schedule.create", Drafted)
async def create(request: Request, confirmed: Drafted) -> Reply:
    """Write the meeting and its starting agenda, after checking the draft once more."""
    draft, caller, now, zone = confirmed.draft, request.caller, request.now, request.settings.zone
    async with request.transaction() as session:
        person, cell = await cell_managed_by(session, caller, draft.cell_id)
        if draft.starts_at is None or draft.place is None:
            raise refused("error.stale_button")
        if draft.starts_at <= now:
            raise refused("date.past")
        # One writer per cell at a time: two presses (or replicas) can't both pass the checks.
        await lock_cell(session, cell.id)
        twin = await scheduled_meeting_at(session, cell.id, draft.kind, draft.starts_at)
        if twin is not None:
            # The same confirmation pressed twice: show the meeting it already made.
            return await card(session, caller, twin, cell, now, Text("schedule.created"))
        late = await is_late(session, cell, draft.kind, draft.starts_at, zone)
        if draft.kind is MeetingKind.REGULAR:
            await refuse_second_regular(session, cell.id, draft.starts_at, zone, None)
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
