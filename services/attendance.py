"""Attendance: who said what, check-in at the meeting, the roll, quorum and repeated absences."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import (
    REPEATED_ABSENCES,
    CheckinProblem,
    RollFigures,
    RollStatus,
    checkin_opens,
    checkin_problem,
    is_expected,
    prefilled,
    roll_figures,
)
from domain.calendar import Month
from domain.meetings import REASON_TEXT, AbsenceReason, MeetingStatus, Response
from domain.messages import N_, Button, Reply, Text
from services import actions, outbox
from services.access import managed_meeting
from services.cells.common import managed_cell
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller, require_person
from services.views import KIND_TEXT, summary
from storage.db import Database
from storage.models import Cell, Invitation, Meeting, Person, SupervisorScope
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


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


async def _invitees(session: AsyncSession, meeting_id: int) -> list[tuple[Invitation, Person]]:
    rows = await session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(Invitation.meeting_id == meeting_id)
        .order_by(Person.full_name, Person.id)
    )
    return [(invitation, person) for invitation, person in rows]


# --- the secretary's view of the answers -------------------------------------------------------


async def overview(
    database: Database,
    caller: Caller,
    now: datetime,
    cell_id: int | None = None,
    meeting_id: int | None = None,
) -> Reply:
    """/attendance: the next meeting's answers by kind, with names and reasons."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        if meeting_id is not None:
            _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        else:
            _, actor = await require_person(session, caller)
            picked = await managed_cell(session, caller, actor, cell_id, "attendance.cell", now)
            if isinstance(picked, Reply):
                return picked
            cell = picked
            found = await session.scalar(
                select(Meeting)
                .where(
                    Meeting.cell_id == cell.id,
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.ends_at > now,
                )
                .order_by(Meeting.starts_at)
                .limit(1)
            )
            if found is None:
                return Reply(Text("attendance.no_meeting", {"cell": cell.name}))
            meeting = found
        members = await active_members(session, cell.id)
        exempted = {m.person_id for m in members if not is_expected(m.status)}
        answers = {
            invitation.person_id: invitation
            for invitation, _ in await _invitees(session, meeting.id)
        }
        groups: dict[str, list[Text]] = {"attend": [], "absent": [], "none": []}
        for membership in members:
            person = membership.person
            if person.id in exempted:
                continue
            invitation = answers.get(person.id)
            response = invitation.response if invitation else None
            checked = " ✔" if invitation is not None and invitation.checked_in_at else ""
            if response is Response.ATTEND:
                groups["attend"].append(
                    Text("attendance.name", {"name": person.full_name, "checked": checked})
                )
            elif response is Response.ABSENT and invitation is not None:
                groups["absent"].append(
                    Text(
                        "attendance.absent_name",
                        {
                            "name": person.full_name,
                            "reason": _reason(invitation),
                        },
                    )
                )
            else:
                groups["none"].append(
                    Text("attendance.name", {"name": person.full_name, "checked": checked})
                )
        expected = len([m for m in members if m.person_id not in exempted])
        rows: list[tuple[Button, ...]] = []
        in_window = checkin_opens(meeting.starts_at) <= now < meeting.ends_at
        if in_window and meeting.roll_closed_at is None:
            if meeting.checkin_code is None:
                meeting.checkin_code = new_code()
            rows.append(
                (
                    await make_button(
                        Text("attendance.open_roll"), "roll.open", meeting_id=meeting.id
                    ),
                )
            )
        return Reply(
            Text(
                "attendance.overview",
                {
                    "summary": summary(meeting, cell.name),
                    "expected": expected,
                    "exempted": Text("attendance.exempted_clause", {"count": len(exempted)})
                    if exempted
                    else "",
                    "attend_count": len(groups["attend"]),
                    "attend": groups["attend"] or "—",
                    "absent_count": len(groups["absent"]),
                    "absent": groups["absent"] or "—",
                    "none_count": len(groups["none"]),
                    "none": groups["none"] or "—",
                    "code": Text("attendance.code", {"code": meeting.checkin_code})
                    if in_window and meeting.checkin_code
                    else "",
                },
            ),
            tuple(rows),
        )


def _reason(invitation: Invitation) -> Text | str:
    reason = AbsenceReason(invitation.reason or AbsenceReason.OTHER)
    if reason is AbsenceReason.OTHER and invitation.reason_note:
        return invitation.reason_note
    return Text(REASON_TEXT[reason])


# --- check-in ---------------------------------------------------------------------------------


async def check_in(
    database: Database,
    caller: Caller,
    now: datetime,
    *,
    meeting_id: int | None = None,
    code: str | None = None,
) -> Reply:
    """A member checks in during the meeting window, by button or by the room's code."""
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
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
        invitation = await session.scalar(
            select(Invitation).where(
                Invitation.meeting_id == meeting.id, Invitation.person_id == person.id
            )
        )
        if invitation is None:
            invitation = Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now)
            session.add(invitation)
        cell = await session.get(Cell, meeting.cell_id)
        assert cell is not None
        if invitation.checked_in_at is not None:
            return Reply(
                Text("checkin.already", {"when": invitation.checked_in_at}),
                notice=Text("checkin.already", {"when": invitation.checked_in_at}),
            )
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
    query = select(Meeting).where(
        Meeting.cell_id.in_(cell_ids),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at <= now + LOOKAHEAD,
        Meeting.ends_at > now - RECENTLY_ENDED,
    )
    if code is not None:
        query = query.where(Meeting.checkin_code == code)
    candidates = list((await session.scalars(query.order_by(Meeting.starts_at))).all())
    under_way = [m for m in candidates if checkin_problem(now, m.starts_at, m.ends_at) is None]
    upcoming = [m for m in candidates if m.starts_at > now]
    return next(iter(under_way or upcoming or candidates[::-1]), None)


