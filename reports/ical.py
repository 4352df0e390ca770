"""Calendar files (.ics) for meeting invitations, so a meeting lands in members' calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

from reports.text import writable


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    stamp: datetime
    cancelled: bool = False


def meeting_ics(entry: CalendarEntry) -> bytes:
    """An iCalendar file; a later ``sequence`` with the same uid updates the earlier event."""
    calendar = Calendar()
    calendar.add("prodid", "-//chibo//meetings//VI")
    calendar.add("version", "2.0")
    # PUBLISH: an announcement to add to one's calendar; REQUEST/CANCEL would expect an
    # organiser to answer, which a cell's calendar file has not.
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", entry.uid)
    # A cancellation must outrank the last version of the event to replace it.
    event.add("sequence", entry.sequence + 1 if entry.cancelled else entry.sequence)
    event.add("dtstamp", entry.stamp)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.ends_at)
    # icalendar escapes CR and LF, so a text stays in its one property; the other line breaks
    # (at which some readers split lines) and control characters (which iCalendar's TEXT
    # forbids) are cleaned here.
    event.add("summary", writable(entry.summary))
    event.add("location", writable(entry.location))
    event.add("description", writable(entry.description))
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
