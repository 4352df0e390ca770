"""What is due now: reminders, nudges, warnings to secretaries, follow-ups, delivery reports.

The planner runs on every replica, as often as it likes: each message it queues has a unique
outbox key, so running it twice (or on two machines at once) queues nothing twice, and a
bot that was down catches up on return. A bounded number of queries per run, whatever the
number of cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import CHECKIN_OPENS_BEFORE
from domain.calendar import (
    FOLLOW_UP_VALIDITY,
    MINUTES_DUE_AFTER,
    Month,
    cutoff_date,
    cutoff_warning,
    due_reminder,
    follow_up_due,
    is_after_cutoff,
    owes_month,
    owes_quarter,
    quarter_warning,
)
from domain.invites import bot_link
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import N_, ArgValue, Text
from domain.papers import PAPER_REMINDER_OFFSETS_MINUTES
from domain.reminding import gets_checkin_prompt, is_nudged, is_reminded
from domain.roles import Role
from services import actions, outbox
from services.config import ServiceSettings
from services.meetings.invitations import rsvp_buttons
from services.views import KIND_TEXT, summary
from storage.db import Database
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    MeetingObserver,
    Membership,
    Organisation,
    PaperAssignment,
    PaperSubmission,
    Person,
)
from storage.models import OutboxMessage as Row
from storage.repositories import supervisor_scopes

# A warning that lists cells names this many; the rest are counted.
CELLS_LISTED = 20
# How far back the delivery of invitations is checked for a report to the secretary.
DELIVERY_LOOKBACK = timedelta(days=3)


async def plan(
    database: Database, now: datetime, settings: ServiceSettings, bot_username: str
) -> int:
    """Queue everything due at ``now``; returns how many messages were newly queued."""
    async with database.transaction() as session:
        planner = _Planner(session, now, settings, bot_username)
        await planner.member_reminders()
        await planner.checkin_prompts()
        await planner.paper_reminders()
        await planner.observers()
        await planner.cutoff_warnings()
        await planner.quarter_warnings()
        await planner.follow_ups()
        await planner.minutes_overdue()
        await planner.delivery_reports()
        return planner.queued


class _Planner:
    def __init__(
        self, session: AsyncSession, now: datetime, settings: ServiceSettings, bot_username: str
    ) -> None:
        self.session = session
        self.now = now
        self.settings = settings
        self.bot_username = bot_username
        self.queued = 0

    def _lang(self, person: Person) -> str:
        return person.language or self.settings.default_language

    async def _fresh(self, keys: Iterable[str]) -> set[str]:
        """Of these outbox keys, those not queued yet: only they are worth building buttons
        for (each button is a stored action)."""
        wanted = set(keys)
        if not wanted:
            return wanted
        queued = await self.session.scalars(select(Row.key).where(Row.key.in_(wanted)))
        return wanted - set(queued)

    async def _tell(self, key: str, person: Person, text: Text, **options: object) -> None:
        if await outbox.enqueue_message(
            self.session,
            key=key,
            chat_id=person.telegram_user_id,
            text=text,
            lang=self._lang(person),
            now=self.now,
            **options,  # type: ignore[arg-type]
        ):
            self.queued += 1

    async def _current_invitees(self, meeting_ids: list[int]) -> list[tuple[Invitation, Person]]:
        """Those invited who are still members of the meeting's cell (not those who left)."""
        rows = await self.session.execute(
            select(Invitation, Person)
            .join(Person, Person.id == Invitation.person_id)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .join(
                Membership,
                (Membership.person_id == Invitation.person_id)
                & (Membership.cell_id == Meeting.cell_id)
                & Membership.left_at.is_(None),
            )
            .where(Invitation.meeting_id.in_(meeting_ids))
        )
        return [(invitation, person) for invitation, person in rows]

    async def _managers(self, cell_ids: Iterable[int]) -> dict[int, list[Person]]:
        ids = list(set(cell_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Membership.cell_id, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.cell_id.in_(ids),
                Membership.left_at.is_(None),
                Membership.role.in_([Role.SECRETARY, Role.DEPUTY]),
            )
        )
        managers: dict[int, list[Person]] = defaultdict(list)
        for cell_id, person in rows:
            managers[cell_id].append(person)
        return managers

    # --- members ---------------------------------------------------------------------------

    async def member_reminders(self) -> None:
        """Before each meeting at the organisation's offsets; not to those who said they will
        be absent. The one a day before asks whoever has not answered (the nudge)."""
        longest = max(
            (
                max(offsets, default=0)
                for offsets in await self.session.scalars(
                    select(Organisation.reminder_offsets_minutes)
                )
            ),
            default=0,
        )
        if longest <= 0:
            return
        rows = await self.session.execute(
            select(Meeting, Cell.name, Organisation.reminder_offsets_minutes)
            .join(Cell, Cell.id == Meeting.cell_id)
            .join(Organisation, Organisation.id == Cell.organisation_id)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.broadcast_at.is_not(None),
                Meeting.starts_at > self.now,
                Meeting.starts_at <= self.now + timedelta(minutes=longest),
            )
        )
        due: dict[int, tuple[Meeting, str, int]] = {}
        for meeting, cell_name, offsets in rows:
            assert meeting.broadcast_at is not None
            offset = due_reminder(meeting.starts_at, meeting.broadcast_at, offsets, self.now)
            if offset is not None:
                due[meeting.id] = (meeting, cell_name, offset)
        if not due:
            return
        invitees = [
            (invitation, person, f"reminder:{meeting.id}:{meeting.version}:{person.id}:{offset}")
            for invitation, person in await self._current_invitees(list(due))
            if is_reminded(invitation.response)
            for meeting, _, offset in (due[invitation.meeting_id],)
        ]
        fresh = await self._fresh(key for _, _, key in invitees)
        for invitation, person, key in invitees:
            if key not in fresh:
                continue
            meeting, cell_name, offset = due[invitation.meeting_id]
            if is_nudged(invitation.response, offset):
                buttons = await rsvp_buttons(
                    self.session, meeting.id, person.telegram_user_id, self.now
                )
                await self._tell(
                    key,
                    person,
                    Text(
                        "reminder.unanswered",
                        {
                            "summary": summary(meeting, cell_name),
                        },
                    ),
                    buttons=buttons,
                )
            else:
                await self._tell(
                    key,
                    person,
                    Text(
                        "reminder.member",
                        {
                            "summary": summary(meeting, cell_name),
                        },
                    ),
                )

    async def checkin_prompts(self) -> None:
        """When check-in opens, each member coming gets a button to check in with."""
        rows = (
            await self.session.execute(
                select(Meeting, Cell.name)
                .join(Cell, Cell.id == Meeting.cell_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.broadcast_at.is_not(None),
                    Meeting.starts_at <= self.now + CHECKIN_OPENS_BEFORE,
                    Meeting.ends_at > self.now,
                    Meeting.roll_closed_at.is_(None),
                )
            )
        ).all()
        if not rows:
            return
        meetings = {meeting.id: (meeting, cell_name) for meeting, cell_name in rows}
        invitees = [
            (invitation, person)
            for invitation, person in await self._current_invitees(list(meetings))
            if gets_checkin_prompt(invitation.response, invitation.checked_in_at is not None)
        ]

        def key(invitation: Invitation, person: Person) -> str:
            meeting = meetings[invitation.meeting_id][0]
            return f"checkin:{meeting.id}:{meeting.version}:{person.id}"

        fresh = await self._fresh(key(i, p) for i, p in invitees)
        for invitation, person in invitees:
            if key(invitation, person) not in fresh:
                continue
            meeting, cell_name = meetings[invitation.meeting_id]
            button = await actions.button(
                self.session,
                Text("checkin.button"),
                "checkin",
                {"meeting_id": meeting.id},
                telegram_user_id=person.telegram_user_id,
                now=self.now,
            )
            await self._tell(
                key(invitation, person),
                person,
                Text("checkin.prompt", {"summary": summary(meeting, cell_name)}),
                buttons=((button,),),
            )

    async def paper_reminders(self) -> None:
        """Three days and one day before a paper is due, to whoever has not sent it yet."""
        longest = timedelta(minutes=max(PAPER_REMINDER_OFFSETS_MINUTES))
        rows = (
            await self.session.execute(
                select(PaperAssignment, Person, Meeting, Cell.name)
                .join(Person, Person.id == PaperAssignment.person_id)
                .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
                .join(Cell, Cell.id == Meeting.cell_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    PaperAssignment.due_at > self.now,
                    PaperAssignment.due_at <= self.now + longest,
                )
            )
        ).all()
        if not rows:
            return
        sent = set(
            await self.session.scalars(
                select(PaperSubmission.assignment_id).where(
                    PaperSubmission.assignment_id.in_([row[0].id for row in rows]),
                    PaperSubmission.replaced_at.is_(None),
                )
            )
        )
        for assignment, person, meeting, cell_name in rows:
            if assignment.id in sent:
                continue
            offset = due_reminder(
                assignment.due_at, assignment.created_at, PAPER_REMINDER_OFFSETS_MINUTES, self.now
            )
            if offset is None:
                continue
            await self._tell(
                f"paper-reminder:{assignment.id}:{offset}",
                person,
                Text(
                    "paper.reminder",
                    {
                        "topic": assignment.topic,
                        "due": assignment.due_at,
                        "summary": summary(meeting, cell_name),
                    },
                ),
            )

    async def observers(self) -> None:
        """A working group's member: reminded the day before, asked for observations (with a
        button) the morning after."""
        rows = (
            await self.session.execute(
                select(MeetingObserver, Person, Meeting, Cell.name)
                .join(Person, Person.id == MeetingObserver.person_id)
                .join(Meeting, Meeting.id == MeetingObserver.meeting_id)
                .join(Cell, Cell.id == Meeting.cell_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    MeetingObserver.observed_at.is_(None),
                    Meeting.starts_at > self.now - FOLLOW_UP_VALIDITY - timedelta(days=1),
                    Meeting.starts_at <= self.now + timedelta(days=1),
                )
            )
        ).all()
        for _, person, meeting, cell_name in rows:
            if meeting.starts_at > self.now:
                await self._tell(
                    f"observer-reminder:{meeting.id}:{meeting.version}:{person.id}",
                    person,
                    Text("reminder.member", {"summary": summary(meeting, cell_name)}),
                )
                continue
            if not follow_up_due(meeting.starts_at, self.now, self.settings.zone):
                continue
            key = f"observer-ask:{meeting.id}:{person.id}"
            if key not in await self._fresh([key]):
                continue
            button = await actions.button(
                self.session,
                Text("observer.report_button"),
                "observer.report",
                {"meeting_id": meeting.id},
                telegram_user_id=person.telegram_user_id,
                now=self.now,
            )
            await self._tell(
                key,
                person,
                Text("observer.prompt", {"summary": summary(meeting, cell_name)}),
                buttons=((button,),),
            )

    # --- secretaries -----------------------------------------------------------------------

    async def _cells_by_organisation(self, organisation_ids: Iterable[int]) -> list[Cell]:
        ids = list(organisation_ids)
        if not ids:
            return []
        return list(
            (await self.session.scalars(select(Cell).where(Cell.organisation_id.in_(ids)))).all()
        )

    async def _covered(
        self, kind: MeetingKind, start: datetime, end: datetime
    ) -> list[tuple[int, datetime]]:
        rows = await self.session.execute(
            select(Meeting.cell_id, Meeting.starts_at).where(
                Meeting.kind == kind,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
        )
        return [(cell_id, starts_at) for cell_id, starts_at in rows]

    async def cutoff_warnings(self) -> None:
        """No regular meeting planned for the month, five days and one day before the
        cutoff."""
        zone = self.settings.zone
        organisations = (
            await self.session.execute(select(Organisation.id, Organisation.cutoff_day))
        ).all()
        due = {
            organisation_id: found
            for organisation_id, cutoff_day in organisations
            if (found := cutoff_warning(self.now, cutoff_day, zone)) is not None
        }
        if not due:
            return
        cutoff_days = dict(organisations)
        months = {month for month, _ in due.values()}
        start = min(month.bounds(zone)[0] for month in months)
        end = max(month.bounds(zone)[1] for month in months)
        # A meeting after the cutoff counts as late: the cell is warned of that, not spared.
        first_meeting: dict[tuple[int, Month], datetime] = {}
        for cell_id, starts_at in sorted(
            await self._covered(MeetingKind.REGULAR, start, end), key=lambda row: row[1]
        ):
            first_meeting.setdefault((cell_id, Month.of(starts_at, zone)), starts_at)
        unplanned: list[Cell] = []
        planned_late: list[Cell] = []
        for cell in await self._cells_by_organisation(due):
            month, _ = due[cell.organisation_id]
            cutoff_day = cutoff_days[cell.organisation_id]
            if not owes_month(cell.created_at, month, cutoff_day, zone):
                continue
            planned = first_meeting.get((cell.id, month))
            if planned is None:
                unplanned.append(cell)
            elif is_after_cutoff(planned, cutoff_day, zone):
                planned_late.append(cell)

        def details(cell: Cell) -> dict[str, ArgValue]:
            month, _ = due[cell.organisation_id]
            return {
                "month": month.label,
                "cutoff": cutoff_date(month, cutoff_days[cell.organisation_id]),
            }

        def late_details(cell: Cell) -> dict[str, ArgValue]:
            month, _ = due[cell.organisation_id]
            return {**details(cell), "when": first_meeting[(cell.id, month)]}

        def occasion(cell: Cell) -> str:
            month, warning = due[cell.organisation_id]
            return f"{month.key}:{warning.days_before}"

        await self._warn(
            unplanned,
            "warn-cutoff",
            occasion,
            details,
            N_("warn.cutoff"),
            N_("warn.cutoff.leaderless"),
        )
        await self._warn(
            planned_late,
            "warn-cutoff-late",
            occasion,
            late_details,
            N_("warn.cutoff.after"),
            N_("warn.cutoff.after.leaderless"),
        )

    async def quarter_warnings(self) -> None:
        """No thematic meeting planned in the quarter, with 30 and 14 days left."""
        zone = self.settings.zone
        found = quarter_warning(self.now, zone)
        if found is None:
            return
        quarter, warning = found
        start, end = quarter.bounds(zone)
        covered = {cell_id for cell_id, _ in await self._covered(MeetingKind.THEMATIC, start, end)}
        all_cells = (await self.session.scalars(select(Cell))).all()
        owing = [
            cell
            for cell in all_cells
            if cell.id not in covered and owes_quarter(cell.created_at, quarter, zone)
        ]
        # A secretary who has just joined, alone, cannot hold a meeting yet: warned once the
        # cell has members. A cell without a secretary is its supervisors' to act on at once.
        with_members = await self._cells_with_members()
        managed = await self._managers(cell.id for cell in owing)
        cells = [cell for cell in owing if cell.id in with_members or not managed.get(cell.id)]
        details: dict[str, ArgValue] = {
            "quarter": quarter.label,
            "days": warning.days_before,
        }
        await self._warn(
            cells,
            "warn-quarter",
            lambda _: f"{quarter.key}:{warning.days_before}",
            lambda _: details,
            N_("warn.quarter"),
            N_("warn.quarter.leaderless"),
        )

    async def _cells_with_members(self) -> set[int]:
        """Cells with at least one member besides their secretary and deputies."""
        return set(
            await self.session.scalars(
                select(Membership.cell_id)
                .where(
                    Membership.left_at.is_(None),
                    Membership.role.not_in([Role.SECRETARY, Role.DEPUTY]),
                )
                .distinct()
            )
        )

    async def _warn(
        self,
        cells: list[Cell],
        kind: str,
        occasion: Callable[[Cell], str],
        details: Callable[[Cell], dict[str, ArgValue]],
        to_managers: str,
        to_supervisors: str,
    ) -> None:
        """Warn each cell's secretary and deputies. Cells with neither are listed to their
        supervisors instead, since only they can appoint one: one message per supervisor and
        organisation, however many cells it names.

        ``occasion`` and ``details`` are the same for every cell of an organisation: what
        makes the outbox key unique (with ``kind``), and the message's arguments.
        """
        managers = await self._managers(cell.id for cell in cells)
        leaderless: dict[int, list[Cell]] = defaultdict(list)
        for cell in cells:
            if not managers.get(cell.id):
                leaderless[cell.organisation_id].append(cell)
            for person in managers.get(cell.id, []):
                await self._tell(
                    f"{kind}:{cell.id}:{occasion(cell)}:{person.id}",
                    person,
                    Text(to_managers, {"cell": cell.name, **details(cell)}),
                )
        if not leaderless:
            return
        reach = await supervisor_scopes(self.session)
        people = {
            person.id: person
            for person in await self.session.scalars(
                select(Person).where(Person.id.in_({person_id for person_id, _ in reach}))
            )
        }
        for (person_id, organisation_id), scope in sorted(reach.items()):
            theirs = [
                cell
                for cell in leaderless.get(organisation_id, [])
                if scope is None or cell.id in scope
            ]
            if theirs:
                await self._tell(
                    f"{kind}-leaderless:{organisation_id}:{occasion(theirs[0])}:{person_id}",
                    people[person_id],
                    Text(to_supervisors, {"cells": _cell_list(theirs), **details(theirs[0])}),
                )

    async def follow_ups(self) -> None:
        """The morning after a meeting whose roll or minutes are still open."""
        rows = (
            await self.session.execute(
                select(Meeting, Cell.name)
                .join(Cell, Cell.id == Meeting.cell_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.starts_at < self.now,
                    Meeting.starts_at >= self.now - FOLLOW_UP_VALIDITY - timedelta(days=1),
                    (Meeting.roll_closed_at.is_(None)) | (Meeting.minutes_recorded_at.is_(None)),
                )
            )
        ).all()
        open_meetings = [
            (meeting, cell_name)
            for meeting, cell_name in rows
            if follow_up_due(meeting.starts_at, self.now, self.settings.zone)
        ]
        managers = await self._managers(meeting.cell_id for meeting, _ in open_meetings)
        for meeting, cell_name in open_meetings:
            missing = []
            if meeting.roll_closed_at is None:
                missing.append(Text("followup.roll"))
            if meeting.minutes_recorded_at is None:
                missing.append(Text("followup.minutes"))
            for person in managers.get(meeting.cell_id, []):
                await self._tell(
                    f"followup:{meeting.id}:{person.id}",
                    person,
                    Text("followup", {"summary": summary(meeting, cell_name), "missing": missing}),
                )

    async def minutes_overdue(self) -> None:
        """Minutes still not recorded three days after the meeting: one reminder."""
        rows = (
            await self.session.execute(
                select(Meeting, Cell.name)
                .join(Cell, Cell.id == Meeting.cell_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.minutes_recorded_at.is_(None),
                    Meeting.starts_at <= self.now - MINUTES_DUE_AFTER,
                    Meeting.starts_at > self.now - MINUTES_DUE_AFTER - FOLLOW_UP_VALIDITY,
                )
            )
        ).all()
        managers = await self._managers(meeting.cell_id for meeting, _ in rows)
        for meeting, cell_name in rows:
            for person in managers.get(meeting.cell_id, []):
                await self._tell(
                    f"minutes-overdue:{meeting.id}:{person.id}",
                    person,
                    Text("minutes.overdue", {"summary": summary(meeting, cell_name)}),
                )

    async def delivery_reports(self) -> None:
        """Members the invitation could not reach (most often: they never opened a chat with
        the bot) are listed to the secretaries once all invitations are settled."""
        rows = (
            await self.session.execute(
                select(Row.key, Row.status, Row.last_error).where(
                    Row.key.startswith("invite:"), Row.created_at >= self.now - DELIVERY_LOOKBACK
                )
            )
        ).all()
        broadcasts: dict[tuple[int, int], list[tuple[int, str, str | None]]] = defaultdict(list)
        for key, status, error in rows:
            _, meeting_part, version_part, person_part = key.split(":")
            broadcasts[(int(meeting_part), int(version_part))].append(
                (int(person_part), status, error)
            )
        settled = (outbox.SENT, outbox.FAILED, outbox.WITHDRAWN)
        failed = {
            # Telegram's 403: the member never opened the chat, or blocked the bot.
            broadcast: [
                person
                for person, status, error in outcomes
                if status == outbox.FAILED and (error or "").startswith("Forbidden")
            ]
            for broadcast, outcomes in broadcasts.items()
            if all(status in settled for _, status, _ in outcomes)
        }
        failed = {broadcast: people for broadcast, people in failed.items() if people}
        if not failed:
            return
        meetings = {
            meeting.id: meeting
            for meeting in await self.session.scalars(
                select(Meeting).where(Meeting.id.in_([meeting_id for meeting_id, _ in failed]))
            )
        }
        names = dict(
            (
                await self.session.execute(
                    select(Person.id, Person.full_name).where(
                        Person.id.in_([p for people in failed.values() for p in people])
                    )
                )
            ).all()
        )
        managers = await self._managers(meeting.cell_id for meeting in meetings.values())
        for (meeting_id, version), people in failed.items():
            meeting = meetings[meeting_id]
            for person in managers.get(meeting.cell_id, []):
                await self._tell(
                    f"undeliverable:{meeting_id}:{version}:{person.id}",
                    person,
                    Text(
                        "undeliverable",
                        {
                            "kind": Text(KIND_TEXT[meeting.kind]),
                            "when": meeting.starts_at,
                            "names": ", ".join(sorted(names[p] for p in people)),
                            "link": bot_link(self.bot_username),
                        },
                    ),
                )


def _cell_list(cells: list[Cell]) -> list[Text]:
    """A list of cells in a message: the first few by name, then how many more."""
    named = sorted(cells, key=lambda cell: cell.name)[:CELLS_LISTED]
    lines = [Text("warn.cell_line", {"cell": cell.name}) for cell in named]
    if len(cells) > len(named):
        lines.append(Text("warn.more_cells", {"count": len(cells) - len(named)}))
    return lines
