"""Attendance: who said what, check-in at the meeting, the roll, quorum and repeated absences."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import (
    CheckinProblem,
    RollFigures,
    RollStatus,
    absence_year,
    checkin_opens,
    checkin_problem,
    is_expected,
    prefilled,
    repeatedly_absent,
    roll_figures,
)
from domain.meetings import REASON_TEXT, AbsenceReason, MeetingStatus, Response
from domain.messages import N_, Button, Reply, Text
from services import outbox
from services.access import managed_meeting
from services.actions import ButtonMaker
from services.cells.common import managed_cell, page_buttons
from services.config import ServiceSettings
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT, summary
from storage.models import Cell, Invitation, Meeting, Membership, Person
from storage.queries.attendance import (
    invitation_of_person,
    invitees_of_meeting,
    next_meeting_of_cell,
    scheduled_meetings_of_cells_between,
    supervisors_of_cell,
    unexcused_absences_between,
)
from storage.repositories import active_members, cell_managers

ROLL_PAGE_SIZE = 20
RECENTLY_ENDED = timedelta(hours=12)
LOOKAHEAD = timedelta(hours=24)
CODE_DIGITS = 6

STATUS_MARK = {
    RollStatus.UNDECIDED: "❔",
    RollStatus.PRESENT: "✅",
    RollStatus.EXCUSED: "🟡",
    RollStatus.UNEXCUSED: "❌",
}
STATUS_TEXT = {
    RollStatus.UNDECIDED: N_("roll.status.undecided"),
    RollStatus.PRESENT: N_("roll.status.present"),
    RollStatus.EXCUSED: N_("roll.status.excused"),
    RollStatus.UNEXCUSED: N_("roll.status.unexcused"),
}
CHECKIN_PROBLEM_TEXT = {
    CheckinProblem.TOO_EARLY: N_("checkin.too_early"),
    CheckinProblem.ENDED: N_("checkin.ended"),
}


@dataclass(frozen=True)
class OfCell:
    cell_id: int


@dataclass(frozen=True)
class OfMeeting:
    meeting_id: int


@dataclass(frozen=True)
class CheckinCode:
    """The code shown in the room, as a member typed it."""

    code: str


@dataclass(frozen=True)
class RollPage:
    meeting_id: int
    page: int = 0


@dataclass(frozen=True)
class Tap:
    """The secretary's tap on a member of the roll, with the mark they saw on it."""

    invitation_id: int
    seen: str
    page: int


@dataclass(frozen=True)
class Closing:
    meeting_id: int
    confirmed: bool = False


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


# --- the secretary's view of the answers -------------------------------------------------------


async def overview(request: Request) -> Reply:
    """/attendance: the next meeting's answers by kind, with names and reasons."""
    return await _overview_of_cell(request, None)


@button("attendance.cell", OfCell)
async def overview_of_cell(request: Request, of: OfCell) -> Reply:
    return await _overview_of_cell(request, of.cell_id)


@button("attendance.meeting", OfMeeting)
async def overview_of_meeting(request: Request, of: OfMeeting) -> Reply:
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, of.meeting_id)
        return await _overview(session, request, meeting, cell)


async def _overview_of_cell(request: Request, cell_id: int | None) -> Reply:
    """The overview of the cell's next meeting; which cell, for a manager of several."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        picked = await managed_cell(
            session, request.caller, actor, cell_id, "attendance.cell", request.now
        )
        if isinstance(picked, Reply):
            return picked
        meeting = await next_meeting_of_cell(session, picked.id, request.now)
        if meeting is None:
            return Reply(Text("attendance.no_meeting", {"cell": picked.name}))
        return await _overview(session, request, meeting, picked)


@dataclass(frozen=True)
class _Answers:
    """The expected members' names, by what they answered."""

    attend: list[Text] = field(default_factory=list)
    absent: list[Text] = field(default_factory=list)
    silent: list[Text] = field(default_factory=list)


async def _overview(session: AsyncSession, request: Request, meeting: Meeting, cell: Cell) -> Reply:
    members = await active_members(session, cell.id)
    exempted = {m.person_id for m in members if not is_expected(m.status)}
    invitations = {i.person_id: i for i, _ in await invitees_of_meeting(session, meeting.id)}
    answers = _answers_by_kind([m for m in members if m.person_id not in exempted], invitations)
    rows: tuple[tuple[Button, ...], ...] = ()
    in_window = checkin_opens(meeting.starts_at) <= request.now < meeting.ends_at
    if in_window and meeting.roll_closed_at is None:
        if meeting.checkin_code is None:
            meeting.checkin_code = new_code()
        make_button = request.buttons(session)
        rows = (
            (await make_button(Text("attendance.open_roll"), "roll.open", meeting_id=meeting.id),),
        )
    code = meeting.checkin_code if in_window else None
    return Reply(_overview_text(meeting, cell, answers, len(exempted), code), rows)


