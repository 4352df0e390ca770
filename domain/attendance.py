"""Attendance: check-in window, the roll, the attendance rate and quorum, repeated absences."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from zoneinfo import ZoneInfo

from domain.meetings import Response
from domain.percent import whole_percent
from domain.roles import MemberStatus

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
DEFAULT_QUORUM = Fraction(2, 3)
# The seeds report "above 90%" as the norm; below it a meeting is flagged.
ATTENDANCE_NORM = Fraction(9, 10)
REPEATED_ABSENCES = 3


class RollStatus(StrEnum):
    # Only while the roll is open: nobody has seen the member come or heard why they did not.
    # Closing the roll turns what is still undecided into absent without reason.
    UNDECIDED = "undecided"
    PRESENT = "present"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"

    def next(self) -> RollStatus:
        """The secretary's tap: present → excused → absent without reason → present; an
        undecided member is marked present first, and never goes back to undecided."""
        if self is RollStatus.UNDECIDED:
            return RollStatus.PRESENT
        return MARKS[(MARKS.index(self) + 1) % len(MARKS)]


MARKS = (RollStatus.PRESENT, RollStatus.EXCUSED, RollStatus.UNEXCUSED)


class CheckinProblem(StrEnum):
    TOO_EARLY = "too_early"
    ENDED = "ended"


def checkin_opens(starts_at: datetime) -> datetime:
    return starts_at - CHECKIN_OPENS_BEFORE


def checkin_problem(now: datetime, starts_at: datetime, ends_at: datetime) -> CheckinProblem | None:
    """Check-in counts only from 30 minutes before the start to the planned end."""
    if now < checkin_opens(starts_at):
        return CheckinProblem.TOO_EARLY
    if now >= ends_at:
        return CheckinProblem.ENDED
    return None


# The QR code shown in the room opens the private chat with ``/start checkin-<token>``: the
# prefix tells it from an invite link's token, the token (secrets.token_urlsafe(16), 22
# characters) names one meeting and cannot be guessed from another's.
CHECKIN_LINK_PREFIX = "checkin-"
_CHECKIN_LINK = re.compile(rf"{CHECKIN_LINK_PREFIX}([A-Za-z0-9_-]{{22}})", re.ASCII)


def checkin_link_payload(token: str) -> str:
    return f"{CHECKIN_LINK_PREFIX}{token}"


def is_checkin_link(payload: str) -> bool:
    """Whether a /start payload is meant as a check-in link, well formed or not."""
    return payload.startswith(CHECKIN_LINK_PREFIX)


def token_of_checkin_link(payload: str) -> str | None:
    """The meeting's token in a check-in link's payload; None for anything not one of ours."""
    matched = _CHECKIN_LINK.fullmatch(payload)
    return matched.group(1) if matched else None


def is_expected(status: MemberStatus) -> bool:
    """Whether a member is expected at the cell's meetings: an exempted member (miễn sinh
    hoạt) is not, so is never counted absent, nor in a rate, a quorum or a list at risk."""
    return status is not MemberStatus.EXEMPTED


def prefilled(expected: bool, checked_in: bool, response: Response | None) -> RollStatus | None:
    """Where the roll starts: only a check-in is presence. An answer "absent, because …" is
    the member's excuse given beforehand, which is what excused means, so it is prefilled
    (the secretary corrects it if they came after all); a promise to come, or silence, is
    left undecided for the secretary. An exempted member is on the roll only if they came."""
    if checked_in:
        return RollStatus.PRESENT
    if not expected:
        return None
    if response is Response.ABSENT:
        return RollStatus.EXCUSED
    return RollStatus.UNDECIDED


@dataclass(frozen=True)
class RollFigures:
    expected: int
    present: int
    excused: int
    unexcused: int
    undecided: int
    quorum_needed: int

    @cached_property  # read several times for each roll the digest counts
    def rate(self) -> Fraction | None:
        return Fraction(self.present, self.expected) if self.expected else None

    @property
    def quorum_met(self) -> bool:
        return self.expected > 0 and self.present >= self.quorum_needed

    @property
    def below_norm(self) -> bool:
        return self.rate is not None and self.rate < ATTENDANCE_NORM

    @property
    def percent(self) -> int:
        """The rate as a whole percentage (``whole_percent``: 6/7 is 86%)."""
        return whole_percent(self.rate) if self.rate is not None else 0


def roll_figures(statuses: Iterable[RollStatus], quorum: Fraction = DEFAULT_QUORUM) -> RollFigures:
    """Figures of a roll over the expected members (the exempted are not in ``statuses``)."""
    return roll_figures_from_counts(Counter(statuses), quorum)


def roll_figures_from_counts(
    counts: Mapping[RollStatus, int], quorum: Fraction = DEFAULT_QUORUM
) -> RollFigures:
    """Figures of a roll given how many expected members have each status (the exempted
    not counted): what a query counting the roll per status reads."""
    expected = sum(counts.values())
    needed = -(-expected * quorum.numerator // quorum.denominator)  # ceil
    return RollFigures(
        expected=expected,
        present=counts.get(RollStatus.PRESENT, 0),
        excused=counts.get(RollStatus.EXCUSED, 0),
        unexcused=counts.get(RollStatus.UNEXCUSED, 0),
        undecided=counts.get(RollStatus.UNDECIDED, 0),
        quorum_needed=needed,
    )


@dataclass(frozen=True)
class AbsenceYear:
    """The calendar year, in the deployment's zone, over which absences without reason are
    counted: from its first local midnight to the next year's."""

    year: int
    start: datetime
    end: datetime


def absence_year(meeting_starts_at: datetime, zone: ZoneInfo) -> AbsenceYear:
    """The year of absences a meeting counts in: the one it starts in, locally."""
    year = meeting_starts_at.astimezone(zone).year
    return AbsenceYear(
        year, datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    )


def repeatedly_absent(person_ids: Iterable[int], unexcused: Mapping[int, int]) -> list[int]:
    """Of the members just recorded absent without reason, those to be reported to the
    secretary and the cell's supervisors: the ones whose absences without reason this year
    (``unexcused``, by member) reach ``REPEATED_ABSENCES``, in the order given. A member is
    reported once a year, however many more absences follow (the outbox's key sees to it)."""
    return [p for p in person_ids if unexcused.get(p, 0) >= REPEATED_ABSENCES]
