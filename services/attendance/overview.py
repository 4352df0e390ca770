"""The secretary's view of the answers to the next meeting's invitation: who comes, who
does not and why, who has not answered; the button to the check-in QR code; and, once
check-in is open, the room's code and the roll's button."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import checkin_opens, is_expected
from domain.meetings import REASON_TEXT, AbsenceReason, Response
from domain.messages import Button, Reply, Text
from services.access import managed_meeting
from services.attendance.checkin import OfMeeting, new_code
from services.cells.common import asks_which_cell, cell_of_manager, which_cell
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell, Invitation, Meeting, Membership
from storage.queries.attendance import invitees_of_meeting
from storage.queries.meetings import upcoming_meetings
from storage.repositories import active_members


@dataclass(frozen=True)
class OfCell:
    cell_id: int


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
        if asks_which_cell(actor, cell_id):
            return await which_cell(request.buttons(session), session, actor, "attendance.cell")
        picked = await cell_of_manager(session, actor, cell_id)
        coming = await upcoming_meetings(session, picked.id, request.now, 1)
        if not coming:
            return Reply(Text("attendance.no_meeting", {"cell": picked.name}))
        return await _overview(session, request, coming[0], picked)


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
    if meeting.roll_closed_at is None:
        make_button = request.buttons(session)
        # The QR code from the start, so that it can be printed before the day.
        rows = ((await make_button(Text("attendance.qr"), "checkin.qr", meeting_id=meeting.id),),)
        if in_window:
            if meeting.checkin_code is None:
                meeting.checkin_code = new_code()
            open_roll = await make_button(
                Text("attendance.open_roll"), "roll.open", meeting_id=meeting.id
            )
            rows = ((open_roll,), *rows)
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