def _answers_by_kind(
    expected: Sequence[Membership], invitations: dict[int, Invitation]
) -> _Answers:
    answers = _Answers()
    for membership in expected:
        person = membership.person
        invitation = invitations.get(person.id)
        response = invitation.response if invitation else None
        checked = " ✔" if invitation is not None and invitation.checked_in_at else ""
        if response is Response.ABSENT and invitation is not None:
            answers.absent.append(
                Text(
                    "attendance.absent_name",
                    {"name": person.full_name, "reason": _reason(invitation)},
                )
            )
            continue
        name = Text("attendance.name", {"name": person.full_name, "checked": checked})
        (answers.attend if response is Response.ATTEND else answers.silent).append(name)
    return answers


def _overview_text(
    meeting: Meeting, cell: Cell, answers: _Answers, exempted: int, code: str | None
) -> Text:
    return Text(
        "attendance.overview",
        {
            "summary": summary(meeting, cell.name),
            "expected": len(answers.attend) + len(answers.absent) + len(answers.silent),
            "exempted": Text("attendance.exempted_clause", {"count": exempted}) if exempted else "",
            "attend_count": len(answers.attend),
            "attend": answers.attend or "—",
            "absent_count": len(answers.absent),
            "absent": answers.absent or "—",
            "none_count": len(answers.silent),
            "none": answers.silent or "—",
            "code": Text("attendance.code", {"code": code}) if code else "",
        },
    )


def _reason(invitation: Invitation) -> Text | str:
    reason = AbsenceReason(invitation.reason or AbsenceReason.OTHER)
    if reason is AbsenceReason.OTHER and invitation.reason_note:
        return invitation.reason_note
    return Text(REASON_TEXT[reason])


# --- check-in ---------------------------------------------------------------------------------


async def check_in_now(request: Request) -> Reply:
    """/checkin: into the meeting under way (or the one the member is early or late for)."""
    return await _check_in(request)


@button("checkin", OfMeeting)
async def check_in(request: Request, of: OfMeeting) -> Reply:
    """The button of the prompt sent as check-in opens."""
    return await _check_in(request, meeting_id=of.meeting_id)


async def check_in_with_code(request: Request, typed: CheckinCode) -> Reply:
    """The room's code, typed when no question is open."""
    return await _check_in(request, code=typed.code)


async def _check_in(
    request: Request, *, meeting_id: int | None = None, code: str | None = None
) -> Reply:
    """A member checks in during the meeting window, by button or by the room's code."""
    now = request.now
    async with request.transaction() as session:
        person, actor = await require_person(session, request.caller)
        cells = [role.cell_id for role in actor.cell_roles]
        if meeting_id is not None:
            meeting = await session.get(Meeting, meeting_id)
        else:
            meeting = await _meeting_by_code_or_now(session, cells, code, now)
        if meeting is None or meeting.cell_id not in cells:
            raise refused(N_("checkin.no_meeting") if code is None else N_("checkin.bad_code"))
        # Locked as the roll's closing locks it, so that a check-in never lands in a closed roll.
        await session.refresh(meeting, with_for_update=True)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        problem = checkin_problem(now, meeting.starts_at, meeting.ends_at)
        if problem is not None:
            raise refused(CHECKIN_PROBLEM_TEXT[problem], opens=checkin_opens(meeting.starts_at))
        if meeting.roll_closed_at is not None:
            raise refused("checkin.roll_closed")
        invitation = await invitation_of_person(session, meeting.id, person.id)
        if invitation is None:
            invitation = Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now)
            session.add(invitation)
        cell = await session.get(Cell, meeting.cell_id)
        assert cell is not None
        if invitation.checked_in_at is not None:
            already = Text("checkin.already", {"when": invitation.checked_in_at})
            return Reply(already, notice=already)
        invitation.checked_in_at = now
        if meeting.roll_opened_at is not None:
            invitation.roll_status = RollStatus.PRESENT
        return Reply(
            Text("checkin.done", {"summary": summary(meeting, cell.name)}),
            notice=Text("checkin.done_notice"),
        )