# --- the roll -----------------------------------------------------------------------------------


async def open_roll(
    database: Database, caller: Caller, meeting_id: int, now: datetime, page: int = 0
) -> Reply:
    """One message with every member and a button each, prefilled from check-ins and answers."""
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if now < checkin_opens(meeting.starts_at):
            raise refused("roll.too_early", opens=checkin_opens(meeting.starts_at))
        if meeting.roll_opened_at is None:
            await _start_roll(session, meeting, cell, now)
        return await _roll_page(session, caller, meeting, cell, page, now, None)


async def _start_roll(session: AsyncSession, meeting: Meeting, cell: Cell, now: datetime) -> None:
    invited = {
        invitation.person_id: invitation for invitation, _ in await _invitees(session, meeting.id)
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
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    page: int,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    invitees = await _invitees(session, meeting.id)
    expected = _expected(invitees)
    exempted = [p.full_name for i, p in invitees if i.exempted]
    pages = max(1, -(-len(expected) // ROLL_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = expected[page * ROLL_PAGE_SIZE : (page + 1) * ROLL_PAGE_SIZE]
    buttons: list[tuple[Button, ...]] = []
    for invitation, person in shown:
        assert invitation.roll_status is not None
        buttons.append(
            (
                await make_button(
                    Text(
                        "roll.member_button",
                        {
                            "mark": STATUS_MARK[invitation.roll_status],
                            "name": person.full_name,
                            "status": Text(_status_text(invitation)),
                        },
                    ),
                    "roll.cycle",
                    invitation_id=invitation.id,
                    seen=invitation.roll_status.value,
                    page=page,
                ),
            )
        )
    navigation = []
    for target, key in ((page - 1, N_("common.previous")), (page + 1, N_("common.next"))):
        if 0 <= target < pages:
            navigation.append(
                await make_button(Text(key), "roll.open", meeting_id=meeting.id, page=target)
            )
    if navigation:
        buttons.append(tuple(navigation))
    buttons.append((await make_button(Text("roll.close"), "roll.close", meeting_id=meeting.id),))
    figures = roll_figures(i.roll_status for i, _ in expected if i.roll_status is not None)
    return Reply(
        Text(
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
        ),
        tuple(buttons),
        notice=notice,
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


async def cycle(
    database: Database, caller: Caller, invitation_id: int, seen: str, page: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None:
            raise refused("error.stale_button")
        # Locked, like closing: a tap that lands as the roll closes waits, then is refused.
        _, _, meeting, cell = await managed_meeting(
            session, caller, invitation.meeting_id, for_update=True
        )
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if invitation.roll_status is not None and invitation.roll_status.value == seen:
            invitation.roll_status = invitation.roll_status.next()
        await session.flush()
        return await _roll_page(session, caller, meeting, cell, page, now, None)


async def close_roll(
    database: Database,
    caller: Caller,
    meeting_id: int,
    now: datetime,
    settings: ServiceSettings,
    *,
    confirmed: bool = False,
) -> Reply:
    """Freeze the roll, give the rate and quorum, and flag a third unexcused absence. Members
    still undecided are recorded absent without reason only once the secretary confirms it."""
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if meeting.roll_opened_at is None:
            raise refused("error.stale_button")
        if now < meeting.starts_at:
            raise refused("roll.not_started")
        expected = _expected(await _invitees(session, meeting.id))
        undecided = [(i, p) for i, p in expected if i.roll_status is RollStatus.UNDECIDED]
        if undecided and not confirmed:
            return await _confirm_undecided(
                session, caller, meeting, [p for _, p in undecided], now
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
    session: AsyncSession, caller: Caller, meeting: Meeting, people: list[Person], now: datetime
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
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
    year = Month.of(meeting.starts_at, settings.zone).year
    start = datetime(year, 1, 1, tzinfo=settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=settings.zone)
    counts: Counter[int] = Counter(
        dict(
            (
                await session.execute(
                    select(Invitation.person_id, func.count(Invitation.id))
                    .join(Meeting, Meeting.id == Invitation.meeting_id)
                    .where(
                        Invitation.person_id.in_([p.id for p in people]),
                        Invitation.roll_status == RollStatus.UNEXCUSED,
                        Invitation.exempted.is_(False),
                        Meeting.roll_closed_at.is_not(None),
                        Meeting.starts_at >= start,
                        Meeting.starts_at < end,
                    )
                    .group_by(Invitation.person_id)
                )
            ).all()
        )
    )
    flagged = [p for p in people if counts[p.id] >= REPEATED_ABSENCES]
    if not flagged:
        return
    recipients = {p.id: p for p in await cell_managers(session, cell.id)}
    recipients.update(
        {
            p.id: p
            for p in await session.scalars(
                select(Person)
                .join(SupervisorScope, SupervisorScope.person_id == Person.id)
                .where(
                    (SupervisorScope.cell_id == cell.id)
                    | (
                        (SupervisorScope.organisation_id == cell.organisation_id)
                        & SupervisorScope.cell_id.is_(None)
                    )
                )
            )
        }
    )
    for person in flagged:
        for recipient in recipients.values():
            await outbox.enqueue_message(
                session,
                key=f"absence-flag:{person.id}:{year}:{recipient.id}",
                chat_id=recipient.telegram_user_id,
                text=Text(
                    "absence.flag",
                    {
                        "name": person.full_name,
                        "cell": cell.name,
                        "count": counts[person.id],
                        "year": year,
                        "kind": Text(KIND_TEXT[meeting.kind]),
                        "when": meeting.starts_at,
                    },
                ),
                lang=recipient.language or settings.default_language,
                now=now,
            )
