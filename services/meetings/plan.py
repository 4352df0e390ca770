"""/meetings: the cell's plan (this month's regular meeting against the cutoff, this quarter's
thematic one, what is coming, the next meeting by the usual pattern) and that pattern."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, Quarter, cutoff_date, plan_due_date, plan_due_over
from domain.dates import parse_time_of_day
from domain.meetings import MAX_PLACE_LENGTH, MeetingKind
from domain.messages import N_, ArgValue, Button, Reply, Text
from domain.permissions import can_manage_cell
from services import actions, pending
from services.cells.common import asks_which_cell, cell_of_manager, which_cell
from services.errors import refused
from services.meetings.common import (
    Draft,
    ForCell,
    OfCell,
    cell_managed_by,
    cutoff_day,
    existing_regular,
    plan_due_day,
    typed_line,
)
from services.meetings.scheduling import draft_button
from services.people import require_person
from services.request import Request
from services.routes import answer, button
from services.views import KIND_TEXT
from storage.models import Cell, Meeting
from storage.queries.meetings import scheduled_meeting_between, upcoming_meetings

ASK_PATTERN = "pattern"
UPCOMING_SHOWN = 10


@dataclass(frozen=True)
class _NextMonth:
    """Where the organisation has a plan-by day: next month, the day to plan it by (and
    whether it is over), and its regular meeting if planned."""

    month: Month
    deadline: date
    overdue: bool
    regular: Meeting | None


@dataclass(frozen=True)
class _Plan:
    """What the cell has planned, as of now."""

    month: Month
    quarter: Quarter
    cutoff_day: int
    regular: Meeting | None
    thematic: Meeting | None
    upcoming: Sequence[Meeting]
    proposal: datetime | None
    next_month: _NextMonth | None


@dataclass(frozen=True)
class PatternText:
    """The usual day, time and place typed for the cell, as ``5 19:30 Hội trường``; the
    question keeps the cell."""

    cell_id: int
    text: str


@button("meetings.cell", ForCell)
async def plan(request: Request, chosen: ForCell) -> Reply:
    """/meetings: this month's regular meeting against the cutoff, this quarter's thematic
    meeting, and what is coming."""
    caller, now = request.caller, request.now
    async with request.transaction() as session:
        _, actor = await require_person(session, caller)
        if asks_which_cell(actor, chosen.cell_id):
            return await which_cell(request.buttons(session), session, actor, "meetings.cell")
        cell = await cell_of_manager(session, actor, chosen.cell_id)
        await pending.forget(session, caller=caller)
        planned = await _planned(session, cell, now, request.settings.zone)
        return await _plan_view(request.buttons(session), cell, planned)


async def _planned(session: AsyncSession, cell: Cell, now: datetime, zone: ZoneInfo) -> _Plan:
    month, quarter = Month.of(now, zone), Quarter.of(now, zone)
    q_start, q_end = quarter.bounds(zone)
    return _Plan(
        month=month,
        quarter=quarter,
        cutoff_day=await cutoff_day(session, cell),
        regular=await existing_regular(session, cell.id, month, zone, None),
        thematic=await scheduled_meeting_between(
            session, cell.id, MeetingKind.THEMATIC, q_start, q_end
        ),
        upcoming=await upcoming_meetings(session, cell.id, now, UPCOMING_SHOWN),
        proposal=await _proposal(session, cell, now, zone),
        next_month=await _next_month(session, cell, now, zone),
    )


async def _next_month(
    session: AsyncSession, cell: Cell, now: datetime, zone: ZoneInfo
) -> _NextMonth | None:
    day = await plan_due_day(session, cell)
    if day is None:
        return None
    month = Month.of(now, zone).next()
    return _NextMonth(
        month,
        plan_due_date(month, day),
        plan_due_over(month, day, zone, now),
        await existing_regular(session, cell.id, month, zone, None),
    )


def _plan_due_text(next_month: _NextMonth) -> Text:
    """Next month against the day to plan it by: planned, still to plan, or overdue."""
    about: dict[str, ArgValue] = {"month": next_month.month.label, "deadline": next_month.deadline}
    if next_month.regular is not None:
        return Text("meetings.plan_due.planned", {**about, "when": next_month.regular.starts_at})
    if next_month.overdue:
        return Text("meetings.plan_due.overdue", about)
    return Text("meetings.plan_due.unplanned", about)


def _when_and_kind(key: str, meeting: Meeting) -> Text:
    return Text(key, {"when": meeting.starts_at, "kind": Text(KIND_TEXT[meeting.kind])})


def _regular_text(regular: Meeting | None) -> Text:
    if regular is None:
        return Text("meetings.regular.none")
    if regular.late:
        return Text("meetings.regular.late", {"when": regular.starts_at})
    return Text("meetings.regular.on_time", {"when": regular.starts_at})


async def _plan_view(make_button: actions.ButtonMaker, cell: Cell, planned: _Plan) -> Reply:
    rows: list[tuple[Button, ...]] = [
        (
            await make_button(
                _when_and_kind(N_("meetings.open"), meeting), "meeting.card", meeting_id=meeting.id
            ),
        )
        for meeting in planned.upcoming
    ]
    if planned.proposal is not None:
        draft = Draft(
            cell.id, MeetingKind.REGULAR, starts_at=planned.proposal, place=cell.pattern_place
        )
        label = Text(
            "meetings.propose", {"when": planned.proposal, "place": cell.pattern_place or ""}
        )
        rows.append((await draft_button(make_button, label, draft, "check"),))
    rows.append(
        (
            await make_button(Text("meetings.schedule"), "schedule.cell", cell_id=cell.id),
            await make_button(Text("meetings.set_pattern"), "pattern.ask", cell_id=cell.id),
        )
    )
    thematic = planned.thematic
    overview: dict[str, ArgValue] = {
        "cell": cell.name,
        "month": planned.month.label,
        "cutoff": cutoff_date(planned.month, planned.cutoff_day),
        "regular": _regular_text(planned.regular),
        "quarter": planned.quarter.label,
        "thematic": Text("meetings.thematic.planned", {"when": thematic.starts_at})
        if thematic
        else Text("meetings.thematic.none"),
        "upcoming": [_when_and_kind(N_("meetings.upcoming.line"), m) for m in planned.upcoming]
        or [Text("meetings.upcoming.none")],
    }
    text = Text("meetings.overview", overview)
    if planned.next_month is not None:
        text = Text(
            "meetings.overview.plan_due",
            {"overview": text, "plan_due": _plan_due_text(planned.next_month)},
        )
    return Reply(text, tuple(rows))


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
        if moment > now and not await existing_regular(
            session, cell.id, candidate_month, zone, None
        ):
            return moment
    return None


@button("pattern.ask", OfCell)
async def ask_pattern(request: Request, about: OfCell) -> Reply:
    caller = request.caller
    async with request.transaction() as session:
        _, actor = await require_person(session, caller)
        if not can_manage_cell(actor, about.cell_id):
            raise refused("error.not_manager")
        await request.ask(session, ASK_PATTERN, {"cell_id": about.cell_id})
        return Reply(Text("pattern.ask"))


@answer(ASK_PATTERN, PatternText)
async def set_pattern(request: Request, typed: PatternText) -> Reply:
    """`5 19:30 Hội trường`: the usual day of the month, time and place."""
    parts = typed.text.split(maxsplit=2)
    at = parse_time_of_day(parts[1]) if len(parts) == 3 else None
    place = typed_line(parts[2], MAX_PLACE_LENGTH) if len(parts) == 3 else None
    if at is None or place is None or not parts[0].isdigit() or not 1 <= int(parts[0]) <= 28:
        raise refused("pattern.bad")
    async with request.transaction() as session:
        _, cell = await cell_managed_by(session, request.caller, typed.cell_id)
        cell.pattern_day, cell.pattern_time, cell.pattern_place = (
            int(parts[0]),
            f"{at:%H:%M}",
            place,
        )
        await pending.forget(session, caller=request.caller)
    reply = await plan(request, ForCell(typed.cell_id))
    # Typed, so answered by a message, which has no notice: the confirmation heads it.
    saved = Text("pattern.saved", {"day": int(parts[0]), "time": f"{at:%H:%M}", "place": place})
    return Reply(Text("common.notice_then", {"notice": saved, "text": reply.text}), reply.buttons)