async def _meeting_by_code_or_now(
    session: AsyncSession, cell_ids: list[int], code: str | None, now: datetime
) -> Meeting | None:
    """The meeting a member means by checking in now: the one under way, else the next one
    today, else one just over (matching the code, when given), so that the member hears why
    check-in is not possible rather than that there is no meeting."""
    if not cell_ids:
        return None
    candidates = await scheduled_meetings_of_cells_between(
        session,
        cell_ids,
        starting_by=now + LOOKAHEAD,
        ending_after=now - RECENTLY_ENDED,
        checkin_code=code,
    )
    under_way = [m for m in candidates if checkin_problem(now, m.starts_at, m.ends_at) is None]
    upcoming = [m for m in candidates if m.starts_at > now]
    return next(iter(under_way or upcoming or candidates[::-1]), None)


# --- the roll -----------------------------------------------------------------------------------


@button("roll.open", RollPage)
async def open_roll(request: Request, shown: RollPage) -> Reply:
    """One message with every member and a button each, prefilled from check-ins and answers."""
    now = request.now
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, shown.meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if now < checkin_opens(meeting.starts_at):
            raise refused("roll.too_early", opens=checkin_opens(meeting.starts_at))
        if meeting.roll_opened_at is None:
            await _start_roll(session, meeting, cell, now)
        return await _roll_page(session, request, meeting, cell, shown.page)


async def _start_roll(session: AsyncSession, meeting: Meeting, cell: Cell, now: datetime) -> None:
    invited = {
        invitation.person_id: invitation
        for invitation, _ in await invitees_of_meeting(session, meeting.id)
    }
    for membership in await active_members(session, cell.id):
        invitation = invited.get(membership.person_id)
        if invitation is None:
            invitation = Invitation(
                meeting_id=meeting.id, person_id=membership.person_id, invited_at=now
            )
            session.add(invitation)
        invitation.exempted = not is_expected(membership.status)
        invitation.roll_status = prefilled(
            not invitation.exempted, invitation.checked_in_at is not None, invitation.response
        )
    meeting.roll_opened_at = now
    await session.flush()


