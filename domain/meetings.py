"""Meetings: kinds, statuses, and the agenda templates secretaries start from."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from domain.messages import N_

DEFAULT_DURATION = timedelta(hours=2)
# What may be typed, in UTF-16 units as Telegram counts (an emoji is two). Chosen so that the
# longest agenda, under the longest summary (cell name, place, theme — the theme is also the
# first item), with the longest answer (a reason note) after it, is one message of 4096: the
# invitation is edited in place as members answer (tests/test_message_limits.py).
MAX_AGENDA_ITEMS = 12
MAX_AGENDA_ITEM_LENGTH = 200
MAX_PLACE_LENGTH = 200
MAX_REASON_NOTE = 200


class MeetingKind(StrEnum):
    REGULAR = "regular"
    THEMATIC = "thematic"
    COMMITTEE = "committee"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Response(StrEnum):
    ATTEND = "attend"
    ABSENT = "absent"


class AbsenceReason(StrEnum):
    BUSINESS_TRIP = "business_trip"
    ILLNESS = "illness"
    FAMILY = "family"
    FAR_AWAY = "far_away"
    OTHER = "other"


REASON_TEXT = {
    AbsenceReason.BUSINESS_TRIP: N_("rsvp.reason.business_trip"),
    AbsenceReason.ILLNESS: N_("rsvp.reason.illness"),
    AbsenceReason.FAMILY: N_("rsvp.reason.family"),
    AbsenceReason.FAR_AWAY: N_("rsvp.reason.far_away"),
    AbsenceReason.OTHER: N_("rsvp.reason.other"),
}


# The item under which last month's resolution tasks are reviewed.
REVIEW_ITEM = "agenda.regular.review"
# The standard agenda of a regular meeting (seed 002, HD 09), in order.
REGULAR_AGENDA = (
    N_("agenda.regular.news"),
    N_("agenda.regular.review"),
    N_("agenda.regular.conduct"),
    N_("agenda.regular.party_work"),
    N_("agenda.regular.next_month"),
    N_("agenda.regular.resolution"),
)
# A thematic meeting: its theme first (typed by the secretary), then these.
THEMATIC_AGENDA = (
    N_("agenda.thematic.papers"),
    N_("agenda.thematic.discussion"),
    N_("agenda.thematic.resolution"),
)
COMMITTEE_AGENDA = (
    N_("agenda.committee.content"),
    N_("agenda.committee.assignments"),
)


def agenda_template(kind: MeetingKind) -> tuple[str, ...]:
    return {
        MeetingKind.REGULAR: REGULAR_AGENDA,
        MeetingKind.THEMATIC: THEMATIC_AGENDA,
        MeetingKind.COMMITTEE: COMMITTEE_AGENDA,
    }[kind]


def moved(items: list[int], index: int, step: int) -> list[int]:
    """The order after moving the item at ``index`` by ``step`` places, clamped to the ends."""
    target = max(0, min(len(items) - 1, index + step))
    reordered = list(items)
    reordered.insert(target, reordered.pop(index))
    return reordered