async def _roll_page(
    session: AsyncSession, request: Request, meeting: Meeting, cell: Cell, page: int
) -> Reply:
    make_button = request.buttons(session)
    invitees = await invitees_of_meeting(session, meeting.id)
    expected = _expected(invitees)
    pages = max(1, -(-len(expected) // ROLL_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = expected[page * ROLL_PAGE_SIZE : (page + 1) * ROLL_PAGE_SIZE]
    buttons: list[tuple[Button, ...]] = [
        (await _member_button(make_button, invitation, person, page),)
        for invitation, person in shown
    ]
    buttons.extend(await page_buttons(make_button, "roll.open", page, pages, meeting_id=meeting.id))
    buttons.append((await make_button(Text("roll.close"), "roll.close", meeting_id=meeting.id),))
    figures = roll_figures(i.roll_status for i, _ in expected if i.roll_status is not None)
    exempted = [p.full_name for i, p in invitees if i.exempted]
    return Reply(_roll_text(meeting, cell, page, pages, figures, exempted), tuple(buttons))


async def _member_button(
    make_button: ButtonMaker, invitation: Invitation, person: Person, page: int
) -> Button:
    assert invitation.roll_status is not None
    label = Text(
        "roll.member_button",
        {
            "mark": STATUS_MARK[invitation.roll_status],
            "name": person.full_name,
            "status": Text(_status_text(invitation)),
        },
    )
    return await make_button(
        label,
        "roll.cycle",
        invitation_id=invitation.id,
        seen=invitation.roll_status.value,
        page=page,
    )


def _roll_text(
    meeting: Meeting,
    cell: Cell,
    page: int,
    pages: int,
    figures: RollFigures,
    exempted: list[str],
) -> Text:
    return Text(
        "roll.page",
        {
            "summary": summary(meeting, cell.name),
            "page": page + 1,
            "pages": pages,
            "present": figures.present,
            "expected": figures.expected,
            "excused": figures.excused,
            "unexcused": figures.unexcused,
            "undecided": figures.undecided,
            "exempted": ", ".join(exempted) if exempted else "—",
        },
    )


def _expected(invitees: list[tuple[Invitation, Person]]) -> list[tuple[Invitation, Person]]:
    """The members the roll counts: on it when it was opened, and not exempted."""
    return [(i, p) for i, p in invitees if not i.exempted and i.roll_status is not None]


def _status_text(invitation: Invitation) -> str:
    """A member's mark; an undecided one shows what they answered, as a hint, not a mark."""
    if invitation.roll_status is RollStatus.UNDECIDED and invitation.response is Response.ATTEND:
        return N_("roll.status.undecided_attending")
    assert invitation.roll_status is not None
    return STATUS_TEXT[invitation.roll_status]


@button("roll.cycle", Tap)
async def cycle(request: Request, tap: Tap) -> Reply:
    async with request.transaction() as session:
        invitation = await session.get(Invitation, tap.invitation_id)
        if invitation is None:
            raise refused("error.stale_button")
        # Locked, like closing: a tap that lands as the roll closes waits, then is refused.
        _, _, meeting, cell = await managed_meeting(
            session, request.caller, invitation.meeting_id, for_update=True
        )
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if invitation.roll_status is not None and invitation.roll_status.value == tap.seen:
            invitation.roll_status = invitation.roll_status.next()
        await session.flush()
        return await _roll_page(session, request, meeting, cell, tap.page)


@button("roll.close", Closing)
async def close_roll(request: Request, closing: Closing) -> Reply:
    """Freeze the roll, give the rate and quorum, and flag a third unexcused absence. Members
    still undecided are recorded absent without reason only once the secretary confirms it."""
    now, settings = request.now, request.settings
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, request.caller, closing.meeting_id, for_update=True
        )
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if meeting.roll_opened_at is None:
            raise refused("error.stale_button")
        if now < meeting.starts_at:
            raise refused("roll.not_started")
        expected = _expected(await invitees_of_meeting(session, meeting.id))
        undecided = [(i, p) for i, p in expected if i.roll_status is RollStatus.UNDECIDED]
        if undecided and not closing.confirmed:
            return await _confirm_undecided(
                request.buttons(session), meeting, [p for _, p in undecided]
            )
        for invitation, _ in undecided:
            invitation.roll_status = RollStatus.UNEXCUSED
        meeting.roll_closed_at = now
        figures = roll_figures(
            [i.roll_status for i, _ in expected if i.roll_status is not None], settings.quorum
        )
        await session.flush()
        unexcused = [p for i, p in expected if i.roll_status is RollStatus.UNEXCUSED]
        await _flag_repeated_absences(session, meeting, cell, unexcused, now, settings)
        return Reply(_closing_text(meeting, cell, figures), notice=Text("roll.closed_notice"))


async def _confirm_undecided(
    make_button: ButtonMaker, meeting: Meeting, people: list[Person]
) -> Reply:
    confirm = await make_button(
        Text("roll.confirm_unexcused"), "roll.close", meeting_id=meeting.id, confirmed=True
    )
    back = await make_button(Text("common.back"), "roll.open", meeting_id=meeting.id)
    return Reply(
        Text(
            "roll.undecided",
            {
                "count": len(people),
                "names": [Text("roll.undecided_name", {"name": p.full_name}) for p in people],
            },
        ),
        ((confirm, back),),
    )


def _closing_text(meeting: Meeting, cell: Cell, figures: RollFigures) -> Text:
    warnings = []
    if not figures.quorum_met:
        warnings.append(Text("roll.no_quorum", {"needed": figures.quorum_needed}))
    if figures.below_norm:
        warnings.append(Text("roll.below_norm"))
    return Text(
        "roll.summary",
        {
            "summary": summary(meeting, cell.name),
            "present": figures.present,
            "expected": figures.expected,
            "percent": figures.percent,
            "excused": figures.excused,
            "unexcused": figures.unexcused,
            "quorum": Text("roll.quorum_met") if figures.quorum_met else Text("roll.quorum_missed"),
            "warnings": Text("roll.warnings", {"lines": warnings}) if warnings else "",
        },
    )


async def _flag_repeated_absences(
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    people: list[Person],
    now: datetime,
    settings: ServiceSettings,
) -> None:
    """The third absence without reason in a calendar year goes to the secretary and the
    cell's supervisors, once a year per member."""
    if not people:
        return
    year = absence_year(meeting.starts_at, settings.zone)
    counts = await unexcused_absences_between(session, [p.id for p in people], year.start, year.end)
    flagged = repeatedly_absent([p.id for p in people], counts)
    if not flagged:
        return
    by_id = {p.id: p for p in people}
    recipients = {p.id: p for p in await cell_managers(session, cell.id)}
    supervisors = await supervisors_of_cell(session, cell.id, cell.organisation_id)
    recipients.update({p.id: p for p in supervisors})
    for person in (by_id[person_id] for person_id in flagged):
        text = _flag_text(person, cell, meeting, counts[person.id], year.year)
        for recipient in recipients.values():
            await outbox.enqueue_message(
                session,
                key=f"absence-flag:{person.id}:{year.year}:{recipient.id}",
                chat_id=recipient.telegram_user_id,
                text=text,
                lang=recipient.language or settings.default_language,
                now=now,
            )


def _flag_text(person: Person, cell: Cell, meeting: Meeting, count: int, year: int) -> Text:
    return Text(
        "absence.flag",
        {
            "name": person.full_name,
            "cell": cell.name,
            "count": count,
            "year": year,
            "kind": Text(KIND_TEXT[meeting.kind]),
            "when": meeting.starts_at,
        },
    )
